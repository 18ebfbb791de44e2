//! Plivo: `POST /webhooks/plivo`, signed with `X-Plivo-Signature-V3` over
//! the message URL and the form, answered with Plivo XML.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::ProviderKind;
use antirelou_engine::NumberHandle;
use antirelou_providers::plivo::{self, reply::CONTENT_TYPE, WebhookAuth};
use antirelou_providers::twilio::WebhookForm;
use antirelou_providers::RejectReason;
use antirelou_settings::ProviderSettings;

use super::{count_rejection, decide, header, read_body, route, signed_url};
use crate::error::Rejection;
use crate::startup::AppState;

/// Verifies, decides and answers one inbound SMS: `<Response><Message
/// src="OUR_NUMBER" dst="SENDER">…</Message></Response>` or `<Response/>`,
/// `200` whatever the outcome.
pub async fn inbound(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    let mut routed = None;
    let result = verify_and_decide(&request, payload, &state, &mut routed).await;
    result.map_err(|rejection| count_rejection(&state.registry, ProviderKind::Plivo, routed.as_deref(), rejection))
}

async fn verify_and_decide(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    routed: &mut Option<Arc<NumberHandle>>,
) -> Result<HttpResponse, Rejection> {
    let body = read_body(request, payload).await?;
    let form = WebhookForm::parse(&body).map_err(|_| Rejection::new(RejectReason::Malformed))?;
    let to = plivo::routed_number(&form)?;
    let handle = route(state, &to, ProviderKind::Plivo)?;
    *routed = Some(Arc::clone(&handle));
    let ProviderSettings::Plivo { auth_token, .. } = &handle.tenant.provider else {
        return Err(Rejection::new(RejectReason::UnknownNumber));
    };
    let url = signed_url(&state.public_url, request);
    let sms = plivo::inbound(
        &form,
        &url,
        header(request, plivo::SIGNATURE_HEADER),
        header(request, plivo::NONCE_HEADER),
        &WebhookAuth { auth_token: auth_token.expose() },
    )?;

    let decision = decide(&state.registry, &handle, &sms).await;
    let xml = match &decision.reply {
        Some(text) => plivo::reply_message(&sms.to, &sms.from, text),
        None => plivo::reply_empty(),
    };
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(xml))
}
