//! [`Reports`]: what the operator and the console read besides money —
//! budget alerts claimed once across replicas and kept per tenant, and
//! per-day counters (decisions by outcome, spend by kind) for the stats.
//!
//! Start with [`Reports::claim_alert`]. Both backends implement it in one
//! atomic step (Redis: one Lua script; SQLite: one transaction), so two
//! replicas crossing the same threshold never both send its alert.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::LedgerError;

/// Alerts kept per tenant (and for the deployment); older ones are dropped.
pub const ALERTS_KEPT: usize = 100;
/// Days of counters one stats read may cover (a quarter).
pub const MAX_STATS_DAYS: usize = 92;
/// Per-day counters are kept this long (a little more than a year, for
/// year-on-year comparisons).
pub const DAY_COUNTERS_RETENTION_SECONDS: i64 = 400 * 86_400;
/// The list of alerts of the whole deployment (deployment cap), read with each tenant's.
pub const DEPLOYMENT_ALERTS: &str = "*";

/// One alert to claim: at most one claim of `key` ever succeeds (until it
/// expires), and the one that does appends `record` to `owner`'s alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertClaim {
    /// A tenant id, or [`DEPLOYMENT_ALERTS`].
    pub owner: String,
    /// What is claimed, e.g. `budget:number:+33612345678:2026-12-02:80`.
    pub key: String,
    pub record: AlertRecord,
    /// The claim is forgotten after this instant (the period's end and a margin).
    pub expires_micros: i64,
}

/// A kept alert: when, and the alert as its webhook received it (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    pub at_micros: i64,
    pub json: String,
}

/// Counters of one tenant's day (`YYYY-MM-DD` in the ledger timezone),
/// added to what is stored. Field names come from the vocabularies:
/// [`outcome_field`], [`call_field`] and [`spend_field`], and each number's
/// own under [`number_field`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub tenant: String,
    pub day: String,
    pub counts: Vec<(String, i64)>,
}

/// The counter of decisions with `outcome` (`Outcome::as_str`).
pub fn outcome_field(outcome: &str) -> String {
    format!("outcome:{outcome}")
}

/// The counter of calls decided with `outcome` (an `antirelou_calls_total`
/// outcome label: `Outcome::as_str`, or `no_voice`).
pub fn call_field(outcome: &str) -> String {
    format!("call:{outcome}")
}

/// The counter of micro-units spent as `kind` (`EntryKind::as_str`).
pub fn spend_field(kind: &str) -> String {
    format!("spend:{kind}")
}

/// The same counter for one number of the tenant (`field` from
/// [`outcome_field`], [`call_field`] or [`spend_field`]), kept in the tenant's day beside
/// the tenant's own, so one write per tenant carries both.
pub fn number_field(number: &str, field: &str) -> String {
    format!("number:{number}:{field}")
}

/// Operator and console reports; both backends implement it.
#[async_trait]
pub trait Reports: Send + Sync {
    /// Claims `claim.key`; `true` for the one caller that claimed it (its
    /// record is then appended to the owner's alerts, the oldest dropped
    /// beyond [`ALERTS_KEPT`]), `false` for everyone else.
    async fn claim_alert(&self, claim: &AlertClaim) -> Result<bool, LedgerError>;

    /// `owner`'s kept alerts, newest first, at most `limit` (≤ [`ALERTS_KEPT`]).
    async fn alerts(&self, owner: &str, limit: usize) -> Result<Vec<AlertRecord>, LedgerError>;

    /// Adds `counts` to the tenant's day counters (one write).
    async fn add_day_counts(&self, counts: &DayCounts) -> Result<(), LedgerError>;

    /// The counters of `tenant` for each of `days` (at most
    /// [`MAX_STATS_DAYS`]), in the same order; a day without counters is empty.
    async fn day_counts(&self, tenant: &str, days: &[String]) -> Result<Vec<Vec<(String, i64)>>, LedgerError>;
}
