//! Every outcome of the decision (docs/behaviour.md) that a webhook can
//! meet is reachable and counted; spend equals replies × cost. (`shielded`
//! follows a judgement, driven on virtual time in the simulator's tests.)

use std::time::Duration;

use crate::support::*;

const PAUSED: &str = "+33612345679";
const LIMITED: &str = "+33612345670";
const SHIELDED: &str = "+33612345672";

fn outcome_config(dir: &std::path::Path) -> String {
    let extra = format!(
        r#"daily_cap = "0.16"

[[tenants.numbers]]
number = "{PAUSED}"
paused = true
reply = "{REPLY}"
price_per_segment = "0.08"

[[tenants.numbers]]
number = "{LIMITED}"
reply = "{REPLY}"
price_per_segment = "0.08"
max_replies_per_minute = 1

[[tenants.numbers]]
number = "{SHIELDED}"
reply = "{REPLY}"
price_per_segment = "0.08"
shield = {{ trigger_per_minute = 2, new_senders_per_minute = 2, hold = "1h", trickle_per_hour = 1 }}
"#
    );
    let tenants = two_tenants(&extra).replace(
        "admin_token = \"paris-admin-token-0123456789\"",
        "admin_token = \"paris-admin-token-0123456789\"\nblocklist = [\"+33600000666\"]",
    );
    config_toml(dir, "", &tenants)
}

#[actix_web::test]
async fn each_outcome_is_reachable_and_counted_and_only_replies_cost() {
    // The daily cap, the per-minute limit and the hourly trickle must not roll over mid-test.
    let app = spawn_app_at(outcome_config, midday_clock()).await;
    let reply = Some(REPLY.to_owned());
    let to = |number: &'static str, from: &'static str, sid: String| Sms { to: number, ..Sms::paris(from, sid) };

    assert_eq!(app.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply(), reply, "replied");
    assert_eq!(app.post_sms(&Sms::paris("+33700000001", sid(2))).await.reply(), None, "repeat_sender");
    assert_eq!(app.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply(), reply, "duplicate answers as before");
    assert_eq!(app.post_sms(&Sms::paris("+14155552671", sid(3))).await.reply(), None, "country_not_allowed");
    assert_eq!(app.post_sms(&Sms::paris("+33600000666", sid(4))).await.reply(), None, "blocked");
    assert_eq!(app.post_sms(&Sms::paris("+32470123456", sid(5))).await.reply(), reply, "replied (BE allowed)");
    assert_eq!(app.post_sms(&Sms::paris("+33700000003", sid(6))).await.reply(), None, "budget_exhausted");
    assert_eq!(app.post_sms(&Sms::paris("+33700000004", sid(7))).await.reply(), None, "budget_exhausted, cached");
    assert_eq!(app.post_sms(&to(PAUSED, "+33700000001", sid(8))).await.reply(), None, "paused");
    assert_eq!(app.post_sms(&to(LIMITED, "+33700000001", sid(9))).await.reply(), reply, "replied");
    assert_eq!(app.post_sms(&to(LIMITED, "+33700000002", sid(10))).await.reply(), None, "rate_limited");
    assert_eq!(app.post_sms(&to(SHIELDED, "+33700000001", sid(11))).await.reply(), reply, "replied");
    assert_eq!(app.post_sms(&to(SHIELDED, "+33700000002", sid(12))).await.reply(), reply, "replied");
    assert_eq!(app.post_sms(&to(SHIELDED, "+33700000003", sid(13))).await.reply(), None, "shield on: deferred");
    assert_eq!(app.post_sms(&to(SHIELDED, "+33700000003", sid(14))).await.reply(), None, "still deferred");
    let stop = Sms { body: " Arrêt ", ..Sms::paris("+33700000005", sid(15)) };
    assert_eq!(app.post_sms(&stop).await.reply(), None, "opted_out");
    assert_eq!(app.post_sms(&Sms::paris("+33700000005", sid(16))).await.reply(), None, "opted_out, remembered");
    assert_eq!(app.post_sms(&Sms::paris("INFO", sid(17))).await.reply(), None, "not_a_phone");
    assert_eq!(app.post_sms(&Sms::paris("36180", sid(18))).await.reply(), None, "not_a_phone (short code)");

    let m = app.metrics().await;
    let count = |number, outcome| m.outcome("paris", number, outcome);
    assert_eq!(count(PARIS_NUMBER, "replied"), 2);
    assert_eq!(count(PARIS_NUMBER, "repeat_sender"), 1);
    assert_eq!(count(PARIS_NUMBER, "duplicate"), 1);
    assert_eq!(count(PARIS_NUMBER, "country_not_allowed"), 1);
    assert_eq!(count(PARIS_NUMBER, "blocked"), 1);
    assert_eq!(count(PARIS_NUMBER, "budget_exhausted"), 2);
    assert_eq!(count(PAUSED, "paused"), 1);
    assert_eq!(count(LIMITED, "replied"), 1);
    assert_eq!(count(LIMITED, "rate_limited"), 1);
    assert_eq!(count(SHIELDED, "replied"), 2);
    assert_eq!(count(SHIELDED, "deferred"), 2);
    assert_eq!(count(PARIS_NUMBER, "opted_out"), 2);
    assert_eq!(count(PARIS_NUMBER, "not_a_phone"), 2);
    assert_eq!(m.value("antirelou_inbound_total", &[]), 19.0, "one outcome per webhook");
    assert_eq!(m.value("antirelou_shield_active", &[("number", SHIELDED)]), 1.0);

    let replies = 5;
    assert_eq!(app.ledger_spend_micros().await, replies * COST_MICROS, "spend = replies x cost");
    let entries = antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await;
    assert_eq!(entries.len() as i64, replies, "one entry per reply, nothing else");
    let spend_metric = m.value("antirelou_spend_total", &[("kind", "reply")]);
    assert!((spend_metric - 0.40).abs() < 1e-9, "{spend_metric}");
    let remaining = m.value("antirelou_budget_remaining", &[("number", PARIS_NUMBER), ("scope", "number_daily")]);
    assert!(remaining.abs() < 1e-9, "daily cap fully used: {remaining}");
}

#[actix_web::test]
async fn a_locked_ledger_fails_closed_and_a_flood_sheds_as_overloaded() {
    let app =
        spawn_app(|dir| config_toml(dir, "decision_timeout_ms = 600\nmax_pending_ledger_calls = 16", &two_tenants("")))
            .await;
    // The service has loaded its runtime controls (and written what it
    // writes at start) before the lock: a message from a country the number
    // does not answer is decided without an entry.
    let mut warm_up = 19_000;
    let started = eventually(Duration::from_secs(10), || {
        warm_up += 1;
        let id = sid(warm_up);
        let app = &app;
        async move {
            app.post_sms(&Sms::paris("+447700900123", id)).await;
            app.metrics().await.outcome("paris", PARIS_NUMBER, "country_not_allowed") >= 1
        }
    })
    .await;
    assert!(started, "the service decides before the ledger is locked");
    // Another process holds the write lock, as a stuck backup job could.
    let locker = rusqlite::Connection::open(app.dir.join("ledger.sqlite3")).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let senders: Vec<String> = (0..200).map(|i| format!("+33710{i:06}")).collect();
    let posts = senders.iter().enumerate().map(|(i, from)| {
        let app = &app;
        async move { app.post_sms(&Sms::paris(from, sid(20_000 + i as u64))).await }
    });
    let answers = futures_util::future::join_all(posts).await;
    assert!(answers.iter().all(|a| a.status == 200 && a.reply().is_none()), "fast 200, no reply");

    let m = app.metrics().await;
    let unavailable = m.outcome("paris", PARIS_NUMBER, "ledger_unavailable");
    let overloaded = m.outcome("paris", PARIS_NUMBER, "overloaded");
    assert_eq!(unavailable + overloaded, 200);
    assert!(unavailable >= 1 && overloaded >= 1, "unavailable {unavailable}, overloaded {overloaded}");
    assert!(m.value("antirelou_ledger_errors_total", &[("backend", "embedded"), ("op", "decide_reply")]) >= 1.0);

    locker.execute_batch("ROLLBACK").unwrap();
    // Abandoned decisions never commit: nothing was paid while nobody was answered.
    let settled = eventually(Duration::from_secs(10), || async {
        app.post_sms(&Sms::paris("+33799999999", sid(29_999))).await.reply().is_some()
    })
    .await;
    assert!(settled, "service resumes once the lock is gone");
    let entries = antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await;
    assert_eq!(entries.len(), 1, "only the reply that was sent is in the ledger");
    assert_eq!(entries[0].reference, sid(29_999));
}
