//! The report's first lines, for a person: who was answered, where the
//! money went, when and why the others were not. The figures behind them
//! (`Story`, in `report.json` as `story`) come from the delivered replies
//! and the traffic's ground truth, like the rest of the report.

use std::collections::{BTreeMap, HashMap};

use antirelou_domain::{Money, Periods};
use chrono::DateTime;
use serde::Serialize;

use crate::replies::{Delivery, Reply};
use crate::report::RunRecords;
use crate::traffic::{Group, Traffic};

/// Which cap stopped the replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cap {
    /// The number's `daily_cap`.
    Daily,
    /// The tenant's `monthly_cap`.
    Monthly,
}

/// What the sentences say, as figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Story {
    /// The instant of the reply after which a cap could not pay one more
    /// (RFC 3339); `null` when the caps were never reached.
    pub money_ran_out_at: Option<String>,
    pub money_ran_out_cap: Option<Cap>,
    /// Genuine senders answered through the send API, after a judgement.
    pub genuine_answered_later: u64,
    /// Genuine senders not answered who first wrote once the money of that
    /// day (or month) had run out.
    pub genuine_unanswered_after_money: u64,
    /// Genuine senders not answered who first wrote while money was left.
    pub genuine_unanswered_before_money: u64,
    #[serde(skip)]
    pub money_ran_out_micros: Option<i64>,
}

impl Story {
    /// `replies` are [`crate::replies::delivered`] (time order).
    pub fn new(traffic: &Traffic, run: &RunRecords, replies: &[Reply]) -> Story {
        let ran_out = RanOut::find(run, replies);
        let mut first_message: HashMap<u32, i64> = HashMap::new();
        for message in traffic.messages.iter().filter(|m| traffic.group_of(m) == Group::Genuine) {
            first_message.entry(message.sender).or_insert(message.at_micros);
        }
        let mut first_reply: HashMap<u32, Delivery> = HashMap::new();
        for reply in replies {
            if let Some(sender) = reply.sender.filter(|s| first_message.contains_key(s)) {
                first_reply.entry(sender).or_insert(reply.delivery);
            }
        }
        let later = first_reply.values().filter(|d| matches!(d, Delivery::Sent { .. })).count() as u64;
        let (mut after, mut before) = (0, 0);
        for (sender, at) in &first_message {
            if first_reply.contains_key(sender) {
                continue;
            }
            if ran_out.covers(*at, run) {
                after += 1;
            } else {
                before += 1;
            }
        }
        let first = ran_out.first;
        Story {
            money_ran_out_at: first.map(|(at, _)| rfc3339(at)),
            money_ran_out_cap: first.map(|(_, cap)| cap),
            genuine_answered_later: later,
            genuine_unanswered_after_money: after,
            genuine_unanswered_before_money: before,
            money_ran_out_micros: first.map(|(at, _)| at),
        }
    }
}

/// When each day's and each month's money ran out.
#[derive(Default)]
struct RanOut {
    /// Day (`YYYY-MM-DD`, ledger timezone) → the instant.
    days: BTreeMap<String, i64>,
    months: BTreeMap<String, i64>,
    first: Option<(i64, Cap)>,
}

impl RanOut {
    fn find(run: &RunRecords, replies: &[Reply]) -> RanOut {
        let cost = run.reply_cost.micros();
        let mut ran_out = RanOut::default();
        if cost <= 0 {
            return ran_out;
        }
        let monthly = match (run.monthly_cap, run.deployment_monthly_cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let (mut per_day, mut per_month) = (BTreeMap::<String, i64>::new(), BTreeMap::<String, i64>::new());
        for reply in replies {
            let periods =
                Periods::at(DateTime::from_timestamp_micros(reply.at_micros).unwrap_or_default(), run.timezone);
            let day = per_day.entry(periods.day.clone()).or_default();
            *day += cost;
            let month = per_month.entry(periods.month.clone()).or_default();
            *month += cost;
            let spent = |cap: Option<Money>, spent: i64| cap.is_some_and(|cap| cap.micros() - spent < cost);
            if spent(run.daily_cap, *day) && !ran_out.days.contains_key(&periods.day) {
                ran_out.days.insert(periods.day.clone(), reply.at_micros);
                ran_out.first.get_or_insert((reply.at_micros, Cap::Daily));
            }
            if spent(monthly, *month) && !ran_out.months.contains_key(&periods.month) {
                ran_out.months.insert(periods.month, reply.at_micros);
                ran_out.first.get_or_insert((reply.at_micros, Cap::Monthly));
            }
        }
        ran_out
    }

    /// Whether a sender who first wrote at `at` found no money left.
    fn covers(&self, at: i64, run: &RunRecords) -> bool {
        let periods = Periods::at(DateTime::from_timestamp_micros(at).unwrap_or_default(), run.timezone);
        let after = |when: Option<&i64>| when.is_some_and(|&when| at >= when);
        after(self.days.get(&periods.day)) || after(self.months.get(&periods.month))
    }
}

fn rfc3339(at: i64) -> String {
    DateTime::from_timestamp_micros(at).unwrap_or_default().to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(daily: &str) -> RunRecords {
        RunRecords {
            reply_cost: Money::parse("0.16").unwrap(),
            daily_cap: Some(Money::parse(daily).unwrap()),
            timezone: chrono_tz::Europe::Paris,
            ..RunRecords::default()
        }
    }

    fn reply(at: i64) -> Reply {
        Reply { at_micros: at, sender: None, delivery: Delivery::Inline { message: 0 } }
    }

    /// 2026-03-02 12:00 Paris plus `minutes`.
    fn noon(minutes: i64) -> i64 {
        1_772_449_200_000_000 + minutes * 60_000_000
    }

    #[test]
    fn the_money_runs_out_at_the_reply_after_which_the_cap_cannot_pay_one_more() {
        // 0.50 pays for three replies of 0.16 (0.48): the third empties it.
        let replies: Vec<Reply> = (0..5).map(|m| reply(noon(m))).collect();
        let found = RanOut::find(&run("0.50"), &replies);
        assert_eq!(found.first, Some((noon(2), Cap::Daily)));
        assert!(found.covers(noon(2), &run("0.50")) && !found.covers(noon(1), &run("0.50")));
        assert!(!found.covers(noon(24 * 60), &run("0.50")), "the next day has its own money");
        assert_eq!(RanOut::find(&run("5.00"), &replies).first, None);
    }
}
