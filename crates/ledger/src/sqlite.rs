//! The embedded ledger: one SQLite file in WAL mode, one IMMEDIATE
//! transaction per decision, `synchronous=FULL` so a reply that was paid for
//! is on disk before the provider hears about it.
//!
//! Calls run on one dedicated thread that owns the connection, fed by a
//! bounded queue: SQLite has a single writer anyway, and other processes
//! (the `ledger` CLI) may share the file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use antirelou_domain::shield::TrickleSlot;
use antirelou_domain::Money;
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::model::{Entry, EntryFilter, EntryKind, InboundBatch, ReplyRequest, ReplyVerdict, SpendTotals, TotalsQuery};
use crate::{keys, Ledger, LedgerError, LedgerEvent};
use tokio::sync::{broadcast, oneshot};

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
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at_micros INTEGER NOT NULL, tenant TEXT NOT NULL,
    number TEXT NOT NULL, kind TEXT NOT NULL, amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
    count INTEGER NOT NULL, reference TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_tenant ON entries (tenant, at_micros);
CREATE TABLE IF NOT EXISTS shields (number TEXT PRIMARY KEY, until_seconds INTEGER NOT NULL);
";

/// Expired rows are swept at most this often.
const SWEEP_EVERY_MICROS: i64 = 60 * 1_000_000;

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
impl Ledger for SqliteLedger {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn decide_reply(&self, request: &ReplyRequest) -> Result<ReplyVerdict, LedgerError> {
        let request = request.clone();
        self.run_abandonable(move |state, abandoned| {
            state.sweep_if_due(request.now_micros)?;
            decide(&mut state.connection, &request, abandoned)
        })
        .await
    }

    async fn record_inbound(&self, batch: &InboundBatch) -> Result<(), LedgerError> {
        let batch = batch.clone();
        self.run(move |state| record_inbound(&mut state.connection, &batch)).await
    }

    async fn top_up(&self, tenant: &str, amount: Money, note: &str, now_micros: i64) -> Result<Money, LedgerError> {
        let (tenant, note) = (tenant.to_owned(), note.to_owned());
        self.run(move |state| {
            let tx = state.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO balances (tenant, micros) VALUES (?1, ?2)
                 ON CONFLICT (tenant) DO UPDATE SET micros = micros + excluded.micros",
                params![tenant, amount.micros()],
            )?;
            insert_entry(&tx, now_micros, &tenant, "", EntryKind::TopUp, amount, 1, &note)?;
            let balance = read_balance(&tx, &tenant)?.unwrap_or(Money::ZERO);
            tx.commit()?;
            Ok((tenant, balance))
        })
        .await
        .map(|(tenant, balance)| {
            // Nobody listening is fine: no actor has cached anything yet.
            let _ = self.inner.events.send(LedgerEvent::TopUp { tenant });
            balance
        })
    }

    async fn totals(&self, query: &TotalsQuery) -> Result<SpendTotals, LedgerError> {
        let query = query.clone();
        self.run(move |state| {
            let c = &state.connection;
            Ok(SpendTotals {
                number_day: read_counter(c, &keys::number_day(&query.number, &query.periods.day))?,
                tenant_month: read_counter(c, &keys::tenant_month(&query.tenant, &query.periods.month))?,
                deployment_month: read_counter(c, &keys::deployment_month(&query.periods.month))?,
                balance: read_balance(c, &query.tenant)?,
            })
        })
        .await
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

    async fn entries(&self, filter: &EntryFilter) -> Result<Vec<Entry>, LedgerError> {
        let filter = filter.clone();
        self.run(move |state| {
            let mut statement = state.connection.prepare(
                "SELECT id, at_micros, tenant, number, kind, amount_micros, count, reference FROM entries
                 WHERE (?1 IS NULL OR tenant = ?1) AND (?2 IS NULL OR at_micros >= ?2) AND (?3 IS NULL OR at_micros < ?3)
                 ORDER BY id LIMIT ?4",
            )?;
            let limit = filter.limit.map_or(-1, |l| l as i64);
            let rows = statement.query_map(
                params![filter.tenant, filter.since_micros, filter.until_micros, limit],
                |row| {
                    let kind: String = row.get(4)?;
                    Ok(Entry {
                        id: row.get::<_, i64>(0)? as u64,
                        at_micros: row.get(1)?,
                        tenant: row.get(2)?,
                        number: row.get(3)?,
                        kind: EntryKind::from_label(&kind).unwrap_or(EntryKind::Reply),
                        amount: Money::from_micros(row.get(5)?),
                        count: row.get(6)?,
                        reference: row.get(7)?,
                    })
                },
            )?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
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
        for table in ["messages", "senders", "counters"] {
            self.connection.execute(&format!("DELETE FROM {table} WHERE expires_micros <= ?1"), [now_micros])?;
        }
        Ok(())
    }
}

fn decide(connection: &mut Connection, r: &ReplyRequest, abandoned: &AtomicBool) -> Result<ReplyVerdict, LedgerError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = r.now_micros;
    let earlier: Option<bool> = tx
        .prepare_cached("SELECT replied FROM messages WHERE number = ?1 AND message_id = ?2 AND expires_micros > ?3")?
        .query_row(params![&*r.number, r.message_id, now], |row| row.get(0))
        .optional()?;
    if let Some(replied) = earlier {
        return Ok(ReplyVerdict::Duplicate { replied });
    }
    let verdict = refusal(&tx, r)?;
    let replied = verdict.is_none();
    tx.prepare_cached("INSERT INTO messages (number, message_id, replied, expires_micros) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![&*r.number, r.message_id, replied, now + keys::MESSAGE_ID_TTL_SECONDS * 1_000_000])?;
    if let Some(verdict) = verdict {
        tx.commit()?;
        return Ok(verdict);
    }

    let now_seconds = now.div_euclid(1_000_000);
    let period_keep = keys::PERIOD_RETENTION_SECONDS * 1_000_000;
    add_counter(
        &tx,
        &keys::number_day(&r.number, &r.periods.day),
        r.cost.micros(),
        r.periods.day_ends_micros + period_keep,
    )?;
    add_counter(
        &tx,
        &keys::tenant_month(&r.tenant, &r.periods.month),
        r.cost.micros(),
        r.periods.month_ends_micros + period_keep,
    )?;
    add_counter(
        &tx,
        &keys::deployment_month(&r.periods.month),
        r.cost.micros(),
        r.periods.month_ends_micros + period_keep,
    )?;
    if r.max_replies_per_minute.is_some() {
        add_counter(&tx, &keys::rate(&r.number, now_seconds), 1, now + 120 * 1_000_000)?;
    }
    if let Some(per_hour) = r.shield_trickle_per_hour {
        let slot = TrickleSlot::for_rate(per_hour);
        add_counter(&tx, &keys::trickle(&r.number, now_seconds, slot), 1, now + (slot.seconds + 60) * 1_000_000)?;
    }
    if r.prepaid {
        tx.prepare_cached("UPDATE balances SET micros = micros - ?2 WHERE tenant = ?1")?
            .execute(params![&*r.tenant, r.cost.micros()])?;
    }
    let entry_id = insert_entry(&tx, now, &r.tenant, &r.number, EntryKind::Reply, r.cost, 1, &r.message_id)?;
    tx.prepare_cached(
        "INSERT INTO senders (number, sender, expires_micros) VALUES (?1, ?2, ?3)
         ON CONFLICT (number, sender) DO UPDATE SET expires_micros = excluded.expires_micros",
    )?
    .execute(params![&*r.number, &r.sender.as_bytes()[..], now + r.reply_once_per_seconds as i64 * 1_000_000])?;
    let totals = read_totals(&tx, r)?;
    if abandoned.load(Ordering::SeqCst) {
        // Dropping `tx` rolls the debit back.
        return Err(LedgerError::Worker("the caller stopped waiting; decision rolled back".into()));
    }
    tx.commit()?;
    Ok(ReplyVerdict::Replied { entry_id, totals })
}

/// The first rule (after dedupe) that refuses the reply, if any.
fn refusal(tx: &Connection, r: &ReplyRequest) -> Result<Option<ReplyVerdict>, LedgerError> {
    let now = r.now_micros;
    let remembered: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM senders WHERE number = ?1 AND sender = ?2 AND expires_micros > ?3")?
        .query_row(params![&*r.number, &r.sender.as_bytes()[..], now], |row| row.get(0))
        .optional()?;
    if remembered.is_some() {
        return Ok(Some(ReplyVerdict::RepeatSender));
    }
    let now_seconds = now.div_euclid(1_000_000);
    if let Some(max) = r.max_replies_per_minute {
        if read_counter(tx, &keys::rate(&r.number, now_seconds))?.micros() >= i64::from(max) {
            return Ok(Some(ReplyVerdict::RateLimited));
        }
    }
    if let Some(per_hour) = r.shield_trickle_per_hour {
        let slot = TrickleSlot::for_rate(per_hour);
        if read_counter(tx, &keys::trickle(&r.number, now_seconds, slot))?.micros() >= i64::from(slot.replies) {
            return Ok(Some(ReplyVerdict::Shielded));
        }
    }
    let totals = read_totals(tx, r)?;
    Ok(keys::budget_refusal(r, &totals))
}

fn read_totals(c: &Connection, r: &ReplyRequest) -> Result<SpendTotals, LedgerError> {
    Ok(SpendTotals {
        number_day: read_counter(c, &keys::number_day(&r.number, &r.periods.day))?,
        tenant_month: read_counter(c, &keys::tenant_month(&r.tenant, &r.periods.month))?,
        deployment_month: read_counter(c, &keys::deployment_month(&r.periods.month))?,
        balance: read_balance(c, &r.tenant)?,
    })
}

fn record_inbound(connection: &mut Connection, b: &InboundBatch) -> Result<(), LedgerError> {
    if b.count == 0 {
        return Ok(());
    }
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let keep = keys::PERIOD_RETENTION_SECONDS * 1_000_000;
    if b.amount > Money::ZERO {
        add_counter(
            &tx,
            &keys::number_day(&b.number, &b.periods.day),
            b.amount.micros(),
            b.periods.day_ends_micros + keep,
        )?;
        add_counter(
            &tx,
            &keys::tenant_month(&b.tenant, &b.periods.month),
            b.amount.micros(),
            b.periods.month_ends_micros + keep,
        )?;
        add_counter(
            &tx,
            &keys::deployment_month(&b.periods.month),
            b.amount.micros(),
            b.periods.month_ends_micros + keep,
        )?;
        if b.prepaid {
            tx.prepare_cached("UPDATE balances SET micros = max(0, micros - ?2) WHERE tenant = ?1")?
                .execute(params![&*b.tenant, b.amount.micros()])?;
        }
        insert_entry(&tx, b.now_micros, &b.tenant, &b.number, EntryKind::Inbound, b.amount, b.count, "")?;
    }
    tx.commit()?;
    Ok(())
}

fn read_counter(c: &Connection, key: &str) -> Result<Money, LedgerError> {
    let value: Option<i64> =
        c.prepare_cached("SELECT value FROM counters WHERE key = ?1")?.query_row([key], |row| row.get(0)).optional()?;
    Ok(Money::from_micros(value.unwrap_or(0)))
}

fn add_counter(c: &Connection, key: &str, delta: i64, expires_micros: i64) -> Result<(), LedgerError> {
    c.prepare_cached(
        "INSERT INTO counters (key, value, expires_micros) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = value + excluded.value,
             expires_micros = max(expires_micros, excluded.expires_micros)",
    )?
    .execute(params![key, delta, expires_micros])?;
    Ok(())
}

fn read_balance(c: &Connection, tenant: &str) -> Result<Option<Money>, LedgerError> {
    let micros: Option<i64> = c
        .prepare_cached("SELECT micros FROM balances WHERE tenant = ?1")?
        .query_row([tenant], |row| row.get(0))
        .optional()?;
    Ok(micros.map(Money::from_micros))
}

#[allow(clippy::too_many_arguments)]
fn insert_entry(
    c: &Connection,
    at_micros: i64,
    tenant: &str,
    number: &str,
    kind: EntryKind,
    amount: Money,
    count: u32,
    reference: &str,
) -> Result<u64, LedgerError> {
    c.prepare_cached(
        "INSERT INTO entries (at_micros, tenant, number, kind, amount_micros, count, reference)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![at_micros, tenant, number, kind.as_str(), amount.micros(), count, reference])?;
    Ok(c.last_insert_rowid() as u64)
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
