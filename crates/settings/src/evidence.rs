//! `tenants[].evidence`: sealed evidence of attacks for a complaint
//! (docs/evidence.md). Without the table nothing about senders is kept.

use antirelou_evidence::senders::MAX_BODIES_PER_SENDER;
use antirelou_evidence::EvidenceRecipient;

use crate::node::Node;
use crate::read::{duration, text, whole};

/// Default `evidence.retention`: 90 days, time enough to file a complaint.
pub const DEFAULT_EVIDENCE_RETENTION_SECONDS: u64 = 90 * 86_400;
/// `evidence.retention` at most: a year (a complaint is filed within weeks;
/// the exported bundle is what the police keep).
pub const MAX_EVIDENCE_RETENTION_SECONDS: u64 = 366 * 86_400;
/// Default `evidence.bodies_per_sender`.
pub const DEFAULT_BODIES_PER_SENDER: u32 = 3;

section! {
    /// A tenant's `evidence` table.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct EvidenceSettings in "evidence" {
        /// The collective's age public key (`age1…`); kept senders are encrypted to it.
        recipient: EvidenceRecipient = required(recipient),
        /// Sealed records are deleted this long after they are written.
        retention_seconds as "retention": u64 = or(DEFAULT_EVIDENCE_RETENTION_SECONDS, retention),
        /// Bodies kept per sender, at most.
        bodies_per_sender: u32 = or(DEFAULT_BODIES_PER_SENDER, bodies_per_sender),
    }
}

fn recipient(node: Node) -> Result<EvidenceRecipient, String> {
    text(node)?.parse().map_err(|e: antirelou_evidence::NotARecipient| e.to_string())
}

fn retention(node: Node) -> Result<u64, String> {
    let seconds = duration(node)?;
    if !(86_400..=MAX_EVIDENCE_RETENTION_SECONDS).contains(&seconds) {
        return Err(format!("must be between 1d and 366d, got {seconds} seconds"));
    }
    Ok(seconds)
}

fn bodies_per_sender(node: Node) -> Result<u32, String> {
    let bodies = whole::<u32>(node)?;
    if bodies > MAX_BODIES_PER_SENDER {
        return Err(format!("at most {MAX_BODIES_PER_SENDER}, got {bodies}"));
    }
    Ok(bodies)
}
