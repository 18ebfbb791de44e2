//! What genuine senders got: how many were answered, how long after their
//! first message, and how many replies the caps could have paid for them
//! at best (`affordable_replies`), the yardstick of "genuine answered".

use antirelou_domain::micros;
use std::collections::{BTreeMap, HashMap};

use antirelou_domain::Periods;
use serde::Serialize;

use crate::replies::Reply;
use crate::report::RunRecords;
use crate::traffic::{Group, Traffic};

/// Seconds from a genuine sender's first message to the reply they got.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DelaySeconds {
    pub p50: f64,
    pub p90: f64,
    pub max: f64,
}

/// Genuine senders' figures of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct GenuineReach {
    /// Genuine senders who got at least one reply.
    pub answered: u64,
    /// `None` when no genuine sender was answered.
    pub delay: Option<DelaySeconds>,
    pub affordable_replies: u64,
}

impl GenuineReach {
    /// `replies` are [`crate::replies::delivered`] (time order).
    pub fn new(traffic: &Traffic, run: &RunRecords, replies: &[Reply]) -> GenuineReach {
        let mut first_message: HashMap<u32, i64> = HashMap::new();
        for message in traffic.messages.iter().filter(|m| traffic.group_of(m) == Group::Genuine) {
            first_message.entry(message.sender).or_insert(message.at_micros);
        }
        let mut first_reply: HashMap<u32, i64> = HashMap::new();
        for reply in replies {
            if let Some(sender) = reply.sender.filter(|s| first_message.contains_key(s)) {
                first_reply.entry(sender).or_insert(reply.at_micros);
            }
        }
        let mut delays_micros: Vec<i64> =
            first_reply.iter().map(|(sender, at)| (at - first_message[sender]).max(0)).collect();
        delays_micros.sort_unstable();
        let delay = (!delays_micros.is_empty()).then(|| {
            let seconds = micros::to_seconds_f64;
            DelaySeconds {
                p50: seconds(nearest_rank(&delays_micros, 0.50)),
                p90: seconds(nearest_rank(&delays_micros, 0.90)),
                max: seconds(delays_micros[delays_micros.len() - 1]),
            }
        });
        GenuineReach {
            answered: first_reply.len() as u64,
            delay,
            affordable_replies: affordable_replies(first_message.values().copied(), run),
        }
    }
}

/// The most genuine senders the caps let a number answer: on each day, the
/// genuine senders who first wrote that day, up to the replies the daily
/// cap pays for; then, per month, up to what the monthly caps pay for.
/// Without caps (or with free replies): every genuine sender.
pub fn affordable_replies(first_messages: impl Iterator<Item = i64>, run: &RunRecords) -> u64 {
    let mut per_day: BTreeMap<(String, String), u64> = BTreeMap::new();
    for at in first_messages {
        let periods = Periods::at(chrono::DateTime::from_timestamp_micros(at).unwrap_or_default(), run.timezone);
        *per_day.entry((periods.month, periods.day)).or_default() += 1;
    }
    let cost = run.reply_cost.micros();
    let replies_within = |cap: Option<antirelou_domain::Money>| match cap {
        Some(cap) if cost > 0 => u64::try_from(cap.micros() / cost).unwrap_or(0),
        _ => u64::MAX,
    };
    let daily = replies_within(run.daily_cap);
    let monthly = replies_within(run.monthly_cap).min(replies_within(run.deployment_monthly_cap));
    let mut per_month: BTreeMap<String, u64> = BTreeMap::new();
    for ((month, _), senders) in per_day {
        *per_month.entry(month).or_default() += senders.min(daily);
    }
    per_month.values().map(|&n| n.min(monthly)).sum()
}

/// Nearest-rank percentile of sorted, non-empty values.
fn nearest_rank(sorted: &[i64], q: f64) -> i64 {
    let index = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

#[cfg(test)]
mod tests {
    use antirelou_domain::Money;

    use super::*;

    fn run(daily: Option<&str>, monthly: Option<&str>) -> RunRecords {
        RunRecords {
            reply_cost: Money::parse("0.16").unwrap(),
            daily_cap: daily.map(|c| Money::parse(c).unwrap()),
            monthly_cap: monthly.map(|c| Money::parse(c).unwrap()),
            timezone: chrono_tz::Europe::Paris,
            ..RunRecords::default()
        }
    }

    /// 2026-03-02 12:00 Paris plus `days`.
    fn noon(days: i64) -> i64 {
        1_772_449_200_000_000 + days * 86_400_000_000
    }

    #[test]
    fn affordable_replies_are_bounded_by_each_day_and_each_month() {
        let flood_2017 = std::iter::repeat_n(noon(0), 300);
        assert_eq!(affordable_replies(flood_2017, &run(Some("20.00"), Some("100.00"))), 125);
        // 300 on the first day, 10 on each of three more: 125 + 3 x 10.
        let days = std::iter::repeat_n(noon(0), 300).chain((1..=3).flat_map(|d| std::iter::repeat_n(noon(d), 10)));
        assert_eq!(affordable_replies(days.clone(), &run(Some("20.00"), Some("100.00"))), 155);
        // A monthly cap of 24.00 pays for 150 replies in March.
        assert_eq!(affordable_replies(days.clone(), &run(Some("20.00"), Some("24.00"))), 150);
        assert_eq!(affordable_replies(days, &run(None, None)), 330);
        assert_eq!(affordable_replies(std::iter::empty(), &run(Some("20.00"), None)), 0);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!((nearest_rank(&values, 0.5), nearest_rank(&values, 0.9)), (5, 9));
        assert_eq!(nearest_rank(&[7], 0.9), 7);
    }
}
