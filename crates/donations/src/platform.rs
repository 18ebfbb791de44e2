//! [`Platform`]: what every donation platform's client does — read the
//! payment ids a notification names, and read one payment back from the
//! platform's API to say what it confirms ([`Confirmation`]) — and the HTTP
//! rules they share.

use std::time::Duration;

use antirelou_domain::{DonationSource, Money};
use antirelou_providers::send_policy::{error_chain, read_bounded};
use async_trait::async_trait;
use reqwest::StatusCode;

use crate::result::DonationResult;

/// What a platform's API says about one payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// Paid to the tenant's account: credit `amount` once, under the
    /// platform's own id of the payment (from its answer, not the hint).
    Credit { payment_id: String, amount: Money },
    /// Refunded: debit what `payment_id` credited (a refund may be its own
    /// transaction, naming the payment it refunds).
    Refund { payment_id: String },
    /// Nothing to credit, for this reason (never one that asks for a retry).
    Refused(DonationResult),
}

/// Why a payment could not be read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadBackError {
    /// Unreachable, an error, a timeout or an answer we cannot read.
    #[error("the platform could not be asked: {0}")]
    Unavailable(String),
    /// The platform refuses the tenant's credentials.
    #[error("the platform refuses the credentials: {0}")]
    CredentialsRefused(String),
}

impl ReadBackError {
    pub fn result(&self) -> DonationResult {
        match self {
            ReadBackError::Unavailable(_) => DonationResult::ApiUnavailable,
            ReadBackError::CredentialsRefused(_) => DonationResult::CredentialsRefused,
        }
    }
}

/// A notification that is not one the platform sends.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed notification: {0}")]
pub struct Malformed(pub String);

/// One tenant's account at a donation platform.
#[async_trait]
pub trait Platform: Send + Sync {
    fn source(&self) -> DonationSource;

    /// The payment ids a notification names (empty: nothing to read back).
    /// Only hints: nothing in a notification is believed.
    fn payment_ids(&self, body: &[u8]) -> Result<Vec<String>, Malformed>;

    /// Reads `payment_id` back from the platform's API, with the tenant's
    /// credentials, and says what it confirms for the tenant.
    async fn confirm(&self, payment_id: &str) -> Result<Confirmation, ReadBackError>;
}

/// The most payments one notification may name (an order paid in
/// instalments names each); beyond, the notification is malformed.
pub const MAX_PAYMENTS_PER_NOTIFICATION: usize = 12;

/// An answer of more than this is not read (a payment is a few KiB).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// The HTTP client of a platform: both timeouts, no redirect (an API that
/// redirects is not one we trust with money).
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        // Only TLS setup can fail here, and then no client works: the
        // default client reports it on first use instead.
        .unwrap_or_default()
}

/// Sends `request` and reads its answer (at most [`MAX_ANSWER_BYTES`]).
pub(crate) async fn exchange(request: reqwest::RequestBuilder) -> Result<(StatusCode, Vec<u8>), ReadBackError> {
    let response = request.send().await.map_err(|e| ReadBackError::Unavailable(error_chain(&e)))?;
    let status = response.status();
    let body = read_bounded(response, MAX_ANSWER_BYTES).await.map_err(ReadBackError::Unavailable)?;
    Ok((status, body))
}

/// A platform's amount in cents as money (cents are 10,000 micro-units).
pub(crate) fn cents(amount: i64) -> Option<Money> {
    amount.checked_mul(10_000).map(Money::from_micros)
}
