//! The deferred-reply queue and the leases, as both backends must keep them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use antirelou_domain::{Money, SenderHasher, SenderKey};

use super::{replied, request, request_at, NOON_MICROS};
use crate::model::{ReplyRequest, ReplyVerdict};
use crate::queue::{DeferredArrival, DeferredState, Enqueued, Pacing};
use crate::Ledger;

const NUMBER: &str = "+33612345678";
const MINUTE: i64 = 60_000_000;

fn sender(n: u32) -> SenderKey {
    SenderHasher::new(b"conformance-key").key(&format!("+3370000{n:04}"))
}

/// Sender `n` arriving at `first`, in slot `first / 10 min`, judged within 45 min.
fn arrival(n: u32, first: i64) -> DeferredArrival {
    DeferredArrival {
        tenant: Arc::from("paris"),
        number: Arc::from(NUMBER),
        sender: sender(n),
        first_message_id: format!("SMfirst{n}"),
        sealed_sender: vec![0xAB, n as u8, 0x00, 0xFF],
        first_micros: first,
        slot: first.div_euclid(10 * MINUTE),
        fingerprint: Some(0xC0FFEE),
        block: 0xB10C + u64::from(n % 2),
        expires_micros: first + 45 * MINUTE,
        queue_limit: 100,
    }
}

/// The deferred reply to sender `n` (same message id as its first message), paid from `slot`.
fn deferred_reply(n: u32, now: i64, slot: i64, slot_replies: u32) -> ReplyRequest {
    let mut r = request_at("paris", NUMBER, &format!("SMfirst{n}"), &format!("+3370000{n:04}"), now);
    r.deferred = Some(Pacing { slot, slot_replies });
    r
}

pub async fn a_deferred_sender_is_queued_once_and_its_messages_counted(ledger: &dyn Ledger) {
    let first = arrival(1, NOON_MICROS);
    assert_eq!(ledger.defer(&first, NOON_MICROS).await.unwrap(), Enqueued::New);
    assert_eq!(ledger.defer(&first, NOON_MICROS + 1).await.unwrap(), Enqueued::Pending);
    ledger.note_messages(NUMBER, &[(sender(1), 3), (sender(99), 5)], NOON_MICROS + 2).await.unwrap();
    let items = ledger.deferred(NUMBER, NOON_MICROS + 1, NOON_MICROS + 3, 10).await.unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!((item.sender, item.messages, item.state), (sender(1), 5, DeferredState::Pending));
    assert_eq!((item.first_message_id.as_str(), item.tenant.as_str()), ("SMfirst1", "paris"));
    assert_eq!(item.sealed_sender, first.sealed_sender, "sealed bytes come back exactly");
    assert_eq!((item.slot, item.fingerprint, item.block), (first.slot, Some(0xC0FFEE), 0xB10D));
    assert_eq!(item.expires_micros, first.expires_micros);
    // Arrivals at or after the bound are not due; a sender never deferred is not counted.
    assert!(ledger.deferred(NUMBER, NOON_MICROS, NOON_MICROS + 3, 10).await.unwrap().is_empty());
    assert_eq!(ledger.deferred_count(NUMBER, NOON_MICROS + 3).await.unwrap(), 1);
    ledger.finish_deferred(NUMBER, &sender(1), None).await.unwrap();
    assert!(ledger.deferred(NUMBER, i64::MAX, NOON_MICROS + 4, 10).await.unwrap().is_empty());
    assert_eq!(ledger.deferred_count(NUMBER, NOON_MICROS + 4).await.unwrap(), 0);
}

pub async fn marks_count_deferred_senders_by_fingerprint_and_block_per_hour(ledger: &dyn Ledger) {
    let hour = 3_600_000_000;
    let base = (NOON_MICROS / hour) * hour;
    // Senders 1..=4 in the last minutes of the hour before, 5..=6 in this
    // hour; odd and even blocks differ.
    for n in 1..=6u32 {
        let at = if n <= 4 { base - 10 * MINUTE + i64::from(n) } else { base + i64::from(n) };
        let mut a = arrival(n, at);
        if n == 6 {
            a.fingerprint = None;
        }
        assert_eq!(ledger.defer(&a, at).await.unwrap(), Enqueued::New);
    }
    let items = ledger.deferred(NUMBER, i64::MAX, base + 100, 10).await.unwrap();
    assert_eq!(items.len(), 6);
    let by_sender = |n: u32| items.iter().find(|i| i.sender == sender(n)).unwrap();
    // This hour and the one before: five texted the same words, three per block.
    assert_eq!((by_sender(5).fingerprint_senders, by_sender(5).block_senders), (5, 3));
    assert_eq!((by_sender(6).fingerprint, by_sender(6).fingerprint_senders, by_sender(6).block_senders), (None, 0, 3));
    // The hour before sees only itself and the hour before that.
    assert_eq!((by_sender(1).fingerprint_senders, by_sender(2).block_senders), (4, 2));
}

pub async fn a_deferred_reply_is_paid_once_from_its_slots_allowance(ledger: &dyn Ledger) {
    let slot = NOON_MICROS.div_euclid(10 * MINUTE);
    for n in 1..=3 {
        ledger.defer(&arrival(n, NOON_MICROS), NOON_MICROS).await.unwrap();
    }
    let later = NOON_MICROS + 20 * MINUTE;
    assert!(replied(&ledger.decide_reply(&deferred_reply(1, later, slot, 2)).await.unwrap()));
    // Another replica (or a retry) cannot pay it again.
    assert_eq!(
        ledger.decide_reply(&deferred_reply(1, later + 1, slot, 2)).await.unwrap(),
        ReplyVerdict::Duplicate { replied: true }
    );
    let items = ledger.deferred(NUMBER, i64::MAX, later, 10).await.unwrap();
    let one = items.iter().find(|i| i.sender == sender(1)).unwrap();
    assert_eq!(one.state, DeferredState::Sending);
    assert!(replied(&ledger.decide_reply(&deferred_reply(2, later, slot, 2)).await.unwrap()));
    // The slot's two replies are spent: the third waits, and is not recorded as decided.
    assert_eq!(ledger.decide_reply(&deferred_reply(3, later, slot, 2)).await.unwrap(), ReplyVerdict::Shielded);
    assert_eq!(ledger.decide_reply(&deferred_reply(3, later, slot, 2)).await.unwrap(), ReplyVerdict::Shielded);
    // Paid from another slot's allowance, it goes through.
    assert!(replied(&ledger.decide_reply(&deferred_reply(3, later, slot + 1, 2)).await.unwrap()));
    let probe = request("paris", NUMBER, "x", "+1");
    assert_eq!(super::number_day_spend(ledger, &probe).await, Money::from_micros(3 * 80_000));
}

pub async fn a_deferred_reply_needs_its_sender_still_pending(ledger: &dyn Ledger) {
    let slot = NOON_MICROS.div_euclid(10 * MINUTE);
    // Never deferred.
    assert_eq!(ledger.decide_reply(&deferred_reply(7, NOON_MICROS, slot, 5)).await.unwrap(), ReplyVerdict::NotPending);
    // Deferred then finished (dropped by the judge).
    ledger.defer(&arrival(8, NOON_MICROS), NOON_MICROS).await.unwrap();
    ledger.finish_deferred(NUMBER, &sender(8), None).await.unwrap();
    assert_eq!(ledger.decide_reply(&deferred_reply(8, NOON_MICROS, slot, 5)).await.unwrap(), ReplyVerdict::NotPending);
    // Answered inline meanwhile (the shield ended and they wrote again).
    ledger.defer(&arrival(9, NOON_MICROS), NOON_MICROS).await.unwrap();
    let inline = request("paris", NUMBER, "SMinline", "+33700000009");
    assert!(replied(&ledger.decide_reply(&inline).await.unwrap()));
    assert_eq!(
        ledger.decide_reply(&deferred_reply(9, NOON_MICROS + 1, slot, 5)).await.unwrap(),
        ReplyVerdict::RepeatSender
    );
    // Past its judgement's end, whatever the backend still holds.
    ledger.defer(&arrival(10, NOON_MICROS), NOON_MICROS).await.unwrap();
    let late = NOON_MICROS + 45 * MINUTE;
    assert_eq!(ledger.decide_reply(&deferred_reply(10, late, slot, 5)).await.unwrap(), ReplyVerdict::NotPending);
    assert!(replied(&ledger.decide_reply(&deferred_reply(10, late - 1, slot, 5)).await.unwrap()));
}

pub async fn a_flooder_ended_by_its_judgement_is_refused_until_then(ledger: &dyn Ledger) {
    ledger.defer(&arrival(1, NOON_MICROS), NOON_MICROS).await.unwrap();
    let day = 86_400_000_000;
    ledger.finish_deferred(NUMBER, &sender(1), Some((NOON_MICROS + day, NOON_MICROS))).await.unwrap();
    let inline = request_at("paris", NUMBER, "SMlater", "+33700000001", NOON_MICROS + day - 1);
    assert_eq!(ledger.decide_reply(&inline).await.unwrap(), ReplyVerdict::RepeatSender, "no reply meanwhile");
    let after = request_at("paris", NUMBER, "SMafter", "+33700000001", NOON_MICROS + day);
    assert!(replied(&ledger.decide_reply(&after).await.unwrap()), "a day later they are new again");
    let probe = request("paris", NUMBER, "x", "+1");
    assert_eq!(super::number_day_spend(ledger, &probe).await, Money::ZERO, "refusing cost nothing");
}

pub async fn a_full_queue_defers_nobody_more(ledger: &dyn Ledger) {
    for n in 1..=3 {
        let mut a = arrival(n, NOON_MICROS + i64::from(n));
        a.queue_limit = 3;
        assert_eq!(ledger.defer(&a, NOON_MICROS).await.unwrap(), Enqueued::New);
    }
    let mut fourth = arrival(4, NOON_MICROS + 4);
    fourth.queue_limit = 3;
    assert_eq!(ledger.defer(&fourth, NOON_MICROS).await.unwrap(), Enqueued::Full);
    // One already pending is still counted, and a finished one makes room.
    let mut again = arrival(2, NOON_MICROS + 2);
    again.queue_limit = 3;
    assert_eq!(ledger.defer(&again, NOON_MICROS).await.unwrap(), Enqueued::Pending);
    ledger.finish_deferred(NUMBER, &sender(1), None).await.unwrap();
    assert_eq!(ledger.defer(&fourth, NOON_MICROS).await.unwrap(), Enqueued::New);
}

pub async fn a_lease_has_one_holder_until_released_or_expired(ledger: &dyn Ledger) {
    let now = || antirelou_domain::Clock::now_micros(&antirelou_domain::SystemClock);
    assert!(ledger.lease("judge:+33612345678", "replica-a", 60_000, now()).await.unwrap());
    assert!(!ledger.lease("judge:+33612345678", "replica-b", 60_000, now()).await.unwrap());
    assert!(ledger.lease("judge:+33612345678", "replica-a", 60_000, now()).await.unwrap(), "renewed");
    assert!(ledger.lease("judge:+33612345679", "replica-b", 60_000, now()).await.unwrap(), "leases are per name");
    ledger.release_lease("judge:+33612345678", "replica-b").await.unwrap();
    assert!(!ledger.lease("judge:+33612345678", "replica-b", 60_000, now()).await.unwrap(), "only its holder releases");
    ledger.release_lease("judge:+33612345678", "replica-a").await.unwrap();
    assert!(ledger.lease("judge:+33612345678", "replica-b", 200, now()).await.unwrap());
    // Replica b stops renewing: replica a takes over once its 200 ms are over.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if ledger.lease("judge:+33612345678", "replica-a", 60_000, now()).await.unwrap() {
            break;
        }
        assert!(Instant::now() < deadline, "the expired lease was never taken over");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
