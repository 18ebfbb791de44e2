//! The provider webhooks, one file per provider. Every route does the same
//! things in the same order: read a bounded body (413; 408 past the
//! request deadline), read the
//! parameters (400), find the number among the tenants **of that provider
//! kind** (404: a number of another kind is unknown here), verify with that
//! tenant's secrets (403, 400), decide, then answer `200` in the provider's
//! format whatever the outcome. A refusal is counted once, here, in
//! `antirelou_webhook_rejected_total{provider,reason,tenant,number}`.
//!
//! - `twilio.rs`: `POST /webhooks/twilio` (TwiML) and `POST /webhooks/twilio/status`.
//! - `vonage.rs`: `GET|POST /webhooks/vonage` (no inline reply; long SMS reassembled).
//! - `plivo.rs`: `POST /webhooks/plivo` (Plivo XML).

pub mod plivo;
pub mod twilio;
pub mod vonage;

use std::sync::Arc;
use std::time::Instant;

use actix_web::{web, HttpRequest};
use antirelou_domain::ProviderKind;
use antirelou_engine::{Decision, NumberHandle, NumberRegistry};
use antirelou_providers::{InboundSms, RejectReason};

use crate::error::Rejection;
use crate::startup::AppState;

/// Counts and logs a refused webhook of `provider`; `routed` is the number
/// it was for, when it was one of ours (its tenant and number become labels).
pub fn count_rejection(
    registry: &NumberRegistry,
    provider: ProviderKind,
    routed: Option<&NumberHandle>,
    rejection: Rejection,
) -> Rejection {
    let (tenant, number) = routed.map_or(("", ""), |h| (&**h.tenant_id(), &**h.number()));
    registry.metrics().count_rejected(provider, rejection.reason, routed.map(|h| &*h.metrics.series));
    let reason = rejection.reason.as_str();
    tracing::info!(provider = provider.as_str(), reason, tenant, number, "webhook rejected");
    rejection
}

/// The handle of `number` when a tenant of provider `kind` serves it.
pub fn route(state: &AppState, number: &str, kind: ProviderKind) -> Result<Arc<NumberHandle>, Rejection> {
    state
        .registry
        .route(number)
        .filter(|handle| handle.tenant.provider.kind() == kind)
        .ok_or(Rejection::new(RejectReason::UnknownNumber))
}

/// Decides one verified SMS and records how long the decision took.
pub async fn decide(registry: &NumberRegistry, handle: &NumberHandle, sms: &InboundSms) -> Decision {
    let started = Instant::now();
    let decision = registry.decide(handle, &sms.message_id, &sms.from, &sms.body).await;
    registry.metrics().observe_decision(decision.outcome, started.elapsed().as_secs_f64());
    tracing::debug!(provider = sms.provider.as_str(), tenant = %handle.tenant_id(),
        number = %handle.number(), outcome = %decision.outcome, "decision");
    decision
}

/// The URL the provider signed: the public base URL plus the path and
/// query we received.
pub fn signed_url(public_url: &str, request: &HttpRequest) -> String {
    let path_and_query = request.uri().path_and_query().map_or(request.path(), |pq| pq.as_str());
    format!("{public_url}{path_and_query}")
}

/// A request header as text ("" when absent or not text).
pub fn header<'r>(request: &'r HttpRequest, name: &str) -> &'r str {
    request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Reads a webhook body (at most 64 KiB, within the request deadline):
/// `body::read_body`, its errors as rejections.
pub async fn read_body(request: &HttpRequest, payload: web::Payload) -> Result<web::BytesMut, Rejection> {
    Ok(crate::body::read_body(request, payload).await?)
}
