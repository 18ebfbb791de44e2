//! Settling an answered call when its provider reports how it ended: the
//! one way a provider's call-end report (Twilio's call status callback;
//! Vonage's and Plivo's alike) reaches the ledger's
//! [`Calls::settle_call`](antirelou_ledger::Calls::settle_call), bounded
//! in time and counted in `antirelou_call_settlements_total`. Nothing of
//! the caller is read or logged.

use std::time::Duration;

use antirelou_domain::Money;
use antirelou_engine::metrics::settlements::SettlementResult;
use antirelou_engine::NumberHandle;
use antirelou_ledger::{CallSettlement, SettleVerdict};

use crate::state::AppState;

/// The longest a settlement waits for the ledger: past it the call stays
/// paid at its reservation (the safe side) and the provider is told to
/// try again.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Settles `call_id` of `handle`'s number, which ended after `seconds`
/// (`None`: the call is not over, nothing to settle; `Some(0)`: it ended
/// unanswered), at the number's current `voice.price_per_minute`; counts
/// and returns what it did. A replay is `already_settled` and changes
/// nothing; a number without `voice` keeps the reservation spent.
pub async fn settle_call(
    state: &AppState,
    handle: &NumberHandle,
    call_id: &str,
    seconds: Option<u32>,
) -> SettlementResult {
    let (tenant, number) = (handle.tenant_id(), handle.number());
    let (result, given_back) = match (seconds, &handle.policy.voice) {
        (None, _) => (SettlementResult::NotOver, Money::ZERO),
        (Some(_), None) => (SettlementResult::NoVoice, Money::ZERO),
        (Some(seconds), Some(voice)) => {
            let settlement = CallSettlement {
                tenant: tenant.to_string(),
                number: number.to_string(),
                call_id: call_id.to_owned(),
                seconds,
                price_per_minute: voice.price_per_minute,
                now_micros: state.clock.now_micros(),
            };
            match tokio::time::timeout(SETTLE_TIMEOUT, state.registry.ledger().settle_call(&settlement)).await {
                Ok(Ok(verdict)) => {
                    let given_back = match verdict {
                        SettleVerdict::Settled { given_back, .. } => given_back,
                        _ => Money::ZERO,
                    };
                    if let SettleVerdict::Settled { over_reservation: true, reserved, .. } = verdict {
                        tracing::warn!(%tenant, %number, seconds, max_seconds = voice.max_seconds, %reserved,
                            "a call lasted longer than its reservation pays for: charged the reservation");
                    }
                    (SettlementResult::of(&verdict), given_back)
                }
                Ok(Err(error)) => {
                    tracing::warn!(%tenant, %number, %error, "a call's settlement failed: its reservation stays spent");
                    (SettlementResult::LedgerUnavailable, Money::ZERO)
                }
                Err(_) => {
                    tracing::warn!(%tenant, %number, "a call's settlement timed out: its reservation stays spent");
                    (SettlementResult::LedgerUnavailable, Money::ZERO)
                }
            }
        }
    };
    state.registry.metrics().call_settlements.record(tenant, number, result, given_back);
    result
}
