//! The judge's arithmetic and rules, one behaviour per test.

use antirelou_domain::{DeferredResult, Money, SenderHasher};
use antirelou_ledger::{Caps, DeferredReply, DeferredState};

use super::*;

const MINUTE: i64 = 60_000_000;
/// 2017-11-23 16:00 Paris, a slot boundary.
const T0: i64 = 1_511_449_200_000_000;

/// flood-2017's number: EUR 20.00 a day, EUR 0.16 a reply, the defaults.
fn flood_2017() -> JudgePolicy {
    JudgePolicy {
        reply_cost: Money::from_micros(160_000),
        caps: Caps { number_daily: Some(Money::from_micros(20_000_000)), ..Caps::default() },
        pace_percent_per_hour: 25,
        trickle_per_hour: 10,
        flood_messages: 5,
        defer_for_seconds: 45 * 60,
    }
}

fn item(slot: i64, messages: u32) -> DeferredReply {
    DeferredReply {
        sender: SenderHasher::new(b"k").key(&format!("+3361{slot}{messages}")),
        tenant: "paris".into(),
        first_message_id: "SMx".into(),
        sealed_sender: vec![1, 2, 3],
        first_micros: slot * 10 * MINUTE,
        slot,
        messages,
        fingerprint: None,
        block: 7,
        fingerprint_senders: 0,
        block_senders: 1,
        state: DeferredState::Pending,
        expires_micros: slot * 10 * MINUTE + 45 * MINUTE,
    }
}

#[test]
fn a_quarter_of_the_day_is_released_per_hour_exactly_over_the_slots() {
    let policy = flood_2017();
    let first = slot_of(T0);
    // 125 affordable replies a day, a quarter an hour: 31.25 an hour, 5.2 a slot.
    let hour: u32 = (first..first + 6).map(|s| slot_replies(&policy, s)).sum();
    assert!((31..=32).contains(&hour), "{hour}");
    let day: u32 = (first..first + 144).map(|s| slot_replies(&policy, s)).sum();
    assert_eq!(day, 750, "a day of slots releases six times the cap: the cap itself binds first");
    assert!((first..first + 6).all(|s| (5..=6).contains(&slot_replies(&policy, s))));
}

#[test]
fn the_trickle_is_a_floor_and_no_cap_releases_only_the_trickle() {
    let mut policy = flood_2017();
    policy.pace_percent_per_hour = 1; // 1.25 replies an hour
    let first = slot_of(T0);
    let hour: u32 = (first..first + 6).map(|s| slot_replies(&policy, s)).sum();
    assert_eq!(hour, 10, "the trickle of 10 an hour wins");
    policy.caps = Caps::default();
    let hour: u32 = (first..first + 6).map(|s| slot_replies(&policy, s)).sum();
    assert_eq!(hour, 10);
    policy.trickle_per_hour = 0;
    assert_eq!(slot_replies(&policy, first), 0);
}

#[test]
fn without_a_daily_cap_the_pace_is_a_thirtieth_of_the_tightest_monthly_cap() {
    let caps = Caps {
        number_daily: None,
        tenant_monthly: Some(Money::from_micros(300_000_000)),
        deployment_monthly: Some(Money::from_micros(600_000_000)),
    };
    assert_eq!(day_money(&caps), Some(Money::from_micros(10_000_000)));
    assert_eq!(day_money(&Caps { number_daily: Some(Money::from_micros(5)), ..caps }), Some(Money::from_micros(5)));
    assert_eq!(day_money(&Caps::default()), None);
}

#[test]
fn a_slot_is_due_ten_minutes_after_it_ends_or_before_its_deadline() {
    let policy = flood_2017();
    let slot_start = slot_of(T0) * 10 * MINUTE;
    // At 16:19:59 the 16:00 slot is not due; at 16:20 it is.
    assert_eq!(due_before(&policy, slot_start + 20 * MINUTE - 1), slot_start);
    assert_eq!(due_before(&policy, slot_start + 20 * MINUTE), slot_start + 10 * MINUTE);
    // With defer_for of 5 minutes, a sender is judged within 4 minutes of writing.
    let short = JudgePolicy { defer_for_seconds: 5 * 60, ..policy };
    assert_eq!(due_before(&short, slot_start + 4 * MINUTE), slot_start + 1);
}

#[test]
fn flooders_campaigns_and_blocks_are_dropped_the_rest_answered() {
    let policy = flood_2017();
    let now = 5 * MINUTE;
    assert_eq!(judge(&policy, &item(0, 4), now), Judgement::Answer);
    assert_eq!(judge(&policy, &item(0, 5), now), Judgement::End(DeferredResult::DroppedFlooding));
    let campaign = DeferredReply { fingerprint: Some(9), fingerprint_senders: CAMPAIGN_SENDERS, ..item(0, 1) };
    assert_eq!(judge(&policy, &campaign, now), Judgement::End(DeferredResult::DroppedFlooding));
    let almost = DeferredReply { fingerprint_senders: CAMPAIGN_SENDERS - 1, ..campaign.clone() };
    assert_eq!(judge(&policy, &almost, now), Judgement::Answer);
    let block = DeferredReply { block_senders: BLOCK_SENDERS, ..item(0, 1) };
    assert_eq!(judge(&policy, &block, now), Judgement::End(DeferredResult::DroppedFlooding));
    let late = item(0, 1);
    assert_eq!(judge(&policy, &late, late.expires_micros), Judgement::End(DeferredResult::Expired));
    let sending = DeferredReply { state: DeferredState::Sending, ..item(0, 1) };
    assert_eq!(judge(&policy, &sending, now), Judgement::End(DeferredResult::SendFailed));
}

#[test]
fn within_a_slot_those_who_wrote_least_come_first() {
    let mut items = vec![item(1, 1), item(0, 3), item(0, 1), item(0, 2)];
    items[2].first_micros += 7;
    answer_order(&mut items);
    let order: Vec<(i64, u32)> = items.iter().map(|i| (i.slot, i.messages)).collect();
    assert_eq!(order, [(0, 1), (0, 2), (0, 3), (1, 1)]);
}

#[test]
fn a_campaign_text_has_one_fingerprint_whatever_its_case_accents_or_ending() {
    let hasher = SenderHasher::new(b"k");
    let a = text_fingerprint(&hasher, "Tu vas payer, sale féministe de merde !!! Marc");
    let b = text_fingerprint(&hasher, "tu VAS payer sale feministe de merde... Julien");
    assert!(a.is_some());
    assert_eq!(a, b);
    assert_ne!(a, text_fingerprint(&hasher, "tu vas voir sale feministe de merde"));
    let doubled = text_fingerprint(&hasher, "tu vass payer sale feministte de merde");
    assert_eq!(a, doubled, "a doubled letter is the same text");
    assert_eq!(text_fingerprint(&hasher, "salut ça va ?"), None, "three words say nothing");
    assert_eq!(text_fingerprint(&hasher, ""), None);
    assert!(text_fingerprint(&hasher, &"é".repeat(5_000)).is_none());
}

#[test]
fn consecutive_numbers_share_a_block_and_others_do_not() {
    let hasher = SenderHasher::new(b"k");
    assert_eq!(number_block(&hasher, "+33612345600"), number_block(&hasher, "+33612345699"));
    assert_ne!(number_block(&hasher, "+33612345699"), number_block(&hasher, "+33612345700"));
}
