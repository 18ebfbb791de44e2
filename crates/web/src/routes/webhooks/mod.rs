//! The provider webhooks, one file per provider. A webhook is a
//! [`Webhook`]: only what is its provider's own, [`Webhook::answer`] — read
//! the request (a bounded body: 413; 408 past the request deadline), parse
//! it (400), verify it with the secrets of the tenant it was routed to
//! (403, 400), and answer `200` in the provider's format whatever the
//! outcome. Every route is [`receive`], which runs that answer inside the
//! [`Intake`](crate::intake::Intake): routing (a number is found among the
//! tenants **of that provider kind**; 404 for a number of another kind),
//! deciding, and counting a refusal once in
//! `antirelou_webhook_rejected_total{provider,reason,tenant,number}`.
//!
//! - `twilio.rs`: `POST /webhooks/twilio` (TwiML) and `POST /webhooks/twilio/status`.
//! - `vonage.rs`: `GET|POST /webhooks/vonage` (no inline reply; long SMS reassembled).
//! - `plivo.rs`: `POST /webhooks/plivo` (Plivo XML).
//! - `vonage_voice.rs`: `GET|POST /webhooks/vonage/answer` (an NCCO) and
//!   `POST /webhooks/vonage/event`: calls, JWT-signed.
//! - `plivo_voice.rs`: `POST /webhooks/plivo/voice` (Plivo XML) and
//!   `POST /webhooks/plivo/voice/hangup`: calls.
//! - `donations.rs`: `POST /webhooks/helloasso/{tenant}` and
//!   `POST /webhooks/opencollective/{tenant}`: donation notifications, read
//!   back from the platform; they name a tenant, not a number, and never
//!   reach the engine, so they are not [`Webhook`]s.
//! - this file: [`Webhook`], [`receive`], and what webhooks read alike
//!   (body, form, headers, the signed URL).

pub mod donations;
pub mod plivo;
pub mod plivo_voice;
pub mod twilio;
pub mod vonage;
pub mod vonage_voice;

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::ProviderKind;
use antirelou_providers::{RejectReason, WebhookForm};

use crate::error::Rejection;
use crate::intake::Arrival;
use crate::state::AppState;

/// A provider's webhook: its own part of receiving one request.
pub trait Webhook {
    /// The provider whose tenants the request is routed among.
    const PROVIDER: ProviderKind;

    /// Reads, parses and verifies `request`, routes and decides through
    /// `arrival`, and answers in the provider's format.
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection>;
}

/// One webhook request, as a [`Webhook::answer`] reads it.
pub struct Request<'a> {
    pub http: &'a HttpRequest,
    pub payload: web::Payload,
    pub state: &'a AppState,
}

/// The header of a verified webhook's answer that says what was decided:
/// the outcome label (`antirelou_inbound_total`'s, or
/// `antirelou_calls_total`'s for a call). Only a request whose signature
/// held gets it (a provider ignores it); `antirelou send` reads it, so the
/// decision it prints is the one of the replica that answered.
pub const DECISION_HEADER: &str = "X-Antirelou-Decision";

/// The route of webhook `W`: its answer, run inside the intake, with the
/// decision in [`DECISION_HEADER`] when there was one.
pub async fn receive<W: Webhook>(
    http: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    let request = Request { http: &http, payload, state: &state };
    state
        .intake
        .receive(W::PROVIDER, async move |arrival: &mut Arrival<'_>| {
            let mut response = W::answer(request, arrival).await?;
            if let Some(label) = arrival.decided() {
                response.headers_mut().insert(
                    actix_web::http::header::HeaderName::from_static("x-antirelou-decision"),
                    actix_web::http::header::HeaderValue::from_static(label),
                );
            }
            Ok(response)
        })
        .await
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

/// Reads a form-encoded webhook body (Twilio, Plivo): `malformed` when it is not one.
pub async fn read_form(request: &HttpRequest, payload: web::Payload) -> Result<WebhookForm, Rejection> {
    let body = read_body(request, payload).await?;
    WebhookForm::parse(&body).map_err(|_| Rejection::new(RejectReason::Malformed))
}
