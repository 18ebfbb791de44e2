//! Replies that are not inline (deferred judgements, replies whose inline
//! answer was lost) go through a provider's send API. The engine sees only
//! [`SendApi`]; each provider's `send.rs` implements it over HTTP.
//!
//! Retry rule, the same for every provider: a request is retried (bounded,
//! with back-off) only when the provider certainly did not accept it: the
//! connection could not be made, or it answered 429 / a documented "not
//! processed" status. Anything ambiguous (a timeout after the request was
//! written, a 5xx, a success without a message id) is reported as
//! [`SendError::Ambiguous`] and never retried, so one debit never becomes
//! two SMS. The loop lives once, in [`crate::send_policy`]; the timeouts
//! and attempts are a [`crate::SendPolicy`]; each provider's table of
//! answers is in docs/providers.md.

use std::fmt;

use async_trait::async_trait;

use crate::account_check::AccountCheck;

/// One SMS to send. `Debug` hides the recipient and the text.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundSms {
    /// Our number, E.164 with `+`.
    pub from: String,
    /// The recipient, E.164 with `+`.
    pub to: String,
    pub text: String,
    /// Where the provider should post delivery status (Twilio `StatusCallback`), if anywhere.
    pub status_callback: Option<String>,
}

impl fmt::Debug for OutboundSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundSms")
            .field("from", &self.from)
            .field("to", &"<hidden>")
            .field("text", &format_args!("<{} chars>", self.text.chars().count()))
            .field("status_callback", &self.status_callback)
            .finish()
    }
}

/// The provider took the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendReceipt {
    /// The provider's id of the sent message (Twilio `sid`, Vonage `message-id`, ...).
    pub provider_message_id: String,
}

/// Why a send did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Certainly not sent (refused with a definite answer, e.g. 400/401/403/404,
    /// or not reachable after the bounded retries): the reply was not delivered.
    #[error("provider refused the message: {0}")]
    Refused(String),
    /// Certainly not sent: the provider refused our credentials (401/403).
    #[error("provider refused our credentials: {0}")]
    CredentialsRefused(String),
    /// Maybe sent (timeout after writing, 5xx): never retried.
    #[error("provider answer is ambiguous (the message may have been sent): {0}")]
    Ambiguous(String),
}

/// A number in E.164 without its `+`, as Vonage and Plivo write numbers.
pub fn without_plus(number: &str) -> &str {
    number.strip_prefix('+').unwrap_or(number)
}

/// A provider's send API, as the engine uses it.
#[async_trait]
pub trait SendApi: Send + Sync + 'static {
    /// Sends one SMS: at most one provider request is accepted per call.
    async fn send(&self, sms: &OutboundSms) -> Result<SendReceipt, SendError>;

    /// The connection test: one read of the provider's account with the
    /// same credentials, at no messaging cost ([`crate::account_check`]).
    async fn check_account(&self) -> AccountCheck;
}
