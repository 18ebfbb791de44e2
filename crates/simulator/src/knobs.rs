//! Command-line knobs of `antirelou simulate` (`--attackers`, `--duration`,
//! `--price`, the caps), applied over a resolved scenario, and the readers
//! of amounts a scenario file shares with them.

use antirelou_domain::{parse_duration, Money};
use antirelou_engine::Channel;

use crate::spec::{AttackSenders, ResolvedScenario, SpecError};

/// Command-line knobs applied over a scenario (each `None` keeps the scenario's value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Knobs {
    pub attack_messages: Option<u32>,
    pub attackers: Option<AttackSenders>,
    pub genuine_senders: Option<u32>,
    pub duration_seconds: Option<u64>,
    /// `--price`: the price of a segment, or of a minute for calls.
    pub price_per_segment: Option<Money>,
    /// `Some(None)`: no cap.
    pub daily_cap: Option<Option<Money>>,
    pub monthly_cap: Option<Option<Money>>,
}

impl Knobs {
    /// Parses the textual knobs of the command line.
    pub fn parse(
        attackers: Option<&str>,
        duration: Option<&str>,
        price: Option<&str>,
        daily_cap: Option<&str>,
        monthly_cap: Option<&str>,
    ) -> Result<Knobs, SpecError> {
        let attackers =
            match attackers.map(str::trim) {
                None => None,
                Some("every-message") => Some(AttackSenders::EveryMessage),
                Some(n) => Some(AttackSenders::Numbers(n.parse().map_err(|_| {
                    SpecError::Invalid(format!("--attackers: a count or \"every-message\", not {n:?}"))
                })?)),
            };
        let duration_seconds = match duration {
            None => None,
            Some(d) => Some(parse_duration(d).map_err(|e| SpecError::Invalid(format!("--duration: {e}")))?),
        };
        Ok(Knobs {
            attackers,
            duration_seconds,
            price_per_segment: price.map(|p| money("--price", p)).transpose()?,
            daily_cap: daily_cap.map(|c| parse_cap("--daily-cap", c)).transpose()?,
            monthly_cap: monthly_cap.map(|c| parse_cap("--monthly-cap", c)).transpose()?,
            ..Knobs::default()
        })
    }

    /// Applies the knobs and validates the result.
    pub fn apply(&self, resolved: &mut ResolvedScenario) -> Result<(), SpecError> {
        let spec = &mut resolved.spec;
        set(&mut spec.attack_messages, self.attack_messages);
        set(&mut spec.attackers, self.attackers);
        set(&mut spec.genuine_senders, self.genuine_senders);
        set(&mut spec.duration_seconds, self.duration_seconds);
        let setup = &mut resolved.setup;
        // A call scenario's price is the voice's, per minute.
        match (spec.channel, setup.voice.as_mut()) {
            (Channel::Call, Some(voice)) => set(&mut voice.price_per_minute, self.price_per_segment),
            _ => set(&mut setup.price_per_segment, self.price_per_segment),
        }
        set(&mut setup.daily_cap, self.daily_cap);
        set(&mut setup.monthly_cap, self.monthly_cap);
        spec.validate()
    }
}

/// A cap given on the command line or in a file: a decimal string, or `none`.
pub fn parse_cap(key: &str, text: &str) -> Result<Option<Money>, SpecError> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    money(key, text).map(Some)
}

/// A decimal amount.
pub fn money(key: &str, text: &str) -> Result<Money, SpecError> {
    Money::parse(text).map_err(|e| SpecError::Invalid(format!("{key}: {e}")))
}

pub(crate) fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ScenarioFile;

    #[test]
    fn knobs_override_the_scenario() {
        let mut resolved = ScenarioFile::resolve("flood-2017").unwrap();
        let mut knobs = Knobs::parse(Some("40"), Some("20m"), Some("0.08"), Some("none"), Some("10")).unwrap();
        knobs.attack_messages = Some(2_000);
        knobs.genuine_senders = Some(30);
        knobs.apply(&mut resolved).unwrap();
        assert_eq!(resolved.spec.attackers, AttackSenders::Numbers(40));
        assert_eq!((resolved.spec.attack_messages, resolved.spec.genuine_senders), (2_000, 30));
        assert_eq!(resolved.spec.duration_seconds, 1_200);
        assert_eq!(resolved.setup.price_per_segment, Money::from_micros(80_000));
        assert_eq!(resolved.setup.daily_cap, None);
        assert_eq!(resolved.setup.monthly_cap, Some(Money::from_micros(10_000_000)));
        assert!(Knobs::parse(Some("many"), None, None, None, None).is_err());
        assert!(Knobs::parse(None, None, Some("abc"), None, None).is_err());
    }
}
