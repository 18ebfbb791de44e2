//! The OpenAPI 3.1 document of the admin API, generated from the handlers'
//! `#[utoipa::path]` annotations and their types' `ToSchema`. A handler
//! not listed in [`ApiDoc`] is missing from the document (a test compares
//! the document's paths with the routes).

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{audit, blocklist, check, health, inbound, incidents, number, numbers, reload, reports, tenants, ApiError};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "antirelou admin API",
        description = "Run anti-relou numbers: state, pause, runtime overrides, blocklists, audit, money. A tenant's token sees only its own tenant; the operator token sees every tenant."
    ),
    paths(
        numbers::list_numbers,
        numbers::set_paused,
        inbound::inject,
        number::show,
        number::patch,
        number::clear_overrides,
        check::check,
        blocklist::list,
        blocklist::add,
        blocklist::remove,
        audit::page,
        tenants::top_up,
        tenants::entries,
        reports::alerts,
        reports::stats,
        incidents::list,
        incidents::evidence,
        reload::reload
    ),
    components(schemas(
        ApiError,
        numbers::NumbersResponse,
        numbers::PausedResponse,
        inbound::InboundRequest,
        inbound::InboundDecision,
        number::NumberDetail,
        number::VoiceView,
        number::ReplyView,
        number::CapView,
        number::PatchResponse,
        number::Ucs2Character,
        number::PatchProblems,
        number::PatchProblem,
        number::ClearedResponse,
        health::HealthView,
        health::ReasonView,
        check::CheckResult,
        blocklist::BlockRequest,
        blocklist::BlockedView,
        blocklist::BlocklistResponse,
        audit::AuditView,
        audit::AuditResponse,
        tenants::TopUp,
        tenants::TopUpResponse,
        reports::AlertsResponse,
        reports::StatsResponse,
        reports::DayStats,
        incidents::IncidentsResponse,
        incidents::IncidentView,
        crate::reload::ReloadReport,
        crate::reload::ReloadRefused,
        crate::reload::ProblemView
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "numbers", description = "A number's state and controls"), (name = "controls", description = "Blocklists and the audit of runtime changes"), (name = "money", description = "Balance, top-ups, ledger entries, budget alerts and stats"), (name = "evidence", description = "Incidents (attacks) and their evidence bundles for a complaint"),
        (name = "operator", description = "The deployment: configuration reload (operator token)"))
)]
pub struct ApiDoc;

/// Declares the bearer token scheme every path uses, and the `429` of
/// every path that checks a token (too many wrong tokens: the token guard).
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let limited = utoipa::openapi::ResponseBuilder::new()
            .description("Too many wrong tokens from this address or like this one: not checked (`Retry-After`)")
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("ApiError")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete] {
                let Some(operation) = operation else { continue };
                if operation.responses.responses.contains_key("401") {
                    operation.responses.responses.insert("429".to_owned(), limited.clone().into());
                }
            }
        }
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

/// The OpenAPI document as pretty JSON (`antirelou openapi`).
pub fn document_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

/// The endpoint table of docs/admin-api.md, generated from the document
/// (`antirelou openapi --markdown`); a test keeps the doc equal to it.
pub fn endpoint_table() -> String {
    let doc = ApiDoc::openapi();
    let mut rows = Vec::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let tag = operation.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
            let summary = operation.summary.clone().unwrap_or_default().replace('|', "\\|").replace('\n', " ");
            let statuses: Vec<&str> = operation.responses.responses.keys().map(String::as_str).collect();
            rows.push(format!("| `{method}` | `{path}` | {tag} | {summary} | {} |", statuses.join(", ")));
        }
    }
    let mut table = String::from("| method | path | tag | what | statuses |\n|---|---|---|---|---|\n");
    for row in rows {
        table.push_str(&row);
        table.push('\n');
    }
    table
}
