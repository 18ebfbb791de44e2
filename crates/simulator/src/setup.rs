//! The simulated deployment: one tenant (`sim`) with one number, written as
//! a settings TOML and loaded by the real validator, so a simulation runs
//! exactly the configuration an operator could write.

use std::path::Path;

use antirelou_domain::shield::ShieldPolicy;
use antirelou_domain::Money;
use antirelou_engine::Channel;
use antirelou_settings::{Settings, DEFAULT_DEFER_FOR_SECONDS, DEFAULT_REPLY_ONCE_PER_SECONDS, DEFAULT_SHIELD};

/// The simulated tenant.
pub const SIM_TENANT: &str = "sim";
/// The simulated number (a French mobile, so French senders are allowed by default).
pub const SIM_NUMBER: &str = "+33644556677";
pub const SIM_ACCOUNT_SID: &str = "AC5157000000000000000000000000a17e";
pub const SIM_AUTH_TOKEN: &str = "simulator-twilio-auth-token";
/// What the simulated provider signs (never contacted).
pub const SIM_PUBLIC_URL: &str = "https://sim.antirelou.invalid";
/// 124 GSM-7 characters: one segment.
pub const SIM_REPLY: &str = "Bonjour. Vous avez mis mal a l'aise la personne qui vous a donne ce numero. \
Non, c'est non. Merci de la laisser tranquille.";

/// What the simulated number says to a call it answers (`voice.say`): 13
/// seconds spoken (estimated), within the 30 of `max_seconds`.
pub const SIM_SAY: &str = "Bonjour. Vous avez mis mal a l'aise la personne qui vous a donne ce numero. \
Non, c'est non. Merci de la laisser tranquille. Au revoir.";

/// The simulated number's `voice`: how it answers calls.
#[derive(Clone, Debug, PartialEq)]
pub struct VoiceSetup {
    pub say: String,
    pub language: String,
    pub price_per_minute: Money,
    pub max_seconds: u32,
}

impl Default for VoiceSetup {
    /// EUR 0.02 a started minute, hung up after 30 seconds at most: EUR 0.02
    /// reserved per answered call.
    fn default() -> VoiceSetup {
        VoiceSetup {
            say: SIM_SAY.to_owned(),
            language: "fr-FR".to_owned(),
            price_per_minute: Money::from_micros(20_000),
            max_seconds: antirelou_settings::DEFAULT_VOICE_MAX_SECONDS,
        }
    }
}

impl VoiceSetup {
    /// What a naive answering machine pays per call: every call answered
    /// and kept for `max_seconds`, each started minute in full.
    pub fn naive_call_cost(&self) -> Money {
        antirelou_domain::voice::call_cost(self.price_per_minute, self.max_seconds).unwrap_or(Money::ZERO)
    }
}

/// The simulated number's price, caps, limits and voice.
#[derive(Clone, Debug, PartialEq)]
pub struct NumberSetup {
    pub reply: String,
    pub price_per_segment: Money,
    pub inbound_price: Money,
    /// `daily_cap` of the number; `None`: no cap.
    pub daily_cap: Option<Money>,
    /// `monthly_cap` of the tenant; `None`: no cap.
    pub monthly_cap: Option<Money>,
    pub reply_once_per_seconds: u64,
    pub max_replies_per_minute: u32,
    pub shield: ShieldPolicy,
    /// `shield.defer_for`: how long a deferred sender is judged at most.
    pub defer_for_seconds: u64,
    /// ISO codes, or `["*"]`.
    pub allowed_countries: Vec<String>,
    /// `voice`: the number answers calls; `None`, it rejects them.
    pub voice: Option<VoiceSetup>,
}

impl Default for NumberSetup {
    /// The reference flood: about EUR 0.16 per processed message in 2017; a 20.00 daily
    /// cap on the number, 100.00 a month for the tenant; every other rule at
    /// its default.
    fn default() -> NumberSetup {
        NumberSetup {
            reply: SIM_REPLY.to_owned(),
            price_per_segment: Money::from_micros(160_000),
            inbound_price: Money::ZERO,
            daily_cap: Some(Money::from_micros(20_000_000)),
            monthly_cap: Some(Money::from_micros(100_000_000)),
            reply_once_per_seconds: DEFAULT_REPLY_ONCE_PER_SECONDS,
            max_replies_per_minute: 30,
            shield: DEFAULT_SHIELD,
            defer_for_seconds: DEFAULT_DEFER_FOR_SECONDS,
            allowed_countries: vec!["FR".to_owned()],
            voice: None,
        }
    }
}

impl NumberSetup {
    /// The default setup of a scenario of `channel`: calls need a `voice`.
    pub fn for_channel(channel: Channel) -> NumberSetup {
        let voice = (channel == Channel::Call).then(VoiceSetup::default);
        NumberSetup { voice, ..NumberSetup::default() }
    }

    /// The settings TOML of the simulated deployment, ledger file at `ledger_path`.
    pub fn settings_toml(&self, ledger_path: &Path) -> String {
        let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
        let cap = |key: &str, cap: Option<Money>| cap.map(|c| format!("{key} = \"{c}\"\n")).unwrap_or_default();
        let countries: Vec<String> = self.allowed_countries.iter().map(|c| quote(c)).collect();
        let shield = &self.shield;
        format!(
            r#"[server]
listen = "127.0.0.1:0"
public_url = "{SIM_PUBLIC_URL}"

[ledger]
backend = "embedded"
path = {path}
currency = "EUR"
timezone = "Europe/Paris"

[privacy]
sender_key = "simulator-sender-key-0123456789-abcdef"
sealing_key = "simulator-sealing-key-0123456789-abcdef"

[log]
level = "warn"

[[tenants]]
id = "{SIM_TENANT}"
{monthly_cap}provider = {{ kind = "twilio", account_sid = "{SIM_ACCOUNT_SID}", auth_token = "{SIM_AUTH_TOKEN}" }}

[[tenants.numbers]]
number = "{SIM_NUMBER}"
reply = {reply}
price_per_segment = "{price}"
inbound_price = "{inbound}"
{daily_cap}reply_once_per = {reply_once_per}
max_replies_per_minute = {max_replies}
allowed_countries = [{countries}]
{voice}shield = {{ trigger_per_minute = {trigger}, new_senders_per_minute = {new_senders}, trigger_per_hour = {trigger_hour}, new_senders_per_hour = {new_senders_hour}, hold = {hold}, trickle_per_hour = {trickle}, defer_for = {defer_for}, baseline_factor = {baseline_factor}, money_margin_percent = {money_margin} }}
"#,
            path = quote(&ledger_path.to_string_lossy()),
            monthly_cap = cap("monthly_cap", self.monthly_cap),
            reply = quote(&self.reply),
            price = self.price_per_segment,
            inbound = self.inbound_price,
            daily_cap = cap("daily_cap", self.daily_cap),
            reply_once_per = self.reply_once_per_seconds,
            max_replies = self.max_replies_per_minute,
            countries = countries.join(", "),
            trigger = shield.trigger_per_minute,
            new_senders = shield.new_senders_per_minute,
            trigger_hour = shield.trigger_per_hour,
            new_senders_hour = shield.new_senders_per_hour,
            hold = shield.hold_seconds,
            trickle = shield.trickle_per_hour,
            baseline_factor = shield.baseline_factor,
            money_margin = shield.money_margin_percent,
            defer_for = self.defer_for_seconds,
            voice = self.voice.as_ref().map_or_else(String::new, |v| format!(
                "voice = {{ say = {}, language = {}, price_per_minute = \"{}\", max_seconds = {} }}\n",
                quote(&v.say),
                quote(&v.language),
                v.price_per_minute,
                v.max_seconds
            )),
        )
    }

    /// Loads [`settings_toml`](Self::settings_toml) through the real validator
    /// (no environment overrides: a simulation is reproducible).
    pub fn settings(&self, ledger_path: &Path) -> Result<Settings, antirelou_settings::SettingsError> {
        Settings::from_toml_str_with_env(&self.settings_toml(ledger_path), std::iter::empty::<(String, String)>())
    }
}

#[cfg(test)]
mod tests {
    use antirelou_domain::segments::Encoding;

    use super::*;

    #[test]
    fn the_default_setup_is_valid_and_replies_in_one_gsm7_segment_at_016() {
        let settings = NumberSetup::default().settings(Path::new("/tmp/sim \"x\"/ledger.sqlite3")).unwrap();
        let tenant = &settings.tenants[0];
        let number = &tenant.numbers[0];
        assert_eq!(tenant.id, SIM_TENANT);
        assert_eq!(tenant.monthly_cap, Some(Money::parse("100.00").unwrap()));
        assert_eq!(number.number.as_str(), SIM_NUMBER);
        assert_eq!((number.reply_segments.encoding, number.reply_segments.segments), (Encoding::Gsm7, 1));
        assert_eq!(number.reply_cost, Money::parse("0.16").unwrap());
        assert_eq!(number.daily_cap, Some(Money::parse("20.00").unwrap()));
        assert_eq!(number.max_replies_per_minute, 30);
        assert_eq!(number.shield.policy(), DEFAULT_SHIELD);
        assert_eq!(number.shield.defer_for_seconds, DEFAULT_DEFER_FOR_SECONDS);
    }

    #[test]
    fn a_call_setup_answers_calls_for_002_and_its_message_fits_its_seconds() {
        let settings = NumberSetup::for_channel(Channel::Call).settings(Path::new("ledger.sqlite3")).unwrap();
        let voice = settings.tenants[0].numbers[0].voice.as_ref().expect("voice");
        assert_eq!((voice.say.as_str(), voice.language.as_str(), voice.max_seconds), (SIM_SAY, "fr-FR", 30));
        assert_eq!(voice.call_reservation, Money::parse("0.02").unwrap());
        assert_eq!(VoiceSetup::default().naive_call_cost(), Money::parse("0.02").unwrap());
        assert_eq!(antirelou_domain::voice::spoken_seconds(SIM_SAY), 13);
        assert!(NumberSetup::default().settings(Path::new("l.sqlite3")).unwrap().tenants[0].numbers[0].voice.is_none());
    }

    #[test]
    fn caps_can_be_removed() {
        let setup = NumberSetup { daily_cap: None, monthly_cap: None, ..NumberSetup::default() };
        let settings = setup.settings(Path::new("ledger.sqlite3")).unwrap();
        assert_eq!(settings.tenants[0].monthly_cap, None);
        assert_eq!(settings.tenants[0].numbers[0].daily_cap, None);
    }
}
