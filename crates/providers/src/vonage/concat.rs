//! Reassembling long Vonage SMS: each part arrives as its own webhook
//! (`concat=true`, `concat-ref`, `concat-total`, `concat-part`), and the
//! engine must decide once, on the whole message.
//!
//! [`ConcatAssembler`] is pure and bounded: the caller passes the time, the
//! capacity is fixed (messages held, parts held), an incomplete message is
//! dropped after its TTL, and when full the oldest incomplete message is
//! evicted. Messages are keyed by our number, `concat-ref` and a keyed
//! fingerprint of the sender ([`SenderKey`], computed by the caller): the
//! sender's number itself is never a key and is kept only with the parts.
//!
//! **Which id the whole message gets:** the `messageId` of part 1. It is the
//! same whichever order the parts come in, so should every part be retried
//! after the message completed (Vonage retries a webhook that got no `200`),
//! the reassembled message has the same id and the engine's dedupe answers
//! `duplicate`. A completed message is remembered (its part ids only, no
//! text) until its TTL ends, so a retry of any single part is absorbed
//! ([`ConcatOutcome::Duplicate`]) instead of opening a new message.
//!
//! **Parts that never come:** with several replicas behind a load balancer
//! the parts of one message may reach different processes. The process
//! holding part 1 does not wait forever: [`ConcatAssembler::overdue`] hands
//! over, once, every incomplete message whose part 1 has waited long
//! enough, with the parts it has (the engine decides on part 1's id, so the
//! message is decided once whichever process holds part 1). A part arriving
//! after that is absorbed as a [`ConcatOutcome::Duplicate`]; processes
//! without part 1 never decide, and drop their parts after the TTL.

use std::collections::{BTreeMap, HashMap};

use antirelou_domain::SenderKey;

use super::inbound::ConcatPart;
use crate::inbound::InboundSms;

/// How many messages and parts to hold, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConcatLimits {
    /// Messages held at once (incomplete, or completed and remembered).
    pub max_messages: usize,
    /// Part texts held at once across incomplete messages.
    pub max_parts: usize,
    /// A message with more parts than this is dropped (SMS allows 255).
    pub max_parts_per_message: u8,
    /// How long a message is held after its first part arrived.
    pub ttl_ms: u64,
}

impl Default for ConcatLimits {
    /// 10,000 messages, 40,000 parts, 10 parts each (≈ 1,530 GSM-7
    /// characters), 10 minutes (parts of one message usually arrive within
    /// seconds; Vonage retries a part for up to 24 hours only if we did not
    /// answer it).
    fn default() -> ConcatLimits {
        ConcatLimits { max_messages: 10_000, max_parts: 40_000, max_parts_per_message: 10, ttl_ms: 10 * 60 * 1000 }
    }
}

/// What one part did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ConcatOutcome {
    /// This was the last missing part: the whole message, decided once.
    Complete(InboundSms),
    /// Held; more parts are awaited.
    Pending,
    /// A retry of a part already held, of a message already completed, or a
    /// late part of a message handed over by [`ConcatAssembler::overdue`].
    Duplicate,
    /// Not held (the route still answers `200`: Vonage must not retry it).
    Dropped(ConcatDrop),
}

/// Why a part was not held.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ConcatDrop {
    /// `concat-total` over [`ConcatLimits::max_parts_per_message`].
    TooManyParts,
    /// Its `concat-total` differs from the other parts', or another part
    /// already holds its place with a different `messageId`.
    Inconsistent,
    /// `max_parts` is smaller than what this one message needs.
    Full,
}

/// Holds the parts of long SMS until each message is whole. See the module doc.
#[derive(Debug)]
pub struct ConcatAssembler {
    limits: ConcatLimits,
    messages: HashMap<MessageKey, Held>,
    /// Messages by (first part's time, arrival number): eviction order.
    by_age: BTreeMap<(u64, u64), MessageKey>,
    parts_held: usize,
    arrivals: u64,
    evicted: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct MessageKey {
    to: String,
    reference: String,
    sender: SenderKey,
}

#[derive(Debug)]
struct Held {
    age: (u64, u64),
    /// When part 1 arrived, while the message is incomplete.
    part_one_at: Option<u64>,
    total: u8,
    /// One slot per part: the part's `messageId`, and its SMS until completion.
    slots: Vec<Option<(String, Option<InboundSms>)>>,
    completed: bool,
}

impl ConcatAssembler {
    pub fn new(limits: ConcatLimits) -> ConcatAssembler {
        ConcatAssembler {
            limits,
            messages: HashMap::new(),
            by_age: BTreeMap::new(),
            parts_held: 0,
            arrivals: 0,
            evicted: 0,
        }
    }

    /// Takes one verified part from the sender whose keyed fingerprint is
    /// `sender`, at `now_ms` (any monotonic milliseconds).
    pub fn accept(&mut self, part: ConcatPart, sender: SenderKey, now_ms: u64) -> ConcatOutcome {
        self.expire(now_ms);
        if part.total > self.limits.max_parts_per_message {
            return ConcatOutcome::Dropped(ConcatDrop::TooManyParts);
        }
        let key = MessageKey { to: part.sms.to.clone(), reference: part.reference.clone(), sender };
        let index = usize::from(part.part.saturating_sub(1));
        if let Some(held) = self.messages.get(&key) {
            let slot = held.slots.get(index).and_then(Option::as_ref);
            let seen = held.slots.iter().flatten().any(|(id, _)| *id == part.sms.message_id);
            if seen {
                return ConcatOutcome::Duplicate;
            }
            // A late part of a message handed over without it (see `overdue`).
            let late = held.completed && held.total == part.total && index < held.slots.len() && slot.is_none();
            if held.completed {
                if late {
                    if let Some(place) = self.messages.get_mut(&key).and_then(|held| held.slots.get_mut(index)) {
                        *place = Some((part.sms.message_id, None));
                    }
                    return ConcatOutcome::Duplicate;
                }
                // Same sender, same reference, new ids: a new message.
                self.remove(&key);
            } else if held.total != part.total || slot.is_some() {
                return ConcatOutcome::Dropped(ConcatDrop::Inconsistent);
            }
        }
        if !self.messages.contains_key(&key) {
            self.make_room(1);
            self.arrivals += 1;
            let age = (now_ms, self.arrivals);
            self.by_age.insert(age, key.clone());
            let held = Held {
                age,
                part_one_at: None,
                total: part.total,
                slots: vec![None; usize::from(part.total)],
                completed: false,
            };
            self.messages.insert(key.clone(), held);
        }
        self.make_room_for_part(&key);
        let Some(held) = self.messages.get_mut(&key) else {
            // make_room_for_part removed it: nothing else could be evicted.
            return ConcatOutcome::Dropped(ConcatDrop::Full);
        };
        let Some(slot) = held.slots.get_mut(index) else {
            return ConcatOutcome::Dropped(ConcatDrop::Inconsistent);
        };
        *slot = Some((part.sms.message_id.clone(), Some(part.sms)));
        self.parts_held += 1;
        if index == 0 {
            held.part_one_at = Some(now_ms);
        }
        if held.slots.iter().all(Option::is_some) {
            let (whole, texts) = complete(held);
            self.parts_held -= texts;
            ConcatOutcome::Complete(whole)
        } else {
            ConcatOutcome::Pending
        }
    }

    /// Every incomplete message whose part 1 arrived `wait_ms` or more
    /// before `now_ms`, completed with the parts held (in order, missing
    /// ones left out) and remembered like a whole message: each is handed
    /// over once, with part 1's `messageId`. Messages without part 1 are
    /// never handed over (the process holding part 1 decides them).
    pub fn overdue(&mut self, now_ms: u64, wait_ms: u64) -> Vec<InboundSms> {
        self.expire(now_ms);
        let mut ready = Vec::new();
        let mut texts_released = 0;
        for held in self.messages.values_mut() {
            let waited = held.part_one_at.is_some_and(|at| at.saturating_add(wait_ms) <= now_ms);
            if waited && !held.completed {
                let (whole, texts) = complete(held);
                texts_released += texts;
                ready.push((held.age, whole));
            }
        }
        self.parts_held -= texts_released;
        ready.sort_by_key(|(age, _)| *age);
        ready.into_iter().map(|(_, whole)| whole).collect()
    }

    /// Messages held (incomplete or remembered).
    pub fn messages_held(&self) -> usize {
        self.messages.len()
    }

    /// Part texts held.
    pub fn parts_held(&self) -> usize {
        self.parts_held
    }

    /// Incomplete messages evicted to make room since the start (a metric).
    pub fn evicted_total(&self) -> u64 {
        self.evicted
    }

    fn expire(&mut self, now_ms: u64) {
        while let Some((&age, _)) = self.by_age.first_key_value() {
            if age.0.saturating_add(self.limits.ttl_ms) > now_ms {
                break;
            }
            if let Some((_, key)) = self.by_age.pop_first() {
                self.forget(&key);
            }
        }
    }

    /// Evicts the oldest messages until `extra` more fit.
    fn make_room(&mut self, extra: usize) {
        while self.messages.len() + extra > self.limits.max_messages.max(1) {
            if !self.evict_oldest(None) {
                break;
            }
        }
    }

    /// Evicts the oldest other messages until one more part fits.
    fn make_room_for_part(&mut self, keep: &MessageKey) {
        while self.parts_held >= self.limits.max_parts.max(1) {
            if !self.evict_oldest(Some(keep)) {
                self.remove(keep);
                break;
            }
        }
    }

    fn evict_oldest(&mut self, keep: Option<&MessageKey>) -> bool {
        let oldest = self.by_age.values().find(|key| Some(*key) != keep).cloned();
        match oldest {
            Some(key) => {
                if self.messages.get(&key).is_some_and(|held| !held.completed) {
                    self.evicted += 1;
                }
                self.remove(&key);
                true
            }
            None => false,
        }
    }

    fn remove(&mut self, key: &MessageKey) {
        if let Some(held) = self.messages.get(key) {
            self.by_age.remove(&held.age);
        }
        self.forget(key);
    }

    fn forget(&mut self, key: &MessageKey) {
        if let Some(held) = self.messages.remove(key) {
            if !held.completed {
                self.parts_held -= held.slots.iter().flatten().count();
            }
        }
    }
}

/// Joins the parts held, in order; keeps the part ids (for retries), drops
/// the texts. Returns the message and how many part texts it released.
fn complete(held: &mut Held) -> (InboundSms, usize) {
    held.completed = true;
    held.part_one_at = None;
    let mut parts = held.slots.iter_mut().flatten().filter_map(|(_, sms)| sms.take());
    let Some(mut whole) = parts.next() else {
        // Unreachable: callers complete a message holding at least part 1.
        let empty = InboundSms {
            provider: antirelou_domain::ProviderKind::Vonage,
            message_id: String::new(),
            from: String::new(),
            to: String::new(),
            body: String::new(),
        };
        return (empty, 0);
    };
    let mut texts = 1;
    for part in parts {
        whole.body.push_str(&part.body);
        texts += 1;
    }
    (whole, texts)
}

#[cfg(test)]
mod tests {
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
        ConcatLimits { max_messages: 4, max_parts: 8, max_parts_per_message: 5, ttl_ms: 1_000 }
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
        assert_eq!(assembler.evicted_total(), 0, "expiry is not eviction");
    }

    #[test]
    fn when_full_the_oldest_incomplete_message_is_evicted() {
        let mut assembler = ConcatAssembler::new(limits());
        for (i, reference) in ["1", "2", "3", "4", "5"].into_iter().enumerate() {
            assembler.accept(part(reference, 2, 1, &format!("A{i}"), "a"), sender(7), i as u64);
        }
        assert_eq!(assembler.messages_held(), 4);
        assert_eq!(assembler.evicted_total(), 1);
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
}
