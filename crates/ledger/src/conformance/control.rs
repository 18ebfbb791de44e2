//! Runtime controls, as both backends must keep them: one version per
//! change, audit records with every change, bounded lists and pages.

use antirelou_domain::{SenderHasher, SenderKey};
use serde_json::json;

use super::NOON_MICROS;
use crate::control::{AuditAction, AuditNote, BlockedSender, SessionToken, MAX_AUDIT_PAGE, MAX_BLOCKLIST};
use crate::{Ledger, LedgerError, LedgerEvent};

const NUMBER: &str = "+33612345678";

fn sender(n: u32) -> SenderKey {
    SenderHasher::new(b"conformance-key").key(&format!("+3370000{n:04}"))
}

fn note(tenant: &str, action: AuditAction, what: serde_json::Value) -> AuditNote {
    AuditNote {
        tenant: tenant.to_owned(),
        number: Some(NUMBER.to_owned()),
        who: format!("tenant:{tenant}"),
        action,
        what,
        at_micros: NOON_MICROS,
        kept: 0,
    }
}

fn blocked(n: u32, label: &str) -> BlockedSender {
    BlockedSender { sender: sender(n), label: label.to_owned(), added_micros: NOON_MICROS + i64::from(n) }
}

pub async fn pause_and_overrides_are_stored_per_number_with_a_rising_version(ledger: &dyn Ledger) {
    let numbers = vec![NUMBER.to_owned(), "+33612345671".to_owned()];
    assert_eq!(ledger.control_version().await.unwrap(), 0);
    assert!(ledger.number_controls(&numbers).await.unwrap().is_empty(), "nothing stored: the file holds");
    let mut events = ledger.events();

    let v1 =
        ledger.set_paused(NUMBER, true, &note("paris", AuditAction::Pause, json!({"paused": true}))).await.unwrap();
    let patch = r#"{"reply":"Non."}"#;
    let v2 = ledger
        .set_overrides(NUMBER, Some(patch), &note("paris", AuditAction::Patch, json!({"reply": "Non."})))
        .await
        .unwrap()
        .unwrap();
    assert!(v2 > v1 && v1 > 0, "{v1} then {v2}");
    assert_eq!(ledger.control_version().await.unwrap(), v2);
    let stored = ledger.number_controls(&numbers).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].number.as_str(), stored[0].paused), (NUMBER, Some(true)));
    assert_eq!(stored[0].overrides.as_deref(), Some(patch));

    let resumed = note("paris", AuditAction::Resume, json!({"paused": false}));
    let v3 = ledger.set_paused(NUMBER, false, &resumed).await.unwrap();
    let cleared = note("paris", AuditAction::ClearOverrides, json!({"overrides": null}));
    let v4 = ledger.set_overrides(NUMBER, None, &cleared).await.unwrap().unwrap();
    assert!(v4 > v3 && v3 > v2);
    let stored = ledger.number_controls(&numbers).await.unwrap();
    assert_eq!((stored[0].paused, stored[0].overrides.clone()), (Some(false), None));
    assert_eq!(ledger.set_overrides(NUMBER, None, &cleared).await.unwrap(), None, "nothing left to clear");
    assert_eq!(ledger.control_version().await.unwrap(), v4, "a change that changes nothing is no version");

    // Every change was announced with its version.
    let mut heard = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while heard.len() < 4 {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(LedgerEvent::Control { version })) => heard.push(version),
            Ok(Ok(_)) => {}
            other => panic!("control events: heard {heard:?}, then {other:?}"),
        }
    }
    assert_eq!(heard, vec![v1, v2, v3, v4]);
}

pub async fn a_blocklist_keeps_hashes_labels_and_dates_per_tenant(ledger: &dyn Ledger) {
    let block = |n, label| note("paris", AuditAction::Block, json!({"sender": sender(n).to_hex(), "label": label}));
    let first =
        ledger.block_sender("paris", &blocked(1, "insultes"), MAX_BLOCKLIST, &block(1, "insultes")).await.unwrap();
    assert!(first.added);
    let second = ledger.block_sender("paris", &blocked(2, "relou"), MAX_BLOCKLIST, &block(2, "relou")).await.unwrap();
    assert!(second.added && second.version > first.version);
    let relabel =
        ledger.block_sender("paris", &blocked(1, "menaces"), MAX_BLOCKLIST, &block(1, "menaces")).await.unwrap();
    assert!(!relabel.added, "already blocked: the label changes");

    let list = ledger.blocklist("paris").await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].sender, list[0].label.as_str(), list[0].added_micros), (sender(1), "menaces", NOON_MICROS + 1));
    assert_eq!((list[1].sender, list[1].label.as_str()), (sender(2), "relou"));
    assert!(ledger.blocklist("lyon").await.unwrap().is_empty(), "tenants do not share a blocklist");

    let unblock = note("paris", AuditAction::Unblock, json!({"sender": sender(1).to_hex()}));
    assert!(ledger.unblock_sender("paris", &sender(1), &unblock).await.unwrap().is_some());
    assert_eq!(ledger.unblock_sender("paris", &sender(1), &unblock).await.unwrap(), None, "already gone");
    assert_eq!(ledger.unblock_sender("lyon", &sender(2), &unblock).await.unwrap(), None, "not lyon's");
    let list = ledger.blocklist("paris").await.unwrap();
    assert_eq!(list.iter().map(|b| b.sender).collect::<Vec<_>>(), vec![sender(2)]);
}

pub async fn a_full_blocklist_refuses_a_new_sender_and_writes_nothing(ledger: &dyn Ledger) {
    const CAP: usize = 3;
    let block = |tenant: &str, n| {
        let what = json!({"sender": sender(n).to_hex()});
        (blocked(n, ""), note(tenant, AuditAction::Block, what))
    };
    for n in 0..CAP as u32 {
        let (entry, audit) = block("paris", n);
        ledger.block_sender("paris", &entry, CAP, &audit).await.unwrap();
    }
    let version = ledger.control_version().await.unwrap();
    let (entry, audit) = block("paris", 7);
    match ledger.block_sender("paris", &entry, CAP, &audit).await {
        Err(LedgerError::Refused(message)) => assert!(message.contains("already holds 3 senders"), "{message}"),
        other => panic!("a new sender beyond the cap: {other:?}"),
    }
    assert_eq!(ledger.control_version().await.unwrap(), version, "nothing written");
    assert_eq!(ledger.blocklist("paris").await.unwrap().len(), CAP);
    assert_eq!(ledger.audit("paris", None, 50).await.unwrap().records.len(), CAP, "nothing audited");
    let (mut entry, audit) = block("paris", 0);
    entry.label = "x".into();
    assert!(!ledger.block_sender("paris", &entry, CAP, &audit).await.unwrap().added, "a blocked sender is relabelled");
    let (entry, audit) = block("lyon", 7);
    assert!(ledger.block_sender("lyon", &entry, CAP, &audit).await.unwrap().added, "the cap is per tenant");
}

pub async fn audit_records_come_newest_first_in_pages_per_tenant(ledger: &dyn Ledger) {
    for i in 0..5 {
        let what = json!({"paused": i % 2 == 0});
        ledger.set_paused(NUMBER, i % 2 == 0, &note("paris", AuditAction::Pause, what)).await.unwrap();
    }
    let lyon = note("lyon", AuditAction::Block, json!({"sender": sender(9).to_hex(), "label": ""}));
    ledger.block_sender("lyon", &blocked(9, ""), MAX_BLOCKLIST, &lyon).await.unwrap();

    let first = ledger.audit("paris", None, 2).await.unwrap();
    assert_eq!(first.records.len(), 2);
    assert!(first.records[0].version > first.records[1].version, "newest first");
    assert_eq!(first.next, Some(first.records[1].version));
    let second = ledger.audit("paris", first.next, 2).await.unwrap();
    let third = ledger.audit("paris", second.next, 2).await.unwrap();
    assert_eq!((second.records.len(), third.records.len(), third.next), (2, 1, None));
    let mut versions: Vec<u64> =
        [&first, &second, &third].iter().flat_map(|p| p.records.iter().map(|r| r.version)).collect();
    let before = versions.clone();
    versions.dedup();
    assert_eq!((versions.len(), before), (5, versions.clone()), "pages join up without repeats");

    let record = &first.records[0];
    assert_eq!(record.note, note("paris", AuditAction::Pause, json!({"paused": true})), "stored as written");
    let lyon_page = ledger.audit("lyon", None, 50).await.unwrap();
    assert_eq!(lyon_page.records.len(), 1, "one tenant's records only");
    assert_eq!(lyon_page.records[0].note, lyon);
    let huge = ledger.audit("paris", None, 1_000_000).await.unwrap();
    assert!(huge.records.len() <= MAX_AUDIT_PAGE);
}

pub async fn a_signed_out_session_is_refused_until_it_would_have_expired(ledger: &dyn Ledger) {
    let expires = NOON_MICROS + 30 * 60_000_000;
    assert!(!ledger.session_revoked("s1", NOON_MICROS).await.unwrap());
    ledger.revoke_session("s1", NOON_MICROS, expires).await.unwrap();
    // Twice (a double click) changes nothing.
    ledger.revoke_session("s1", NOON_MICROS, expires).await.unwrap();
    assert!(ledger.session_revoked("s1", NOON_MICROS + 1).await.unwrap());
    assert!(ledger.session_revoked("s1", expires - 1).await.unwrap());
    assert!(!ledger.session_revoked("s2", NOON_MICROS + 1).await.unwrap(), "another session is not");
    assert!(!ledger.session_revoked("s1", expires).await.unwrap(), "past its expiry the record is moot");
}

pub async fn a_session_generation_rises_with_every_token_change_and_removal_and_never_comes_back(ledger: &dyn Ledger) {
    let token = |who: &str, fingerprint: &str| SessionToken { who: who.into(), fingerprint: fingerprint.into() };
    let generation = |who: &'static str| async move { ledger.session_generation(who).await.unwrap() };
    assert_eq!(generation("t:paris").await, 0, "never recorded");
    let first = [token("o", "op-a"), token("t:paris", "paris-a"), token("t:lyon", "lyon-a")];
    ledger.align_session_generations(&first).await.unwrap();
    // Every replica aligns at its start and after each reload: the same tokens change nothing.
    ledger.align_session_generations(&first).await.unwrap();
    assert_eq!((generation("o").await, generation("t:paris").await, generation("t:lyon").await), (0, 0, 0));

    // Paris's token rotated, then rotated back: a generation each time.
    ledger
        .align_session_generations(&[token("o", "op-a"), token("t:paris", "paris-b"), token("t:lyon", "lyon-a")])
        .await
        .unwrap();
    assert_eq!(generation("t:paris").await, 1);
    ledger.align_session_generations(&first).await.unwrap();
    assert_eq!(generation("t:paris").await, 2, "the old token back is not the old sessions back");
    assert_eq!((generation("o").await, generation("t:lyon").await), (0, 0), "the others are untouched");

    // Lyon removed (once, however often aligned), then added again with its old token.
    let without_lyon = [token("o", "op-a"), token("t:paris", "paris-a")];
    ledger.align_session_generations(&without_lyon).await.unwrap();
    ledger.align_session_generations(&without_lyon).await.unwrap();
    assert_eq!(generation("t:lyon").await, 1);
    ledger.align_session_generations(&first).await.unwrap();
    assert_eq!(generation("t:lyon").await, 2, "a tenant added again starts a new generation");
    assert_eq!(generation("t:paris").await, 2);
}

pub async fn a_full_audit_trail_refuses_changes_and_never_drops_a_record(ledger: &dyn Ledger) {
    let limited = |who: &str, action: AuditAction, paused: bool| AuditNote {
        who: who.to_owned(),
        kept: 3,
        ..note("paris", action, json!({ "paused": paused }))
    };
    let operator = limited("operator", AuditAction::Pause, true);
    let first = ledger.set_paused(NUMBER, true, &operator).await.unwrap();
    for paused in [false, true, false] {
        let action = if paused { AuditAction::Pause } else { AuditAction::Resume };
        ledger.set_paused(NUMBER, paused, &limited("tenant:paris", action, paused)).await.unwrap();
    }
    let version = ledger.control_version().await.unwrap();
    // The tenant's fourth change is refused, and writes nothing.
    let refused = ledger.set_paused(NUMBER, true, &limited("tenant:paris", AuditAction::Pause, true)).await;
    let Err(LedgerError::Refused(reason)) = refused else { panic!("refused: {refused:?}") };
    assert!(reason.contains("already holds 3 changes made by this tenant"), "{reason}");
    assert_eq!(ledger.control_version().await.unwrap(), version, "nothing written");
    let stored = ledger.number_controls(&[NUMBER.to_owned()]).await.unwrap();
    assert_eq!(stored[0].paused, Some(false), "the refused pause was not applied");
    let block_note = limited("tenant:paris", AuditAction::Block, true);
    let block = ledger.block_sender("paris", &blocked(1, "x"), MAX_BLOCKLIST, &block_note).await;
    assert!(matches!(block, Err(LedgerError::Refused(_))), "every kind of change is refused");
    // The operator's own bound is apart: it still acts.
    ledger.set_paused(NUMBER, true, &limited("operator", AuditAction::Pause, true)).await.unwrap();
    let page = ledger.audit("paris", None, MAX_AUDIT_PAGE).await.unwrap();
    let whos: Vec<&str> = page.records.iter().map(|r| r.note.who.as_str()).collect();
    assert_eq!(whos, ["operator", "tenant:paris", "tenant:paris", "tenant:paris", "operator"]);
    assert_eq!(page.records.last().map(|r| r.version), Some(first), "the first record is kept");
    // Another tenant's trail is its own.
    let lyon = AuditNote { tenant: "lyon".to_owned(), ..limited("tenant:lyon", AuditAction::Pause, true) };
    ledger.set_paused("+33612345679", true, &lyon).await.unwrap();
}
