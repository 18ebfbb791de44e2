//! Alert claims and per-day counters ([`Reports`](crate::Reports)).

use super::NOON_MICROS;
use crate::reports::{outcome_field, spend_field, AlertClaim, AlertRecord, DayCounts, ALERTS_KEPT};
use crate::Ledger;

fn claim(key: &str, at_micros: i64, expires_micros: i64) -> AlertClaim {
    AlertClaim {
        owner: "paris".to_owned(),
        key: key.to_owned(),
        record: AlertRecord { at_micros, json: format!("{{\"key\":\"{key}\"}}") },
        expires_micros,
    }
}

pub async fn an_alert_is_claimed_once_and_kept_newest_first(ledger: &dyn Ledger) {
    let day_end = NOON_MICROS + 12 * 3_600_000_000;
    assert!(ledger.claim_alert(&claim("budget:number:+1:d:50", NOON_MICROS, day_end)).await.unwrap());
    assert!(!ledger.claim_alert(&claim("budget:number:+1:d:50", NOON_MICROS + 1, day_end)).await.unwrap());
    assert!(ledger.claim_alert(&claim("budget:number:+1:d:80", NOON_MICROS + 2, day_end)).await.unwrap());
    let kept = ledger.alerts("paris", 10).await.unwrap();
    assert_eq!(kept.len(), 2, "the refused claim adds nothing");
    assert_eq!(kept[0].json, "{\"key\":\"budget:number:+1:d:80\"}");
    assert_eq!(kept[1].at_micros, NOON_MICROS);
    assert!(ledger.alerts("lyon", 10).await.unwrap().is_empty(), "another tenant's list is its own");
}

pub async fn kept_alerts_are_bounded(ledger: &dyn Ledger) {
    let later = NOON_MICROS + 3_600_000_000;
    for i in 0..ALERTS_KEPT + 5 {
        assert!(ledger.claim_alert(&claim(&format!("k{i}"), NOON_MICROS + i as i64, later)).await.unwrap());
    }
    let kept = ledger.alerts("paris", ALERTS_KEPT + 50).await.unwrap();
    assert_eq!(kept.len(), ALERTS_KEPT);
    assert_eq!(kept[0].json, format!("{{\"key\":\"k{}\"}}", ALERTS_KEPT + 4));
}

pub async fn day_counters_add_up_per_tenant_and_day(ledger: &dyn Ledger) {
    let replied = outcome_field("replied");
    let reply = spend_field("reply");
    let add = |tenant: &str, day: &str, n: i64| DayCounts {
        tenant: tenant.to_owned(),
        day: day.to_owned(),
        counts: vec![(replied.clone(), n), (reply.clone(), n * 80_000)],
    };
    ledger.add_day_counts(&add("paris", "2026-11-28", 2)).await.unwrap();
    ledger.add_day_counts(&add("paris", "2026-11-28", 3)).await.unwrap();
    ledger.add_day_counts(&add("paris", "2026-11-29", 1)).await.unwrap();
    ledger.add_day_counts(&add("lyon", "2026-11-28", 7)).await.unwrap();
    let days = ["2026-11-27", "2026-11-28", "2026-11-29"].map(String::from);
    let counts = ledger.day_counts("paris", &days).await.unwrap();
    assert_eq!(counts.len(), 3);
    assert!(counts[0].is_empty());
    assert_eq!(counts[1], vec![(replied.clone(), 5), (reply.clone(), 400_000)]);
    assert_eq!(counts[2], vec![(replied, 1), (reply, 80_000)]);
    let too_many: Vec<String> = (0..93).map(|i| format!("day{i}")).collect();
    assert!(ledger.day_counts("paris", &too_many).await.is_err(), "a read is bounded");
}
