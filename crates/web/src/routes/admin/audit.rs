//! `GET /v1/tenants/{tenant}/audit`: who changed what and when (pause,
//! overrides, blocklist), newest first, in bounded pages. A record names
//! fields and their new values, a blocked sender only by its hash.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_ledger::control::MAX_AUDIT_PAGE;
use antirelou_ledger::AuditRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{control_error, tenant_caller, ApiError};
use crate::state::AppState;

/// Records per page when the caller does not say.
const DEFAULT_AUDIT_PAGE: usize = 50;

/// The query of `GET /v1/tenants/{tenant}/audit`.
#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// At most this many records (1 to 200, default 50).
    limit: Option<usize>,
    /// The `next` of the previous page: records older than this version.
    before: Option<u64>,
}

/// One change.
#[derive(Serialize, ToSchema)]
pub struct AuditView {
    /// The change version (rising).
    pub version: u64,
    /// Unix microseconds.
    pub at_micros: i64,
    /// `operator` or `tenant:ID`.
    pub who: String,
    /// `pause`, `resume`, `patch`, `clear_overrides`, `block` or `unblock`.
    pub action: String,
    pub number: Option<String>,
    /// Field names and their new values.
    #[schema(value_type = Object)]
    pub what: serde_json::Value,
}

impl From<AuditRecord> for AuditView {
    fn from(r: AuditRecord) -> Self {
        AuditView {
            version: r.version,
            at_micros: r.note.at_micros,
            who: r.note.who,
            action: r.note.action.as_str().to_owned(),
            number: r.note.number,
            what: r.note.what,
        }
    }
}

/// A page of audit records, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditResponse {
    pub records: Vec<AuditView>,
    /// Pass as `before` for the next (older) page; `null` on the last.
    pub next: Option<u64>,
}

/// The tenant's runtime changes, newest first (every one is kept: a full history refuses changes).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/audit", tag = "controls",
    params(("tenant" = String, Path, description = "The tenant's id"), AuditQuery),
    responses((status = 200, body = AuditResponse), (status = 400, body = ApiError),
              (status = 401, body = ApiError), (status = 404, body = ApiError), (status = 503, body = ApiError)))]
pub async fn page(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let tenant = path.into_inner();
    if let Err(answer) = tenant_caller(&request, &state, &tenant) {
        return answer;
    }
    let limit = query.limit.unwrap_or(DEFAULT_AUDIT_PAGE);
    if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
        return super::error(
            actix_web::http::StatusCode::BAD_REQUEST,
            format!("limit must be between 1 and {MAX_AUDIT_PAGE}"),
        );
    }
    match state.controls.audit(&tenant, query.before, limit).await {
        Ok(page) => HttpResponse::Ok()
            .json(AuditResponse { records: page.records.into_iter().map(Into::into).collect(), next: page.next }),
        Err(failure) => control_error(failure),
    }
}
