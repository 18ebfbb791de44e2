//! Keeps the ledger's session generations aligned with the tokens in force
//! (see `session.rs`): at start, then whenever this replica's tokens change
//! (a reload), checked every [`ALIGN_EVERY`]. Every replica aligns; the
//! ledger's rule makes the same tokens twice a no-op, so replicas agree.
//! A failed alignment is tried again at the next check; meanwhile the
//! ledger keeps the generations it had, which never lets an older session
//! back in.

use std::time::Duration;

use antirelou_engine::NumberRegistry;
use antirelou_ledger::SessionToken;

use super::session::SessionKey;

/// How often a replica compares its tokens with the last ones it aligned.
pub const ALIGN_EVERY: Duration = Duration::from_secs(2);

/// Spawns the task that aligns `registry`'s ledger with the tokens of
/// `registry`'s tenants and `operator_token`. Call inside an actix System.
pub fn spawn_keeper(key: SessionKey, operator_token: Option<String>, registry: NumberRegistry) {
    tokio::spawn(async move {
        let mut aligned: Option<Vec<SessionToken>> = None;
        let mut every = tokio::time::interval(ALIGN_EVERY);
        loop {
            every.tick().await;
            let current = key.session_tokens(operator_token.as_deref(), &registry);
            if aligned.as_ref() == Some(&current) {
                continue;
            }
            match registry.ledger().align_session_generations(&current).await {
                Ok(()) => aligned = Some(current),
                Err(error) => tracing::warn!(%error, "console sessions: the token generations could not be aligned"),
            }
        }
    });
}
