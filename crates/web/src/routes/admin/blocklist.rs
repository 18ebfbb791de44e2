//! A tenant's stored blocklist: `GET`, `POST` (a number, hashed at once:
//! the clear number is never stored, logged or answered back) and
//! `DELETE .../blocklist/{hash}`. Blocked senders get no reply from any of
//! the tenant's numbers, on every replica (outcome `blocked`). The file's
//! `blocklist` still applies and is not listed here.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_ledger::BlockedSender;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{authenticate, control_error, not_found, ApiError, Caller};
use crate::state::AppState;

/// A sender to block.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockRequest {
    /// The sender's phone number, E.164 (hashed on arrival, never kept).
    /// On the wire `number`, the name clients already send (the glossary
    /// of docs/ARCHITECTURE.md).
    #[serde(rename = "number")]
    #[schema(example = "+33612345678")]
    sender_phone: String,
    /// Why, in a few words (at most 80 characters, no phone number).
    #[serde(default)]
    label: String,
}

/// One blocked sender: its keyed hash, never its number.
#[derive(Serialize, ToSchema)]
pub struct BlockedView {
    /// The sender's keyed hash (hex), the id to remove it with.
    pub hash: String,
    pub label: String,
    /// When it was blocked, Unix microseconds.
    pub added_micros: i64,
}

impl From<&BlockedSender> for BlockedView {
    fn from(b: &BlockedSender) -> Self {
        BlockedView { hash: b.sender.to_hex(), label: b.label.clone(), added_micros: b.added_micros }
    }
}

/// A tenant's stored blocklist, oldest first.
#[derive(Serialize, ToSchema)]
pub struct BlocklistResponse {
    pub tenant: String,
    pub blocked: Vec<BlockedView>,
}

fn visible_tenant(state: &AppState, caller: &Caller, tenant: &str) -> bool {
    caller.may_see(tenant) && state.registry.tenant(tenant).is_some()
}

/// The tenant's stored blocklist (at most 10,000 senders).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/blocklist", tag = "controls",
    params(("tenant" = String, Path, description = "The tenant's id")),
    responses((status = 200, body = BlocklistResponse), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 503, body = ApiError)))]
pub async fn list(request: HttpRequest, path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let caller = match authenticate(&request, &state) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let tenant = path.into_inner();
    if !visible_tenant(&state, &caller, &tenant) {
        return not_found();
    }
    match state.controls.blocklist(&tenant).await {
        Ok(list) => {
            HttpResponse::Ok().json(BlocklistResponse { tenant, blocked: list.iter().map(Into::into).collect() })
        }
        Err(failure) => control_error(failure),
    }
}

/// Block a sender on every number of the tenant, every replica (audited
/// with the hash only). Blocking a blocked sender again changes its label.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/blocklist", tag = "controls",
    params(("tenant" = String, Path, description = "The tenant's id")),
    request_body = BlockRequest,
    responses((status = 201, body = BlockedView), (status = 400, body = ApiError),
              (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 409, description = "The blocklist, or the change history, is full", body = ApiError),
              (status = 413, body = ApiError), (status = 503, body = ApiError)))]
pub async fn add(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<BlockRequest>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let caller = match authenticate(&request, &state) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let tenant = path.into_inner();
    if !visible_tenant(&state, &caller, &tenant) {
        return not_found();
    }
    let BlockRequest { sender_phone, label } = body.into_inner();
    match state.controls.block(&tenant, &sender_phone, &label, &caller.audit_name()).await {
        Ok(blocked) => HttpResponse::Created().json(BlockedView::from(&blocked)),
        Err(failure) => control_error(failure),
    }
}

/// Unblock a sender by its hash (as listed).
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/blocklist/{hash}", tag = "controls",
    params(("tenant" = String, Path, description = "The tenant's id"),
           ("hash" = String, Path, description = "The sender's hash, as listed")),
    responses((status = 204, description = "Unblocked"), (status = 401, body = ApiError),
              (status = 404, body = ApiError),
              (status = 409, description = "The change history is full", body = ApiError),
              (status = 503, body = ApiError)))]
pub async fn remove(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let caller = match authenticate(&request, &state) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let (tenant, hash) = path.into_inner();
    if !visible_tenant(&state, &caller, &tenant) {
        return not_found();
    }
    match state.controls.unblock(&tenant, &hash, &caller.audit_name()).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(failure) => control_error(failure),
    }
}
