//! Finding 3: a tenant's token erased its own audit trail (10,080
//! pause/resume calls pushed out both its earlier `allowed_countries=["*"]`
//! change and the operator's record). The trail is now append-only: a full
//! trail refuses the maker's next change instead.

use antirelou_ledger::redis_server::RedisServer;
use serde_json::Value;

use super::common::Server;
use super::{client, deployment, Backend, OPERATOR_TOKEN, PARIS_NUMBER, PARIS_TOKEN};

/// Each maker's changes a trail holds in this test (10,000 by default).
const KEPT: usize = 20;

async fn call(server: &Server, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = client().request(method, format!("{}{path}", server.url)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn tenant_cannot_erase_its_own_or_the_operators_history(server: &Server) {
    let number = PARIS_NUMBER.replace('+', "%2B");
    let patch = serde_json::json!({ "allowed_countries": ["*"], "daily_cap": null });
    let (status, _) =
        call(server, reqwest::Method::PATCH, &format!("/v1/numbers/{number}"), PARIS_TOKEN, Some(patch)).await;
    assert_eq!(status, 200, "the tenant opens its number abroad");
    let (status, _) =
        call(server, reqwest::Method::POST, &format!("/v1/numbers/{number}/pause"), OPERATOR_TOKEN, None).await;
    assert_eq!(status, 200, "the operator pauses it");

    // The tenant pauses and resumes until refused: its 20th change is its last.
    let mut accepted = 1;
    let refusal = loop {
        let action = if accepted % 2 == 1 { "resume" } else { "pause" };
        let (status, body) =
            call(server, reqwest::Method::POST, &format!("/v1/numbers/{number}/{action}"), PARIS_TOKEN, None).await;
        match status {
            200 => accepted += 1,
            409 => break body,
            other => panic!("answered {other}: {body}"),
        }
        assert!(accepted <= KEPT, "never more than {KEPT} changes of the tenant");
    };
    assert_eq!(accepted, KEPT);
    let sentence = refusal["error"].as_str().unwrap_or_default();
    assert!(sentence.contains("already holds 20 changes made by this tenant"), "{sentence}");

    // Every record is still there, the first ones included; the operator still acts.
    let (status, _) =
        call(server, reqwest::Method::POST, &format!("/v1/numbers/{number}/resume"), OPERATOR_TOKEN, None).await;
    assert_eq!(status, 200, "the operator's changes are counted apart");
    let mut records = Vec::new();
    let mut before = String::new();
    loop {
        let (status, page) =
            call(server, reqwest::Method::GET, &format!("/v1/tenants/paris/audit?limit=7{before}"), PARIS_TOKEN, None)
                .await;
        assert_eq!(status, 200);
        records.extend(page["records"].as_array().unwrap().iter().cloned());
        match page["next"].as_u64() {
            Some(next) => before = format!("&before={next}"),
            None => break,
        }
    }
    assert_eq!(records.len(), KEPT + 2, "20 of the tenant, 2 of the operator");
    let oldest = records.last().unwrap();
    assert_eq!((oldest["who"].as_str(), oldest["action"].as_str()), (Some("tenant:paris"), Some("patch")));
    assert_eq!(oldest["what"]["allowed_countries"], serde_json::json!(["*"]), "the opening abroad is on record");
    let operator: Vec<&str> =
        records.iter().filter(|r| r["who"] == "operator").filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(operator, ["resume", "pause"]);
}

#[tokio::test]
async fn a_tenant_token_never_erases_history_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let config = deployment(dir.path(), Backend::Sqlite, "", "");
    let env = [("ANTIRELOU__LEDGER__AUDIT_CHANGES_PER_TENANT", "20")];
    let (server, _) = Server::start_with(dir.path(), &["--config", &config], &env, 1);
    tenant_cannot_erase_its_own_or_the_operators_history(&server).await;
}

#[tokio::test]
async fn a_tenant_token_never_erases_history_on_redis() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let url = redis.url();
    let config = deployment(dir.path(), Backend::Redis { url: &url, prefix: "audit" }, "", "");
    let env = [("ANTIRELOU__LEDGER__AUDIT_CHANGES_PER_TENANT", "20")];
    let (server, _) = Server::start_with(dir.path(), &["--config", &config], &env, 1);
    tenant_cannot_erase_its_own_or_the_operators_history(&server).await;
}
