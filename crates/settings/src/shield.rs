//! `tenants[].numbers[].shield`: when a number enters shield mode, how long
//! it stays, what it still pays for, and how long a deferred sender is
//! judged. A new shield key is one line here (plus its row in
//! `docs/configuration.md`); runtime patches get it too.

use antirelou_domain::shield::ShieldPolicy;

use crate::read::{duration_at_least, percent, positive, positive_duration, whole};

/// Shield defaults of the detection and trickle (docs/configuration.md, `shield`).
pub const DEFAULT_SHIELD: ShieldPolicy = ShieldPolicy {
    trigger_per_minute: 60,
    // Ten strangers writing within one minute is not how a number handed
    // out in the street is used; every reply before the shield is on is
    // paid inline, so the first wave's share is this many replies.
    new_senders_per_minute: 10,
    // An anti-relou number's genuine traffic is a few to a few dozen new
    // senders a day (the 2020 number answered ~200 SMS a day by hand): a
    // sustained hour of more is a flood, even when no minute is.
    trigger_per_hour: 600,
    new_senders_per_hour: 40,
    hold_seconds: 3_600,
    trickle_per_hour: 10,
    // Four times the number's ordinary hour (plus eight senders): a busy
    // evening is not an attack, a slow attack of a few dozen an hour is.
    baseline_factor: 4,
    // Today's new senders may run a fifth of the day's replies ahead of an
    // ordinary day's pace before the number is under pressure.
    money_margin_percent: 20,
};

/// Default `shield.defer_for`: 45 minutes, long enough to see a flood's
/// shape, short enough for a genuine sender still to care about the answer.
pub const DEFAULT_DEFER_FOR_SECONDS: u64 = 45 * 60;

/// Default `shield.pace_percent_per_hour`: a first wave of one hour can take
/// at most a quarter of the day's money; a flood of four hours or more can
/// use it all, spent on the senders judged most genuine (docs/shield.md).
pub const DEFAULT_PACE_PERCENT_PER_HOUR: u32 = 25;

/// Default `shield.flood_messages`: a sender who writes this many times
/// before their judgement is a flooder (genuine senders who insist write a
/// few times; docs/shield.md).
pub const DEFAULT_FLOOD_MESSAGES: u32 = 5;

section! {
    /// A number's `shield` table.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ShieldSettings in "shield", patch ShieldPatch {
        /// Inbound messages in the last minute above which the number shields.
        trigger_per_minute: u32 = or(DEFAULT_SHIELD.trigger_per_minute, positive::<u32>),
        /// New distinct senders in the last minute above which the number shields.
        new_senders_per_minute: u32 = or(DEFAULT_SHIELD.new_senders_per_minute, positive::<u32>),
        /// Inbound messages in the last hour above which the number shields.
        trigger_per_hour: u32 = or(DEFAULT_SHIELD.trigger_per_hour, positive::<u32>),
        /// New distinct senders in the last hour above which the number shields.
        new_senders_per_hour: u32 = or(DEFAULT_SHIELD.new_senders_per_hour, positive::<u32>),
        /// How long shield mode lasts after the last surge.
        hold_seconds as "hold": u64 = or(DEFAULT_SHIELD.hold_seconds, positive_duration),
        /// Replies to new senders paid for per hour while shielded (0 allowed).
        trickle_per_hour: u32 = or(DEFAULT_SHIELD.trickle_per_hour, whole::<u32>),
        /// How long a deferred sender is judged at most (at least one minute).
        defer_for_seconds as "defer_for": u64 = or(DEFAULT_DEFER_FOR_SECONDS, duration_at_least(60, "1m")),
        /// Share of the day's cap released per hour for deferred replies, in percent.
        pace_percent_per_hour: u32 = or(DEFAULT_PACE_PERCENT_PER_HOUR, percent),
        /// Messages before the judgement that make a deferred sender a flooder.
        flood_messages: u32 = or(DEFAULT_FLOOD_MESSAGES, positive::<u32>),
        /// Above this many times the ordinary hour's new senders, the number is under pressure (0: never).
        baseline_factor: u32 = or(DEFAULT_SHIELD.baseline_factor, whole::<u32>),
        /// How far ahead of an ordinary day's pace today's new senders may run, in percent of the day's replies.
        money_margin_percent: u32 = or(DEFAULT_SHIELD.money_margin_percent, whole::<u32>),
    }
}

impl ShieldSettings {
    /// The detection and trickle settings, as the domain's shield maths take them.
    pub fn policy(&self) -> ShieldPolicy {
        ShieldPolicy {
            trigger_per_minute: self.trigger_per_minute,
            new_senders_per_minute: self.new_senders_per_minute,
            trigger_per_hour: self.trigger_per_hour,
            new_senders_per_hour: self.new_senders_per_hour,
            hold_seconds: self.hold_seconds,
            trickle_per_hour: self.trickle_per_hour,
            baseline_factor: self.baseline_factor,
            money_margin_percent: self.money_margin_percent,
        }
    }
}
