//! `POST /v1/reload` (operator token only): re-read, validate and apply the
//! configuration file; see `crate::reload`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{authenticate, error, ApiError, Caller};
use crate::reload::{ReloadRefused, ReloadReport};
use crate::state::AppState;

/// Reload the configuration file. A tenant's token is refused (403): the
/// file is the deployment's. An invalid file is refused (400) with the
/// report `check-config` prints; the running configuration stays.
#[utoipa::path(post, path = "/v1/reload", tag = "operator",
    responses((status = 200, body = ReloadReport, description = "Applied"),
              (status = 400, body = ReloadRefused, description = "Invalid file: nothing changed"),
              (status = 401, body = ApiError), (status = 403, body = ApiError),
              (status = 503, body = ApiError, description = "Started without a configuration file")))]
pub async fn reload(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match authenticate(&request, &state) {
        Err(answer) => return answer,
        Ok(Caller::Tenant(_)) => return error(StatusCode::FORBIDDEN, "reloading needs the operator token"),
        Ok(Caller::Operator) => {}
    }
    let Some(reloader) = &state.reloader else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "this process has no configuration file to reload");
    };
    match reloader.reload().await {
        Ok(report) => HttpResponse::Ok().json(report),
        Err(refused) => HttpResponse::BadRequest().json(refused),
    }
}
