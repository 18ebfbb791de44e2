//! Spend, caps and sender memory survive a restart (same SQLite file).

use crate::support::*;

#[actix_web::test]
async fn a_restart_keeps_caps_and_sender_memory() {
    let dir = tempfile::tempdir().unwrap();
    let toml = config_toml(dir.path(), "", &two_tenants("daily_cap = \"0.16\""));
    // Both runs on one stopped clock: the day cannot end between them.
    let clock = midday_clock();
    let first = spawn_app_in_at(dir.path(), &toml, clock.clone()).await;
    assert!(first.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply().is_some());
    assert!(first.post_sms(&Sms::paris("+33700000002", sid(2))).await.reply().is_some());
    first.stop().await;
    drop(first);

    let second = spawn_app_in_at(dir.path(), &toml, clock).await;
    assert_eq!(
        second.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply().as_deref(),
        Some(REPLY),
        "a retry of a paid message answers as before"
    );
    assert_eq!(second.post_sms(&Sms::paris("+33700000001", sid(3))).await.reply(), None);
    assert_eq!(second.post_sms(&Sms::paris("+33700000003", sid(4))).await.reply(), None);
    let m = second.metrics().await;
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "repeat_sender"), 1);
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "budget_exhausted"), 1);
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "duplicate"), 1);
    assert_eq!(second.ledger_spend_micros().await, 2 * COST_MICROS);
    let remaining = m.value("antirelou_budget_remaining", &[("number", PARIS_NUMBER), ("scope", "number_daily")]);
    assert!(remaining.abs() < 1e-9, "gauge loaded from the ledger at start: {remaining}");
}
