//! [`Baselines`]: each number's baseline (its ordinary day, docs/shield.md),
//! shared by replicas. The ledger keeps the bytes the engine gives it
//! (`antirelou_domain::baseline::NumberBaseline::encode`, no sender in
//! them) with a version: a replica reads, merges its counts, and writes
//! back only if nobody wrote meanwhile (compare and set), so two replicas
//! never lose each other's counts.

use async_trait::async_trait;

use crate::LedgerError;

/// A stored baseline is at most this many bytes (a few hundred are used).
pub const MAX_BASELINE_BYTES: usize = 1_024;
/// A baseline nobody writes for this long is forgotten (a number removed).
pub const BASELINE_RETENTION_SECONDS: i64 = 400 * 86_400;

/// A number's stored baseline and its version (1 for the first write).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBaseline {
    pub version: u64,
    pub bytes: Vec<u8>,
}

/// Numbers' baselines; both backends implement it.
#[async_trait]
pub trait Baselines: Send + Sync {
    /// `number`'s baseline, if one was written.
    async fn baseline(&self, number: &str) -> Result<Option<StoredBaseline>, LedgerError>;

    /// Writes `bytes` as `number`'s baseline if its version is still
    /// `expected` (0: none written yet); `true` when written (the version is
    /// then `expected + 1`), `false` when another write came first. More
    /// than [`MAX_BASELINE_BYTES`] is refused.
    async fn put_baseline(
        &self,
        number: &str,
        expected: u64,
        bytes: &[u8],
        now_micros: i64,
    ) -> Result<bool, LedgerError>;
}

/// Refuses a baseline above [`MAX_BASELINE_BYTES`].
pub fn check_baseline(bytes: &[u8]) -> Result<(), LedgerError> {
    if bytes.len() > MAX_BASELINE_BYTES {
        return Err(LedgerError::Refused(format!(
            "a baseline is at most {MAX_BASELINE_BYTES} bytes, got {}",
            bytes.len()
        )));
    }
    Ok(())
}
