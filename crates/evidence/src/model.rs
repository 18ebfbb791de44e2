//! What is kept of an attack: an [`Incident`] (one shield episode of a
//! number, counters only, no sender), its [`IncidentCounts`] per 10-minute
//! slot, and the [`SealedPart`]s: sender rows encrypted to the collective's
//! key, which the deployment cannot open.

use antirelou_domain::Money;
use serde::Serialize;

/// An incident's number, unique in a deployment (the ledger counts them).
pub type IncidentId = u64;

/// The timeline's slots: 10 minutes, aligned on the Unix epoch.
pub const TIMELINE_SLOT_SECONDS: i64 = 600;
/// An incident has at most this many slots with counters (30 days); later
/// activity still adds to its totals.
pub const MAX_SLOTS_PER_INCIDENT: usize = 30 * 144;
/// Incidents (counters, no sender) are kept this long.
pub const INCIDENT_RETENTION_SECONDS: i64 = 400 * 86_400;
/// A tenant's list keeps its last this many incidents.
pub const INCIDENTS_KEPT_PER_TENANT: usize = 1_000;
/// Sealed parts of one incident, at most (one per server that saw the attack, and per restart).
pub const MAX_PARTS_PER_INCIDENT: usize = 32;
/// A sealed part is at most this big (its rows are bounded well below).
pub const MAX_PART_BYTES: usize = 4 << 20;
/// A page of incidents holds at most this many.
pub const MAX_INCIDENTS_PER_PAGE: usize = 100;

/// The slot of an instant.
pub fn timeline_slot(micros: i64) -> i64 {
    micros.div_euclid(TIMELINE_SLOT_SECONDS * 1_000_000)
}

/// Counters of an incident, or of one slot of it. Money in micro-units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IncidentCounts {
    /// Messages received.
    pub messages: u64,
    /// Senders not seen before, as each server counts them (a sender whose
    /// messages reached two servers is counted by both).
    pub new_senders: u64,
    /// Replies paid (inline and deferred).
    pub replies: u64,
    /// Senders judged flooders.
    pub flooders: u64,
    /// What the replies cost.
    pub reply_spend_micros: i64,
    /// What the provider charged for the messages received.
    pub inbound_spend_micros: i64,
    /// What an auto-responder answering every message would have paid.
    pub unprotected_cost_micros: i64,
}

/// The stored names of the counters, in [`IncidentCounts::fields`] order.
pub const COUNT_FIELDS: [&str; 7] = [
    "messages",
    "new_senders",
    "replies",
    "flooders",
    "reply_spend_micros",
    "inbound_spend_micros",
    "unprotected_cost_micros",
];

impl IncidentCounts {
    /// Each counter with its stored name ([`COUNT_FIELDS`]).
    pub fn fields(&self) -> [(&'static str, i64); 7] {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        [
            (COUNT_FIELDS[0], n(self.messages)),
            (COUNT_FIELDS[1], n(self.new_senders)),
            (COUNT_FIELDS[2], n(self.replies)),
            (COUNT_FIELDS[3], n(self.flooders)),
            (COUNT_FIELDS[4], self.reply_spend_micros),
            (COUNT_FIELDS[5], self.inbound_spend_micros),
            (COUNT_FIELDS[6], self.unprotected_cost_micros),
        ]
    }

    /// Sets the counter stored as `field`; an unknown name is ignored (a
    /// newer version's counter).
    pub fn set(&mut self, field: &str, value: i64) {
        let n = u64::try_from(value).unwrap_or(0);
        match field {
            "messages" => self.messages = n,
            "new_senders" => self.new_senders = n,
            "replies" => self.replies = n,
            "flooders" => self.flooders = n,
            "reply_spend_micros" => self.reply_spend_micros = value,
            "inbound_spend_micros" => self.inbound_spend_micros = value,
            "unprotected_cost_micros" => self.unprotected_cost_micros = value,
            _ => {}
        }
    }

    /// Adds `other` to these counters.
    pub fn add(&mut self, other: &IncidentCounts) {
        self.messages = self.messages.saturating_add(other.messages);
        self.new_senders = self.new_senders.saturating_add(other.new_senders);
        self.replies = self.replies.saturating_add(other.replies);
        self.flooders = self.flooders.saturating_add(other.flooders);
        self.reply_spend_micros = self.reply_spend_micros.saturating_add(other.reply_spend_micros);
        self.inbound_spend_micros = self.inbound_spend_micros.saturating_add(other.inbound_spend_micros);
        self.unprotected_cost_micros = self.unprotected_cost_micros.saturating_add(other.unprotected_cost_micros);
    }

    pub fn is_empty(&self) -> bool {
        *self == IncidentCounts::default()
    }

    /// Money spent: replies and messages received.
    pub fn spend(&self) -> Money {
        Money::from_micros(self.reply_spend_micros.saturating_add(self.inbound_spend_micros))
    }

    /// Money the protection saved: what answering every message would have
    /// cost, less what the replies cost.
    pub fn saved(&self) -> Money {
        Money::from_micros(self.unprotected_cost_micros.saturating_sub(self.reply_spend_micros).max(0))
    }
}

/// One shield episode of a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    pub id: IncidentId,
    pub tenant: String,
    pub number: String,
    pub started_micros: i64,
    /// The shield's end as last shared: the incident is over once it has passed.
    pub until_micros: i64,
    pub counts: IncidentCounts,
    /// Sealed parts kept (0 without evidence or once they expired).
    pub sealed_parts: usize,
}

impl Incident {
    /// When the incident ended, once it has.
    pub fn ended_micros(&self, now_micros: i64) -> Option<i64> {
        (now_micros >= self.until_micros).then_some(self.until_micros)
    }
}

/// A number enters (or extends) shield mode: the ledger opens an incident,
/// or joins the one still open and pushes its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentOpening {
    pub tenant: String,
    pub number: String,
    pub now_micros: i64,
    pub until_micros: i64,
}

/// Counters one server adds to an incident and to one of its slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentActivity {
    pub incident: IncidentId,
    /// [`timeline_slot`] of the activity.
    pub slot: i64,
    pub counts: IncidentCounts,
}

/// An incident's slot and its counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncidentSlot {
    pub slot: i64,
    pub counts: IncidentCounts,
}

/// Sender rows of an incident as one server kept them, encrypted to the
/// tenant's recipient (an age file). Written again whole as rows change.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedPart {
    pub incident: IncidentId,
    pub tenant: String,
    /// Which server and run wrote it (`holder/run`): one part each.
    pub part: String,
    /// The age file.
    pub sealed: Vec<u8>,
    /// Rows inside (the count is not secret; the rows are).
    pub senders: u32,
    pub written_micros: i64,
    /// Deleted after this instant (`written + evidence.retention`).
    pub expires_micros: i64,
}

impl std::fmt::Debug for SealedPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedPart")
            .field("incident", &self.incident)
            .field("part", &self.part)
            .field("bytes", &self.sealed.len())
            .field("senders", &self.senders)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_round_trip_through_their_stored_names() {
        let counts = IncidentCounts {
            messages: 1,
            new_senders: 2,
            replies: 3,
            flooders: 4,
            reply_spend_micros: 5,
            inbound_spend_micros: 6,
            unprotected_cost_micros: 7,
        };
        let mut read = IncidentCounts::default();
        for (field, value) in counts.fields() {
            read.set(field, value);
        }
        assert_eq!(read, counts);
    }

    #[test]
    fn saved_is_what_answering_every_message_would_cost_less_the_replies() {
        let counts = IncidentCounts {
            messages: 100,
            replies: 2,
            reply_spend_micros: 160_000,
            inbound_spend_micros: 10_000,
            unprotected_cost_micros: 8_000_000,
            ..Default::default()
        };
        assert_eq!(counts.spend(), Money::from_micros(170_000));
        assert_eq!(counts.saved(), Money::from_micros(7_840_000));
        let free = IncidentCounts { reply_spend_micros: 5, ..Default::default() };
        assert_eq!(free.saved(), Money::ZERO, "never negative");
    }

    #[test]
    fn an_incident_has_ended_once_its_shield_end_has_passed() {
        let incident = Incident {
            id: 1,
            tenant: "paris".into(),
            number: "+33612345678".into(),
            started_micros: 0,
            until_micros: 10,
            counts: IncidentCounts::default(),
            sealed_parts: 0,
        };
        assert_eq!(incident.ended_micros(9), None);
        assert_eq!(incident.ended_micros(10), Some(10));
    }

    #[test]
    fn slots_are_ten_minutes_on_the_epoch() {
        assert_eq!(timeline_slot(0), 0);
        assert_eq!(timeline_slot(599_999_999), 0);
        assert_eq!(timeline_slot(600_000_000), 1);
        assert_eq!(timeline_slot(-1), -1);
    }
}
