//! Concurrent webhooks never pay twice for a sender nor cross a cap.

use futures_util::stream::{self, StreamExt};

use crate::support::*;

/// Posts `count` webhooks from `senders` distinct senders to the Paris
/// number, `concurrency` at a time, and returns how many got a reply.
async fn flood(app: &TestApp, count: usize, senders: usize, concurrency: usize) -> usize {
    let froms: Vec<String> = (0..senders).map(|i| format!("+3365{i:07}")).collect();
    stream::iter(0..count)
        .map(|i| {
            let from = froms[i % senders].clone();
            async move { app.post_sms(&Sms::paris(&from, sid(10_000 + i as u64))).await }
        })
        .buffer_unordered(concurrency)
        .filter(|answer| {
            assert_eq!(answer.status, 200);
            std::future::ready(answer.reply().is_some())
        })
        .count()
        .await
}

#[actix_web::test]
async fn a_thousand_concurrent_webhooks_from_a_hundred_senders_pay_exactly_a_hundred_replies() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    let replies = flood(&app, 1_000, 100, 100).await;
    assert_eq!(replies, 100);
    assert_eq!(app.ledger_spend_micros().await, 100 * COST_MICROS);
    let m = app.metrics().await;
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "replied"), 100);
    assert_eq!(m.value("antirelou_inbound_total", &[("number", PARIS_NUMBER)]), 1_000.0);
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "repeat_sender"), 900);
}

#[actix_web::test]
async fn under_concurrency_a_cap_allows_exactly_what_it_covers() {
    // 1.99 covers 24 replies of 0.08 (1.92); the 25th would cross it.
    // A stopped clock: the daily cap cannot reset at midnight mid-flood.
    let app = spawn_app_at(|dir| config_toml(dir, "", &two_tenants("daily_cap = \"1.99\"")), midday_clock()).await;
    let replies = flood(&app, 1_000, 100, 100).await;
    assert_eq!(replies, 24);
    assert_eq!(app.ledger_spend_micros().await, 24 * COST_MICROS);
    let m = app.metrics().await;
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "replied"), 24);
    assert!(m.outcome("paris", PARIS_NUMBER, "budget_exhausted") >= 76);
}
