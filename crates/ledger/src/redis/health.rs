//! [`HealthStore`] on Redis: a number's record is one hash (`health:+33…`,
//! see `layout.rs`), changed by one Lua script (`health_observe.lua`,
//! `health_state.lua`) and read with HGETALL; it expires
//! [`HEALTH_RETENTION_SECONDS`] after its last write.

use std::sync::LazyLock;

use ::redis::Script;
use async_trait::async_trait;

use super::RedisLedger;
use crate::health::{check_name, state_field, HealthRecord, HealthSignal, HealthStore, HEALTH_RETENTION_SECONDS};
use crate::LedgerError;

static OBSERVE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("health_observe.lua")));
static STATE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("health_state.lua")));

#[async_trait]
impl HealthStore for RedisLedger {
    async fn observe_health(&self, signal: &HealthSignal) -> Result<HealthRecord, LedgerError> {
        check_name(&signal.code)?;
        let mut call = OBSERVE.prepare_invoke();
        call.key(self.inner.keys.health(&signal.number))
            .arg(&signal.code)
            .arg(if signal.ok { "1" } else { "0" })
            .arg(signal.at_micros)
            .arg(signal.grace_micros)
            .arg(HEALTH_RETENTION_SECONDS);
        let fields: Vec<(String, i64)> = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(HealthRecord::from_fields(fields))
    }

    async fn note_health_state(&self, number: &str, state: &str, at_micros: i64) -> Result<i64, LedgerError> {
        check_name(state)?;
        let mut call = STATE.prepare_invoke();
        call.key(self.inner.keys.health(number)).arg(state_field(state)).arg(at_micros).arg(HEALTH_RETENTION_SECONDS);
        self.bounded(call.invoke_async(&mut self.connection())).await
    }

    async fn health(&self, number: &str) -> Result<HealthRecord, LedgerError> {
        let read = ::redis::cmd("HGETALL").arg(self.inner.keys.health(number)).to_owned();
        let fields: Vec<(String, i64)> = self.bounded(read.query_async(&mut self.connection())).await?;
        Ok(HealthRecord::from_fields(fields))
    }
}
