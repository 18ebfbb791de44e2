//! What the settlements of answered calls did:
//! `antirelou_call_settlements_total{tenant,number,result}` and the money
//! they gave back, `antirelou_call_given_back_total{tenant,number}`.

use antirelou_domain::Money;
use antirelou_ledger::SettleVerdict;
use prometheus::{CounterVec, IntCounterVec, Opts, Registry};

pub const CALL_SETTLEMENTS_TOTAL: &str = "antirelou_call_settlements_total";
pub const CALL_GIVEN_BACK_TOTAL: &str = "antirelou_call_given_back_total";

/// The `result` label of [`CALL_SETTLEMENTS_TOTAL`]: what a provider's
/// report of a call's end did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettlementResult {
    /// Settled now at its real cost (the rest of the reservation given back).
    Settled,
    /// Settled now, but the reported duration cost more than the
    /// reservation: charged the reservation (an anomaly: the call ran past
    /// `max_seconds`).
    OverReservation,
    /// The call was settled before: nothing changed (a replay).
    AlreadySettled,
    /// No answered call of that id for that number: nothing changed.
    UnknownCall,
    /// The call is not over yet (a progress event): nothing to settle.
    NotOver,
    /// The number has no `voice` any more: the reservation stays spent.
    NoVoice,
    /// The ledger failed or timed out: the reservation stays spent.
    LedgerUnavailable,
}

impl SettlementResult {
    pub const ALL: [SettlementResult; 7] = [
        SettlementResult::Settled,
        SettlementResult::OverReservation,
        SettlementResult::AlreadySettled,
        SettlementResult::UnknownCall,
        SettlementResult::NotOver,
        SettlementResult::NoVoice,
        SettlementResult::LedgerUnavailable,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SettlementResult::Settled => "settled",
            SettlementResult::OverReservation => "over_reservation",
            SettlementResult::AlreadySettled => "already_settled",
            SettlementResult::UnknownCall => "unknown_call",
            SettlementResult::NotOver => "not_over",
            SettlementResult::NoVoice => "no_voice",
            SettlementResult::LedgerUnavailable => "ledger_unavailable",
        }
    }

    /// The result of what the ledger answered.
    pub fn of(verdict: &SettleVerdict) -> SettlementResult {
        match verdict {
            SettleVerdict::Settled { over_reservation: true, .. } => SettlementResult::OverReservation,
            SettleVerdict::Settled { .. } => SettlementResult::Settled,
            SettleVerdict::AlreadySettled => SettlementResult::AlreadySettled,
            SettleVerdict::UnknownCall => SettlementResult::UnknownCall,
        }
    }
}

/// The settlement families, by tenant and number (our configured ones only).
#[derive(Clone)]
pub struct SettlementMetrics {
    settlements: IntCounterVec,
    given_back: CounterVec,
}

impl SettlementMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<SettlementMetrics> {
        let settlements = IntCounterVec::new(
            Opts::new(CALL_SETTLEMENTS_TOTAL, "Reports of an answered call's end, by what settling it did."),
            &["tenant", "number", "result"],
        )?;
        let given_back = CounterVec::new(
            Opts::new(
                CALL_GIVEN_BACK_TOTAL,
                "Money given back by settled calls (reservation minus real cost), in major units of the currency.",
            ),
            &["tenant", "number"],
        )?;
        registry.register(Box::new(settlements.clone()))?;
        registry.register(Box::new(given_back.clone()))?;
        Ok(SettlementMetrics { settlements, given_back })
    }

    /// Counts one report of `number`'s call, and what it gave back.
    pub fn record(&self, tenant: &str, number: &str, result: SettlementResult, given_back: Money) {
        self.settlements.with_label_values(&[tenant, number, result.as_str()]).inc();
        if given_back > Money::ZERO {
            self.given_back.with_label_values(&[tenant, number]).inc_by(given_back.as_major_f64());
        }
    }
}
