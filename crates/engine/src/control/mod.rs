//! Runtime controls applied by every replica: pause, a number's overrides
//! (a [`NumberPatch`] over the file), a tenant's stored blocklist. They
//! live in the ledger backend ([`ControlStore`](antirelou_ledger::ControlStore));
//! [`Controls`] changes them (with an audit record) and keeps this
//! replica's actors in step with them:
//!
//! - at start, before any decision (decisions wait for the first load, at
//!   most the decision timeout, then answer `overloaded`);
//! - on [`LedgerEvent::Control`] (Redis pub/sub; SQLite in process);
//! - every [`CHECK_EVERY`] by comparing the stored version, for
//!   announcements this replica missed.
//!
//! Applying sends each actor its policy (file settings + overrides, pause,
//! file blocklist ∪ stored blocklist); `number::state` stays pure.
//!
//! - this file: [`Controls`], its operations (the admin API and the console
//!   call them with the caller's audit name), the follow loop;
//! - `view.rs`: what is stored, loaded in one go, and the policies it makes;
//! - `metrics.rs`: `antirelou_control_*`.
//!
//! Start with [`Controls::start`] and [`Controls::pause`].

mod metrics;
mod view;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use antirelou_domain::{PhoneNumber, SenderKey, SharedClock};
use antirelou_ledger::control::MAX_BLOCKLIST;
use antirelou_ledger::{AuditAction, AuditNote, AuditPage, BlockedSender, LedgerError, LedgerEvent};
use antirelou_settings::{NumberPatch, NumberSettings, Settings};
use serde_json::{json, Value};
use tokio::sync::{broadcast, Mutex};

use crate::messages::{SetPaused, SetPolicy};
use crate::policy::NumberPolicy;
use crate::registry::NumberRegistry;

pub use metrics::ControlMetrics;
pub use view::{ControlView, StoredNumber};

/// How often the stored version is compared with the applied one, for
/// announcements lost while a replica was disconnected from Redis.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// A blocklist label is at most this many characters (shown in lists).
pub const MAX_LABEL_CHARS: usize = 80;

/// A label with this many digits in a row may be a phone number: refused,
/// since a sender's number is never stored.
const DIGITS_LIKE_A_NUMBER: usize = 6;

/// Why a control operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no such number or tenant")]
    NotFound,
    /// Bad input, with a message that says what to send instead.
    #[error("{0}")]
    Invalid(String),
    /// A bound is reached (the blocklist is full).
    #[error("{0}")]
    Full(String),
    #[error("ledger unavailable: {0}")]
    Ledger(LedgerError),
}

impl From<LedgerError> for ControlError {
    /// A refusal (a full blocklist, a full change history) is a bound
    /// reached; anything else, the ledger failing.
    fn from(error: LedgerError) -> Self {
        match error {
            LedgerError::Refused(message) => ControlError::Full(message),
            other => ControlError::Ledger(other),
        }
    }
}

/// A number's controls as this replica applies them.
#[derive(Clone, Debug)]
pub struct NumberControls {
    /// The policy in force (file + overrides + pause + blocklists).
    pub policy: Arc<NumberPolicy>,
    /// The settings in force (file + overrides).
    pub settings: NumberSettings,
    pub stored: StoredNumber,
    /// The change version this replica applied.
    pub version: u64,
}

/// The runtime controls of this replica. Cheap to clone.
#[derive(Clone)]
pub struct Controls {
    inner: Arc<Inner>,
}

struct Inner {
    registry: NumberRegistry,
    clock: SharedClock,
    settings: RwLock<Arc<Settings>>,
    view: RwLock<Arc<ControlView>>,
    applied: AtomicU64,
    /// One load-and-apply at a time, so versions are applied in order.
    loading: Mutex<()>,
    metrics: ControlMetrics,
}

impl Controls {
    /// Follows the stored controls for `registry`'s numbers: loads them,
    /// applies them, opens the decisions' gate, then follows changes.
    /// Must run inside an actix System.
    pub fn start(
        registry: NumberRegistry,
        settings: &Settings,
        clock: SharedClock,
        metrics: ControlMetrics,
    ) -> Controls {
        let events = registry.ledger().events();
        let controls = Controls {
            inner: Arc::new(Inner {
                registry,
                clock,
                settings: RwLock::new(Arc::new(settings.clone())),
                view: RwLock::new(Arc::new(ControlView::default())),
                applied: AtomicU64::new(0),
                loading: Mutex::new(()),
                metrics,
            }),
        };
        actix::spawn(controls.clone().follow(events));
        controls
    }

    /// New file settings (a reload): the controls are applied over them.
    pub async fn rebase(&self, settings: &Settings) -> Result<(), LedgerError> {
        *self.inner.settings.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(settings.clone());
        self.refresh(true).await
    }

    fn settings(&self) -> Arc<Settings> {
        Arc::clone(&self.inner.settings.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// What this replica applies now.
    pub fn view(&self) -> Arc<ControlView> {
        Arc::clone(&self.inner.view.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// A number's controls in force, if we serve it.
    pub fn number(&self, number: &str) -> Option<NumberControls> {
        let settings = self.settings();
        let (tenant, file) = settings.numbers().find(|(_, n)| n.number.as_str() == number)?;
        let view = self.view();
        let stored = view.number(number);
        let effective = view::effective(file, &stored);
        let mut policy = NumberPolicy::from_settings(&settings, tenant, &effective);
        policy.paused = stored.paused.unwrap_or(file.paused);
        Some(NumberControls { policy: Arc::new(policy), settings: effective, stored, version: view.version })
    }

    /// Pauses (`true`) or resumes a number, everywhere, until changed again.
    pub async fn pause(&self, number: &str, paused: bool, who: &str) -> Result<u64, ControlError> {
        let tenant = self.tenant_of(number)?;
        let action = if paused { AuditAction::Pause } else { AuditAction::Resume };
        let note = self.note(&tenant, Some(number), who, action, json!({ "paused": paused }));
        let version = self.inner.registry.ledger().set_paused(number, paused, &note).await?;
        self.changed(action, version).await;
        Ok(version)
    }

    /// Applies `patch` over the number's current overrides (key by key) and
    /// returns its controls in force.
    pub async fn patch(&self, number: &str, patch: &NumberPatch, who: &str) -> Result<NumberControls, ControlError> {
        let tenant = self.tenant_of(number)?;
        if patch.is_empty() {
            return Err(ControlError::Invalid("the patch changes nothing".into()));
        }
        let stored = self.current_overrides(number).await?;
        let merged = stored.then(patch);
        let note = self.note(&tenant, Some(number), who, AuditAction::Patch, patch.to_json());
        let json = merged.to_json().to_string();
        let version = self.inner.registry.ledger().set_overrides(number, Some(&json), &note).await?;
        if let Some(version) = version {
            self.changed(AuditAction::Patch, version).await;
        }
        self.number(number).ok_or(ControlError::NotFound)
    }

    /// Drops the number's overrides: the file holds again. `false` when there were none.
    pub async fn clear_overrides(&self, number: &str, who: &str) -> Result<bool, ControlError> {
        let tenant = self.tenant_of(number)?;
        let note = self.note(&tenant, Some(number), who, AuditAction::ClearOverrides, json!({ "overrides": null }));
        let version = self.inner.registry.ledger().set_overrides(number, None, &note).await?;
        if let Some(version) = version {
            self.changed(AuditAction::ClearOverrides, version).await;
        }
        Ok(version.is_some())
    }

    /// Blocks `sender_phone` for every number of `tenant`. The phone number is
    /// hashed here and goes no further: the ledger, the audit and the
    /// answer only ever see its hash.
    pub async fn block(
        &self,
        tenant: &str,
        sender_phone: &str,
        label: &str,
        who: &str,
    ) -> Result<BlockedSender, ControlError> {
        self.known_tenant(tenant)?;
        // As a person types it: `+33 6 11 22 33 44`, or national
        // (`06 11 22 33 44`, `06.11.22.33.44`) read in the country of the
        // tenant's own numbers.
        let phone = match self.tenant_country(tenant) {
            Some(country) => PhoneNumber::parse_typed(sender_phone, &country),
            None => PhoneNumber::parse(sender_phone.trim()),
        }
        .map_err(|e| ControlError::Invalid(format!("number: {e} (expected E.164, such as +33612345678)")))?;
        let label = check_label(label)?;
        let sender = self.inner.registry.sender_key(phone.as_str());
        let blocked = BlockedSender { sender, label: label.clone(), added_micros: self.inner.clock.now_micros() };
        let what = json!({ "sender": sender.to_hex(), "label": label });
        let note = self.note(tenant, None, who, AuditAction::Block, what);
        let outcome = self.inner.registry.ledger().block_sender(tenant, &blocked, MAX_BLOCKLIST, &note).await?;
        self.changed(AuditAction::Block, outcome.version).await;
        Ok(blocked)
    }

    /// Unblocks a sender of `tenant` by its hash (hex, as listed).
    pub async fn unblock(&self, tenant: &str, sender_hex: &str, who: &str) -> Result<(), ControlError> {
        self.known_tenant(tenant)?;
        let sender = SenderKey::from_hex(sender_hex).ok_or(ControlError::NotFound)?;
        let note = self.note(tenant, None, who, AuditAction::Unblock, json!({ "sender": sender.to_hex() }));
        match self.inner.registry.ledger().unblock_sender(tenant, &sender, &note).await? {
            Some(version) => {
                self.changed(AuditAction::Unblock, version).await;
                Ok(())
            }
            None => Err(ControlError::NotFound),
        }
    }

    /// A tenant's stored blocklist, oldest first (the file's is not listed).
    pub async fn blocklist(&self, tenant: &str) -> Result<Vec<BlockedSender>, ControlError> {
        self.known_tenant(tenant)?;
        Ok(self.inner.registry.ledger().blocklist(tenant).await?)
    }

    /// A page of a tenant's audit records, newest first.
    pub async fn audit(&self, tenant: &str, before: Option<u64>, limit: usize) -> Result<AuditPage, ControlError> {
        self.known_tenant(tenant)?;
        Ok(self.inner.registry.ledger().audit(tenant, before, limit).await?)
    }

    /// The country (ISO 3166 alpha-2) of `tenant`'s first number with one:
    /// where a national number typed for this tenant is read.
    pub fn tenant_country(&self, tenant: &str) -> Option<String> {
        let mut numbers: Vec<String> = self
            .inner
            .registry
            .numbers()
            .iter()
            .filter(|h| h.tenant_id().as_ref() == tenant)
            .map(|h| h.number().to_string())
            .collect();
        numbers.sort();
        numbers.iter().find_map(|n| PhoneNumber::parse(n).ok()?.country().map(str::to_owned))
    }

    fn tenant_of(&self, number: &str) -> Result<String, ControlError> {
        let handle = self.inner.registry.route(number).ok_or(ControlError::NotFound)?;
        Ok(handle.tenant_id().to_string())
    }

    fn known_tenant(&self, tenant: &str) -> Result<(), ControlError> {
        self.inner.registry.tenant(tenant).map(|_| ()).ok_or(ControlError::NotFound)
    }

    fn note(&self, tenant: &str, number: Option<&str>, who: &str, action: AuditAction, what: Value) -> AuditNote {
        AuditNote {
            tenant: tenant.to_owned(),
            number: number.map(str::to_owned),
            who: who.to_owned(),
            action,
            what,
            at_micros: self.inner.clock.now_micros(),
            kept: self.inner.settings.read().unwrap_or_else(|e| e.into_inner()).ledger.audit_changes_per_tenant,
        }
    }

    /// The number's stored overrides, read from the ledger (not this
    /// replica's view, which may be a moment behind).
    async fn current_overrides(&self, number: &str) -> Result<NumberPatch, ControlError> {
        let stored = self.inner.registry.ledger().number_controls(&[number.to_owned()]).await?;
        match stored.into_iter().next().and_then(|s| s.overrides) {
            Some(json) => Ok(view::parse_patch(&json).unwrap_or_default()),
            None => Ok(NumberPatch::default()),
        }
    }

    /// A change made here: counted, and applied at once on this replica
    /// (the others hear of it). A failed apply is retried by the follow loop.
    async fn changed(&self, action: AuditAction, version: u64) {
        self.inner.metrics.changes.with_label_values(&[action.as_str()]).inc();
        if version > self.inner.applied.load(Ordering::SeqCst) {
            if let Err(error) = self.refresh(true).await {
                tracing::warn!(%error, "control change stored, not applied yet here");
            }
        }
    }

    /// Loads and applies the stored controls; without `force`, only when the
    /// stored version moved past the applied one.
    async fn refresh(&self, force: bool) -> Result<(), LedgerError> {
        let _one_at_a_time = self.inner.loading.lock().await;
        let ledger = Arc::clone(self.inner.registry.ledger());
        let gate = self.inner.registry.controls_gate();
        if !force && gate.is_open() {
            let stored = ledger.control_version().await?;
            self.inner.metrics.checked(self.inner.clock.now_seconds());
            if stored <= self.inner.applied.load(Ordering::SeqCst) {
                return Ok(());
            }
        }
        let settings = self.settings();
        let view = ControlView::load(&*ledger, &settings).await?;
        for (number, policy) in view.policies(&settings) {
            let Some(handle) = self.inner.registry.route(&number) else { continue };
            let paused = policy.paused;
            let _ = handle.addr.send(SetPolicy(policy)).await;
            let _ = handle.addr.send(SetPaused(paused)).await;
        }
        self.inner.applied.store(view.version, Ordering::SeqCst);
        self.inner.metrics.applied(view.version, self.inner.clock.now_seconds());
        *self.inner.view.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(view);
        gate.open();
        Ok(())
    }

    /// Loads at start (retrying), then applies announced changes and
    /// checks the stored version every [`CHECK_EVERY`].
    async fn follow(self, mut events: broadcast::Receiver<LedgerEvent>) {
        let mut check = tokio::time::interval(CHECK_EVERY);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let force = tokio::select! {
                event = events.recv() => match event {
                    Ok(LedgerEvent::Control { version }) => version > self.inner.applied.load(Ordering::SeqCst),
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => true,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = check.tick() => false,
            };
            if let Err(error) = self.refresh(force).await {
                tracing::warn!(%error, "runtime controls: cannot read the ledger, retrying");
            }
        }
    }
}

/// A blocklist label: trimmed, at most [`MAX_LABEL_CHARS`], printable, and
/// without a run of digits (spaces and dots apart) that could be a phone number.
fn check_label(label: &str) -> Result<String, ControlError> {
    let label = label.trim();
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(ControlError::Invalid(format!("label: at most {MAX_LABEL_CHARS} characters")));
    }
    if label.chars().any(char::is_control) {
        return Err(ControlError::Invalid("label: no control characters".into()));
    }
    let mut run = 0;
    for c in label.chars() {
        run = match c {
            '0'..='9' => run + 1,
            // Written numbers are grouped: `06 12 34 56 78`, `06.12.34`.
            ' ' | '.' | '-' | '/' | '(' | ')' | '+' => run,
            _ => 0,
        };
        if run >= DIGITS_LIKE_A_NUMBER {
            return Err(ControlError::Invalid(
                "label: looks like a phone number; a sender's number is never stored, describe them instead".into(),
            ));
        }
    }
    Ok(label.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_that_could_hold_a_phone_number_is_refused() {
        assert_eq!(check_label("  insultes, 3 fois  ").unwrap(), "insultes, 3 fois");
        for bad in ["+33612345678", "le 06 12 34 56 78", "06.12.34", "a\u{7}b", &"x".repeat(81)] {
            assert!(matches!(check_label(bad), Err(ControlError::Invalid(_))), "{bad:?}");
        }
        assert!(check_label("12345 fois").is_ok(), "five digits are a count, not a number");
        assert!(check_label("2026: 12 fois, 3 lieux").is_ok(), "digits apart are not a number");
    }
}
