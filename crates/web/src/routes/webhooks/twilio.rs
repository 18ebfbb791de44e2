//! Twilio: `POST /webhooks/twilio`, one URL for every Twilio number, read
//! strictly (`twilio::inbound`) and answered with TwiML; and `POST
//! /webhooks/twilio/status`, the delivery status of replies sent through
//! the Messages API.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::ProviderKind;
use antirelou_engine::NumberHandle;
use antirelou_providers::twilio::{self, StatusCallback, WebhookAuth, WebhookForm};
use antirelou_providers::RejectReason;
use antirelou_settings::ProviderSettings;

use super::{count_rejection, decide, header, read_body, route, signed_url};
use crate::error::Rejection;
use crate::startup::AppState;

/// Verifies, decides and answers one inbound SMS. Every verified webhook gets
/// a fast `200` with TwiML, whatever the outcome, so Twilio never retries.
pub async fn inbound(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    let mut routed = None;
    let result = verify_and_decide(&request, payload, &state, &mut routed).await;
    result.map_err(|rejection| count_rejection(&state.registry, ProviderKind::Twilio, routed.as_deref(), rejection))
}

/// Verifies a delivery status callback and counts its status in
/// `antirelou_delivery_status_total{provider,tenant,status}`. Nothing else
/// is recorded: not the recipient, not the message.
pub async fn status(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    let mut routed = None;
    let result = verify_status(&request, payload, &state, &mut routed).await;
    result.map_err(|rejection| count_rejection(&state.registry, ProviderKind::Twilio, routed.as_deref(), rejection))
}

async fn verify_and_decide(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    routed: &mut Option<Arc<NumberHandle>>,
) -> Result<HttpResponse, Rejection> {
    let body = read_body(request, payload).await?;
    let form = WebhookForm::parse(&body).map_err(|_| Rejection::new(RejectReason::Malformed))?;
    let to = twilio::routed_number(&form)?;
    let handle = route(state, to, ProviderKind::Twilio)?;
    *routed = Some(Arc::clone(&handle));
    let (account_sid, auth_token) = account(&handle)?;
    let auth = WebhookAuth { account_sid, auth_token };
    let url = signed_url(&state.public_url, request);
    let sms = twilio::inbound(&form, &url, header(request, twilio::SIGNATURE_HEADER), &auth)?;

    let decision = decide(&state.registry, &handle, &sms).await;
    let twiml = match &decision.reply {
        Some(text) => twilio::twiml_message(text),
        None => twilio::twiml_empty(),
    };
    Ok(HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(twiml))
}

async fn verify_status(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    routed: &mut Option<Arc<NumberHandle>>,
) -> Result<HttpResponse, Rejection> {
    let malformed = |field| Rejection::from(antirelou_providers::InboundError::Malformed(field));
    let body = read_body(request, payload).await?;
    let form = WebhookForm::parse(&body).map_err(|_| Rejection::new(RejectReason::Malformed))?;
    // The reply left from our number: `From` routes the callback.
    let from = form.get("From").filter(|from| antirelou_providers::is_e164(from)).ok_or(malformed("From"))?;
    let handle = route(state, from, ProviderKind::Twilio)?;
    *routed = Some(Arc::clone(&handle));
    let (account_sid, auth_token) = account(&handle)?;
    let url = signed_url(&state.public_url, request);
    twilio::verify_signature(auth_token, &url, form.pairs(), header(request, twilio::SIGNATURE_HEADER))
        .map_err(|_| Rejection::new(RejectReason::BadSignature))?;
    let callback = StatusCallback::from_pairs(form.pairs()).map_err(|error| match error {
        twilio::StatusCallbackError::Missing(field) => malformed(field),
        twilio::StatusCallbackError::UnknownStatus(_) => malformed("MessageStatus"),
        twilio::StatusCallbackError::BadErrorCode => malformed("ErrorCode"),
    })?;
    if callback.account_sid != account_sid {
        return Err(Rejection::new(RejectReason::AccountMismatch));
    }
    state
        .registry
        .metrics()
        .delivery_status
        .with_label_values(&[ProviderKind::Twilio.as_str(), handle.tenant_id(), callback.status.as_str()])
        .inc();
    if callback.status.is_failure() {
        tracing::info!(tenant = %handle.tenant_id(), number = %handle.number(),
            status = callback.status.as_str(), error_code = ?callback.error_code, "a reply was not delivered");
    }
    Ok(HttpResponse::Ok().finish())
}

/// The tenant's account SID and auth token (the handle was routed as Twilio).
fn account(handle: &NumberHandle) -> Result<(&str, &str), Rejection> {
    match &handle.tenant.provider {
        ProviderSettings::Twilio { account_sid, auth_token, .. } => Ok((account_sid, auth_token.expose())),
        _ => Err(Rejection::new(RejectReason::UnknownNumber)),
    }
}
