//! Budget alerts: 50, 80 and 100 % of a cap, each once per period across
//! replicas and restarts, posted to the tenant's webhook and kept for
//! `GET /v1/tenants/{tenant}/alerts`; and the per-day stats.

use std::sync::Arc;
use std::time::Duration;

use antirelou_domain::ManualClock;

use crate::shield_alerts::alert_receiver;
use crate::support::*;

const OPERATOR: &str = "operator-token-0123456789";
const PARIS_ADMIN: &str = "paris-admin-token-0123456789";
const LYON_ADMIN: &str = "lyon-admin-token-0123456789";

/// Paris with a daily cap of five replies (0.40) and an alert webhook.
fn config(dir: &std::path::Path, hook: &str) -> String {
    let tenants = two_tenants("daily_cap = \"0.40\"").replacen(
        "id = \"paris\"",
        &format!("id = \"paris\"\nalert_webhook = \"{hook}\""),
        1,
    );
    config_toml(dir, &format!("operator_token = \"{OPERATOR}\""), &tenants)
}

async fn budget_events(received: &std::sync::Mutex<Vec<serde_json::Value>>) -> Vec<(String, String)> {
    let received = received.lock().unwrap();
    received
        .iter()
        .filter(|a| a["kind"] == "budget")
        .map(|a| (a["event"].as_str().unwrap().to_owned(), a["period"].as_str().unwrap().to_owned()))
        .collect()
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, serde_json::Value) {
    let response = app.client.get(format!("{}{path}", app.admin_url)).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

#[actix_web::test]
async fn a_daily_cap_alerts_three_times_once_across_replicas_and_again_the_next_day() {
    let (hook, received) = alert_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let (settings, ledger) = settings_and_ledger(&config(dir.path(), &hook));
    // Noon in Paris: a day boundary is never near.
    let noon = chrono::DateTime::parse_from_rfc3339("2026-11-28T11:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let clock = Arc::new(ManualClock::starting_at(noon));
    let first = spawn_app_with_clock(dir.path(), settings.clone(), Arc::clone(&ledger), clock.clone()).await;
    for i in 0..6 {
        let answer = first.post_sms(&Sms::paris(&format!("+3370000001{i}"), sid(i))).await;
        assert_eq!(answer.reply().is_some(), i < 5, "reply {i}: five fit in the cap");
    }
    let three = || async { budget_events(&received).await.len() >= 3 };
    assert!(eventually(Duration::from_secs(10), three).await, "three alerts");
    let day = "2026-11-28".to_owned();
    let expected = vec![
        ("budget_50".to_owned(), day.clone()),
        ("budget_80".to_owned(), day.clone()),
        ("budget_100".to_owned(), day.clone()),
    ];
    let mut events = budget_events(&received).await;
    events.sort();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(events, sorted);
    let alert = received.lock().unwrap().iter().find(|a| a["event"] == "budget_100").cloned().unwrap();
    assert!(alert["text"].as_str().unwrap().contains("0.40"), "{alert}");
    assert_eq!(alert["number"], PARIS_NUMBER);

    // A second replica on the same ledger (or this one restarted) reads the
    // same totals: every threshold is already claimed.
    let second = spawn_app_with_clock(dir.path(), settings.clone(), Arc::clone(&ledger), clock.clone()).await;
    let refused = second.post_sms(&Sms::paris("+33700000020", sid(20))).await;
    assert_eq!(refused.reply(), None);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(budget_events(&received).await.len(), 3, "no replica repeats an alert");

    let (status, kept) = get(&second, "/v1/tenants/paris/alerts", PARIS_ADMIN).await;
    assert_eq!(status, 200);
    let kept: Vec<&str> = kept["alerts"].as_array().unwrap().iter().map(|a| a["event"].as_str().unwrap()).collect();
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert_eq!(
        get(&second, "/v1/tenants/paris/alerts", LYON_ADMIN).await.0,
        404,
        "another tenant's alerts are not found"
    );
    assert_eq!(get(&second, "/v1/tenants/lyon/alerts", LYON_ADMIN).await.1["alerts"], serde_json::json!([]));

    // The console's alerts page lists the same three, and no sender.
    let session = crate::console::sign_in(&second, PARIS_ADMIN).await.expect("paris signs in");
    let page = second
        .client
        .get(format!("{}/console/tenants/paris/alerts", second.admin_url))
        .header("Cookie", format!("antirelou_console={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert_eq!(page.matches("<td ").count(), 6, "three alerts, when and what: {page}");
    assert!(
        page.contains("Plafond du jour (numéro) — 100 % atteint (0,40") && page.contains("sur 0,40"),
        "each alert reads in the visitor's language: {page}"
    );
    assert!(page.contains(">28 nov. 2026 12:00<"), "at, in the deployment's timezone: {page}");
    assert!(!page.contains("+337000000"), "no sender on the page");

    // The next day starts again.
    clock.advance_seconds(86_400);
    for i in 0..5 {
        let answer = first.post_sms(&Sms::paris(&format!("+3370000003{i}"), sid(30 + i))).await;
        assert!(answer.reply().is_some(), "the new day has a new cap");
    }
    let six = || async { budget_events(&received).await.len() >= 6 };
    assert!(eventually(Duration::from_secs(10), six).await, "three more alerts the next day");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let events = budget_events(&received).await;
    assert_eq!(events.len(), 6);
    assert_eq!(events.iter().filter(|(_, d)| *d == "2026-11-29").count(), 3);
    first.stop().await;
    second.stop().await;
}

#[actix_web::test]
async fn stats_count_each_day_s_decisions_by_outcome_and_spend_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let (settings, ledger) = settings_and_ledger(&config(dir.path(), "http://127.0.0.1:9/unused"));
    let noon = chrono::DateTime::parse_from_rfc3339("2026-11-28T11:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let clock = Arc::new(ManualClock::starting_at(noon));
    let app = spawn_app_with_clock(dir.path(), settings, ledger, clock.clone()).await;
    for i in 0..3 {
        app.post_sms(&Sms::paris(&format!("+3370000001{i}"), sid(i))).await;
    }
    app.post_sms(&Sms::paris("+33700000010", sid(9))).await;
    assert!(app.registry.write_day_counts().await);
    clock.advance_seconds(86_400);
    app.post_sms(&Sms::paris("+33700000050", sid(50))).await;
    assert!(app.registry.write_day_counts().await);

    let (status, stats) = get(&app, "/v1/tenants/paris/stats?from=2026-11-27&to=2026-11-29", PARIS_ADMIN).await;
    assert_eq!(status, 200, "{stats}");
    let days = stats["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    assert_eq!(days[0]["decisions"]["replied"], 0);
    assert_eq!(days[1]["day"], "2026-11-28");
    assert_eq!(days[1]["decisions"]["replied"], 3);
    assert_eq!(days[1]["decisions"]["repeat_sender"], 1);
    assert_eq!(days[1]["spend"]["reply"], "0.24");
    assert_eq!(days[2]["decisions"]["replied"], 1);
    for outcome in antirelou_domain::Outcome::ALL {
        assert!(days[0]["decisions"].get(outcome.as_str()).is_some(), "every outcome is listed");
    }
    // A number's own counts of today, beside the tenant's.
    let (status, number) = get(&app, &format!("/v1/numbers/{PARIS_NUMBER}"), PARIS_ADMIN).await;
    assert_eq!(status, 200, "{number}");
    assert_eq!(number["today"]["day"], "2026-11-29");
    assert_eq!(number["today"]["decisions"]["replied"], 1);
    assert_eq!(number["today"]["decisions"]["repeat_sender"], 0);
    assert_eq!(number["today"]["spend"]["reply"], "0.08");
    let (_, lyon_number) = get(&app, &format!("/v1/numbers/{LYON_NUMBER}"), LYON_ADMIN).await;
    assert_eq!(lyon_number["today"]["decisions"]["replied"], 0, "another number's counts are its own");
    let lyon = get(&app, "/v1/tenants/lyon/stats", LYON_ADMIN).await;
    assert_eq!(lyon.0, 200);
    assert_eq!(lyon.1["days"].as_array().unwrap().len(), 7, "the last seven days by default");
    assert_eq!(get(&app, "/v1/tenants/paris/stats", LYON_ADMIN).await.0, 404);
    assert_eq!(get(&app, "/v1/tenants/paris/stats?from=2026-01-01&to=2026-12-31", PARIS_ADMIN).await.0, 400);
    assert_eq!(get(&app, "/v1/tenants/paris/stats?from=yesterday", PARIS_ADMIN).await.0, 400);
    assert_eq!(get(&app, "/v1/tenants/paris/stats?from=2026-11-29&to=2026-11-28", OPERATOR).await.0, 400);
    app.stop().await;
}

#[actix_web::test]
async fn a_prepaid_balance_alerts_at_half_four_fifths_and_empty_once_per_top_up() {
    let (hook, received) = alert_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    // No daily cap: only the balance limits paris.
    let tenants = two_tenants("").replacen(
        "id = \"paris\"",
        &format!("id = \"paris\"\nprepaid = true\nalert_webhook = \"{hook}\""),
        1,
    );
    let prepaid = config_toml(dir.path(), &format!("operator_token = \"{OPERATOR}\""), &tenants);
    let (settings, ledger) = settings_and_ledger(&prepaid);
    let noon = chrono::DateTime::parse_from_rfc3339("2026-11-28T11:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let clock = Arc::new(ManualClock::starting_at(noon));
    let app = spawn_app_with_clock(dir.path(), settings, Arc::clone(&ledger), clock.clone()).await;
    let top_up = |amount: &'static str| {
        let (client, url) = (app.client.clone(), format!("{}/v1/tenants/paris/top-up", app.admin_url));
        async move {
            let response =
                client.post(url).bearer_auth(PARIS_ADMIN).json(&serde_json::json!({ "amount": amount })).send().await;
            response.unwrap().status().as_u16()
        }
    };
    // Five replies of 0.08 from a balance of 0.40: 0.24 spent is 60 %, 0.32
    // is 80 %, and 0.00 left cannot pay a sixth.
    assert_eq!(top_up("0.40").await, 200);
    let balance_events = || -> Vec<(String, String)> {
        let received = received.lock().unwrap();
        let balance = received.iter().filter(|a| a["scope"] == "balance");
        balance.map(|a| (a["event"].as_str().unwrap().to_owned(), a["period"].as_str().unwrap().to_owned())).collect()
    };
    let mut replies = 0;
    for i in 0..3 {
        replies += usize::from(app.post_sms(&Sms::paris(&format!("+3370000001{i}"), sid(i))).await.reply().is_some());
    }
    assert!(eventually(Duration::from_secs(10), || async { !balance_events().is_empty() }).await, "the 50 % alert");
    assert_eq!(balance_events().iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(), ["budget_50"]);
    for i in 3..6 {
        replies += usize::from(app.post_sms(&Sms::paris(&format!("+3370000001{i}"), sid(i))).await.reply().is_some());
    }
    assert_eq!(replies, 5, "the balance paid five replies");
    assert!(eventually(Duration::from_secs(10), || async { balance_events().len() >= 3 }).await, "80 and 100 %");
    let first: Vec<(String, String)> = balance_events();
    let mut events: Vec<&str> = first.iter().map(|(e, _)| e.as_str()).collect();
    events.sort();
    assert_eq!(events, ["budget_100", "budget_50", "budget_80"]);
    let empty =
        received.lock().unwrap().iter().find(|a| a["event"] == "budget_100" && a["scope"] == "balance").cloned();
    let empty = empty.unwrap();
    assert_eq!((empty["left"].as_str(), empty["topped_up_to"].as_str()), (Some("0.00"), Some("0.40")));
    assert_eq!(empty["number"], serde_json::Value::Null, "the balance is the tenant's");
    assert!(empty["text"].as_str().unwrap().contains("topped up"), "{empty}");

    // Nothing more until the next top-up, which starts a new round: 0.40
    // of 0.80 is the next 50 %.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(balance_events().len(), 3, "an alert is sent once per top-up");
    clock.advance_seconds(3_600);
    assert_eq!(top_up("0.80").await, 200);
    let answered = eventually(Duration::from_secs(5), || async {
        app.post_sms(&Sms::paris("+33700000020", sid(20))).await.reply().is_some()
    })
    .await;
    assert!(answered, "the top-up reached the actor");
    for i in 1..5 {
        assert!(app.post_sms(&Sms::paris(&format!("+3370000002{i}"), sid(20 + i))).await.reply().is_some());
    }
    assert!(eventually(Duration::from_secs(10), || async { balance_events().len() >= 4 }).await, "a new 50 %");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let all = balance_events();
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(all[3].0, "budget_50");
    assert_ne!(all[3].1, first[0].1, "the new round's period is the new top-up");

    let (_, kept) = get(&app, "/v1/tenants/paris/alerts", PARIS_ADMIN).await;
    let kept = kept["alerts"].as_array().unwrap();
    assert_eq!(kept.iter().filter(|a| a["scope"] == "balance").count(), 4, "kept for the console");
    app.stop().await;
}
