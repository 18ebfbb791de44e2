//! The connection test of each provider against its stand-in: the right
//! account is accepted, wrong credentials are refused (401/403), an API
//! that cannot be reached is told apart at once; and the read we make is
//! the one the official SDK makes (method, path, auth, content type).

use std::net::TcpListener;
use std::time::{Duration, Instant};

use antirelou_emulators::{RecordedProvider, SeenRequest};
use antirelou_providers::ovh::OvhCredentials;
use antirelou_providers::twilio::{TwilioSendConfig, TwilioSender};
use antirelou_providers::{AccountCheck, SendApi};

use crate::support::*;
use crate::wire_truth::assert_same_request;

fn only_get(requests: Vec<SeenRequest>) -> SeenRequest {
    requests.into_iter().rev().find(|r| r.method == "GET").expect("a GET received")
}

#[tokio::test]
async fn twilio_reads_the_balance_as_the_sdk_does_and_tells_right_from_wrong_credentials() {
    let (emulator, sender, e) = twilio();
    assert_eq!(sender.check_account().await, AccountCheck::Accepted);
    let theirs = fixture(RecordedProvider::Twilio).request("account_check", "GET").unwrap().clone();
    assert_same_request("twilio account_check", &theirs, &only_get(emulator.requests()));
    let wrong = twilio_sender(&emulator, &e, "not-the-token");
    assert_eq!(wrong.check_account().await, AccountCheck::CredentialsRefused { status: 401 });
    assert!(emulator.accepted().is_empty(), "a connection test sends no message");
}

#[tokio::test]
async fn vonage_reads_the_balance_as_the_sdk_does_and_tells_right_from_wrong_credentials() {
    let (emulator, sender, e) = vonage();
    assert_eq!(sender.check_account().await, AccountCheck::Accepted);
    let theirs = fixture(RecordedProvider::Vonage).request("account_check", "GET").unwrap().clone();
    assert_same_request("vonage account_check", &theirs, &only_get(emulator.requests()));
    let wrong = vonage_sender(&emulator, &e, "wrong-secret");
    assert_eq!(wrong.check_account().await, AccountCheck::CredentialsRefused { status: 401 });
    assert!(emulator.accepted().is_empty());
}

#[tokio::test]
async fn plivo_reads_the_account_as_the_sdk_does_and_tells_right_from_wrong_credentials() {
    let (emulator, sender, e) = plivo();
    assert_eq!(sender.check_account().await, AccountCheck::Accepted);
    let theirs = fixture(RecordedProvider::Plivo).request("account_check", "GET").unwrap().clone();
    assert_same_request("plivo account_check", &theirs, &only_get(emulator.requests()));
    let wrong = plivo_sender(&emulator, &e, "wrong-token");
    assert_eq!(wrong.check_account().await, AccountCheck::CredentialsRefused { status: 401 });
    assert!(emulator.accepted().is_empty());
}

/// The emulator is at `http://127.0.0.1:PORT/1.0`, the SDK at
/// `https://eu.api.ovh.com/1.0`: the paths under `/1.0` must be equal.
#[tokio::test]
async fn ovh_reads_the_sms_service_signed_as_the_sdk_does_and_tells_right_from_wrong_keys() {
    let (emulator, e) = ovh_emulator(0);
    let sender = ovh_sender(ovh_api(&emulator, ovh_credentials(&e)), &e);
    assert_eq!(sender.check_account().await, AccountCheck::Accepted);
    let theirs = fixture(RecordedProvider::Ovh).request("account_check", "GET").unwrap().clone();
    assert_same_request("ovh account_check", &theirs, &only_get(emulator.requests()));
    let wrong = OvhCredentials { consumer_key: "not-the-consumer-key".to_owned(), ..ovh_credentials(&e) };
    let refused = ovh_sender(ovh_api(&emulator, wrong), &e).check_account().await;
    assert_eq!(refused, AccountCheck::CredentialsRefused { status: 403 });
    let bad_secret = OvhCredentials { application_secret: "wrong".to_owned(), ..ovh_credentials(&e) };
    let refused = ovh_sender(ovh_api(&emulator, bad_secret), &e).check_account().await;
    assert_eq!(refused, AccountCheck::CredentialsRefused { status: 400 }, "INVALID_SIGNATURE is our credentials");
    assert!(emulator.accepted().is_empty());
}

#[tokio::test]
async fn an_api_that_cannot_be_reached_is_told_at_once_without_retries() {
    let closed_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = exchange(RecordedProvider::Twilio, "account_check");
    let sender = TwilioSender::new(TwilioSendConfig {
        api_base: format!("http://127.0.0.1:{closed_port}"),
        account_sid: input(&e, "account_sid"),
        auth_token: input(&e, "auth_token"),
        policy: fast_policy(),
    })
    .unwrap();
    let started = Instant::now();
    let result = sender.check_account().await;
    assert!(matches!(result, AccountCheck::Unreachable(_)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(1), "no back-off: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_failing_provider_is_an_unexpected_answer_not_refused_credentials() {
    let (emulator, sender, _) = twilio();
    emulator.inject(antirelou_emulators::Fault::Status(503));
    assert_eq!(sender.check_account().await, AccountCheck::Unexpected { status: 503 });
}
