//! `tenants[].numbers[].voice`: how a number answers a call (docs/behaviour.md,
//! "Calls"). Without the table, every call is rejected unanswered.

use antirelou_domain::voice::{call_cost, spoken_seconds};
use antirelou_domain::Money;

use crate::check::{join, Check};
use crate::node::Node;
use crate::read::{money, text};

/// Default `voice.max_seconds`.
pub const DEFAULT_VOICE_MAX_SECONDS: u32 = 30;
/// `voice.max_seconds` at most: ten minutes.
pub const MAX_VOICE_MAX_SECONDS: u32 = 600;
/// `voice.say` at most, in characters (Twilio's `<Say>` takes 4,096).
pub const MAX_SAY_CHARACTERS: usize = 4_000;

section! {
    /// A number's `voice` table.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct VoiceSettings in "voice" {
        /// What the call hears, spoken by the provider's voice, surrounding whitespace trimmed.
        say: String = required(say_text),
        /// The voice's language (BCP 47, `fr-FR`). Default `fr-FR`.
        language: String = or("fr-FR".to_owned(), language),
        /// What the provider charges per started minute of an answered call.
        price_per_minute: Money = required(money),
        /// The longest an answered call may last, in seconds (1 to 600). Default 30.
        max_seconds: u32 = or(DEFAULT_VOICE_MAX_SECONDS, max_seconds),
    }
    derived {
        /// What one answered call may cost at most: `price_per_minute ×
        /// ceil(max_seconds / 60)`, reserved before answering.
        call_reservation: Money = call_cost(price_per_minute, max_seconds).unwrap_or(Money::from_micros(i64::MAX)),
    }
    check spoken_length;
}

fn say_text(node: Node) -> Result<String, String> {
    let say = text(node)?.trim().to_owned();
    if say.is_empty() {
        return Err("must not be empty: write what a caller hears".to_owned());
    }
    let characters = say.chars().count();
    if characters > MAX_SAY_CHARACTERS {
        return Err(format!("too long: {characters} characters, at most {MAX_SAY_CHARACTERS}"));
    }
    Ok(say)
}

/// A BCP 47 tag as the providers take it: letters, then `-` and letters or digits (`fr-FR`, `en-GB`).
fn language(node: Node) -> Result<String, String> {
    let tag = text(node)?.trim().to_owned();
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok = (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if primary_ok && rest_ok {
        Ok(tag)
    } else {
        Err(format!("expected a language tag such as \"fr-FR\" or \"en-GB\", got {tag:?}"))
    }
}

fn max_seconds(node: Node) -> Result<u32, String> {
    let seconds = crate::read::positive::<u32>(node)?;
    if seconds > MAX_VOICE_MAX_SECONDS {
        return Err(format!("at most {MAX_VOICE_MAX_SECONDS} seconds, got {seconds}"));
    }
    Ok(seconds)
}

/// The spoken message must fit in `max_seconds` (an estimate that errs long,
/// `antirelou_domain::voice::spoken_seconds`): the call is hung up when it
/// ends, and its cost was reserved for at most `max_seconds`.
fn spoken_length(voice: &VoiceSettings, path: &str, check: &mut Check<'_>) {
    let seconds = spoken_seconds(&voice.say);
    if seconds > voice.max_seconds {
        check.problem(
            join(path, "say"),
            format!(
                "too long to say in max_seconds = {}: about {seconds} seconds spoken; shorten it or raise max_seconds",
                voice.max_seconds
            ),
        );
    }
}
