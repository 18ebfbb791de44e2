//! Shield mode: entered on a surge, shown in metrics, alerted as JSON.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use antirelou_domain::{Clock, ManualClock};

use crate::support::*;

/// A chat-style incoming webhook that records what it receives.
pub(crate) async fn alert_receiver() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    let server = HttpServer::new(move || {
        let sink = Arc::clone(&sink);
        App::new().route(
            "/hook",
            web::post().to(move |body: web::Json<serde_json::Value>| {
                let sink = Arc::clone(&sink);
                async move {
                    sink.lock().unwrap().push(body.into_inner());
                    HttpResponse::Ok().finish()
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/hook", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    (url, received)
}

#[actix_web::test]
async fn a_surge_enters_shield_mode_and_posts_an_alert_without_sender_data() {
    let (hook, received) = alert_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let tenants = two_tenants("").replace(
        "shield = { trigger_per_minute = 100000, new_senders_per_minute = 100000, trigger_per_hour = 100000, new_senders_per_hour = 100000, hold = \"1h\", trickle_per_hour = 10, baseline_factor = 0, money_margin_percent = 100000 }",
        "shield = { trigger_per_minute = 5, new_senders_per_minute = 100, hold = \"1h\", trickle_per_hour = 10 }",
    );
    let tenants = tenants.replacen("id = \"paris\"", &format!("id = \"paris\"\nalert_webhook = \"{hook}\""), 1);
    let (settings, ledger) = settings_and_ledger(&config_toml(dir.path(), "", &tenants));
    let clock = Arc::new(ManualClock::starting_at(chrono::Utc::now()));
    let app = spawn_app_with_clock(dir.path(), settings, ledger, clock.clone()).await;
    for i in 0..8 {
        app.post_sms(&Sms::paris("+33700000001", sid(i as u64))).await;
    }
    let m = app.metrics().await;
    assert_eq!(m.value("antirelou_shield_active", &[("tenant", "paris"), ("number", PARIS_NUMBER)]), 1.0);
    assert_eq!(m.value("antirelou_shield_active", &[("tenant", "lyon")]), 0.0);
    let alerted = eventually(Duration::from_secs(5), || async { !received.lock().unwrap().is_empty() }).await;
    assert!(alerted, "alert posted");
    let alert = received.lock().unwrap()[0].clone();
    assert_eq!(alert["event"], "shield_entered");
    assert_eq!(alert["tenant"], "paris");
    assert_eq!(alert["number"], PARIS_NUMBER);
    assert_eq!(alert["inbound_last_minute"], 6);
    let text = alert.to_string();
    assert!(!text.contains("+33700000001") && !text.contains("salut"), "no sender, no body: {text}");
    // The shared shield state is in the ledger for other replicas and restarts.
    let now = clock.now_seconds();
    let until = app.ledger.shield_until(PARIS_NUMBER, now).await.unwrap().expect("shield recorded");
    assert_eq!(until, now + 3_600);

    // An hour later, with no message at all, the shield ends and says so.
    clock.advance_seconds(3_601);
    let exited = eventually(Duration::from_secs(5), || async {
        received.lock().unwrap().iter().any(|a| a["event"] == "shield_exited")
    })
    .await;
    assert!(exited, "exit alert posted");
    let m = app.metrics().await;
    assert_eq!(m.value("antirelou_shield_active", &[("tenant", "paris"), ("number", PARIS_NUMBER)]), 0.0);
    assert_eq!(m.value("antirelou_alert_webhooks_total", &[("tenant", "paris"), ("result", "ok")]), 2.0);

    // Both are kept for the console and the API, newest first, and a second
    // replica that saw the same flood start in the same minute could not
    // claim them again.
    let kept = app.ledger.alerts("paris", 10).await.unwrap();
    let events: Vec<String> = kept
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.json).unwrap()["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["shield_exited", "shield_entered"]);
    assert!(!kept[1].json.contains("+33700000001"), "no sender kept");
    let minute = (clock.now_seconds() - 3_601) / 60;
    let again = antirelou_ledger::AlertClaim {
        owner: "paris".into(),
        key: format!("shield:{PARIS_NUMBER}:shield_entered:{minute}"),
        record: antirelou_ledger::AlertRecord { at_micros: clock.now_micros(), json: "{}".into() },
        expires_micros: clock.now_micros() + 60_000_000,
    };
    assert!(!app.ledger.claim_alert(&again).await.unwrap(), "the flood's start is claimed once");
}
