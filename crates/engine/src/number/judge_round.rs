//! One round of deferred judgements of a number, on the replica holding
//! its judge lease: count the messages pending senders sent here, read the
//! due judgements, drop the flooders, pay the others from their slot's
//! allowance (the ledger's atomic decision, which also marks the judgement
//! `sending`) and send them through the provider's API. The rules are
//! [`super::judge`]'s; this module only moves data between the ledger, the
//! sealer and the send API. A round never sends one judgement twice: a
//! judgement found `sending` (its replica stopped mid-send) ends as
//! `send_failed`.

use antirelou_domain::micros;
use std::sync::Arc;
use std::time::Duration;

use antirelou_domain::{DeferredResult, Money, Periods, SenderKey, SenderSealer, SharedClock};
use antirelou_ledger::{DeferredReply, EntryKind, Ledger, Pacing, ReplyRequest, ReplyVerdict};
use antirelou_providers::{OutboundSms, SendApi};

use super::judge::{self, Judgement, JUDGE_BATCH, JUDGE_EVERY_SECONDS};
use crate::health::HealthReporter;
use crate::policy::NumberPolicy;

/// What a round needs; cheap to build per round (shared handles).
pub struct JudgeRound {
    pub policy: Arc<NumberPolicy>,
    pub ledger: Arc<dyn Ledger>,
    pub clock: SharedClock,
    pub sealer: SenderSealer,
    pub send_api: Option<Arc<dyn SendApi>>,
    /// Told what each send shows of the provider link.
    pub health: HealthReporter,
    /// This replica's name for leases.
    pub holder: Arc<str>,
    /// Messages pending senders sent to this replica since the last round.
    pub notes: Vec<(SenderKey, u32)>,
    pub ledger_timeout: Duration,
}

/// What a round did.
#[derive(Debug, Default)]
pub struct RoundReport {
    /// Judgements that ended, with their result (`None`: superseded, e.g.
    /// the sender was answered inline meanwhile).
    pub ended: Vec<(SenderKey, Option<DeferredResult>)>,
    /// Money paid for deferred replies.
    pub spent: Money,
    /// Judgements still pending (read when this replica holds the lease).
    pub pending: Option<usize>,
    /// A ledger call failed or timed out (the round stopped there, failing closed).
    pub ledger_failed: bool,
    /// The senders judged flooders, with their numbers opened (only when
    /// the tenant keeps evidence): in memory, for the incident log to seal.
    pub flooders: Vec<FlooderFacts>,
}

/// What the deferred queue knew of a sender judged a flooder.
#[derive(Clone, PartialEq, Eq)]
pub struct FlooderFacts {
    pub sender: SenderKey,
    pub sender_phone: String,
    pub first_micros: i64,
    /// Across replicas, up to the judgement.
    pub messages: u32,
}

impl std::fmt::Debug for FlooderFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlooderFacts").field("messages", &self.messages).finish_non_exhaustive()
    }
}

/// The lease of a number's judgements.
pub fn lease_name(number: &str) -> String {
    format!("judge:{number}")
}

/// The associated data that binds a sealed number to its judgement.
pub fn seal_record(number: &str, sender: &SenderKey) -> Vec<u8> {
    format!("{number}/{}", sender.to_hex()).into_bytes()
}

impl JudgeRound {
    /// Runs the round.
    pub async fn run(self) -> RoundReport {
        let mut report = RoundReport::default();
        let number = Arc::clone(&self.policy.number);
        let now = self.clock.now_micros();
        if !self.notes.is_empty() && self.call(self.ledger.note_messages(&number, &self.notes, now)).await.is_none() {
            report.ledger_failed = true;
        }
        let ttl_ms = (3 * JUDGE_EVERY_SECONDS * 1_000) as u64;
        match self.call(self.ledger.lease(&lease_name(&number), &self.holder, ttl_ms, now)).await {
            Some(true) => {}
            Some(false) => return report,
            None => {
                report.ledger_failed = true;
                return report;
            }
        }
        let due = judge::due_before(&self.policy.judge, now);
        let Some(items) = self.call(self.ledger.deferred(&number, due, now, JUDGE_BATCH)).await else {
            report.ledger_failed = true;
            return report;
        };
        let mut answer = Vec::new();
        for item in items {
            match judge::judge(&self.policy.judge, &item, now) {
                Judgement::Answer => answer.push(item),
                Judgement::End(result) => {
                    if self.finish(&item, Some(result), &mut report).await.is_err() {
                        return report;
                    }
                    if result == DeferredResult::DroppedFlooding && self.policy.evidence.is_some() {
                        report.flooders.extend(self.flooder_facts(&item));
                    }
                }
            }
        }
        judge::answer_order(&mut answer);
        for item in answer {
            if self.answer(&item, &mut report).await.is_err() {
                break;
            }
        }
        report.pending = self.call(self.ledger.deferred_count(&number, self.clock.now_micros())).await;
        report
    }

    /// Pays and sends one judgement, or ends it; `Err` stops the round
    /// (the ledger failed, or the number's reply rate is spent for now).
    async fn answer(&self, item: &DeferredReply, report: &mut RoundReport) -> Result<(), ()> {
        let policy = &self.policy;
        let now = self.clock.now_micros();
        let request = ReplyRequest {
            tenant: Arc::clone(&policy.tenant),
            number: Arc::clone(&policy.number),
            message_id: item.first_message_id.clone(),
            sender: item.sender,
            cost: policy.reply_cost,
            kind: EntryKind::Reply,
            now_micros: now,
            periods: Periods::at(self.clock.now(), policy.timezone),
            reply_once_per_seconds: policy.reply_once_per_seconds,
            caps: policy.caps,
            prepaid: policy.prepaid,
            max_replies_per_minute: Some(policy.max_replies_per_minute),
            deferred: Some(Pacing { slot: item.slot, slot_replies: judge::slot_replies(&policy.judge, item.slot) }),
        };
        let Some(verdict) = self.call(self.ledger.decide_reply(&request)).await else {
            report.ledger_failed = true;
            return Err(());
        };
        let result = match verdict {
            ReplyVerdict::Replied { .. } => {
                report.spent = report.spent.saturating_add(policy.reply_cost);
                Some(self.send(item).await)
            }
            // The slot's allowance or a cap is spent: no money for this one.
            ReplyVerdict::Shielded | ReplyVerdict::BudgetExhausted { .. } => Some(DeferredResult::DroppedBudget),
            // Try again next round.
            ReplyVerdict::RateLimited => return Err(()),
            ReplyVerdict::NotPending
            | ReplyVerdict::RepeatSender
            | ReplyVerdict::OptedOut
            | ReplyVerdict::Duplicate { .. } => None,
        };
        self.finish(item, result, report).await
    }

    /// A flooder's facts for evidence, their sealed number opened.
    fn flooder_facts(&self, item: &DeferredReply) -> Option<FlooderFacts> {
        let record = seal_record(&self.policy.number, &item.sender);
        let sender_phone = self.sealer.open(&item.sealed_sender, &record).ok()?;
        Some(FlooderFacts {
            sender: item.sender,
            sender_phone,
            first_micros: item.first_micros,
            messages: item.messages,
        })
    }

    /// Sends a paid deferred reply; never retried beyond the send API's own rule.
    async fn send(&self, item: &DeferredReply) -> DeferredResult {
        let policy = &self.policy;
        let record = seal_record(&policy.number, &item.sender);
        let Ok(to) = self.sealer.open(&item.sealed_sender, &record) else {
            tracing::error!(tenant = %policy.tenant, number = %policy.number,
                "a deferred reply was paid but its sealed number does not open (sealing key changed?)");
            return DeferredResult::SendFailed;
        };
        let Some(api) = &self.send_api else {
            tracing::error!(tenant = %policy.tenant, number = %policy.number, "no send API for a deferred reply");
            return DeferredResult::SendFailed;
        };
        let sms = OutboundSms {
            from: policy.number.to_string(),
            to,
            text: policy.reply.to_string(),
            status_callback: policy.status_callback.as_deref().map(str::to_owned),
        };
        let sent = api.send(&sms).await;
        self.health.report_send(policy, &sent);
        match sent {
            Ok(_) => DeferredResult::Sent,
            Err(error) => {
                tracing::warn!(tenant = %policy.tenant, number = %policy.number, %error,
                    "a paid deferred reply could not be sent (not retried)");
                DeferredResult::SendFailed
            }
        }
    }

    /// Deletes the judgement (and its sealed number) and reports it ended.
    async fn finish(
        &self,
        item: &DeferredReply,
        result: Option<DeferredResult>,
        report: &mut RoundReport,
    ) -> Result<(), ()> {
        let now = self.clock.now_micros();
        let refuse_until = (result == Some(DeferredResult::DroppedFlooding))
            .then(|| (micros::after_seconds(now, judge::FLOODER_REFUSED_SECONDS), now));
        if self.call(self.ledger.finish_deferred(&self.policy.number, &item.sender, refuse_until)).await.is_none() {
            report.ledger_failed = true;
            return Err(());
        }
        report.ended.push((item.sender, result));
        Ok(())
    }

    /// A ledger call within the timeout; `None` when it failed.
    async fn call<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, antirelou_ledger::LedgerError>>,
    ) -> Option<T> {
        match tokio::time::timeout(self.ledger_timeout, call).await {
            Ok(Ok(value)) => Some(value),
            _ => None,
        }
    }
}
