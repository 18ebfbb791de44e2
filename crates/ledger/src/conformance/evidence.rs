//! Incidents and sealed evidence parts ([`EvidenceStore`](crate::EvidenceStore)).

use antirelou_evidence::model::{MAX_PARTS_PER_INCIDENT, MAX_PART_BYTES};
use antirelou_evidence::{IncidentActivity, IncidentCounts, IncidentOpening, SealedPart};

use super::NOON_MICROS;
use crate::Ledger;

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;

fn opening(tenant: &str, number: &str, now: i64, until: i64) -> IncidentOpening {
    IncidentOpening { tenant: tenant.into(), number: number.into(), now_micros: now, until_micros: until }
}

fn part(incident: u64, name: &str, sealed: &[u8], expires: i64) -> SealedPart {
    SealedPart {
        incident,
        tenant: "paris".into(),
        part: name.into(),
        sealed: sealed.to_vec(),
        senders: 2,
        written_micros: NOON_MICROS,
        expires_micros: expires,
    }
}

pub async fn an_incident_is_opened_once_per_shield_episode_and_joined_meanwhile(ledger: &dyn Ledger) {
    let first = ledger.open_incident(&opening("paris", "+33612345678", NOON_MICROS, NOON_MICROS + HOUR)).await.unwrap();
    let joined = ledger
        .open_incident(&opening("paris", "+33612345678", NOON_MICROS + MINUTE, NOON_MICROS + 2 * HOUR))
        .await
        .unwrap();
    assert_eq!(joined, first, "a replica adopting the shield joins the open incident");
    let earlier_end =
        ledger.open_incident(&opening("paris", "+33612345678", NOON_MICROS + 2 * MINUTE, NOON_MICROS + HOUR)).await;
    assert_eq!(earlier_end.unwrap(), first);
    let other_number =
        ledger.open_incident(&opening("paris", "+33612345679", NOON_MICROS, NOON_MICROS + HOUR)).await.unwrap();
    assert_ne!(other_number, first);
    let after_end = NOON_MICROS + 2 * HOUR;
    let second = ledger.open_incident(&opening("paris", "+33612345678", after_end, after_end + HOUR)).await.unwrap();
    assert!(second > other_number, "the shield ended: a new incident ({second} after {other_number})");

    let listed = ledger.incidents("paris", None, 10, after_end).await.unwrap();
    let ids: Vec<u64> = listed.iter().map(|i| i.id).collect();
    assert_eq!(ids, [second, other_number, first], "newest first");
    let first_incident = &listed[2];
    assert_eq!((first_incident.started_micros, first_incident.until_micros), (NOON_MICROS, NOON_MICROS + 2 * HOUR));
    assert_eq!(first_incident.ended_micros(after_end), Some(NOON_MICROS + 2 * HOUR));
    assert_eq!(listed[0].ended_micros(after_end), None);
    assert_eq!(ledger.incidents("paris", Some(second), 1, after_end).await.unwrap()[0].id, other_number, "pages");
    assert!(ledger.incidents("lyon", None, 10, after_end).await.unwrap().is_empty(), "another tenant's list");
    assert!(ledger.incident("lyon", first, after_end).await.unwrap().is_none(), "another tenant's incident");
}

pub async fn incident_activity_adds_up_in_its_slots_and_totals(ledger: &dyn Ledger) {
    let id = ledger.open_incident(&opening("paris", "+33612345678", NOON_MICROS, NOON_MICROS + HOUR)).await.unwrap();
    let counts = |messages: u64, flooders: u64, spend: i64| IncidentCounts {
        messages,
        new_senders: messages / 2,
        replies: 1,
        flooders,
        reply_spend_micros: spend,
        inbound_spend_micros: 10_000,
        unprotected_cost_micros: messages as i64 * 80_000,
    };
    let slot = antirelou_evidence::timeline_slot(NOON_MICROS);
    for (slot, c) in [(slot, counts(10, 1, 80_000)), (slot, counts(4, 0, 0)), (slot + 1, counts(6, 2, 80_000))] {
        ledger.add_incident_activity(&IncidentActivity { incident: id, slot, counts: c }).await.unwrap();
    }
    let unknown = IncidentActivity { incident: id + 1_000, slot, counts: counts(1, 1, 1) };
    ledger.add_incident_activity(&unknown).await.expect("an unknown incident is left alone");

    let (incident, slots) = ledger.incident("paris", id, NOON_MICROS).await.unwrap().expect("the incident");
    let mut total = counts(10, 1, 80_000);
    total.add(&counts(4, 0, 0));
    total.add(&counts(6, 2, 80_000));
    assert_eq!(incident.counts, total);
    assert_eq!(incident.counts.messages, 20);
    assert_eq!(slots.len(), 2);
    assert_eq!((slots[0].slot, slots[0].counts.messages, slots[0].counts.replies), (slot, 14, 2));
    assert_eq!((slots[1].slot, slots[1].counts.flooders), (slot + 1, 2));
}

pub async fn sealed_parts_are_replaced_whole_bounded_per_incident_and_expire(ledger: &dyn Ledger) {
    let id = ledger.open_incident(&opening("paris", "+33612345678", NOON_MICROS, NOON_MICROS + HOUR)).await.unwrap();
    let expires = NOON_MICROS + 90 * 24 * HOUR;
    ledger.put_sealed_part(&part(id, "replica-a/1", b"first version", expires), NOON_MICROS).await.unwrap();
    ledger.put_sealed_part(&part(id, "replica-a/1", b"second version", expires), NOON_MICROS).await.unwrap();
    ledger.put_sealed_part(&part(id, "replica-b/1", b"b's rows", NOON_MICROS + HOUR), NOON_MICROS).await.unwrap();
    let parts = ledger.sealed_parts("paris", id, NOON_MICROS).await.unwrap();
    let read: Vec<(&str, &[u8])> = parts.iter().map(|p| (p.part.as_str(), &p.sealed[..])).collect();
    assert_eq!(read, [("replica-a/1", &b"second version"[..]), ("replica-b/1", &b"b's rows"[..])]);
    assert_eq!((parts[0].senders, parts[0].expires_micros), (2, expires));
    assert_eq!(ledger.incidents("paris", None, 1, NOON_MICROS).await.unwrap()[0].sealed_parts, 2);
    assert!(ledger.sealed_parts("lyon", id, NOON_MICROS).await.unwrap().is_empty(), "another tenant reads none");

    let later = NOON_MICROS + HOUR;
    let left = ledger.sealed_parts("paris", id, later).await.unwrap();
    assert_eq!(left.len(), 1, "b's part expired at its retention");
    assert_eq!(ledger.incidents("paris", None, 1, later).await.unwrap()[0].sealed_parts, 1);

    let too_big = part(id, "replica-c/1", &vec![7u8; MAX_PART_BYTES + 1], expires);
    assert!(ledger.put_sealed_part(&too_big, later).await.is_err(), "a part is bounded");
    for i in 1..MAX_PARTS_PER_INCIDENT {
        ledger.put_sealed_part(&part(id, &format!("run-{i:02}"), b"x", expires), later).await.unwrap();
    }
    let one_more = part(id, "one-more", b"x", expires);
    assert!(ledger.put_sealed_part(&one_more, later).await.is_err(), "parts per incident are bounded");
    ledger.put_sealed_part(&part(id, "run-01", b"rewritten", expires), later).await.expect("a known part is rewritten");
    assert_eq!(ledger.sealed_parts("paris", id, later).await.unwrap().len(), MAX_PARTS_PER_INCIDENT);
}
