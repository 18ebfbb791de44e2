//! The Redis ledger: the same semantics as [`SqliteLedger`](crate::SqliteLedger),
//! shared by every replica.
//!
//! - Each write that reads before it writes is one Lua script (EVALSHA; on
//!   NOSCRIPT, after a `SCRIPT FLUSH`, a restart or a failover, redis-rs
//!   loads it and retries): a decision is one round-trip and is atomic, so
//!   no key is left half-written if a process dies. See `decide.lua` for the
//!   rules and the key layout. The blind writes are one command (an
//!   opt-out, a signed-out session) or one `MULTI`/`EXEC` (ending a
//!   deferred reply, adding day counters).
//! - Every key shares the hash tag `{prefix}`, so one deployment lives in one
//!   Redis Cluster slot.
//! - Every key has a TTL except the balances and last top-ups hashes, the
//!   entries stream, the entry id counter and the donations (each a payment
//!   its platform confirmed, kept like the entries). TTLs are relative to the
//!   caller's `now` (what the rules compare is stored in the values), so a
//!   virtual clock gives the same answers as SQLite.
//! - One [`ConnectionManager`] with connect and response timeouts: errors and
//!   timeouts are returned as [`LedgerError`] (the caller fails closed), and it
//!   reconnects by itself when Redis returns. Every call is also bounded by the
//!   response timeout as a whole, since requests made while it reconnects
//!   wait for the new connection.
//! - `master.rs`: one URL, or the master Redis Sentinel names, found again
//!   on `READONLY`, a lost connection or `+switch-master` (a new
//!   `ConnectionManager` each time; the events subscription follows).
//! - With [`ReplicaAcks`], a paid reply (and a top-up) waits (`WAIT`) until
//!   that many replicas hold its debit: a failover then loses no reply a
//!   sender saw, while the replicas keep up (see docs/operations.md).
//! - A timed-out decision may still have happened in Redis (the script ran
//!   after the client gave up): the spend is then recorded without a reply
//!   sent, never the reverse, and a provider retry of the same message id
//!   gets `Duplicate { replied: true }`, never a second debit.
//! - `reports.rs`: alert claims (`claim_alert.lua`) and per-day counters.
//! - `baselines.rs`: numbers' baselines, compared and set (`baseline.lua`).
//! - `evidence.rs`: incidents and sealed evidence parts (`incident_open.lua`,
//!   `incident_activity.lua`, `sealed_part.lua`).
//! - `donations.rs`: donations credited once (`donate.lua`) and refunded
//!   once (`refund.lua`); `calls.rs`: answered calls settled once (`settle_call.lua`).
//! - `memory.rs`: the eviction policy checked at start (a policy that may
//!   evict ledger keys is refused) and the figures of `INFO` for `storage`.

mod baselines;
mod calls;
mod control;
mod donations;
mod entries;
pub(crate) mod events;
mod evidence;
mod health;
pub mod layout;
mod master;
mod memory;
mod queue;
mod reports;
pub mod script;
#[cfg(test)]
mod tests;

use memory::{check_eviction_policy, parse_info};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ::redis::aio::ConnectionManager;
use ::redis::{RedisResult, Value};
use antirelou_domain::{Money, SenderKey};
use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::model::{
    EntryFilter, EntryPage, InboundBatch, InboundCharged, ReplyRequest, ReplyVerdict, SpendTotals, TopUpMark,
    TotalsQuery,
};
use crate::{rules, Ledger, LedgerError, LedgerEvent};
use layout::KeySpace;
use master::Master;
use script::Scripts;

pub use master::{RedisTarget, SentinelTarget};
pub use script::ENTRIES_MAXLEN;

/// How many replicas must hold a paid reply's debit before the reply is
/// sent, and how long to wait for them (`WAIT replicas timeout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaAcks {
    pub replicas: u32,
    pub timeout: Duration,
}

impl ReplicaAcks {
    /// Replies are sent as soon as the master has their debit.
    pub const NONE: ReplicaAcks = ReplicaAcks { replicas: 0, timeout: Duration::ZERO };
}

/// The Redis-backed [`Ledger`]. Cheap to clone; the event listener stops when
/// the last clone is dropped.
#[derive(Clone)]
pub struct RedisLedger {
    inner: Arc<Inner>,
}

struct Inner {
    master: Arc<Master>,
    keys: KeySpace,
    scripts: Scripts,
    response_timeout: Duration,
    acks: ReplicaAcks,
    /// Until when paid replies are not waited for (replicas did not acknowledge one).
    unacked_until: std::sync::Mutex<Option<Instant>>,
    events: broadcast::Sender<LedgerEvent>,
    listener: tokio::task::AbortHandle,
    follower: tokio::task::AbortHandle,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
        self.follower.abort();
    }
}

impl RedisLedger {
    /// Connects, refuses a Redis that may evict ledger keys, loads the
    /// scripts and subscribes to the events channel.
    ///
    /// `key_prefix` becomes the hash tag of every key (`{prefix}:...`).
    /// `connect_timeout` bounds each connection attempt (and this whole
    /// call, but for one response timeout per setup command);
    /// `response_timeout` bounds every later call.
    pub async fn connect(
        url: &str,
        key_prefix: &str,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Result<RedisLedger, LedgerError> {
        let target = RedisTarget::Url(url.to_owned());
        RedisLedger::open(target, key_prefix, connect_timeout, response_timeout, ReplicaAcks::NONE).await
    }

    /// [`connect`](Self::connect) to a URL or to the master Sentinel names,
    /// with paid replies acknowledged by `acks` replicas.
    pub async fn open(
        target: RedisTarget,
        key_prefix: &str,
        connect_timeout: Duration,
        response_timeout: Duration,
        acks: ReplicaAcks,
    ) -> Result<RedisLedger, LedgerError> {
        let keys = KeySpace::new(key_prefix)?;
        let master = Arc::new(Master::open(target, connect_timeout, response_timeout).await?);
        let manager = master.connection();

        check_eviction_policy(&manager, response_timeout).await?;
        let scripts = Scripts::new();
        for script in scripts.all() {
            // Not required (EVALSHA reloads on NOSCRIPT) but makes the
            // first decision one round-trip.
            bounded(response_timeout, script.load_async(&mut manager.clone())).await?;
        }

        let channel = keys.events();
        let setup_timeout = connect_timeout + response_timeout;
        let first = events::subscribe(&master.node().client, &channel, setup_timeout).await?;
        let (events_tx, _) = broadcast::channel(256);
        let listener = tokio::spawn(events::listen(master.clone(), channel, first, events_tx.clone(), setup_timeout))
            .abort_handle();
        let follower = tokio::spawn(master::follow(master.clone())).abort_handle();

        Ok(RedisLedger {
            inner: Arc::new(Inner {
                master,
                keys,
                scripts,
                response_timeout,
                acks,
                unacked_until: std::sync::Mutex::new(None),
                events: events_tx,
                listener,
                follower,
            }),
        })
    }

    /// `{prefix}:`, what every key of this ledger starts with.
    pub fn key_tag(&self) -> &str {
        self.inner.keys.tag()
    }

    fn connection(&self) -> ConnectionManager {
        self.inner.master.connection()
    }

    /// `call` within the response timeout; a failure that may mean the
    /// master moved sends the ledger to ask Sentinel again.
    async fn bounded<T>(&self, call: impl std::future::Future<Output = RedisResult<T>>) -> Result<T, LedgerError> {
        let result = bounded(self.inner.response_timeout, call).await;
        if let Err(error) = &result {
            self.inner.master.saw(error);
        }
        result
    }

    /// `WAIT` on `connection` (the one that wrote) until enough replicas
    /// hold every write made on it so far. When they do not answer within
    /// the timeout (no replica, or one far behind) the reply is sent all the
    /// same — a master without a replica in sync has nothing a failover
    /// could promote over it — and the ledger stops waiting for
    /// [`UNACKED_PAUSE`], so a missing replica costs one timeout per pause,
    /// not one per reply. A connection lost while waiting fails closed.
    async fn replicated(&self, connection: &mut ConnectionManager) -> Result<(), LedgerError> {
        let ReplicaAcks { replicas, timeout } = self.inner.acks;
        if replicas == 0 || self.inner.unacked_until.lock().is_ok_and(|until| until.is_some_and(|u| Instant::now() < u))
        {
            return Ok(());
        }
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut wait = ::redis::cmd("WAIT");
        wait.arg(replicas).arg(millis);
        let acked: u32 = self.bounded(wait.query_async(connection)).await?;
        if acked < replicas {
            tracing::warn!(
                acked,
                wanted = replicas,
                "ledger: Redis replicas did not acknowledge a paid reply in time; replies are not \
                 waited for during the next second (a failover now could lose them)"
            );
            if let Ok(mut until) = self.inner.unacked_until.lock() {
                *until = Some(Instant::now() + UNACKED_PAUSE);
            }
        }
        Ok(())
    }
}

/// How long paid replies are not waited for after replicas failed to acknowledge one.
const UNACKED_PAUSE: Duration = Duration::from_secs(1);

/// `call` within `limit`, errors as [`LedgerError`].
async fn bounded<T>(
    limit: Duration,
    call: impl std::future::Future<Output = RedisResult<T>>,
) -> Result<T, LedgerError> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(LedgerError::Timeout(limit)),
    }
}

#[async_trait]
impl Ledger for RedisLedger {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn decide_reply(&self, request: &ReplyRequest) -> Result<ReplyVerdict, LedgerError> {
        let call = self.inner.scripts.decide_call(&self.inner.keys, request);
        let mut connection = self.connection();
        let reply: Vec<Value> = self.bounded(call.invoke_async(&mut connection)).await?;
        let verdict = script::decode_verdict(request, &reply)?;
        if matches!(verdict, ReplyVerdict::Replied { .. }) {
            self.replicated(&mut connection).await?;
        }
        Ok(verdict)
    }

    async fn decided(&self, number: &str, message_id: &str, now_micros: i64) -> Result<Option<bool>, LedgerError> {
        let value: Option<String> = self
            .bounded(
                ::redis::cmd("GET")
                    .arg(self.inner.keys.message(number, message_id))
                    .query_async(&mut self.connection()),
            )
            .await?;
        // decide.lua stores `replied:expiry_micros`.
        Ok(value.and_then(|v| {
            let (replied, expires) = v.split_once(':')?;
            (expires.parse::<i64>().ok()? > now_micros).then_some(replied == "1")
        }))
    }

    async fn opt_out(&self, number: &str, sender: &SenderKey, _now_micros: i64) -> Result<(), LedgerError> {
        let key = self.inner.keys.opt_out(number, &sender.to_hex());
        let ttl_seconds = rules::OPT_OUT_RETENTION_SECONDS;
        let _: String = self
            .bounded(::redis::cmd("SET").arg(key).arg(1).arg("EX").arg(ttl_seconds).query_async(&mut self.connection()))
            .await?;
        Ok(())
    }

    async fn record_inbound(&self, batch: &InboundBatch) -> Result<InboundCharged, LedgerError> {
        if batch.message_ids.is_empty() || batch.unit_price <= Money::ZERO {
            return Ok(InboundCharged::default());
        }
        // The script multiplies in Lua doubles: keep the product exact.
        let count = u32::try_from(batch.message_ids.len()).unwrap_or(u32::MAX);
        if batch.unit_price.checked_mul(count).is_none_or(|m| m > rules::MAX_BALANCE) {
            return Err(LedgerError::Refused("inbound charge overflows".into()));
        }
        let call = self.inner.scripts.inbound_call(&self.inner.keys, batch);
        let (messages, amount): (u32, String) = self.bounded(call.invoke_async(&mut self.connection())).await?;
        let amount = amount
            .parse()
            .map(Money::from_micros)
            .map_err(|_| LedgerError::Corrupt(format!("inbound amount {amount:?}")))?;
        Ok(InboundCharged { messages, amount })
    }

    async fn top_up(&self, tenant: &str, amount: Money, note: &str, now_micros: i64) -> Result<Money, LedgerError> {
        rules::check_top_up(amount)?;
        let ks = &self.inner.keys;
        let event = events::encode(&LedgerEvent::TopUp { tenant: tenant.to_owned() });
        let mut call = self.inner.scripts.top_up.prepare_invoke();
        call.key(ks.balances())
            .key(ks.entry_ids())
            .key(ks.entries())
            .key(ks.last_top_ups())
            .arg(tenant)
            .arg(amount.micros().to_string())
            .arg(now_micros.to_string())
            .arg(note)
            .arg(ENTRIES_MAXLEN)
            .arg(ks.events())
            .arg(event)
            .arg(rules::MAX_BALANCE.micros().to_string());
        let mut connection = self.connection();
        let (credited, balance): (i64, i64) = self.bounded(call.invoke_async(&mut connection)).await?;
        if credited == 1 {
            // A credit the caller is told about survives a failover.
            self.replicated(&mut connection).await?;
        }
        if credited == 0 {
            return Err(LedgerError::Refused(format!(
                "the balance would exceed {} (it is {})",
                rules::MAX_BALANCE,
                Money::from_micros(balance)
            )));
        }
        Ok(Money::from_micros(balance))
    }

    async fn totals(&self, query: &TotalsQuery) -> Result<SpendTotals, LedgerError> {
        let ks = &self.inner.keys;
        let mut pipe = ::redis::pipe();
        pipe.cmd("MGET")
            .arg(ks.key(&rules::number_day(&query.number, &query.periods.day)))
            .arg(ks.key(&rules::tenant_month(&query.tenant, &query.periods.month)))
            .arg(ks.key(&rules::deployment_month(&query.periods.month)))
            .cmd("HGET")
            .arg(ks.balances())
            .arg(&query.tenant);
        let (spent, balance): (Vec<Option<i64>>, Option<i64>) =
            self.bounded(pipe.query_async(&mut self.connection())).await?;
        let spent = |i: usize| Money::from_micros(spent.get(i).copied().flatten().unwrap_or(0));
        Ok(SpendTotals {
            number_day: spent(0),
            tenant_month: spent(1),
            deployment_month: spent(2),
            balance: balance.map(Money::from_micros),
        })
    }

    async fn last_top_up(&self, tenant: &str) -> Result<Option<TopUpMark>, LedgerError> {
        let mark: Option<String> = self
            .bounded(
                ::redis::cmd("HGET")
                    .arg(self.inner.keys.last_top_ups())
                    .arg(tenant)
                    .query_async(&mut self.connection()),
            )
            .await?;
        let Some(mark) = mark else { return Ok(None) };
        let corrupt = || LedgerError::Corrupt(format!("last top-up {mark:?}"));
        let mut parts = mark.split(':').map(str::parse::<i64>);
        let (Some(Ok(id)), Some(Ok(after)), Some(Ok(at)), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(corrupt());
        };
        Ok(Some(TopUpMark {
            entry_id: u64::try_from(id).map_err(|_| corrupt())?,
            balance_after: Money::from_micros(after),
            at_micros: at,
        }))
    }

    async fn balances(&self) -> Result<Vec<(String, Money)>, LedgerError> {
        let all: HashMap<String, i64> = self
            .bounded(::redis::cmd("HGETALL").arg(self.inner.keys.balances()).query_async(&mut self.connection()))
            .await?;
        let mut balances: Vec<(String, Money)> =
            all.into_iter().map(|(tenant, micros)| (tenant, Money::from_micros(micros))).collect();
        balances.sort();
        Ok(balances)
    }

    async fn entries(&self, filter: &EntryFilter) -> Result<EntryPage, LedgerError> {
        entries::page(self, filter).await
    }

    async fn shield_until(&self, number: &str, now_seconds: i64) -> Result<Option<i64>, LedgerError> {
        let until: Option<i64> = self
            .bounded(::redis::cmd("GET").arg(self.inner.keys.shield(number)).query_async(&mut self.connection()))
            .await?;
        Ok(until.filter(|until| *until > now_seconds))
    }

    async fn set_shield(&self, number: &str, until_seconds: i64, now_seconds: i64) -> Result<(), LedgerError> {
        let ks = &self.inner.keys;
        let event = events::encode(&LedgerEvent::Shield { number: number.to_owned(), until_seconds });
        let mut call = self.inner.scripts.shield.prepare_invoke();
        call.key(ks.shield(number))
            .arg(until_seconds.to_string())
            .arg(script::shield_ttl_millis(until_seconds, now_seconds).to_string())
            .arg(ks.events())
            .arg(event);
        let _: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(())
    }

    async fn storage(&self) -> Result<Option<crate::StorageFigures>, LedgerError> {
        let info: String = self
            .bounded(
                ::redis::cmd("INFO").arg("memory").arg("stats").arg("errorstats").query_async(&mut self.connection()),
            )
            .await?;
        Ok(Some(parse_info(&info)))
    }

    async fn ping(&self) -> Result<(), LedgerError> {
        let _: String = self.bounded(::redis::cmd("PING").query_async(&mut self.connection())).await?;
        Ok(())
    }

    /// A write with a TTL: fails when Redis refuses writes (out of memory
    /// with `noeviction`, a read-only replica, a failed AOF write).
    async fn probe_write(&self, now_micros: i64) -> Result<(), LedgerError> {
        let set = ::redis::cmd("SET").arg(self.inner.keys.probe()).arg(now_micros).arg("PX").arg(60_000).to_owned();
        let _: String = self.bounded(set.query_async(&mut self.connection())).await?;
        Ok(())
    }

    /// A PING: every call above already waited for Redis to acknowledge its
    /// writes, so nothing is buffered here. Durability is the server's: with
    /// AOF `appendfsync everysec` Redis may lose about the last second of
    /// writes if it crashes (see docs/operations.md).
    async fn flush(&self) -> Result<(), LedgerError> {
        self.ping().await
    }

    fn events(&self) -> broadcast::Receiver<LedgerEvent> {
        self.inner.events.subscribe()
    }
}
