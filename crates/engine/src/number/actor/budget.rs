//! The actor's budget alerts: after each read of the spend totals, the
//! thresholds reached are claimed in the ledger and the alerts this
//! replica claimed are emitted (see `crate::budget_alerts`).

use std::sync::Arc;

use actix::prelude::*;
use antirelou_domain::Periods;
use antirelou_ledger::{SpendTotals, TopUpMark};

use super::NumberActor;
use crate::alerts::AlertKind;
use crate::budget_alerts;
use crate::metrics::LedgerOp;

/// Claim keys this actor knows are taken (by it or another replica); a
/// period has at most 12 (3 caps and the balance × 3 thresholds), so this
/// bounds a day and a month with room.
const KNOWN_CLAIMS: usize = 64;

impl NumberActor {
    /// Whether money was spent through this actor since the last totals read.
    pub(super) fn spent_since_read(&self) -> bool {
        self.spent_so_far() != self.live.spend_at_read
    }

    /// The sum of this actor's spend counters (micro-units).
    pub(super) fn spent_so_far(&self) -> i64 {
        self.deps.metrics.series.spend_snapshot().iter().sum()
    }

    /// Claims the alerts of the thresholds `totals` reached in `periods`
    /// (and, for a prepaid tenant, since its last top-up `top_up`); emits
    /// those this replica claimed.
    pub(super) fn check_budget(
        &mut self,
        totals: &SpendTotals,
        top_up: Option<TopUpMark>,
        periods: &Periods,
        ctx: &mut Context<Self>,
    ) {
        let policy = Arc::clone(&self.deps.policy);
        let now = self.now_micros();
        let mut found = budget_alerts::crossings(&policy.caps, totals);
        if let (Some(mark), Some(balance)) = (top_up, totals.balance) {
            found.extend(budget_alerts::balance_crossings(&mark, balance, policy.reply_cost));
        }
        for crossing in found {
            let (claim, alert) = budget_alerts::claim(
                &policy.tenant,
                &policy.number,
                &crossing,
                periods,
                now,
                policy.donation_url.as_deref(),
            );
            if self.live.known_claims.contains(&claim.key) {
                continue;
            }
            if self.live.known_claims.len() >= KNOWN_CLAIMS {
                self.live.known_claims.clear();
            }
            self.live.known_claims.push(claim.key.clone());
            let key = claim.key.clone();
            let ledger = Arc::clone(&self.deps.ledger);
            let timeout = self.deps.options.ledger_timeout;
            let fut = async move { tokio::time::timeout(timeout, ledger.claim_alert(&claim)).await };
            ctx.spawn(fut.into_actor(self).map(move |claimed, act, _| match claimed {
                Ok(Ok(true)) => {
                    if !act.deps.alerts.emit(alert) {
                        act.deps.metrics.families().alert_delivered(&act.deps.policy.tenant, AlertKind::Budget, false);
                    }
                }
                Ok(Ok(false)) => {}
                _ => {
                    // Try again at the next read.
                    act.live.known_claims.retain(|k| *k != key);
                    act.deps.metrics.ledger_error(LedgerOp::ClaimAlert);
                }
            }));
        }
    }
}
