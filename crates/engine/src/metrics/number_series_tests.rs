//! Tests of [`super`]: the per-number series and their text.

use super::*;

const NAMES: SeriesNames = SeriesNames {
    inbound: "antirelou_inbound_total",
    spend: "antirelou_spend_total",
    deferred: "antirelou_deferred_total",
    deferred_pending: "antirelou_deferred_pending",
    remaining: "antirelou_budget_remaining",
    cap: "antirelou_budget_cap",
    shield: "antirelou_shield_active",
    restarts: "antirelou_actor_restarts_total",
    mailbox_full: "antirelou_actor_mailbox_full_total",
    rejected: "antirelou_webhook_rejected_total",
    calls: "antirelou_calls_total",
};

fn scrape(collector: &NumberSeriesCollector) -> String {
    let mut text = String::new();
    for family in 0..FAMILIES {
        // In two chunks, as a scrape does.
        collector.encode_text(family, 0..1, &mut text);
        collector.encode_text(family, 1..10, &mut text);
    }
    text
}

#[test]
fn series_are_exported_like_metric_vectors() {
    let collector = NumberSeriesCollector::new(&NAMES).unwrap();
    let paris = collector.for_number("paris", "+33612345678");
    paris.count(Outcome::Replied);
    paris.count(Outcome::Replied);
    collector.for_number("paris", "+33612345678").count(Outcome::Blocked);
    paris.add_spend(EntryKind::Reply, 160_000);
    paris.add_spend(EntryKind::TopUp, 5_000_000);
    paris.count_deferred(DeferredResult::Sent);
    paris.set_deferred_pending(3);
    paris.set_shield(true);
    paris.mailbox_was_full();
    collector.for_number("lyon", "+33612345671");
    let text = scrape(&collector);
    assert_eq!(text.matches("# TYPE antirelou_inbound_total counter").count(), 1);
    for line in [
        r#"antirelou_inbound_total{number="+33612345678",outcome="replied",tenant="paris"} 2"#,
        r#"antirelou_inbound_total{number="+33612345678",outcome="blocked",tenant="paris"} 1"#,
        r#"antirelou_inbound_total{number="+33612345671",outcome="overloaded",tenant="lyon"} 0"#,
        r#"antirelou_inbound_total{number="+33612345671",outcome="not_a_phone",tenant="lyon"} 0"#,
        r#"antirelou_spend_total{kind="reply",number="+33612345678",tenant="paris"} 0.16"#,
        r#"antirelou_spend_total{kind="inbound",number="+33612345671",tenant="lyon"} 0"#,
        r#"antirelou_deferred_total{number="+33612345678",result="sent",tenant="paris"} 1"#,
        r#"antirelou_deferred_total{number="+33612345671",result="send_failed",tenant="lyon"} 0"#,
        r#"antirelou_deferred_pending{number="+33612345678",tenant="paris"} 3"#,
        r#"antirelou_shield_active{number="+33612345678",tenant="paris"} 1"#,
        r#"antirelou_shield_active{number="+33612345671",tenant="lyon"} 0"#,
        r#"antirelou_actor_mailbox_full_total{number="+33612345678",tenant="paris"} 1"#,
        r#"antirelou_actor_restarts_total{number="+33612345671",tenant="lyon"} 0"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    let inbound = text.lines().filter(|l| l.starts_with("antirelou_inbound_total{")).count();
    assert_eq!(inbound, 2 * Outcome::COUNT);
    assert!(!text.contains("top_up"), "credits are not spend");
    assert!(!text.contains("antirelou_budget"), "unset gauges are not exported");
}

#[test]
fn budget_gauges_are_one_series_per_scope() {
    let collector = NumberSeriesCollector::new(&NAMES).unwrap();
    collector.for_number("paris", "+33612345678");
    collector.for_number("paris", "+33612345679");
    collector.set_budget(BudgetScope::NumberDaily, "paris", "+33612345678", Some(5_000_000), 4_840_000);
    for number in ["+33612345678", "+33612345679"] {
        // Every number of the tenant publishes the same tenant and deployment figures.
        collector.set_budget(BudgetScope::TenantMonthly, "paris", number, Some(100_000_000), 99_000_000);
        collector.set_budget(BudgetScope::DeploymentMonthly, "paris", number, Some(500_000_000), 450_000_000);
    }
    collector.set_budget(BudgetScope::Balance, "paris", "+33612345678", None, 7_000_000);
    let text = scrape(&collector);
    let lines = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        lines("antirelou_budget_remaining{"),
        [
            r#"antirelou_budget_remaining{number="+33612345678",scope="number_daily",tenant="paris"} 4.84"#,
            r#"antirelou_budget_remaining{scope="tenant_monthly",tenant="paris"} 99"#,
            r#"antirelou_budget_remaining{scope="deployment_monthly"} 450"#,
            r#"antirelou_budget_remaining{scope="balance",tenant="paris"} 7"#,
        ]
    );
    assert_eq!(
        lines("antirelou_budget_cap{"),
        [
            r#"antirelou_budget_cap{number="+33612345678",scope="number_daily",tenant="paris"} 5"#,
            r#"antirelou_budget_cap{scope="tenant_monthly",tenant="paris"} 100"#,
            r#"antirelou_budget_cap{scope="deployment_monthly"} 500"#,
        ]
    );
    assert_eq!(text.matches("# TYPE antirelou_budget_remaining gauge").count(), 1);
}

#[test]
fn webhook_refusals_are_counted_per_number_and_for_no_number() {
    let collector = NumberSeriesCollector::new(&NAMES).unwrap();
    let paris = collector.for_number("paris", "+33612345678");
    paris.receive_webhooks_of(Some(ProviderKind::Twilio));
    paris.count_rejected(RejectReason::BadSignature);
    paris.count_rejected(RejectReason::BadSignature);
    // A polled number has no webhook and no rejection series.
    collector.for_number("lille", "+33612345679");
    collector.count_unrouted(ProviderKind::Vonage, RejectReason::UnknownNumber);
    let text = scrape(&collector);
    assert_eq!(text.matches("# TYPE antirelou_webhook_rejected_total counter").count(), 1);
    for line in [
        r#"antirelou_webhook_rejected_total{number="+33612345678",provider="twilio",reason="bad_signature",tenant="paris"} 2"#,
        r#"antirelou_webhook_rejected_total{number="+33612345678",provider="twilio",reason="malformed",tenant="paris"} 0"#,
        r#"antirelou_webhook_rejected_total{number="",provider="vonage",reason="unknown_number",tenant=""} 1"#,
        r#"antirelou_webhook_rejected_total{number="",provider="plivo",reason="too_large",tenant=""} 0"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    let rejected: Vec<&str> = text.lines().filter(|l| l.starts_with("antirelou_webhook_rejected_total{")).collect();
    // Six reasons for the number (never unknown_number), seven for each of the three webhook providers.
    assert_eq!(rejected.len(), 6 + 3 * 7, "{rejected:#?}");
    assert!(!text.contains(r#"number="+33612345679",provider"#), "no rejection series for a polled number");
    assert!(!text.contains(r#"provider="ovh""#), "OVHcloud has no webhook");
    // A reload that moves the number to a Plivo tenant relabels its series.
    paris.receive_webhooks_of(Some(ProviderKind::Plivo));
    let text = scrape(&collector);
    let relabelled = r#"antirelou_webhook_rejected_total{number="+33612345678",provider="plivo",reason="bad_signature",tenant="paris"} 2"#;
    assert!(text.contains(relabelled), "{text}");
    assert!(!text.contains(r#"number="+33612345678",provider="twilio""#));
    paris.receive_webhooks_of(Some(ProviderKind::Ovh));
    assert!(!scrape(&collector).contains(r#"number="+33612345678",provider"#), "a polled number has none");
}

#[test]
fn call_series_are_written_for_numbers_that_answer_calls_or_were_called() {
    let collector = NumberSeriesCollector::new(&NAMES).unwrap();
    let paris = collector.for_number("paris", "+33612345678");
    let lyon = collector.for_number("lyon", "+33612345671");
    let text = |collector: &NumberSeriesCollector| {
        let mut out = String::new();
        for family in 0..FAMILIES {
            collector.encode_text(family, 0..usize::MAX, &mut out);
        }
        out
    };
    assert!(!text(&collector).contains("antirelou_calls_total"), "nobody answers calls yet");
    paris.set_answers_calls(true);
    paris.count_call(Some(Outcome::Replied));
    paris.count_call(Some(Outcome::RepeatSender));
    paris.count_call(Some(Outcome::RepeatSender));
    let out = text(&collector);
    assert!(
        out.contains(r#"antirelou_calls_total{number="+33612345678",outcome="replied",tenant="paris"} 1"#),
        "{out}"
    );
    assert!(out.contains(r#"antirelou_calls_total{number="+33612345678",outcome="repeat_sender",tenant="paris"} 2"#));
    assert!(out.contains(r#"antirelou_calls_total{number="+33612345678",outcome="no_voice",tenant="paris"} 0"#));
    assert!(!out.contains(r#"antirelou_calls_total{number="+33612345671""#), "lyon has no voice and was never called");
    lyon.count_call(None);
    let out = text(&collector);
    assert!(
        out.contains(r#"antirelou_calls_total{number="+33612345671",outcome="no_voice",tenant="lyon"} 1"#),
        "{out}"
    );
    assert_eq!(out.matches("# TYPE antirelou_calls_total counter").count(), 1);
}
