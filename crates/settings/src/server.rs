//! `[server]` and `[log]`: where the process listens, the URL providers sign,
//! the actor system's limits, and how it logs.

use std::net::SocketAddr;

use crate::check::{join, Check};
use crate::node::{self, Node};
use crate::raw::{RawLog, RawServer};
use crate::secret::{self, Secret};

/// Minimum length of bearer tokens (`operator_token`, `admin_token`).
pub(crate) const MIN_TOKEN_BYTES: usize = 16;

/// `[server]`.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// `host:port` to bind, checked to parse as a `SocketAddr`. Default `0.0.0.0:8080`.
    pub listen: String,
    /// The public base URL providers call and sign (`http(s)://...`, no
    /// trailing slash, no query); webhook URLs are this plus their path.
    pub public_url: String,
    /// How long a webhook waits for its number's decision. Default 2000.
    pub decision_timeout_ms: u64,
    /// Bounded mailbox size of each number actor (> 0). Default 1024.
    pub mailbox_capacity: usize,
    /// Ledger calls one number may have pending before new candidates are
    /// shed as `overloaded` (> 0). Default 1024.
    pub max_pending_ledger_calls: usize,
    /// Actor arbiters (threads); 0 means one per core. Default 0.
    pub arbiters: usize,
    /// Bearer token of the operator admin API; `None` disables it.
    pub operator_token: Option<Secret>,
    /// Grace period for in-flight decisions at shutdown. Default 30.
    pub shutdown_timeout_seconds: u64,
}

/// `[log]`.
#[derive(Clone, Debug)]
pub struct LogSettings {
    /// `pretty` (default) or `json`.
    pub format: LogFormat,
    /// A `tracing` filter directive such as `info` or `antirelou=debug,info`. Default `info`.
    pub level: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

pub(crate) fn server(check: &mut Check<'_>, raw: RawServer) -> Option<ServerSettings> {
    const T: &str = "server";
    check.unknown_keys(T, &raw.unknown, RawServer::KEYS);
    let env = check.env();
    let listen = check.or(&join(T, "listen"), raw.listen, "0.0.0.0:8080".to_owned(), |n| {
        let text = node::text(n)?;
        text.trim()
            .parse::<SocketAddr>()
            .map_err(|_| format!("not an address and port such as \"0.0.0.0:8080\" or \"[::]:8080\": {text:?}"))?;
        Ok(text.trim().to_owned())
    });
    let public_url = check.required(&join(T, "public_url"), raw.public_url, |n| public_url(&node::text(n)?));
    let decision_timeout_ms =
        check.or(&join(T, "decision_timeout_ms"), raw.decision_timeout_ms, 2_000, positive::<u64>);
    let mailbox_capacity = check.or(&join(T, "mailbox_capacity"), raw.mailbox_capacity, 1_024, positive::<usize>);
    let max_pending_ledger_calls =
        check.or(&join(T, "max_pending_ledger_calls"), raw.max_pending_ledger_calls, 1_024, positive::<usize>);
    let arbiters = check.or(&join(T, "arbiters"), raw.arbiters, 0, node::whole::<usize>);
    let operator_token = check
        .optional(&join(T, "operator_token"), raw.operator_token, |n| secret::resolve_strong(env, n, MIN_TOKEN_BYTES));
    let shutdown_timeout_seconds =
        check.or(&join(T, "shutdown_timeout_seconds"), raw.shutdown_timeout_seconds, 30, node::whole::<u64>);
    let (
        Some(listen),
        Some(public_url),
        Some(decision_timeout_ms),
        Some(mailbox_capacity),
        Some(max_pending_ledger_calls),
        Some(arbiters),
        Some(operator_token),
        Some(shutdown_timeout_seconds),
    ) = (
        listen,
        public_url,
        decision_timeout_ms,
        mailbox_capacity,
        max_pending_ledger_calls,
        arbiters,
        operator_token,
        shutdown_timeout_seconds,
    )
    else {
        return None;
    };
    Some(ServerSettings {
        listen,
        public_url,
        decision_timeout_ms,
        mailbox_capacity,
        max_pending_ledger_calls,
        arbiters,
        operator_token,
        shutdown_timeout_seconds,
    })
}

pub(crate) fn log(check: &mut Check<'_>, raw: RawLog) -> Option<LogSettings> {
    const T: &str = "log";
    check.unknown_keys(T, &raw.unknown, RawLog::KEYS);
    let format = check.or(&join(T, "format"), raw.format, LogFormat::Pretty, |n| {
        let text = node::text(n)?;
        match text.trim().to_ascii_lowercase().as_str() {
            "pretty" => Ok(LogFormat::Pretty),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("expected \"pretty\" or \"json\", got {text:?}")),
        }
    });
    let level = check.or(&join(T, "level"), raw.level, "info".to_owned(), |n| {
        let text = node::text(n)?;
        if text.trim().is_empty() {
            return Err("must not be empty (e.g. \"info\")".to_owned());
        }
        Ok(text.trim().to_owned())
    });
    Some(LogSettings { format: format?, level: level? })
}

/// A whole number above zero.
pub(crate) fn positive<T>(n: Node) -> Result<T, String>
where
    T: TryFrom<i128> + std::fmt::Display + node::Bounded + Default + PartialEq,
{
    let value = node::whole::<T>(n)?;
    if value == T::default() {
        return Err("must be more than zero".to_owned());
    }
    Ok(value)
}

/// An `http://` or `https://` URL with a host and no whitespace.
pub(crate) fn http_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("expected an http:// or https:// URL, got {text:?}"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || text.chars().any(char::is_whitespace) {
        return Err(format!("not a URL with a host: {text:?}"));
    }
    Ok(text.to_owned())
}

/// The base URL providers sign: an http(s) URL without query or fragment,
/// trailing slashes removed.
fn public_url(text: &str) -> Result<String, String> {
    let url = http_url(text)?;
    if url.contains(['?', '#']) {
        return Err(format!("must not have a query or fragment: {url:?}"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_loses_its_trailing_slash_and_keeps_its_path() {
        assert_eq!(public_url("https://sms.example.org/"), Ok("https://sms.example.org".into()));
        assert_eq!(public_url("http://127.0.0.1:8080/antirelou"), Ok("http://127.0.0.1:8080/antirelou".into()));
        assert!(public_url("sms.example.org").is_err());
        assert!(public_url("https://").is_err());
        assert!(public_url("https://x.org/?a=b").is_err());
    }
}
