//! The text exposition of [`NumberSeriesCollector`]'s families, written
//! straight from the atomics, a chunk of numbers at a time.

use super::*;

impl NumberSeriesCollector {
    /// Appends the Prometheus text exposition of family `family` (0 to
    /// [`FAMILIES`]) for the numbers in `range`; with `range.start == 0`
    /// the `# HELP` / `# TYPE` lines first, and with the last chunk the
    /// tenant and deployment scopes of the budget families. A scrape writes
    /// the families in chunks of numbers, so 10,000 numbers never need the
    /// ~100 MB of intermediate objects a `Collector` would build.
    pub fn encode_text(&self, family: usize, range: Range<usize>, out: &mut String) {
        let Some(&(shape, kind)) = SHAPES.get(family) else { return };
        let desc = &self.inner.descs[family];
        let name = desc.fq_name.as_str();
        let numbers = self.read();
        let scopes = self.inner.scopes.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let budget = matches!(shape, Shape::Remaining | Shape::Cap);
        let wider = (budget && !scopes.is_empty()) || matches!(shape, Shape::Rejected);
        if range.start == 0 && (numbers.iter().any(|s| has_samples(s, shape)) || wider) {
            let _ = writeln!(out, "# HELP {name} {}", escape_help(&desc.help));
            let _ = writeln!(out, "# TYPE {name} {kind}");
        }
        let end = range.end.min(numbers.len());
        for s in numbers.get(range.start.min(end)..end).unwrap_or_default() {
            let labels = [("tenant", s.tenant.as_str()), ("number", s.number.as_str())];
            match shape {
                Shape::Inbound => {
                    for outcome in Outcome::ALL {
                        let value = s.outcomes[outcome.index()].load(Ordering::Relaxed) as f64;
                        sample(out, name, &labels, Some(("outcome", outcome.as_str())), value);
                    }
                }
                Shape::Spend => {
                    for (i, kind) in SPEND_KINDS.iter().enumerate() {
                        let value = Money::from_micros(s.spend_micros[i].load(Ordering::Relaxed)).as_major_f64();
                        sample(out, name, &labels, Some(("kind", kind.as_str())), value);
                    }
                }
                Shape::Deferred => {
                    for result in DeferredResult::ALL {
                        let value = s.deferred[result.index()].load(Ordering::Relaxed) as f64;
                        sample(out, name, &labels, Some(("result", result.as_str())), value);
                    }
                }
                Shape::DeferredPending => {
                    sample(out, name, &labels, None, s.deferred_pending.load(Ordering::Relaxed) as f64)
                }
                Shape::Remaining | Shape::Cap => {
                    let value =
                        if budget_is_remaining(shape) { &s.daily_remaining_micros } else { &s.daily_cap_micros };
                    let value = value.load(Ordering::Relaxed);
                    if value != UNSET {
                        sample(
                            out,
                            name,
                            &labels,
                            Some(("scope", BudgetScope::NumberDaily.as_str())),
                            Money::from_micros(value).as_major_f64(),
                        );
                    }
                }
                Shape::Shield => {
                    sample(out, name, &labels, None, f64::from(u8::from(s.shield_active.load(Ordering::Relaxed))))
                }
                Shape::Restarts => sample(out, name, &labels, None, s.restarts.load(Ordering::Relaxed) as f64),
                Shape::MailboxFull => sample(out, name, &labels, None, s.mailbox_full.load(Ordering::Relaxed) as f64),
                Shape::Calls => {
                    if !s.was_called() {
                        continue;
                    }
                    let outcomes = Outcome::ALL.iter().map(|o| o.as_str()).chain([CALL_WITHOUT_VOICE]);
                    for (i, outcome) in outcomes.enumerate() {
                        let value = s.calls[i].load(Ordering::Relaxed) as f64;
                        sample(out, name, &labels, Some(("outcome", outcome)), value);
                    }
                }
                Shape::Rejected => {
                    let Some(provider) = s.webhook() else { continue };
                    // A routed webhook has a number: `unknown_number` is never one of its reasons.
                    for reason in RejectReason::ALL.into_iter().filter(|r| *r != RejectReason::UnknownNumber) {
                        let value = s.rejected[reason_index(reason)].load(Ordering::Relaxed) as f64;
                        let extra = [("provider", provider.as_str()), ("reason", reason.as_str())];
                        sample(out, name, &[labels[0], labels[1], extra[0]], Some(extra[1]), value);
                    }
                }
            }
        }
        if matches!(shape, Shape::Rejected) && range.end >= numbers.len() {
            let webhook_kinds = ProviderKind::ALL.into_iter().enumerate().filter(|(_, p)| p.has_webhook());
            for (i, provider) in webhook_kinds {
                for reason in RejectReason::ALL {
                    let value = self.inner.unrouted[i][reason_index(reason)].load(Ordering::Relaxed) as f64;
                    let labels = [("tenant", ""), ("number", ""), ("provider", provider.as_str())];
                    sample(out, name, &labels, Some(("reason", reason.as_str())), value);
                }
            }
        }
        if budget && range.end >= numbers.len() {
            for s in scopes.iter() {
                let value = if budget_is_remaining(shape) { &s.remaining_micros } else { &s.cap_micros };
                let value = value.load(Ordering::Relaxed);
                if value == UNSET {
                    continue;
                }
                match &s.tenant {
                    Some(tenant) => sample(
                        out,
                        name,
                        &[("tenant", tenant)],
                        Some(("scope", s.scope.as_str())),
                        Money::from_micros(value).as_major_f64(),
                    ),
                    None => sample(
                        out,
                        name,
                        &[],
                        Some(("scope", s.scope.as_str())),
                        Money::from_micros(value).as_major_f64(),
                    ),
                }
            }
        }
    }
}

fn budget_is_remaining(shape: Shape) -> bool {
    matches!(shape, Shape::Remaining)
}

fn has_samples(s: &NumberSeries, shape: Shape) -> bool {
    match shape {
        Shape::Remaining => s.daily_remaining_micros.load(Ordering::Relaxed) != UNSET,
        Shape::Cap => s.daily_cap_micros.load(Ordering::Relaxed) != UNSET,
        Shape::Rejected => s.webhook().is_some(),
        Shape::Calls => s.was_called(),
        _ => true,
    }
}

/// One line: labels in name order, as the prometheus crate writes them.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], extra: Option<(&str, &str)>, value: f64) {
    let mut all: [(&str, &str); 4] = [("", ""); 4];
    let mut count = 0;
    for label in labels.iter().copied().chain(extra) {
        all[count] = label;
        count += 1;
    }
    let all = &mut all[..count];
    all.sort_unstable_by_key(|(label, _)| *label);
    out.push_str(name);
    if !all.is_empty() {
        out.push('{');
        for (i, (label, value)) in all.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            escape_label_value(value, out);
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
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
