//! A generated flood: senders and time-ordered messages, deterministic for
//! a seed. Compact (16 bytes a message, 16 a sender) so a million-message
//! scale test fits in memory easily.

use antirelou_providers::twilio;
use chrono::{DateTime, Utc};

use crate::spec::ScenarioSpec;

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

/// One inbound SMS of the scenario.
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
        twilio::message_sid_from((u128::from(self.seed) << 64) | index as u128)
    }

    /// A neutral placeholder body (bodies are never logged nor stored anyway).
    pub fn body(index: usize) -> String {
        format!("msg {index}")
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
