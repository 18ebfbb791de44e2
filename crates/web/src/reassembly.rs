//! Long Vonage SMS arrive as one webhook per part; [`Reassembly`] holds
//! this process's parts in a bounded [`ConcatAssembler`] (in memory only:
//! part texts are never stored anywhere) and decides each message once:
//!
//! - when its last part arrives here (the webhook of that part decides);
//! - or when its part 1 has waited [`PART_ONE_WAIT_MS`] here without the
//!   rest (the parts went to other replicas, or were lost): a sweep every
//!   [`SWEEP_EVERY`] decides it on what arrived, under part 1's id.
//!
//! With several replicas, the one holding part 1 decides; the others only
//! acknowledge their parts and drop them after `server.long_sms_hold`. A
//! part or a retry arriving after the decision is absorbed, and since the
//! message id is part 1's in every case, the engine's dedupe answers any
//! second decision `duplicate`: never a second reply.
//!
//! What is held is bounded by the assembler's [`ConcatLimits`] (a part is at
//! most one segment, parts and bytes per number and in all) and shown in
//! `antirelou_long_sms_parts_held`, `antirelou_long_sms_part_bytes_held`
//! and `antirelou_long_sms_parts_dropped_total{reason}` (`evicted` to make
//! room, `expired` at the end of the hold).

use antirelou_domain::micros;
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use antirelou_domain::{ProviderKind, SharedClock};
use antirelou_engine::NumberRegistry;
use antirelou_providers::vonage::{ConcatAssembler, ConcatCounts, ConcatLimits, ConcatOutcome, ConcatPart};
use antirelou_providers::InboundSms;
use prometheus::{IntCounterVec, IntGauge, Opts, Registry};

use crate::intake::Intake;

/// How long part 1 waits for the other parts before its message is decided
/// on what arrived: the parts of one SMS reach Vonage together and are
/// posted within a second or two; five seconds leaves room for a slow one.
pub const PART_ONE_WAIT_MS: u64 = 5_000;

/// How often waiting messages are looked at.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

pub const PARTS_HELD: &str = "antirelou_long_sms_parts_held";
pub const PART_BYTES_HELD: &str = "antirelou_long_sms_part_bytes_held";
pub const PARTS_DROPPED_TOTAL: &str = "antirelou_long_sms_parts_dropped_total";

/// This process's parts of long Vonage SMS.
pub struct Reassembly {
    assembler: Mutex<Held>,
    clock: SharedClock,
    metrics: ReassemblyMetrics,
}

/// The assembler and the drop counts already published.
struct Held {
    assembler: ConcatAssembler,
    published: ConcatCounts,
}

/// The families of what this process holds.
#[derive(Clone)]
struct ReassemblyMetrics {
    parts: IntGauge,
    bytes: IntGauge,
    dropped: IntCounterVec,
}

impl ReassemblyMetrics {
    fn register(registry: &Registry) -> Result<ReassemblyMetrics, prometheus::Error> {
        let parts = IntGauge::new(PARTS_HELD, "Parts of long SMS this process holds until their message is whole.")?;
        let bytes = IntGauge::new(PART_BYTES_HELD, "Bytes the held parts of long SMS are counted for.")?;
        let dropped = IntCounterVec::new(
            Opts::new(PARTS_DROPPED_TOTAL, "Parts of long SMS dropped before their message was whole, by reason."),
            &["reason"],
        )?;
        registry.register(Box::new(parts.clone()))?;
        registry.register(Box::new(bytes.clone()))?;
        registry.register(Box::new(dropped.clone()))?;
        for reason in ["evicted", "expired"] {
            dropped.with_label_values(&[reason]);
        }
        Ok(ReassemblyMetrics { parts, bytes, dropped })
    }
}

impl Reassembly {
    /// Parts are held `hold_seconds` at most (`server.long_sms_hold`).
    pub fn new(clock: SharedClock, hold_seconds: u64, registry: &Registry) -> Result<Reassembly, prometheus::Error> {
        let limits = ConcatLimits { ttl_ms: hold_seconds.saturating_mul(1_000), ..ConcatLimits::default() };
        let held = Held { assembler: ConcatAssembler::new(limits), published: ConcatCounts::default() };
        Ok(Reassembly { assembler: Mutex::new(held), clock, metrics: ReassemblyMetrics::register(registry)? })
    }

    /// Takes one verified part; `Complete` when it was the last one missing.
    pub fn accept(&self, part: ConcatPart, registry: &NumberRegistry) -> ConcatOutcome {
        let sender = registry.sender_key(&part.sms.from);
        let now_ms = self.now_ms();
        let mut held = self.lock();
        let outcome = held.assembler.accept(part, sender, now_ms);
        self.publish(&mut held);
        outcome
    }

    /// Messages whose part 1 has waited long enough, each handed over once.
    pub fn overdue(&self) -> Vec<InboundSms> {
        let now_ms = self.now_ms();
        let mut held = self.lock();
        let overdue = held.assembler.overdue(now_ms, PART_ONE_WAIT_MS);
        self.publish(&mut held);
        overdue
    }

    /// Part texts held now.
    pub fn parts_held(&self) -> usize {
        self.lock().assembler.parts_held()
    }

    /// The gauges to what is held, the drop counters to what was dropped.
    fn publish(&self, held: &mut Held) {
        let assembler = &held.assembler;
        self.metrics.parts.set(i64::try_from(assembler.parts_held()).unwrap_or(i64::MAX));
        self.metrics.bytes.set(i64::try_from(assembler.bytes_held()).unwrap_or(i64::MAX));
        let counts = assembler.counts();
        let published = &mut held.published;
        let evicted = counts.evicted_parts - published.evicted_parts;
        let expired = counts.expired_parts - published.expired_parts;
        self.metrics.dropped.with_label_values(&["evicted"]).inc_by(evicted);
        self.metrics.dropped.with_label_values(&["expired"]).inc_by(expired);
        *published = counts;
    }

    /// Decides, every [`SWEEP_EVERY`], the messages whose part 1 waited too
    /// long. Ends when `reassembly` is dropped (its application is gone).
    /// Call inside an actix System.
    pub fn spawn_sweeper(reassembly: Weak<Reassembly>, intake: Intake) {
        actix::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let Some(reassembly) = reassembly.upgrade() else { break };
                let overdue = reassembly.overdue();
                drop(reassembly);
                for sms in overdue {
                    let Some(handle) = intake.route(ProviderKind::Vonage, &sms.to) else { continue };
                    let intake = intake.clone();
                    actix::spawn(async move {
                        intake.decide(&handle, &sms).await;
                    });
                }
            }
        });
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(micros::to_millis(self.clock.now_micros())).unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // The assembler keeps its own bookkeeping consistent between calls; a
        // panic inside one cannot leave it half-written.
        self.assembler.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
