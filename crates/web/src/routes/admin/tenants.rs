//! A tenant's money: top-up and ledger entries.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::Money;
use antirelou_ledger::{export, EntryFilter, LedgerError, MAX_ENTRIES_PER_PAGE};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{authenticate, error, ledger_unavailable, not_found, tenant_caller, ApiError, Caller};
use crate::state::AppState;

/// A top-up of the tenant's prepaid balance.
#[derive(Deserialize, ToSchema)]
pub struct TopUp {
    /// A decimal amount in the deployment's currency, e.g. `"10.00"`.
    #[schema(example = "10.00")]
    amount: String,
    /// Free text kept with the ledger entry.
    #[serde(default)]
    note: String,
}

/// The credited amount and the new balance.
#[derive(Serialize, ToSchema)]
pub struct TopUpResponse {
    pub tenant: String,
    pub credited: String,
    pub balance: String,
    pub currency: String,
}

/// Why a top-up of a tenant that is not prepaid is refused, and how to
/// change that: the API's and the CLI's sentence.
pub fn not_prepaid(tenant: &str) -> String {
    format!(
        "tenant {tenant} is not prepaid: its replies are paid by the deployment within its caps, not from a \
         balance, so a top-up would pay for nothing. To pay its replies from a balance (credited by top-ups and \
         donations; replies stop when it is empty), set prepaid = true on the tenant in the configuration and \
         reload it"
    )
}

/// Credit the tenant's prepaid balance. Refused (`409`) for a tenant that
/// is not prepaid.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/top-up", tag = "money",
    params(("tenant" = String, Path, description = "The tenant's id")),
    request_body = TopUp,
    responses((status = 200, body = TopUpResponse), (status = 400, body = ApiError),
              (status = 401, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError),
              (status = 503, body = ApiError)))]
pub async fn top_up(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<TopUp>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let caller = match authenticate(&request, &state) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let tenant = path.into_inner();
    match credit(&state, &caller, &tenant, &body.amount, &body.note).await {
        Ok(response) => HttpResponse::Ok().json(response),
        Err(TopUpError::NotFound) => not_found(),
        Err(TopUpError::NotPrepaid) => error(StatusCode::CONFLICT, not_prepaid(&tenant)),
        Err(TopUpError::NotPositive) => error(StatusCode::BAD_REQUEST, "amount must be positive"),
        Err(TopUpError::Amount(e)) => error(StatusCode::BAD_REQUEST, format!("amount: {e}")),
        Err(TopUpError::Refused(reason)) => error(StatusCode::BAD_REQUEST, reason),
        Err(TopUpError::Ledger) => ledger_unavailable(),
    }
}

/// Why a top-up was not credited.
#[derive(Debug)]
pub(crate) enum TopUpError {
    NotFound,
    /// The tenant is not prepaid: its balance pays for nothing.
    NotPrepaid,
    NotPositive,
    Amount(antirelou_domain::MoneyError),
    /// The ledger refused the amount (above the largest top-up, or the
    /// balance would pass its maximum), with its sentence.
    Refused(String),
    Ledger,
}

/// Credits `amount` (decimal text) to `tenant`'s balance for `caller`: the
/// one implementation behind `POST /v1/tenants/{tenant}/top-up` and the
/// console's top-up form.
pub(crate) async fn credit(
    state: &AppState,
    caller: &Caller,
    tenant: &str,
    amount: &str,
    note: &str,
) -> Result<TopUpResponse, TopUpError> {
    let Some(route) = state.registry.tenant(tenant).filter(|_| caller.may_see(tenant)) else {
        return Err(TopUpError::NotFound);
    };
    if !route.prepaid {
        return Err(TopUpError::NotPrepaid);
    }
    // As a person types it: `5,50` as well as `5.50`.
    let amount = match Money::parse_typed(amount) {
        Ok(amount) if amount > Money::ZERO => amount,
        Ok(_) => return Err(TopUpError::NotPositive),
        Err(e) => return Err(TopUpError::Amount(e)),
    };
    let now = state.clock.now_micros();
    match state.registry.ledger().top_up(tenant, amount, note, now).await {
        Ok(balance) => Ok(TopUpResponse {
            tenant: tenant.to_owned(),
            credited: amount.to_string(),
            balance: balance.to_string(),
            currency: state.currency.clone(),
        }),
        Err(LedgerError::Refused(reason)) => Err(TopUpError::Refused(reason)),
        Err(error) => {
            tracing::error!(%error, "top-up failed");
            Err(TopUpError::Ledger)
        }
    }
}

/// The query of `GET /v1/tenants/{tenant}/entries`.
#[derive(Deserialize, IntoParams)]
pub struct EntriesQuery {
    /// At most this many entries (1 to 1,000, default 100).
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// Entries per page when the caller does not say.
const DEFAULT_ENTRIES_PER_PAGE: usize = 100;

#[utoipa::path(get, path = "/v1/tenants/{tenant}/entries", tag = "money",
    params(("tenant" = String, Path, description = "The tenant's id"), EntriesQuery),
    responses((status = 200, description = "One page of entries (JSON, or CSV with `Accept: text/csv`)", content(
                  (Object = "application/json"), (String = "text/csv"))),
              (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 503, body = ApiError)))]
/// One page of the
/// tenant's ledger entries, JSON (`{"entries": [...], "next": cursor}`) or,
/// with `Accept: text/csv`, CSV with the cursor in a `Link`-like
/// `X-Next-Cursor` header. Each call does bounded work in the ledger.
pub async fn entries(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<EntriesQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let tenant = path.into_inner();
    if let Err(answer) = tenant_caller(&request, &state, &tenant) {
        return answer;
    }
    let limit = query.limit.unwrap_or(DEFAULT_ENTRIES_PER_PAGE);
    if !(1..=MAX_ENTRIES_PER_PAGE).contains(&limit) {
        return error(StatusCode::BAD_REQUEST, format!("limit must be between 1 and {MAX_ENTRIES_PER_PAGE}"));
    }
    let filter = EntryFilter { tenant: Some(tenant), after: query.after.clone(), limit, ..EntryFilter::default() };
    let page = match state.registry.ledger().entries(&filter).await {
        Ok(page) => page,
        Err(LedgerError::Refused(reason)) => {
            return error(StatusCode::BAD_REQUEST, reason);
        }
        Err(_) => return ledger_unavailable(),
    };
    let wants_csv = request
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    if wants_csv {
        let body = entries_csv(&page.entries, &state.currency);
        let mut response = HttpResponse::Ok();
        response.content_type("text/csv; charset=utf-8");
        if let Some(next) = &page.next {
            response.insert_header(("X-Next-Cursor", next.as_str()));
        }
        return response.body(body);
    }
    let rows: Vec<_> = page.entries.iter().map(|e| export::json_row(e, &state.currency)).collect();
    HttpResponse::Ok().json(serde_json::json!({ "currency": state.currency, "entries": rows, "next": page.next }))
}

/// Entries as a CSV document (header and CRLF lines): the API's
/// `Accept: text/csv` and the console's download.
pub(crate) fn entries_csv(entries: &[antirelou_ledger::Entry], currency: &str) -> String {
    format!("{}\r\n{}", export::CSV_HEADER, csv_rows(entries, currency))
}

/// The CSV lines of `entries`, without the header (a streamed download
/// writes the header once, then page after page of these).
pub(crate) fn csv_rows(entries: &[antirelou_ledger::Entry], currency: &str) -> String {
    let mut rows = String::with_capacity(64 * entries.len());
    for entry in entries {
        rows.push_str(&export::csv_row(entry, currency));
        rows.push_str("\r\n");
    }
    rows
}
