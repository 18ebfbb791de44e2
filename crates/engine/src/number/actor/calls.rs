//! The actor's ledger calls for one arrival, and the deliveries of paid
//! replies through the send API: when the provider takes no inline reply
//! (Vonage, OVHcloud), when the webhook's answer was already gone by the
//! time the ledger paid (its decision timed out), and when the ledger call
//! timed out but the decision happened anyway (asked afterwards).

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use antirelou_domain::{Outcome, SenderKey, NONCE_BYTES};
use antirelou_ledger::{DeferredArrival, ReplyRequest};
use antirelou_providers::OutboundSms;
use rand::RngCore;

use super::{arrival, NumberActor};
use crate::messages::{Channel, Decision, Inbound};
use crate::metrics::LedgerOp;
use crate::number::judge_round::seal_record;
use crate::number::state::LedgerUnavailable;

/// After a ledger call timed out, it is asked again this long later whether
/// the decision happened (Redis may run a script after its client gave up).
const FOLLOW_UP_AFTER: [Duration; 3] = [Duration::from_secs(1), Duration::from_secs(5), Duration::from_secs(30)];

impl NumberActor {
    /// Asks the ledger to pay for a candidate reply, applies its verdict,
    /// answers the message (and those of the same sender that waited).
    pub(super) fn ask_ledger(&mut self, request: Box<ReplyRequest>, msg: Inbound, ctx: &mut Context<Self>) {
        self.live.ledger_calls += 1;
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let fut = async move {
            let verdict = tokio::time::timeout(timeout, ledger.decide_reply(&request)).await;
            (request, verdict)
        };
        ctx.spawn(fut.into_actor(self).map(move |(request, verdict), act, ctx| {
            act.live.ledger_calls = act.live.ledger_calls.saturating_sub(1);
            let (tenant, number) = (&act.deps.policy.tenant, &act.deps.policy.number);
            let timed_out = verdict.is_err();
            let verdict = match verdict {
                Ok(Ok(v)) => {
                    act.deps.metrics.ledger_ok();
                    Ok(v)
                }
                Ok(Err(error)) => {
                    tracing::warn!(tenant = %tenant, number = %number, %error,
                        "ledger refused a decision: no reply (fail closed)");
                    act.deps.metrics.ledger_error(LedgerOp::DecideReply);
                    Err(LedgerUnavailable)
                }
                Err(_) => {
                    tracing::warn!(tenant = %tenant, number = %number, "ledger timed out: no reply (fail closed)");
                    act.deps.metrics.ledger_error(LedgerOp::DecideReply);
                    Err(LedgerUnavailable)
                }
            };
            let failed = verdict.is_err();
            let applied = act.live.state.apply_verdict(&request, verdict);
            if let Some(totals) = &applied.totals {
                act.deps.metrics.publish_budget(&request.caps, totals);
            }
            let Inbound { sender_phone, reply_to, sender, channel, .. } = msg;
            if applied.decision.outcome == Outcome::Replied {
                act.replies_paid(1, request.cost, request.kind);
                if channel == Channel::Call {
                    // Answered by the webhook's answer or not at all: a call
                    // whose answer was lost is never answered, and its
                    // reservation is given back when the provider reports it.
                    let _ = reply_to.send(applied.decision);
                } else if !act.deps.policy.inline_reply {
                    act.deliver(sender_phone.clone(), ctx);
                    let _ = reply_to.send(Decision::silent(Outcome::Replied));
                } else if reply_to.send(applied.decision).is_err() {
                    // The webhook was answered (timed out) before the ledger paid.
                    act.deliver(sender_phone.clone(), ctx);
                }
            } else {
                let _ = reply_to.send(applied.decision);
            }
            if timed_out && channel == Channel::Sms {
                act.follow_up(*request, sender_phone, ctx);
            }
            for waiting in act.live.parked.remove(&sender).unwrap_or_default() {
                if failed {
                    let _ = waiting.reply_to.send(Decision::silent(Outcome::LedgerUnavailable));
                    continue;
                }
                // The caches now hold the verdict: most waiting messages are decided locally.
                let now = act.now_micros();
                let memory = act.live.state.recall(&waiting.sender, now);
                let step = act.live.state.decide(&arrival(&waiting), now, memory, act.live.ledger_calls);
                act.dispatch(waiting, step, ctx);
            }
        }));
    }

    /// Queues the deferred reply of a sender who arrived in shield mode,
    /// their phone sealed, and answers `deferred` (or why not).
    pub(super) fn defer(&mut self, mut arrival: DeferredArrival, msg: Inbound, ctx: &mut Context<Self>) {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let record = seal_record(&self.deps.policy.number, &arrival.sender);
        arrival.sealed_sender = self.deps.sealer.seal(msg.sender_phone.trim(), &record, nonce);
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let now = self.now_micros();
        self.live.ledger_calls += 1;
        let fut = async move {
            let result = tokio::time::timeout(timeout, ledger.defer(&arrival, now)).await;
            (arrival, result)
        };
        ctx.spawn(fut.into_actor(self).map(move |(arrival, result), act, _| {
            act.live.ledger_calls = act.live.ledger_calls.saturating_sub(1);
            let enqueued = match result {
                Ok(Ok(enqueued)) => {
                    act.deps.metrics.ledger_ok();
                    Ok(enqueued)
                }
                _ => {
                    act.deps.metrics.ledger_error(LedgerOp::Defer);
                    Err(LedgerUnavailable)
                }
            };
            let decision = act.live.state.apply_enqueued(&arrival, enqueued);
            if decision.outcome == Outcome::Deferred {
                act.live.queue_active = true;
            }
            let _ = msg.reply_to.send(decision);
        }));
    }

    pub(super) fn record_opt_out(&mut self, sender: SenderKey, ctx: &mut Context<Self>) {
        let ledger = Arc::clone(&self.deps.ledger);
        let number = Arc::clone(&self.deps.policy.number);
        let now = self.now_micros();
        let timeout = self.deps.options.ledger_timeout;
        let metrics = self.deps.metrics.clone();
        ctx.spawn(
            async move {
                match tokio::time::timeout(timeout, ledger.opt_out(&number, &sender, now)).await {
                    Ok(Ok(())) => metrics.ledger_ok(),
                    _ => {
                        // Honoured here anyway (the sender cache knows); other replicas may not.
                        tracing::error!(number = %number, "an opt-out could not be recorded in the ledger");
                        metrics.ledger_error(LedgerOp::OptOut);
                    }
                }
            }
            .into_actor(self),
        );
    }

    /// Sends a reply the ledger has paid for through the send API (once; the
    /// send API never retries an ambiguous answer).
    pub(super) fn deliver(&mut self, to: String, ctx: &mut Context<Self>) {
        let policy = Arc::clone(&self.deps.policy);
        let Some(api) = self.deps.send_api.clone() else {
            tracing::error!(tenant = %policy.tenant, number = %policy.number,
                "a paid reply cannot be delivered: no send API for this number");
            return;
        };
        let sms = OutboundSms {
            from: policy.number.to_string(),
            to: to.trim().to_owned(),
            text: policy.reply.to_string(),
            status_callback: policy.status_callback.as_deref().map(str::to_owned),
        };
        let health = self.deps.health.clone();
        ctx.spawn(
            async move {
                let sent = api.send(&sms).await;
                health.report_send(&policy, &sent);
                if let Err(error) = sent {
                    tracing::warn!(tenant = %policy.tenant, number = %policy.number, %error,
                        "a paid reply could not be sent through the provider's API (not retried)");
                }
            }
            .into_actor(self),
        );
    }

    /// A decision whose ledger call timed out may still have been paid:
    /// ask the ledger a few times; if it was, deliver the reply (the
    /// sender's number is kept in memory meanwhile, never stored).
    fn follow_up(&mut self, request: ReplyRequest, sender_phone: String, ctx: &mut Context<Self>) {
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let fut = async move {
            for wait in FOLLOW_UP_AFTER {
                tokio::time::sleep(wait).await;
                match tokio::time::timeout(
                    timeout,
                    ledger.decided(&request.number, &request.message_id, request.now_micros),
                )
                .await
                {
                    Ok(Ok(decided)) => return (request, decided),
                    _ => continue,
                }
            }
            (request, None)
        };
        ctx.spawn(fut.into_actor(self).map(move |(request, decided), act, ctx| {
            if decided == Some(true) {
                tracing::warn!(tenant = %request.tenant, number = %request.number,
                    "a decision that timed out was paid: its reply goes through the provider's API");
                act.replies_paid(1, request.cost, request.kind);
                act.live.state.paid_after_timeout(&request);
                act.deliver(sender_phone, ctx);
            }
        }));
    }
}
