//! The rules both backends apply, written once: retention, the names of the
//! counters they keep, and the budget rule (the Redis script mirrors it in
//! Lua; the conformance suite holds both to it).

use antirelou_domain::Money;

use crate::model::{BudgetScope, ReplyRequest, ReplyVerdict, SpendTotals};

/// How long a provider message id is remembered for dedupe.
pub const MESSAGE_ID_TTL_SECONDS: i64 = 7 * 86_400;

/// How long a STOP is remembered: five years, "never again" in practice,
/// while a keyed hash of the sender is not kept forever.
pub const OPT_OUT_RETENTION_SECONDS: i64 = 5 * 365 * 86_400;

/// Spend counters are kept this long after their period ends (reporting).
pub const PERIOD_RETENTION_SECONDS: i64 = 62 * 86_400;

/// The largest amount a top-up may credit: a billion units of the currency
/// (far above any collective's fundraiser, far below overflow).
pub const MAX_TOP_UP: Money = Money::from_micros(1_000_000_000_000_000);

/// The largest balance a tenant may hold: 2^53 - 1 micros, the largest
/// integer the Redis scripts (Lua doubles) compare exactly.
pub const MAX_BALANCE: Money = Money::from_micros((1 << 53) - 1);

pub fn number_day(number: &str, day: &str) -> String {
    format!("spend:number:{number}:{day}")
}

pub fn tenant_month(tenant: &str, month: &str) -> String {
    format!("spend:tenant:{tenant}:{month}")
}

pub fn deployment_month(month: &str) -> String {
    format!("spend:deployment:{month}")
}

/// Replies of a number in the UTC minute of `now_seconds`.
pub fn rate(number: &str, now_seconds: i64) -> String {
    format!("rate:{number}:{}", now_seconds.div_euclid(60))
}

/// Refuses a top-up that is not positive or above [`MAX_TOP_UP`].
pub fn check_top_up(amount: Money) -> Result<(), crate::LedgerError> {
    if amount <= Money::ZERO || amount > MAX_TOP_UP {
        return Err(crate::LedgerError::Refused(format!(
            "a top-up must be positive and at most {MAX_TOP_UP} (got {amount})"
        )));
    }
    Ok(())
}

/// Deferred replies paid from a number's arrival slot (see `Pacing`).
pub fn pace(number: &str, slot: i64) -> String {
    format!("pace:{number}:{slot}")
}

/// A pacing counter is kept this long (a slot's judgements end within `shield.defer_for`).
pub const PACE_RETENTION_SECONDS: i64 = 2 * 86_400;

/// The first budget the reply would cross, in order: number/day,
/// tenant/month, deployment/month, prepaid balance.
pub fn budget_refusal(r: &ReplyRequest, totals: &SpendTotals) -> Option<ReplyVerdict> {
    let over = |spent: Money, cap: Option<Money>| {
        cap.is_some_and(|cap| spent.micros().saturating_add(r.cost.micros()) > cap.micros())
    };
    let scope = if over(totals.number_day, r.caps.number_daily) {
        Some((BudgetScope::NumberDaily, Some(r.periods.day_ends_micros)))
    } else if over(totals.tenant_month, r.caps.tenant_monthly) {
        Some((BudgetScope::TenantMonthly, Some(r.periods.month_ends_micros)))
    } else if over(totals.deployment_month, r.caps.deployment_monthly) {
        Some((BudgetScope::DeploymentMonthly, Some(r.periods.month_ends_micros)))
    } else if r.prepaid && totals.balance.unwrap_or_default() < r.cost {
        Some((BudgetScope::Balance, None))
    } else {
        None
    };
    scope.map(|(scope, until_micros)| ReplyVerdict::BudgetExhausted { scope, until_micros, totals: *totals })
}
