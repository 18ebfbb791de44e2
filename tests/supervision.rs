//! A panicking number actor is restarted; other numbers never notice.

use std::time::Duration;

use antirelou_engine::messages::Crash;

use crate::support::*;

#[actix_web::test]
async fn a_crashed_actor_restarts_from_the_ledger_and_other_numbers_keep_answering() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    assert!(app.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply().is_some());
    let paris = app.registry.route(PARIS_NUMBER).unwrap().clone();
    paris.addr.send(Crash).await.unwrap();
    assert!(app.post_sms(&Sms::lyon("+33700000001", sid(2))).await.reply().is_some(), "lyon unaffected");

    let restarted = eventually(Duration::from_secs(5), || async {
        app.metrics().await.value("antirelou_actor_restarts_total", &[("number", PARIS_NUMBER)]) == 1.0
    })
    .await;
    assert!(restarted);
    // Fresh caches, same ledger: the sender is still remembered, a new one is answered.
    assert_eq!(app.post_sms(&Sms::paris("+33700000001", sid(3))).await.reply(), None);
    assert!(app.post_sms(&Sms::paris("+33700000002", sid(4))).await.reply().is_some());
    let snapshot = app.registry.snapshot(&paris).await.unwrap();
    assert_eq!(snapshot.restarts, 1);
    assert_eq!(app.ledger_spend_micros().await, 3 * COST_MICROS);
}
