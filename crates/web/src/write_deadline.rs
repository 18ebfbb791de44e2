//! The write deadline: an answer the client stops reading is cut after
//! `server.write_timeout_ms` without a byte taken. A download whose reader
//! stalls (the socket's buffers full, nothing read) would otherwise hold
//! its connection, its CSV slot and its ledger cursor for as long as the
//! client likes. Each connection's stream (`connections::AdmittedStream`)
//! keeps one [`WriteDeadline`]: a write the socket cannot take arms it, a
//! byte taken disarms it; past it the write fails, actix drops the
//! connection and with it the answer being streamed. Counted in
//! `antirelou_requests_timed_out_total{part="response"}`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use prometheus::IntCounter;
use tokio::time::{Instant, Sleep};

/// The error a write fails with once the deadline passed.
#[derive(Debug, thiserror::Error)]
#[error("the client took none of the answer within server.write_timeout_ms")]
pub struct WriteStalled;

/// One connection's write deadline.
pub struct WriteDeadline {
    timeout: Duration,
    /// Since when the socket has taken nothing, and the timer that wakes
    /// the connection when the deadline passes.
    armed: Option<(Instant, Pin<Box<Sleep>>)>,
    cut: IntCounter,
}

impl WriteDeadline {
    pub fn new(timeout: Duration, cut: IntCounter) -> WriteDeadline {
        WriteDeadline { timeout, armed: None, cut }
    }

    /// What a write that returned `written` (bytes taken) becomes: bytes
    /// taken disarm the deadline; a write the socket could not take arms it
    /// (from the first such write) and, once it has passed, fails.
    pub fn after(&mut self, cx: &mut Context<'_>, written: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        self.after_at(cx, written, Instant::now())
    }

    fn after_at(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
        now: Instant,
    ) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(n)) if n > 0 => {
                self.armed = None;
                Poll::Ready(Ok(n))
            }
            Poll::Pending => {
                let timeout = self.timeout;
                let (since, wake) =
                    self.armed.get_or_insert_with(|| (now, Box::pin(tokio::time::sleep_until(now + timeout))));
                if now >= *since + timeout {
                    self.armed = None;
                    self.cut.inc();
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, WriteStalled)));
                }
                // Wakes the connection at the deadline, to fail the write then.
                let _ = wake.as_mut().poll(cx);
                Poll::Pending
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::task::noop_waker_ref;

    #[tokio::test]
    async fn a_write_never_taken_fails_after_the_timeout_and_a_byte_taken_starts_it_again() {
        let cut = IntCounter::new("cut", "cut").unwrap();
        let mut deadline = WriteDeadline::new(Duration::from_secs(30), cut.clone());
        let mut cx = Context::from_waker(noop_waker_ref());
        let t0 = Instant::now();
        let at = |seconds: u64| t0 + Duration::from_secs(seconds);
        assert!(deadline.after_at(&mut cx, Poll::Pending, at(0)).is_pending());
        assert!(deadline.after_at(&mut cx, Poll::Pending, at(29)).is_pending());
        let taken = deadline.after_at(&mut cx, Poll::Ready(Ok(1)), at(29));
        assert!(matches!(taken, Poll::Ready(Ok(1))), "a byte taken");
        assert!(deadline.after_at(&mut cx, Poll::Pending, at(40)).is_pending(), "armed again from 40 s");
        assert!(deadline.after_at(&mut cx, Poll::Pending, at(69)).is_pending());
        let failed = deadline.after_at(&mut cx, Poll::Pending, at(70));
        assert!(matches!(failed, Poll::Ready(Err(ref e)) if e.kind() == io::ErrorKind::TimedOut), "{failed:?}");
        assert_eq!(cut.get(), 1);
    }
}
