//! Accounting periods (day, month) in the ledger's timezone, and durations
//! written the way operators write them (`"30d"`, `"1h"`, `"90s"`).

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The day and month an instant falls in, in one timezone, with the instants
/// at which they end. Caps reset at these boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Periods {
    /// `YYYY-MM-DD` in the ledger timezone.
    pub day: String,
    /// `YYYY-MM` in the ledger timezone.
    pub month: String,
    pub day_ends_micros: i64,
    pub month_ends_micros: i64,
}

impl Periods {
    pub fn at(now: DateTime<Utc>, timezone: Tz) -> Periods {
        let local = now.with_timezone(&timezone);
        let date = local.date_naive();
        let next_day = date.succ_opt().unwrap_or(date);
        let first_of_month = date.with_day(1).unwrap_or(date);
        let next_month = if date.month() == 12 {
            NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1)
        }
        .unwrap_or(first_of_month);
        Periods {
            day: date.format("%Y-%m-%d").to_string(),
            month: date.format("%Y-%m").to_string(),
            day_ends_micros: local_midnight_micros(next_day, timezone),
            month_ends_micros: local_midnight_micros(next_month, timezone),
        }
    }
}

/// The first instant of `date` in `timezone` (midnight, or the first valid
/// instant after it when a DST change skips midnight).
fn local_midnight_micros(date: NaiveDate, timezone: Tz) -> i64 {
    let mut naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        match timezone.from_local_datetime(&naive) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc).timestamp_micros(),
            LocalResult::None => naive += chrono::Duration::minutes(30),
        }
    }
    Utc.from_utc_datetime(&naive).timestamp_micros()
}

/// Why a duration string is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a duration (use a number and a unit s, m, h or d, e.g. \"30d\"): {0:?}")]
pub struct DurationError(pub String);

/// Parses `"90s"`, `"15m"`, `"1h"`, `"30d"` (or combinations like `"1h30m"`) into seconds.
pub fn parse_duration(text: &str) -> Result<u64, DurationError> {
    let error = || DurationError(text.to_owned());
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(error());
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in trimmed.chars() {
        if let Some(d) = c.to_digit(10) {
            number =
                Some(number.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(u64::from(d))).ok_or_else(error)?);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(error()),
        };
        let n = number.take().ok_or_else(error)?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(error)?;
    }
    if number.is_some() {
        return Err(error());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_ledger_timezone() {
        // 23:30 UTC on 31 Dec is already 1 Jan in Paris.
        let now = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        let paris = Periods::at(now, chrono_tz::Europe::Paris);
        assert_eq!(paris.day, "2027-01-01");
        assert_eq!(paris.month, "2027-01");
        let utc = Periods::at(now, chrono_tz::UTC);
        assert_eq!(utc.day, "2026-12-31");
        assert_eq!(utc.day_ends_micros, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap().timestamp_micros());
        assert_eq!(utc.month_ends_micros, utc.day_ends_micros);
    }

    #[test]
    fn day_end_is_local_midnight() {
        let now = Utc.with_ymd_and_hms(2026, 7, 10, 12, 0, 0).unwrap();
        let paris = Periods::at(now, chrono_tz::Europe::Paris);
        // Paris is UTC+2 in July: local midnight is 22:00 UTC.
        assert_eq!(paris.day_ends_micros, Utc.with_ymd_and_hms(2026, 7, 10, 22, 0, 0).unwrap().timestamp_micros());
        assert_eq!(paris.month_ends_micros, Utc.with_ymd_and_hms(2026, 7, 31, 22, 0, 0).unwrap().timestamp_micros());
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400));
        assert_eq!(parse_duration("1h"), Ok(3_600));
        assert_eq!(parse_duration("1h30m"), Ok(5_400));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("3x").is_err());
        assert!(parse_duration("").is_err());
    }
}
