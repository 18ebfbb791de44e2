//! The shapes with an attack. Each writes its genuine senders with
//! [`Draft::genuine_senders`] and its attackers in its own way; what
//! defines each shape is tested in `tests/shapes.rs`.

use antirelou_domain::micros;
use rand::seq::SliceRandom;
use rand::Rng;

use super::{Draft, HOUR_MICROS, MINUTE_MICROS};
use crate::bodies;
use crate::generate::zipf_allocation;
use crate::traffic::Group;

/// A heavy-tailed attack: `messages` from `attackers` numbers (Zipf
/// `exponent`), at bursty times within `window`.
fn heavy_tailed_attack(draft: &mut Draft, messages: u32, attackers: u32, exponent: f64, window: std::ops::Range<i64>) {
    for count in zipf_allocation(messages, attackers, exponent) {
        let sender = draft.fresh_sender(Group::Attack);
        let times = draft.bursty_times(count as usize, window.clone());
        draft.attack_messages(sender, &times);
    }
}

/// 8,000 SMS from 150 numbers within 30 minutes, an hour after the start;
/// 120 genuine senders over 3 hours.
pub fn short_burst(draft: &mut Draft) {
    draft.genuine_senders(120, 0..3 * HOUR_MICROS, 1..3, 30);
    let window = HOUR_MICROS..HOUR_MICROS + 30 * MINUTE_MICROS;
    for count in zipf_allocation(8_000, 150, 1.0) {
        let sender = draft.fresh_sender(Group::Attack);
        let times: Vec<i64> = (0..count).map(|_| draft.rng.gen_range(window.clone())).collect();
        draft.attack_messages(sender, &times);
    }
}

/// 3,000 SMS from 600 numbers spread evenly over 12 hours (about four a
/// minute, below the shield's default trigger); 200 genuine senders.
pub fn slow_drip(draft: &mut Draft) {
    draft.genuine_senders(200, 0..12 * HOUR_MICROS, 1..3, 30);
    for count in zipf_allocation(3_000, 600, 0.8) {
        let sender = draft.fresh_sender(Group::Attack);
        let times: Vec<i64> = (0..count).map(|_| draft.rng.gen_range(0..12 * HOUR_MICROS)).collect();
        draft.attack_messages(sender, &times);
    }
}

/// 3,000 attackers who send one to three SMS each over 2 hours (no number
/// stands out by volume); 150 genuine senders.
pub fn hit_and_run(draft: &mut Draft) {
    draft.genuine_senders(150, 0..2 * HOUR_MICROS, 1..3, 30);
    for _ in 0..3_000 {
        let sender = draft.fresh_sender(Group::Attack);
        let count = draft.rng.gen_range(1..=3);
        let first = draft.bursty_times(1, 0..2 * HOUR_MICROS)[0];
        let times: Vec<i64> = (0..count).map(|i| first + i * draft.rng.gen_range(5_000_000..=120_000_000)).collect();
        draft.attack_messages(sender, &times);
    }
}

/// A 3-hour flood of 10,000 SMS from 300 numbers, and 200 genuine senders
/// who insist: 3 to 6 SMS each, 1 to 20 minutes apart.
pub fn insistent_genuine(draft: &mut Draft) {
    draft.genuine_senders(200, 0..3 * HOUR_MICROS, 3..7, 20);
    heavy_tailed_attack(draft, 10_000, 300, 1.2, 0..3 * HOUR_MICROS);
}

/// 2,500 attackers who paste a campaign text exactly (one of two), 1 or 2
/// SMS each, within 90 minutes; 150 genuine senders over 2 hours.
pub fn campaign(draft: &mut Draft) {
    draft.genuine_senders(150, 0..2 * HOUR_MICROS, 1..3, 30);
    for _ in 0..2_500 {
        let sender = draft.fresh_sender(Group::Attack);
        let text = bodies::campaign_text(draft.rng.gen_range(0..bodies::CAMPAIGN_TEXTS.len()));
        let count = draft.rng.gen_range(1..=2);
        for at in draft.bursty_times(count, 0..90 * MINUTE_MICROS) {
            draft.send(at, sender, text);
        }
    }
}

/// Numbers per block of [`sequential_block`].
pub const BLOCK_SIZE: u64 = 500;

/// Three blocks of 500 sequential numbers (a bot walking a range it rents
/// or spoofs), each number sending 1 to 4 SMS, a block walked in order in
/// 20 minutes; 150 genuine senders over 2 hours.
pub fn sequential_block(draft: &mut Draft) {
    draft.genuine_senders(150, 0..2 * HOUR_MICROS, 1..3, 30);
    for _ in 0..3 {
        // +336AB CD 0000: the first of 500 consecutive numbers, none taken.
        let first = loop {
            let candidate = 33_600_000_000 + draft.rng.gen_range(0..10_000u64) * 10_000;
            if (0..BLOCK_SIZE).all(|i| !draft.is_taken(candidate + i)) {
                break candidate;
            }
        };
        let start = draft.rng.gen_range(0..100 * MINUTE_MICROS);
        let step = 20 * MINUTE_MICROS / BLOCK_SIZE as i64;
        for i in 0..BLOCK_SIZE {
            let Some(sender) = draft.sender_with(first + i, Group::Attack) else { continue };
            let count = draft.rng.gen_range(1..=4);
            let at = start + i as i64 * step;
            let times: Vec<i64> = (0..count)
                .map(|k| at + k * draft.rng.gen_range(micros::from_seconds(1)..=micros::from_seconds(30)))
                .collect();
            draft.attack_messages(sender, &times);
        }
    }
}

/// Four days: genuine senders write from 08:00 to 23:00 each day, and each
/// evening from 18:00 to 22:00 a flood grows (500, 1,500, 4,000, 12,000
/// SMS) from a pool of 900 numbers, the heaviest senders coming back.
pub fn multi_day(draft: &mut Draft) {
    const DAY_MICROS: i64 = 24 * HOUR_MICROS;
    let pool: Vec<u32> = (0..900).map(|_| draft.fresh_sender(Group::Attack)).collect();
    for (day, messages) in [500u32, 1_500, 4_000, 12_000].into_iter().enumerate() {
        let day_start = day as i64 * DAY_MICROS;
        draft.genuine_senders(60, day_start..day_start + 15 * HOUR_MICROS, 1..3, 30);
        let evening = day_start + 10 * HOUR_MICROS..day_start + 14 * HOUR_MICROS;
        let attackers = (messages / 20).clamp(50, 900);
        // The forum's regulars (the start of the pool) every night, newcomers drawn at random.
        let mut tonight: Vec<u32> = pool[..(attackers / 2) as usize].to_vec();
        let mut others: Vec<u32> = pool[(attackers / 2) as usize..].to_vec();
        others.shuffle(&mut draft.rng);
        tonight.extend(others.into_iter().take((attackers - attackers / 2) as usize));
        for (sender, count) in tonight.into_iter().zip(zipf_allocation(messages, attackers, 1.1)) {
            let times = draft.bursty_times(count as usize, evening.clone());
            draft.attack_messages(sender, &times);
        }
    }
}
