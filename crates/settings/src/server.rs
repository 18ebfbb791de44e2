//! `[server]` and `[log]`: where the process listens, the URL providers sign,
//! the limits on connections, requests and actors, and how it logs.

use std::net::SocketAddr;

use crate::check::{join, Check};
use crate::node::Node;
use crate::read::{base_url, duration_at_least, positive, positive_duration, socket_address, text, timeout_ms, whole};
use crate::secret::{token, Secret};

section! {
    /// `[server]`.
    #[derive(Clone, Debug)]
    pub struct ServerSettings in "[server]" {
        /// `host:port` to bind, checked to parse as a `SocketAddr`. Default `0.0.0.0:8080`.
        listen: String = or("0.0.0.0:8080".to_owned(), socket_address),
        /// The public base URL providers call and sign (`http(s)://...`, no
        /// trailing slash, no query); webhook URLs are this plus their path.
        public_url: String = required(base_url),
        /// When set, the admin API (`/v1/*`) and the console (`/console/*`)
        /// are served on this address and not on `listen`.
        admin_listen: Option<String> = optional(socket_address),
        /// When set, `/metrics` is served on this address and not on `listen`.
        metrics_listen: Option<String> = optional(socket_address),
        /// When set, the console (`/console/*`) and the tenants' admin API
        /// (`/v1/*`) are also served on this address, where the operator
        /// token is refused: the address a public proxy forwards to.
        console_listen: Option<String> = optional(socket_address),
        /// How long a webhook waits for its number's decision. Default 2000.
        decision_timeout_ms: u64 = or(2_000, timeout_ms),
        /// The whole request, head and body, must arrive within this (a
        /// guard against slow bodies). Default 5000.
        request_timeout_ms: u64 = or(5_000, timeout_ms),
        /// An answer the client stops reading is cut after this long without
        /// taking a byte (a stalled download ends and frees its slot). Default 30000.
        write_timeout_ms: u64 = or(30_000, timeout_ms),
        /// Bounded mailbox size of each number actor (> 0). Default 1024.
        mailbox_capacity: usize = or(1_024, positive::<usize>),
        /// Ledger calls one number may have pending before new candidates are
        /// shed as `overloaded` (> 0). Default 1024.
        max_pending_ledger_calls: usize = or(1_024, positive::<usize>),
        /// Open connections one process accepts (> 0). Default 10000.
        max_connections: usize = or(10_000, positive::<usize>),
        /// Open connections from one IP address; 0 means no limit. Default 256.
        max_connections_per_ip: usize = or(256, whole::<usize>),
        /// Actor arbiters (threads); 0 means one per core. Default 0.
        arbiters: usize = or(0, whole::<usize>),
        /// Bearer token of the operator admin API; `None` disables it.
        operator_token: Option<Secret> = optional(token()),
        /// Grace period for in-flight decisions at shutdown. Default 30.
        shutdown_timeout_seconds: u64 = or(30, whole::<u64>),
        /// How long a console login lasts. Default 12 hours.
        console_session_ttl_seconds as "console_session_ttl": u64 = or(DEFAULT_CONSOLE_SESSION_TTL_SECONDS, positive_duration),
        /// How long the parts of a long SMS wait for the rest (Vonage), at
        /// least 10 seconds. Default 10 minutes.
        long_sms_hold_seconds as "long_sms_hold": u64 = or(600, duration_at_least(10, "10s")),
    }
    check distinct_addresses;
}

section! {
    /// `[log]`.
    #[derive(Clone, Debug)]
    pub struct LogSettings in "[log]" {
        /// `pretty` (default) or `json`.
        format: LogFormat = or(LogFormat::Pretty, log_format),
        /// A `tracing` filter directive such as `info` or `antirelou=debug,info`. Default `info`.
        level: String = or("info".to_owned(), log_level),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Default `console_session_ttl`: 12 hours, a working day.
pub const DEFAULT_CONSOLE_SESSION_TTL_SECONDS: u64 = 12 * 3_600;

/// Two of `listen`, `admin_listen`, `metrics_listen` and `console_listen` that would bind the
/// same port (port 0, "any free port", never clashes).
fn distinct_addresses(server: &ServerSettings, path: &str, check: &mut Check<'_>) {
    let addresses = [
        ("listen", Some(&server.listen)),
        ("admin_listen", server.admin_listen.as_ref()),
        ("metrics_listen", server.metrics_listen.as_ref()),
        ("console_listen", server.console_listen.as_ref()),
    ];
    let parsed: Vec<(&str, SocketAddr)> =
        addresses.iter().filter_map(|(key, text)| Some((*key, (*text)?.parse::<SocketAddr>().ok()?))).collect();
    for (i, (key, address)) in parsed.iter().enumerate() {
        let clash = parsed[..i].iter().find(|(_, earlier)| clashes(*earlier, *address));
        if let Some((earlier, _)) = clash {
            check.problem(
                join(path, key),
                format!("{address} would bind the same port as {}: give each its own port", join(path, earlier)),
            );
        }
    }
}

/// Whether binding both addresses would fail: same port, and the same IP or a wildcard.
fn clashes(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() != 0 && a.port() == b.port() && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

fn log_format(n: Node) -> Result<LogFormat, String> {
    let text = text(n)?;
    match text.trim().to_ascii_lowercase().as_str() {
        "pretty" => Ok(LogFormat::Pretty),
        "json" => Ok(LogFormat::Json),
        _ => Err(format!("expected \"pretty\" or \"json\", got {text:?}")),
    }
}

fn log_level(n: Node) -> Result<String, String> {
    let text = text(n)?;
    if text.trim().is_empty() {
        return Err("must not be empty (e.g. \"info\")".to_owned());
    }
    Ok(text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_clash_on_the_same_port_of_the_same_or_a_wildcard_ip() {
        assert!(clashes(address("0.0.0.0:8080"), address("127.0.0.1:8080")));
        assert!(clashes(address("127.0.0.1:9090"), address("127.0.0.1:9090")));
        assert!(!clashes(address("127.0.0.1:8080"), address("10.0.0.1:8080")));
        assert!(!clashes(address("127.0.0.1:8080"), address("127.0.0.1:9090")));
        assert!(!clashes(address("127.0.0.1:0"), address("127.0.0.1:0")));
    }
}
