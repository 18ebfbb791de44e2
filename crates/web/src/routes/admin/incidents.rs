//! A tenant's incidents (`GET /v1/tenants/{tenant}/incidents`): each
//! shield episode of its numbers, counters only; and one incident's
//! evidence bundle (`GET /v1/tenants/{tenant}/incidents/{id}/evidence`), a
//! ZIP whose senders files are encrypted to the tenant's recipient
//! (docs/evidence.md).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_engine::evidence::{incident_bundle, BundleSource};
use antirelou_evidence::model::MAX_INCIDENTS_PER_PAGE;
use antirelou_evidence::Incident;
use antirelou_ledger::LedgerError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{error, ledger_unavailable, tenant_caller, ApiError};
use crate::state::AppState;

/// The query of `GET /v1/tenants/{tenant}/incidents`.
#[derive(Deserialize, IntoParams)]
pub struct IncidentsQuery {
    /// Incidents before this id (the previous page's `next_before`).
    before: Option<u64>,
    /// At most this many (default and maximum 100).
    limit: Option<usize>,
}

/// One incident: a shield episode of a number, counters only.
#[derive(Serialize, ToSchema)]
pub struct IncidentView {
    pub id: u64,
    pub number: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339; `null` while the shield is on.
    pub ended_at: Option<String>,
    /// Messages received.
    pub messages: u64,
    /// New senders, as each server counted them.
    pub senders: u64,
    /// Senders judged flooders.
    pub flooders: u64,
    pub replies: u64,
    /// Money spent (replies and messages received), decimal.
    pub spend: String,
    /// What answering every message would have cost, less the replies.
    pub saved: String,
    /// Encrypted senders files kept (0 without `evidence` or once deleted).
    pub sealed_files: usize,
}

/// A page of a tenant's incidents, newest first.
#[derive(Serialize, ToSchema)]
pub struct IncidentsResponse {
    pub tenant: String,
    pub incidents: Vec<IncidentView>,
    /// Pass as `before` for the next page; `null` on the last.
    pub next_before: Option<u64>,
}

pub(crate) fn incident_view(incident: &Incident, now_micros: i64) -> IncidentView {
    let time =
        |micros: i64| chrono::DateTime::from_timestamp_micros(micros).map(|t| t.to_rfc3339()).unwrap_or_default();
    let c = &incident.counts;
    IncidentView {
        id: incident.id,
        number: incident.number.clone(),
        started_at: time(incident.started_micros),
        ended_at: incident.ended_micros(now_micros).map(time),
        messages: c.messages,
        senders: c.new_senders,
        flooders: c.flooders,
        replies: c.replies,
        spend: c.spend().to_string(),
        saved: c.saved().to_string(),
        sealed_files: incident.sealed_parts,
    }
}

/// A tenant's incidents, newest first: the JSON API and the console read them here.
pub(crate) async fn tenant_incidents(
    state: &AppState,
    tenant: &str,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<Incident>, LedgerError> {
    state.registry.ledger().incidents(tenant, before, limit, state.clock.now_micros()).await
}

/// The evidence bundle of one of `tenant`'s incidents (`None`: no such incident).
pub(crate) async fn tenant_bundle(state: &AppState, tenant: &str, id: u64) -> Result<Option<Vec<u8>>, LedgerError> {
    let source = BundleSource {
        ledger: &**state.registry.ledger(),
        signer: state.evidence_signer.as_ref(),
        timezone: state.timezone,
        now_micros: state.clock.now_micros(),
    };
    incident_bundle(&source, tenant, id, |number| {
        state.registry.route(number).filter(|h| *h.tenant_id().as_ref() == *tenant).map(|h| h.policy.clone())
    })
    .await
}

/// The tenant's incidents (shield episodes of its numbers), newest first,
/// 100 a page at most.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/incidents", tag = "evidence",
    params(("tenant" = String, Path, description = "The tenant's id"), IncidentsQuery),
    responses((status = 200, body = IncidentsResponse), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 503, body = ApiError)))]
pub async fn list(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<IncidentsQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let tenant = path.into_inner();
    if let Err(answer) = tenant_caller(&request, &state, &tenant) {
        return answer;
    }
    let limit = query.limit.unwrap_or(MAX_INCIDENTS_PER_PAGE).clamp(1, MAX_INCIDENTS_PER_PAGE);
    let Ok(incidents) = tenant_incidents(&state, &tenant, query.before, limit).await else {
        return ledger_unavailable();
    };
    let now = state.clock.now_micros();
    let next_before = (incidents.len() == limit).then(|| incidents.last().map(|i| i.id)).flatten();
    HttpResponse::Ok().json(IncidentsResponse {
        tenant,
        incidents: incidents.iter().map(|i| incident_view(i, now)).collect(),
        next_before,
    })
}

/// The incident's evidence bundle: a ZIP of `report.html` (French),
/// `timeline.csv`, `senders.csv.age` (encrypted to the tenant's
/// `evidence.recipient`; absent when nothing was kept), `manifest.json`
/// and `manifest.json.sig` (Ed25519, `privacy.evidence_signing_key`).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/incidents/{id}/evidence", tag = "evidence",
    params(("tenant" = String, Path, description = "The tenant's id"),
           ("id" = u64, Path, description = "The incident's id")),
    responses((status = 200, description = "The ZIP", content_type = "application/zip", body = Vec<u8>),
              (status = 401, body = ApiError), (status = 404, body = ApiError), (status = 503, body = ApiError)))]
pub async fn evidence(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (tenant, id) = path.into_inner();
    if let Err(answer) = tenant_caller(&request, &state, &tenant) {
        return answer;
    }
    let Ok(id) = id.parse::<u64>() else {
        return error(StatusCode::NOT_FOUND, "no such incident");
    };
    match tenant_bundle(&state, &tenant, id).await {
        Ok(Some(zip)) => zip_response(&tenant, id, zip),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such incident"),
        Err(cause) => {
            tracing::error!(error = %cause, "evidence bundle failed");
            ledger_unavailable()
        }
    }
}

/// A bundle as a download.
pub(crate) fn zip_response(tenant: &str, id: u64, zip: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"antirelou-{tenant}-incident-{id}.zip\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(zip)
}
