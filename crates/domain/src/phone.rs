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

    /// Parses a number as a person types it: E.164 (`+33 9 39 …`), the
    /// international prefix `00`, or a national number of `country` (ISO
    /// 3166 alpha-2: `09 39 12 34 56`, `0939123456`, `09.39.12.34.56`),
    /// spaces, dots, dashes and brackets ignored. The result is E.164.
    pub fn parse_typed(text: &str, country: &str) -> Result<PhoneNumber, PhoneNumberError> {
        let compact: String =
            text.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}' | '\u{202f}')).collect();
        if compact.starts_with('+') {
            return PhoneNumber::parse(&compact);
        }
        if let Some(international) = compact.strip_prefix("00") {
            return PhoneNumber::parse(&format!("+{international}"));
        }
        let not_a_number = || PhoneNumberError::NotE164(text.trim().to_owned());
        let region = country.parse::<phonenumber::country::Id>().map_err(|_| not_a_number())?;
        let national = phonenumber::parse(Some(region), &compact).map_err(|_| not_a_number())?;
        if !national.is_valid() {
            return Err(not_a_number());
        }
        PhoneNumber::parse(&national.format().mode(phonenumber::Mode::E164).to_string())
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
    fn typed_numbers_are_read_as_national_numbers_of_the_country_or_international() {
        for typed in ["09 39 12 34 56", "0939123456", "09.39.12.34.56", "+33 9 39 12 34 56", "0033939123456"] {
            let number = PhoneNumber::parse_typed(typed, "FR").unwrap();
            assert_eq!((number.as_str(), number.country()), ("+33939123456", Some("FR")), "{typed:?}");
        }
        assert_eq!(PhoneNumber::parse_typed("06 11 22 33 44", "FR").unwrap().as_str(), "+33611223344");
        assert_eq!(PhoneNumber::parse_typed("0470 12 34 56", "BE").unwrap().as_str(), "+32470123456");
        for bad in ["09 39", "hello", "12345678901234567890", ""] {
            assert!(PhoneNumber::parse_typed(bad, "FR").is_err(), "{bad:?}");
        }
        assert!(PhoneNumber::parse_typed("0939123456", "not a country").is_err());
    }

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
