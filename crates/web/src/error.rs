//! Webhook rejections and their status codes (SPEC §7).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

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
}

impl WebhookRejection {
    pub const ALL: [WebhookRejection; 5] = [
        WebhookRejection::BadSignature,
        WebhookRejection::AccountMismatch,
        WebhookRejection::UnknownNumber,
        WebhookRejection::Malformed,
        WebhookRejection::TooLarge,
    ];

    /// The `reason` label.
    pub const fn reason(self) -> &'static str {
        match self {
            WebhookRejection::BadSignature => "bad_signature",
            WebhookRejection::AccountMismatch => "account_mismatch",
            WebhookRejection::UnknownNumber => "unknown_number",
            WebhookRejection::Malformed => "malformed",
            WebhookRejection::TooLarge => "too_large",
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
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).content_type("text/plain; charset=utf-8").body(self.to_string())
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
    }
}
