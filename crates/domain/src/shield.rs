//! Shield-mode maths (docs/shield.md): a one-minute sliding window of inbound
//! messages and new senders, and the hold/extend/exit state machine.

/// A number's shield settings, in base units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShieldPolicy {
    /// Inbound messages in the last minute above which the number shields.
    pub trigger_per_minute: u32,
    /// New distinct senders in the last minute above which the number shields.
    pub new_senders_per_minute: u32,
    /// How long shield mode lasts after the last surge second.
    pub hold_seconds: u64,
    /// Replies to deferred senders released per hour at least while shielded
    /// (a floor under the pace of the judgement).
    pub trickle_per_hour: u32,
}

const WINDOW_SECONDS: usize = 60;

/// Counts per second over the last 60 seconds. Fixed size: no allocation
/// after construction, whatever the traffic.
#[derive(Clone, Debug)]
pub struct SurgeWindow {
    second: [i64; WINDOW_SECONDS],
    inbound: [u32; WINDOW_SECONDS],
    new_senders: [u32; WINDOW_SECONDS],
}

impl Default for SurgeWindow {
    fn default() -> Self {
        SurgeWindow {
            second: [i64::MIN; WINDOW_SECONDS],
            inbound: [0; WINDOW_SECONDS],
            new_senders: [0; WINDOW_SECONDS],
        }
    }
}

/// Totals over the last minute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MinuteTotals {
    pub inbound: u32,
    pub new_senders: u32,
}

impl SurgeWindow {
    /// Counts one inbound message at `now_seconds`.
    pub fn record(&mut self, now_seconds: i64, new_sender: bool) {
        let slot = now_seconds.rem_euclid(WINDOW_SECONDS as i64) as usize;
        if self.second[slot] != now_seconds {
            self.second[slot] = now_seconds;
            self.inbound[slot] = 0;
            self.new_senders[slot] = 0;
        }
        self.inbound[slot] = self.inbound[slot].saturating_add(1);
        if new_sender {
            self.new_senders[slot] = self.new_senders[slot].saturating_add(1);
        }
    }

    /// Totals of the 60 seconds ending at `now_seconds` (inclusive).
    pub fn totals(&self, now_seconds: i64) -> MinuteTotals {
        let oldest = now_seconds - WINDOW_SECONDS as i64;
        let mut totals = MinuteTotals::default();
        for slot in 0..WINDOW_SECONDS {
            let s = self.second[slot];
            if s > oldest && s <= now_seconds {
                totals.inbound = totals.inbound.saturating_add(self.inbound[slot]);
                totals.new_senders = totals.new_senders.saturating_add(self.new_senders[slot]);
            }
        }
        totals
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
    pub fn evaluate(&mut self, policy: &ShieldPolicy, totals: MinuteTotals, now_seconds: i64) -> ShieldTransition {
        let surge = totals.inbound > policy.trigger_per_minute || totals.new_senders > policy.new_senders_per_minute;
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

    const POLICY: ShieldPolicy =
        ShieldPolicy { trigger_per_minute: 60, new_senders_per_minute: 20, hold_seconds: 3_600, trickle_per_hour: 10 };

    #[test]
    fn window_forgets_after_a_minute() {
        let mut w = SurgeWindow::default();
        for s in 0..30 {
            w.record(1_000 + s, s % 2 == 0);
            w.record(1_000 + s, false);
        }
        assert_eq!(w.totals(1_029), MinuteTotals { inbound: 60, new_senders: 15 });
        assert_eq!(w.totals(1_059).inbound, 60);
        assert_eq!(w.totals(1_060).inbound, 58);
        assert_eq!(w.totals(1_089).inbound, 0);
    }

    #[test]
    fn enters_on_volume_extends_while_surging_and_exits_after_hold() {
        let mut state = ShieldState::default();
        let calm = MinuteTotals { inbound: 60, new_senders: 20 };
        assert_eq!(state.evaluate(&POLICY, calm, 0), ShieldTransition::Unchanged);
        let surge = MinuteTotals { inbound: 61, new_senders: 0 };
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
        let spoofed = MinuteTotals { inbound: 21, new_senders: 21 };
        assert!(matches!(state.evaluate(&POLICY, spoofed, 5), ShieldTransition::Entered { .. }));
    }

    #[test]
    fn adopting_a_shared_shield_keeps_the_later_end() {
        let mut state = ShieldState::default();
        assert!(state.adopt(500, 100));
        assert!(!state.adopt(400, 100));
        assert_eq!(state.active_until_seconds, Some(500));
    }
}
