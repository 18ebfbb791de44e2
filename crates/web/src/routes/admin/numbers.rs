//! The caller's numbers: `GET /v1/numbers`, pause and resume.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_engine::{NumberHandle, NumberSnapshot};
use serde::Serialize;
use utoipa::ToSchema;

use super::{authenticate, control_error, not_found, ApiError, Caller};
use crate::state::AppState;

/// One number as its replica's actor sees it.
#[derive(Serialize, ToSchema)]
pub struct NumberView {
    pub tenant: String,
    pub number: String,
    pub paused: bool,
    /// The shield is on until this Unix time (seconds), if it is on.
    pub shield_until_seconds: Option<i64>,
    /// The budget scope (`number_daily`, `tenant_monthly`, `deployment_monthly`, `balance`) that is exhausted, if any.
    pub budget_exhausted: Option<String>,
    /// Senders this replica believes are waiting for a judgement.
    pub deferred_here: usize,
}

impl From<NumberSnapshot> for NumberView {
    fn from(s: NumberSnapshot) -> Self {
        NumberView {
            tenant: s.tenant,
            number: s.number,
            paused: s.paused,
            shield_until_seconds: s.shield_until_seconds,
            budget_exhausted: s.budget_exhausted.map(|scope| scope.as_str().to_owned()),
            deferred_here: s.deferred_here,
        }
    }
}

/// The caller's numbers.
#[derive(Serialize, ToSchema)]
pub struct NumbersResponse {
    pub numbers: Vec<NumberView>,
}

/// The number's new pause state, stored and applied by every replica.
#[derive(Serialize, ToSchema)]
pub struct PausedResponse {
    pub number: String,
    pub paused: bool,
    /// The runtime control version of this change.
    pub version: u64,
}

/// The caller's numbers and their live state.
#[utoipa::path(get, path = "/v1/numbers", tag = "numbers",
    responses((status = 200, body = NumbersResponse), (status = 401, body = ApiError)))]
pub async fn list_numbers(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let caller = match authenticate(&request, &state) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    HttpResponse::Ok().json(NumbersResponse { numbers: number_views(&state, &caller).await })
}

/// The numbers `caller` may see, sorted, each as its actor sees it (a
/// number whose actor does not answer is left out). The JSON API and the
/// console both list numbers through this.
pub(crate) async fn number_views(state: &AppState, caller: &Caller) -> Vec<NumberView> {
    let mut handles: Vec<Arc<NumberHandle>> =
        state.registry.numbers().into_iter().filter(|h| caller.may_see(h.tenant_id())).collect();
    handles.sort_by(|a, b| a.policy.number.cmp(&b.policy.number));
    let mut numbers = Vec::with_capacity(handles.len());
    for handle in handles {
        if let Ok(snapshot) = state.registry.snapshot(&handle).await {
            numbers.push(NumberView::from(snapshot));
        }
    }
    numbers
}

/// Pause (every message answered `paused`, nothing spent) or resume a
/// number, on every replica and across restarts (audited).
#[utoipa::path(post, path = "/v1/numbers/{number}/{action}", tag = "numbers",
    params(("number" = String, Path, description = "The number, E.164"),
           ("action" = String, Path, description = "`pause` or `resume`")),
    responses((status = 200, body = PausedResponse), (status = 401, body = ApiError),
              (status = 404, body = ApiError),
              (status = 409, description = "The change history is full", body = ApiError),
              (status = 503, body = ApiError)))]
pub async fn set_paused(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let caller = match authenticate(&request, &state) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let (number, action) = path.into_inner();
    let paused = match action.as_str() {
        "pause" => true,
        "resume" => false,
        _ => return not_found(),
    };
    if state.registry.route(&number).filter(|h| caller.may_see(h.tenant_id())).is_none() {
        return not_found();
    }
    match state.controls.pause(&number, paused, &caller.audit_name()).await {
        Ok(version) => HttpResponse::Ok().json(PausedResponse { number, paused, version }),
        Err(failure) => control_error(failure),
    }
}
