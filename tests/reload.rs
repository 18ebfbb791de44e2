//! `POST /v1/reload`: the configuration file is read again; numbers added,
//! removed and changed are applied; an invalid file changes nothing.

use std::path::Path;
use std::sync::Arc;

use antirelou_settings::Settings;
use antirelou_web::AppHooks;

use crate::support::*;

const OPERATOR: &str = "operator-token-0123456789";
const PARIS_ADMIN: &str = "paris-admin-token-0123456789";
const NEW_NUMBER: &str = "+33612345679";
const NEW_REPLY: &str = "Nouveau texte: non, c'est non.";

/// Paris with `paris_reply` (and, with `extra_number`, a second number),
/// and Lyon unless `without_lyon`.
fn config(dir: &Path, paris_reply: &str, extra_number: bool, without_lyon: bool) -> String {
    let mut tenants = two_tenants("").replace(
        &format!("reply = \"{REPLY}\"\nprice_per_segment = \"0.08\"\nallowed_countries"),
        &format!("reply = \"{paris_reply}\"\nprice_per_segment = \"0.08\"\nallowed_countries"),
    );
    if without_lyon {
        let lyon = tenants.find("[[tenants]]\nid = \"lyon\"").unwrap();
        tenants.truncate(lyon);
    }
    if extra_number {
        let lyon = tenants.find("[[tenants]]\nid = \"lyon\"").unwrap_or(tenants.len());
        tenants.insert_str(
            lyon,
            &format!("[[tenants.numbers]]\nnumber = \"{NEW_NUMBER}\"\nreply = \"{NEW_REPLY}\"\nprice_per_segment = \"0.08\"\n\n"),
        );
    }
    config_toml(dir, &format!("operator_token = \"{OPERATOR}\""), &tenants)
}

/// An app whose configuration source is `dir/antirelou.toml`.
async fn spawn_reloadable(dir: &Path, toml: &str) -> TestApp {
    let path = dir.join("antirelou.toml");
    std::fs::write(&path, toml).unwrap();
    let settings = Settings::load_with_env(&path, std::iter::empty::<(String, String)>()).unwrap();
    let (_, ledger) = settings_and_ledger(toml);
    let source_path = path.clone();
    let source: antirelou_web::reload::ConfigSource =
        Arc::new(move || Settings::load_with_env(&source_path, std::iter::empty::<(String, String)>()));
    let hooks = AppHooks { config_source: Some(source), ..AppHooks::default() };
    spawn_app_with_hooks(dir, settings, ledger, Arc::new(antirelou_domain::SystemClock), hooks).await
}

async fn reload(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    let response = app.client.post(format!("{}/v1/reload", app.admin_url)).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

fn sms_to<'a>(to: &'a str, from: &'a str, n: u64) -> Sms<'a> {
    Sms { to, ..Sms::paris(from, sid(n)) }
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn a_reload_adds_removes_and_changes_numbers_and_refuses_an_invalid_file() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_reloadable(dir.path(), &config(dir.path(), REPLY, false, false)).await;
    assert_eq!(app.post_sms(&sms_to(PARIS_NUMBER, "+33700000001", 1)).await.reply().as_deref(), Some(REPLY));
    assert_eq!(app.post_sms(&Sms::lyon("+33700000001", sid(2))).await.status, 200);

    assert_eq!(reload(&app, "no-such-token-0123456789").await.0, 401);
    assert_eq!(reload(&app, PARIS_ADMIN).await.0, 403, "a tenant may not reload the deployment");

    std::fs::write(dir.path().join("antirelou.toml"), config(dir.path(), NEW_REPLY, true, true)).unwrap();
    let (status, report) = reload(&app, OPERATOR).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(strings(&report["numbers_added"]), vec![NEW_NUMBER]);
    assert_eq!(strings(&report["numbers_removed"]), vec![LYON_NUMBER]);
    assert_eq!(strings(&report["numbers_changed"]), vec![PARIS_NUMBER]);
    assert_eq!(strings(&report["tenants_removed"]), vec!["lyon"]);
    assert!(strings(&report["needs_restart"]).is_empty(), "{report}");

    let new_sender = app.post_sms(&sms_to(PARIS_NUMBER, "+33700000002", 3)).await;
    assert_eq!(new_sender.reply().as_deref(), Some(NEW_REPLY), "a changed number answers with its new reply");
    let again = app.post_sms(&sms_to(PARIS_NUMBER, "+33700000001", 4)).await;
    assert_eq!(again.reply(), None, "the changed number kept its memory of senders");
    let added = app.post_sms(&sms_to(NEW_NUMBER, "+33700000003", 5)).await;
    assert_eq!((added.status, added.reply().as_deref()), (200, Some(NEW_REPLY)), "an added number answers");
    let removed = app.post_sms(&Sms::lyon("+33700000004", sid(6))).await;
    assert_eq!(removed.status, 404, "a removed number is an unknown number");

    let invalid =
        config(dir.path(), NEW_REPLY, true, true).replace("price_per_segment = \"0.08\"", "price_per_segment = \"-1\"");
    std::fs::write(dir.path().join("antirelou.toml"), invalid).unwrap();
    let (status, refused) = reload(&app, OPERATOR).await;
    assert_eq!(status, 400, "{refused}");
    let keys: Vec<&str> = refused["problems"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert!(keys.iter().any(|k| k.ends_with("price_per_segment")), "{refused}");
    assert!(refused["report"].as_str().unwrap().contains("price_per_segment"), "{refused}");
    let still = app.post_sms(&sms_to(NEW_NUMBER, "+33700000005", 7)).await;
    assert_eq!(still.reply().as_deref(), Some(NEW_REPLY), "the running configuration stays");

    let metrics = app.metrics().await;
    // A removed number's series leave /metrics with it; an added one's appear.
    let series_of = |number: &str| metrics.0.lines().filter(|l| l.contains(&format!("number=\"{number}\""))).count();
    assert_eq!(series_of(LYON_NUMBER), 0, "the removed number has no series left");
    assert!(!metrics.0.contains("tenant=\"lyon\""), "nor its removed tenant");
    assert!(series_of(NEW_NUMBER) >= antirelou_domain::Outcome::ALL.len(), "the added number has its series");
    assert_eq!(metrics.outcome("paris", NEW_NUMBER, "replied"), 2);
    assert_eq!(metrics.value("antirelou_config_reloads_total", &[("result", "applied")]), 1.0);
    assert_eq!(metrics.value("antirelou_config_reloads_total", &[("result", "refused")]), 1.0);
    assert!(metrics.value("antirelou_config_loaded_timestamp_seconds", &[]) > 1.7e9);
    app.stop().await;
}

#[actix_web::test]
async fn settings_that_need_a_restart_are_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_reloadable(dir.path(), &config(dir.path(), REPLY, false, false)).await;
    let changed = config(dir.path(), REPLY, false, false)
        .replace("integration-test-sender-key-0123456789", "integration-test-sender-key-9876543210")
        .replace("public_url = \"https://sms.example.org\"", "public_url = \"https://other.example.org\"");
    std::fs::write(dir.path().join("antirelou.toml"), changed).unwrap();
    let (status, report) = reload(&app, OPERATOR).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(strings(&report["needs_restart"]), vec!["server.public_url", "privacy.sender_key"]);
    // Twilio still signs the old public URL: the running value stays.
    assert_eq!(app.post_sms(&sms_to(PARIS_NUMBER, "+33700000001", 1)).await.reply().as_deref(), Some(REPLY));
    app.stop().await;
}

#[actix_web::test]
async fn a_stored_pause_survives_a_reload_that_changes_the_number() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_reloadable(dir.path(), &config(dir.path(), REPLY, false, false)).await;
    let paused = app
        .client
        .post(format!("{}/v1/numbers/{PARIS_NUMBER}/pause", app.admin_url))
        .bearer_auth(PARIS_ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(paused.status().as_u16(), 200);
    std::fs::write(dir.path().join("antirelou.toml"), config(dir.path(), NEW_REPLY, false, false)).unwrap();
    let (status, report) = reload(&app, OPERATOR).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(strings(&report["numbers_changed"]), vec![PARIS_NUMBER]);
    assert_eq!(app.post_sms(&sms_to(PARIS_NUMBER, "+33700000001", 1)).await.reply(), None, "still paused");
    let metrics = app.metrics().await;
    assert_eq!(metrics.outcome("paris", PARIS_NUMBER, "paused"), 1);
    app.client
        .post(format!("{}/v1/numbers/{PARIS_NUMBER}/resume", app.admin_url))
        .bearer_auth(PARIS_ADMIN)
        .send()
        .await
        .unwrap();
    let answer = app.post_sms(&sms_to(PARIS_NUMBER, "+33700000002", 2)).await;
    assert_eq!(answer.reply().as_deref(), Some(NEW_REPLY), "resumed with the reloaded reply");
    app.stop().await;
}
