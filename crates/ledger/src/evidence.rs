//! [`EvidenceStore`]: incidents (one per shield episode of a number:
//! counters and a 10-minute timeline, no sender) and the sealed parts of
//! evidence (sender rows encrypted to the tenant's age recipient, which
//! the ledger stores as opaque bytes and deletes after their expiry).
//! The types are `antirelou-evidence`'s.
//!
//! Start with [`EvidenceStore::open_incident`]: replicas that see the same
//! flood start (or one adopting another's shield) join one incident.

use antirelou_evidence::{Incident, IncidentActivity, IncidentId, IncidentOpening, IncidentSlot, SealedPart};
use async_trait::async_trait;

use crate::LedgerError;

/// Incidents and sealed evidence; both backends implement it alike.
#[async_trait]
pub trait EvidenceStore: Send + Sync {
    /// Opens an incident for a number entering shield mode, or joins the
    /// one still open (its end not passed), pushing its end to
    /// `until_micros` when that is later. Returns its id.
    async fn open_incident(&self, opening: &IncidentOpening) -> Result<IncidentId, LedgerError>;

    /// Adds counters to an incident and to one of its slots, in one write.
    /// Beyond [`MAX_SLOTS_PER_INCIDENT`](antirelou_evidence::model::MAX_SLOTS_PER_INCIDENT)
    /// slots only the totals grow; an unknown incident is left alone.
    async fn add_incident_activity(&self, activity: &IncidentActivity) -> Result<(), LedgerError>;

    /// A tenant's incidents, newest first, those before `before` when given,
    /// at most `limit` (≤ [`MAX_INCIDENTS_PER_PAGE`](antirelou_evidence::model::MAX_INCIDENTS_PER_PAGE)).
    async fn incidents(
        &self,
        tenant: &str,
        before: Option<IncidentId>,
        limit: usize,
        now_micros: i64,
    ) -> Result<Vec<Incident>, LedgerError>;

    /// One incident of `tenant` and its slots, oldest first (`None` for an
    /// unknown id or another tenant's).
    async fn incident(
        &self,
        tenant: &str,
        id: IncidentId,
        now_micros: i64,
    ) -> Result<Option<(Incident, Vec<IncidentSlot>)>, LedgerError>;

    /// Writes a sealed part, replacing the previous version of the same
    /// part. Refused (nothing written) above
    /// [`MAX_PART_BYTES`](antirelou_evidence::model::MAX_PART_BYTES), or as a new part beyond
    /// [`MAX_PARTS_PER_INCIDENT`](antirelou_evidence::model::MAX_PARTS_PER_INCIDENT).
    async fn put_sealed_part(&self, part: &SealedPart, now_micros: i64) -> Result<(), LedgerError>;

    /// The sealed parts of one of `tenant`'s incidents not expired at
    /// `now_micros`, by part name.
    async fn sealed_parts(&self, tenant: &str, id: IncidentId, now_micros: i64)
        -> Result<Vec<SealedPart>, LedgerError>;
}

/// Why a sealed part is refused, if it is.
pub(crate) fn check_part(part: &SealedPart) -> Result<(), LedgerError> {
    use antirelou_evidence::model::MAX_PART_BYTES;
    if part.sealed.is_empty() || part.sealed.len() > MAX_PART_BYTES {
        return Err(LedgerError::Refused(format!(
            "a sealed part has 1 to {MAX_PART_BYTES} bytes, got {}",
            part.sealed.len()
        )));
    }
    if part.part.is_empty() || part.part.len() > 200 {
        return Err(LedgerError::Refused("a sealed part's name has 1 to 200 bytes".into()));
    }
    Ok(())
}
