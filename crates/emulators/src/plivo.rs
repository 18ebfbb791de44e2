//! Plivo's Message API: `POST /v1/Account/{auth_id}/Message/`, answered
//! `202` with `message_uuid`, `400`/`401` with Plivo's `{"api_id", "error"}`;
//! and the account, `GET /v1/Account/{auth_id}/` (the connection test's
//! read). Routes, Basic auth, content type and required fields (every field
//! the plivo SDK always sends) come from the SDK's recording.

use std::io;
use std::sync::Arc;

use serde_json::json;

use crate::checks::{check, Refusal};
use crate::recorded::{Expectation, Fixture, FixtureError, RecordedProvider};
use crate::server::{AcceptedSms, Answer, EmulatedApi, Emulator, Journal, SeenRequest};

/// The account the emulator accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct PlivoAccount {
    pub auth_id: String,
    pub auth_token: String,
}

/// Starts a Plivo Message API stand-in.
pub fn start_plivo(account: PlivoAccount) -> io::Result<Emulator> {
    let api = PlivoApi::new(account).map_err(io::Error::other)?;
    Emulator::start("", |_| Arc::new(api))
}

struct PlivoApi {
    account: PlivoAccount,
    send: Expectation,
    account_read: Expectation,
}

impl PlivoApi {
    fn new(account: PlivoAccount) -> Result<PlivoApi, FixtureError> {
        let fixture = Fixture::committed(RecordedProvider::Plivo)?;
        Ok(PlivoApi {
            account,
            send: fixture.expectation("send", "POST")?,
            account_read: fixture.expectation("account_check", "GET")?,
        })
    }
}

impl EmulatedApi for PlivoApi {
    fn answer(&self, request: &SeenRequest, journal: &Journal) -> Answer {
        let account = &self.account;
        let basic = Some((account.auth_id.as_str(), account.auth_token.as_str()));
        if request.method == self.account_read.method {
            return match check(&self.account_read, request, &[("auth_id", &account.auth_id)], basic) {
                Ok(_) => Answer::new(
                    200,
                    json!({"api_id": api_id(0), "auth_id": account.auth_id, "account_type": "standard",
                        "billing_mode": "prepaid", "cash_credits": "10.00000", "auto_recharge": false,
                        "resource_uri": format!("/v1/Account/{}/", account.auth_id), "timezone": "Europe/Paris"}),
                ),
                Err(Refusal::Unauthenticated) => error(401, "authentication failed"),
                Err(_) => error(404, "not found"),
            };
        }
        let checked = check(&self.send, request, &[("auth_id", &account.auth_id)], basic);
        match checked {
            Ok(_) => {}
            Err(Refusal::NotFound) => return error(404, "not found"),
            Err(Refusal::Unauthenticated) => return error(401, "authentication failed"),
            Err(Refusal::ContentType(_)) => return error(400, "content type must be application/json"),
            Err(Refusal::MissingField(field)) | Err(Refusal::MissingHeader(field)) => {
                return error(400, &format!("{field} is required"))
            }
        }
        let id = journal.next_id();
        let uuid = format!("db3ce55a-7f1d-11e1-8ea7-{id:012x}");
        journal.accept(AcceptedSms {
            provider_message_id: uuid.clone(),
            from: request.field("src").unwrap_or_default(),
            to: request.field("dst").unwrap_or_default(),
            text: request.field("text").unwrap_or_default(),
            status_callback: request.field("url"),
        });
        Answer::new(202, json!({"api_id": api_id(id), "message": "message(s) queued", "message_uuid": [uuid]}))
    }

    fn error_answer(&self, status: u16) -> Answer {
        error(status, "injected")
    }
}

fn api_id(id: u64) -> String {
    format!("db342550-7f1d-11e1-8ea7-{id:012x}")
}

fn error(status: u16, message: &str) -> Answer {
    Answer::new(status, json!({"api_id": api_id(0), "error": message}))
}
