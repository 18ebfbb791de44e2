//! Shield-mode maths (docs/shield.md): sliding windows of inbound messages
//! and new senders (the last minute, by second; the last hour, by minute),
//! and the hold/extend/exit state machine.

/// A number's shield settings, in base units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShieldPolicy {
    /// Inbound messages in the last minute above which the number shields.
    pub trigger_per_minute: u32,
    /// New distinct senders in the last minute above which the number shields.
    pub new_senders_per_minute: u32,
    /// Inbound messages in the last hour above which the number shields (a
    /// sustained flood that stays under the minute's trigger).
    pub trigger_per_hour: u32,
    /// New distinct senders in the last hour above which the number shields.
    pub new_senders_per_hour: u32,
    /// How long shield mode lasts after the last surge second.
    pub hold_seconds: u64,
    /// Replies to deferred senders released per hour at least while shielded
    /// (a floor under the pace of the judgement).
    pub trickle_per_hour: u32,
    /// New senders in the last hour above this many times the number's
    /// ordinary hour (its baseline, plus a margin) put it under pressure; 0: never.
    pub baseline_factor: u32,
    /// Today's new senders above the share of the day's affordable replies an
    /// ordinary day has reached by now, plus this many percent, put the number
    /// under pressure (the day's money would run out before the day).
    pub money_margin_percent: u32,
}

/// Buckets of each window: 60 seconds in the minute, 60 minutes in the hour.
const BUCKETS: usize = 60;

/// Counts of messages and new senders in fixed buckets (one ring of 60).
/// Fixed size: no allocation after construction, whatever the traffic.
#[derive(Clone, Debug)]
struct Ring {
    index: [i64; BUCKETS],
    inbound: [u32; BUCKETS],
    new_senders: [u32; BUCKETS],
}

impl Default for Ring {
    fn default() -> Self {
        Ring { index: [i64::MIN; BUCKETS], inbound: [0; BUCKETS], new_senders: [0; BUCKETS] }
    }
}

impl Ring {
    fn record(&mut self, index: i64, new_sender: bool) {
        let slot = index.rem_euclid(BUCKETS as i64) as usize;
        if self.index[slot] != index {
            self.index[slot] = index;
            self.inbound[slot] = 0;
            self.new_senders[slot] = 0;
        }
        self.inbound[slot] = self.inbound[slot].saturating_add(1);
        if new_sender {
            self.new_senders[slot] = self.new_senders[slot].saturating_add(1);
        }
    }

    /// Totals of the 60 buckets ending at `index` (inclusive).
    fn totals(&self, index: i64) -> (u32, u32) {
        let oldest = index - BUCKETS as i64;
        let (mut inbound, mut new_senders) = (0u32, 0u32);
        for slot in 0..BUCKETS {
            let i = self.index[slot];
            if i > oldest && i <= index {
                inbound = inbound.saturating_add(self.inbound[slot]);
                new_senders = new_senders.saturating_add(self.new_senders[slot]);
            }
        }
        (inbound, new_senders)
    }
}

/// The surge windows of one number: the last minute by second, the last
/// hour by minute. The two rings (about 2 KB) are allocated at the first
/// message, so a number that has received none costs a pointer.
#[derive(Clone, Debug, Default)]
pub struct SurgeWindow {
    rings: Option<Box<Rings>>,
}

#[derive(Clone, Debug, Default)]
struct Rings {
    seconds: Ring,
    minutes: Ring,
}

/// Totals over the last minute and the last hour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SurgeTotals {
    /// Messages in the last minute.
    pub inbound: u32,
    /// New senders in the last minute.
    pub new_senders: u32,
    pub inbound_hour: u32,
    pub new_senders_hour: u32,
}

impl SurgeWindow {
    /// Counts one inbound message at `now_seconds`.
    pub fn record(&mut self, now_seconds: i64, new_sender: bool) {
        let rings = self.rings.get_or_insert_with(Box::default);
        rings.seconds.record(now_seconds, new_sender);
        rings.minutes.record(now_seconds.div_euclid(60), new_sender);
    }

    /// Totals of the minute (by second) and of the hour (by minute) ending at `now_seconds`.
    pub fn totals(&self, now_seconds: i64) -> SurgeTotals {
        let Some(rings) = &self.rings else { return SurgeTotals::default() };
        let (inbound, new_senders) = rings.seconds.totals(now_seconds);
        let (inbound_hour, new_senders_hour) = rings.minutes.totals(now_seconds.div_euclid(60));
        SurgeTotals { inbound, new_senders, inbound_hour, new_senders_hour }
    }
}

/// What a shield evaluation changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShieldTransition {
    Unchanged,
    Entered { until_seconds: i64 },
    Extended { until_seconds: i64 },
    Exited,
}

/// Whether a number is shielded, and until when.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShieldState {
    pub active_until_seconds: Option<i64>,
}

impl ShieldState {
    pub fn is_active(&self, now_seconds: i64) -> bool {
        self.active_until_seconds.is_some_and(|until| now_seconds < until)
    }

    /// Applies the policy to the last minute's totals.
    pub fn evaluate(&mut self, policy: &ShieldPolicy, totals: SurgeTotals, now_seconds: i64) -> ShieldTransition {
        self.evaluate_with(policy, totals, false, now_seconds)
    }

    /// Whether the totals cross a fixed trigger.
    pub fn surges(policy: &ShieldPolicy, totals: SurgeTotals) -> bool {
        totals.inbound > policy.trigger_per_minute
            || totals.new_senders > policy.new_senders_per_minute
            || totals.inbound_hour > policy.trigger_per_hour
            || totals.new_senders_hour > policy.new_senders_per_hour
    }

    /// [`evaluate`](Self::evaluate), where `pressure` (the number's baseline,
    /// [`crate::baseline`]) shields like a surge: entered, extended while it
    /// lasts, ended a hold after.
    pub fn evaluate_with(
        &mut self,
        policy: &ShieldPolicy,
        totals: SurgeTotals,
        pressure: bool,
        now_seconds: i64,
    ) -> ShieldTransition {
        let surge = pressure || ShieldState::surges(policy, totals);
        let was_active = self.is_active(now_seconds);
        if surge {
            let until_seconds = now_seconds.saturating_add(policy.hold_seconds as i64);
            let extends = self.active_until_seconds.is_none_or(|u| until_seconds > u);
            if extends {
                self.active_until_seconds = Some(until_seconds);
            }
            return match (was_active, extends) {
                (false, _) => ShieldTransition::Entered { until_seconds },
                (true, true) => ShieldTransition::Extended { until_seconds },
                (true, false) => ShieldTransition::Unchanged,
            };
        }
        if self.active_until_seconds.is_some() && !was_active {
            self.active_until_seconds = None;
            return ShieldTransition::Exited;
        }
        ShieldTransition::Unchanged
    }

    /// Adopts a shield another replica started (shared state), keeping the later end.
    pub fn adopt(&mut self, until_seconds: i64, now_seconds: i64) -> bool {
        let entering = !self.is_active(now_seconds) && now_seconds < until_seconds;
        if self.active_until_seconds.is_none_or(|u| until_seconds > u) {
            self.active_until_seconds = Some(until_seconds);
        }
        entering
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_without_messages_is_a_pointer_and_counts_nothing() {
        // 10,000 idle numbers: 80 KB, not the 20 MB of their rings.
        assert_eq!(std::mem::size_of::<SurgeWindow>(), std::mem::size_of::<usize>());
        let mut window = SurgeWindow::default();
        assert_eq!(window.totals(1_000), SurgeTotals::default());
        window.record(1_000, true);
        let totals = window.totals(1_000);
        assert_eq!((totals.inbound, totals.new_senders, totals.inbound_hour), (1, 1, 1));
    }

    const POLICY: ShieldPolicy = ShieldPolicy {
        trigger_per_minute: 60,
        new_senders_per_minute: 20,
        trigger_per_hour: 600,
        new_senders_per_hour: 40,
        hold_seconds: 3_600,
        trickle_per_hour: 10,
        baseline_factor: 4,
        money_margin_percent: 20,
    };

    fn minute(inbound: u32, new_senders: u32) -> SurgeTotals {
        SurgeTotals { inbound, new_senders, ..SurgeTotals::default() }
    }

    #[test]
    fn the_minute_window_forgets_after_a_minute() {
        let mut w = SurgeWindow::default();
        for s in 0..30 {
            w.record(1_000 + s, s % 2 == 0);
            w.record(1_000 + s, false);
        }
        assert_eq!((w.totals(1_029).inbound, w.totals(1_029).new_senders), (60, 15));
        assert_eq!(w.totals(1_059).inbound, 60);
        assert_eq!(w.totals(1_060).inbound, 58);
        assert_eq!(w.totals(1_089).inbound, 0);
    }

    #[test]
    fn the_hour_window_counts_by_minute_and_forgets_after_an_hour() {
        let mut w = SurgeWindow::default();
        // One message a minute from a new sender, for 90 minutes, from 10:00.
        let start = 36_000;
        let at = |w: &SurgeWindow, minutes: i64| w.totals(start + minutes * 60 + 30);
        for m in 0..60 {
            w.record(start + m * 60 + 30, true);
        }
        assert_eq!((at(&w, 59).inbound_hour, at(&w, 59).new_senders_hour), (60, 60));
        for m in 60..90 {
            w.record(start + m * 60 + 30, m % 2 == 0);
        }
        assert_eq!(at(&w, 89).inbound_hour, 60, "the last 60 minutes");
        assert_eq!(at(&w, 89).new_senders_hour, 30 + 15);
        assert_eq!(at(&w, 89).inbound, 1, "and the last minute");
        assert_eq!(w.totals(start + 150 * 60).inbound_hour, 0);
    }

    #[test]
    fn enters_on_volume_extends_while_surging_and_exits_after_hold() {
        let mut state = ShieldState::default();
        let calm = minute(60, 20);
        assert_eq!(state.evaluate(&POLICY, calm, 0), ShieldTransition::Unchanged);
        let surge = minute(61, 0);
        assert_eq!(state.evaluate(&POLICY, surge, 10), ShieldTransition::Entered { until_seconds: 3_610 });
        assert!(state.is_active(3_609));
        assert_eq!(state.evaluate(&POLICY, surge, 100), ShieldTransition::Extended { until_seconds: 3_700 });
        assert_eq!(state.evaluate(&POLICY, calm, 3_699), ShieldTransition::Unchanged);
        assert_eq!(state.evaluate(&POLICY, calm, 3_700), ShieldTransition::Exited);
        assert!(!state.is_active(3_700));
    }

    #[test]
    fn enters_on_new_senders_alone() {
        let mut state = ShieldState::default();
        assert!(matches!(state.evaluate(&POLICY, minute(21, 21), 5), ShieldTransition::Entered { .. }));
    }

    #[test]
    fn a_sustained_flood_under_the_minute_triggers_enters_on_the_hour() {
        let mut state = ShieldState::default();
        let drip = SurgeTotals { inbound: 10, new_senders: 2, inbound_hour: 600, new_senders_hour: 40 };
        assert_eq!(state.evaluate(&POLICY, drip, 0), ShieldTransition::Unchanged);
        let more_senders = SurgeTotals { new_senders_hour: 41, ..drip };
        assert!(matches!(state.evaluate(&POLICY, more_senders, 1), ShieldTransition::Entered { .. }));
        let mut state = ShieldState::default();
        let more_messages = SurgeTotals { inbound_hour: 601, ..drip };
        assert!(matches!(state.evaluate(&POLICY, more_messages, 1), ShieldTransition::Entered { .. }));
    }

    #[test]
    fn pressure_shields_like_a_surge_and_a_hold_after_it_ends() {
        let mut state = ShieldState::default();
        let calm = minute(1, 1);
        assert_eq!(state.evaluate_with(&POLICY, calm, true, 0), ShieldTransition::Entered { until_seconds: 3_600 });
        assert_eq!(state.evaluate_with(&POLICY, calm, true, 60), ShieldTransition::Extended { until_seconds: 3_660 });
        assert_eq!(state.evaluate_with(&POLICY, calm, false, 3_659), ShieldTransition::Unchanged);
        assert_eq!(state.evaluate_with(&POLICY, calm, false, 3_660), ShieldTransition::Exited);
    }

    #[test]
    fn adopting_a_shared_shield_keeps_the_later_end() {
        let mut state = ShieldState::default();
        assert!(state.adopt(500, 100));
        assert!(!state.adopt(400, 100));
        assert_eq!(state.active_until_seconds, Some(500));
    }
}
