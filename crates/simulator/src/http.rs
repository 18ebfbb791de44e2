//! The HTTP driver: signed webhooks to a running server, as Twilio would
//! send them, over keep-alive connections, `concurrency` at a time, paced
//! by the scenario's timestamps (`--speed X`), at a fixed rate, or as fast
//! as possible. Replies are read from the TwiML answers; decisions by
//! outcome from the server's `/metrics` before and after the run.

use antirelou_domain::micros;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use antirelou_domain::Money;
use antirelou_providers::twilio;
use antirelou_settings::{ProviderSettings, Settings};
use futures_util::future::join_all;

use crate::latency::Latencies;
use crate::progress::Progress;
use crate::report::{MessageRecord, RunRecords};
use crate::traffic::Traffic;
use crate::SimError;

/// When each message is sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// Each worker sends its next message as soon as the last is answered.
    AsFastAsPossible,
    /// Scenario time divided by this factor (`1.0`: real time).
    Speed(f64),
    /// This many messages per second, evenly spaced, whatever the timestamps.
    Rate(f64),
}

/// A number the driver sends to, with what signing needs.
#[derive(Clone, Debug)]
pub struct Target {
    pub number: String,
    pub account_sid: String,
    pub auth_token: String,
    pub reply_cost: Money,
}

/// Which configured numbers receive the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetSelection {
    /// The first number of the configuration.
    First,
    /// This number.
    Number(String),
    /// Every number, each message to one of them (by the scenario's `target`).
    All,
}

#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Where to post: `http://host:port` (the path is added).
    pub base_url: String,
    /// What the provider signs: the configuration's `server.public_url` + `/webhooks/twilio`.
    pub signed_url: String,
    pub targets: Vec<Target>,
    pub concurrency: usize,
    pub pace: Pace,
    pub progress: bool,
    pub currency: String,
    pub daily_cap: Option<Money>,
    pub monthly_cap: Option<Money>,
    pub deployment_monthly_cap: Option<Money>,
    /// The ledger's timezone (days and months of the caps).
    pub timezone: chrono_tz::Tz,
    /// `reply_once_per` of the first target number.
    pub reply_once_per_seconds: u64,
}

impl HttpOptions {
    /// Targets and signing from the server's configuration.
    pub fn from_settings(
        settings: &Settings,
        base_url: &str,
        selection: &TargetSelection,
    ) -> Result<HttpOptions, SimError> {
        let mut targets = Vec::new();
        let mut caps = (None, None);
        let mut reply_once_per_seconds = antirelou_settings::DEFAULT_REPLY_ONCE_PER_SECONDS;
        for (tenant, number) in settings.numbers() {
            let wanted = match selection {
                TargetSelection::First => targets.is_empty(),
                TargetSelection::Number(n) => number.number.as_str() == n.trim(),
                TargetSelection::All => true,
            };
            if !wanted {
                continue;
            }
            let ProviderSettings::Twilio { account_sid, auth_token, .. } = &tenant.provider else {
                return Err(SimError::Target(format!(
                    "{}: tenant {} uses {}, and the simulator signs as Twilio only",
                    number.number,
                    tenant.id,
                    tenant.provider.kind()
                )));
            };
            if targets.is_empty() {
                caps = (number.daily_cap, tenant.monthly_cap);
                reply_once_per_seconds = number.reply_once_per_seconds;
            }
            targets.push(Target {
                number: number.number.as_str().to_owned(),
                account_sid: account_sid.clone(),
                auth_token: auth_token.expose().to_owned(),
                reply_cost: number.reply_cost,
            });
        }
        if targets.is_empty() {
            return Err(SimError::Target(match selection {
                TargetSelection::Number(n) => format!("--number {n}: no tenant of the configuration serves it"),
                _ => "the configuration has no number".to_owned(),
            }));
        }
        Ok(HttpOptions {
            base_url: base_url.trim_end_matches('/').to_owned(),
            signed_url: format!("{}/webhooks/twilio", settings.server.public_url.trim_end_matches('/')),
            targets,
            concurrency: 32,
            pace: Pace::AsFastAsPossible,
            progress: false,
            currency: settings.ledger.currency.clone(),
            daily_cap: caps.0,
            monthly_cap: caps.1,
            deployment_monthly_cap: settings.ledger.monthly_cap,
            timezone: settings.ledger.timezone,
            reply_once_per_seconds,
        })
    }
}

/// Sends every message of `traffic` and records what came back. Runs on
/// any Tokio runtime (one thread is enough: concurrency is asynchronous).
/// The server's ledger is not read: only the invariants of what was
/// delivered are checked.
pub async fn run(traffic: &Traffic, options: &HttpOptions) -> Result<RunRecords, SimError> {
    if traffic.is_calls() {
        return Err(SimError::Target("calls run in-process only (drop --target)".to_owned()));
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency.max(1))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| SimError::Http(e.to_string()))?;
    let post_url = format!("{}/webhooks/twilio", options.base_url);
    let metrics_url = format!("{}/metrics", options.base_url);
    let numbers: HashSet<&str> = options.targets.iter().map(|t| t.number.as_str()).collect();
    let before = scrape_outcomes(&client, &metrics_url, &numbers).await;

    let next = AtomicUsize::new(0);
    let progress = RefCell::new(Progress::new(traffic.messages.len() as u64, options.progress));
    let started = Instant::now();
    let start_tokio = tokio::time::Instant::now();
    let workers = (0..options.concurrency.max(1)).map(|_| {
        let (client, next, progress, post_url) = (&client, &next, &progress, &post_url);
        async move {
            let mut done: Vec<(usize, MessageRecord, Option<u16>)> = Vec::new();
            let mut latencies = Latencies::default();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(message) = traffic.messages.get(index) else { break };
                if let Some(due) = due_after_start(options.pace, index, traffic.offset_micros(message)) {
                    tokio::time::sleep_until(start_tokio + due).await;
                }
                let target = &options.targets[message.target as usize % options.targets.len()];
                let pairs = twilio::inbound_form(
                    &target.account_sid,
                    &traffic.message_sid(index),
                    &traffic.sender_of(message).from,
                    &target.number,
                    traffic.body_of(message),
                );
                let signature = twilio::signature(&target.auth_token, &options.signed_url, &pairs);
                let sent = Instant::now();
                let answer = client
                    .post(post_url.as_str())
                    .header(twilio::SIGNATURE_HEADER, signature)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(twilio::encode_form(&pairs))
                    .send()
                    .await;
                let (status, body) = match answer {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        (Some(status), response.text().await.unwrap_or_default())
                    }
                    Err(_) => (None, String::new()),
                };
                latencies.record(sent.elapsed());
                let ok = status == Some(200);
                let replied = ok && twilio::twiml_reply_text(&body).is_some();
                let cost = target.reply_cost.micros();
                let record =
                    MessageRecord { replied, cost_micros: if replied { cost } else { 0 }, naive_cost_micros: cost, ok };
                done.push((index, record, status));
                progress.borrow_mut().inc(1);
            }
            (done, latencies)
        }
    });
    let results = join_all(workers).await;
    let wall = started.elapsed();
    progress.borrow().finish();

    let mut records = vec![MessageRecord::default(); traffic.messages.len()];
    let mut latencies = Latencies::with_capacity(traffic.messages.len());
    let mut refused: BTreeMap<String, u64> = BTreeMap::new();
    for (done, worker_latencies) in results {
        latencies.extend(worker_latencies);
        for (index, record, status) in done {
            records[index] = record;
            if !record.ok {
                let key = status.map_or("transport_error".to_owned(), |s| format!("http_{s}"));
                *refused.entry(key).or_default() += 1;
            }
        }
    }
    let after = scrape_outcomes(&client, &metrics_url, &numbers).await;
    let mut outcomes = match (before, after) {
        (Some(before), Some(after)) => after
            .into_iter()
            .map(|(k, v)| {
                let delta = v - before.get(&k).copied().unwrap_or(0.0);
                (k, delta.max(0.0).round() as u64)
            })
            .filter(|(_, v)| *v > 0)
            .collect(),
        // No /metrics: what the answers tell.
        _ => {
            let replied = records.iter().filter(|r| r.replied).count() as u64;
            let silent = records.iter().filter(|r| r.ok && !r.replied).count() as u64;
            BTreeMap::from([("replied".to_owned(), replied), ("no_reply".to_owned(), silent)])
        }
    };
    outcomes.extend(refused);

    Ok(RunRecords {
        mode: "http".to_owned(),
        ledger: "server".to_owned(),
        currency: options.currency.clone(),
        channel: traffic.channel,
        records,
        outcomes,
        latencies,
        wall,
        reply_cost: options.targets[0].reply_cost,
        daily_cap: options.daily_cap,
        monthly_cap: options.monthly_cap,
        deployment_monthly_cap: options.deployment_monthly_cap,
        timezone: options.timezone,
        reply_once_per_seconds: options.reply_once_per_seconds,
        sends: Vec::new(),
        entries: None,
        deferred_results: BTreeMap::new(),
    })
}

/// When message `index` is due, counted from the run's start.
fn due_after_start(pace: Pace, index: usize, offset_micros: i64) -> Option<Duration> {
    match pace {
        Pace::AsFastAsPossible => None,
        Pace::Speed(x) if x > 0.0 => Some(Duration::from_secs_f64(micros::to_seconds_f64(offset_micros.max(0)) / x)),
        Pace::Rate(r) if r > 0.0 => Some(Duration::from_secs_f64(index as f64 / r)),
        _ => None,
    }
}

/// `antirelou_inbound_total` of `numbers` by outcome, from the server's `/metrics`.
async fn scrape_outcomes(
    client: &reqwest::Client,
    url: &str,
    numbers: &HashSet<&str>,
) -> Option<BTreeMap<String, f64>> {
    let response = client.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let text = response.text().await.ok()?;
    Some(parse_outcomes(&text, numbers))
}

/// Sums `antirelou_inbound_total{...,number=N,outcome=O}` by outcome for the given numbers.
pub fn parse_outcomes(text: &str, numbers: &HashSet<&str>) -> BTreeMap<String, f64> {
    let mut outcomes = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("antirelou_inbound_total{") else { continue };
        let Some((labels, value)) = rest.rsplit_once('}') else { continue };
        let label = |name: &str| {
            let key = format!("{name}=\"");
            let at = labels.find(&key)? + key.len();
            labels[at..].split('"').next()
        };
        let (Some(number), Some(outcome)) = (label("number"), label("outcome")) else { continue };
        if !numbers.contains(number) {
            continue;
        }
        if let Ok(v) = value.trim().parse::<f64>() {
            *outcomes.entry(outcome.to_owned()).or_insert(0.0) += v;
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_read_from_prometheus_text() {
        let text = "# HELP antirelou_inbound_total x\n\
            antirelou_inbound_total{number=\"+33644556677\",outcome=\"replied\",tenant=\"sim\"} 3\n\
            antirelou_inbound_total{number=\"+33644556677\",outcome=\"repeat_sender\",tenant=\"sim\"} 40\n\
            antirelou_inbound_total{number=\"+33600000000\",outcome=\"replied\",tenant=\"x\"} 9\n";
        let numbers = HashSet::from(["+33644556677"]);
        let outcomes = parse_outcomes(text, &numbers);
        assert_eq!(outcomes.get("replied"), Some(&3.0));
        assert_eq!(outcomes.get("repeat_sender"), Some(&40.0));
        assert_eq!(outcomes.len(), 2);
    }

    #[test]
    fn pacing_follows_speed_or_rate() {
        assert_eq!(due_after_start(Pace::AsFastAsPossible, 5, 1_000_000), None);
        assert_eq!(due_after_start(Pace::Speed(10.0), 5, 10_000_000), Some(Duration::from_secs(1)));
        assert_eq!(due_after_start(Pace::Rate(100.0), 50, 0), Some(Duration::from_millis(500)));
    }
}
