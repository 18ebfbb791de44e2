//! The configuration as written: one struct per TOML table, every leaf a
//! [`Node`] so that reading never stops at the first wrong value. Keys that
//! no struct knows are caught in `unknown` (instead of
//! `deny_unknown_fields`, which aborts at the first typo) and reported with
//! every other problem by the validator.
//!
//! Each `KEYS` list names the table's keys, for "did you mean" suggestions.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::node::Node;

/// Keys a table does not know, by name.
pub(crate) type Unknown = BTreeMap<String, IgnoredAny>;

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "a table")]
pub(crate) struct RawSettings {
    pub server: RawServer,
    pub ledger: RawLedger,
    pub privacy: RawPrivacy,
    pub log: RawLog,
    pub tenants: Vec<RawTenant>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl RawSettings {
    pub(crate) const KEYS: &'static [&'static str] = &["server", "ledger", "privacy", "log", "tenants"];
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "a table")]
pub(crate) struct RawServer {
    pub listen: Option<Node>,
    pub public_url: Option<Node>,
    pub decision_timeout_ms: Option<Node>,
    pub mailbox_capacity: Option<Node>,
    pub max_pending_ledger_calls: Option<Node>,
    pub arbiters: Option<Node>,
    pub operator_token: Option<Node>,
    pub shutdown_timeout_seconds: Option<Node>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl RawServer {
    pub(crate) const KEYS: &'static [&'static str] = &[
        "listen",
        "public_url",
        "decision_timeout_ms",
        "mailbox_capacity",
        "max_pending_ledger_calls",
        "arbiters",
        "operator_token",
        "shutdown_timeout_seconds",
    ];
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "a table")]
pub(crate) struct RawLedger {
    pub backend: Option<Node>,
    pub path: Option<Node>,
    pub redis_url: Option<Node>,
    pub key_prefix: Option<Node>,
    pub redis_connect_timeout_ms: Option<Node>,
    pub redis_response_timeout_ms: Option<Node>,
    pub currency: Option<Node>,
    pub timezone: Option<Node>,
    pub monthly_cap: Option<Node>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl RawLedger {
    pub(crate) const KEYS: &'static [&'static str] = &[
        "backend",
        "path",
        "redis_url",
        "key_prefix",
        "redis_connect_timeout_ms",
        "redis_response_timeout_ms",
        "currency",
        "timezone",
        "monthly_cap",
    ];
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "a table")]
pub(crate) struct RawPrivacy {
    pub sender_key: Option<Node>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl RawPrivacy {
    pub(crate) const KEYS: &'static [&'static str] = &["sender_key"];
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "a table")]
pub(crate) struct RawLog {
    pub format: Option<Node>,
    pub level: Option<Node>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl RawLog {
    pub(crate) const KEYS: &'static [&'static str] = &["format", "level"];
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "a table")]
pub(crate) struct RawTenant {
    pub id: Option<Node>,
    pub monthly_cap: Option<Node>,
    pub prepaid: Option<Node>,
    pub alert_webhook: Option<Node>,
    pub blocklist: Option<Node>,
    pub admin_token: Option<Node>,
    pub provider: Option<RawProvider>,
    pub numbers: Vec<RawNumber>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl RawTenant {
    pub(crate) const KEYS: &'static [&'static str] =
        &["id", "monthly_cap", "prepaid", "alert_webhook", "blocklist", "admin_token", "provider", "numbers"];
}

/// `provider = { kind = "twilio", ... }`; `kind` picks the variant.
#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "a table such as { kind = \"twilio\", ... }")]
pub(crate) struct RawProvider {
    pub kind: Option<Node>,
    pub account_sid: Option<Node>,
    pub auth_token: Option<Node>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl RawProvider {
    pub(crate) const KEYS: &'static [&'static str] = &["kind", "account_sid", "auth_token"];
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "a table")]
pub(crate) struct RawNumber {
    pub number: Option<Node>,
    pub paused: Option<Node>,
    pub reply: Option<Node>,
    pub price_per_segment: Option<Node>,
    pub inbound_price: Option<Node>,
    pub daily_cap: Option<Node>,
    pub reply_once_per: Option<Node>,
    pub max_replies_per_minute: Option<Node>,
    pub allowed_countries: Option<Node>,
    pub shield: Option<RawShield>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl RawNumber {
    pub(crate) const KEYS: &'static [&'static str] = &[
        "number",
        "paused",
        "reply",
        "price_per_segment",
        "inbound_price",
        "daily_cap",
        "reply_once_per",
        "max_replies_per_minute",
        "allowed_countries",
        "shield",
    ];
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, expecting = "a table")]
pub(crate) struct RawShield {
    pub trigger_per_minute: Option<Node>,
    pub new_senders_per_minute: Option<Node>,
    pub hold: Option<Node>,
    pub trickle_per_hour: Option<Node>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl RawShield {
    pub(crate) const KEYS: &'static [&'static str] =
        &["trigger_per_minute", "new_senders_per_minute", "hold", "trickle_per_hour"];
}
