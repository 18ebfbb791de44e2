//! A message through each provider of one deployment, and what each route
//! answers and refuses.

use std::sync::Arc;
use std::time::Duration;

use antirelou_domain::{Clock, ManualClock};
use antirelou_ledger::EntryKind;
use antirelou_providers::form::encode_form;
use antirelou_providers::{plivo, twilio, vonage};

use super::*;
use crate::support::{eventually, settings_and_ledger, sid, spawn_app_with_clock, spawn_app_with_ledger};

/// One replica of the four-provider deployment on an embedded ledger.
async fn deployment(dir: &std::path::Path, providers: &Providers) -> TestApp {
    let toml = config_toml(dir, "decision_timeout_ms = 2000", &providers.tenants(""));
    let (settings, ledger) = settings_and_ledger(&toml);
    spawn_app_with_ledger(dir, settings, ledger).await
}

#[actix_web::test]
async fn a_message_through_each_provider_is_decided_and_answered_the_way_that_provider_takes_replies() {
    let providers = Providers::start();
    let dir = tempfile::tempdir().unwrap();
    let app = deployment(dir.path(), &providers).await;

    // Twilio: inline TwiML.
    let answer = text_twilio(&app, "+33611000001", twilio_sid(1)).await;
    assert_eq!((answer.status, answer.content_type.as_str()), (200, "text/xml; charset=utf-8"));
    assert_eq!(answer.reply().as_deref(), Some(REPLY));

    // Plivo: inline Plivo XML, from our number to the sender.
    let answer = text_plivo(&app, "+33611000002", &plivo::emulate::message_uuid_from(2)).await;
    assert_eq!((answer.status, answer.content_type.as_str()), (200, plivo::reply::CONTENT_TYPE));
    let reply = plivo::read_reply(&answer.body).expect("a Plivo <Message>");
    assert_eq!((reply.src.as_str(), reply.dst.as_str(), reply.text.as_str()), ("33939000003", "33611000002", REPLY));

    // Vonage: an empty 200, the reply through Vonage's send API.
    let answer =
        get_vonage(&app, &vonage_query("+33611000003", &vonage::emulate::message_id_from(3), unix_now())).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, ""));
    assert!(eventually(Duration::from_secs(10), || async { providers.vonage.accepted().len() == 1 }).await);
    let sent = &providers.vonage.accepted()[0];
    assert_eq!((sent.from.as_str(), sent.to.as_str(), sent.text.as_str()), ("33939000002", "33611000003", REPLY));

    // OVHcloud: polled from its inbox, answered through a job, then deleted.
    let id = providers.ovh.push_incoming("+33611000004", "on se revoit ?");
    let answered = eventually(Duration::from_secs(15), || async {
        providers.ovh.accepted().len() == 1 && providers.ovh.deleted_ids() == [id]
    })
    .await;
    assert!(
        answered,
        "OVHcloud inbox polled: sent {:?}, deleted {:?}",
        providers.ovh.accepted(),
        providers.ovh.deleted_ids()
    );
    let sent = &providers.ovh.accepted()[0];
    assert_eq!((sent.to.as_str(), sent.text.as_str()), ("+33611000004", REPLY));
    assert!(providers.ovh.incoming_ids().is_empty());

    assert_eq!(providers.twilio.accepted().len(), 0, "inline replies never go through the API");
    assert_eq!(providers.plivo.accepted().len(), 0);
    let m = app.metrics().await;
    for (tenant, number) in
        [("paris", TWILIO_NUMBER), ("lille", VONAGE_NUMBER), ("lyon", PLIVO_NUMBER), ("marseille", OVH_NUMBER)]
    {
        assert_eq!(m.outcome(tenant, number, "replied"), 1, "{tenant}");
        assert_eq!(m.value("antirelou_inbound_total", &[("tenant", tenant)]), 1.0, "{tenant}: one decision");
    }
    assert_eq!(m.value("antirelou_poller_lease_held", &[("tenant", "marseille"), ("number", OVH_NUMBER)]), 1.0);
    assert_eq!(m.value("antirelou_poller_up", &[("number", OVH_NUMBER)]), 1.0);
    assert!(m.value("antirelou_poller_polls_total", &[("number", OVH_NUMBER), ("result", "ok")]) >= 1.0);
    let entries = antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await;
    let mut paid: Vec<&str> =
        entries.iter().filter(|e| e.kind == EntryKind::Reply).map(|e| e.number.as_str()).collect();
    paid.sort_unstable();
    assert_eq!(paid, [TWILIO_NUMBER, VONAGE_NUMBER, PLIVO_NUMBER, OVH_NUMBER], "one paid reply per provider");
}

#[actix_web::test]
async fn every_route_refuses_what_its_provider_did_not_sign_with_the_documented_status_and_label() {
    let providers = Providers::start();
    let dir = tempfile::tempdir().unwrap();
    let app = deployment(dir.path(), &providers).await;
    let post = |path: &'static str, body: String, headers: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let mut request = app
                .client
                .post(format!("{}{path}", app.base_url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            answer(request.send().await.unwrap()).await
        }
    };

    // Twilio: no signature (403), a Vonage number (404, unknown for Twilio).
    let sms = Sms {
        to: TWILIO_NUMBER,
        from: "+33611000001",
        body: "x",
        message_sid: sid(1),
        account_sid: TWILIO_SID,
        token: TWILIO_TOKEN,
    };
    assert_eq!(post("/webhooks/twilio", twilio::encode_form(&sms.form()), vec![]).await.status, 403);
    let elsewhere = Sms { to: VONAGE_NUMBER, ..sms };
    assert_eq!(app.post_sms(&elsewhere).await.status, 404);

    // Vonage: stale, tampered, another account's key.
    let stale = vonage_query("+33611000002", "0A00000000000001", unix_now() - 301);
    assert_eq!(get_vonage(&app, &stale).await.status, 403);
    let tampered = vonage_query("+33611000002", "0A00000000000002", unix_now()).replace("revoit", "revoir");
    assert_eq!(get_vonage(&app, &tampered).await.status, 403);
    let other_key = {
        let sms = vonage::emulate::EmulatedSms {
            api_key: "otherkey2",
            message_id: "0A00000000000003",
            from: "+33611000002",
            to: VONAGE_NUMBER,
            text: "x",
            timestamp: unix_now(),
            nonce: "n",
        };
        encode_form(&vonage::emulate::signed_params(&sms, VONAGE_METHOD, VONAGE_SIGNATURE_SECRET))
    };
    assert_eq!(get_vonage(&app, &other_key).await.status, 403);
    let no_number = app.client.get(format!("{}/webhooks/vonage?msisdn=1", app.base_url)).send().await.unwrap();
    assert_eq!(no_number.status().as_u16(), 400);

    // Plivo: a bad signature (403); a validly signed but malformed id (400).
    let form = plivo::emulate::inbound_form("+33611000003", PLIVO_NUMBER, "x", &plivo::emulate::message_uuid_from(1));
    let headers = vec![(plivo::SIGNATURE_HEADER, "bm9wZQ==".to_owned()), (plivo::NONCE_HEADER, "1".to_owned())];
    assert_eq!(post("/webhooks/plivo", encode_form(&form), headers).await.status, 403);
    let bad_id = plivo::emulate::inbound_form("+33611000003", PLIVO_NUMBER, "x", "not-a-uuid");
    let url = format!("{}/webhooks/plivo", app.settings.server.public_url);
    let (signature, nonce) = plivo::emulate::signed_headers(&url, &bad_id, "7", PLIVO_TOKEN);
    let headers = vec![(plivo::SIGNATURE_HEADER, signature), (plivo::NONCE_HEADER, nonce)];
    let malformed = post("/webhooks/plivo", encode_form(&bad_id), headers).await;
    assert_eq!((malformed.status, malformed.body.as_str()), (400, "malformed webhook: MessageUUID"));

    // Every route bounds its body.
    for path in ["/webhooks/twilio", "/webhooks/twilio/status", "/webhooks/vonage", "/webhooks/plivo"] {
        assert_eq!(post(path, "a".repeat(70_000), vec![]).await.status, 413, "{path}");
    }

    let m = app.metrics().await;
    let rejected = |provider: &str, reason: &str, tenant: &str| {
        m.value("antirelou_webhook_rejected_total", &[("provider", provider), ("reason", reason), ("tenant", tenant)])
            as u64
    };
    assert_eq!(rejected("twilio", "bad_signature", "paris"), 1);
    assert_eq!(rejected("twilio", "unknown_number", ""), 1, "a number of another provider is unknown here");
    assert_eq!(rejected("twilio", "too_large", ""), 2, "inbound and status");
    assert_eq!(rejected("vonage", "stale_timestamp", "lille"), 1);
    assert_eq!(rejected("vonage", "bad_signature", "lille"), 1);
    assert_eq!(rejected("vonage", "account_mismatch", "lille"), 1);
    assert_eq!(rejected("vonage", "malformed", ""), 1);
    assert_eq!(rejected("plivo", "bad_signature", "lyon"), 1);
    assert_eq!(rejected("plivo", "malformed", "lyon"), 1);
    assert_eq!(rejected("plivo", "too_large", ""), 1);
    assert_eq!(m.value("antirelou_webhook_rejected_total", &[("provider", "ovh")]), 0.0, "OVHcloud has no webhook");
    assert!(m.0.contains(
        r#"antirelou_webhook_rejected_total{number="+33939000003",provider="plivo",reason="account_mismatch",tenant="lyon"} 0"#
    ), "every configured number's series exist at 0");
    assert_eq!(m.value("antirelou_inbound_total", &[]), 0.0, "nothing refused was decided");
}

#[actix_web::test]
async fn vonage_retries_and_long_messages_are_decided_once_and_part_one_alone_is_decided_after_its_wait() {
    let providers = Providers::start();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::starting_at(chrono::Utc::now()));
    let toml = config_toml(dir.path(), "decision_timeout_ms = 2000", &providers.tenants(""));
    let (settings, ledger) = settings_and_ledger(&toml);
    let app = spawn_app_with_clock(dir.path(), settings, ledger, clock.clone()).await;
    let sent_to = |n: usize| {
        let providers = &providers;
        move || async move { providers.vonage.accepted().len() == n }
    };

    // A whole SMS, retried by Vonage: one reply.
    let query = vonage_query("+33611000001", "0A00000000000001", clock.now_seconds());
    assert_eq!(get_vonage(&app, &query).await.status, 200);
    assert_eq!(get_vonage(&app, &query).await.status, 200);
    assert!(eventually(Duration::from_secs(10), sent_to(1)).await);

    // A long SMS in two parts, out of order, then part 1 retried: one decision, one reply.
    let part = |from: &'static str, id: &'static str, text: &'static str, part: u8| {
        let sms = vonage::emulate::EmulatedSms {
            api_key: VONAGE_KEY,
            message_id: id,
            from,
            to: VONAGE_NUMBER,
            text,
            timestamp: clock.now_seconds(),
            nonce: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        };
        let params = vonage::emulate::signed_part_params(&sms, "2A", 2, part, VONAGE_METHOD, VONAGE_SIGNATURE_SECRET);
        encode_form(&params)
    };
    assert_eq!(get_vonage(&app, &part("+33611000002", "0B00000000000002", " ?", 2)).await.status, 200);
    assert_eq!(get_vonage(&app, &part("+33611000002", "0B00000000000001", "on se revoit", 1)).await.status, 200);
    assert_eq!(get_vonage(&app, &part("+33611000002", "0B00000000000001", "on se revoit", 1)).await.status, 200);
    assert!(eventually(Duration::from_secs(10), sent_to(2)).await);

    // Part 1 of another long SMS, its part 2 gone to another replica: decided once part 1 has waited.
    assert_eq!(get_vonage(&app, &part("+33611000003", "0C00000000000001", "on se", 1)).await.status, 200);
    let m = app.metrics().await;
    assert_eq!(m.value("antirelou_inbound_total", &[("tenant", "lille")]), 3.0, "part 1 alone is not decided yet");
    clock.advance_micros((antirelou_web::PART_ONE_WAIT_MS as i64 + 1_000) * 1_000);
    assert!(eventually(Duration::from_secs(10), sent_to(3)).await, "decided on what arrived");
    // Its part 2 arriving late is absorbed.
    assert_eq!(get_vonage(&app, &part("+33611000003", "0C00000000000002", " revoit ?", 2)).await.status, 200);

    let m = app.metrics().await;
    assert_eq!(m.outcome("lille", VONAGE_NUMBER, "replied"), 3);
    assert_eq!(m.outcome("lille", VONAGE_NUMBER, "duplicate"), 1, "the retried whole SMS");
    assert_eq!(m.value("antirelou_inbound_total", &[("tenant", "lille")]), 4.0, "no other decision");
    let recipients = recipients(&providers.vonage.accepted());
    assert_eq!(recipients, ["+33611000001", "+33611000002", "+33611000003"]);
}

#[actix_web::test]
async fn twilio_delivery_statuses_are_counted_by_tenant_and_unsigned_ones_refused() {
    let providers = Providers::start();
    let dir = tempfile::tempdir().unwrap();
    let app = deployment(dir.path(), &providers).await;
    let url = format!("{}/webhooks/twilio/status", app.settings.server.public_url);
    let callback = |status: &str| -> Vec<(String, String)> {
        [
            ("SmsSid", sid(7).as_str()),
            ("SmsStatus", status),
            ("MessageStatus", status),
            ("To", "+33611000001"),
            ("MessageSid", sid(7).as_str()),
            ("AccountSid", TWILIO_SID),
            ("From", TWILIO_NUMBER),
            ("ApiVersion", "2010-04-01"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let post = |form: Vec<(String, String)>, signature: String| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(format!("{}/webhooks/twilio/status", app.base_url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(twilio::SIGNATURE_HEADER, signature)
                .body(twilio::encode_form(&form))
                .send()
                .await
                .unwrap();
            response.status().as_u16()
        }
    };
    for status in ["sent", "delivered", "undelivered"] {
        let form = callback(status);
        let signature = twilio::signature(TWILIO_TOKEN, &url, &form);
        assert_eq!(post(form, signature).await, 200, "{status}");
    }
    assert_eq!(post(callback("failed"), "forged".to_owned()).await, 403);
    let form = callback("failed");
    let wrong_token = twilio::signature("another-token-entirely", &url, &form);
    assert_eq!(post(form, wrong_token).await, 403);

    let m = app.metrics().await;
    let counted = |status: &str| {
        m.value("antirelou_delivery_status_total", &[("provider", "twilio"), ("tenant", "paris"), ("status", status)])
    };
    assert_eq!(
        (counted("sent"), counted("delivered"), counted("undelivered"), counted("failed")),
        (1.0, 1.0, 1.0, 0.0)
    );
    assert_eq!(
        m.value(
            "antirelou_webhook_rejected_total",
            &[("provider", "twilio"), ("reason", "bad_signature"), ("tenant", "paris")]
        ),
        2.0
    );
    assert!(!m.0.contains("33611000001"), "the recipient is never a label");
    assert_eq!(m.value("antirelou_inbound_total", &[]), 0.0, "a status is not an inbound SMS");
}
