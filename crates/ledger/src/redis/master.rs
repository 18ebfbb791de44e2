//! Where the Redis ledger sends its commands: one fixed server
//! ([`RedisTarget::Url`]), or the master that Redis Sentinel names
//! ([`RedisTarget::Sentinel`]), found again whenever it is lost.
//!
//! With Sentinel the master is asked of the Sentinels at start, and again
//! when a call sees `READONLY` (the node was demoted), a lost or refused
//! connection or a timeout, when a Sentinel announces `+switch-master` for
//! our master name, and every few seconds. A node is taken as the master
//! only if it says so itself (`ROLE`), so a Sentinel that lies or lags is
//! not followed to a replica. A redis-rs `ConnectionManager` reconnects to
//! one address for ever (redis-rs issue 1438: it keeps talking to a demoted
//! master), so a new master gets a new one; the events subscription moves
//! with it ([`Master::changes`]). Calls made while there is no master fail:
//! the caller fails closed.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSubStream};
use ::redis::{AsyncConnectionConfig, Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};
use ::redis::{ErrorKind, RedisError, ServerErrorKind, Value};
use futures_util::StreamExt;
use tokio::sync::{watch, Notify};

use crate::LedgerError;

/// How often the Sentinels are asked anyway, besides errors and announcements.
const CHECK_EVERY: Duration = Duration::from_secs(5);
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// What the ledger connects to.
#[derive(Clone, Debug)]
pub enum RedisTarget {
    /// One Redis (or a proxy), `redis://…`.
    Url(String),
    /// The master a set of Sentinels names.
    Sentinel(SentinelTarget),
}

/// Redis Sentinel: who to ask, for which master, with which passwords.
#[derive(Clone)]
pub struct SentinelTarget {
    /// `host:port` of each Sentinel.
    pub sentinels: Vec<String>,
    /// The master's name in the Sentinels' configuration.
    pub master_name: String,
    /// The password of the master and its replicas.
    pub password: Option<String>,
    /// The Sentinels' own password.
    pub sentinel_password: Option<String>,
}

impl std::fmt::Debug for SentinelTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentinelTarget")
            .field("sentinels", &self.sentinels)
            .field("master_name", &self.master_name)
            .finish_non_exhaustive()
    }
}

/// The node commands go to now.
#[derive(Clone)]
pub(crate) struct Node {
    pub client: Client,
    pub manager: ConnectionManager,
    /// `host:port` as Sentinel named it; empty for a URL.
    pub address: String,
}

/// The current node, and how to find the next one.
pub(crate) struct Master {
    sentinel: Option<SentinelTarget>,
    node: RwLock<Node>,
    lost: Notify,
    changes: watch::Sender<u64>,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl Master {
    /// Connects to the URL, or to the master the Sentinels name.
    pub async fn open(
        target: RedisTarget,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Result<Master, LedgerError> {
        let (sentinel, client, address) = match target {
            RedisTarget::Url(url) => (None, Client::open(url.as_str())?, String::new()),
            RedisTarget::Sentinel(sentinel) => {
                let (client, address) = find(&sentinel, connect_timeout, response_timeout).await?;
                (Some(sentinel), client, address)
            }
        };
        let manager = manager(&client, connect_timeout, response_timeout).await?;
        let (changes, _) = watch::channel(0);
        Ok(Master {
            sentinel,
            node: RwLock::new(Node { client, manager, address }),
            lost: Notify::new(),
            changes,
            connect_timeout,
            response_timeout,
        })
    }

    pub fn node(&self) -> Node {
        // A poisoned lock only means a panic while swapping a clone in: the value is whole.
        self.node.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub fn connection(&self) -> ConnectionManager {
        self.node().manager
    }

    /// Ticks each time the master changes (the events subscription follows).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Called with every failed call: an error that may mean the master
    /// moved makes [`follow`] ask the Sentinels now.
    pub fn saw(&self, error: &LedgerError) {
        let moved = match error {
            LedgerError::Timeout(_) => true,
            LedgerError::Redis(error) => may_mean_a_new_master(error),
            _ => false,
        };
        if moved && self.sentinel.is_some() {
            self.lost.notify_one();
        }
    }

    async fn switch_to(&self, client: Client, address: String) -> Result<(), LedgerError> {
        let manager = manager(&client, self.connect_timeout, self.response_timeout).await?;
        let previous = {
            let mut node = self.node.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            std::mem::replace(&mut *node, Node { client, manager, address: address.clone() }).address
        };
        self.changes.send_modify(|generation| *generation += 1);
        tracing::warn!(%previous, master = %address, "ledger: Redis master changed, following it");
        Ok(())
    }
}

/// Finds the master again whenever it may have moved, until aborted.
pub(crate) async fn follow(master: Arc<Master>) {
    let Some(sentinel) = master.sentinel.clone() else { return };
    let mut announcements: Option<PubSubStream> = None;
    loop {
        if announcements.is_none() {
            announcements = listen_for_switches(&sentinel, master.connect_timeout).await;
        }
        let announced = async {
            match announcements.as_mut() {
                Some(stream) => stream.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = master.lost.notified() => {}
            message = announced => match message {
                Some(message) => {
                    let payload: String = message.get_payload().unwrap_or_default();
                    if payload.split(' ').next() != Some(sentinel.master_name.as_str()) {
                        continue;
                    }
                    tracing::info!(master_name = %sentinel.master_name, "ledger: Sentinel announced a new master");
                }
                None => announcements = None,
            },
            () = tokio::time::sleep(CHECK_EVERY) => {}
        }
        let mut backoff = MIN_BACKOFF;
        loop {
            let found = find(&sentinel, master.connect_timeout, master.response_timeout).await;
            let switched = match found {
                Ok((_, address)) if address == master.node().address => Ok(()),
                Ok((client, address)) => master.switch_to(client, address).await,
                Err(error) => Err(error),
            };
            match switched {
                Ok(()) => break,
                Err(error) => {
                    tracing::warn!(%error, "ledger: no Redis master yet, asking the Sentinels again");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

/// `READONLY` (a demoted master), `MASTERDOWN`, or a connection lost, refused or timed out.
fn may_mean_a_new_master(error: &RedisError) -> bool {
    matches!(error.kind(), ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown))
        || error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
}

/// Asks each Sentinel in turn for the master's address, and keeps the
/// first address whose node says it is the master.
async fn find(
    sentinel: &SentinelTarget,
    connect_timeout: Duration,
    response_timeout: Duration,
) -> Result<(Client, String), LedgerError> {
    let mut reasons = Vec::new();
    for at in &sentinel.sentinels {
        let named = ask_sentinel(sentinel, at, connect_timeout, response_timeout).await;
        let (host, port) = match named {
            Ok(Some(address)) => address,
            Ok(None) => {
                reasons.push(format!("{at} knows no master {:?}", sentinel.master_name));
                continue;
            }
            Err(error) => {
                reasons.push(format!("{at}: {error}"));
                continue;
            }
        };
        let address = format!("{host}:{port}");
        let client = Client::open(node_info(&host, port, sentinel.password.as_deref())?)?;
        match role(&client, connect_timeout, response_timeout).await {
            Ok(role) if role == "master" => return Ok((client, address)),
            Ok(role) => reasons.push(format!("{at} names {address}, which is a {role}")),
            Err(error) => reasons.push(format!("{at} names {address}, unreachable: {error}")),
        }
    }
    Err(LedgerError::NoMaster(reasons.join("; ")))
}

/// `SENTINEL get-master-addr-by-name`: `None` when this Sentinel does not know the name.
async fn ask_sentinel(
    sentinel: &SentinelTarget,
    at: &str,
    connect_timeout: Duration,
    response_timeout: Duration,
) -> Result<Option<(String, u16)>, LedgerError> {
    let client = sentinel_client(sentinel, at)?;
    let config = connection_config(connect_timeout, response_timeout);
    let mut connection = bounded(connect_timeout, client.get_multiplexed_async_connection_with_config(&config)).await?;
    let mut ask = ::redis::cmd("SENTINEL");
    ask.arg("get-master-addr-by-name").arg(&sentinel.master_name);
    bounded(response_timeout, ask.query_async::<Option<(String, u16)>>(&mut connection)).await
}

/// What the node says it is: `master`, `slave` or `sentinel`.
async fn role(client: &Client, connect_timeout: Duration, response_timeout: Duration) -> Result<String, LedgerError> {
    let config = connection_config(connect_timeout, response_timeout);
    let mut connection = bounded(connect_timeout, client.get_multiplexed_async_connection_with_config(&config)).await?;
    let reply: Vec<Value> = bounded(response_timeout, ::redis::cmd("ROLE").query_async(&mut connection)).await?;
    match reply.first() {
        Some(Value::BulkString(role)) => Ok(String::from_utf8_lossy(role).into_owned()),
        Some(Value::SimpleString(role)) => Ok(role.clone()),
        _ => Err(LedgerError::Corrupt(format!("unexpected ROLE reply {reply:?}"))),
    }
}

/// A pub/sub connection to the first Sentinel that answers, subscribed to `+switch-master`.
async fn listen_for_switches(sentinel: &SentinelTarget, timeout: Duration) -> Option<PubSubStream> {
    for at in &sentinel.sentinels {
        let attempt = async {
            let (mut sink, stream) = sentinel_client(sentinel, at)?.get_async_pubsub().await?.split();
            sink.subscribe("+switch-master").await?;
            // The sink is dropped: the stream alone keeps the subscription.
            Ok::<_, LedgerError>(stream)
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(stream)) => return Some(stream),
            Ok(Err(error)) => tracing::debug!(%at, %error, "ledger: cannot listen to this Sentinel"),
            Err(_) => tracing::debug!(%at, "ledger: this Sentinel did not answer"),
        }
    }
    None
}

fn sentinel_client(sentinel: &SentinelTarget, at: &str) -> Result<Client, LedgerError> {
    let (host, port) = at
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host.trim_start_matches('[').trim_end_matches(']'), port.parse().ok()?)))
        .ok_or_else(|| LedgerError::Refused(format!("not a Sentinel address: {at:?}")))?;
    Ok(Client::open(node_info(host, port, sentinel.sentinel_password.as_deref())?)?)
}

fn node_info(host: &str, port: u16, password: Option<&str>) -> Result<ConnectionInfo, LedgerError> {
    let mut redis = RedisConnectionInfo::default();
    if let Some(password) = password {
        redis = redis.set_password(password);
    }
    Ok(ConnectionAddr::Tcp(host.to_owned(), port).into_connection_info()?.set_redis_settings(redis))
}

fn connection_config(connect_timeout: Duration, response_timeout: Duration) -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(connect_timeout))
        .set_response_timeout(Some(response_timeout))
}

/// A `ConnectionManager` on `client`. A lost connection is re-established in
/// the background by a few quick attempts; calls made meanwhile wait for
/// them (bounded by the response timeout) and fail if they fail, and the next
/// call starts new attempts. So a dead Redis sees at most a few connection
/// attempts per call, and a returning one is used within ~0.2 s.
async fn manager(
    client: &Client,
    connect_timeout: Duration,
    response_timeout: Duration,
) -> Result<ConnectionManager, LedgerError> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(connect_timeout))
        .set_response_timeout(Some(response_timeout))
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(500));
    bounded(connect_timeout, ConnectionManager::new_with_config(client.clone(), config)).await
}

async fn bounded<T>(
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, RedisError>>,
) -> Result<T, LedgerError> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(LedgerError::Timeout(limit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readonly_and_lost_connections_mean_the_master_may_have_moved() {
        let readonly = RedisError::from((ErrorKind::Server(ServerErrorKind::ReadOnly), "READONLY"));
        assert!(may_mean_a_new_master(&readonly));
        let io = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(may_mean_a_new_master(&io));
        let noscript = RedisError::from((ErrorKind::Server(ServerErrorKind::NoScript), "NOSCRIPT"));
        assert!(!may_mean_a_new_master(&noscript));
    }

    #[test]
    fn a_sentinel_target_never_prints_its_passwords() {
        let target = SentinelTarget {
            sentinels: vec!["10.0.0.1:26379".into()],
            master_name: "antirelou".into(),
            password: Some("hunter2".into()),
            sentinel_password: Some("hunter3".into()),
        };
        let shown = format!("{:?}", RedisTarget::Sentinel(target));
        assert!(shown.contains("antirelou") && !shown.contains("hunter"), "{shown}");
    }
}
