//! [`InboundCharges`]: the provider message ids a number received since the
//! last write, so the provider's charge per received SMS (`inbound_price`)
//! is recorded once per message id, in batches: a flood costs one ledger
//! write per second, not one per message, and the ledger's dedupe means a
//! retried batch, a replayed webhook or a second replica never charges an
//! id twice.

use std::sync::Arc;

use antirelou_domain::{Money, Periods, SharedClock};
use antirelou_ledger::InboundBatch;

use crate::policy::NumberPolicy;

/// A batch is written when it reaches this many ids (or every second).
pub const INBOUND_BATCH: usize = 500;
/// Ids kept while the ledger is unreachable; beyond, the oldest are dropped
/// (and logged with their count for reconciliation).
pub const MAX_PENDING_IDS: usize = 20_000;

/// Message ids waiting to be charged.
#[derive(Default)]
pub struct InboundCharges {
    pending: Vec<String>,
}

impl InboundCharges {
    /// Notes a verified, first-seen message id (nothing when the number's inbound price is zero).
    pub fn received(&mut self, policy: &NumberPolicy, message_id: &str) {
        if policy.inbound_price > Money::ZERO {
            self.pending.push(message_id.to_owned());
        }
    }

    pub fn is_due(&self) -> bool {
        self.pending.len() >= INBOUND_BATCH
    }

    /// The batch to write now, if any.
    pub fn take(&mut self, policy: &NumberPolicy, clock: &SharedClock) -> Option<InboundBatch> {
        if self.pending.is_empty() {
            return None;
        }
        let message_ids = std::mem::take(&mut self.pending);
        Some(InboundBatch {
            tenant: Arc::clone(&policy.tenant),
            number: Arc::clone(&policy.number),
            message_ids,
            unit_price: policy.inbound_price,
            prepaid: policy.prepaid,
            now_micros: clock.now_micros(),
            periods: Periods::at(clock.now(), policy.timezone),
        })
    }

    /// A batch the ledger did not take: its ids are tried again with the
    /// next one. Returns how many ids were dropped to stay bounded.
    pub fn put_back(&mut self, batch: InboundBatch) -> usize {
        let mut ids = batch.message_ids;
        ids.append(&mut self.pending);
        let dropped = ids.len().saturating_sub(MAX_PENDING_IDS);
        ids.drain(..dropped);
        self.pending = ids;
        dropped
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antirelou_domain::ManualClock;

    fn policy(inbound_price: i64) -> NumberPolicy {
        let mut p = crate::policy::tests::sample_policy();
        p.inbound_price = Money::from_micros(inbound_price);
        p
    }

    #[test]
    fn nothing_is_kept_when_inbound_sms_are_free() {
        let mut charges = InboundCharges::default();
        charges.received(&policy(0), "SM1");
        assert!(charges.is_empty());
    }

    #[test]
    fn a_batch_carries_every_id_and_a_failed_one_is_retried_bounded() {
        let clock: SharedClock = Arc::new(ManualClock::default());
        let p = policy(10_000);
        let mut charges = InboundCharges::default();
        for i in 0..INBOUND_BATCH {
            charges.received(&p, &format!("SM{i}"));
        }
        assert!(charges.is_due());
        let batch = charges.take(&p, &clock).unwrap();
        assert_eq!((batch.message_ids.len(), batch.unit_price), (INBOUND_BATCH, Money::from_micros(10_000)));
        assert!(charges.take(&p, &clock).is_none());
        charges.received(&p, "SMnew");
        assert_eq!(charges.put_back(batch), 0);
        assert_eq!(charges.len(), INBOUND_BATCH + 1);
        let big = InboundBatch {
            message_ids: (0..MAX_PENDING_IDS).map(|i| format!("X{i}")).collect(),
            ..charges.take(&p, &clock).unwrap()
        };
        assert_eq!(charges.put_back(big), 0);
        charges.received(&p, "SMlast");
        let again = charges.take(&p, &clock).unwrap();
        assert_eq!(charges.put_back(again), 1);
        assert_eq!(charges.len(), MAX_PENDING_IDS);
    }
}
