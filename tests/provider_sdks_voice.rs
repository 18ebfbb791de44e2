//! The official `vonage` and `plivo` Python SDKs and antirelou agree on
//! calls: tokens we sign pass the SDK's `vonage_jwt.verify_signature` and
//! tampered or unsigned ones fail it; HS256 tokens signed by PyJWT (the
//! library that check runs on) pass ours; the SDK's NCCO `Talk` and Plivo
//! `Speak` say what ours say, and its busy hangup is ours byte for byte.

use antirelou_providers::plivo::voice as plivo_voice;
use antirelou_providers::vonage::{self, jwt};
use antirelou_providers::InboundError;
use serde_json::json;

use crate::provider_sdks::{ask, sdk};

const SECRET: &str = "vonage-signature-secret-of-thirty-two+";
const OTHER_SECRET: &str = "another-tenant-signature-secret-0123456";
const NOW: i64 = 1_760_000_000;
const BODY: &[u8] = br#"{"to":"33939000001","from":"33612345678"}"#;
const TEXTS: [&str; 4] =
    ["Bonjour. Non, c'est non.", "Ça suffit & <stop> \"merci\"", "a+b=c", "Laissez-la tranquille…"];

#[test]
fn tokens_we_sign_pass_the_vonage_sdks_check_and_forged_ones_fail_it() {
    let ours = jwt::sign(SECRET, NOW, "jti-1", "abcd1234", "app-1", BODY);
    let (head, signature) = ours.rsplit_once('.').unwrap();
    let flipped = format!("{head}.{}", if signature.starts_with('A') { "B" } else { "A" }.to_owned() + &signature[1..]);
    let unsigned = jwt::sign_raw("", r#"{"alg":"none","typ":"JWT"}"#, &format!(r#"{{"iat":{NOW}}}"#));
    let unsigned = format!("{}.", unsigned.rsplit_once('.').unwrap().0);
    let cases = [
        (ours.clone(), SECRET, true),
        (ours, OTHER_SECRET, false),
        (flipped, SECRET, false),
        (unsigned.clone(), SECRET, false),
        (jwt::sign_raw(SECRET, r#"{"alg":"HS512","typ":"JWT"}"#, &format!(r#"{{"iat":{NOW}}}"#)), SECRET, false),
    ];
    let requests: Vec<_> = cases
        .iter()
        .map(|(token, secret, _)| ask("vonage-jwt-check", json!({ "token": token, "secret": secret })))
        .collect();
    for ((token, secret, valid), (sdk_valid, _)) in cases.iter().zip(sdk(&requests)) {
        assert_eq!(sdk_valid, *valid, "the SDK on {token} under {secret}");
        let ours = jwt::verify(token, secret, NOW, BODY, "abcd1234");
        assert_eq!(ours.is_ok(), *valid, "ours on {token} under {secret}: {ours:?}");
    }
}

#[test]
fn tokens_pyjwt_signs_as_vonage_does_pass_our_check_and_fail_it_once_tampered() {
    let claims = json!({
        "iat": NOW,
        "jti": "9b1d1ac5-0f1c-4f3e-9a3c-1d2e3f405060",
        "iss": "Vonage",
        "payload_hash": jwt::payload_hash(BODY),
        "api_key": "abcd1234",
        "application_id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    });
    let requests = [ask("vonage-jwt-sign", json!({ "secret": SECRET, "claims": claims }))];
    let (_, token) = sdk(&requests).remove(0);
    let verified = jwt::verify(&token, SECRET, NOW + 10, BODY, "abcd1234").expect("PyJWT's HS256 token verifies");
    assert_eq!(verified.application_id.as_deref(), Some("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"));
    assert_eq!(jwt::verify(&token, OTHER_SECRET, NOW, BODY, "abcd1234"), Err(InboundError::BadSignature));
    assert_eq!(jwt::verify(&token, SECRET, NOW, b"{}", "abcd1234"), Err(InboundError::BadSignature));
    assert_eq!(jwt::verify(&token, SECRET, NOW + 301, BODY, "abcd1234"), Err(InboundError::StaleTimestamp));
}

#[test]
fn the_sdks_talk_and_speak_say_what_ours_say_and_its_busy_hangup_is_ours() {
    let mut requests: Vec<_> = TEXTS
        .iter()
        .flat_map(|text| {
            [
                ask("vonage-ncco", json!({ "text": text, "language": "fr-FR" })),
                ask("plivo-voice-xml", json!({ "text": text, "language": "fr-FR" })),
            ]
        })
        .collect();
    requests.push(ask("plivo-voice-xml", json!({ "reason": "busy" })));
    let answers = sdk(&requests);
    for (text, pair) in TEXTS.iter().zip(answers.chunks(2)) {
        let sdk_ncco: serde_json::Value = serde_json::from_str(&pair[0].1).unwrap();
        let our_ncco: serde_json::Value = serde_json::from_str(&vonage::ncco_talk(text, "fr-FR")).unwrap();
        assert_eq!(sdk_ncco, our_ncco, "{text}");
        assert_eq!(plivo_voice::xml_said_text(&pair[1].1).as_deref(), Some(*text));
        assert_eq!(plivo_voice::xml_said_text(&plivo_voice::xml_speak(text, "fr-FR")).as_deref(), Some(*text));
        assert!(
            pair[1].1.starts_with(r#"<Response><Speak language="fr-FR">"#)
                && pair[1].1.ends_with("</Speak><Hangup/></Response>")
        );
    }
    assert_eq!(answers.last().unwrap().1, plivo_voice::xml_refuse());
}
