//! Vonage Voice API: the answer webhook of an incoming call (`GET` query or
//! `POST` JSON, per the application's answer method) read strictly into an
//! [`InboundCall`], the NCCO that answers it, and the event webhook
//! (`POST` JSON) read into a [`CallEvent`]. Both webhooks are signed with a
//! JWT ([`super::jwt`]); what its `payload_hash` covers is returned beside
//! what was read ([`Signed`]).
//!
//! Vonage sends the answer webhook once the call is answered, and the NCCO
//! has no action that rejects a call: a refused call gets an empty NCCO
//! (`[]`), which ends it at once (docs/providers.md says what that costs).

use antirelou_domain::ProviderKind;
use serde::Deserialize;

use super::jwt;
use crate::form::WebhookForm;
use crate::inbound::{our_number_with_plus, sender_with_plus, InboundCall};
use crate::reject::InboundError;

/// The `Content-Type` of an NCCO.
pub const NCCO_CONTENT_TYPE: &str = "application/json";
/// The longest `text` of one `talk` action (Vonage's limit, and the SDK's `Talk`).
pub const MAX_TALK_CHARACTERS: usize = 1_500;
/// Fields read from an answer request: one of these twice in a query is malformed.
pub const ANSWER_KEYS: [&str; 4] = ["to", "from", "uuid", "conversation_uuid"];
/// Call statuses counted by name; any other is counted as `other`.
pub const STATUSES: [&str; 13] = [
    "started",
    "ringing",
    "answered",
    "completed",
    "busy",
    "cancelled",
    "unanswered",
    "disconnected",
    "rejected",
    "failed",
    "timeout",
    "human",
    "machine",
];

/// What was read from a request, and the bytes its JWT's `payload_hash`
/// covers (the body of a POST; the query as JSON for a GET).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed<T> {
    pub value: T,
    pub payload: Vec<u8>,
}

/// The tenant's Vonage account, as needed to verify its voice webhooks.
#[derive(Clone, Copy)]
pub struct VoiceAuth<'a> {
    pub api_key: &'a str,
    pub signature_secret: &'a str,
}

/// One call event: what happened to a call (its `status`), and for a
/// completed call how long it lasted.
#[derive(Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// The call's `uuid`: the call id of its ledger entry.
    pub uuid: String,
    /// One of [`STATUSES`], or `other`.
    pub status: &'static str,
    /// Our number (`to`, `+` added): routes the event.
    pub to: String,
    /// `duration` in seconds, given with `completed`.
    pub duration_seconds: Option<u32>,
}

impl std::fmt::Debug for CallEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallEvent")
            .field("uuid", &self.uuid)
            .field("status", &self.status)
            .field("to", &self.to)
            .field("duration_seconds", &self.duration_seconds)
            .finish()
    }
}

/// Verifies a voice webhook's `Authorization` header (see [`jwt::verify`]).
pub fn verify_request(
    authorization: &str,
    payload: &[u8],
    auth: &VoiceAuth<'_>,
    now_unix_seconds: i64,
) -> Result<(), InboundError> {
    let token = jwt::bearer_token(authorization).ok_or(InboundError::BadSignature)?;
    jwt::verify(token, auth.signature_secret, now_unix_seconds, payload, auth.api_key).map(|_| ())
}

#[derive(Deserialize)]
struct AnswerJson {
    to: Option<String>,
    from: Option<String>,
    uuid: Option<String>,
    conversation_uuid: Option<String>,
}

/// Reads an answer request: a `GET` query, or a `POST` JSON object (other
/// keys and nested values ignored, a key of [`ANSWER_KEYS`] twice refused).
/// `to` is our number (E.164 once `+` is added); `from` the caller, not
/// empty (`+` added when its digits are E.164, otherwise kept for the
/// engine to answer `not_a_phone`); `uuid` a call id ([`is_call_uuid`]);
/// `conversation_uuid` `CON-` then a UUID.
pub fn read_answer(
    method: &str,
    content_type: Option<&str>,
    query: &[u8],
    body: &[u8],
) -> Result<Signed<InboundCall>, InboundError> {
    if method.eq_ignore_ascii_case("GET") {
        let form = WebhookForm::parse(query)?;
        if let Some(key) = form.repeated_among(&ANSWER_KEYS) {
            return Err(InboundError::Malformed(key));
        }
        let call = answer_fields(form.get("to"), form.get("from"), form.get("uuid"), form.get("conversation_uuid"))?;
        return Ok(Signed { value: call, payload: jwt::query_payload(form.pairs()) });
    }
    if !is_json(content_type) {
        return Err(InboundError::Malformed("Content-Type"));
    }
    let json: AnswerJson = serde_json::from_slice(body).map_err(|_| InboundError::Malformed("JSON body"))?;
    let call = answer_fields(
        json.to.as_deref(),
        json.from.as_deref(),
        json.uuid.as_deref(),
        json.conversation_uuid.as_deref(),
    )?;
    Ok(Signed { value: call, payload: body.to_vec() })
}

fn answer_fields(
    to: Option<&str>,
    from: Option<&str>,
    uuid: Option<&str>,
    conversation_uuid: Option<&str>,
) -> Result<InboundCall, InboundError> {
    let to = to.and_then(our_number_with_plus).ok_or(InboundError::Malformed("to"))?;
    let from = from.filter(|from| !from.is_empty()).ok_or(InboundError::Malformed("from"))?;
    let uuid = uuid.filter(|uuid| is_call_uuid(uuid)).ok_or(InboundError::Malformed("uuid"))?;
    conversation_uuid
        .and_then(|id| id.strip_prefix("CON-"))
        .filter(|id| crate::plivo::is_uuid(id))
        .ok_or(InboundError::Malformed("conversation_uuid"))?;
    Ok(InboundCall { provider: ProviderKind::Vonage, call_id: uuid.to_owned(), from: sender_with_plus(from), to })
}

#[derive(Deserialize)]
struct EventJson {
    uuid: Option<String>,
    status: Option<String>,
    to: Option<String>,
    duration: Option<serde_json::Value>,
}

/// Reads an event request (a `POST` JSON object; other keys ignored, a
/// known key twice refused): `uuid`, `status` (counted by name when one of
/// [`STATUSES`]), `to` (our number), and with `completed` its `duration`
/// (whole seconds, as text or a number).
pub fn read_event(content_type: Option<&str>, body: &[u8]) -> Result<Signed<CallEvent>, InboundError> {
    if !is_json(content_type) {
        return Err(InboundError::Malformed("Content-Type"));
    }
    let json: EventJson = serde_json::from_slice(body).map_err(|_| InboundError::Malformed("JSON body"))?;
    let uuid = json.uuid.filter(|uuid| is_call_uuid(uuid)).ok_or(InboundError::Malformed("uuid"))?;
    let status = json.status.ok_or(InboundError::Malformed("status"))?;
    let status = STATUSES.into_iter().find(|known| *known == status).unwrap_or("other");
    let to = json.to.as_deref().and_then(our_number_with_plus).ok_or(InboundError::Malformed("to"))?;
    let duration_seconds = match (status, json.duration) {
        ("completed", Some(duration)) => Some(seconds(&duration).ok_or(InboundError::Malformed("duration"))?),
        ("completed", None) => return Err(InboundError::Malformed("duration")),
        _ => None,
    };
    Ok(Signed { value: CallEvent { uuid, status, to, duration_seconds }, payload: body.to_vec() })
}

/// Whole seconds written as text (`"12"`) or as a JSON number.
fn seconds(value: &serde_json::Value) -> Option<u32> {
    match value {
        serde_json::Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()
        }
        serde_json::Value::Number(number) => number.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        value.split(';').next().is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
    })
}

/// A Vonage call id: 32 hex digits, or a UUID (8-4-4-4-12 hex digits).
pub fn is_call_uuid(text: &str) -> bool {
    (text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())) || crate::plivo::is_uuid(text)
}

/// The NCCO that answers a call: `text` said in `language` by `talk`
/// actions of at most [`MAX_TALK_CHARACTERS`] each (cut between words),
/// after which the call ends.
pub fn ncco_talk(text: &str, language: &str) -> String {
    let actions: Vec<serde_json::Value> = talk_chunks(text)
        .into_iter()
        .map(|chunk| serde_json::json!({ "action": "talk", "text": chunk, "language": language }))
        .collect();
    serde_json::Value::from(actions).to_string()
}

/// The NCCO of a refused call: no action, so the call ends at once.
pub fn ncco_refuse() -> String {
    "[]".to_owned()
}

/// What a call answered with an NCCO hears (its `talk` texts joined by a
/// space), or `None` when it has no `talk` action.
pub fn ncco_said_text(ncco: &str) -> Option<String> {
    let actions: Vec<serde_json::Value> = serde_json::from_str(ncco).ok()?;
    let texts: Vec<&str> = actions
        .iter()
        .filter(|action| action["action"] == "talk")
        .filter_map(|action| action["text"].as_str())
        .collect();
    (!texts.is_empty()).then(|| texts.join(" "))
}

fn talk_chunks(text: &str) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut length = 0;
    for word in text.split(' ') {
        let word_length = word.chars().count();
        if length > 0 && length + 1 + word_length > MAX_TALK_CHARACTERS {
            chunks.push(std::mem::take(&mut current));
            length = 0;
        }
        if length > 0 {
            current.push(' ');
            length += 1;
        }
        for c in word.chars() {
            if length == MAX_TALK_CHARACTERS {
                chunks.push(std::mem::take(&mut current));
                length = 0;
            }
            current.push(c);
            length += 1;
        }
    }
    if !current.is_empty() || chunks.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
#[path = "voice_tests.rs"]
mod tests;
