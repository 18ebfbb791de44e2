//! One actix server for every listener, with its connection limits.
//!
//! Built from actix's parts rather than `HttpServer` because every
//! connection must go through `connections::Admission` (the per-IP limit)
//! before any HTTP, and be served through its `AdmittedStream` (the request
//! deadline); the rest is what `HttpServer::listen` does.
//!
//! - `server.max_connections` is the process's: actix's limit is per worker,
//!   so each worker gets its share, and the whole is kept under the
//!   open-file limit (raised to its hard limit at start) minus
//!   [`FILES_RESERVED`], so that connections can never take the descriptors
//!   the ledger and the provider clients need. Connections beyond it wait
//!   in the listen backlog.
//! - The head of a connection's first request must arrive within
//!   `server.request_timeout_ms` (actix's `client_request_timeout`,
//!   answered `408`); everything else about the deadline is in
//!   `request_deadline`.
//! - Idle kept-alive connections are closed after [`KEEP_ALIVE`].

use std::num::NonZeroUsize;
use std::time::Duration;

use actix_http::{HttpServiceBuilder, KeepAlive};
use actix_server::Server;
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::AppConfig;
use actix_web::middleware::from_fn;
use actix_web::rt::net::TcpStream;
use actix_web::{web, App};
use antirelou_settings::ServerSettings;
use futures_util::future::ready;

use crate::connections::{Admission, AdmittedStream, ConnectionMetrics};
use crate::listeners::{only_own_paths, BoundListeners, ListenerSplit, Serves};
use crate::request_deadline;

/// How long an idle kept-alive connection stays open: longer than nginx's
/// default upstream `keepalive_timeout` (60 s), so that an ingress, not us,
/// closes the connections it pools (a request is never sent on a connection
/// we are closing), and short enough that idle connections do not pile up.
pub const KEEP_ALIVE: Duration = Duration::from_secs(65);

/// How long a closing connection may take to flush its last answer.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// File descriptors kept for everything but client connections: the SQLite
/// database and its journal, Redis and provider connections, the listeners,
/// the event loops, stdio.
pub const FILES_RESERVED: u64 = 256;

/// The connection limits actually in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub workers: usize,
    /// Each worker's share of `server.max_connections`.
    pub per_worker: usize,
    pub per_ip: usize,
    pub request_timeout: Duration,
    /// `server.write_timeout_ms`: an answer nobody reads is cut after it.
    pub write_timeout: Duration,
}

impl ConnectionLimits {
    /// The limits for `server`, `workers` workers and a process that may
    /// open `open_file_limit` files (`None`: unlimited).
    pub fn new(server: &ServerSettings, workers: usize, open_file_limit: Option<u64>) -> ConnectionLimits {
        let workers = workers.max(1);
        let budget = match open_file_limit {
            Some(limit) => {
                let allowed = usize::try_from(limit.saturating_sub(FILES_RESERVED)).unwrap_or(usize::MAX).max(1);
                server.max_connections.min(allowed)
            }
            None => server.max_connections,
        };
        ConnectionLimits {
            workers,
            per_worker: (budget / workers).max(1),
            per_ip: server.max_connections_per_ip,
            request_timeout: Duration::from_millis(server.request_timeout_ms),
            write_timeout: Duration::from_millis(server.write_timeout_ms),
        }
    }

    /// What this process serves at once, all listeners together.
    pub fn total(&self) -> usize {
        self.per_worker * self.workers
    }
}

/// actix's default worker count: one per available core.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, NonZeroUsize::get)
}

/// Raises the soft open-file limit to the hard one and returns the limit
/// in force (`None`: unlimited).
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current?;
    match limit.maximum {
        Some(hard) if hard > soft => {
            match setrlimit(Resource::Nofile, Rlimit { current: Some(hard), maximum: Some(hard) }) {
                Ok(()) => {
                    tracing::debug!(from = soft, to = hard, "raised the open-file limit");
                    Some(hard)
                }
                Err(_) => Some(soft),
            }
        }
        _ => Some(soft),
    }
}

/// Starts serving every bound listener with the application `routes`
/// configure (call inside an actix System).
pub fn start(
    bound: BoundListeners,
    routes: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    limits: ConnectionLimits,
    metrics: &ConnectionMetrics,
    split: ListenerSplit,
    shutdown_timeout_seconds: u64,
) -> std::io::Result<Server> {
    metrics.max.set(i64::try_from(limits.total()).unwrap_or(i64::MAX));
    let mut builder = Server::build()
        .workers(limits.workers)
        .max_concurrent_connections(limits.per_worker)
        .shutdown_timeout(shutdown_timeout_seconds);
    let graceful = builder.graceful_shutdown_signal();
    for (listener, socket, address) in bound.each() {
        let admission = std::sync::Arc::new(Admission::new(
            listener,
            limits.per_ip,
            (limits.request_timeout, limits.write_timeout),
            metrics,
        ));
        let routes = routes.clone();
        let graceful = graceful.clone();
        let serves = Serves { listener, split };
        builder = builder.listen(listener.as_str(), socket, move || {
            let app = App::new()
                .app_data(serves)
                .wrap(from_fn(only_own_paths))
                .wrap(from_fn(request_deadline::guard))
                .configure(routes.clone());
            let graceful = graceful.clone();
            // `AppConfig::default()`: only `ConnectionInfo` falls back on its
            // host, for a request without a `Host` header; nothing here uses it.
            let app = map_config(app.into_factory().map_err(|error| error.error_response()), |_| AppConfig::default());
            let http = HttpServiceBuilder::<AdmittedStream, _>::default()
                .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
                .client_request_timeout(limits.request_timeout)
                .client_disconnect_timeout(DISCONNECT_TIMEOUT)
                .local_addr(address)
                .graceful_shutdown_signal(move || {
                    let graceful = graceful.clone();
                    async move { graceful.notified().await }
                })
                .on_connect_ext(|stream: &AdmittedStream, data| {
                    data.insert(stream.clock());
                })
                .h1(app)
                .map_err(|_| ());
            let admission = std::sync::Arc::clone(&admission);
            fn_service(move |stream: TcpStream| ready(admission.admit(stream).map_err(|_| ()))).and_then(http)
        })?;
    }
    Ok(builder.run())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(max_connections: usize, per_ip: usize) -> ServerSettings {
        let mut server = antirelou_settings::Settings::demo(std::path::Path::new("unused")).server;
        server.max_connections = max_connections;
        server.max_connections_per_ip = per_ip;
        server.request_timeout_ms = 2_500;
        server
    }

    #[test]
    fn max_connections_is_shared_out_between_workers() {
        let limits = ConnectionLimits::new(&server(10_000, 256), 4, None);
        assert_eq!((limits.per_worker, limits.total(), limits.per_ip), (2_500, 10_000, 256));
        assert_eq!(limits.request_timeout, Duration::from_millis(2_500));
        let uneven = ConnectionLimits::new(&server(10, 0), 3, None);
        assert_eq!((uneven.per_worker, uneven.total()), (3, 9), "never more than configured");
        assert_eq!(ConnectionLimits::new(&server(1, 0), 2, None).per_worker, 1, "each worker serves at least one");
    }

    #[test]
    fn connections_stay_under_the_open_file_limit() {
        let limits = ConnectionLimits::new(&server(10_000, 256), 2, Some(1_024));
        assert_eq!(limits.total(), 768, "1,024 files minus {FILES_RESERVED} kept for the ledger and clients");
        assert_eq!(ConnectionLimits::new(&server(500, 256), 2, Some(1_024)).total(), 500);
        assert_eq!(ConnectionLimits::new(&server(500, 256), 2, Some(100)).total(), 2);
    }

    #[test]
    fn the_open_file_limit_is_raised_to_the_hard_limit() {
        let before = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        let raised = raise_open_file_limit();
        let after = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(raised, after.current);
        assert_eq!(after.current, before.maximum.or(before.current));
    }
}
