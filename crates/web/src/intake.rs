//! The intake: the one way an inbound message reaches the engine, whatever
//! brought it. Every source (a provider's webhook, the OVHcloud poller, the
//! reassembly of a long Vonage SMS) does the same four things through it:
//!
//! 1. **route**: find the number the message is for among the tenants *of
//!    the source's provider* ([`Intake::route`]; a number served through
//!    another provider is unknown here);
//! 2. **verify**, with that tenant's secrets: the source's own code (each
//!    provider signs differently);
//! 3. **decide**: the engine decides, and the decision's time and outcome
//!    are recorded once ([`Intake::decide`]; a call, [`Intake::decide_call`]);
//! 4. **count a refusal** once, with the tenant and number it was routed
//!    to, if any ([`Intake::refuse`], `antirelou_webhook_rejected_total`).
//!
//! It also tells the number's health (`crate::health` of the engine) that
//! a webhook was verified, or refused for its signature or account
//! (`inbound_rejected`).
//!
//! A webhook handler runs its own part (read, parse, verify, answer in the
//! provider's format) inside [`Intake::receive`], which hands it an
//! [`Arrival`] that remembers where the message was routed, so that every
//! refusal is counted once and against the right number. A donation
//! notification names a tenant, not a number, and never reaches the engine:
//! it does not come through here (`routes/webhooks/donations.rs`).
//! docs/ARCHITECTURE.md says how a new source plugs in.
//!
//! This module imports nothing of `web` but [`Rejection`]: the routes, the
//! pollers and the reassembly stand above it.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use antirelou_domain::{Outcome, ProviderKind};
use antirelou_engine::health::HealthCode;
use antirelou_engine::metrics::number_series::CALL_WITHOUT_VOICE;
use antirelou_engine::{Decision, NumberHandle, NumberRegistry};
use antirelou_providers::{InboundCall, InboundSms, RejectReason};

use crate::error::Rejection;

/// The intake of one application: routes, decides and counts for every source.
#[derive(Clone)]
pub struct Intake {
    registry: NumberRegistry,
}

impl Intake {
    pub fn new(registry: NumberRegistry) -> Intake {
        Intake { registry }
    }

    /// The handle of `number` when a tenant of `provider` serves it.
    pub fn route(&self, provider: ProviderKind, number: &str) -> Option<Arc<NumberHandle>> {
        self.registry.route(number).filter(|handle| handle.tenant.provider.kind() == provider)
    }

    /// Decides one verified SMS for `handle`'s number, and records how long
    /// the decision took.
    pub async fn decide(&self, handle: &NumberHandle, sms: &InboundSms) -> Decision {
        let started = Instant::now();
        if handle.tenant.provider.kind().has_webhook() {
            // A verified webhook: the provider reaches us (the number's health).
            self.registry.health().report(handle, HealthCode::InboundRejected, true);
        }
        let decision = self.registry.decide(handle, &sms.message_id, &sms.from, &sms.body).await;
        self.registry.metrics().observe_decision(decision.outcome, started.elapsed().as_secs_f64());
        tracing::debug!(provider = sms.provider.as_str(), tenant = %handle.tenant_id(),
            number = %handle.number(), outcome = %decision.outcome, "decision");
        decision
    }

    /// Decides one verified call for `handle`'s number (the same rules,
    /// ledger and caps as an SMS; `antirelou_calls_total`), and records how
    /// long the decision took. A number without `voice` answers no call: the
    /// call is counted `no_voice` and nothing is decided.
    pub async fn decide_call(&self, handle: &NumberHandle, call: &InboundCall) -> Decision {
        if handle.policy.voice.is_none() {
            handle.metrics.count_call(None);
            tracing::debug!(provider = call.provider.as_str(), tenant = %handle.tenant_id(),
                number = %handle.number(), "call rejected: the number has no voice");
            return Decision::silent(Outcome::Paused);
        }
        let started = Instant::now();
        let decision = self.registry.decide_call(handle, &call.call_id, &call.from).await;
        self.registry.metrics().observe_decision(decision.outcome, started.elapsed().as_secs_f64());
        tracing::debug!(provider = call.provider.as_str(), tenant = %handle.tenant_id(),
            number = %handle.number(), outcome = %decision.outcome, "call decision");
        decision
    }

    /// Counts and logs a refused message of `provider`; `routed` is where it
    /// was routed before it was refused (its tenant and number become labels).
    pub fn refuse(&self, provider: ProviderKind, routed: &Routed, rejection: Rejection) -> Rejection {
        let reason = rejection.reason.as_str();
        let number = match routed {
            Routed::Number(handle) => Some(handle.as_ref()),
            Routed::Nowhere => None,
        };
        self.registry.metrics().count_rejected(provider, rejection.reason, number.map(|h| &*h.metrics.series));
        if let (Routed::Number(handle), RejectReason::BadSignature | RejectReason::AccountMismatch) =
            (routed, rejection.reason)
        {
            // Refused for its signature or account: the number's health.
            self.registry.health().report(handle, HealthCode::InboundRejected, false);
        }
        let (tenant, number) = match routed {
            Routed::Number(handle) => (&**handle.tenant_id(), &**handle.number()),
            Routed::Nowhere => ("", ""),
        };
        tracing::info!(provider = provider.as_str(), reason, tenant, number, "webhook rejected");
        rejection
    }

    /// Runs a source's own part of one message (`answer`: read, parse,
    /// verify, decide through the [`Arrival`], answer) and counts its
    /// refusal, if it refuses, once.
    pub async fn receive<T>(
        &self,
        provider: ProviderKind,
        answer: impl AsyncFnOnce(&mut Arrival<'_>) -> Result<T, Rejection>,
    ) -> Result<T, Rejection> {
        let mut arrival = Arrival { intake: self, provider, routed: Routed::Nowhere, decided: Cell::new(None) };
        let result = answer(&mut arrival).await;
        result.map_err(|rejection| self.refuse(provider, &arrival.routed, rejection))
    }

    pub fn registry(&self) -> &NumberRegistry {
        &self.registry
    }
}

/// Where a message was routed, so far.
pub enum Routed {
    /// Not yet, or to nothing of ours.
    Nowhere,
    /// To one of our numbers.
    Number(Arc<NumberHandle>),
}

/// One message on its way through the intake, from a source of `provider`.
pub struct Arrival<'a> {
    intake: &'a Intake,
    provider: ProviderKind,
    routed: Routed,
    /// The outcome label of the decision, once there is one (the webhook
    /// routes answer it in a header).
    decided: Cell<Option<&'static str>>,
}

impl Arrival<'_> {
    /// Routes the message to `number` among the tenants of this source's
    /// provider (`unknown_number` otherwise); a later refusal counts on it.
    pub fn route(&mut self, number: &str) -> Result<Arc<NumberHandle>, Rejection> {
        let handle = self.intake.route(self.provider, number).ok_or(Rejection::new(RejectReason::UnknownNumber))?;
        self.routed = Routed::Number(Arc::clone(&handle));
        Ok(handle)
    }

    /// Decides one verified SMS (see [`Intake::decide`]).
    pub async fn decide(&self, handle: &NumberHandle, sms: &InboundSms) -> Decision {
        let decision = self.intake.decide(handle, sms).await;
        self.decided.set(Some(decision.outcome.as_str()));
        decision
    }

    /// Decides one verified call (see [`Intake::decide_call`]).
    pub async fn decide_call(&self, handle: &NumberHandle, call: &InboundCall) -> Decision {
        let decision = self.intake.decide_call(handle, call).await;
        let label = if handle.policy.voice.is_none() { CALL_WITHOUT_VOICE } else { decision.outcome.as_str() };
        self.decided.set(Some(label));
        decision
    }

    /// The outcome label of what this arrival decided (`no_voice` for a
    /// call to a number without `voice`); `None` when nothing was decided
    /// (refused, or a part of a long SMS waiting for the others).
    pub fn decided(&self) -> Option<&'static str> {
        self.decided.get()
    }

    pub fn intake(&self) -> &Intake {
        self.intake
    }
}
