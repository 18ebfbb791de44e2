//! Our clients put on the wire what the official SDKs put on the wire:
//! for each recorded SDK call, our client makes the same call against an
//! emulator and the request it received is compared with the recording
//! (method, path, query, auth scheme and credentials, content type, every
//! body field with its JSON type). The OVHcloud SDK's own signatures are
//! checked with our signing function.

use antirelou_emulators::{Exchange, Fixture, RecordedProvider, RecordedRequest, SeenAuth, SeenRequest};
use antirelou_providers::ovh::signature::{signature, SignedRequest};
use antirelou_providers::SendApi;

use crate::support::*;

/// Asserts that `ours` is the SDK's `theirs`, field by field.
pub fn assert_same_request(what: &str, theirs: &RecordedRequest, ours: &SeenRequest) {
    assert_eq!(ours.method, theirs.method, "{what}: method");
    assert_eq!(ours.path, theirs.path, "{what}: path");
    let our_query: Vec<(String, String)> =
        form_urlencoded::parse(ours.target.split_once('?').map_or("", |(_, q)| q).as_bytes()).into_owned().collect();
    assert_eq!(our_query, theirs.query, "{what}: query");
    assert_eq!(
        ours.media_type(),
        theirs.content_type.as_deref().map(antirelou_emulators::recorded::media_type),
        "{what}: content type"
    );
    match (&ours.auth, theirs.auth.scheme.as_deref()) {
        (SeenAuth::Basic { username, password }, Some("Basic")) => {
            assert_eq!(Some(username), theirs.auth.username.as_ref(), "{what}: Basic username");
            assert_eq!(Some(password), theirs.auth.password.as_ref(), "{what}: Basic password");
        }
        (SeenAuth::None, None) => {}
        (auth, scheme) => panic!("{what}: auth {auth:?}, the SDK used {scheme:?}"),
    }
    let their_fields = match &theirs.body.fields {
        Some(serde_json::Value::Object(fields)) => fields.clone(),
        _ => serde_json::Map::new(),
    };
    assert_eq!(ours.fields, their_fields, "{what}: body fields");
    let their_headers: Vec<&String> = theirs.headers.keys().collect();
    let our_headers: Vec<&String> = ours.headers.keys().filter(|name| name.starts_with("x-ovh-")).collect();
    assert_eq!(our_headers, their_headers, "{what}: X-Ovh-* headers");
}

fn last_request(requests: Vec<SeenRequest>, method: &str) -> SeenRequest {
    requests.into_iter().rev().find(|r| r.method == method).expect("request received")
}

#[tokio::test]
async fn our_twilio_requests_are_the_sdk_requests() {
    for name in ["send", "send_with_status_callback"] {
        let e = exchange(RecordedProvider::Twilio, name);
        let (emulator, sender, _) = twilio();
        let callback = e.input("status_callback").filter(|_| name.ends_with("callback"));
        sender.send(&sms(&input(&e, "from"), &input(&e, "to"), &input(&e, "text"), callback)).await.expect("accepted");
        let theirs = fixture(RecordedProvider::Twilio).request(name, "POST").unwrap().clone();
        assert_same_request(&format!("twilio {name}"), &theirs, &last_request(emulator.requests(), "POST"));
    }
}

#[tokio::test]
async fn our_vonage_requests_are_the_sdk_requests() {
    for (name, text_key) in [("send", "text"), ("send_unicode", "unicode_text")] {
        let e = exchange(RecordedProvider::Vonage, name);
        let (emulator, sender, _) = vonage();
        sender.send(&sms(&input(&e, "from"), &input(&e, "to"), &input(&e, text_key), None)).await.expect("accepted");
        let theirs = fixture(RecordedProvider::Vonage).request(name, "POST").unwrap().clone();
        assert_same_request(&format!("vonage {name}"), &theirs, &last_request(emulator.requests(), "POST"));
    }
}

#[tokio::test]
async fn our_plivo_requests_are_the_sdk_requests() {
    for name in ["send", "send_with_status_url"] {
        let e = exchange(RecordedProvider::Plivo, name);
        let (emulator, sender, _) = plivo();
        let url = e.input("status_url").filter(|_| name.ends_with("url"));
        sender.send(&sms(&input(&e, "from"), &input(&e, "to"), &input(&e, "text"), url)).await.expect("accepted");
        let theirs = fixture(RecordedProvider::Plivo).request(name, "POST").unwrap().clone();
        assert_same_request(&format!("plivo {name}"), &theirs, &last_request(emulator.requests(), "POST"));
    }
}

/// The emulator is at `http://127.0.0.1:PORT/1.0`, the SDK at
/// `https://eu.api.ovh.com/1.0`: the paths under `/1.0` must be equal.
#[tokio::test]
async fn our_ovh_requests_are_the_sdk_requests() {
    let fixture = fixture(RecordedProvider::Ovh);
    let (emulator, e) = ovh_emulator(0);
    let api = ovh_api(&emulator, ovh_credentials(&e));
    let number = ovh_number(&e);
    let incoming_id: u64 = input(&e, "incoming_id").parse().unwrap();
    let sender = ovh_sender(api.clone(), &e);

    api.server_time().await.expect("time");
    assert_same_request("ovh server_time", fixture.request("server_time", "GET").unwrap(), &emulator.requests()[0]);

    let from = number.e164().to_owned();
    sender.send(&sms(&from, &input(&e, "to"), &input(&e, "text"), None)).await.expect("job accepted");
    assert_same_request(
        "ovh job",
        fixture.request("send_with_options", "POST").unwrap(),
        &last_request(emulator.requests(), "POST"),
    );

    api.list_incoming(&number).await.expect("list");
    assert_same_request(
        "ovh list_incoming",
        fixture.request("list_incoming", "GET").unwrap(),
        &last_request(emulator.requests(), "GET"),
    );

    // The recorded id must exist for get and delete to pass: fill the inbox up to it.
    while emulator.push_incoming("+33611223344", "on se revoit ?") < incoming_id {}
    api.get_incoming(&number, incoming_id).await.expect("get");
    assert_same_request(
        "ovh get_incoming",
        fixture.request("get_incoming", "GET").unwrap(),
        &last_request(emulator.requests(), "GET"),
    );
    api.delete_incoming(&number, incoming_id).await.expect("delete");
    assert_same_request(
        "ovh delete_incoming",
        fixture.request("delete_incoming", "DELETE").unwrap(),
        &last_request(emulator.requests(), "DELETE"),
    );
}

/// Every signed request the ovh SDK made carries the signature our function computes.
pub fn assert_ovh_sdk_signatures_are_ours(fixture: &Fixture) {
    let mut checked = 0;
    for exchange in &fixture.exchanges {
        for request in exchange.requests.iter().filter(|r| r.headers.contains_key("x-ovh-signature")) {
            let e: &Exchange = exchange;
            let timestamp: i64 = request.headers["x-ovh-timestamp"].parse().expect("integer timestamp");
            let body = request.body.raw.as_deref().unwrap_or("");
            let ours = signature(
                &input(e, "application_secret"),
                &input(e, "consumer_key"),
                SignedRequest { method: &request.method, url: &request.sdk_url, body: body.as_bytes(), timestamp },
            );
            assert_eq!(ours, request.headers["x-ovh-signature"], "{} {}", exchange.name, request.method);
            checked += 1;
        }
    }
    assert_eq!(checked, 6, "two jobs, list, get, delete and the service read are signed");
}

#[test]
fn the_ovh_sdk_signatures_are_the_ones_we_compute() {
    let fixture = fixture(RecordedProvider::Ovh);
    assert_ovh_sdk_signatures_are_ours(&fixture);
    let server_time = fixture.server_time.expect("recorded server time");
    let stamps: Vec<i64> = fixture
        .exchanges
        .iter()
        .flat_map(|e| e.requests.iter())
        .filter_map(|r| r.headers.get("x-ovh-timestamp")?.parse().ok())
        .collect();
    assert!(stamps.iter().all(|t| (t - server_time).abs() <= 1), "the SDK signs on the server's clock: {stamps:?}");
}
