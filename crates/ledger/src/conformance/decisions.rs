//! The "may I reply" decision, as both backends must take it.

use std::sync::Arc;

use antirelou_domain::Money;

use super::{all_entries, number_day_spend, replied, request, request_at, NOON_MICROS};
use crate::model::{BudgetScope, EntryFilter, ReplyVerdict};
use crate::{rules, Ledger};

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
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].reference, "SMdup");
}

pub async fn how_a_message_was_decided_can_be_asked_afterwards(ledger: &dyn Ledger) {
    let paid = request("paris", "+33612345678", "SMpaid", "+33700000001");
    assert!(replied(&ledger.decide_reply(&paid).await.unwrap()));
    let repeat = request("paris", "+33612345678", "SMrepeat", "+33700000001");
    assert_eq!(ledger.decide_reply(&repeat).await.unwrap(), ReplyVerdict::RepeatSender);
    assert_eq!(ledger.decided("+33612345678", "SMpaid", NOON_MICROS).await.unwrap(), Some(true));
    assert_eq!(ledger.decided("+33612345678", "SMrepeat", NOON_MICROS).await.unwrap(), Some(false));
    assert_eq!(ledger.decided("+33612345678", "SMnever", NOON_MICROS).await.unwrap(), None);
    assert_eq!(ledger.decided("+33612345679", "SMpaid", NOON_MICROS).await.unwrap(), None);
    let later = NOON_MICROS + rules::MESSAGE_ID_TTL_SECONDS * 1_000_000;
    assert_eq!(ledger.decided("+33612345678", "SMpaid", later).await.unwrap(), None);
}

pub async fn a_message_id_is_forgotten_after_its_ttl(ledger: &dyn Ledger) {
    // Seven days, spelled here rather than read from `rules`: a changed
    // constant must fail this test, not move it along.
    let ttl_micros = 7 * 86_400 * 1_000_000;
    let mut first = request("paris", "+33612345678", "SMttl", "+33700000001");
    first.reply_once_per_seconds = 60;
    assert!(replied(&ledger.decide_reply(&first).await.unwrap()));
    let mut inside = request_at("paris", "+33612345678", "SMttl", "+33700000001", NOON_MICROS + ttl_micros - 1);
    inside.reply_once_per_seconds = 60;
    assert_eq!(ledger.decide_reply(&inside).await.unwrap(), ReplyVerdict::Duplicate { replied: true });
    // After the TTL the id is new again: the sender (whose memory expired) is answered.
    let mut after = request_at("paris", "+33612345678", "SMttl", "+33700000001", NOON_MICROS + ttl_micros);
    after.reply_once_per_seconds = 60;
    assert!(replied(&ledger.decide_reply(&after).await.unwrap()));
}

pub async fn an_opted_out_sender_is_never_answered_again(ledger: &dyn Ledger) {
    let mut r = request("paris", "+33612345678", "SMstop", "+33700000001");
    r.reply_once_per_seconds = 60;
    ledger.opt_out("+33612345678", &r.sender, NOON_MICROS).await.unwrap();
    ledger.opt_out("+33612345678", &r.sender, NOON_MICROS).await.unwrap();
    assert_eq!(ledger.decide_reply(&r).await.unwrap(), ReplyVerdict::OptedOut);
    assert_eq!(ledger.decide_reply(&r).await.unwrap(), ReplyVerdict::Duplicate { replied: false });
    // Long after any reply memory would have expired.
    let mut later = request_at("paris", "+33612345678", "SMlater", "+33700000001", NOON_MICROS + 400 * 86_400_000_000);
    later.reply_once_per_seconds = 60;
    assert_eq!(ledger.decide_reply(&later).await.unwrap(), ReplyVerdict::OptedOut);
    // Another sender, and the same sender on another number, are answered.
    assert!(replied(&ledger.decide_reply(&request("paris", "+33612345678", "SMo", "+33700000002")).await.unwrap()));
    assert!(replied(&ledger.decide_reply(&request("paris", "+33612345679", "SMp", "+33700000001")).await.unwrap()));
    assert_eq!(number_day_spend(ledger, &r).await, Money::from_micros(80_000));
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

pub async fn a_reply_that_exactly_reaches_a_cap_is_paid(ledger: &dyn Ledger) {
    // Cap 0.24: three replies at 0.08 reach it exactly and are paid; a fourth is refused.
    let cap = Some(Money::from_micros(240_000));
    let mut paid = 0;
    for i in 0..4 {
        let mut r = request("paris", "+33612345678", &format!("SM{i}"), &format!("+3370000000{i}"));
        r.caps.number_daily = cap;
        r.caps.tenant_monthly = cap;
        r.caps.deployment_monthly = cap;
        match ledger.decide_reply(&r).await.unwrap() {
            ReplyVerdict::Replied { .. } => paid += 1,
            ReplyVerdict::BudgetExhausted { scope: BudgetScope::NumberDaily, .. } => assert_eq!(i, 3),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(paid, 3);
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

pub async fn a_shield_end_is_shared_and_keeps_the_later_end(ledger: &dyn Ledger) {
    assert_eq!(ledger.shield_until("+33612345678", 100).await.unwrap(), None);
    ledger.set_shield("+33612345678", 500, 100).await.unwrap();
    ledger.set_shield("+33612345678", 400, 100).await.unwrap();
    assert_eq!(ledger.shield_until("+33612345678", 100).await.unwrap(), Some(500));
    assert_eq!(ledger.shield_until("+33612345678", 500).await.unwrap(), None);
    assert_eq!(ledger.shield_until("+33612345679", 100).await.unwrap(), None);
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

pub async fn an_answered_call_is_an_entry_of_kind_call_and_shares_the_senders_one_answer(ledger: &dyn Ledger) {
    let mut call = request("paris", "+33612345678", "CAcall1", "+33700000001");
    call.kind = crate::EntryKind::Call;
    call.cost = Money::from_micros(20_000);
    assert!(replied(&ledger.decide_reply(&call).await.unwrap()));
    assert_eq!(ledger.decide_reply(&call).await.unwrap(), ReplyVerdict::Duplicate { replied: true });
    // The same sender, now texting: already answered (by voice).
    let sms = request("paris", "+33612345678", "SMafter", "+33700000001");
    assert_eq!(ledger.decide_reply(&sms).await.unwrap(), ReplyVerdict::RepeatSender);
    let mut again = call.clone();
    again.message_id = "CAcall2".into();
    assert_eq!(ledger.decide_reply(&again).await.unwrap(), ReplyVerdict::RepeatSender);
    assert_eq!(number_day_spend(ledger, &call).await, Money::from_micros(20_000));
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].kind, entries[0].reference.as_str()), (crate::EntryKind::Call, "CAcall1"));
    assert_eq!(entries[0].amount, Money::from_micros(20_000));
}
