//! Reading a request body: at most a limit, and before the request deadline.
//!
//! Every route that reads a body reads it through [`read_body`] (webhooks)
//! or through the JSON extractor configured by [`json_config`] (the admin
//! API). The deadline itself is set on each request by
//! `request_deadline::guard`, the middleware of every listener: the payload
//! ends with a timeout error once `server.request_timeout_ms` has passed
//! since the request's first byte. Here that error becomes
//! [`BodyError::TimedOut`] (a webhook answers `408`) or a `408` response.

use actix_web::error::{InternalError, JsonPayloadError, PayloadError};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::request_deadline::DeadlinePassed;

/// Webhook bodies above this get `413`: a provider's webhook is a few
/// hundred bytes, a long SMS a few kilobytes.
pub const WEBHOOK_BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Admin API JSON bodies above this get `413`: they are a few short fields.
pub const JSON_BODY_LIMIT_BYTES: usize = 4096;

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("body larger than the limit")]
    TooLarge,
    #[error("body did not arrive within the request deadline")]
    TimedOut,
    #[error("body cut short or badly framed")]
    Broken,
}

/// Reads a webhook body: at most [`WEBHOOK_BODY_LIMIT_BYTES`] (refused from
/// the declared `Content-Length` without reading when it says more), within
/// the request deadline.
pub async fn read_body(request: &HttpRequest, payload: web::Payload) -> Result<web::BytesMut, BodyError> {
    read_body_limited(request, payload, WEBHOOK_BODY_LIMIT_BYTES).await
}

/// [`read_body`] with another limit.
pub async fn read_body_limited(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit_bytes: usize,
) -> Result<web::BytesMut, BodyError> {
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit_bytes) {
        return Err(BodyError::TooLarge);
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit_bytes));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|error| if deadline_passed(&error) { BodyError::TimedOut } else { BodyError::Broken })?;
        if body.len() + chunk.len() > limit_bytes {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The JSON extractor's configuration for every route: at most
/// [`JSON_BODY_LIMIT_BYTES`], and `408` (connection closed) when the body
/// misses the request deadline.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(JSON_BODY_LIMIT_BYTES).error_handler(|error, _request| {
        let timed_out = matches!(&error, JsonPayloadError::Payload(payload) if deadline_passed(payload));
        if timed_out {
            InternalError::from_response(error, HttpResponse::RequestTimeout().force_close().finish()).into()
        } else {
            // The admin API's error shape, `{"error": "..."}`, with the status
            // actix chose; `problems` (per key, as a refused PATCH lists them)
            // is empty: the body as a whole was refused.
            let status = actix_web::ResponseError::status_code(&error);
            let body = serde_json::json!({ "error": format!("request body: {error}"), "problems": [] });
            let response = HttpResponse::build(status).json(body);
            InternalError::from_response(error, response).into()
        }
    })
}

/// Whether a payload error is the request deadline (and not a broken body).
pub fn deadline_passed(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<DeadlinePassed>()))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;
    use actix_web::FromRequest;
    use futures_util::stream;

    use super::*;

    async fn payload(chunks: Vec<Result<web::Bytes, PayloadError>>) -> web::Payload {
        let stream: actix_http::BoxedPayloadStream = Box::pin(stream::iter(chunks));
        let mut payload = actix_http::Payload::from(stream);
        let request = TestRequest::default().to_http_request();
        web::Payload::from_request(&request, &mut payload).await.unwrap()
    }

    #[actix_web::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let request = TestRequest::default().to_http_request();
        let chunks = vec![Ok(web::Bytes::from_static(b"To=%2B33")), Ok(web::Bytes::from_static(b"612345678"))];
        let body = read_body_limited(&request, payload(chunks).await, 64).await.unwrap();
        assert_eq!(&body[..], b"To=%2B33612345678");
    }

    #[actix_web::test]
    async fn a_body_over_the_limit_is_too_large_declared_or_not() {
        let declared = TestRequest::default().insert_header(("Content-Length", "65")).to_http_request();
        assert_eq!(read_body_limited(&declared, payload(vec![]).await, 64).await, Err(BodyError::TooLarge));
        let undeclared = TestRequest::default().to_http_request();
        let chunks = vec![Ok(web::Bytes::from(vec![b'a'; 40])), Ok(web::Bytes::from(vec![b'a'; 25]))];
        assert_eq!(read_body_limited(&undeclared, payload(chunks).await, 64).await, Err(BodyError::TooLarge));
    }

    #[actix_web::test]
    async fn the_deadline_error_is_a_timeout_and_any_other_error_a_broken_body() {
        let request = TestRequest::default().to_http_request();
        let late = vec![Ok(web::Bytes::from_static(b"To=")), Err(DeadlinePassed::payload_error())];
        assert_eq!(read_body_limited(&request, payload(late).await, 64).await, Err(BodyError::TimedOut));
        let cut = vec![Err(PayloadError::Incomplete(None))];
        assert_eq!(read_body_limited(&request, payload(cut).await, 64).await, Err(BodyError::Broken));
        let other_io = vec![Err(PayloadError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "socket")))];
        assert_eq!(read_body_limited(&request, payload(other_io).await, 64).await, Err(BodyError::Broken));
    }
}
