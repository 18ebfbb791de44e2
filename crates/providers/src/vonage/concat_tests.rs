//! Tests of the long-SMS assembler (`concat.rs`).

use antirelou_domain::ProviderKind;

use super::*;

fn sender(byte: u8) -> SenderKey {
    SenderKey::from_bytes([byte; 32])
}

fn part(reference: &str, total: u8, part: u8, id: &str, text: &str) -> ConcatPart {
    ConcatPart {
        reference: reference.to_owned(),
        total,
        part,
        sms: InboundSms {
            provider: ProviderKind::Vonage,
            message_id: id.to_owned(),
            from: "+33612345678".to_owned(),
            to: "+33939000001".to_owned(),
            body: text.to_owned(),
        },
    }
}

fn limits() -> ConcatLimits {
    ConcatLimits {
        max_messages: 4,
        max_parts: 8,
        max_parts_per_number: 8,
        max_bytes: 1 << 20,
        max_parts_per_message: 5,
        ttl_ms: 1_000,
    }
}

fn whole(outcome: ConcatOutcome) -> InboundSms {
    match outcome {
        ConcatOutcome::Complete(sms) => sms,
        other => panic!("expected the whole message, got {other:?}"),
    }
}

#[test]
fn parts_in_any_order_make_one_message_with_part_ones_id() {
    let mut assembler = ConcatAssembler::new(limits());
    assert_eq!(assembler.accept(part("9", 3, 3, "C", "!"), sender(7), 0), ConcatOutcome::Pending);
    assert_eq!(assembler.accept(part("9", 3, 1, "A", "Bonjour "), sender(7), 1), ConcatOutcome::Pending);
    let sms = whole(assembler.accept(part("9", 3, 2, "B", "à vous"), sender(7), 2));
    assert_eq!(sms.body, "Bonjour à vous!");
    assert_eq!(sms.message_id, "A");
    assert_eq!(sms.from, "+33612345678");
    assert_eq!(assembler.parts_held(), 0, "texts are dropped once whole");
}

#[test]
fn a_retried_part_never_makes_a_second_whole_message() {
    let mut assembler = ConcatAssembler::new(limits());
    assert_eq!(assembler.accept(part("9", 2, 1, "A", "a"), sender(7), 0), ConcatOutcome::Pending);
    assert_eq!(assembler.accept(part("9", 2, 1, "A", "a"), sender(7), 1), ConcatOutcome::Duplicate);
    whole(assembler.accept(part("9", 2, 2, "B", "b"), sender(7), 2));
    for retry in [part("9", 2, 1, "A", "a"), part("9", 2, 2, "B", "b")] {
        assert_eq!(assembler.accept(retry, sender(7), 3), ConcatOutcome::Duplicate);
    }
}

#[test]
fn retries_after_the_ttl_reassemble_under_the_same_id() {
    let mut assembler = ConcatAssembler::new(limits());
    assembler.accept(part("9", 2, 1, "A", "a"), sender(7), 0);
    let first = whole(assembler.accept(part("9", 2, 2, "B", "b"), sender(7), 10));
    assembler.accept(part("9", 2, 2, "B", "b"), sender(7), 5_000);
    let again = whole(assembler.accept(part("9", 2, 1, "A", "a"), sender(7), 5_001));
    assert_eq!(again.message_id, first.message_id, "the engine dedupes it");
}

#[test]
fn same_reference_from_another_sender_or_number_is_another_message() {
    let mut assembler = ConcatAssembler::new(limits());
    assembler.accept(part("9", 2, 1, "A", "a"), sender(7), 0);
    assert_eq!(assembler.accept(part("9", 2, 2, "X", "x"), sender(8), 0), ConcatOutcome::Pending);
    let mut elsewhere = part("9", 2, 2, "Y", "y");
    elsewhere.sms.to = "+33939000002".to_owned();
    assert_eq!(assembler.accept(elsewhere, sender(7), 0), ConcatOutcome::Pending);
    assert_eq!(assembler.messages_held(), 3);
    assert_eq!(whole(assembler.accept(part("9", 2, 2, "B", "b"), sender(7), 0)).body, "ab");
}

#[test]
fn a_new_message_reusing_a_completed_reference_is_assembled_afresh() {
    let mut assembler = ConcatAssembler::new(limits());
    assembler.accept(part("9", 2, 1, "A", "a"), sender(7), 0);
    whole(assembler.accept(part("9", 2, 2, "B", "b"), sender(7), 0));
    assert_eq!(assembler.accept(part("9", 2, 1, "C", "c"), sender(7), 1), ConcatOutcome::Pending);
    assert_eq!(whole(assembler.accept(part("9", 2, 2, "D", "d"), sender(7), 2)).message_id, "C");
}

#[test]
fn inconsistent_or_oversized_parts_are_dropped() {
    let mut assembler = ConcatAssembler::new(limits());
    assert_eq!(
        assembler.accept(part("9", 6, 1, "A", "a"), sender(7), 0),
        ConcatOutcome::Dropped(ConcatDrop::TooManyParts)
    );
    assembler.accept(part("9", 3, 1, "A", "a"), sender(7), 0);
    assert_eq!(
        assembler.accept(part("9", 2, 2, "B", "b"), sender(7), 0),
        ConcatOutcome::Dropped(ConcatDrop::Inconsistent)
    );
    assert_eq!(
        assembler.accept(part("9", 3, 1, "Z", "z"), sender(7), 0),
        ConcatOutcome::Dropped(ConcatDrop::Inconsistent)
    );
}

#[test]
fn incomplete_messages_expire_after_the_ttl() {
    let mut assembler = ConcatAssembler::new(limits());
    assembler.accept(part("9", 2, 1, "A", "a"), sender(7), 0);
    assert_eq!(assembler.accept(part("8", 2, 1, "C", "c"), sender(7), 999), ConcatOutcome::Pending);
    assert_eq!(assembler.messages_held(), 2);
    assert_eq!(assembler.accept(part("9", 2, 2, "B", "b"), sender(7), 1_000), ConcatOutcome::Pending);
    assert_eq!(assembler.messages_held(), 2, "9 expired and restarted with part 2 only");
    assert_eq!(assembler.counts(), ConcatCounts { evicted_parts: 0, expired_parts: 1 }, "expiry is not eviction");
}

#[test]
fn when_full_the_oldest_incomplete_message_is_evicted() {
    let mut assembler = ConcatAssembler::new(limits());
    for (i, reference) in ["1", "2", "3", "4", "5"].into_iter().enumerate() {
        assembler.accept(part(reference, 2, 1, &format!("A{i}"), "a"), sender(7), i as u64);
    }
    assert_eq!(assembler.messages_held(), 4);
    assert_eq!(assembler.counts().evicted_parts, 1);
    // "1" was evicted: its second part now opens a new incomplete message.
    assert_eq!(assembler.accept(part("1", 2, 2, "B0", "b"), sender(7), 10), ConcatOutcome::Pending);
    assert_eq!(whole(assembler.accept(part("5", 2, 2, "B4", "b"), sender(7), 10)).message_id, "A4");
}

#[test]
fn a_message_whose_part_one_waited_is_handed_over_once_with_what_arrived() {
    let mut assembler = ConcatAssembler::new(ConcatLimits { ttl_ms: 60_000, ..limits() });
    assembler.accept(part("9", 3, 1, "A", "Bonjour "), sender(7), 1_000);
    assembler.accept(part("9", 3, 3, "C", "!"), sender(7), 1_500);
    assert_eq!(assembler.overdue(5_999, 5_000), Vec::new(), "part 1 has not waited long enough");
    let handed = assembler.overdue(6_000, 5_000);
    assert_eq!(handed.len(), 1);
    assert_eq!((handed[0].message_id.as_str(), handed[0].body.as_str()), ("A", "Bonjour !"));
    assert_eq!(assembler.parts_held(), 0, "texts are dropped once handed over");
    assert_eq!(assembler.overdue(60_000, 5_000), Vec::new(), "handed over once");
    assert_eq!(assembler.accept(part("9", 3, 2, "B", "à vous"), sender(7), 7_000), ConcatOutcome::Duplicate);
    assert_eq!(assembler.accept(part("9", 3, 1, "A", "Bonjour "), sender(7), 7_001), ConcatOutcome::Duplicate);
    assert_eq!(assembler.parts_held(), 0);
}

#[test]
fn parts_without_part_one_are_never_handed_over() {
    let mut assembler = ConcatAssembler::new(limits());
    assembler.accept(part("9", 2, 2, "B", "b"), sender(7), 0);
    assert_eq!(assembler.overdue(999, 10), Vec::new());
    assert_eq!(assembler.parts_held(), 1);
    assert_eq!(assembler.overdue(1_000, 10), Vec::new(), "expired at the TTL instead");
    assert_eq!((assembler.parts_held(), assembler.messages_held()), (0, 0));
}

#[test]
fn a_message_completed_in_time_is_not_handed_over_again() {
    let mut assembler = ConcatAssembler::new(limits());
    assembler.accept(part("9", 2, 1, "A", "a"), sender(7), 0);
    whole(assembler.accept(part("9", 2, 2, "B", "b"), sender(7), 5));
    assert_eq!(assembler.overdue(900, 10), Vec::new());
}

#[test]
fn parts_held_never_exceed_the_limit() {
    let mut assembler = ConcatAssembler::new(ConcatLimits { max_messages: 100, max_parts: 8, ..limits() });
    for i in 0..50u64 {
        assembler.accept(part(&i.to_string(), 5, 1, &format!("A{i}"), "a"), sender(7), i);
        assembler.accept(part(&i.to_string(), 5, 2, &format!("B{i}"), "b"), sender(7), i);
        assert!(assembler.parts_held() <= 8);
        assert!(assembler.messages_held() <= 100);
    }
    let mut tiny = ConcatAssembler::new(ConcatLimits { max_parts: 1, ..limits() });
    tiny.accept(part("1", 2, 1, "A", "a"), sender(7), 0);
    assert_eq!(tiny.accept(part("1", 2, 2, "B", "b"), sender(7), 0), ConcatOutcome::Dropped(ConcatDrop::Full));
    assert_eq!(tiny.parts_held(), 0);
}

#[test]
fn one_number_full_evicts_its_own_oldest_message_and_never_another_numbers() {
    let mut assembler = ConcatAssembler::new(ConcatLimits { max_messages: 100, max_parts_per_number: 3, ..limits() });
    let mut other = part("o", 2, 2, "O2", "o");
    other.sms.to = "+33939000002".to_owned();
    assert_eq!(assembler.accept(other, sender(9), 0), ConcatOutcome::Pending);
    for i in 0..10u64 {
        assembler.accept(part(&i.to_string(), 5, 2, &format!("B{i}"), "b"), sender(7), i + 1);
        assert!(assembler.parts_held_for("+33939000001") <= 3);
    }
    assert_eq!(assembler.parts_held_for("+33939000001"), 3);
    assert_eq!(assembler.parts_held_for("+33939000002"), 1, "the other number keeps its part");
    assert_eq!(assembler.counts().evicted_parts, 7);
    // The newest messages of the full number are still held.
    assert_eq!(assembler.accept(part("9", 5, 2, "B9", "b"), sender(7), 20), ConcatOutcome::Duplicate);
}

#[test]
fn held_bytes_never_exceed_the_budget() {
    let one = part_bytes(&part("0", 5, 2, "B00", &"x".repeat(100)).sms);
    let limits =
        ConcatLimits { max_messages: 100, max_parts: 100, max_parts_per_number: 100, max_bytes: one * 3, ..limits() };
    let mut assembler = ConcatAssembler::new(limits);
    for i in 0..20u64 {
        assembler.accept(part(&i.to_string(), 5, 2, &format!("B{i:02}"), &"x".repeat(100)), sender(7), i);
        assert!(assembler.bytes_held() <= limits.max_bytes, "{} bytes held", assembler.bytes_held());
    }
    assert_eq!((assembler.parts_held(), assembler.bytes_held()), (3, one * 3));
    assert_eq!(assembler.counts().evicted_parts, 17);
}

#[test]
fn counts_are_back_to_zero_once_everything_expired() {
    let mut assembler = ConcatAssembler::new(ConcatLimits {
        max_messages: 1_000,
        max_parts: 1_000,
        max_parts_per_number: 1_000,
        ..limits()
    });
    for i in 0..500u64 {
        assembler.accept(part(&i.to_string(), 5, 2, &format!("B{i}"), "bb"), sender(7), 0);
    }
    assert_eq!(assembler.parts_held(), 500);
    assembler.overdue(1_000, 10);
    assert_eq!((assembler.parts_held(), assembler.bytes_held(), assembler.messages_held()), (0, 0, 0));
    assert_eq!(assembler.parts_held_for("+33939000001"), 0);
    assert_eq!(assembler.counts().expired_parts, 500);
}
