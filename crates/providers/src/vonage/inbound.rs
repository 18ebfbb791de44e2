//! The Vonage SMS API inbound webhook: parameters from a GET query string
//! (Vonage's default), a POST form or a POST JSON object (the dashboard's
//! "HTTP method" setting), verified with `sig` and read into an
//! [`InboundSms`], or into one [`ConcatPart`] of a long message for the
//! [`ConcatAssembler`](super::ConcatAssembler).
//!
//! Vonage has no inline reply: the route answers `200` with an empty body to
//! every verified webhook (or Vonage retries for 24 hours) and replies go
//! through the send API.

use std::fmt;

use antirelou_domain::ProviderKind;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};

use super::signature::verify_signature;
use super::SignatureMethod;
use crate::form::WebhookForm;
use crate::inbound::{our_number_with_plus, sender_with_plus, InboundSms};
use crate::reject::InboundError;

/// How far the signed `timestamp` may be from now, either way (Vonage's
/// documented replay window is five minutes).
pub const TIMESTAMP_SKEW_SECONDS: i64 = 300;

/// The longest `messageId` or `concat-ref` we accept (Vonage's are 16–18 characters).
pub const MAX_ID_CHARS: usize = 64;

/// The most characters one part of a long SMS carries: a segment holds 160
/// GSM-7 characters (153 once split, 67 UCS-2), so a longer part is not
/// something a phone sent.
pub const MAX_PART_CHARS: usize = 160;

/// The most bytes one part's text takes in UTF-8: 153 GSM-7 characters of
/// two bytes (`é`), or 67 UCS-2 characters of three, fit with room to spare.
pub const MAX_PART_BYTES: usize = 480;

/// The tenant's Vonage account, as needed to verify its webhooks.
#[derive(Clone, Copy)]
pub struct WebhookAuth<'a> {
    /// Every webhook must carry this `api-key`.
    pub api_key: &'a str,
    /// The signature secret of the dashboard's "signed webhooks" setting.
    pub signature_secret: &'a str,
    pub signature_method: SignatureMethod,
}

/// A verified inbound webhook: a whole SMS, or one part of a long one.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum VonageInbound {
    Whole(InboundSms),
    Part(ConcatPart),
}

/// One part of a concatenated SMS (`concat=true`), to be reassembled.
///
/// `sms` is this part alone: its own `messageId`, sender, number and text.
#[derive(Clone, PartialEq, Eq)]
pub struct ConcatPart {
    /// `concat-ref`: shared by every part of one message from one sender.
    pub reference: String,
    /// `concat-total`, 2..=255.
    pub total: u8,
    /// `concat-part`, 1..=total.
    pub part: u8,
    pub sms: InboundSms,
}

impl fmt::Debug for ConcatPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcatPart")
            .field("reference", &self.reference)
            .field("part", &format_args!("{}/{}", self.part, self.total))
            .field("sms", &self.sms)
            .finish()
    }
}

/// Parameters of a GET webhook: the request's query string (without `?`).
pub fn parse_query(query: &[u8]) -> Result<WebhookForm, InboundError> {
    Ok(WebhookForm::parse(query)?)
}

/// Parameters of a POST webhook sent as `application/x-www-form-urlencoded`.
pub fn parse_form(body: &[u8]) -> Result<WebhookForm, InboundError> {
    Ok(WebhookForm::parse(body)?)
}

/// Parameters of a POST webhook sent as `application/json`: one flat object
/// whose values are strings (numbers are taken as their JSON text). Keys are
/// kept in order, repeats included, so [`inbound`] can refuse them.
pub fn parse_json(body: &[u8]) -> Result<WebhookForm, InboundError> {
    let pairs: JsonPairs = serde_json::from_slice(body).map_err(|_| InboundError::Malformed("JSON body"))?;
    Ok(WebhookForm::from_pairs(pairs.0))
}

/// The parameters of any Vonage webhook request: the query for `GET`, the
/// body for `POST` (JSON when the content type says so, a form otherwise).
pub fn parse_request(
    method: &str,
    content_type: Option<&str>,
    query: &[u8],
    body: &[u8],
) -> Result<WebhookForm, InboundError> {
    if method.eq_ignore_ascii_case("GET") {
        return parse_query(query);
    }
    let is_json = content_type.is_some_and(|value| {
        value.split(';').next().is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
    });
    if is_json {
        parse_json(body)
    } else {
        parse_form(body)
    }
}

/// The number a webhook is for (`to`, E.164 with `+` added), read before
/// any verification to find the tenant whose secrets verify it.
pub fn routed_number(form: &WebhookForm) -> Result<String, InboundError> {
    form.get("to").and_then(our_number_with_plus).ok_or(InboundError::Malformed("to"))
}

/// Verifies and reads one Vonage inbound-SMS webhook, `now_unix_seconds`
/// being the current time. In order: `sig` ([`InboundError::BadSignature`]),
/// the signed `timestamp` within [`TIMESTAMP_SKEW_SECONDS`] of now
/// ([`InboundError::StaleTimestamp`]), the fields ([`read`],
/// [`InboundError::Malformed`]), then `api-key` ([`InboundError::AccountMismatch`]).
pub fn inbound(
    form: &WebhookForm,
    auth: &WebhookAuth<'_>,
    now_unix_seconds: i64,
) -> Result<VonageInbound, InboundError> {
    verify_signature(auth.signature_method, auth.signature_secret, form.pairs())
        .map_err(|_| InboundError::BadSignature)?;
    let timestamp = form.get("timestamp").ok_or(InboundError::Malformed("timestamp"))?;
    let timestamp = parse_digits(timestamp).ok_or(InboundError::Malformed("timestamp"))?;
    if timestamp.abs_diff(now_unix_seconds) > TIMESTAMP_SKEW_SECONDS.unsigned_abs() {
        return Err(InboundError::StaleTimestamp);
    }
    let (message, api_key) = read(form)?;
    if api_key != auth.api_key {
        return Err(InboundError::AccountMismatch);
    }
    Ok(message)
}

/// Reads the fields strictly (no signature or time check), returning the
/// message and the `api-key`:
/// - no parameter twice (Vonage never repeats one);
/// - `messageId`: 1 to [`MAX_ID_CHARS`] ASCII letters, digits or `-`;
/// - `msisdn`: the sender, `+` added when its digits are E.164 (a short code
///   or an alphanumeric sender is kept as given, for the engine to answer
///   `not_a_phone`);
/// - `to`: E.164 once `+` is added;
/// - `type`: `text` or `unicode` with a `text`, or `binary` (read as an empty text);
/// - `api-key`: present;
/// - `concat=true` with `concat-ref` (1 to [`MAX_ID_CHARS`] characters),
///   `concat-total` (1..=255) and `concat-part` (1..=total): a part, unless
///   the total is 1; a part's `text` is at most [`MAX_PART_CHARS`]
///   characters and [`MAX_PART_BYTES`] bytes.
pub fn read(form: &WebhookForm) -> Result<(VonageInbound, &str), InboundError> {
    if form.any_repeated().is_some() {
        return Err(InboundError::Malformed("repeated parameter"));
    }
    let required = |key: &'static str| form.get(key).filter(|v| !v.is_empty()).ok_or(InboundError::Malformed(key));
    let message_id = required("messageId")?;
    if !is_vonage_id(message_id) {
        return Err(InboundError::Malformed("messageId"));
    }
    let from = sender_with_plus(required("msisdn")?);
    let to = routed_number(form)?;
    let body = match required("type")? {
        "text" | "unicode" => form.get("text").ok_or(InboundError::Malformed("text"))?,
        "binary" => "",
        _ => return Err(InboundError::Malformed("type")),
    };
    let api_key = required("api-key")?;
    let sms = InboundSms {
        provider: ProviderKind::Vonage,
        message_id: message_id.to_owned(),
        from,
        to,
        body: body.to_owned(),
    };
    let message = match form.get("concat") {
        None => VonageInbound::Whole(sms),
        Some("true") => read_part(form, sms)?,
        Some(_) => return Err(InboundError::Malformed("concat")),
    };
    Ok((message, api_key))
}

fn read_part(form: &WebhookForm, sms: InboundSms) -> Result<VonageInbound, InboundError> {
    let reference = form.get("concat-ref").filter(|r| is_vonage_id(r)).ok_or(InboundError::Malformed("concat-ref"))?;
    let total = form
        .get("concat-total")
        .and_then(parse_digits)
        .and_then(|n| u8::try_from(n).ok())
        .filter(|&n| n >= 1)
        .ok_or(InboundError::Malformed("concat-total"))?;
    let part = form
        .get("concat-part")
        .and_then(parse_digits)
        .and_then(|n| u8::try_from(n).ok())
        .filter(|&n| (1..=total).contains(&n))
        .ok_or(InboundError::Malformed("concat-part"))?;
    if total == 1 {
        return Ok(VonageInbound::Whole(sms));
    }
    if sms.body.len() > MAX_PART_BYTES || sms.body.chars().count() > MAX_PART_CHARS {
        return Err(InboundError::Malformed("text"));
    }
    Ok(VonageInbound::Part(ConcatPart { reference: reference.to_owned(), total, part, sms }))
}

/// 1 to [`MAX_ID_CHARS`] ASCII letters, digits or `-`.
fn is_vonage_id(text: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A non-negative decimal number of at most 18 digits (no sign, no space).
fn parse_digits(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A flat JSON object read as ordered (name, text) pairs, repeats kept.
struct JsonPairs(Vec<(String, String)>);

impl<'de> Deserialize<'de> for JsonPairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JsonPairs, D::Error> {
        deserializer.deserialize_map(JsonPairsVisitor)
    }
}

struct JsonPairsVisitor;

impl<'de> Visitor<'de> for JsonPairsVisitor {
    type Value = JsonPairs;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a flat JSON object of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonPairs, A::Error> {
        let mut pairs = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, serde_json::Value>()? {
            let text = match value {
                serde_json::Value::String(text) => text,
                serde_json::Value::Number(number) => number.to_string(),
                _ => return Err(A::Error::custom("values must be strings or numbers")),
            };
            pairs.push((name, text));
        }
        Ok(JsonPairs(pairs))
    }
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
