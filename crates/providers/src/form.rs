//! `application/x-www-form-urlencoded` text as providers send it: a POST
//! body (Twilio, Plivo, Vonage) or a GET query string (Vonage).
//!
//! The form is kept exactly as received (every pair, in order, keys may
//! repeat) because signatures cover all of it, including fields we do not
//! know about yet.

use std::fmt;

/// Why a form cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A name or value is not UTF-8 once percent-decoded.
    #[error("form body is not valid UTF-8 after percent-decoding")]
    NotUtf8,
    /// A required field is absent or empty; holds the field name.
    #[error("required form field {0} is missing or empty")]
    Missing(&'static str),
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

    /// Builds a form from pairs already decoded (JSON bodies, tests, the simulator).
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

    /// The first of `keys` that appears more than once, if any.
    pub fn repeated_among<'k>(&self, keys: &[&'k str]) -> Option<&'k str> {
        keys.iter().copied().find(|key| self.pairs.iter().filter(|(name, _)| name == key).nth(1).is_some())
    }

    /// The first key (in order received) that appears more than once, if any.
    pub fn any_repeated(&self) -> Option<&str> {
        let mut seen: Vec<&str> = Vec::with_capacity(self.pairs.len());
        for (name, _) in &self.pairs {
            if seen.contains(&name.as_str()) {
                return Some(name);
            }
            seen.push(name);
        }
        None
    }
}

impl fmt::Debug for WebhookForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookForm")
            .field("keys", &self.pairs.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// `application/x-www-form-urlencoded` text of `pairs`, in order (spaces as `+`).
pub fn encode_form(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// Decodes one form name or value to bytes: `+` is a space, `%XX` a byte, a
/// malformed `%` stays literal.
pub fn percent_decode_bytes(raw: &[u8]) -> Vec<u8> {
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
    bytes
}

/// Decodes one form name or value to UTF-8 text.
fn percent_decode(raw: &[u8]) -> Result<String, FormError> {
    String::from_utf8(percent_decode_bytes(raw)).map_err(|_| FormError::NotUtf8)
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

    #[test]
    fn repeated_keys_are_all_kept_in_order() {
        let form = form("Digits=5678&Sid=CA123&Digits=1234");
        assert_eq!(form.pairs(), &[pair("Digits", "5678"), pair("Sid", "CA123"), pair("Digits", "1234")]);
        assert_eq!(form.get("Digits"), Some("5678"));
    }

    #[test]
    fn repeated_keys_are_found_by_name_or_at_all() {
        let form = form("Digits=5678&Sid=CA123&Digits=1234&Sid=x");
        assert_eq!(form.repeated_among(&["To", "Sid"]), Some("Sid"));
        assert_eq!(form.repeated_among(&["To"]), None);
        assert_eq!(form.any_repeated(), Some("Digits"));
        assert_eq!(self::form("a=1&b=2&c=").any_repeated(), None);
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
    fn encode_form_uses_plus_for_spaces_and_escapes_reserved_bytes() {
        let pairs = vec![pair("Body", "a b&c=d+é")];
        assert_eq!(encode_form(&pairs), "Body=a+b%26c%3Dd%2B%C3%A9");
        assert_eq!(WebhookForm::parse(encode_form(&pairs).as_bytes()).expect("parses").pairs(), pairs.as_slice());
    }

    #[test]
    fn debug_output_shows_keys_but_never_values() {
        let shown = format!("{:?}", form("From=%2B33700000001&Body=Bonjour"));
        assert!(shown.contains("From") && shown.contains("Body"), "{shown}");
        assert!(!shown.contains("33700000001") && !shown.contains("Bonjour"), "{shown}");
    }
}
