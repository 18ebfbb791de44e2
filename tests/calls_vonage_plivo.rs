//! Calls through Vonage and Plivo, through the real server: the answer
//! request (Vonage: JWT-signed, GET query or POST JSON; Plivo: signed with
//! `X-Plivo-Signature-V3`) is decided like an SMS in the same ledger; an
//! answered call hears the number's `voice.say` in its language once per
//! caller (Vonage: an NCCO `talk`; Plivo: `<Speak>`), everything else is
//! refused (Vonage: an empty NCCO; Plivo: `<Hangup reason="busy"/>`); what
//! either did not sign is refused before any decision; call events and
//! hangup callbacks are verified, counted, and settle an answered call
//! once at its real duration (reserved 2 minutes at 0.02, 12 s cost 0.02).

use std::sync::Arc;

use antirelou_domain::{Clock, ManualClock};
use antirelou_ledger::EntryKind;
use antirelou_providers::form::encode_form;
use antirelou_providers::plivo::{self, voice as plivo_voice};
use antirelou_providers::vonage::{self, jwt, voice_emulate as vonage_voice};

use crate::support::*;

const VONAGE_NUMBER: &str = "+33939000011";
const VONAGE_PAUSED: &str = "+33939000012";
const VONAGE_OTHER: &str = "+33939000013";
const PLIVO_NUMBER: &str = "+33939000021";
const PLIVO_PAUSED: &str = "+33939000022";
const PLIVO_OTHER: &str = "+33939000023";
const LILLE_KEY: &str = "lillekey1";
const LILLE_SECRET: &str = "lille-vonage-signature-secret-0123";
const ROUBAIX_KEY: &str = "roubaixkey";
const ROUBAIX_SECRET: &str = "roubaix-vonage-signature-secret-99";
const LYON_ID: &str = "MAAAAAAAAAAAAAAAAAAA";
const LYON_PLIVO_TOKEN: &str = "lyon-plivo-auth-token-0123456789";
const NANCY_ID: &str = "MABBBBBBBBBBBBBBBBBB";
const NANCY_PLIVO_TOKEN: &str = "nancy-plivo-auth-token-987654321";
const BLOCKED: &str = "+33600000666";
const SAY: &str = "Bonjour. Vous avez mis mal à l'aise une personne. Non, c'est non.";
const VOICE: &str = r#"voice = { say = "Bonjour. Vous avez mis mal à l'aise une personne. Non, c'est non.", language = "fr-FR", price_per_minute = "0.02", max_seconds = 120 }"#;

fn number(number: &str, extra: &str) -> String {
    format!(
        r#"
[[tenants.numbers]]
number = "{number}"
reply = "{REPLY}"
price_per_segment = "0.08"
allowed_countries = ["FR"]
max_replies_per_minute = 100000
shield = {{ trigger_per_minute = 100000, new_senders_per_minute = 100000, trigger_per_hour = 100000, new_senders_per_hour = 100000, hold = "1h", trickle_per_hour = 10, baseline_factor = 0, money_margin_percent = 100000 }}
{extra}
"#
    )
}

/// Lille (Vonage) and Lyon (Plivo) answer calls on one number and have a
/// paused one; Roubaix (Vonage) and Nancy (Plivo) are other tenants of the
/// same providers. No send API is reachable: calls need none.
fn config(dir: &std::path::Path) -> String {
    let tenant = |id: &str, provider: String, numbers: String| {
        format!(
            "\n[[tenants]]\nid = \"{id}\"\nadmin_token = \"{id}-admin-token-0123456789\"\nblocklist = [\"{BLOCKED}\"]\nprovider = {provider}\n{numbers}"
        )
    };
    let vonage = |key: &str, secret: &str| {
        format!(
            r#"{{ kind = "vonage", api_key = "{key}", api_secret = "api-secret-0123", signature_secret = "{secret}", api_base = "http://127.0.0.1:9" }}"#
        )
    };
    let plivo = |id: &str, token: &str| {
        format!(r#"{{ kind = "plivo", auth_id = "{id}", auth_token = "{token}", api_base = "http://127.0.0.1:9" }}"#)
    };
    let paused = format!("paused = true\n{VOICE}");
    let tenants = [
        tenant(
            "lille",
            vonage(LILLE_KEY, LILLE_SECRET),
            number(VONAGE_NUMBER, VOICE) + &number(VONAGE_PAUSED, &paused),
        ),
        tenant("roubaix", vonage(ROUBAIX_KEY, ROUBAIX_SECRET), number(VONAGE_OTHER, VOICE)),
        tenant("lyon", plivo(LYON_ID, LYON_PLIVO_TOKEN), number(PLIVO_NUMBER, VOICE) + &number(PLIVO_PAUSED, &paused)),
        tenant("nancy", plivo(NANCY_ID, NANCY_PLIVO_TOKEN), number(PLIVO_OTHER, VOICE)),
    ];
    config_toml(dir, "", &tenants.concat())
}

async fn start() -> (TestApp, Arc<ManualClock>) {
    let clock = midday_clock();
    (spawn_app_at(config, clock.clone()).await, clock)
}

async fn answer_of(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    Answer { status, content_type, body: response.text().await.unwrap() }
}

/// One Vonage call's answer request: `to`, `from`, its seed, and how it is signed.
struct VonageCall<'a> {
    to: &'a str,
    from: &'a str,
    seed: u128,
    secret: &'a str,
    api_key: &'a str,
    /// Seconds between our clock and the token's `iat`.
    age: i64,
}

impl<'a> VonageCall<'a> {
    fn lille(from: &'a str, seed: u128) -> VonageCall<'a> {
        VonageCall { to: VONAGE_NUMBER, from, seed, secret: LILLE_SECRET, api_key: LILLE_KEY, age: 0 }
    }

    fn uuid(&self) -> String {
        vonage_voice::call_uuid_from(self.seed)
    }

    fn pairs(&self) -> Vec<(String, String)> {
        vonage_voice::answer_pairs(self.to, self.from, &self.uuid(), &vonage_voice::conversation_uuid_from(self.seed))
    }
}

/// GETs the answer URL for `call`; `authorization` replaces the right header (`Some("")`: none).
async fn vonage_get(app: &TestApp, clock: &ManualClock, call: &VonageCall<'_>, authorization: Option<&str>) -> Answer {
    let pairs = call.pairs();
    let right = vonage_voice::authorization(
        call.secret,
        clock.now_seconds() - call.age,
        call.api_key,
        &jwt::query_payload(&pairs),
    );
    let mut request = app.client.get(format!("{}/webhooks/vonage/answer?{}", app.base_url, encode_form(&pairs)));
    match authorization.unwrap_or(&right) {
        "" => {}
        value => request = request.header("Authorization", value),
    }
    answer_of(request.send().await.expect("the server answers")).await
}

/// POSTs `body` (JSON) to `path`, signed for `signed_body` under `secret`.
async fn vonage_post(
    app: &TestApp,
    clock: &ManualClock,
    path: &str,
    body: &str,
    signed_body: &str,
    secret: &str,
) -> Answer {
    let authorization = vonage_voice::authorization(secret, clock.now_seconds(), LILLE_KEY, signed_body.as_bytes());
    let request = app
        .client
        .post(format!("{}{path}", app.base_url))
        .header("Content-Type", "application/json")
        .header("Authorization", authorization)
        .body(body.to_owned());
    answer_of(request.send().await.expect("the server answers")).await
}

/// What a Vonage caller hears: `Some(text)`, or `None` for an ended call.
fn vonage_heard(answer: &Answer) -> Option<String> {
    assert_eq!((answer.status, answer.content_type.as_str()), (200, "application/json"), "{}", answer.body);
    let heard = vonage::ncco_said_text(&answer.body);
    match &heard {
        Some(_) => assert!(answer.body.contains(r#""language":"fr-FR""#), "{}", answer.body),
        None => assert_eq!(answer.body, "[]"),
    }
    heard
}

/// POSTs a Plivo voice request `form` to `path`, signed with `token`.
async fn plivo_post(app: &TestApp, path: &str, form: &[(String, String)], token: &str) -> Answer {
    let url = format!("{}{path}", app.settings.server.public_url);
    let nonce = plivo::emulate::nonce_from(form.len() as u128);
    let (signature, nonce) = plivo::emulate::signed_headers(&url, form, &nonce, token);
    let request = app
        .client
        .post(format!("{}{path}", app.base_url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header(plivo::SIGNATURE_HEADER, signature)
        .header(plivo::NONCE_HEADER, nonce)
        .body(encode_form(form));
    answer_of(request.send().await.expect("the server answers")).await
}

async fn plivo_call(app: &TestApp, to: &str, from: &str, seed: u128, token: &str) -> Answer {
    plivo_post(
        app,
        "/webhooks/plivo/voice",
        &plivo_voice::answer_form(from, to, &plivo_voice::call_uuid_from(seed)),
        token,
    )
    .await
}

/// What a Plivo caller hears: `Some(text)`, or `None` for a call hung up as busy.
fn plivo_heard(answer: &Answer) -> Option<String> {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/xml"), "{}", answer.content_type);
    let heard = plivo_voice::xml_said_text(&answer.body);
    match &heard {
        Some(_) => assert!(
            answer.body.starts_with(r#"<Response><Speak language="fr-FR">"#)
                && answer.body.ends_with("<Hangup/></Response>")
        ),
        None => assert_eq!(answer.body, plivo_voice::xml_refuse()),
    }
    heard
}

async fn call_entries(app: &TestApp) -> Vec<antirelou_ledger::Entry> {
    let entries = antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await;
    entries.into_iter().filter(|e| e.kind == EntryKind::Call).collect()
}

fn calls(metrics: &Metrics, tenant: &str, number: &str, outcome: &str) -> u64 {
    metrics.value("antirelou_calls_total", &[("tenant", tenant), ("number", number), ("outcome", outcome)]) as u64
}

/// (settled, already settled, given back) of a number's call settlements.
fn settlements(metrics: &Metrics, tenant: &str, number: &str) -> (u64, u64, f64) {
    let result = |result| {
        let labels = [("tenant", tenant), ("number", number), ("result", result)];
        metrics.value("antirelou_call_settlements_total", &labels) as u64
    };
    let given_back = metrics.value("antirelou_call_given_back_total", &[("tenant", tenant), ("number", number)]);
    (result("settled"), result("already_settled"), (given_back * 100.0).round() / 100.0)
}

fn rejected(metrics: &Metrics, provider: &str, reason: &str) -> u64 {
    metrics.value("antirelou_webhook_rejected_total", &[("provider", provider), ("reason", reason)]) as u64
}

#[actix_web::test]
async fn a_new_vonage_caller_hears_the_talk_once_and_repeat_blocked_and_paused_callers_get_an_empty_ncco() {
    let (app, clock) = start().await;
    let first = VonageCall::lille("+33700000001", 1);
    assert_eq!(vonage_heard(&vonage_get(&app, &clock, &first, None).await).as_deref(), Some(SAY));
    assert_eq!(
        vonage_heard(&vonage_get(&app, &clock, &first, None).await).as_deref(),
        Some(SAY),
        "a retry answers alike"
    );
    assert_eq!(
        vonage_heard(&vonage_get(&app, &clock, &VonageCall::lille("+33700000001", 2), None).await),
        None,
        "repeat"
    );
    assert_eq!(vonage_heard(&vonage_get(&app, &clock, &VonageCall::lille(BLOCKED, 3), None).await), None, "blocked");
    let paused = VonageCall { to: VONAGE_PAUSED, ..VonageCall::lille("+33700000002", 4) };
    assert_eq!(vonage_heard(&vonage_get(&app, &clock, &paused, None).await), None, "paused");
    // The answer method POST: the same call read from a JSON body.
    let json = vonage_voice::answer_json(
        VONAGE_NUMBER,
        "+33700000003",
        &vonage_voice::call_uuid_from(5),
        &vonage_voice::conversation_uuid_from(5),
    );
    let posted = vonage_post(&app, &clock, "/webhooks/vonage/answer", &json, &json, LILLE_SECRET).await;
    assert_eq!(vonage_heard(&posted).as_deref(), Some(SAY));

    // Its end: settled once at 12 s, whatever is replayed.
    let completed = vonage_voice::event_json(
        &first.uuid(),
        &vonage_voice::conversation_uuid_from(1),
        "completed",
        VONAGE_NUMBER,
        "+33700000001",
        Some(12),
    );
    for _ in 0..2 {
        assert_eq!(
            vonage_post(&app, &clock, "/webhooks/vonage/event", &completed, &completed, LILLE_SECRET).await.status,
            200
        );
    }

    let entries = call_entries(&app).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!((entries[0].amount.micros(), entries[0].reference.as_str()), (40_000, first.uuid().as_str()));
    let metrics = app.metrics().await;
    assert_eq!(settlements(&metrics, "lille", VONAGE_NUMBER), (1, 1, 0.02));
    for (number, outcome, count) in [
        (VONAGE_NUMBER, "replied", 2),
        (VONAGE_NUMBER, "duplicate", 1),
        (VONAGE_NUMBER, "repeat_sender", 1),
        (VONAGE_NUMBER, "blocked", 1),
        (VONAGE_PAUSED, "paused", 1),
    ] {
        assert_eq!(calls(&metrics, "lille", number, outcome), count, "{number} {outcome}");
    }
}

#[actix_web::test]
async fn an_unsigned_forged_expired_or_foreign_vonage_token_is_refused_before_any_decision() {
    let (app, clock) = start().await;
    let call = VonageCall::lille("+33700000001", 1);
    assert_eq!(vonage_get(&app, &clock, &call, Some("")).await.status, 403, "unsigned");
    assert_eq!(vonage_get(&app, &clock, &call, Some("Bearer not.a.token")).await.status, 403, "forged");
    let none =
        format!("Bearer {}", jwt::sign_raw("", r#"{"alg":"none"}"#, &format!(r#"{{"iat":{}}}"#, clock.now_seconds())));
    let none = none.rsplit_once('.').map(|(unsigned, _)| format!("{unsigned}.")).unwrap();
    assert_eq!(vonage_get(&app, &clock, &call, Some(&none)).await.status, 403, "alg none");
    let roubaix = VonageCall { secret: ROUBAIX_SECRET, api_key: ROUBAIX_KEY, ..VonageCall::lille("+33700000001", 2) };
    assert_eq!(vonage_get(&app, &clock, &roubaix, None).await.status, 403, "another tenant's secret");
    let foreign_key = VonageCall { api_key: ROUBAIX_KEY, ..VonageCall::lille("+33700000001", 3) };
    assert_eq!(vonage_get(&app, &clock, &foreign_key, None).await.status, 403, "another account's api_key");
    let expired = VonageCall { age: 301, ..VonageCall::lille("+33700000001", 4) };
    assert_eq!(vonage_get(&app, &clock, &expired, None).await.status, 403, "issued more than 5 minutes ago");
    let json = vonage_voice::answer_json(
        VONAGE_NUMBER,
        "+33700000001",
        &call.uuid(),
        &vonage_voice::conversation_uuid_from(1),
    );
    let tampered = json.replace("33700000001", "33700000009");
    assert_eq!(
        vonage_post(&app, &clock, "/webhooks/vonage/answer", &tampered, &json, LILLE_SECRET).await.status,
        403,
        "payload_hash"
    );
    let unknown = VonageCall { to: "+33699999990", ..VonageCall::lille("+33700000001", 5) };
    assert_eq!(vonage_get(&app, &clock, &unknown, None).await.status, 404);

    assert!(call_entries(&app).await.is_empty());
    let metrics = app.metrics().await;
    assert_eq!(
        (
            rejected(&metrics, "vonage", "bad_signature"),
            rejected(&metrics, "vonage", "account_mismatch"),
            rejected(&metrics, "vonage", "stale_timestamp")
        ),
        (5, 1, 1)
    );
    assert_eq!(calls(&metrics, "lille", VONAGE_NUMBER, "replied"), 0);
}

#[actix_web::test]
async fn vonage_call_events_are_verified_and_counted_by_status() {
    let (app, clock) = start().await;
    let (uuid, conversation) = (vonage_voice::call_uuid_from(1), vonage_voice::conversation_uuid_from(1));
    for (status, duration) in [("started", None), ("answered", None), ("completed", Some(12))] {
        let event = vonage_voice::event_json(&uuid, &conversation, status, VONAGE_NUMBER, "+33700000001", duration);
        assert_eq!(vonage_post(&app, &clock, "/webhooks/vonage/event", &event, &event, LILLE_SECRET).await.status, 200);
    }
    let completed =
        vonage_voice::event_json(&uuid, &conversation, "completed", VONAGE_NUMBER, "+33700000001", Some(12));
    let forged = vonage_post(&app, &clock, "/webhooks/vonage/event", &completed, &completed, ROUBAIX_SECRET).await;
    assert_eq!(forged.status, 403);
    let metrics = app.metrics().await;
    let events = |status| {
        metrics.value("antirelou_call_events_total", &[("provider", "vonage"), ("tenant", "lille"), ("status", status)])
            as u64
    };
    assert_eq!((events("started"), events("answered"), events("completed")), (1, 1, 1));
    let unknown = [("tenant", "lille"), ("number", VONAGE_NUMBER), ("result", "unknown_call")];
    assert_eq!(metrics.value("antirelou_call_settlements_total", &unknown), 1.0, "a call we never answered");
    assert_eq!(rejected(&metrics, "vonage", "bad_signature"), 1);
}

#[actix_web::test]
async fn a_new_plivo_caller_hears_speak_once_and_others_are_hung_up_as_busy_unanswered() {
    let app = start().await.0;
    assert_eq!(
        plivo_heard(&plivo_call(&app, PLIVO_NUMBER, "+33700000001", 1, LYON_PLIVO_TOKEN).await).as_deref(),
        Some(SAY)
    );
    assert_eq!(
        plivo_heard(&plivo_call(&app, PLIVO_NUMBER, "+33700000001", 1, LYON_PLIVO_TOKEN).await).as_deref(),
        Some(SAY)
    );
    assert_eq!(plivo_heard(&plivo_call(&app, PLIVO_NUMBER, "+33700000001", 2, LYON_PLIVO_TOKEN).await), None, "repeat");
    assert_eq!(plivo_heard(&plivo_call(&app, PLIVO_NUMBER, BLOCKED, 3, LYON_PLIVO_TOKEN).await), None, "blocked");
    assert_eq!(plivo_heard(&plivo_call(&app, PLIVO_PAUSED, "+33700000002", 4, LYON_PLIVO_TOKEN).await), None, "paused");
    let entries = call_entries(&app).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        (entries[0].amount.micros(), entries[0].reference.as_str()),
        (40_000, plivo_voice::call_uuid_from(1).as_str())
    );

    let hangup = plivo_voice::hangup_form("+33700000001", PLIVO_NUMBER, &plivo_voice::call_uuid_from(1), 12, 12);
    for _ in 0..2 {
        assert_eq!(plivo_post(&app, "/webhooks/plivo/voice/hangup", &hangup, LYON_PLIVO_TOKEN).await.status, 200);
    }
    let metrics = app.metrics().await;
    assert_eq!(settlements(&metrics, "lyon", PLIVO_NUMBER), (1, 1, 0.02), "settled once, then a replay");
    for (number, outcome) in [
        (PLIVO_NUMBER, "replied"),
        (PLIVO_NUMBER, "duplicate"),
        (PLIVO_NUMBER, "repeat_sender"),
        (PLIVO_NUMBER, "blocked"),
        (PLIVO_PAUSED, "paused"),
    ] {
        assert_eq!(calls(&metrics, "lyon", number, outcome), 1, "{number} {outcome}");
    }
    let completed = [("provider", "plivo"), ("tenant", "lyon"), ("status", "completed")];
    assert_eq!(metrics.value("antirelou_call_events_total", &completed), 2.0);
}

#[actix_web::test]
async fn a_plivo_call_not_signed_with_the_numbers_own_token_is_refused_before_any_decision() {
    let app = start().await.0;
    assert_eq!(
        plivo_call(&app, PLIVO_NUMBER, "+33700000001", 1, NANCY_PLIVO_TOKEN).await.status,
        403,
        "another tenant's token"
    );
    assert_eq!(plivo_call(&app, PLIVO_NUMBER, "+33700000001", 2, "forged").await.status, 403);
    let unsigned = app
        .client
        .post(format!("{}/webhooks/plivo/voice", app.base_url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(encode_form(&plivo_voice::answer_form("+33700000001", PLIVO_NUMBER, &plivo_voice::call_uuid_from(3))));
    assert_eq!(unsigned.send().await.unwrap().status().as_u16(), 403, "unsigned");
    let hangup = plivo_voice::hangup_form("+33700000001", PLIVO_NUMBER, &plivo_voice::call_uuid_from(1), 12, 12);
    assert_eq!(plivo_post(&app, "/webhooks/plivo/voice/hangup", &hangup, NANCY_PLIVO_TOKEN).await.status, 403);
    assert!(call_entries(&app).await.is_empty());
    let metrics = app.metrics().await;
    assert_eq!(rejected(&metrics, "plivo", "bad_signature"), 4);
    assert_eq!(calls(&metrics, "lyon", PLIVO_NUMBER, "replied"), 0);
}
