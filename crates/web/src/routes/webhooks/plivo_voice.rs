//! Plivo Voice: `POST /webhooks/plivo/voice`, an incoming call (the
//! application's answer URL), answered with Plivo XML; and `POST
//! /webhooks/plivo/voice/hangup`, its hangup callback (the application's
//! hangup URL). Both are signed with `X-Plivo-Signature-V3` like message
//! webhooks, and routed by `To`, our number.

use actix_web::HttpResponse;
use antirelou_domain::ProviderKind;
use antirelou_engine::metrics::settlements::SettlementResult;
use antirelou_engine::NumberHandle;
use antirelou_providers::plivo::{self, reply::CONTENT_TYPE, WebhookAuth};
use antirelou_providers::{RejectReason, WebhookForm};
use antirelou_settings::ProviderSettings;

use super::{header, read_form, signed_url, Request, Webhook};
use crate::error::Rejection;
use crate::intake::Arrival;
use crate::settlement::settle_call;

/// `POST /webhooks/plivo/voice`: one incoming call.
pub struct Voice;

impl Webhook for Voice {
    const PROVIDER: ProviderKind = ProviderKind::Plivo;

    /// Verifies, decides like an SMS and answers `200` with Plivo XML: the
    /// number's `voice.say` in a `<Speak>` in its language, then
    /// `<Hangup/>`, when the call is paid for (or was, for a retry);
    /// otherwise `<Hangup reason="busy"/>`, which ends it unanswered.
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let (handle, call) = read_verified(request, arrival, plivo::voice::inbound_call).await?;
        let xml = match (arrival.decide_call(&handle, &call).await.reply, &handle.policy.voice) {
            (Some(text), Some(voice)) => plivo::voice::xml_speak(&text, &voice.language),
            _ => plivo::voice::xml_refuse(),
        };
        Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(xml))
    }
}

/// `POST /webhooks/plivo/voice/hangup`: a call ended.
pub struct Hangup;

impl Webhook for Hangup {
    const PROVIDER: ProviderKind = ProviderKind::Plivo;

    /// Verifies the callback, counts its `CallStatus` in
    /// `antirelou_call_events_total{provider,tenant,status}`, settles the
    /// call at its `BillDuration` ([`settle_call`]: once per call id,
    /// whatever is replayed), and answers `200`; `503` only when the ledger
    /// could not be reached (the reservation stays spent).
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let state = request.state;
        let (handle, hangup) = read_verified(request, arrival, plivo::voice::hangup_callback).await?;
        let labels = [ProviderKind::Plivo.as_str(), handle.tenant_id(), hangup.status];
        state.registry.metrics().call_events.with_label_values(&labels).inc();
        match settle_call(state, &handle, &hangup.call_uuid, Some(hangup.bill_duration_seconds)).await {
            SettlementResult::LedgerUnavailable => Ok(HttpResponse::ServiceUnavailable().finish()),
            _ => Ok(HttpResponse::Ok().finish()),
        }
    }
}

/// How a verified Plivo voice request is read.
type Read<T> = fn(&WebhookForm, &str, &str, &str, &WebhookAuth<'_>) -> Result<T, antirelou_providers::InboundError>;

/// Reads a request to one of our Plivo numbers (routed by `To`) and
/// verifies its signature with `read`: the number and what the request says.
async fn read_verified<T>(
    request: Request<'_>,
    arrival: &mut Arrival<'_>,
    read: Read<T>,
) -> Result<(std::sync::Arc<NumberHandle>, T), Rejection> {
    let Request { http, payload, state } = request;
    let form = read_form(http, payload).await?;
    let handle = arrival.route(&plivo::routed_number(&form)?)?;
    let ProviderSettings::Plivo { auth_token, .. } = &handle.tenant.provider else {
        return Err(Rejection::new(RejectReason::UnknownNumber));
    };
    let auth = WebhookAuth { auth_token: auth_token.expose() };
    let url = signed_url(&state.public_url, http);
    let read = read(&form, &url, header(http, plivo::SIGNATURE_HEADER), header(http, plivo::NONCE_HEADER), &auth)?;
    Ok((handle, read))
}
