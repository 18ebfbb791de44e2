//! Vonage (SMS API): `GET /webhooks/vonage` (Vonage's default) and `POST`
//! (form or JSON), signed with `sig`, within five minutes of our clock.
//! Vonage takes no inline reply: every verified webhook gets `200` with an
//! empty body, and a paid reply goes through Vonage's send API (the engine
//! sends it). Parts of long SMS go to the process's [`Reassembly`](crate::reassembly::Reassembly).

use actix_web::http::header::CONTENT_TYPE;
use actix_web::HttpResponse;
use antirelou_domain::ProviderKind;
use antirelou_providers::vonage::{self, ConcatOutcome, VonageInbound, WebhookAuth};
use antirelou_providers::RejectReason;
use antirelou_settings::ProviderSettings;

use super::{read_body, Request, Webhook};
use crate::error::Rejection;
use crate::intake::Arrival;

/// `GET|POST /webhooks/vonage`: one inbound SMS, or one part of a long one.
pub struct Inbound;

impl Webhook for Inbound {
    const PROVIDER: ProviderKind = ProviderKind::Vonage;

    /// Verifies the webhook, decides the SMS (or holds its part), answers `200`.
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let Request { http, payload, state } = request;
        let body = read_body(http, payload).await?;
        let content_type = http.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let query = http.query_string().as_bytes();
        let form = vonage::parse_request(http.method().as_str(), content_type, query, &body)?;
        let handle = arrival.route(&vonage::routed_number(&form)?)?;
        let ProviderSettings::Vonage { api_key, signature_secret, signature_method, .. } = &handle.tenant.provider
        else {
            return Err(Rejection::new(RejectReason::UnknownNumber));
        };
        let secret = signature_secret.expose();
        let auth = WebhookAuth { api_key, signature_secret: secret, signature_method: *signature_method };
        let sms = match vonage::inbound(&form, &auth, state.clock.now_seconds())? {
            VonageInbound::Whole(sms) => Some(sms),
            VonageInbound::Part(part) => match state.reassembly.accept(part, &state.registry) {
                ConcatOutcome::Complete(sms) => Some(sms),
                ConcatOutcome::Pending | ConcatOutcome::Duplicate => None,
                ConcatOutcome::Dropped(why) => {
                    tracing::info!(tenant = %handle.tenant_id(), number = %handle.number(), reason = ?why,
                        "a part of a long SMS was not held");
                    None
                }
            },
        };
        if let Some(sms) = sms {
            arrival.decide(&handle, &sms).await;
        }
        Ok(HttpResponse::Ok().finish())
    }
}
