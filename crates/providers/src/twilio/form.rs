//! The `application/x-www-form-urlencoded` body Twilio posts for an inbound
//! SMS, and the [`InboundSms`] read from it.
//!
//! The form is kept exactly as received (every pair, in order, keys may
//! repeat) because the signature covers all of it, including fields we do not
//! know about yet.

use std::fmt;

/// Why a webhook form cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A name or value is not UTF-8 once percent-decoded.
    #[error("form body is not valid UTF-8 after percent-decoding")]
    NotUtf8,
    /// A required field is absent or empty; holds the field name.
    #[error("required form field {0} is missing or empty")]
    Missing(&'static str),
}

/// One inbound SMS as Twilio describes it.
///
/// `Debug` leaves out the sender and the body (personal data, see SPEC §6).
#[derive(Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub message_sid: String,
    pub account_sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub num_segments: Option<u32>,
}

/// The form as received: every (key, value) pair in order, keys may repeat.
///
/// `Debug` shows the keys only, never the values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WebhookForm {
    pairs: Vec<(String, String)>,
}

impl WebhookForm {
    /// Parses an `application/x-www-form-urlencoded` body the WHATWG way:
    /// pairs split on `&`, empty pieces skipped, a piece without `=` is a key
    /// with an empty value, `+` is a space, `%XX` is a byte (a malformed `%`
    /// stays literal). Fails if a decoded name or value is not UTF-8.
    pub fn parse(body: &[u8]) -> Result<WebhookForm, FormError> {
        let mut pairs = Vec::with_capacity(body.iter().filter(|&&b| b == b'&').count() + 1);
        for piece in body.split(|&b| b == b'&').filter(|piece| !piece.is_empty()) {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(at) => (&piece[..at], &piece[at + 1..]),
                None => (piece, &[][..]),
            };
            pairs.push((percent_decode(name)?, percent_decode(value)?));
        }
        Ok(WebhookForm { pairs })
    }

    /// Builds a form from pairs already decoded (tests, the simulator).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> WebhookForm {
        WebhookForm { pairs }
    }

    /// Every pair, in the order received: what the signature covers.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The first value of `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }

    /// Reads the inbound SMS: `MessageSid` (or the older `SmsSid`),
    /// `AccountSid`, `From` and `To` are required and must not be empty;
    /// an absent `Body` is the empty text; `NumSegments` is kept only when it
    /// is a number.
    pub fn to_inbound(&self) -> Result<InboundSms, FormError> {
        let message_sid = self
            .non_empty("MessageSid")
            .or_else(|| self.non_empty("SmsSid"))
            .ok_or(FormError::Missing("MessageSid"))?;
        Ok(InboundSms {
            message_sid: message_sid.to_owned(),
            account_sid: self.required("AccountSid")?.to_owned(),
            from: self.required("From")?.to_owned(),
            to: self.required("To")?.to_owned(),
            body: self.get("Body").unwrap_or_default().to_owned(),
            num_segments: self.get("NumSegments").and_then(|n| n.parse().ok()),
        })
    }

    fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|value| !value.is_empty())
    }

    fn required(&self, key: &'static str) -> Result<&str, FormError> {
        self.non_empty(key).ok_or(FormError::Missing(key))
    }
}

impl fmt::Debug for WebhookForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookForm")
            .field("keys", &self.pairs.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for InboundSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundSms")
            .field("message_sid", &self.message_sid)
            .field("account_sid", &self.account_sid)
            .field("to", &self.to)
            .field("body_chars", &self.body.chars().count())
            .field("num_segments", &self.num_segments)
            .finish_non_exhaustive()
    }
}

/// Decodes one form name or value: `+` is a space, `%XX` a byte.
fn percent_decode(raw: &[u8]) -> Result<String, FormError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut at = 0;
    while let Some(&byte) = raw.get(at) {
        match byte {
            b'+' => {
                bytes.push(b' ');
                at += 1;
            }
            b'%' => match (hex_digit(raw.get(at + 1)), hex_digit(raw.get(at + 2))) {
                (Some(high), Some(low)) => {
                    bytes.push(high << 4 | low);
                    at += 3;
                }
                _ => {
                    bytes.push(b'%');
                    at += 1;
                }
            },
            other => {
                bytes.push(other);
                at += 1;
            }
        }
    }
    String::from_utf8(bytes).map_err(|_| FormError::NotUtf8)
}

fn hex_digit(byte: Option<&u8>) -> Option<u8> {
    let byte = *byte?;
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> WebhookForm {
        WebhookForm::parse(body.as_bytes()).expect("form parses")
    }

    fn pair(key: &str, value: &str) -> (String, String) {
        (key.to_owned(), value.to_owned())
    }

    const TWILIO_BODY: &str = "ToCountry=FR&SmsMessageSid=SM0123&NumMedia=0&SmsSid=SM0123\
        &Body=Bonjour+%C3%A0+vous+%26+merci&To=%2B33612345678&NumSegments=1\
        &MessageSid=SM0123&AccountSid=AC42&From=%2B33700000001&ApiVersion=2010-04-01";

    #[test]
    fn repeated_keys_are_all_kept_in_order() {
        let form = form("Digits=5678&Sid=CA123&Digits=1234");
        assert_eq!(form.pairs(), &[pair("Digits", "5678"), pair("Sid", "CA123"), pair("Digits", "1234")]);
        assert_eq!(form.get("Digits"), Some("5678"));
    }

    #[test]
    fn plus_sign_decodes_to_a_space() {
        assert_eq!(form("Body=hello+world").get("Body"), Some("hello world"));
    }

    #[test]
    fn percent_escapes_decode_to_utf8_text() {
        let form = form("From=%2B33612345678&Body=caf%C3%A9%20%2B%20th%c3%a9%3D%26");
        assert_eq!(form.get("From"), Some("+33612345678"));
        assert_eq!(form.get("Body"), Some("café + thé=&"));
    }

    #[test]
    fn malformed_percent_escape_stays_literal() {
        assert_eq!(form("Body=100%25+%zz%4").get("Body"), Some("100% %zz%4"));
    }

    #[test]
    fn invalid_utf8_after_decoding_is_an_error() {
        assert_eq!(WebhookForm::parse(b"Body=%C3%28"), Err(FormError::NotUtf8));
        assert_eq!(WebhookForm::parse(b"Body=\xff"), Err(FormError::NotUtf8));
        assert_eq!(WebhookForm::parse(b"%FF=x"), Err(FormError::NotUtf8));
    }

    #[test]
    fn empty_pieces_are_skipped_and_a_bare_key_has_an_empty_value() {
        let form = form("&&Body&=x&To=1&");
        assert_eq!(form.pairs(), &[pair("Body", ""), pair("", "x"), pair("To", "1")]);
    }

    #[test]
    fn empty_body_is_an_empty_form() {
        assert!(form("").pairs().is_empty());
    }

    #[test]
    fn a_real_twilio_form_reads_as_an_inbound_sms() {
        let sms = form(TWILIO_BODY).to_inbound().expect("complete form");
        assert_eq!(
            sms,
            InboundSms {
                message_sid: "SM0123".into(),
                account_sid: "AC42".into(),
                from: "+33700000001".into(),
                to: "+33612345678".into(),
                body: "Bonjour à vous & merci".into(),
                num_segments: Some(1),
            }
        );
    }

    #[test]
    fn missing_from_is_reported_by_name() {
        let error = form("MessageSid=SM1&AccountSid=AC1&To=%2B331").to_inbound();
        assert_eq!(error, Err(FormError::Missing("From")));
        assert_eq!(FormError::Missing("From").to_string(), "required form field From is missing or empty");
    }

    #[test]
    fn empty_required_field_counts_as_missing() {
        let error = form("MessageSid=SM1&AccountSid=&From=%2B1&To=%2B2").to_inbound();
        assert_eq!(error, Err(FormError::Missing("AccountSid")));
    }

    #[test]
    fn sms_sid_stands_in_for_a_missing_message_sid() {
        let sms = form("SmsSid=SM9&AccountSid=AC1&From=%2B1&To=%2B2").to_inbound().expect("SmsSid is enough");
        assert_eq!(sms.message_sid, "SM9");
        let error = form("AccountSid=AC1&From=%2B1&To=%2B2").to_inbound();
        assert_eq!(error, Err(FormError::Missing("MessageSid")));
    }

    #[test]
    fn absent_body_is_empty_text_and_odd_num_segments_is_none() {
        let sms = form("MessageSid=SM1&AccountSid=AC1&From=%2B1&To=%2B2&NumSegments=x")
            .to_inbound()
            .expect("Body is optional");
        assert_eq!(sms.body, "");
        assert_eq!(sms.num_segments, None);
    }

    #[test]
    fn debug_output_never_shows_sender_or_body() {
        let form = form(TWILIO_BODY);
        let sms = form.to_inbound().expect("complete form");
        for shown in [format!("{form:?}"), format!("{sms:?}")] {
            assert!(!shown.contains("33700000001"), "{shown}");
            assert!(!shown.contains("Bonjour"), "{shown}");
        }
    }
}
