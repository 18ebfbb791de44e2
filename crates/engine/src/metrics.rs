//! Every Prometheus metric of antirelou, registered in a registry the caller
//! owns (one per application, so tests never share counters).
//!
//! Labels come from bounded sets only: our configured tenants and numbers,
//! outcomes, scopes, reasons, kinds. A sender or a body is never a label.

use std::sync::Arc;

use prometheus::{Gauge, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use antirelou_domain::Outcome;

use crate::number_series::{NumberSeries, NumberSeriesCollector, SeriesNames};

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
    /// Every per-number family (inbound, spend, budgets, shield, restarts, mailbox).
    pub numbers: NumberSeriesCollector,
    pub webhook_rejected: IntCounterVec,
    pub decision_duration: HistogramVec,
    pub ledger_errors: IntCounterVec,
    pub ledger_up: Gauge,
    pub alerts_sent: IntCounterVec,
    pub numbers_configured: Gauge,
}

impl Metrics {
    /// Creates and registers every family in `registry`.
    pub fn register(registry: &Registry) -> Result<Metrics, prometheus::Error> {
        let numbers = NumberSeriesCollector::new(&SeriesNames {
            inbound: INBOUND_TOTAL,
            spend: SPEND_TOTAL,
            remaining: BUDGET_REMAINING,
            cap: BUDGET_CAP,
            shield: SHIELD_ACTIVE,
            restarts: ACTOR_RESTARTS_TOTAL,
            mailbox_full: ACTOR_MAILBOX_FULL_TOTAL,
        })?;
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
        let alerts_sent = IntCounterVec::new(
            Opts::new(ALERTS_SENT_TOTAL, "Shield alerts POSTed to alert_webhook, by result."),
            &["tenant", "result"],
        )?;
        let numbers_configured = Gauge::new(NUMBERS_CONFIGURED, "Numbers served by this process.")?;
        registry.register(Box::new(webhook_rejected.clone()))?;
        registry.register(Box::new(decision_duration.clone()))?;
        registry.register(Box::new(ledger_errors.clone()))?;
        registry.register(Box::new(ledger_up.clone()))?;
        registry.register(Box::new(alerts_sent.clone()))?;
        registry.register(Box::new(numbers_configured.clone()))?;
        for reason in REJECT_REASONS {
            webhook_rejected.with_label_values(&["twilio", reason]);
        }
        for outcome in Outcome::ALL {
            decision_duration.with_label_values(&[outcome.as_str()]);
        }
        Ok(Metrics {
            numbers,
            webhook_rejected,
            decision_duration,
            ledger_errors,
            ledger_up,
            alerts_sent,
            numbers_configured,
        })
    }

    /// The handles of one number, so the hot path does no label lookup.
    pub fn for_number(&self, tenant: &str, number: &str) -> NumberMetrics {
        self.alerts_sent.with_label_values(&[tenant, "ok"]);
        self.alerts_sent.with_label_values(&[tenant, "failed"]);
        NumberMetrics {
            series: self.numbers.for_number(tenant, number),
            tenant: tenant.to_owned(),
            families: self.clone(),
        }
    }

    pub fn observe_decision(&self, outcome: Outcome, seconds: f64) {
        self.decision_duration.with_label_values(&[outcome.as_str()]).observe(seconds);
    }
}

/// One number's metric handles.
#[derive(Clone)]
pub struct NumberMetrics {
    pub series: Arc<NumberSeries>,
    tenant: String,
    families: Metrics,
}

impl NumberMetrics {
    pub fn count(&self, outcome: Outcome) {
        self.series.count(outcome);
    }

    pub fn add_spend(&self, kind: &str, micros: i64) {
        self.series.add_spend(kind, micros);
    }

    pub fn set_budget(&self, scope: &str, remaining_micros: i64) {
        self.series.set_remaining(scope, remaining_micros);
    }

    pub fn set_cap(&self, scope: &str, cap_micros: i64) {
        self.series.set_cap(scope, cap_micros);
    }

    pub fn set_shield(&self, active: bool) {
        self.series.set_shield(active);
    }

    pub fn restarted(&self) {
        self.series.restarted();
    }

    pub fn mailbox_full(&self) {
        self.series.mailbox_was_full();
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
