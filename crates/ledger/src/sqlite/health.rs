//! [`HealthStore`] on SQLite: a number's record is its rows of
//! `number_health` (one per field), changed in one transaction.

use async_trait::async_trait;
use rusqlite::{params, Transaction};

use super::SqliteLedger;
use crate::health::{
    check_name, fine_field, problem_field, state_field, HealthRecord, HealthSignal, HealthStore, FAILING_FIELD,
    PROBLEM_PREFIX, STATE_PREFIX,
};
use crate::LedgerError;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS number_health (
    number TEXT NOT NULL, field TEXT NOT NULL, micros INTEGER NOT NULL,
    PRIMARY KEY (number, field)) WITHOUT ROWID;
";

fn read(tx: &Transaction<'_>, number: &str) -> rusqlite::Result<HealthRecord> {
    let mut statement = tx.prepare_cached("SELECT field, micros FROM number_health WHERE number = ?1")?;
    let rows = statement.query_map(params![number], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(HealthRecord::from_fields(rows.collect::<Result<Vec<(String, i64)>, _>>()?))
}

fn get(tx: &Transaction<'_>, number: &str, field: &str) -> rusqlite::Result<Option<i64>> {
    let mut statement = tx.prepare_cached("SELECT micros FROM number_health WHERE number = ?1 AND field = ?2")?;
    let mut rows = statement.query_map(params![number, field], |row| row.get(0))?;
    rows.next().transpose()
}

fn set(tx: &Transaction<'_>, number: &str, field: &str, micros: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO number_health (number, field, micros) VALUES (?1, ?2, ?3) \
         ON CONFLICT (number, field) DO UPDATE SET micros = excluded.micros",
        params![number, field, micros],
    )?;
    Ok(())
}

#[async_trait]
impl HealthStore for SqliteLedger {
    async fn observe_health(&self, signal: &HealthSignal) -> Result<HealthRecord, LedgerError> {
        check_name(&signal.code)?;
        let signal = signal.clone();
        self.run(move |state| {
            let tx = state.connection.transaction()?;
            let (number, at) = (signal.number.as_str(), signal.at_micros);
            if signal.ok {
                tx.execute(
                    "DELETE FROM number_health WHERE number = ?1 AND field = ?2",
                    params![number, problem_field(&signal.code)],
                )?;
                set(&tx, number, &fine_field(&signal.code), at)?;
                let left: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM number_health WHERE number = ?1 AND field LIKE ?2",
                    params![number, format!("{PROBLEM_PREFIX}%")],
                    |row| row.get(0),
                )?;
                if left == 0 {
                    tx.execute(
                        "DELETE FROM number_health WHERE number = ?1 AND field = ?2",
                        params![number, FAILING_FIELD],
                    )?;
                }
            } else {
                let fine_at = get(&tx, number, &fine_field(&signal.code))?;
                let excused = fine_at.is_some_and(|fine| at.saturating_sub(fine) < signal.grace_micros);
                if !excused {
                    let field = problem_field(&signal.code);
                    if get(&tx, number, &field)?.is_none() {
                        set(&tx, number, &field, at)?;
                    }
                    if get(&tx, number, FAILING_FIELD)?.is_none() {
                        set(&tx, number, FAILING_FIELD, at)?;
                    }
                }
            }
            let record = read(&tx, number)?;
            tx.commit()?;
            Ok(record)
        })
        .await
    }

    async fn note_health_state(&self, number: &str, name: &str, at_micros: i64) -> Result<i64, LedgerError> {
        check_name(name)?;
        let (number, name) = (number.to_owned(), name.to_owned());
        self.run(move |state| {
            let tx = state.connection.transaction()?;
            let field = state_field(&name);
            let since = match get(&tx, &number, &field)? {
                Some(since) => since,
                None => {
                    tx.execute(
                        "DELETE FROM number_health WHERE number = ?1 AND field LIKE ?2",
                        params![number, format!("{STATE_PREFIX}%")],
                    )?;
                    set(&tx, &number, &field, at_micros)?;
                    at_micros
                }
            };
            tx.commit()?;
            Ok(since)
        })
        .await
    }

    async fn health(&self, number: &str) -> Result<HealthRecord, LedgerError> {
        let number = number.to_owned();
        self.run(move |state| {
            let tx = state.connection.transaction()?;
            let record = read(&tx, &number)?;
            tx.commit()?;
            Ok(record)
        })
        .await
    }
}
