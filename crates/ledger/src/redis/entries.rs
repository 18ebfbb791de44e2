//! Reading the entries stream for reconciliation, one bounded page at a
//! time: oldest first, filtered by [`EntryFilter`] (tenant, time window),
//! the cursor being the last stream id examined. The stream has no index
//! by tenant or time (entry times are the callers' clocks), so a call reads
//! at most [`SCAN_PER_CALL`] stream entries and may return a short page
//! with a cursor: memory and time per call stay bounded whatever the filter.

use std::collections::HashMap;

use ::redis::streams::StreamRangeReply;
use ::redis::Value;
use antirelou_domain::Money;

use super::{script, RedisLedger};
use crate::model::{Entry, EntryFilter, EntryKind, EntryPage};
use crate::LedgerError;

/// Stream entries read per XRANGE.
pub const PAGE: usize = 1_000;
/// Stream entries examined per call, at most.
pub const SCAN_PER_CALL: usize = 20_000;

pub async fn page(ledger: &RedisLedger, filter: &EntryFilter) -> Result<EntryPage, LedgerError> {
    let key = ledger.inner.keys.entries();
    let limit = filter.page_size();
    let mut entries = Vec::with_capacity(limit.min(256));
    let mut start = match filter.after.as_deref() {
        None => "-".to_owned(),
        Some(cursor) => {
            next_stream_id(cursor).map_err(|_| LedgerError::Refused(format!("bad entries cursor {cursor:?}")))?
        }
    };
    let mut scanned = 0;
    loop {
        let count = PAGE.min(SCAN_PER_CALL - scanned);
        let page: StreamRangeReply = ledger
            .bounded(
                ::redis::cmd("XRANGE")
                    .arg(&key)
                    .arg(&start)
                    .arg("+")
                    .arg("COUNT")
                    .arg(count)
                    .query_async(&mut ledger.connection()),
            )
            .await?;
        let Some(last) = page.ids.last() else {
            return Ok(EntryPage { entries, next: None });
        };
        for item in &page.ids {
            scanned += 1;
            let entry = decode(&item.map).ok_or_else(|| LedgerError::Corrupt(format!("ledger entry {}", item.id)))?;
            if filter.matches(&entry) {
                entries.push(entry);
                if entries.len() == limit {
                    return Ok(EntryPage { entries, next: Some(item.id.clone()) });
                }
            }
        }
        if page.ids.len() < count {
            return Ok(EntryPage { entries, next: None });
        }
        if scanned >= SCAN_PER_CALL {
            return Ok(EntryPage { entries, next: Some(last.id.clone()) });
        }
        start = next_stream_id(&last.id)?;
    }
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
