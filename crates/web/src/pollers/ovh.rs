//! The poller of one OVHcloud virtual number: OVHcloud delivers inbound SMS
//! to an inbox that we list, read and empty through its API.
//!
//! Every `poll_interval`, the replica holding the number's lease (in the
//! ledger backend, `poll:+33…`, held by [`EngineOptions::replica`](antirelou_engine::EngineOptions))
//! lists the inbox and, for each incoming id (oldest first, a bounded
//! batch): reads it, has the engine decide it, and **deletes it once the
//! decision is committed**. The incoming id is the engine's message id, so
//! a crash between the decision and the delete, or a second poller reading
//! the same SMS, ends in a `duplicate`: never a second reply. A message
//! decided `overloaded` or `ledger_unavailable` (nothing committed) stays
//! in the inbox for the next poll; a 404 on read or delete means another
//! poller already did it.
//!
//! Errors back off (doubling from the interval up to [`MAX_BACKOFF`]);
//! credential errors do not (an operator must act: they are logged as
//! errors and `antirelou_poller_up` stays 0). A lease holder that keeps
//! failing hands its lease over after [`HANDOVER_AFTER`] failed polls and
//! sits out one lease TTL, so a replica that can reach OVHcloud takes the
//! number. Every poll also tells the number's health (`poll_failing`,
//! `credentials_refused`: see [`OvhPoller::report_failure`]), which the
//! ledger shares with every replica. The lease is taken over by another replica when its holder
//! stops renewing it (a dead process) within [`OvhPoller::lease_ttl`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use antirelou_domain::{Outcome, ProviderKind, SharedClock};
use antirelou_engine::health::HealthCode;
use antirelou_engine::metrics::PollResult;
use antirelou_engine::NumberHandle;
use antirelou_providers::ovh::{OvhApi, OvhApiError, VirtualNumber};
use antirelou_settings::{ProviderSettings, Settings};
use futures_util::{stream, StreamExt};
use tokio::sync::watch;

use super::health::{PollerHealth, PollerStatus, FAILING_AFTER};
use super::PollerContext;
use crate::intake::Intake;

/// Incoming messages handled per poll at most; the rest wait for the next
/// poll, which comes at once.
pub const MAX_PER_POLL: usize = 200;

/// Incoming messages handled at once (each is a read, a decision and a delete).
pub const CONCURRENCY: usize = 4;

/// The longest wait between polls after errors.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The shortest lease: long enough for a batch on a slow API, short enough
/// that a dead holder's number is polled again within seconds.
pub const MIN_LEASE_TTL: Duration = Duration::from_secs(10);

/// Failed polls after which a lease holder hands its lease over
/// (twice the count that makes it failing in `/readyz`).
pub const HANDOVER_AFTER: u32 = 2 * FAILING_AFTER;

/// Failed polls in a row after which a number that was polled is `failing`
/// (its health; a poller that never succeeded is from its first failure).
pub const HEALTH_FAILING_AFTER: u32 = 2;

/// What one handled incoming message became.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    /// Decided and deleted from the inbox.
    Decided(Outcome),
    /// Decided without a commitment (`overloaded`, `ledger_unavailable`): kept for the next poll.
    Kept(Outcome),
    /// Already gone (another poller read or deleted it).
    Gone,
}

/// What one poll did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Ids in the inbox when listed.
    pub listed: usize,
    pub decided: usize,
    pub kept: usize,
    pub gone: usize,
    /// Ids left for the next poll (over [`MAX_PER_POLL`] or the time budget).
    pub more: bool,
}

/// The poller of one OVHcloud number.
pub struct OvhPoller {
    tenant: Arc<str>,
    number: VirtualNumber,
    handle: Arc<NumberHandle>,
    api: Arc<OvhApi>,
    intake: Intake,
    clock: SharedClock,
    holder: String,
    interval: Duration,
    health: PollerHealth,
}

impl OvhPoller {
    /// The poller of `number`, if it is an OVHcloud number of `settings`
    /// that the registry serves and whose tenant has a client in `apis`.
    pub fn new(
        context: &PollerContext,
        settings: &Settings,
        number: &str,
        apis: &HashMap<String, Arc<OvhApi>>,
    ) -> Option<OvhPoller> {
        let (tenant, _) = settings.numbers().find(|(_, n)| n.number.as_str() == number)?;
        let ProviderSettings::Ovh { service_name, poll_interval_seconds, .. } = &tenant.provider else {
            return None;
        };
        let handle = context.intake.route(ProviderKind::Ovh, number)?;
        let api = Arc::clone(apis.get(&tenant.id)?);
        let number = match VirtualNumber::new(service_name, number) {
            Ok(number) => number,
            Err(error) => {
                tracing::error!(tenant = %tenant.id, %error, "an OVHcloud number cannot be polled");
                return None;
            }
        };
        Some(OvhPoller {
            tenant: Arc::from(tenant.id.as_str()),
            number,
            handle,
            api,
            intake: context.intake.clone(),
            clock: Arc::clone(&context.clock),
            holder: context.intake.registry().options().replica.clone(),
            interval: Duration::from_secs(*poll_interval_seconds),
            health: context.health.clone(),
        })
    }

    /// Our number, E.164.
    pub fn number(&self) -> &str {
        self.number.e164()
    }

    /// `poll:+33…`: the ledger lease of this number's polling.
    pub fn lease_name(&self) -> String {
        format!("poll:{}", self.number.e164())
    }

    /// Three intervals, at least [`MIN_LEASE_TTL`]: renewed before every poll.
    pub fn lease_ttl(&self) -> Duration {
        (self.interval * 3).max(MIN_LEASE_TTL)
    }

    /// The ids in the inbox, oldest first.
    pub async fn list(&self) -> Result<Vec<u64>, OvhApiError> {
        let mut ids = self.api.list_incoming(&self.number).await?;
        ids.sort_unstable();
        Ok(ids)
    }

    /// Reads one incoming message, decides it, deletes it once decided.
    pub async fn handle(&self, id: u64) -> Result<Handled, OvhApiError> {
        let Some(outcome) = self.decide_incoming(id).await? else {
            return Ok(Handled::Gone);
        };
        if matches!(outcome, Outcome::Overloaded | Outcome::LedgerUnavailable) {
            return Ok(Handled::Kept(outcome));
        }
        self.delete(id).await?;
        Ok(Handled::Decided(outcome))
    }

    /// Reads one incoming message and has the engine decide it (the first
    /// half of [`OvhPoller::handle`]); `None` when it is already gone.
    pub async fn decide_incoming(&self, id: u64) -> Result<Option<Outcome>, OvhApiError> {
        let incoming = match self.api.get_incoming(&self.number, id).await {
            Ok(incoming) => incoming,
            Err(OvhApiError::NotFound) => return Ok(None),
            Err(error) => return Err(error),
        };
        let sms = incoming.to_inbound(self.number.e164());
        drop(incoming);
        Ok(Some(self.intake.decide(&self.handle, &sms).await.outcome))
    }

    /// Deletes one incoming message (the second half of [`OvhPoller::handle`]);
    /// `false` when another poller already had.
    pub async fn delete(&self, id: u64) -> Result<bool, OvhApiError> {
        match self.api.delete_incoming(&self.number, id).await {
            Ok(()) => Ok(true),
            Err(OvhApiError::NotFound) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Lists the inbox and handles up to [`MAX_PER_POLL`] messages, for at
    /// most `budget` (then the rest is left for the next poll). Stops at the
    /// first error that is not about one message alone.
    pub async fn poll_once(&self, budget: Duration) -> Result<PollReport, OvhApiError> {
        let started = Instant::now();
        let ids = self.list().await?;
        let mut report = PollReport { listed: ids.len(), more: ids.len() > MAX_PER_POLL, ..PollReport::default() };
        let mut handled = stream::iter(ids.into_iter().take(MAX_PER_POLL))
            .map(|id| async move { (id, self.handle(id).await) })
            .buffer_unordered(CONCURRENCY);
        while let Some((id, result)) = handled.next().await {
            match result {
                Ok(Handled::Decided(_)) => report.decided += 1,
                Ok(Handled::Kept(_)) => report.kept += 1,
                Ok(Handled::Gone) => report.gone += 1,
                Err(OvhApiError::Malformed(_)) => {
                    // One unreadable message must not stop the others: it stays, and is counted.
                    tracing::warn!(tenant = %self.tenant, number = %self.number.e164(), id,
                        "an OVHcloud incoming message could not be read");
                    report.kept += 1;
                }
                Err(error) => return Err(error),
            }
            if started.elapsed() >= budget {
                report.more = true;
                break;
            }
        }
        Ok(report)
    }

    /// Polls until `stop` turns true (or its sender is dropped), holding the
    /// number's lease while it polls; releases it on the way out.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let metrics = self.intake.registry().metrics().pollers.clone();
        let (tenant, number) = (self.tenant.to_string(), self.number.e164().to_owned());
        metrics.declare(&tenant, &number);
        let ttl = self.lease_ttl();
        let mut status = PollerStatus { tenant: tenant.clone(), ..PollerStatus::default() };
        let mut sit_out_until: Option<Instant> = None;
        let mut polled_once = false;
        self.health.set(&number, status.clone());
        loop {
            if *stop.borrow() {
                break;
            }
            let may_hold = sit_out_until.is_none_or(|until| Instant::now() >= until);
            let held = may_hold && self.take_lease(ttl).await;
            if held != status.lease_held {
                tracing::info!(tenant, number, held, "OVHcloud poll lease");
                if !held {
                    status.failed_polls = 0;
                    status.credentials_refused = false;
                }
            }
            status.lease_held = held;
            metrics.set_lease_held(&tenant, &number, held);
            let wait = if held {
                match self.poll_once(ttl / 2).await {
                    Ok(report) => {
                        metrics.polled(&tenant, &number, PollResult::Ok);
                        status.failed_polls = 0;
                        status.credentials_refused = false;
                        polled_once = true;
                        let health = self.intake.registry().health();
                        health.observe(&self.handle, HealthCode::PollFailing, true).await;
                        health.observe(&self.handle, HealthCode::CredentialsRefused, true).await;
                        if report.more {
                            Duration::ZERO
                        } else {
                            self.interval
                        }
                    }
                    Err(error) => {
                        metrics.polled(&tenant, &number, PollResult::Error);
                        let wait = self.failed(&error, &mut status, &mut sit_out_until, ttl).await;
                        self.report_failure(&status, polled_once).await;
                        wait
                    }
                }
            } else {
                self.interval
            };
            self.health.set(&number, status.clone());
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                changed = stop.changed() => if changed.is_err() || *stop.borrow() { break },
            }
        }
        if status.lease_held {
            let _ = self.intake.registry().ledger().release_lease(&self.lease_name(), &self.holder).await;
        }
        metrics.set_lease_held(&tenant, &number, false);
        status.lease_held = false;
        self.health.set(&number, status);
    }

    /// Takes or renews the lease; a ledger error is "not held" (fail closed:
    /// a replica that cannot reach the ledger could not decide anyway).
    async fn take_lease(&self, ttl: Duration) -> bool {
        let ledger = self.intake.registry().ledger();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let name = self.lease_name();
        let lease = ledger.lease(&name, &self.holder, ttl_ms, self.clock.now_micros());
        matches!(tokio::time::timeout(self.intake.registry().options().ledger_timeout, lease).await, Ok(Ok(true)))
    }

    /// Tells the number's health of a failed poll: refused credentials at
    /// once; other failures from the first poll of a poller that never
    /// succeeded, else from [`HEALTH_FAILING_AFTER`] in a row (so a number
    /// that stops working is `failing` within two poll intervals).
    async fn report_failure(&self, status: &PollerStatus, polled_once: bool) {
        let health = self.intake.registry().health();
        if status.credentials_refused {
            health.observe(&self.handle, HealthCode::CredentialsRefused, false).await;
        } else if !polled_once || status.failed_polls >= HEALTH_FAILING_AFTER {
            health.observe(&self.handle, HealthCode::PollFailing, false).await;
        }
    }

    /// Records a failed poll and returns how long to wait before the next.
    async fn failed(
        &self,
        error: &OvhApiError,
        status: &mut PollerStatus,
        sit_out_until: &mut Option<Instant>,
        ttl: Duration,
    ) -> Duration {
        let (tenant, number) = (&*self.tenant, self.number.e164());
        if error.is_credentials() {
            if !status.credentials_refused {
                tracing::error!(tenant, number, %error,
                    "OVHcloud refuses this application's keys or rights: the number is not polled until an operator fixes them");
            }
            status.credentials_refused = true;
            return self.interval;
        }
        status.credentials_refused = false;
        status.failed_polls = status.failed_polls.saturating_add(1);
        tracing::warn!(tenant, number, %error, failed_polls = status.failed_polls, "OVHcloud poll failed");
        if status.failed_polls >= HANDOVER_AFTER {
            tracing::warn!(tenant, number, "handing the OVHcloud poll lease over to another replica");
            let _ = self.intake.registry().ledger().release_lease(&self.lease_name(), &self.holder).await;
            *sit_out_until = Some(Instant::now() + ttl);
            return self.interval;
        }
        backoff(self.interval, status.failed_polls)
    }
}

/// The wait after `failed_polls` failures in a row: the interval doubled
/// each time, at most [`MAX_BACKOFF`] (and never below the interval).
pub fn backoff(interval: Duration, failed_polls: u32) -> Duration {
    let factor = 1u32 << failed_polls.min(16);
    interval.saturating_mul(factor).min(MAX_BACKOFF).max(interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_interval_up_to_a_minute() {
        let second = Duration::from_secs(1);
        let waits: Vec<u64> = (1..=8).map(|n| backoff(second, n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff(Duration::from_secs(90), 3), Duration::from_secs(90), "never below the interval");
        assert_eq!(backoff(second, u32::MAX), MAX_BACKOFF);
    }
}
