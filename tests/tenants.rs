//! Tenants are isolated: tokens, AccountSids, spend.

use antirelou_providers::twilio;

use crate::support::*;

#[actix_web::test]
async fn a_tenant_cannot_use_another_tenants_token_or_account_sid() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    let with_lyon_token = Sms { token: LYON_TOKEN, ..Sms::paris("+33700000001", sid(1)) };
    assert_eq!(app.post_sms(&with_lyon_token).await.status, 403);
    let with_lyon_account = Sms { account_sid: LYON_SID, ..Sms::paris("+33700000001", sid(2)) };
    assert_eq!(app.post_sms(&with_lyon_account).await.status, 403);
    let all_lyon = Sms { account_sid: LYON_SID, token: LYON_TOKEN, ..Sms::paris("+33700000001", sid(3)) };
    assert_eq!(app.post_sms(&all_lyon).await.status, 403);
    let m = app.metrics().await;
    assert_eq!(m.rejected("bad_signature"), 2);
    assert_eq!(m.rejected("account_mismatch"), 1);
    assert_eq!(app.ledger_spend_micros().await, 0);

    // Each tenant's own credentials work, and spend lands on its own tenant.
    assert!(app.post_sms(&Sms::paris("+33700000001", sid(4))).await.reply().is_some());
    assert!(app.post_sms(&Sms::lyon("+33700000001", sid(5))).await.reply().is_some());
    let entries = antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await;
    let tenants: Vec<&str> = entries.iter().map(|e| e.tenant.as_str()).collect();
    assert_eq!(tenants, ["paris", "lyon"]);
    let m = app.metrics().await;
    assert_eq!(m.outcome("paris", PARIS_NUMBER, "replied"), 1);
    assert_eq!(m.outcome("lyon", LYON_NUMBER, "replied"), 1);
}

#[actix_web::test]
async fn a_form_signed_for_one_number_cannot_be_replayed_to_another() {
    let app = spawn_app(|dir| config_toml(dir, "", &two_tenants(""))).await;
    let sms = Sms::paris("+33700000001", sid(1));
    let form = sms.form();
    let signature = twilio::signature(PARIS_TOKEN, &app.signed_url(), &form);
    let redirected = twilio::encode_form(&form).replace("%2B33612345678", "%2B33612345671");
    assert_eq!(app.post_raw(redirected, Some(&signature)).await.status, 403);
}
