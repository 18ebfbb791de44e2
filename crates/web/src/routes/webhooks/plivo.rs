//! Plivo: `POST /webhooks/plivo`, signed with `X-Plivo-Signature-V3` over
//! the message URL and the form, answered with Plivo XML.

use actix_web::HttpResponse;
use antirelou_domain::ProviderKind;
use antirelou_providers::plivo::{self, reply::CONTENT_TYPE, WebhookAuth};
use antirelou_providers::RejectReason;
use antirelou_settings::ProviderSettings;

use super::{header, read_form, signed_url, Request, Webhook};
use crate::error::Rejection;
use crate::intake::Arrival;

/// `POST /webhooks/plivo`: one inbound SMS.
pub struct Inbound;

impl Webhook for Inbound {
    const PROVIDER: ProviderKind = ProviderKind::Plivo;

    /// Verifies, decides and answers: `<Response><Message src="OUR_NUMBER"
    /// dst="SENDER">…</Message></Response>` or `<Response/>`, `200` whatever
    /// the outcome.
    async fn answer(request: Request<'_>, arrival: &mut Arrival<'_>) -> Result<HttpResponse, Rejection> {
        let Request { http, payload, state } = request;
        let form = read_form(http, payload).await?;
        let handle = arrival.route(&plivo::routed_number(&form)?)?;
        let ProviderSettings::Plivo { auth_token, .. } = &handle.tenant.provider else {
            return Err(Rejection::new(RejectReason::UnknownNumber));
        };
        let sms = plivo::inbound(
            &form,
            &signed_url(&state.public_url, http),
            header(http, plivo::SIGNATURE_HEADER),
            header(http, plivo::NONCE_HEADER),
            &WebhookAuth { auth_token: auth_token.expose() },
        )?;
        let xml = match arrival.decide(&handle, &sms).await.reply {
            Some(text) => plivo::reply_message(&sms.to, &sms.from, &text),
            None => plivo::reply_empty(),
        };
        Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(xml))
    }
}
