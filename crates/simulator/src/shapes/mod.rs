//! The traffic generator: traffic of other shapes than flood-2017, seeded
//! and deterministic, to measure the shield on traffic it was not tuned on
//! (`sim-traffic`, docs/simulator.md "The traffic generator").
//!
//! - [`Shape`]: the vocabulary, each with what defines it;
//! - `floods.rs`: the shapes with an attack; `calm.rs`: the ordinary day
//!   and the truly indistinguishable case; `slow.rs`: attacks that never
//!   make a wave, over days, and a number that grows over a month;
//! - [`Draft`]: what every shape is written with (random French mobiles,
//!   genuine senders, attack messages, one seeded ChaCha stream).
//!
//! Start with [`Shape::generate`].

use antirelou_domain::micros;
use std::ops::Range;

use chrono::{DateTime, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::bodies;
use crate::generate::NumberPool;
use crate::spec::ScenarioSpec;
use crate::traffic::{Group, Traffic, TrafficBuilder};

mod calm;
mod floods;
mod slow;

/// A shape of traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    Flood2017,
    ShortBurst,
    SlowDrip,
    HitAndRun,
    InsistentGenuine,
    Campaign,
    SequentialBlock,
    MultiDay,
    OrdinaryDay,
    Indistinguishable,
    SteadyAttack,
    SlowDays,
    DripAndWave,
    GrowingNumber,
}

impl Shape {
    pub const ALL: [Shape; 14] = [
        Shape::Flood2017,
        Shape::ShortBurst,
        Shape::SlowDrip,
        Shape::HitAndRun,
        Shape::InsistentGenuine,
        Shape::Campaign,
        Shape::SequentialBlock,
        Shape::MultiDay,
        Shape::OrdinaryDay,
        Shape::Indistinguishable,
        Shape::SteadyAttack,
        Shape::SlowDays,
        Shape::DripAndWave,
        Shape::GrowingNumber,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Shape::Flood2017 => "flood-2017",
            Shape::ShortBurst => "short-burst",
            Shape::SlowDrip => "slow-drip",
            Shape::HitAndRun => "hit-and-run",
            Shape::InsistentGenuine => "insistent-genuine",
            Shape::Campaign => "campaign",
            Shape::SequentialBlock => "sequential-block",
            Shape::MultiDay => "multi-day",
            Shape::OrdinaryDay => "ordinary-day",
            Shape::Indistinguishable => "indistinguishable",
            Shape::SteadyAttack => "steady-attack",
            Shape::SlowDays => "slow-days",
            Shape::DripAndWave => "drip-and-wave",
            Shape::GrowingNumber => "growing-number",
        }
    }

    pub fn from_label(label: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.as_str() == label)
    }

    /// What the shape is, in one line.
    pub const fn description(self) -> &'static str {
        match self {
            Shape::Flood2017 => "the built-in flood-2017 as a traffic file: 20,000 SMS from 400 numbers in 4 h, 300 genuine senders",
            Shape::ShortBurst => "8,000 SMS from 150 numbers within 30 minutes, 120 genuine senders over 3 h",
            Shape::SlowDrip => "3,000 SMS from 600 numbers spread over 12 h (about 4 a minute), 200 genuine senders",
            Shape::HitAndRun => "3,000 attackers who send 1 to 3 SMS each over 2 h, 150 genuine senders",
            Shape::InsistentGenuine => "10,000 SMS from 300 numbers in 3 h; 200 genuine senders who insist with 3 to 6 SMS each",
            Shape::Campaign => "2,500 attackers who paste one campaign text exactly, 1 or 2 SMS each, in 90 minutes; 150 genuine senders",
            Shape::SequentialBlock => "3 blocks of 500 sequential numbers, 1 to 4 SMS each, in 2 h; 150 genuine senders",
            Shape::MultiDay => "4 evenings of flood growing from 500 to 12,000 SMS, a pool of 900 numbers; 60 genuine senders a day",
            Shape::OrdinaryDay => "no attack: 50 genuine senders over a day, 1 or 2 SMS each",
            Shape::Indistinguishable => "8,000 SMS each from a new random number with random words, and 300 genuine senders writing the same way, over 4 h",
            Shape::SteadyAttack => "3 days of 28 new attack numbers an hour, day and night, 1 or 2 SMS each, under every fixed trigger; 50 genuine senders a day",
            Shape::SlowDays => "5 days of 12 new attack numbers an hour, 1 to 3 SMS each; 40 genuine senders a day",
            Shape::DripAndWave => "a day of 20 new attack numbers an hour, and a wave of 5,000 SMS from 200 numbers at 20:00; 60 genuine senders",
            Shape::GrowingNumber => "no attack: genuine senders doubling over 30 days, from 30 to 60 a day",
        }
    }

    /// The traffic of this shape for `seed`: same seed, same traffic. Its
    /// name is `<shape>-seed<seed>`.
    pub fn generate(self, seed: u64) -> Traffic {
        let name = format!("{}-seed{seed}", self.as_str());
        if self == Shape::Flood2017 {
            let mut traffic = crate::generate::generate(&ScenarioSpec::flood_2017(), seed).traffic();
            traffic.name = name;
            return traffic;
        }
        let mut draft = Draft::new(seed, self);
        match self {
            Shape::Flood2017 => {}
            Shape::ShortBurst => floods::short_burst(&mut draft),
            Shape::SlowDrip => floods::slow_drip(&mut draft),
            Shape::HitAndRun => floods::hit_and_run(&mut draft),
            Shape::InsistentGenuine => floods::insistent_genuine(&mut draft),
            Shape::Campaign => floods::campaign(&mut draft),
            Shape::SequentialBlock => floods::sequential_block(&mut draft),
            Shape::MultiDay => floods::multi_day(&mut draft),
            Shape::OrdinaryDay => calm::ordinary_day(&mut draft),
            Shape::Indistinguishable => calm::indistinguishable(&mut draft),
            Shape::SteadyAttack => slow::steady_attack(&mut draft),
            Shape::SlowDays => slow::slow_days(&mut draft),
            Shape::DripAndWave => slow::drip_and_wave(&mut draft),
            Shape::GrowingNumber => slow::growing_number(&mut draft),
        }
        draft.finish(&name, seed)
    }
}

const MINUTE_MICROS: i64 = micros::from_seconds(60);
const HOUR_MICROS: i64 = 60 * MINUTE_MICROS;

/// A traffic being written: times are microseconds from the shape's start.
pub(crate) struct Draft {
    pub rng: ChaCha8Rng,
    numbers: NumberPool,
    builder: TrafficBuilder,
    start: DateTime<Utc>,
}

impl Draft {
    fn new(seed: u64, shape: Shape) -> Draft {
        // One stream per shape: the shapes of one seed are independent.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(shape as u64 + 16);
        Draft { rng, numbers: NumberPool::default(), builder: TrafficBuilder::default(), start: start_of(shape) }
    }

    /// A new sender with a random French mobile number.
    pub fn fresh_sender(&mut self, group: Group) -> u32 {
        let number = self.numbers.fresh(&mut self.rng, false);
        self.builder.sender(&format!("+{number}"), group)
    }

    /// A new sender with this number (E.164 digits), if nobody has it yet.
    pub fn sender_with(&mut self, number: u64, group: Group) -> Option<u32> {
        self.numbers.claim(number).then(|| self.builder.sender(&format!("+{number}"), group))
    }

    /// Whether a sender has `number` (E.164 digits) already.
    pub fn is_taken(&self, number: u64) -> bool {
        self.numbers.contains(number)
    }

    /// One message, `offset_micros` after the shape's start.
    pub fn send(&mut self, offset_micros: i64, sender: u32, body: &str) {
        let line = u32::try_from(self.builder.len() + 1).unwrap_or(u32::MAX);
        self.builder.message(self.start.timestamp_micros() + offset_micros, sender, body, 0, line);
    }

    /// `count` genuine senders writing first within `window`, each sending
    /// a number of messages drawn from `messages`, the next one 1 to
    /// `max_gap_minutes` minutes after the last: a first text, then follow-ups.
    pub fn genuine_senders(&mut self, count: u32, window: Range<i64>, messages: Range<u32>, max_gap_minutes: i64) {
        for _ in 0..count {
            let sender = self.fresh_sender(Group::Genuine);
            let mut at = self.rng.gen_range(window.clone());
            let total = self.rng.gen_range(messages.clone());
            for i in 0..total {
                if i > 0 {
                    at += self.rng.gen_range(MINUTE_MICROS..=max_gap_minutes * MINUTE_MICROS);
                }
                let body =
                    if i == 0 { bodies::genuine_text(&mut self.rng) } else { bodies::genuine_follow_up(&mut self.rng) };
                self.send(at, sender, &body);
            }
        }
    }

    /// An attacker's `count` messages at `times`, pasting mostly its
    /// favourite template with small variations.
    pub fn attack_messages(&mut self, sender: u32, times: &[i64]) {
        let favourite = self.rng.gen_range(0..bodies::ATTACK_TEMPLATES.len());
        for &at in times {
            let template = if self.rng.gen_bool(0.8) { favourite } else { self.rng.gen() };
            let body = bodies::attack_text(&mut self.rng, template);
            self.send(at, sender, &body);
        }
    }

    /// `count` instants in `window`: half in a few bursts of 2 to 10
    /// minutes, half spread evenly (the shape of a forum-driven flood).
    pub fn bursty_times(&mut self, count: usize, window: Range<i64>) -> Vec<i64> {
        let bursts: Vec<Range<i64>> = (0..3)
            .map(|_| {
                let center = self.rng.gen_range(window.clone());
                let half = self.rng.gen_range(MINUTE_MICROS..=5 * MINUTE_MICROS);
                (center - half).max(window.start)..(center + half).min(window.end)
            })
            .collect();
        (0..count)
            .map(|_| match bursts.choose(&mut self.rng) {
                Some(burst) if !burst.is_empty() && self.rng.gen_bool(0.5) => self.rng.gen_range(burst.clone()),
                _ => self.rng.gen_range(window.clone()),
            })
            .collect()
    }

    fn finish(self, name: &str, seed: u64) -> Traffic {
        let sid_base = (u128::from(seed) << 64) | (0x7368_6170 << 32);
        self.builder.finish(name, Some(seed), sid_base, Some(self.start), None)
    }
}

/// Where each shape begins, in Paris time: evenings for floods, a Monday
/// morning for the days-long ones, midnight for the ordinary day.
fn start_of(shape: Shape) -> DateTime<Utc> {
    let paris = chrono_tz::Europe::Paris;
    let (month, day, hour) = match shape {
        Shape::Flood2017 | Shape::ShortBurst | Shape::InsistentGenuine => (3, 7, 18),
        Shape::SlowDrip => (3, 9, 9),
        Shape::HitAndRun | Shape::Campaign | Shape::SequentialBlock | Shape::Indistinguishable => (3, 14, 19),
        Shape::MultiDay => (3, 2, 8),
        Shape::OrdinaryDay => (3, 10, 0),
        Shape::SteadyAttack | Shape::SlowDays => (3, 16, 0),
        Shape::DripAndWave => (3, 12, 0),
        Shape::GrowingNumber => (4, 1, 0),
    };
    // Fixed dates away from a clock change: always one local time.
    paris.with_ymd_and_hms(2026, month, day, hour, 0, 0).single().map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}
