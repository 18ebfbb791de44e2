//! The report of SPEC §9: what a run cost, compared with a naive responder
//! that pays for every message; as a table and as `report.json`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use antirelou_domain::Money;
use serde::Serialize;

use crate::latency::Latencies;
use crate::scenario::Scenario;

/// What a driver observed for one message, in scenario order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageRecord {
    /// The answer carried a reply (TwiML `<Message>`).
    pub replied: bool,
    /// What the reply costs (0 when none).
    pub cost_micros: i64,
    /// What a naive responder would pay for this message (one reply).
    pub naive_cost_micros: i64,
    /// The webhook got `200` (otherwise it was refused or failed).
    pub ok: bool,
}

/// Everything a driver measured.
#[derive(Clone, Debug, Default)]
pub struct RunRecords {
    /// `in-process` or `http`.
    pub mode: String,
    /// `embedded`, `redis`, or `server` (HTTP mode: whatever the server uses).
    pub ledger: String,
    pub currency: String,
    pub records: Vec<MessageRecord>,
    /// Decisions by outcome label (from the engine's counters or `/metrics`).
    pub outcomes: BTreeMap<String, u64>,
    pub latencies: Latencies,
    pub wall: Duration,
    pub reply_cost: Money,
    pub daily_cap: Option<Money>,
    pub monthly_cap: Option<Money>,
}

/// Latency percentiles, client side, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencyMs {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// One point of the cumulative spend curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpendPoint {
    /// Seconds since the scenario's start.
    pub seconds: f64,
    pub antirelou_micros: i64,
    pub naive_micros: i64,
}

/// The report (`report.json` holds every serialized field).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub mode: String,
    pub ledger: String,
    pub currency: String,
    pub start: String,
    pub duration_seconds: u64,
    pub messages: u64,
    pub attack_messages: u64,
    pub genuine_messages: u64,
    pub attackers: u64,
    pub distinct_senders: u64,
    pub replies: u64,
    pub attacker_replies: u64,
    pub genuine_replies: u64,
    pub reply_cost: String,
    pub spend: String,
    pub naive_spend: String,
    pub attacker_spend: String,
    pub genuine_spend: String,
    /// `spend / naive_spend`.
    pub spend_vs_naive: f64,
    pub daily_cap: Option<String>,
    pub monthly_cap: Option<String>,
    pub genuine_senders: u64,
    /// Genuine senders who got at least one reply.
    pub genuine_answered: u64,
    pub genuine_answered_percent: f64,
    pub outcomes: BTreeMap<String, u64>,
    /// Webhooks that did not get `200`.
    pub errors: u64,
    pub throughput_per_second: f64,
    pub latency_ms: LatencyMs,
    pub wall_seconds: f64,
    #[serde(skip)]
    pub spend_micros: i64,
    #[serde(skip)]
    pub naive_spend_micros: i64,
    #[serde(skip)]
    pub daily_cap_micros: Option<i64>,
    #[serde(skip)]
    pub monthly_cap_micros: Option<i64>,
    #[serde(skip)]
    pub curve: Vec<SpendPoint>,
}

/// Points kept for the chart (the curve is sampled, its ends exact).
const CURVE_POINTS: usize = 2_000;

impl Report {
    /// Builds the report of `records` (one per message of `scenario`, same order).
    pub fn new(scenario: &Scenario, run: &RunRecords) -> Report {
        assert_eq!(scenario.messages.len(), run.records.len(), "one record per message");
        let mut spend = [0i64; 2]; // [attacker, genuine]
        let mut replies = [0u64; 2];
        let mut naive = 0i64;
        let mut answered: HashSet<u32> = HashSet::new();
        let mut curve = Vec::with_capacity(CURVE_POINTS + 2);
        let step = (scenario.messages.len() / CURVE_POINTS).max(1);
        curve.push(SpendPoint { seconds: 0.0, antirelou_micros: 0, naive_micros: 0 });
        for (i, (message, record)) in scenario.messages.iter().zip(&run.records).enumerate() {
            let genuine = scenario.sender_of(message).genuine;
            let side = usize::from(genuine);
            naive += record.naive_cost_micros;
            if record.replied {
                replies[side] += 1;
                spend[side] += record.cost_micros;
                if genuine {
                    answered.insert(message.sender);
                }
            }
            if i % step == 0 || i + 1 == scenario.messages.len() {
                curve.push(SpendPoint {
                    seconds: message.offset_micros as f64 / 1e6,
                    antirelou_micros: spend[0] + spend[1],
                    naive_micros: naive,
                });
            }
        }
        let total_spend = spend[0] + spend[1];
        let messages = scenario.messages.len() as u64;
        let genuine_senders = scenario.genuine_senders();
        let (p50, p99, max) = run.latencies.summary_ms();
        let wall_seconds = run.wall.as_secs_f64();
        let money = |m: i64| Money::from_micros(m).to_string();
        Report {
            scenario: scenario.name().to_owned(),
            seed: scenario.seed,
            mode: run.mode.clone(),
            ledger: run.ledger.clone(),
            currency: run.currency.clone(),
            start: scenario.start().to_rfc3339(),
            duration_seconds: scenario.spec.duration_seconds,
            messages,
            attack_messages: scenario.attack_messages(),
            genuine_messages: scenario.genuine_messages(),
            attackers: scenario.attackers(),
            distinct_senders: scenario.senders.len() as u64,
            replies: replies[0] + replies[1],
            attacker_replies: replies[0],
            genuine_replies: replies[1],
            reply_cost: run.reply_cost.to_string(),
            spend: money(total_spend),
            naive_spend: money(naive),
            attacker_spend: money(spend[0]),
            genuine_spend: money(spend[1]),
            spend_vs_naive: if naive > 0 { total_spend as f64 / naive as f64 } else { 0.0 },
            daily_cap: run.daily_cap.map(|c| c.to_string()),
            monthly_cap: run.monthly_cap.map(|c| c.to_string()),
            genuine_senders,
            genuine_answered: answered.len() as u64,
            genuine_answered_percent: percent(answered.len() as u64, genuine_senders),
            outcomes: run.outcomes.clone(),
            errors: run.records.iter().filter(|r| !r.ok).count() as u64,
            throughput_per_second: if wall_seconds > 0.0 { messages as f64 / wall_seconds } else { 0.0 },
            latency_ms: LatencyMs { p50, p99, max },
            wall_seconds,
            spend_micros: total_spend,
            naive_spend_micros: naive,
            daily_cap_micros: run.daily_cap.map(Money::micros),
            monthly_cap_micros: run.monthly_cap.map(Money::micros),
            curve,
        }
    }

    /// The economics alone (what the same seed must reproduce): the JSON
    /// without throughput, latency and wall time.
    pub fn economics(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            for key in ["throughput_per_second", "latency_ms", "wall_seconds"] {
                map.remove(key);
            }
        }
        value
    }

    /// The table printed on stdout.
    pub fn table(&self) -> String {
        let c = &self.currency;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "antirelou simulate: {} (seed {}), {} mode, {} ledger",
            self.scenario, self.seed, self.mode, self.ledger
        );
        let _ = writeln!(t, "{}", "-".repeat(72));
        let mut row = |label: &str, value: String| {
            let _ = writeln!(t, "{label:<24}{value}");
        };
        row(
            "messages",
            format!(
                "{}  (attackers {} from {} numbers, genuine {} from {} senders, over {})",
                self.messages,
                self.attack_messages,
                self.attackers,
                self.genuine_messages,
                self.genuine_senders,
                hours(self.duration_seconds)
            ),
        );
        row(
            "replies",
            format!("{}  (attackers {}, genuine {})", self.replies, self.attacker_replies, self.genuine_replies),
        );
        row(
            "spend",
            format!("{c} {}  (attackers {}, genuine {})", self.spend, self.attacker_spend, self.genuine_spend),
        );
        row(
            "naive responder",
            format!("{c} {}  (a reply to every message at {c} {})", self.naive_spend, self.reply_cost),
        );
        row("spend vs naive", format!("{:.2} %", self.spend_vs_naive * 100.0));
        let cap = |v: &Option<String>| v.as_ref().map_or("none".to_owned(), |v| format!("{c} {v}"));
        row("caps", format!("number daily {}, tenant monthly {}", cap(&self.daily_cap), cap(&self.monthly_cap)));
        row(
            "genuine answered",
            format!(
                "{} of {} senders ({:.1} %)",
                self.genuine_answered, self.genuine_senders, self.genuine_answered_percent
            ),
        );
        row("decisions by outcome", String::new());
        for (outcome, count) in &self.outcomes {
            row(&format!("  {outcome}"), count.to_string());
        }
        if self.errors > 0 {
            row("refused or failed", self.errors.to_string());
        }
        row("throughput", format!("{:.0} msg/s  (wall {:.2} s)", self.throughput_per_second, self.wall_seconds));
        row(
            "latency",
            format!(
                "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                self.latency_ms.p50, self.latency_ms.p99, self.latency_ms.max
            ),
        );
        t
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

/// `4 hours`, `20 minutes`.
pub(crate) fn hours(seconds: u64) -> String {
    if seconds.is_multiple_of(3_600) {
        format!("{} hours", seconds / 3_600)
    } else {
        format!("{} minutes", seconds.div_ceil(60))
    }
}
