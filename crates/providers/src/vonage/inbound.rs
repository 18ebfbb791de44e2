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
mod tests {
    use super::super::emulate::{signed_params, EmulatedSms};
    use super::super::signature::signature;
    use super::*;

    const SECRET: &str = "vonage-signature-secret";
    const NOW: i64 = 1_760_000_000;

    fn auth(method: SignatureMethod) -> WebhookAuth<'static> {
        WebhookAuth { api_key: "abcd1234", signature_secret: SECRET, signature_method: method }
    }

    fn sms() -> EmulatedSms<'static> {
        EmulatedSms {
            api_key: "abcd1234",
            message_id: "0A0000000123ABCD1",
            from: "+33612345678",
            to: "+33939000001",
            text: "Salut, ça va ?",
            timestamp: NOW,
            nonce: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        }
    }

    fn resign(pairs: &mut Vec<(String, String)>, method: SignatureMethod) {
        pairs.retain(|(k, _)| k != "sig");
        let sig = signature(method, SECRET, pairs);
        pairs.push(("sig".to_owned(), sig));
    }

    fn set(pairs: &mut [(String, String)], key: &str, value: &str) {
        for (k, v) in pairs.iter_mut() {
            if k == key {
                *v = value.to_owned();
            }
        }
    }

    #[test]
    fn a_signed_webhook_reads_as_a_whole_sms_with_plus_signs_added() {
        for method in SignatureMethod::ALL {
            let form = WebhookForm::from_pairs(signed_params(&sms(), method, SECRET));
            let VonageInbound::Whole(sms) = inbound(&form, &auth(method), NOW).expect("genuine") else {
                panic!("a single SMS is whole");
            };
            assert_eq!(sms.provider, ProviderKind::Vonage);
            assert_eq!(sms.message_id, "0A0000000123ABCD1");
            assert_eq!((sms.from.as_str(), sms.to.as_str()), ("+33612345678", "+33939000001"));
            assert_eq!(sms.body, "Salut, ça va ?");
        }
    }

    #[test]
    fn signature_failures_come_first() {
        let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
        let wrong_method = auth(SignatureMethod::Sha512);
        assert_eq!(
            inbound(&WebhookForm::from_pairs(pairs.clone()), &wrong_method, NOW),
            Err(InboundError::BadSignature)
        );
        set(&mut pairs, "text", "changed");
        let form = WebhookForm::from_pairs(pairs.clone());
        assert_eq!(inbound(&form, &auth(SignatureMethod::Sha256), NOW), Err(InboundError::BadSignature));
        pairs.retain(|(k, _)| k != "sig");
        let form = WebhookForm::from_pairs(pairs);
        assert_eq!(inbound(&form, &auth(SignatureMethod::Sha256), NOW), Err(InboundError::BadSignature));
    }

    #[test]
    fn a_timestamp_more_than_five_minutes_away_is_stale() {
        let form = WebhookForm::from_pairs(signed_params(&sms(), SignatureMethod::Sha1, SECRET));
        let auth = auth(SignatureMethod::Sha1);
        assert!(inbound(&form, &auth, NOW + 300).is_ok());
        assert!(inbound(&form, &auth, NOW - 300).is_ok());
        assert_eq!(inbound(&form, &auth, NOW + 301), Err(InboundError::StaleTimestamp));
        assert_eq!(inbound(&form, &auth, NOW - 301), Err(InboundError::StaleTimestamp));
    }

    #[test]
    fn a_missing_or_odd_timestamp_is_malformed() {
        for odd in ["", "-5", "1e9", " 1760000000", "99999999999999999999"] {
            let mut pairs = signed_params(&sms(), SignatureMethod::Md5Hash, SECRET);
            set(&mut pairs, "timestamp", odd);
            resign(&mut pairs, SignatureMethod::Md5Hash);
            let form = WebhookForm::from_pairs(pairs);
            assert_eq!(inbound(&form, &auth(SignatureMethod::Md5Hash), NOW), Err(InboundError::Malformed("timestamp")));
        }
    }

    #[test]
    fn another_accounts_api_key_is_an_account_mismatch() {
        let form = WebhookForm::from_pairs(signed_params(&sms(), SignatureMethod::Md5, SECRET));
        let other = WebhookAuth { api_key: "zzzz9999", ..auth(SignatureMethod::Md5) };
        assert_eq!(inbound(&form, &other, NOW), Err(InboundError::AccountMismatch));
    }

    #[test]
    fn every_required_field_is_checked_by_name() {
        for (key, bad, reason) in [
            ("messageId", "", "messageId"),
            ("messageId", "0A 01", "messageId"),
            ("msisdn", "", "msisdn"),
            ("to", "0612", "to"),
            ("type", "wap", "type"),
            ("api-key", "", "api-key"),
            ("concat", "yes", "concat"),
        ] {
            let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
            if !pairs.iter().any(|(k, _)| k == key) {
                pairs.push((key.to_owned(), bad.to_owned()));
            }
            set(&mut pairs, key, bad);
            resign(&mut pairs, SignatureMethod::Sha256);
            let form = WebhookForm::from_pairs(pairs);
            assert_eq!(
                inbound(&form, &auth(SignatureMethod::Sha256), NOW),
                Err(InboundError::Malformed(reason)),
                "{key}"
            );
        }
    }

    #[test]
    fn a_repeated_parameter_is_malformed() {
        let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
        pairs.insert(0, ("msisdn".to_owned(), "33700000009".to_owned()));
        resign(&mut pairs, SignatureMethod::Sha256);
        let form = WebhookForm::from_pairs(pairs);
        assert_eq!(
            inbound(&form, &auth(SignatureMethod::Sha256), NOW),
            Err(InboundError::Malformed("repeated parameter"))
        );
    }

    #[test]
    fn short_codes_and_alphanumeric_senders_are_kept_for_the_engine() {
        for sender in ["36180", "INFO"] {
            let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
            set(&mut pairs, "msisdn", sender);
            resign(&mut pairs, SignatureMethod::Sha256);
            let form = WebhookForm::from_pairs(pairs);
            let Ok(VonageInbound::Whole(sms)) = inbound(&form, &auth(SignatureMethod::Sha256), NOW) else {
                panic!("kept");
            };
            assert_eq!(sms.from, sender);
        }
    }

    #[test]
    fn binary_messages_read_as_an_empty_text() {
        let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
        set(&mut pairs, "type", "binary");
        pairs.retain(|(k, _)| k != "text");
        resign(&mut pairs, SignatureMethod::Sha256);
        let Ok(VonageInbound::Whole(sms)) =
            inbound(&WebhookForm::from_pairs(pairs), &auth(SignatureMethod::Sha256), NOW)
        else {
            panic!("binary is a message");
        };
        assert_eq!(sms.body, "");
    }

    #[test]
    fn concat_fields_make_a_part_and_a_total_of_one_is_whole() {
        let part_fields = |total: &str, part: &str| {
            let mut pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
            for (k, v) in [("concat", "true"), ("concat-ref", "171"), ("concat-total", total), ("concat-part", part)] {
                pairs.push((k.to_owned(), v.to_owned()));
            }
            resign(&mut pairs, SignatureMethod::Sha256);
            inbound(&WebhookForm::from_pairs(pairs), &auth(SignatureMethod::Sha256), NOW)
        };
        let Ok(VonageInbound::Part(part)) = part_fields("3", "2") else { panic!("a part") };
        assert_eq!((part.reference.as_str(), part.total, part.part), ("171", 3, 2));
        assert!(matches!(part_fields("1", "1"), Ok(VonageInbound::Whole(_))));
        assert_eq!(part_fields("0", "1"), Err(InboundError::Malformed("concat-total")));
        assert_eq!(part_fields("256", "1"), Err(InboundError::Malformed("concat-total")));
        assert_eq!(part_fields("3", "4"), Err(InboundError::Malformed("concat-part")));
        assert_eq!(part_fields("3", "0"), Err(InboundError::Malformed("concat-part")));
    }

    #[test]
    fn a_part_longer_than_one_segment_is_malformed() {
        let part_with = |text: &str| {
            let mut pairs = signed_params(&EmulatedSms { text, ..sms() }, SignatureMethod::Sha256, SECRET);
            for (k, v) in [("concat", "true"), ("concat-ref", "171"), ("concat-total", "3"), ("concat-part", "2")] {
                pairs.push((k.to_owned(), v.to_owned()));
            }
            resign(&mut pairs, SignatureMethod::Sha256);
            inbound(&WebhookForm::from_pairs(pairs), &auth(SignatureMethod::Sha256), NOW)
        };
        assert!(matches!(part_with(&"é".repeat(153)), Ok(VonageInbound::Part(_))), "a full GSM-7 part");
        assert!(matches!(part_with(&"€".repeat(67)), Ok(VonageInbound::Part(_))), "a full UCS-2 part");
        assert_eq!(part_with(&"a".repeat(161)), Err(InboundError::Malformed("text")));
        assert_eq!(part_with(&"€".repeat(161)), Err(InboundError::Malformed("text")), "bytes");
        assert_eq!(part_with(&"😀".repeat(121)), Err(InboundError::Malformed("text")), "484 bytes");
    }

    #[test]
    fn get_query_post_form_and_post_json_read_the_same_parameters() {
        let pairs = signed_params(&sms(), SignatureMethod::Sha256, SECRET);
        let query = crate::form::encode_form(&pairs);
        let json = super::super::emulate::to_json(&pairs);
        let from_get = parse_request("GET", None, query.as_bytes(), b"").expect("query");
        let from_form =
            parse_request("POST", Some("application/x-www-form-urlencoded"), b"", query.as_bytes()).expect("form");
        let from_json =
            parse_request("POST", Some("application/json; charset=utf-8"), b"", json.as_bytes()).expect("json");
        for form in [from_get, from_form, from_json] {
            assert_eq!(form.pairs(), pairs.as_slice());
            assert!(inbound(&form, &auth(SignatureMethod::Sha256), NOW).is_ok());
        }
    }

    #[test]
    fn json_bodies_must_be_flat_objects_of_strings_or_numbers() {
        let form = parse_json(br#"{"timestamp": 1760000000, "a": "b", "a": "c"}"#).expect("flat");
        assert_eq!(form.get("timestamp"), Some("1760000000"));
        assert_eq!(form.any_repeated(), Some("a"));
        for bad in [&br#"{"a": {"b": "c"}}"#[..], br#"{"a": true}"#, br#"{"a": null}"#, br#"["a"]"#, b"{", b""] {
            assert_eq!(parse_json(bad), Err(InboundError::Malformed("JSON body")), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn routed_number_adds_the_plus() {
        let form = WebhookForm::from_pairs(signed_params(&sms(), SignatureMethod::Sha256, SECRET));
        assert_eq!(routed_number(&form).as_deref(), Ok("+33939000001"));
        assert_eq!(routed_number(&WebhookForm::default()), Err(InboundError::Malformed("to")));
    }

    #[test]
    fn debug_of_a_part_hides_the_sender_and_text() {
        let part = ConcatPart {
            reference: "7".into(),
            total: 2,
            part: 1,
            sms: InboundSms {
                provider: ProviderKind::Vonage,
                message_id: "1".into(),
                from: "+33612345678".into(),
                to: "+33939000001".into(),
                body: "secret text".into(),
            },
        };
        let shown = format!("{part:?}");
        assert!(shown.contains("1/2"), "{shown}");
        assert!(!shown.contains("33612345678") && !shown.contains("secret text"), "{shown}");
    }
}
