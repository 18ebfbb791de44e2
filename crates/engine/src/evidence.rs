//! The evidence bundle of an incident, read from the ledger: the admin
//! API, the console and `antirelou evidence export` all build it here.
//! The sealed parts are copied as stored, never opened.

use std::sync::Arc;

use antirelou_evidence::{build_bundle, BundleInput, EvidenceSigner, IncidentId, NumberAbout};
use antirelou_ledger::{Ledger, LedgerError};
use chrono_tz::Tz;

use crate::number::judge::{BLOCK_SENDERS, CAMPAIGN_SENDERS};
use crate::policy::NumberPolicy;

/// What the report says of a number and its rules.
pub fn number_about(policy: &NumberPolicy) -> NumberAbout {
    NumberAbout {
        tenant: policy.tenant.to_string(),
        reply: policy.reply.to_string(),
        flood_messages: policy.judge.flood_messages,
        campaign_senders: CAMPAIGN_SENDERS,
        block_senders: BLOCK_SENDERS,
        defer_minutes: policy.judge.defer_for_seconds / 60,
    }
}

/// Where a bundle's parts come from.
pub struct BundleSource<'a> {
    pub ledger: &'a dyn Ledger,
    /// `privacy.evidence_signing_key`.
    pub signer: Option<&'a EvidenceSigner>,
    pub timezone: Tz,
    pub now_micros: i64,
}

/// The ZIP of one of `tenant`'s incidents (`None`: no such incident).
/// `policy_of` gives the current rules of the incident's number, if it is
/// still configured.
pub async fn incident_bundle(
    source: &BundleSource<'_>,
    tenant: &str,
    id: IncidentId,
    policy_of: impl Fn(&str) -> Option<Arc<NumberPolicy>>,
) -> Result<Option<Vec<u8>>, LedgerError> {
    let Some((incident, slots)) = source.ledger.incident(tenant, id, source.now_micros).await? else {
        return Ok(None);
    };
    let parts = source.ledger.sealed_parts(tenant, id, source.now_micros).await?;
    let policy = policy_of(&incident.number);
    let about = policy.as_deref().map(number_about).unwrap_or_else(|| NumberAbout {
        tenant: tenant.to_owned(),
        reply: String::new(),
        flood_messages: antirelou_settings::DEFAULT_FLOOD_MESSAGES,
        campaign_senders: CAMPAIGN_SENDERS,
        block_senders: BLOCK_SENDERS,
        defer_minutes: antirelou_settings::DEFAULT_DEFER_FOR_SECONDS / 60,
    });
    let recipient = policy.as_ref().and_then(|p| p.evidence.as_ref()).map(|e| e.recipient.as_str().to_owned());
    let bundle = build_bundle(&BundleInput {
        incident: &incident,
        slots: &slots,
        parts: &parts,
        about: &about,
        recipient: recipient.as_deref(),
        signer: source.signer,
        timezone: source.timezone,
        now_micros: source.now_micros,
    })
    .map_err(|e| LedgerError::Worker(e.to_string()))?;
    Ok(Some(bundle))
}
