//! The OVHcloud API client for SMS virtual numbers: signed requests
//! ([`super::signature`]) on the server's clock (`GET /auth/time`, kept as
//! an offset to ours and refreshed), and the five calls antirelou makes:
//!
//! - `GET /sms/{serviceName}/virtualNumbers/{number}/incoming`: ids of the received SMS;
//! - `GET .../incoming/{id}`: one SMS ([`OvhIncoming`]);
//! - `DELETE .../incoming/{id}`: forget it once its decision is committed;
//! - `POST .../jobs`: send a reply from the virtual number ([`super::send`]);
//! - `GET /sms/{serviceName}`: the SMS service, read by the connection test.
//!
//! Every call is one request bounded by the policy's timeouts; reads are
//! not retried here (the poller backs off), the job follows the send retry
//! rule. Paths and bodies are those of the official `ovh` SDK
//! (`tests/data/recorded/ovh.json`) and OVHcloud's API schema.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::{Deserialize, Serialize};

use super::incoming::{path_number, OvhIncoming};
use super::signature::{
    signature, SignedRequest, APPLICATION_HEADER, CONSUMER_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use super::ENDPOINTS;
use crate::send::{SendError, SendReceipt};
use crate::send_policy::{
    api_url, error_chain, read_bounded, send_with_retries, status_verdict, truncate, ClientBuildError, SendPolicy,
    Verdict, MAX_ANSWER_BYTES,
};

/// The application's keys. `Debug` shows only the application key.
#[derive(Clone, PartialEq, Eq)]
pub struct OvhCredentials {
    pub application_key: String,
    pub application_secret: String,
    pub consumer_key: String,
}

impl fmt::Debug for OvhCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OvhCredentials")
            .field("application_key", &self.application_key)
            .field("application_secret", &"<secret>")
            .field("consumer_key", &"<secret>")
            .finish()
    }
}

/// What an [`OvhApi`] needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OvhApiConfig {
    /// The API root including its version, e.g. `https://eu.api.ovh.com/1.0`
    /// (see [`OvhApiConfig::endpoint_base`]); a test points it at a stand-in.
    pub api_base: String,
    pub credentials: OvhCredentials,
    pub policy: SendPolicy,
    /// How long the server-time offset is trusted before `/auth/time` is asked again.
    pub time_refresh_secs: u64,
}

impl OvhApiConfig {
    /// The clock offset drifts by well under a second an hour on a synced host.
    pub const DEFAULT_TIME_REFRESH_SECS: u64 = 3_600;

    /// The API root of an `endpoint` name (`ovh-eu`, `ovh-ca`, `ovh-us`), as the SDKs name them.
    pub fn endpoint_base(endpoint: &str) -> Option<&'static str> {
        ENDPOINTS.iter().find(|(name, _)| *name == endpoint).map(|(_, base)| *base)
    }
}

/// A virtual number of an SMS service, as the API addresses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualNumber {
    service_name: String,
    e164: String,
    path_number: String,
}

impl VirtualNumber {
    /// `service_name` is the SMS account (`sms-ab12345-1`); `e164` our number (`+33939000004`).
    pub fn new(service_name: &str, e164: &str) -> Result<VirtualNumber, ClientBuildError> {
        if service_name.is_empty() {
            return Err(ClientBuildError::InvalidValue("OVHcloud service_name is empty".to_owned()));
        }
        Ok(VirtualNumber {
            service_name: service_name.to_owned(),
            e164: e164.to_owned(),
            path_number: path_number(e164)?,
        })
    }

    pub fn service_name(&self) -> &str {
        &self.service_name
    }

    /// Our number, E.164 with `+`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// Our number as written in API paths (`0033…`).
    pub fn path_number(&self) -> &str {
        &self.path_number
    }
}

/// The body of `POST .../jobs` (fields of OVHcloud's schema for virtual
/// number jobs; the sender is the virtual number itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OvhJob<'a> {
    pub message: &'a str,
    /// E.164 with `+`, as OVHcloud's own examples write receivers.
    pub receivers: [&'a str; 1],
    /// The only charset OVHcloud offers; the coding (GSM-7 or UCS-2) is deduced from the text.
    pub charset: &'static str,
    pub priority: &'static str,
}

impl<'a> OvhJob<'a> {
    pub fn reply(to: &'a str, message: &'a str) -> OvhJob<'a> {
        OvhJob { message, receivers: [to], charset: "UTF-8", priority: "high" }
    }
}

/// Why an OVHcloud API call failed.
#[derive(Debug, thiserror::Error)]
pub enum OvhApiError {
    #[error("cannot connect to the OVHcloud API")]
    Connect(#[source] reqwest::Error),
    #[error("the OVHcloud API did not answer within {timeout_ms} ms")]
    Timeout { timeout_ms: u64 },
    #[error("request to the OVHcloud API failed: {0}")]
    Transport(String),
    /// 404: e.g. an incoming already deleted by another poller.
    #[error("not found on the OVHcloud API")]
    NotFound,
    /// Any other 4xx; `error_code` is OVHcloud's (`INVALID_SIGNATURE`, `NOT_GRANTED_CALL`, ...) when given.
    #[error("the OVHcloud API refused the request (HTTP {status} {error_code}): {message}")]
    Refused { status: u16, error_code: String, message: String },
    #[error("the OVHcloud API failed (HTTP {status})")]
    Server { status: u16 },
    #[error("unexpected answer from the OVHcloud API: {0}")]
    Malformed(String),
}

impl OvhApiError {
    /// The credentials or their rights are wrong: retrying will not help, an operator must act.
    pub fn is_credentials(&self) -> bool {
        matches!(self, OvhApiError::Refused { status: 401 | 403, .. })
            || matches!(self, OvhApiError::Refused { error_code, .. } if error_code.starts_with("INVALID_"))
    }
}

/// A client of the OVHcloud API for one application (all its virtual numbers).
pub struct OvhApi {
    http: reqwest::Client,
    config: OvhApiConfig,
    clock: Mutex<Option<ClockOffset>>,
}

impl OvhApi {
    pub fn new(config: OvhApiConfig) -> Result<OvhApi, ClientBuildError> {
        api_url(&config.api_base, &["auth", "time"])?;
        Ok(OvhApi { http: config.policy.http_client()?, config, clock: Mutex::new(None) })
    }

    pub fn config(&self) -> &OvhApiConfig {
        &self.config
    }

    /// `GET /auth/time` (unsigned): the server's Unix time in seconds.
    pub async fn server_time(&self) -> Result<i64, OvhApiError> {
        let url = self.url(&["auth", "time"])?;
        let request = self.http.get(url).header(APPLICATION_HEADER, &self.config.credentials.application_key);
        let body = self.exchange(request).await?;
        serde_json::from_slice::<i64>(&body)
            .map_err(|_| OvhApiError::Malformed("/auth/time is not an integer".to_owned()))
    }

    /// `GET .../incoming`: ids of the SMS waiting on `number`.
    pub async fn list_incoming(&self, number: &VirtualNumber) -> Result<Vec<u64>, OvhApiError> {
        let url = self.number_url(number, &["incoming"])?;
        let body = self.signed(Method::GET, url, Vec::new()).await?;
        serde_json::from_slice(&body)
            .map_err(|_| OvhApiError::Malformed("incoming list is not a list of ids".to_owned()))
    }

    /// `GET .../incoming/{id}`.
    pub async fn get_incoming(&self, number: &VirtualNumber, id: u64) -> Result<OvhIncoming, OvhApiError> {
        let url = self.number_url(number, &["incoming", &id.to_string()])?;
        let body = self.signed(Method::GET, url, Vec::new()).await?;
        serde_json::from_slice(&body).map_err(|_| OvhApiError::Malformed("incoming is not an sms.Incoming".to_owned()))
    }

    /// `DELETE .../incoming/{id}`. A 404 is [`OvhApiError::NotFound`]: gone already.
    pub async fn delete_incoming(&self, number: &VirtualNumber, id: u64) -> Result<(), OvhApiError> {
        let url = self.number_url(number, &["incoming", &id.to_string()])?;
        self.signed(Method::DELETE, url, Vec::new()).await.map(drop)
    }

    /// `GET /sms/{serviceName}`: the SMS service (the connection test's read).
    pub async fn sms_service(&self, service_name: &str) -> Result<(), OvhApiError> {
        let url = self.url(&["sms", service_name])?;
        self.signed(Method::GET, url, Vec::new()).await.map(drop)
    }

    /// `POST .../jobs` under the send retry rule: the message's receipt is
    /// the first job id of OVHcloud's sending report.
    pub async fn create_job(&self, number: &VirtualNumber, job: &OvhJob<'_>) -> Result<SendReceipt, SendError> {
        let url = self.number_url(number, &["jobs"]).map_err(|error| SendError::Refused(error.to_string()))?;
        let body =
            serde_json::to_vec(job).map_err(|error| SendError::Refused(format!("cannot encode the job: {error}")))?;
        // Nothing is sent before the clock is known: a failure here is a certain "not sent".
        let offset = self
            .clock_offset()
            .await
            .map_err(|error| SendError::Refused(format!("OVHcloud server time unavailable: {error}")))?;
        send_with_retries(
            &self.config.policy,
            || Ok(self.signed_request(Method::POST, &url, body.clone(), unix_now() + offset)),
            classify_job,
        )
        .await
    }

    fn url(&self, segments: &[&str]) -> Result<url::Url, OvhApiError> {
        api_url(&self.config.api_base, segments).map_err(|error| OvhApiError::Malformed(error.to_string()))
    }

    fn number_url(&self, number: &VirtualNumber, tail: &[&str]) -> Result<url::Url, OvhApiError> {
        let mut segments = vec!["sms", number.service_name(), "virtualNumbers", number.path_number()];
        segments.extend_from_slice(tail);
        self.url(&segments)
    }

    async fn signed(&self, method: Method, url: url::Url, body: Vec<u8>) -> Result<Vec<u8>, OvhApiError> {
        let timestamp = unix_now() + self.clock_offset().await?;
        self.exchange(self.signed_request(method, &url, body, timestamp)).await
    }

    fn signed_request(&self, method: Method, url: &url::Url, body: Vec<u8>, timestamp: i64) -> RequestBuilder {
        let credentials = &self.config.credentials;
        let signed = signature(
            &credentials.application_secret,
            &credentials.consumer_key,
            SignedRequest { method: method.as_str(), url: url.as_str(), body: &body, timestamp },
        );
        let mut request = self
            .http
            .request(method, url.clone())
            .header(APPLICATION_HEADER, &credentials.application_key)
            .header(CONSUMER_HEADER, &credentials.consumer_key)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signed);
        if !body.is_empty() {
            request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        }
        request
    }

    /// Server time minus our time, in seconds; asked again when older than `time_refresh_secs`.
    async fn clock_offset(&self) -> Result<i64, OvhApiError> {
        let refresh = Duration::from_secs(self.config.time_refresh_secs);
        if let Some(known) = *self.lock_clock() {
            if known.fetched_at.elapsed() < refresh {
                return Ok(known.offset_secs);
            }
        }
        let before = unix_now();
        let server = self.server_time().await?;
        let offset_secs = server - before;
        *self.lock_clock() = Some(ClockOffset { offset_secs, fetched_at: Instant::now() });
        Ok(offset_secs)
    }

    fn lock_clock(&self) -> std::sync::MutexGuard<'_, Option<ClockOffset>> {
        // The guarded value is a plain Copy pair: a panic elsewhere cannot leave it half-written.
        self.clock.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn exchange(&self, request: RequestBuilder) -> Result<Vec<u8>, OvhApiError> {
        let response = request.send().await.map_err(|error| self.transport_error(error))?;
        let status = response.status();
        let body = read_bounded(response, MAX_ANSWER_BYTES).await.map_err(OvhApiError::Malformed)?;
        if status.is_success() {
            return Ok(body);
        }
        if status == StatusCode::NOT_FOUND {
            return Err(OvhApiError::NotFound);
        }
        if status.is_server_error() {
            return Err(OvhApiError::Server { status: status.as_u16() });
        }
        let error = serde_json::from_slice::<ApiErrorDocument>(&body).unwrap_or_default();
        Err(OvhApiError::Refused {
            status: status.as_u16(),
            error_code: error.error_code.unwrap_or_default(),
            message: truncate(&error.message.unwrap_or_default()),
        })
    }

    fn transport_error(&self, error: reqwest::Error) -> OvhApiError {
        if error.is_connect() {
            OvhApiError::Connect(error)
        } else if error.is_timeout() {
            OvhApiError::Timeout { timeout_ms: self.config.policy.request_timeout_ms }
        } else {
            OvhApiError::Transport(error_chain(&error))
        }
    }
}

impl fmt::Debug for OvhApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OvhApi").field("config", &self.config).finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug)]
struct ClockOffset {
    offset_secs: i64,
    fetched_at: Instant,
}

/// `{"errorCode": "...", "message": "..."}` (errorCode is absent on some errors).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiErrorDocument {
    error_code: Option<String>,
    message: Option<String>,
}

/// `sms.SmsSendingReport`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendingReport {
    #[serde(default)]
    ids: Vec<u64>,
    #[serde(default)]
    invalid_receivers: Vec<String>,
}

fn classify_job(status: StatusCode, body: &[u8]) -> Verdict {
    if status.is_success() {
        return match serde_json::from_slice::<SendingReport>(body) {
            Ok(report) => match report.ids.first() {
                Some(id) => Verdict::Accepted(SendReceipt { provider_message_id: id.to_string() }),
                None if !report.invalid_receivers.is_empty() => {
                    Verdict::Refused("OVHcloud refused the receiver as invalid".to_owned())
                }
                None => Verdict::Ambiguous("sending report without a job id".to_owned()),
            },
            Err(_) => Verdict::Ambiguous(format!("HTTP {} with an unreadable sending report", status.as_u16())),
        };
    }
    let error = serde_json::from_slice::<ApiErrorDocument>(body).unwrap_or_default();
    let code = error.error_code.unwrap_or_default();
    let detail = format!("{code} {}", truncate(&error.message.unwrap_or_default()));
    if status.is_client_error() && code.starts_with("INVALID_") {
        // A wrong key, secret or signature: our credentials, as for the polls.
        return Verdict::CredentialsRefused(format!("HTTP {}: {}", status.as_u16(), detail.trim()));
    }
    status_verdict(status, detail.trim())
}

fn unix_now() -> i64 {
    // Before 1970 only on a broken clock; 0 then makes every signature stale, which OVHcloud reports.
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_resolve_like_the_sdks() {
        assert_eq!(OvhApiConfig::endpoint_base("ovh-eu"), Some("https://eu.api.ovh.com/1.0"));
        assert_eq!(OvhApiConfig::endpoint_base("kimsufi-eu"), None);
    }

    #[test]
    fn a_job_is_the_schema_body() {
        let job = OvhJob::reply("+33612345678", "Non.");
        assert_eq!(
            serde_json::to_string(&job).unwrap(),
            r#"{"message":"Non.","receivers":["+33612345678"],"charset":"UTF-8","priority":"high"}"#
        );
    }

    #[test]
    fn sending_reports_follow_the_retry_rule() {
        let accepted =
            br#"{"ids":[123],"invalidReceivers":[],"totalCreditsRemoved":1,"validReceivers":["+33612345678"]}"#;
        assert!(
            matches!(classify_job(StatusCode::OK, accepted), Verdict::Accepted(r) if r.provider_message_id == "123")
        );
        let invalid = br#"{"ids":[],"invalidReceivers":["+3361"],"totalCreditsRemoved":0,"validReceivers":[]}"#;
        assert!(matches!(classify_job(StatusCode::OK, invalid), Verdict::Refused(_)));
        assert!(matches!(classify_job(StatusCode::OK, b"{}"), Verdict::Ambiguous(_)));
        let denied = br#"{"errorCode":"NOT_GRANTED_CALL","message":"This call has not been granted"}"#;
        assert!(matches!(
            classify_job(StatusCode::FORBIDDEN, denied),
            Verdict::CredentialsRefused(r) if r.contains("NOT_GRANTED_CALL")
        ));
        let signature = br#"{"errorCode":"INVALID_SIGNATURE","message":"Invalid signature"}"#;
        assert!(matches!(classify_job(StatusCode::BAD_REQUEST, signature), Verdict::CredentialsRefused(_)));
        assert!(matches!(classify_job(StatusCode::TOO_MANY_REQUESTS, b""), Verdict::NotAccepted(_)));
        assert!(matches!(classify_job(StatusCode::BAD_GATEWAY, b""), Verdict::Ambiguous(_)));
    }

    #[test]
    fn credential_errors_are_told_apart() {
        let refused =
            |status, code: &str| OvhApiError::Refused { status, error_code: code.to_owned(), message: String::new() };
        assert!(refused(403, "NOT_GRANTED_CALL").is_credentials());
        assert!(refused(400, "INVALID_SIGNATURE").is_credentials());
        assert!(!refused(400, "").is_credentials());
        assert!(!OvhApiError::NotFound.is_credentials());
    }

    #[test]
    fn virtual_numbers_need_a_service_and_an_e164_number() {
        let number = VirtualNumber::new("sms-ab12345-1", "+33939000004").unwrap();
        assert_eq!(number.path_number(), "0033939000004");
        assert!(VirtualNumber::new("", "+33939000004").is_err());
        assert!(VirtualNumber::new("sms-ab12345-1", "33939000004").is_err());
    }
}
