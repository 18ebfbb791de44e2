//! The HTTP side shared by every emulator: an actix-web server on
//! `127.0.0.1:0` in its own thread (so any test runtime, or none, can use
//! it), the journal of requests seen and messages accepted, and injected
//! faults. Nothing here logs: a request carries a recipient's number.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::recorded::media_type;

/// Request bodies above this size are refused (413) before any check.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Requests and accepted messages the journal keeps (the oldest are
/// dropped beyond it): a stand-in serving a long demo stays bounded.
pub const JOURNAL_KEPT: usize = 10_000;

/// What the next request gets instead of the normal answer. Faults queue up:
/// each request takes the oldest one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer this HTTP status with the provider's error document; nothing is accepted.
    Status(u16),
    /// Vonage: answer `200` with this part status (`"1"` throttled, `"5"`
    /// internal error, ...); nothing is accepted. Other providers answer 500.
    PartStatus(String),
    /// Wait this long, then answer normally (the message *is* accepted, as a
    /// provider that answers late still sends).
    DelayMs(u64),
}

/// One message an emulator accepted (what the provider would send).
/// `Debug` hides the recipient and the text.
#[derive(Clone, PartialEq, Eq)]
pub struct AcceptedSms {
    /// The id the emulator answered (Twilio sid, Vonage message-id, Plivo uuid, OVHcloud job id).
    pub provider_message_id: String,
    /// As the client wrote it (Vonage/Plivo: without `+`).
    pub from: String,
    pub to: String,
    pub text: String,
    /// Twilio `StatusCallback`, Plivo `url`.
    pub status_callback: Option<String>,
}

impl fmt::Debug for AcceptedSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcceptedSms")
            .field("provider_message_id", &self.provider_message_id)
            .field("from", &self.from)
            .field("to", &"<hidden>")
            .field("text", &format_args!("<{} chars>", self.text.chars().count()))
            .field("status_callback", &self.status_callback)
            .finish()
    }
}

/// Authorization as received.
#[derive(Clone, PartialEq, Eq)]
pub enum SeenAuth {
    None,
    Basic {
        username: String,
        password: String,
    },
    /// Another scheme, or a Basic value that does not decode.
    Other(String),
}

impl SeenAuth {
    pub fn scheme(&self) -> Option<&str> {
        match self {
            SeenAuth::None => None,
            SeenAuth::Basic { .. } => Some("Basic"),
            SeenAuth::Other(scheme) => Some(scheme),
        }
    }
}

impl fmt::Debug for SeenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeenAuth::None => f.write_str("None"),
            SeenAuth::Basic { username, .. } => write!(f, "Basic({username}:<secret>)"),
            SeenAuth::Other(scheme) => write!(f, "Other({scheme})"),
        }
    }
}

/// One request as an emulator received it, before any check.
/// `Debug` shows the method, path and field names only.
#[derive(Clone, PartialEq)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    /// Path and query exactly as sent (what OVHcloud signs after the host).
    pub target: String,
    pub content_type: Option<String>,
    pub auth: SeenAuth,
    /// Every header, lower-cased names (values of repeated headers: the last).
    pub headers: BTreeMap<String, String>,
    /// The form fields (as strings) or the JSON object's members.
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub raw_body: Vec<u8>,
}

impl SeenRequest {
    pub fn media_type(&self) -> Option<String> {
        self.content_type.as_deref().map(media_type)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// A field as text (JSON strings unquoted, other JSON values written out).
    pub fn field(&self, name: &str) -> Option<String> {
        match self.fields.get(name)? {
            serde_json::Value::String(text) => Some(text.clone()),
            other => Some(other.to_string()),
        }
    }

    fn read(request: &HttpRequest, body: &[u8]) -> SeenRequest {
        let headers: BTreeMap<String, String> = request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str().to_ascii_lowercase(), value.to_str().ok()?.to_owned())))
            .collect();
        let content_type = headers.get("content-type").cloned();
        let fields = match content_type.as_deref().map(media_type).as_deref() {
            Some("application/x-www-form-urlencoded") => form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
                .collect(),
            Some("application/json") => match serde_json::from_slice(body) {
                Ok(serde_json::Value::Object(members)) => members,
                _ => serde_json::Map::new(),
            },
            _ => serde_json::Map::new(),
        };
        SeenRequest {
            method: request.method().as_str().to_owned(),
            path: request.path().to_owned(),
            target: request
                .uri()
                .path_and_query()
                .map_or_else(|| request.path().to_owned(), |pq| pq.as_str().to_owned()),
            auth: read_auth(headers.get("authorization").map(String::as_str)),
            content_type,
            headers,
            fields,
            raw_body: body.to_vec(),
        }
    }
}

impl fmt::Debug for SeenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeenRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("content_type", &self.content_type)
            .field("auth", &self.auth)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What an emulated API answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Answer {
    pub fn new(status: u16, body: serde_json::Value) -> Answer {
        Answer { status, body }
    }
}

/// One provider's API behind the shared server.
pub(crate) trait EmulatedApi: Send + Sync + 'static {
    /// The normal answer (checks, then acceptance through `journal`).
    fn answer(&self, request: &SeenRequest, journal: &Journal) -> Answer;
    /// The provider's error document for an injected HTTP status.
    fn error_answer(&self, status: u16) -> Answer;
    /// A `200` carrying a per-message status, where the provider has one.
    fn part_status_answer(&self, _status: &str) -> Option<Answer> {
        None
    }
}

/// Requests seen, messages accepted, faults waiting.
#[derive(Default)]
pub(crate) struct Journal {
    inner: Mutex<JournalInner>,
}

#[derive(Default)]
struct JournalInner {
    seen: VecDeque<SeenRequest>,
    /// Every request ever seen, kept or dropped.
    seen_count: usize,
    accepted: VecDeque<AcceptedSms>,
    faults: VecDeque<Fault>,
    next_id: u64,
}

impl Journal {
    /// Records `seen` and takes the fault it gets, if any.
    fn arrive(&self, seen: SeenRequest) -> Option<Fault> {
        let mut inner = self.lock();
        if inner.seen.len() == JOURNAL_KEPT {
            inner.seen.pop_front();
        }
        inner.seen.push_back(seen);
        inner.seen_count += 1;
        inner.faults.pop_front()
    }

    /// A fresh number for ids (1, 2, ...).
    pub(crate) fn next_id(&self) -> u64 {
        let mut inner = self.lock();
        inner.next_id += 1;
        inner.next_id
    }

    pub(crate) fn accept(&self, sms: AcceptedSms) {
        let mut inner = self.lock();
        if inner.accepted.len() == JOURNAL_KEPT {
            inner.accepted.pop_front();
        }
        inner.accepted.push_back(sms);
    }

    fn lock(&self) -> MutexGuard<'_, JournalInner> {
        // Plain vectors: a panic while one was held cannot leave them inconsistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running stand-in of one provider's API. Stops when dropped.
pub struct Emulator {
    root_url: String,
    api_base: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

pub(crate) struct Shared {
    api: Arc<dyn EmulatedApi>,
    journal: Journal,
}

impl Emulator {
    /// Binds `127.0.0.1:0` and serves `make_api(root_url)` until dropped.
    /// `api_path` is the API's own root under the host (`/1.0` for OVHcloud).
    pub(crate) fn start(api_path: &str, make_api: impl FnOnce(&str) -> Arc<dyn EmulatedApi>) -> io::Result<Emulator> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let root_url = format!("http://{}", listener.local_addr()?);
        let api = make_api(&root_url);
        let shared = Arc::new(Shared { api, journal: Journal::default() });
        let served = shared.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("provider-emulator".to_owned()).spawn(move || {
            actix_rt::System::new().block_on(async move {
                let data = web::Data::from(served);
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                        .default_service(web::to(dispatch))
                })
                .workers(1)
                .disable_signals()
                .listen(listener);
                match server {
                    Ok(server) => {
                        let server = server.run();
                        let _ = ready_tx.send(Ok(server.handle()));
                        let _ = server.await;
                    }
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                    }
                }
            });
        })?;
        let handle = ready_rx.recv().map_err(|_| io::Error::other("the emulator thread ended before serving"))??;
        Ok(Emulator { api_base: format!("{root_url}{api_path}"), root_url, shared, handle, thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn root_url(&self) -> &str {
        &self.root_url
    }

    /// What a client's `api_base` must be to reach this emulator.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// Messages accepted, in order (the last [`JOURNAL_KEPT`]).
    pub fn accepted(&self) -> Vec<AcceptedSms> {
        self.shared.journal.lock().accepted.iter().cloned().collect()
    }

    /// Every request received, accepted or not, in order (the last [`JOURNAL_KEPT`]).
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.journal.lock().seen.iter().cloned().collect()
    }

    /// How many requests were received, including those no longer kept.
    pub fn request_count(&self) -> usize {
        self.shared.journal.lock().seen_count
    }

    /// Queues `fault` for the next request that has none.
    pub fn inject(&self, fault: Fault) {
        self.shared.journal.lock().faults.push_back(fault);
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator").field("api_base", &self.api_base).finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // `stop` sends its command at once; the returned future only awaits completion.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn dispatch(request: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let seen = SeenRequest::read(&request, &body);
    let fault = shared.journal.arrive(seen.clone());
    let answer = match fault {
        Some(Fault::Status(status)) => shared.api.error_answer(status),
        Some(Fault::PartStatus(status)) => {
            shared.api.part_status_answer(&status).unwrap_or_else(|| shared.api.error_answer(500))
        }
        Some(Fault::DelayMs(delay_ms)) => {
            actix_rt::time::sleep(Duration::from_millis(delay_ms)).await;
            shared.api.answer(&seen, &shared.journal)
        }
        None => shared.api.answer(&seen, &shared.journal),
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).content_type("application/json").body(answer.body.to_string())
}

fn read_auth(header: Option<&str>) -> SeenAuth {
    let Some(header) = header else { return SeenAuth::None };
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return SeenAuth::Other(scheme.to_owned());
    }
    let decoded = STANDARD.decode(value.trim()).ok().and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|text| text.split_once(':')) {
        Some((username, password)) => SeenAuth::Basic { username: username.to_owned(), password: password.to_owned() },
        None => SeenAuth::Other("Basic".to_owned()),
    }
}

/// Constant-time equality of two secrets.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_decoded_and_other_schemes_named() {
        let header = format!("Basic {}", STANDARD.encode("AC1:tok:en"));
        assert_eq!(
            read_auth(Some(&header)),
            SeenAuth::Basic { username: "AC1".to_owned(), password: "tok:en".to_owned() }
        );
        assert_eq!(read_auth(Some("Bearer x")), SeenAuth::Other("Bearer".to_owned()));
        assert_eq!(read_auth(Some("Basic !!!")), SeenAuth::Other("Basic".to_owned()));
        assert_eq!(read_auth(None), SeenAuth::None);
    }

    #[test]
    fn the_journal_keeps_the_last_requests_and_counts_them_all() {
        let journal = Journal::default();
        let sms = |i: usize| AcceptedSms {
            provider_message_id: format!("SM{i}"),
            from: String::new(),
            to: String::new(),
            text: String::new(),
            status_callback: None,
        };
        for i in 0..JOURNAL_KEPT + 5 {
            journal.accept(sms(i));
        }
        let inner = journal.lock();
        assert_eq!(inner.accepted.len(), JOURNAL_KEPT);
        assert_eq!(inner.accepted.front().map(|s| s.provider_message_id.as_str()), Some("SM5"));
    }

    #[test]
    fn accepted_messages_hide_recipient_and_text_in_debug() {
        let sms = AcceptedSms {
            provider_message_id: "SM1".to_owned(),
            from: "+33939000001".to_owned(),
            to: "+33612345678".to_owned(),
            text: "secret words".to_owned(),
            status_callback: None,
        };
        let shown = format!("{sms:?}");
        assert!(!shown.contains("33612345678") && !shown.contains("secret"), "{shown}");
    }
}
