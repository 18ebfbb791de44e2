//! What `/readyz` knows of this process's pollers: for each polled number,
//! whether this replica holds its lease and how its last polls went.
//!
//! A poller is **failing** when this replica holds its lease and its last
//! [`FAILING_AFTER`] polls failed for a reason other than credentials
//! (credentials are an operator's problem: no replica would do better, so
//! they alert through `antirelou_poller_up` instead). Whether a failing
//! poller makes the replica not ready depends on the ledger: with a shared
//! ledger (Redis) another replica can take the traffic and, once this one
//! hands the lease over, the polling; with the embedded ledger there is only
//! one replica, and refusing its webhooks would silence every other
//! tenant for nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Consecutive failed polls (other than credential errors) after which a
/// lease holder's poller is failing.
pub const FAILING_AFTER: u32 = 3;

/// One poller's state, as `/readyz` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PollerStatus {
    pub tenant: String,
    pub lease_held: bool,
    /// Polls failed in a row (0 after a success).
    pub failed_polls: u32,
    /// The last failure was a credential or rights error (`OvhApiError::is_credentials`).
    pub credentials_refused: bool,
}

impl PollerStatus {
    pub fn failing(&self) -> bool {
        self.lease_held && !self.credentials_refused && self.failed_polls >= FAILING_AFTER
    }
}

/// The pollers of one process, by number. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct PollerHealth {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Whether a failing poller makes the replica not ready (a shared ledger).
    gates_readiness: bool,
    pollers: Mutex<BTreeMap<String, PollerStatus>>,
}

impl PollerHealth {
    /// `gates_readiness`: whether failing pollers make `/readyz` answer 503.
    pub fn new(gates_readiness: bool) -> PollerHealth {
        PollerHealth { inner: Arc::new(Inner { gates_readiness, pollers: Mutex::default() }) }
    }

    pub fn set(&self, number: &str, status: PollerStatus) {
        self.lock().insert(number.to_owned(), status);
    }

    /// Forgets a number no longer polled (a reload removed it).
    pub fn remove(&self, number: &str) {
        self.lock().remove(number);
    }

    pub fn get(&self, number: &str) -> Option<PollerStatus> {
        self.lock().get(number).cloned()
    }

    /// Every poller, by number.
    pub fn snapshot(&self) -> BTreeMap<String, PollerStatus> {
        self.lock().clone()
    }

    /// Numbers whose poller is failing on this replica.
    pub fn failing(&self) -> Vec<String> {
        self.lock().iter().filter(|(_, status)| status.failing()).map(|(number, _)| number.clone()).collect()
    }

    /// Whether the pollers let this replica be ready.
    pub fn ready(&self) -> bool {
        !self.inner.gates_readiness || self.failing().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, PollerStatus>> {
        // Plain values replaced whole: a panic cannot leave one half-written.
        self.inner.pollers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(lease_held: bool, failed_polls: u32, credentials_refused: bool) -> PollerStatus {
        PollerStatus { tenant: "paris".into(), lease_held, failed_polls, credentials_refused }
    }

    #[test]
    fn only_a_held_lease_failing_for_other_reasons_than_credentials_is_failing() {
        assert!(status(true, FAILING_AFTER, false).failing());
        assert!(!status(true, FAILING_AFTER - 1, false).failing());
        assert!(!status(false, 10, false).failing(), "another replica polls");
        assert!(!status(true, 10, true).failing(), "credentials alert instead");
    }

    #[test]
    fn failing_pollers_gate_readiness_only_with_a_shared_ledger() {
        for gates in [true, false] {
            let health = PollerHealth::new(gates);
            health.set("+33939000004", status(true, 1, false));
            assert!(health.ready());
            health.set("+33939000004", status(true, FAILING_AFTER, false));
            assert_eq!(health.failing(), ["+33939000004"]);
            assert_eq!(health.ready(), !gates);
        }
    }
}
