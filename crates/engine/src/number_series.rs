//! The per-number series (`antirelou_inbound_total`, `_spend_total`,
//! `_budget_remaining`, `_budget_cap`, `_shield_active`,
//! `_actor_restarts_total`, `_actor_mailbox_full_total`) without one
//! Prometheus child object per series.
//!
//! Every configured number has about 25 series from startup. With the
//! `prometheus` crate's metric vectors each series owns a copy of its
//! descriptor and label strings (about 700 bytes): 10,000 numbers cost
//! ~170 MB before any traffic (measured, docs/benchmarks.md). Here a number's
//! series are a few atomics, and label pairs exist only while a scrape runs.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use antirelou_domain::Outcome;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};

/// `spend_total` kinds, in index order.
pub const SPEND_KINDS: [&str; 2] = ["reply", "inbound"];
/// `budget_remaining` / `budget_cap` scopes, in index order.
pub const BUDGET_SCOPES: [&str; 4] = ["number_daily", "tenant_monthly", "deployment_monthly", "balance"];

/// A gauge that is not exported until it is set.
const UNSET: i64 = i64::MIN;

/// One number's series.
pub struct NumberSeries {
    tenant: String,
    number: String,
    outcomes: [AtomicU64; 11],
    spend_micros: [AtomicI64; 2],
    remaining_micros: [AtomicI64; 4],
    cap_micros: [AtomicI64; 4],
    shield_active: AtomicBool,
    restarts: AtomicU64,
    mailbox_full: AtomicU64,
}

impl NumberSeries {
    fn new(tenant: &str, number: &str) -> NumberSeries {
        NumberSeries {
            tenant: tenant.to_owned(),
            number: number.to_owned(),
            outcomes: Default::default(),
            spend_micros: Default::default(),
            remaining_micros: [UNSET; 4].map(AtomicI64::new),
            cap_micros: [UNSET; 4].map(AtomicI64::new),
            shield_active: AtomicBool::new(false),
            restarts: AtomicU64::new(0),
            mailbox_full: AtomicU64::new(0),
        }
    }

    pub fn count(&self, outcome: Outcome) {
        self.outcomes[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Current outcome counts, in the order of [`Outcome::ALL`].
    pub fn snapshot(&self) -> [u64; 11] {
        self.outcomes.each_ref().map(|c| c.load(Ordering::Relaxed))
    }

    /// Adds to `spend_total{kind}` (`kind` from [`SPEND_KINDS`]); exact in micros.
    pub fn add_spend(&self, kind: &str, micros: i64) {
        if let Some(i) = SPEND_KINDS.iter().position(|k| *k == kind) {
            self.spend_micros[i].fetch_add(micros.max(0), Ordering::Relaxed);
        }
    }

    pub fn set_remaining(&self, scope: &str, micros: i64) {
        if let Some(i) = BUDGET_SCOPES.iter().position(|s| *s == scope) {
            self.remaining_micros[i].store(micros, Ordering::Relaxed);
        }
    }

    pub fn set_cap(&self, scope: &str, micros: i64) {
        if let Some(i) = BUDGET_SCOPES.iter().position(|s| *s == scope) {
            self.cap_micros[i].store(micros, Ordering::Relaxed);
        }
    }

    pub fn set_shield(&self, active: bool) {
        self.shield_active.store(active, Ordering::Relaxed);
    }

    pub fn restarted(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }

    pub fn mailbox_was_full(&self) {
        self.mailbox_full.fetch_add(1, Ordering::Relaxed);
    }
}

/// Names and help texts of the families, by field.
pub struct SeriesNames {
    pub inbound: &'static str,
    pub spend: &'static str,
    pub remaining: &'static str,
    pub cap: &'static str,
    pub shield: &'static str,
    pub restarts: &'static str,
    pub mailbox_full: &'static str,
}

/// The collector of every number's series. Cheap to clone.
#[derive(Clone)]
pub struct NumberSeriesCollector {
    inner: Arc<Inner>,
}

struct Inner {
    descs: Vec<Desc>,
    numbers: RwLock<Vec<Arc<NumberSeries>>>,
}

/// Index of each family in `descs`.
const INBOUND: usize = 0;
const SPEND: usize = 1;
const REMAINING: usize = 2;
const CAP: usize = 3;
const SHIELD: usize = 4;
const RESTARTS: usize = 5;
const MAILBOX_FULL: usize = 6;

impl NumberSeriesCollector {
    pub fn new(names: &SeriesNames) -> Result<NumberSeriesCollector, prometheus::Error> {
        let desc = |name: &str, help: &str, extra: Option<&str>| {
            let mut labels = vec!["tenant".to_owned(), "number".to_owned()];
            labels.extend(extra.map(str::to_owned));
            Desc::new(name.to_owned(), help.to_owned(), labels, Default::default())
        };
        let descs = vec![
            desc(names.inbound, "Inbound SMS by decision outcome.", Some("outcome"))?,
            desc(names.spend, "Money recorded in the ledger, in major units of ledger.currency.", Some("kind"))?,
            desc(
                names.remaining,
                "What is left before a cap (or of the prepaid balance), in major units.",
                Some("scope"),
            )?,
            desc(names.cap, "Configured cap per scope, in major units.", Some("scope"))?,
            desc(names.shield, "1 while the number is in shield mode.", None)?,
            desc(names.restarts, "Number actors restarted after a panic.", None)?,
            desc(names.mailbox_full, "Inbound SMS shed because the number's mailbox was full.", None)?,
        ];
        Ok(NumberSeriesCollector { inner: Arc::new(Inner { descs, numbers: RwLock::new(Vec::new()) }) })
    }

    /// The series of `tenant`/`number`, created at zero on first call.
    pub fn for_number(&self, tenant: &str, number: &str) -> Arc<NumberSeries> {
        let mut numbers = self.inner.numbers.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(existing) = numbers.iter().find(|n| n.tenant == tenant && n.number == number) {
            return Arc::clone(existing);
        }
        let series = Arc::new(NumberSeries::new(tenant, number));
        numbers.push(Arc::clone(&series));
        series
    }

    fn family(&self, index: usize, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
        let desc = &self.inner.descs[index];
        let mut family = MetricFamily::default();
        family.set_name(desc.fq_name.clone());
        family.set_help(desc.help.clone());
        family.set_field_type(kind);
        family.set_metric(metrics);
        family
    }
}

fn label(name: &str, value: &str) -> LabelPair {
    let mut pair = LabelPair::default();
    pair.set_name(name.to_owned());
    pair.set_value(value.to_owned());
    pair
}

/// Labels sorted by name, as the prometheus crate's own metrics are.
fn labels(series: &NumberSeries, extra: Option<(&str, &str)>) -> Vec<LabelPair> {
    let mut pairs = vec![("number", series.number.as_str()), ("tenant", series.tenant.as_str())];
    pairs.extend(extra);
    pairs.sort_unstable_by_key(|(name, _)| *name);
    pairs.into_iter().map(|(name, value)| label(name, value)).collect()
}

fn counter(labels: Vec<LabelPair>, value: f64) -> Metric {
    let mut counter = Counter::default();
    counter.set_value(value);
    let mut metric = Metric::default();
    metric.set_label(labels);
    metric.set_counter(counter);
    metric
}

fn gauge(labels: Vec<LabelPair>, value: f64) -> Metric {
    let mut gauge = Gauge::default();
    gauge.set_value(value);
    let mut metric = Metric::default();
    metric.set_label(labels);
    metric.set_gauge(gauge);
    metric
}

fn major(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

impl Collector for NumberSeriesCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.inner.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let numbers = self.inner.numbers.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut families: [Vec<Metric>; 7] = Default::default();
        for s in numbers.iter() {
            for outcome in Outcome::ALL {
                let value = s.outcomes[outcome as usize].load(Ordering::Relaxed) as f64;
                families[INBOUND].push(counter(labels(s, Some(("outcome", outcome.as_str()))), value));
            }
            for (i, kind) in SPEND_KINDS.iter().enumerate() {
                let value = major(s.spend_micros[i].load(Ordering::Relaxed));
                families[SPEND].push(counter(labels(s, Some(("kind", kind))), value));
            }
            for (i, scope) in BUDGET_SCOPES.iter().enumerate() {
                let remaining = s.remaining_micros[i].load(Ordering::Relaxed);
                if remaining != UNSET {
                    families[REMAINING].push(gauge(labels(s, Some(("scope", scope))), major(remaining)));
                }
                let cap = s.cap_micros[i].load(Ordering::Relaxed);
                if cap != UNSET {
                    families[CAP].push(gauge(labels(s, Some(("scope", scope))), major(cap)));
                }
            }
            families[SHIELD].push(gauge(labels(s, None), f64::from(u8::from(s.shield_active.load(Ordering::Relaxed)))));
            families[RESTARTS].push(counter(labels(s, None), s.restarts.load(Ordering::Relaxed) as f64));
            families[MAILBOX_FULL].push(counter(labels(s, None), s.mailbox_full.load(Ordering::Relaxed) as f64));
        }
        let kinds = [
            MetricType::COUNTER,
            MetricType::COUNTER,
            MetricType::GAUGE,
            MetricType::GAUGE,
            MetricType::GAUGE,
            MetricType::COUNTER,
            MetricType::COUNTER,
        ];
        families
            .into_iter()
            .enumerate()
            .filter(|(_, metrics)| !metrics.is_empty())
            .map(|(index, metrics)| self.family(index, kinds[index], metrics))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::{Encoder, Registry, TextEncoder};

    const NAMES: SeriesNames = SeriesNames {
        inbound: "antirelou_inbound_total",
        spend: "antirelou_spend_total",
        remaining: "antirelou_budget_remaining",
        cap: "antirelou_budget_cap",
        shield: "antirelou_shield_active",
        restarts: "antirelou_actor_restarts_total",
        mailbox_full: "antirelou_actor_mailbox_full_total",
    };

    #[test]
    fn series_are_exported_like_metric_vectors() {
        let collector = NumberSeriesCollector::new(&NAMES).unwrap();
        let registry = Registry::new();
        registry.register(Box::new(collector.clone())).unwrap();
        let paris = collector.for_number("paris", "+33612345678");
        paris.count(Outcome::Replied);
        paris.count(Outcome::Replied);
        collector.for_number("paris", "+33612345678").count(Outcome::Blocked);
        paris.add_spend("reply", 160_000);
        paris.set_cap("number_daily", 5_000_000);
        paris.set_remaining("number_daily", 4_840_000);
        paris.set_shield(true);
        paris.mailbox_was_full();
        collector.for_number("lyon", "+33612345671");
        let mut text = Vec::new();
        TextEncoder::new().encode(&registry.gather(), &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        for line in [
            "# TYPE antirelou_inbound_total counter",
            r#"antirelou_inbound_total{number="+33612345678",outcome="replied",tenant="paris"} 2"#,
            r#"antirelou_inbound_total{number="+33612345678",outcome="blocked",tenant="paris"} 1"#,
            r#"antirelou_inbound_total{number="+33612345671",outcome="overloaded",tenant="lyon"} 0"#,
            r#"antirelou_spend_total{kind="reply",number="+33612345678",tenant="paris"} 0.16"#,
            r#"antirelou_spend_total{kind="inbound",number="+33612345671",tenant="lyon"} 0"#,
            r#"antirelou_budget_cap{number="+33612345678",scope="number_daily",tenant="paris"} 5"#,
            r#"antirelou_budget_remaining{number="+33612345678",scope="number_daily",tenant="paris"} 4.84"#,
            r#"antirelou_shield_active{number="+33612345678",tenant="paris"} 1"#,
            r#"antirelou_shield_active{number="+33612345671",tenant="lyon"} 0"#,
            r#"antirelou_actor_mailbox_full_total{number="+33612345678",tenant="paris"} 1"#,
            r#"antirelou_actor_restarts_total{number="+33612345671",tenant="lyon"} 0"#,
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert_eq!(text.lines().filter(|l| l.starts_with("antirelou_inbound_total{")).count(), 22);
        assert!(!text.contains(r#"scope="balance""#), "unset gauges are not exported");
    }
}
