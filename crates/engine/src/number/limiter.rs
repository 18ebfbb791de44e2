//! The number's local reply-rate limiter: `governor`'s GCRA, reading time
//! through our injectable clock (so tests and the simulator run on virtual time).

use std::num::NonZeroU32;
use std::sync::Arc;

use antirelou_domain::SharedClock;
use governor::clock::Clock as GovernorClockTrait;
use governor::nanos::Nanos;
use governor::{Quota, RateLimiter};

/// Governor's view of our clock.
#[derive(Clone, Debug)]
pub struct GovernorClock(SharedClock);

impl GovernorClock {
    pub fn new(clock: SharedClock) -> GovernorClock {
        GovernorClock(clock)
    }
}

impl GovernorClockTrait for GovernorClock {
    type Instant = Nanos;
    fn now(&self) -> Nanos {
        Nanos::from(self.0.now_micros().max(0) as u64 * 1_000)
    }
}

/// At most `max_replies_per_minute` candidate replies per minute, locally.
pub type ReplyLimiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    GovernorClock,
    governor::middleware::NoOpMiddleware<Nanos>,
>;

/// A limiter of `per_minute` (at least 1) on `clock`.
pub fn reply_limiter(per_minute: u32, clock: &SharedClock) -> ReplyLimiter {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    RateLimiter::direct_with_clock(Quota::per_minute(per_minute), GovernorClock(Arc::clone(clock)))
}
