//! The admin API under `/v1/`. A tenant's bearer token (`admin_token`) sees
//! and touches only its own numbers; the operator token
//! (`server.operator_token`) sees every tenant. Another tenant's things
//! answer 404, as if they did not exist.
//!
//! Start with [`configure`] (every route), then `numbers.rs` (the numbers,
//! pause and resume), `number.rs` (one number: its state, `PATCH`, back
//! to the file), `health.rs` (a number's health), `check.rs` (the
//! connection test to its provider), `blocklist.rs`, `audit.rs` (runtime controls, through
//! [`Controls`](antirelou_engine::Controls)) and `tenants.rs` (money:
//! top-up, entries); `reports.rs` (alerts and per-day stats), `incidents.rs`
//! (incidents and their evidence bundles), `inbound.rs` (operator: a
//! message handed to an OVHcloud number as its poller would) and
//! `reload.rs` (operator: reload the configuration). `openapi.rs`
//! describes every handler; `GET /v1/openapi.json` serves it.

mod audit;
pub(crate) mod blocklist;
pub(crate) mod check;
pub(crate) mod health;
pub(crate) mod inbound;
pub(crate) mod incidents;
pub(crate) mod number;
pub(crate) mod numbers;
pub mod openapi;
mod reload;
pub(crate) mod reports;
pub(crate) mod tenants;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_engine::ControlError;
use subtle::ConstantTimeEq;

use crate::state::AppState;
use crate::token_guard::{Surface, TokenRefusal};

/// Every `/v1` route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi::document))
        .route("/numbers", web::get().to(numbers::list_numbers))
        .route("/numbers/{number}", web::get().to(number::show))
        .route("/numbers/{number}", web::patch().to(number::patch))
        .route("/numbers/{number}/overrides", web::delete().to(number::clear_overrides))
        .route("/numbers/{number}/inbound", web::post().to(inbound::inject))
        .route("/numbers/{number}/check", web::post().to(check::check))
        .route("/numbers/{number}/{action}", web::post().to(numbers::set_paused))
        .route("/tenants/{tenant}/blocklist", web::get().to(blocklist::list))
        .route("/tenants/{tenant}/blocklist", web::post().to(blocklist::add))
        .route("/tenants/{tenant}/blocklist/{hash}", web::delete().to(blocklist::remove))
        .route("/tenants/{tenant}/audit", web::get().to(audit::page))
        .route("/tenants/{tenant}/top-up", web::post().to(tenants::top_up))
        .route("/tenants/{tenant}/entries", web::get().to(tenants::entries))
        .route("/tenants/{tenant}/alerts", web::get().to(reports::alerts))
        .route("/tenants/{tenant}/stats", web::get().to(reports::stats))
        .route("/tenants/{tenant}/incidents", web::get().to(incidents::list))
        .route("/tenants/{tenant}/incidents/{id}/evidence", web::get().to(incidents::evidence))
        .route("/reload", web::post().to(reload::reload));
}

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Operator,
    Tenant(String),
}

impl Caller {
    pub fn may_see(&self, tenant: &str) -> bool {
        match self {
            Caller::Operator => true,
            Caller::Tenant(own) => own == tenant,
        }
    }

    /// Who did it, in audit records: `operator` or `tenant:ID`.
    pub fn audit_name(&self) -> String {
        match self {
            Caller::Operator => "operator".to_owned(),
            Caller::Tenant(id) => format!("tenant:{id}"),
        }
    }
}

/// The error body of every admin response: `{"error": "..."}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ApiError {
    /// What went wrong, in plain words.
    pub error: String,
}

/// An error response with its status.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(ApiError { error: message.into() })
}

fn same_secret(given: &str, expected: &str) -> bool {
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// The caller a token names: the operator, or the tenant whose
/// `admin_token` it is (compared in constant time).
pub(crate) fn caller_of_token(token: &str, state: &AppState) -> Option<Caller> {
    if token.is_empty() {
        return None;
    }
    if state.operator_token.as_deref().is_some_and(|expected| same_secret(token, expected)) {
        return Some(Caller::Operator);
    }
    state
        .registry
        .tenants()
        .into_iter()
        .find(|t| t.admin_token.as_ref().is_some_and(|expected| same_secret(token, expected.expose())))
        .map(|t| Caller::Tenant(t.id.to_string()))
}

/// The caller of a request's `Authorization: Bearer` token, through the
/// token guard (wrong tokens limited per client address and token prefix):
/// else the answer, `401` (no header, or no such token) or `429` (too many
/// wrong tokens: not checked). The operator token names nobody on
/// `server.console_listen` (the public side), and counts as a wrong token there.
// The refusal is the response itself, built only when refusing.
#[allow(clippy::result_large_err)]
pub(crate) fn authenticate(request: &HttpRequest, state: &AppState) -> Result<Caller, HttpResponse> {
    let Some(token) = bearer_token(request) else { return Err(unauthorized()) };
    let peer = request.peer_addr().map(|a| a.ip());
    let checked = state.tokens.check(Surface::Api, peer, token, |token| {
        caller_of_token(token, state).and_then(|caller| welcome(request, caller))
    });
    checked.map_err(refused)
}

fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let header = request.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    Some(header.strip_prefix("Bearer ")?.trim())
}

/// The answer to a refused token.
pub(crate) fn refused(refusal: TokenRefusal) -> HttpResponse {
    match refusal {
        TokenRefusal::Unknown => unauthorized(),
        TokenRefusal::Limited { retry_after_seconds } => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", retry_after_seconds.to_string()))
            .json(ApiError {
                error: format!(
                    "too many wrong tokens from this address or like this one: try again in {retry_after_seconds} s"
                ),
            }),
    }
}

/// `caller`, unless it is the operator on the listener that refuses it.
pub(crate) fn welcome(request: &HttpRequest, caller: Caller) -> Option<Caller> {
    (caller != Caller::Operator || crate::listeners::operator_welcome(request)).then_some(caller)
}

/// The caller of `request` when it may see `tenant`, a tenant that exists;
/// else the answer to give: `401` without a known token (`429` when
/// limited), `404` for a
/// tenant it may not see (as if it did not exist).
// The refusal is the response itself, built only when refusing.
#[allow(clippy::result_large_err)]
pub(crate) fn tenant_caller(request: &HttpRequest, state: &AppState, tenant: &str) -> Result<Caller, HttpResponse> {
    let caller = authenticate(request, state)?;
    if !caller.may_see(tenant) || state.registry.tenant(tenant).is_none() {
        return Err(not_found());
    }
    Ok(caller)
}

pub(crate) fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header(("WWW-Authenticate", "Bearer"))
        .json(ApiError { error: "missing or unknown bearer token".to_owned() })
}

pub(crate) fn not_found() -> HttpResponse {
    error(StatusCode::NOT_FOUND, "no such number or tenant")
}

/// The answer to a control operation that did not happen.
pub(crate) fn control_error(failure: ControlError) -> HttpResponse {
    match failure {
        ControlError::NotFound => not_found(),
        ControlError::Invalid(message) => error(StatusCode::BAD_REQUEST, message),
        ControlError::Full(message) => error(StatusCode::CONFLICT, message),
        ControlError::Ledger(cause) => {
            tracing::error!(error = %cause, "runtime control failed");
            ledger_unavailable()
        }
    }
}

pub(crate) fn ledger_unavailable() -> HttpResponse {
    error(StatusCode::SERVICE_UNAVAILABLE, "ledger unavailable")
}
