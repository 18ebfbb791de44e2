//! Every Prometheus metric of antirelou, registered in a registry the caller
//! owns (one per application, so tests never share counters).
//!
//! Labels come from bounded sets only: our configured tenants and numbers,
//! outcomes, scopes, reasons, kinds. A sender or a body is never a label.

use prometheus::{
    Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
};

use std::sync::Arc;

use antirelou_domain::Outcome;

use crate::inbound_counters::{InboundCollector, NumberCounters};

pub const INBOUND_TOTAL: &str = "antirelou_inbound_total";
pub const SPEND_TOTAL: &str = "antirelou_spend_total";
pub const BUDGET_REMAINING: &str = "antirelou_budget_remaining";
pub const BUDGET_CAP: &str = "antirelou_budget_cap";
pub const SHIELD_ACTIVE: &str = "antirelou_shield_active";
pub const WEBHOOK_REJECTED_TOTAL: &str = "antirelou_webhook_rejected_total";
pub const DECISION_DURATION_SECONDS: &str = "antirelou_decision_duration_seconds";
pub const LEDGER_ERRORS_TOTAL: &str = "antirelou_ledger_errors_total";
pub const LEDGER_UP: &str = "antirelou_ledger_up";
pub const ACTOR_RESTARTS_TOTAL: &str = "antirelou_actor_restarts_total";
pub const ACTOR_MAILBOX_FULL_TOTAL: &str = "antirelou_actor_mailbox_full_total";
pub const ALERTS_SENT_TOTAL: &str = "antirelou_alert_webhooks_total";
pub const NUMBERS_CONFIGURED: &str = "antirelou_numbers_configured";

/// The `op` label values of `antirelou_ledger_errors_total`.
pub const LEDGER_OPS: [&str; 6] =
    ["decide_reply", "record_inbound", "set_shield", "read_totals", "read_shield", "flush"];

/// Reasons a webhook is refused before any decision.
pub const REJECT_REASONS: [&str; 5] = ["bad_signature", "unknown_number", "malformed", "too_large", "account_mismatch"];

/// The metric families. Cheap to clone (handles to shared collectors).
#[derive(Clone)]
pub struct Metrics {
    pub inbound: InboundCollector,
    pub spend: GaugeCounter,
    pub budget_remaining: GaugeVec,
    pub budget_cap: GaugeVec,
    pub shield_active: IntGaugeVec,
    pub webhook_rejected: IntCounterVec,
    pub decision_duration: HistogramVec,
    pub ledger_errors: IntCounterVec,
    pub ledger_up: Gauge,
    pub actor_restarts: IntCounterVec,
    pub mailbox_full: IntCounterVec,
    pub alerts_sent: IntCounterVec,
    pub numbers_configured: Gauge,
}

/// `antirelou_spend_total` is a counter of currency units (a float), kept
/// exact by deriving it from integer micros in [`GaugeCounter::add_micros`].
#[derive(Clone)]
pub struct GaugeCounter {
    pub vec: prometheus::CounterVec,
}

impl GaugeCounter {
    pub fn add_micros(&self, labels: &[&str], micros: i64) {
        if micros > 0 {
            self.vec.with_label_values(labels).inc_by(micros as f64 / 1_000_000.0);
        }
    }
}

impl Metrics {
    /// Creates and registers every family in `registry`.
    pub fn register(registry: &Registry) -> Result<Metrics, prometheus::Error> {
        let inbound = InboundCollector::new(INBOUND_TOTAL, "Inbound SMS by decision outcome.")?;
        let spend = prometheus::CounterVec::new(
            Opts::new(SPEND_TOTAL, "Money recorded in the ledger, in major units of ledger.currency."),
            &["tenant", "number", "kind"],
        )?;
        let budget_remaining = GaugeVec::new(
            Opts::new(BUDGET_REMAINING, "What is left before a cap (or of the prepaid balance), in major units."),
            &["tenant", "number", "scope"],
        )?;
        let budget_cap = GaugeVec::new(
            Opts::new(BUDGET_CAP, "Configured cap per scope, in major units (balance: not exported)."),
            &["tenant", "number", "scope"],
        )?;
        let shield_active =
            IntGaugeVec::new(Opts::new(SHIELD_ACTIVE, "1 while the number is in shield mode."), &["tenant", "number"])?;
        let webhook_rejected = IntCounterVec::new(
            Opts::new(WEBHOOK_REJECTED_TOTAL, "Webhooks refused before a decision."),
            &["provider", "reason"],
        )?;
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
        let actor_restarts = IntCounterVec::new(
            Opts::new(ACTOR_RESTARTS_TOTAL, "Number actors restarted after a panic."),
            &["tenant", "number"],
        )?;
        let mailbox_full = IntCounterVec::new(
            Opts::new(ACTOR_MAILBOX_FULL_TOTAL, "Inbound SMS shed because the number's mailbox was full."),
            &["tenant", "number"],
        )?;
        let alerts_sent = IntCounterVec::new(
            Opts::new(ALERTS_SENT_TOTAL, "Shield alerts POSTed to alert_webhook, by result."),
            &["tenant", "result"],
        )?;
        let numbers_configured = Gauge::new(NUMBERS_CONFIGURED, "Numbers served by this process.")?;
        registry.register(Box::new(inbound.clone()))?;
        registry.register(Box::new(spend.clone()))?;
        registry.register(Box::new(budget_remaining.clone()))?;
        registry.register(Box::new(budget_cap.clone()))?;
        registry.register(Box::new(shield_active.clone()))?;
        registry.register(Box::new(webhook_rejected.clone()))?;
        registry.register(Box::new(decision_duration.clone()))?;
        registry.register(Box::new(ledger_errors.clone()))?;
        registry.register(Box::new(ledger_up.clone()))?;
        registry.register(Box::new(actor_restarts.clone()))?;
        registry.register(Box::new(mailbox_full.clone()))?;
        registry.register(Box::new(alerts_sent.clone()))?;
        registry.register(Box::new(numbers_configured.clone()))?;
        for reason in REJECT_REASONS {
            webhook_rejected.with_label_values(&["twilio", reason]);
        }
        for outcome in Outcome::ALL {
            decision_duration.with_label_values(&[outcome.as_str()]);
        }
        Ok(Metrics {
            inbound,
            spend: GaugeCounter { vec: spend },
            budget_remaining,
            budget_cap,
            shield_active,
            webhook_rejected,
            decision_duration,
            ledger_errors,
            ledger_up,
            actor_restarts,
            mailbox_full,
            alerts_sent,
            numbers_configured,
        })
    }

    /// Resolved handles for one number, so the hot path does no label lookup.
    pub fn for_number(&self, tenant: &str, number: &str) -> NumberMetrics {
        let outcomes = self.inbound.for_number(tenant, number);
        for kind in ["reply", "inbound"] {
            self.spend.vec.with_label_values(&[tenant, number, kind]);
        }
        self.shield_active.with_label_values(&[tenant, number]).set(0);
        self.actor_restarts.with_label_values(&[tenant, number]);
        self.alerts_sent.with_label_values(&[tenant, "ok"]);
        self.alerts_sent.with_label_values(&[tenant, "failed"]);
        NumberMetrics {
            outcomes,
            mailbox_full: self.mailbox_full.with_label_values(&[tenant, number]),
            tenant: tenant.to_owned(),
            number: number.to_owned(),
            families: self.clone(),
        }
    }

    pub fn observe_decision(&self, outcome: Outcome, seconds: f64) -> Histogram {
        let h = self.decision_duration.with_label_values(&[outcome.as_str()]);
        h.observe(seconds);
        h
    }
}

/// One number's metric handles.
#[derive(Clone)]
pub struct NumberMetrics {
    outcomes: Arc<NumberCounters>,
    pub mailbox_full: IntCounter,
    tenant: String,
    number: String,
    families: Metrics,
}

impl NumberMetrics {
    pub fn count(&self, outcome: Outcome) {
        self.outcomes.inc(outcome);
    }

    pub fn add_spend(&self, kind: &str, micros: i64) {
        self.families.spend.add_micros(&[&self.tenant, &self.number, kind], micros);
    }

    pub fn set_budget(&self, scope: &str, remaining_micros: i64) {
        self.families
            .budget_remaining
            .with_label_values(&[&self.tenant, &self.number, scope])
            .set(remaining_micros as f64 / 1_000_000.0);
    }

    pub fn set_cap(&self, scope: &str, cap_micros: i64) {
        self.families
            .budget_cap
            .with_label_values(&[&self.tenant, &self.number, scope])
            .set(cap_micros as f64 / 1_000_000.0);
    }

    pub fn set_shield(&self, active: bool) {
        self.families.shield_active.with_label_values(&[&self.tenant, &self.number]).set(i64::from(active));
    }

    pub fn restarted(&self) {
        self.families.actor_restarts.with_label_values(&[&self.tenant, &self.number]).inc();
    }

    pub fn ledger_error(&self, backend: &str, op: &str) {
        self.families.ledger_errors.with_label_values(&[backend, op]).inc();
        self.families.ledger_up.set(0.0);
    }

    pub fn ledger_ok(&self) {
        self.families.ledger_up.set(1.0);
    }

    pub fn alert(&self, ok: bool) {
        self.families.alerts_sent.with_label_values(&[self.tenant.as_str(), if ok { "ok" } else { "failed" }]).inc();
    }
}
