//! Vonage SMS API: `POST {api_base}/sms/json`, a form with `from`, `to`
//! (E.164 without `+`), `text` and `type=unicode` for a UCS-2 text,
//! authenticated the way the official `vonage` SDK does it: HTTP Basic with
//! the API key and secret (recorded in `tests/data/recorded/vonage.json`).
//!
//! Vonage answers `200` for a processed request and puts the verdict in
//! each part's `status`: `"0"` accepted; `"1"` (throttled) and `"10"` (too
//! many binds) were not processed and may be retried; `"5"` (internal error)
//! is ambiguous; `"4"` (invalid credentials) refuses our credentials; every
//! other status is a definite refusal (Vonage's SMS API error table).
//!
//! The connection test reads the balance, `GET {api_base}/account/get-balance`
//! with the same Basic credentials, as the SDK's `client.account.get_balance()`.

use std::fmt;

use antirelou_domain::segments::{self, Encoding};
use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::account_check::{read_account, AccountCheck};
use crate::send::{without_plus, OutboundSms, SendApi, SendError, SendReceipt};
use crate::send_policy::{api_url, send_with_retries, status_verdict, truncate, ClientBuildError, SendPolicy, Verdict};

/// Vonage's SMS API root.
pub const DEFAULT_API_BASE: &str = "https://rest.nexmo.com";

/// Part statuses that mean "not processed, try again" (Vonage: throttled,
/// too many existing binds).
pub const RETRYABLE_STATUSES: [&str; 2] = ["1", "10"];

/// Part status that leaves the outcome unknown (Vonage: internal error).
pub const AMBIGUOUS_STATUS: &str = "5";

/// Part status of refused credentials (Vonage: invalid credentials).
pub const CREDENTIALS_STATUS: &str = "4";

/// What a [`VonageSender`] needs. `Debug` hides the API secret.
#[derive(Clone, PartialEq, Eq)]
pub struct VonageSendConfig {
    pub api_base: String,
    pub api_key: String,
    pub api_secret: String,
    pub policy: SendPolicy,
}

impl fmt::Debug for VonageSendConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VonageSendConfig")
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<secret>")
            .field("policy", &self.policy)
            .finish()
    }
}

/// Sends replies through Vonage's SMS API.
pub struct VonageSender {
    http: reqwest::Client,
    sms_url: url::Url,
    balance_url: url::Url,
    config: VonageSendConfig,
}

impl VonageSender {
    pub fn new(config: VonageSendConfig) -> Result<VonageSender, ClientBuildError> {
        let sms_url = api_url(&config.api_base, &["sms", "json"])?;
        let balance_url = api_url(&config.api_base, &["account", "get-balance"])?;
        Ok(VonageSender { http: config.policy.http_client()?, sms_url, balance_url, config })
    }

    /// The form Vonage receives for `sms` (credentials go in the Basic header).
    pub fn form(sms: &OutboundSms) -> Vec<(&'static str, String)> {
        let mut form = vec![
            ("from", without_plus(&sms.from).to_owned()),
            ("to", without_plus(&sms.to).to_owned()),
            ("text", sms.text.clone()),
        ];
        if segments::count(&sms.text).encoding == Encoding::Ucs2 {
            form.push(("type", "unicode".to_owned()));
        }
        form
    }
}

impl fmt::Debug for VonageSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VonageSender").field("config", &self.config).finish_non_exhaustive()
    }
}

#[async_trait]
impl SendApi for VonageSender {
    async fn send(&self, sms: &OutboundSms) -> Result<SendReceipt, SendError> {
        let form = VonageSender::form(sms);
        send_with_retries(
            &self.config.policy,
            || {
                Ok(self
                    .http
                    .post(self.sms_url.clone())
                    .basic_auth(&self.config.api_key, Some(&self.config.api_secret))
                    .form(&form))
            },
            classify,
        )
        .await
    }

    async fn check_account(&self) -> AccountCheck {
        let request =
            self.http.get(self.balance_url.clone()).basic_auth(&self.config.api_key, Some(&self.config.api_secret));
        read_account(request).await
    }
}

fn classify(status: StatusCode, body: &[u8]) -> Verdict {
    if !status.is_success() {
        return status_verdict(status, "");
    }
    let Ok(answer) = serde_json::from_slice::<SmsAnswer>(body) else {
        return Verdict::Ambiguous(format!("HTTP {} with an unreadable answer", status.as_u16()));
    };
    let accepted = answer.messages.iter().filter(|part| part.status == "0").count();
    if answer.messages.is_empty() {
        return Verdict::Ambiguous("answer without any message part".to_owned());
    }
    if accepted == answer.messages.len() {
        let id = answer.messages[0].message_id.clone().unwrap_or_default();
        return if id.is_empty() {
            Verdict::Ambiguous("accepted without a message-id".to_owned())
        } else {
            Verdict::Accepted(SendReceipt { provider_message_id: id })
        };
    }
    if accepted > 0 {
        return Verdict::Ambiguous(format!("{accepted} of {} parts accepted", answer.messages.len()));
    }
    // No part accepted: the first refusal decides (parts share one cause).
    let part = &answer.messages[0];
    let reason = format!("Vonage status {}: {}", part.status, truncate(part.error_text.as_deref().unwrap_or("")));
    if RETRYABLE_STATUSES.contains(&part.status.as_str()) {
        Verdict::NotAccepted(reason)
    } else if part.status == AMBIGUOUS_STATUS {
        Verdict::Ambiguous(reason)
    } else if part.status == CREDENTIALS_STATUS {
        Verdict::CredentialsRefused(reason)
    } else {
        Verdict::Refused(reason)
    }
}

#[derive(Deserialize)]
struct SmsAnswer {
    #[serde(default)]
    messages: Vec<SmsPart>,
}

#[derive(Deserialize)]
struct SmsPart {
    status: String,
    #[serde(rename = "message-id")]
    message_id: Option<String>,
    #[serde(rename = "error-text")]
    error_text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(text: &str) -> OutboundSms {
        OutboundSms {
            from: "+33939000002".to_owned(),
            to: "+33612345678".to_owned(),
            text: text.to_owned(),
            status_callback: None,
        }
    }

    fn answer(statuses: &[&str]) -> Vec<u8> {
        let parts: Vec<_> = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| serde_json::json!({"status": s, "message-id": format!("ID{i}"), "error-text": "why"}))
            .collect();
        serde_json::json!({"message-count": statuses.len().to_string(), "messages": parts}).to_string().into_bytes()
    }

    #[test]
    fn numbers_lose_their_plus_and_ucs2_texts_are_typed_unicode() {
        let gsm = VonageSender::form(&sms("Non, c'est non."));
        assert_eq!(
            gsm,
            [
                ("from", "33939000002".to_owned()),
                ("to", "33612345678".to_owned()),
                ("text", "Non, c'est non.".to_owned())
            ]
        );
        let ucs2 = VonageSender::form(&sms("Non 🙅"));
        assert_eq!(ucs2.last(), Some(&("type", "unicode".to_owned())));
    }

    #[test]
    fn part_statuses_follow_the_retry_rule() {
        assert!(
            matches!(classify(StatusCode::OK, &answer(&["0"])), Verdict::Accepted(r) if r.provider_message_id == "ID0")
        );
        assert!(matches!(classify(StatusCode::OK, &answer(&["0", "0"])), Verdict::Accepted(_)));
        assert!(matches!(classify(StatusCode::OK, &answer(&["1"])), Verdict::NotAccepted(_)));
        assert!(matches!(classify(StatusCode::OK, &answer(&["10"])), Verdict::NotAccepted(_)));
        assert!(matches!(classify(StatusCode::OK, &answer(&["5"])), Verdict::Ambiguous(_)));
        assert!(matches!(classify(StatusCode::OK, &answer(&["0", "1"])), Verdict::Ambiguous(_)), "one part went out");
        assert!(
            matches!(classify(StatusCode::OK, &answer(&["4"])), Verdict::CredentialsRefused(r) if r.contains("status 4"))
        );
        assert!(matches!(classify(StatusCode::OK, &answer(&["9"])), Verdict::Refused(_)));
        assert!(matches!(classify(StatusCode::OK, b"not json"), Verdict::Ambiguous(_)));
        assert!(matches!(classify(StatusCode::TOO_MANY_REQUESTS, b""), Verdict::NotAccepted(_)));
        assert!(matches!(classify(StatusCode::UNAUTHORIZED, b""), Verdict::CredentialsRefused(_)));
    }
}
