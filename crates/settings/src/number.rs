//! `[[tenants.numbers]]`: one published number, its reply, what a reply
//! costs, and the limits that protect its money.

use antirelou_domain::segments::{self, SegmentCount};
use antirelou_domain::{Money, PhoneNumber};

use crate::check::{index, Check};
use crate::node::Node;
use crate::read::{boolean, list, money, positive, positive_duration, positive_money, text};
use crate::shield::ShieldSettings;
use crate::table::{with_check, Read};
use crate::voice::VoiceSettings;

/// A reply longer than this many SMS segments is refused.
pub const MAX_REPLY_SEGMENTS: u32 = 10;

/// Default `reply_once_per`: 30 days.
pub const DEFAULT_REPLY_ONCE_PER_SECONDS: u64 = 30 * 86_400;

/// Default `max_replies_per_minute`.
pub const DEFAULT_MAX_REPLIES_PER_MINUTE: u32 = 30;

section! {
    /// One configured number.
    #[derive(Clone, Debug)]
    pub struct NumberSettings in "[[tenants.numbers]]" {
        /// Unique across the whole deployment.
        number: PhoneNumber = required(our_number()),
        /// A paused number answers nobody (outcome `paused`).
        paused: bool = or(false, boolean),
        /// The reply text, surrounding whitespace trimmed; 1 to 10 segments.
        reply: String = required(reply_text),
        price_per_segment: Money = required(price_per_segment),
        /// What the provider charges per received SMS. Default 0.
        inbound_price: Money = or(Money::ZERO, money),
        daily_cap: Option<Money> = optional(positive_money),
        /// A sender gets at most one reply per this many seconds. Default 30 days.
        reply_once_per_seconds as "reply_once_per": u64 = or(DEFAULT_REPLY_ONCE_PER_SECONDS, positive_duration),
        /// Default 30.
        max_replies_per_minute: u32 = or(DEFAULT_MAX_REPLIES_PER_MINUTE, positive::<u32>),
        allowed_countries: AllowedCountries = or_else(countries(), |check, key| own_country(check, key, number.as_ref())),
        shield: ShieldSettings = section(),
        /// How the number answers a call; `None`: calls are rejected unanswered.
        voice: Option<VoiceSettings> = optional_section(),
    }
    derived {
        reply_segments: SegmentCount = segments::count(&reply),
        /// `reply_segments.segments × price_per_segment`.
        reply_cost: Money = reply_cost(price_per_segment, &reply_segments),
    }
}

/// Countries whose senders may get a reply. Default: only the number's own
/// country, since replying abroad is how SMS-pumping fraud makes money.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedCountries {
    /// `["*"]`.
    Any,
    /// ISO 3166 alpha-2 codes, uppercase.
    Only(Vec<String>),
}

impl AllowedCountries {
    /// Whether a sender from `country` (alpha-2, `None` when unknown) may get a reply.
    /// A sender of unknown country is only allowed by `Any`.
    pub fn allows(&self, country: Option<&str>) -> bool {
        match self {
            AllowedCountries::Any => true,
            AllowedCountries::Only(codes) => {
                country.is_some_and(|c| codes.iter().any(|code| code.eq_ignore_ascii_case(c)))
            }
        }
    }
}

/// What a reply of `segments` costs at `price_per_segment`.
pub(crate) fn reply_cost(price_per_segment: Money, segments: &SegmentCount) -> Money {
    // `price_per_segment` is refused when MAX_REPLY_SEGMENTS of it overflow,
    // and a reply has at most that many segments: the fallback is unreachable.
    price_per_segment.checked_mul(segments.segments).unwrap_or(Money::from_micros(i64::MAX))
}

/// The reply: trimmed, not empty, at most [`MAX_REPLY_SEGMENTS`] segments.
pub(crate) fn reply_text(n: Node) -> Result<String, String> {
    let text = text(n)?.trim().to_owned();
    if text.is_empty() {
        return Err("must not be empty: write the reply senders will receive".to_owned());
    }
    let count = segments::count(&text);
    if count.segments > MAX_REPLY_SEGMENTS {
        return Err(format!(
            "too long: {} segments ({}, {} units), at most {MAX_REPLY_SEGMENTS} are allowed",
            count.segments, count.encoding, count.units
        ));
    }
    Ok(text)
}

/// Reader of `allowed_countries`: `["*"]`, or country codes, each refused
/// one a problem at its index.
pub(crate) fn countries() -> impl Read<AllowedCountries> {
    with_check(|check: &mut Check<'_>, key: &str, node: Node| {
        let items = check.accept(key, list(node))?;
        if items.is_empty() {
            check.problem(key, "empty: list country codes such as [\"FR\"], use [\"*\"] for any country, or leave the key out for the number's own country");
            return None;
        }
        if items.iter().any(|item| *item == Node::Text("*".to_owned())) {
            if items.len() > 1 {
                check.problem(key, "\"*\" (any country) cannot be combined with country codes");
                return None;
            }
            return Some(AllowedCountries::Any);
        }
        let mut codes = Some(Vec::new());
        for (i, item) in items.into_iter().enumerate() {
            match (check.accept(&index(key, i), country_code(item)), codes.as_mut()) {
                (Some(code), Some(codes)) if !codes.contains(&code) => codes.push(code),
                (Some(_), _) => {}
                (None, _) => codes = None,
            }
        }
        codes.map(AllowedCountries::Only)
    })
}

fn country_code(n: Node) -> Result<String, String> {
    let text = text(n)?;
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(format!("expected an ISO 3166 alpha-2 country code such as \"FR\", got {text:?}"))
    }
}

/// The default of `allowed_countries`: the number's own country. An invalid
/// number is already a problem, so it adds none.
fn own_country(check: &mut Check<'_>, key: &str, number: Option<&PhoneNumber>) -> Option<AllowedCountries> {
    let number = number?;
    match number.country() {
        Some(country) => Some(AllowedCountries::Only(vec![country.to_owned()])),
        None => {
            check.problem(key, format!("required: {number} belongs to no country, so there is no default"));
            None
        }
    }
}

/// What a provider charges per segment: an amount whose
/// [`MAX_REPLY_SEGMENTS`] multiple the ledger can still count.
fn price_per_segment(n: Node) -> Result<Money, String> {
    let price = money(n)?;
    if price.checked_mul(MAX_REPLY_SEGMENTS).is_none() {
        return Err(format!("too large: a reply of {MAX_REPLY_SEGMENTS} segments would overflow the ledger"));
    }
    Ok(price)
}

/// Reader of `number`: E.164, configured once in the whole deployment, and
/// a warning when it is a French mobile number.
fn our_number() -> impl Read<PhoneNumber> {
    with_check(|check: &mut Check<'_>, key: &str, node: Node| {
        let number = text(node).and_then(|text| PhoneNumber::parse(&text).map_err(|e| e.to_string()));
        let number = check.accept(key, number)?;
        if let Some(first) = check.first_use("number", number.as_str(), key) {
            check.problem(key, format!("{number} is already configured at {first}"));
            return None;
        }
        if let Some(warning) = french_mobile_warning(&number) {
            check.warn(key, warning);
        }
        Some(number)
    })
}

/// Why a French mobile number (+33 6, +33 7) should not answer automatically.
fn french_mobile_warning(number: &PhoneNumber) -> Option<String> {
    let e164 = number.as_str();
    (e164.starts_with("+336") || e164.starts_with("+337")).then(|| {
        format!(
            "{number} is a French mobile number: since 1 January 2023 French numbering reserves 06 and 07 \
             numbers for interpersonal communication and gives exchanges with a technical platform the \
             09 37 to 09 39 range (ARCEP decision 2022-1583), and Twilio's and Vonage's French mobile numbers \
             may not be used for automated (A2P) messages; see docs/providers.md for the numbers and \
             providers that fit"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_allows_everyone_and_only_allows_listed_countries() {
        assert!(AllowedCountries::Any.allows(None));
        let fr_be = AllowedCountries::Only(vec!["FR".into(), "BE".into()]);
        assert!(fr_be.allows(Some("FR")));
        assert!(fr_be.allows(Some("be")));
        assert!(!fr_be.allows(Some("GB")));
        assert!(!fr_be.allows(None));
    }

    #[test]
    fn a_reply_is_trimmed_and_bounded() {
        assert_eq!(reply_text(Node::Text("  Non, c'est non.\n".into())), Ok("Non, c'est non.".to_owned()));
        assert!(reply_text(Node::Text(" \n".into())).unwrap_err().starts_with("must not be empty"));
        let long = reply_text(Node::Text("ô".repeat(67 * 10 + 1))).unwrap_err();
        assert!(long.contains("11 segments (UCS-2"), "{long}");
        assert!(reply_text(Node::Text("ô".repeat(67 * 10))).is_ok());
    }

    #[test]
    fn a_price_whose_longest_reply_overflows_is_refused() {
        let largest = Money::from_micros(i64::MAX / 10);
        assert_eq!(price_per_segment(Node::Text(largest.to_string())), Ok(largest));
        let too_large = Money::from_micros(i64::MAX / 10 + 1).to_string();
        assert!(price_per_segment(Node::Text(too_large)).unwrap_err().starts_with("too large"));
    }

    #[test]
    fn only_french_mobile_numbers_are_warned_about() {
        let warned = |n: &str| french_mobile_warning(&PhoneNumber::parse(n).unwrap());
        let warning = warned("+33612345678").unwrap();
        for fact in ["1 January 2023", "09 37 to 09 39", "ARCEP decision 2022-1583", "Twilio", "Vonage", "A2P"] {
            assert!(warning.contains(fact), "{fact} missing from {warning}");
        }
        assert!(warning.contains("docs/providers.md"));
        assert!(warned("+33712345678").is_some());
        for quiet in ["+33937123456", "+33123456789", "+32470123456", "+14155550100"] {
            assert_eq!(warned(quiet), None, "{quiet}");
        }
    }
}
