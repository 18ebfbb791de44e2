//! What the end of a call does, whatever provider reported it (Vonage's
//! `completed` event, Plivo's hangup callback): the duration is logged
//! with the tenant, number and call id (never the caller).

use antirelou_engine::NumberHandle;

use crate::state::AppState;

/// A verified report that `call_id`, to `handle`'s number, lasted `seconds`.
pub async fn call_ended(_state: &AppState, handle: &NumberHandle, call_id: &str, seconds: u32) {
    tracing::debug!(tenant = %handle.tenant_id(), number = %handle.number(), call_id, seconds, "call ended");
}
