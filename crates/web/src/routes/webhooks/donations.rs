//! The donation platforms' notifications, one route per platform and
//! tenant: `POST /webhooks/helloasso/{tenant}` and
//! `POST /webhooks/opencollective/{tenant}`.
//!
//! Neither platform signs what it sends, so a notification is only a hint:
//! the tenant's [`DonationAccount`](antirelou_donations::DonationAccount)
//! reads each payment it names back from the platform with the tenant's own
//! credentials and credits (or refunds) once what the platform confirms.
//! The answer:
//!
//! - `404`: no tenant of ours takes this platform's donations under that id
//!   (the body is not read);
//! - `413` / `408`: a body over 64 KiB, or late (as every webhook);
//! - `400`: not a notification the platform sends (counted `malformed`);
//! - `503`: a payment could not be decided now (the platform's API or the
//!   ledger did not answer, the tenant's read-backs are over their limit,
//!   its credentials are refused): the platform sends it again later;
//! - `200`, empty, for everything else: credited, refunded, a replay, and
//!   every payment the platform does not confirm (another organisation, an
//!   unknown id, not paid): the platform must not retry those forever, and
//!   the answer says nothing of which it was.
//!
//! Each payment is counted once in `antirelou_donations_total`.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::DonationSource;

use crate::error::Rejection;
use crate::routes::webhooks::read_body;
use crate::state::AppState;

/// `POST /webhooks/helloasso/{tenant}`.
pub async fn helloasso(
    http: HttpRequest,
    payload: web::Payload,
    tenant: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    receive(DonationSource::HelloAsso, &http, payload, &tenant, &state).await
}

/// `POST /webhooks/opencollective/{tenant}`.
pub async fn opencollective(
    http: HttpRequest,
    payload: web::Payload,
    tenant: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    receive(DonationSource::OpenCollective, &http, payload, &tenant, &state).await
}

async fn receive(
    source: DonationSource,
    http: &HttpRequest,
    payload: web::Payload,
    tenant: &str,
    state: &AppState,
) -> Result<HttpResponse, Rejection> {
    let Some(account) = state.donations.account(tenant, source) else {
        tracing::info!(%source, "donation notification for no account of ours");
        return Ok(HttpResponse::NotFound().finish());
    };
    let body = read_body(http, payload).await?;
    let received = account.receive(&body, state.registry.ledger().as_ref()).await;
    state.donations.count(&account, &received);
    Ok(if received.malformed() {
        HttpResponse::BadRequest().finish()
    } else if received.retry_later() {
        HttpResponse::ServiceUnavailable().insert_header(("Retry-After", "60")).finish()
    } else {
        HttpResponse::Ok().finish()
    })
}
