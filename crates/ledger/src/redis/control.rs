//! The runtime controls of the Redis ledger (see [`crate::control`]): a
//! hash per number (`paused`, `overrides`), a hash per tenant's blocklist
//! (sender hex → label and date), a sorted set of audit records per tenant
//! scored by version, and one version counter. Every change is
//! `control.lua` (change, version, audit, PUBLISH in one step); reads are
//! plain commands. These keys have no TTL: they hold until changed.

use antirelou_domain::SenderKey;
use async_trait::async_trait;

use super::RedisLedger;
use crate::control::{
    audit_full, blocklist_full, page_limit, paged, AuditNote, AuditPage, AuditRecord, Blocked, BlockedSender,
    ControlStore, NumberControl, SessionToken, StoredBlock,
};
use crate::LedgerError;

/// How `control.lua` changes its hash field.
#[derive(Clone, Copy)]
enum Op {
    Set,
    /// Set, refused beyond the cap when the field is new.
    Add,
    Del,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Set => "set",
            Op::Add => "add",
            Op::Del => "del",
        }
    }
}

impl RedisLedger {
    /// Runs `control.lua`: `(field existed, version or None when nothing was written)`.
    async fn change(
        &self,
        hash: String,
        op: Op,
        field: &str,
        value: &str,
        limit: usize,
        note: &AuditNote,
    ) -> Result<(bool, Option<u64>), LedgerError> {
        let ks = &self.inner.keys;
        let note_json = serde_json::to_string(note).map_err(|e| LedgerError::Corrupt(format!("audit note: {e}")))?;
        let mut call = self.inner.scripts.control.prepare_invoke();
        call.key(ks.control_version())
            .key(hash)
            .key(ks.audit(&note.tenant))
            .key(ks.audit_counts(&note.tenant))
            .arg(op.as_str())
            .arg(field)
            .arg(value)
            .arg(limit)
            .arg(note_json)
            .arg(note.kept_limit())
            .arg(ks.events())
            .arg(if note.by_operator() { "operator" } else { "tenant" });
        let (status, version): (i64, u64) = self.bounded(call.invoke_async(&mut self.connection())).await?;
        if status == -2 {
            return Err(audit_full(note));
        }
        if status < 0 {
            return Err(blocklist_full(limit));
        }
        Ok((status == 1, (version > 0).then_some(version)))
    }
}

#[async_trait]
impl ControlStore for RedisLedger {
    async fn control_version(&self) -> Result<u64, LedgerError> {
        let version: Option<u64> = self
            .bounded(::redis::cmd("GET").arg(self.inner.keys.control_version()).query_async(&mut self.connection()))
            .await?;
        Ok(version.unwrap_or(0))
    }

    async fn number_controls(&self, numbers: &[String]) -> Result<Vec<NumberControl>, LedgerError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = ::redis::pipe();
        for number in numbers {
            pipe.cmd("HMGET").arg(self.inner.keys.number_control(number)).arg("paused").arg("overrides");
        }
        let rows: Vec<(Option<String>, Option<String>)> =
            self.bounded(pipe.query_async(&mut self.connection())).await?;
        Ok(numbers
            .iter()
            .zip(rows)
            .filter(|(_, (paused, overrides))| paused.is_some() || overrides.is_some())
            .map(|(number, (paused, overrides))| NumberControl {
                number: number.clone(),
                paused: paused.map(|p| p == "1"),
                overrides,
            })
            .collect())
    }

    async fn set_paused(&self, number: &str, paused: bool, audit: &AuditNote) -> Result<u64, LedgerError> {
        let hash = self.inner.keys.number_control(number);
        let (_, version) = self.change(hash, Op::Set, "paused", if paused { "1" } else { "0" }, 0, audit).await?;
        version.ok_or_else(|| LedgerError::Corrupt("a pause wrote nothing".into()))
    }

    async fn set_overrides(
        &self,
        number: &str,
        overrides: Option<&str>,
        audit: &AuditNote,
    ) -> Result<Option<u64>, LedgerError> {
        let hash = self.inner.keys.number_control(number);
        let (_, version) = match overrides {
            Some(json) => self.change(hash, Op::Set, "overrides", json, 0, audit).await?,
            None => self.change(hash, Op::Del, "overrides", "", 0, audit).await?,
        };
        Ok(version)
    }

    async fn block_sender(
        &self,
        tenant: &str,
        blocked: &BlockedSender,
        limit: usize,
        audit: &AuditNote,
    ) -> Result<Blocked, LedgerError> {
        let stored = StoredBlock { label: blocked.label.clone(), added_micros: blocked.added_micros };
        let value = serde_json::to_string(&stored).map_err(|e| LedgerError::Corrupt(format!("blocklist: {e}")))?;
        let hash = self.inner.keys.blocklist(tenant);
        let (existed, version) = self.change(hash, Op::Add, &blocked.sender.to_hex(), &value, limit, audit).await?;
        let version = version.ok_or_else(|| LedgerError::Corrupt("a block wrote nothing".into()))?;
        Ok(Blocked { added: !existed, version })
    }

    async fn unblock_sender(
        &self,
        tenant: &str,
        sender: &SenderKey,
        audit: &AuditNote,
    ) -> Result<Option<u64>, LedgerError> {
        let hash = self.inner.keys.blocklist(tenant);
        let (_, version) = self.change(hash, Op::Del, &sender.to_hex(), "", 0, audit).await?;
        Ok(version)
    }

    async fn blocklist(&self, tenant: &str) -> Result<Vec<BlockedSender>, LedgerError> {
        let all: Vec<(String, String)> = self
            .bounded(::redis::cmd("HGETALL").arg(self.inner.keys.blocklist(tenant)).query_async(&mut self.connection()))
            .await?;
        let mut list = Vec::with_capacity(all.len());
        for (hex, value) in all {
            let sender = SenderKey::from_hex(&hex)
                .ok_or_else(|| LedgerError::Corrupt(format!("blocked sender {hex:?} is not a key")))?;
            let stored: StoredBlock =
                serde_json::from_str(&value).map_err(|e| LedgerError::Corrupt(format!("blocklist: {e}")))?;
            list.push(BlockedSender { sender, label: stored.label, added_micros: stored.added_micros });
        }
        list.sort_by(|a, b| (a.added_micros, a.sender.as_bytes()).cmp(&(b.added_micros, b.sender.as_bytes())));
        Ok(list)
    }

    async fn revoke_session(&self, id: &str, now_micros: i64, expires_micros: i64) -> Result<(), LedgerError> {
        // The expiry is the value (what the read compares); the TTL only
        // clears the key, relative to the caller's clock like every TTL here.
        let ttl_ms = (expires_micros.saturating_sub(now_micros) / 1_000).max(1);
        let key = self.inner.keys.revoked_session(id);
        let set = ::redis::cmd("SET").arg(key).arg(expires_micros).arg("PX").arg(ttl_ms).to_owned();
        let _: () = self.bounded(set.query_async(&mut self.connection())).await?;
        Ok(())
    }

    async fn session_revoked(&self, id: &str, now_micros: i64) -> Result<bool, LedgerError> {
        let key = self.inner.keys.revoked_session(id);
        let until: Option<i64> = self.bounded(::redis::cmd("GET").arg(key).query_async(&mut self.connection())).await?;
        Ok(until.is_some_and(|until| until > now_micros))
    }

    async fn align_session_generations(&self, current: &[SessionToken]) -> Result<(), LedgerError> {
        let ks = &self.inner.keys;
        let mut call = self.inner.scripts.sessions.prepare_invoke();
        call.key(ks.session_fingerprints()).key(ks.session_generations());
        for token in current {
            call.arg(&token.who).arg(&token.fingerprint);
        }
        let _written: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(())
    }

    async fn session_generation(&self, who: &str) -> Result<u64, LedgerError> {
        let key = self.inner.keys.session_generations();
        let generation: Option<u64> =
            self.bounded(::redis::cmd("HGET").arg(key).arg(who).query_async(&mut self.connection())).await?;
        Ok(generation.unwrap_or(0))
    }

    async fn audit(&self, tenant: &str, before: Option<u64>, limit: usize) -> Result<AuditPage, LedgerError> {
        let limit = page_limit(limit);
        let max = before.map_or("+inf".to_owned(), |b| format!("({b}"));
        let members: Vec<String> = self
            .bounded(
                ::redis::cmd("ZREVRANGEBYSCORE")
                    .arg(self.inner.keys.audit(tenant))
                    .arg(max)
                    .arg("-inf")
                    .arg("LIMIT")
                    .arg(0)
                    .arg(limit + 1)
                    .query_async(&mut self.connection()),
            )
            .await?;
        let mut records = Vec::with_capacity(members.len());
        for text in members {
            let (version, note) =
                text.split_once(':').ok_or_else(|| LedgerError::Corrupt("audit record without version".into()))?;
            let version = version.parse().map_err(|_| LedgerError::Corrupt(format!("audit version {version:?}")))?;
            let note = serde_json::from_str(note).map_err(|e| LedgerError::Corrupt(format!("audit note: {e}")))?;
            records.push(AuditRecord { version, note });
        }
        Ok(paged(records, limit))
    }
}
