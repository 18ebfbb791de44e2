//! E.164 phone numbers and their country.

use std::fmt;

/// A phone number in E.164 form (`+33612345678`) with the ISO 3166 alpha-2
/// country it belongs to, when the numbering plan says so.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: String,
    country: Option<[u8; 2]>,
}

/// Why a string is not an E.164 number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    #[error("not an E.164 number (a '+' then 8 to 15 digits, e.g. +33612345678): {0:?}")]
    NotE164(String),
}

impl PhoneNumber {
    /// Parses a strict E.164 number and looks up its country.
    pub fn parse(text: &str) -> Result<PhoneNumber, PhoneNumberError> {
        let text = text.trim();
        if !is_e164(text) {
            return Err(PhoneNumberError::NotE164(text.to_owned()));
        }
        let country =
            phonenumber::parse(None, text).ok().and_then(|n| n.country().id()).and_then(|id| country_code(id.as_ref()));
        Ok(PhoneNumber { e164: text.to_owned(), country })
    }

    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// ISO 3166 alpha-2 code (`"FR"`), or `None` for numbers outside any country plan.
    pub fn country(&self) -> Option<&str> {
        // The bytes are two ASCII uppercase letters (see `country_code`).
        self.country.as_ref().and_then(|c| std::str::from_utf8(c).ok())
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

/// `+` then 8..=15 digits, the first not zero.
pub fn is_e164(text: &str) -> bool {
    let Some(digits) = text.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// A two-letter uppercase code as bytes, so `PhoneNumber` stays cheap to clone.
fn country_code(code: &str) -> Option<[u8; 2]> {
    match code.as_bytes() {
        &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some([a, b]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_e164_with_country() {
        let fr = PhoneNumber::parse("+33612345678").unwrap();
        assert_eq!(fr.as_str(), "+33612345678");
        assert_eq!(fr.country(), Some("FR"));
        assert_eq!(PhoneNumber::parse("+32470123456").unwrap().country(), Some("BE"));
        assert_eq!(PhoneNumber::parse("+14155552671").unwrap().country(), Some("US"));
        assert_eq!(PhoneNumber::parse("+4915123456789").unwrap().country(), Some("DE"));
    }

    #[test]
    fn rejects_what_is_not_e164() {
        for bad in ["0612345678", "+0612345678", "+33 6 12 34 56 78", "+331", "+1234567890123456", "abc", ""] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn country_codes_are_two_uppercase_letters() {
        assert_eq!(country_code("FR"), Some(*b"FR"));
        assert_eq!(country_code("fr"), None);
        assert_eq!(country_code("FRA"), None);
    }
}
