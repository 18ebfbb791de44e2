//! A generated flood: senders and time-ordered messages, deterministic for
//! a seed. Compact (16 bytes a message, 16 a sender); [`Scenario::traffic`]
//! writes the bodies and makes it a [`Traffic`] the drivers replay.

use std::collections::HashSet;

use antirelou_engine::Channel;
use antirelou_providers::twilio;
use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::bodies;
use crate::spec::ScenarioSpec;
use crate::traffic::{Group, Traffic, TrafficBuilder};

/// Share of an attacker's messages that paste its favourite template (the
/// rest paste another one of the forum's).
const FAVOURITE_TEMPLATE_SHARE: f64 = 0.8;

/// A sender of the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sender {
    /// E.164 digits without the `+` (`33612345678`).
    pub number: u64,
    /// A genuine sender (someone who was handed the number), not an attacker.
    pub genuine: bool,
}

impl Sender {
    pub fn e164(&self) -> String {
        format!("+{}", self.number)
    }
}

/// One inbound SMS (or call) of the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// Microseconds since the scenario's start.
    pub offset_micros: i64,
    /// Index into [`Scenario::senders`].
    pub sender: u32,
    /// Which number receives it, modulo the numbers a driver targets (one in-process).
    pub target: u32,
}

/// Senders and messages of one run, sorted by time.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub spec: ScenarioSpec,
    pub seed: u64,
    pub senders: Vec<Sender>,
    pub messages: Vec<Message>,
}

impl Scenario {
    /// Generates the scenario of `spec` for `seed`: same seed, same scenario.
    pub fn generate(spec: &ScenarioSpec, seed: u64) -> Result<Scenario, crate::SpecError> {
        spec.validate()?;
        Ok(crate::generate::generate(spec, seed))
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.spec.start
    }

    pub fn start_micros(&self) -> i64 {
        self.spec.start.timestamp_micros()
    }

    /// The message's provider id: distinct for every message and seed.
    pub fn message_sid(&self, index: usize) -> String {
        let seed = (u128::from(self.seed) << 64) | index as u128;
        match self.spec.channel {
            Channel::Sms => twilio::message_sid_from(seed),
            Channel::Call => twilio::call_sid_from(seed),
        }
    }

    /// The replayable traffic: the same senders, times and message ids,
    /// with bodies written for the seed (attackers paste a handful of insult
    /// templates with small variations; genuine senders write varied short
    /// texts, then follow-ups); calls have no body.
    pub fn traffic(&self) -> Traffic {
        let calls = self.spec.channel == Channel::Call;
        // Its own stream, so the bodies never change the messages of a seed.
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(1);
        let mut builder = TrafficBuilder::default();
        let ids: Vec<u32> = self
            .senders
            .iter()
            .map(|s| builder.sender(&s.e164(), if s.genuine { Group::Genuine } else { Group::Attack }))
            .collect();
        let mut wrote: HashSet<u32> = HashSet::new();
        for (index, message) in self.messages.iter().enumerate() {
            let sender = self.sender_of(message);
            let body = if calls {
                String::new()
            } else if sender.genuine {
                if wrote.insert(message.sender) {
                    bodies::genuine_text(&mut rng)
                } else {
                    bodies::genuine_follow_up(&mut rng)
                }
            } else {
                let favourite = message.sender as usize % bodies::ATTACK_TEMPLATES.len();
                let template = if rng.gen_bool(FAVOURITE_TEMPLATE_SHARE) { favourite } else { rng.gen() };
                bodies::attack_text(&mut rng, template)
            };
            let at = self.start_micros() + message.offset_micros;
            builder.message(at, ids[message.sender as usize], &body, message.target, index as u32 + 1);
        }
        let mut traffic = builder.finish(
            self.name(),
            Some(self.seed),
            u128::from(self.seed) << 64,
            Some(self.start()),
            Some(self.spec.duration_seconds),
        );
        traffic.channel = self.spec.channel;
        traffic
    }

    pub fn sender_of(&self, message: &Message) -> &Sender {
        &self.senders[message.sender as usize]
    }

    pub fn attack_messages(&self) -> u64 {
        self.messages.iter().filter(|m| !self.sender_of(m).genuine).count() as u64
    }

    pub fn genuine_messages(&self) -> u64 {
        self.messages.len() as u64 - self.attack_messages()
    }

    pub fn attackers(&self) -> u64 {
        self.senders.iter().filter(|s| !s.genuine).count() as u64
    }

    pub fn genuine_senders(&self) -> u64 {
        self.senders.iter().filter(|s| s.genuine).count() as u64
    }
}
