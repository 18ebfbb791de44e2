//! The flood answered on the HTTP workers (repeat senders, blocked senders,
//! a paused number, senders pending a judgement) and the same traffic
//! decided by the actors alone give the same answer to every message and
//! leave the same counters, spend, inbound charges and number state.

use std::collections::BTreeMap;

use antirelou_web::AppHooks;

use crate::support::*;

const PAUSED: &str = "+33612345679";
const SHIELDED: &str = "+33612345672";
const BLOCKED: &str = "+33600000666";

fn config(dir: &std::path::Path) -> String {
    let extra = format!(
        r#"inbound_price = "0.01"

[[tenants.numbers]]
number = "{PAUSED}"
paused = true
reply = "{REPLY}"
price_per_segment = "0.08"
inbound_price = "0.01"

[[tenants.numbers]]
number = "{SHIELDED}"
reply = "{REPLY}"
price_per_segment = "0.08"
inbound_price = "0.01"
shield = {{ trigger_per_minute = 1000, new_senders_per_minute = 3, hold = "1h", trickle_per_hour = 1 }}
"#
    );
    let tenants = two_tenants(&extra).replace(
        "admin_token = \"paris-admin-token-0123456789\"",
        &format!("admin_token = \"paris-admin-token-0123456789\"\nblocklist = [\"{BLOCKED}\"]"),
    );
    config_toml(dir, "", &tenants)
}

/// One message of the traffic: to, from, body, message id.
type Message = (&'static str, String, &'static str, String);

/// A repeatable mix: a few senders writing again and again to three
/// numbers, a blocked sender, STOPs, not-a-phone senders and retried ids.
fn traffic(count: u64) -> Vec<Message> {
    let mut seed: u64 = 0x2017;
    let mut next = move |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let mut messages: Vec<Message> = Vec::new();
    for i in 0..count {
        if i > 0 && next(10) == 0 {
            // A provider's retry of an earlier message.
            let again = messages[next(i) as usize].clone();
            messages.push(again);
            continue;
        }
        let to = [PARIS_NUMBER, PARIS_NUMBER, SHIELDED, SHIELDED, PAUSED][next(5) as usize];
        let from = match next(25) {
            0 => BLOCKED.to_owned(),
            1 => "INFO".to_owned(),
            n => format!("+336000001{n:02}"),
        };
        let body = if next(40) == 0 { "STOP" } else { "salut" };
        messages.push((to, from, body, sid(1_000 + i)));
    }
    messages
}

fn counters(metrics: &Metrics) -> BTreeMap<String, String> {
    let families = [
        "antirelou_inbound_total",
        "antirelou_spend_total",
        "antirelou_shield_active",
        "antirelou_shield_entered_total",
        "antirelou_deferred_total",
        "antirelou_deferred_pending",
    ];
    metrics
        .0
        .lines()
        .filter(|line| families.iter().any(|f| line.starts_with(&format!("{f}{{"))))
        .filter_map(|line| line.rsplit_once(' ').map(|(series, value)| (series.to_owned(), value.to_owned())))
        .collect()
}

/// Sum of amounts and counts by number and kind.
async fn ledger_totals(app: &TestApp) -> BTreeMap<(String, String), (i64, u64)> {
    let mut totals = BTreeMap::new();
    for entry in antirelou_ledger::conformance::all_entries(&*app.ledger, &Default::default()).await {
        let total = totals.entry((entry.number.clone(), format!("{:?}", entry.kind))).or_insert((0, 0));
        total.0 += entry.amount.micros();
        total.1 += u64::from(entry.count);
    }
    totals
}

async fn start(decide_in_actors: bool) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (settings, ledger) = settings_and_ledger(&config(dir.path()));
    let hooks = AppHooks { decide_in_actors, ..AppHooks::default() };
    (spawn_app_with_hooks(dir.path(), settings, ledger, midday_clock(), hooks).await, dir)
}

#[actix_web::test]
async fn answering_on_the_workers_changes_no_answer_and_no_counter() {
    let (workers, _w) = start(false).await;
    let (actors, _a) = start(true).await;
    let messages = traffic(500);
    for (index, (to, from, body, id)) in messages.iter().enumerate() {
        let sms = Sms { to, body, ..Sms::paris(from, id.clone()) };
        let (fast, slow) = (workers.post_sms(&sms).await, actors.post_sms(&sms).await);
        assert_eq!((fast.status, &fast.body), (slow.status, &slow.body), "message {index}: {to} {body}");
    }

    let answered: u64 =
        [PARIS_NUMBER, PAUSED, SHIELDED].iter().map(|n| workers.registry.route(n).unwrap().published.answered()).sum();
    assert!(answered > 250, "most of the flood is answered on the workers ({answered})");
    let none: u64 =
        [PARIS_NUMBER, PAUSED, SHIELDED].iter().map(|n| actors.registry.route(n).unwrap().published.answered()).sum();
    assert_eq!(none, 0, "the other server decides everything in its actors");

    for number in [PARIS_NUMBER, PAUSED, SHIELDED] {
        let fast = workers.registry.snapshot(&workers.registry.route(number).unwrap()).await.unwrap();
        let slow = actors.registry.snapshot(&actors.registry.route(number).unwrap()).await.unwrap();
        assert_eq!(
            (fast.shield_until_seconds, fast.cached_senders, fast.deferred_here, fast.budget_exhausted),
            (slow.shield_until_seconds, slow.cached_senders, slow.deferred_here, slow.budget_exhausted),
            "{number}"
        );
    }
    // Inbound charges are written (and counted in `antirelou_spend_total`) in
    // batches whose timing differs between the servers: both flushed first.
    workers.registry.flush().await;
    actors.registry.flush().await;
    // Waits for them to meet; the comparison below shows any difference.
    let _ = eventually(std::time::Duration::from_secs(10), || async {
        counters(&workers.metrics().await) == counters(&actors.metrics().await)
    })
    .await;
    let (fast, slow) = (counters(&workers.metrics().await), counters(&actors.metrics().await));
    let met = |outcome: &str| fast.iter().any(|(k, v)| k.contains(&format!("outcome=\"{outcome}\"")) && v != "0");
    for outcome in
        ["repeat_sender", "blocked", "paused", "deferred", "duplicate", "opted_out", "not_a_phone", "replied"]
    {
        assert!(met(outcome), "the traffic meets {outcome}: {fast:?}");
    }
    assert_eq!(fast, slow);

    let (fast, slow) = (ledger_totals(&workers).await, ledger_totals(&actors).await);
    assert!(fast.keys().any(|(_, kind)| kind == "Inbound"), "inbound charges recorded: {fast:?}");
    assert_eq!(fast, slow);
}
