//! Vonage Voice API: `GET|POST /webhooks/vonage/answer`, an incoming call
//! (the application's answer URL), answered with an NCCO; and `POST
//! /webhooks/vonage/event`, the call's events (the application's event
//! URL). Both are signed with a JWT under the tenant's `signature_secret`
//! (`Authorization: Bearer …`), and routed by `to`, our number.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::HttpResponse;
use antirelou_domain::ProviderKind;
use antirelou_engine::metrics::settlements::SettlementResult;
use antirelou_engine::NumberHandle;
use antirelou_providers::vonage::{self, VoiceAuth, NCCO_CONTENT_TYPE};
use antirelou_providers::RejectReason;
use antirelou_settings::ProviderSettings;

use super::{header, read_body, Request, Webhook};
use crate::error::Rejection;
use crate::intake::Arrival;
use crate::settlement::settle_call;

/// `GET|POST /webhooks/vonage/answer`: one incoming call.
pub struct Answer;

impl Webhook for Answer {
    const PROVIDER: ProviderKind = ProviderKind::Vonage;

    /// Reads, verifies, decides like an SMS and answers `200` with an NCCO:
    /// a `talk` of the number's `voice.say` in its language when the call is
    /// paid for (or was, for a retry); otherwise an empty NCCO, which ends
    /// the call at once.
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let Request { http, payload, state } = request;
        let body = read_body(http, payload).await?;
        let content_type = http.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let query = http.query_string().as_bytes();
        let signed = vonage::read_answer(http.method().as_str(), content_type, query, &body)?;
        let handle = arrival.route(&signed.value.to)?;
        let auth = voice_auth(&handle)?;
        vonage::verify_request(header(http, "Authorization"), &signed.payload, &auth, state.clock.now_seconds())?;
        let ncco = match (arrival.decide_call(&handle, &signed.value).await.reply, &handle.policy.voice) {
            (Some(text), Some(voice)) => vonage::ncco_talk(&text, &voice.language),
            _ => vonage::ncco_refuse(),
        };
        Ok(HttpResponse::Ok().content_type(NCCO_CONTENT_TYPE).body(ncco))
    }
}

/// `POST /webhooks/vonage/event`: one event of a call.
pub struct Event;

impl Webhook for Event {
    const PROVIDER: ProviderKind = ProviderKind::Vonage;

    /// Reads and verifies the event, counts its status in
    /// `antirelou_call_events_total{provider,tenant,status}`, settles a
    /// `completed` call at its `duration` ([`settle_call`]: once per call
    /// id, whatever is replayed), and answers `200`; `503` only when the
    /// ledger could not be reached (Vonage retries, the reservation stays spent).
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let Request { http, payload, state } = request;
        let body = read_body(http, payload).await?;
        let content_type = http.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let signed = vonage::read_event(content_type, &body)?;
        let handle = arrival.route(&signed.value.to)?;
        let auth = voice_auth(&handle)?;
        vonage::verify_request(header(http, "Authorization"), &signed.payload, &auth, state.clock.now_seconds())?;
        let event = signed.value;
        let labels = [ProviderKind::Vonage.as_str(), handle.tenant_id(), event.status];
        state.registry.metrics().call_events.with_label_values(&labels).inc();
        if event.duration_seconds.is_some()
            && settle_call(state, &handle, &event.uuid, event.duration_seconds).await
                == SettlementResult::LedgerUnavailable
        {
            return Ok(HttpResponse::ServiceUnavailable().finish());
        }
        Ok(HttpResponse::Ok().finish())
    }
}

/// The tenant's API key and signature secret (the handle was routed as Vonage).
fn voice_auth(handle: &NumberHandle) -> Result<VoiceAuth<'_>, Rejection> {
    match &handle.tenant.provider {
        ProviderSettings::Vonage { api_key, signature_secret, .. } => {
            Ok(VoiceAuth { api_key, signature_secret: signature_secret.expose() })
        }
        _ => Err(Rejection::new(RejectReason::UnknownNumber)),
    }
}
