//! Budget alerts: at 50 %, 80 % and 100 % of each cap (the number's day,
//! the tenant's month, the deployment's month) and of a prepaid balance,
//! once per period (for the balance: per top-up) and threshold across every
//! replica and restart.
//!
//! Start with [`crossings`] and [`balance_crossings`] (pure: which
//! thresholds the current spend has reached), then [`claim`]: the alert of
//! a crossing is claimed in the
//! ledger ([`Reports::claim_alert`](antirelou_ledger::Reports::claim_alert)),
//! and only the one caller whose claim succeeds emits it. The deployment's
//! cap concerns every tenant: its alert is kept under
//! [`DEPLOYMENT_ALERTS`] and sent to every tenant's webhook.

use antirelou_domain::micros;
use antirelou_domain::{Money, Periods};
use antirelou_ledger::reports::DEPLOYMENT_ALERTS;
use antirelou_ledger::{AlertClaim, AlertRecord, BudgetScope, Caps, SpendTotals, TopUpMark};

use crate::alerts::{Alert, AlertKind};

/// The thresholds, in percent of a cap.
pub const THRESHOLDS: [u8; 3] = [50, 80, 100];
/// A claim outlives its period by this much (clock skew between replicas).
const CLAIM_MARGIN_MICROS: i64 = micros::from_seconds(86_400);
/// A balance's period ends with the next top-up, which has no date: its
/// claims are kept as long as the ledger keeps alerts (400 days).
const BALANCE_CLAIM_MICROS: i64 = micros::from_seconds(400 * 86_400);

/// One threshold reached by the spend of one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crossing {
    pub scope: BudgetScope,
    pub threshold: u8,
    /// Spent in the period (for the balance: since the last top-up).
    pub spent: Money,
    /// The cap (for the balance: what the last top-up left).
    pub cap: Money,
    /// The balance's period: the last top-up (`None` for the caps).
    pub top_up: Option<TopUpMark>,
}

fn reached(spent: Money, cap: Money, threshold: u8) -> bool {
    // spent / cap >= threshold / 100, in integers.
    i128::from(spent.micros()) * 100 >= i128::from(cap.micros()) * i128::from(threshold)
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
            if reached(spent, cap, threshold) {
                found.push(Crossing { scope, threshold, spent, cap, top_up: None });
            }
        }
    }
    found
}

/// The prepaid balance's thresholds reached since the last top-up `mark`:
/// 50 % and 80 % of what the top-up left spent, and 100 % once what is left
/// cannot pay one more reply of `reply_cost` (an exhausted balance, even if
/// a few micro-units remain).
pub fn balance_crossings(mark: &TopUpMark, balance: Money, reply_cost: Money) -> Vec<Crossing> {
    let reference = mark.balance_after;
    if reference.micros() <= 0 {
        return Vec::new();
    }
    let spent = reference.saturating_sub(balance).max(Money::ZERO);
    let exhausted = balance < reply_cost.max(Money::from_micros(1));
    THRESHOLDS
        .into_iter()
        .filter(|&threshold| if threshold >= 100 { exhausted } else { reached(spent, reference, threshold) })
        .map(|threshold| Crossing {
            scope: BudgetScope::Balance,
            threshold,
            spent,
            cap: reference,
            top_up: Some(*mark),
        })
        .collect()
}

/// The claim and the alert of `crossing` for `tenant`'s `number` in
/// `periods`; a prepaid balance's alert names `donation_url`, the tenant's
/// page where people give, when it has one.
pub fn claim(
    tenant: &str,
    number: &str,
    crossing: &Crossing,
    periods: &Periods,
    now_micros: i64,
    donation_url: Option<&str>,
) -> (AlertClaim, Alert) {
    if let Some(mark) = &crossing.top_up {
        return balance_claim(tenant, crossing, mark, now_micros, donation_url);
    }
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
    let mut details = details(crossing, period.clone());
    details.insert("cap".into(), crossing.cap.to_string().into());
    let alert = Alert {
        kind: AlertKind::Budget,
        event: budget_event(crossing.threshold),
        tenant: owner.to_owned(),
        number: (crossing.scope == BudgetScope::NumberDaily).then(|| number.to_owned()),
        text,
        details,
    };
    (to_claim(owner, key, &alert, now_micros, ends.saturating_add(CLAIM_MARGIN_MICROS)), alert)
}

/// A prepaid balance's alert: its period is the last top-up (`mark`), the
/// claim is the tenant's whichever of its numbers saw the crossing first.
fn balance_claim(
    tenant: &str,
    crossing: &Crossing,
    mark: &TopUpMark,
    now_micros: i64,
    donation_url: Option<&str>,
) -> (AlertClaim, Alert) {
    let since = chrono::DateTime::from_timestamp_micros(mark.at_micros).map(|t| t.to_rfc3339()).unwrap_or_default();
    let left = crossing.cap.saturating_sub(crossing.spent).max(Money::ZERO);
    let mut text = if crossing.threshold >= 100 {
        format!(
            "antirelou: the prepaid balance of tenant {tenant} can no longer pay a reply ({left} left of the {} \
             of the top-up of {since}): no more replies until it is topped up.",
            crossing.cap,
        )
    } else {
        format!(
            "antirelou: tenant {tenant} has spent {} % of its prepaid balance ({} of the {} of the top-up of {since}; {left} left).",
            crossing.threshold, crossing.spent, crossing.cap,
        )
    };
    let mut details = details(crossing, since);
    details.insert("topped_up_to".into(), crossing.cap.to_string().into());
    details.insert("left".into(), left.to_string().into());
    if let Some(url) = donation_url {
        text.push_str(&format!(" Donations credit the balance: {url}"));
        details.insert("donation_url".into(), url.into());
    }
    let alert = Alert {
        kind: AlertKind::Budget,
        event: budget_event(crossing.threshold),
        tenant: tenant.to_owned(),
        number: None,
        text,
        details,
    };
    let key = format!("budget:{}:{tenant}:{}:{}", crossing.scope.as_str(), mark.entry_id, crossing.threshold);
    (to_claim(tenant, key, &alert, now_micros, now_micros.saturating_add(BALANCE_CLAIM_MICROS)), alert)
}

/// What every budget alert carries besides its text.
fn details(crossing: &Crossing, period: String) -> serde_json::Map<String, serde_json::Value> {
    let mut details = serde_json::Map::new();
    details.insert("scope".into(), crossing.scope.as_str().into());
    details.insert("threshold_percent".into(), crossing.threshold.into());
    details.insert("period".into(), period.into());
    details.insert("spent".into(), crossing.spent.to_string().into());
    details
}

fn to_claim(owner: &str, key: String, alert: &Alert, now_micros: i64, expires_micros: i64) -> AlertClaim {
    let json = serde_json::to_string(alert).unwrap_or_default();
    AlertClaim { owner: owner.to_owned(), key, record: AlertRecord { at_micros: now_micros, json }, expires_micros }
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
            top_up: None,
        };
        let (claim, alert) = claim("paris", "+33612345678", &crossing, &periods, 1, Some("https://example.org/give"));
        assert_eq!(claim.key, "budget:number_daily:+33612345678:2026-11-28:80");
        assert_eq!(claim.owner, "paris");
        assert_eq!(alert.event, "budget_80");
        assert!(alert.text.contains("80 %") && alert.text.contains("0.80"), "{}", alert.text);
        assert!(!alert.text.contains("example.org"), "a cap's alert names no donation page: money does not lift a cap");
        let deployment = Crossing { scope: BudgetScope::DeploymentMonthly, ..crossing };
        let (claim, _) = super::claim("paris", "+33612345678", &deployment, &periods, 1, None);
        assert_eq!((claim.owner.as_str(), claim.key.as_str()), ("*", "budget:deployment_monthly:2026-11:80"));
    }

    fn mark(after: i64) -> TopUpMark {
        TopUpMark { entry_id: 7, balance_after: Money::from_micros(after), at_micros: 1_795_867_200_000_000 }
    }

    fn thresholds(found: &[Crossing]) -> Vec<u8> {
        found.iter().map(|c| c.threshold).collect()
    }

    #[test]
    fn a_balance_alerts_at_half_and_four_fifths_spent_and_when_it_cannot_pay_a_reply() {
        let reply = Money::from_micros(160_000);
        let top_up = mark(10_000_000);
        let at = |left: i64| thresholds(&balance_crossings(&top_up, Money::from_micros(left), reply));
        assert_eq!(at(10_000_000), Vec::<u8>::new());
        assert_eq!(at(5_000_001), Vec::<u8>::new());
        assert_eq!(at(5_000_000), vec![50]);
        assert_eq!(at(2_000_001), vec![50]);
        assert_eq!(at(2_000_000), vec![50, 80]);
        // 0.16 left still pays one reply; 0.159999 does not.
        assert_eq!(at(160_000), vec![50, 80]);
        assert_eq!(at(159_999), vec![50, 80, 100]);
        assert_eq!(at(0), vec![50, 80, 100]);
        // A free reply: exhausted only at zero.
        assert_eq!(thresholds(&balance_crossings(&top_up, Money::from_micros(1), Money::ZERO)), vec![50, 80]);
        assert_eq!(thresholds(&balance_crossings(&top_up, Money::ZERO, Money::ZERO)), vec![50, 80, 100]);
    }

    #[test]
    fn a_balance_claim_is_the_tenants_per_top_up_and_threshold() {
        let periods =
            Periods::at(chrono::DateTime::from_timestamp(1_795_867_200, 0).unwrap(), chrono_tz::Europe::Paris);
        let found = balance_crossings(&mark(10_000_000), Money::from_micros(1_500_000), Money::from_micros(160_000));
        let (claim, alert) = claim("paris", "+33612345678", &found[1], &periods, 5, None);
        assert_eq!((claim.owner.as_str(), claim.key.as_str()), ("paris", "budget:balance:paris:7:80"));
        assert_eq!((alert.event, alert.number.as_deref()), ("budget_80", None));
        assert!(
            alert.text.contains("80 %") && alert.text.contains("8.50") && alert.text.contains("1.50"),
            "{}",
            alert.text
        );
        assert_eq!(alert.details["left"], "1.50");
        assert_eq!(alert.details["scope"], "balance");
        assert!(claim.expires_micros > 5 + 365 * 86_400 * 1_000_000, "kept about as long as the alerts");
        assert!(alert.details.get("donation_url").is_none() && !alert.text.contains("Donations"));
        // With the collective's donation page, the alert says where to give.
        let page = "https://www.helloasso.com/associations/collectif-paris";
        let (_, alert) = super::claim("paris", "+33612345678", &found[1], &periods, 5, Some(page));
        assert!(alert.text.ends_with(&format!("Donations credit the balance: {page}")), "{}", alert.text);
        assert_eq!(alert.details["donation_url"], page);
        // The next top-up starts a new round of claims.
        let next = TopUpMark { entry_id: 9, ..mark(10_000_000) };
        let again = balance_crossings(&next, Money::from_micros(1_500_000), Money::from_micros(160_000));
        assert_eq!(claim_key(&again[1], &periods), "budget:balance:paris:9:80");
    }

    fn claim_key(crossing: &Crossing, periods: &Periods) -> String {
        claim("paris", "+33612345678", crossing, periods, 5, None).0.key
    }
}
