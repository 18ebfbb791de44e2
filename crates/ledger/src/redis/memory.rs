//! What the ledger asks of the Redis server's memory: a policy that never
//! evicts ledger keys (checked at start), and the figures `storage` reports.

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::LedgerError;

/// Refuses `allkeys-*` and `volatile-*`: balances, entries, sender memory and
/// message ids must never be evicted (an evicted message id or sender memory
/// would pay twice). A Redis that hides CONFIG (managed services) is trusted,
/// with a warning.
pub(super) async fn check_eviction_policy(manager: &ConnectionManager, limit: Duration) -> Result<(), LedgerError> {
    let reply = tokio::time::timeout(
        limit,
        ::redis::cmd("CONFIG")
            .arg("GET")
            .arg("maxmemory-policy")
            .query_async::<HashMap<String, String>>(&mut manager.clone()),
    )
    .await
    .map_err(|_| LedgerError::Timeout(limit))?;
    let policy = match reply {
        Ok(config) => config.get("maxmemory-policy").cloned(),
        // The server answered with an error: CONFIG is renamed or denied.
        Err(error) if error.code().is_some() => {
            tracing::warn!(
                %error,
                "cannot read redis maxmemory-policy (CONFIG GET refused); make sure it is \
                 noeviction, or ledger keys may be evicted"
            );
            return Ok(());
        }
        Err(error) => return Err(error.into()),
    };
    match policy {
        Some(policy) if evicts_ledger_keys(&policy) => Err(LedgerError::Refused(format!(
            "redis maxmemory-policy is {policy}: it may evict ledger keys (balances, entries, \
             sender memory); set it to noeviction"
        ))),
        Some(_) => Ok(()),
        None => {
            tracing::warn!("redis did not report its maxmemory-policy; make sure it is noeviction");
            Ok(())
        }
    }
}

/// The figures of `INFO memory stats errorstats` (`field:value` lines).
pub(super) fn parse_info(info: &str) -> crate::StorageFigures {
    let field = |name: &str| {
        info.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|value| value.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    // `errorstat_OOM:count=12`
    let rejected = info
        .lines()
        .find_map(|line| line.strip_prefix("errorstat_OOM:count="))
        .and_then(|rest| rest.split(',').next()?.trim().parse().ok())
        .unwrap_or(0);
    crate::StorageFigures {
        used_memory_bytes: field("used_memory"),
        maxmemory_bytes: field("maxmemory"),
        evicted_keys: field("evicted_keys"),
        rejected_writes: rejected,
    }
}

/// `allkeys-*` may evict anything; `volatile-*` may evict keys with a TTL,
/// which message ids and sender memories are.
fn evicts_ledger_keys(policy: &str) -> bool {
    policy.starts_with("allkeys-") || policy.starts_with("volatile-")
}
