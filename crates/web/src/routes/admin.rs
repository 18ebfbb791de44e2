//! The admin API under `/v1/`. A tenant's bearer token (`admin_token`) sees
//! and touches only its own numbers; the operator token
//! (`server.operator_token`) sees every tenant.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::Money;
use antirelou_engine::NumberHandle;
use antirelou_ledger::EntryFilter;
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

/// `GET /v1/tenants/{tenant}/entries`: the tenant's ledger entries (JSON).
pub async fn entries(request: HttpRequest, path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let Some(caller) = authenticate(&request, &state) else { return unauthorized() };
    let tenant = path.into_inner();
    if !caller.may_see(&tenant) || state.registry.tenant(&tenant).is_none() {
        return not_found();
    }
    let filter = EntryFilter { tenant: Some(tenant), ..EntryFilter::default() };
    match state.registry.ledger().entries(&filter).await {
        Ok(entries) => {
            let rows: Vec<_> = entries
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "id": e.id, "at_micros": e.at_micros, "tenant": e.tenant, "number": e.number,
                        "kind": e.kind, "amount": e.amount.to_string(), "count": e.count, "reference": e.reference,
                    })
                })
                .collect();
            HttpResponse::Ok().json(serde_json::json!({ "currency": state.currency, "entries": rows }))
        }
        Err(_) => HttpResponse::ServiceUnavailable().json(serde_json::json!({"error": "ledger unavailable"})),
    }
}
