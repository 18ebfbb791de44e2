//! `POST /v1/numbers/{number}/inbound`: the operator hands one message to an
//! OVHcloud number as its poller would (OVHcloud sends no webhook: antirelou
//! polls its inbox), so that a number can be tried before any phone texts
//! it (`antirelou send`). The message goes through the intake like a polled
//! one: decided once per message id, and a paid reply leaves through the
//! number's send API. Operator only; never on `server.console_listen`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::ProviderKind;
use antirelou_providers::InboundSms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{authenticate, error, not_found, ApiError, Caller};
use crate::state::AppState;

/// The longest text accepted (ten segments of UCS-2, with room to spare).
const MAX_TEXT_CHARS: usize = 1_600;

/// One message, as the OVHcloud inbox would give it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundRequest {
    /// The sender, E.164 (`+33611223344`).
    pub from: String,
    /// The message's text.
    pub text: String,
    /// The message's id: a second message with the same id is a `duplicate`
    /// (1 to 64 letters, digits, `-` or `_`).
    pub message_id: String,
}

/// What the engine decided.
#[derive(Serialize, ToSchema)]
pub struct InboundDecision {
    pub number: String,
    /// The outcome label (`replied`, `repeat_sender`, `deferred`, …).
    pub outcome: String,
}

/// Hand one message to an OVHcloud number as its poller would (operator only).
#[utoipa::path(post, path = "/v1/numbers/{number}/inbound", tag = "numbers",
    params(("number" = String, Path, description = "An OVHcloud number, E.164")),
    request_body = InboundRequest,
    responses((status = 200, body = InboundDecision), (status = 400, body = ApiError),
              (status = 401, body = ApiError), (status = 403, body = ApiError),
              (status = 404, description = "No OVHcloud number of that name", body = ApiError)))]
pub async fn inject(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let caller = match authenticate(&request, &state) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let number = path.into_inner();
    if caller != Caller::Operator {
        // Another tenant's number does not exist for a tenant, as on every route.
        let visible = state.registry.route(&number).is_some_and(|h| caller.may_see(h.tenant_id()));
        if !visible {
            return not_found();
        }
        return error(StatusCode::FORBIDDEN, "only the operator token hands messages to a number");
    }
    let Some(handle) = state.intake.route(ProviderKind::Ovh, &number) else { return not_found() };
    // Read only once the caller is known: a stranger's body is never parsed.
    let Ok(InboundRequest { from, text, message_id }) = serde_json::from_slice(&body) else {
        return error(StatusCode::BAD_REQUEST, "a JSON object with from, text and message_id");
    };
    let id_ok = (1..=64).contains(&message_id.len())
        && message_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return error(StatusCode::BAD_REQUEST, "message_id: 1 to 64 letters, digits, - or _");
    }
    if text.chars().count() > MAX_TEXT_CHARS || from.len() > 32 {
        return error(StatusCode::BAD_REQUEST, "from or text is too long");
    }
    let sms = InboundSms { provider: ProviderKind::Ovh, message_id, from, to: handle.number().to_string(), body: text };
    let decision = state.intake.decide(&handle, &sms).await;
    HttpResponse::Ok()
        .json(InboundDecision { number: handle.number().to_string(), outcome: decision.outcome.to_string() })
}
