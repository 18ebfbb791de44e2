//! Runtime controls through the admin API: stored in the ledger, applied
//! by every replica (two replicas on one real `redis-server`), surviving
//! restarts, audited without a sender number, refused with every problem,
//! and invisible to other tenants.

use std::sync::Arc;
use std::time::Duration;

use antirelou_ledger::redis_server::RedisServer;
use antirelou_ledger::{Ledger, RedisLedger};
use serde_json::{json, Value};

use crate::support::*;

const OPERATOR: &str = "operator-token-0123456789";
const PARIS_ADMIN: &str = "paris-admin-token-0123456789";
const LYON_ADMIN: &str = "lyon-admin-token-0123456789";
/// How long a change may take to reach the other replica (pub/sub, or the 2 s check).
const PROPAGATION: Duration = Duration::from_secs(5);

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", app.admin_url);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn redis_ledger(redis: &RedisServer, prefix: &str) -> Arc<dyn Ledger> {
    let url = redis.url();
    let connect = RedisLedger::connect(&url, prefix, Duration::from_secs(2), Duration::from_secs(2));
    Arc::new(connect.await.unwrap())
}

/// A replica of the two-tenant deployment on the shared Redis.
async fn replica(dir: &std::path::Path, redis: &RedisServer, prefix: &str) -> TestApp {
    let toml = config_toml(dir, &format!("operator_token = \"{OPERATOR}\""), &two_tenants(""));
    let (settings, _) = settings_and_ledger(&toml);
    spawn_app_with_ledger(dir, settings, redis_ledger(redis, prefix).await).await
}

/// The runtime control version a replica applies.
async fn applied_version(app: &TestApp) -> u64 {
    app.metrics().await.value("antirelou_control_version", &[]) as u64
}

/// Waits until `app` applies `version` (or later).
async fn wait_applied(app: &TestApp, version: u64) {
    let reached = eventually(PROPAGATION, || async { applied_version(app).await >= version }).await;
    assert!(reached, "version {version} applied within {PROPAGATION:?} (at {})", applied_version(app).await);
}

#[actix_web::test]
async fn a_number_paused_on_one_replica_is_paused_on_every_replica_and_after_restarts() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (replica(dir.path(), &redis, "pause").await, replica(dir.path(), &redis, "pause").await);
    let number = format!("/v1/numbers/{PARIS_NUMBER}");

    let (status, paused) = call(&a, "POST", &format!("{number}/pause"), PARIS_ADMIN, None).await;
    assert_eq!((status, paused["paused"].as_bool()), (200, Some(true)), "{paused}");
    let version = paused["version"].as_u64().unwrap();
    wait_applied(&b, version).await;
    assert_eq!(call(&b, "GET", &number, PARIS_ADMIN, None).await.1["paused"], json!(true));
    assert_eq!(b.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply(), None);
    assert_eq!(b.metrics().await.outcome("paris", PARIS_NUMBER, "paused"), 1);

    a.stop_and_wait().await.unwrap();
    b.stop_and_wait().await.unwrap();
    drop((a, b));
    let (a, b) = (replica(dir.path(), &redis, "pause").await, replica(dir.path(), &redis, "pause").await);
    for (app, n) in [(&a, 2), (&b, 3)] {
        assert_eq!(app.post_sms(&Sms::paris("+33700000002", sid(n))).await.reply(), None, "still paused");
        assert_eq!(app.metrics().await.outcome("paris", PARIS_NUMBER, "paused"), 1);
    }

    let (status, _) = call(&b, "POST", &format!("{number}/resume"), OPERATOR, None).await;
    assert_eq!(status, 200);
    wait_applied(&a, version + 1).await;
    assert_eq!(a.post_sms(&Sms::paris("+33700000002", sid(4))).await.reply().as_deref(), Some(REPLY));
}

#[actix_web::test]
async fn a_reply_patched_on_one_replica_is_sent_by_the_other_until_the_overrides_are_dropped() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (replica(dir.path(), &redis, "patch").await, replica(dir.path(), &redis, "patch").await);
    let number = format!("/v1/numbers/{PARIS_NUMBER}");

    let new_reply = "Non, c'est non. Laissez-la tranquille.";
    let (status, patched) = call(&a, "PATCH", &number, PARIS_ADMIN, Some(json!({ "reply": new_reply }))).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["reply"]["text"], json!(new_reply));
    assert_eq!(patched["reply"]["encoding"], json!("GSM-7"));
    assert_eq!(
        (patched["reply"]["segments"].as_u64(), patched["reply"]["cost_per_reply"].as_str()),
        (Some(1), Some("0.08"))
    );
    let (status, accented) = call(&a, "PATCH", &number, PARIS_ADMIN, Some(json!({ "daily_cap": "5.00" }))).await;
    assert_eq!(status, 200, "{accented}");
    assert_eq!(accented["overrides"], json!({ "reply": new_reply, "daily_cap": "5.00" }), "merged key by key");

    wait_applied(&b, accented["control_version"].as_u64().unwrap()).await;
    let (_, detail) = call(&b, "GET", &number, PARIS_ADMIN, None).await;
    assert_eq!(detail["reply"]["text"], json!(new_reply));
    let daily = detail["caps"].as_array().unwrap().iter().find(|c| c["scope"] == "number_daily").cloned().unwrap();
    assert_eq!((daily["cap"].as_str(), daily["left"].as_str()), (Some("5.00"), Some("5.00")));
    assert_eq!(b.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply().as_deref(), Some(new_reply));
    let (_, detail) = call(&a, "GET", &number, PARIS_ADMIN, None).await;
    let daily = detail["caps"].as_array().unwrap().iter().find(|c| c["scope"] == "number_daily").cloned().unwrap();
    assert_eq!((daily["spent"].as_str(), daily["left"].as_str()), (Some("0.08"), Some("4.92")), "{detail}");

    let (status, cleared) = call(&b, "DELETE", &format!("{number}/overrides"), PARIS_ADMIN, None).await;
    assert_eq!((status, cleared["cleared"].as_bool()), (200, Some(true)));
    wait_applied(&a, applied_version(&b).await).await;
    assert_eq!(a.post_sms(&Sms::paris("+33700000002", sid(2))).await.reply().as_deref(), Some(REPLY), "the file's");
    assert_eq!(call(&a, "GET", &number, PARIS_ADMIN, None).await.1["overrides"], json!({}));
    let (status, again) = call(&b, "DELETE", &format!("{number}/overrides"), PARIS_ADMIN, None).await;
    assert_eq!((status, again["cleared"].as_bool()), (200, Some(false)));
}

#[actix_web::test]
async fn a_sender_blocked_on_one_replica_is_refused_by_the_other_and_audited_without_its_number() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (replica(dir.path(), &redis, "block").await, replica(dir.path(), &redis, "block").await);
    let blocklist = "/v1/tenants/paris/blocklist";
    let harasser = "+33700000009";

    let (status, blocked) =
        call(&b, "POST", blocklist, PARIS_ADMIN, Some(json!({ "number": harasser, "label": "insultes" }))).await;
    assert_eq!(status, 201, "{blocked}");
    let hash = blocked["hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    assert!(!blocked.to_string().contains("700000009"), "the number is not echoed: {blocked}");
    wait_applied(&a, applied_version(&b).await).await;
    assert_eq!(a.post_sms(&Sms::paris(harasser, sid(1))).await.reply(), None);
    assert_eq!(a.metrics().await.outcome("paris", PARIS_NUMBER, "blocked"), 1);
    assert!(a.post_sms(&Sms::paris("+33700000001", sid(2))).await.reply().is_some(), "others are answered");

    let (_, list) = call(&a, "GET", blocklist, PARIS_ADMIN, None).await;
    assert_eq!(list["blocked"].as_array().unwrap().len(), 1);
    assert_eq!(
        (list["blocked"][0]["hash"].as_str(), list["blocked"][0]["label"].as_str()),
        (Some(&*hash), Some("insultes"))
    );
    let (_, lyon_list) = call(&a, "GET", "/v1/tenants/lyon/blocklist", LYON_ADMIN, None).await;
    assert_eq!(lyon_list["blocked"], json!([]), "lyon's list is its own");

    call(&a, "POST", &format!("/v1/numbers/{PARIS_NUMBER}/pause"), OPERATOR, None).await;
    call(&a, "PATCH", &format!("/v1/numbers/{PARIS_NUMBER}"), PARIS_ADMIN, Some(json!({"max_replies_per_minute": 5})))
        .await;
    assert_eq!(call(&a, "DELETE", &format!("{blocklist}/{hash}"), PARIS_ADMIN, None).await.0, 204);
    assert_eq!(call(&a, "DELETE", &format!("{blocklist}/{hash}"), PARIS_ADMIN, None).await.0, 404, "already gone");

    let (status, audit) = call(&b, "GET", "/v1/tenants/paris/audit?limit=3", PARIS_ADMIN, None).await;
    assert_eq!(status, 200, "{audit}");
    let records = audit["records"].as_array().unwrap();
    let seen: Vec<(&str, &str)> =
        records.iter().map(|r| (r["action"].as_str().unwrap(), r["who"].as_str().unwrap())).collect();
    assert_eq!(seen, [("unblock", "tenant:paris"), ("patch", "tenant:paris"), ("pause", "operator")]);
    assert_eq!(records[1]["what"], json!({"max_replies_per_minute": 5}));
    let (_, older) =
        call(&b, "GET", &format!("/v1/tenants/paris/audit?before={}", audit["next"]), PARIS_ADMIN, None).await;
    assert_eq!(older["records"][0]["action"], json!("block"));
    assert_eq!(older["records"][0]["what"], json!({"sender": hash, "label": "insultes"}));
    assert_eq!(older["next"], Value::Null);
    let everything = format!("{audit}{older}");
    assert!(!everything.contains("700000009"), "no sender number in the audit: {everything}");
    assert_eq!(call(&b, "GET", "/v1/tenants/paris/audit?limit=100000", PARIS_ADMIN, None).await.0, 400);
}

#[actix_web::test]
async fn a_bad_patch_is_refused_with_every_problem_at_its_key_path_and_changes_nothing() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    let number = format!("/v1/numbers/{PARIS_NUMBER}");
    let bad = json!({ "reply": "", "daily_cap": "-1", "shield": { "hold": "soon" }, "colour": "red" });
    let (status, refused) = call(&app, "PATCH", &number, PARIS_ADMIN, Some(bad)).await;
    assert_eq!(status, 400, "{refused}");
    let keys: Vec<&str> = refused["problems"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    for key in ["reply", "daily_cap", "shield.hold", "colour"] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert!(refused["error"].as_str().unwrap().contains("shield.hold"));
    assert_eq!(call(&app, "PATCH", &number, PARIS_ADMIN, Some(json!([1, 2]))).await.0, 400);
    assert_eq!(call(&app, "PATCH", &number, PARIS_ADMIN, Some(json!({}))).await.0, 400, "a patch that changes nothing");
    let (status, _) = call(&app, "PATCH", &number, PARIS_ADMIN, Some(json!({ "reply": "x".repeat(8_000) }))).await;
    assert_eq!(status, 413, "bodies are bounded");
    let (_, detail) = call(&app, "GET", &number, PARIS_ADMIN, None).await;
    assert_eq!((detail["overrides"].clone(), detail["reply"]["text"].as_str()), (json!({}), Some(REPLY)));
    let (_, audit) = call(&app, "GET", "/v1/tenants/paris/audit", PARIS_ADMIN, None).await;
    assert_eq!(audit["records"], json!([]), "nothing audited");

    let blocklist = "/v1/tenants/paris/blocklist";
    let (status, refused) = call(&app, "POST", blocklist, PARIS_ADMIN, Some(json!({ "number": "0612" }))).await;
    assert_eq!(status, 400, "{refused}");
    let label = json!({ "number": "+33700000009", "label": "c'est le 07 00 00 00 09" });
    assert_eq!(call(&app, "POST", blocklist, PARIS_ADMIN, Some(label)).await.0, 400, "no number in a label");
}

#[actix_web::test]
async fn another_tenants_number_and_lists_are_not_found() {
    let app = spawn_app(|dir| config_toml(dir, &format!("operator_token = \"{OPERATOR}\""), &two_tenants(""))).await;
    let number = format!("/v1/numbers/{PARIS_NUMBER}");
    let patch = Some(json!({ "reply": "pirate" }));
    let block = Some(json!({ "number": "+33700000009" }));
    let some_hash = "ab".repeat(32);
    for (method, path, body) in [
        ("GET", number.clone(), None),
        ("PATCH", number.clone(), patch.clone()),
        ("DELETE", format!("{number}/overrides"), None),
        ("POST", format!("{number}/pause"), None),
        ("GET", "/v1/tenants/paris/blocklist".to_owned(), None),
        ("POST", "/v1/tenants/paris/blocklist".to_owned(), block.clone()),
        ("DELETE", format!("/v1/tenants/paris/blocklist/{some_hash}"), None),
        ("GET", "/v1/tenants/paris/audit".to_owned(), None),
    ] {
        assert_eq!(call(&app, method, &path, LYON_ADMIN, body.clone()).await.0, 404, "{method} {path} as lyon");
        assert_eq!(call(&app, method, &path, "not-a-token", body).await.0, 401, "{method} {path} without a token");
    }
    assert_eq!(call(&app, "GET", "/v1/numbers/+33600000000", OPERATOR, None).await.0, 404);
    assert_eq!(call(&app, "GET", "/v1/tenants/nobody/audit", OPERATOR, None).await.0, 404);
    let (status, _) = call(&app, "PATCH", &number, OPERATOR, patch).await;
    assert_eq!(status, 200, "the operator may");
    assert_eq!(app.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply().as_deref(), Some("pirate"));
    assert_eq!(app.post_sms(&Sms::lyon("+33700000001", sid(2))).await.reply().as_deref(), Some(REPLY), "lyon's stays");
}

#[actix_web::test]
async fn a_change_whose_announcement_was_missed_is_applied_by_the_periodic_check() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let app = replica(dir.path(), &redis, "missed").await;
    assert!(app.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply().is_some());

    // A pause written behind the replica's back, without the announcement:
    // as if it had been disconnected from pub/sub when it was made.
    let keys = antirelou_ledger::redis::layout::KeySpace::new("missed").unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let mut change = redis::pipe();
    change.atomic().cmd("HSET").arg(keys.number_control(PARIS_NUMBER)).arg("paused").arg("1").ignore();
    change.cmd("INCR").arg(keys.control_version()).ignore();
    change.query_async::<()>(&mut connection).await.unwrap();

    wait_applied(&app, 1).await;
    assert_eq!(app.post_sms(&Sms::paris("+33700000002", sid(2))).await.reply(), None);
    assert_eq!(app.metrics().await.outcome("paris", PARIS_NUMBER, "paused"), 1);
}

#[actix_web::test]
async fn a_patch_reads_a_decimal_comma_and_names_the_characters_that_make_the_reply_ucs2() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    let number = format!("/v1/numbers/{PARIS_NUMBER}");
    let typed = json!({ "daily_cap": "5,50", "reply": "C\u{2019}est non\u{2026} \u{ab} stop \u{bb} \u{ea}" });
    let (status, patched) = call(&app, "PATCH", &number, PARIS_ADMIN, Some(typed)).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["overrides"]["daily_cap"], json!("5.50"), "5,50 is 5.50");
    assert_eq!(patched["reply"]["encoding"], json!("UCS-2"));
    assert_eq!(
        patched["ucs2_characters"],
        json!([
            { "character": "\u{2019}", "replacement": "'" },
            { "character": "\u{2026}", "replacement": "..." },
            { "character": "\u{ab}", "replacement": "\"" },
            { "character": "\u{bb}", "replacement": "\"" },
            { "character": "\u{ea}", "replacement": null },
        ])
    );
    let (_, plain) = call(&app, "PATCH", &number, PARIS_ADMIN, Some(json!({ "reply": "C'est non." }))).await;
    assert_eq!(plain["ucs2_characters"], json!([]), "a GSM-7 reply names nothing");
}
