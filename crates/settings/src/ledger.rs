//! `[ledger]`: where spend is recorded (the backend and its keys), in which
//! currency and timezone, and the deployment's monthly cap.

use std::fmt;
use std::path::PathBuf;

use antirelou_domain::Money;
use chrono_tz::Tz;

use crate::check::Check;
use crate::node::Node;
use crate::read::{list, positive, positive_money, text, timeout_ms, whole};
use crate::secret::{secret, secret_text, Secret};

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
            /// Exactly one of `redis_url` and `redis_sentinels` is set.
            url as "redis_url": Option<String> = optional(secret_text(redis_url)),
            /// `ledger.redis_sentinels`: the Sentinels (`host:port`) that name
            /// the master, instead of `redis_url`.
            sentinels as "redis_sentinels": Vec<String> = or(Vec::new(), sentinel_addresses),
            /// `ledger.redis_master_name`: the master's name in the Sentinels'
            /// configuration; required with `redis_sentinels`.
            master_name as "redis_master_name": Option<String> = optional(master_name),
            /// `ledger.redis_password`: the password of the master and its
            /// replicas, with `redis_sentinels` (a secret).
            password as "redis_password": Option<Secret> = optional(secret()),
            /// `ledger.redis_sentinel_password`: the Sentinels' own password, if
            /// they ask for one (a secret).
            sentinel_password as "redis_sentinel_password": Option<Secret> = optional(secret()),
            /// `ledger.redis_replicas_to_ack`: Redis replicas that must hold a
            /// paid reply's debit before the reply is sent (`WAIT`). Default 1
            /// with `redis_sentinels`, 0 with `redis_url`.
            replicas_to_ack as "redis_replicas_to_ack": Option<u32> = optional(whole::<u32>),
            /// `ledger.redis_ack_timeout_ms`, default 100: how long a paid reply
            /// waits for those Redis replicas; past it the reply is sent all
            /// the same and replies are not waited for during a second.
            ack_timeout_ms as "redis_ack_timeout_ms": u64 = or(100, timeout_ms),
            /// `ledger.key_prefix`, default `antirelou`.
            key_prefix: String = or("antirelou".to_owned(), key_prefix),
            /// `ledger.redis_connect_timeout_ms`, default 1000.
            connect_timeout_ms as "redis_connect_timeout_ms": u64 = or(1_000, timeout_ms),
            /// `ledger.redis_response_timeout_ms`, default 500.
            response_timeout_ms as "redis_response_timeout_ms": u64 = or(500, timeout_ms),
        } check one_redis_target,
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
            LedgerBackend::Redis {
                url,
                sentinels,
                master_name,
                password,
                sentinel_password,
                replicas_to_ack,
                ack_timeout_ms,
                key_prefix,
                connect_timeout_ms,
                response_timeout_ms,
            } => f
                .debug_struct("Redis")
                .field("url", &url.as_deref().map(redact_password))
                .field("sentinels", sentinels)
                .field("master_name", master_name)
                .field("password", password)
                .field("sentinel_password", sentinel_password)
                .field("replicas_to_ack", replicas_to_ack)
                .field("ack_timeout_ms", ack_timeout_ms)
                .field("key_prefix", key_prefix)
                .field("connect_timeout_ms", connect_timeout_ms)
                .field("response_timeout_ms", response_timeout_ms)
                .finish(),
        }
    }
}

/// `redis_url` or `redis_sentinels` with `redis_master_name`, never both.
fn one_redis_target(backend: &LedgerBackend, path: &str, check: &mut Check<'_>) {
    let LedgerBackend::Redis { url, sentinels, master_name, password, sentinel_password, .. } = backend else {
        return;
    };
    let key = |name: &str| crate::check::join(path, name);
    match (url, sentinels.is_empty()) {
        (Some(_), false) => check.problem(
            key("redis_sentinels"),
            "set either redis_url (one Redis) or redis_sentinels (a master found through Sentinel), not both",
        ),
        (None, true) => check.problem(key("redis_url"), "required (or redis_sentinels with redis_master_name)"),
        (None, false) if master_name.is_none() => {
            check.problem(key("redis_master_name"), "required with redis_sentinels")
        }
        (Some(_), true) if master_name.is_some() || password.is_some() || sentinel_password.is_some() => check.warn(
            key("redis_master_name"),
            "redis_master_name, redis_password and redis_sentinel_password are only read with redis_sentinels \
             (with redis_url, the password is in the URL)",
        ),
        _ => {}
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

/// `host:port` of each Sentinel: a host name or an IP address, and a port.
fn sentinel_addresses(n: Node) -> Result<Vec<String>, String> {
    let items = list(n)?;
    if items.len() > 16 {
        return Err(format!("at most 16 Sentinels, got {}", items.len()));
    }
    items
        .into_iter()
        .map(|item| {
            let text = text(item)?;
            let text = text.trim();
            let valid = text.rsplit_once(':').is_some_and(|(host, port)| {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                !host.is_empty()
                    && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
                    && port.parse::<u16>().is_ok_and(|port| port > 0)
            });
            if valid {
                Ok(text.to_owned())
            } else {
                Err(format!("expected host:port such as \"10.0.0.1:26379\", got {text:?}"))
            }
        })
        .collect()
}

fn master_name(n: Node) -> Result<String, String> {
    let text = text(n)?;
    let valid = !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(text)
    } else {
        Err(format!("expected letters, digits, '_', '-' or '.' (as in the Sentinels' configuration), got {text:?}"))
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
            url: Some("redis://:hunter2@redis:6379".into()),
            sentinels: Vec::new(),
            master_name: None,
            password: Some(Secret::new("hunter3")),
            sentinel_password: None,
            replicas_to_ack: None,
            ack_timeout_ms: 100,
            key_prefix: "antirelou".into(),
            connect_timeout_ms: 1_000,
            response_timeout_ms: 500,
        };
        let shown = format!("{backend:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("hunter3"), "{shown}");
    }

    #[test]
    fn sentinels_are_host_and_port() {
        let list = |items: &[&str]| Node::List(items.iter().map(|i| Node::Text((*i).to_owned())).collect());
        assert_eq!(
            sentinel_addresses(list(&["10.0.0.1:26379", "sentinel-2.redis:26379"])),
            Ok(vec!["10.0.0.1:26379".to_owned(), "sentinel-2.redis:26379".to_owned()])
        );
        assert_eq!(sentinel_addresses(Node::Text("a:1, b:2".into())), Ok(vec!["a:1".to_owned(), "b:2".to_owned()]));
        assert!(sentinel_addresses(list(&["10.0.0.1"])).is_err());
        assert!(sentinel_addresses(list(&["redis://10.0.0.1:26379"])).is_err());
        assert!(sentinel_addresses(list(&[":26379"])).is_err());
        assert!(master_name(Node::Text("antirelou".into())).is_ok());
        assert!(master_name(Node::Text("my master".into())).is_err());
    }

    #[test]
    fn redis_urls_need_a_redis_scheme() {
        assert!(redis_url("redis://127.0.0.1:6379/0".into()).is_ok());
        assert!(redis_url("rediss://r.example.org:6380".into()).is_ok());
        assert!(redis_url("http://r.example.org".into()).is_err());
        assert!(redis_url("redis://".into()).is_err());
    }
}
