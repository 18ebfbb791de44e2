//! The number's local reply-rate limiter: `governor`'s GCRA, reading time
//! through our injectable clock (so tests and the simulator run on virtual time).

use std::num::NonZeroU32;
use std::sync::Arc;

use antirelou_domain::GovernorClock;
use antirelou_domain::SharedClock;
use governor::nanos::Nanos;
use governor::{Quota, RateLimiter};

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
    RateLimiter::direct_with_clock(Quota::per_minute(per_minute), GovernorClock::new(Arc::clone(clock)))
}
