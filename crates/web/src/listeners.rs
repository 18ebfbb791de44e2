//! The listeners: `server.listen` (webhooks), and optionally
//! `server.admin_listen` (`/v1/*`, `/console/*`), `server.metrics_listen`
//! (`/metrics`) and `server.console_listen` (`/console/*` and `/v1/*` for
//! the collectives, without the operator token: the public side), so that a
//! network policy or a proxy can open each to whom needs it.
//!
//! Every listener runs the same routes; [`only_own_paths`] answers `404` to
//! a path that belongs to another listener. Which listener owns a path is
//! decided by [`owner`], on the path the router matches (percent-decoded),
//! so an encoded `/%76%31/numbers` is the admin API's too; the console
//! listener serves the console's and the API's paths besides their owner
//! ([`serves`]), and [`operator_welcome`] tells the routes where the
//! operator token is refused.

use std::net::{SocketAddr, TcpListener};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use antirelou_settings::ServerSettings;

/// Connections waiting to be accepted, per listener, while every worker is
/// at its connection limit (the kernel caps it at `net.core.somaxconn`).
const LISTEN_BACKLOG: i32 = 2_048;

/// One of the addresses the process listens on (the `listener` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Listener {
    /// `server.listen`: webhooks, and what the others do not take.
    Main,
    /// `server.admin_listen`: the admin API and the console.
    Admin,
    /// `server.metrics_listen`: `/metrics`.
    Metrics,
    /// `server.console_listen`: the console and the collectives' API, no operator token.
    Console,
}

impl Listener {
    pub const ALL: [Listener; 4] = [Listener::Main, Listener::Admin, Listener::Metrics, Listener::Console];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Listener::Main => "main",
            Listener::Admin => "admin",
            Listener::Metrics => "metrics",
            Listener::Console => "console",
        }
    }

    /// The settings key of its address.
    pub const fn key(self) -> &'static str {
        match self {
            Listener::Main => "server.listen",
            Listener::Admin => "server.admin_listen",
            Listener::Metrics => "server.metrics_listen",
            Listener::Console => "server.console_listen",
        }
    }
}

/// Which optional listeners are configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ListenerSplit {
    pub admin: bool,
    pub metrics: bool,
}

impl ListenerSplit {
    pub fn from_settings(server: &ServerSettings) -> ListenerSplit {
        ListenerSplit { admin: server.admin_listen.is_some(), metrics: server.metrics_listen.is_some() }
    }
}

/// Whether `path` is the console's or the admin API's.
fn is_console_path(path: &str) -> bool {
    let under = |prefix: &str| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    under("/v1") || under("/console")
}

/// Whether `listener` serves `path`: its owner does, every listener serves
/// the health checks, and the console listener serves the console's and the
/// API's paths too.
pub fn serves(listener: Listener, path: &str, split: ListenerSplit) -> bool {
    match owner(path, split) {
        None => true,
        Some(owner) => owner == listener || (listener == Listener::Console && is_console_path(path)),
    }
}

/// Whether the operator token is accepted on the listener `request` came
/// in on: everywhere but `server.console_listen`, the public side.
pub fn operator_welcome(request: &actix_web::HttpRequest) -> bool {
    request.app_data::<Serves>().is_none_or(|serves| serves.listener != Listener::Console)
}

/// The listener that serves `path`; `None` for the paths every listener
/// serves (`/healthz`, `/readyz`).
pub fn owner(path: &str, split: ListenerSplit) -> Option<Listener> {
    let under = |prefix: &str| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if path == "/healthz" || path == "/readyz" {
        None
    } else if split.admin && is_console_path(path) {
        Some(Listener::Admin)
    } else if split.metrics && under("/metrics") {
        Some(Listener::Metrics)
    } else {
        Some(Listener::Main)
    }
}

/// What one listener's application serves (its app data).
#[derive(Clone, Copy, Debug)]
pub struct Serves {
    pub listener: Listener,
    pub split: ListenerSplit,
}

/// Middleware of every listener: `404` for a path another listener owns.
pub async fn only_own_paths(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let serves = request.app_data::<Serves>().copied();
    // The path the router matches: percent-decoded like the routes see it.
    let path = request.match_info().as_str();
    let foreign = serves.is_some_and(|s| !self::serves(s.listener, path, s.split));
    if foreign {
        return Ok(request.into_response(HttpResponse::NotFound().finish()).map_into_right_body());
    }
    next.call(request).await.map(ServiceResponse::map_into_left_body)
}

/// The bound sockets, before the server runs.
pub struct BoundListeners {
    pub main: (TcpListener, SocketAddr),
    pub admin: Option<(TcpListener, SocketAddr)>,
    pub metrics: Option<(TcpListener, SocketAddr)>,
    pub console: Option<(TcpListener, SocketAddr)>,
}

/// Why a listener could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {address} ({key}): {source}")]
pub struct BindError {
    pub key: &'static str,
    pub address: String,
    #[source]
    pub source: std::io::Error,
}

impl BoundListeners {
    /// Binds every configured address (port 0 picks a free port).
    pub fn bind(server: &ServerSettings) -> Result<BoundListeners, BindError> {
        let optional = |listener: Listener, address: &Option<String>| {
            address.as_deref().map(|address| bind(listener, address)).transpose()
        };
        Ok(BoundListeners {
            main: bind(Listener::Main, &server.listen)?,
            admin: optional(Listener::Admin, &server.admin_listen)?,
            metrics: optional(Listener::Metrics, &server.metrics_listen)?,
            console: optional(Listener::Console, &server.console_listen)?,
        })
    }

    /// The roles of the bound listeners.
    pub fn each_role(&self) -> impl Iterator<Item = Listener> {
        [
            Some(Listener::Main),
            self.admin.as_ref().map(|_| Listener::Admin),
            self.metrics.as_ref().map(|_| Listener::Metrics),
            self.console.as_ref().map(|_| Listener::Console),
        ]
        .into_iter()
        .flatten()
    }

    /// Each bound listener with its role.
    pub fn each(self) -> impl Iterator<Item = (Listener, TcpListener, SocketAddr)> {
        let BoundListeners { main, admin, metrics, console } = self;
        [
            Some((Listener::Main, main)),
            admin.map(|a| (Listener::Admin, a)),
            metrics.map(|m| (Listener::Metrics, m)),
            console.map(|c| (Listener::Console, c)),
        ]
        .into_iter()
        .flatten()
        .map(|(listener, (socket, address))| (listener, socket, address))
    }
}

/// Binds like actix does (address reuse) with our backlog.
fn bind(listener: Listener, address: &str) -> Result<(TcpListener, SocketAddr), BindError> {
    let error = |source| BindError { key: listener.key(), address: address.to_owned(), source };
    let parsed: SocketAddr =
        address.parse().map_err(|_| error(std::io::Error::other("not an IP address and a port")))?;
    let socket =
        socket2::Socket::new(socket2::Domain::for_address(parsed), socket2::Type::STREAM, None).map_err(error)?;
    socket.set_reuse_address(true).map_err(error)?;
    socket.bind(&parsed.into()).map_err(error)?;
    socket.listen(LISTEN_BACKLOG).map_err(error)?;
    let socket = TcpListener::from(socket);
    let local = socket.local_addr().map_err(error)?;
    Ok((socket, local))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: ListenerSplit = ListenerSplit { admin: true, metrics: true };

    #[test]
    fn without_optional_listeners_the_main_listener_serves_everything() {
        let none = ListenerSplit::default();
        for path in ["/webhooks/twilio", "/v1/numbers", "/console/login", "/metrics"] {
            assert_eq!(owner(path, none), Some(Listener::Main), "{path}");
        }
        assert_eq!(owner("/healthz", none), None);
    }

    #[test]
    fn the_admin_listener_owns_v1_and_console_and_nothing_that_only_starts_alike() {
        for path in ["/v1", "/v1/numbers", "/v1/tenants/paris/entries", "/console", "/console/", "/console/login"] {
            assert_eq!(owner(path, BOTH), Some(Listener::Admin), "{path}");
        }
        for path in ["/v10/numbers", "/consoles", "/webhooks/twilio", "/"] {
            assert_eq!(owner(path, BOTH), Some(Listener::Main), "{path}");
        }
    }

    #[test]
    fn the_metrics_listener_owns_metrics_and_health_is_everywhere() {
        assert_eq!(owner("/metrics", BOTH), Some(Listener::Metrics));
        assert_eq!(owner("/metrics", ListenerSplit { admin: true, metrics: false }), Some(Listener::Main));
        assert_eq!(owner("/v1/numbers", ListenerSplit { admin: false, metrics: true }), Some(Listener::Main));
        assert_eq!(owner("/healthz", BOTH), None);
        assert_eq!(owner("/readyz", BOTH), None);
    }

    #[test]
    fn the_console_listener_serves_the_console_and_the_api_and_nothing_else() {
        for split in [BOTH, ListenerSplit::default()] {
            for path in ["/v1/numbers", "/console/", "/console/login", "/healthz"] {
                assert!(serves(Listener::Console, path, split), "{path}");
            }
            for path in ["/webhooks/twilio", "/metrics", "/", "/v10/numbers", "/consoles"] {
                assert!(!serves(Listener::Console, path, split), "{path}");
            }
        }
        assert!(serves(Listener::Admin, "/v1/numbers", BOTH), "the operator keeps its listener");
        assert!(serves(Listener::Main, "/v1/numbers", ListenerSplit::default()));
        assert!(!serves(Listener::Main, "/v1/numbers", BOTH));
    }

    #[test]
    fn labels_and_keys_name_each_listener() {
        let labels: Vec<_> = Listener::ALL.iter().map(|l| (l.as_str(), l.key())).collect();
        assert_eq!(
            labels,
            [
                ("main", "server.listen"),
                ("admin", "server.admin_listen"),
                ("metrics", "server.metrics_listen"),
                ("console", "server.console_listen")
            ]
        );
    }

    #[test]
    fn a_busy_address_is_an_error_naming_its_key() {
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = busy.local_addr().unwrap().to_string();
        let error = bind(Listener::Admin, &address).unwrap_err();
        assert_eq!(error.key, "server.admin_listen");
        assert!(
            error.to_string().starts_with(&format!("cannot listen on {address} (server.admin_listen): ")),
            "{error}"
        );
    }
}
