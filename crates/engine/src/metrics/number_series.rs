//! The per-number and per-scope series without one Prometheus child object
//! per series: `antirelou_inbound_total`, `_spend_total`, `_deferred_total`,
//! `_deferred_pending`, `_budget_remaining`, `_budget_cap`, `_shield_active`,
//! `_actor_restarts_total`, `_actor_mailbox_full_total`,
//! `_webhook_rejected_total` (each number's, and the refusals of webhooks
//! for no number of ours, `tenant=""`, `number=""`), and `_calls_total`
//! (numbers with `voice`, or that were called).
//!
//! Every configured number has about 30 series from startup. With the
//! `prometheus` crate's metric vectors each series owns a copy of its
//! descriptor and label strings (about 700 bytes): 10,000 numbers cost
//! ~170 MB before any traffic (measured, docs/benchmarks.md), and every
//! scrape builds as many objects again. Here a number's series are a few
//! atomics, written as text straight into the scrape's response, a chunk of
//! numbers at a time (`/metrics` in the web crate streams the chunks).
//!
//! Budget gauges are exported once per scope: `number_daily` per number,
//! `tenant_monthly` and `balance` per tenant (no `number` label),
//! `deployment_monthly` once (no `tenant` either), so one deployment cap is
//! one series and one alert, not one per number.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

use antirelou_domain::{DeferredResult, Money, Outcome, ProviderKind};
use antirelou_ledger::{BudgetScope, EntryKind};
use antirelou_providers::RejectReason;
use prometheus::core::Desc;

/// `spend_total` kinds: the entry kinds that are debits.
pub const SPEND_KINDS: [EntryKind; 3] = [EntryKind::Reply, EntryKind::Call, EntryKind::Inbound];

/// The `outcome` of `antirelou_calls_total` for a call to a number without
/// `voice`: rejected before any rule (the other outcomes are the SMS ones).
pub const CALL_WITHOUT_VOICE: &str = "no_voice";

/// A number no webhook reaches (polled).
const NO_WEBHOOK: u8 = u8::MAX;
/// Refusal reasons: the `reason` label of the rejections family.
const REASONS: usize = RejectReason::ALL.len();

/// A gauge that is not exported until it is set.
const UNSET: i64 = i64::MIN;

/// One number's series.
pub struct NumberSeries {
    tenant: String,
    number: String,
    outcomes: [AtomicU64; Outcome::COUNT],
    spend_micros: [AtomicI64; SPEND_KINDS.len()],
    deferred: [AtomicU64; DeferredResult::ALL.len()],
    deferred_pending: AtomicI64,
    daily_remaining_micros: AtomicI64,
    daily_cap_micros: AtomicI64,
    shield_active: AtomicBool,
    restarts: AtomicU64,
    mailbox_full: AtomicU64,
    /// The index in `ProviderKind::ALL` of the provider whose webhooks
    /// reach this number ([`NO_WEBHOOK`]: a polled number, which has no
    /// webhook and no rejection series). A reload may change it.
    webhook: AtomicU8,
    rejected: [AtomicU64; REASONS],
    /// Calls by outcome, in the order of [`Outcome::ALL`], then [`CALL_WITHOUT_VOICE`].
    calls: [AtomicU64; Outcome::COUNT + 1],
    /// The number answers calls (`voice`): its call series exist from the start.
    answers_calls: AtomicBool,
}

impl NumberSeries {
    fn new(tenant: &str, number: &str) -> NumberSeries {
        NumberSeries {
            tenant: tenant.to_owned(),
            number: number.to_owned(),
            outcomes: Default::default(),
            spend_micros: Default::default(),
            deferred: Default::default(),
            deferred_pending: AtomicI64::new(0),
            daily_remaining_micros: AtomicI64::new(UNSET),
            daily_cap_micros: AtomicI64::new(UNSET),
            shield_active: AtomicBool::new(false),
            restarts: AtomicU64::new(0),
            mailbox_full: AtomicU64::new(0),
            webhook: AtomicU8::new(NO_WEBHOOK),
            rejected: Default::default(),
            calls: Default::default(),
            answers_calls: AtomicBool::new(false),
        }
    }

    /// Declares whether the number answers calls (its `voice`): its
    /// `antirelou_calls_total` series are written from then on.
    pub fn set_answers_calls(&self, answers: bool) {
        self.answers_calls.store(answers, Ordering::Relaxed);
    }

    /// Counts a call decided with `outcome` (`None`: rejected, the number has no `voice`).
    pub fn count_call(&self, outcome: Option<Outcome>) {
        let index = outcome.map_or(Outcome::COUNT, Outcome::index);
        self.calls[index].fetch_add(1, Ordering::Relaxed);
    }

    /// Calls so far, in the order of [`Outcome::ALL`], then the calls without `voice`.
    pub fn calls_snapshot(&self) -> [u64; Outcome::COUNT + 1] {
        self.calls.each_ref().map(|c| c.load(Ordering::Relaxed))
    }

    fn was_called(&self) -> bool {
        self.answers_calls.load(Ordering::Relaxed) || self.calls.iter().any(|c| c.load(Ordering::Relaxed) > 0)
    }

    /// Declares the provider whose webhooks reach this number (`None`: a
    /// polled number): its rejection series exist (at 0) under that
    /// provider's label from then on.
    pub fn receive_webhooks_of(&self, provider: Option<ProviderKind>) {
        let index = provider
            .filter(|p| p.has_webhook())
            .and_then(|p| ProviderKind::ALL.iter().position(|k| *k == p))
            .map_or(NO_WEBHOOK, |i| i as u8);
        self.webhook.store(index, Ordering::Relaxed);
    }

    fn webhook(&self) -> Option<ProviderKind> {
        ProviderKind::ALL.get(usize::from(self.webhook.load(Ordering::Relaxed))).copied()
    }

    /// Counts a refused webhook for this number.
    pub fn count_rejected(&self, reason: RejectReason) {
        self.rejected[reason_index(reason)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self, outcome: Outcome) {
        self.outcomes[outcome.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Moves one count from `counted` to `outcome` (a decision answered on
    /// an HTTP worker that its actor then found to be another outcome).
    pub fn recount(&self, counted: Outcome, outcome: Outcome) {
        self.outcomes[outcome.index()].fetch_add(1, Ordering::Relaxed);
        self.outcomes[counted.index()].fetch_sub(1, Ordering::Relaxed);
    }

    /// Current outcome counts, in the order of [`Outcome::ALL`].
    pub fn snapshot(&self) -> [u64; Outcome::COUNT] {
        self.outcomes.each_ref().map(|c| c.load(Ordering::Relaxed))
    }

    /// Adds to `spend_total{kind}`; exact in micros. Credits are ignored.
    pub fn add_spend(&self, kind: EntryKind, micros: i64) {
        if let Some(i) = SPEND_KINDS.iter().position(|k| *k == kind) {
            self.spend_micros[i].fetch_add(micros.max(0), Ordering::Relaxed);
        }
    }

    /// Micro-units spent so far, in the order of [`SPEND_KINDS`].
    pub fn spend_snapshot(&self) -> [i64; SPEND_KINDS.len()] {
        self.spend_micros.each_ref().map(|c| c.load(Ordering::Relaxed))
    }

    pub fn count_deferred(&self, result: DeferredResult) {
        self.deferred[result.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Current deferred-judgement counts, in the order of [`DeferredResult::ALL`].
    pub fn deferred_snapshot(&self) -> [u64; DeferredResult::ALL.len()] {
        self.deferred.each_ref().map(|c| c.load(Ordering::Relaxed))
    }

    pub fn set_deferred_pending(&self, pending: usize) {
        self.deferred_pending.store(i64::try_from(pending).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    pub fn set_daily_budget(&self, cap_micros: i64, remaining_micros: i64) {
        self.daily_cap_micros.store(cap_micros, Ordering::Relaxed);
        self.daily_remaining_micros.store(remaining_micros, Ordering::Relaxed);
    }

    pub fn set_shield(&self, active: bool) {
        self.shield_active.store(active, Ordering::Relaxed);
    }

    pub fn restarted(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }

    pub fn mailbox_was_full(&self) {
        self.mailbox_full.fetch_add(1, Ordering::Relaxed);
    }
}

/// A scope wider than a number: a tenant's month or balance, or the deployment's month.
struct ScopeSeries {
    /// `None` for the deployment.
    tenant: Option<String>,
    scope: BudgetScope,
    cap_micros: AtomicI64,
    remaining_micros: AtomicI64,
}

/// Names and help texts of the families.
pub struct SeriesNames {
    pub inbound: &'static str,
    pub spend: &'static str,
    pub deferred: &'static str,
    pub deferred_pending: &'static str,
    pub remaining: &'static str,
    pub cap: &'static str,
    pub shield: &'static str,
    pub restarts: &'static str,
    pub mailbox_full: &'static str,
    pub rejected: &'static str,
    pub calls: &'static str,
}

/// The collector of every number's series. Cheap to clone.
#[derive(Clone)]
pub struct NumberSeriesCollector {
    inner: Arc<Inner>,
}

struct Inner {
    descs: Vec<Desc>,
    numbers: RwLock<Vec<Arc<NumberSeries>>>,
    scopes: RwLock<Vec<Arc<ScopeSeries>>>,
    /// Refused webhooks that reached no number of ours, by provider and reason.
    unrouted: [[AtomicU64; REASONS]; ProviderKind::ALL.len()],
}

/// What one family writes per number.
#[derive(Clone, Copy)]
enum Shape {
    Inbound,
    Spend,
    Deferred,
    DeferredPending,
    Remaining,
    Cap,
    Shield,
    Restarts,
    MailboxFull,
    Rejected,
    Calls,
}

/// Number of families [`NumberSeriesCollector::encode_text`] writes.
pub const FAMILIES: usize = 11;

const SHAPES: [(Shape, &str); FAMILIES] = [
    (Shape::Inbound, "counter"),
    (Shape::Spend, "counter"),
    (Shape::Deferred, "counter"),
    (Shape::DeferredPending, "gauge"),
    (Shape::Remaining, "gauge"),
    (Shape::Cap, "gauge"),
    (Shape::Shield, "gauge"),
    (Shape::Restarts, "counter"),
    (Shape::MailboxFull, "counter"),
    (Shape::Rejected, "counter"),
    (Shape::Calls, "counter"),
];

impl NumberSeriesCollector {
    pub fn new(names: &SeriesNames) -> Result<NumberSeriesCollector, prometheus::Error> {
        let desc = |name: &str, help: &str, labels: &[&str]| {
            Desc::new(
                name.to_owned(),
                help.to_owned(),
                labels.iter().map(|l| (*l).to_owned()).collect(),
                Default::default(),
            )
        };
        let descs = vec![
            desc(names.inbound, "Inbound SMS by decision outcome.", &["tenant", "number", "outcome"])?,
            desc(
                names.spend,
                "Money recorded in the ledger, in major units of ledger.currency.",
                &["tenant", "number", "kind"],
            )?,
            desc(names.deferred, "Deferred judgements that ended, by result.", &["tenant", "number", "result"])?,
            desc(names.deferred_pending, "Deferred judgements waiting (this replica's view).", &["tenant", "number"])?,
            desc(
                names.remaining,
                "What is left before a cap (or of the prepaid balance), in major units; one series per scope.",
                &["tenant", "number", "scope"],
            )?,
            desc(
                names.cap,
                "Configured cap per scope, in major units; one series per scope.",
                &["tenant", "number", "scope"],
            )?,
            desc(names.shield, "1 while the number is in shield mode.", &["tenant", "number"])?,
            desc(names.restarts, "Number actors restarted after a panic.", &["tenant", "number"])?,
            desc(names.mailbox_full, "Inbound SMS shed because the number's mailbox was full.", &["tenant", "number"])?,
            desc(names.rejected, "Webhooks refused before a decision.", &["provider", "reason", "tenant", "number"])?,
            desc(names.calls, "Calls by decision outcome.", &["tenant", "number", "outcome"])?,
        ];
        Ok(NumberSeriesCollector {
            inner: Arc::new(Inner {
                descs,
                numbers: RwLock::new(Vec::new()),
                scopes: RwLock::new(Vec::new()),
                unrouted: Default::default(),
            }),
        })
    }

    /// Counts a refused webhook of `provider` that reached no number of ours.
    pub fn count_unrouted(&self, provider: ProviderKind, reason: RejectReason) {
        if let Some(i) = ProviderKind::ALL.iter().position(|p| *p == provider) {
            self.inner.unrouted[i][reason_index(reason)].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The series of `tenant`/`number`, created at zero on first call.
    pub fn for_number(&self, tenant: &str, number: &str) -> Arc<NumberSeries> {
        let mut numbers = self.inner.numbers.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(existing) = numbers.iter().find(|n| n.tenant == tenant && n.number == number) {
            return Arc::clone(existing);
        }
        let series = Arc::new(NumberSeries::new(tenant, number));
        numbers.push(Arc::clone(&series));
        series
    }

    /// Sets a budget gauge. `number_daily` needs `number`; `tenant_monthly`
    /// and `balance` need `tenant`; `deployment_monthly` needs neither.
    /// `cap` is `None` for the balance (it has none).
    pub fn set_budget(&self, scope: BudgetScope, tenant: &str, number: &str, cap: Option<i64>, remaining_micros: i64) {
        match scope {
            BudgetScope::NumberDaily => {
                self.for_number(tenant, number).set_daily_budget(cap.unwrap_or(UNSET), remaining_micros);
            }
            _ => {
                let tenant = (scope != BudgetScope::DeploymentMonthly).then(|| tenant.to_owned());
                let series = self.scope(scope, tenant);
                series.cap_micros.store(cap.unwrap_or(UNSET), Ordering::Relaxed);
                series.remaining_micros.store(remaining_micros, Ordering::Relaxed);
            }
        }
    }

    fn scope(&self, scope: BudgetScope, tenant: Option<String>) -> Arc<ScopeSeries> {
        let mut scopes = self.inner.scopes.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(existing) = scopes.iter().find(|s| s.scope == scope && s.tenant == tenant) {
            return Arc::clone(existing);
        }
        let series = Arc::new(ScopeSeries {
            tenant,
            scope,
            cap_micros: AtomicI64::new(UNSET),
            remaining_micros: AtomicI64::new(UNSET),
        });
        scopes.push(Arc::clone(&series));
        series
    }

    /// Drops the series of numbers (and the budget series of tenants) that
    /// `serves` no longer answers for: a reload that removes a number
    /// removes its series from `/metrics`.
    pub fn retain(&self, serves: impl Fn(&str, &str) -> bool, has_tenant: impl Fn(&str) -> bool) {
        let mut numbers = self.inner.numbers.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        numbers.retain(|s| serves(&s.tenant, &s.number));
        let mut scopes = self.inner.scopes.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        scopes.retain(|s| s.tenant.as_deref().is_none_or(&has_tenant));
    }

    /// Numbers with series.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<NumberSeries>>> {
        self.inner.numbers.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn reason_index(reason: RejectReason) -> usize {
    RejectReason::ALL.iter().position(|r| *r == reason).unwrap_or(0)
}

mod encode;

#[cfg(test)]
#[path = "number_series_tests.rs"]
mod tests;
