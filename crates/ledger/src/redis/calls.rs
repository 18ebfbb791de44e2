//! Calls of the Redis ledger: an answered call's record (a hash written by
//! `decide.lua`, kept [`CALL_RETENTION_SECONDS`](crate::calls::CALL_RETENTION_SECONDS)
//! after the caller's `now`, its expiry stored in it) is read, then `settle_call.lua` settles it once: the script checks the
//! record is still the one read and not settled, so two replicas (or two
//! deliveries of one callback) settle a call once.

use ::redis::Value;
use antirelou_domain::Money;
use async_trait::async_trait;

use super::{events, script, RedisLedger, ENTRIES_MAXLEN};
use crate::calls::{check_settlement, CallSettlement, Calls, SettleVerdict};
use crate::model::EntryKind;
use crate::reports::{number_field, spend_field, DAY_COUNTERS_RETENTION_SECONDS};
use crate::{rules, LedgerError, LedgerEvent};

/// The fields of a call's record the settlement reads, in this order.
const FIELDS: [&str; 7] = ["tenant", "reserved", "balance_paid", "day", "month", "settled", "expires"];

#[async_trait]
impl Calls for RedisLedger {
    async fn settle_call(&self, s: &CallSettlement) -> Result<SettleVerdict, LedgerError> {
        check_settlement(s)?;
        let ks = &self.inner.keys;
        let record_key = ks.call(&s.number, &s.call_id);
        let record: Vec<Option<String>> = self
            .bounded(::redis::cmd("HMGET").arg(&record_key).arg(&FIELDS[..]).query_async(&mut self.connection()))
            .await?;
        let field = |i: usize| record.get(i).cloned().flatten();
        let (Some(tenant), Some(reserved), Some(day), Some(month)) = (field(0), field(1), field(3), field(4)) else {
            return Ok(SettleVerdict::UnknownCall);
        };
        // Its expiry is compared with the caller's clock, as SQLite does.
        let expired = field(6).and_then(|e| e.parse::<i64>().ok()).is_none_or(|e| e <= s.now_micros);
        if tenant != s.tenant || expired {
            return Ok(SettleVerdict::UnknownCall);
        }
        if field(5).is_some() {
            return Ok(SettleVerdict::AlreadySettled);
        }
        let amount = |text: Option<String>| {
            text.as_deref()
                .and_then(|t| t.parse::<i64>().ok())
                .filter(|m| *m >= 0)
                .map(Money::from_micros)
                .ok_or_else(|| LedgerError::Corrupt(format!("call record {record_key}: {record:?}")))
        };
        let reserved_money = amount(Some(reserved.clone()))?;
        let balance_paid = amount(field(2))?;
        let (cost, over_reservation) = s.cost(reserved_money);
        let given_back = reserved_money.saturating_sub(cost);
        let spend = spend_field(EntryKind::Call.as_str());
        let event = events::encode(&LedgerEvent::TopUp { tenant: s.tenant.clone() });
        let mut call = self.inner.scripts.settle_call.prepare_invoke();
        call.key(&record_key)
            .key(ks.key(&rules::number_day(&s.number, &day)))
            .key(ks.key(&rules::tenant_month(&s.tenant, &month)))
            .key(ks.key(&rules::deployment_month(&month)))
            .key(ks.balances())
            .key(ks.entry_ids())
            .key(ks.entries())
            .key(ks.day_counts(&s.tenant, &day))
            .arg(&s.tenant)
            .arg(&s.number)
            .arg(&s.call_id)
            .arg(s.now_micros.to_string())
            .arg(s.seconds.to_string())
            .arg(&reserved)
            .arg(&day)
            .arg(&month)
            .arg(given_back.micros().to_string())
            .arg(given_back.micros().saturating_neg().to_string())
            .arg(given_back.min(balance_paid).micros().to_string())
            .arg(ENTRIES_MAXLEN)
            .arg(&spend)
            .arg(number_field(&s.number, &spend))
            .arg(DAY_COUNTERS_RETENTION_SECONDS.to_string())
            .arg(ks.events())
            .arg(event);
        let mut connection = self.connection();
        let reply: Vec<Value> = self.bounded(call.invoke_async(&mut connection)).await?;
        let corrupt = || LedgerError::Corrupt(format!("unexpected settle_call script reply {reply:?}"));
        let int = |i: usize| reply.get(i).and_then(script::integer).ok_or_else(corrupt);
        match int(0)? {
            0 => {
                let entry_id = u64::try_from(int(1)?).map_err(|_| corrupt())?;
                // Money given back survives a failover like a top-up.
                self.replicated(&mut connection).await?;
                Ok(SettleVerdict::Settled { entry_id, reserved: reserved_money, cost, given_back, over_reservation })
            }
            1 => Ok(SettleVerdict::AlreadySettled),
            2 => Ok(SettleVerdict::UnknownCall),
            _ => Err(corrupt()),
        }
    }
}
