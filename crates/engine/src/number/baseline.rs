//! [`BaselineTracker`]: one number's baseline as its state sees it — the
//! ordinary day last merged with the ledger's, this replica's counts not
//! merged yet, and whether the number is under pressure
//! (`antirelou_domain::baseline`, docs/shield.md "The baseline"). A plain
//! value: the actor merges the counts into the ledger (`actor/baseline.rs`).

use antirelou_domain::baseline::{BaselineCounts, LocalHour, NumberBaseline, Pressure, PressureInput, HOURS};
use antirelou_domain::micros;
use chrono::{DateTime, Utc};

use super::caches::SenderMemory;
use super::judge;
use crate::alerts::ShieldCause;
use crate::policy::NumberPolicy;

/// Hours of counts kept while the ledger does not take them (two days).
pub const UNSYNCED_HOURS: usize = 48;

/// Replies the day's money affords (`None`: no cap, or replies cost nothing).
fn day_replies(policy: &NumberPolicy) -> Option<u64> {
    let cost = policy.reply_cost.micros();
    judge::day_money(&policy.judge.caps)
        .filter(|_| cost > 0)
        .map(|money| u64::try_from(money.micros() / cost).unwrap_or(0))
}

/// A number's baseline, its unmerged counts and its pressure.
#[derive(Debug)]
pub struct BaselineTracker {
    /// The ordinary day, as last merged with the ledger's.
    baseline: NumberBaseline,
    /// Counts of this replica not yet in the ledger's baseline, by hour.
    unsynced: Vec<BaselineCounts>,
    /// The local hour of the minute last asked (minute index, hour).
    local: (i64, LocalHour),
    /// Why the number is under pressure, as last evaluated.
    pressure: Option<Pressure>,
}

impl BaselineTracker {
    /// The prior of a new number, until the ledger's baseline is read.
    pub fn new(policy: &NumberPolicy, now: DateTime<Utc>) -> BaselineTracker {
        let local = LocalHour::at(now, policy.timezone);
        BaselineTracker {
            baseline: NumberBaseline::prior(local.day),
            unsynced: Vec::new(),
            local: (i64::MIN, local),
            pressure: None,
        }
    }

    pub fn baseline(&self) -> &NumberBaseline {
        &self.baseline
    }

    /// Why the number was under pressure at the last evaluation.
    pub fn pressure(&self) -> Option<Pressure> {
        self.pressure
    }

    /// The local day at `now_micros` (the ledger's timezone).
    pub fn local_day(&mut self, policy: &NumberPolicy, now_micros: i64) -> i32 {
        self.local_hour(policy, now_micros).day
    }

    /// Counts one arrival (not a replay): a new sender, a message of a
    /// sender not answered yet, or an answered sender writing again.
    pub fn count(&mut self, policy: &NumberPolicy, now_micros: i64, memory: SenderMemory) {
        let at = self.local_hour(policy, now_micros);
        let same_hour = matches!(self.unsynced.last(), Some(c) if c.day == at.day && c.hour == at.hour);
        if !same_hour {
            if self.unsynced.len() >= UNSYNCED_HOURS {
                self.unsynced.remove(0);
            }
            self.unsynced.push(BaselineCounts { day: at.day, hour: at.hour, ..BaselineCounts::default() });
        }
        let Some(counts) = self.unsynced.last_mut() else { return };
        match memory {
            SenderMemory::Unknown => {
                counts.new_senders = counts.new_senders.saturating_add(1);
                counts.messages = counts.messages.saturating_add(1);
            }
            SenderMemory::Seen => counts.messages = counts.messages.saturating_add(1),
            SenderMemory::AnsweredUntil(_) => counts.returns = counts.returns.saturating_add(1),
            SenderMemory::OptedOut => {}
        }
    }

    /// The pressure rules at `now_micros`, given this replica's new senders
    /// of the last hour; remembered for [`pressure`](Self::pressure).
    pub fn evaluate(&mut self, policy: &NumberPolicy, now_micros: i64, new_senders_last_hour: u32) -> Option<Pressure> {
        let at = self.local_hour(policy, now_micros);
        self.baseline.roll_to(at.day);
        let unsynced_new_senders = self.unsynced.iter().filter(|c| c.day == at.day).map(|c| c.new_senders).sum();
        let day_replies = day_replies(policy);
        self.pressure = self.baseline.pressure(&PressureInput {
            at,
            new_senders_last_hour,
            unsynced_new_senders,
            day_replies,
            traffic_factor: policy.shield.baseline_factor,
            money_margin_percent: policy.shield.money_margin_percent,
        });
        self.pressure
    }

    /// The figures a shield raised now for `cause` is explained with: the
    /// ordinary hour, today's new senders and, for the money rule, when the
    /// day's money would be gone at today's pace.
    pub fn figures(&mut self, policy: &NumberPolicy, now_micros: i64, cause: &'static str) -> ShieldCause {
        let at = self.local_hour(policy, now_micros);
        let hour = usize::from(at.hour);
        let ordinary = self.baseline.ordinary_hour(hour).max(self.baseline.ordinary_hour(hour + HOURS - 1));
        let unsynced: u32 = self.unsynced.iter().filter(|c| c.day == at.day).map(|c| c.new_senders).sum();
        let today = if at.day == self.baseline.day { self.baseline.today_new_senders() } else { 0 };
        let new_senders_today = today.saturating_add(unsynced);
        let day_replies = day_replies(policy);
        let now = micros::to_seconds(now_micros);
        let elapsed = i64::from(at.hour) * 3_600 + i64::from(at.minute) * 60 + now.rem_euclid(60);
        let money_gone_at = match day_replies {
            Some(replies) if cause == Pressure::Money.as_str() && new_senders_today > 0 => {
                let spend_all =
                    elapsed.saturating_mul(i64::try_from(replies).unwrap_or(i64::MAX)) / i64::from(new_senders_today);
                Some((now - elapsed).saturating_add(spend_all).max(now))
            }
            _ => None,
        };
        ShieldCause { cause, ordinary_hour: ordinary.round() as u32, new_senders_today, money_gone_at }
    }

    /// The counts not yet merged into the ledger's baseline, taken to merge them.
    pub fn take_counts(&mut self) -> Vec<BaselineCounts> {
        std::mem::take(&mut self.unsynced)
    }

    /// The ledger's baseline with this replica's counts merged in.
    pub fn synced(&mut self, merged: NumberBaseline) {
        if merged.day >= self.baseline.day {
            self.baseline = merged;
        }
    }

    /// Counts the ledger did not take, kept for the next try (the newest
    /// [`UNSYNCED_HOURS`] hours).
    pub fn not_synced(&mut self, mut counts: Vec<BaselineCounts>) {
        counts.append(&mut self.unsynced);
        let excess = counts.len().saturating_sub(UNSYNCED_HOURS);
        counts.drain(..excess);
        self.unsynced = counts;
    }

    /// The local hour of `now_micros`, computed once a minute.
    fn local_hour(&mut self, policy: &NumberPolicy, now_micros: i64) -> LocalHour {
        let minute = now_micros.div_euclid(micros::from_seconds(60));
        if self.local.0 != minute {
            self.local = (minute, LocalHour::at_micros(now_micros, policy.timezone));
        }
        self.local.1
    }
}

#[cfg(test)]
#[path = "baseline_tests.rs"]
mod tests;
