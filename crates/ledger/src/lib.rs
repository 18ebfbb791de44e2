//! The spend ledger: the one place that decides, atomically, whether a reply
//! may be paid for, and that records every debit and credit.
//!
//! - [`Ledger`]: the trait both backends implement with identical semantics.
//! - [`model`]: requests, verdicts, entries and totals.
//! - [`sqlite`]: the embedded single-node backend (WAL, one transaction per decision).
//! - [`redis`]: the backend shared by several replicas (one Lua script per decision).
//! - [`conformance`]: the behaviour suite every backend must pass; the tests
//!   of each backend run it.
//!
//! Start with [`Ledger::decide_reply`] and [`model::ReplyRequest`].

pub mod conformance;
mod error;
pub mod keys;
pub mod model;
pub mod redis;
#[cfg(any(test, feature = "test-support"))]
pub mod redis_server;
pub mod sqlite;

use async_trait::async_trait;

pub use crate::redis::RedisLedger;
pub use error::LedgerError;
pub use model::{
    BudgetScope, Caps, Entry, EntryFilter, EntryKind, InboundBatch, ReplyRequest, ReplyVerdict, SpendTotals,
    TotalsQuery,
};
pub use sqlite::SqliteLedger;

use antirelou_domain::Money;

/// A spend ledger shared by every actor (and, for networked backends, every replica).
///
/// Every method is one atomic operation of the backend: a decision either
/// happens entirely (dedupe record, sender memory, debit, entry) or not at all.
#[async_trait]
pub trait Ledger: Send + Sync + 'static {
    /// `embedded` or `redis`: the `backend` label of ledger metrics.
    fn backend(&self) -> &'static str;

    /// The atomic "may I reply" operation (SPEC §3/§4). In order: message-id
    /// dedupe, sender memory, global reply rate, shield trickle, caps,
    /// prepaid balance; then the debit, the entry and the sender memory.
    async fn decide_reply(&self, request: &ReplyRequest) -> Result<ReplyVerdict, LedgerError>;

    /// Records the provider's charge for received messages (kind `inbound`).
    /// Counts against caps, never refused; a prepaid balance is debited down to zero at most.
    async fn record_inbound(&self, batch: &InboundBatch) -> Result<(), LedgerError>;

    /// Credits a tenant's prepaid balance; returns the new balance.
    async fn top_up(&self, tenant: &str, amount: Money, note: &str, now_micros: i64) -> Result<Money, LedgerError>;

    /// Current spend of one number/tenant in the given periods, and the tenant's balance.
    async fn totals(&self, query: &TotalsQuery) -> Result<SpendTotals, LedgerError>;

    /// Every tenant that has a balance, with it.
    async fn balances(&self) -> Result<Vec<(String, Money)>, LedgerError>;

    /// Entries, oldest first, for reconciliation.
    async fn entries(&self, filter: &EntryFilter) -> Result<Vec<Entry>, LedgerError>;

    /// The shared shield end of a number (unix seconds), if one is recorded and not over.
    async fn shield_until(&self, number: &str, now_seconds: i64) -> Result<Option<i64>, LedgerError>;

    /// Records that a number is shielded until `until_seconds` (keeps the later end).
    async fn set_shield(&self, number: &str, until_seconds: i64, now_seconds: i64) -> Result<(), LedgerError>;

    /// Cheap reachability check for `/readyz`.
    async fn ping(&self) -> Result<(), LedgerError>;

    /// Makes everything recorded so far durable (graceful shutdown).
    async fn flush(&self) -> Result<(), LedgerError>;

    /// Budget and shield changes made through this ledger by anyone (this
    /// process, the CLI, other replicas), so actors can drop stale caches.
    fn events(&self) -> tokio::sync::broadcast::Receiver<LedgerEvent>;
}

/// A change other deciders should hear about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerEvent {
    /// A tenant's prepaid balance was credited.
    TopUp { tenant: String },
    /// A number is shielded until `until_seconds` (unix seconds).
    Shield { number: String, until_seconds: i64 },
}
