//! [`NumberHandle`]: one served number as the rest of the process sees it
//! (its actor, its tenant's route, its file policy, its metrics). The
//! registry's route table holds one per number; the per-day counters and
//! the web layer read them.

use std::sync::Arc;

use actix::Addr;
use antirelou_providers::SendApi;

use crate::metrics::NumberMetrics;
use crate::number::published::Published;
use crate::number::NumberActor;
use crate::policy::{NumberPolicy, TenantRoute};

/// One number as the web layer sees it.
#[derive(Clone)]
pub struct NumberHandle {
    pub addr: Addr<NumberActor>,
    pub tenant: Arc<TenantRoute>,
    pub policy: Arc<NumberPolicy>,
    pub metrics: NumberMetrics,
    /// The number's provider client (replies that are not inline, the
    /// connection test), if it has one.
    pub send_api: Option<Arc<dyn SendApi>>,
    /// What the actor publishes for the flood to be answered here.
    pub published: Arc<Published>,
}

impl NumberHandle {
    /// The id of the tenant that runs this number.
    pub fn tenant_id(&self) -> &Arc<str> {
        &self.tenant.id
    }

    /// This number, E.164.
    pub fn number(&self) -> &Arc<str> {
        &self.policy.number
    }
}
