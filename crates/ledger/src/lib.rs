//! The spend ledger: the one place that decides, atomically, whether a reply
//! may be paid for, and that records every debit and credit.
//!
//! - [`Ledger`]: the trait both backends implement with identical semantics.
//! - [`model`]: requests, verdicts, entries and totals.
//! - [`export`]: entries as CSV lines or JSON objects, for the CLI and the admin API.
//! - [`queue`]: the deferred queue ([`DeferredQueue`], its deferred replies) and leases ([`Leases`]).
//! - [`reports`]: budget alerts claimed once across replicas, kept per
//!   tenant, and per-day counters for the stats ([`Reports`]).
//! - [`control`]: runtime controls ([`ControlStore`]): pause, number
//!   overrides, blocklists, audit, one change version.
//! - [`evidence`]: incidents (shield episodes, counters only) and sealed
//!   evidence parts ([`EvidenceStore`]).
//! - [`health`]: each number's health as the service observed it
//!   (problems, failing episodes, the state and its `since`) ([`HealthStore`]).
//! - [`donations`]: donations credited once per payment and their refunds
//!   ([`Donations`]).
//! - [`calls`]: answered calls settled once at their real duration, the
//!   rest of their reservation given back ([`Calls`]).
//! - [`baselines`]: each number's baseline (its ordinary day), compared
//!   and set ([`Baselines`]).
//! - [`rules`]: what both backends apply alike: retention, counter names,
//!   the budget rule, top-up bounds.
//! - [`sqlite`]: the embedded single-node backend (WAL, one transaction per decision).
//! - [`redis`]: the backend shared by several replicas (one Lua script per
//!   decision; `redis/layout.rs` names every key).
//! - `conformance` (tests and the `test-support` feature): the behaviour
//!   suite every backend must pass; the tests of each backend run it.
//!
//! Start with [`Ledger::decide_reply`] and [`model::ReplyRequest`].

pub mod baselines;
pub mod calls;
#[cfg(any(test, feature = "test-support"))]
pub mod conformance;
pub mod control;
pub mod donations;
mod error;
pub mod evidence;
pub mod export;
pub mod health;
#[cfg(test)]
mod interleavings_tests;
pub mod model;
pub mod queue;
pub mod redis;
#[cfg(any(test, feature = "test-support"))]
pub mod redis_sentinel;
#[cfg(any(test, feature = "test-support"))]
pub mod redis_server;
pub mod reports;
pub mod rules;
pub mod sqlite;

use async_trait::async_trait;

pub use crate::redis::RedisLedger;
pub use baselines::{Baselines, StoredBaseline, MAX_BASELINE_BYTES};
pub use calls::{CallSettlement, Calls, SettleVerdict, CALL_RETENTION_SECONDS, MAX_CALL_ID_LEN};
pub use control::{
    AuditAction, AuditNote, AuditPage, AuditRecord, Blocked, BlockedSender, ControlStore, NumberControl, SessionToken,
};
pub use donations::{
    CreditVerdict, Donation, DonationCredit, DonationRefund, Donations, RefundVerdict, MAX_DONATIONS_PER_PAGE,
};
pub use error::LedgerError;
pub use evidence::EvidenceStore;
pub use health::{HealthRecord, HealthSignal, HealthStore};
pub use model::{
    BudgetScope, Caps, Entry, EntryFilter, EntryKind, EntryPage, InboundBatch, InboundCharged, ReplyRequest,
    ReplyVerdict, SpendTotals, TopUpMark, TotalsQuery, MAX_ENTRIES_PER_PAGE,
};
pub use queue::{DeferredArrival, DeferredQueue, DeferredReply, DeferredState, Enqueued, Leases, Pacing};
pub use reports::{AlertClaim, AlertRecord, DayCounts, Reports};
pub use sqlite::SqliteLedger;

use antirelou_domain::{Money, SenderKey};

/// A spend ledger shared by every actor (and, for networked backends, every replica).
///
/// Every method is one atomic operation of the backend: a decision either
/// happens entirely (dedupe record, sender memory, debit, entry) or not at all.
/// The queue of deferred replies, the leases, the runtime controls, the
/// donations, the calls' settlements, the incidents, the baselines and the numbers' health are the same backend's ([`DeferredQueue`],
/// [`Leases`], [`ControlStore`], [`Reports`], [`Donations`], [`Calls`], [`EvidenceStore`], [`Baselines`], [`HealthStore`]).
#[async_trait]
pub trait Ledger:
    DeferredQueue
    + Leases
    + ControlStore
    + Reports
    + Donations
    + Calls
    + EvidenceStore
    + Baselines
    + HealthStore
    + Send
    + Sync
    + 'static
{
    /// `embedded` or `redis`: the `backend` label of ledger metrics.
    fn backend(&self) -> &'static str;

    /// The atomic "may I reply" operation (docs/behaviour.md). In order: message-id
    /// dedupe, opt-out, sender memory, pending judgement (deferred replies),
    /// global reply rate, slot allowance (deferred replies), caps,
    /// prepaid balance; then the debit, the entry and the sender memory.
    async fn decide_reply(&self, request: &ReplyRequest) -> Result<ReplyVerdict, LedgerError>;

    /// How a provider message id of `number` was decided, if it was: `Some(true)`
    /// when a reply was paid for it. A caller whose decision timed out asks
    /// this to learn whether the decision happened anyway.
    async fn decided(&self, number: &str, message_id: &str, now_micros: i64) -> Result<Option<bool>, LedgerError>;

    /// Records that `sender` texted STOP to `number`: every later decision
    /// for them is [`ReplyVerdict::OptedOut`] (for [`rules::OPT_OUT_RETENTION_SECONDS`]).
    async fn opt_out(&self, number: &str, sender: &SenderKey, now_micros: i64) -> Result<(), LedgerError>;

    /// Records the provider's charge for received messages (kind `inbound`),
    /// once per provider message id (a replayed or retried webhook is never
    /// charged twice). Counts against caps, never refused; a prepaid balance
    /// is debited down to zero at most.
    async fn record_inbound(&self, batch: &InboundBatch) -> Result<InboundCharged, LedgerError>;

    /// Credits a tenant's prepaid balance; returns the new balance. Refused
    /// (`LedgerError::Refused`, nothing written) when the amount is not
    /// positive, above [`rules::MAX_TOP_UP`], or would take the balance past
    /// [`rules::MAX_BALANCE`].
    async fn top_up(&self, tenant: &str, amount: Money, note: &str, now_micros: i64) -> Result<Money, LedgerError>;

    /// Current spend of one number/tenant in the given periods, and the tenant's balance.
    async fn totals(&self, query: &TotalsQuery) -> Result<SpendTotals, LedgerError>;

    /// The tenant's last top-up (`None` before its first one).
    async fn last_top_up(&self, tenant: &str) -> Result<Option<TopUpMark>, LedgerError>;

    /// Every tenant that has a balance, with it.
    async fn balances(&self) -> Result<Vec<(String, Money)>, LedgerError>;

    /// One page of entries, oldest first, for reconciliation; bounded work per call.
    async fn entries(&self, filter: &EntryFilter) -> Result<EntryPage, LedgerError>;

    /// The shared shield end of a number (unix seconds), if one is recorded and not over.
    async fn shield_until(&self, number: &str, now_seconds: i64) -> Result<Option<i64>, LedgerError>;

    /// Records that a number is shielded until `until_seconds` (keeps the later end).
    async fn set_shield(&self, number: &str, until_seconds: i64, now_seconds: i64) -> Result<(), LedgerError>;

    /// Cheap reachability check.
    async fn ping(&self) -> Result<(), LedgerError>;

    /// Writes something durable and small: `/readyz` fails on a ledger that
    /// answers reads but refuses writes (full or read-only disk, Redis OOM).
    async fn probe_write(&self, now_micros: i64) -> Result<(), LedgerError>;

    /// What the backend's storage reports about itself, when it has such
    /// figures (Redis: memory and evictions, from INFO); `None` otherwise.
    async fn storage(&self) -> Result<Option<StorageFigures>, LedgerError> {
        Ok(None)
    }

    /// Makes everything recorded so far durable (graceful shutdown).
    async fn flush(&self) -> Result<(), LedgerError>;

    /// Budget, shield and control changes made through this ledger by anyone (this
    /// process, the CLI, other replicas), so actors can drop stale caches.
    fn events(&self) -> tokio::sync::broadcast::Receiver<LedgerEvent>;
}

/// Figures of the backend's storage (Redis INFO), exported as metrics so a
/// Redis running out of memory (which, with `noeviction`, refuses every
/// write and silences every number) is seen before it happens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageFigures {
    pub used_memory_bytes: u64,
    /// 0 when Redis has no limit.
    pub maxmemory_bytes: u64,
    pub evicted_keys: u64,
    /// Writes refused for lack of memory since the server started (`errorstat_OOM`).
    pub rejected_writes: u64,
}

/// A change other deciders should hear about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerEvent {
    /// A tenant's prepaid balance was credited (a top-up, a donation, or
    /// a call settled below its reservation, which also lowers the spend).
    TopUp { tenant: String },
    /// A number is shielded until `until_seconds` (unix seconds).
    Shield { number: String, until_seconds: i64 },
    /// A sender of a number was deferred: its judgements need a judge.
    Deferred { number: String },
    /// A runtime control changed (pause, overrides, blocklist): the change
    /// version it made.
    Control { version: u64 },
}
