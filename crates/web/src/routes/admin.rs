//! The admin API under `/v1/`. A tenant's bearer token (`admin_token`) sees
//! and touches only its own numbers; the operator token
//! (`server.operator_token`) sees every tenant.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::Money;
use antirelou_engine::NumberHandle;
use antirelou_ledger::{export, EntryFilter, LedgerError, MAX_ENTRIES_PER_PAGE};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::startup::AppState;

/// Who is calling.
enum Caller {
    Operator,
    Tenant(String),
}

impl Caller {
    fn may_see(&self, tenant: &str) -> bool {
        match self {
            Caller::Operator => true,
            Caller::Tenant(own) => own == tenant,
        }
    }
}

fn same_secret(given: &str, expected: &str) -> bool {
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

fn authenticate(request: &HttpRequest, state: &AppState) -> Option<Caller> {
    let header = request.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let token = header.strip_prefix("Bearer ")?.trim();
    if token.is_empty() {
        return None;
    }
    if state.operator_token.as_deref().is_some_and(|expected| same_secret(token, expected)) {
        return Some(Caller::Operator);
    }
    state
        .registry
        .numbers()
        .map(|h| &h.tenant)
        .find(|t| t.admin_token.as_ref().is_some_and(|expected| same_secret(token, expected.expose())))
        .map(|t| Caller::Tenant(t.id.to_string()))
}

fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header(("WWW-Authenticate", "Bearer"))
        .json(serde_json::json!({"error": "missing or unknown bearer token"}))
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({"error": "no such number or tenant"}))
}

/// `GET /v1/numbers`: the caller's numbers and their live state.
pub async fn list_numbers(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(caller) = authenticate(&request, &state) else { return unauthorized() };
    let mut snapshots = Vec::new();
    let mut handles: Vec<&NumberHandle> =
        state.registry.numbers().filter(|h| caller.may_see(&h.policy.tenant)).collect();
    handles.sort_by(|a, b| a.policy.number.cmp(&b.policy.number));
    for handle in handles {
        if let Ok(snapshot) = state.registry.snapshot(handle).await {
            snapshots.push(snapshot);
        }
    }
    HttpResponse::Ok().json(serde_json::json!({ "numbers": snapshots }))
}

/// `POST /v1/numbers/{number}/pause` and `/resume`.
pub async fn set_paused(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(caller) = authenticate(&request, &state) else { return unauthorized() };
    let (number, action) = path.into_inner();
    let paused = match action.as_str() {
        "pause" => true,
        "resume" => false,
        _ => return not_found(),
    };
    let Some(handle) = state.registry.route(&number).filter(|h| caller.may_see(&h.policy.tenant)) else {
        return not_found();
    };
    match state.registry.set_paused(handle, paused).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "number": number, "paused": paused })),
        Err(_) => HttpResponse::ServiceUnavailable().json(serde_json::json!({"error": "number actor unavailable"})),
    }
}

#[derive(Deserialize)]
pub struct TopUp {
    amount: String,
    #[serde(default)]
    note: String,
}

/// `POST /v1/tenants/{tenant}/top-up` with `{"amount": "10.00", "note": "..."}`.
pub async fn top_up(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<TopUp>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(caller) = authenticate(&request, &state) else { return unauthorized() };
    let tenant = path.into_inner();
    if !caller.may_see(&tenant) || state.registry.tenant(&tenant).is_none() {
        return not_found();
    }
    let amount = match Money::parse(&body.amount) {
        Ok(amount) if amount > Money::ZERO => amount,
        Ok(_) => return HttpResponse::BadRequest().json(serde_json::json!({"error": "amount must be positive"})),
        Err(e) => return HttpResponse::BadRequest().json(serde_json::json!({"error": format!("amount: {e}")})),
    };
    let now = state.clock.now_micros();
    match state.registry.ledger().top_up(&tenant, amount, &body.note, now).await {
        Ok(balance) => HttpResponse::Ok().json(serde_json::json!({
            "tenant": tenant, "credited": amount.to_string(), "balance": balance.to_string(), "currency": state.currency,
        })),
        Err(error) => {
            tracing::error!(%error, "top-up failed");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"error": "ledger unavailable"}))
        }
    }
}

/// The query of `GET /v1/tenants/{tenant}/entries`.
#[derive(Deserialize)]
pub struct EntriesQuery {
    /// At most this many entries (1 to 1,000, default 100).
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// Entries per page when the caller does not say.
const DEFAULT_ENTRIES_PER_PAGE: usize = 100;

/// `GET /v1/tenants/{tenant}/entries?limit=&after=`: one page of the
/// tenant's ledger entries, JSON (`{"entries": [...], "next": cursor}`) or,
/// with `Accept: text/csv`, CSV with the cursor in a `Link`-like
/// `X-Next-Cursor` header. Each call does bounded work in the ledger.
pub async fn entries(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<EntriesQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(caller) = authenticate(&request, &state) else { return unauthorized() };
    let tenant = path.into_inner();
    if !caller.may_see(&tenant) || state.registry.tenant(&tenant).is_none() {
        return not_found();
    }
    let limit = query.limit.unwrap_or(DEFAULT_ENTRIES_PER_PAGE);
    if !(1..=MAX_ENTRIES_PER_PAGE).contains(&limit) {
        return HttpResponse::BadRequest()
            .json(serde_json::json!({"error": format!("limit must be between 1 and {MAX_ENTRIES_PER_PAGE}")}));
    }
    let filter = EntryFilter { tenant: Some(tenant), after: query.after.clone(), limit, ..EntryFilter::default() };
    let page = match state.registry.ledger().entries(&filter).await {
        Ok(page) => page,
        Err(LedgerError::Refused(reason)) => {
            return HttpResponse::BadRequest().json(serde_json::json!({"error": reason}));
        }
        Err(_) => {
            return HttpResponse::ServiceUnavailable().json(serde_json::json!({"error": "ledger unavailable"}));
        }
    };
    let wants_csv = request
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    if wants_csv {
        let mut body = String::with_capacity(64 * (page.entries.len() + 1));
        body.push_str(export::CSV_HEADER);
        body.push_str("\r\n");
        for entry in &page.entries {
            body.push_str(&export::csv_row(entry, &state.currency));
            body.push_str("\r\n");
        }
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
