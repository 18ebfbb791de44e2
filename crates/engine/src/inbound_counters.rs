//! `antirelou_inbound_total{tenant,number,outcome}` without one Prometheus
//! child object per series.
//!
//! Every configured number has 11 outcome series from startup. With the
//! `prometheus` crate's `IntCounterVec`, each series owns a copy of its
//! descriptor and label strings (about 700 bytes): 10,000 numbers cost
//! ~80 MB before any traffic (docs/benchmarks.md). Here a number's counters
//! are 11 atomics, and the label pairs are built only while a scrape runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use antirelou_domain::Outcome;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, LabelPair, Metric, MetricFamily, MetricType};

/// One number's outcome counters.
pub struct NumberCounters {
    tenant: String,
    number: String,
    outcomes: [AtomicU64; 11],
}

impl NumberCounters {
    pub fn inc(&self, outcome: Outcome) {
        self.outcomes[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// The collector of every number's counters. Cheap to clone (one registry
/// owns a clone, the engine another).
#[derive(Clone)]
pub struct InboundCollector {
    inner: Arc<Inner>,
}

struct Inner {
    desc: Desc,
    numbers: RwLock<Vec<Arc<NumberCounters>>>,
}

impl InboundCollector {
    pub fn new(name: &str, help: &str) -> Result<InboundCollector, prometheus::Error> {
        let labels = ["tenant", "number", "outcome"].map(String::from).to_vec();
        let desc = Desc::new(name.to_owned(), help.to_owned(), labels, Default::default())?;
        Ok(InboundCollector { inner: Arc::new(Inner { desc, numbers: RwLock::new(Vec::new()) }) })
    }

    /// The counters of `tenant`/`number`, created at zero on first call.
    pub fn for_number(&self, tenant: &str, number: &str) -> Arc<NumberCounters> {
        let mut numbers = self.inner.numbers.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(existing) = numbers.iter().find(|n| n.tenant == tenant && n.number == number) {
            return Arc::clone(existing);
        }
        let counters = Arc::new(NumberCounters {
            tenant: tenant.to_owned(),
            number: number.to_owned(),
            outcomes: Default::default(),
        });
        numbers.push(Arc::clone(&counters));
        counters
    }
}

fn label(name: &str, value: &str) -> LabelPair {
    let mut pair = LabelPair::default();
    pair.set_name(name.to_owned());
    pair.set_value(value.to_owned());
    pair
}

impl Collector for InboundCollector {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.inner.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let numbers = self.inner.numbers.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut metrics = Vec::with_capacity(numbers.len() * Outcome::ALL.len());
        for counters in numbers.iter() {
            for outcome in Outcome::ALL {
                let mut counter = Counter::default();
                counter.set_value(counters.outcomes[outcome as usize].load(Ordering::Relaxed) as f64);
                let mut metric = Metric::default();
                // Sorted by label name, as the prometheus crate's own metrics are.
                metric.set_label(vec![
                    label("number", &counters.number),
                    label("outcome", outcome.as_str()),
                    label("tenant", &counters.tenant),
                ]);
                metric.set_counter(counter);
                metrics.push(metric);
            }
        }
        let mut family = MetricFamily::default();
        family.set_name(self.inner.desc.fq_name.clone());
        family.set_help(self.inner.desc.help.clone());
        family.set_field_type(MetricType::COUNTER);
        family.set_metric(metrics);
        vec![family]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::{Encoder, Registry, TextEncoder};

    #[test]
    fn counters_are_exported_like_a_counter_vec() {
        let collector = InboundCollector::new("antirelou_inbound_total", "Inbound SMS.").unwrap();
        let registry = Registry::new();
        registry.register(Box::new(collector.clone())).unwrap();
        let paris = collector.for_number("paris", "+33612345678");
        paris.inc(Outcome::Replied);
        paris.inc(Outcome::Replied);
        collector.for_number("paris", "+33612345678").inc(Outcome::Blocked);
        collector.for_number("lyon", "+33612345671");
        let mut text = Vec::new();
        TextEncoder::new().encode(&registry.gather(), &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("# TYPE antirelou_inbound_total counter"));
        assert!(text.contains(r#"antirelou_inbound_total{number="+33612345678",outcome="replied",tenant="paris"} 2"#));
        assert!(text.contains(r#"antirelou_inbound_total{number="+33612345678",outcome="blocked",tenant="paris"} 1"#));
        assert!(text.contains(r#"antirelou_inbound_total{number="+33612345671",outcome="overloaded",tenant="lyon"} 0"#));
        assert_eq!(text.lines().filter(|l| l.starts_with("antirelou_inbound_total{")).count(), 22);
    }
}
