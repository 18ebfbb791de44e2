//! Per-day counters for `GET /v1/tenants/{tenant}/stats`: each number's
//! decisions by outcome, calls by outcome and spend by kind (the atomics
//! `/metrics` reads)
//! are added, as differences since the last write, to its tenant's day in
//! the ledger ([`Reports::add_day_counts`](antirelou_ledger::Reports::add_day_counts)),
//! the tenant's sums and each number's own (`number_field`, for
//! `GET /v1/numbers/{number}`): one write per tenant every
//! [`DAY_COUNTS_EVERY`], not one per decision.
//!
//! Start with [`DayCounters::write`]. The day is the one the write happens
//! in (the ledger's timezone), so a decision in the last seconds before
//! midnight may count for the next day; a crash loses at most the last
//! interval. Entries stay the money's truth; these counters are a report.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use antirelou_domain::{Outcome, Periods, SharedClock};
use antirelou_ledger::reports::{call_field, number_field, outcome_field, spend_field};
use antirelou_ledger::{DayCounts, Ledger};

use crate::handle::NumberHandle;
use crate::metrics::number_series::{CALL_WITHOUT_VOICE, SPEND_KINDS};

/// Counters are written to the ledger this often.
pub const DAY_COUNTS_EVERY: Duration = Duration::from_secs(10);

/// What was already written, per number.
#[derive(Default)]
pub struct DayCounters {
    written: tokio::sync::Mutex<HashMap<Arc<str>, Written>>,
}

/// A tenant's day, its counts, and the numbers' counters they come from.
type Tenant = (String, BTreeMap<String, i64>, Vec<(Arc<str>, Written)>);

#[derive(Clone, Copy, Default)]
struct Written {
    outcomes: [u64; Outcome::COUNT],
    /// In the order of [`Outcome::ALL`], then the calls without `voice`.
    calls: [u64; Outcome::COUNT + 1],
    spend: [i64; SPEND_KINDS.len()],
}

/// The `antirelou_calls_total` outcome label of each call counter.
fn call_label(index: usize) -> &'static str {
    Outcome::ALL.get(index).map_or(CALL_WITHOUT_VOICE, |o| o.as_str())
}

impl DayCounters {
    /// Adds what `numbers` counted since the last write to their tenants'
    /// day; a failed write is retried with the next one. Returns whether
    /// every write succeeded.
    pub async fn write(&self, numbers: &[Arc<NumberHandle>], ledger: &dyn Ledger, clock: &SharedClock) -> bool {
        let mut written = self.written.lock().await;
        let instant = clock.now();
        let mut by_tenant: BTreeMap<Arc<str>, Tenant> = BTreeMap::new();
        for handle in numbers {
            let series = &handle.metrics.series;
            let now =
                Written { outcomes: series.snapshot(), calls: series.calls_snapshot(), spend: series.spend_snapshot() };
            let before = written.get(handle.number()).copied().unwrap_or_default();
            let entry = by_tenant
                .entry(Arc::clone(handle.tenant_id()))
                .or_insert_with(|| (Periods::at(instant, handle.policy.timezone).day, BTreeMap::new(), Vec::new()));
            let number = handle.number();
            let mut add = |field: String, delta: i64| {
                entry.1.insert(number_field(number, &field), delta);
                *entry.1.entry(field).or_default() += delta;
            };
            for outcome in Outcome::ALL {
                let delta = now.outcomes[outcome.index()].saturating_sub(before.outcomes[outcome.index()]);
                if delta > 0 {
                    add(outcome_field(outcome.as_str()), i64::try_from(delta).unwrap_or(i64::MAX));
                }
            }
            for (i, (now, before)) in now.calls.iter().zip(before.calls).enumerate() {
                let delta = now.saturating_sub(before);
                if delta > 0 {
                    add(call_field(call_label(i)), i64::try_from(delta).unwrap_or(i64::MAX));
                }
            }
            for (i, kind) in SPEND_KINDS.iter().enumerate() {
                let delta = now.spend[i] - before.spend[i];
                if delta > 0 {
                    add(spend_field(kind.as_str()), delta);
                }
            }
            entry.2.push((Arc::clone(handle.number()), now));
        }
        let mut all_ok = true;
        for (tenant, (day, counts, seen)) in by_tenant {
            let batch = DayCounts { tenant: tenant.to_string(), day, counts: counts.into_iter().collect() };
            let ok = batch.counts.is_empty()
                || matches!(tokio::time::timeout(DAY_COUNTS_EVERY, ledger.add_day_counts(&batch)).await, Ok(Ok(())));
            if ok {
                written.extend(seen);
            }
            all_ok &= ok;
        }
        all_ok
    }
}
