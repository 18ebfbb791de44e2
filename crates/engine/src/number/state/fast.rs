//! How [`NumberState`] applies an arrival an HTTP worker already answered
//! from its published view (`published.rs`): the same changes
//! [`decide`](NumberState::decide) makes for that outcome, in the same
//! order, so that both paths leave the same state and count the same.

use antirelou_domain::Outcome;

use super::{Arrival, NumberState, QUEUE_LIMIT};

impl NumberState {
    /// Applies an arrival answered silently with `answered` (one of the
    /// outcomes `View::outcome` gives) after [`observe`](Self::observe) saw
    /// it, and returns the outcome to count: `duplicate` when the same
    /// message id was decided in between (a retry that overtook its first
    /// delivery; the answer, silent, was the same).
    pub fn settle_answered(&mut self, msg: &Arrival<'_>, answered: Outcome, now_micros: i64) -> Outcome {
        if matches!(answered, Outcome::Paused | Outcome::Blocked) {
            // Decided before the message-id cache, and not remembered in it.
            return answered;
        }
        if self.messages.recall(msg.message_id).is_some() {
            return Outcome::Duplicate;
        }
        match answered {
            Outcome::Deferred => {
                self.senders.saw(msg.sender);
                let _ = self.deferred.holds(&msg.sender, now_micros);
                if self.notes.len() < QUEUE_LIMIT || self.notes.contains_key(&msg.sender) {
                    *self.notes.entry(msg.sender).or_default() += 1;
                }
            }
            Outcome::Shielded => {
                self.senders.saw(msg.sender);
                let _ = self.deferred.holds(&msg.sender, now_micros);
                let _ = self.dropped.holds(&msg.sender, now_micros);
            }
            _ => {}
        }
        self.messages.remember(msg.message_id, false);
        answered
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use antirelou_domain::{Clock, DeferredResult, ManualClock, Outcome, SenderHasher, SenderKey, SharedClock};
    use antirelou_ledger::{Enqueued, ReplyVerdict, SpendTotals};
    use chrono::DateTime;

    use super::super::{Arrival, NumberState, Step};
    use crate::messages::Channel;

    const NOON: i64 = 1_772_886_600_000_000;
    const BLOCKED: &str = "+33699999999";

    fn key(number: &str) -> SenderKey {
        SenderHasher::new(b"fast-tests").key(number)
    }

    fn state(clock: &Arc<ManualClock>) -> NumberState {
        let mut policy = crate::policy::tests::sample_policy();
        policy.blocklist = Arc::new(HashSet::from([key(BLOCKED)]));
        let shared: SharedClock = clock.clone();
        NumberState::new(Arc::new(policy), shared, SenderHasher::new(b"fast-tests"), 100, 2)
    }

    /// Decides in the actor (`slow`) and, where the view answers, on a
    /// worker then settled (`fast`): the outcome of each, and whether the
    /// view answered.
    fn both(
        slow: &mut NumberState,
        fast: &mut NumberState,
        id: &str,
        from: &str,
        body: &str,
        now: i64,
    ) -> (Option<Outcome>, bool) {
        let arrival = Arrival { message_id: id, sender: key(from), sender_phone: from, body, channel: Channel::Sms };
        let answered = fast.view().outcome(id, &key(from), from, body, now);
        let seen = slow.observe(&key(from), id, now);
        let step = slow.decide(&arrival, now, seen.memory, 0);
        let expected = settle_ledger(slow, step);
        let seen = fast.observe(&key(from), id, now);
        let got = match answered {
            Some(outcome) => Some(fast.settle_answered(&arrival, outcome, now)),
            None => {
                let step = fast.decide(&arrival, now, seen.memory, 0);
                settle_ledger(fast, step)
            }
        };
        assert_eq!(got, expected, "{id} from {from}: {body}");
        if let Some(outcome) = answered {
            assert_eq!(Some(outcome), expected, "the worker answered what the actor decides");
        }
        (expected, answered.is_some())
    }

    /// The ledger pays every candidate and queues every deferral.
    fn settle_ledger(state: &mut NumberState, step: Step) -> Option<Outcome> {
        match step {
            Step::Decided(d) | Step::OptOut(d) => Some(d.outcome),
            Step::AskLedger(request) => {
                let verdict = ReplyVerdict::Replied { entry_id: 1, totals: SpendTotals::default() };
                Some(state.apply_verdict(&request, Ok(verdict)).decision.outcome)
            }
            Step::Defer(request) => Some(state.apply_enqueued(&request, Ok(Enqueued::New)).outcome),
        }
    }

    #[test]
    fn what_a_worker_answers_and_the_actor_settles_is_what_the_actor_alone_decides() {
        let clock = Arc::new(ManualClock::starting_at(DateTime::from_timestamp_micros(NOON).unwrap()));
        let (mut slow, mut fast) = (state(&clock), state(&clock));
        let now = clock.now_micros();
        let mut answered = Vec::new();
        let mut send = |slow: &mut NumberState, fast: &mut NumberState, id: &str, from: &str, body: &str| {
            let (outcome, on_worker) = both(slow, fast, id, from, body, now);
            if on_worker {
                answered.push(outcome.unwrap());
            }
            outcome.unwrap()
        };
        assert_eq!(send(&mut slow, &mut fast, "SM1", "+33611111111", "salut"), Outcome::Replied);
        assert_eq!(send(&mut slow, &mut fast, "SM2", "+33611111111", "salut"), Outcome::RepeatSender);
        assert_eq!(send(&mut slow, &mut fast, "SM2", "+33611111111", "salut"), Outcome::Duplicate);
        assert_eq!(send(&mut slow, &mut fast, "SM3", BLOCKED, "salut"), Outcome::Blocked);
        assert_eq!(send(&mut slow, &mut fast, "SM4", "+32470123456", "STOP"), Outcome::OptedOut);
        assert_eq!(send(&mut slow, &mut fast, "SM5", "+32470123456", "salut"), Outcome::OptedOut);
        // A surge of new senders: shield mode, the next new sender is deferred.
        for i in 0..25 {
            send(&mut slow, &mut fast, &format!("SMs{i}"), &format!("+336333333{i:02}"), "salut");
        }
        assert!(fast.shield_until(now / 1_000_000).is_some() && slow.shield_until(now / 1_000_000).is_some());
        assert_eq!(send(&mut slow, &mut fast, "SM6", "+33622222222", "salut"), Outcome::Deferred);
        for id in ["SM7", "SM8", "SM9"] {
            assert_eq!(send(&mut slow, &mut fast, id, "+33622222222", "salut"), Outcome::Deferred);
        }
        assert_eq!(fast.take_notes(), slow.take_notes(), "the judgement weighs the same messages");
        slow.judged(&key("+33622222222"), Some(DeferredResult::DroppedFlooding), now);
        fast.judged(&key("+33622222222"), Some(DeferredResult::DroppedFlooding), now);
        assert_eq!(send(&mut slow, &mut fast, "SM10", "+33622222222", "salut"), Outcome::Shielded);
        slow.set_paused(true);
        fast.set_paused(true);
        assert_eq!(send(&mut slow, &mut fast, "SM11", "+33611111111", "salut"), Outcome::Paused);
        assert_eq!(send(&mut slow, &mut fast, "SM11", "+33611111111", "STOP"), Outcome::Paused);

        assert_eq!(
            answered,
            [
                Outcome::RepeatSender,
                Outcome::Blocked,
                Outcome::OptedOut,
                Outcome::Deferred,
                Outcome::Deferred,
                Outcome::Deferred,
                Outcome::Shielded,
                Outcome::Paused
            ]
        );
        assert_eq!((fast.cached_senders(), fast.deferred_here()), (slow.cached_senders(), slow.deferred_here()));
        assert_eq!(fast.evaluate_shield(now / 1_000_000), slow.evaluate_shield(now / 1_000_000));
    }

    #[test]
    fn a_retry_that_overtook_its_first_delivery_is_counted_a_duplicate() {
        let clock = Arc::new(ManualClock::starting_at(DateTime::from_timestamp_micros(NOON).unwrap()));
        let mut state = state(&clock);
        let now = clock.now_micros();
        let from = "+33611111111";
        let first =
            Arrival { message_id: "SM1", sender: key(from), sender_phone: from, body: "salut", channel: Channel::Sms };
        let seen = state.observe(&first.sender, "SM1", now);
        let step = state.decide(&first, now, seen.memory, 0);
        assert_eq!(settle_ledger(&mut state, step), Some(Outcome::Replied));
        let again = Arrival { message_id: "SM2", ..first };
        // Both deliveries of SM2 were answered on workers before the actor applied either.
        assert_eq!(state.view().outcome("SM2", &again.sender, from, "salut", now), Some(Outcome::RepeatSender));
        for expected in [Outcome::RepeatSender, Outcome::Duplicate] {
            state.observe(&again.sender, "SM2", now);
            assert_eq!(state.settle_answered(&again, Outcome::RepeatSender, now), expected);
        }
    }
}
