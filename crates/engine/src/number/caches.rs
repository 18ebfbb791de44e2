//! Bounded in-memory caches of one number's actor. Both are LRU with a hard
//! entry limit, so memory stays bounded whatever a flood sends.
//!
//! Entries are keyed by 64-bit fingerprints, not by the full 32-byte sender
//! key or the message id string: a 1,000,000-sender flood then costs about
//! half the memory (measured in docs/benchmarks.md). The maps are
//! `schnellru`'s, whose entries live inline in one table (about 33 bytes an
//! entry measured, against 72 for `lru`'s one allocation per entry). A fingerprint collision
//! (odds 2^-64 per pair) could only make the actor refuse a reply it would
//! have paid for, never pay one it should not: the ledger, keyed by the full
//! values, decides every payment.
//!
//! Each map sits behind its own `RwLock`: the actor is its only writer
//! (its `&mut self` methods), and the HTTP workers read it through a view
//! (`SenderView`, `MarksView`, `MessageView`: `peek`s under a read lock that
//! never touch recency) to answer the flood without a message to the actor
//! (`published.rs`).

use std::hash::BuildHasher;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use antirelou_domain::SenderKey;
use schnellru::{ByLength, LruMap};

/// A bounded LRU map of fingerprints: at capacity, an insert drops the
/// least recently used entry. Shared between the actor (the writer) and
/// the views of the HTTP workers (readers).
type Bounded<V> = Arc<RwLock<LruMap<u64, V, ByLength>>>;

fn bounded<V>(capacity: usize) -> Bounded<V> {
    // Nothing is allocated before the first insert.
    Arc::new(RwLock::new(LruMap::new(ByLength::new(u32::try_from(capacity.max(1)).unwrap_or(u32::MAX)))))
}

/// The map to write (a panic elsewhere never leaves it half-updated: every
/// change is one `schnellru` call, so a poisoned lock is still consistent).
fn write<V>(map: &Bounded<V>) -> RwLockWriteGuard<'_, LruMap<u64, V, ByLength>> {
    map.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read<V>(map: &Bounded<V>) -> RwLockReadGuard<'_, LruMap<u64, V, ByLength>> {
    map.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The cache key of a sender: its HMAC key is uniformly random, so its first 8 bytes are a fingerprint.
fn sender_fingerprint(sender: &SenderKey) -> u64 {
    let bytes = sender.as_bytes();
    u64::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]])
}

/// The cache key of a provider message id (ids come from the provider, whose
/// signature we verified, so nobody chooses them to collide).
fn message_fingerprint(message_id: &str) -> u64 {
    FINGERPRINT.hash_one(message_id)
}

/// A fixed-key hasher: fingerprints are the same for every actor and restart.
const FINGERPRINT: std::hash::BuildHasherDefault<std::hash::DefaultHasher> = std::hash::BuildHasherDefault::new();

/// Senders this number has seen, and until when a reply to them is remembered.
pub struct SenderCache {
    entries: Bounded<i64>,
}

/// What the cache knows of a sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderMemory {
    /// Never seen (or forgotten): counts as a new sender for shield mode.
    Unknown,
    /// Seen, no reply remembered.
    Seen,
    /// Answered; no new reply before this instant (micros).
    AnsweredUntil(i64),
    /// Texted STOP: never answered again.
    OptedOut,
}

/// What the cache stores for a sender: a reply-memory end, or these marks.
const SEEN: i64 = i64::MIN;
const OPTED_OUT: i64 = i64::MAX;

impl SenderCache {
    pub fn new(capacity: usize) -> SenderCache {
        SenderCache { entries: bounded(capacity) }
    }

    pub fn recall(&mut self, sender: &SenderKey, now_micros: i64) -> SenderMemory {
        memory_of(write(&self.entries).get(&sender_fingerprint(sender)).map(|until| *until), now_micros)
    }

    /// Notes a sender as seen, keeping any reply memory it has.
    pub fn saw(&mut self, sender: SenderKey) {
        let key = sender_fingerprint(&sender);
        let mut entries = write(&self.entries);
        if entries.peek(&key).is_none() {
            entries.insert(key, SEEN);
        }
    }

    pub fn answered(&mut self, sender: SenderKey, until_micros: i64) {
        write(&self.entries).insert(sender_fingerprint(&sender), until_micros.min(OPTED_OUT - 1));
    }

    pub fn opted_out(&mut self, sender: SenderKey) {
        write(&self.entries).insert(sender_fingerprint(&sender), OPTED_OUT);
    }

    pub fn len(&self) -> usize {
        read(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        read(&self.entries).is_empty()
    }

    /// A read-only view for other threads.
    pub fn view(&self) -> SenderView {
        SenderView { entries: Arc::clone(&self.entries) }
    }
}

fn memory_of(stored: Option<i64>, now_micros: i64) -> SenderMemory {
    match stored {
        None => SenderMemory::Unknown,
        Some(OPTED_OUT) => SenderMemory::OptedOut,
        Some(until) if until > now_micros => SenderMemory::AnsweredUntil(until),
        Some(_) => SenderMemory::Seen,
    }
}

/// What another thread may read of a [`SenderCache`].
pub struct SenderView {
    entries: Bounded<i64>,
}

impl SenderView {
    /// [`SenderCache::recall`] without touching recency.
    pub fn recall(&self, sender: &SenderKey, now_micros: i64) -> SenderMemory {
        memory_of(read(&self.entries).peek(&sender_fingerprint(sender)).copied(), now_micros)
    }
}

/// Senders marked until an instant (pending a judgement, or dropped by
/// one), bounded, LRU.
pub struct SenderMarks {
    entries: Bounded<i64>,
}

impl SenderMarks {
    pub fn new(capacity: usize) -> SenderMarks {
        SenderMarks { entries: bounded(capacity) }
    }

    /// Whether `sender` is marked at `now_micros`.
    pub fn holds(&mut self, sender: &SenderKey, now_micros: i64) -> bool {
        write(&self.entries).get(&sender_fingerprint(sender)).is_some_and(|until| now_micros < *until)
    }

    pub fn mark(&mut self, sender: &SenderKey, until_micros: i64) {
        write(&self.entries).insert(sender_fingerprint(sender), until_micros);
    }

    pub fn unmark(&mut self, sender: &SenderKey) {
        write(&self.entries).remove(&sender_fingerprint(sender));
    }

    pub fn len(&self) -> usize {
        read(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        read(&self.entries).is_empty()
    }

    /// A read-only view for other threads.
    pub fn view(&self) -> MarksView {
        MarksView { entries: Arc::clone(&self.entries) }
    }
}

/// What another thread may read of a [`SenderMarks`].
pub struct MarksView {
    entries: Bounded<i64>,
}

impl MarksView {
    /// [`SenderMarks::holds`] without touching recency.
    pub fn holds(&self, sender: &SenderKey, now_micros: i64) -> bool {
        read(&self.entries).peek(&sender_fingerprint(sender)).is_some_and(|until| now_micros < *until)
    }
}

/// Recently arrived provider message ids, and the answer of those decided,
/// for retries and replays.
pub struct MessageCache {
    entries: Bounded<MessageSeen>,
}

/// What the cache knows of a message id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MessageSeen {
    /// Arrived, not decided yet (its verdict is with the ledger, or it was
    /// decided without being remembered: paused, blocked, overloaded).
    Arrived,
    Decided {
        replied: bool,
    },
}

impl MessageCache {
    pub fn new(capacity: usize) -> MessageCache {
        MessageCache { entries: bounded(capacity) }
    }

    /// Notes an arrival; `true` the first time this id arrives (while it is
    /// remembered), `false` for a retry or a replay.
    pub fn arrived(&mut self, message_id: &str) -> bool {
        let key = message_fingerprint(message_id);
        let mut entries = write(&self.entries);
        if entries.get(&key).is_some() {
            return false;
        }
        entries.insert(key, MessageSeen::Arrived);
        true
    }

    /// `Some(replied)` when this id was decided before.
    pub fn recall(&mut self, message_id: &str) -> Option<bool> {
        match write(&self.entries).get(&message_fingerprint(message_id)).map(|seen| *seen) {
            Some(MessageSeen::Decided { replied }) => Some(replied),
            Some(MessageSeen::Arrived) | None => None,
        }
    }

    pub fn remember(&mut self, message_id: &str, replied: bool) {
        write(&self.entries).insert(message_fingerprint(message_id), MessageSeen::Decided { replied });
    }

    /// A read-only view for other threads.
    pub fn view(&self) -> MessageView {
        MessageView { entries: Arc::clone(&self.entries) }
    }
}

/// What another thread may read of a [`MessageCache`].
pub struct MessageView {
    entries: Bounded<MessageSeen>,
}

impl MessageView {
    /// Whether this id arrived before (decided or not), without touching recency.
    pub fn knows(&self, message_id: &str) -> bool {
        read(&self.entries).peek(&message_fingerprint(message_id)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antirelou_domain::SenderHasher;

    #[test]
    fn sender_cache_never_exceeds_its_capacity() {
        let hasher = SenderHasher::new(b"k");
        let mut cache = SenderCache::new(100);
        for i in 0..10_000 {
            cache.answered(hasher.key(&format!("+336{i:08}")), 10);
        }
        assert_eq!(cache.len(), 100);
        assert_eq!(cache.recall(&hasher.key("+33600009999"), 5), SenderMemory::AnsweredUntil(10));
        assert_eq!(cache.recall(&hasher.key("+33600000000"), 5), SenderMemory::Unknown);
    }

    #[test]
    fn reply_memory_expires_but_the_sender_stays_seen() {
        let key = SenderHasher::new(b"k").key("+33612345678");
        let mut cache = SenderCache::new(10);
        cache.saw(key);
        assert_eq!(cache.recall(&key, 0), SenderMemory::Seen);
        cache.answered(key, 100);
        cache.saw(key);
        assert_eq!(cache.recall(&key, 99), SenderMemory::AnsweredUntil(100));
        assert_eq!(cache.recall(&key, 100), SenderMemory::Seen);
        cache.opted_out(key);
        cache.saw(key);
        assert_eq!(cache.recall(&key, i64::MAX), SenderMemory::OptedOut);
    }

    #[test]
    fn an_id_arrives_once_and_is_recalled_only_once_decided() {
        let mut cache = MessageCache::new(4);
        assert!(cache.arrived("SM1"));
        assert!(!cache.arrived("SM1"), "a replay");
        assert_eq!(cache.recall("SM1"), None, "not decided yet");
        cache.remember("SM1", true);
        assert!(!cache.arrived("SM1"));
        assert_eq!(cache.recall("SM1"), Some(true));
        cache.remember("SM2", false);
        assert!(!cache.arrived("SM2"), "decided without an arrival noted");
    }

    #[test]
    fn fingerprints_are_stable_across_caches() {
        let mut first = MessageCache::new(4);
        let mut second = MessageCache::new(4);
        first.remember("SM0123", true);
        second.remember("SM0123", true);
        assert_eq!(message_fingerprint("SM0123"), message_fingerprint("SM0123"));
        assert_ne!(message_fingerprint("SM0123"), message_fingerprint("SM0124"));
        assert_eq!(second.recall("SM0123"), Some(true));
    }

    #[test]
    fn message_cache_is_bounded_and_remembers_answers() {
        let mut cache = MessageCache::new(2);
        cache.remember("a", true);
        cache.remember("b", false);
        cache.remember("c", false);
        assert_eq!(cache.recall("a"), None);
        assert_eq!(cache.recall("b"), Some(false));
    }
}
