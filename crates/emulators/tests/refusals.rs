//! What the emulators refuse, sent by hand over real HTTP: the checks come
//! from the SDK recordings, so a request the SDK would never send is refused
//! the way the provider refuses it.

use antirelou_emulators::{
    start_plivo, start_twilio, start_vonage, Fixture, PlivoAccount, RecordedProvider, TwilioAccount, VonageAccount,
};

fn input(provider: RecordedProvider, key: &str) -> String {
    Fixture::committed(provider).unwrap().exchange("send").unwrap().input(key).unwrap()
}

#[tokio::test]
async fn twilio_refuses_a_message_without_to_and_one_sent_as_json() {
    let sid = input(RecordedProvider::Twilio, "account_sid");
    let token = input(RecordedProvider::Twilio, "auth_token");
    let emulator = start_twilio(TwilioAccount { account_sid: sid.clone(), auth_token: token.clone() }).unwrap();
    let url = format!("{}/2010-04-01/Accounts/{sid}/Messages.json", emulator.api_base());
    let client = reqwest::Client::new();
    let answer = client
        .post(&url)
        .basic_auth(&sid, Some(&token))
        .form(&[("From", "+33939000001"), ("Body", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let error: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(error["code"], 21604);
    let as_json = serde_json::json!({"To": "+33612345678", "From": "+33939000001", "Body": "x"});
    let answer = client.post(&url).basic_auth(&sid, Some(&token)).json(&as_json).send().await.unwrap();
    assert_eq!(answer.status(), 400, "Twilio reads forms only");
    let other_account = format!("{}/2010-04-01/Accounts/ACother/Messages.json", emulator.api_base());
    let answer = client
        .post(&other_account)
        .basic_auth(&sid, Some(&token))
        .form(&[("To", "+33612345678")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    assert_eq!((emulator.request_count(), emulator.accepted().len()), (3, 0));
}

#[tokio::test]
async fn plivo_requires_every_field_the_sdk_always_sends() {
    let auth_id = input(RecordedProvider::Plivo, "auth_id");
    let token = input(RecordedProvider::Plivo, "auth_token");
    let emulator = start_plivo(PlivoAccount { auth_id: auth_id.clone(), auth_token: token.clone() }).unwrap();
    let url = format!("{}/v1/Account/{auth_id}/Message/", emulator.api_base());
    let body = serde_json::json!({"src": "33939000003", "dst": "33612345678", "text": "x"});
    let answer = reqwest::Client::new().post(&url).basic_auth(&auth_id, Some(&token)).json(&body).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let error: serde_json::Value = answer.json().await.unwrap();
    assert!(error["error"].as_str().unwrap().ends_with("is required"), "{error}");
    assert!(emulator.accepted().is_empty());
}

#[tokio::test]
async fn vonage_answers_missing_parameters_as_status_2_and_debug_shows_no_number() {
    let key = input(RecordedProvider::Vonage, "api_key");
    let secret = input(RecordedProvider::Vonage, "api_secret");
    let emulator = start_vonage(VonageAccount { api_key: key.clone(), api_secret: secret.clone() }).unwrap();
    let url = format!("{}/sms/json", emulator.api_base());
    let answer = reqwest::Client::new()
        .post(&url)
        .basic_auth(&key, Some(&secret))
        .form(&[("to", "33612345678"), ("text", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let parts: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(parts["messages"][0]["status"], "2");
    let seen = format!("{:?}", emulator.requests());
    assert!(!seen.contains("33612345678"), "{seen}");
}
