//! How [`NumberState`] learns from the ledger's verdict on one request:
//! what it remembers of the sender and the message, and the decision.

use antirelou_domain::{micros, Outcome};
use antirelou_ledger::{EntryKind, ReplyRequest, ReplyVerdict};

use super::{Applied, LedgerUnavailable, NumberState, BALANCE_RECHECK_MICROS};
use crate::messages::{Channel, Decision};

impl NumberState {
    /// Learns from the ledger's verdict on `request` and turns it into a decision.
    pub fn apply_verdict(
        &mut self,
        request: &ReplyRequest,
        verdict: Result<ReplyVerdict, LedgerUnavailable>,
    ) -> Applied {
        let message_id = request.message_id.as_str();
        let remember_until =
            request.now_micros.saturating_add(micros::from_seconds_u64(request.reply_once_per_seconds));
        let silent = |outcome| Applied { decision: Decision::silent(outcome), totals: None };
        let Ok(verdict) = verdict else {
            return silent(Outcome::LedgerUnavailable);
        };
        match verdict {
            ReplyVerdict::Replied { totals, .. } => {
                self.senders.answered(request.sender, remember_until);
                self.messages.remember(message_id, true);
                Applied {
                    decision: Decision { outcome: Outcome::Replied, reply: self.answer_if(true, channel_of(request)) },
                    totals: Some(totals),
                }
            }
            ReplyVerdict::Duplicate { replied } => {
                self.messages.remember(message_id, replied);
                Applied {
                    decision: Decision {
                        outcome: Outcome::Duplicate,
                        reply: self.answer_if(replied, channel_of(request)),
                    },
                    totals: None,
                }
            }
            ReplyVerdict::OptedOut => {
                self.senders.opted_out(request.sender);
                self.messages.remember(message_id, false);
                silent(Outcome::OptedOut)
            }
            ReplyVerdict::RepeatSender => {
                // Answered elsewhere (another replica or before a restart).
                self.senders.answered(request.sender, remember_until);
                self.messages.remember(message_id, false);
                silent(Outcome::RepeatSender)
            }
            ReplyVerdict::RateLimited => {
                self.messages.remember(message_id, false);
                silent(Outcome::RateLimited)
            }
            ReplyVerdict::Shielded | ReplyVerdict::NotPending => {
                // Only deferred replies meet these; an inline candidate never does.
                self.messages.remember(message_id, false);
                silent(Outcome::Shielded)
            }
            ReplyVerdict::BudgetExhausted { scope, until_micros, totals } => {
                let until = until_micros.unwrap_or(request.now_micros + BALANCE_RECHECK_MICROS);
                self.budget_block = Some((scope, until));
                self.messages.remember(message_id, false);
                Applied { decision: Decision::silent(Outcome::BudgetExhausted), totals: Some(totals) }
            }
        }
    }
}

/// The channel a ledger request was made for.
fn channel_of(request: &ReplyRequest) -> Channel {
    match request.kind {
        EntryKind::Call => Channel::Call,
        _ => Channel::Sms,
    }
}
