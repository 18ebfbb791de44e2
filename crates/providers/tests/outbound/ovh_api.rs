//! The OVHcloud API client as the poller uses it: list, read, delete the
//! virtual number's incoming SMS, signed, against the emulator.

use antirelou_domain::ProviderKind;
use antirelou_providers::ovh::{OvhApiError, OvhCredentials};

use crate::support::*;

#[tokio::test]
async fn incoming_sms_are_listed_read_turned_into_inbound_sms_and_deleted_once() {
    let (emulator, e) = ovh_emulator(-120);
    let api = ovh_api(&emulator, ovh_credentials(&e));
    let number = ovh_number(&e);
    let first = emulator.push_incoming("+33611223344", "on se revoit ?");
    let second = emulator.push_incoming("0033622334455", "réponds");

    let ids = api.list_incoming(&number).await.expect("list");
    assert_eq!(ids, [first, second]);

    let incoming = api.get_incoming(&number, second).await.expect("get");
    let inbound = incoming.to_inbound(number.e164());
    assert_eq!(inbound.provider, ProviderKind::Ovh);
    assert_eq!(inbound.message_id, second.to_string());
    assert_eq!(inbound.from, "+33622334455", "0033… becomes E.164");
    assert_eq!(inbound.to, number.e164());
    assert_eq!(inbound.body, "réponds");

    api.delete_incoming(&number, second).await.expect("delete");
    assert_eq!(emulator.deleted_ids(), [second]);
    assert_eq!(api.list_incoming(&number).await.expect("list"), [first]);
    assert!(matches!(api.delete_incoming(&number, second).await, Err(OvhApiError::NotFound)), "already gone");
    assert!(matches!(api.get_incoming(&number, second).await, Err(OvhApiError::NotFound)));
}

#[tokio::test]
async fn the_server_time_is_asked_once_and_reused_for_later_calls() {
    let (emulator, e) = ovh_emulator(7_200);
    let api = ovh_api(&emulator, ovh_credentials(&e));
    let number = ovh_number(&e);
    for _ in 0..3 {
        api.list_incoming(&number).await.expect("signed on the server's clock");
    }
    let time_calls = emulator.requests().iter().filter(|r| r.path.ends_with("/auth/time")).count();
    assert_eq!((time_calls, emulator.request_count()), (1, 4));
    let server_time = api.server_time().await.expect("time");
    let ours = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((server_time - ours - 7_200).abs() <= 2, "the emulator's clock runs two hours ahead");
}

#[tokio::test]
async fn a_wrong_consumer_key_is_a_credentials_error_the_poller_must_report() {
    let (emulator, e) = ovh_emulator(0);
    let api = ovh_api(&emulator, OvhCredentials { consumer_key: "revoked".to_owned(), ..ovh_credentials(&e) });
    let error = api.list_incoming(&ovh_number(&e)).await.expect_err("refused");
    assert!(
        matches!(&error, OvhApiError::Refused { status: 403, error_code, .. } if error_code == "INVALID_CREDENTIAL"),
        "{error:?}"
    );
    assert!(error.is_credentials());
}

#[tokio::test]
async fn a_wrong_application_key_is_refused_even_for_the_server_time() {
    let (emulator, e) = ovh_emulator(0);
    let api = ovh_api(&emulator, OvhCredentials { application_key: "other-app".to_owned(), ..ovh_credentials(&e) });
    let error = api.server_time().await.expect_err("refused");
    assert!(
        matches!(&error, OvhApiError::Refused { status: 403, error_code, .. } if error_code == "INVALID_KEY"),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_emulator_refuses_a_tampered_signature_and_a_stale_timestamp() {
    let (emulator, e) = ovh_emulator(0);
    let api = ovh_api(&emulator, ovh_credentials(&e));
    let number = ovh_number(&e);
    api.list_incoming(&number).await.expect("a genuine call passes");
    let genuine = emulator.requests().pop().unwrap();
    let url = format!("{}{}", emulator.root_url(), genuine.target);
    let client = reqwest::Client::new();
    let replay = |signature: &str, timestamp: &str| {
        client
            .get(&url)
            .header("X-Ovh-Application", genuine.header("x-ovh-application").unwrap())
            .header("X-Ovh-Consumer", genuine.header("x-ovh-consumer").unwrap())
            .header("X-Ovh-Timestamp", timestamp.to_owned())
            .header("X-Ovh-Signature", signature.to_owned())
            .send()
    };
    let signature = genuine.header("x-ovh-signature").unwrap();
    let timestamp = genuine.header("x-ovh-timestamp").unwrap();
    assert_eq!(replay(signature, timestamp).await.unwrap().status(), 200, "the same request again passes");
    let mut tampered = signature.to_owned();
    tampered.replace_range(5..6, if &signature[5..6] == "0" { "1" } else { "0" });
    assert_eq!(replay(&tampered, timestamp).await.unwrap().status(), 400);
    let stale = (timestamp.parse::<i64>().unwrap() - 3_600).to_string();
    let answer = replay(signature, &stale).await.unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("QUERY_TIME_OUT"));
}
