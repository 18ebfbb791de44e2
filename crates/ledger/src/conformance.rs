//! The behaviour every [`Ledger`] backend must show, written once. Each
//! backend's tests expand [`ledger_conformance_suite!`](crate::ledger_conformance_suite)
//! with a factory that returns a fresh, empty ledger.

use std::sync::Arc;

use antirelou_domain::{Money, Periods, SenderHasher};
use chrono::{TimeZone, Utc};

use crate::model::{BudgetScope, Caps, EntryFilter, EntryKind, InboundBatch, ReplyRequest, ReplyVerdict, TotalsQuery};
use crate::Ledger;

/// 2026-11-28 12:00:00 UTC, a fixed instant for reproducible periods.
pub const NOON_MICROS: i64 = 1_795_867_200_000_000;

/// A reply request at [`NOON_MICROS`] costing 0.08, with no cap.
pub fn request(tenant: &str, number: &str, message_id: &str, sender: &str) -> ReplyRequest {
    request_at(tenant, number, message_id, sender, NOON_MICROS)
}

pub fn request_at(tenant: &str, number: &str, message_id: &str, sender: &str, now_micros: i64) -> ReplyRequest {
    let now = Utc.timestamp_micros(now_micros).single().unwrap_or_default();
    ReplyRequest {
        tenant: Arc::from(tenant),
        number: Arc::from(number),
        message_id: message_id.to_owned(),
        sender: SenderHasher::new(b"conformance-key").key(sender),
        cost: Money::from_micros(80_000),
        now_micros,
        periods: Periods::at(now, chrono_tz::Europe::Paris),
        reply_once_per_seconds: 30 * 86_400,
        caps: Caps::default(),
        prepaid: false,
        max_replies_per_minute: None,
        shield_trickle_per_hour: None,
    }
}

fn replied(v: &ReplyVerdict) -> bool {
    matches!(v, ReplyVerdict::Replied { .. })
}

async fn number_day_spend(ledger: &dyn Ledger, r: &ReplyRequest) -> Money {
    ledger
        .totals(&TotalsQuery { tenant: r.tenant.to_string(), number: r.number.to_string(), periods: r.periods.clone() })
        .await
        .map(|t| t.number_day)
        .unwrap_or(Money::from_micros(-1))
}

pub async fn first_message_replies_then_sender_is_remembered(ledger: &dyn Ledger) {
    let first = request("paris", "+33612345678", "SM1", "+33700000001");
    assert!(replied(&ledger.decide_reply(&first).await.unwrap()));
    let mut second = first.clone();
    second.message_id = "SM2".into();
    assert_eq!(ledger.decide_reply(&second).await.unwrap(), ReplyVerdict::RepeatSender);
    assert_eq!(number_day_spend(ledger, &first).await, Money::from_micros(80_000));
    // Another number of the same tenant answers the same sender once too.
    let mut elsewhere = first.clone();
    elsewhere.number = Arc::from("+33612345679");
    elsewhere.message_id = "SM3".into();
    assert!(replied(&ledger.decide_reply(&elsewhere).await.unwrap()));
}

pub async fn same_message_id_is_paid_once_and_answered_alike(ledger: &dyn Ledger) {
    let first = request("paris", "+33612345678", "SMdup", "+33700000001");
    assert!(replied(&ledger.decide_reply(&first).await.unwrap()));
    for _ in 0..3 {
        assert_eq!(ledger.decide_reply(&first).await.unwrap(), ReplyVerdict::Duplicate { replied: true });
    }
    let refused = {
        let mut r = request("paris", "+33612345678", "SMrefused", "+33700000001");
        r.caps.number_daily = Some(Money::from_micros(1));
        r
    };
    assert_eq!(ledger.decide_reply(&refused).await.unwrap(), ReplyVerdict::RepeatSender);
    assert_eq!(ledger.decide_reply(&refused).await.unwrap(), ReplyVerdict::Duplicate { replied: false });
    assert_eq!(number_day_spend(ledger, &first).await, Money::from_micros(80_000));
    let entries = ledger.entries(&EntryFilter::default()).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].reference, "SMdup");
}

pub async fn sender_memory_expires_after_reply_once_per(ledger: &dyn Ledger) {
    let mut first = request("paris", "+33612345678", "SM1", "+33700000001");
    first.reply_once_per_seconds = 3_600;
    assert!(replied(&ledger.decide_reply(&first).await.unwrap()));
    let mut inside = request_at("paris", "+33612345678", "SM2", "+33700000001", NOON_MICROS + 3_599_000_000);
    inside.reply_once_per_seconds = 3_600;
    assert_eq!(ledger.decide_reply(&inside).await.unwrap(), ReplyVerdict::RepeatSender);
    let mut after = request_at("paris", "+33612345678", "SM3", "+33700000001", NOON_MICROS + 3_600_000_000);
    after.reply_once_per_seconds = 3_600;
    assert!(replied(&ledger.decide_reply(&after).await.unwrap()));
}

pub async fn number_daily_cap_holds_to_the_micro_and_resets_next_day(ledger: &dyn Ledger) {
    // Cap 0.239999: two replies at 0.08 (0.16) fit, a third (0.24) would cross it.
    let cap = Some(Money::from_micros(239_999));
    let mut verdicts = Vec::new();
    for i in 0..4 {
        let mut r = request("paris", "+33612345678", &format!("SM{i}"), &format!("+3370000000{i}"));
        r.caps.number_daily = cap;
        verdicts.push(ledger.decide_reply(&r).await.unwrap());
    }
    assert_eq!(verdicts.iter().filter(|v| replied(v)).count(), 2);
    let probe = request("paris", "+33612345678", "x", "+1");
    match &verdicts[2] {
        ReplyVerdict::BudgetExhausted { scope, until_micros, totals } => {
            assert_eq!(*scope, BudgetScope::NumberDaily);
            assert_eq!(*until_micros, Some(probe.periods.day_ends_micros));
            assert_eq!(totals.number_day, Money::from_micros(160_000));
        }
        other => panic!("expected budget_exhausted, got {other:?}"),
    }
    assert_eq!(number_day_spend(ledger, &probe).await, Money::from_micros(160_000));
    let mut tomorrow = request_at("paris", "+33612345678", "SMnext", "+33700000009", probe.periods.day_ends_micros);
    tomorrow.caps.number_daily = cap;
    assert!(replied(&ledger.decide_reply(&tomorrow).await.unwrap()));
}

pub async fn tenant_and_deployment_monthly_caps_hold(ledger: &dyn Ledger) {
    let mut outcomes = Vec::new();
    for (i, (tenant, number)) in
        [("paris", "+33612345678"), ("paris", "+33612345679"), ("lyon", "+33612345670"), ("lyon", "+33612345671")]
            .into_iter()
            .enumerate()
    {
        let mut r = request(tenant, number, &format!("SM{i}"), "+33700000001");
        r.caps.tenant_monthly = Some(Money::from_micros(100_000)); // one reply per tenant
        r.caps.deployment_monthly = Some(Money::from_micros(160_000)); // two replies in all
        outcomes.push(ledger.decide_reply(&r).await.unwrap());
    }
    assert!(replied(&outcomes[0]));
    assert!(matches!(outcomes[1], ReplyVerdict::BudgetExhausted { scope: BudgetScope::TenantMonthly, .. }));
    assert!(replied(&outcomes[2]));
    assert!(matches!(outcomes[3], ReplyVerdict::BudgetExhausted { scope: BudgetScope::TenantMonthly, .. }));
    let mut third_tenant = request("nantes", "+33612345672", "SM9", "+33700000001");
    third_tenant.caps.deployment_monthly = Some(Money::from_micros(160_000));
    assert!(matches!(
        ledger.decide_reply(&third_tenant).await.unwrap(),
        ReplyVerdict::BudgetExhausted { scope: BudgetScope::DeploymentMonthly, .. }
    ));
}

pub async fn prepaid_balance_gates_replies_and_never_goes_negative(ledger: &dyn Ledger) {
    let mut r = request("paris", "+33612345678", "SM0", "+33700000000");
    r.prepaid = true;
    assert!(matches!(
        ledger.decide_reply(&r).await.unwrap(),
        ReplyVerdict::BudgetExhausted { scope: BudgetScope::Balance, until_micros: None, .. }
    ));
    let balance = ledger.top_up("paris", Money::from_micros(200_000), "fundraiser", NOON_MICROS).await.unwrap();
    assert_eq!(balance, Money::from_micros(200_000));
    let mut replies = 0;
    for i in 1..5 {
        let mut r = request("paris", "+33612345678", &format!("SM{i}"), &format!("+3370000000{i}"));
        r.prepaid = true;
        if replied(&ledger.decide_reply(&r).await.unwrap()) {
            replies += 1;
        }
    }
    assert_eq!(replies, 2);
    assert_eq!(ledger.balances().await.unwrap(), vec![("paris".to_owned(), Money::from_micros(40_000))]);
    // Inbound charges cannot be refused but never push the balance below zero.
    let batch = InboundBatch {
        tenant: Arc::from("paris"),
        number: Arc::from("+33612345678"),
        count: 10,
        amount: Money::from_micros(100_000),
        prepaid: true,
        now_micros: NOON_MICROS,
        periods: r.periods.clone(),
    };
    ledger.record_inbound(&batch).await.unwrap();
    assert_eq!(ledger.balances().await.unwrap(), vec![("paris".to_owned(), Money::ZERO)]);
}

pub async fn inbound_charges_count_against_caps(ledger: &dyn Ledger) {
    let probe = request("paris", "+33612345678", "SM0", "+33700000000");
    let batch = InboundBatch {
        tenant: Arc::from("paris"),
        number: Arc::from("+33612345678"),
        count: 25,
        amount: Money::from_micros(250_000),
        prepaid: false,
        now_micros: NOON_MICROS,
        periods: probe.periods.clone(),
    };
    ledger.record_inbound(&batch).await.unwrap();
    assert_eq!(number_day_spend(ledger, &probe).await, Money::from_micros(250_000));
    let mut r = probe.clone();
    r.caps.number_daily = Some(Money::from_micros(300_000));
    assert!(matches!(ledger.decide_reply(&r).await.unwrap(), ReplyVerdict::BudgetExhausted { .. }));
    let entries = ledger.entries(&EntryFilter::default()).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].kind, entries[0].count, entries[0].amount), (EntryKind::Inbound, 25, batch.amount));
}

pub async fn global_reply_rate_limits_per_minute(ledger: &dyn Ledger) {
    let mut verdicts = Vec::new();
    for i in 0..3 {
        let mut r = request("paris", "+33612345678", &format!("SM{i}"), &format!("+3370000000{i}"));
        r.max_replies_per_minute = Some(2);
        verdicts.push(ledger.decide_reply(&r).await.unwrap());
    }
    assert!(replied(&verdicts[0]) && replied(&verdicts[1]));
    assert_eq!(verdicts[2], ReplyVerdict::RateLimited);
    let mut next_minute = request_at("paris", "+33612345678", "SMn", "+33700000002", NOON_MICROS + 60_000_000);
    next_minute.max_replies_per_minute = Some(2);
    assert!(replied(&ledger.decide_reply(&next_minute).await.unwrap()));
}

pub async fn shield_trickle_pays_only_n_replies_per_hour(ledger: &dyn Ledger) {
    // 2 per hour, paced: one per half hour, whoever comes first in each half.
    let at = |i: usize, offset_seconds: i64| {
        let mut r = request_at(
            "paris",
            "+33612345678",
            &format!("SM{i}"),
            &format!("+3370000{i:04}"),
            NOON_MICROS + offset_seconds * 1_000_000,
        );
        r.shield_trickle_per_hour = Some(2);
        r
    };
    let mut replied_at = Vec::new();
    let mut shielded = 0;
    for (i, offset) in [0, 1, 60, 1_799, 1_800, 1_801, 3_599, 3_600].into_iter().enumerate() {
        match ledger.decide_reply(&at(i, offset)).await.unwrap() {
            ReplyVerdict::Replied { .. } => replied_at.push(offset),
            ReplyVerdict::Shielded => shielded += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(replied_at, [0, 1_800, 3_600]);
    assert_eq!(shielded, 5);
    assert_eq!(ledger.shield_until("+33612345678", 100).await.unwrap(), None);
    ledger.set_shield("+33612345678", 500, 100).await.unwrap();
    ledger.set_shield("+33612345678", 400, 100).await.unwrap();
    assert_eq!(ledger.shield_until("+33612345678", 100).await.unwrap(), Some(500));
    assert_eq!(ledger.shield_until("+33612345678", 500).await.unwrap(), None);
}

pub async fn entries_add_up_to_totals_and_filter_by_tenant(ledger: &dyn Ledger) {
    for (i, tenant) in ["paris", "lyon", "paris"].into_iter().enumerate() {
        let r = request(tenant, &format!("+3361234567{i}"), &format!("SM{i}"), "+33700000001");
        assert!(replied(&ledger.decide_reply(&r).await.unwrap()));
    }
    ledger.top_up("lyon", Money::from_micros(5_000_000), "gala", NOON_MICROS).await.unwrap();
    let all = ledger.entries(&EntryFilter::default()).await.unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    let paris = ledger.entries(&EntryFilter { tenant: Some("paris".into()), ..EntryFilter::default() }).await.unwrap();
    assert_eq!(paris.len(), 2);
    assert_eq!(paris.iter().map(|e| e.amount.micros()).sum::<i64>(), 160_000);
    let probe = request("paris", "+33612345670", "x", "+1");
    let totals = ledger
        .totals(&TotalsQuery { tenant: "paris".into(), number: "+33612345670".into(), periods: probe.periods.clone() })
        .await
        .unwrap();
    assert_eq!(totals.tenant_month, Money::from_micros(160_000));
    assert_eq!(totals.deployment_month, Money::from_micros(240_000));
    assert_eq!(totals.balance, None);
    let limited = ledger.entries(&EntryFilter { limit: Some(1), ..EntryFilter::default() }).await.unwrap();
    assert_eq!(limited.len(), 1);
}

pub async fn negative_top_up_is_refused_and_changes_nothing(ledger: &dyn Ledger) {
    ledger.top_up("paris", Money::from_micros(100), "gala", NOON_MICROS).await.unwrap();
    assert!(ledger.top_up("paris", Money::from_micros(-50), "oops", NOON_MICROS).await.is_err());
    assert!(ledger.top_up("lyon", Money::from_micros(-50), "oops", NOON_MICROS).await.is_err());
    assert_eq!(ledger.balances().await.unwrap(), vec![("paris".to_owned(), Money::from_micros(100))]);
    assert_eq!(ledger.entries(&EntryFilter::default()).await.unwrap().len(), 1);
}

pub async fn free_prepaid_reply_creates_no_balance_and_zero_memory_remembers_nobody(ledger: &dyn Ledger) {
    let mut free = request("paris", "+33612345678", "SM1", "+33700000001");
    free.cost = Money::ZERO;
    free.prepaid = true;
    free.reply_once_per_seconds = 0;
    match ledger.decide_reply(&free).await.unwrap() {
        ReplyVerdict::Replied { totals, .. } => assert_eq!(totals.balance, None),
        other => panic!("expected a reply, got {other:?}"),
    }
    assert_eq!(ledger.balances().await.unwrap(), vec![]);
    let mut again = free.clone();
    again.message_id = "SM2".into();
    assert!(replied(&ledger.decide_reply(&again).await.unwrap()));
}

pub async fn entries_filter_by_time_window_then_limit(ledger: &dyn Ledger) {
    for i in 0..4i64 {
        let tenant = if i == 2 { "lyon" } else { "paris" };
        let r = request_at(
            tenant,
            "+33612345678",
            &format!("SM{i}"),
            &format!("+3370000000{i}"),
            NOON_MICROS + i * 1_000_000,
        );
        assert!(replied(&ledger.decide_reply(&r).await.unwrap()));
    }
    let window = |tenant: Option<&str>, limit: Option<usize>| EntryFilter {
        tenant: tenant.map(str::to_owned),
        since_micros: Some(NOON_MICROS + 1_000_000),
        until_micros: Some(NOON_MICROS + 3_000_000),
        limit,
    };
    let references = |entries: Vec<crate::model::Entry>| entries.into_iter().map(|e| e.reference).collect::<Vec<_>>();
    assert_eq!(references(ledger.entries(&window(None, None)).await.unwrap()), ["SM1", "SM2"]);
    assert_eq!(references(ledger.entries(&window(None, Some(1))).await.unwrap()), ["SM1"]);
    assert_eq!(references(ledger.entries(&window(Some("lyon"), Some(1))).await.unwrap()), ["SM2"]);
    assert_eq!(references(ledger.entries(&window(Some("nantes"), None)).await.unwrap()), Vec::<String>::new());
}

/// 200 concurrent decisions for 50 senders (4 messages each): exactly 50
/// replies; with a cap of 30 replies, exactly 30.
pub async fn concurrent_decisions_never_pay_twice_or_cross_a_cap(ledger: Arc<dyn Ledger>) {
    for (number, cap, expected) in [("+33612345678", None, 50), ("+33612345679", Some(30 * 80_000), 30)] {
        let mut tasks = Vec::new();
        for i in 0..200 {
            let ledger = Arc::clone(&ledger);
            let mut r = request("paris", number, &format!("SM{number}{i}"), &format!("+337000{:05}", i % 50));
            r.caps.number_daily = cap.map(Money::from_micros);
            tasks.push(tokio::spawn(async move { ledger.decide_reply(&r).await }));
        }
        let mut replies = 0;
        for task in tasks {
            if replied(&task.await.unwrap().unwrap()) {
                replies += 1;
            }
        }
        assert_eq!(replies, expected, "number {number}");
        let probe = request("paris", number, "x", "+1");
        assert_eq!(number_day_spend(&*ledger, &probe).await, Money::from_micros(expected * 80_000));
    }
}

/// Expands to one `#[tokio::test]` per conformance check. `$factory` is an
/// async fn returning `(guard, Arc<dyn Ledger>)`; the guard lives for the test.
#[macro_export]
macro_rules! ledger_conformance_suite {
    ($factory:path) => {
        $crate::ledger_conformance_suite!(@tests $factory;
            first_message_replies_then_sender_is_remembered,
            same_message_id_is_paid_once_and_answered_alike,
            sender_memory_expires_after_reply_once_per,
            number_daily_cap_holds_to_the_micro_and_resets_next_day,
            tenant_and_deployment_monthly_caps_hold,
            prepaid_balance_gates_replies_and_never_goes_negative,
            inbound_charges_count_against_caps,
            global_reply_rate_limits_per_minute,
            shield_trickle_pays_only_n_replies_per_hour,
            entries_add_up_to_totals_and_filter_by_tenant,
            negative_top_up_is_refused_and_changes_nothing,
            free_prepaid_reply_creates_no_balance_and_zero_memory_remembers_nobody,
            entries_filter_by_time_window_then_limit
        );
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn concurrent_decisions_never_pay_twice_or_cross_a_cap() {
            let (_guard, ledger) = $factory().await;
            $crate::conformance::concurrent_decisions_never_pay_twice_or_cross_a_cap(ledger).await;
        }
    };
    (@tests $factory:path; $($check:ident),*) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (_guard, ledger) = $factory().await;
                $crate::conformance::$check(&*ledger).await;
            }
        )*
    };
}
