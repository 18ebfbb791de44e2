//! Each send client against its provider's emulator: success, refusals, and
//! the retry rule (retry only what was certainly not accepted, so one call
//! is at most one SMS).

use std::net::TcpListener;
use std::time::Duration;

use antirelou_emulators::Fault;
use antirelou_providers::twilio::{TwilioSendConfig, TwilioSender};
use antirelou_providers::{SendApi, SendError};

use crate::support::*;

fn refused(result: Result<antirelou_providers::SendReceipt, SendError>) -> String {
    match result {
        Err(SendError::Refused(reason)) => reason,
        other => panic!("expected Refused, got {other:?}"),
    }
}

fn credentials_refused(result: Result<antirelou_providers::SendReceipt, SendError>) -> String {
    match result {
        Err(SendError::CredentialsRefused(reason)) => reason,
        other => panic!("expected CredentialsRefused, got {other:?}"),
    }
}

fn ambiguous(result: Result<antirelou_providers::SendReceipt, SendError>) -> String {
    match result {
        Err(SendError::Ambiguous(reason)) => reason,
        other => panic!("expected Ambiguous, got {other:?}"),
    }
}

// ---- Twilio

#[tokio::test]
async fn twilio_accepts_a_reply_and_exactly_one_sms_is_recorded() {
    let (emulator, sender, e) = twilio();
    let receipt = sender.send(&twilio_sms(&e)).await.expect("accepted");
    let accepted = emulator.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].provider_message_id, receipt.provider_message_id);
    assert!(receipt.provider_message_id.starts_with("SM") && receipt.provider_message_id.len() == 34);
    assert_eq!(
        (accepted[0].to.as_str(), accepted[0].from.as_str()),
        (input(&e, "to").as_str(), input(&e, "from").as_str())
    );
    assert_eq!(accepted[0].text, input(&e, "text"));
    assert_eq!(accepted[0].status_callback, Some(input(&e, "status_callback")));
}

#[tokio::test]
async fn twilio_refuses_a_wrong_auth_token_with_401_and_it_is_not_retried() {
    let (emulator, _, e) = twilio();
    let sender = twilio_sender(&emulator, &e, "not-the-token");
    let reason = credentials_refused(sender.send(&twilio_sms(&e)).await);
    assert!(reason.contains("401") && reason.contains("20003"), "{reason}");
    assert_eq!((emulator.request_count(), emulator.accepted().len()), (1, 0));
}

#[tokio::test]
async fn twilio_refuses_an_empty_body_with_its_error_code() {
    let (emulator, sender, e) = twilio();
    let mut sms = twilio_sms(&e);
    sms.text.clear();
    let reason = refused(sender.send(&sms).await);
    assert!(reason.contains("400") && reason.contains("21602"), "{reason}");
    assert_eq!((emulator.request_count(), emulator.accepted().len()), (1, 0));
}

#[tokio::test]
async fn twilio_429_then_201_sends_exactly_one_sms_in_two_requests() {
    let (emulator, sender, e) = twilio();
    emulator.inject(Fault::Status(429));
    let receipt = sender.send(&twilio_sms(&e)).await.expect("accepted on the second attempt");
    assert_eq!(emulator.request_count(), 2);
    let accepted = emulator.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].provider_message_id, receipt.provider_message_id);
}

#[tokio::test]
async fn twilio_throttled_on_every_attempt_gives_up_after_max_attempts_without_sending() {
    let (emulator, sender, e) = twilio();
    for _ in 0..3 {
        emulator.inject(Fault::Status(429));
    }
    let reason = refused(sender.send(&twilio_sms(&e)).await);
    assert!(reason.contains("after 3 attempt"), "{reason}");
    assert_eq!((emulator.request_count(), emulator.accepted().len()), (3, 0));
}

#[tokio::test]
async fn twilio_500_is_ambiguous_after_exactly_one_request() {
    let (emulator, sender, e) = twilio();
    emulator.inject(Fault::Status(500));
    let reason = ambiguous(sender.send(&twilio_sms(&e)).await);
    assert!(reason.contains("500"), "{reason}");
    assert_eq!(emulator.request_count(), 1);
}

#[tokio::test]
async fn twilio_answering_past_the_timeout_is_ambiguous_after_one_request_and_the_sms_still_goes_out() {
    let (emulator, sender, e) = twilio();
    let late_ms = fast_policy().request_timeout_ms + 400;
    emulator.inject(Fault::DelayMs(late_ms));
    let reason = ambiguous(sender.send(&twilio_sms(&e)).await);
    assert!(reason.contains("no answer within 600 ms"), "{reason}");
    // The provider took it after all: that is why the client must not retry.
    assert!(eventually(Duration::from_secs(5), || std::future::ready(emulator.accepted().len() == 1)).await);
    assert_eq!(emulator.request_count(), 1);
}

#[tokio::test]
async fn an_unreachable_api_is_refused_after_the_bounded_retries() {
    let closed_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = exchange(antirelou_emulators::RecordedProvider::Twilio, "send");
    let sender = TwilioSender::new(TwilioSendConfig {
        api_base: format!("http://127.0.0.1:{closed_port}"),
        account_sid: input(&e, "account_sid"),
        auth_token: input(&e, "auth_token"),
        policy: fast_policy(),
    })
    .unwrap();
    let reason = refused(sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "x", None)).await);
    assert!(reason.contains("after 3 attempt") && reason.contains("connection failed"), "{reason}");
}

// ---- Vonage

#[tokio::test]
async fn vonage_accepts_a_gsm_reply_without_a_type() {
    let (emulator, sender, e) = vonage();
    let receipt =
        sender.send(&sms(&input(&e, "from"), &input(&e, "to"), &input(&e, "text"), None)).await.expect("accepted");
    let accepted = emulator.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].provider_message_id, receipt.provider_message_id);
    assert_eq!(accepted[0].to, input(&e, "to"), "Vonage gets the number without +");
    assert_eq!(emulator.requests()[0].field("type"), None);
}

#[tokio::test]
async fn vonage_gets_type_unicode_for_a_ucs2_reply() {
    let (emulator, sender, e) = vonage();
    let text = input(&e, "unicode_text");
    sender.send(&sms(&input(&e, "from"), &input(&e, "to"), &text, None)).await.expect("accepted");
    assert_eq!(emulator.requests()[0].field("type").as_deref(), Some("unicode"));
    assert_eq!(emulator.accepted()[0].text, text);
}

#[tokio::test]
async fn vonage_throttled_then_accepted_is_one_sms_in_two_requests() {
    let (emulator, sender, e) = vonage();
    emulator.inject(Fault::PartStatus("1".to_owned()));
    sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "Non.", None)).await.expect("accepted on retry");
    assert_eq!((emulator.request_count(), emulator.accepted().len()), (2, 1));
}

#[tokio::test]
async fn vonage_internal_error_status_is_ambiguous_after_one_request() {
    let (emulator, sender, e) = vonage();
    emulator.inject(Fault::PartStatus("5".to_owned()));
    let reason = ambiguous(sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "Non.", None)).await);
    assert!(reason.contains("status 5"), "{reason}");
    assert_eq!(emulator.request_count(), 1);
}

#[tokio::test]
async fn vonage_without_credit_is_refused_at_once() {
    let (emulator, sender, e) = vonage();
    emulator.inject(Fault::PartStatus("9".to_owned()));
    let reason = refused(sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "Non.", None)).await);
    assert!(reason.contains("status 9"), "{reason}");
    assert_eq!(emulator.request_count(), 1);
}

#[tokio::test]
async fn vonage_refuses_a_wrong_secret_and_it_is_not_retried() {
    let (emulator, _, e) = vonage();
    let sender = vonage_sender(&emulator, &e, "wrong-secret");
    let reason = credentials_refused(sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "Non.", None)).await);
    assert!(reason.contains("401"), "{reason}");
    assert_eq!((emulator.request_count(), emulator.accepted().len()), (1, 0));
}

#[tokio::test]
async fn vonage_500_is_ambiguous_after_one_request() {
    let (emulator, sender, e) = vonage();
    emulator.inject(Fault::Status(503));
    ambiguous(sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "Non.", None)).await);
    assert_eq!(emulator.request_count(), 1);
}

// ---- Plivo

#[tokio::test]
async fn plivo_accepts_a_reply_with_its_status_url() {
    let (emulator, sender, e) = plivo();
    let callback = Some(input(&e, "status_url"));
    let receipt = sender
        .send(&sms(&input(&e, "from"), &input(&e, "to"), &input(&e, "text"), callback.clone()))
        .await
        .expect("accepted");
    let accepted = emulator.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].provider_message_id, receipt.provider_message_id);
    assert_eq!(accepted[0].status_callback, callback);
    assert_eq!(accepted[0].to, input(&e, "to"));
}

#[tokio::test]
async fn plivo_refuses_a_wrong_token_with_401_once() {
    let (emulator, _, e) = plivo();
    let sender = plivo_sender(&emulator, &e, "wrong-token");
    let reason = credentials_refused(sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "Non.", None)).await);
    assert!(reason.contains("401") && reason.contains("authentication failed"), "{reason}");
    assert_eq!((emulator.request_count(), emulator.accepted().len()), (1, 0));
}

#[tokio::test]
async fn plivo_429_then_202_is_one_sms_and_500_is_ambiguous() {
    let (emulator, sender, e) = plivo();
    emulator.inject(Fault::Status(429));
    sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "Non.", None)).await.expect("accepted on retry");
    assert_eq!((emulator.request_count(), emulator.accepted().len()), (2, 1));
    emulator.inject(Fault::Status(500));
    ambiguous(sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "Non.", None)).await);
    assert_eq!((emulator.request_count(), emulator.accepted().len()), (3, 1));
}

#[tokio::test]
async fn plivo_answering_late_is_ambiguous_after_one_request() {
    let (emulator, sender, e) = plivo();
    emulator.inject(Fault::DelayMs(fast_policy().request_timeout_ms + 400));
    ambiguous(sender.send(&sms(&input(&e, "from"), &input(&e, "to"), "Non.", None)).await);
    assert_eq!(emulator.request_count(), 1);
}

// ---- OVHcloud jobs

#[tokio::test]
async fn ovh_sends_a_job_from_the_virtual_number() {
    let (emulator, e) = ovh_emulator(0);
    let sender = ovh_sender(ovh_api(&emulator, ovh_credentials(&e)), &e);
    let from = sender.number().e164().to_owned();
    let receipt = sender.send(&sms(&from, &input(&e, "to"), &input(&e, "text"), None)).await.expect("accepted");
    let accepted = emulator.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].provider_message_id, receipt.provider_message_id);
    assert_eq!(accepted[0].to, input(&e, "to"));
}

#[tokio::test]
async fn ovh_signs_on_the_server_clock_even_an_hour_away_from_ours() {
    let (emulator, e) = ovh_emulator(3_600);
    let sender = ovh_sender(ovh_api(&emulator, ovh_credentials(&e)), &e);
    let from = sender.number().e164().to_owned();
    sender.send(&sms(&from, &input(&e, "to"), "Non.", None)).await.expect("accepted with the server's time");
    let requests = emulator.requests();
    assert_eq!(
        requests.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        ["GET", "POST"],
        "/auth/time, then the job"
    );
    assert!(requests[0].path.ends_with("/auth/time"));
}

#[tokio::test]
async fn ovh_refuses_a_job_signed_with_the_wrong_secret_once() {
    let (emulator, e) = ovh_emulator(0);
    let credentials =
        antirelou_providers::ovh::OvhCredentials { application_secret: "wrong".to_owned(), ..ovh_credentials(&e) };
    let sender = ovh_sender(ovh_api(&emulator, credentials), &e);
    let from = sender.number().e164().to_owned();
    let reason = credentials_refused(sender.send(&sms(&from, &input(&e, "to"), "Non.", None)).await);
    assert!(reason.contains("INVALID_SIGNATURE"), "{reason}");
    let posts = emulator.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!((posts, emulator.accepted().len()), (1, 0));
}

#[tokio::test]
async fn ovh_refuses_to_send_from_another_number_without_any_request() {
    let (emulator, e) = ovh_emulator(0);
    let sender = ovh_sender(ovh_api(&emulator, ovh_credentials(&e)), &e);
    let reason = refused(sender.send(&sms("+33100000000", &input(&e, "to"), "Non.", None)).await);
    assert!(reason.contains("sends from"), "{reason}");
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn ovh_429_then_200_is_one_job_and_502_is_ambiguous() {
    let (emulator, e) = ovh_emulator(0);
    let sender = ovh_sender(ovh_api(&emulator, ovh_credentials(&e)), &e);
    let from = sender.number().e164().to_owned();
    sender.send(&sms(&from, &input(&e, "to"), "first", None)).await.expect("primes the clock");
    emulator.inject(Fault::Status(429));
    sender.send(&sms(&from, &input(&e, "to"), "second", None)).await.expect("accepted on retry");
    assert_eq!(emulator.accepted().len(), 2);
    emulator.inject(Fault::Status(502));
    ambiguous(sender.send(&sms(&from, &input(&e, "to"), "third", None)).await);
    let posts = emulator.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!((posts, emulator.accepted().len()), (4, 2));
}

#[tokio::test]
async fn ovh_refuses_an_invalid_receiver_without_retrying() {
    let (emulator, e) = ovh_emulator(0);
    let sender = ovh_sender(ovh_api(&emulator, ovh_credentials(&e)), &e);
    let from = sender.number().e164().to_owned();
    let reason = refused(sender.send(&sms(&from, "not-a-number", "Non.", None)).await);
    assert!(reason.contains("invalid"), "{reason}");
    assert_eq!(emulator.accepted().len(), 0);
}
