//! [`HealthReporter`]: where the service's observations of a number's
//! provider link go. Each observation (a webhook refused or accepted, a
//! poll, a send, a connection test) is written to the ledger
//! ([`HealthStore::observe_health`](antirelou_ledger::HealthStore::observe_health))
//! when it changes what this process last wrote, or [`REWRITE_EVERY`]
//! after (a flood of accepted webhooks is not a flood of writes). When a
//! write shows a failing episode, its alert is claimed in the ledger
//! (`health:<number>:<episode start>`): one alert per episode, whichever
//! replica saw it first, kept for the console's alerts page and POSTed to
//! the tenant's alert webhook.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use antirelou_domain::{micros, SharedClock};
use antirelou_ledger::{AlertClaim, AlertRecord, HealthRecord, HealthSignal, Ledger, LedgerError};
use antirelou_providers::{SendError, SendReceipt};
use chrono_tz::Tz;

use super::words::{failing_alert, WordsContext};
use super::{assess, HealthCode, HealthInputs, NumberHealth};
use crate::alerts::{AlertKind, AlertOutbox};
use crate::handle::NumberHandle;
use crate::metrics::{LedgerOp, Metrics};
use crate::policy::NumberPolicy;

/// The same observation is written again at most this often by one process.
pub const REWRITE_EVERY: Duration = Duration::from_secs(30);

/// A refused webhook does not make a number failing while a webhook of it
/// was accepted less than this long ago (a forged request must not make a
/// working number look broken).
pub const INBOUND_GRACE_MICROS: i64 = 3_600 * micros::PER_SECOND;

/// An episode's alert claim is kept this long (episodes are told apart by their start).
const CLAIM_MICROS: i64 = 400 * 86_400 * micros::PER_SECOND;

/// Observations seen by this process, remembered per number and code (bounded by the numbers served).
type Seen = HashMap<(Arc<str>, HealthCode), (bool, Instant)>;

/// Reports observations to the ledger and raises the alert of each failing episode. Cheap to clone.
#[derive(Clone)]
pub struct HealthReporter {
    inner: Arc<Inner>,
}

struct Inner {
    ledger: Arc<dyn Ledger>,
    alerts: AlertOutbox,
    clock: SharedClock,
    metrics: Metrics,
    timeout: Duration,
    public_url: String,
    timezone: Tz,
    seen: Mutex<Seen>,
    /// The last episode (its start) this process claimed or saw claimed, per number.
    alerted: Mutex<HashMap<Arc<str>, i64>>,
}

impl HealthReporter {
    /// `public_url` (without a trailing slash) names where providers must
    /// send incoming messages, in the sentences; `timezone` writes times.
    pub fn new(
        ledger: Arc<dyn Ledger>,
        alerts: AlertOutbox,
        clock: SharedClock,
        metrics: Metrics,
        timeout: Duration,
        public_url: &str,
        timezone: Tz,
    ) -> HealthReporter {
        HealthReporter {
            inner: Arc::new(Inner {
                ledger,
                alerts,
                clock,
                metrics,
                timeout,
                public_url: public_url.trim_end_matches('/').to_owned(),
                timezone,
                seen: Mutex::default(),
                alerted: Mutex::default(),
            }),
        }
    }

    /// The words of `handle`'s number: its provider, this service's address.
    pub fn words(&self, handle: &NumberHandle) -> WordsContext {
        self.words_of(&handle.policy)
    }

    fn words_of(&self, policy: &NumberPolicy) -> WordsContext {
        WordsContext {
            provider: policy.provider,
            public_url: self.inner.public_url.clone(),
            timezone: self.inner.timezone,
        }
    }

    /// Reports that `code`'s link of `handle`'s number worked (`ok`) or
    /// failed, without waiting: a write is spawned only when one is due
    /// (the hot path of webhooks calls this).
    pub fn report(&self, handle: &NumberHandle, code: HealthCode, ok: bool) {
        self.report_for(&handle.policy, code, ok);
    }

    /// [`HealthReporter::report`] for the number of `policy` (its actor's view).
    pub fn report_for(&self, policy: &Arc<NumberPolicy>, code: HealthCode, ok: bool) {
        if !self.due(&policy.number, code, ok) {
            return;
        }
        let (reporter, policy) = (self.clone(), Arc::clone(policy));
        tokio::spawn(async move { reporter.write(&policy, code, ok).await });
    }

    /// Reports what a send through the provider's API showed: a success
    /// ends `send_failing` and `credentials_refused`; refused credentials
    /// (401/403) are `credentials_refused`; any other failure (refused,
    /// unreachable, no clear answer) is `send_failing`.
    pub fn report_send(&self, policy: &Arc<NumberPolicy>, result: &Result<SendReceipt, SendError>) {
        match result {
            Ok(_) => {
                self.report_for(policy, HealthCode::SendFailing, true);
                self.report_for(policy, HealthCode::CredentialsRefused, true);
            }
            Err(SendError::CredentialsRefused(_)) => self.report_for(policy, HealthCode::CredentialsRefused, false),
            Err(SendError::Refused(_) | SendError::Ambiguous(_)) => {
                self.report_for(policy, HealthCode::SendFailing, false);
            }
        }
    }

    /// Like [`HealthReporter::report`], waiting for the write. Returns the
    /// record when it was written (`None`: skipped as already written, or
    /// the ledger did not answer: the next one retries).
    pub async fn observe(&self, handle: &NumberHandle, code: HealthCode, ok: bool) -> Option<HealthRecord> {
        if !self.due(handle.number(), code, ok) {
            return None;
        }
        self.write(&handle.policy, code, ok).await
    }

    /// Writes an observation whatever this process wrote before (a
    /// connection test: what a person just asked must show at once).
    pub async fn observe_now(&self, handle: &NumberHandle, code: HealthCode, ok: bool) -> Option<HealthRecord> {
        self.forget(handle.number(), code);
        self.observe(handle, code, ok).await
    }

    async fn write(&self, policy: &NumberPolicy, code: HealthCode, ok: bool) -> Option<HealthRecord> {
        let number = Arc::clone(&policy.number);
        let grace_micros = if code == HealthCode::InboundRejected { INBOUND_GRACE_MICROS } else { 0 };
        let signal = HealthSignal {
            number: number.to_string(),
            code: code.as_str().to_owned(),
            ok,
            at_micros: self.inner.clock.now_micros(),
            grace_micros,
        };
        let record = match tokio::time::timeout(self.inner.timeout, self.inner.ledger.observe_health(&signal)).await {
            Ok(Ok(record)) => record,
            _ => {
                self.forget(&number, code);
                self.inner.metrics.ledger_error(LedgerOp::WriteHealth);
                return None;
            }
        };
        if !ok && record.failing_since.is_some() {
            self.raise(policy, &record).await;
        }
        Some(record)
    }

    /// `handle`'s number's health now: the ledger's record assessed with
    /// `inputs`, and since when it holds (the failing episode's start, or
    /// when a replica first noted the state).
    pub async fn current(&self, handle: &NumberHandle, inputs: &HealthInputs) -> Result<NumberHealth, LedgerError> {
        let number = handle.number();
        let ledger = &self.inner.ledger;
        let timeout = self.inner.timeout;
        let record =
            tokio::time::timeout(timeout, ledger.health(number)).await.map_err(|_| LedgerError::Timeout(timeout))??;
        let assessment = assess(&record, inputs);
        let now = self.inner.clock.now_micros();
        let note = ledger.note_health_state(number, assessment.state.as_str(), now);
        let noted = tokio::time::timeout(timeout, note).await.map_err(|_| LedgerError::Timeout(timeout))??;
        let since_micros = assessment.failing_since_micros.unwrap_or(noted);
        Ok(NumberHealth { state: assessment.state, since_micros, reasons: assessment.reasons })
    }

    /// Whether this observation must be written: it differs from what this
    /// process last wrote for the code, or that was [`REWRITE_EVERY`] ago.
    /// Marks it written.
    fn due(&self, number: &Arc<str>, code: HealthCode, ok: bool) -> bool {
        let mut seen = self.inner.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let key = (Arc::clone(number), code);
        let due = seen.get(&key).is_none_or(|(last, at)| *last != ok || now.duration_since(*at) >= REWRITE_EVERY);
        if due {
            seen.insert(key, (ok, now));
        }
        due
    }

    fn forget(&self, number: &Arc<str>, code: HealthCode) {
        self.inner.seen.lock().unwrap_or_else(PoisonError::into_inner).remove(&(Arc::clone(number), code));
    }

    /// Claims the alert of the episode `record` shows, once; emits it when this call claimed it.
    async fn raise(&self, policy: &NumberPolicy, record: &HealthRecord) {
        let Some(since) = record.failing_since else { return };
        let number = Arc::clone(&policy.number);
        {
            let mut alerted = self.inner.alerted.lock().unwrap_or_else(PoisonError::into_inner);
            if alerted.get(&number) == Some(&since) {
                return;
            }
            alerted.insert(Arc::clone(&number), since);
        }
        let reasons = assess(record, &HealthInputs::default()).reasons;
        let tenant = &policy.tenant;
        let alert = failing_alert(tenant, &number, &reasons, &self.words_of(policy));
        let now = self.inner.clock.now_micros();
        let claim = AlertClaim {
            owner: tenant.to_string(),
            key: format!("health:{number}:{since}"),
            record: AlertRecord { at_micros: now, json: serde_json::to_string(&alert).unwrap_or_default() },
            expires_micros: now.saturating_add(CLAIM_MICROS),
        };
        match tokio::time::timeout(self.inner.timeout, self.inner.ledger.claim_alert(&claim)).await {
            Ok(Ok(true)) => {
                tracing::warn!(tenant = %tenant, number = %number, reasons = ?reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
                    "a number is failing");
                if policy.alert_webhook.is_some() && !self.inner.alerts.emit(alert) {
                    self.inner.metrics.alert_delivered(tenant, AlertKind::Health, false);
                }
            }
            Ok(Ok(false)) => {}
            _ => {
                // Claimed at the next failing observation.
                self.inner.alerted.lock().unwrap_or_else(PoisonError::into_inner).remove(&number);
                self.inner.metrics.ledger_error(LedgerOp::ClaimAlert);
            }
        }
    }
}
