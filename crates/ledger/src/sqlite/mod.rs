//! The embedded ledger: one SQLite file in WAL mode, one IMMEDIATE
//! transaction per decision, `synchronous=FULL` so a reply that was paid for
//! is on disk before the provider hears about it.
//!
//! Calls run on one dedicated thread that owns the connection, fed by a
//! bounded queue: SQLite has a single writer anyway, and other processes
//! (the `ledger` CLI) may share the file.
//!
//! - this file: the connection, its thread, the schema, the trait impl;
//! - [`decide`]: the money operations (decision, inbound charges);
//! - [`entries`]: entries, top-ups, bounded pages.
//! - [`queue`]: the deferred-reply queue and the leases.
//! - `reports.rs`: alert claims and per-day counters (`Reports`).
//! - `baselines.rs`: numbers' baselines, compared and set (`Baselines`).
//! - [`control`]: runtime controls (pause, overrides, blocklists, audit).
//! - `evidence.rs`: incidents, their timelines and sealed parts (`EvidenceStore`).
//! - [`donations`]: donations credited once and their refunds; `calls.rs`:
//!   answered calls' records and their settlement once (`Calls`).

mod baselines;
mod calls;
mod control;
mod decide;
mod donations;
mod entries;
mod evidence;
mod health;
mod queue;
mod reports;

use antirelou_domain::micros;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use antirelou_domain::{Money, SenderKey};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{broadcast, oneshot};

use crate::model::{
    EntryFilter, EntryPage, InboundBatch, InboundCharged, ReplyRequest, ReplyVerdict, SpendTotals, TopUpMark,
    TotalsQuery,
};
use crate::queue::{DeferredArrival, DeferredQueue, DeferredReply, Enqueued, Leases};
use crate::{Ledger, LedgerError, LedgerEvent};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    number TEXT NOT NULL, message_id TEXT NOT NULL, replied INTEGER NOT NULL, expires_micros INTEGER NOT NULL,
    PRIMARY KEY (number, message_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS senders (
    number TEXT NOT NULL, sender BLOB NOT NULL, expires_micros INTEGER NOT NULL,
    PRIMARY KEY (number, sender)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_micros INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS balances (
    tenant TEXT PRIMARY KEY, micros INTEGER NOT NULL CHECK (micros >= 0));
CREATE TABLE IF NOT EXISTS last_top_ups (
    tenant TEXT PRIMARY KEY, entry_id INTEGER NOT NULL, balance_after_micros INTEGER NOT NULL,
    at_micros INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at_micros INTEGER NOT NULL, tenant TEXT NOT NULL,
    number TEXT NOT NULL, kind TEXT NOT NULL, amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
    count INTEGER NOT NULL, reference TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_tenant ON entries (tenant, at_micros);
CREATE TABLE IF NOT EXISTS shields (number TEXT PRIMARY KEY, until_seconds INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS inbound_ids (
    number TEXT NOT NULL, message_id TEXT NOT NULL, expires_micros INTEGER NOT NULL,
    PRIMARY KEY (number, message_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS opt_outs (
    number TEXT NOT NULL, sender BLOB NOT NULL, expires_micros INTEGER NOT NULL,
    PRIMARY KEY (number, sender)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY CHECK (id = 1), at_micros INTEGER NOT NULL);
";

/// Tables whose rows carry `expires_micros` and are swept.
const EXPIRING_TABLES: [&str; 13] = [
    "baselines",
    "calls",
    "messages",
    "senders",
    "counters",
    "inbound_ids",
    "opt_outs",
    "deferred",
    "deferral_marks",
    "revoked_sessions",
    "incidents",
    "incident_slots",
    "sealed_parts",
];

/// Expired rows are swept at most this often.
const SWEEP_EVERY_MICROS: i64 = micros::from_seconds(60);

/// The SQLite-backed [`Ledger`].
#[derive(Clone)]
pub struct SqliteLedger {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    events: broadcast::Sender<LedgerEvent>,
    jobs: mpsc::SyncSender<Job>,
}

/// Work for the ledger thread. It gets the connection and whether the
/// caller has given up waiting.
type Job = Box<dyn FnOnce(&mut State) + Send>;

struct State {
    connection: Connection,
    last_sweep_micros: i64,
}

/// Jobs waiting for the ledger thread; beyond this, calls fail at once
/// (the engine answers `ledger_unavailable`) instead of queueing without bound.
const QUEUE_CAPACITY: usize = 4_096;

/// How long one statement waits for a lock held by another process (the CLI, a backup).
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

impl SqliteLedger {
    /// Opens (creating if needed) the ledger file and its parent directory,
    /// and starts the thread that owns the connection.
    pub fn open(path: &Path) -> Result<SqliteLedger, LedgerError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                LedgerError::Refused(format!("cannot create the ledger directory {}: {e}", parent.display()))
            })?;
        }
        let connection = Connection::open(path)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(SCHEMA)?;
        connection.execute_batch(queue::SCHEMA)?;
        connection.execute_batch(reports::SCHEMA)?;
        connection.execute_batch(baselines::SCHEMA)?;
        connection.execute_batch(control::SCHEMA)?;
        connection.execute_batch(evidence::SCHEMA)?;
        connection.execute_batch(donations::SCHEMA)?;
        connection.execute_batch(calls::SCHEMA)?;
        connection.execute_batch(health::SCHEMA)?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE_CAPACITY);
        let mut state = State { connection, last_sweep_micros: 0 };
        std::thread::Builder::new()
            .name("antirelou-sqlite".into())
            .spawn(move || {
                // Ends when every `SqliteLedger` clone is dropped.
                while let Ok(job) = queue.recv() {
                    job(&mut state);
                }
            })
            .map_err(|e| LedgerError::Worker(format!("cannot start the ledger thread: {e}")))?;
        Ok(SqliteLedger { inner: Arc::new(Inner { path: path.to_owned(), events: broadcast::channel(256).0, jobs }) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` on the ledger thread.
    async fn run<T, F>(&self, work: F) -> Result<T, LedgerError>
    where
        T: Send + 'static,
        F: FnOnce(&mut State) -> Result<T, LedgerError> + Send + 'static,
    {
        self.run_abandonable(move |state, _| work(state)).await
    }

    /// Like `run`, and `work` is told (through the flag) when the caller
    /// stopped waiting (its timeout fired): a decision then rolls back
    /// instead of committing a debit for a reply nobody will send, and a
    /// job still queued when abandoned never starts.
    async fn run_abandonable<T, F>(&self, work: F) -> Result<T, LedgerError>
    where
        T: Send + 'static,
        F: FnOnce(&mut State, &AtomicBool) -> Result<T, LedgerError> + Send + 'static,
    {
        let abandoned = Arc::new(AtomicBool::new(false));
        let guard = AbandonOnDrop(Arc::clone(&abandoned));
        let (answer, result) = oneshot::channel();
        let job: Job = Box::new(move |state| {
            let outcome = if abandoned.load(Ordering::SeqCst) {
                Err(LedgerError::Worker("abandoned before it started".into()))
            } else {
                work(state, &abandoned)
            };
            let _ = answer.send(outcome);
        });
        self.inner.jobs.try_send(job).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => LedgerError::Worker("ledger queue full".into()),
            mpsc::TrySendError::Disconnected(_) => LedgerError::Worker("ledger thread stopped".into()),
        })?;
        let outcome = result.await.map_err(|_| LedgerError::Worker("ledger thread dropped the call".into()))?;
        std::mem::forget(guard);
        outcome
    }
}

/// Sets the flag when the awaiting future is dropped before completion.
struct AbandonOnDrop(Arc<AtomicBool>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl DeferredQueue for SqliteLedger {
    async fn defer(&self, arrival: &DeferredArrival, now_micros: i64) -> Result<Enqueued, LedgerError> {
        let number = arrival.number.to_string();
        let arrival = arrival.clone();
        let enqueued = self.run(move |state| queue::defer(&mut state.connection, &arrival, now_micros)).await?;
        if enqueued == Enqueued::New {
            let _ = self.inner.events.send(LedgerEvent::Deferred { number });
        }
        Ok(enqueued)
    }

    async fn note_messages(
        &self,
        number: &str,
        senders: &[(SenderKey, u32)],
        _now_micros: i64,
    ) -> Result<(), LedgerError> {
        let (number, senders) = (number.to_owned(), senders.to_vec());
        self.run(move |state| queue::note_messages(&mut state.connection, &number, &senders)).await
    }

    async fn deferred(
        &self,
        number: &str,
        arrived_before_micros: i64,
        now_micros: i64,
        limit: usize,
    ) -> Result<Vec<DeferredReply>, LedgerError> {
        let number = number.to_owned();
        self.run(move |state| queue::deferred(&state.connection, &number, arrived_before_micros, now_micros, limit))
            .await
    }

    async fn finish_deferred(
        &self,
        number: &str,
        sender: &SenderKey,
        refuse_until: Option<(i64, i64)>,
    ) -> Result<(), LedgerError> {
        let (number, sender) = (number.to_owned(), *sender);
        self.run(move |state| queue::finish(&mut state.connection, &number, &sender, refuse_until)).await
    }

    async fn deferred_count(&self, number: &str, now_micros: i64) -> Result<usize, LedgerError> {
        let number = number.to_owned();
        self.run(move |state| queue::count(&state.connection, &number, now_micros)).await
    }
}

#[async_trait]
impl Leases for SqliteLedger {
    async fn lease(&self, name: &str, holder: &str, ttl_ms: u64, now_micros: i64) -> Result<bool, LedgerError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.run(move |state| queue::lease(&state.connection, &name, &holder, ttl_ms, now_micros)).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), LedgerError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.run(move |state| queue::release(&state.connection, &name, &holder)).await
    }
}

#[async_trait]
impl Ledger for SqliteLedger {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn decide_reply(&self, request: &ReplyRequest) -> Result<ReplyVerdict, LedgerError> {
        let request = request.clone();
        self.run_abandonable(move |state, abandoned| {
            state.sweep_if_due(request.now_micros)?;
            decide::decide(&mut state.connection, &request, abandoned)
        })
        .await
    }

    async fn decided(&self, number: &str, message_id: &str, now_micros: i64) -> Result<Option<bool>, LedgerError> {
        let (number, message_id) = (number.to_owned(), message_id.to_owned());
        self.run(move |state| {
            Ok(state
                .connection
                .prepare_cached(
                    "SELECT replied FROM messages WHERE number = ?1 AND message_id = ?2 AND expires_micros > ?3",
                )?
                .query_row(params![number, message_id, now_micros], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    async fn opt_out(&self, number: &str, sender: &SenderKey, now_micros: i64) -> Result<(), LedgerError> {
        let (number, sender) = (number.to_owned(), *sender);
        let expires = micros::after_seconds(now_micros, crate::rules::OPT_OUT_RETENTION_SECONDS);
        self.run(move |state| {
            state.connection.execute(
                "INSERT INTO opt_outs (number, sender, expires_micros) VALUES (?1, ?2, ?3)
                 ON CONFLICT (number, sender) DO UPDATE SET expires_micros = excluded.expires_micros",
                params![number, &sender.as_bytes()[..], expires],
            )?;
            Ok(())
        })
        .await
    }

    async fn record_inbound(&self, batch: &InboundBatch) -> Result<InboundCharged, LedgerError> {
        if batch.message_ids.is_empty() || batch.unit_price <= Money::ZERO {
            return Ok(InboundCharged::default());
        }
        let batch = batch.clone();
        self.run(move |state| decide::record_inbound(&mut state.connection, &batch)).await
    }

    async fn top_up(&self, tenant: &str, amount: Money, note: &str, now_micros: i64) -> Result<Money, LedgerError> {
        crate::rules::check_top_up(amount)?;
        let (tenant, note) = (tenant.to_owned(), note.to_owned());
        let event_tenant = tenant.clone();
        let balance =
            self.run(move |state| entries::top_up(&mut state.connection, &tenant, amount, &note, now_micros)).await?;
        // Nobody listening is fine: no actor has cached anything yet.
        let _ = self.inner.events.send(LedgerEvent::TopUp { tenant: event_tenant });
        Ok(balance)
    }

    async fn totals(&self, query: &TotalsQuery) -> Result<SpendTotals, LedgerError> {
        let query = query.clone();
        self.run(move |state| decide::read_totals(&state.connection, &query.tenant, &query.number, &query.periods))
            .await
    }

    async fn last_top_up(&self, tenant: &str) -> Result<Option<TopUpMark>, LedgerError> {
        let tenant = tenant.to_owned();
        self.run(move |state| entries::last_top_up(&state.connection, &tenant)).await
    }

    async fn balances(&self) -> Result<Vec<(String, Money)>, LedgerError> {
        self.run(|state| {
            let mut statement = state.connection.prepare("SELECT tenant, micros FROM balances ORDER BY tenant")?;
            let rows =
                statement.query_map([], |row| Ok((row.get::<_, String>(0)?, Money::from_micros(row.get(1)?))))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn entries(&self, filter: &EntryFilter) -> Result<EntryPage, LedgerError> {
        let filter = filter.clone();
        self.run(move |state| entries::page(&state.connection, &filter)).await
    }

    async fn shield_until(&self, number: &str, now_seconds: i64) -> Result<Option<i64>, LedgerError> {
        let number = number.to_owned();
        self.run(move |state| {
            Ok(state
                .connection
                .query_row(
                    "SELECT until_seconds FROM shields WHERE number = ?1 AND until_seconds > ?2",
                    params![number, now_seconds],
                    |row| row.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn set_shield(&self, number: &str, until_seconds: i64, _now_seconds: i64) -> Result<(), LedgerError> {
        let number = number.to_owned();
        let event = LedgerEvent::Shield { number: number.clone(), until_seconds };
        self.run(move |state| {
            state.connection.execute(
                "INSERT INTO shields (number, until_seconds) VALUES (?1, ?2)
                 ON CONFLICT (number) DO UPDATE SET until_seconds = max(until_seconds, excluded.until_seconds)",
                params![number, until_seconds],
            )?;
            Ok(())
        })
        .await?;
        let _ = self.inner.events.send(event);
        Ok(())
    }

    async fn ping(&self) -> Result<(), LedgerError> {
        self.run(|state| Ok(state.connection.query_row("SELECT 1", [], |_| Ok(()))?)).await
    }

    /// Writes and commits one row (`synchronous=FULL`): fails on a full or
    /// read-only disk, where a plain read would still succeed.
    async fn probe_write(&self, now_micros: i64) -> Result<(), LedgerError> {
        self.run(move |state| {
            state.connection.execute(
                "INSERT INTO probe (id, at_micros) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET at_micros = excluded.at_micros",
                [now_micros],
            )?;
            Ok(())
        })
        .await
    }

    fn events(&self) -> broadcast::Receiver<LedgerEvent> {
        self.inner.events.subscribe()
    }

    async fn flush(&self) -> Result<(), LedgerError> {
        self.run(|state| {
            state.connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}

impl State {
    /// Deletes expired message ids, sender memories and counters, at most once a minute.
    fn sweep_if_due(&mut self, now_micros: i64) -> Result<(), LedgerError> {
        if now_micros - self.last_sweep_micros < SWEEP_EVERY_MICROS {
            return Ok(());
        }
        self.last_sweep_micros = now_micros;
        for table in EXPIRING_TABLES {
            self.connection.execute(&format!("DELETE FROM {table} WHERE expires_micros <= ?1"), [now_micros])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fresh() -> (tempfile::TempDir, Arc<dyn Ledger>) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = SqliteLedger::open(&dir.path().join("nested/ledger.sqlite3")).unwrap();
        (dir, Arc::new(ledger))
    }

    crate::ledger_conformance_suite!(fresh);

    #[tokio::test]
    async fn spend_and_sender_memory_survive_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        let first = crate::conformance::request("paris", "+33612345678", "SM1", "+33700000001");
        {
            let ledger = SqliteLedger::open(&path).unwrap();
            assert!(matches!(ledger.decide_reply(&first).await.unwrap(), ReplyVerdict::Replied { .. }));
        }
        let ledger = SqliteLedger::open(&path).unwrap();
        let mut again = first.clone();
        again.message_id = "SM2".into();
        assert_eq!(ledger.decide_reply(&again).await.unwrap(), ReplyVerdict::RepeatSender);
        assert_eq!(ledger.decide_reply(&first).await.unwrap(), ReplyVerdict::Duplicate { replied: true });
        let totals = ledger
            .totals(&TotalsQuery {
                tenant: "paris".into(),
                number: "+33612345678".into(),
                periods: first.periods.clone(),
            })
            .await
            .unwrap();
        assert_eq!(totals.number_day, first.cost);
    }
}
