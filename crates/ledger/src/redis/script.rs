//! The Lua scripts of the Redis ledger: how a request becomes their
//! KEYS/ARGV (the layout each `.lua` file documents at its top), and how a
//! script's reply becomes a verdict. The key names are in [`super::layout`].

use ::redis::{Script, ScriptInvocation, Value};
use antirelou_domain::micros;
use antirelou_domain::Money;

use super::layout::KeySpace;
use crate::model::{BudgetScope, InboundBatch, ReplyRequest, ReplyVerdict, SpendTotals};
use crate::{rules, LedgerError};

/// The entries stream is trimmed (approximately) to this many entries; older
/// ones should have been exported for reconciliation long before.
pub const ENTRIES_MAXLEN: u64 = 1_000_000;

/// Longest TTL written (about 34 years): `reply_once_per` beyond that is cut.
const MAX_TTL_MILLIS: i64 = 1 << 40;

/// The scripts, hashed once; `invoke_async` sends EVALSHA and on
/// NOSCRIPT loads the script and retries (redis-rs 1.x `ScriptInvocation`).
pub struct Scripts {
    pub decide: Script,
    pub inbound: Script,
    pub top_up: Script,
    pub shield: Script,
    pub defer: Script,
    pub note: Script,
    pub lease: Script,
    pub release: Script,
    pub claim_alert: Script,
    pub control: Script,
    pub donate: Script,
    pub refund: Script,
    pub sessions: Script,
    pub settle_call: Script,
}

impl Default for Scripts {
    fn default() -> Scripts {
        Scripts::new()
    }
}

impl Scripts {
    pub fn new() -> Scripts {
        Scripts {
            decide: Script::new(include_str!("decide.lua")),
            inbound: Script::new(include_str!("inbound.lua")),
            top_up: Script::new(include_str!("top_up.lua")),
            shield: Script::new(include_str!("shield.lua")),
            defer: Script::new(include_str!("defer.lua")),
            note: Script::new(include_str!("note.lua")),
            lease: Script::new(include_str!("lease.lua")),
            release: Script::new(include_str!("release.lua")),
            claim_alert: Script::new(include_str!("claim_alert.lua")),
            control: Script::new(include_str!("control.lua")),
            donate: Script::new(include_str!("donate.lua")),
            refund: Script::new(include_str!("refund.lua")),
            sessions: Script::new(include_str!("sessions.lua")),
            settle_call: Script::new(include_str!("settle_call.lua")),
        }
    }

    pub fn all(&self) -> [&Script; 14] {
        [
            &self.decide,
            &self.inbound,
            &self.top_up,
            &self.shield,
            &self.defer,
            &self.note,
            &self.lease,
            &self.release,
            &self.claim_alert,
            &self.control,
            &self.donate,
            &self.refund,
            &self.sessions,
            &self.settle_call,
        ]
    }

    pub fn decide_call<'a>(&'a self, ks: &KeySpace, r: &ReplyRequest) -> ScriptInvocation<'a> {
        let (keys, args) = decide_layout(ks, r);
        let mut call = self.decide.prepare_invoke();
        for key in keys {
            call.key(key);
        }
        for arg in args {
            call.arg(arg);
        }
        call
    }

    /// The inbound charge of `b` (the caller skips batches with no id or a zero price).
    pub fn inbound_call<'a>(&'a self, ks: &KeySpace, b: &InboundBatch) -> ScriptInvocation<'a> {
        let now = b.now_micros;
        let ids_ttl_micros = micros::from_seconds(rules::MESSAGE_ID_TTL_SECONDS);
        let mut call = self.inbound.prepare_invoke();
        call.key(ks.key(&rules::number_day(&b.number, &b.periods.day)))
            .key(ks.key(&rules::tenant_month(&b.tenant, &b.periods.month)))
            .key(ks.key(&rules::deployment_month(&b.periods.month)))
            .key(ks.balances())
            .key(ks.entry_ids())
            .key(ks.entries())
            .key(ks.inbound_ids(&b.number))
            .arg(now.to_string())
            .arg(&*b.tenant)
            .arg(&*b.number)
            .arg(b.unit_price.micros().to_string())
            .arg(if b.prepaid { "1" } else { "0" })
            .arg(period_ttl_millis(b.periods.day_ends_micros, now).to_string())
            .arg(period_ttl_millis(b.periods.month_ends_micros, now).to_string())
            .arg(ENTRIES_MAXLEN)
            .arg(now.saturating_add(ids_ttl_micros).to_string())
            .arg((ids_ttl_micros / 1_000).to_string());
        for id in &b.message_ids {
            call.arg(id);
        }
        call
    }
}

/// The KEYS and ARGV of decide.lua for `r`, in the order its header
/// documents: what [`Scripts::decide_call`] sends, and what the benchmarks
/// replay with `redis-benchmark`.
pub fn decide_layout(ks: &KeySpace, r: &ReplyRequest) -> (Vec<String>, Vec<String>) {
    let now = r.now_micros;
    let now_seconds = micros::to_seconds(now);
    let cost = r.cost.micros();
    let reply_once_per = i64::try_from(r.reply_once_per_seconds).unwrap_or(i64::MAX);
    let sender_ttl = reply_once_per.saturating_mul(1_000).min(MAX_TTL_MILLIS);
    let limit = |cap: Option<Money>| cap.map(|cap| cap.micros().saturating_sub(cost).to_string()).unwrap_or_default();
    let optional = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let sender_hex = r.sender.to_hex();
    let keys = vec![
        ks.message(&r.number, &r.message_id),
        ks.sender(&r.number, &sender_hex),
        ks.key(&rules::rate(&r.number, now_seconds)),
        ks.key(&rules::pace(&r.number, r.deferred.map_or(0, |p| p.slot))),
        ks.key(&rules::number_day(&r.number, &r.periods.day)),
        ks.key(&rules::tenant_month(&r.tenant, &r.periods.month)),
        ks.key(&rules::deployment_month(&r.periods.month)),
        ks.balances(),
        ks.entry_ids(),
        ks.entries(),
        ks.opt_out(&r.number, &sender_hex),
        ks.deferred_item(&r.number, &sender_hex),
        ks.call(&r.number, &r.message_id),
    ];
    let args = vec![
        now.to_string(),
        r.tenant.to_string(),
        r.number.to_string(),
        r.message_id.clone(),
        cost.to_string(),
        cost.saturating_neg().to_string(),
        micros::after_seconds(now, rules::MESSAGE_ID_TTL_SECONDS).to_string(),
        (rules::MESSAGE_ID_TTL_SECONDS * 1_000).to_string(),
        micros::after_seconds(now, reply_once_per).to_string(),
        sender_ttl.to_string(),
        optional(r.max_replies_per_minute),
        optional(r.deferred.map(|p| p.slot_replies)),
        limit(r.caps.number_daily),
        limit(r.caps.tenant_monthly),
        limit(r.caps.deployment_monthly),
        if r.prepaid { "1" } else { "0" }.to_owned(),
        period_ttl_millis(r.periods.day_ends_micros, now).to_string(),
        period_ttl_millis(r.periods.month_ends_micros, now).to_string(),
        ENTRIES_MAXLEN.to_string(),
        if r.deferred.is_some() { "1" } else { "" }.to_owned(),
        (rules::PACE_RETENTION_SECONDS * 1_000).to_string(),
        r.kind.as_str().to_owned(),
        micros::after_seconds(now, crate::calls::CALL_RETENTION_SECONDS).to_string(),
        (crate::calls::CALL_RETENTION_SECONDS * 1_000).to_string(),
        r.periods.day.clone(),
        r.periods.month.clone(),
    ];
    (keys, args)
}

/// A spend counter lives until its period ends plus the retention; relative
/// to the caller's `now`, so a virtual clock works too. At least a second.
fn period_ttl_millis(period_ends_micros: i64, now_micros: i64) -> i64 {
    period_ends_micros
        .saturating_add(micros::from_seconds(rules::PERIOD_RETENTION_SECONDS))
        .saturating_sub(now_micros)
        .div_euclid(1_000)
        .clamp(1_000, MAX_TTL_MILLIS)
}

/// The shield key's TTL: until its end, from the caller's `now` (≤ 0: nothing to keep).
pub fn shield_ttl_millis(until_seconds: i64, now_seconds: i64) -> i64 {
    until_seconds.saturating_sub(now_seconds).saturating_mul(1_000).min(MAX_TTL_MILLIS)
}

/// Decodes decide.lua's reply.
pub fn decode_verdict(r: &ReplyRequest, reply: &[Value]) -> Result<ReplyVerdict, LedgerError> {
    let at = |i: usize| reply.get(i).ok_or_else(|| corrupt(reply));
    let int = |i: usize| at(i).and_then(|v| integer(v).ok_or_else(|| corrupt(reply)));
    let totals = || -> Result<SpendTotals, LedgerError> {
        Ok(SpendTotals {
            number_day: Money::from_micros(int(2)?),
            tenant_month: Money::from_micros(int(3)?),
            deployment_month: Money::from_micros(int(4)?),
            balance: match at(5)? {
                Value::BulkString(b) if b.is_empty() => None,
                v => Some(Money::from_micros(integer(v).ok_or_else(|| corrupt(reply))?)),
            },
        })
    };
    Ok(match int(0)? {
        0 => ReplyVerdict::Replied { entry_id: u64::try_from(int(1)?).map_err(|_| corrupt(reply))?, totals: totals()? },
        1 => ReplyVerdict::Duplicate { replied: int(1)? == 1 },
        2 => ReplyVerdict::RepeatSender,
        6 => ReplyVerdict::OptedOut,
        7 => ReplyVerdict::NotPending,
        3 => ReplyVerdict::RateLimited,
        4 => ReplyVerdict::Shielded,
        5 => {
            let (scope, until_micros) = match int(1)? {
                1 => (BudgetScope::NumberDaily, Some(r.periods.day_ends_micros)),
                2 => (BudgetScope::TenantMonthly, Some(r.periods.month_ends_micros)),
                3 => (BudgetScope::DeploymentMonthly, Some(r.periods.month_ends_micros)),
                4 => (BudgetScope::Balance, None),
                _ => return Err(corrupt(reply)),
            };
            ReplyVerdict::BudgetExhausted { scope, until_micros, totals: totals()? }
        }
        _ => return Err(corrupt(reply)),
    })
}

/// An integer reply, or a decimal string (what GET returns for counters).
pub fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Int(i) => Some(*i),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        Value::SimpleString(s) => s.parse().ok(),
        _ => None,
    }
}

fn corrupt(reply: &[Value]) -> LedgerError {
    LedgerError::Corrupt(format!("unexpected decision script reply {reply:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_ttl_is_relative_to_now_and_at_least_a_second() {
        let keep = rules::PERIOD_RETENTION_SECONDS * 1_000;
        assert_eq!(period_ttl_millis(10_000_000, 4_000_000), 6_000 + keep);
        assert_eq!(period_ttl_millis(0, i64::MAX), 1_000);
        assert_eq!(shield_ttl_millis(500, 100), 400_000);
        assert!(shield_ttl_millis(100, 500) < 0);
    }

    #[test]
    fn integers_decode_from_ints_and_strings() {
        assert_eq!(integer(&Value::Int(7)), Some(7));
        assert_eq!(integer(&Value::BulkString(b"-12".to_vec())), Some(-12));
        assert_eq!(integer(&Value::BulkString(Vec::new())), None);
        assert_eq!(integer(&Value::Nil), None);
    }
}
