//! Time as the clocks and the ledgers count it: `i64` microseconds, since
//! the Unix epoch for an instant (`now_micros`, `expires_micros`) or as a
//! span. Every conversion from or to seconds goes through here, saturating
//! rather than overflowing, so that no `* 1_000_000` is written elsewhere.
//!
//! Money is micro-units too, but it is [`Money`](crate::Money): these
//! functions are for time only.

/// Microseconds in one second.
pub const PER_SECOND: i64 = 1_000_000;

/// `seconds` as microseconds.
pub const fn from_seconds(seconds: i64) -> i64 {
    seconds.saturating_mul(PER_SECOND)
}

/// `seconds` (an unsigned setting, such as `reply_once_per_seconds`) as microseconds.
pub const fn from_seconds_u64(seconds: u64) -> i64 {
    if seconds > i64::MAX as u64 {
        i64::MAX
    } else {
        from_seconds(seconds as i64)
    }
}

/// The instant `seconds` after `at`.
pub const fn after_seconds(at: i64, seconds: i64) -> i64 {
    at.saturating_add(from_seconds(seconds))
}

/// The whole seconds of `micros`, rounded down (also before 1970).
pub const fn to_seconds(micros: i64) -> i64 {
    micros.div_euclid(PER_SECOND)
}

/// The whole milliseconds of `micros`, rounded down.
pub const fn to_millis(micros: i64) -> i64 {
    micros.div_euclid(1_000)
}

/// `micros` in seconds as a float, for durations in reports, charts and
/// `_seconds` metrics.
pub fn to_seconds_f64(micros: i64) -> f64 {
    micros as f64 / PER_SECOND as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_convert_both_ways_rounding_down_and_saturating() {
        assert_eq!(from_seconds(90), 90_000_000);
        assert_eq!(from_seconds(i64::MAX), i64::MAX);
        assert_eq!(from_seconds_u64(u64::MAX), i64::MAX);
        assert_eq!(from_seconds_u64(3), 3_000_000);
        assert_eq!(after_seconds(5, 2), 2_000_005);
        assert_eq!(after_seconds(i64::MAX - 1, 1), i64::MAX);
        assert_eq!(to_seconds(1_999_999), 1);
        assert_eq!(to_seconds(-1), -1, "an instant before 1970 belongs to the second before");
        assert_eq!(to_millis(2_500), 2);
        assert_eq!(to_seconds_f64(1_500_000), 1.5);
    }
}
