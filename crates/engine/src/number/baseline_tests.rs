//! The baseline inside `NumberState`, on a `ManualClock`: pressure shields
//! a number that no fixed trigger would, an ordinary day never does, and
//! the counts wait, bounded, for the ledger.

use std::sync::Arc;

use antirelou_domain::baseline::{NumberBaseline, Pressure};
use antirelou_domain::{Clock, ManualClock, Money, SenderHasher, SharedClock};
use chrono::DateTime;
use proptest::prelude::*;

use super::UNSYNCED_HOURS;
use crate::messages::Channel;
use crate::number::state::{Arrival, NumberState, Step};
use crate::policy::NumberPolicy;

/// 2026-03-16 00:00 Paris (23:00 UTC the day before): a Monday's start.
const MIDNIGHT: i64 = 1_773_615_600_000_000;
const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;

/// 0.08 a reply, a daily cap of 10.00: 125 replies a day.
fn policy() -> NumberPolicy {
    let mut p = crate::policy::tests::sample_policy();
    p.caps.number_daily = Some(Money::parse("10.00").unwrap());
    p.judge.caps = p.caps;
    p.max_replies_per_minute = 1_000;
    p
}

struct Number {
    clock: Arc<ManualClock>,
    state: NumberState,
    sent: u32,
}

impl Number {
    fn new(policy: NumberPolicy) -> Number {
        let clock = Arc::new(ManualClock::starting_at(DateTime::from_timestamp_micros(MIDNIGHT).unwrap()));
        let shared: SharedClock = clock.clone();
        let state = NumberState::new(Arc::new(policy), shared, SenderHasher::new(b"baseline-tests"), 10_000, 2);
        Number { clock, state, sent: 0 }
    }

    /// A new sender's first message at `offset` after midnight.
    fn new_sender_at(&mut self, offset: i64) -> Step {
        self.clock.set_micros(MIDNIGHT + offset);
        self.sent += 1;
        let phone = format!("+336{:08}", 10_000_000 + self.sent);
        let id = format!("SM{:032x}", self.sent);
        let sender = SenderHasher::new(b"baseline-tests").key(&phone);
        let now = self.clock.now_micros();
        let seen = self.state.observe(&sender, &id, now);
        let arrival =
            Arrival { message_id: &id, sender, sender_phone: &phone, body: "salut c'est moi", channel: Channel::Sms };
        self.state.decide(&arrival, now, seen.memory, 0)
    }
}

#[test]
fn a_slow_attack_under_every_trigger_shields_the_number_once_the_days_money_runs_short() {
    let mut p = policy();
    // The money rule alone (the traffic rule would come first at night).
    p.shield.baseline_factor = 0;
    let mut number = Number::new(p);
    // 30 new senders an hour from midnight, one every two minutes: no
    // fixed trigger (20 a minute, 40 an hour) is ever crossed.
    let mut deferred_from = None;
    for i in 0..30 * 6 {
        let step = number.new_sender_at(i * 2 * MINUTE);
        let totals = number.state.evaluate_shield(number.clock.now_seconds()).1;
        assert!(totals.new_senders_hour <= 30, "{totals:?}");
        if matches!(step, Step::Defer(_)) && deferred_from.is_none() {
            deferred_from = Some(i);
            assert_eq!(number.state.pressure(), Some(Pressure::Money));
        }
    }
    // 125 replies × (a night's share of the day + 20 %) ≈ 26 senders.
    assert_eq!(deferred_from, Some(25), "the 26th new sender is deferred");
    assert!(number.state.shield_until(number.clock.now_seconds()).is_some());
}

#[test]
fn far_more_new_senders_than_the_ordinary_hour_shields_even_without_a_cap() {
    let mut p = policy();
    p.caps.number_daily = None;
    p.judge.caps = p.caps;
    let mut number = Number::new(p);
    // At 20:00, 4 × 3 + 8 = 20 new senders an hour are ordinary; the 21st is not.
    let steps: Vec<Step> = (0..21).map(|i| number.new_sender_at(20 * HOUR + i * 2 * MINUTE)).collect();
    assert!(steps[..20].iter().all(|s| matches!(s, Step::AskLedger(_))));
    assert!(matches!(steps[20], Step::Defer(_)));
    assert_eq!(number.state.pressure(), Some(Pressure::Traffic));
}

#[test]
fn an_ordinary_day_never_shields_and_everyone_is_asked_inline() {
    let mut number = Number::new(policy());
    // 60 new senders from 08:00 to midnight, one every 16 minutes.
    for i in 0..60 {
        let step = number.new_sender_at(8 * HOUR + i * 16 * MINUTE);
        assert!(matches!(step, Step::AskLedger(_)), "sender {i}");
    }
    assert_eq!(number.state.pressure(), None);
}

#[test]
fn counts_wait_for_the_ledger_bounded_to_two_days_and_its_baseline_is_adopted() {
    let mut number = Number::new(policy());
    for hour in 0..60 {
        number.new_sender_at(hour * HOUR);
    }
    let counts = number.state.baseline_mut().take_counts();
    assert_eq!(counts.len(), UNSYNCED_HOURS, "one per hour, the newest two days");
    assert_eq!(counts[0].hour, 12, "hours 0 to 11 of the first day were dropped");
    assert!(counts.iter().all(|c| (c.new_senders, c.messages, c.returns) == (1, 1, 0)));
    // The ledger did not take them; another hour comes meanwhile.
    number.state.baseline_mut().not_synced(counts);
    number.new_sender_at(61 * HOUR);
    let tracker = number.state.baseline_mut();
    let kept = tracker.take_counts();
    assert_eq!(kept.len(), UNSYNCED_HOURS);
    assert_eq!((kept[0].hour, kept[UNSYNCED_HOURS - 1].hour), (13, 13), "the oldest hour made room");
    let today = tracker.baseline().day;
    let mut learned = NumberBaseline::prior(today);
    learned.add(&kept[kept.len() - 1]);
    tracker.synced(learned.clone());
    assert_eq!(tracker.baseline(), &learned);
    tracker.synced(NumberBaseline::prior(today - 1));
    assert_eq!(tracker.baseline(), &learned, "an older day's baseline is not adopted");
}

proptest! {
    /// Whatever the day looks like, new senders within the margin of the
    /// day's money never put the number under money pressure.
    #[test]
    fn new_senders_within_the_days_margin_are_never_money_pressure(
        offsets in proptest::collection::vec(0..24 * HOUR, 0..25),
    ) {
        let mut p = policy();
        p.shield.baseline_factor = 0;
        p.shield.new_senders_per_hour = 1_000;
        p.shield.new_senders_per_minute = 1_000;
        let mut number = Number::new(p);
        let mut offsets = offsets;
        offsets.sort_unstable();
        // At most 25 of the 125 affordable replies: 20 %.
        for offset in offsets {
            let step = number.new_sender_at(offset);
            prop_assert!(matches!(step, Step::AskLedger(_)));
            prop_assert_eq!(number.state.pressure(), None);
        }
    }
}
