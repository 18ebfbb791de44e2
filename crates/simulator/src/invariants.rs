//! The money invariants of a run, checked against what was delivered and
//! against the ledger's OWN entries (read back after the run), never
//! against figures derived from the outcomes themselves: a reply paid
//! twice, a reply without an entry or a cap crossed at any moment fails
//! the report (docs/simulator.md, "Invariants"). For calls, a reply is an
//! answered call and its entry a `call` entry: each caller answered at most
//! once, each answer paid once, within the caps.

use antirelou_domain::micros;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use antirelou_domain::{Money, Periods};
use antirelou_engine::Channel;
use antirelou_ledger::{Entry, EntryKind};
use serde::Serialize;

use crate::replies::Reply;
use crate::report::RunRecords;
use crate::traffic::Traffic;

/// What must hold after every run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invariant {
    /// No more replies than distinct senders.
    RepliesAtMostSenders,
    /// Every delivered reply goes to someone who wrote to the number.
    RepliesGoToSenders,
    /// At most one delivered reply (inline or sent) per sender within `reply_once_per`.
    OneReplyPerSender,
    /// At most one reply entry per sender within `reply_once_per`.
    OneReplyEntryPerSender,
    /// Each sender has as many reply entries as delivered replies, and each
    /// entry's reference is one of the run's message ids or send receipts.
    EveryReplyHasOneEntry,
    /// The spend the report counts is the sum of the ledger's reply entries.
    SpendIsSumOfReplyEntries,
    /// Replayed in time order, no reply entry takes a period's spend above its cap.
    RepliesWithinCaps,
}

impl Invariant {
    pub const ALL: [Invariant; 7] = [
        Invariant::RepliesAtMostSenders,
        Invariant::RepliesGoToSenders,
        Invariant::OneReplyPerSender,
        Invariant::OneReplyEntryPerSender,
        Invariant::EveryReplyHasOneEntry,
        Invariant::SpendIsSumOfReplyEntries,
        Invariant::RepliesWithinCaps,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Invariant::RepliesAtMostSenders => "replies_at_most_senders",
            Invariant::RepliesGoToSenders => "replies_go_to_senders",
            Invariant::OneReplyPerSender => "one_reply_per_sender",
            Invariant::OneReplyEntryPerSender => "one_reply_entry_per_sender",
            Invariant::EveryReplyHasOneEntry => "every_reply_has_one_entry",
            Invariant::SpendIsSumOfReplyEntries => "spend_is_sum_of_reply_entries",
            Invariant::RepliesWithinCaps => "replies_within_caps",
        }
    }

    /// Checked only when the run could read the ledger (in-process).
    pub const fn needs_ledger(self) -> bool {
        !matches!(self, Invariant::RepliesAtMostSenders | Invariant::RepliesGoToSenders | Invariant::OneReplyPerSender)
    }
}

/// One broken invariant, with what broke it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.invariant.as_str(), self.detail)
    }
}

/// What the report says of the invariants.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InvariantReport {
    /// The invariants checked (`as_str` names).
    pub checked: Vec<&'static str>,
    /// Each violation as `name: detail`; empty when the run is sound.
    pub violations: Vec<String>,
}

/// Figures read from the ledger's entries.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LedgerAudit {
    pub reply_entries: u64,
    /// Sum of the reply entries.
    pub reply_spend: String,
    /// Sum of the inbound entries.
    pub inbound_spend: String,
    /// The most the number spent in one day (replies and inbound), and the tenant in one month.
    pub max_number_daily_spend: String,
    pub max_tenant_monthly_spend: String,
    #[serde(skip)]
    pub max_number_daily_micros: i64,
    #[serde(skip)]
    pub max_tenant_monthly_micros: i64,
}

/// Checks every invariant `run` allows (those of the ledger only when it
/// read the ledger's entries). `replies` are [`crate::replies::delivered`].
pub fn check(
    traffic: &Traffic,
    run: &RunRecords,
    replies: &[Reply],
) -> (Vec<Violation>, InvariantReport, Option<LedgerAudit>) {
    let mut violations = Vec::new();
    let mut checked: Vec<&'static str> = Vec::new();
    let window_micros = micros::from_seconds_u64(run.reply_once_per_seconds);

    checked.push(Invariant::RepliesAtMostSenders.as_str());
    if replies.len() > traffic.senders.len() {
        violations.push(Violation {
            invariant: Invariant::RepliesAtMostSenders,
            detail: format!("{} replies for {} distinct senders", replies.len(), traffic.senders.len()),
        });
    }

    checked.push(Invariant::RepliesGoToSenders.as_str());
    for reply in replies.iter().filter(|r| r.sender.is_none()) {
        violations.push(Violation {
            invariant: Invariant::RepliesGoToSenders,
            detail: format!("{} went to a number that never wrote", reply.describe(traffic)),
        });
    }

    checked.push(Invariant::OneReplyPerSender.as_str());
    let mut by_sender: BTreeMap<u32, Vec<Reply>> = BTreeMap::new();
    for reply in replies {
        if let Some(sender) = reply.sender {
            by_sender.entry(sender).or_default().push(*reply);
        }
    }
    for (sender, list) in &by_sender {
        for pair in list.windows(2) {
            if pair[1].at_micros - pair[0].at_micros < window_micros {
                violations.push(Violation {
                    invariant: Invariant::OneReplyPerSender,
                    detail: format!(
                        "{} got a second reply: {}, then {}",
                        describe_sender(traffic, *sender),
                        pair[0].describe(traffic),
                        pair[1].describe(traffic)
                    ),
                });
            }
        }
    }

    let audit = run.entries.as_ref().map(|entries| {
        checked.extend(Invariant::ALL.iter().filter(|i| i.needs_ledger()).map(|i| i.as_str()));
        check_ledger(traffic, run, replies, &by_sender, entries, window_micros, &mut violations)
    });
    let report = InvariantReport { checked, violations: violations.iter().map(ToString::to_string).collect() };
    (violations, report, audit)
}

/// The invariants that read the ledger's entries.
fn check_ledger(
    traffic: &Traffic,
    run: &RunRecords,
    replies: &[Reply],
    delivered: &BTreeMap<u32, Vec<Reply>>,
    entries: &[Entry],
    window_micros: i64,
    violations: &mut Vec<Violation>,
) -> LedgerAudit {
    // Who each reply entry paid for: its reference is an inbound message id
    // (inline replies; deferred ones too, if the engine keeps the message's
    // id) or a send receipt (deferred ones, if it keeps the provider's id).
    let mut by_reference: HashMap<String, Option<u32>> = HashMap::new();
    for (index, message) in traffic.messages.iter().enumerate() {
        by_reference.insert(traffic.message_sid(index), Some(message.sender));
    }
    let recipients = traffic.recipients();
    for send in &run.sends {
        by_reference.insert(send.provider_message_id.clone(), recipients.get(&send.to).copied());
    }
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| (e.at_micros, e.id));
    // An SMS reply is paid by a `reply` entry, an answered call by a `call` entry.
    let paid_kind = match run.channel {
        Channel::Sms => EntryKind::Reply,
        Channel::Call => EntryKind::Call,
    };
    let replies_paid: Vec<&Entry> = sorted.iter().copied().filter(|e| e.kind == paid_kind).collect();
    let mut entries_by_sender: BTreeMap<u32, Vec<&Entry>> = BTreeMap::new();
    for entry in &replies_paid {
        match by_reference.get(&entry.reference) {
            Some(Some(sender)) => entries_by_sender.entry(*sender).or_default().push(entry),
            Some(None) => violations.push(Violation {
                invariant: Invariant::EveryReplyHasOneEntry,
                detail: format!("reply entry #{} paid for a send to a number that never wrote", entry.id),
            }),
            None => violations.push(Violation {
                invariant: Invariant::EveryReplyHasOneEntry,
                detail: format!(
                    "reply entry #{} at {} references neither a message nor a send of this run",
                    entry.id,
                    time(entry.at_micros)
                ),
            }),
        }
    }
    for (sender, list) in &entries_by_sender {
        for pair in list.windows(2) {
            if pair[1].at_micros - pair[0].at_micros < window_micros {
                violations.push(Violation {
                    invariant: Invariant::OneReplyEntryPerSender,
                    detail: format!(
                        "{} was paid for twice: entries #{} at {} and #{} at {}",
                        describe_sender(traffic, *sender),
                        pair[0].id,
                        time(pair[0].at_micros),
                        pair[1].id,
                        time(pair[1].at_micros)
                    ),
                });
            }
        }
    }
    let senders: std::collections::BTreeSet<u32> = delivered.keys().chain(entries_by_sender.keys()).copied().collect();
    for sender in senders {
        let paid = entries_by_sender.get(&sender).map_or(0, Vec::len);
        let got = delivered.get(&sender).map_or(0, Vec::len);
        if paid != got {
            violations.push(Violation {
                invariant: Invariant::EveryReplyHasOneEntry,
                detail: format!("{}: {got} replies delivered, {paid} reply entries", describe_sender(traffic, sender)),
            });
        }
    }

    let reply_spend: i64 = replies_paid.iter().map(|e| e.amount.micros()).sum();
    let reported: i64 = replies.len() as i64 * run.reply_cost.micros();
    if reply_spend != reported {
        violations.push(Violation {
            invariant: Invariant::SpendIsSumOfReplyEntries,
            detail: format!(
                "the report counts {} ({} replies x {}), the ledger's reply entries sum to {}",
                Money::from_micros(reported),
                replies.len(),
                run.reply_cost,
                Money::from_micros(reply_spend)
            ),
        });
    }

    let caps = CapReplay::run(&sorted, run, violations);
    let inbound_spend: i64 = sorted.iter().filter(|e| e.kind == EntryKind::Inbound).map(|e| e.amount.micros()).sum();
    LedgerAudit {
        reply_entries: replies_paid.len() as u64,
        reply_spend: Money::from_micros(reply_spend).to_string(),
        inbound_spend: Money::from_micros(inbound_spend).to_string(),
        max_number_daily_spend: Money::from_micros(caps.max_day).to_string(),
        max_tenant_monthly_spend: Money::from_micros(caps.max_month).to_string(),
        max_number_daily_micros: caps.max_day,
        max_tenant_monthly_micros: caps.max_month,
    }
}

/// The ledger's debits replayed in time order against the caps.
struct CapReplay {
    max_day: i64,
    max_month: i64,
}

impl CapReplay {
    fn run(sorted: &[&Entry], run: &RunRecords, violations: &mut Vec<Violation>) -> CapReplay {
        let mut day: HashMap<String, i64> = HashMap::new();
        let mut month: HashMap<String, i64> = HashMap::new();
        let (mut max_day, mut max_month) = (0i64, 0i64);
        for entry in sorted.iter().filter(|e| e.kind.is_spend()) {
            let at = chrono::DateTime::from_timestamp_micros(entry.at_micros).unwrap_or_default();
            let periods = Periods::at(at, run.timezone);
            let day_spend = day.entry(periods.day.clone()).or_default();
            *day_spend += entry.amount.micros();
            let month_spend = month.entry(periods.month.clone()).or_default();
            *month_spend += entry.amount.micros();
            max_day = max_day.max(*day_spend);
            max_month = max_month.max(*month_spend);
            // Inbound charges are the provider's, refused by nobody: only a
            // reply or an answered call must keep its period within the cap.
            if !matches!(entry.kind, EntryKind::Reply | EntryKind::Call) {
                continue;
            }
            let scopes = [
                ("number daily", &periods.day, *day_spend, run.daily_cap),
                ("tenant monthly", &periods.month, *month_spend, run.monthly_cap),
                ("deployment monthly", &periods.month, *month_spend, run.deployment_monthly_cap),
            ];
            for (scope, period, spend, cap) in scopes {
                if let Some(cap) = cap.filter(|cap| spend > cap.micros()) {
                    violations.push(Violation {
                        invariant: Invariant::RepliesWithinCaps,
                        detail: format!(
                            "{} entry #{} at {} takes the {scope} spend of {period} to {}, above its cap {cap}",
                            entry.kind.as_str(),
                            entry.id,
                            time(entry.at_micros),
                            Money::from_micros(spend)
                        ),
                    });
                }
            }
        }
        CapReplay { max_day, max_month }
    }
}

/// A sender named without its number: its index and first message.
fn describe_sender(traffic: &Traffic, sender: u32) -> String {
    let first = traffic.messages.iter().find(|m| m.sender == sender).map_or(0, |m| m.line);
    format!("sender #{sender} (first message: line {first})")
}

fn time(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
