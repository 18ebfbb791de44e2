//! `[ledger]` (where spend is recorded, in which currency and timezone, and
//! the deployment cap) and `[privacy]` (the key that hashes senders).

use std::fmt;
use std::path::PathBuf;

use antirelou_domain::{Money, SenderHasher};
use chrono_tz::Tz;

use crate::check::{join, Check};
use crate::node::{self, Node};
use crate::raw::{RawLedger, RawPrivacy};
use crate::secret::{self, Secret};
use crate::server::positive;

/// Minimum length of `privacy.sender_key`.
pub(crate) const MIN_SENDER_KEY_BYTES: usize = 16;

/// `[ledger]`.
#[derive(Clone, Debug)]
pub struct LedgerSettings {
    pub backend: LedgerBackend,
    /// ISO 4217 code of every amount (three uppercase letters). Default `EUR`.
    pub currency: String,
    /// Where days and months begin and end, for caps. Default `Europe/Paris`.
    pub timezone: Tz,
    /// Cap on the whole deployment's spend per month.
    pub monthly_cap: Option<Money>,
}

/// `ledger.backend`: `embedded` (SQLite file, one replica) or `redis` (shared
/// by several replicas).
#[derive(Clone)]
pub enum LedgerBackend {
    Embedded {
        /// `ledger.path`, default `data/ledger.sqlite3` (relative to the working directory).
        path: PathBuf,
    },
    Redis {
        /// `ledger.redis_url`: `redis://`, `rediss://` (TLS), `redis+unix://` or `unix://`.
        url: String,
        /// `ledger.key_prefix`, default `antirelou`.
        key_prefix: String,
        /// `ledger.redis_connect_timeout_ms`, default 1000.
        connect_timeout_ms: u64,
        /// `ledger.redis_response_timeout_ms`, default 500.
        response_timeout_ms: u64,
    },
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

/// `[privacy]`.
#[derive(Clone, Debug)]
pub struct PrivacySettings {
    /// HMAC key that turns a sender's number into a `SenderKey` (at least 16 bytes).
    pub sender_key: Secret,
    /// The hasher built from `sender_key`.
    pub hasher: SenderHasher,
}

pub(crate) fn ledger(check: &mut Check<'_>, raw: RawLedger) -> Option<LedgerSettings> {
    const T: &str = "ledger";
    check.unknown_keys(T, &raw.unknown, RawLedger::KEYS);
    let env = check.env();
    let backend_name = check.or(&join(T, "backend"), raw.backend, "embedded".to_owned(), |n| {
        let text = node::text(n)?;
        match text.trim() {
            name @ ("embedded" | "redis") => Ok(name.to_owned()),
            _ => Err(format!("expected \"embedded\" or \"redis\", got {text:?}")),
        }
    });
    let backend = match backend_name.as_deref() {
        Some("redis") => {
            let url = check.required(&join(T, "redis_url"), raw.redis_url, |n| {
                // The URL may hold a password, so it may also come from a secret.
                redis_url(secret::resolve(env, n)?)
            });
            let key_prefix = check.or(&join(T, "key_prefix"), raw.key_prefix, "antirelou".to_owned(), key_prefix);
            let connect =
                check.or(&join(T, "redis_connect_timeout_ms"), raw.redis_connect_timeout_ms, 1_000, positive::<u64>);
            let response =
                check.or(&join(T, "redis_response_timeout_ms"), raw.redis_response_timeout_ms, 500, positive::<u64>);
            match (url, key_prefix, connect, response) {
                (Some(url), Some(key_prefix), Some(connect_timeout_ms), Some(response_timeout_ms)) => {
                    Some(LedgerBackend::Redis { url, key_prefix, connect_timeout_ms, response_timeout_ms })
                }
                _ => None,
            }
        }
        Some(_) => check
            .or(&join(T, "path"), raw.path, "data/ledger.sqlite3".to_owned(), |n| {
                let text = node::text(n)?;
                if text.trim().is_empty() {
                    return Err("must not be empty".to_owned());
                }
                Ok(text)
            })
            .map(|path| LedgerBackend::Embedded { path: PathBuf::from(path) }),
        None => None,
    };
    let currency = check.or(&join(T, "currency"), raw.currency, "EUR".to_owned(), |n| {
        let text = node::text(n)?;
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(text)
        } else {
            Err(format!("expected an ISO 4217 code of three uppercase letters such as \"EUR\", got {text:?}"))
        }
    });
    let timezone = check.or(&join(T, "timezone"), raw.timezone, chrono_tz::Europe::Paris, |n| {
        let text = node::text(n)?;
        text.trim()
            .parse::<Tz>()
            .map_err(|_| format!("unknown time zone {text:?} (use an IANA name such as \"Europe/Paris\")"))
    });
    let monthly_cap = check.optional(&join(T, "monthly_cap"), raw.monthly_cap, node::positive_money);
    Some(LedgerSettings { backend: backend?, currency: currency?, timezone: timezone?, monthly_cap: monthly_cap? })
}

pub(crate) fn privacy(check: &mut Check<'_>, raw: RawPrivacy) -> Option<PrivacySettings> {
    const T: &str = "privacy";
    check.unknown_keys(T, &raw.unknown, RawPrivacy::KEYS);
    let env = check.env();
    let sender_key = check
        .required(&join(T, "sender_key"), raw.sender_key, |n| secret::resolve_strong(env, n, MIN_SENDER_KEY_BYTES))?;
    let hasher = SenderHasher::new(sender_key.expose().as_bytes());
    Some(PrivacySettings { sender_key, hasher })
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
    let text = node::text(n)?;
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
