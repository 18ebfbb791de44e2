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

impl Caps {
    /// The cap of `scope` (`None` for the balance, which is not a cap).
    pub fn get(&self, scope: BudgetScope) -> Option<Money> {
        match scope {
            BudgetScope::NumberDaily => self.number_daily,
            BudgetScope::TenantMonthly => self.tenant_monthly,
            BudgetScope::DeploymentMonthly => self.deployment_monthly,
            BudgetScope::Balance => None,
        }
    }
}

/// One candidate reply, as the number's actor asks for it.
#[derive(Clone, Debug)]
pub struct ReplyRequest {
    pub tenant: Arc<str>,
    pub number: Arc<str>,
    /// The provider's message id (Twilio `MessageSid`).
    pub message_id: String,
    pub sender: SenderKey,
    /// What this reply costs (segments × price), or an answered call's
    /// reservation (`price_per_minute × ceil(max_seconds / 60)`).
    pub cost: Money,
    /// What the entry records: [`EntryKind::Reply`] for an SMS reply,
    /// [`EntryKind::Call`] for an answered call (same sender memory, caps and balance).
    pub kind: EntryKind,
    pub now_micros: i64,
    /// Day and month of `now_micros` in the ledger timezone.
    pub periods: Periods,
    pub reply_once_per_seconds: u64,
    pub caps: Caps,
    /// When true the tenant's prepaid balance must cover the reply.
    pub prepaid: bool,
    /// Replies per minute for this number across all replicas.
    pub max_replies_per_minute: Option<u32>,
    /// `Some` for a deferred reply: the sender must be pending in the queue
    /// (and becomes `sending`), and the arrival slot's allowance must not be spent.
    pub deferred: Option<crate::queue::Pacing>,
}

/// Which budget stopped a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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

    pub const fn index(self) -> usize {
        self as usize
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

/// A tenant's last top-up: the prepaid balance's alerts count what was
/// spent since it, as a share of the balance it left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TopUpMark {
    /// The top-up's entry id: each top-up starts a new round of alerts.
    pub entry_id: u64,
    /// The balance right after the top-up.
    pub balance_after: Money,
    pub at_micros: i64,
}

impl SpendTotals {
    /// What is left in `scope`: the cap minus the spend (never below zero),
    /// or the balance; `None` when the scope has no cap (or no balance).
    pub fn remaining(&self, caps: &Caps, scope: BudgetScope) -> Option<Money> {
        let spent = match scope {
            BudgetScope::NumberDaily => self.number_day,
            BudgetScope::TenantMonthly => self.tenant_month,
            BudgetScope::DeploymentMonthly => self.deployment_month,
            BudgetScope::Balance => return self.balance,
        };
        caps.get(scope).map(|cap| cap.saturating_sub(spent).max(Money::ZERO))
    }
}

/// The ledger's answer to a [`ReplyRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyVerdict {
    /// Paid for and recorded; totals are after the debit.
    Replied { entry_id: u64, totals: SpendTotals },
    /// The message id was decided before: answer as then (`replied` says whether that was a reply).
    Duplicate { replied: bool },
    /// This sender texted STOP to this number: never answered again.
    OptedOut,
    /// A deferred reply whose sender is no longer pending (judged or sent by another replica, or expired).
    NotPending,
    /// This sender got a reply from this number within `reply_once_per`.
    RepeatSender,
    /// The number's reply rate across replicas is over its limit this minute.
    RateLimited,
    /// A deferred reply whose arrival slot's allowance is spent.
    Shielded,
    /// The reply would cross a cap or the balance. `until_micros`: when the
    /// scope's period ends (`None` for the balance, which changes on top-up).
    BudgetExhausted { scope: BudgetScope, until_micros: Option<i64>, totals: SpendTotals },
}

/// Inbound messages received by one number since the last batch, by
/// provider message id: the ledger charges each id once, whatever replays
/// or retries bring it back (within [`crate::rules::MESSAGE_ID_TTL_SECONDS`]).
#[derive(Clone, Debug)]
pub struct InboundBatch {
    pub tenant: Arc<str>,
    pub number: Arc<str>,
    pub message_ids: Vec<String>,
    /// What the provider charges per received SMS (`inbound_price`).
    pub unit_price: Money,
    pub prepaid: bool,
    pub now_micros: i64,
    pub periods: Periods,
}

/// What [`Ledger::record_inbound`](crate::Ledger::record_inbound) charged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InboundCharged {
    /// Message ids never charged before (the others were replays or retries).
    pub messages: u32,
    pub amount: Money,
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
    /// An answered call, its cost reserved before answering (debit); the
    /// reference is the provider's call id.
    Call,
    /// Received messages charged by the provider (debit).
    Inbound,
    /// Prepaid credit added by hand: CLI, admin API, console (credit).
    TopUp,
    /// A donation confirmed by its platform (credit); the reference is
    /// `source:payment id`.
    Donation,
    /// A donation's refund (debit of the prepaid balance); the reference is
    /// the donation's.
    Refund,
    /// An answered call settled at its real duration (credit): what its
    /// reservation held beyond its real cost, given back to the spend
    /// counters and caps it was counted in (and to the prepaid balance it
    /// was debited from); the reference is the call's (the provider's call
    /// id). At most one per call, of 0 when the call cost its reservation.
    CallSettled,
}

impl EntryKind {
    pub const ALL: [EntryKind; 7] = [
        EntryKind::Reply,
        EntryKind::Call,
        EntryKind::Inbound,
        EntryKind::TopUp,
        EntryKind::Donation,
        EntryKind::Refund,
        EntryKind::CallSettled,
    ];

    /// The `kind` label of `antirelou_spend_total` and of exported entries.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Reply => "reply",
            EntryKind::Call => "call",
            EntryKind::Inbound => "inbound",
            EntryKind::TopUp => "top_up",
            EntryKind::Donation => "donation",
            EntryKind::Refund => "refund",
            EntryKind::CallSettled => "call_settled",
        }
    }

    pub fn from_label(label: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == label)
    }

    /// Whether the entry is money spent on messages (and counts against
    /// caps): replies, answered calls and inbound charges. Top-ups,
    /// donations and refunds only move the prepaid balance; a call's
    /// settlement gives spend back (see [`Entry::spend_micros`]).
    pub const fn is_spend(self) -> bool {
        matches!(self, EntryKind::Reply | EntryKind::Call | EntryKind::Inbound)
    }

    pub const fn index(self) -> usize {
        self as usize
    }
}

/// One debit or credit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: u64,
    pub at_micros: i64,
    pub tenant: String,
    /// Empty for tenant-level entries (top-ups, donations, refunds).
    pub number: String,
    pub kind: EntryKind,
    /// Always positive; `kind` says whether it is a debit or a credit.
    pub amount: Money,
    /// Messages covered (1 for a reply, n for an inbound batch).
    pub count: u32,
    /// The provider message id of a reply; the call id of a call and of its
    /// settlement; the note of a top-up; the `source:payment id` of a
    /// donation or a refund.
    pub reference: String,
}

impl Entry {
    /// What the entry adds to the spend counters (number/day,
    /// tenant/month, deployment/month): its amount for a spend, minus its
    /// amount for a call's settlement (given back to the periods of the
    /// call it settles), 0 for the entries that only move a balance. The
    /// entries of a period add up, this way, to its spend counters.
    pub const fn spend_micros(&self) -> i64 {
        match self.kind {
            EntryKind::Reply | EntryKind::Call | EntryKind::Inbound => self.amount.micros(),
            EntryKind::CallSettled => -self.amount.micros(),
            EntryKind::TopUp | EntryKind::Donation | EntryKind::Refund => 0,
        }
    }
}

/// The most entries one page may hold (`limit` of the admin API).
pub const MAX_ENTRIES_PER_PAGE: usize = 1_000;

/// Which entries to list: one page, oldest first, after an optional cursor.
#[derive(Clone, Debug)]
pub struct EntryFilter {
    pub tenant: Option<String>,
    pub since_micros: Option<i64>,
    pub until_micros: Option<i64>,
    /// Where the previous page ended ([`EntryPage::next`]); `None` from the start.
    pub after: Option<String>,
    /// At most this many entries (clamped to 1..=[`MAX_ENTRIES_PER_PAGE`]).
    pub limit: usize,
}

impl Default for EntryFilter {
    fn default() -> EntryFilter {
        EntryFilter { tenant: None, since_micros: None, until_micros: None, after: None, limit: MAX_ENTRIES_PER_PAGE }
    }
}

impl EntryFilter {
    pub fn matches(&self, entry: &Entry) -> bool {
        self.tenant.as_deref().is_none_or(|t| t == entry.tenant)
            && self.since_micros.is_none_or(|s| entry.at_micros >= s)
            && self.until_micros.is_none_or(|u| entry.at_micros < u)
    }

    /// `limit` within 1..=[`MAX_ENTRIES_PER_PAGE`].
    pub fn page_size(&self) -> usize {
        self.limit.clamp(1, MAX_ENTRIES_PER_PAGE)
    }
}

/// One page of entries. A backend may return fewer than `limit` entries (even
/// none) with a `next` cursor when it stopped after a bounded amount of work;
/// `next` is `None` only at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryPage {
    pub entries: Vec<Entry>,
    /// An opaque cursor for [`EntryFilter::after`].
    pub next: Option<String>,
}
