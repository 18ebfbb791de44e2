//! Every Prometheus metric of the engine, registered in a registry the
//! caller owns (one per application, so tests never share counters).
//!
//! - this file: the metric names, the small families (prometheus vectors),
//!   [`Metrics`] and one number's handles, [`NumberMetrics`];
//! - [`number_series`]: the per-number and per-scope families, as atomics
//!   written straight into the scrape.
//!
//! Labels come from bounded sets only: our configured tenants and numbers,
//! and the vocabularies (`Outcome`, `DeferredResult`, `BudgetScope`,
//! `EntryKind`, `ProviderKind`, `RejectReason`, `DeliveryStatus`,
//! [`LedgerOp`], [`AlertKind`], [`PollResult`]). A sender or a
//! body is never a label. Every name is documented in docs/metrics.md.

pub mod number_series;
pub mod settlements;

use std::sync::Arc;

use antirelou_domain::{DeferredResult, Outcome, ProviderKind};
use antirelou_ledger::{BudgetScope, Caps, EntryKind, SpendTotals};
use antirelou_providers::RejectReason;
use prometheus::{Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use crate::alerts::AlertKind;
use number_series::{NumberSeries, NumberSeriesCollector, SeriesNames};

pub const INBOUND_TOTAL: &str = "antirelou_inbound_total";
pub const CALLS_TOTAL: &str = "antirelou_calls_total";
pub const SPEND_TOTAL: &str = "antirelou_spend_total";
pub const DEFERRED_TOTAL: &str = "antirelou_deferred_total";
pub const DEFERRED_PENDING: &str = "antirelou_deferred_pending";
pub const BUDGET_REMAINING: &str = "antirelou_budget_remaining";
pub const BUDGET_CAP: &str = "antirelou_budget_cap";
pub const SHIELD_ACTIVE: &str = "antirelou_shield_active";
pub const SHIELD_ENTERED_TOTAL: &str = "antirelou_shield_entered_total";
pub const WEBHOOK_REJECTED_TOTAL: &str = "antirelou_webhook_rejected_total";
pub const DECISION_DURATION_SECONDS: &str = "antirelou_decision_duration_seconds";
pub const LEDGER_ERRORS_TOTAL: &str = "antirelou_ledger_errors_total";
pub const LEDGER_UP: &str = "antirelou_ledger_up";
pub const ACTOR_RESTARTS_TOTAL: &str = "antirelou_actor_restarts_total";
pub const ACTOR_MAILBOX_FULL_TOTAL: &str = "antirelou_actor_mailbox_full_total";
pub const ALERT_WEBHOOKS_TOTAL: &str = "antirelou_alert_webhooks_total";
pub const NUMBERS_CONFIGURED: &str = "antirelou_numbers_configured";
pub const DELIVERY_STATUS_TOTAL: &str = "antirelou_delivery_status_total";
pub const CALL_EVENTS_TOTAL: &str = "antirelou_call_events_total";
pub const POLLER_UP: &str = "antirelou_poller_up";
pub const POLLER_POLLS_TOTAL: &str = "antirelou_poller_polls_total";
pub const POLLER_LEASE_HELD: &str = "antirelou_poller_lease_held";
pub const BUILD_INFO: &str = "antirelou_build_info";
pub const REDIS_USED_MEMORY_BYTES: &str = "antirelou_ledger_redis_used_memory_bytes";
pub const REDIS_MAXMEMORY_BYTES: &str = "antirelou_ledger_redis_maxmemory_bytes";
pub const REDIS_EVICTED_KEYS: &str = "antirelou_ledger_redis_evicted_keys";
pub const REDIS_REJECTED_WRITES: &str = "antirelou_ledger_redis_rejected_writes";

/// The ledger operations the engine performs: the `op` label of
/// `antirelou_ledger_errors_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerOp {
    DecideReply,
    RecordInbound,
    OptOut,
    Defer,
    Judge,
    SetShield,
    ReadTotals,
    ReadShield,
    Flush,
    ClaimAlert,
    WriteDayCounts,
    WriteIncident,
    SealEvidence,
    SyncBaseline,
    WriteHealth,
}

impl LedgerOp {
    pub const ALL: [LedgerOp; 15] = [
        LedgerOp::DecideReply,
        LedgerOp::RecordInbound,
        LedgerOp::OptOut,
        LedgerOp::Defer,
        LedgerOp::Judge,
        LedgerOp::SetShield,
        LedgerOp::ReadTotals,
        LedgerOp::ReadShield,
        LedgerOp::Flush,
        LedgerOp::ClaimAlert,
        LedgerOp::WriteDayCounts,
        LedgerOp::WriteIncident,
        LedgerOp::SealEvidence,
        LedgerOp::SyncBaseline,
        LedgerOp::WriteHealth,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            LedgerOp::DecideReply => "decide_reply",
            LedgerOp::RecordInbound => "record_inbound",
            LedgerOp::OptOut => "opt_out",
            LedgerOp::Defer => "defer",
            LedgerOp::Judge => "judge",
            LedgerOp::SetShield => "set_shield",
            LedgerOp::ReadTotals => "read_totals",
            LedgerOp::ReadShield => "read_shield",
            LedgerOp::Flush => "flush",
            LedgerOp::ClaimAlert => "claim_alert",
            LedgerOp::WriteDayCounts => "write_day_counts",
            LedgerOp::WriteIncident => "write_incident",
            LedgerOp::SealEvidence => "seal_evidence",
            LedgerOp::SyncBaseline => "sync_baseline",
            LedgerOp::WriteHealth => "write_health",
        }
    }
}

/// The `cause` label of `antirelou_shield_entered_total`: a fixed trigger,
/// then the baseline's two pressures (`antirelou_domain::baseline::Pressure`).
pub const SHIELD_CAUSES: [&str; 3] = ["surge", "baseline", "money"];

/// How one poll of a polled number (OVHcloud) ended: the `result` label of
/// `antirelou_poller_polls_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollResult {
    Ok,
    Error,
}

impl PollResult {
    pub const ALL: [PollResult; 2] = [PollResult::Ok, PollResult::Error];

    pub const fn as_str(self) -> &'static str {
        match self {
            PollResult::Ok => "ok",
            PollResult::Error => "error",
        }
    }
}

/// The metric families. Cheap to clone (handles to shared collectors).
#[derive(Clone)]
pub struct Metrics {
    /// Every per-number family, the budget gauges and the webhook refusals.
    pub numbers: NumberSeriesCollector,
    pub decision_duration: HistogramVec,
    pub ledger_errors: IntCounterVec,
    pub ledger_up: Gauge,
    pub alert_webhooks: IntCounterVec,
    /// Shield mode entered, by tenant and cause (`surge`, `baseline`, `money`).
    pub shield_entered: IntCounterVec,
    pub numbers_configured: Gauge,
    /// Delivery status callbacks by provider, tenant and status.
    pub delivery_status: IntCounterVec,
    /// Call events and hangup callbacks (Vonage, Plivo) by provider, tenant and status.
    pub call_events: IntCounterVec,
    /// The pollers of polled numbers (OVHcloud).
    pub pollers: PollerMetrics,
    /// Redis INFO figures (only with the redis backend).
    pub storage: StorageGauges,
    /// What settling answered calls did (`settlements.rs`).
    pub call_settlements: settlements::SettlementMetrics,
    backend: &'static str,
}

/// The families of the pollers of polled numbers (OVHcloud), by tenant and number.
#[derive(Clone)]
pub struct PollerMetrics {
    /// 1 when the last poll succeeded, 0 otherwise; only on the replica holding the lease.
    pub up: GaugeVec,
    pub polls: IntCounterVec,
    /// 1 on the replica holding the number's poll lease, else 0.
    pub lease_held: GaugeVec,
}

impl PollerMetrics {
    /// Creates a number's series at their idle values (no lease, no poll yet).
    pub fn declare(&self, tenant: &str, number: &str) {
        for result in PollResult::ALL {
            self.polls.with_label_values(&[tenant, number, result.as_str()]);
        }
        self.lease_held.with_label_values(&[tenant, number]).set(0.0);
    }

    /// Drops a number's series (a reload stopped its poller).
    pub fn forget(&self, tenant: &str, number: &str) {
        for result in PollResult::ALL {
            let _ = self.polls.remove_label_values(&[tenant, number, result.as_str()]);
        }
        let _ = self.up.remove_label_values(&[tenant, number]);
        let _ = self.lease_held.remove_label_values(&[tenant, number]);
    }

    /// Counts a poll and sets `up` (this replica holds the lease).
    pub fn polled(&self, tenant: &str, number: &str, result: PollResult) {
        self.polls.with_label_values(&[tenant, number, result.as_str()]).inc();
        self.up.with_label_values(&[tenant, number]).set(if result == PollResult::Ok { 1.0 } else { 0.0 });
    }

    /// Whether this replica holds the number's lease; `up` exists only while it does.
    pub fn set_lease_held(&self, tenant: &str, number: &str, held: bool) {
        self.lease_held.with_label_values(&[tenant, number]).set(if held { 1.0 } else { 0.0 });
        if !held {
            let _ = self.up.remove_label_values(&[tenant, number]);
        }
    }
}

/// The figures of the ledger's storage (Redis INFO), refreshed by the caller.
#[derive(Clone)]
pub struct StorageGauges {
    pub used_memory_bytes: Gauge,
    pub maxmemory_bytes: Gauge,
    pub evicted_keys: Gauge,
    pub rejected_writes: Gauge,
}

impl StorageGauges {
    fn register(registry: &Registry) -> Result<StorageGauges, prometheus::Error> {
        let gauge = |name: &str, help: &str| -> Result<Gauge, prometheus::Error> {
            let gauge = Gauge::new(name, help)?;
            registry.register(Box::new(gauge.clone()))?;
            Ok(gauge)
        };
        Ok(StorageGauges {
            used_memory_bytes: gauge(REDIS_USED_MEMORY_BYTES, "Memory used by the Redis ledger (INFO used_memory).")?,
            maxmemory_bytes: gauge(REDIS_MAXMEMORY_BYTES, "The Redis ledger's memory limit; 0 when it has none.")?,
            evicted_keys: gauge(REDIS_EVICTED_KEYS, "Keys Redis evicted since it started (must stay 0).")?,
            rejected_writes: gauge(REDIS_REJECTED_WRITES, "Writes Redis refused for lack of memory since it started.")?,
        })
    }

    /// Sets every gauge from the ledger's figures.
    pub fn set(&self, figures: &antirelou_ledger::StorageFigures) {
        self.used_memory_bytes.set(figures.used_memory_bytes as f64);
        self.maxmemory_bytes.set(figures.maxmemory_bytes as f64);
        self.evicted_keys.set(figures.evicted_keys as f64);
        self.rejected_writes.set(figures.rejected_writes as f64);
    }
}

impl Metrics {
    /// Creates and registers every family in `registry`; `backend` is the
    /// ledger's (`embedded` or `redis`), the `backend` label of ledger errors.
    pub fn register(registry: &Registry, backend: &'static str) -> Result<Metrics, prometheus::Error> {
        let numbers = NumberSeriesCollector::new(&SeriesNames {
            inbound: INBOUND_TOTAL,
            spend: SPEND_TOTAL,
            deferred: DEFERRED_TOTAL,
            deferred_pending: DEFERRED_PENDING,
            remaining: BUDGET_REMAINING,
            cap: BUDGET_CAP,
            shield: SHIELD_ACTIVE,
            restarts: ACTOR_RESTARTS_TOTAL,
            mailbox_full: ACTOR_MAILBOX_FULL_TOTAL,
            rejected: WEBHOOK_REJECTED_TOTAL,
            calls: CALLS_TOTAL,
        })?;
        let decision_duration = HistogramVec::new(
            HistogramOpts::new(DECISION_DURATION_SECONDS, "Time from a verified webhook to its decision.").buckets(
                vec![
                    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                    1.0, 2.5,
                ],
            ),
            &["outcome"],
        )?;
        let ledger_errors = IntCounterVec::new(
            Opts::new(LEDGER_ERRORS_TOTAL, "Ledger operations that failed or timed out."),
            &["backend", "op"],
        )?;
        let ledger_up = Gauge::new(LEDGER_UP, "1 when the last ledger operation succeeded.")?;
        let alert_webhooks = IntCounterVec::new(
            Opts::new(ALERT_WEBHOOKS_TOTAL, "Alerts POSTed to a tenant's alert_webhook, by kind and result."),
            &["tenant", "kind", "result"],
        )?;
        let numbers_configured = Gauge::new(NUMBERS_CONFIGURED, "Numbers served by this process.")?;
        let build_info = GaugeVec::new(Opts::new(BUILD_INFO, "Always 1; the version as a label."), &["version"])?;
        let shield_entered = IntCounterVec::new(
            Opts::new(
                SHIELD_ENTERED_TOTAL,
                "Times a number entered shield mode, by cause: a fixed trigger (surge), its baseline, its day's money.",
            ),
            &["tenant", "cause"],
        )?;
        registry.register(Box::new(shield_entered.clone()))?;
        let delivery_status = IntCounterVec::new(
            Opts::new(DELIVERY_STATUS_TOTAL, "Delivery status callbacks of replies sent through a send API."),
            &["provider", "tenant", "status"],
        )?;
        let call_events = IntCounterVec::new(
            Opts::new(CALL_EVENTS_TOTAL, "Verified call events and hangup callbacks, by status."),
            &["provider", "tenant", "status"],
        )?;
        let pollers = PollerMetrics {
            up: GaugeVec::new(
                Opts::new(POLLER_UP, "1 when the last poll of a polled number succeeded (lease holder only)."),
                &["tenant", "number"],
            )?,
            polls: IntCounterVec::new(
                Opts::new(POLLER_POLLS_TOTAL, "Polls of polled numbers, by result."),
                &["tenant", "number", "result"],
            )?,
            lease_held: GaugeVec::new(
                Opts::new(POLLER_LEASE_HELD, "1 on the replica holding the number's poll lease."),
                &["tenant", "number"],
            )?,
        };
        registry.register(Box::new(decision_duration.clone()))?;
        registry.register(Box::new(ledger_errors.clone()))?;
        registry.register(Box::new(ledger_up.clone()))?;
        registry.register(Box::new(alert_webhooks.clone()))?;
        registry.register(Box::new(numbers_configured.clone()))?;
        registry.register(Box::new(build_info.clone()))?;
        registry.register(Box::new(delivery_status.clone()))?;
        registry.register(Box::new(call_events.clone()))?;
        registry.register(Box::new(pollers.up.clone()))?;
        registry.register(Box::new(pollers.polls.clone()))?;
        registry.register(Box::new(pollers.lease_held.clone()))?;
        build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1.0);
        for outcome in Outcome::ALL {
            decision_duration.with_label_values(&[outcome.as_str()]);
        }
        // Series exist from the start, so rate() sees the first error and dashboards are never empty.
        for op in LedgerOp::ALL {
            ledger_errors.with_label_values(&[backend, op.as_str()]);
        }
        ledger_up.set(1.0);
        // Only a backend that reports storage figures gets these series.
        let storage = if backend == "redis" {
            StorageGauges::register(registry)?
        } else {
            StorageGauges::register(&Registry::new())?
        };
        Ok(Metrics {
            numbers,
            decision_duration,
            ledger_errors,
            ledger_up,
            alert_webhooks,
            shield_entered,
            numbers_configured,
            delivery_status,
            call_events,
            pollers,
            storage,
            call_settlements: settlements::SettlementMetrics::register(registry)?,
            backend,
        })
    }

    /// The handles of one number, so the hot path does no label lookup.
    pub fn for_number(&self, tenant: &str, number: &str) -> NumberMetrics {
        for kind in AlertKind::ALL {
            for result in ["ok", "failed"] {
                self.alert_webhooks.with_label_values(&[tenant, kind.as_str(), result]);
            }
        }
        for cause in SHIELD_CAUSES {
            self.shield_entered.with_label_values(&[tenant, cause]);
        }
        NumberMetrics {
            series: self.numbers.for_number(tenant, number),
            tenant: Arc::from(tenant),
            number: Arc::from(number),
            families: self.clone(),
        }
    }

    /// Drops every series of a tenant a reload removed (its numbers' go
    /// with [`NumberSeriesCollector::retain`]).
    pub fn forget_tenant(&self, tenant: &str) {
        for kind in AlertKind::ALL {
            for result in ["ok", "failed"] {
                let _ = self.alert_webhooks.remove_label_values(&[tenant, kind.as_str(), result]);
            }
        }
        for status in antirelou_providers::twilio::DeliveryStatus::ALL {
            let _ = self.delivery_status.remove_label_values(&[ProviderKind::Twilio.as_str(), tenant, status.as_str()]);
        }
        for cause in SHIELD_CAUSES {
            let _ = self.shield_entered.remove_label_values(&[tenant, cause]);
        }
        use antirelou_providers::{plivo::voice::HANGUP_STATUSES, vonage::voice::STATUSES};
        for (provider, statuses) in [(ProviderKind::Vonage, &STATUSES[..]), (ProviderKind::Plivo, &HANGUP_STATUSES[..])]
        {
            for status in statuses.iter().chain(&["other"]) {
                let _ = self.call_events.remove_label_values(&[provider.as_str(), tenant, status]);
            }
        }
    }

    /// Counts a refused webhook of `provider`: on the number it was for
    /// when it was one of ours, else with empty `tenant` and `number`.
    pub fn count_rejected(&self, provider: ProviderKind, reason: RejectReason, routed: Option<&NumberSeries>) {
        match routed {
            Some(series) => series.count_rejected(reason),
            None => self.numbers.count_unrouted(provider, reason),
        }
    }

    pub fn observe_decision(&self, outcome: Outcome, seconds: f64) {
        self.decision_duration.with_label_values(&[outcome.as_str()]).observe(seconds);
    }

    pub fn ledger_error(&self, op: LedgerOp) {
        self.ledger_errors.with_label_values(&[self.backend, op.as_str()]).inc();
        self.ledger_up.set(0.0);
    }

    pub fn ledger_ok(&self) {
        self.ledger_up.set(1.0);
    }

    /// Counts an alert delivery.
    pub fn alert_delivered(&self, tenant: &str, kind: AlertKind, ok: bool) {
        self.alert_webhooks.with_label_values(&[tenant, kind.as_str(), if ok { "ok" } else { "failed" }]).inc();
    }

    /// Publishes every budget gauge `totals` and `caps` describe.
    pub fn publish_budget(&self, tenant: &str, number: &str, caps: &Caps, totals: &SpendTotals) {
        for scope in BudgetScope::ALL {
            if let Some(remaining) = totals.remaining(caps, scope) {
                let cap = caps.get(scope).map(|c| c.micros());
                self.numbers.set_budget(scope, tenant, number, cap, remaining.micros());
            }
        }
    }
}

/// One number's metric handles.
#[derive(Clone)]
pub struct NumberMetrics {
    pub series: Arc<NumberSeries>,
    tenant: Arc<str>,
    number: Arc<str>,
    families: Metrics,
}

impl NumberMetrics {
    pub fn count(&self, outcome: Outcome) {
        self.series.count(outcome);
    }

    /// See [`NumberSeries::recount`].
    pub fn recount(&self, counted: Outcome, outcome: Outcome) {
        self.series.recount(counted, outcome);
    }

    /// Counts a call (`None`: the number has no `voice`).
    pub fn count_call(&self, outcome: Option<Outcome>) {
        self.series.count_call(outcome);
    }

    pub fn add_spend(&self, kind: EntryKind, micros: i64) {
        self.series.add_spend(kind, micros);
    }

    pub fn count_deferred(&self, result: DeferredResult) {
        self.series.count_deferred(result);
    }

    /// Publishes the budget gauges after a ledger answer.
    pub fn publish_budget(&self, caps: &Caps, totals: &SpendTotals) {
        self.families.publish_budget(&self.tenant, &self.number, caps, totals);
    }

    pub fn set_shield(&self, active: bool) {
        self.series.set_shield(active);
    }

    pub fn restarted(&self) {
        self.series.restarted();
    }

    /// Counts shield mode entered for `cause` (one of [`SHIELD_CAUSES`]).
    pub fn shield_entered(&self, cause: &str) {
        self.families.shield_entered.with_label_values(&[&self.tenant, cause]).inc();
    }

    pub fn mailbox_full(&self) {
        self.series.mailbox_was_full();
    }

    pub fn ledger_error(&self, op: LedgerOp) {
        self.families.ledger_error(op);
    }

    pub fn ledger_ok(&self) {
        self.families.ledger_ok();
    }

    pub fn families(&self) -> &Metrics {
        &self.families
    }
}
