//! The per-number series (`antirelou_inbound_total`, `_spend_total`,
//! `_budget_remaining`, `_budget_cap`, `_shield_active`,
//! `_actor_restarts_total`, `_actor_mailbox_full_total`) without one
//! Prometheus child object per series.
//!
//! Every configured number has about 25 series from startup. With the
//! `prometheus` crate's metric vectors each series owns a copy of its
//! descriptor and label strings (about 700 bytes): 10,000 numbers cost
//! ~170 MB before any traffic (measured, docs/benchmarks.md), and every
//! scrape builds as many objects again. Here a number's series are a few
//! atomics, written as text straight into the scrape's response, a chunk of
//! numbers at a time (`/metrics` in the web crate streams the chunks).

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use antirelou_domain::Outcome;
use std::fmt::Write as _;
use std::ops::Range;

use prometheus::core::Desc;

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
}

/// What one family writes per number.
#[derive(Clone, Copy)]
enum Shape {
    Inbound,
    Spend,
    Remaining,
    Cap,
    Shield,
    Restarts,
    MailboxFull,
}

const SHAPES: [(Shape, &str); FAMILIES] = [
    (Shape::Inbound, "counter"),
    (Shape::Spend, "counter"),
    (Shape::Remaining, "gauge"),
    (Shape::Cap, "gauge"),
    (Shape::Shield, "gauge"),
    (Shape::Restarts, "counter"),
    (Shape::MailboxFull, "counter"),
];

impl NumberSeriesCollector {
    /// Numbers with series.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<NumberSeries>>> {
        self.inner.numbers.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends the Prometheus text exposition of family `family` (0 to
    /// [`FAMILIES`]) for the numbers in `range`; with `range.start == 0`
    /// the `# HELP` / `# TYPE` lines first. A scrape writes the families
    /// in chunks of numbers, so 10,000 numbers never need the ~100 MB of
    /// intermediate objects a `Collector` would build for 250,000 series.
    pub fn encode_text(&self, family: usize, range: Range<usize>, out: &mut String) {
        let Some(&(shape, kind)) = SHAPES.get(family) else { return };
        let desc = &self.inner.descs[family];
        let numbers = self.read();
        if range.start == 0 && numbers.iter().any(|s| has_samples(s, shape)) {
            let _ = writeln!(out, "# HELP {} {}", desc.fq_name, escape_help(&desc.help));
            let _ = writeln!(out, "# TYPE {} {kind}", desc.fq_name);
        }
        let end = range.end.min(numbers.len());
        for s in numbers.get(range.start.min(end)..end).unwrap_or_default() {
            let name = desc.fq_name.as_str();
            match shape {
                Shape::Inbound => {
                    for outcome in Outcome::ALL {
                        let value = s.outcomes[outcome as usize].load(Ordering::Relaxed);
                        sample(out, name, s, Some(("outcome", outcome.as_str())), value as f64);
                    }
                }
                Shape::Spend => {
                    for (i, kind) in SPEND_KINDS.iter().enumerate() {
                        sample(out, name, s, Some(("kind", kind)), major(s.spend_micros[i].load(Ordering::Relaxed)));
                    }
                }
                Shape::Remaining | Shape::Cap => {
                    let values = if matches!(shape, Shape::Remaining) { &s.remaining_micros } else { &s.cap_micros };
                    for (i, scope) in BUDGET_SCOPES.iter().enumerate() {
                        let value = values[i].load(Ordering::Relaxed);
                        if value != UNSET {
                            sample(out, name, s, Some(("scope", scope)), major(value));
                        }
                    }
                }
                Shape::Shield => {
                    sample(out, name, s, None, f64::from(u8::from(s.shield_active.load(Ordering::Relaxed))))
                }
                Shape::Restarts => sample(out, name, s, None, s.restarts.load(Ordering::Relaxed) as f64),
                Shape::MailboxFull => sample(out, name, s, None, s.mailbox_full.load(Ordering::Relaxed) as f64),
            }
        }
    }
}

/// Number of families [`NumberSeriesCollector::encode_text`] writes.
pub const FAMILIES: usize = 7;

fn has_samples(s: &NumberSeries, shape: Shape) -> bool {
    match shape {
        Shape::Remaining => s.remaining_micros.iter().any(|v| v.load(Ordering::Relaxed) != UNSET),
        Shape::Cap => s.cap_micros.iter().any(|v| v.load(Ordering::Relaxed) != UNSET),
        _ => true,
    }
}

/// One line: labels in name order, as the prometheus crate writes them.
fn sample(out: &mut String, name: &str, s: &NumberSeries, extra: Option<(&str, &str)>, value: f64) {
    let mut labels = [("number", s.number.as_str()), ("tenant", s.tenant.as_str()), ("", "")];
    let mut count = 2;
    if let Some(extra) = extra {
        labels[2] = extra;
        count = 3;
    }
    let labels = &mut labels[..count];
    labels.sort_unstable_by_key(|(label, _)| *label);
    out.push_str(name);
    out.push('{');
    for (i, (label, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(label);
        out.push_str("=\"");
        escape_label_value(value, out);
        out.push('"');
    }
    let _ = writeln!(out, "}} {value}");
}

fn escape_label_value(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn major(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut text = String::new();
        for family in 0..FAMILIES {
            // In two chunks, as a scrape does.
            collector.encode_text(family, 0..1, &mut text);
            collector.encode_text(family, 1..10, &mut text);
        }
        assert_eq!(text.matches("# TYPE antirelou_inbound_total counter").count(), 1);
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
