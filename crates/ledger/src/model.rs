//! What goes in and out of the ledger.

use std::fmt;
use std::sync::Arc;

use antirelou_domain::{Money, Periods, SenderKey};
use serde::Serialize;

/// Caps that apply to one reply. `None` means no cap at that scope.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    pub number_daily: Option<Money>,
    pub tenant_monthly: Option<Money>,
    pub deployment_monthly: Option<Money>,
}

/// One candidate reply, as the number's actor asks for it.
#[derive(Clone, Debug)]
pub struct ReplyRequest {
    pub tenant: Arc<str>,
    pub number: Arc<str>,
    /// The provider's message id (Twilio `MessageSid`).
    pub message_id: String,
    pub sender: SenderKey,
    /// What this reply costs (segments × price).
    pub cost: Money,
    pub now_micros: i64,
    /// Day and month of `now_micros` in the ledger timezone.
    pub periods: Periods,
    pub reply_once_per_seconds: u64,
    pub caps: Caps,
    /// When true the tenant's prepaid balance must cover the reply.
    pub prepaid: bool,
    /// Replies per minute for this number across all replicas.
    pub max_replies_per_minute: Option<u32>,
    /// `Some(n)` while the number is shielded: at most n paid replies per hour.
    pub shield_trickle_per_hour: Option<u32>,
}

/// Which budget stopped a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BudgetScope {
    NumberDaily,
    TenantMonthly,
    DeploymentMonthly,
    Balance,
}

impl BudgetScope {
    pub const ALL: [BudgetScope; 4] =
        [BudgetScope::NumberDaily, BudgetScope::TenantMonthly, BudgetScope::DeploymentMonthly, BudgetScope::Balance];

    /// The `scope` label of `antirelou_budget_remaining`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BudgetScope::NumberDaily => "number_daily",
            BudgetScope::TenantMonthly => "tenant_monthly",
            BudgetScope::DeploymentMonthly => "deployment_monthly",
            BudgetScope::Balance => "balance",
        }
    }
}

impl fmt::Display for BudgetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Spend so far in the current periods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SpendTotals {
    pub number_day: Money,
    pub tenant_month: Money,
    pub deployment_month: Money,
    /// The tenant's prepaid balance, if it ever had one.
    pub balance: Option<Money>,
}

/// The ledger's answer to a [`ReplyRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyVerdict {
    /// Paid for and recorded; totals are after the debit.
    Replied { entry_id: u64, totals: SpendTotals },
    /// The message id was decided before: answer as then (`replied` says whether that was a reply).
    Duplicate { replied: bool },
    /// This sender got a reply from this number within `reply_once_per`.
    RepeatSender,
    /// The number's reply rate across replicas is over its limit this minute.
    RateLimited,
    /// Shielded and this hour's trickle is spent.
    Shielded,
    /// The reply would cross a cap or the balance. `until_micros`: when the
    /// scope's period ends (`None` for the balance, which changes on top-up).
    BudgetExhausted { scope: BudgetScope, until_micros: Option<i64>, totals: SpendTotals },
}

/// Inbound messages received by one number since the last batch.
#[derive(Clone, Debug)]
pub struct InboundBatch {
    pub tenant: Arc<str>,
    pub number: Arc<str>,
    pub count: u32,
    pub amount: Money,
    pub prepaid: bool,
    pub now_micros: i64,
    pub periods: Periods,
}

/// Which totals to read.
#[derive(Clone, Debug)]
pub struct TotalsQuery {
    pub tenant: String,
    pub number: String,
    pub periods: Periods,
}

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A reply paid for (debit).
    Reply,
    /// Received messages charged by the provider (debit).
    Inbound,
    /// Prepaid credit added (credit).
    TopUp,
}

impl EntryKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Reply => "reply",
            EntryKind::Inbound => "inbound",
            EntryKind::TopUp => "top_up",
        }
    }

    pub fn from_label(label: &str) -> Option<EntryKind> {
        [EntryKind::Reply, EntryKind::Inbound, EntryKind::TopUp].into_iter().find(|k| k.as_str() == label)
    }
}

/// One debit or credit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: u64,
    pub at_micros: i64,
    pub tenant: String,
    /// Empty for tenant-level entries (top-ups).
    pub number: String,
    pub kind: EntryKind,
    /// Always positive; `kind` says whether it is a debit or a credit.
    pub amount: Money,
    /// Messages covered (1 for a reply, n for an inbound batch).
    pub count: u32,
    /// The provider message id of a reply; the note of a top-up.
    pub reference: String,
}

/// Which entries to list.
#[derive(Clone, Debug, Default)]
pub struct EntryFilter {
    pub tenant: Option<String>,
    pub since_micros: Option<i64>,
    pub until_micros: Option<i64>,
    pub limit: Option<usize>,
}

impl EntryFilter {
    pub fn matches(&self, entry: &Entry) -> bool {
        self.tenant.as_deref().is_none_or(|t| t == entry.tenant)
            && self.since_micros.is_none_or(|s| entry.at_micros >= s)
            && self.until_micros.is_none_or(|u| entry.at_micros < u)
    }
}
