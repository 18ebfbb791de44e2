//! Twilio's Messages resource: `POST {api_base}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
//! HTTP Basic (account SID, auth token), form fields `To`, `From`, `Body` and
//! `StatusCallback`, answered `201` with the message's `sid`. The request is
//! the one the official `twilio` SDK sends (recorded in
//! `tests/data/recorded/twilio.json`). The connection test reads the
//! account's balance, `GET .../Accounts/{AccountSid}/Balance.json`, as the
//! SDK's `client.balance.fetch()` does.

use std::fmt;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::account_check::{read_account, AccountCheck};
use crate::send::{OutboundSms, SendApi, SendError, SendReceipt};
use crate::send_policy::{api_url, send_with_retries, status_verdict, truncate, ClientBuildError, SendPolicy, Verdict};

/// Twilio's REST API root.
pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";

/// What a [`TwilioSender`] needs. `Debug` hides the auth token.
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioSendConfig {
    /// API root, [`DEFAULT_API_BASE`] unless a test points it at a stand-in.
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: String,
    pub policy: SendPolicy,
}

impl fmt::Debug for TwilioSendConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSendConfig")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<secret>")
            .field("policy", &self.policy)
            .finish()
    }
}

/// Sends replies through Twilio's Messages resource.
pub struct TwilioSender {
    http: reqwest::Client,
    messages_url: url::Url,
    balance_url: url::Url,
    config: TwilioSendConfig,
}

impl TwilioSender {
    pub fn new(config: TwilioSendConfig) -> Result<TwilioSender, ClientBuildError> {
        if config.account_sid.is_empty() || !config.account_sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ClientBuildError::InvalidValue("Twilio account_sid must be alphanumeric (AC…)".to_owned()));
        }
        let messages_url =
            api_url(&config.api_base, &["2010-04-01", "Accounts", &config.account_sid, "Messages.json"])?;
        let balance_url = api_url(&config.api_base, &["2010-04-01", "Accounts", &config.account_sid, "Balance.json"])?;
        Ok(TwilioSender { http: config.policy.http_client()?, messages_url, balance_url, config })
    }

    /// The form Twilio receives for `sms`, in the SDK's field names.
    pub fn form(sms: &OutboundSms) -> Vec<(&'static str, &str)> {
        let mut form = vec![("To", sms.to.as_str()), ("From", sms.from.as_str()), ("Body", sms.text.as_str())];
        if let Some(callback) = &sms.status_callback {
            form.push(("StatusCallback", callback.as_str()));
        }
        form
    }
}

impl fmt::Debug for TwilioSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSender").field("config", &self.config).finish_non_exhaustive()
    }
}

#[async_trait]
impl SendApi for TwilioSender {
    async fn send(&self, sms: &OutboundSms) -> Result<SendReceipt, SendError> {
        let form = TwilioSender::form(sms);
        send_with_retries(
            &self.config.policy,
            || {
                Ok(self
                    .http
                    .post(self.messages_url.clone())
                    .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
                    .form(&form))
            },
            classify,
        )
        .await
    }

    async fn check_account(&self) -> AccountCheck {
        let request = self
            .http
            .get(self.balance_url.clone())
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            // The SDK sends this content type on every request, a read included.
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        read_account(request).await
    }
}

/// Twilio's answer: `201` with the created message, or an error document
/// (`code`, `message`) with a 4xx/5xx status.
fn classify(status: StatusCode, body: &[u8]) -> Verdict {
    if status.is_success() {
        return match serde_json::from_slice::<CreatedMessage>(body) {
            Ok(created) if !created.sid.is_empty() => {
                Verdict::Accepted(SendReceipt { provider_message_id: created.sid })
            }
            _ => Verdict::Ambiguous(format!("HTTP {} without a message sid", status.as_u16())),
        };
    }
    let detail = serde_json::from_slice::<ErrorDocument>(body)
        .map(|error| {
            format!("Twilio error {}: {}", error.code.unwrap_or(0), truncate(&error.message.unwrap_or_default()))
        })
        .unwrap_or_default();
    status_verdict(status, &detail)
}

#[derive(Deserialize)]
struct CreatedMessage {
    sid: String,
}

#[derive(Deserialize)]
struct ErrorDocument {
    code: Option<u64>,
    message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(callback: Option<&str>) -> OutboundSms {
        OutboundSms {
            from: "+33939000001".to_owned(),
            to: "+33612345678".to_owned(),
            text: "Non, c'est non.".to_owned(),
            status_callback: callback.map(str::to_owned),
        }
    }

    #[test]
    fn the_form_carries_the_callback_only_when_there_is_one() {
        let names = |s: &OutboundSms| TwilioSender::form(s).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(names(&sms(None)), ["To", "From", "Body"]);
        assert_eq!(names(&sms(Some("https://x/status"))), ["To", "From", "Body", "StatusCallback"]);
    }

    #[test]
    fn a_created_message_gives_its_sid() {
        let verdict = classify(StatusCode::CREATED, br#"{"sid":"SM123","status":"queued"}"#);
        assert!(matches!(verdict, Verdict::Accepted(r) if r.provider_message_id == "SM123"));
    }

    #[test]
    fn a_success_without_sid_is_ambiguous_and_errors_follow_the_rule() {
        assert!(matches!(classify(StatusCode::CREATED, b"{}"), Verdict::Ambiguous(_)));
        let refused =
            classify(StatusCode::BAD_REQUEST, br#"{"code":21604,"message":"A 'To' phone number is required."}"#);
        assert!(matches!(refused, Verdict::Refused(reason) if reason.contains("21604")));
        assert!(matches!(classify(StatusCode::TOO_MANY_REQUESTS, b""), Verdict::NotAccepted(_)));
        assert!(matches!(classify(StatusCode::SERVICE_UNAVAILABLE, b""), Verdict::Ambiguous(_)));
    }

    #[test]
    fn debug_hides_the_auth_token() {
        let config = TwilioSendConfig {
            api_base: DEFAULT_API_BASE.to_owned(),
            account_sid: "AC1".to_owned(),
            auth_token: "very-secret".to_owned(),
            policy: SendPolicy::default(),
        };
        let sender = TwilioSender::new(config).unwrap();
        assert!(!format!("{sender:?}").contains("very-secret"));
    }
}
