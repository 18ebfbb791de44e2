//! [`ReadBackGuard`]: what keeps an unsigned notification route from
//! becoming a way to hammer a platform's API or our memory. Per tenant
//! account: a rate of read-backs (GCRA, `governor`, on the injected clock),
//! a bound on read-backs at once, and a bounded memory of lasting refusals
//! (a payment of another organisation stays so), so that a replayed foreign
//! payment id is answered without asking again.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use antirelou_domain::{micros, GovernorClock, SharedClock};
use governor::{Quota, RateLimiter};
use schnellru::{ByLength, LruMap};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::result::DonationResult;

/// The bounds of one account's read-backs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardLimits {
    /// Read-backs per minute, in a steady flow.
    pub per_minute: u32,
    /// Read-backs allowed at once after a quiet time.
    pub burst: u32,
    /// Read-backs in progress at once.
    pub at_once: usize,
    /// Lasting refusals remembered (the oldest forgotten first).
    pub remembered: u32,
    /// How long a lasting refusal is remembered.
    pub remember_for_seconds: i64,
}

impl Default for GuardLimits {
    fn default() -> GuardLimits {
        GuardLimits {
            // A collective receives a few donations a day; even a gala's
            // evening stays far below one a second.
            per_minute: 30,
            burst: 10,
            at_once: 4,
            remembered: 4_096,
            remember_for_seconds: 3_600,
        }
    }
}

type Limiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    GovernorClock,
    governor::middleware::NoOpMiddleware<governor::nanos::Nanos>,
>;

/// One account's read-back bounds.
pub struct ReadBackGuard {
    limiter: Limiter,
    at_once: Arc<Semaphore>,
    refusals: Mutex<LruMap<String, (DonationResult, i64), ByLength>>,
    remember_for_micros: i64,
    clock: SharedClock,
}

impl ReadBackGuard {
    pub fn new(limits: GuardLimits, clock: SharedClock) -> ReadBackGuard {
        let per_minute = NonZeroU32::new(limits.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        ReadBackGuard {
            limiter: RateLimiter::direct_with_clock(quota, GovernorClock::new(Arc::clone(&clock))),
            at_once: Arc::new(Semaphore::new(limits.at_once.max(1))),
            refusals: Mutex::new(LruMap::new(ByLength::new(limits.remembered.max(1)))),
            remember_for_micros: micros::from_seconds(limits.remember_for_seconds),
            clock,
        }
    }

    /// A read-back may start now: the permit to hold while it runs, or
    /// `None` when the rate or the bound at once is reached.
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        let permit = Arc::clone(&self.at_once).try_acquire_owned().ok()?;
        self.limiter.check().ok()?;
        Some(permit)
    }

    /// The lasting refusal remembered for `payment_id`, if any.
    pub fn remembered(&self, payment_id: &str) -> Option<DonationResult> {
        let now = self.clock.now_micros();
        let mut refusals = self.refusals.lock().unwrap_or_else(PoisonError::into_inner);
        match refusals.get(payment_id) {
            Some((result, until)) if now < *until => Some(*result),
            Some(_) => {
                refusals.remove(payment_id);
                None
            }
            None => None,
        }
    }

    /// Remembers `result` for `payment_id` if it is a lasting refusal.
    pub fn remember(&self, payment_id: &str, result: DonationResult) {
        if !result.is_lasting_refusal() {
            return;
        }
        let until = self.clock.now_micros().saturating_add(self.remember_for_micros);
        self.refusals.lock().unwrap_or_else(PoisonError::into_inner).insert(payment_id.to_owned(), (result, until));
    }
}

#[cfg(test)]
mod tests {
    use antirelou_domain::ManualClock;

    use super::*;

    fn clock() -> Arc<ManualClock> {
        let clock = ManualClock::default();
        clock.set_micros(1_795_867_200_000_000);
        Arc::new(clock)
    }

    fn guard(clock: &Arc<ManualClock>) -> ReadBackGuard {
        let limits = GuardLimits { per_minute: 6, burst: 3, at_once: 2, remembered: 2, remember_for_seconds: 60 };
        ReadBackGuard::new(limits, Arc::clone(clock) as SharedClock)
    }

    #[test]
    fn read_backs_are_limited_by_rate_and_by_how_many_run_at_once() {
        let clock = clock();
        let guard = guard(&clock);
        let first = guard.admit().expect("first");
        let second = guard.admit().expect("second");
        assert!(guard.admit().is_none(), "two at once at most");
        drop((first, second));
        assert!(guard.admit().is_some(), "the burst of three");
        assert!(guard.admit().is_none(), "the burst is spent");
        clock.advance_micros(10_000_000);
        assert!(guard.admit().is_some(), "one more every ten seconds");
        assert!(guard.admit().is_none());
    }

    #[test]
    fn only_lasting_refusals_are_remembered_for_a_while_and_memory_is_bounded() {
        let clock = clock();
        let guard = guard(&clock);
        guard.remember("1", DonationResult::OtherAccount);
        guard.remember("2", DonationResult::UnknownPayment);
        guard.remember("3", DonationResult::NotAuthorized);
        assert_eq!(guard.remembered("1"), Some(DonationResult::OtherAccount));
        assert_eq!((guard.remembered("2"), guard.remembered("3")), (None, None));
        guard.remember("4", DonationResult::FormNotListed);
        guard.remember("5", DonationResult::WrongCurrency);
        assert_eq!(guard.remembered("1"), None, "two remembered at most, the oldest forgotten");
        clock.advance_micros(60_000_000);
        assert_eq!(guard.remembered("5"), None, "forgotten after remember_for");
    }
}
