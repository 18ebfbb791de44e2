//! `POST /webhooks/twilio`: status codes, TwiML, signature variants.

use antirelou_providers::twilio;

use crate::support::*;

#[actix_web::test]
async fn a_verified_webhook_gets_twiml_with_the_escaped_reply() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    let answer = app.post_sms(&Sms::paris("+33700000001", sid(1))).await;
    assert_eq!(answer.status, 200);
    assert!(answer.content_type.starts_with("text/xml"), "{}", answer.content_type);
    assert!(answer.body.contains("<Response><Message>"), "{}", answer.body);
    assert!(
        answer.body.contains("l&apos;aise") || answer.body.contains("l&#39;aise"),
        "apostrophe escaped: {}",
        answer.body
    );
    assert_eq!(answer.reply().as_deref(), Some(REPLY));
    let silent = app.post_sms(&Sms::paris("+33700000001", sid(2))).await;
    assert_eq!(silent.status, 200);
    assert!(silent.body.contains("<Response/>"), "{}", silent.body);
}

#[actix_web::test]
async fn requests_failing_before_a_decision_get_their_status_and_a_metric() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    let sms = Sms::paris("+33700000001", sid(1));
    let form = sms.form();
    let body = twilio::encode_form(&form);
    let good = twilio::signature(PARIS_TOKEN, &app.signed_url(), &form);

    assert_eq!(app.post_raw(body.clone(), None).await.status, 403, "missing signature");
    assert_eq!(app.post_raw(body.clone(), Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")).await.status, 403, "bad signature");
    let tampered = body.replace("Body=salut", "Body=salue");
    assert_eq!(app.post_raw(tampered, Some(&good)).await.status, 403, "tampered body");

    let unknown = Sms { to: "+33699999999", ..Sms::paris("+33700000001", sid(2)) };
    let unknown_form = unknown.form();
    let unknown_sig = twilio::signature(PARIS_TOKEN, &app.signed_url(), &unknown_form);
    assert_eq!(app.post_raw(twilio::encode_form(&unknown_form), Some(&unknown_sig)).await.status, 404);

    assert_eq!(app.post_raw("From=%2B33700000001&Body=hi".into(), Some(&good)).await.status, 400, "no To");
    assert_eq!(app.post_raw("To=%FF%FE".into(), Some(&good)).await.status, 400, "not UTF-8");
    let huge = format!("{body}&Pad={}", "x".repeat(70 * 1024));
    assert_eq!(app.post_raw(huge, Some(&good)).await.status, 413);

    let m = app.metrics().await;
    assert_eq!(m.rejected("bad_signature"), 3);
    assert_eq!(m.rejected("unknown_number"), 1);
    assert_eq!(m.rejected("malformed"), 2);
    assert_eq!(m.rejected("too_large"), 1);
    assert_eq!(m.value("antirelou_inbound_total", &[]), 0.0, "no decision was made");
    assert_eq!(app.ledger_spend_micros().await, 0);
    // The untampered request still goes through.
    assert_eq!(app.post_raw(body, Some(&good)).await.reply().as_deref(), Some(REPLY));
}

#[actix_web::test]
async fn signatures_over_the_url_with_a_default_port_or_a_query_are_accepted() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    let sms = Sms::paris("+33700000001", sid(3));
    let form = sms.form();
    let with_port = twilio::signature(PARIS_TOKEN, "https://sms.example.org:443/webhooks/twilio", &form);
    assert_eq!(app.post_raw(twilio::encode_form(&form), Some(&with_port)).await.status, 200);

    let sms = Sms::paris("+33700000002", sid(4));
    let form = sms.form();
    let signed = twilio::signature(PARIS_TOKEN, "https://sms.example.org/webhooks/twilio?via=paris", &form);
    let response = app
        .client
        .post(format!("{}?via=paris", app.webhook_url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header(twilio::SIGNATURE_HEADER, signed)
        .body(twilio::encode_form(&form))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(twilio::twiml_reply_text(&response.text().await.unwrap()).as_deref(), Some(REPLY));
}

#[actix_web::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    let healthz = app.client.get(format!("{}/healthz", app.base_url)).send().await.unwrap();
    assert_eq!(healthz.status().as_u16(), 200);
    let readyz: serde_json::Value =
        app.client.get(format!("{}/readyz", app.base_url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(readyz["status"], "ready");
    assert_eq!(readyz["ledger"]["backend"], "embedded");
    assert_eq!(readyz["numbers"], 2);
    let m = app.metrics().await;
    // Every outcome series exists before any traffic, at zero.
    assert!(m
        .0
        .contains(r#"antirelou_inbound_total{number="+33612345678",outcome="budget_exhausted",tenant="paris"} 0"#));
    assert_eq!(m.value("antirelou_numbers_configured", &[]), 2.0);
}
