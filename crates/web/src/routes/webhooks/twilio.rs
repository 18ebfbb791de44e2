//! Twilio: `POST /webhooks/twilio`, one URL for every Twilio number, read
//! strictly (`twilio::inbound`) and answered with TwiML; `POST
//! /webhooks/twilio/status`, the delivery status of replies sent through
//! the Messages API; `POST /webhooks/twilio/voice`, an incoming call,
//! answered with `<Say>` and `<Hangup/>` or rejected as busy; and `POST
//! /webhooks/twilio/voice/status`, the call's end: how long it lasted,
//! which settles its cost.

use std::sync::Arc;

use actix_web::HttpResponse;
use antirelou_domain::ProviderKind;
use antirelou_engine::NumberHandle;
use antirelou_providers::twilio::{self, StatusCallback, WebhookAuth};
use antirelou_providers::{InboundError, RejectReason, WebhookForm};
use antirelou_settings::ProviderSettings;

use super::{header, read_form, signed_url, Request, Webhook};
use crate::error::Rejection;
use crate::intake::Arrival;
use crate::settlement::settle_call;
use antirelou_engine::metrics::settlements::SettlementResult;

/// `POST /webhooks/twilio`: one inbound SMS.
pub struct Inbound;

impl Webhook for Inbound {
    const PROVIDER: ProviderKind = ProviderKind::Twilio;

    /// Verifies, decides and answers. Every verified webhook gets a fast
    /// `200` with TwiML, whatever the outcome, so Twilio never retries.
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let (handle, sms) = read_verified(request, arrival, twilio::inbound).await?;
        let twiml = match arrival.decide(&handle, &sms).await.reply {
            Some(text) => twilio::twiml_message(&text),
            None => twilio::twiml_empty(),
        };
        Ok(HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(twiml))
    }
}

/// `POST /webhooks/twilio/voice`: one incoming call, for every Twilio number
/// (the number's "A call comes in" URL).
pub struct Voice;

impl Webhook for Voice {
    const PROVIDER: ProviderKind = ProviderKind::Twilio;

    /// Verifies (signed like an SMS webhook), decides like an SMS and
    /// answers `200` with TwiML: the number's `voice.say` in its language
    /// then `<Hangup/>` when the call is paid for (or was, for a retry);
    /// otherwise `<Reject reason="busy"/>`, which Twilio does not bill.
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let (handle, call) = read_verified(request, arrival, twilio::inbound_call).await?;
        let decision = arrival.decide_call(&handle, &call).await;
        let twiml = match (decision.reply, &handle.policy.voice) {
            (Some(text), Some(voice)) => twilio::twiml_say(&text, &voice.language),
            _ => twilio::twiml_reject(),
        };
        Ok(HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(twiml))
    }
}

/// `POST /webhooks/twilio/voice/status`: a call's status callback (the
/// number's "Call status changes" URL), routed by `To` (our number).
pub struct VoiceStatus;

impl Webhook for VoiceStatus {
    const PROVIDER: ProviderKind = ProviderKind::Twilio;

    /// Verifies (signed like every Twilio webhook, the number's account),
    /// then settles the call at its `CallDuration` (0 when it ended busy,
    /// unanswered, failed or canceled): `200` whatever the ledger says of
    /// it (settled, already settled, unknown), so Twilio does not retry;
    /// `503` only when the ledger could not be reached (the reservation
    /// stays spent).
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let state = request.state;
        let (handle, callback) = read_verified(request, arrival, twilio::call_status).await?;
        match settle_call(state, &handle, &callback.call_id, callback.end.seconds()).await {
            SettlementResult::LedgerUnavailable => Ok(HttpResponse::ServiceUnavailable().finish()),
            _ => Ok(HttpResponse::Ok().finish()),
        }
    }
}

/// `POST /webhooks/twilio/status`: the delivery status of a reply sent
/// through the Messages API.
pub struct Status;

impl Webhook for Status {
    const PROVIDER: ProviderKind = ProviderKind::Twilio;

    /// Verifies the callback and counts its status in
    /// `antirelou_delivery_status_total{provider,tenant,status}`. Nothing
    /// else is recorded: not the recipient, not the message.
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let Request { http, payload, state } = request;
        let malformed = |field| Rejection::from(InboundError::Malformed(field));
        let form = read_form(http, payload).await?;
        // The reply left from our number: `From` routes the callback.
        let from = form.get("From").filter(|from| antirelou_providers::is_e164(from)).ok_or(malformed("From"))?;
        let handle = arrival.route(from)?;
        let (account_sid, auth_token) = account(&handle)?;
        let url = signed_url(&state.public_url, http);
        twilio::verify_signature(auth_token, &url, form.pairs(), header(http, twilio::SIGNATURE_HEADER))
            .map_err(|_| Rejection::new(RejectReason::BadSignature))?;
        let callback = StatusCallback::from_pairs(form.pairs()).map_err(|error| match error {
            twilio::StatusCallbackError::Missing(field) => malformed(field),
            twilio::StatusCallbackError::UnknownStatus(_) => malformed("MessageStatus"),
            twilio::StatusCallbackError::BadErrorCode => malformed("ErrorCode"),
        })?;
        if callback.account_sid != account_sid {
            return Err(Rejection::new(RejectReason::AccountMismatch));
        }
        let labels = [ProviderKind::Twilio.as_str(), handle.tenant_id(), callback.status.as_str()];
        state.registry.metrics().delivery_status.with_label_values(&labels).inc();
        if callback.status.is_failure() {
            tracing::info!(tenant = %handle.tenant_id(), number = %handle.number(),
                status = callback.status.as_str(), error_code = ?callback.error_code, "a reply was not delivered");
        }
        Ok(HttpResponse::Ok().finish())
    }
}

/// How [`twilio::inbound`], [`twilio::inbound_call`] and
/// [`twilio::call_status`] read a verified request.
type Read<T> = fn(&WebhookForm, &str, &str, &WebhookAuth<'_>) -> Result<T, InboundError>;

/// Reads a request to one of our Twilio numbers (routed by `To`) and
/// verifies its signature and account with `read`: the number and what the
/// request says.
async fn read_verified<T>(
    request: Request<'_>,
    arrival: &mut Arrival<'_>,
    read: Read<T>,
) -> Result<(Arc<NumberHandle>, T), Rejection> {
    let Request { http, payload, state } = request;
    let form = read_form(http, payload).await?;
    let handle = arrival.route(twilio::routed_number(&form)?)?;
    let (account_sid, auth_token) = account(&handle)?;
    let auth = WebhookAuth { account_sid, auth_token };
    let url = signed_url(&state.public_url, http);
    let read = read(&form, &url, header(http, twilio::SIGNATURE_HEADER), &auth)?;
    Ok((handle, read))
}

/// The tenant's account SID and auth token (the handle was routed as Twilio).
fn account(handle: &NumberHandle) -> Result<(&str, &str), Rejection> {
    match &handle.tenant.provider {
        ProviderSettings::Twilio { account_sid, auth_token, .. } => Ok((account_sid, auth_token.expose())),
        _ => Err(Rejection::new(RejectReason::UnknownNumber)),
    }
}
