//! Accepted connections: the per-IP limit, the open-connection gauges, and
//! the stream every connection is served through.
//!
//! [`Admission::admit`] runs on each accepted socket before any HTTP: a
//! client address already holding `server.max_connections_per_ip`
//! connections on that listener has the new one closed at once (counted in
//! `antirelou_connections_refused_total{reason="per_ip"}`), so it costs a
//! file descriptor for microseconds, not for the request timeout. Admitted
//! connections are served through an [`AdmittedStream`], which holds their
//! place in the counts until it is dropped and runs the connection's
//! [`RequestClock`] and [`WriteDeadline`].
//!
//! The client address is the TCP peer: `X-Forwarded-For` is never
//! trusted here (see docs/operations.md, "How the ingress should buffer
//! bodies").

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::rt::net::TcpStream;
use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::listeners::Listener;
use crate::request_deadline::{DeadlinePassed, RequestClock, RequestPart, TimeoutCounters};
use crate::write_deadline::WriteDeadline;

pub const CONNECTIONS_OPEN: &str = "antirelou_connections_open";
pub const CONNECTIONS_MAX: &str = "antirelou_connections_max";
pub const CONNECTIONS_REFUSED_TOTAL: &str = "antirelou_connections_refused_total";
pub const REQUESTS_TIMED_OUT_TOTAL: &str = "antirelou_requests_timed_out_total";

/// Why a connection was closed as soon as it was accepted (the `reason` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Its client address already held `server.max_connections_per_ip` connections.
    PerIp,
}

impl Refusal {
    pub const ALL: [Refusal; 1] = [Refusal::PerIp];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::PerIp => "per_ip",
        }
    }
}

/// The connection metric families.
#[derive(Clone)]
pub struct ConnectionMetrics {
    pub open: IntGaugeVec,
    pub max: IntGauge,
    pub refused: IntCounterVec,
    pub timed_out: IntCounterVec,
}

impl ConnectionMetrics {
    /// Creates and registers the families; every listener's series exist at 0.
    pub fn register(registry: &Registry, listeners: &[Listener]) -> Result<ConnectionMetrics, prometheus::Error> {
        let open = IntGaugeVec::new(Opts::new(CONNECTIONS_OPEN, "Open client connections."), &["listener"])?;
        let max = IntGauge::new(
            CONNECTIONS_MAX,
            "Connections the process serves at once (all listeners); more wait to be accepted.",
        )?;
        let refused = IntCounterVec::new(
            Opts::new(CONNECTIONS_REFUSED_TOTAL, "Connections closed as soon as they were accepted."),
            &["listener", "reason"],
        )?;
        let timed_out = IntCounterVec::new(
            Opts::new(REQUESTS_TIMED_OUT_TOTAL, "Requests whose head or body missed server.request_timeout_ms."),
            &["listener", "part"],
        )?;
        registry.register(Box::new(open.clone()))?;
        registry.register(Box::new(max.clone()))?;
        registry.register(Box::new(refused.clone()))?;
        registry.register(Box::new(timed_out.clone()))?;
        for listener in listeners {
            open.with_label_values(&[listener.as_str()]);
            for reason in Refusal::ALL {
                refused.with_label_values(&[listener.as_str(), reason.as_str()]);
            }
            for part in RequestPart::ALL {
                timed_out.with_label_values(&[listener.as_str(), part.as_str()]);
            }
        }
        Ok(ConnectionMetrics { open, max, refused, timed_out })
    }
}

/// Admits or refuses the connections of one listener.
pub struct Admission {
    peers: Arc<PeerCounts>,
    request_timeout: Duration,
    write_timeout: Duration,
    open: IntGauge,
    refused_per_ip: IntCounter,
    timeouts: TimeoutCounters,
}

impl Admission {
    /// `per_ip_limit` 0 means no per-IP limit.
    pub fn new(
        listener: Listener,
        per_ip_limit: usize,
        (request_timeout, write_timeout): (Duration, Duration),
        metrics: &ConnectionMetrics,
    ) -> Admission {
        let label = listener.as_str();
        Admission {
            peers: Arc::new(PeerCounts { limit: per_ip_limit, counts: Mutex::new(HashMap::new()) }),
            request_timeout,
            write_timeout,
            open: metrics.open.with_label_values(&[label]),
            refused_per_ip: metrics.refused.with_label_values(&[label, Refusal::PerIp.as_str()]),
            timeouts: TimeoutCounters {
                head: metrics.timed_out.with_label_values(&[label, RequestPart::Head.as_str()]),
                body: metrics.timed_out.with_label_values(&[label, RequestPart::Body.as_str()]),
                response: metrics.timed_out.with_label_values(&[label, RequestPart::Response.as_str()]),
            },
        }
    }

    /// Takes an accepted socket in, or closes it (dropping it) when its
    /// client address is at its limit.
    pub fn admit(&self, stream: TcpStream) -> Result<(AdmittedStream, Option<SocketAddr>), Refusal> {
        let peer = stream.peer_addr().ok();
        let slot = match peer {
            Some(peer) => Some(PeerCounts::enter(&self.peers, peer.ip()).ok_or_else(|| {
                self.refused_per_ip.inc();
                Refusal::PerIp
            })?),
            None => None,
        };
        // Answers are small and written at once: no reason to wait for more.
        let _ = stream.set_nodelay(true);
        self.open.inc();
        let clock = Rc::new(RequestClock::new(self.request_timeout, self.timeouts.clone()));
        let place = Place { open: self.open.clone(), _peer: slot };
        let writes = WriteDeadline::new(self.write_timeout, self.timeouts.response.clone());
        Ok((AdmittedStream { io: stream, clock, cut: None, writes, _place: place }, peer))
    }
}

/// An admitted connection: the socket, its request clock, its write
/// deadline, and its place in the counts (given back when dropped, that is
/// when the connection closes).
pub struct AdmittedStream {
    io: TcpStream,
    clock: Rc<RequestClock>,
    cut: Option<(Instant, Pin<Box<Sleep>>)>,
    writes: WriteDeadline,
    _place: Place,
}

impl AdmittedStream {
    /// The connection's request clock (given to its requests as connection data).
    pub fn clock(&self) -> Rc<RequestClock> {
        Rc::clone(&self.clock)
    }

    /// `Ready` once the request being read has outlived its deadline and grace.
    fn poll_cut(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(at) = self.clock.cut_at() else {
            self.cut = None;
            return Poll::Pending;
        };
        if self.cut.as_ref().is_none_or(|(armed, _)| *armed != at) {
            self.cut = Some((at, Box::pin(tokio::time::sleep_until(at))));
        }
        match &mut self.cut {
            Some((_, sleep)) => sleep.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

impl AsyncRead for AdmittedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.clock.bytes_read(Instant::now());
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => {
                // Waiting for more of a request: past its deadline and
                // grace, the connection ends (the dispatcher drops it).
                if this.poll_cut(cx).is_ready() {
                    this.clock.cut();
                    return Poll::Ready(Err(DeadlinePassed::io_error()));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for AdmittedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        let written = this.writes.after(cx, written);
        if let Poll::Ready(Ok(n)) = written {
            if n > 0 {
                this.clock.bytes_written(&buf[..n]);
            }
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        let written = this.writes.after(cx, written);
        if let Poll::Ready(Ok(n)) = written {
            if n > 0 {
                let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
                this.clock.bytes_written(&first[..first.len().min(n)]);
            }
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Open connections per client address on one listener.
struct PeerCounts {
    /// 0: no limit (the counts are not kept).
    limit: usize,
    counts: Mutex<HashMap<IpAddr, usize>>,
}

impl PeerCounts {
    /// A place for one more connection from `ip`, or `None` at the limit.
    fn enter(peers: &Arc<PeerCounts>, ip: IpAddr) -> Option<PeerSlot> {
        if peers.limit == 0 {
            return Some(PeerSlot { peers: None, key: ip });
        }
        let key = crate::client_address::block_of(ip);
        let mut counts = peers.lock();
        let count = counts.entry(key).or_insert(0);
        if *count >= peers.limit {
            return None;
        }
        *count += 1;
        Some(PeerSlot { peers: Some(Arc::clone(peers)), key })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // A panic while holding this lock cannot leave a count half-written.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One connection's place in its address's count.
struct PeerSlot {
    peers: Option<Arc<PeerCounts>>,
    key: IpAddr,
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let Some(peers) = &self.peers else { return };
        let mut counts = peers.lock();
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// One connection's place in the open gauge and its address's count.
struct Place {
    open: IntGauge,
    _peer: Option<PeerSlot>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.open.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(limit: usize) -> Arc<PeerCounts> {
        Arc::new(PeerCounts { limit, counts: Mutex::new(HashMap::new()) })
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_gets_its_limit_and_its_places_back_when_they_close() {
        let peers = peers(2);
        let a = PeerCounts::enter(&peers, ip("203.0.113.7")).unwrap();
        let b = PeerCounts::enter(&peers, ip("203.0.113.7")).unwrap();
        assert!(PeerCounts::enter(&peers, ip("203.0.113.7")).is_none(), "third from the same address");
        let other = PeerCounts::enter(&peers, ip("203.0.113.8")).unwrap();
        drop(a);
        let c = PeerCounts::enter(&peers, ip("203.0.113.7")).unwrap();
        drop((b, c, other));
        assert!(peers.lock().is_empty(), "no entry outlives its connections");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let peers = peers(1);
        let _first = PeerCounts::enter(&peers, ip("2001:db8:1:2::1")).unwrap();
        assert!(PeerCounts::enter(&peers, ip("2001:db8:1:2::2")).is_none());
        assert!(PeerCounts::enter(&peers, ip("2001:db8:1:3::1")).is_some());
    }

    #[test]
    fn without_a_limit_nothing_is_counted_or_refused() {
        let peers = peers(0);
        let places: Vec<_> = (0..1_000).map(|_| PeerCounts::enter(&peers, ip("203.0.113.7")).unwrap()).collect();
        assert_eq!(places.len(), 1_000);
        assert!(peers.lock().is_empty());
    }

    #[test]
    fn every_listener_has_its_series_at_zero_from_the_start() {
        let registry = Registry::new();
        ConnectionMetrics::register(&registry, &[Listener::Main, Listener::Metrics]).unwrap();
        let families = registry.gather();
        let series = |name: &str| families.iter().find(|f| f.name() == name).map_or(0, |f| f.get_metric().len());
        assert_eq!(series(CONNECTIONS_OPEN), 2);
        assert_eq!(series(CONNECTIONS_REFUSED_TOTAL), 2);
        assert_eq!(series(REQUESTS_TIMED_OUT_TOTAL), 6);
        assert_eq!(series(CONNECTIONS_MAX), 1);
    }
}
