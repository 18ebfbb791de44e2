//! Webhook rejections and their status codes: [`status_of`] is the one
//! mapping from a [`RejectReason`] (the providers crate's vocabulary, the
//! `reason` label) to an HTTP status; [`Rejection`] carries it to actix.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use antirelou_providers::{InboundError, RejectReason};

use crate::body::BodyError;

/// The HTTP status of a refused webhook (docs/providers.md).
pub const fn status_of(reason: RejectReason) -> StatusCode {
    match reason {
        RejectReason::BadSignature | RejectReason::AccountMismatch | RejectReason::StaleTimestamp => {
            StatusCode::FORBIDDEN
        }
        RejectReason::Malformed => StatusCode::BAD_REQUEST,
        RejectReason::UnknownNumber => StatusCode::NOT_FOUND,
        RejectReason::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RejectReason::Timeout => StatusCode::REQUEST_TIMEOUT,
    }
}

/// A webhook refused before any decision. Its text names a field at most,
/// never a sender, a body or a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    pub reason: RejectReason,
    /// The field that was malformed, when known.
    field: Option<&'static str>,
}

impl Rejection {
    pub const fn new(reason: RejectReason) -> Rejection {
        Rejection { reason, field: None }
    }
}

impl From<RejectReason> for Rejection {
    fn from(reason: RejectReason) -> Rejection {
        Rejection::new(reason)
    }
}

impl From<BodyError> for Rejection {
    fn from(error: BodyError) -> Rejection {
        match error {
            BodyError::TooLarge => Rejection::new(RejectReason::TooLarge),
            BodyError::TimedOut => Rejection::new(RejectReason::Timeout),
            BodyError::Broken => Rejection::new(RejectReason::Malformed),
        }
    }
}

impl From<InboundError> for Rejection {
    fn from(error: InboundError) -> Rejection {
        let field = match error {
            InboundError::Malformed(field) => Some(field),
            _ => None,
        };
        Rejection { reason: error.reason(), field }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.reason, self.field) {
            (RejectReason::Malformed, Some(field)) => write!(f, "malformed webhook: {field}"),
            (RejectReason::Malformed, None) => f.write_str("malformed webhook"),
            (RejectReason::BadSignature, _) => f.write_str("webhook signature is missing or does not match"),
            (RejectReason::AccountMismatch, _) => {
                f.write_str("webhook is for another account than the number's tenant")
            }
            (RejectReason::UnknownNumber, _) => f.write_str("no tenant of this provider serves this number"),
            (RejectReason::TooLarge, _) => f.write_str("body larger than the webhook limit"),
            (RejectReason::StaleTimestamp, _) => f.write_str("webhook timestamp is too far from now"),
            (RejectReason::Timeout, _) => f.write_str("the body did not arrive within the request deadline"),
        }
    }
}

impl std::error::Error for Rejection {}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        status_of(self.reason)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if self.reason == RejectReason::Timeout {
            // The rest of a slow body is not worth waiting for.
            response.force_close();
        }
        response.content_type("text/plain; charset=utf-8").body(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_has_its_documented_status() {
        let statuses: Vec<(&str, u16)> =
            RejectReason::ALL.iter().map(|r| (r.as_str(), status_of(*r).as_u16())).collect();
        assert_eq!(
            statuses,
            [
                ("bad_signature", 403),
                ("account_mismatch", 403),
                ("unknown_number", 404),
                ("malformed", 400),
                ("too_large", 413),
                ("stale_timestamp", 403),
                ("timeout", 408),
            ]
        );
    }

    #[test]
    fn a_malformed_webhook_names_its_field_and_nothing_else() {
        let rejection = Rejection::from(InboundError::Malformed("MessageSid"));
        assert_eq!(rejection.reason, RejectReason::Malformed);
        assert_eq!(rejection.to_string(), "malformed webhook: MessageSid");
        assert_eq!(rejection.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(Rejection::from(InboundError::StaleTimestamp).status_code(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn a_body_that_timed_out_is_a_408_and_closes_the_connection() {
        assert_eq!(Rejection::from(BodyError::TimedOut).reason, RejectReason::Timeout);
        assert_eq!(Rejection::from(BodyError::TooLarge).reason, RejectReason::TooLarge);
        assert_eq!(Rejection::from(BodyError::Broken).reason, RejectReason::Malformed);
        let response = Rejection::new(RejectReason::Timeout).error_response();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(response.head().connection_type(), actix_web::http::ConnectionType::Close);
    }
}
