//! The number's baseline shared through the ledger: once a minute this
//! replica's counts are merged into the stored baseline (read, merge,
//! compare and set; tried again when another replica wrote meanwhile), and
//! the merged baseline, every replica's counts in it, becomes this state's.
//! Without counts the stored baseline is only read. Counts the ledger did
//! not take are kept for the next minute (two days of them at most).

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use antirelou_domain::baseline::{BaselineCounts, NumberBaseline};
use antirelou_ledger::Ledger;

use super::NumberActor;
use crate::metrics::LedgerOp;

/// The baseline is merged with the ledger's this often, in ticks.
pub(super) const BASELINE_SYNC_EVERY_TICKS: u32 = 60;
/// Writes tried when other replicas keep writing first.
const WRITE_TRIES: usize = 3;

impl NumberActor {
    /// The merge of this replica's counts into the ledger's baseline, when due.
    pub(super) fn baseline_sync(&mut self) -> Option<impl ActorFuture<Self, Output = ()> + 'static> {
        self.live.ticks_since_baseline_sync = self.live.ticks_since_baseline_sync.saturating_add(1);
        if self.live.syncing_baseline || self.live.ticks_since_baseline_sync < BASELINE_SYNC_EVERY_TICKS {
            return None;
        }
        self.live.ticks_since_baseline_sync = 0;
        self.live.syncing_baseline = true;
        let now = self.now_micros();
        let policy = Arc::clone(&self.deps.policy);
        let tracker = self.live.state.baseline_mut();
        let today = tracker.local_day(&policy, now);
        let counts = tracker.take_counts();
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let number = Arc::clone(&policy.number);
        let fut = async move {
            let merged = merge(ledger.as_ref(), &number, &counts, today, now, timeout).await;
            (merged, counts)
        };
        Some(fut.into_actor(self).map(|(merged, counts), act, _| {
            act.live.syncing_baseline = false;
            let tracker = act.live.state.baseline_mut();
            match merged {
                Some(baseline) => {
                    tracker.synced(baseline);
                    act.deps.metrics.ledger_ok();
                }
                None => {
                    tracker.not_synced(counts);
                    act.deps.metrics.ledger_error(LedgerOp::SyncBaseline);
                }
            }
        }))
    }
}

/// Reads the stored baseline (a new number's prior when there is none, or
/// when it cannot be read), adds `counts` and writes it back over the
/// version read; `None` when the ledger failed or others kept writing first.
async fn merge(
    ledger: &dyn Ledger,
    number: &str,
    counts: &[BaselineCounts],
    today: i32,
    now_micros: i64,
    timeout: Duration,
) -> Option<NumberBaseline> {
    let first_day = counts.iter().map(|c| c.day).min().unwrap_or(today).min(today);
    for _ in 0..WRITE_TRIES {
        let stored = tokio::time::timeout(timeout, ledger.baseline(number)).await.ok()?.ok()?;
        let (version, mut baseline) = match stored {
            Some(stored) => (
                stored.version,
                NumberBaseline::decode(&stored.bytes).unwrap_or_else(|| NumberBaseline::prior(first_day)),
            ),
            None => (0, NumberBaseline::prior(first_day)),
        };
        for c in counts {
            baseline.add(c);
        }
        baseline.roll_to(today);
        if counts.is_empty() {
            return Some(baseline);
        }
        let bytes = baseline.encode();
        let put = ledger.put_baseline(number, version, &bytes, now_micros);
        if tokio::time::timeout(timeout, put).await.ok()?.ok()? {
            return Some(baseline);
        }
    }
    None
}
