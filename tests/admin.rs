//! The `/v1/` admin API: tenant tokens see only their own numbers.

use crate::support::*;

const OPERATOR: &str = "operator-token-0123456789";
const PARIS_ADMIN: &str = "paris-admin-token-0123456789";
const LYON_ADMIN: &str = "lyon-admin-token-0123456789";

async fn post(app: &TestApp, path: &str, token: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let mut request = app.client.post(format!("{}{path}", app.base_url)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

#[actix_web::test]
async fn tenant_tokens_see_and_pause_only_their_own_numbers() {
    let app = spawn_app(|dir| config_toml(dir, &format!("operator_token = \"{OPERATOR}\""), &two_tenants(""))).await;
    let list = |token: &'static str| {
        let app = &app;
        async move {
            let response =
                app.client.get(format!("{}/v1/numbers", app.base_url)).bearer_auth(token).send().await.unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            let numbers: Vec<String> = body["numbers"]
                .as_array()
                .map(|a| a.iter().map(|n| n["number"].as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            (status, numbers)
        }
    };
    assert_eq!(list(PARIS_ADMIN).await, (200, vec![PARIS_NUMBER.to_owned()]));
    assert_eq!(list(OPERATOR).await.1.len(), 2);
    assert_eq!(list("not-a-token-at-all").await.0, 401);

    assert_eq!(post(&app, &format!("/v1/numbers/{PARIS_NUMBER}/pause"), LYON_ADMIN, None).await.0, 404);
    assert_eq!(post(&app, &format!("/v1/numbers/{PARIS_NUMBER}/pause"), PARIS_ADMIN, None).await.0, 200);
    assert_eq!(app.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply(), None);
    assert_eq!(post(&app, &format!("/v1/numbers/{PARIS_NUMBER}/resume"), PARIS_ADMIN, None).await.0, 200);
    assert!(app.post_sms(&Sms::paris("+33700000001", sid(2))).await.reply().is_some());
    assert_eq!(app.metrics().await.outcome("paris", PARIS_NUMBER, "paused"), 1);
}

#[actix_web::test]
async fn a_prepaid_tenant_resumes_replies_as_soon_as_it_is_topped_up() {
    let app = spawn_app(|dir| {
        let tenants = two_tenants("").replacen("id = \"paris\"", "id = \"paris\"\nprepaid = true", 1);
        config_toml(dir, &format!("operator_token = \"{OPERATOR}\""), &tenants)
    })
    .await;
    assert_eq!(app.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply(), None, "no balance yet");
    assert_eq!(app.post_sms(&Sms::paris("+33700000002", sid(2))).await.reply(), None, "cached exhaustion");
    let (status, _) =
        post(&app, "/v1/tenants/paris/top-up", LYON_ADMIN, Some(serde_json::json!({"amount": "1.00"}))).await;
    assert_eq!(status, 404, "lyon cannot credit paris");
    let (status, body) =
        post(&app, "/v1/tenants/paris/top-up", OPERATOR, Some(serde_json::json!({"amount": "0.10", "note": "gala"})))
            .await;
    assert_eq!(status, 200);
    assert_eq!(body["balance"], "0.10");
    let resumed = eventually(std::time::Duration::from_secs(5), || async {
        app.post_sms(&Sms::paris("+33700000003", sid(3))).await.reply().is_some()
    })
    .await;
    assert!(resumed, "the top-up reached the actor");
    assert_eq!(app.post_sms(&Sms::paris("+33700000004", sid(4))).await.reply(), None, "0.02 left is not enough");
    assert_eq!(
        app.ledger.balances().await.unwrap(),
        vec![("paris".to_owned(), antirelou_domain::Money::from_micros(20_000))]
    );
    let m = app.metrics().await;
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "budget_exhausted"), 3);
    assert!((m.value("antirelou_budget_remaining", &[("tenant", "paris"), ("scope", "balance")]) - 0.02).abs() < 1e-9);
}

#[actix_web::test]
async fn a_top_up_of_a_tenant_that_is_not_prepaid_is_refused_with_what_prepaid_means() {
    let app = spawn_app(|dir| config_toml(dir, &format!("operator_token = \"{OPERATOR}\""), &two_tenants(""))).await;
    let (status, body) =
        post(&app, "/v1/tenants/paris/top-up", OPERATOR, Some(serde_json::json!({"amount": "20.00"}))).await;
    assert_eq!(status, 409, "{body}");
    let sentence = body["error"].as_str().unwrap_or_default();
    assert!(sentence.starts_with("tenant paris is not prepaid: its replies are paid by the deployment"), "{body}");
    assert!(sentence.contains("set prepaid = true on the tenant"), "{body}");
    assert_eq!(app.ledger.balances().await.unwrap(), vec![], "nothing credited");
    let (status, _) =
        post(&app, "/v1/tenants/paris/top-up", LYON_ADMIN, Some(serde_json::json!({"amount": "1.00"}))).await;
    assert_eq!(status, 404, "another tenant's still is not found");
}

#[actix_web::test]
async fn the_openapi_document_describes_every_admin_route_in_openapi_3_1() {
    let app = spawn_app(|dir| config_toml(dir, &format!("operator_token = \"{OPERATOR}\""), &two_tenants(""))).await;
    let response = app.client.get(format!("{}/v1/openapi.json", app.base_url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let document: serde_json::Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"), "{}", document["openapi"]);
    let paths: Vec<&str> = document["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for route in
        ["/v1/numbers", "/v1/numbers/{number}/{action}", "/v1/tenants/{tenant}/top-up", "/v1/tenants/{tenant}/entries"]
    {
        assert!(paths.contains(&route), "{route} missing from {paths:?}");
    }
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}
