//! Bounded in-memory caches of one number's actor. Both are LRU with a hard
//! entry limit, so memory stays bounded whatever a flood sends.

use std::sync::Arc;

use antirelou_domain::SenderKey;
use lru::LruCache;

/// Senders this number has seen, and until when a reply to them is remembered.
pub struct SenderCache {
    entries: LruCache<SenderKey, i64>,
    capacity: usize,
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
}

impl SenderCache {
    pub fn new(capacity: usize) -> SenderCache {
        // `unbounded` does not preallocate; the bound is enforced on insert.
        SenderCache { entries: LruCache::unbounded(), capacity: capacity.max(1) }
    }

    pub fn recall(&mut self, sender: &SenderKey, now_micros: i64) -> SenderMemory {
        match self.entries.get(sender) {
            None => SenderMemory::Unknown,
            Some(&until) if until > now_micros => SenderMemory::AnsweredUntil(until),
            Some(_) => SenderMemory::Seen,
        }
    }

    /// Notes a sender as seen, keeping any reply memory it has.
    pub fn saw(&mut self, sender: SenderKey) {
        if !self.entries.contains(&sender) {
            self.insert(sender, i64::MIN);
        }
    }

    pub fn answered(&mut self, sender: SenderKey, until_micros: i64) {
        self.insert(sender, until_micros);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    fn insert(&mut self, sender: SenderKey, until: i64) {
        self.entries.put(sender, until);
        while self.entries.len() > self.capacity {
            self.entries.pop_lru();
        }
    }
}

/// Recently decided provider message ids and their answer, for retries.
pub struct MessageCache {
    entries: LruCache<Arc<str>, bool>,
    capacity: usize,
}

impl MessageCache {
    pub fn new(capacity: usize) -> MessageCache {
        MessageCache { entries: LruCache::unbounded(), capacity: capacity.max(1) }
    }

    /// `Some(replied)` when this id was decided before.
    pub fn recall(&mut self, message_id: &str) -> Option<bool> {
        self.entries.get(message_id).copied()
    }

    pub fn remember(&mut self, message_id: Arc<str>, replied: bool) {
        self.entries.put(message_id, replied);
        while self.entries.len() > self.capacity {
            self.entries.pop_lru();
        }
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
    }

    #[test]
    fn message_cache_is_bounded_and_remembers_answers() {
        let mut cache = MessageCache::new(2);
        cache.remember(Arc::from("a"), true);
        cache.remember(Arc::from("b"), false);
        cache.remember(Arc::from("c"), false);
        assert_eq!(cache.recall("a"), None);
        assert_eq!(cache.recall("b"), Some(false));
    }
}
