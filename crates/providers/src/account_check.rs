//! The connection test: one read of the provider's account, at no
//! messaging cost, that tells whether our credentials work.
//!
//! | provider | read (the official SDK's call) |
//! |---|---|
//! | Twilio | `GET /2010-04-01/Accounts/{AccountSid}/Balance.json`, Basic auth (`client.balance.fetch()`) |
//! | Vonage | `GET /account/get-balance`, Basic auth api_key:api_secret (`client.account.get_balance()`) |
//! | Plivo | `GET /v1/Account/{auth_id}/`, Basic auth (`client.account.get()`) |
//! | OVHcloud | signed `GET /1.0/sms/{serviceName}` (`client.get('/sms/{serviceName}')`) |
//!
//! Each send client implements [`SendApi::check_account`](crate::SendApi::check_account)
//! with its read; [`read_account`] is the one exchange they share: one
//! request (never retried: a person is waiting for the answer), bounded by
//! the client's timeouts, its answer read to a [`AccountCheck`].

use reqwest::{RequestBuilder, StatusCode};

use crate::send_policy::{error_chain, read_bounded, MAX_ANSWER_BYTES};

/// What the provider said of our credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountCheck {
    /// The read succeeded: the credentials work.
    Accepted,
    /// The provider refused our credentials (HTTP 401 or 403, OVHcloud's `INVALID_*` codes).
    CredentialsRefused { status: u16 },
    /// The provider could not be reached (connection refused, no answer in time).
    Unreachable(String),
    /// The provider answered something else (404: an account or service it
    /// does not know; 5xx: it is failing).
    Unexpected { status: u16 },
}

impl AccountCheck {
    /// Whether the credentials were seen to work.
    pub fn is_ok(&self) -> bool {
        *self == AccountCheck::Accepted
    }

    /// The meaning of an HTTP status of an account read.
    pub fn from_status(status: StatusCode) -> AccountCheck {
        match status.as_u16() {
            200..=299 => AccountCheck::Accepted,
            status @ (401 | 403) => AccountCheck::CredentialsRefused { status },
            status => AccountCheck::Unexpected { status },
        }
    }
}

/// Sends one account read and says what its answer means.
pub(crate) async fn read_account(request: RequestBuilder) -> AccountCheck {
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            // The body says nothing more; reading it (bounded) ends the exchange cleanly.
            let _ = read_bounded(response, MAX_ANSWER_BYTES).await;
            AccountCheck::from_status(status)
        }
        Err(error) if error.is_timeout() => AccountCheck::Unreachable("no answer in time".to_owned()),
        Err(error) => AccountCheck::Unreachable(error_chain(&error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_the_connection_test_tells_them() {
        assert_eq!(AccountCheck::from_status(StatusCode::OK), AccountCheck::Accepted);
        assert_eq!(
            AccountCheck::from_status(StatusCode::UNAUTHORIZED),
            AccountCheck::CredentialsRefused { status: 401 }
        );
        assert_eq!(AccountCheck::from_status(StatusCode::FORBIDDEN), AccountCheck::CredentialsRefused { status: 403 });
        assert_eq!(AccountCheck::from_status(StatusCode::NOT_FOUND), AccountCheck::Unexpected { status: 404 });
        assert_eq!(AccountCheck::from_status(StatusCode::BAD_GATEWAY), AccountCheck::Unexpected { status: 502 });
        assert!(AccountCheck::Accepted.is_ok() && !AccountCheck::Unreachable(String::new()).is_ok());
    }
}
