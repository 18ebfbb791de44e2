//! Reading the entries stream for reconciliation: oldest first, filtered by
//! [`EntryFilter`] (tenant, time window, then limit) as SQLite does.

use std::collections::HashMap;

use ::redis::streams::StreamRangeReply;
use ::redis::Value;
use antirelou_domain::Money;

use super::{script, RedisLedger};
use crate::model::{Entry, EntryFilter, EntryKind};
use crate::LedgerError;

/// Entries are read from the stream this many at a time.
pub const PAGE: usize = 1_000;

/// Pages through the whole stream (entry times are the callers' clocks, not
/// stream ids, so there is no index to seek with); each page is one call
/// bounded by the response timeout.
pub async fn read(ledger: &RedisLedger, filter: &EntryFilter) -> Result<Vec<Entry>, LedgerError> {
    let key = ledger.inner.keys.entries();
    let limit = filter.limit.unwrap_or(usize::MAX);
    let mut found = Vec::new();
    let mut start = "-".to_owned();
    while found.len() < limit {
        let page: StreamRangeReply = ledger
            .bounded(
                ::redis::cmd("XRANGE")
                    .arg(&key)
                    .arg(&start)
                    .arg("+")
                    .arg("COUNT")
                    .arg(PAGE)
                    .query_async(&mut ledger.connection()),
            )
            .await?;
        for item in &page.ids {
            let entry = decode(&item.map).ok_or_else(|| LedgerError::Corrupt(format!("ledger entry {}", item.id)))?;
            if filter.matches(&entry) && found.len() < limit {
                found.push(entry);
            }
        }
        match page.ids.last() {
            Some(last) if page.ids.len() == PAGE => start = next_stream_id(&last.id)?,
            _ => break,
        }
    }
    Ok(found)
}

fn decode(fields: &HashMap<String, Value>) -> Option<Entry> {
    let text = |name: &str| match fields.get(name)? {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    };
    let int = |name: &str| fields.get(name).and_then(script::integer);
    Some(Entry {
        id: u64::try_from(int("id")?).ok()?,
        at_micros: int("at")?,
        tenant: text("tenant")?,
        number: text("number")?,
        kind: EntryKind::from_label(&text("kind")?)?,
        amount: Money::from_micros(int("amount")?),
        count: u32::try_from(int("count")?).ok()?,
        reference: text("ref")?,
    })
}

/// The smallest stream id after `id` (`ms-seq`), for the next XRANGE page
/// (works on Redis older than 6.2, which lacks exclusive ranges).
pub(super) fn next_stream_id(id: &str) -> Result<String, LedgerError> {
    let corrupt = || LedgerError::Corrupt(format!("stream id {id:?}"));
    let (ms, seq) = id.split_once('-').ok_or_else(corrupt)?;
    let (ms, seq): (u64, u64) = (ms.parse().map_err(|_| corrupt())?, seq.parse().map_err(|_| corrupt())?);
    Ok(match seq.checked_add(1) {
        Some(seq) => format!("{ms}-{seq}"),
        None => format!("{}-0", ms.checked_add(1).ok_or_else(corrupt)?),
    })
}
