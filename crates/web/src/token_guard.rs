//! Wrong bearer tokens, limited: the `/v1` API's `Authorization: Bearer`
//! and the console's sign-in both check a token through
//! [`TokenGuard::check`], which counts each wrong one against the client
//! address (IPv6 by its /64, as connections are counted) and against the
//! token's first [`TOKEN_PREFIX_CHARS`] characters (many addresses trying
//! variations of one token). Either count at its limit refuses the next
//! attempt (`429`) *without checking the token*, right or wrong, so a guess
//! learns nothing while limited; a right token never counts.
//!
//! Each count is a leaky bucket ([`FailureCounts`]): a burst of
//! [`TOKEN_FAILURES_BURST`] wrong tokens, then one every
//! [`TOKEN_FAILURE_EVERY_SECONDS`]. At most [`MAX_REMEMBERED`] addresses and
//! as many prefixes are remembered; the empty buckets are forgotten first,
//! and while both maps are full of live buckets a new key is not recorded
//! (the per-address bucket of an attacker already known stays).
//!
//! Prefixes are kept as keyed hashes (a random key per process): no part of
//! a token presented, right or wrong, stays in memory. Refusals are counted
//! in `antirelou_token_refusals_total{surface,reason}`.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use antirelou_domain::{micros, SharedClock};
use prometheus::IntCounterVec;

use crate::client_address::block_of;

/// Wrong tokens one client address (or one token prefix) may present at once.
pub const TOKEN_FAILURES_BURST: u32 = 10;
/// Then one more wrong token every this many seconds (10 a minute).
pub const TOKEN_FAILURE_EVERY_SECONDS: i64 = 6;
/// Characters of a presented token that make its prefix.
pub const TOKEN_PREFIX_CHARS: usize = 6;
/// Addresses (and, apart, prefixes) remembered at most.
pub const MAX_REMEMBERED: usize = 10_000;

pub const TOKEN_REFUSALS_TOTAL: &str = "antirelou_token_refusals_total";

/// Where a token was presented (the `surface` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// `Authorization: Bearer` on `/v1`.
    Api,
    /// The console's sign-in form.
    Console,
}

impl Surface {
    pub const ALL: [Surface; 2] = [Surface::Api, Surface::Console];

    pub const fn as_str(self) -> &'static str {
        match self {
            Surface::Api => "api",
            Surface::Console => "console",
        }
    }
}

/// Why a token opened nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    /// No caller has this token (counted against the address and prefix).
    Unknown,
    /// Too many wrong tokens from this address or with this prefix: not
    /// checked; try again after this many seconds.
    Limited { retry_after_seconds: u64 },
}

impl TokenRefusal {
    pub const REASONS: [&'static str; 2] = ["unknown", "limited"];

    /// The `reason` label.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenRefusal::Unknown => "unknown",
            TokenRefusal::Limited { .. } => "limited",
        }
    }
}

/// The per-address and per-prefix counts of wrong tokens, and their metric.
pub struct TokenGuard {
    clock: SharedClock,
    addresses: Mutex<FailureCounts<IpAddr>>,
    prefixes: Mutex<FailureCounts<u64>>,
    prefix_key: RandomState,
    refused: IntCounterVec,
}

impl TokenGuard {
    /// A guard with its metric registered in `prometheus` (every series at 0).
    pub fn new(prometheus: &prometheus::Registry, clock: &SharedClock) -> Result<TokenGuard, prometheus::Error> {
        let refused = IntCounterVec::new(
            prometheus::Opts::new(
                TOKEN_REFUSALS_TOTAL,
                "Bearer tokens that opened nothing, by surface (api, console) and reason (unknown: no such \
                 token; limited: not checked, too many wrong tokens from the address or with the prefix).",
            ),
            &["surface", "reason"],
        )?;
        prometheus.register(Box::new(refused.clone()))?;
        for surface in Surface::ALL {
            for reason in TokenRefusal::REASONS {
                refused.with_label_values(&[surface.as_str(), reason]);
            }
        }
        Ok(TokenGuard {
            clock: std::sync::Arc::clone(clock),
            addresses: Mutex::new(FailureCounts::default()),
            prefixes: Mutex::new(FailureCounts::default()),
            prefix_key: RandomState::new(),
            refused,
        })
    }

    /// The caller `verify` finds for `token`, presented on `surface` from
    /// `peer`, unless the address or the token's prefix is limited (then
    /// `verify` is not called). An empty token is no guess: refused
    /// `Unknown`, not counted against anything.
    pub fn check<C>(
        &self,
        surface: Surface,
        peer: Option<IpAddr>,
        token: &str,
        verify: impl FnOnce(&str) -> Option<C>,
    ) -> Result<C, TokenRefusal> {
        if token.is_empty() {
            return Err(TokenRefusal::Unknown);
        }
        let now = self.clock.now_micros();
        let address = peer.map(block_of);
        let prefix = self.prefix_of(token);
        let wait = address
            .map_or(0, |a| lock(&self.addresses).wait_micros(&a, now))
            .max(lock(&self.prefixes).wait_micros(&prefix, now));
        if wait > 0 {
            let refusal = TokenRefusal::Limited { retry_after_seconds: seconds_up(wait) };
            return Err(self.count(surface, refusal));
        }
        if let Some(caller) = verify(token) {
            return Ok(caller);
        }
        if let Some(address) = address {
            lock(&self.addresses).fail(address, now);
        }
        lock(&self.prefixes).fail(prefix, now);
        Err(self.count(surface, TokenRefusal::Unknown))
    }

    /// Counts a refusal that happened outside [`check`](Self::check) (the
    /// operator token on the public listener is refused after it).
    pub fn count(&self, surface: Surface, refusal: TokenRefusal) -> TokenRefusal {
        self.refused.with_label_values(&[surface.as_str(), refusal.as_str()]).inc();
        refusal
    }

    fn prefix_of(&self, token: &str) -> u64 {
        let end = token.char_indices().nth(TOKEN_PREFIX_CHARS).map_or(token.len(), |(i, _)| i);
        self.prefix_key.hash_one(&token[..end])
    }
}

/// A leaky bucket per key (GCRA): each failure adds
/// [`TOKEN_FAILURE_EVERY_SECONDS`] to the key's "full until" time; a key is
/// limited while that time is more than `BURST - 1` intervals ahead.
struct FailureCounts<K> {
    full_until: HashMap<K, i64>,
}

impl<K> Default for FailureCounts<K> {
    fn default() -> Self {
        FailureCounts { full_until: HashMap::new() }
    }
}

impl<K: Hash + Eq> FailureCounts<K> {
    const INTERVAL: i64 = micros::from_seconds(TOKEN_FAILURE_EVERY_SECONDS);
    const ALLOWANCE: i64 = (TOKEN_FAILURES_BURST as i64 - 1) * Self::INTERVAL;

    /// Microseconds before `key` may fail again (0: it may now).
    fn wait_micros(&self, key: &K, now: i64) -> i64 {
        self.full_until.get(key).map_or(0, |until| (until - now - Self::ALLOWANCE).max(0))
    }

    /// One failure of `key` at `now`.
    fn fail(&mut self, key: K, now: i64) {
        if !self.full_until.contains_key(&key) && self.full_until.len() >= MAX_REMEMBERED {
            self.full_until.retain(|_, until| *until > now);
            if self.full_until.len() >= MAX_REMEMBERED {
                return;
            }
        }
        let until = self.full_until.entry(key).or_insert(now);
        *until = (*until).max(now).saturating_add(Self::INTERVAL);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding this lock cannot leave a count half-written.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn seconds_up(wait_micros: i64) -> u64 {
    u64::try_from(micros::to_seconds(wait_micros.saturating_add(999_999))).unwrap_or(0).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use antirelou_domain::ManualClock;
    use std::sync::Arc;

    fn guard() -> (TokenGuard, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::starting_at(chrono::DateTime::UNIX_EPOCH));
        clock.set_micros(1_000_000_000_000);
        let shared: SharedClock = clock.clone();
        (TokenGuard::new(&prometheus::Registry::new(), &shared).unwrap(), clock)
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    fn right(token: &str) -> Option<&'static str> {
        (token == "the-right-token-Zq81").then_some("paris")
    }

    #[test]
    fn an_address_gets_ten_wrong_tokens_then_one_every_six_seconds_and_even_the_right_one_waits() {
        let (guard, clock) = guard();
        for i in 0..TOKEN_FAILURES_BURST {
            let wrong = format!("guess{i:02}-abcdefgh");
            assert_eq!(guard.check(Surface::Api, ip("203.0.113.7"), &wrong, right), Err(TokenRefusal::Unknown));
        }
        let limited = guard.check(Surface::Api, ip("203.0.113.7"), "the-right-token-Zq81", right);
        assert_eq!(limited, Err(TokenRefusal::Limited { retry_after_seconds: 6 }));
        assert_eq!(guard.check(Surface::Console, ip("203.0.113.8"), "the-right-token-Zq81", right), Ok("paris"));
        clock.advance_micros(6_000_000);
        assert_eq!(guard.check(Surface::Api, ip("203.0.113.7"), "the-right-token-Zq81", right), Ok("paris"));
    }

    #[test]
    fn every_address_of_one_ipv6_64_shares_one_count() {
        let (guard, _) = guard();
        for i in 0..TOKEN_FAILURES_BURST {
            let from = ip(&format!("2001:db8:7:7::{:x}", i + 1));
            assert_eq!(guard.check(Surface::Api, from, &format!("guess{i:02}-x"), right), Err(TokenRefusal::Unknown));
        }
        let other_address_same_64 = ip("2001:db8:7:7:ffff::1");
        assert!(matches!(
            guard.check(Surface::Api, other_address_same_64, "whatever-token", right),
            Err(TokenRefusal::Limited { .. })
        ));
        assert_eq!(guard.check(Surface::Api, ip("2001:db8:7:8::1"), "the-right-token-Zq81", right), Ok("paris"));
    }

    #[test]
    fn one_prefix_tried_from_many_addresses_is_limited_and_no_other_prefix_is() {
        let (guard, _) = guard();
        for i in 0..TOKEN_FAILURES_BURST {
            let from = ip(&format!("198.51.100.{i}"));
            let wrong = format!("the-ri{i:02}-suffix");
            assert_eq!(guard.check(Surface::Api, from, &wrong, right), Err(TokenRefusal::Unknown));
        }
        assert!(matches!(
            guard.check(Surface::Api, ip("192.0.2.1"), "the-right-token-Zq81", right),
            Err(TokenRefusal::Limited { .. })
        ));
        assert_eq!(guard.check(Surface::Api, ip("192.0.2.1"), "other-prefix", right), Err(TokenRefusal::Unknown));
    }

    #[test]
    fn a_right_token_and_an_empty_one_count_nothing() {
        let (guard, _) = guard();
        for _ in 0..100 {
            assert_eq!(guard.check(Surface::Api, ip("203.0.113.7"), "the-right-token-Zq81", right), Ok("paris"));
            assert_eq!(guard.check(Surface::Api, ip("203.0.113.7"), "", right), Err(TokenRefusal::Unknown));
        }
        assert!(lock(&guard.addresses).full_until.is_empty());
    }

    #[test]
    fn a_full_memory_forgets_empty_buckets_and_keeps_live_ones() {
        let mut counts = FailureCounts::<u32>::default();
        for key in 0..MAX_REMEMBERED as u32 {
            counts.fail(key, 0);
        }
        counts.fail(u32::MAX, 0);
        assert!(!counts.full_until.contains_key(&u32::MAX), "not recorded while every bucket is live");
        counts.fail(u32::MAX, FailureCounts::<u32>::INTERVAL);
        assert_eq!(counts.full_until.len(), 1, "the drained buckets were forgotten");
    }
}
