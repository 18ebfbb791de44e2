//! `POST /v1/numbers/{number}/check`: the connection test. The number's
//! provider is asked, at no messaging cost (an account or balance read),
//! whether our credentials work; the answer says so in plain words, in the
//! request's language, with what to do when it fails. Refused credentials
//! make the number `failing` (`credentials_refused`); a success ends that.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_engine::health::check_text;
use serde::Serialize;
use utoipa::ToSchema;

use super::health::api_language;
use super::{authenticate, not_found, ApiError};
use crate::state::AppState;

/// What the provider said of our credentials.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// `true`: the provider accepted our credentials.
    pub ok: bool,
    /// What happened and, when not ok, what to do, in the request's
    /// language (`Accept-Language`: French or English).
    pub text: String,
}

/// Tests the connection to the number's provider (an account read, no message sent).
#[utoipa::path(post, path = "/v1/numbers/{number}/check", tag = "numbers",
    params(("number" = String, Path, description = "The number, E.164")),
    responses((status = 200, body = CheckResult), (status = 401, body = ApiError), (status = 404, body = ApiError)))]
pub async fn check(request: HttpRequest, path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let caller = match authenticate(&request, &state) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let Some(handle) = state.registry.route(&path.into_inner()).filter(|h| caller.may_see(h.tenant_id())) else {
        return not_found();
    };
    HttpResponse::Ok().json(check_number(&state, &handle, api_language(&request)).await)
}

/// Runs the connection test of `handle`'s number; its answer in words of `lang`.
pub async fn check_number(state: &AppState, handle: &antirelou_engine::NumberHandle, lang: &str) -> CheckResult {
    let health = state.registry.health();
    let result = health.check_connection(handle).await;
    CheckResult { ok: result.is_ok(), text: check_text(&result, &health.words(handle), lang) }
}
