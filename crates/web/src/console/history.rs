//! Messages decided per hour over the last day, per number, as this
//! replica saw them: the cumulative outcome count of each number
//! (`antirelou_inbound_total`'s atomics) is sampled every minute, and the
//! first sample of each hour marks where that hour started. Precise to the
//! sampling minute; other replicas' decisions are theirs (the replies the
//! chart shows beside them come from the shared ledger).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use std::sync::Arc;

use antirelou_domain::SharedClock;
use antirelou_engine::NumberRegistry;

/// Hours the chart shows.
pub const HOURS: usize = 24;
/// How often the counts are sampled: the chart is precise to this.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(60);

/// Hour marks per number: (hour since the epoch, cumulative decisions then).
#[derive(Default)]
pub struct DecisionHistory {
    marks: Mutex<HashMap<String, VecDeque<(i64, u64)>>>,
}

impl DecisionHistory {
    /// Records `total` decisions so far for `number` at `hour` (kept only if
    /// it is the first sample of that hour).
    pub fn sample(&self, number: &str, hour: i64, total: u64) {
        let mut marks = self.marks.lock().unwrap_or_else(|e| e.into_inner());
        let ring = marks.entry(number.to_owned()).or_default();
        if ring.back().is_none_or(|(last, _)| *last < hour) {
            ring.push_back((hour, total));
        }
        while ring.len() > HOURS + 1 {
            ring.pop_front();
        }
    }

    /// Decisions per hour for the [`HOURS`] hours ending with `hour`
    /// (oldest first), `total` being the count now.
    pub fn hourly(&self, number: &str, hour: i64, total: u64) -> [u64; HOURS] {
        let mut out = [0u64; HOURS];
        let marks = self.marks.lock().unwrap_or_else(|e| e.into_inner());
        let Some(ring) = marks.get(number) else { return out };
        let ends = ring.iter().skip(1).map(|(_, t)| *t).chain(std::iter::once(total));
        for ((mark_hour, start), end) in ring.iter().zip(ends) {
            let age = hour - mark_hour;
            if (0..HOURS as i64).contains(&age) {
                out[HOURS - 1 - age as usize] += end.saturating_sub(*start);
            }
        }
        out
    }
}

/// Decisions counted so far for a number on this replica.
pub fn total_decisions(handle: &antirelou_engine::NumberHandle) -> u64 {
    handle.metrics.series.snapshot().iter().sum()
}

/// Samples every number now.
pub fn sample_all(history: &DecisionHistory, registry: &NumberRegistry, clock: &SharedClock) {
    let hour = clock.now_seconds().div_euclid(3_600);
    for handle in registry.numbers() {
        history.sample(handle.number(), hour, total_decisions(&handle));
    }
}

/// Samples every number every [`SAMPLE_EVERY`], from now on.
pub fn spawn_sampler(history: Arc<DecisionHistory>, registry: NumberRegistry, clock: SharedClock) {
    actix::spawn(async move {
        let mut every = tokio::time::interval(SAMPLE_EVERY);
        loop {
            every.tick().await;
            sample_all(&history, &registry, &clock);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hour_counts_the_decisions_between_its_mark_and_the_next() {
        let history = DecisionHistory::default();
        history.sample("+33612345678", 100, 0);
        history.sample("+33612345678", 100, 5);
        history.sample("+33612345678", 101, 7);
        history.sample("+33612345678", 103, 20);
        let hourly = history.hourly("+33612345678", 103, 26);
        assert_eq!(&hourly[HOURS - 4..], &[7, 13, 0, 6]);
        assert_eq!(hourly.iter().sum::<u64>(), 26);
        assert_eq!(history.hourly("+33612345678", 103 + HOURS as i64 + 5, 26), [0; HOURS]);
        assert_eq!(history.hourly("+33699999999", 103, 1), [0; HOURS]);
    }
}
