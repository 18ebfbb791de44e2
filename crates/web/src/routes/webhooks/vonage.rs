//! Vonage (SMS API): `GET /webhooks/vonage` (Vonage's default) and `POST`
//! (form or JSON), signed with `sig`, within five minutes of our clock.
//! Vonage takes no inline reply: every verified webhook gets `200` with an
//! empty body, and a paid reply goes through Vonage's send API (the engine
//! sends it). Parts of long SMS go to the process's [`Reassembly`](crate::reassembly::Reassembly).

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::ProviderKind;
use antirelou_engine::NumberHandle;
use antirelou_providers::vonage::{self, ConcatOutcome, VonageInbound, WebhookAuth};
use antirelou_providers::RejectReason;
use antirelou_settings::ProviderSettings;

use super::{count_rejection, decide, read_body, route};
use crate::error::Rejection;
use crate::startup::AppState;

/// Verifies one webhook, decides the SMS (or holds its part), answers `200`.
pub async fn inbound(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    let mut routed = None;
    let result = verify_and_decide(&request, payload, &state, &mut routed).await;
    result.map_err(|rejection| count_rejection(&state.registry, ProviderKind::Vonage, routed.as_deref(), rejection))
}

async fn verify_and_decide(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    routed: &mut Option<Arc<NumberHandle>>,
) -> Result<HttpResponse, Rejection> {
    let body = read_body(request, payload).await?;
    let content_type = request.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let form =
        vonage::parse_request(request.method().as_str(), content_type, request.query_string().as_bytes(), &body)?;
    let to = vonage::routed_number(&form)?;
    let handle = route(state, &to, ProviderKind::Vonage)?;
    *routed = Some(Arc::clone(&handle));
    let ProviderSettings::Vonage { api_key, signature_secret, signature_method, .. } = &handle.tenant.provider else {
        return Err(Rejection::new(RejectReason::UnknownNumber));
    };
    let auth =
        WebhookAuth { api_key, signature_secret: signature_secret.expose(), signature_method: *signature_method };
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
        decide(&state.registry, &handle, &sms).await;
    }
    Ok(HttpResponse::Ok().finish())
}
