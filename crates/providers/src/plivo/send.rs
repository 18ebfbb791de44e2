//! Plivo's Message API: `POST {api_base}/v1/Account/{auth_id}/Message/`,
//! HTTP Basic (auth id, auth token), a JSON body with `src`, `dst` (E.164
//! without `+`), `text`, and `url` for delivery status; answered `202` with
//! `message_uuid` (a list, one uuid per message). The body has the same
//! fields, values and JSON types as the official `plivo` SDK's
//! `client.messages.create(...)` (recorded in `tests/data/recorded/plivo.json`),
//! including the defaults the SDK always sends (`type`, `method`, `log`,
//! `trackable`).

use std::fmt;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::account_check::{read_account, AccountCheck};
use crate::send::{without_plus, OutboundSms, SendApi, SendError, SendReceipt};
use crate::send_policy::{api_url, send_with_retries, status_verdict, truncate, ClientBuildError, SendPolicy, Verdict};

/// Plivo's API root.
pub const DEFAULT_API_BASE: &str = "https://api.plivo.com";

/// What a [`PlivoSender`] needs. `Debug` hides the auth token.
#[derive(Clone, PartialEq, Eq)]
pub struct PlivoSendConfig {
    pub api_base: String,
    /// `MA…` (main account) or `SA…` (subaccount).
    pub auth_id: String,
    pub auth_token: String,
    pub policy: SendPolicy,
}

impl fmt::Debug for PlivoSendConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlivoSendConfig")
            .field("api_base", &self.api_base)
            .field("auth_id", &self.auth_id)
            .field("auth_token", &"<secret>")
            .field("policy", &self.policy)
            .finish()
    }
}

/// The JSON body of one message, in the SDK's field order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageRequest<'a> {
    pub dst: &'a str,
    pub text: &'a str,
    pub src: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    /// How Plivo calls `url`.
    pub method: &'static str,
    /// Plivo keeps the text in its logs unless `"false"`; the SDK's default is `"true"`.
    pub log: &'static str,
    pub trackable: bool,
}

/// Sends replies through Plivo's Message API.
pub struct PlivoSender {
    http: reqwest::Client,
    message_url: url::Url,
    account_url: url::Url,
    config: PlivoSendConfig,
}

impl PlivoSender {
    pub fn new(config: PlivoSendConfig) -> Result<PlivoSender, ClientBuildError> {
        if config.auth_id.is_empty() || !config.auth_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ClientBuildError::InvalidValue("Plivo auth_id must be alphanumeric (MA… or SA…)".to_owned()));
        }
        let message_url = api_url(&config.api_base, &["v1", "Account", &config.auth_id, "Message", ""])?;
        let account_url = api_url(&config.api_base, &["v1", "Account", &config.auth_id, ""])?;
        Ok(PlivoSender { http: config.policy.http_client()?, message_url, account_url, config })
    }

    /// The body Plivo receives for `sms`.
    pub fn request(sms: &OutboundSms) -> MessageRequest<'_> {
        MessageRequest {
            dst: without_plus(&sms.to),
            text: &sms.text,
            src: without_plus(&sms.from),
            kind: "sms",
            url: sms.status_callback.as_deref(),
            method: "POST",
            log: "true",
            trackable: false,
        }
    }
}

impl fmt::Debug for PlivoSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlivoSender").field("config", &self.config).finish_non_exhaustive()
    }
}

#[async_trait]
impl SendApi for PlivoSender {
    async fn send(&self, sms: &OutboundSms) -> Result<SendReceipt, SendError> {
        let body = serde_json::to_vec(&PlivoSender::request(sms))
            .map_err(|error| SendError::Refused(format!("cannot encode the message: {error}")))?;
        send_with_retries(
            &self.config.policy,
            || {
                Ok(self
                    .http
                    .post(self.message_url.clone())
                    .basic_auth(&self.config.auth_id, Some(&self.config.auth_token))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone()))
            },
            classify,
        )
        .await
    }

    /// `GET /v1/Account/{auth_id}/`, as the SDK's `client.account.get()` (with its JSON content type).
    async fn check_account(&self) -> AccountCheck {
        let request = self
            .http
            .get(self.account_url.clone())
            .basic_auth(&self.config.auth_id, Some(&self.config.auth_token))
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        read_account(request).await
    }
}

fn classify(status: StatusCode, body: &[u8]) -> Verdict {
    if status.is_success() {
        return match serde_json::from_slice::<Queued>(body) {
            Ok(queued) => match queued.message_uuid.into_iter().next() {
                Some(uuid) if !uuid.is_empty() => Verdict::Accepted(SendReceipt { provider_message_id: uuid }),
                _ => Verdict::Ambiguous(format!("HTTP {} without a message_uuid", status.as_u16())),
            },
            Err(_) => Verdict::Ambiguous(format!("HTTP {} with an unreadable answer", status.as_u16())),
        };
    }
    let detail = serde_json::from_slice::<PlivoError>(body).map(|e| truncate(&e.error)).unwrap_or_default();
    status_verdict(status, &detail)
}

#[derive(Deserialize)]
struct Queued {
    #[serde(default)]
    message_uuid: Vec<String>,
}

#[derive(Deserialize)]
struct PlivoError {
    error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_the_sdk_fields_and_json_types() {
        let sms = OutboundSms {
            from: "+33939000003".to_owned(),
            to: "+33612345678".to_owned(),
            text: "Non.".to_owned(),
            status_callback: Some("https://x/status".to_owned()),
        };
        let body = serde_json::to_value(PlivoSender::request(&sms)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"dst": "33612345678", "text": "Non.", "src": "33939000003", "type": "sms",
                "url": "https://x/status", "method": "POST", "log": "true", "trackable": false})
        );
    }

    #[test]
    fn answers_follow_the_retry_rule() {
        let queued = br#"{"api_id":"a","message":"message(s) queued","message_uuid":["db3ce55a"]}"#;
        assert!(
            matches!(classify(StatusCode::ACCEPTED, queued), Verdict::Accepted(r) if r.provider_message_id == "db3ce55a")
        );
        assert!(matches!(classify(StatusCode::ACCEPTED, br#"{"message_uuid":[]}"#), Verdict::Ambiguous(_)));
        assert!(
            matches!(classify(StatusCode::BAD_REQUEST, br#"{"error":"src is required"}"#), Verdict::Refused(r) if r.contains("src"))
        );
        assert!(matches!(classify(StatusCode::TOO_MANY_REQUESTS, b""), Verdict::NotAccepted(_)));
        assert!(matches!(classify(StatusCode::INTERNAL_SERVER_ERROR, b""), Verdict::Ambiguous(_)));
    }
}
