//! [`Baselines`] on Redis: a hash per number (`v`, `bytes`) that expires
//! after a year without a write; a write is one Lua script
//! (`baseline.lua`: compare the version, then set), a read one `HMGET`.

use std::sync::LazyLock;

use ::redis::Script;
use async_trait::async_trait;

use super::RedisLedger;
use crate::baselines::{check_baseline, Baselines, StoredBaseline, BASELINE_RETENTION_SECONDS};
use crate::LedgerError;

static PUT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("baseline.lua")));

#[async_trait]
impl Baselines for RedisLedger {
    async fn baseline(&self, number: &str) -> Result<Option<StoredBaseline>, LedgerError> {
        let read = ::redis::cmd("HMGET").arg(self.inner.keys.baseline(number)).arg("v").arg("bytes").to_owned();
        let (version, bytes): (Option<u64>, Option<Vec<u8>>) =
            self.bounded(read.query_async(&mut self.connection())).await?;
        Ok(match (version, bytes) {
            (Some(version), Some(bytes)) => Some(StoredBaseline { version, bytes }),
            _ => None,
        })
    }

    async fn put_baseline(
        &self,
        number: &str,
        expected: u64,
        bytes: &[u8],
        _now_micros: i64,
    ) -> Result<bool, LedgerError> {
        check_baseline(bytes)?;
        let mut call = PUT.prepare_invoke();
        call.key(self.inner.keys.baseline(number))
            .arg(expected.to_string())
            .arg(bytes)
            .arg(BASELINE_RETENTION_SECONDS.to_string());
        let written: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(written == 1)
    }
}
