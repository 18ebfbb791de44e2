//! [`HealthStore`]: what the service observed of each number's provider
//! link (refused webhooks, failing polls and sends, refused credentials),
//! kept in the ledger so that every replica shows the same health, with
//! the same `since`.
//!
//! A number's record is a few fields: each **problem** (a reason code, e.g.
//! `poll_failing`) with the instant it was first seen, the last instant each
//! code was seen **fine**, the start of the current **failing episode**
//! (while any problem stands) and the last **state** a replica computed,
//! with the instant it began. Both backends change a record in one atomic
//! step (SQLite: one transaction; Redis: one Lua script), so the first
//! replica to see a problem sets its `since` and the others keep it.
//!
//! Start with [`HealthStore::observe_health`].

use async_trait::async_trait;

use crate::LedgerError;

/// A number's health record is forgotten this long after its last write
/// (as long as kept alerts: a record is rewritten while a problem lasts).
pub const HEALTH_RETENTION_SECONDS: i64 = 400 * 86_400;

/// One observation of a number's provider link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthSignal {
    pub number: String,
    /// The reason code observed (`inbound_rejected`, `poll_failing`, ...).
    pub code: String,
    /// `true`: the link worked (the problem, if any, is over);
    /// `false`: it failed.
    pub ok: bool,
    pub at_micros: i64,
    /// A failure is ignored while the same code was seen fine less than
    /// this long ago (0: never ignored): a forged webhook must not make a
    /// number that answers look broken.
    pub grace_micros: i64,
}

/// A number's stored health.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthRecord {
    /// Standing problems, by code, with the instant each was first seen.
    pub problems: Vec<(String, i64)>,
    /// When the current failing episode began (`None`: no problem stands).
    pub failing_since: Option<i64>,
    /// The last state a replica noted, and since when.
    pub state: Option<(String, i64)>,
    /// The last instant each code was seen fine.
    pub fine: Vec<(String, i64)>,
}

const PROBLEM: &str = "problem:";
const FINE: &str = "ok:";
const STATE: &str = "state:";
const FAILING: &str = "failing";

impl HealthRecord {
    /// The record from its stored fields (`problem:<code>`, `ok:<code>`,
    /// `failing`, `state:<name>`, each an instant in micros), as both
    /// backends keep them.
    pub fn from_fields(fields: impl IntoIterator<Item = (String, i64)>) -> HealthRecord {
        let mut record = HealthRecord::default();
        for (field, value) in fields {
            if let Some(code) = field.strip_prefix(PROBLEM) {
                record.problems.push((code.to_owned(), value));
            } else if let Some(code) = field.strip_prefix(FINE) {
                record.fine.push((code.to_owned(), value));
            } else if let Some(name) = field.strip_prefix(STATE) {
                record.state = Some((name.to_owned(), value));
            } else if field == FAILING {
                record.failing_since = Some(value);
            }
        }
        record.problems.sort();
        record.fine.sort();
        record
    }

    /// Whether `code` is a standing problem.
    pub fn has(&self, code: &str) -> bool {
        self.problems.iter().any(|(c, _)| c == code)
    }
}

/// The field names of a record, for the backends.
pub(crate) fn problem_field(code: &str) -> String {
    format!("{PROBLEM}{code}")
}
pub(crate) fn fine_field(code: &str) -> String {
    format!("{FINE}{code}")
}
pub(crate) fn state_field(name: &str) -> String {
    format!("{STATE}{name}")
}
pub(crate) const FAILING_FIELD: &str = FAILING;
pub(crate) const STATE_PREFIX: &str = STATE;
pub(crate) const PROBLEM_PREFIX: &str = PROBLEM;

/// Refuses a code or state name that would not make a field of its own.
pub(crate) fn check_name(name: &str) -> Result<(), LedgerError> {
    let fine = !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if fine {
        Ok(())
    } else {
        Err(LedgerError::Refused(format!("not a health code: {name:?}")))
    }
}

/// Each number's health; both backends implement it.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Records one observation, in one atomic step, and returns the record
    /// after it. Fine: the code's problem is dropped and the instant kept;
    /// when no problem is left the failing episode ends. Failed (unless the
    /// code was seen fine within `grace_micros`): the problem is recorded
    /// with this instant if it was not standing, and a failing episode
    /// begins if none was under way.
    async fn observe_health(&self, signal: &HealthSignal) -> Result<HealthRecord, LedgerError>;

    /// Notes the state a replica computed for `number`; returns since when
    /// it holds: the instant stored when the state is the one already
    /// noted, else `at_micros` (the state changed now).
    async fn note_health_state(&self, number: &str, state: &str, at_micros: i64) -> Result<i64, LedgerError>;

    /// `number`'s record (empty when nothing was ever observed).
    async fn health(&self, number: &str) -> Result<HealthRecord, LedgerError>;
}
