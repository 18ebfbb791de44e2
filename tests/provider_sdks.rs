//! The official `vonage` and `plivo` Python SDKs and antirelou agree, both
//! ways: webhooks signed by the SDKs' own helpers are accepted by our
//! `inbound` and refused once tampered with; webhooks we emulate are
//! validated by the SDKs' own verifiers and refused by them once tampered
//! with; the SDK's Plivo XML reads back as the same reply. Needs
//! `pip install -r tests/python/requirements.txt` (tests/run-all.sh does it).

use std::io::Write;
use std::process::{Command, Stdio};

use antirelou_providers::form::{encode_form, WebhookForm};
use antirelou_providers::vonage::emulate::EmulatedSms;
use antirelou_providers::vonage::{self, SignatureMethod, VonageInbound};
use antirelou_providers::{plivo, InboundError};
use serde_json::json;

const BODIES: [&str; 6] = ["salut", "t'es charmante 😘 on se voit ?", "a+b=c & d%20e", "ça va ? ôûî", "", "x=1&y=2"];
const NOW: i64 = 1_760_000_000;
const VONAGE_SECRET: &str = "vonage-sdk-secret";
const PLIVO_URL: &str = "https://sms.example.org/webhooks/plivo";
const PLIVO_TOKEN: &str = "MAZDQ1ZDJHNZQWYJEXYZ";

/// Runs the SDK script once for every request (`mode` set in each):
/// one (ok, output) per request, in order.
pub(crate) fn sdk(requests: &[serde_json::Value]) -> Vec<(bool, String)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/provider_sdks.py");
    let python = std::env::var("ANTIRELOU_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    child.stdin.take().unwrap().write_all(serde_json::Value::from(requests.to_vec()).to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the SDK script failed (is `pip install -r tests/python/requirements.txt` done?): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("the script answers JSON");
    assert_eq!(answers.len(), requests.len());
    answers.iter().map(|a| (a["ok"].as_bool().unwrap(), a["out"].as_str().unwrap().trim().to_owned())).collect()
}

/// `request` with its `mode`.
pub(crate) fn ask(mode: &str, mut request: serde_json::Value) -> serde_json::Value {
    request["mode"] = mode.into();
    request
}

fn vonage_sms(index: usize, text: &'static str, id: &'static str) -> EmulatedSms<'static> {
    EmulatedSms {
        api_key: "abcd1234",
        message_id: id,
        from: if index.is_multiple_of(2) { "+33612345678" } else { "+32470123456" },
        to: "+33939000001",
        text,
        timestamp: NOW,
        nonce: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    }
}

fn tamper(pairs: &[(String, String)], key: &str) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.clone(), if k == key { format!("{v}!") } else { v.clone() })).collect()
}

type Pairs = Vec<(String, String)>;

const HMAC_METHODS: [SignatureMethod; 4] =
    [SignatureMethod::Md5, SignatureMethod::Sha1, SignatureMethod::Sha256, SignatureMethod::Sha512];

#[test]
fn vonage_webhooks_signed_by_the_official_sdk_are_accepted_and_tampered_ones_refused() {
    let cases: Vec<(SignatureMethod, &str, Pairs)> = HMAC_METHODS
        .into_iter()
        .flat_map(|method| BODIES.into_iter().enumerate().map(move |(i, body)| (method, i, body)))
        .map(|(method, i, body)| {
            (method, body, vonage::emulate::inbound_params(&vonage_sms(i, body, "0A0000000123ABCD1")))
        })
        .collect();
    let requests: Vec<_> = cases
        .iter()
        .map(|(method, _, params)| {
            ask("vonage-sign", json!({ "secret": VONAGE_SECRET, "method": method.as_str(), "params": params }))
        })
        .collect();
    for ((method, body, params), (_, sig)) in cases.into_iter().zip(sdk(&requests)) {
        let auth =
            vonage::WebhookAuth { api_key: "abcd1234", signature_secret: VONAGE_SECRET, signature_method: method };
        assert_eq!(sig.to_uppercase(), vonage::signature(method, VONAGE_SECRET, &params), "{method} {body:?}");
        let mut signed = params.clone();
        signed.push(("sig".to_owned(), sig));
        let query = encode_form(&signed);
        let form = vonage::parse_request("GET", None, query.as_bytes(), b"").expect("query parses");
        let Ok(VonageInbound::Whole(sms)) = vonage::inbound(&form, &auth, NOW) else {
            panic!("SDK-signed {method} webhook {body:?} refused");
        };
        assert_eq!(sms.body, body);
        for key in ["text", "msisdn", "timestamp"] {
            let tampered = WebhookForm::from_pairs(tamper(&signed, key));
            assert_eq!(vonage::inbound(&tampered, &auth, NOW), Err(InboundError::BadSignature), "{key}");
        }
    }
}

#[test]
fn vonage_webhooks_we_emulate_pass_the_official_sdks_check_and_tampered_ones_fail_it() {
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for method in HMAC_METHODS {
        for (i, body) in BODIES.into_iter().enumerate() {
            let signed =
                vonage::emulate::signed_params(&vonage_sms(i, body, "0A0000000123ABCD2"), method, VONAGE_SECRET);
            let check = |secret: &str, params: &[(String, String)]| {
                ask("vonage-check", json!({ "secret": secret, "method": method.as_str(), "params": params }))
            };
            requests.push(check(VONAGE_SECRET, &signed));
            expected.push((true, "valid".to_owned()));
            requests.push(check(VONAGE_SECRET, &tamper(&signed, "text")));
            expected.push((false, "invalid".to_owned()));
            requests.push(check("other", &signed));
            expected.push((false, "invalid".to_owned()));
        }
    }
    assert_eq!(sdk(&requests), expected);
}

#[test]
fn plivo_webhooks_signed_by_the_official_sdk_are_accepted_and_tampered_ones_refused() {
    let auth = plivo::WebhookAuth { auth_token: PLIVO_TOKEN };
    let mut cases = Vec::new();
    for (i, body) in BODIES.into_iter().enumerate() {
        let uuid = plivo::emulate::message_uuid_from(i as u128);
        let nonce = plivo::emulate::nonce_from(i as u128);
        let form = plivo::emulate::inbound_form("+33612345678", "+33939000001", body, &uuid);
        for url in [PLIVO_URL.to_owned(), format!("{PLIVO_URL}?tenant=paris&b=1")] {
            cases.push((body, uuid.clone(), nonce.clone(), form.clone(), url));
        }
    }
    let requests: Vec<_> = cases
        .iter()
        .map(|(_, _, nonce, form, url)| {
            ask("plivo-sign", json!({ "token": PLIVO_TOKEN, "url": url, "nonce": nonce, "params": form }))
        })
        .collect();
    for ((body, uuid, nonce, form, url), (_, signature)) in cases.into_iter().zip(sdk(&requests)) {
        let ours = plivo::signature_v3(plivo::WebhookMethod::Post, &url, &form, &nonce, PLIVO_TOKEN);
        assert_eq!(ours.as_deref(), Some(signature.as_str()), "{body:?} {url}");
        let received = WebhookForm::parse(encode_form(&form).as_bytes()).expect("parses");
        let sms = plivo::inbound(&received, &url, &signature, &nonce, &auth).expect("SDK-signed webhook accepted");
        assert_eq!((sms.message_id.as_str(), sms.body.as_str()), (uuid.as_str(), body));
        for key in ["Text", "From", "MessageUUID"] {
            let tampered = WebhookForm::from_pairs(tamper(&form, key));
            assert_eq!(plivo::inbound(&tampered, &url, &signature, &nonce, &auth), Err(InboundError::BadSignature));
        }
    }
}

#[test]
fn plivo_webhooks_we_emulate_pass_the_official_sdks_validation_and_tampered_ones_fail_it() {
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for (i, body) in BODIES.into_iter().enumerate() {
        let uuid = plivo::emulate::message_uuid_from(i as u128);
        let form = plivo::emulate::inbound_form("+33612345678", "+33939000001", body, &uuid);
        let (signature, nonce) =
            plivo::emulate::signed_headers(PLIVO_URL, &form, &plivo::emulate::nonce_from(7), PLIVO_TOKEN);
        let check = |params: &[(String, String)], signature: &str| {
            ask(
                "plivo-check",
                json!({ "token": PLIVO_TOKEN, "url": PLIVO_URL, "nonce": nonce, "signature": signature, "params": params }),
            )
        };
        requests.push(check(&form, &signature));
        expected.push((true, "valid".to_owned()));
        requests.push(check(&form, &format!("bm9wZQ==,{signature}")));
        expected.push((true, "valid".to_owned()));
        requests.push(check(&tamper(&form, "Text"), &signature));
        expected.push((false, "invalid".to_owned()));
        requests.push(check(&tamper(&form, "To"), &signature));
        expected.push((false, "invalid".to_owned()));
    }
    assert_eq!(sdk(&requests), expected);
}

#[test]
fn the_official_sdks_plivo_xml_reads_as_the_same_reply_as_ours() {
    let texts = ["Non, c'est non. <stop> & \"merci\"", "ça suffit 🙅", ""];
    let requests: Vec<_> = texts
        .iter()
        .map(|text| ask("plivo-xml", json!({ "src": "33939000001", "dst": "33612345678", "text": text })))
        .collect();
    for (text, (_, theirs)) in texts.into_iter().zip(sdk(&requests)) {
        let read = plivo::read_reply(&theirs).unwrap_or_else(|| panic!("SDK XML has a message: {theirs}"));
        let ours = plivo::read_reply(&plivo::reply_message("+33939000001", "+33612345678", text)).expect("ours too");
        assert_eq!(read, ours, "{theirs}");
        assert_eq!(read.text, text);
    }
}
