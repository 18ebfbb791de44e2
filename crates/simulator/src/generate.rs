//! The scenario generator: ChaCha8 seeded from `--seed`, heavy-tailed
//! (Zipf) attackers with exact totals, attack bursts, genuine senders
//! sending one or two messages, valid French mobile numbers.

use antirelou_domain::micros;
use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::scenario::{Message, Scenario, Sender};
use crate::spec::{AttackSenders, ScenarioSpec};

/// Bursts per hour of scenario time.
const BURSTS_PER_HOUR: f64 = 3.0;
/// Half-width of a burst, in seconds (a burst lasts 2 to 10 minutes).
const BURST_HALF_WIDTH_SECONDS: (u64, u64) = (60, 300);
/// A genuine sender's second message comes this long after the first (seconds).
const GENUINE_FOLLOW_UP_SECONDS: (u64, u64) = (60, 1_800);

pub fn generate(spec: &ScenarioSpec, seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let duration_micros = micros::from_seconds(spec.duration_seconds as i64);
    let mut numbers = NumberPool::default();

    let attacker_count = match spec.attackers {
        AttackSenders::Numbers(n) => n,
        AttackSenders::EveryMessage => spec.attack_messages,
    };
    let per_attacker = zipf_allocation(spec.attack_messages, attacker_count, spec.zipf_exponent);
    let mut senders: Vec<Sender> = (0..attacker_count)
        .map(|_| {
            let foreign = spec.foreign_share > 0.0 && rng.gen_bool(spec.foreign_share);
            Sender { number: numbers.fresh(&mut rng, foreign), genuine: false }
        })
        .collect();

    let mut attack_senders: Vec<u32> = Vec::with_capacity(spec.attack_messages as usize);
    for (attacker, count) in per_attacker.iter().enumerate() {
        attack_senders.extend(std::iter::repeat_n(attacker as u32, *count as usize));
    }
    attack_senders.shuffle(&mut rng);
    let times = attack_times(&mut rng, spec, attack_senders.len(), duration_micros);
    let mut messages: Vec<Message> = attack_senders
        .into_iter()
        .zip(times)
        .map(|(sender, offset_micros)| Message { offset_micros, sender, target: 0 })
        .collect();

    for _ in 0..spec.genuine_senders {
        let id = senders.len() as u32;
        senders.push(Sender { number: numbers.fresh(&mut rng, false), genuine: true });
        let count = rng.gen_range(1..=spec.genuine_max_messages.max(1));
        let mut at = rng.gen_range(0..duration_micros);
        for i in 0..count {
            if i > 0 {
                let gap = micros::from_seconds(
                    rng.gen_range(GENUINE_FOLLOW_UP_SECONDS.0..=GENUINE_FOLLOW_UP_SECONDS.1) as i64,
                );
                at = (at + gap).min(duration_micros - 1);
            }
            messages.push(Message { offset_micros: at, sender: id, target: 0 });
        }
    }
    for message in &mut messages {
        message.target = rng.gen();
    }
    // Stable: equal timestamps keep generation order, so the result is a
    // function of the seed alone.
    messages.sort_by_key(|m| m.offset_micros);
    Scenario { spec: spec.clone(), seed, senders, messages }
}

/// `total` messages over `senders` senders: each at least one, the rest
/// proportional to `1 / rank^exponent`, rounded by largest remainder so the
/// sum is exact.
pub fn zipf_allocation(total: u32, senders: u32, exponent: f64) -> Vec<u32> {
    if senders == 0 {
        return Vec::new();
    }
    let mut counts = vec![1u32; senders as usize];
    let rest = total.saturating_sub(senders);
    let weights: Vec<f64> = (1..=senders).map(|rank| 1.0 / f64::from(rank).powf(exponent)).collect();
    let sum: f64 = weights.iter().sum();
    let shares: Vec<f64> = weights.iter().map(|w| f64::from(rest) * w / sum).collect();
    let mut given = 0u32;
    for (count, share) in counts.iter_mut().zip(&shares) {
        let whole = share.floor() as u32;
        *count += whole;
        given += whole;
    }
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by(|&a, &b| {
        let (ra, rb) = (shares[a] - shares[a].floor(), shares[b] - shares[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in by_remainder.iter().cycle().take(rest.saturating_sub(given) as usize) {
        counts[i] += 1;
    }
    counts
}

/// `count` instants in `[0, duration)`: `burst_share` of them in bursts, the rest uniform.
fn attack_times(rng: &mut ChaCha8Rng, spec: &ScenarioSpec, count: usize, duration_micros: i64) -> Vec<i64> {
    let hours = spec.duration_seconds as f64 / 3_600.0;
    let burst_count = ((hours * BURSTS_PER_HOUR).round() as usize).max(1);
    let bursts: Vec<(i64, i64)> = (0..burst_count)
        .map(|_| {
            let center = rng.gen_range(0..duration_micros);
            let half =
                micros::from_seconds(rng.gen_range(BURST_HALF_WIDTH_SECONDS.0..=BURST_HALF_WIDTH_SECONDS.1) as i64);
            ((center - half).max(0), (center + half).min(duration_micros))
        })
        .collect();
    (0..count)
        .map(|_| {
            if spec.burst_share > 0.0 && rng.gen_bool(spec.burst_share) {
                let (from, to) = bursts[rng.gen_range(0..bursts.len())];
                if to > from {
                    return rng.gen_range(from..to);
                }
            }
            rng.gen_range(0..duration_micros)
        })
        .collect()
}

/// Distinct phone numbers: French mobiles (`+336…`, `+337[3-9]…`) or Belgian mobiles (`+32475…` to `+32479…`).
#[derive(Default)]
pub(crate) struct NumberPool {
    used: HashSet<u64>,
}

impl NumberPool {
    /// A number never given before (and not the simulated number).
    pub(crate) fn fresh(&mut self, rng: &mut ChaCha8Rng, foreign: bool) -> u64 {
        let simulated: u64 = crate::setup::SIM_NUMBER[1..].parse().unwrap_or(0);
        loop {
            let number = if foreign {
                32_470_000_000 + rng.gen_range(5u64..=9) * 1_000_000 + rng.gen_range(0..1_000_000)
            } else if rng.gen_bool(0.5) {
                33_600_000_000 + rng.gen_range(0..100_000_000)
            } else {
                33_700_000_000 + rng.gen_range(3u64..=9) * 10_000_000 + rng.gen_range(0..10_000_000)
            };
            if number != simulated && self.used.insert(number) {
                return number;
            }
        }
    }

    pub(crate) fn contains(&self, number: u64) -> bool {
        self.used.contains(&number)
    }

    /// Takes `number` if nobody has it yet.
    pub(crate) fn claim(&mut self, number: u64) -> bool {
        self.used.insert(number)
    }
}

#[cfg(test)]
mod tests {
    use antirelou_domain::PhoneNumber;

    use super::*;

    #[test]
    fn zipf_allocation_is_exact_heavy_tailed_and_gives_everyone_one() {
        let counts = zipf_allocation(20_000, 400, 1.2);
        assert_eq!(counts.len(), 400);
        assert_eq!(counts.iter().map(|&c| u64::from(c)).sum::<u64>(), 20_000);
        assert!(counts.iter().all(|&c| c >= 1));
        assert!(counts[0] > 2_000, "the top attacker sends thousands: {}", counts[0]);
        let handful = counts.iter().filter(|&&c| c <= 20).count();
        assert!(handful > 200, "most send a handful: {handful}");
        assert_eq!(zipf_allocation(7, 7, 1.2), vec![1; 7]);
        assert_eq!(zipf_allocation(10, 0, 1.2), Vec::<u32>::new());
    }

    #[test]
    fn numbers_are_valid_distinct_mobiles_of_their_country() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut pool = NumberPool::default();
        for i in 0..2_000 {
            let foreign = i % 4 == 0;
            let number = format!("+{}", pool.fresh(&mut rng, foreign));
            let parsed = PhoneNumber::parse(&number).unwrap();
            assert_eq!(parsed.country(), Some(if foreign { "BE" } else { "FR" }), "{number}");
            assert!(number.starts_with(if foreign { "+3247" } else { "+33" }));
            if !foreign {
                assert!(number.starts_with("+336") || number[4..5].parse::<u8>().unwrap() >= 3, "{number}");
            }
        }
        assert_eq!(pool.used.len(), 2_000);
    }
}
