//! The OpenAPI 3.1 document of the admin API, generated from the handlers'
//! `#[utoipa::path]` annotations and their types' `ToSchema`. A handler
//! not listed in [`ApiDoc`] is missing from the document (a test compares
//! the document's paths with the routes).

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{numbers, reload, reports, tenants, ApiError};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "antirelou admin API",
        description = "Run anti-relou numbers: state, pause, money. A tenant's token sees only its own tenant; the operator token sees every tenant."
    ),
    paths(numbers::list_numbers, numbers::set_paused, tenants::top_up, tenants::entries, reports::alerts, reports::stats, reload::reload),
    components(schemas(ApiError, numbers::NumbersResponse, numbers::PausedResponse, tenants::TopUp, tenants::TopUpResponse,
        crate::reload::ReloadReport, crate::reload::ReloadRefused, crate::reload::ProblemView, reports::AlertsResponse, reports::StatsResponse, reports::DayStats)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "numbers", description = "A number's state and controls"), (name = "money", description = "Balance, top-ups and ledger entries"),
        (name = "operator", description = "The deployment: configuration reload (operator token)"))
)]
pub struct ApiDoc;

/// Declares the bearer token scheme every path uses.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /v1/openapi.json` (public: it describes, it reveals nothing).
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
