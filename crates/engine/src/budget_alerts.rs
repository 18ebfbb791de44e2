//! Budget alerts: at 50 %, 80 % and 100 % of each cap (the number's day,
//! the tenant's month, the deployment's month), once per period and
//! threshold across every replica and restart.
//!
//! Start with [`crossings`] (pure: which thresholds the current spend has
//! reached), then [`claim`]: the alert of a crossing is claimed in the
//! ledger ([`Reports::claim_alert`](antirelou_ledger::Reports::claim_alert)),
//! and only the one caller whose claim succeeds emits it. The deployment's
//! cap concerns every tenant: its alert is kept under
//! [`DEPLOYMENT_ALERTS`] and sent to every tenant's webhook.

use antirelou_domain::{Money, Periods};
use antirelou_ledger::reports::DEPLOYMENT_ALERTS;
use antirelou_ledger::{AlertClaim, AlertRecord, BudgetScope, Caps, SpendTotals};

use crate::alerts::{Alert, AlertKind};

/// The thresholds, in percent of a cap.
pub const THRESHOLDS: [u8; 3] = [50, 80, 100];
/// A claim outlives its period by this much (clock skew between replicas).
const CLAIM_MARGIN_MICROS: i64 = 86_400 * 1_000_000;

/// One threshold reached by the spend of one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crossing {
    pub scope: BudgetScope,
    pub threshold: u8,
    pub spent: Money,
    pub cap: Money,
}

/// Every threshold the spend in `totals` has reached, for each capped scope.
pub fn crossings(caps: &Caps, totals: &SpendTotals) -> Vec<Crossing> {
    let scopes = [
        (BudgetScope::NumberDaily, caps.number_daily, totals.number_day),
        (BudgetScope::TenantMonthly, caps.tenant_monthly, totals.tenant_month),
        (BudgetScope::DeploymentMonthly, caps.deployment_monthly, totals.deployment_month),
    ];
    let mut found = Vec::new();
    for (scope, cap, spent) in scopes {
        let Some(cap) = cap.filter(|c| c.micros() > 0) else { continue };
        for threshold in THRESHOLDS {
            // spent / cap >= threshold / 100, in integers.
            let reached = i128::from(spent.micros()) * 100 >= i128::from(cap.micros()) * i128::from(threshold);
            if reached {
                found.push(Crossing { scope, threshold, spent, cap });
            }
        }
    }
    found
}

/// The claim and the alert of `crossing` for `tenant`'s `number` in `periods`.
pub fn claim(
    tenant: &str,
    number: &str,
    crossing: &Crossing,
    periods: &Periods,
    now_micros: i64,
) -> (AlertClaim, Alert) {
    let (owner, subject, period, ends) = match crossing.scope {
        BudgetScope::NumberDaily => (tenant, format!("number {number}"), &periods.day, periods.day_ends_micros),
        BudgetScope::TenantMonthly => (tenant, format!("tenant {tenant}"), &periods.month, periods.month_ends_micros),
        _ => (DEPLOYMENT_ALERTS, "the deployment".to_owned(), &periods.month, periods.month_ends_micros),
    };
    let scope = crossing.scope.as_str();
    let key = match crossing.scope {
        BudgetScope::NumberDaily => format!("budget:{scope}:{number}:{period}:{}", crossing.threshold),
        BudgetScope::TenantMonthly => format!("budget:{scope}:{tenant}:{period}:{}", crossing.threshold),
        _ => format!("budget:{scope}:{period}:{}", crossing.threshold),
    };
    let text = if crossing.threshold >= 100 {
        format!(
            "antirelou: {subject} has spent its whole {} cap ({} of {}) for {period}: no more replies until the period ends or the cap is raised.",
            scope_words(crossing.scope),
            crossing.spent,
            crossing.cap,
        )
    } else {
        format!(
            "antirelou: {subject} has spent {} % of its {} cap ({} of {}) for {period}.",
            crossing.threshold,
            scope_words(crossing.scope),
            crossing.spent,
            crossing.cap,
        )
    };
    let mut details = serde_json::Map::new();
    details.insert("scope".into(), scope.into());
    details.insert("threshold_percent".into(), crossing.threshold.into());
    details.insert("period".into(), period.clone().into());
    details.insert("spent".into(), crossing.spent.to_string().into());
    details.insert("cap".into(), crossing.cap.to_string().into());
    let alert = Alert {
        kind: AlertKind::Budget,
        event: budget_event(crossing.threshold),
        tenant: owner.to_owned(),
        number: (crossing.scope == BudgetScope::NumberDaily).then(|| number.to_owned()),
        text,
        details,
    };
    let json = serde_json::to_string(&alert).unwrap_or_default();
    let claim = AlertClaim {
        owner: owner.to_owned(),
        key,
        record: AlertRecord { at_micros: now_micros, json },
        expires_micros: ends.saturating_add(CLAIM_MARGIN_MICROS),
    };
    (claim, alert)
}

fn scope_words(scope: BudgetScope) -> &'static str {
    match scope {
        BudgetScope::NumberDaily => "daily",
        BudgetScope::TenantMonthly | BudgetScope::DeploymentMonthly => "monthly",
        BudgetScope::Balance => "prepaid",
    }
}

/// The `event` of a budget alert.
pub fn budget_event(threshold: u8) -> &'static str {
    match threshold {
        50 => "budget_50",
        80 => "budget_80",
        _ => "budget_100",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(daily: i64) -> Caps {
        Caps { number_daily: Some(Money::from_micros(daily)), tenant_monthly: None, deployment_monthly: None }
    }

    fn spent(day: i64) -> SpendTotals {
        SpendTotals { number_day: Money::from_micros(day), ..SpendTotals::default() }
    }

    #[test]
    fn each_threshold_is_reached_at_its_exact_micro() {
        let cap = caps(1_000_000);
        assert!(crossings(&cap, &spent(499_999)).is_empty());
        let at_half = crossings(&cap, &spent(500_000));
        assert_eq!(at_half.iter().map(|c| c.threshold).collect::<Vec<_>>(), vec![50]);
        assert_eq!(crossings(&cap, &spent(800_000)).len(), 2);
        assert_eq!(crossings(&cap, &spent(1_000_000)).len(), 3);
        assert!(crossings(&Caps::default(), &spent(9_000_000)).is_empty(), "no cap, no alert");
    }

    #[test]
    fn a_claim_is_per_scope_period_and_threshold_and_its_text_reads_for_chat() {
        let periods =
            Periods::at(chrono::DateTime::from_timestamp(1_795_867_200, 0).unwrap(), chrono_tz::Europe::Paris);
        let crossing = Crossing {
            scope: BudgetScope::NumberDaily,
            threshold: 80,
            spent: Money::from_micros(800_000),
            cap: Money::from_micros(1_000_000),
        };
        let (claim, alert) = claim("paris", "+33612345678", &crossing, &periods, 1);
        assert_eq!(claim.key, "budget:number_daily:+33612345678:2026-11-28:80");
        assert_eq!(claim.owner, "paris");
        assert_eq!(alert.event, "budget_80");
        assert!(alert.text.contains("80 %") && alert.text.contains("0.80"), "{}", alert.text);
        let deployment = Crossing { scope: BudgetScope::DeploymentMonthly, ..crossing };
        let (claim, _) = super::claim("paris", "+33612345678", &deployment, &periods, 1);
        assert_eq!((claim.owner.as_str(), claim.key.as_str()), ("*", "budget:deployment_monthly:2026-11:80"));
    }
}
