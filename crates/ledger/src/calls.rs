//! Calls settled at their real duration ([`Calls`]).
//!
//! An answered call is paid like a reply ([`crate::Ledger::decide_reply`]
//! with [`EntryKind::Call`](crate::EntryKind::Call)): its reservation, `price_per_minute ×
//! ceil(max_seconds / 60)`, is debited before answering, and the ledger
//! keeps a record of it (tenant, amount, the day and month it was counted
//! in, whether the prepaid balance paid it) for [`CALL_RETENTION_SECONDS`].
//! When the provider reports how long the call really lasted, the call is
//! settled **once**: its real cost ([`call_cost`], never above the
//! reservation) is what stays spent, and the difference is given back to
//! every counter the reservation was added to — the number's day, the
//! tenant's and the deployment's month (those of the call, whenever the
//! settlement comes), the prepaid balance when it paid, and the day's
//! `spend:call` report counters — as one [`EntryKind::CallSettled`](crate::EntryKind::CallSettled) entry
//! whose reference is the call id.
//!
//! Whatever replays a settlement (a provider's retry, a forged copy that
//! passed nothing, two replicas at once, in any order), the first one is
//! the only one that writes; the others answer [`SettleVerdict::AlreadySettled`].

use antirelou_domain::voice::call_cost;
use antirelou_domain::Money;
use async_trait::async_trait;

use crate::LedgerError;

/// How long the record of an answered call is kept for its settlement
/// (a provider reports a call's end within minutes; 7 days covers any
/// retry). A settlement after it finds nothing ([`SettleVerdict::UnknownCall`])
/// and the call stays paid at its reservation.
pub const CALL_RETENTION_SECONDS: i64 = 7 * 86_400;

/// The longest call id accepted (Twilio's `CA…` is 34 characters,
/// Vonage's UUID 36, Plivo's UUID 36).
pub const MAX_CALL_ID_LEN: usize = 64;

/// A provider's report of how long one answered call lasted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSettlement {
    /// The tenant the call's number belongs to: a call recorded for another
    /// tenant is unknown to this one.
    pub tenant: String,
    /// Our number (E.164) the call was made to.
    pub number: String,
    /// The provider's call id: the reference of the `call` entry.
    pub call_id: String,
    /// How long the call lasted, as the provider bills it; 0 for a call
    /// that was never answered (busy, failed, no answer, canceled).
    pub seconds: u32,
    /// The number's `voice.price_per_minute`.
    pub price_per_minute: Money,
    pub now_micros: i64,
}

impl CallSettlement {
    /// What the call cost at `price_per_minute` for `seconds`, and whether
    /// that is more than `reserved` (then the cost is the reservation: a
    /// call is never charged beyond what was reserved before answering).
    pub fn cost(&self, reserved: Money) -> (Money, bool) {
        match call_cost(self.price_per_minute, self.seconds) {
            Some(cost) if cost <= reserved => (cost, false),
            _ => (reserved, true),
        }
    }
}

/// What [`Calls::settle_call`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettleVerdict {
    /// Settled now: the `call_settled` entry, what was reserved, what the
    /// call cost (what stays spent), what was given back (`reserved -
    /// cost`, possibly 0), and whether the reported duration cost more than
    /// the reservation (`over_reservation`: capped at it, an anomaly worth
    /// counting — the provider let the call run past `max_seconds`).
    Settled { entry_id: u64, reserved: Money, cost: Money, given_back: Money, over_reservation: bool },
    /// The call was settled before: nothing written.
    AlreadySettled,
    /// No answered call of this id is recorded for this tenant and number
    /// (never answered by us, refused, another tenant's, or older than
    /// [`CALL_RETENTION_SECONDS`]): nothing written.
    UnknownCall,
}

/// The settlement of answered calls; each is one atomic operation of the
/// backend (SQLite: one IMMEDIATE transaction; Redis: one Lua script).
#[async_trait]
pub trait Calls: Send + Sync {
    /// Settles the answered call `call_id` of `number` at its real duration,
    /// once: see the module documentation and [`SettleVerdict`]. For
    /// callers wiring a provider's call-end event (Twilio's status
    /// callback, Vonage's `completed` event, Plivo's hangup callback): pass
    /// the billed duration in seconds (0 when the call ended unanswered)
    /// and the number's current `price_per_minute`; replay freely. Refused
    /// (`LedgerError::Refused`, nothing written) when the call id is empty
    /// or longer than [`MAX_CALL_ID_LEN`] or the price is negative.
    async fn settle_call(&self, settlement: &CallSettlement) -> Result<SettleVerdict, LedgerError>;
}

/// Refuses a settlement whose call id or price cannot be a call's.
pub fn check_settlement(s: &CallSettlement) -> Result<(), LedgerError> {
    if s.call_id.is_empty() || s.call_id.len() > MAX_CALL_ID_LEN || s.call_id.contains(char::is_control) {
        return Err(LedgerError::Refused(format!("{:?} is not a call id", s.call_id)));
    }
    if s.price_per_minute < Money::ZERO {
        return Err(LedgerError::Refused(format!("a price per minute can not be negative ({})", s.price_per_minute)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settlement(seconds: u32) -> CallSettlement {
        CallSettlement {
            tenant: "paris".into(),
            number: "+33612345678".into(),
            call_id: "CA1".into(),
            seconds,
            price_per_minute: Money::from_micros(20_000),
            now_micros: 0,
        }
    }

    #[test]
    fn the_cost_is_every_started_minute_never_above_the_reservation() {
        let reserved = Money::from_micros(40_000);
        assert_eq!(settlement(0).cost(reserved), (Money::ZERO, false));
        assert_eq!(settlement(14).cost(reserved), (Money::from_micros(20_000), false));
        assert_eq!(settlement(120).cost(reserved), (reserved, false));
        assert_eq!(settlement(121).cost(reserved), (reserved, true));
        assert_eq!(settlement(u32::MAX).cost(reserved), (reserved, true));
    }

    #[test]
    fn call_ids_and_prices_are_checked() {
        assert!(check_settlement(&settlement(1)).is_ok());
        let mut bad = settlement(1);
        bad.call_id = String::new();
        assert!(check_settlement(&bad).is_err());
        bad.call_id = "x".repeat(MAX_CALL_ID_LEN + 1);
        assert!(check_settlement(&bad).is_err());
        let mut negative = settlement(1);
        negative.price_per_minute = Money::from_micros(-1);
        assert!(check_settlement(&negative).is_err());
    }
}
