//! Twilio's Messages resource: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
//! answered `201` with the created message, or Twilio's error document
//! (`code`, `message`, `more_info`, `status`); and the account's balance,
//! `GET /2010-04-01/Accounts/{AccountSid}/Balance.json` (the connection
//! test's read). Routes, Basic auth, content type and required fields come
//! from the twilio SDK's recording.

use std::io;
use std::sync::Arc;

use serde_json::json;

use crate::checks::{check, Refusal};
use crate::recorded::{Expectation, Fixture, FixtureError, RecordedProvider};
use crate::server::{AcceptedSms, Answer, EmulatedApi, Emulator, Journal, SeenRequest};

/// The account the emulator accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioAccount {
    pub account_sid: String,
    pub auth_token: String,
}

/// Starts a Twilio Messages stand-in; clients use [`Emulator::api_base`] as their `api_base`.
pub fn start_twilio(account: TwilioAccount) -> io::Result<Emulator> {
    let api = TwilioApi::new(account).map_err(io::Error::other)?;
    Emulator::start("", |_| Arc::new(api))
}

struct TwilioApi {
    account: TwilioAccount,
    create: Expectation,
    balance: Expectation,
}

impl TwilioApi {
    fn new(account: TwilioAccount) -> Result<TwilioApi, FixtureError> {
        let fixture = Fixture::committed(RecordedProvider::Twilio)?;
        Ok(TwilioApi {
            account,
            create: fixture.expectation("send", "POST")?,
            balance: fixture.expectation("account_check", "GET")?,
        })
    }
}

impl EmulatedApi for TwilioApi {
    fn answer(&self, request: &SeenRequest, journal: &Journal) -> Answer {
        let account = &self.account;
        let basic = Some((account.account_sid.as_str(), account.auth_token.as_str()));
        if request.method == self.balance.method {
            return match check(&self.balance, request, &[("account_sid", &account.account_sid)], basic) {
                Ok(_) => {
                    Answer::new(200, json!({"account_sid": account.account_sid, "balance": "12.34", "currency": "EUR"}))
                }
                Err(refusal) => refused(&refusal),
            };
        }
        let checked = check(
            &self.create,
            request,
            &[("account_sid", &account.account_sid)],
            Some((&account.account_sid, &account.auth_token)),
        );
        if let Err(refusal) = checked {
            return refused(&refusal);
        }
        let field = |name: &str| request.field(name).unwrap_or_default();
        let sid = format!("SM{:032x}", journal.next_id());
        journal.accept(AcceptedSms {
            provider_message_id: sid.clone(),
            from: field("From"),
            to: field("To"),
            text: field("Body"),
            status_callback: request.field("StatusCallback"),
        });
        Answer::new(
            201,
            json!({
                "sid": sid,
                "account_sid": account.account_sid,
                "status": "queued",
                "to": field("To"),
                "from": field("From"),
                "body": field("Body"),
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "error_code": null,
                "error_message": null,
                "uri": format!("/2010-04-01/Accounts/{}/Messages/{sid}.json", account.account_sid),
            }),
        )
    }

    fn error_answer(&self, status: u16) -> Answer {
        let (code, message) = match status {
            429 => (20429, "Too Many Requests"),
            503 => (20503, "Service Unavailable"),
            _ => (20500, "Internal Server Error"),
        };
        error(status, code, message)
    }
}

/// Twilio's error codes for each refusal (Twilio's error dictionary).
fn refused(refusal: &Refusal) -> Answer {
    match refusal {
        Refusal::NotFound => error(404, 20404, "The requested resource was not found"),
        Refusal::Unauthenticated => error(401, 20003, "Authenticate"),
        Refusal::ContentType(_) | Refusal::MissingHeader(_) => error(400, 21604, "A 'To' phone number is required."),
        Refusal::MissingField(field) => match field.as_str() {
            "To" => error(400, 21604, "A 'To' phone number is required."),
            "From" => error(400, 21603, "A 'From' phone number is required."),
            _ => error(400, 21602, "Message body is required."),
        },
    }
}

fn error(status: u16, code: u32, message: &str) -> Answer {
    Answer::new(
        status,
        json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}),
    )
}
