//! The Redis key layout of one deployment: every key the ledger reads or
//! writes is named here, under one hash tag (`{prefix}:`), so a deployment
//! lives in one Redis Cluster slot. The counter names shared with SQLite
//! come from [`crate::rules`].

use crate::LedgerError;

/// Every key of one deployment: `{prefix}:...`, one hash tag, one cluster slot.
#[derive(Clone, Debug)]
pub struct KeySpace {
    tag: String,
}

impl KeySpace {
    /// Refuses prefixes that would break the hash tag.
    pub fn new(prefix: &str) -> Result<KeySpace, LedgerError> {
        if prefix.is_empty() || prefix.contains(['{', '}']) || prefix.contains(char::is_whitespace) {
            return Err(LedgerError::Refused(format!(
                "redis key prefix {prefix:?} must be non-empty, without braces or spaces \
                 (it becomes the hash tag {{prefix}} shared by every ledger key)"
            )));
        }
        Ok(KeySpace { tag: format!("{{{prefix}}}:") })
    }

    /// `{prefix}:` — what every key starts with (for SCAN).
    pub fn tag(&self) -> &str {
        &self.tag
    }

    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.tag)
    }

    pub fn message(&self, number: &str, message_id: &str) -> String {
        self.key(&format!("msg:{number}:{message_id}"))
    }

    pub fn sender(&self, number: &str, sender_hex: &str) -> String {
        self.key(&format!("sender:{number}:{sender_hex}"))
    }

    /// A sender who texted STOP to a number.
    pub fn opt_out(&self, number: &str, sender_hex: &str) -> String {
        self.key(&format!("optout:{number}:{sender_hex}"))
    }

    pub fn shield(&self, number: &str) -> String {
        self.key(&format!("shield:{number}"))
    }

    pub fn balances(&self) -> String {
        self.key("balances")
    }

    /// Each tenant's last top-up: `entry id:balance after:at micros`.
    pub fn last_top_ups(&self) -> String {
        self.key("last_top_ups")
    }

    pub fn entries(&self) -> String {
        self.key("entries")
    }

    pub fn entry_ids(&self) -> String {
        self.key("entry_id")
    }

    /// The pub/sub channel of budget and shield events.
    pub fn events(&self) -> String {
        self.key("events")
    }

    /// Provider message ids of a number already charged as inbound (sorted set scored by expiry).
    pub fn inbound_ids(&self, number: &str) -> String {
        self.key(&format!("inbound:{number}"))
    }

    /// A deferred sender's judgement (hash).
    pub fn deferred_item(&self, number: &str, sender_hex: &str) -> String {
        self.key(&format!("deferred:{number}:{sender_hex}"))
    }

    /// The deferred senders of a number by arrival (sorted set of sender hex).
    pub fn deferred_index(&self, number: &str) -> String {
        self.key(&format!("deferred_index:{number}"))
    }

    /// Fingerprint counts of deferred senders of a number in one hour (hash).
    pub fn deferral_marks(&self, number: &str, hour: i64) -> String {
        self.key(&format!("marks:{number}:{hour}"))
    }

    /// An exclusive lease (`judge:+33...`, `poll:+33...`).
    pub fn lease(&self, name: &str) -> String {
        self.key(&format!("lease:{name}"))
    }

    /// The claim of one alert (`budget:number:+33...:2026-12-02:80`).
    pub fn alert_claim(&self, key: &str) -> String {
        self.key(&format!("alert_claim:{key}"))
    }

    /// The kept alerts of a tenant (or `*`, the deployment's).
    pub fn alerts(&self, owner: &str) -> String {
        self.key(&format!("alerts:{owner}"))
    }

    /// A number's baseline (its ordinary day).
    pub fn baseline(&self, number: &str) -> String {
        self.key(&format!("baseline:{number}"))
    }

    /// The counters of a tenant's day.
    pub fn day_counts(&self, tenant: &str, day: &str) -> String {
        self.key(&format!("day:{tenant}:{day}"))
    }

    /// The version of the last runtime control change (integer).
    pub fn control_version(&self) -> String {
        self.key("control:version")
    }

    /// A number's runtime controls (hash: `paused`, `overrides`).
    pub fn number_control(&self, number: &str) -> String {
        self.key(&format!("control:number:{number}"))
    }

    /// A tenant's blocklist (hash: sender hex → label and date).
    pub fn blocklist(&self, tenant: &str) -> String {
        self.key(&format!("control:blocklist:{tenant}"))
    }

    /// A tenant's audit records (sorted set scored by version).
    pub fn audit(&self, tenant: &str) -> String {
        self.key(&format!("control:audit:{tenant}"))
    }

    /// How many of a tenant's audit records the operator and its tokens
    /// made (hash: `operator`, `tenant`).
    pub fn audit_counts(&self, tenant: &str) -> String {
        self.key(&format!("control:audit-counts:{tenant}"))
    }

    /// A tenant's donations by `source:payment id` (hash: amount, credit
    /// entry, credit time, refund time; kept like the entries).
    pub fn donations(&self, tenant: &str) -> String {
        self.key(&format!("donations:{tenant}"))
    }

    /// A tenant's credited donations (sorted set of `source:payment id`
    /// scored by the credit's entry id): the newest first in one range read.
    pub fn donation_index(&self, tenant: &str) -> String {
        self.key(&format!("donation_index:{tenant}"))
    }

    /// An answered call's record (hash: tenant, reserved, balance paid,
    /// day, month, at, expires; `settled`, `seconds` once settled), kept
    /// [`crate::calls::CALL_RETENTION_SECONDS`].
    pub fn call(&self, number: &str, call_id: &str) -> String {
        self.key(&format!("call:{number}:{call_id}"))
    }

    /// A signed-out console session (expires with the session).
    pub fn revoked_session(&self, id: &str) -> String {
        self.key(&format!("revoked:{id}"))
    }

    /// The keyed fingerprint of each console caller's token (hash: `o`,
    /// `t:<tenant>`; empty once removed). No TTL: one field per caller ever configured.
    pub fn session_fingerprints(&self) -> String {
        self.key("sessions:fingerprints")
    }

    /// Each console caller's session generation (hash, like the fingerprints).
    pub fn session_generations(&self) -> String {
        self.key("sessions:generations")
    }

    /// The number's open incident (its id; expires when the incident ends).
    pub fn open_incident(&self, number: &str) -> String {
        self.key(&format!("incident_open:{number}"))
    }

    /// The incident id counter.
    pub fn incident_ids(&self) -> String {
        self.key("incident_id")
    }

    /// What every incident hash's key starts with (its id follows).
    pub fn incident_prefix(&self) -> String {
        self.key("incident:")
    }

    /// An incident (hash: tenant, number, started, until, counters).
    pub fn incident(&self, id: u64) -> String {
        format!("{}{id}", self.incident_prefix())
    }

    /// An incident's timeline (hash: `slot:counter` -> value).
    pub fn incident_slots(&self, id: u64) -> String {
        self.key(&format!("incident_slots:{id}"))
    }

    /// A tenant's incidents (sorted set of ids).
    pub fn incidents(&self, tenant: &str) -> String {
        self.key(&format!("incidents:{tenant}"))
    }

    /// One sealed part of an incident (hash, expires with it).
    pub fn sealed_part(&self, id: u64, part: &str) -> String {
        self.key(&format!("sealed:{id}:{part}"))
    }

    /// The sealed parts of an incident (sorted set: part name by expiry).
    pub fn sealed_parts(&self, id: u64) -> String {
        self.key(&format!("sealed_parts:{id}"))
    }

    /// A number's health (hash: `problem:<code>`, `ok:<code>`, `failing`,
    /// `state:<name>` -> micros; expires 400 days after its last write).
    pub fn health(&self, number: &str) -> String {
        self.key(&format!("health:{number}"))
    }

    /// The write probe of `/readyz`.
    pub fn probe(&self) -> String {
        self.key("probe")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    #[test]
    fn prefixes_that_break_the_hash_tag_are_refused() {
        for bad in ["", "a{b", "a}b", "a b"] {
            assert!(KeySpace::new(bad).is_err(), "{bad:?}");
        }
        let ks = KeySpace::new("antirelou").unwrap();
        assert_eq!(ks.balances(), "{antirelou}:balances");
        assert_eq!(ks.last_top_ups(), "{antirelou}:last_top_ups");
        assert_eq!(
            ks.key(&rules::number_day("+33612345678", "2026-11-28")),
            "{antirelou}:spend:number:+33612345678:2026-11-28"
        );
        assert_eq!(ks.inbound_ids("+33612345678"), "{antirelou}:inbound:+33612345678");
    }
}
