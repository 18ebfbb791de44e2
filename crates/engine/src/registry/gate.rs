//! Decisions wait for the first load of the runtime controls: a number
//! paused everywhere must not answer from its file settings for the first
//! moments after a restart.

use std::time::Duration;

use tokio::sync::watch;

/// Closed until the controls are first applied; then open for good.
#[derive(Clone)]
pub(crate) struct ControlGate(watch::Sender<bool>);

impl ControlGate {
    pub(crate) fn closed() -> ControlGate {
        ControlGate(watch::channel(false).0)
    }

    pub(crate) fn open(&self) {
        self.0.send_replace(true);
    }

    pub(crate) fn is_open(&self) -> bool {
        *self.0.borrow()
    }

    /// Whether the gate is open, waiting at most `limit` for it.
    pub(crate) async fn wait(&self, limit: Duration) -> bool {
        if self.is_open() {
            return true;
        }
        let mut receiver = self.0.subscribe();
        let opened = tokio::time::timeout(limit, receiver.wait_for(|open| *open)).await;
        matches!(opened, Ok(Ok(_)))
    }
}
