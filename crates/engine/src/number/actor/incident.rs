//! The actor's side of incidents (docs/evidence.md): it tells the ledger
//! when its number enters or extends shield mode (one incident per
//! episode, shared by replicas), records what arrives and what is paid
//! meanwhile in its [`IncidentLog`](crate::number::incident::IncidentLog),
//! and on each tick writes the counters and seals the kept senders to the
//! tenant's recipient.

use std::sync::Arc;

use actix::prelude::*;
use antirelou_domain::{micros, Money};
use antirelou_evidence::model::MAX_PART_BYTES;
use antirelou_evidence::{senders_csv, IncidentOpening, SealedPart};

use super::NumberActor;
use crate::metrics::LedgerOp;
use crate::number::incident::Seal;
use crate::number::judge::JUDGE_EVERY_SECONDS;

/// After the shield ends, the record waits this long beyond `defer_for`
/// for the last judgements.
const JUDGEMENTS_MARGIN_SECONDS: i64 = 4 * JUDGE_EVERY_SECONDS + 60;
/// An age file's header and tags over its plaintext, generously.
const SEAL_OVERHEAD_BYTES: usize = 4_096;

impl NumberActor {
    /// The shield is on here until `until_seconds`: the next tick opens or
    /// joins the incident in the ledger (and pushes its end).
    pub(super) fn incident_shielded(&mut self, until_seconds: i64) {
        let until_micros = micros::from_seconds(until_seconds);
        self.live.incident.shielded(until_micros, self.deps.policy.evidence.as_ref());
        self.live.incident_opening = Some(IncidentOpening {
            tenant: self.deps.policy.tenant.to_string(),
            number: self.deps.policy.number.to_string(),
            now_micros: self.now_micros(),
            until_micros,
        });
    }

    /// Tells the ledger of the shield's episode, and learns the incident's id.
    fn open_incident(&mut self, opening: IncidentOpening, ctx: &mut Context<Self>) {
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let fut = async move { tokio::time::timeout(timeout, ledger.open_incident(&opening)).await };
        ctx.spawn(fut.into_actor(self).map(move |opened, act, _| match opened {
            Ok(Ok(id)) => act.live.incident.opened(id),
            _ => act.deps.metrics.ledger_error(LedgerOp::WriteIncident),
        }));
    }

    /// The shield ended here: the record stays for the last judgements.
    pub(super) fn incident_shield_ended(&mut self) {
        let keep = self.deps.policy.judge.defer_for_seconds as i64 + JUDGEMENTS_MARGIN_SECONDS;
        self.live.incident.shield_ended(self.now_micros(), micros::from_seconds(keep));
    }

    /// Replies paid for: metrics, and the incident's counters.
    pub(super) fn replies_paid(&mut self, replies: u64, spend: Money, kind: antirelou_ledger::EntryKind) {
        self.deps.metrics.add_spend(kind, spend.micros());
        let now = self.now_micros();
        self.live.incident.replies_paid(now, replies, spend);
    }

    /// Opens the incident, writes its counters and seals its kept senders when due.
    pub(super) fn incident_work(&mut self, ctx: &mut Context<Self>) {
        if let Some(opening) = self.live.incident_opening.take() {
            self.open_incident(opening, ctx);
        }
        let work = self.live.incident.tick(self.now_micros());
        let ledger = Arc::clone(&self.deps.ledger);
        let timeout = self.deps.options.ledger_timeout;
        let metrics = self.deps.metrics.clone();
        if !work.activity.is_empty() {
            let (ledger, metrics) = (Arc::clone(&ledger), metrics.clone());
            actix::spawn(async move {
                for activity in work.activity {
                    if !matches!(
                        tokio::time::timeout(timeout, ledger.add_incident_activity(&activity)).await,
                        Ok(Ok(()))
                    ) {
                        metrics.ledger_error(LedgerOp::WriteIncident);
                    }
                }
            });
        }
        let Some(seal) = work.seal else { return };
        let Some(part) = self.sealed_part(seal) else {
            metrics.ledger_error(LedgerOp::SealEvidence);
            return;
        };
        let now = self.now_micros();
        actix::spawn(async move {
            if !matches!(tokio::time::timeout(timeout, ledger.put_sealed_part(&part, now)).await, Ok(Ok(()))) {
                metrics.ledger_error(LedgerOp::SealEvidence);
            }
        });
    }

    /// The kept rows as this run's sealed part: `senders.csv` encrypted to
    /// the recipient at once; the clear text lives only in this call.
    fn sealed_part(&self, seal: Seal) -> Option<SealedPart> {
        let policy = &self.deps.policy;
        let mut rows = seal.rows;
        let mut csv = senders_csv(&rows, policy.timezone);
        // The ledger refuses a part above its bound: the latest rows give way.
        while csv.len() > MAX_PART_BYTES - SEAL_OVERHEAD_BYTES && rows.pop().is_some() {
            csv = senders_csv(&rows, policy.timezone);
        }
        let sealed = match seal.settings.recipient.seal(csv.as_bytes()) {
            Ok(sealed) => sealed,
            Err(error) => {
                tracing::error!(tenant = %policy.tenant, number = %policy.number, %error, "evidence not sealed");
                return None;
            }
        };
        let now = self.now_micros();
        Some(SealedPart {
            incident: seal.incident,
            tenant: policy.tenant.to_string(),
            part: format!("{}/{:08x}", self.deps.holder, self.live.run),
            sealed,
            senders: u32::try_from(rows.len()).unwrap_or(u32::MAX),
            written_micros: now,
            expires_micros: micros::after_seconds(now, seal.settings.retention_seconds as i64),
        })
    }
}
