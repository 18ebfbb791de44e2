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
//! acknowledge their parts and drop them after the assembler's TTL. A part
//! or a retry arriving after the decision is absorbed, and since the
//! message id is part 1's in every case, the engine's dedupe answers any
//! second decision `duplicate`: never a second reply.

use antirelou_domain::micros;
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use antirelou_domain::{ProviderKind, SharedClock};
use antirelou_engine::NumberRegistry;
use antirelou_providers::vonage::{ConcatAssembler, ConcatLimits, ConcatOutcome, ConcatPart};
use antirelou_providers::InboundSms;

use crate::intake::Intake;

/// How long part 1 waits for the other parts before its message is decided
/// on what arrived: the parts of one SMS reach Vonage together and are
/// posted within a second or two; five seconds leaves room for a slow one.
pub const PART_ONE_WAIT_MS: u64 = 5_000;

/// How often waiting messages are looked at.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// This process's parts of long Vonage SMS.
pub struct Reassembly {
    assembler: Mutex<ConcatAssembler>,
    clock: SharedClock,
}

impl Reassembly {
    pub fn new(clock: SharedClock) -> Reassembly {
        Reassembly { assembler: Mutex::new(ConcatAssembler::new(ConcatLimits::default())), clock }
    }

    /// Takes one verified part; `Complete` when it was the last one missing.
    pub fn accept(&self, part: ConcatPart, registry: &NumberRegistry) -> ConcatOutcome {
        let sender = registry.sender_key(&part.sms.from);
        let now_ms = self.now_ms();
        self.lock().accept(part, sender, now_ms)
    }

    /// Messages whose part 1 has waited long enough, each handed over once.
    pub fn overdue(&self) -> Vec<InboundSms> {
        let now_ms = self.now_ms();
        self.lock().overdue(now_ms, PART_ONE_WAIT_MS)
    }

    /// Part texts held now.
    pub fn parts_held(&self) -> usize {
        self.lock().parts_held()
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

    fn lock(&self) -> std::sync::MutexGuard<'_, ConcatAssembler> {
        // The assembler keeps its own bookkeeping consistent between calls; a
        // panic inside one cannot leave it half-written.
        self.assembler.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
