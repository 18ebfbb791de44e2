//! A replayable traffic: who sends what, and when. A built-in scenario, a
//! shape of the traffic generator and a traffic file all become a
//! [`Traffic`]; both drivers replay it, and the report reads its ground
//! truth (each sender's [`Group`]), which the engine never sees.

use antirelou_domain::micros;
use std::collections::HashMap;

use antirelou_domain::PhoneNumber;
use antirelou_engine::Channel;
use antirelou_providers::twilio;
use chrono::{DateTime, Utc};

/// Who a sender really is: ground truth for the report only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Takes part in a flood.
    Attack,
    /// Someone who was handed the number.
    Genuine,
    /// Neither (a traffic file's other labels, or none).
    Other,
}

impl Group {
    pub const ALL: [Group; 3] = [Group::Attack, Group::Genuine, Group::Other];

    /// The `group` of a traffic line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Group::Attack => "attack",
            Group::Genuine => "genuine",
            Group::Other => "other",
        }
    }

    /// `"attack"` or `"genuine"`; anything else is [`Group::Other`].
    pub fn from_label(label: &str) -> Group {
        match label {
            "attack" => Group::Attack,
            "genuine" => Group::Genuine,
            _ => Group::Other,
        }
    }
}

/// A distinct sender, as the provider gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficSender {
    /// The webhook's `From`, exactly (a traffic file may give non-E.164 senders).
    pub from: String,
    pub group: Group,
}

/// One inbound SMS, or one incoming call (a call has an empty body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrafficMessage {
    /// When it arrives, microseconds since the Unix epoch.
    pub at_micros: i64,
    /// Index into [`Traffic::senders`].
    pub sender: u32,
    /// Index into [`Traffic::bodies`].
    pub body: u32,
    /// Which number receives it, modulo the numbers an HTTP run targets.
    pub target: u32,
    /// Where it came from: its line in a traffic file, or its position (from 1) in a generated scenario.
    pub line: u32,
}

/// Senders and time-ordered messages of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    /// What the report calls it: the scenario's name or the file's stem.
    pub name: String,
    /// The generator's seed (`None` for a traffic file).
    pub seed: Option<u64>,
    /// The first instant of the run (the virtual clock starts there).
    pub start: DateTime<Utc>,
    pub duration_seconds: u64,
    pub senders: Vec<TrafficSender>,
    /// Sorted by time; equal times keep their order of origin.
    pub messages: Vec<TrafficMessage>,
    /// Distinct bodies, once each.
    pub bodies: Vec<String>,
    /// SMS (the default), or calls: every message of a traffic is one or
    /// the other, posted to the provider's SMS or voice webhook.
    pub channel: Channel,
    /// Message ids are `message_sid_from(sid_base | index)` (`call_sid_from` for calls).
    sid_base: u128,
}

impl Traffic {
    pub fn start_micros(&self) -> i64 {
        self.start.timestamp_micros()
    }

    /// Microseconds from the start to `message`.
    pub fn offset_micros(&self, message: &TrafficMessage) -> i64 {
        message.at_micros - self.start_micros()
    }

    /// The provider id of the message at `index` (a `CallSid` for a call):
    /// distinct within a run.
    pub fn message_sid(&self, index: usize) -> String {
        match self.channel {
            Channel::Sms => twilio::message_sid_from(self.sid_base | index as u128),
            Channel::Call => twilio::call_sid_from(self.sid_base | index as u128),
        }
    }

    /// Whether the traffic is calls rather than SMS.
    pub fn is_calls(&self) -> bool {
        self.channel == Channel::Call
    }

    pub fn sender_of(&self, message: &TrafficMessage) -> &TrafficSender {
        &self.senders[message.sender as usize]
    }

    pub fn body_of(&self, message: &TrafficMessage) -> &str {
        &self.bodies[message.body as usize]
    }

    pub fn group_of(&self, message: &TrafficMessage) -> Group {
        self.sender_of(message).group
    }

    /// Messages sent by senders of `group`.
    pub fn messages_of(&self, group: Group) -> u64 {
        self.messages.iter().filter(|m| self.group_of(m) == group).count() as u64
    }

    /// Senders of `group`.
    pub fn senders_of(&self, group: Group) -> u64 {
        self.senders.iter().filter(|s| s.group == group).count() as u64
    }

    /// Who a reply sent to `recipient` (E.164, as a send API gets it) is
    /// for: each sender by its exact `From` and, when it reads as a phone
    /// number, by its E.164 form.
    pub fn recipients(&self) -> HashMap<String, u32> {
        let mut map = HashMap::with_capacity(self.senders.len() * 2);
        for (index, sender) in self.senders.iter().enumerate() {
            if let Ok(number) = PhoneNumber::parse(&sender.from) {
                map.entry(number.as_str().to_owned()).or_insert(index as u32);
            }
        }
        for (index, sender) in self.senders.iter().enumerate() {
            map.insert(sender.from.clone(), index as u32);
        }
        map
    }
}

/// Builds a [`Traffic`]: senders and bodies interned, messages sorted at the end.
#[derive(Default)]
pub struct TrafficBuilder {
    senders: Vec<TrafficSender>,
    by_from: HashMap<String, u32>,
    bodies: Vec<String>,
    by_body: HashMap<String, u32>,
    messages: Vec<TrafficMessage>,
}

impl TrafficBuilder {
    /// The sender `from`: an existing one (whatever its group) or a new one of `group`.
    pub fn sender(&mut self, from: &str, group: Group) -> u32 {
        if let Some(&index) = self.by_from.get(from) {
            return index;
        }
        let index = self.senders.len() as u32;
        self.senders.push(TrafficSender { from: from.to_owned(), group });
        self.by_from.insert(from.to_owned(), index);
        index
    }

    /// Sets the group of the sender at `index` (ignored if there is none).
    pub fn set_group(&mut self, index: u32, group: Group) {
        if let Some(sender) = self.senders.get_mut(index as usize) {
            sender.group = group;
        }
    }

    /// Adds a message; `line` says where it came from (see [`TrafficMessage::line`]).
    pub fn message(&mut self, at_micros: i64, sender: u32, body: &str, target: u32, line: u32) {
        let body = match self.by_body.get(body) {
            Some(&index) => index,
            None => {
                let index = self.bodies.len() as u32;
                self.bodies.push(body.to_owned());
                self.by_body.insert(body.to_owned(), index);
                index
            }
        };
        self.messages.push(TrafficMessage { at_micros, sender, body, target, line });
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The traffic, messages sorted stably by time, senders numbered in the
    /// order they first write (one who never wrote is dropped). `start` defaults to the
    /// first message, `duration_seconds` to the span up to the last one
    /// (rounded up, at least one second).
    pub fn finish(
        mut self,
        name: &str,
        seed: Option<u64>,
        sid_base: u128,
        start: Option<DateTime<Utc>>,
        duration_seconds: Option<u64>,
    ) -> Traffic {
        self.messages.sort_by_key(|m| m.at_micros);
        // A sender who never wrote is no sender: keep only those with a message.
        let mut renumbered: Vec<Option<u32>> = vec![None; self.senders.len()];
        let mut senders = Vec::with_capacity(self.senders.len());
        for message in &mut self.messages {
            let index = message.sender as usize;
            message.sender = *renumbered[index].get_or_insert_with(|| {
                senders.push(self.senders[index].clone());
                senders.len() as u32 - 1
            });
        }
        let first = self.messages.first().map_or(0, |m| m.at_micros);
        let last = self.messages.last().map_or(0, |m| m.at_micros);
        let start = start.unwrap_or_else(|| DateTime::from_timestamp_micros(first).unwrap_or_default());
        let span_micros = (last - start.timestamp_micros()).max(0);
        let duration_seconds =
            duration_seconds.unwrap_or_else(|| (span_micros as u64).div_ceil(micros::PER_SECOND as u64).max(1));
        Traffic {
            name: name.to_owned(),
            seed,
            start,
            duration_seconds,
            senders,
            messages: self.messages,
            bodies: self.bodies,
            channel: Channel::Sms,
            sid_base,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_read_their_labels_and_anything_else_is_other() {
        for group in Group::ALL {
            assert_eq!(Group::from_label(group.as_str()), group);
        }
        assert_eq!(Group::from_label("Attack"), Group::Other);
        assert_eq!(Group::from_label(""), Group::Other);
    }

    #[test]
    fn the_builder_interns_senders_and_bodies_and_sorts_stably() {
        let mut b = TrafficBuilder::default();
        let a = b.sender("+33611111111", Group::Attack);
        let g = b.sender("0622222222", Group::Genuine);
        assert_eq!(b.sender("+33611111111", Group::Genuine), a, "an existing sender keeps its group");
        b.message(3_000_000, a, "x", 0, 1);
        b.message(1_000_000, g, "y", 0, 2);
        b.message(3_000_000, g, "x", 0, 3);
        b.sender("+33633333333", Group::Attack);
        let t = b.finish("t", None, 0, None, None);
        assert_eq!(t.messages.iter().map(|m| m.line).collect::<Vec<_>>(), vec![2, 1, 3]);
        assert_eq!(t.senders.len(), 2, "a sender who never wrote is dropped");
        let (a, g) = (1, 0);
        assert_eq!(t.bodies, vec!["x".to_owned(), "y".to_owned()]);
        assert_eq!((t.start_micros(), t.duration_seconds), (1_000_000, 2));
        assert_eq!(t.senders_of(Group::Attack), 1);
        assert_eq!(t.messages_of(Group::Genuine), 2);
        let recipients = t.recipients();
        assert_eq!(recipients["+33611111111"], a);
        assert_eq!(recipients["0622222222"], g);
        assert_ne!(t.message_sid(0), t.message_sid(1));
    }
}
