//! The actor's periodic work: inbound charges, the shield's end (and its
//! alerts, kept in the ledger like the budget's, and sharing), budget gauges every minute, and the rounds of
//! deferred judgements.

use antirelou_domain::micros;
use std::sync::Arc;

use actix::prelude::*;
use antirelou_domain::shield::{ShieldState, ShieldTransition, SurgeTotals};
use antirelou_domain::{DeferredResult, Periods};
use antirelou_ledger::{AlertClaim, AlertRecord, EntryKind, InboundBatch, InboundCharged, LedgerError, TotalsQuery};
use tokio::time::error::Elapsed;

use super::NumberActor;
use crate::alerts::{Alert, AlertKind};
use crate::metrics::LedgerOp;
use crate::number::judge::JUDGE_EVERY_SECONDS;
use crate::number::judge_round::{JudgeRound, RoundReport};

/// A surge that goes on pushes the shared shield end at most this often.
const SHIELD_SHARE_EVERY_SECONDS: i64 = 10;
/// A shield alert's claim is kept a day (it only dedupes one minute's).
const SHIELD_CLAIM_MICROS: i64 = micros::from_seconds(86_400);
/// Budget gauges are re-read from the ledger this often (spend by other
/// replicas, period roll-over on an idle number), in ticks.
const BUDGET_READ_EVERY_TICKS: u32 = 60;

/// Work a tick started and its caller may await.
pub(super) type TickWork = Box<dyn ActorFuture<NumberActor, Output = ()>>;

impl NumberActor {
    /// One tick: the shield's end, inbound charges, the budget gauges now
    /// and then, the baseline once a minute, and a judgement round when one is due. Returns the ledger
    /// work it started, for the caller to spawn (real timers) or await
    /// (driven timers).
    pub(super) fn tick(&mut self, ctx: &mut Context<Self>) -> Option<std::pin::Pin<TickWork>> {
        let (transition, totals) = self.live.state.evaluate_shield(self.deps.clock.now_seconds());
        self.on_shield(transition, totals);
        self.live.seconds_since_budget_read += 1;
        // Spend through this actor is checked against the budget alerts within a tick.
        if self.live.seconds_since_budget_read >= BUDGET_READ_EVERY_TICKS || self.spent_since_read() {
            self.load_from_ledger(ctx);
        }
        self.incident_work(ctx);
        let mut work: Vec<std::pin::Pin<TickWork>> = Vec::new();
        if let Some(write) = self.inbound_write() {
            work.push(Box::pin(write));
        }
        if let Some(sync) = self.baseline_sync() {
            work.push(Box::pin(sync));
        }
        if let Some(round) = self.judge_round() {
            work.push(Box::pin(round));
        }
        // One after the other, in that order.
        let mut work = work.into_iter();
        let first = work.next()?;
        Some(work.fold(first, |done, next| Box::pin(done.then(move |(), _, _| next))))
    }

    /// A judgement round, when one is due and none runs.
    fn judge_round(&mut self) -> Option<impl ActorFuture<Self, Output = ()> + 'static> {
        let now = self.now_micros();
        if !self.live.queue_active || self.live.judging || now < self.live.next_judge_micros {
            return None;
        }
        self.live.next_judge_micros = micros::after_seconds(now, JUDGE_EVERY_SECONDS);
        self.live.judging = true;
        let round = JudgeRound {
            policy: Arc::clone(&self.deps.policy),
            ledger: Arc::clone(&self.deps.ledger),
            clock: Arc::clone(&self.deps.clock),
            sealer: self.deps.sealer.clone(),
            send_api: self.deps.send_api.clone(),
            holder: Arc::clone(&self.deps.holder),
            notes: self.live.state.take_notes(),
            ledger_timeout: self.deps.options.ledger_timeout,
        };
        Some(round.run().into_actor(self).map(|report, act, _| act.judged(report)))
    }

    /// Learns what a judgement round did.
    fn judged(&mut self, report: RoundReport) {
        self.live.judging = false;
        if report.ledger_failed {
            self.deps.metrics.ledger_error(LedgerOp::Judge);
        }
        let now = self.now_micros();
        let mut paid = 0u64;
        for (sender, result) in &report.ended {
            self.live.state.judged(sender, *result, now);
            if let Some(result) = result {
                self.deps.metrics.count_deferred(*result);
            }
            match result {
                Some(DeferredResult::Sent | DeferredResult::SendFailed) => paid += 1,
                Some(DeferredResult::DroppedFlooding) => {
                    let facts = report.flooders.iter().find(|f| f.sender == *sender).cloned();
                    self.live.incident.flooder(now, *sender, facts);
                }
                _ => {}
            }
        }
        if report.spent.micros() > 0 {
            self.replies_paid(paid, report.spent, antirelou_ledger::EntryKind::Reply);
        }
        if let Some(pending) = report.pending {
            self.deps.metrics.series.set_deferred_pending(pending);
            if pending == 0 && self.live.state.notes_waiting() == 0 {
                self.live.queue_active = false;
            }
        }
    }

    /// Metrics, alerts and sharing for a shield transition.
    pub(super) fn on_shield(&mut self, transition: ShieldTransition, totals: SurgeTotals) {
        let now_seconds = self.deps.clock.now_seconds();
        let policy = Arc::clone(&self.deps.policy);
        let (tenant, number) = (&policy.tenant, &policy.number);
        match transition {
            ShieldTransition::Unchanged => {}
            ShieldTransition::Entered { until_seconds } => {
                let cause = match self.live.state.pressure() {
                    Some(pressure) if !ShieldState::surges(&policy.shield, totals) => pressure.as_str(),
                    _ => "surge",
                };
                tracing::warn!(tenant = %tenant, number = %number, inbound_last_minute = totals.inbound,
                    new_senders_last_minute = totals.new_senders, new_senders_last_hour = totals.new_senders_hour,
                    cause, "shield mode entered");
                self.deps.metrics.set_shield(true);
                self.deps.metrics.shield_entered(cause);
                self.share_shield(until_seconds, now_seconds);
                self.live.alerted_shield = true;
                let now = self.now_micros();
                let why = self.live.state.baseline_mut().figures(&policy, now, cause);
                self.alert(Alert::shield_entered(tenant, number, until_seconds, totals, &why));
                self.incident_shielded(until_seconds);
            }
            ShieldTransition::Extended { until_seconds } => {
                // Share the new end at most every few seconds, not per message.
                if until_seconds >= self.live.shared_shield_until + SHIELD_SHARE_EVERY_SECONDS {
                    self.share_shield(until_seconds, now_seconds);
                    self.incident_shielded(until_seconds);
                }
            }
            ShieldTransition::Exited => {
                tracing::info!(tenant = %tenant, number = %number, "shield mode exited");
                self.deps.metrics.set_shield(false);
                self.incident_shield_ended();
                // Only the replica that raised the alert closes it.
                if std::mem::take(&mut self.live.alerted_shield) {
                    self.alert(Alert::shield_exited(tenant, number, totals));
                }
            }
        }
    }

    /// Keeps a shield alert for the console and sends it to the webhook.
    /// It is claimed in the ledger once per number, event and minute, so
    /// replicas that see the same flood start send it once; if the ledger
    /// does not answer it is sent anyway (a duplicate rather than silence).
    fn alert(&self, alert: Alert) {
        let now = self.now_micros();
        let claim = AlertClaim {
            owner: alert.tenant.clone(),
            key: format!("shield:{}:{}:{}", self.deps.policy.number, alert.event, now / micros::from_seconds(60)),
            record: AlertRecord { at_micros: now, json: serde_json::to_string(&alert).unwrap_or_default() },
            expires_micros: now.saturating_add(SHIELD_CLAIM_MICROS),
        };
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let (metrics, outbox) = (self.deps.metrics.clone(), self.deps.alerts.clone());
        let send = self.deps.policy.alert_webhook.is_some();
        actix::spawn(async move {
            let claimed = match tokio::time::timeout(timeout, ledger.claim_alert(&claim)).await {
                Ok(Ok(claimed)) => claimed,
                _ => {
                    metrics.ledger_error(LedgerOp::ClaimAlert);
                    true
                }
            };
            if claimed && send && !outbox.emit(alert) {
                metrics.families().alert_delivered(&claim.owner, AlertKind::Shield, false);
            }
        });
    }

    fn share_shield(&mut self, until_seconds: i64, now_seconds: i64) {
        self.live.shared_shield_until = until_seconds;
        let ledger = Arc::clone(&self.deps.ledger);
        let number = Arc::clone(&self.deps.policy.number);
        let metrics = self.deps.metrics.clone();
        actix::spawn(async move {
            match ledger.set_shield(&number, until_seconds, now_seconds).await {
                Ok(()) => metrics.ledger_ok(),
                Err(_) => metrics.ledger_error(LedgerOp::SetShield),
            }
        });
    }

    /// Writes the inbound charges received since the last write, in the background.
    pub(super) fn flush_inbound(&mut self, ctx: &mut Context<Self>) {
        if let Some(write) = self.inbound_write() {
            ctx.spawn(write);
        }
    }

    /// The write of the inbound charges received since the last one, if
    /// any; a batch the ledger does not take is kept for the next one.
    pub(super) fn inbound_write(&mut self) -> Option<impl ActorFuture<Self, Output = ()> + 'static> {
        let batch = self.charges.take(&self.deps.policy, &self.deps.clock)?;
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let fut = async move {
            let result = tokio::time::timeout(timeout, ledger.record_inbound(&batch)).await;
            (batch, result)
        };
        Some(fut.into_actor(self).map(|(batch, result), act, _| act.charged(batch, result)))
    }

    fn charged(&mut self, batch: InboundBatch, result: Result<Result<InboundCharged, LedgerError>, Elapsed>) {
        match result {
            Ok(Ok(charged)) => {
                self.deps.metrics.ledger_ok();
                self.deps.metrics.add_spend(EntryKind::Inbound, charged.amount.micros());
                let now = self.now_micros();
                self.live.incident.inbound_charged(now, charged.amount);
            }
            _ => {
                self.deps.metrics.ledger_error(LedgerOp::RecordInbound);
                let dropped = self.charges.put_back(batch);
                if dropped > 0 {
                    // The provider charged these messages: keep the count visible for reconciliation.
                    tracing::error!(tenant = %self.deps.policy.tenant, number = %self.deps.policy.number,
                        dropped, "inbound charges could not be recorded and were dropped");
                }
            }
        }
    }

    /// Reads spend totals, shared shield state and whether judgements wait
    /// (start, restart, every minute).
    pub(super) fn load_from_ledger(&mut self, ctx: &mut Context<Self>) {
        self.live.seconds_since_budget_read = 0;
        self.live.spend_at_read = self.spent_so_far();
        let ledger = Arc::clone(&self.deps.ledger);
        let policy = &self.deps.policy;
        let query = TotalsQuery {
            tenant: policy.tenant.to_string(),
            number: policy.number.to_string(),
            periods: Periods::at(self.deps.clock.now(), policy.timezone),
        };
        let now_seconds = self.deps.clock.now_seconds();
        let timeout = self.deps.options.ledger_timeout;
        let now_micros = self.now_micros();
        let periods = query.periods.clone();
        let prepaid = policy.prepaid;
        let fut = async move {
            let totals = tokio::time::timeout(timeout, ledger.totals(&query)).await;
            // Only a prepaid tenant's balance has alerts (counted from its last top-up).
            let top_up = match prepaid {
                true => tokio::time::timeout(timeout, ledger.last_top_up(&query.tenant)).await,
                false => Ok(Ok(None)),
            };
            let shield = tokio::time::timeout(timeout, ledger.shield_until(&query.number, now_seconds)).await;
            let pending = tokio::time::timeout(timeout, ledger.deferred_count(&query.number, now_micros)).await;
            (totals, top_up, shield, pending)
        };
        ctx.spawn(fut.into_actor(self).map(move |(totals, top_up, shield, pending), act, ctx| {
            // Judgements left behind (a restart, another replica): judge them.
            if matches!(pending, Ok(Ok(n)) if n > 0) {
                act.live.queue_active = true;
            }
            match totals {
                Ok(Ok(totals)) => {
                    // Without the last top-up, the caps' alerts still go out.
                    let top_up = top_up.ok().and_then(Result::ok);
                    if top_up.is_none() {
                        act.deps.metrics.ledger_error(LedgerOp::ReadTotals);
                    }
                    act.deps.metrics.publish_budget(&act.deps.policy.caps, &totals);
                    act.check_budget(&totals, top_up.flatten(), &periods, ctx);
                }
                _ => act.deps.metrics.ledger_error(LedgerOp::ReadTotals),
            }
            match shield {
                Ok(Ok(Some(until))) => {
                    if act.live.state.adopt_shield(until, now_seconds) {
                        act.deps.metrics.set_shield(true);
                        act.incident_shielded(until);
                    }
                }
                Ok(Ok(None)) => {}
                _ => act.deps.metrics.ledger_error(LedgerOp::ReadShield),
            }
        }));
    }
}
