//! `[ledger]`: where spend is recorded (the backend and its keys), in which
//! currency and timezone, and the deployment's monthly cap.

use std::fmt;
use std::path::PathBuf;

use antirelou_domain::Money;
use chrono_tz::Tz;

use crate::node::Node;
use crate::read::{positive, positive_money, text, timeout_ms};
use crate::secret::secret_text;

section! {
    /// `[ledger]`.
    #[derive(Clone, Debug)]
    pub struct LedgerSettings in "[ledger]" {
        /// `backend` and the keys of that backend.
        backend: LedgerBackend = variant("embedded"),
        /// ISO 4217 code of every amount (three uppercase letters). Default `EUR`.
        currency: String = or("EUR".to_owned(), currency),
        /// Where days and months begin and end, for caps. Default `Europe/Paris`.
        timezone: Tz = or(chrono_tz::Europe::Paris, timezone),
        /// Cap on the whole deployment's spend per month.
        monthly_cap: Option<Money> = optional(positive_money),
        /// Changes a tenant's change history holds for each maker (its
        /// tokens, the operator); a further change is refused, the history
        /// is never shortened. Default 10000.
        audit_changes_per_tenant: usize = or(10_000, positive::<usize>),
    }
}

tagged! {
    /// `ledger.backend`: `embedded` (SQLite file, one replica) or `redis`
    /// (shared by several replicas). The keys of the backend not selected
    /// are ignored, so one file can carry both.
    #[derive(Clone)]
    pub enum LedgerBackend by "backend" in "[ledger]" {
        Embedded("embedded") in "[ledger]" {
            /// `ledger.path`, default `data/ledger.sqlite3` (relative to the working directory).
            path: PathBuf = or(PathBuf::from("data/ledger.sqlite3"), sqlite_path),
        },
        Redis("redis") in "[ledger]" {
            /// `ledger.redis_url`: `redis://`, `rediss://` (TLS), `redis+unix://` or `unix://`.
            /// The URL may hold a password, so it may also come from a secret.
            url as "redis_url": String = required(secret_text(redis_url)),
            /// `ledger.key_prefix`, default `antirelou`.
            key_prefix: String = or("antirelou".to_owned(), key_prefix),
            /// `ledger.redis_connect_timeout_ms`, default 1000.
            connect_timeout_ms as "redis_connect_timeout_ms": u64 = or(1_000, timeout_ms),
            /// `ledger.redis_response_timeout_ms`, default 500.
            response_timeout_ms as "redis_response_timeout_ms": u64 = or(500, timeout_ms),
        },
    }
}

impl LedgerBackend {
    /// `embedded` or `redis`, as written in the configuration.
    pub fn name(&self) -> &'static str {
        match self {
            LedgerBackend::Embedded { .. } => "embedded",
            LedgerBackend::Redis { .. } => "redis",
        }
    }
}

impl fmt::Debug for LedgerBackend {
    /// Hides a password in the Redis URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerBackend::Embedded { path } => f.debug_struct("Embedded").field("path", path).finish(),
            LedgerBackend::Redis { url, key_prefix, connect_timeout_ms, response_timeout_ms } => f
                .debug_struct("Redis")
                .field("url", &redact_password(url))
                .field("key_prefix", key_prefix)
                .field("connect_timeout_ms", connect_timeout_ms)
                .field("response_timeout_ms", response_timeout_ms)
                .finish(),
        }
    }
}

fn sqlite_path(n: Node) -> Result<PathBuf, String> {
    let text = text(n)?;
    if text.trim().is_empty() {
        return Err("must not be empty".to_owned());
    }
    Ok(PathBuf::from(text))
}

fn currency(n: Node) -> Result<String, String> {
    let text = text(n)?;
    if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(text)
    } else {
        Err(format!("expected an ISO 4217 code of three uppercase letters such as \"EUR\", got {text:?}"))
    }
}

fn timezone(n: Node) -> Result<Tz, String> {
    let text = text(n)?;
    text.trim()
        .parse::<Tz>()
        .map_err(|_| format!("unknown time zone {text:?} (use an IANA name such as \"Europe/Paris\")"))
}

fn redis_url(url: String) -> Result<String, String> {
    let url = url.trim().to_owned();
    let schemes = ["redis://", "rediss://", "redis+unix://", "unix://"];
    match schemes.iter().find(|s| url.starts_with(*s)) {
        Some(scheme) if url.len() > scheme.len() => Ok(url),
        _ => Err(format!("expected a redis:// or rediss:// URL, got {:?}", redact_password(&url))),
    }
}

fn key_prefix(n: Node) -> Result<String, String> {
    let text = text(n)?;
    let valid =
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.'));
    if valid {
        Ok(text)
    } else {
        Err(format!("expected letters, digits, ':', '_', '-' or '.' (no braces: the ledger adds its own hash tag), got {text:?}"))
    }
}

/// `redis://user:secret@host` → `redis://user:<redacted>@host`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &rest[..at];
    let user = userinfo.split_once(':').map_or("", |(user, _)| user);
    format!("{scheme}://{user}:<redacted>{}", &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_passwords_are_redacted_in_debug_output() {
        assert_eq!(redact_password("redis://:hunter2@redis:6379/0"), "redis://:<redacted>@redis:6379/0");
        assert_eq!(redact_password("rediss://app:hunter2@r.example.org"), "rediss://app:<redacted>@r.example.org");
        assert_eq!(redact_password("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
        let backend = LedgerBackend::Redis {
            url: "redis://:hunter2@redis:6379".into(),
            key_prefix: "antirelou".into(),
            connect_timeout_ms: 1_000,
            response_timeout_ms: 500,
        };
        assert!(!format!("{backend:?}").contains("hunter2"));
    }

    #[test]
    fn redis_urls_need_a_redis_scheme() {
        assert!(redis_url("redis://127.0.0.1:6379/0".into()).is_ok());
        assert!(redis_url("rediss://r.example.org:6380".into()).is_ok());
        assert!(redis_url("http://r.example.org".into()).is_err());
        assert!(redis_url("redis://".into()).is_err());
    }
}
