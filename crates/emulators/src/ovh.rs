//! OVHcloud's API for SMS virtual numbers: `GET /1.0/auth/time`, the
//! incoming list / get / delete over an inbox the test fills, and `POST
//! .../jobs`, and the SMS service itself, `GET /1.0/sms/{serviceName}` (the
//! connection test's read). Every call but `/auth/time` must be signed (`X-Ovh-*`
//! headers, `$1$` SHA-1 signature over the full URL, body and timestamp) and
//! its timestamp must be within [`MAX_CLOCK_DRIFT_SECS`] of the emulator's
//! clock, which can run ahead or behind ours (`clock_skew_secs`) to prove a
//! client uses `/auth/time`. Routes, headers, content type and required job
//! fields come from the ovh SDK's recording.

use std::collections::BTreeMap;
use std::io;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use sha1::{Digest, Sha1};

use crate::checks::{check, Refusal};
use crate::recorded::{Expectation, Fixture, FixtureError, RecordedProvider};
use crate::server::{same_secret, AcceptedSms, Answer, EmulatedApi, Emulator, Journal, SeenRequest};

/// A request whose timestamp is further than this from the server's clock is refused.
pub const MAX_CLOCK_DRIFT_SECS: i64 = 30;

/// The application, SMS service and virtual number the emulator serves.
#[derive(Clone, PartialEq, Eq)]
pub struct OvhAccount {
    pub application_key: String,
    pub application_secret: String,
    pub consumer_key: String,
    /// `sms-ab12345-1`.
    pub service_name: String,
    /// As OVHcloud writes it in paths: `0033939000004`.
    pub number: String,
    /// The emulated server's clock minus ours.
    pub clock_skew_secs: i64,
}

/// A running OVHcloud stand-in with its inbox. Derefs to [`Emulator`].
pub struct OvhEmulator {
    emulator: Emulator,
    state: Arc<OvhState>,
}

/// Starts an OVHcloud API stand-in; clients use [`Emulator::api_base`] (`…/1.0`).
pub fn start_ovh(account: OvhAccount) -> io::Result<OvhEmulator> {
    let state = Arc::new(OvhState::default());
    let routes = Routes::new().map_err(io::Error::other)?;
    let served = state.clone();
    let emulator = Emulator::start("/1.0", move |root_url| {
        Arc::new(OvhApi { account, root_url: root_url.to_owned(), routes, state: served })
    })?;
    Ok(OvhEmulator { emulator, state })
}

impl OvhEmulator {
    /// Puts an SMS in the virtual number's inbox, as if `sender` texted it; returns its id.
    pub fn push_incoming(&self, sender: &str, message: &str) -> u64 {
        let mut inbox = self.state.lock();
        inbox.next_id += 1;
        let id = inbox.next_id;
        inbox.messages.insert(id, (sender.to_owned(), message.to_owned()));
        id
    }

    /// Ids still in the inbox.
    pub fn incoming_ids(&self) -> Vec<u64> {
        self.state.lock().messages.keys().copied().collect()
    }

    /// Ids deleted through the API, in order.
    pub fn deleted_ids(&self) -> Vec<u64> {
        self.state.lock().deleted.clone()
    }
}

impl Deref for OvhEmulator {
    type Target = Emulator;

    fn deref(&self) -> &Emulator {
        &self.emulator
    }
}

#[derive(Default)]
struct OvhState {
    inbox: Mutex<Inbox>,
}

#[derive(Default)]
struct Inbox {
    /// id → (sender, message).
    messages: BTreeMap<u64, (String, String)>,
    deleted: Vec<u64>,
    next_id: u64,
}

impl OvhState {
    fn lock(&self) -> MutexGuard<'_, Inbox> {
        // Plain maps: a panic while held cannot leave them inconsistent.
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Routes {
    time: Expectation,
    list: Expectation,
    get: Expectation,
    delete: Expectation,
    send: Expectation,
    service: Expectation,
}

impl Routes {
    fn new() -> Result<Routes, FixtureError> {
        let fixture = Fixture::committed(RecordedProvider::Ovh)?;
        Ok(Routes {
            time: fixture.expectation("server_time", "GET")?,
            list: fixture.expectation("list_incoming", "GET")?,
            get: fixture.expectation("get_incoming", "GET")?,
            delete: fixture.expectation("delete_incoming", "DELETE")?,
            send: fixture.expectation("send", "POST")?,
            service: fixture.expectation("account_check", "GET")?,
        })
    }
}

struct OvhApi {
    account: OvhAccount,
    root_url: String,
    routes: Routes,
    state: Arc<OvhState>,
}

impl OvhApi {
    fn now(&self) -> i64 {
        unix_now() + self.account.clock_skew_secs
    }

    /// The application key, consumer key, timestamp and `$1$` signature.
    fn authenticate(&self, request: &SeenRequest) -> Result<(), Answer> {
        let account = &self.account;
        if request.header("x-ovh-application") != Some(account.application_key.as_str()) {
            return Err(error(403, "INVALID_KEY", "Invalid application key"));
        }
        if !request.header("x-ovh-consumer").is_some_and(|ck| same_secret(ck, &account.consumer_key)) {
            return Err(error(403, "INVALID_CREDENTIAL", "This credential does not exist"));
        }
        let timestamp = request.header("x-ovh-timestamp").and_then(|t| t.parse::<i64>().ok());
        let Some(timestamp) = timestamp.filter(|t| (t - self.now()).abs() <= MAX_CLOCK_DRIFT_SECS) else {
            return Err(error(400, "QUERY_TIME_OUT", "Query out of time"));
        };
        let mut sha = Sha1::new();
        for part in [
            account.application_secret.as_bytes(),
            account.consumer_key.as_bytes(),
            request.method.to_ascii_uppercase().as_bytes(),
            format!("{}{}", self.root_url, request.target).as_bytes(),
            &request.raw_body,
        ] {
            sha.update(part);
            sha.update(b"+");
        }
        sha.update(timestamp.to_string().as_bytes());
        let expected = format!("$1${}", hex::encode(sha.finalize()));
        if !request.header("x-ovh-signature").is_some_and(|got| same_secret(got, &expected)) {
            return Err(error(400, "INVALID_SIGNATURE", "Invalid signature"));
        }
        Ok(())
    }

    fn incoming_id(captured: &BTreeMap<String, String>) -> Option<u64> {
        captured.get("incoming_id")?.parse().ok()
    }
}

impl EmulatedApi for OvhApi {
    fn answer(&self, request: &SeenRequest, journal: &Journal) -> Answer {
        let account = &self.account;
        let values = [("service_name", account.service_name.as_str()), ("number", account.number.as_str())];
        if let Ok(_) | Err(Refusal::MissingHeader(_)) = check(&self.routes.time, request, &[], None) {
            return if request.header("x-ovh-application") == Some(account.application_key.as_str()) {
                Answer::new(200, json!(self.now()))
            } else {
                error(403, "INVALID_KEY", "Invalid application key")
            };
        }
        let routes =
            [&self.routes.list, &self.routes.get, &self.routes.delete, &self.routes.send, &self.routes.service];
        let Some(route) = routes.into_iter().find(|route| {
            route.method.eq_ignore_ascii_case(&request.method) && route.match_path(&request.path, &values).is_some()
        }) else {
            return Answer::new(404, json!({"message": format!("Got an invalid (or empty) URL: {}", request.path)}));
        };
        if let Err(refused) = self.authenticate(request) {
            return refused;
        }
        let captured = match check(route, request, &values, None) {
            Ok(captured) => captured,
            Err(Refusal::MissingField(field)) => {
                return error(400, "", &format!("Missing parameter(s): {field}"));
            }
            Err(Refusal::ContentType(_)) => return error(400, "", "Invalid content type"),
            Err(_) => return error(400, "INVALID_SIGNATURE", "Invalid signature"),
        };
        if std::ptr::eq(route, &self.routes.service) {
            return Answer::new(
                200,
                json!({"name": account.service_name, "status": "enable", "creditsLeft": 10.0, "description": "", "channel": "both"}),
            );
        }
        let mut inbox = self.state.lock();
        if std::ptr::eq(route, &self.routes.list) {
            return Answer::new(200, json!(inbox.messages.keys().collect::<Vec<_>>()));
        }
        if std::ptr::eq(route, &self.routes.send) {
            drop(inbox);
            return self.create_job(request, journal);
        }
        let id = Self::incoming_id(&captured).unwrap_or(0);
        let not_found =
            || Answer::new(404, json!({"message": format!("The requested object (id = {id}) does not exist")}));
        if std::ptr::eq(route, &self.routes.get) {
            return match inbox.messages.get(&id) {
                Some((sender, message)) => Answer::new(
                    200,
                    json!({"id": id, "sender": sender, "message": message,
                        "creationDatetime": "2024-05-01T12:00:00+02:00", "credits": 0, "tag": ""}),
                ),
                None => not_found(),
            };
        }
        match inbox.messages.remove(&id) {
            Some(_) => {
                inbox.deleted.push(id);
                Answer::new(200, serde_json::Value::Null)
            }
            None => not_found(),
        }
    }

    fn error_answer(&self, status: u16) -> Answer {
        error(status, "", "injected")
    }
}

impl OvhApi {
    fn create_job(&self, request: &SeenRequest, journal: &Journal) -> Answer {
        let receivers: Vec<String> = match request.fields.get("receivers") {
            Some(serde_json::Value::Array(items)) => {
                items.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect()
            }
            _ => Vec::new(),
        };
        let (valid, invalid): (Vec<_>, Vec<_>) = receivers.into_iter().partition(|r| is_receiver(r));
        let text = request.field("message").unwrap_or_default();
        let mut ids = Vec::new();
        for receiver in &valid {
            let id = journal.next_id();
            ids.push(id);
            journal.accept(AcceptedSms {
                provider_message_id: id.to_string(),
                from: self.account.number.clone(),
                to: receiver.clone(),
                text: text.clone(),
                status_callback: None,
            });
        }
        Answer::new(
            200,
            json!({"ids": ids, "invalidReceivers": invalid, "totalCreditsRemoved": valid.len(), "validReceivers": valid, "tag": ""}),
        )
    }
}

/// `+33…` or `0033…` with 6 to 15 digits, as OVHcloud takes receivers.
fn is_receiver(receiver: &str) -> bool {
    let digits = receiver.strip_prefix('+').or_else(|| receiver.strip_prefix("00")).unwrap_or("");
    (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    let mut body = json!({"message": message});
    if !code.is_empty() {
        body["errorCode"] = json!(code);
        body["httpCode"] = json!(format!("{status}"));
    }
    Answer::new(status, body)
}

fn unix_now() -> i64 {
    // A clock before 1970 is broken; 0 then makes every timestamp "out of time", as OVHcloud would.
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}
