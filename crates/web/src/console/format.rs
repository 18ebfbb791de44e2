//! How the console writes money, times and counts, the same on every page:
//! `0,08 €` in French and `€0.08` in English; times short, in the ledger's
//! timezone (`7 déc. 2026 14:05` / `7 Dec 2026 14:05`). Counts take their
//! plural form from the words' Fluent files (see `i18n`).

use antirelou_domain::Money;
use chrono::{Datelike, TimeZone};

use super::i18n::Lang;

/// The symbol a currency is written with, if it has a common one.
fn symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        _ => None,
    }
}

/// `money` as a visitor of `lang` writes it: `0,08 €` / `€0.08`
/// (`0,08 CHF` / `0.08 CHF` for a currency without a symbol). French puts
/// a no-break space before the symbol so it never wraps alone.
pub fn money(lang: Lang, currency: &str, money: Money) -> String {
    let text = money.to_string();
    match (lang, symbol(currency)) {
        (Lang::Fr, Some(sign)) => format!("{}\u{a0}{sign}", text.replace('.', ",")),
        (Lang::Fr, None) => format!("{}\u{a0}{currency}", text.replace('.', ",")),
        (Lang::En, Some(sign)) => match text.strip_prefix('-') {
            Some(positive) => format!("-{sign}{positive}"),
            None => format!("{sign}{text}"),
        },
        (Lang::En, None) => format!("{text}\u{a0}{currency}"),
    }
}

/// The currency as a form's label writes it (`€`, else its code).
pub fn currency_sign(currency: &str) -> &str {
    symbol(currency).unwrap_or(currency)
}

/// A cap or amount as a form field shows it for editing: `5,50` in French.
pub fn money_field(lang: Lang, money: Money) -> String {
    match lang {
        Lang::Fr => money.to_string().replace('.', ","),
        Lang::En => money.to_string(),
    }
}

const MONTHS_FR: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// An instant (Unix microseconds) in `tz`, short: `7 déc. 2026 14:05`.
pub fn time(lang: Lang, tz: chrono_tz::Tz, micros: i64) -> String {
    let Some(local) = tz.timestamp_micros(micros).single() else { return String::new() };
    let months = match lang {
        Lang::Fr => MONTHS_FR,
        Lang::En => MONTHS_EN,
    };
    format!("{} {} {} {}", local.day(), months[local.month0() as usize], local.year(), local.format("%H:%M"))
}

/// An RFC 3339 instant (as alerts carry them) written like [`time`]; a text
/// that is not one is given back as it is.
pub fn time_rfc3339(lang: Lang, tz: chrono_tz::Tz, rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| time(lang, tz, t.timestamp_micros()))
        .unwrap_or_else(|_| rfc3339.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_writes_a_decimal_comma_and_the_euro_after_english_the_euro_before() {
        let eight_cents = Money::from_micros(80_000);
        assert_eq!(money(Lang::Fr, "EUR", eight_cents), "0,08\u{a0}€");
        assert_eq!(money(Lang::En, "EUR", eight_cents), "€0.08");
        assert_eq!(money(Lang::En, "EUR", Money::from_micros(-80_000)), "-€0.08");
        assert_eq!(money(Lang::Fr, "CHF", Money::from_micros(7_500)), "0,0075\u{a0}CHF");
        assert_eq!(money_field(Lang::Fr, Money::from_micros(5_500_000)), "5,50");
    }

    #[test]
    fn times_are_short_and_local_to_the_ledger_s_timezone() {
        // 2026-12-07T13:15:45Z is 14:15 in Paris.
        let micros = 1_796_649_345_044_767;
        assert_eq!(time(Lang::Fr, chrono_tz::Europe::Paris, micros), "7 déc. 2026 14:15");
        assert_eq!(time(Lang::En, chrono_tz::Europe::Paris, micros), "7 Dec 2026 14:15");
        assert_eq!(
            time_rfc3339(Lang::Fr, chrono_tz::Europe::Paris, "2026-12-07T13:15:45.044767+00:00"),
            "7 déc. 2026 14:15"
        );
        assert_eq!(time_rfc3339(Lang::En, chrono_tz::UTC, "not a time"), "not a time");
    }
}
