//! A number's ordinary day (docs/shield.md, "The baseline"), pure: how many
//! new senders it gets in each hour of an ordinary day, how many messages a
//! new sender writes, how often an answered sender writes again; learned
//! from its own history, a few hundred bytes a number, no sender in it.
//!
//! - [`NumberBaseline`]: the learned day and today's counts, as stored in
//!   the ledger (shared by replicas, [`NumberBaseline::encode`]);
//! - [`BaselineCounts`]: what one replica counted in one hour, merged into
//!   the stored baseline ([`NumberBaseline::add`]);
//! - [`NumberBaseline::pressure`]: whether the number is under pressure —
//!   far more new senders than in its ordinary hour, or today's new senders,
//!   at today's pace, more than the day's money affords.
//!
//! A day is learned when the next one starts: each hour's count moves the
//! ordinary hour a seventh of the way (about a week's memory), and an hour
//! counts at most twice its ordinary value plus four senders, so a slow
//! attack does not become ordinary in a day or two, while a number whose
//! genuine traffic grows is followed.

use chrono::{DateTime, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Hours in a day.
pub const HOURS: usize = 24;
/// Counts of the ordinary day are kept in sixteenths of a sender.
pub const SCALE: u32 = 16;
/// A day moves the ordinary day by this fraction (1/7: about a week).
pub const LEARN_DIVISOR: i64 = 7;
/// An hour's count is learned at most this many times its ordinary value…
pub const LEARN_GROWTH_FACTOR: u32 = 2;
/// …plus this many senders.
pub const LEARN_GROWTH_SENDERS: u32 = 4;
/// Days without any count are learned (as empty days) at most this many at once.
pub const MAX_DAYS_FOLDED: i64 = 14;
/// The prior of a new number: new senders per hour from 08:00 to midnight…
pub const PRIOR_DAY_HOURLY: f64 = 3.0;
/// …and per hour of the night.
pub const PRIOR_NIGHT_HOURLY: f64 = 0.5;
/// The prior messages per new sender (genuine senders write once or twice).
pub const PRIOR_MESSAGES_PER_SENDER: f64 = 1.5;
/// New senders in the last hour above `factor` × the ordinary hour plus
/// this many are above the baseline (a quiet hour still allows a few).
pub const TRAFFIC_MARGIN_SENDERS: u32 = 8;
/// The encoded size of a baseline, in bytes.
pub const ENCODED_BYTES: usize = 1 + 2 + 4 + 2 * HOURS * 2 + 2 + 2 + 4 + 4;
const FORMAT: u8 = 1;

/// Why a number is under pressure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pressure {
    /// Far more new senders in the last hour than in its ordinary hour.
    Traffic,
    /// Today's new senders, at today's pace, would spend more than the day affords.
    Money,
}

impl Pressure {
    /// The `cause` label of `antirelou_shield_entered_total`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Pressure::Traffic => "baseline",
            Pressure::Money => "money",
        }
    }
}

/// What the pressure rules are given (all counts whole senders).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PressureInput {
    pub at: LocalHour,
    /// New senders in the last hour (this replica's window).
    pub new_senders_last_hour: u32,
    /// New senders counted here and not yet in the stored baseline.
    pub unsynced_new_senders: u32,
    /// Replies the day's money affords (`None`: no cap, no money pressure).
    pub day_replies: Option<u64>,
    /// Above `factor` × the ordinary hour (plus [`TRAFFIC_MARGIN_SENDERS`]); 0: never.
    pub traffic_factor: u32,
    /// The money rule's margin, in percent of the day's replies.
    pub money_margin_percent: u32,
}

/// A local instant, as the baseline files it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalHour {
    /// Days since 1970-01-01 in the ledger's timezone.
    pub day: i32,
    pub hour: u8,
    pub minute: u8,
}

impl LocalHour {
    /// `at` in `timezone`.
    pub fn at(at: DateTime<Utc>, timezone: Tz) -> LocalHour {
        let local = timezone.from_utc_datetime(&at.naive_utc());
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let day = (local.date_naive() - epoch).num_days();
        LocalHour { day: i32::try_from(day).unwrap_or(0), hour: local.hour() as u8, minute: local.minute() as u8 }
    }

    /// The same instant from Unix microseconds.
    pub fn at_micros(micros: i64, timezone: Tz) -> LocalHour {
        LocalHour::at(DateTime::from_timestamp_micros(micros).unwrap_or_default(), timezone)
    }
}

/// What one replica counted in one hour of one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BaselineCounts {
    pub day: i32,
    pub hour: u8,
    pub new_senders: u32,
    /// Messages from senders not answered yet (new or pending).
    pub messages: u32,
    /// Messages from senders already answered (they wrote again).
    pub returns: u32,
}

/// A number's ordinary day and today's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberBaseline {
    /// Days learned (0: the prior alone).
    pub days_learned: u16,
    /// The day `today` belongs to.
    pub day: i32,
    /// New senders per hour of an ordinary day, in sixteenths.
    ordinary: [u16; HOURS],
    /// Today's new senders per hour (every replica's counts merged).
    today: [u16; HOURS],
    /// Messages per new sender on an ordinary day, in sixteenths.
    messages_per_sender: u16,
    /// Messages of answered senders per new sender on an ordinary day, in sixteenths.
    returns_per_sender: u16,
    today_messages: u32,
    today_returns: u32,
}

fn sixteenths(value: f64) -> u16 {
    (value * f64::from(SCALE)).round().clamp(0.0, f64::from(u16::MAX)) as u16
}

impl NumberBaseline {
    /// A new number on `day`: a few new senders an hour by day, fewer by night.
    pub fn prior(day: i32) -> NumberBaseline {
        let mut ordinary = [sixteenths(PRIOR_NIGHT_HOURLY); HOURS];
        for hour in ordinary.iter_mut().skip(8) {
            *hour = sixteenths(PRIOR_DAY_HOURLY);
        }
        NumberBaseline {
            days_learned: 0,
            day,
            ordinary,
            today: [0; HOURS],
            messages_per_sender: sixteenths(PRIOR_MESSAGES_PER_SENDER),
            returns_per_sender: 0,
            today_messages: 0,
            today_returns: 0,
        }
    }

    /// The ordinary new senders of `hour`.
    pub fn ordinary_hour(&self, hour: usize) -> f64 {
        f64::from(self.ordinary[hour % HOURS]) / f64::from(SCALE)
    }

    /// The ordinary new senders of a whole day.
    pub fn ordinary_day(&self) -> f64 {
        self.ordinary.iter().map(|&h| f64::from(h)).sum::<f64>() / f64::from(SCALE)
    }

    /// Messages per new sender on an ordinary day.
    pub fn messages_per_sender(&self) -> f64 {
        f64::from(self.messages_per_sender) / f64::from(SCALE)
    }

    /// Messages of answered senders who write again, per new sender, on an ordinary day.
    pub fn returns_per_sender(&self) -> f64 {
        f64::from(self.returns_per_sender) / f64::from(SCALE)
    }

    /// Today's new senders so far (every replica's counts merged).
    pub fn today_new_senders(&self) -> u32 {
        self.today.iter().map(|&h| u32::from(h)).sum()
    }

    /// Moves to `day`, learning each day that ended (a day with no count is
    /// an empty day, at most [`MAX_DAYS_FOLDED`] of them). An older `day` changes nothing.
    pub fn roll_to(&mut self, day: i32) {
        if day <= self.day {
            return;
        }
        let ended = i64::from(day) - i64::from(self.day);
        for _ in 0..ended.min(MAX_DAYS_FOLDED) {
            self.learn_today();
        }
        self.day = day;
    }

    /// Adds one replica's counts (rolling to their day first); counts of a
    /// day already learned are dropped.
    pub fn add(&mut self, counts: &BaselineCounts) {
        self.roll_to(counts.day);
        if counts.day != self.day {
            return;
        }
        let hour = usize::from(counts.hour) % HOURS;
        let add = u16::try_from(counts.new_senders).unwrap_or(u16::MAX);
        self.today[hour] = self.today[hour].saturating_add(add);
        self.today_messages = self.today_messages.saturating_add(counts.messages);
        self.today_returns = self.today_returns.saturating_add(counts.returns);
    }

    /// Folds today into the ordinary day and starts an empty day.
    fn learn_today(&mut self) {
        let new_senders = self.today_new_senders();
        for (ordinary, &today) in self.ordinary.iter_mut().zip(&self.today) {
            let bound = u32::from(*ordinary) * LEARN_GROWTH_FACTOR + LEARN_GROWTH_SENDERS * SCALE;
            let seen = (u32::from(today) * SCALE).min(bound);
            *ordinary = moved(*ordinary, seen);
        }
        if new_senders > 0 {
            let per = |count: u32| (u64::from(count) * u64::from(SCALE) / u64::from(new_senders)) as u32;
            // A sender's messages are bounded like the hours: a flood of
            // repeats does not teach that senders write a lot.
            let bound = |v: u16| u32::from(v) * LEARN_GROWTH_FACTOR + SCALE;
            self.messages_per_sender =
                moved(self.messages_per_sender, per(self.today_messages).min(bound(self.messages_per_sender)));
            self.returns_per_sender =
                moved(self.returns_per_sender, per(self.today_returns).min(bound(self.returns_per_sender)));
        }
        self.today = [0; HOURS];
        self.today_messages = 0;
        self.today_returns = 0;
        self.days_learned = self.days_learned.saturating_add(1);
    }

    /// The share of an ordinary day's new senders that arrive before `at`, in per mille.
    pub fn elapsed_permille(&self, at: LocalHour) -> u32 {
        let hour = usize::from(at.hour) % HOURS;
        let total: u64 = self.ordinary.iter().map(|&h| u64::from(h)).sum();
        if total == 0 {
            return (u32::from(at.hour) * 60 + u32::from(at.minute)) * 1_000 / (24 * 60);
        }
        let before: u64 = self.ordinary[..hour].iter().map(|&h| u64::from(h)).sum();
        let within = u64::from(self.ordinary[hour]) * u64::from(at.minute.min(59)) / 60;
        ((before + within) * 1_000 / total) as u32
    }

    /// Whether the number is under pressure at `input.at` (the baseline
    /// rolled to that day), and why; the traffic rule first.
    pub fn pressure(&self, input: &PressureInput) -> Option<Pressure> {
        let hour = usize::from(input.at.hour) % HOURS;
        if input.traffic_factor > 0 {
            // The last 60 minutes straddle this hour and the one before.
            let ordinary = u64::from(self.ordinary[hour].max(self.ordinary[(hour + HOURS - 1) % HOURS]));
            let allowed =
                ordinary * u64::from(input.traffic_factor) / u64::from(SCALE) + u64::from(TRAFFIC_MARGIN_SENDERS);
            if u64::from(input.new_senders_last_hour) > allowed {
                return Some(Pressure::Traffic);
            }
        }
        let day_replies = input.day_replies?;
        let today = if input.at.day == self.day { self.today_new_senders() } else { 0 };
        let new_today = u64::from(today) + u64::from(input.unsynced_new_senders);
        let share_permille = u64::from(self.elapsed_permille(input.at)) + u64::from(input.money_margin_percent) * 10;
        (new_today * 1_000 > day_replies.saturating_mul(share_permille)).then_some(Pressure::Money)
    }

    /// The stored form ([`ENCODED_BYTES`] bytes, little-endian, a format byte first).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ENCODED_BYTES);
        out.push(FORMAT);
        out.extend_from_slice(&self.days_learned.to_le_bytes());
        out.extend_from_slice(&self.day.to_le_bytes());
        for value in self.ordinary.iter().chain(&self.today) {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&self.messages_per_sender.to_le_bytes());
        out.extend_from_slice(&self.returns_per_sender.to_le_bytes());
        out.extend_from_slice(&self.today_messages.to_le_bytes());
        out.extend_from_slice(&self.today_returns.to_le_bytes());
        out
    }

    /// Reads [`encode`](Self::encode)'s bytes; `None` for anything else.
    pub fn decode(bytes: &[u8]) -> Option<NumberBaseline> {
        if bytes.len() != ENCODED_BYTES || bytes[0] != FORMAT {
            return None;
        }
        let mut at = 1;
        let mut take = |n: usize| {
            let slice = &bytes[at..at + n];
            at += n;
            slice
        };
        let u16_at = |s: &[u8]| u16::from_le_bytes([s[0], s[1]]);
        let u32_at = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        let days_learned = u16_at(take(2));
        let day = u32_at(take(4)) as i32;
        let mut ordinary = [0u16; HOURS];
        let mut today = [0u16; HOURS];
        for value in ordinary.iter_mut().chain(today.iter_mut()) {
            *value = u16_at(take(2));
        }
        Some(NumberBaseline {
            days_learned,
            day,
            ordinary,
            today,
            messages_per_sender: u16_at(take(2)),
            returns_per_sender: u16_at(take(2)),
            today_messages: u32_at(take(4)),
            today_returns: u32_at(take(4)),
        })
    }
}

/// `ordinary` moved a [`LEARN_DIVISOR`]th of the way to `seen` (both in sixteenths).
fn moved(ordinary: u16, seen: u32) -> u16 {
    let from = i64::from(ordinary);
    let step = (i64::from(seen) - from) / LEARN_DIVISOR;
    // Round a small rise up, so a slow growth is not lost to integer steps.
    let step = if step == 0 && i64::from(seen) > from { 1 } else { step };
    (from + step).clamp(0, i64::from(u16::MAX)) as u16
}

#[cfg(test)]
#[path = "baseline_tests.rs"]
mod tests;
