//! Exact money in integer micro-units (1 unit = 1,000,000 micros).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

const MICROS_PER_UNIT: i64 = 1_000_000;
const MAX_DECIMALS: usize = 6;

/// An amount of the deployment currency in micro-units. Never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

/// Why a decimal string is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("empty amount")]
    Empty,
    #[error("negative amounts are not allowed")]
    Negative,
    #[error("not a decimal number: {0:?}")]
    NotDecimal(String),
    #[error("more than {MAX_DECIMALS} decimals: {0:?}")]
    TooPrecise(String),
    #[error("amount too large: {0:?}")]
    TooLarge(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_micros(micros: i64) -> Money {
        Money(micros)
    }

    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Parses an amount as a person types it: either decimal mark (`5,50`
    /// or `5.50`), spaces between groups of digits (`1 000,00`, also
    /// no-break spaces) and a euro sign before or after (`5,50 €`). A text
    /// with both marks (`1.000,50`) is refused rather than guessed.
    pub fn parse_typed(text: &str) -> Result<Money, MoneyError> {
        let trimmed = text.trim().trim_start_matches('€').trim_end_matches('€');
        let compact: String = trimmed.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
        if compact.contains(',') && compact.contains('.') {
            return Err(MoneyError::NotDecimal(text.trim().to_owned()));
        }
        Money::parse(&compact.replace(',', ".")).map_err(|error| match error {
            MoneyError::NotDecimal(_) => MoneyError::NotDecimal(text.trim().to_owned()),
            other => other,
        })
    }

    /// Parses a non-negative decimal string such as `"0.08"`, `"20"` or `"0.0075"`.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty()
            || !digits_only(whole)
            || !digits_only(fraction)
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(MoneyError::NotDecimal(text.to_owned()));
        }
        if fraction.len() > MAX_DECIMALS {
            return Err(MoneyError::TooPrecise(text.to_owned()));
        }
        let too_large = || MoneyError::TooLarge(text.to_owned());
        let whole_value: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
        let mut fraction_value: i64 = 0;
        for position in 0..MAX_DECIMALS {
            let digit = fraction.as_bytes().get(position).map_or(0, |b| i64::from(b - b'0'));
            fraction_value = fraction_value * 10 + digit;
        }
        whole_value
            .checked_mul(MICROS_PER_UNIT)
            .and_then(|m| m.checked_add(fraction_value))
            .map(Money)
            .ok_or_else(too_large)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }

    pub fn checked_mul(self, factor: u32) -> Option<Money> {
        self.0.checked_mul(i64::from(factor)).map(Money)
    }

    /// Major units as a float, for Prometheus only (never for accounting).
    pub fn as_major_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_UNIT as f64
    }
}

impl fmt::Display for Money {
    /// At least two decimals, more only when the amount needs them: `0.08`, `0.0075`, `20.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / MICROS_PER_UNIT as u64;
        let fraction = abs % MICROS_PER_UNIT as u64;
        let mut decimals = format!("{fraction:06}");
        while decimals.len() > 2 && decimals.ends_with('0') {
            decimals.pop();
        }
        write!(f, "{sign}{whole}.{decimals}")
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_strings_exactly() {
        assert_eq!(Money::parse("0.08").unwrap().micros(), 80_000);
        assert_eq!(Money::parse("20").unwrap().micros(), 20_000_000);
        assert_eq!(Money::parse("0.0075").unwrap().micros(), 7_500);
        assert_eq!(Money::parse("500.000001").unwrap().micros(), 500_000_001);
        assert_eq!(Money::parse(".5").unwrap().micros(), 500_000);
        assert_eq!(Money::parse(" 1.10 ").unwrap().micros(), 1_100_000);
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        assert_eq!(Money::parse("abc"), Err(MoneyError::NotDecimal("abc".into())));
        assert_eq!(Money::parse("-1"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("0.0000001"), Err(MoneyError::TooPrecise("0.0000001".into())));
        assert_eq!(Money::parse(""), Err(MoneyError::Empty));
        assert!(matches!(Money::parse("1."), Err(MoneyError::NotDecimal(_))));
        assert!(matches!(Money::parse("1,5"), Err(MoneyError::NotDecimal(_))));
        assert!(matches!(Money::parse("+1"), Err(MoneyError::NotDecimal(_))));
        assert!(matches!(Money::parse("1e3"), Err(MoneyError::NotDecimal(_))));
        assert!(matches!(Money::parse("99999999999999999"), Err(MoneyError::TooLarge(_))));
    }

    #[test]
    fn typed_amounts_take_either_decimal_mark_spaces_and_a_euro_sign() {
        for typed in ["5,50", "5.50", " 5,5 ", "5,50 €", "€5.50", "5,50\u{a0}€"] {
            assert_eq!(Money::parse_typed(typed), Ok(Money::from_micros(5_500_000)), "{typed:?}");
        }
        assert_eq!(Money::parse_typed("1 000,25"), Ok(Money::from_micros(1_000_250_000)));
        assert_eq!(Money::parse_typed("1\u{202f}000"), Ok(Money::from_micros(1_000_000_000)));
        assert_eq!(Money::parse_typed("1.000,50"), Err(MoneyError::NotDecimal("1.000,50".into())));
        assert_eq!(Money::parse_typed("5,5,5"), Err(MoneyError::NotDecimal("5,5,5".into())));
        assert_eq!(Money::parse_typed("-5,50"), Err(MoneyError::Negative));
        assert_eq!(Money::parse_typed("€"), Err(MoneyError::Empty));
        assert_eq!(Money::parse_typed("0,0000001"), Err(MoneyError::TooPrecise("0.0000001".into())));
    }

    #[test]
    fn displays_with_at_least_two_decimals() {
        assert_eq!(Money::from_micros(80_000).to_string(), "0.08");
        assert_eq!(Money::from_micros(7_500).to_string(), "0.0075");
        assert_eq!(Money::from_micros(20_000_000).to_string(), "20.00");
        assert_eq!(Money::from_micros(1).to_string(), "0.000001");
        assert_eq!(Money::from_micros(-80_000).to_string(), "-0.08");
    }

    #[test]
    fn arithmetic_is_exact_to_the_micro_and_says_when_it_cannot_be() {
        let (a, b) = (Money::from_micros(80_001), Money::from_micros(7_500));
        assert_eq!(a.checked_add(b), Some(Money::from_micros(87_501)));
        assert_eq!(Money::from_micros(i64::MAX).checked_add(Money::from_micros(1)), None);
        assert_eq!(a.saturating_add(b), Money::from_micros(87_501));
        assert_eq!(Money::from_micros(i64::MAX).saturating_add(b), Money::from_micros(i64::MAX));
        assert_eq!(a.saturating_sub(b), Money::from_micros(72_501));
        assert_eq!(b.saturating_sub(a), Money::from_micros(-72_501));
        assert_eq!(Money::from_micros(i64::MIN).saturating_sub(b), Money::from_micros(i64::MIN));
        assert_eq!(a.checked_mul(3), Some(Money::from_micros(240_003)));
        assert_eq!(Money::from_micros(i64::MAX / 2 + 1).checked_mul(2), None);
    }

    #[test]
    fn major_units_for_prometheus_and_from_str_parse_alike() {
        assert_eq!(Money::from_micros(80_000).as_major_f64(), 0.08);
        assert_eq!(Money::from_micros(-20_000_000).as_major_f64(), -20.0);
        assert_eq!("0.0075".parse::<Money>(), Ok(Money::from_micros(7_500)));
        assert_eq!("abc".parse::<Money>(), Err(MoneyError::NotDecimal("abc".into())));
    }

    #[test]
    fn display_and_parse_round_trip() {
        for micros in [0, 1, 7_500, 80_000, 123_456_789, 20_000_000] {
            let money = Money::from_micros(micros);
            assert_eq!(Money::parse(&money.to_string()).unwrap(), money);
        }
    }
}
