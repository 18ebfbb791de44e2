//! What a flood looks like: the built-in scenarios and the `--scenario FILE`
//! TOML format (documented in `docs/simulator.md`).

use std::path::Path;

use antirelou_domain::parse_duration;
use antirelou_domain::shield::ShieldPolicy;
use antirelou_engine::Channel;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::knobs::{money, parse_cap, set};
use crate::setup::NumberSetup;

/// The shape of a flood. [`Scenario::generate`](crate::Scenario::generate)
/// turns it into messages for a seed.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioSpec {
    pub name: String,
    /// When the first second of the scenario is (the virtual clock starts there).
    pub start: DateTime<Utc>,
    pub duration_seconds: u64,
    /// SMS sent by attackers, exactly.
    pub attack_messages: u32,
    pub attackers: AttackSenders,
    /// Heavy tail of messages per attacker: attacker `i` (from 1) gets a
    /// share proportional to `1 / i^zipf_exponent`.
    pub zipf_exponent: f64,
    /// Share of attack messages sent in bursts (the rest spread evenly).
    pub burst_share: f64,
    /// Share of attacker numbers that are foreign (Belgian mobiles) rather than
    /// French: not answered under the default `allowed_countries = ["FR"]`.
    pub foreign_share: f64,
    /// Genuine senders, each sending 1 to `genuine_max_messages` messages.
    pub genuine_senders: u32,
    pub genuine_max_messages: u32,
    /// SMS, or calls (`call-flood`): the same senders and times, each
    /// message a call to the number's voice webhook.
    pub channel: Channel,
}

/// Where attack messages come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttackSenders {
    /// This many numbers, heavy-tailed.
    Numbers(u32),
    /// A new number for every message (spoofed senders).
    EveryMessage,
}

/// Why a scenario cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("unknown scenario {0:?} (built-in: flood-2017, spoofed-senders, call-flood; or a path to a .toml file)")]
    Unknown(String),
    #[error("{0}")]
    Invalid(String),
}

impl ScenarioSpec {
    /// The reference flood: 20,000 attacker SMS from 400 numbers over 4 hours (16:00 to
    /// 20:00 Paris time), a few numbers sending thousands and most a
    /// handful, interleaved with 300 genuine senders sending one or two.
    pub fn flood_2017() -> ScenarioSpec {
        ScenarioSpec {
            name: "flood-2017".to_owned(),
            // 2017-11-23 16:00 Europe/Paris (UTC+1): one day for the daily cap.
            start: DateTime::from_timestamp(1_511_449_200, 0).unwrap_or_default(),
            duration_seconds: 4 * 3_600,
            attack_messages: 20_000,
            attackers: AttackSenders::Numbers(400),
            zipf_exponent: 1.2,
            burst_share: 0.5,
            foreign_share: 0.0,
            genuine_senders: 300,
            genuine_max_messages: 2,
            channel: Channel::Sms,
        }
    }

    /// `flood-2017` where every attack message comes from a new number: the
    /// worst case for per-sender memory; only caps and shield protect.
    pub fn spoofed_senders() -> ScenarioSpec {
        ScenarioSpec {
            name: "spoofed-senders".to_owned(),
            attackers: AttackSenders::EveryMessage,
            ..ScenarioSpec::flood_2017()
        }
    }

    /// `flood-2017` by telephone: the forum's 400 numbers call the number
    /// 20,000 times over the same 4 hours (heavy-tailed, in bursts), and 300
    /// genuine callers call once or twice. Each call is decided through the
    /// Twilio voice webhook; the number answers with its `voice` message.
    pub fn call_flood() -> ScenarioSpec {
        ScenarioSpec { name: "call-flood".to_owned(), channel: Channel::Call, ..ScenarioSpec::flood_2017() }
    }

    /// The built-in scenarios' names.
    pub const BUILTIN: [&'static str; 3] = ["flood-2017", "spoofed-senders", "call-flood"];

    /// A built-in scenario by name.
    pub fn builtin(name: &str) -> Option<ScenarioSpec> {
        match name {
            "flood-2017" => Some(ScenarioSpec::flood_2017()),
            "spoofed-senders" => Some(ScenarioSpec::spoofed_senders()),
            "call-flood" => Some(ScenarioSpec::call_flood()),
            _ => None,
        }
    }

    /// Checks the knobs make a scenario.
    pub fn validate(&self) -> Result<(), SpecError> {
        let invalid = |m: &str| Err(SpecError::Invalid(m.to_owned()));
        if self.duration_seconds == 0 {
            return invalid("duration must be more than zero");
        }
        if let AttackSenders::Numbers(n) = self.attackers {
            if n == 0 && self.attack_messages > 0 {
                return invalid("attack messages need at least one attacker");
            }
            if n > self.attack_messages {
                return invalid("more attackers than attack messages: each attacker sends at least one");
            }
        }
        if self.genuine_senders > 0 && self.genuine_max_messages == 0 {
            return invalid("genuine senders send at least one message (genuine.max_messages_each >= 1)");
        }
        for (name, share) in [("burst_share", self.burst_share), ("foreign_share", self.foreign_share)] {
            if !(0.0..=1.0).contains(&share) {
                return Err(SpecError::Invalid(format!("{name} must be between 0 and 1")));
            }
        }
        if !(self.zipf_exponent.is_finite() && self.zipf_exponent >= 0.0) {
            return invalid("zipf_exponent must be a non-negative number");
        }
        let total =
            u64::from(self.attack_messages) + u64::from(self.genuine_senders) * u64::from(self.genuine_max_messages);
        if total > 50_000_000 {
            return invalid("more than 50,000,000 messages");
        }
        Ok(())
    }
}

/// A `--scenario FILE`: optional base scenario, then overrides.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// A built-in to start from (default `flood-2017`).
    pub base: Option<String>,
    pub name: Option<String>,
    pub seed: Option<u64>,
    /// RFC 3339.
    pub start: Option<String>,
    pub duration: Option<DurationValue>,
    #[serde(default)]
    pub attack: AttackTable,
    #[serde(default)]
    pub genuine: GenuineTable,
    #[serde(default)]
    pub number: NumberTable,
}

/// `"4h"`, `"90m"` or seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DurationValue {
    Seconds(u64),
    Text(String),
}

impl DurationValue {
    fn seconds(&self, key: &str) -> Result<u64, SpecError> {
        match self {
            DurationValue::Seconds(s) => Ok(*s),
            DurationValue::Text(t) => parse_duration(t).map_err(|e| SpecError::Invalid(format!("{key}: {e}"))),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttackTable {
    pub messages: Option<u32>,
    /// A count, or `"every-message"`.
    pub senders: Option<SendersValue>,
    pub zipf_exponent: Option<f64>,
    pub burst_share: Option<f64>,
    pub foreign_share: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SendersValue {
    Count(u32),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenuineTable {
    pub senders: Option<u32>,
    pub max_messages_each: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberTable {
    pub reply: Option<String>,
    pub price_per_segment: Option<String>,
    pub inbound_price: Option<String>,
    /// A decimal string, or `"none"`.
    pub daily_cap: Option<String>,
    /// The tenant's monthly cap: a decimal string, or `"none"`.
    pub monthly_cap: Option<String>,
    pub reply_once_per: Option<DurationValue>,
    pub max_replies_per_minute: Option<u32>,
    pub shield: Option<ShieldTable>,
    pub allowed_countries: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShieldTable {
    pub trigger_per_minute: Option<u32>,
    pub new_senders_per_minute: Option<u32>,
    pub trigger_per_hour: Option<u32>,
    pub new_senders_per_hour: Option<u32>,
    pub hold: Option<DurationValue>,
    pub trickle_per_hour: Option<u32>,
    pub defer_for: Option<DurationValue>,
    pub baseline_factor: Option<u32>,
    pub money_margin_percent: Option<u32>,
}

/// A scenario resolved from a name or a file.
#[derive(Debug, Clone)]
pub struct ResolvedScenario {
    pub spec: ScenarioSpec,
    pub setup: NumberSetup,
    /// The file's seed, if it gives one.
    pub seed: Option<u64>,
}

impl ScenarioFile {
    /// A built-in name, or a path to a TOML scenario file.
    pub fn resolve(name_or_path: &str) -> Result<ResolvedScenario, SpecError> {
        if let Some(spec) = ScenarioSpec::builtin(name_or_path) {
            let setup = NumberSetup::for_channel(spec.channel);
            return Ok(ResolvedScenario { spec, setup, seed: None });
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(SpecError::Unknown(name_or_path.to_owned()));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|source| SpecError::Read { path: path.display().to_string(), source })?;
        let file: ScenarioFile = toml::from_str(&text)
            .map_err(|e| SpecError::Parse { path: path.display().to_string(), message: e.to_string() })?;
        let default_name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        file.apply(default_name)
    }

    /// The base scenario with this file's values over it.
    pub fn apply(self, default_name: Option<String>) -> Result<ResolvedScenario, SpecError> {
        let base = self.base.as_deref().unwrap_or("flood-2017");
        let mut spec = ScenarioSpec::builtin(base).ok_or_else(|| SpecError::Unknown(base.to_owned()))?;
        if let Some(name) = self.name.or(default_name) {
            spec.name = name;
        }
        if let Some(start) = &self.start {
            spec.start = DateTime::parse_from_rfc3339(start)
                .map_err(|e| SpecError::Invalid(format!("start: {e} (RFC 3339, e.g. 2017-11-23T15:00:00Z)")))?
                .with_timezone(&Utc);
        }
        if let Some(duration) = &self.duration {
            spec.duration_seconds = duration.seconds("duration")?;
        }
        let attack = self.attack;
        set(&mut spec.attack_messages, attack.messages);
        match attack.senders {
            Some(SendersValue::Count(n)) => spec.attackers = AttackSenders::Numbers(n),
            Some(SendersValue::Text(t)) if t == "every-message" => spec.attackers = AttackSenders::EveryMessage,
            Some(SendersValue::Text(t)) => {
                return Err(SpecError::Invalid(format!("attack.senders: a count or \"every-message\", not {t:?}")))
            }
            None => {}
        }
        set(&mut spec.zipf_exponent, attack.zipf_exponent);
        set(&mut spec.burst_share, attack.burst_share);
        set(&mut spec.foreign_share, attack.foreign_share);
        set(&mut spec.genuine_senders, self.genuine.senders);
        set(&mut spec.genuine_max_messages, self.genuine.max_messages_each);
        spec.validate()?;
        let setup = self.number.apply(NumberSetup::for_channel(spec.channel))?;
        Ok(ResolvedScenario { spec, setup, seed: self.seed })
    }
}

impl NumberTable {
    fn apply(self, mut setup: NumberSetup) -> Result<NumberSetup, SpecError> {
        set(&mut setup.reply, self.reply);
        if let Some(price) = &self.price_per_segment {
            setup.price_per_segment = money("number.price_per_segment", price)?;
        }
        if let Some(price) = &self.inbound_price {
            setup.inbound_price = money("number.inbound_price", price)?;
        }
        if let Some(cap) = &self.daily_cap {
            setup.daily_cap = parse_cap("number.daily_cap", cap)?;
        }
        if let Some(cap) = &self.monthly_cap {
            setup.monthly_cap = parse_cap("number.monthly_cap", cap)?;
        }
        if let Some(d) = &self.reply_once_per {
            setup.reply_once_per_seconds = d.seconds("number.reply_once_per")?;
        }
        set(&mut setup.max_replies_per_minute, self.max_replies_per_minute);
        set(&mut setup.allowed_countries, self.allowed_countries);
        if let Some(shield) = self.shield {
            let mut policy: ShieldPolicy = setup.shield;
            set(&mut policy.trigger_per_minute, shield.trigger_per_minute);
            set(&mut policy.new_senders_per_minute, shield.new_senders_per_minute);
            set(&mut policy.trigger_per_hour, shield.trigger_per_hour);
            set(&mut policy.new_senders_per_hour, shield.new_senders_per_hour);
            set(&mut policy.trickle_per_hour, shield.trickle_per_hour);
            set(&mut policy.baseline_factor, shield.baseline_factor);
            set(&mut policy.money_margin_percent, shield.money_margin_percent);
            if let Some(hold) = &shield.hold {
                policy.hold_seconds = hold.seconds("number.shield.hold")?;
            }
            if let Some(defer_for) = &shield.defer_for {
                setup.defer_for_seconds = defer_for.seconds("number.shield.defer_for")?;
            }
            setup.shield = policy;
        }
        Ok(setup)
    }
}

#[cfg(test)]
mod tests {
    use antirelou_domain::Money;

    use super::*;

    #[test]
    fn builtins_are_the_reference_floods() {
        let flood = ScenarioSpec::flood_2017();
        assert_eq!(flood.attack_messages, 20_000);
        assert_eq!(flood.attackers, AttackSenders::Numbers(400));
        assert_eq!(flood.genuine_senders, 300);
        assert_eq!(flood.duration_seconds, 4 * 3_600);
        assert_eq!(flood.start.to_rfc3339(), "2017-11-23T15:00:00+00:00");
        assert_eq!(ScenarioSpec::spoofed_senders().attackers, AttackSenders::EveryMessage);
        let calls = ScenarioSpec::call_flood();
        assert_eq!(
            (calls.channel, calls.attack_messages, calls.attackers),
            (Channel::Call, 20_000, AttackSenders::Numbers(400))
        );
        for name in ScenarioSpec::BUILTIN {
            assert_eq!(ScenarioSpec::builtin(name).unwrap().name, name);
        }
        assert!(ScenarioSpec::builtin("nope").is_none());
    }

    #[test]
    fn a_scenario_file_overrides_its_base() {
        let file: ScenarioFile = toml::from_str(
            r#"
            base = "spoofed-senders"
            name = "lyon-test"
            seed = 9
            duration = "30m"
            [attack]
            messages = 500
            foreign_share = 0.1
            [genuine]
            senders = 12
            max_messages_each = 1
            [number]
            price_per_segment = "0.08"
            daily_cap = "none"
            monthly_cap = "50"
            reply_once_per = "7d"
            shield = { trigger_per_minute = 100, hold = "10m", defer_for = "20m" }
            "#,
        )
        .unwrap();
        let resolved = file.apply(None).unwrap();
        assert_eq!(resolved.seed, Some(9));
        let spec = resolved.spec;
        assert_eq!(spec.name, "lyon-test");
        assert_eq!(spec.attackers, AttackSenders::EveryMessage);
        assert_eq!((spec.attack_messages, spec.duration_seconds, spec.genuine_senders), (500, 1_800, 12));
        assert_eq!(spec.foreign_share, 0.1);
        let setup = resolved.setup;
        assert_eq!(setup.price_per_segment, Money::from_micros(80_000));
        assert_eq!(setup.daily_cap, None);
        assert_eq!(setup.monthly_cap, Some(Money::from_micros(50_000_000)));
        assert_eq!(setup.reply_once_per_seconds, 7 * 86_400);
        assert_eq!(setup.shield.trigger_per_minute, 100);
        assert_eq!(setup.shield.hold_seconds, 600);
        assert_eq!(setup.shield.trickle_per_hour, 10);
        assert_eq!(setup.defer_for_seconds, 1_200);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(toml::from_str::<ScenarioFile>("[attack]\nmesages = 3").is_err());
        let bad = toml::from_str::<ScenarioFile>("[attack]\nsenders = 10\nmessages = 5").unwrap();
        assert!(matches!(bad.apply(None), Err(SpecError::Invalid(_))));
        assert!(matches!(ScenarioFile::resolve("no-such-scenario"), Err(SpecError::Unknown(_))));
    }
}
