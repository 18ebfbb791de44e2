//! [`Reports`] on Redis: an alert claim is one Lua script (`claim_alert.lua`:
//! SET NX, then LPUSH + LTRIM of the owner's list); a day's counters are one
//! hash per tenant and day, added to with HINCRBY in one MULTI.

use antirelou_domain::micros;
use async_trait::async_trait;

use super::RedisLedger;
use crate::reports::{
    AlertClaim, AlertRecord, DayCounts, Reports, ALERTS_KEPT, DAY_COUNTERS_RETENTION_SECONDS, MAX_STATS_DAYS,
};
use crate::LedgerError;

#[async_trait]
impl Reports for RedisLedger {
    async fn claim_alert(&self, claim: &AlertClaim) -> Result<bool, LedgerError> {
        let ks = &self.inner.keys;
        let record = serde_json::to_string(&claim.record).map_err(|e| LedgerError::Worker(e.to_string()))?;
        let ttl_ms = micros::to_millis((claim.expires_micros - claim.record.at_micros).max(micros::PER_SECOND));
        let mut call = self.inner.scripts.claim_alert.prepare_invoke();
        call.key(ks.alert_claim(&claim.key))
            .key(ks.alerts(&claim.owner))
            .arg(ttl_ms.to_string())
            .arg(record)
            .arg(ALERTS_KEPT.to_string())
            .arg(DAY_COUNTERS_RETENTION_SECONDS.to_string());
        let claimed: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(claimed == 1)
    }

    async fn alerts(&self, owner: &str, limit: usize) -> Result<Vec<AlertRecord>, LedgerError> {
        let last = limit.clamp(1, ALERTS_KEPT) as i64 - 1;
        let list = ::redis::cmd("LRANGE").arg(self.inner.keys.alerts(owner)).arg(0).arg(last).to_owned();
        let raw: Vec<String> = self.bounded(list.query_async(&mut self.connection())).await?;
        // A record this version cannot read is skipped, not an error for the whole list.
        Ok(raw.iter().filter_map(|r| serde_json::from_str(r).ok()).collect())
    }

    async fn add_day_counts(&self, counts: &DayCounts) -> Result<(), LedgerError> {
        if counts.counts.is_empty() {
            return Ok(());
        }
        let key = self.inner.keys.day_counts(&counts.tenant, &counts.day);
        let mut pipe = ::redis::pipe();
        pipe.atomic();
        for (field, value) in &counts.counts {
            pipe.cmd("HINCRBY").arg(&key).arg(field).arg(*value).ignore();
        }
        pipe.cmd("EXPIRE").arg(&key).arg(DAY_COUNTERS_RETENTION_SECONDS).ignore();
        let () = self.bounded(pipe.query_async(&mut self.connection())).await?;
        Ok(())
    }

    async fn day_counts(&self, tenant: &str, days: &[String]) -> Result<Vec<Vec<(String, i64)>>, LedgerError> {
        if days.len() > MAX_STATS_DAYS {
            return Err(LedgerError::Refused(format!("at most {MAX_STATS_DAYS} days at once")));
        }
        let mut pipe = ::redis::pipe();
        for day in days {
            pipe.cmd("HGETALL").arg(self.inner.keys.day_counts(tenant, day));
        }
        let all: Vec<Vec<(String, i64)>> = self.bounded(pipe.query_async(&mut self.connection())).await?;
        Ok(all
            .into_iter()
            .map(|mut day| {
                day.sort();
                day
            })
            .collect())
    }
}
