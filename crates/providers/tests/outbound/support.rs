//! Credentials, numbers and texts come from the SDK recordings, so the
//! clients, the emulators and the fixtures all speak of the same account.

use std::sync::Arc;

use antirelou_emulators::{
    start_ovh, start_plivo, start_twilio, start_vonage, Emulator, Exchange, Fixture, OvhAccount, OvhEmulator,
    PlivoAccount, RecordedProvider, TwilioAccount, VonageAccount,
};
use antirelou_providers::ovh::{OvhApi, OvhApiConfig, OvhCredentials, OvhSender, VirtualNumber};
use antirelou_providers::plivo::{PlivoSendConfig, PlivoSender};
use antirelou_providers::twilio::{TwilioSendConfig, TwilioSender};
use antirelou_providers::vonage::{VonageSendConfig, VonageSender};
use antirelou_providers::{OutboundSms, SendPolicy};

/// Short timeouts and back-off so the retry tests take milliseconds.
pub fn fast_policy() -> SendPolicy {
    SendPolicy { connect_timeout_ms: 500, request_timeout_ms: 600, max_attempts: 3, backoff_ms: 10, max_backoff_ms: 40 }
}

pub fn fixture(provider: RecordedProvider) -> Fixture {
    Fixture::committed(provider).expect("committed fixture")
}

pub fn exchange(provider: RecordedProvider, name: &str) -> Exchange {
    fixture(provider).exchange(name).expect("recorded exchange").clone()
}

pub fn input(exchange: &Exchange, key: &str) -> String {
    exchange.input(key).unwrap_or_else(|| panic!("input {key} recorded"))
}

/// E.164 with `+` from a number written without it.
pub fn plus(number: &str) -> String {
    if number.starts_with('+') {
        number.to_owned()
    } else {
        format!("+{number}")
    }
}

pub fn sms(from: &str, to: &str, text: &str, status_callback: Option<String>) -> OutboundSms {
    OutboundSms { from: plus(from), to: plus(to), text: text.to_owned(), status_callback }
}

pub fn twilio() -> (Emulator, TwilioSender, Exchange) {
    let e = exchange(RecordedProvider::Twilio, "send_with_status_callback");
    let emulator =
        start_twilio(TwilioAccount { account_sid: input(&e, "account_sid"), auth_token: input(&e, "auth_token") })
            .expect("twilio emulator");
    let sender = twilio_sender(&emulator, &e, &input(&e, "auth_token"));
    (emulator, sender, e)
}

pub fn twilio_sender(emulator: &Emulator, e: &Exchange, auth_token: &str) -> TwilioSender {
    TwilioSender::new(TwilioSendConfig {
        api_base: emulator.api_base().to_owned(),
        account_sid: input(e, "account_sid"),
        auth_token: auth_token.to_owned(),
        policy: fast_policy(),
    })
    .expect("twilio sender")
}

pub fn twilio_sms(e: &Exchange) -> OutboundSms {
    sms(&input(e, "from"), &input(e, "to"), &input(e, "text"), Some(input(e, "status_callback")))
}

pub fn vonage() -> (Emulator, VonageSender, Exchange) {
    let e = exchange(RecordedProvider::Vonage, "send");
    let emulator = start_vonage(VonageAccount { api_key: input(&e, "api_key"), api_secret: input(&e, "api_secret") })
        .expect("vonage emulator");
    let sender = vonage_sender(&emulator, &e, &input(&e, "api_secret"));
    (emulator, sender, e)
}

pub fn vonage_sender(emulator: &Emulator, e: &Exchange, api_secret: &str) -> VonageSender {
    VonageSender::new(VonageSendConfig {
        api_base: emulator.api_base().to_owned(),
        api_key: input(e, "api_key"),
        api_secret: api_secret.to_owned(),
        policy: fast_policy(),
    })
    .expect("vonage sender")
}

pub fn plivo() -> (Emulator, PlivoSender, Exchange) {
    let e = exchange(RecordedProvider::Plivo, "send_with_status_url");
    let emulator = start_plivo(PlivoAccount { auth_id: input(&e, "auth_id"), auth_token: input(&e, "auth_token") })
        .expect("plivo emulator");
    let sender = plivo_sender(&emulator, &e, &input(&e, "auth_token"));
    (emulator, sender, e)
}

pub fn plivo_sender(emulator: &Emulator, e: &Exchange, auth_token: &str) -> PlivoSender {
    PlivoSender::new(PlivoSendConfig {
        api_base: emulator.api_base().to_owned(),
        auth_id: input(e, "auth_id"),
        auth_token: auth_token.to_owned(),
        policy: fast_policy(),
    })
    .expect("plivo sender")
}

pub fn ovh_emulator(clock_skew_secs: i64) -> (OvhEmulator, Exchange) {
    let e = exchange(RecordedProvider::Ovh, "send_with_options");
    let emulator = start_ovh(OvhAccount {
        application_key: input(&e, "application_key"),
        application_secret: input(&e, "application_secret"),
        consumer_key: input(&e, "consumer_key"),
        service_name: input(&e, "service_name"),
        number: input(&e, "number"),
        clock_skew_secs,
    })
    .expect("ovh emulator");
    (emulator, e)
}

pub fn ovh_api(emulator: &Emulator, credentials: OvhCredentials) -> Arc<OvhApi> {
    Arc::new(
        OvhApi::new(OvhApiConfig {
            api_base: emulator.api_base().to_owned(),
            credentials,
            policy: fast_policy(),
            time_refresh_secs: OvhApiConfig::DEFAULT_TIME_REFRESH_SECS,
        })
        .expect("ovh api"),
    )
}

pub fn ovh_credentials(e: &Exchange) -> OvhCredentials {
    OvhCredentials {
        application_key: input(e, "application_key"),
        application_secret: input(e, "application_secret"),
        consumer_key: input(e, "consumer_key"),
    }
}

/// Our virtual number in E.164: the recorded `0033…` with `+` for `00`.
pub fn ovh_number(e: &Exchange) -> VirtualNumber {
    let path_number = input(e, "number");
    let e164 = format!("+{}", path_number.strip_prefix("00").expect("00 form"));
    VirtualNumber::new(&input(e, "service_name"), &e164).expect("virtual number")
}

pub fn ovh_sender(api: Arc<OvhApi>, e: &Exchange) -> OvhSender {
    OvhSender::new(api, ovh_number(e))
}

pub use antirelou_test_support::eventually;
