//! Vonage's SMS API: `POST /sms/json`, answered `200` with one part per
//! message (`status` `"0"` accepted, other statuses from Vonage's error
//! table), `401` for wrong credentials; and `GET /account/get-balance`
//! (the connection test's read). Routes, auth scheme (Basic, as the vonage
//! SDK sends it), content type and required fields come from the SDK's
//! recording.

use std::io;
use std::sync::Arc;

use serde_json::json;

use crate::checks::{check, Refusal};
use crate::recorded::{Expectation, Fixture, FixtureError, RecordedProvider};
use crate::server::{AcceptedSms, Answer, EmulatedApi, Emulator, Journal, SeenRequest};

/// The account the emulator accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct VonageAccount {
    pub api_key: String,
    pub api_secret: String,
}

/// Starts a Vonage SMS API stand-in.
pub fn start_vonage(account: VonageAccount) -> io::Result<Emulator> {
    let api = VonageApi::new(account).map_err(io::Error::other)?;
    Emulator::start("", |_| Arc::new(api))
}

struct VonageApi {
    account: VonageAccount,
    send: Expectation,
    balance: Expectation,
}

impl VonageApi {
    fn new(account: VonageAccount) -> Result<VonageApi, FixtureError> {
        let fixture = Fixture::committed(RecordedProvider::Vonage)?;
        Ok(VonageApi {
            account,
            send: fixture.expectation("send", "POST")?,
            balance: fixture.expectation("account_check", "GET")?,
        })
    }
}

impl EmulatedApi for VonageApi {
    fn answer(&self, request: &SeenRequest, journal: &Journal) -> Answer {
        let basic = Some((self.account.api_key.as_str(), self.account.api_secret.as_str()));
        if request.method == self.balance.method {
            return match check(&self.balance, request, &[], basic) {
                Ok(_) => Answer::new(200, json!({"value": 10.28, "autoReload": false})),
                Err(Refusal::Unauthenticated) => unauthorized(),
                Err(_) => not_found(),
            };
        }
        let checked = check(&self.send, request, &[], basic);
        match checked {
            Ok(_) => {}
            Err(Refusal::NotFound) => return not_found(),
            Err(Refusal::Unauthenticated) => return unauthorized(),
            Err(Refusal::MissingField(field)) => return part("2", &format!("Missing {field}")),
            Err(_) => return part("2", "Missing Parameters"),
        }
        if let Some(kind) = request.field("type") {
            if !["text", "unicode", "binary"].contains(&kind.as_str()) {
                return part("3", "Invalid Parameters: type");
            }
        }
        let id = format!("{:016X}", journal.next_id());
        let to = request.field("to").unwrap_or_default();
        journal.accept(AcceptedSms {
            provider_message_id: id.clone(),
            from: request.field("from").unwrap_or_default(),
            to: to.clone(),
            text: request.field("text").unwrap_or_default(),
            status_callback: request.field("callback"),
        });
        Answer::new(
            200,
            json!({"message-count": "1", "messages": [{
                "to": to, "message-id": id, "status": "0",
                "remaining-balance": "15.53590000", "message-price": "0.07600000", "network": "20801"
            }]}),
        )
    }

    fn error_answer(&self, status: u16) -> Answer {
        Answer::new(status, json!({"title": "injected", "status": status}))
    }

    fn part_status_answer(&self, status: &str) -> Option<Answer> {
        let text = match status {
            "1" => "Throttled",
            "5" => "Internal Error",
            "9" => "Partner Quota Violation",
            "10" => "Too Many Existing Binds",
            _ => "Refused",
        };
        Some(part(status, text))
    }
}

fn not_found() -> Answer {
    Answer::new(404, json!({"error-code": "404", "error-code-label": "Not Found"}))
}

fn unauthorized() -> Answer {
    Answer::new(401, json!({"type": "https://developer.vonage.com/api-errors#unauthorized", "title": "Unauthorized"}))
}

fn part(status: &str, error_text: &str) -> Answer {
    Answer::new(200, json!({"message-count": "1", "messages": [{"status": status, "error-text": error_text}]}))
}
