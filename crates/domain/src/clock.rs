//! Injectable time: the engine never reads the system clock directly, so tests
//! and the simulator can replay hours of traffic in seconds.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A source of wall-clock time in microseconds since the Unix epoch.
pub trait Clock: Send + Sync + Debug {
    fn now_micros(&self) -> i64;

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.now_micros()).unwrap_or_default()
    }

    fn now_seconds(&self) -> i64 {
        crate::micros::to_seconds(self.now_micros())
    }
}

/// A clock shared by every actor of one engine.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> i64 {
        Utc::now().timestamp_micros()
    }
}

/// A clock that only moves when told to (tests, the virtual-time simulator).
#[derive(Debug, Default)]
pub struct ManualClock {
    micros: AtomicI64,
}

impl ManualClock {
    pub fn starting_at(start: DateTime<Utc>) -> ManualClock {
        ManualClock { micros: AtomicI64::new(start.timestamp_micros()) }
    }

    pub fn set_micros(&self, micros: i64) {
        self.micros.store(micros, Ordering::SeqCst);
    }

    pub fn advance_micros(&self, delta: i64) {
        self.micros.fetch_add(delta, Ordering::SeqCst);
    }

    pub fn advance_seconds(&self, seconds: i64) {
        self.advance_micros(crate::micros::from_seconds(seconds));
    }
}

impl Clock for ManualClock {
    fn now_micros(&self) -> i64 {
        self.micros.load(Ordering::SeqCst)
    }
}

/// Our clock as `governor`'s: the GCRA limiters (a number's reply rate,
/// console sign-ins, donation read-backs) run on the injected time too.
#[derive(Clone, Debug)]
pub struct GovernorClock(SharedClock);

impl GovernorClock {
    pub fn new(clock: SharedClock) -> GovernorClock {
        GovernorClock(clock)
    }
}

impl governor::clock::Clock for GovernorClock {
    type Instant = governor::nanos::Nanos;

    fn now(&self) -> governor::nanos::Nanos {
        governor::nanos::Nanos::from(self.0.now_micros().max(0) as u64 * 1_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = ManualClock::starting_at(start);
        assert_eq!(clock.now(), start);
        clock.advance_seconds(90);
        assert_eq!(clock.now_seconds(), 1_700_000_090);
        clock.set_micros(5);
        assert_eq!(clock.now_micros(), 5);
    }
}
