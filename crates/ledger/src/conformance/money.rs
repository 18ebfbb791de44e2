//! Money outside the decision: inbound charges, top-ups and balances,
//! entries and their pages.

use std::sync::Arc;

use antirelou_domain::Money;

use super::{all_entries, inbound, number_day_spend, replied, request, request_at, NOON_MICROS};
use crate::model::{BudgetScope, EntryFilter, EntryKind, InboundCharged, ReplyVerdict, TotalsQuery};
use crate::{rules, Ledger, LedgerError};

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
    let ids: Vec<String> = (0..10).map(|i| format!("SMin{i}")).collect();
    let mut batch = inbound(&ids.iter().map(String::as_str).collect::<Vec<_>>(), NOON_MICROS);
    batch.prepaid = true;
    let charged = ledger.record_inbound(&batch).await.unwrap();
    assert_eq!(charged, InboundCharged { messages: 10, amount: Money::from_micros(100_000) });
    assert_eq!(ledger.balances().await.unwrap(), vec![("paris".to_owned(), Money::ZERO)]);
}

pub async fn inbound_charges_count_against_caps(ledger: &dyn Ledger) {
    let probe = request("paris", "+33612345678", "SM0", "+33700000000");
    let ids: Vec<String> = (0..25).map(|i| format!("SMin{i}")).collect();
    let batch = inbound(&ids.iter().map(String::as_str).collect::<Vec<_>>(), NOON_MICROS);
    ledger.record_inbound(&batch).await.unwrap();
    assert_eq!(number_day_spend(ledger, &probe).await, Money::from_micros(250_000));
    let mut r = probe.clone();
    r.caps.number_daily = Some(Money::from_micros(300_000));
    assert!(matches!(ledger.decide_reply(&r).await.unwrap(), ReplyVerdict::BudgetExhausted { .. }));
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].kind, entries[0].count, entries[0].amount),
        (EntryKind::Inbound, 25, Money::from_micros(250_000))
    );
}

pub async fn an_inbound_message_id_is_charged_once_whatever_replays_it(ledger: &dyn Ledger) {
    let first = ledger.record_inbound(&inbound(&["SMa", "SMb"], NOON_MICROS)).await.unwrap();
    assert_eq!(first, InboundCharged { messages: 2, amount: Money::from_micros(20_000) });
    // Replays, alone or mixed with a new id, and the same id twice in one batch.
    let replay = ledger.record_inbound(&inbound(&["SMa", "SMa", "SMb"], NOON_MICROS + 1)).await.unwrap();
    assert_eq!(replay, InboundCharged::default());
    let mixed = ledger.record_inbound(&inbound(&["SMb", "SMc", "SMc"], NOON_MICROS + 2)).await.unwrap();
    assert_eq!(mixed, InboundCharged { messages: 1, amount: Money::from_micros(10_000) });
    let probe = request("paris", "+33612345678", "x", "+1");
    assert_eq!(number_day_spend(ledger, &probe).await, Money::from_micros(30_000));
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    assert_eq!(entries.iter().map(|e| e.count).collect::<Vec<_>>(), [2, 1]);
    // Another number may carry the same id (ids are per provider account, numbers differ).
    let mut elsewhere = inbound(&["SMa"], NOON_MICROS);
    elsewhere.number = Arc::from("+33612345679");
    assert_eq!(ledger.record_inbound(&elsewhere).await.unwrap().messages, 1);
    // After the id TTL, the id is charged again (it is a new message to us).
    let later = NOON_MICROS + rules::MESSAGE_ID_TTL_SECONDS * 1_000_000;
    assert_eq!(ledger.record_inbound(&inbound(&["SMa"], later)).await.unwrap().messages, 1);
}

pub async fn entries_add_up_to_totals_and_filter_by_tenant(ledger: &dyn Ledger) {
    for (i, tenant) in ["paris", "lyon", "paris"].into_iter().enumerate() {
        let r = request(tenant, &format!("+3361234567{i}"), &format!("SM{i}"), "+33700000001");
        assert!(replied(&ledger.decide_reply(&r).await.unwrap()));
    }
    ledger.top_up("lyon", Money::from_micros(5_000_000), "gala", NOON_MICROS).await.unwrap();
    let all = all_entries(ledger, &EntryFilter::default()).await;
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    let paris = all_entries(ledger, &EntryFilter { tenant: Some("paris".into()), ..EntryFilter::default() }).await;
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
    let limited = ledger.entries(&EntryFilter { limit: 1, ..EntryFilter::default() }).await.unwrap();
    assert_eq!(limited.entries.len(), 1);
    assert!(limited.next.is_some());
}

pub async fn bad_top_ups_are_refused_and_change_nothing(ledger: &dyn Ledger) {
    ledger.top_up("paris", Money::from_micros(100), "gala", NOON_MICROS).await.unwrap();
    for bad in [Money::from_micros(-50), Money::ZERO, rules::MAX_TOP_UP.saturating_add(Money::from_micros(1))] {
        for tenant in ["paris", "lyon"] {
            let refused = ledger.top_up(tenant, bad, "oops", NOON_MICROS).await;
            assert!(matches!(refused, Err(LedgerError::Refused(_))), "{tenant} {bad}: {refused:?}");
        }
    }
    assert_eq!(ledger.balances().await.unwrap(), vec![("paris".to_owned(), Money::from_micros(100))]);
    assert_eq!(all_entries(ledger, &EntryFilter::default()).await.len(), 1);
}

pub async fn the_last_top_up_is_kept_per_tenant_and_a_refused_one_changes_nothing(ledger: &dyn Ledger) {
    assert_eq!(ledger.last_top_up("paris").await.unwrap(), None);
    ledger.top_up("paris", Money::from_micros(3_000_000), "gala", NOON_MICROS).await.unwrap();
    ledger.top_up("lyon", Money::from_micros(1_000_000), "gala", NOON_MICROS + 1).await.unwrap();
    ledger.top_up("paris", Money::from_micros(2_000_000), "fundraiser", NOON_MICROS + 2).await.unwrap();
    let refused = ledger.top_up("paris", Money::ZERO, "oops", NOON_MICROS + 3).await;
    assert!(matches!(refused, Err(LedgerError::Refused(_))), "{refused:?}");
    let entries = all_entries(ledger, &EntryFilter::default()).await;
    let paris = ledger.last_top_up("paris").await.unwrap().expect("paris topped up");
    // The second top-up of paris, the third entry; the balance it left.
    assert_eq!(paris.entry_id, entries[2].id);
    assert_eq!((paris.balance_after, paris.at_micros), (Money::from_micros(5_000_000), NOON_MICROS + 2));
    let lyon = ledger.last_top_up("lyon").await.unwrap().expect("lyon topped up");
    assert_eq!((lyon.entry_id, lyon.balance_after), (entries[1].id, Money::from_micros(1_000_000)));
}

pub async fn a_balance_can_not_overflow(ledger: &dyn Ledger) {
    let mut balance = Money::ZERO;
    while balance.saturating_add(rules::MAX_TOP_UP) <= rules::MAX_BALANCE {
        balance = ledger.top_up("paris", rules::MAX_TOP_UP, "big", NOON_MICROS).await.unwrap();
    }
    let rest = rules::MAX_BALANCE.saturating_sub(balance);
    assert_eq!(ledger.top_up("paris", rest, "to the top", NOON_MICROS).await.unwrap(), rules::MAX_BALANCE);
    let refused = ledger.top_up("paris", Money::from_micros(1), "one more", NOON_MICROS).await;
    assert!(matches!(refused, Err(LedgerError::Refused(_))), "{refused:?}");
    assert_eq!(ledger.balances().await.unwrap(), vec![("paris".to_owned(), rules::MAX_BALANCE)]);
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
    let window = |tenant: Option<&str>, limit: usize| EntryFilter {
        tenant: tenant.map(str::to_owned),
        since_micros: Some(NOON_MICROS + 1_000_000),
        until_micros: Some(NOON_MICROS + 3_000_000),
        after: None,
        limit,
    };
    let references = |entries: Vec<crate::model::Entry>| entries.into_iter().map(|e| e.reference).collect::<Vec<_>>();
    assert_eq!(references(all_entries(ledger, &window(None, 1_000)).await), ["SM1", "SM2"]);
    assert_eq!(references(ledger.entries(&window(None, 1)).await.unwrap().entries), ["SM1"]);
    assert_eq!(references(all_entries(ledger, &window(Some("lyon"), 1)).await), ["SM2"]);
    assert_eq!(references(all_entries(ledger, &window(Some("nantes"), 1_000)).await), Vec::<String>::new());
}

pub async fn entries_come_in_pages_that_join_up_exactly(ledger: &dyn Ledger) {
    for i in 0..25 {
        let tenant = if i % 5 == 0 { "lyon" } else { "paris" };
        let r = request(tenant, "+33612345678", &format!("SM{i:02}"), &format!("+337000000{i:02}"));
        assert!(replied(&ledger.decide_reply(&r).await.unwrap()));
    }
    let mut filter = EntryFilter { tenant: Some("paris".into()), limit: 7, ..EntryFilter::default() };
    let mut pages = Vec::new();
    loop {
        let page = ledger.entries(&filter).await.unwrap();
        assert!(page.entries.len() <= 7);
        pages.push(page.entries.iter().map(|e| e.reference.clone()).collect::<Vec<_>>());
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    let joined: Vec<String> = pages.concat();
    let expected: Vec<String> = (0..25).filter(|i| i % 5 != 0).map(|i| format!("SM{i:02}")).collect();
    assert_eq!(joined, expected);
    assert_eq!(pages[0].len(), 7);
    let bad = ledger.entries(&EntryFilter { after: Some("not a cursor".into()), ..EntryFilter::default() }).await;
    assert!(matches!(bad, Err(LedgerError::Refused(_))), "{bad:?}");
}

pub async fn the_write_probe_succeeds_on_a_healthy_ledger(ledger: &dyn Ledger) {
    ledger.probe_write(NOON_MICROS).await.unwrap();
    ledger.probe_write(NOON_MICROS + 1).await.unwrap();
    assert!(all_entries(ledger, &EntryFilter::default()).await.is_empty());
}
