//! The report: what a run cost, compared with a naive responder that pays
//! for every message (for calls, a naive answering machine that answers
//! every call for `max_seconds`), what genuine senders got, and whether the money
//! invariants held against the ledger's own entries; as a table and as
//! `report.json` (fields in docs/simulator.md).

use antirelou_domain::micros;
use std::collections::BTreeMap;
use std::time::Duration;

use antirelou_domain::Money;
use antirelou_engine::Channel;
use antirelou_ledger::Entry;
use chrono_tz::Tz;
use serde::Serialize;

use crate::genuine::{DelaySeconds, GenuineReach};
use crate::invariants::{self, InvariantReport, LedgerAudit, Violation};
use crate::latency::Latencies;
use crate::recorder::RecordedSend;
use crate::replies::{self, Delivery};
use crate::traffic::{Group, Traffic};

mod story;
mod table;

pub use story::{Cap, Story};

pub(crate) use table::{hours, seconds};

/// What a driver observed for one message, in scenario order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageRecord {
    /// The answer carried a reply (TwiML `<Message>`), or answered the call (`<Say>`).
    pub replied: bool,
    /// What the reply (or the answered call's reservation) costs (0 when none).
    pub cost_micros: i64,
    /// What a naive responder would pay for this message (one reply), or a
    /// naive answering machine for this call (answered for `max_seconds`).
    pub naive_cost_micros: i64,
    /// The webhook got `200` (otherwise it was refused or failed).
    pub ok: bool,
}

/// Everything a driver measured.
#[derive(Clone, Debug)]
pub struct RunRecords {
    /// `in-process` or `http`.
    pub mode: String,
    /// `embedded`, `redis`, or `server` (HTTP mode: whatever the server uses).
    pub ledger: String,
    pub currency: String,
    /// SMS or calls, as the traffic.
    pub channel: Channel,
    pub records: Vec<MessageRecord>,
    /// Decisions by outcome label (from the engine's counters or `/metrics`).
    pub outcomes: BTreeMap<String, u64>,
    pub latencies: Latencies,
    pub wall: Duration,
    pub reply_cost: Money,
    pub daily_cap: Option<Money>,
    pub monthly_cap: Option<Money>,
    /// The deployment's monthly cap (`ledger.monthly_cap`).
    pub deployment_monthly_cap: Option<Money>,
    /// The ledger's timezone: where days and months begin.
    pub timezone: Tz,
    pub reply_once_per_seconds: u64,
    /// Replies the engine sent through the send API (in-process: the recorder's).
    pub sends: Vec<RecordedSend>,
    /// The ledger's entries after the run; `None` when the driver cannot
    /// read the ledger (HTTP mode).
    pub entries: Option<Vec<Entry>>,
    /// Deferred judgements by result (`antirelou_deferred_total`), in-process.
    pub deferred_results: BTreeMap<String, u64>,
}

impl Default for RunRecords {
    fn default() -> RunRecords {
        RunRecords {
            mode: String::new(),
            ledger: String::new(),
            currency: String::new(),
            channel: Channel::Sms,
            records: Vec::new(),
            outcomes: BTreeMap::new(),
            latencies: Latencies::default(),
            wall: Duration::ZERO,
            reply_cost: Money::ZERO,
            daily_cap: None,
            monthly_cap: None,
            deployment_monthly_cap: None,
            timezone: chrono_tz::Europe::Paris,
            reply_once_per_seconds: antirelou_settings::DEFAULT_REPLY_ONCE_PER_SECONDS,
            sends: Vec::new(),
            entries: None,
            deferred_results: BTreeMap::new(),
        }
    }
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
    /// The generator's seed; `null` for a traffic file.
    pub seed: Option<u64>,
    pub mode: String,
    pub ledger: String,
    pub currency: String,
    /// `sms`, or `call`: then messages are calls, replies answered calls,
    /// senders callers, and the naive figure a naive answering machine's.
    pub channel: &'static str,
    pub start: String,
    pub duration_seconds: u64,
    pub messages: u64,
    pub attack_messages: u64,
    pub genuine_messages: u64,
    pub attackers: u64,
    pub distinct_senders: u64,
    /// Replies delivered, inline or sent later.
    pub replies: u64,
    pub attacker_replies: u64,
    pub genuine_replies: u64,
    /// Replies sent later through the send API (deferred judgements).
    pub deferred_replies: u64,
    pub reply_cost: String,
    pub spend: String,
    pub naive_spend: String,
    pub attacker_spend: String,
    pub genuine_spend: String,
    /// `genuine_spend / spend` (0 when nothing was spent).
    pub genuine_spend_share: f64,
    /// `spend / naive_spend`.
    pub spend_vs_naive: f64,
    pub daily_cap: Option<String>,
    pub monthly_cap: Option<String>,
    pub genuine_senders: u64,
    /// Genuine senders who got at least one reply.
    pub genuine_answered: u64,
    pub genuine_answered_percent: f64,
    /// The most genuine senders the caps could pay a reply for (docs/simulator.md).
    pub affordable_replies: u64,
    /// From a genuine sender's first message to their reply; `null` when none was answered.
    pub genuine_reply_delay_seconds: Option<DelaySeconds>,
    pub outcomes: BTreeMap<String, u64>,
    /// Deferred judgements by result.
    pub deferred_results: BTreeMap<String, u64>,
    /// What the first sentences of the table say, as figures.
    pub story: Story,
    /// Webhooks that did not get `200`.
    pub errors: u64,
    /// Figures read from the ledger's own entries; `null` in HTTP mode.
    pub ledger_audit: Option<LedgerAudit>,
    pub invariants: InvariantReport,
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
    /// The ledger's timezone (the story's times).
    #[serde(skip)]
    pub timezone: Tz,
    /// The broken invariants (also in `invariants.violations`).
    #[serde(skip)]
    pub violations: Vec<Violation>,
}

/// Points kept for the chart (the curve is sampled, its ends exact).
const CURVE_POINTS: usize = 2_000;

impl Report {
    /// Builds the report of `run` (one record per message of `traffic`,
    /// same order) and checks the invariants.
    pub fn new(traffic: &Traffic, run: &RunRecords) -> Report {
        assert_eq!(traffic.messages.len(), run.records.len(), "one record per message");
        let delivered = replies::delivered(traffic, run);
        let cost = run.reply_cost.micros();
        let mut spend: BTreeMap<Group, i64> = BTreeMap::new();
        let mut replies: BTreeMap<Group, u64> = BTreeMap::new();
        for reply in &delivered {
            let group = reply.sender.map_or(Group::Other, |s| traffic.senders[s as usize].group);
            *replies.entry(group).or_default() += 1;
            *spend.entry(group).or_default() += match reply.delivery {
                Delivery::Inline { message } => run.records[message].cost_micros,
                Delivery::Sent { .. } => cost,
            };
        }
        let get = |map: &BTreeMap<Group, i64>, g| map.get(&g).copied().unwrap_or(0);
        let total_spend: i64 = spend.values().sum();
        let naive: i64 = run.records.iter().map(|r| r.naive_cost_micros).sum();
        let messages = traffic.messages.len() as u64;
        let genuine_senders = traffic.senders_of(Group::Genuine);
        let reach = GenuineReach::new(traffic, run, &delivered);
        let (violations, invariants, ledger_audit) = invariants::check(traffic, run, &delivered);
        let (p50, p99, max) = run.latencies.summary_ms();
        let wall_seconds = run.wall.as_secs_f64();
        let money = |m: i64| Money::from_micros(m).to_string();
        Report {
            scenario: traffic.name.clone(),
            seed: traffic.seed,
            mode: run.mode.clone(),
            ledger: run.ledger.clone(),
            currency: run.currency.clone(),
            channel: channel_label(run.channel),
            start: traffic.start.to_rfc3339(),
            duration_seconds: traffic.duration_seconds,
            messages,
            attack_messages: traffic.messages_of(Group::Attack),
            genuine_messages: traffic.messages_of(Group::Genuine),
            attackers: traffic.senders_of(Group::Attack),
            distinct_senders: traffic.senders.len() as u64,
            replies: delivered.len() as u64,
            attacker_replies: replies.get(&Group::Attack).copied().unwrap_or(0),
            genuine_replies: replies.get(&Group::Genuine).copied().unwrap_or(0),
            deferred_replies: run.sends.len() as u64,
            reply_cost: run.reply_cost.to_string(),
            spend: money(total_spend),
            naive_spend: money(naive),
            attacker_spend: money(get(&spend, Group::Attack)),
            genuine_spend: money(get(&spend, Group::Genuine)),
            genuine_spend_share: ratio(get(&spend, Group::Genuine), total_spend),
            spend_vs_naive: ratio(total_spend, naive),
            daily_cap: run.daily_cap.map(|c| c.to_string()),
            monthly_cap: run.monthly_cap.map(|c| c.to_string()),
            genuine_senders,
            genuine_answered: reach.answered,
            genuine_answered_percent: percent(reach.answered, genuine_senders),
            affordable_replies: reach.affordable_replies,
            genuine_reply_delay_seconds: reach.delay,
            outcomes: run.outcomes.clone(),
            deferred_results: run.deferred_results.clone(),
            story: Story::new(traffic, run, &delivered),
            errors: run.records.iter().filter(|r| !r.ok).count() as u64,
            ledger_audit,
            invariants,
            throughput_per_second: if wall_seconds > 0.0 { messages as f64 / wall_seconds } else { 0.0 },
            latency_ms: LatencyMs { p50, p99, max },
            wall_seconds,
            spend_micros: total_spend,
            naive_spend_micros: naive,
            daily_cap_micros: run.daily_cap.map(Money::micros),
            monthly_cap_micros: run.monthly_cap.map(Money::micros),
            curve: spend_curve(traffic, run, &delivered),
            timezone: run.timezone,
            violations,
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
}

/// Cumulative spend over time, antirelou's (inline and sent replies) and
/// the naive responder's (every message), sampled to about
/// [`CURVE_POINTS`] points, both ends exact.
fn spend_curve(traffic: &Traffic, run: &RunRecords, delivered: &[replies::Reply]) -> Vec<SpendPoint> {
    // (time, antirelou spend, naive spend) increments, in time order: a
    // message's naive cost and inline reply together, a later send alone.
    let mut events: Vec<(i64, i64, i64)> = traffic
        .messages
        .iter()
        .zip(&run.records)
        .map(|(m, r)| (m.at_micros, if r.replied { r.cost_micros } else { 0 }, r.naive_cost_micros))
        .collect();
    let cost = run.reply_cost.micros();
    events.extend(
        delivered.iter().filter(|r| matches!(r.delivery, Delivery::Sent { .. })).map(|r| (r.at_micros, cost, 0)),
    );
    events.sort_by_key(|e| e.0);
    let step = (events.len() / CURVE_POINTS).max(1);
    let mut curve = Vec::with_capacity(CURVE_POINTS + 2);
    curve.push(SpendPoint { seconds: 0.0, antirelou_micros: 0, naive_micros: 0 });
    let (mut spent, mut naive) = (0i64, 0i64);
    for (i, (at, paid, naive_cost)) in events.iter().enumerate() {
        spent += paid;
        naive += naive_cost;
        if i % step == 0 || i + 1 == events.len() {
            curve.push(SpendPoint {
                seconds: micros::to_seconds_f64(at - traffic.start_micros()),
                antirelou_micros: spent,
                naive_micros: naive,
            });
        }
    }
    curve
}

/// The report's `channel`.
pub(crate) const fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "sms",
        Channel::Call => "call",
    }
}

fn ratio(part: i64, whole: i64) -> f64 {
    if whole > 0 {
        part as f64 / whole as f64
    } else {
        0.0
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}
