//! Calls through the real server: a Twilio-signed voice webhook is decided
//! like an SMS, in the same ledger and caps; an answered call says the
//! number's `voice.say` once per caller, everything else is rejected as
//! busy, and nothing is charged twice.

use antirelou_ledger::EntryKind;
use antirelou_providers::twilio;

use crate::support::*;

const PAUSED: &str = "+33612345679";
const SAY: &str = "Bonjour. Vous avez mis mal à l'aise une personne. Non, c'est non.";
const VOICE: &str = r#"voice = { say = "Bonjour. Vous avez mis mal à l'aise une personne. Non, c'est non.", language = "fr-FR", price_per_minute = "0.02", max_seconds = 30 }"#;

/// Paris answers calls (0.02 reserved per call), with a daily cap of
/// `daily_cap`; its second number is paused; Lyon has no `voice`.
fn calls_config(dir: &std::path::Path, daily_cap: &str) -> String {
    let extra = format!(
        r#"daily_cap = "{daily_cap}"
{VOICE}

[[tenants.numbers]]
number = "{PAUSED}"
paused = true
reply = "{REPLY}"
price_per_segment = "0.08"
{VOICE}
"#
    );
    let tenants = two_tenants(&extra).replace(
        "admin_token = \"paris-admin-token-0123456789\"",
        "admin_token = \"paris-admin-token-0123456789\"\nblocklist = [\"+33600000666\"]",
    );
    config_toml(dir, "", &tenants)
}

/// One incoming call as Twilio posts it to the voice URL.
struct Call<'a> {
    to: &'a str,
    from: &'a str,
    call_sid: String,
    account_sid: &'a str,
    token: &'a str,
}

impl<'a> Call<'a> {
    fn paris(from: &'a str, n: u128) -> Call<'a> {
        Call { to: PARIS_NUMBER, from, call_sid: twilio::call_sid_from(n), account_sid: PARIS_SID, token: PARIS_TOKEN }
    }

    fn form(&self) -> Vec<(String, String)> {
        twilio::voice_form(self.account_sid, &self.call_sid, self.from, self.to)
    }
}

/// Posts `call`, signed with `signature` (`None`: the right one), and returns the answer.
async fn post_call(app: &TestApp, call: &Call<'_>, signature: Option<&str>) -> Answer {
    let form = call.form();
    let signed_url = format!("{}/webhooks/twilio/voice", app.settings.server.public_url);
    let right = twilio::signature(call.token, &signed_url, &form);
    let response = app
        .client
        .post(format!("{}/webhooks/twilio/voice", app.base_url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header(twilio::SIGNATURE_HEADER, signature.unwrap_or(&right))
        .body(twilio::encode_form(&form))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    Answer { status, content_type, body: response.text().await.unwrap() }
}

/// What the caller hears: `Some(text)` for an answered call, `None` for a rejected one.
fn heard(answer: &Answer) -> Option<String> {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("text/xml"), "{}", answer.content_type);
    match twilio::twiml_said_text(&answer.body) {
        Some(text) => {
            assert!(
                answer.body.contains(r#"<Say language="fr-FR">"#) && answer.body.ends_with("<Hangup /></Response>")
            );
            Some(text)
        }
        None => {
            assert_eq!(answer.body, twilio::twiml_reject());
            None
        }
    }
}

async fn call_entries(app: &TestApp) -> Vec<antirelou_ledger::Entry> {
    let entries = antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await;
    entries.into_iter().filter(|e| e.kind == EntryKind::Call).collect()
}

fn calls(metrics: &Metrics, number: &str, outcome: &str) -> u64 {
    let tenant = if number == LYON_NUMBER { "lyon" } else { "paris" };
    metrics.value("antirelou_calls_total", &[("tenant", tenant), ("number", number), ("outcome", outcome)]) as u64
}

#[actix_web::test]
async fn a_new_caller_hears_the_message_once_and_one_call_is_charged_whatever_is_replayed() {
    let app = spawn_app_at(|dir| calls_config(dir, "5.00"), midday_clock()).await;
    let first = Call::paris("+33700000001", 1);
    assert_eq!(heard(&post_call(&app, &first, None).await).as_deref(), Some(SAY));
    // Twilio retrying the same call: the same answer, nothing paid again.
    for _ in 0..3 {
        assert_eq!(heard(&post_call(&app, &first, None).await).as_deref(), Some(SAY), "a replay answers alike");
    }
    // The same caller calling again, and then texting: one answer per sender.
    assert_eq!(heard(&post_call(&app, &Call::paris("+33700000001", 2), None).await), None, "repeat caller");
    assert_eq!(app.post_sms(&Sms::paris("+33700000001", sid(1))).await.reply(), None, "answered by voice already");
    // A sender who got the SMS reply is not answered by voice either.
    assert_eq!(app.post_sms(&Sms::paris("+33700000002", sid(2))).await.reply().as_deref(), Some(REPLY));
    assert_eq!(heard(&post_call(&app, &Call::paris("+33700000002", 3), None).await), None);

    let entries = call_entries(&app).await;
    assert_eq!(entries.len(), 1, "one call paid: {entries:?}");
    assert_eq!((entries[0].amount.micros(), entries[0].reference.as_str()), (20_000, first.call_sid.as_str()));
    let metrics = app.metrics().await;
    assert_eq!(calls(&metrics, PARIS_NUMBER, "replied"), 1);
    assert_eq!(calls(&metrics, PARIS_NUMBER, "duplicate"), 3);
    assert_eq!(calls(&metrics, PARIS_NUMBER, "repeat_sender"), 2);
    assert_eq!(metrics.outcome("paris", PARIS_NUMBER, "repeat_sender"), 1, "the SMS is counted as an SMS");
    let spent =
        |kind| metrics.value("antirelou_spend_total", &[("tenant", "paris"), ("number", PARIS_NUMBER), ("kind", kind)]);
    assert_eq!((spent("call"), spent("reply")), (0.02, 0.08));
}

#[actix_web::test]
async fn blocked_paused_foreign_and_anonymous_callers_are_rejected_and_cost_nothing() {
    let app = spawn_app_at(|dir| calls_config(dir, "5.00"), midday_clock()).await;
    assert_eq!(heard(&post_call(&app, &Call::paris("+33600000666", 1), None).await), None, "blocked");
    let paused = Call { to: PAUSED, ..Call::paris("+33700000001", 2) };
    assert_eq!(heard(&post_call(&app, &paused, None).await), None, "paused");
    assert_eq!(heard(&post_call(&app, &Call::paris("+14155552671", 3), None).await), None, "country_not_allowed");
    assert_eq!(heard(&post_call(&app, &Call::paris("anonymous", 4), None).await), None, "not_a_phone");
    assert_eq!(heard(&post_call(&app, &Call::paris("+33700000003", 5), None).await).as_deref(), Some(SAY));
    assert_eq!(call_entries(&app).await.len(), 1);
    let metrics = app.metrics().await;
    for (number, outcome) in [
        (PARIS_NUMBER, "blocked"),
        (PAUSED, "paused"),
        (PARIS_NUMBER, "country_not_allowed"),
        (PARIS_NUMBER, "not_a_phone"),
        (PARIS_NUMBER, "replied"),
    ] {
        assert_eq!(calls(&metrics, number, outcome), 1, "{number} {outcome}");
    }
    assert_eq!(metrics.outcome("paris", PARIS_NUMBER, "replied"), 0, "calls are not counted as SMS");
}

#[actix_web::test]
async fn a_number_without_voice_rejects_every_call_unanswered() {
    let app = spawn_app(|dir| calls_config(dir, "5.00")).await;
    let call = Call { to: LYON_NUMBER, account_sid: LYON_SID, token: LYON_TOKEN, ..Call::paris("+33700000001", 1) };
    assert_eq!(heard(&post_call(&app, &call, None).await), None);
    assert!(call_entries(&app).await.is_empty());
    assert_eq!(calls(&app.metrics().await, LYON_NUMBER, "no_voice"), 1);
}

#[actix_web::test]
async fn an_unsigned_forged_or_other_accounts_call_is_refused_before_any_decision() {
    let app = spawn_app(|dir| calls_config(dir, "5.00")).await;
    let call = Call::paris("+33700000001", 1);
    assert_eq!(post_call(&app, &call, Some("")).await.status, 403, "unsigned");
    assert_eq!(post_call(&app, &call, Some("bm90IGEgc2lnbmF0dXJl")).await.status, 403, "forged");
    let lyon_signed = Call { token: LYON_TOKEN, ..Call::paris("+33700000001", 2) };
    assert_eq!(post_call(&app, &lyon_signed, None).await.status, 403, "signed with another tenant's token");
    let other_account = Call { account_sid: LYON_SID, ..Call::paris("+33700000001", 3) };
    assert_eq!(post_call(&app, &other_account, None).await.status, 403, "another account");
    let unknown = Call { to: "+33699999990", ..Call::paris("+33700000001", 4) };
    assert_eq!(post_call(&app, &unknown, None).await.status, 404);
    assert!(call_entries(&app).await.is_empty());
    let metrics = app.metrics().await;
    assert_eq!(calls(&metrics, PARIS_NUMBER, "replied"), 0);
    assert_eq!((metrics.rejected("bad_signature"), metrics.rejected("account_mismatch")), (3, 1));
}
