//! Reassembling long Vonage SMS: each part arrives as its own webhook
//! (`concat=true`, `concat-ref`, `concat-total`, `concat-part`), and the
//! engine must decide once, on the whole message.
//!
//! [`ConcatAssembler`] is pure and bounded: the caller passes the time, and
//! every bound is fixed ([`ConcatLimits`]): parts per message, messages
//! held, parts held in all and per number of ours, and a byte budget for
//! what the held parts take. A part itself is at most what a phone can send
//! in one segment (checked when it is read:
//! [`MAX_PART_CHARS`](super::inbound::MAX_PART_CHARS)). An incomplete
//! message is dropped after its TTL; when a bound is reached, the oldest
//! incomplete message of the same number (for the per-number bound) or of
//! all (for the others) is evicted. Messages are keyed by our number,
//! `concat-ref` and a keyed fingerprint of the sender ([`SenderKey`],
//! computed by the caller): the sender's number itself is never a key and
//! is kept only with the parts. [`ConcatCounts`] says how many parts were
//! evicted and expired, for a metric.
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
//!
//! **Memory is given back:** once the held messages fall to a quarter of
//! what the maps were sized for, the maps shrink.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use antirelou_domain::SenderKey;

use super::inbound::ConcatPart;
use crate::inbound::InboundSms;

/// What one held part is counted for on top of its strings: the slot, the
/// `InboundSms` and the allocator's headers of its four strings.
pub const PART_OVERHEAD_BYTES: usize = 160;

/// How many messages and parts to hold, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConcatLimits {
    /// Messages held at once (incomplete, or completed and remembered).
    pub max_messages: usize,
    /// Part texts held at once across incomplete messages.
    pub max_parts: usize,
    /// Part texts held at once for one number of ours.
    pub max_parts_per_number: usize,
    /// What the held parts may take, in bytes ([`part_bytes`]).
    pub max_bytes: usize,
    /// A message with more parts than this is dropped (SMS allows 255).
    pub max_parts_per_message: u8,
    /// How long a message is held after its first part arrived.
    pub ttl_ms: u64,
}

impl Default for ConcatLimits {
    /// 10,000 messages; 8,000 parts, 1,000 for one number, 4 MiB in all
    /// (8,000 parts of 153 characters and their overhead take about
    /// 3.7 MB); 10 parts a message (≈ 1,530 GSM-7 characters); 10 minutes
    /// (parts of one message usually arrive within seconds; Vonage retries
    /// a part for up to 24 hours only if we did not answer it).
    fn default() -> ConcatLimits {
        ConcatLimits {
            max_messages: 10_000,
            max_parts: 8_000,
            max_parts_per_number: 1_000,
            max_bytes: 4 << 20,
            max_parts_per_message: 10,
            ttl_ms: 10 * 60 * 1000,
        }
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
    /// The bounds are smaller than what this one message needs.
    Full,
}

/// Parts dropped since the start, by why (for a metric).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConcatCounts {
    /// Parts of incomplete messages evicted to make room.
    pub evicted_parts: u64,
    /// Parts of incomplete messages dropped at their TTL.
    pub expired_parts: u64,
}

/// What a held part counts for in [`ConcatLimits::max_bytes`]: its strings
/// and [`PART_OVERHEAD_BYTES`].
pub fn part_bytes(sms: &InboundSms) -> usize {
    sms.body.len() + sms.message_id.len() + sms.from.len() + sms.to.len() + PART_OVERHEAD_BYTES
}

/// Holds the parts of long SMS until each message is whole. See the module doc.
#[derive(Debug)]
pub struct ConcatAssembler {
    limits: ConcatLimits,
    messages: HashMap<MessageKey, Held>,
    /// Messages by (first part's time, arrival number): eviction order.
    by_age: BTreeMap<(u64, u64), MessageKey>,
    /// Each number's incomplete messages and held parts.
    numbers: HashMap<String, NumberHold>,
    parts_held: usize,
    bytes_held: usize,
    arrivals: u64,
    counts: ConcatCounts,
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

impl Held {
    /// (parts, bytes) of the texts this message holds.
    fn weight(&self) -> (usize, usize) {
        self.slots
            .iter()
            .flatten()
            .filter_map(|(_, sms)| sms.as_ref())
            .fold((0, 0), |(parts, bytes), sms| (parts + 1, bytes + part_bytes(sms)))
    }
}

/// One number's share: the ages of its messages holding texts, and what they hold.
#[derive(Debug, Default)]
struct NumberHold {
    ages: BTreeSet<(u64, u64)>,
    parts: usize,
}

/// Which bound a part must fit under.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    Number,
    All,
}

impl ConcatAssembler {
    pub fn new(limits: ConcatLimits) -> ConcatAssembler {
        ConcatAssembler {
            limits,
            messages: HashMap::new(),
            by_age: BTreeMap::new(),
            numbers: HashMap::new(),
            parts_held: 0,
            bytes_held: 0,
            arrivals: 0,
            counts: ConcatCounts::default(),
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
            self.make_room_for_message();
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
        let bytes = part_bytes(&part.sms);
        if !self.make_room_for_part(&key, bytes) {
            self.remove(&key);
            return ConcatOutcome::Dropped(ConcatDrop::Full);
        }
        let Some(held) = self.messages.get_mut(&key) else {
            return ConcatOutcome::Dropped(ConcatDrop::Full);
        };
        let Some(slot) = held.slots.get_mut(index) else {
            return ConcatOutcome::Dropped(ConcatDrop::Inconsistent);
        };
        *slot = Some((part.sms.message_id.clone(), Some(part.sms)));
        let age = held.age;
        if index == 0 {
            held.part_one_at = Some(now_ms);
        }
        if held.slots.iter().all(Option::is_some) {
            let released = held.weight();
            let whole = complete(held);
            self.release(&key.to, age, released.0 - 1, released.1 - bytes);
            ConcatOutcome::Complete(whole)
        } else {
            self.parts_held += 1;
            self.bytes_held += bytes;
            let number = self.numbers.entry(key.to.clone()).or_default();
            number.parts += 1;
            number.ages.insert(age);
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
        let mut released = Vec::new();
        for (key, held) in &mut self.messages {
            let waited = held.part_one_at.is_some_and(|at| at.saturating_add(wait_ms) <= now_ms);
            if waited && !held.completed {
                let (parts, bytes) = held.weight();
                released.push((key.to.clone(), held.age, parts, bytes));
                ready.push((held.age, complete(held)));
            }
        }
        for (to, age, parts, bytes) in released {
            self.release(&to, age, parts, bytes);
        }
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

    /// What the held part texts count for ([`part_bytes`]).
    pub fn bytes_held(&self) -> usize {
        self.bytes_held
    }

    /// Parts held for our number `to`.
    pub fn parts_held_for(&self, to: &str) -> usize {
        self.numbers.get(to).map_or(0, |number| number.parts)
    }

    /// Parts evicted and expired since the start.
    pub fn counts(&self) -> ConcatCounts {
        self.counts
    }

    fn expire(&mut self, now_ms: u64) {
        let mut expired = false;
        while let Some((&age, _)) = self.by_age.first_key_value() {
            if age.0.saturating_add(self.limits.ttl_ms) > now_ms {
                break;
            }
            if let Some((_, key)) = self.by_age.pop_first() {
                let dropped = self.forget(&key);
                self.counts.expired_parts += dropped as u64;
                expired = true;
            }
        }
        if expired {
            self.shrink();
        }
    }

    /// Evicts the oldest messages until one more fits.
    fn make_room_for_message(&mut self) {
        while self.messages.len() >= self.limits.max_messages.max(1) {
            let Some(oldest) = self.by_age.values().next().cloned() else { break };
            self.evict(&oldest);
        }
    }

    /// Evicts the oldest other messages (of `keep`'s number first, for the
    /// per-number bound) until a part of `bytes` fits; `false` when it
    /// cannot fit whatever is evicted.
    fn make_room_for_part(&mut self, keep: &MessageKey, bytes: usize) -> bool {
        loop {
            let number_parts = self.parts_held_for(&keep.to);
            let bound = if number_parts >= self.limits.max_parts_per_number.max(1) {
                Bound::Number
            } else if self.parts_held >= self.limits.max_parts.max(1) || self.bytes_held + bytes > self.limits.max_bytes
            {
                Bound::All
            } else {
                return true;
            };
            let Some(victim) = self.oldest_other(keep, bound) else { return false };
            self.evict(&victim);
        }
    }

    /// The oldest message holding texts, other than `keep`: of `keep`'s
    /// number, or of any number.
    fn oldest_other(&self, keep: &MessageKey, bound: Bound) -> Option<MessageKey> {
        match bound {
            Bound::Number => {
                let ages = &self.numbers.get(&keep.to)?.ages;
                ages.iter().filter_map(|age| self.by_age.get(age)).find(|key| *key != keep).cloned()
            }
            Bound::All => self
                .by_age
                .values()
                .find(|key| *key != keep && self.messages.get(*key).is_some_and(|held| !held.completed))
                .cloned(),
        }
    }

    fn evict(&mut self, key: &MessageKey) {
        let dropped = self.remove(key);
        self.counts.evicted_parts += dropped as u64;
    }

    /// Removes a message; returns how many part texts it held.
    fn remove(&mut self, key: &MessageKey) -> usize {
        if let Some(held) = self.messages.get(key) {
            self.by_age.remove(&held.age);
        }
        self.forget(key)
    }

    /// Drops a message (already out of `by_age`); returns how many part texts it held.
    fn forget(&mut self, key: &MessageKey) -> usize {
        let Some(held) = self.messages.remove(key) else { return 0 };
        let (parts, bytes) = held.weight();
        if parts > 0 {
            self.release(&key.to, held.age, parts, bytes);
        }
        parts
    }

    /// Takes texts that no longer are held off the counts.
    fn release(&mut self, to: &str, age: (u64, u64), parts: usize, bytes: usize) {
        self.parts_held -= parts;
        self.bytes_held -= bytes;
        if let Some(number) = self.numbers.get_mut(to) {
            number.parts -= parts;
            number.ages.remove(&age);
            if number.ages.is_empty() {
                self.numbers.remove(to);
            }
        }
    }

    /// Gives memory back once the maps are mostly empty.
    fn shrink(&mut self) {
        if self.messages.capacity() > 64 && self.messages.len() * 4 < self.messages.capacity() {
            self.messages.shrink_to_fit();
        }
        if self.numbers.capacity() > 64 && self.numbers.len() * 4 < self.numbers.capacity() {
            self.numbers.shrink_to_fit();
        }
    }
}

/// Joins the parts held, in order; keeps the part ids (for retries), drops
/// the texts.
fn complete(held: &mut Held) -> InboundSms {
    held.completed = true;
    held.part_one_at = None;
    let mut parts = held.slots.iter_mut().flatten().filter_map(|(_, sms)| sms.take());
    let Some(mut whole) = parts.next() else {
        // Unreachable: callers complete a message holding at least one part.
        return InboundSms {
            provider: antirelou_domain::ProviderKind::Vonage,
            message_id: String::new(),
            from: String::new(),
            to: String::new(),
            body: String::new(),
        };
    };
    for part in parts {
        whole.body.push_str(&part.body);
    }
    whole
}

#[cfg(test)]
#[path = "concat_tests.rs"]
mod tests;
