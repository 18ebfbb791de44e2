//! The shapes of a number's ordinary days and of attacks that never make a
//! wave: steady attacks over several days below every fixed trigger, at
//! different rates, a slow attack with a wave on top, and a busy number
//! that grows over a month with no attack at all (docs/shield.md, "The
//! baseline"). What defines each is tested in `tests/shapes.rs`.

use rand::Rng;

use super::{Draft, HOUR_MICROS, MINUTE_MICROS};
use crate::generate::zipf_allocation;
use crate::traffic::Group;

const DAY_MICROS: i64 = 24 * HOUR_MICROS;

/// Genuine senders of one day from 08:00 to midnight, 1 or 2 SMS each.
fn genuine_day(draft: &mut Draft, day: i64, count: u32) {
    let start = day * DAY_MICROS;
    draft.genuine_senders(count, start + 8 * HOUR_MICROS..start + 24 * HOUR_MICROS - 30 * MINUTE_MICROS, 1..3, 30);
}

/// `per_hour` new attack numbers in every hour of `hours`, day and night,
/// each sending 1 to `max_messages` pasted SMS a few minutes apart: evenly
/// spread, so no minute and no hour crosses a fixed trigger.
fn steady_attackers(draft: &mut Draft, hours: std::ops::Range<i64>, per_hour: u32, max_messages: i64) {
    let gap = HOUR_MICROS / i64::from(per_hour.max(1));
    for hour in hours {
        for k in 0..i64::from(per_hour) {
            let sender = draft.fresh_sender(Group::Attack);
            // The k-th of the hour somewhere in its k-th part: steady, no burst.
            let first = hour * HOUR_MICROS + k * gap + draft.rng.gen_range(0..gap);
            let count = draft.rng.gen_range(1..=max_messages);
            let times: Vec<i64> =
                (0..count).map(|i| first + i * draft.rng.gen_range(MINUTE_MICROS..=20 * MINUTE_MICROS)).collect();
            draft.attack_messages(sender, &times);
        }
    }
}

/// Three days of 28 new attack numbers an hour, day and night (1 or 2 SMS
/// each), under every fixed trigger; 50 genuine senders a day.
pub fn steady_attack(draft: &mut Draft) {
    for day in 0..3 {
        genuine_day(draft, day, 50);
    }
    steady_attackers(draft, 0..72, 28, 2);
}

/// Five days of 12 new attack numbers an hour (1 to 3 SMS each): slower,
/// longer; 40 genuine senders a day.
pub fn slow_days(draft: &mut Draft) {
    for day in 0..5 {
        genuine_day(draft, day, 40);
    }
    steady_attackers(draft, 0..120, 12, 3);
}

/// A day of 20 new attack numbers an hour, and from 20:00 a wave of 5,000
/// SMS from 200 numbers in one hour; 60 genuine senders.
pub fn drip_and_wave(draft: &mut Draft) {
    genuine_day(draft, 0, 60);
    steady_attackers(draft, 0..24, 20, 2);
    let wave = 20 * HOUR_MICROS..21 * HOUR_MICROS;
    for count in zipf_allocation(5_000, 200, 1.1) {
        let sender = draft.fresh_sender(Group::Attack);
        let times = draft.bursty_times(count as usize, wave.clone());
        draft.attack_messages(sender, &times);
    }
}

/// No attack: a number whose genuine senders double over 30 days, from 30
/// to 60 a day, from 08:00 to midnight.
pub fn growing_number(draft: &mut Draft) {
    for day in 0..30 {
        let count = (30.0 * 2f64.powf(day as f64 / 29.0)).round() as u32;
        genuine_day(draft, day, count);
    }
}
