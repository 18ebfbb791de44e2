//! `POST /webhooks/twilio`: one URL for every Twilio number.

use std::time::Instant;

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_providers::twilio::{self, WebhookForm};
use antirelou_settings::ProviderSettings;

use crate::body::read_body;
use crate::error::WebhookRejection;
use crate::startup::AppState;

/// Verifies, decides and answers one inbound SMS. Every verified webhook gets
/// a fast `200` with TwiML, whatever the outcome, so Twilio never retries.
pub async fn inbound(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebhookRejection> {
    let mut routed = None;
    let result = verify_and_decide(&request, payload, &state, &mut routed).await;
    if let Err(rejection) = &result {
        let (tenant, number) = routed.as_ref().map_or(("", ""), |(t, n): &(String, String)| (t.as_str(), n.as_str()));
        state
            .registry
            .metrics()
            .webhook_rejected
            .with_label_values(&["twilio", rejection.reason(), tenant, number])
            .inc();
        tracing::info!(reason = rejection.reason(), tenant, number, "webhook rejected");
    }
    result
}

async fn verify_and_decide(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    routed: &mut Option<(String, String)>,
) -> Result<HttpResponse, WebhookRejection> {
    let body = read_body(request, payload).await?;
    let form = WebhookForm::parse(&body).map_err(|_| WebhookRejection::Malformed)?;
    let to = form.get("To").ok_or(WebhookRejection::Malformed)?;
    let handle = state.registry.route(to.trim()).ok_or(WebhookRejection::UnknownNumber)?;
    // A number of a tenant with another provider is not a Twilio number.
    let ProviderSettings::Twilio { account_sid, auth_token, .. } = &handle.tenant.provider else {
        return Err(WebhookRejection::UnknownNumber);
    };
    *routed = Some((handle.policy.tenant.to_string(), handle.policy.number.to_string()));
    let url = signed_url(&state.public_url, request);
    let header = request.headers().get(twilio::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    twilio::verify_signature(auth_token.expose(), &url, form.pairs(), header)
        .map_err(|_| WebhookRejection::BadSignature)?;
    let sms = form.to_inbound().map_err(|_| WebhookRejection::Malformed)?;
    if sms.account_sid != *account_sid {
        return Err(WebhookRejection::AccountMismatch);
    }

    let started = Instant::now();
    let decision = state.registry.decide(handle, &sms.message_sid, &sms.from, &sms.body).await;
    state.registry.metrics().observe_decision(decision.outcome, started.elapsed().as_secs_f64());
    tracing::debug!(tenant = %handle.policy.tenant, number = %handle.policy.number, outcome = %decision.outcome, "decision");
    let twiml = match &decision.reply {
        Some(text) => twilio::twiml_message(text),
        None => twilio::twiml_empty(),
    };
    Ok(HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(twiml))
}

/// The URL Twilio signed: the public base URL plus the path and query we received.
fn signed_url(public_url: &str, request: &HttpRequest) -> String {
    let path_and_query = request.uri().path_and_query().map_or("/webhooks/twilio", |pq| pq.as_str());
    format!("{public_url}{path_and_query}")
}
