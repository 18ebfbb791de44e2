//! The request deadline: a request's head and body must arrive within
//! `server.request_timeout_ms` of its first byte, on every listener and for
//! every request of a keep-alive connection.
//!
//! actix bounds only the head of a connection's first request
//! (`client_request_timeout`); a body, or the head of a later request on a
//! kept-alive connection, could otherwise drip forever. Three parts share
//! one [`RequestClock`] per connection:
//! - the connection's stream (`connections::AdmittedStream`) starts the
//!   clock on the first byte of a request, and cuts the connection when the
//!   request is still not read [`CUT_GRACE`] after its deadline;
//! - [`guard`], a middleware on every listener, answers `408` to a head that
//!   came too late and gives the body the deadline ([`DeadlinePayload`]
//!   ends with a [`DeadlinePassed`] error when it passes);
//! - `body::read_body` and `body::json_config` turn that error into `408`.
//!
//! Missed deadlines are counted in
//! `antirelou_requests_timed_out_total{listener,part}`.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use futures_util::Stream;
use prometheus::IntCounter;
use tokio::time::{Instant, Sleep};

/// After a request's deadline, the time the application has to answer
/// `408` before the connection itself is cut.
pub const CUT_GRACE: Duration = Duration::from_secs(1);

/// The part of a request that missed its deadline (the `part` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestPart {
    /// The request line and headers.
    Head,
    /// The body.
    Body,
    /// The answer, which the client stopped reading (`write_deadline.rs`).
    Response,
}

impl RequestPart {
    pub const ALL: [RequestPart; 3] = [RequestPart::Head, RequestPart::Body, RequestPart::Response];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestPart::Head => "head",
            RequestPart::Body => "body",
            RequestPart::Response => "response",
        }
    }
}

/// The error inside a body's payload error when the body missed the
/// deadline (see `body::deadline_passed`).
#[derive(Debug, thiserror::Error)]
#[error("the request did not arrive within server.request_timeout_ms")]
pub struct DeadlinePassed;

impl DeadlinePassed {
    pub fn io_error() -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, DeadlinePassed)
    }

    pub fn payload_error() -> PayloadError {
        PayloadError::Io(DeadlinePassed::io_error())
    }
}

/// The counters of missed deadlines of one listener.
#[derive(Clone)]
pub struct TimeoutCounters {
    pub head: IntCounter,
    pub body: IntCounter,
    /// Answers cut by the write deadline (counted by `write_deadline.rs`).
    pub response: IntCounter,
}

impl TimeoutCounters {
    fn count(&self, part: RequestPart) {
        match part {
            RequestPart::Head => self.head.inc(),
            RequestPart::Body => self.body.inc(),
            RequestPart::Response => self.response.inc(),
        }
    }
}

/// What the middleware learns when a request head reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadArrival {
    /// In time: the body must have arrived by `deadline`.
    InTime { deadline: Instant },
    /// After the deadline (a later request of a kept-alive connection): answer `408`.
    Late,
}

/// Where the request being read on one connection stands. One per
/// connection, shared by its stream and its requests (connection data);
/// a connection lives on one worker thread, hence `Cell`.
pub struct RequestClock {
    timeout: Duration,
    phase: Cell<Phase>,
    counters: TimeoutCounters,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Between requests (actix's keep-alive and first-head timers apply).
    Idle,
    /// A request's bytes have been arriving since `started`; `head` once
    /// its head reached the application.
    Reading { started: Instant, head: bool },
    /// The request is fully read; the application is answering it.
    Read,
}

impl RequestClock {
    pub fn new(timeout: Duration, counters: TimeoutCounters) -> RequestClock {
        RequestClock { timeout, phase: Cell::new(Phase::Idle), counters }
    }

    /// Bytes arrived on the connection: the first of a request starts its clock.
    pub fn bytes_read(&self, now: Instant) {
        if matches!(self.phase.get(), Phase::Idle | Phase::Read) {
            self.phase.set(Phase::Reading { started: now, head: false });
        }
    }

    /// Bytes left for the client: after a fully read request, the connection
    /// is between requests again. actix answers `408` itself to a first
    /// head that is too slow: that is counted here.
    pub fn bytes_written(&self, bytes: &[u8]) {
        match self.phase.get() {
            Phase::Read => self.phase.set(Phase::Idle),
            Phase::Idle | Phase::Reading { head: false, .. } if bytes.starts_with(b"HTTP/1.1 408 ") => {
                self.counters.count(RequestPart::Head);
            }
            _ => {}
        }
    }

    /// The request's head reached the application.
    pub fn head_received(&self, now: Instant) -> HeadArrival {
        let started = match self.phase.get() {
            Phase::Reading { started, .. } => started,
            // Bytes read before the previous answer (pipelined): from now.
            Phase::Idle | Phase::Read => now,
        };
        let deadline = started + self.timeout;
        // The head is here either way: the `408` answering a late one is
        // counted now, not again when it is written.
        self.phase.set(Phase::Reading { started, head: true });
        if now > deadline {
            self.counters.count(RequestPart::Head);
            return HeadArrival::Late;
        }
        HeadArrival::InTime { deadline }
    }

    /// The request's body has been read to its end (or it has none).
    pub fn body_read(&self) {
        self.phase.set(Phase::Read);
    }

    /// When the connection is to be cut unless the request is read by then.
    pub fn cut_at(&self) -> Option<Instant> {
        match self.phase.get() {
            Phase::Reading { started, .. } => Some(started + self.timeout + CUT_GRACE),
            Phase::Idle | Phase::Read => None,
        }
    }

    /// The connection is being cut: counts the part that missed its deadline.
    pub fn cut(&self) {
        let part = match self.phase.get() {
            Phase::Reading { head: true, .. } => RequestPart::Body,
            _ => RequestPart::Head,
        };
        self.counters.count(part);
    }

    fn count_body_timeout(&self) {
        self.counters.count(RequestPart::Body);
    }
}

/// Middleware of every listener: answers `408` to a head that arrived after
/// the deadline, and bounds the body's arrival by it. Requests that came
/// without a connection (in-process drivers) pass untouched.
pub async fn guard(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(clock) = request.conn_data::<Rc<RequestClock>>().cloned() else {
        return next.call(request).await.map(ServiceResponse::map_into_left_body);
    };
    match clock.head_received(Instant::now()) {
        HeadArrival::Late => {
            let response = HttpResponse::RequestTimeout().force_close().finish();
            return Ok(request.into_response(response).map_into_right_body());
        }
        HeadArrival::InTime { deadline } => match request.take_payload() {
            Payload::None => clock.body_read(),
            payload => request.set_payload(DeadlinePayload::new(payload, deadline, clock).into_payload()),
        },
    }
    next.call(request).await.map(ServiceResponse::map_into_left_body)
}

/// A request body that ends with a [`DeadlinePassed`] error when its
/// deadline passes before its end, and tells the clock when it is read.
pub struct DeadlinePayload {
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
    clock: Rc<RequestClock>,
    ended: bool,
}

impl DeadlinePayload {
    pub fn new(inner: Payload, deadline: Instant, clock: Rc<RequestClock>) -> DeadlinePayload {
        DeadlinePayload { inner, deadline: Box::pin(tokio::time::sleep_until(deadline)), clock, ended: false }
    }

    pub fn into_payload(self) -> Payload {
        let stream: actix_http::BoxedPayloadStream = Box::pin(self);
        Payload::from(stream)
    }
}

impl Stream for DeadlinePayload {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(None) => {
                this.ended = true;
                this.clock.body_read();
                Poll::Ready(None)
            }
            Poll::Ready(Some(item)) => Poll::Ready(Some(item)),
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.ended = true;
                this.clock.count_body_timeout();
                Poll::Ready(Some(Err(DeadlinePassed::payload_error())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_millis(5_000);

    fn clock() -> RequestClock {
        let counters = TimeoutCounters {
            head: IntCounter::new("head", "head").unwrap(),
            body: IntCounter::new("body", "body").unwrap(),
            response: IntCounter::new("response", "response").unwrap(),
        };
        RequestClock::new(TIMEOUT, counters)
    }

    fn counted(clock: &RequestClock) -> (u64, u64) {
        (clock.counters.head.get(), clock.counters.body.get())
    }

    #[test]
    fn the_clock_starts_on_the_first_byte_and_stops_when_the_body_is_read() {
        let clock = clock();
        let t0 = Instant::now();
        assert_eq!(clock.cut_at(), None, "an idle connection is actix's keep-alive business");
        clock.bytes_read(t0);
        clock.bytes_read(t0 + Duration::from_millis(700));
        assert_eq!(clock.cut_at(), Some(t0 + TIMEOUT + CUT_GRACE), "from the first byte, not the last");
        let arrival = clock.head_received(t0 + Duration::from_millis(900));
        assert_eq!(arrival, HeadArrival::InTime { deadline: t0 + TIMEOUT });
        clock.body_read();
        assert_eq!(clock.cut_at(), None, "answering takes the time it takes");
        clock.bytes_written(b"HTTP/1.1 200 OK\r\n");
        clock.bytes_read(t0 + Duration::from_secs(60));
        assert_eq!(clock.cut_at(), Some(t0 + Duration::from_secs(60) + TIMEOUT + CUT_GRACE), "the next request");
        assert_eq!(counted(&clock), (0, 0));
    }

    #[test]
    fn a_kept_alive_head_that_arrives_after_the_deadline_is_late_and_counted() {
        let clock = clock();
        let t0 = Instant::now();
        clock.bytes_read(t0);
        assert_eq!(clock.head_received(t0 + TIMEOUT + Duration::from_millis(1)), HeadArrival::Late);
        clock.bytes_written(b"HTTP/1.1 408 Request Timeout\r\n");
        assert_eq!(counted(&clock), (1, 0), "counted once, not again when the 408 is written");
    }

    #[test]
    fn a_cut_counts_the_head_before_it_arrived_and_the_body_after() {
        let clock = clock();
        let t0 = Instant::now();
        clock.bytes_read(t0);
        clock.cut();
        assert_eq!(counted(&clock), (1, 0));
        let _ = clock.head_received(t0);
        clock.cut();
        assert_eq!(counted(&clock), (1, 1));
    }

    #[test]
    fn an_unread_body_keeps_the_clock_running_after_the_answer() {
        let clock = clock();
        let t0 = Instant::now();
        clock.bytes_read(t0);
        let _ = clock.head_received(t0);
        clock.bytes_written(b"HTTP/1.1 404 Not Found\r\n");
        assert_eq!(clock.cut_at(), Some(t0 + TIMEOUT + CUT_GRACE), "a body still dripping is bounded too");
    }

    #[test]
    fn actix_answering_408_to_a_slow_first_head_is_counted_once() {
        let clock = clock();
        clock.bytes_written(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(counted(&clock), (1, 0));
        let t0 = Instant::now();
        clock.bytes_read(t0);
        let _ = clock.head_received(t0);
        clock.bytes_written(b"HTTP/1.1 408 Request Timeout\r\n");
        assert_eq!(counted(&clock), (1, 0), "a 408 of the application is counted where it is decided");
    }

    #[actix_web::test]
    async fn a_body_that_stalls_ends_with_the_deadline_error_once() {
        let clock = Rc::new(clock());
        let (_sender, stalled) = actix_http::h1::Payload::create(false);
        let deadline = Instant::now() + Duration::from_millis(50);
        let mut payload = DeadlinePayload::new(Payload::from(stalled), deadline, Rc::clone(&clock));
        let first = futures_util::StreamExt::next(&mut payload).await;
        assert!(matches!(first, Some(Err(ref e)) if crate::body::deadline_passed(e)), "{first:?}");
        assert!(Instant::now() >= deadline);
        assert!(futures_util::StreamExt::next(&mut payload).await.is_none());
        assert_eq!(counted(&clock), (0, 1));
    }

    #[actix_web::test]
    async fn a_body_read_to_its_end_stops_the_clock() {
        let clock = Rc::new(clock());
        clock.bytes_read(Instant::now());
        let (mut sender, body) = actix_http::h1::Payload::create(false);
        sender.feed_data(web::Bytes::from_static(b"To=%2B33612345678"));
        sender.feed_eof();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut payload = DeadlinePayload::new(Payload::from(body), deadline, Rc::clone(&clock));
        let chunk = futures_util::StreamExt::next(&mut payload).await.unwrap().unwrap();
        assert_eq!(&chunk[..], b"To=%2B33612345678");
        assert!(futures_util::StreamExt::next(&mut payload).await.is_none());
        assert_eq!(clock.cut_at(), None);
    }
}
