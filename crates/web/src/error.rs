//! Webhook rejections and their status codes (SPEC §7).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use antirelou_providers::RejectReason;

use crate::body::BodyError;

/// Why a webhook was refused before any decision. Each is counted in
/// `antirelou_webhook_rejected_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRejection {
    #[error("missing or invalid X-Twilio-Signature")]
    BadSignature,
    #[error("AccountSid does not match the tenant of this number")]
    AccountMismatch,
    #[error("no tenant serves this number")]
    UnknownNumber,
    #[error("malformed webhook form")]
    Malformed,
    #[error("body larger than the webhook limit")]
    TooLarge,
    #[error("the body did not arrive within the request deadline")]
    Timeout,
}

impl WebhookRejection {
    pub const ALL: [WebhookRejection; 6] = [
        WebhookRejection::BadSignature,
        WebhookRejection::AccountMismatch,
        WebhookRejection::UnknownNumber,
        WebhookRejection::Malformed,
        WebhookRejection::TooLarge,
        WebhookRejection::Timeout,
    ];

    /// The reason it is counted under.
    pub const fn reject_reason(self) -> RejectReason {
        match self {
            WebhookRejection::BadSignature => RejectReason::BadSignature,
            WebhookRejection::AccountMismatch => RejectReason::AccountMismatch,
            WebhookRejection::UnknownNumber => RejectReason::UnknownNumber,
            WebhookRejection::Malformed => RejectReason::Malformed,
            WebhookRejection::TooLarge => RejectReason::TooLarge,
            WebhookRejection::Timeout => RejectReason::Timeout,
        }
    }

    /// The `reason` label.
    pub const fn reason(self) -> &'static str {
        self.reject_reason().as_str()
    }
}

impl From<BodyError> for WebhookRejection {
    fn from(error: BodyError) -> WebhookRejection {
        match error {
            BodyError::TooLarge => WebhookRejection::TooLarge,
            BodyError::TimedOut => WebhookRejection::Timeout,
            BodyError::Broken => WebhookRejection::Malformed,
        }
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        match self {
            WebhookRejection::BadSignature | WebhookRejection::AccountMismatch => StatusCode::FORBIDDEN,
            WebhookRejection::UnknownNumber => StatusCode::NOT_FOUND,
            WebhookRejection::Malformed => StatusCode::BAD_REQUEST,
            WebhookRejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookRejection::Timeout => StatusCode::REQUEST_TIMEOUT,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if *self == WebhookRejection::Timeout {
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
    fn each_rejection_has_the_status_of_the_spec() {
        assert_eq!(WebhookRejection::BadSignature.status_code(), StatusCode::FORBIDDEN);
        assert_eq!(WebhookRejection::AccountMismatch.status_code(), StatusCode::FORBIDDEN);
        assert_eq!(WebhookRejection::UnknownNumber.status_code(), StatusCode::NOT_FOUND);
        assert_eq!(WebhookRejection::Malformed.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(WebhookRejection::TooLarge.status_code(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(WebhookRejection::Timeout.status_code(), StatusCode::REQUEST_TIMEOUT);
    }

    #[test]
    fn each_rejection_is_counted_under_a_reason_of_the_providers_vocabulary() {
        let labels: Vec<&str> = WebhookRejection::ALL.iter().map(|r| r.reason()).collect();
        assert_eq!(
            labels,
            ["bad_signature", "account_mismatch", "unknown_number", "malformed", "too_large", "timeout"]
        );
        assert!(WebhookRejection::ALL.iter().all(|r| RejectReason::from_label(r.reason()) == Some(r.reject_reason())));
    }

    #[test]
    fn a_body_that_timed_out_is_a_408_and_closes_the_connection() {
        assert_eq!(WebhookRejection::from(BodyError::TimedOut), WebhookRejection::Timeout);
        assert_eq!(WebhookRejection::from(BodyError::TooLarge), WebhookRejection::TooLarge);
        assert_eq!(WebhookRejection::from(BodyError::Broken), WebhookRejection::Malformed);
        let response = WebhookRejection::Timeout.error_response();
        assert_eq!(response.head().connection_type(), actix_web::http::ConnectionType::Close);
    }
}
