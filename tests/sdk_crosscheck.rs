//! The official `twilio` Python SDK signs requests the server accepts, and
//! reads our TwiML as its own. Needs `pip install -r tests/python/requirements.txt`
//! (the README's test command does it).

use std::io::Write;
use std::process::{Command, Stdio};

use antirelou_providers::twilio;

use crate::support::*;

fn sdk(args: &[&str], stdin: &str) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/twilio_sign.py");
    let python = std::env::var("ANTIRELOU_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&python)
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the twilio SDK script failed (is `pip install -r tests/python/requirements.txt` done?): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[actix_web::test]
async fn requests_signed_by_the_official_sdk_are_accepted_and_tampered_ones_refused() {
    let app = spawn_app(|dir| {
        config_toml(
            dir,
            "",
            &two_tenants("").replace("allowed_countries = [\"FR\", \"BE\"]", "allowed_countries = [\"*\"]"),
        )
    })
    .await;
    let bodies = ["salut", "t'es charmante 😘 on se voit ?", "a+b=c & d%20e", "ça va ? ôûî", ""];
    for (i, body) in bodies.iter().enumerate() {
        let from = format!("+3361000000{i}");
        let sms = Sms { body, ..Sms::paris(&from, sid(30_000 + i as u64)) };
        let form = sms.form();
        let request = serde_json::json!({ "token": PARIS_TOKEN, "url": app.signed_url(), "params": form });
        let signature = sdk(&[], &request.to_string());
        assert_eq!(signature, twilio::signature(PARIS_TOKEN, &app.signed_url(), &form), "same algorithm");
        let answer = app.post_raw(twilio::encode_form(&form), Some(&signature)).await;
        assert_eq!(answer.status, 200, "SDK-signed request {i} accepted");
        assert_eq!(answer.reply().as_deref(), Some(REPLY));
        let tampered = twilio::encode_form(&form).replace(&sid(30_000 + i as u64), &sid(39_999));
        assert_eq!(app.post_raw(tampered, Some(&signature)).await.status, 403);
    }
}

#[test]
fn the_sdk_and_our_twiml_carry_the_same_text() {
    for text in [REPLY, "Non, c'est non. <stop> & \"merci\"", "ça suffit 🙅"] {
        let theirs = sdk(&["--twiml", text], "");
        assert_eq!(twilio::twiml_reply_text(&theirs).as_deref(), Some(text), "SDK TwiML: {theirs}");
        assert_eq!(twilio::twiml_reply_text(&twilio::twiml_message(text)).as_deref(), Some(text));
    }
}

#[test]
fn the_sdk_and_our_voice_twiml_say_the_same_text_then_hang_up_or_reject_alike() {
    for (text, language) in [("Bonjour. Non, c'est non.", "fr-FR"), ("No means no. <stop> & \"thanks\"", "en-GB")] {
        let theirs = sdk(&["--say", text, "--language", language], "");
        let ours = twilio::twiml_say(text, language);
        assert_eq!(twilio::twiml_said_text(&theirs).as_deref(), Some(text), "SDK TwiML: {theirs}");
        assert_eq!(twilio::twiml_said_text(&ours).as_deref(), Some(text));
        let attribute = format!(r#"<Say language="{language}">"#);
        assert!(theirs.contains(&attribute) && ours.contains(&attribute), "{theirs}\n{ours}");
        assert!(theirs.ends_with("</Say><Hangup /></Response>") && ours.ends_with("</Say><Hangup /></Response>"));
    }
    assert_eq!(twilio::twiml_reject(), sdk(&["--reject"], ""), "byte for byte");
}

#[test]
fn the_sdk_validates_our_signature_of_a_voice_request() {
    let url = "https://sms.example.org/webhooks/twilio/voice";
    let form = twilio::voice_form(PARIS_SID, &twilio::call_sid_from(1), "+33700000001", PARIS_NUMBER);
    let signature = twilio::signature(PARIS_TOKEN, url, &form);
    let request = serde_json::json!({ "token": PARIS_TOKEN, "url": url, "params": form });
    assert_eq!(sdk(&[], &request.to_string()), signature, "same algorithm over a voice form");
    assert_eq!(sdk(&["--validate", &signature], &request.to_string()), "valid");
}
