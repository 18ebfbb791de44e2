//! `antirelou_control_*`: changes made through this replica, the change
//! version it applies and when it last compared it with the ledger's.

use antirelou_ledger::AuditAction;
use prometheus::{Gauge, IntCounterVec, Opts, Registry};

pub const CONTROL_CHANGES_TOTAL: &str = "antirelou_control_changes_total";
pub const CONTROL_VERSION: &str = "antirelou_control_version";
pub const CONTROL_APPLIED_AT: &str = "antirelou_control_applied_timestamp_seconds";
pub const CONTROL_CHECKED_AT: &str = "antirelou_control_checked_timestamp_seconds";

/// The control families. Cheap to clone.
#[derive(Clone)]
pub struct ControlMetrics {
    pub changes: IntCounterVec,
    version: Gauge,
    applied_at: Gauge,
    checked_at: Gauge,
}

impl ControlMetrics {
    /// Registers the families in `registry`, every `action` series at 0.
    pub fn register(registry: &Registry) -> Result<ControlMetrics, prometheus::Error> {
        let changes = IntCounterVec::new(
            Opts::new(CONTROL_CHANGES_TOTAL, "Runtime control changes made through this replica, by action."),
            &["action"],
        )?;
        for action in AuditAction::ALL {
            changes.with_label_values(&[action.as_str()]);
        }
        let version = Gauge::new(CONTROL_VERSION, "The runtime control version this replica applies.")?;
        let applied_at =
            Gauge::new(CONTROL_APPLIED_AT, "When this replica last applied the runtime controls (Unix seconds).")?;
        let checked_at = Gauge::new(
            CONTROL_CHECKED_AT,
            "When this replica last found its runtime controls up to date with the ledger (Unix seconds).",
        )?;
        registry.register(Box::new(changes.clone()))?;
        registry.register(Box::new(version.clone()))?;
        registry.register(Box::new(applied_at.clone()))?;
        registry.register(Box::new(checked_at.clone()))?;
        Ok(ControlMetrics { changes, version, applied_at, checked_at })
    }

    pub(crate) fn applied(&self, version: u64, now_seconds: i64) {
        self.version.set(version as f64);
        self.applied_at.set(now_seconds as f64);
        self.checked_at.set(now_seconds as f64);
    }

    pub(crate) fn checked(&self, now_seconds: i64) {
        self.checked_at.set(now_seconds as f64);
    }
}
