//! [`EvidenceStore`] on Redis: an incident is a hash with its totals, its
//! timeline another (`slot:counter` fields), each tenant's incidents a
//! sorted set, each number's open incident a key that expires when the
//! incident ends; a sealed part is a hash that expires with it, indexed by
//! expiry per incident. Writes are Lua scripts (`incident_open.lua`,
//! `incident_activity.lua`, `sealed_part.lua`), reads pipelines.

use std::collections::HashMap;
use std::sync::LazyLock;

use ::redis::Script;
use antirelou_evidence::model::{
    COUNT_FIELDS, INCIDENTS_KEPT_PER_TENANT, INCIDENT_RETENTION_SECONDS, MAX_INCIDENTS_PER_PAGE,
    MAX_PARTS_PER_INCIDENT, MAX_SLOTS_PER_INCIDENT,
};
use antirelou_evidence::{
    Incident, IncidentActivity, IncidentCounts, IncidentId, IncidentOpening, IncidentSlot, SealedPart,
};
use async_trait::async_trait;

use super::RedisLedger;
use crate::evidence::{check_part, EvidenceStore};
use crate::LedgerError;

static OPEN: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("incident_open.lua")));
static ACTIVITY: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("incident_activity.lua")));
static SEALED_PART: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("sealed_part.lua")));

type Fields = HashMap<String, Vec<u8>>;

fn text(fields: &Fields, name: &str) -> Option<String> {
    fields.get(name).and_then(|v| String::from_utf8(v.clone()).ok())
}

fn number(fields: &Fields, name: &str) -> Option<i64> {
    text(fields, name)?.parse().ok()
}

/// An incident from its hash, `None` when it is gone or another tenant's.
fn incident(id: IncidentId, tenant: &str, fields: &Fields, sealed_parts: usize) -> Option<Incident> {
    if fields.is_empty() || text(fields, "tenant").as_deref() != Some(tenant) {
        return None;
    }
    let mut counts = IncidentCounts::default();
    for field in COUNT_FIELDS {
        counts.set(field, number(fields, field).unwrap_or(0));
    }
    Some(Incident {
        id,
        tenant: tenant.to_owned(),
        number: text(fields, "number")?,
        started_micros: number(fields, "started")?,
        until_micros: number(fields, "until")?,
        counts,
        sealed_parts,
    })
}

impl RedisLedger {
    async fn incidents_by_id(
        &self,
        tenant: &str,
        ids: &[IncidentId],
        now_micros: i64,
    ) -> Result<Vec<Incident>, LedgerError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ks = &self.inner.keys;
        let mut pipe = ::redis::pipe();
        for id in ids {
            pipe.cmd("HGETALL").arg(ks.incident(*id));
            pipe.cmd("ZCOUNT").arg(ks.sealed_parts(*id)).arg(format!("({now_micros}")).arg("+inf");
        }
        let replies: Vec<::redis::Value> = self.bounded(pipe.query_async(&mut self.connection())).await?;
        let mut found = Vec::with_capacity(ids.len());
        for (id, pair) in ids.iter().zip(replies.chunks(2)) {
            let corrupt = |e: ::redis::ParsingError| LedgerError::Corrupt(format!("incident {id}: {e}"));
            let fields: Fields = ::redis::from_redis_value(pair[0].clone()).map_err(corrupt)?;
            let parts: i64 = ::redis::from_redis_value(pair[1].clone()).map_err(corrupt)?;
            found.extend(incident(*id, tenant, &fields, parts.max(0) as usize));
        }
        Ok(found)
    }
}

#[async_trait]
impl EvidenceStore for RedisLedger {
    async fn open_incident(&self, o: &IncidentOpening) -> Result<IncidentId, LedgerError> {
        let ks = &self.inner.keys;
        let mut call = OPEN.prepare_invoke();
        call.key(ks.open_incident(&o.number))
            .key(ks.incident_ids())
            .key(ks.incidents(&o.tenant))
            .arg(ks.incident_prefix())
            .arg(&o.tenant)
            .arg(&o.number)
            .arg(o.now_micros.to_string())
            .arg(o.until_micros.to_string())
            .arg((INCIDENT_RETENTION_SECONDS * 1_000).to_string())
            .arg(INCIDENTS_KEPT_PER_TENANT.to_string());
        let id: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        u64::try_from(id).map_err(|_| LedgerError::Corrupt(format!("incident id {id}")))
    }

    async fn add_incident_activity(&self, a: &IncidentActivity) -> Result<(), LedgerError> {
        if a.counts.is_empty() {
            return Ok(());
        }
        let ks = &self.inner.keys;
        let mut call = ACTIVITY.prepare_invoke();
        call.key(ks.incident(a.incident))
            .key(ks.incident_slots(a.incident))
            .arg(a.slot.to_string())
            .arg((MAX_SLOTS_PER_INCIDENT * COUNT_FIELDS.len()).to_string());
        for (field, value) in a.counts.fields() {
            call.arg(field).arg(value.to_string());
        }
        let _: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(())
    }

    async fn incidents(
        &self,
        tenant: &str,
        before: Option<IncidentId>,
        limit: usize,
        now_micros: i64,
    ) -> Result<Vec<Incident>, LedgerError> {
        let limit = limit.clamp(1, MAX_INCIDENTS_PER_PAGE);
        let max = before.map_or("+inf".to_owned(), |b| format!("({b}"));
        let read = ::redis::cmd("ZRANGE")
            .arg(self.inner.keys.incidents(tenant))
            .arg(max)
            .arg("-inf")
            .arg("BYSCORE")
            .arg("REV")
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .to_owned();
        let ids: Vec<u64> = self.bounded(read.query_async(&mut self.connection())).await?;
        self.incidents_by_id(tenant, &ids, now_micros).await
    }

    async fn incident(
        &self,
        tenant: &str,
        id: IncidentId,
        now_micros: i64,
    ) -> Result<Option<(Incident, Vec<IncidentSlot>)>, LedgerError> {
        let Some(found) = self.incidents_by_id(tenant, &[id], now_micros).await?.pop() else {
            return Ok(None);
        };
        let read = ::redis::cmd("HGETALL").arg(self.inner.keys.incident_slots(id)).to_owned();
        let fields: HashMap<String, i64> = self.bounded(read.query_async(&mut self.connection())).await?;
        let mut slots: HashMap<i64, IncidentCounts> = HashMap::new();
        for (name, value) in fields {
            let Some((slot, counter)) = name.split_once(':') else { continue };
            let Ok(slot) = slot.parse::<i64>() else { continue };
            slots.entry(slot).or_default().set(counter, value);
        }
        let mut slots: Vec<IncidentSlot> =
            slots.into_iter().map(|(slot, counts)| IncidentSlot { slot, counts }).collect();
        slots.sort_by_key(|s| s.slot);
        Ok(Some((found, slots)))
    }

    async fn put_sealed_part(&self, p: &SealedPart, now_micros: i64) -> Result<(), LedgerError> {
        check_part(p)?;
        let ks = &self.inner.keys;
        let ttl_ms = (p.expires_micros.saturating_sub(now_micros) / 1_000).max(1);
        let mut call = SEALED_PART.prepare_invoke();
        call.key(ks.sealed_part(p.incident, &p.part))
            .key(ks.sealed_parts(p.incident))
            .arg(&p.part)
            .arg(&p.sealed[..])
            .arg(&p.tenant)
            .arg(p.senders.to_string())
            .arg(p.written_micros.to_string())
            .arg(p.expires_micros.to_string())
            .arg(ttl_ms.to_string())
            .arg(now_micros.to_string())
            .arg(MAX_PARTS_PER_INCIDENT.to_string());
        let written: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        if written == 0 {
            return Err(LedgerError::Refused(format!(
                "an incident keeps at most {MAX_PARTS_PER_INCIDENT} sealed parts"
            )));
        }
        Ok(())
    }

    async fn sealed_parts(
        &self,
        tenant: &str,
        id: IncidentId,
        now_micros: i64,
    ) -> Result<Vec<SealedPart>, LedgerError> {
        let ks = &self.inner.keys;
        let read = ::redis::cmd("ZRANGE")
            .arg(ks.sealed_parts(id))
            .arg(format!("({now_micros}"))
            .arg("+inf")
            .arg("BYSCORE")
            .to_owned();
        let mut names: Vec<String> = self.bounded(read.query_async(&mut self.connection())).await?;
        names.sort();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = ::redis::pipe();
        for name in &names {
            pipe.cmd("HGETALL").arg(ks.sealed_part(id, name));
        }
        let all: Vec<Fields> = self.bounded(pipe.query_async(&mut self.connection())).await?;
        Ok(names
            .into_iter()
            .zip(all)
            .filter(|(_, fields)| text(fields, "tenant").as_deref() == Some(tenant))
            .filter_map(|(part, mut fields)| {
                Some(SealedPart {
                    incident: id,
                    tenant: tenant.to_owned(),
                    senders: number(&fields, "senders")?.try_into().ok()?,
                    written_micros: number(&fields, "written")?,
                    expires_micros: number(&fields, "expires")?,
                    sealed: fields.remove("sealed")?,
                    part,
                })
            })
            .filter(|p| p.expires_micros > now_micros)
            .collect())
    }
}
