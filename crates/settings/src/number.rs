//! `[[tenants.numbers]]`: one published number, its reply, what a reply
//! costs, and the limits that protect its money.

use std::collections::HashMap;

use antirelou_domain::segments::{self, SegmentCount};
use antirelou_domain::shield::ShieldPolicy;
use antirelou_domain::{Money, PhoneNumber};

use crate::check::{index, join, Check};
use crate::node::{self, Node};
use crate::raw::{RawNumber, RawShield};
use crate::server::positive;

/// A reply longer than this many SMS segments is refused.
pub const MAX_REPLY_SEGMENTS: u32 = 10;

/// One configured number.
#[derive(Clone, Debug)]
pub struct NumberSettings {
    /// Unique across the whole deployment.
    pub number: PhoneNumber,
    /// A paused number answers nobody (outcome `paused`).
    pub paused: bool,
    /// The reply text, surrounding whitespace trimmed; 1 to 10 segments.
    pub reply: String,
    pub reply_segments: SegmentCount,
    pub price_per_segment: Money,
    /// `reply_segments.segments × price_per_segment`.
    pub reply_cost: Money,
    /// What the provider charges per received SMS. Default 0.
    pub inbound_price: Money,
    pub daily_cap: Option<Money>,
    /// A sender gets at most one reply per this many seconds. Default 30 days.
    pub reply_once_per_seconds: u64,
    /// Default 30.
    pub max_replies_per_minute: u32,
    pub allowed_countries: AllowedCountries,
    pub shield: ShieldPolicy,
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

/// Shield defaults (SPEC §5).
pub const DEFAULT_SHIELD: ShieldPolicy =
    ShieldPolicy { trigger_per_minute: 60, new_senders_per_minute: 20, hold_seconds: 3_600, trickle_per_hour: 10 };

/// Default `reply_once_per`: 30 days.
pub const DEFAULT_REPLY_ONCE_PER_SECONDS: u64 = 30 * 86_400;

/// Numbers already configured, by E.164, with the key path that configured them.
pub(crate) type SeenNumbers = HashMap<String, String>;

pub(crate) fn number(
    check: &mut Check<'_>,
    path: &str,
    raw: RawNumber,
    seen: &mut SeenNumbers,
) -> Option<NumberSettings> {
    check.unknown_keys(path, &raw.unknown, RawNumber::KEYS);
    let number_key = join(path, "number");
    let number =
        check.required(&number_key, raw.number, |n| PhoneNumber::parse(&node::text(n)?).map_err(|e| e.to_string()));
    if let Some(number) = &number {
        if let Some(first) = seen.get(number.as_str()) {
            check.problem(&number_key, format!("{number} is already configured at {first}"));
        } else {
            seen.insert(number.as_str().to_owned(), number_key.clone());
        }
    }
    let paused = check.or(&join(path, "paused"), raw.paused, false, node::boolean);
    let reply = check.required(&join(path, "reply"), raw.reply, reply);
    let price_per_segment = check.required(&join(path, "price_per_segment"), raw.price_per_segment, node::money);
    let inbound_price = check.or(&join(path, "inbound_price"), raw.inbound_price, Money::ZERO, node::money);
    let daily_cap = check.optional(&join(path, "daily_cap"), raw.daily_cap, node::positive_money);
    let reply_once_per_seconds =
        check.or(&join(path, "reply_once_per"), raw.reply_once_per, DEFAULT_REPLY_ONCE_PER_SECONDS, positive_duration);
    let max_replies_per_minute =
        check.or(&join(path, "max_replies_per_minute"), raw.max_replies_per_minute, 30, positive::<u32>);
    let allowed_countries = allowed_countries(check, &join(path, "allowed_countries"), raw.allowed_countries, &number);
    let shield = match raw.shield {
        Some(raw) => shield(check, &join(path, "shield"), raw),
        None => Some(DEFAULT_SHIELD),
    };

    let (reply, reply_segments) = reply?;
    let price_per_segment = price_per_segment?;
    let reply_cost = price_per_segment.checked_mul(reply_segments.segments);
    if reply_cost.is_none() {
        check.problem(join(path, "price_per_segment"), "too large: the reply's cost overflows");
    }
    Some(NumberSettings {
        number: number?,
        paused: paused?,
        reply,
        reply_segments,
        price_per_segment,
        reply_cost: reply_cost?,
        inbound_price: inbound_price?,
        daily_cap: daily_cap?,
        reply_once_per_seconds: reply_once_per_seconds?,
        max_replies_per_minute: max_replies_per_minute?,
        allowed_countries: allowed_countries?,
        shield: shield?,
    })
}

fn reply(n: Node) -> Result<(String, SegmentCount), String> {
    let text = node::text(n)?.trim().to_owned();
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
    Ok((text, count))
}

fn positive_duration(n: Node) -> Result<u64, String> {
    match node::duration(n)? {
        0 => Err("must be longer than zero".to_owned()),
        seconds => Ok(seconds),
    }
}

fn allowed_countries(
    check: &mut Check<'_>,
    key: &str,
    node: Option<Node>,
    number: &Option<PhoneNumber>,
) -> Option<AllowedCountries> {
    let Some(node) = node.filter(|n| *n != Node::Nil) else {
        // The default needs the number's country; an invalid number is already a problem.
        let number = number.as_ref()?;
        return match number.country() {
            Some(country) => Some(AllowedCountries::Only(vec![country.to_owned()])),
            None => {
                check.problem(key, format!("required: {number} belongs to no country, so there is no default"));
                None
            }
        };
    };
    let items = match node::list(node) {
        Ok(items) => items,
        Err(reason) => {
            check.problem(key, reason);
            return None;
        }
    };
    if items.is_empty() {
        check.problem(key, "empty: list country codes such as [\"FR\"], use [\"*\"] for any country, or leave the key out for the number's own country");
        return None;
    }
    let wildcard = items.iter().any(|item| *item == Node::Text("*".to_owned()));
    if wildcard {
        if items.len() > 1 {
            check.problem(key, "\"*\" (any country) cannot be combined with country codes");
            return None;
        }
        return Some(AllowedCountries::Any);
    }
    let mut codes = Vec::new();
    let mut valid = true;
    for (i, item) in items.into_iter().enumerate() {
        let code = node::text(item).and_then(|text| {
            let code = text.trim().to_ascii_uppercase();
            if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(code)
            } else {
                Err(format!("expected an ISO 3166 alpha-2 country code such as \"FR\", got {text:?}"))
            }
        });
        match code {
            Ok(code) if !codes.contains(&code) => codes.push(code),
            Ok(_) => {}
            Err(reason) => {
                check.problem(index(key, i), reason);
                valid = false;
            }
        }
    }
    valid.then_some(AllowedCountries::Only(codes))
}

fn shield(check: &mut Check<'_>, path: &str, raw: RawShield) -> Option<ShieldPolicy> {
    check.unknown_keys(path, &raw.unknown, RawShield::KEYS);
    let d = DEFAULT_SHIELD;
    let trigger = check.or(&join(path, "trigger_per_minute"), raw.trigger_per_minute, d.trigger_per_minute, positive);
    let new_senders =
        check.or(&join(path, "new_senders_per_minute"), raw.new_senders_per_minute, d.new_senders_per_minute, positive);
    let hold = check.or(&join(path, "hold"), raw.hold, d.hold_seconds, positive_duration);
    let trickle = check.or(&join(path, "trickle_per_hour"), raw.trickle_per_hour, d.trickle_per_hour, node::whole);
    Some(ShieldPolicy {
        trigger_per_minute: trigger?,
        new_senders_per_minute: new_senders?,
        hold_seconds: hold?,
        trickle_per_hour: trickle?,
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
    fn a_reply_is_trimmed_and_counted() {
        let (text, count) = reply(Node::Text("  Non, c'est non.\n".into())).unwrap();
        assert_eq!(text, "Non, c'est non.");
        assert_eq!(count.segments, 1);
        assert!(reply(Node::Text(" \n".into())).unwrap_err().starts_with("must not be empty"));
        let long = reply(Node::Text("ô".repeat(67 * 10 + 1))).unwrap_err();
        assert!(long.contains("11 segments (UCS-2"), "{long}");
    }
}
