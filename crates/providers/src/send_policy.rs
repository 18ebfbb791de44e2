//! How every send client talks HTTP: timeouts, the bounded answer, and the
//! retry rule of [`crate::send`] (retry only what the provider certainly did
//! not accept; anything else is answered once, never repeated).
//!
//! Each provider's `send.rs` builds its request and says what an answer
//! means ([`Verdict`]); [`send_with_retries`] owns the loop, so the rule is
//! written once.

use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::{RequestBuilder, Response, StatusCode};

use crate::send::{SendError, SendReceipt};

/// Timeouts and retries of one send client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendPolicy {
    /// Time to open the TCP + TLS connection. A request that was never
    /// written is safe to retry.
    pub connect_timeout_ms: u64,
    /// Time for the whole exchange (connect, write, answer). Past it the
    /// send is ambiguous: the provider may have accepted it.
    pub request_timeout_ms: u64,
    /// Attempts in total, the first included, for answers that certainly were
    /// not accepted (connection failed, 429, a documented "not processed").
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub backoff_ms: u64,
    /// Longest wait between attempts, also the cap on a provider's `Retry-After`.
    pub max_backoff_ms: u64,
}

impl Default for SendPolicy {
    fn default() -> SendPolicy {
        SendPolicy {
            // A provider API answers a TCP/TLS handshake in well under a second.
            connect_timeout_ms: 2_000,
            // Provider send APIs answer in about a second; ten leaves room without holding a reply for long.
            request_timeout_ms: 10_000,
            // Three tries absorb a short throttle without hammering the provider.
            max_attempts: 3,
            backoff_ms: 250,
            max_backoff_ms: 2_000,
        }
    }
}

impl SendPolicy {
    /// The HTTP client every provider client of this policy uses (rustls,
    /// both timeouts, no redirects: an API that redirects a POST is not
    /// one we trust with money).
    pub fn http_client(&self) -> Result<reqwest::Client, ClientBuildError> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(self.connect_timeout_ms))
            .timeout(Duration::from_millis(self.request_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ClientBuildError::Http)
    }

    /// The longest a connection test waits for its answer: one connection
    /// and one request of this policy (OVHcloud's clock read comes first
    /// and is usually known already).
    pub fn account_check_bound(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms.saturating_add(self.request_timeout_ms))
    }

    fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self.backoff_ms.saturating_mul(1u64 << retry.min(16));
        let wanted = retry_after.map_or(exponential, |after| after.as_millis().min(u128::from(u64::MAX)) as u64);
        Duration::from_millis(wanted.min(self.max_backoff_ms))
    }
}

/// Why a client cannot be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    /// `api_base` is not an absolute http(s) URL that can take a path.
    #[error("api_base {api_base:?} is not an absolute http(s) URL")]
    InvalidApiBase { api_base: String },
    /// A number or account id cannot be written the way the provider wants it.
    #[error("{0}")]
    InvalidValue(String),
    /// The HTTP client could not be created (TLS setup).
    #[error("cannot create the HTTP client")]
    Http(#[source] reqwest::Error),
}

/// `api_base` followed by `segments`, each percent-encoded as one path
/// segment (an empty last segment gives a trailing `/`). `api_base` may
/// carry a path of its own (OVHcloud's `/1.0`).
pub fn api_url(api_base: &str, segments: &[&str]) -> Result<url::Url, ClientBuildError> {
    let invalid = || ClientBuildError::InvalidApiBase { api_base: api_base.to_owned() };
    let mut url = url::Url::parse(api_base).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
        return Err(invalid());
    }
    url.path_segments_mut().map_err(|_| invalid())?.pop_if_empty().extend(segments);
    Ok(url)
}

/// Answers of more than this many bytes are not read (a send API answers a
/// few hundred bytes; anything larger is not the API we expect).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What one answer means, decided by the provider's client.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Accepted: the message will be sent.
    Accepted(SendReceipt),
    /// Certainly not accepted and worth another try (429, throttled).
    NotAccepted(String),
    /// Certainly not accepted, and another try would be refused the same way.
    Refused(String),
    /// Certainly not accepted: our credentials are refused (401/403).
    CredentialsRefused(String),
    /// Maybe accepted: never retried.
    Ambiguous(String),
}

/// Sends the request built by `build` under `policy`'s retry rule;
/// `classify` reads each complete answer. At most one attempt can have been
/// accepted: an attempt is only repeated after a certain "not accepted".
pub(crate) async fn send_with_retries<B, C>(
    policy: &SendPolicy,
    mut build: B,
    classify: C,
) -> Result<SendReceipt, SendError>
where
    B: FnMut() -> Result<RequestBuilder, SendError>,
    C: Fn(StatusCode, &[u8]) -> Verdict,
{
    let attempts = policy.max_attempts.max(1);
    let mut last_reason = String::new();
    for attempt in 1..=attempts {
        let mut retry_after = None;
        let verdict = match build()?.send().await {
            Err(error) if error.is_connect() => {
                Verdict::NotAccepted(format!("connection failed: {}", error_chain(&error)))
            }
            Err(error) if error.is_timeout() => {
                Verdict::Ambiguous(format!("no answer within {} ms", policy.request_timeout_ms))
            }
            Err(error) => Verdict::Ambiguous(format!("request failed after it was sent: {}", error_chain(&error))),
            Ok(response) => {
                let status = response.status();
                retry_after = retry_after_of(&response);
                match read_bounded(response, MAX_ANSWER_BYTES).await {
                    Ok(body) => classify(status, &body),
                    Err(reason) => unreadable_answer(status, &reason),
                }
            }
        };
        match verdict {
            Verdict::Accepted(receipt) => return Ok(receipt),
            Verdict::Refused(reason) => return Err(SendError::Refused(reason)),
            Verdict::CredentialsRefused(reason) => return Err(SendError::CredentialsRefused(reason)),
            Verdict::Ambiguous(reason) => return Err(SendError::Ambiguous(reason)),
            Verdict::NotAccepted(reason) => {
                last_reason = reason;
                if attempt < attempts {
                    tokio::time::sleep(policy.backoff(attempt - 1, retry_after)).await;
                }
            }
        }
    }
    Err(SendError::Refused(format!("not accepted after {attempts} attempt(s): {last_reason}")))
}

/// The generic reading of an HTTP status, for answers whose body says nothing more:
/// 2xx needs the provider's body (the caller reads it), 429 is "not accepted,
/// try again", 5xx is ambiguous, 401/403 refuse our credentials, any other
/// 4xx is a definite refusal.
pub(crate) fn status_verdict(status: StatusCode, detail: &str) -> Verdict {
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        Verdict::CredentialsRefused(format!("HTTP {}{}", status.as_u16(), detail_suffix(detail)))
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        Verdict::NotAccepted(format!("HTTP 429 (throttled){}", detail_suffix(detail)))
    } else if status.is_server_error() {
        Verdict::Ambiguous(format!("HTTP {}{}", status.as_u16(), detail_suffix(detail)))
    } else if status.is_client_error() {
        Verdict::Refused(format!("HTTP {}{}", status.as_u16(), detail_suffix(detail)))
    } else {
        // 1xx/3xx (redirects are not followed) or a 2xx the caller could not read.
        Verdict::Ambiguous(format!("unexpected HTTP {}{}", status.as_u16(), detail_suffix(detail)))
    }
}

/// Reads at most `limit` bytes of an answer, within the request timeout.
pub async fn read_bounded(mut response: Response, limit: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(format!("answer larger than {limit} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(error) if error.is_timeout() => return Err("answer not read before the timeout".to_owned()),
            Err(error) => return Err(format!("answer could not be read: {}", error_chain(&error))),
        }
    }
}

/// A short, single-line description of a reqwest error and its causes
/// (never a URL query or a body: reqwest errors carry neither).
pub fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Provider error texts are kept short in our errors (they may echo input).
pub(crate) fn truncate(text: &str) -> String {
    // One line of an operator's log.
    const MAX_CHARS: usize = 160;
    text.chars().take(MAX_CHARS).collect()
}

fn unreadable_answer(status: StatusCode, reason: &str) -> Verdict {
    if status.is_success() {
        Verdict::Ambiguous(format!("HTTP {} but {reason}", status.as_u16()))
    } else {
        status_verdict(status, reason)
    }
}

fn retry_after_of(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_urls_keep_the_base_path_and_encode_each_segment() {
        let url = api_url("https://eu.api.ovh.com/1.0", &["sms", "sms-ab1/2", "jobs"]).unwrap();
        assert_eq!(url.as_str(), "https://eu.api.ovh.com/1.0/sms/sms-ab1%2F2/jobs");
        let url = api_url("http://127.0.0.1:8080/", &["v1", "Account", "MA1", "Message", ""]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/v1/Account/MA1/Message/");
        assert!(api_url("ftp://example.org", &["x"]).is_err());
        assert!(api_url("not a url", &["x"]).is_err());
    }

    #[test]
    fn backoff_doubles_and_stops_at_the_cap() {
        let policy = SendPolicy { backoff_ms: 100, max_backoff_ms: 350, ..SendPolicy::default() };
        assert_eq!(policy.backoff(0, None), Duration::from_millis(100));
        assert_eq!(policy.backoff(1, None), Duration::from_millis(200));
        assert_eq!(policy.backoff(2, None), Duration::from_millis(350));
        assert_eq!(policy.backoff(40, None), Duration::from_millis(350));
    }

    #[test]
    fn a_provider_retry_after_is_followed_up_to_the_cap() {
        let policy = SendPolicy { backoff_ms: 100, max_backoff_ms: 2_000, ..SendPolicy::default() };
        assert_eq!(policy.backoff(0, Some(Duration::from_secs(1))), Duration::from_millis(1_000));
        assert_eq!(policy.backoff(0, Some(Duration::from_secs(3600))), Duration::from_millis(2_000));
    }

    #[test]
    fn statuses_map_to_the_retry_rule() {
        assert!(matches!(status_verdict(StatusCode::TOO_MANY_REQUESTS, ""), Verdict::NotAccepted(_)));
        assert!(matches!(status_verdict(StatusCode::INTERNAL_SERVER_ERROR, ""), Verdict::Ambiguous(_)));
        assert!(matches!(status_verdict(StatusCode::BAD_GATEWAY, ""), Verdict::Ambiguous(_)));
        assert!(matches!(status_verdict(StatusCode::UNAUTHORIZED, ""), Verdict::CredentialsRefused(_)));
        assert!(matches!(status_verdict(StatusCode::FORBIDDEN, ""), Verdict::CredentialsRefused(_)));
        assert!(matches!(status_verdict(StatusCode::BAD_REQUEST, ""), Verdict::Refused(_)));
        assert!(matches!(status_verdict(StatusCode::FOUND, ""), Verdict::Ambiguous(_)));
    }

    #[test]
    fn the_default_policy_matches_the_documented_numbers() {
        let policy = SendPolicy::default();
        assert_eq!((policy.connect_timeout_ms, policy.request_timeout_ms, policy.max_attempts), (2_000, 10_000, 3));
    }
}
