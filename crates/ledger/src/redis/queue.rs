//! The deferred-reply queue and the leases of the Redis ledger (see
//! [`crate::queue`]): an item hash per pending sender with its own TTL, a
//! sorted set of a number's items by arrival, hourly mark hashes, and lease
//! keys; the writes are Lua scripts, the reads are pipelines.

use antirelou_domain::micros;
use std::collections::HashMap;

use ::redis::Value;
use antirelou_domain::SenderKey;
use async_trait::async_trait;

use super::{script, RedisLedger};
use crate::queue::{
    DeferredArrival, DeferredQueue, DeferredReply, DeferredState, Enqueued, Leases, ITEM_MARGIN_SECONDS,
    MARKS_RETENTION_SECONDS,
};
use crate::LedgerError;

const HOUR_MICROS: i64 = micros::from_seconds(3_600);

fn hex64(value: u64) -> String {
    format!("{value:016x}")
}

#[async_trait]
impl DeferredQueue for RedisLedger {
    async fn defer(&self, a: &DeferredArrival, now_micros: i64) -> Result<Enqueued, LedgerError> {
        let ks = &self.inner.keys;
        let sender_hex = a.sender.to_hex();
        let purge_at = micros::after_seconds(a.expires_micros, ITEM_MARGIN_SECONDS);
        let item_ttl_ms = (purge_at.saturating_sub(now_micros) / 1_000).max(1_000);
        let index_ttl_ms = item_ttl_ms.max(MARKS_RETENTION_SECONDS * 1_000);
        let hour = a.first_micros.div_euclid(HOUR_MICROS);
        let mut call = self.inner.scripts.defer.prepare_invoke();
        call.key(ks.deferred_item(&a.number, &sender_hex))
            .key(ks.deferred_index(&a.number))
            .key(ks.deferral_marks(&a.number, hour))
            .arg(&sender_hex)
            .arg(&*a.tenant)
            .arg(&a.first_message_id)
            .arg(&a.sealed_sender[..])
            .arg(a.first_micros.to_string())
            .arg(a.slot.to_string())
            .arg(a.fingerprint.map(hex64).unwrap_or_default())
            .arg(hex64(a.block))
            .arg(a.expires_micros.to_string())
            .arg(item_ttl_ms.to_string())
            .arg(a.queue_limit.to_string())
            .arg(index_ttl_ms.to_string())
            .arg(ks.events())
            .arg(super::events::encode(&crate::LedgerEvent::Deferred { number: a.number.to_string() }));
        let outcome: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(match outcome {
            0 => Enqueued::New,
            1 => Enqueued::Pending,
            _ => Enqueued::Full,
        })
    }

    async fn note_messages(
        &self,
        number: &str,
        senders: &[(SenderKey, u32)],
        _now_micros: i64,
    ) -> Result<(), LedgerError> {
        if senders.is_empty() {
            return Ok(());
        }
        // HINCRBY on an expired (deleted) item would recreate it without a
        // TTL: only count items that exist, in one atomic step each.
        let mut call = self.inner.scripts.note.prepare_invoke();
        for (sender, count) in senders {
            call.key(self.inner.keys.deferred_item(number, &sender.to_hex())).arg(*count);
        }
        let _: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(())
    }

    async fn deferred(
        &self,
        number: &str,
        arrived_before_micros: i64,
        _now_micros: i64,
        limit: usize,
    ) -> Result<Vec<DeferredReply>, LedgerError> {
        let ks = &self.inner.keys;
        let index = ks.deferred_index(number);
        let members: Vec<String> = self
            .bounded(
                ::redis::cmd("ZRANGEBYSCORE")
                    .arg(&index)
                    .arg("-inf")
                    .arg(format!("({arrived_before_micros}"))
                    .arg("LIMIT")
                    .arg(0)
                    .arg(limit)
                    .query_async(&mut self.connection()),
            )
            .await?;
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = ::redis::pipe();
        for member in &members {
            pipe.cmd("HGETALL").arg(ks.deferred_item(number, member));
        }
        let hashes: Vec<HashMap<String, Value>> = self.bounded(pipe.query_async(&mut self.connection())).await?;
        let mut items = Vec::with_capacity(members.len());
        let mut stale = Vec::new();
        for (member, fields) in members.iter().zip(hashes) {
            if fields.is_empty() {
                stale.push(member.clone());
                continue;
            }
            let item =
                decode(member, &fields).ok_or_else(|| LedgerError::Corrupt(format!("deferred item {member}")))?;
            items.push(item);
        }
        if !stale.is_empty() {
            let _: i64 =
                self.bounded(::redis::cmd("ZREM").arg(&index).arg(&stale).query_async(&mut self.connection())).await?;
        }
        // The marks of each item's arrival hour and the hour before.
        let mut pipe = ::redis::pipe();
        for item in &items {
            let hour = item.first_micros.div_euclid(HOUR_MICROS);
            for h in [hour, hour - 1] {
                let marks = ks.deferral_marks(number, h);
                let fingerprint = item.fingerprint.map(|f| format!("f:{}", hex64(f))).unwrap_or_else(|| "f:-".into());
                pipe.cmd("HMGET").arg(marks).arg(format!("b:{}", hex64(item.block))).arg(fingerprint);
            }
        }
        let counts: Vec<Vec<Option<u32>>> = self.bounded(pipe.query_async(&mut self.connection())).await?;
        for (i, item) in items.iter_mut().enumerate() {
            let pair = |j: usize| counts.get(2 * i + j).cloned().unwrap_or_default();
            let (now, before) = (pair(0), pair(1));
            let at = |v: &Vec<Option<u32>>, k: usize| v.get(k).copied().flatten().unwrap_or(0);
            item.block_senders = at(&now, 0) + at(&before, 0);
            if item.fingerprint.is_some() {
                item.fingerprint_senders = at(&now, 1) + at(&before, 1);
            }
        }
        Ok(items)
    }

    async fn finish_deferred(
        &self,
        number: &str,
        sender: &SenderKey,
        refuse_until: Option<(i64, i64)>,
    ) -> Result<(), LedgerError> {
        let ks = &self.inner.keys;
        let hex = sender.to_hex();
        let mut pipe = ::redis::pipe();
        pipe.atomic().cmd("DEL").arg(ks.deferred_item(number, &hex)).ignore();
        pipe.cmd("ZREM").arg(ks.deferred_index(number)).arg(&hex).ignore();
        if let Some((until, now)) = refuse_until {
            // The sender memory decide.lua reads: its value is the end, in micros.
            let ttl_ms = (until.saturating_sub(now) / 1_000).max(1);
            pipe.cmd("SET").arg(ks.sender(number, &hex)).arg(until).arg("PX").arg(ttl_ms).ignore();
        }
        let _: () = self.bounded(pipe.query_async(&mut self.connection())).await?;
        Ok(())
    }

    async fn deferred_count(&self, number: &str, _now_micros: i64) -> Result<usize, LedgerError> {
        // Items whose hash expired stay in the index until a read drops
        // them: an upper bound, exact once the judge has run.
        let count: usize = self
            .bounded(
                ::redis::cmd("ZCARD").arg(self.inner.keys.deferred_index(number)).query_async(&mut self.connection()),
            )
            .await?;
        Ok(count)
    }
}

#[async_trait]
impl Leases for RedisLedger {
    async fn lease(&self, name: &str, holder: &str, ttl_ms: u64, _now_micros: i64) -> Result<bool, LedgerError> {
        let mut call = self.inner.scripts.lease.prepare_invoke();
        call.key(self.inner.keys.lease(name)).arg(holder).arg(ttl_ms.max(1));
        let held: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(held == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), LedgerError> {
        let mut call = self.inner.scripts.release.prepare_invoke();
        call.key(self.inner.keys.lease(name)).arg(holder);
        let _: i64 = self.bounded(call.invoke_async(&mut self.connection())).await?;
        Ok(())
    }
}

fn decode(member: &str, fields: &HashMap<String, Value>) -> Option<DeferredReply> {
    let bytes = |name: &str| match fields.get(name)? {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.clone().into_bytes()),
        _ => None,
    };
    let text = |name: &str| bytes(name).and_then(|b| String::from_utf8(b).ok());
    let int = |name: &str| fields.get(name).and_then(script::integer);
    let hex = |value: String| u64::from_str_radix(&value, 16).ok();
    let fingerprint = text("fp")?;
    Some(DeferredReply {
        sender: SenderKey::from_hex(member)?,
        tenant: text("tenant")?,
        first_message_id: text("mid")?,
        sealed_sender: bytes("sealed")?,
        first_micros: int("first")?,
        slot: int("slot")?,
        messages: u32::try_from(int("messages")?).ok()?,
        fingerprint: if fingerprint.is_empty() { None } else { Some(hex(fingerprint)?) },
        block: hex(text("blk")?)?,
        fingerprint_senders: 0,
        block_senders: 0,
        state: if text("state")? == "sending" { DeferredState::Sending } else { DeferredState::Pending },
        expires_micros: int("judge_by")?,
    })
}
