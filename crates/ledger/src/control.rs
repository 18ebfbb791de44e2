//! Runtime controls: what the admin API changes while the service runs,
//! kept in the ledger backend so that every replica applies it and it
//! survives restarts.
//!
//! - per number: `paused` (`None`: as in the file) and `overrides` (a
//!   number patch, stored as the JSON the settings crate reads back);
//! - per tenant: a blocklist of keyed sender hashes ([`SenderKey`]), each
//!   with a label and when it was added; at most [`MAX_BLOCKLIST`];
//! - per tenant: audit records (who, when, what), append-only: a record
//!   is never dropped to make room. The records a tenant's token made and
//!   those the operator made are counted apart, each up to the note's
//!   [`AuditNote::kept`] ([`AUDIT_KEPT_PER_TENANT`] by default); a change
//!   that would go beyond is refused (`LedgerError::Refused`, nothing
//!   written). So a tenant can neither erase its own history nor the
//!   operator's. Read in pages of at most [`MAX_AUDIT_PAGE`].
//!
//! Every change increments one deployment-wide version, written in the same
//! atomic operation as the change and its audit record, and is announced
//! as [`LedgerEvent::Control`](crate::LedgerEvent::Control): a replica that
//! missed the announcement sees the version move and reloads.
//!
//! Start with [`ControlStore`].

use antirelou_domain::SenderKey;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::LedgerError;

/// A tenant blocks at most this many senders: the list is loaded by every
/// replica and kept in every actor's memory.
pub const MAX_BLOCKLIST: usize = 10_000;

/// Audit records a tenant's trail holds by default, for each maker (its
/// tenant's tokens, the operator); a further change is refused.
pub const AUDIT_KEPT_PER_TENANT: usize = 10_000;

/// The `who` of the operator's changes.
pub const OPERATOR: &str = "operator";

/// An audit page holds at most this many records (bounded work per call).
pub const MAX_AUDIT_PAGE: usize = 200;

/// What an audit record says was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Pause,
    Resume,
    Patch,
    ClearOverrides,
    Block,
    Unblock,
}

impl AuditAction {
    pub const ALL: [AuditAction; 6] = [
        AuditAction::Pause,
        AuditAction::Resume,
        AuditAction::Patch,
        AuditAction::ClearOverrides,
        AuditAction::Block,
        AuditAction::Unblock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Pause => "pause",
            AuditAction::Resume => "resume",
            AuditAction::Patch => "patch",
            AuditAction::ClearOverrides => "clear_overrides",
            AuditAction::Block => "block",
            AuditAction::Unblock => "unblock",
        }
    }
}

/// What is stored for one number. `None`: nothing stored, the file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NumberControl {
    pub number: String,
    pub paused: Option<bool>,
    /// The number patch as JSON text.
    pub overrides: Option<String>,
}

/// One blocked sender of a tenant: a keyed hash, never a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedSender {
    pub sender: SenderKey,
    pub label: String,
    pub added_micros: i64,
}

/// One change, as it is audited: who, when, what (field names and new
/// values; a blocked sender only as its hash).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditNote {
    pub tenant: String,
    pub number: Option<String>,
    /// `operator` or `tenant:ID`.
    pub who: String,
    pub action: AuditAction,
    /// A JSON object of field names and their new values.
    pub what: serde_json::Value,
    pub at_micros: i64,
    /// How many records of this maker (the operator, or the tenant's
    /// tokens) the tenant's trail may hold; this change is refused when it
    /// already holds that many. 0 means [`AUDIT_KEPT_PER_TENANT`]. Not stored.
    #[serde(skip)]
    pub kept: usize,
}

impl AuditNote {
    /// Whether the operator made this change.
    pub fn by_operator(&self) -> bool {
        self.who == OPERATOR
    }

    /// The bound this change must fit under.
    pub fn kept_limit(&self) -> usize {
        if self.kept == 0 {
            AUDIT_KEPT_PER_TENANT
        } else {
            self.kept
        }
    }
}

/// An audit record: the note and the change version it made.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub version: u64,
    pub note: AuditNote,
}

/// A page of audit records, newest first; `next` is the `before` of the next page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub next: Option<u64>,
}

/// What [`ControlStore::block_sender`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// `false` when the sender was already blocked (its label was updated).
    pub added: bool,
    pub version: u64,
}

/// The runtime controls of a ledger backend (a supertrait of [`Ledger`](crate::Ledger)).
/// Each change is one atomic operation: the change, the version increment
/// and the audit record, then the announcement.
#[async_trait]
pub trait ControlStore: Send + Sync {
    /// The version of the last change (0 before any).
    async fn control_version(&self) -> Result<u64, LedgerError>;

    /// What is stored for each of `numbers` that has something stored.
    async fn number_controls(&self, numbers: &[String]) -> Result<Vec<NumberControl>, LedgerError>;

    /// Pauses or resumes a number; returns the new version.
    async fn set_paused(&self, number: &str, paused: bool, audit: &AuditNote) -> Result<u64, LedgerError>;

    /// Stores a number's overrides (JSON text), or removes them (`None`).
    /// Returns the new version, or `None` when there was nothing to remove
    /// (nothing is written nor audited).
    async fn set_overrides(
        &self,
        number: &str,
        overrides: Option<&str>,
        audit: &AuditNote,
    ) -> Result<Option<u64>, LedgerError>;

    /// Adds a sender to a tenant's blocklist (or updates its label).
    /// Refused (`LedgerError::Refused`, nothing written) when the list
    /// already holds `limit` senders (the engine passes [`MAX_BLOCKLIST`];
    /// tests, something small).
    async fn block_sender(
        &self,
        tenant: &str,
        blocked: &BlockedSender,
        limit: usize,
        audit: &AuditNote,
    ) -> Result<Blocked, LedgerError>;

    /// Removes a sender from a tenant's blocklist; the new version, or
    /// `None` when it was not there (nothing written nor audited).
    async fn unblock_sender(
        &self,
        tenant: &str,
        sender: &SenderKey,
        audit: &AuditNote,
    ) -> Result<Option<u64>, LedgerError>;

    /// A tenant's blocklist, oldest first (at most [`MAX_BLOCKLIST`]).
    async fn blocklist(&self, tenant: &str) -> Result<Vec<BlockedSender>, LedgerError>;

    /// A tenant's audit records older than version `before` (all when
    /// `None`), newest first, at most `limit` (capped at [`MAX_AUDIT_PAGE`]).
    async fn audit(&self, tenant: &str, before: Option<u64>, limit: usize) -> Result<AuditPage, LedgerError>;

    /// Records that the console session `id` (a keyed hash, never the
    /// cookie) was signed out: every replica refuses it until `expires_micros`
    /// (the session's own expiry, after which it is refused anyway).
    async fn revoke_session(&self, id: &str, now_micros: i64, expires_micros: i64) -> Result<(), LedgerError>;

    /// Whether the console session `id` was signed out (and has not expired).
    async fn session_revoked(&self, id: &str, now_micros: i64) -> Result<bool, LedgerError>;

    /// Aligns the console's session generations with the tokens in force,
    /// in one atomic step. `current` holds each caller that can sign in
    /// (`o`, `t:<tenant>`) with a keyed fingerprint of its token (never the
    /// token). A caller seen for the first time starts at generation 0; a
    /// caller whose fingerprint differs from the recorded one (a new token,
    /// an old token back, a tenant added again after its removal) goes to
    /// the next generation; a recorded caller absent from `current` is
    /// marked removed (the next generation, no fingerprint) once. Aligning
    /// twice with the same `current` changes nothing. Callers ever
    /// configured are kept (a handful of rows, no expiry).
    async fn align_session_generations(&self, current: &[SessionToken]) -> Result<(), LedgerError>;

    /// The session generation of `who` (0 when never recorded): a console
    /// session opened at another generation is over.
    async fn session_generation(&self, who: &str) -> Result<u64, LedgerError>;
}

/// A caller that can sign in to the console, and the keyed fingerprint of
/// its token, as [`ControlStore::align_session_generations`] records them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionToken {
    /// `o` (the operator) or `t:<tenant>`.
    pub who: String,
    /// A keyed fingerprint of the caller's token (never empty).
    pub fingerprint: String,
}

/// One caller's recorded session generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SessionGeneration {
    pub who: String,
    /// Empty once the caller was removed.
    pub fingerprint: String,
    pub generation: u64,
}

/// What aligning `recorded` with `current` writes (the rule both backends
/// apply; Redis's `sessions.lua` is its twin).
pub(crate) fn session_changes(recorded: &[SessionGeneration], current: &[SessionToken]) -> Vec<SessionGeneration> {
    let mut changes = Vec::new();
    for token in current {
        match recorded.iter().find(|r| r.who == token.who) {
            None => changes.push(SessionGeneration {
                who: token.who.clone(),
                fingerprint: token.fingerprint.clone(),
                generation: 0,
            }),
            Some(r) if r.fingerprint != token.fingerprint => changes.push(SessionGeneration {
                who: token.who.clone(),
                fingerprint: token.fingerprint.clone(),
                generation: r.generation + 1,
            }),
            Some(_) => {}
        }
    }
    for r in recorded {
        if !r.fingerprint.is_empty() && !current.iter().any(|t| t.who == r.who) {
            changes.push(SessionGeneration {
                who: r.who.clone(),
                fingerprint: String::new(),
                generation: r.generation + 1,
            });
        }
    }
    changes
}

/// The error of a full blocklist.
pub(crate) fn blocklist_full(limit: usize) -> LedgerError {
    LedgerError::Refused(format!("the blocklist already holds {limit} senders, its maximum: remove some first"))
}

/// The error of a full audit trail.
pub(crate) fn audit_full(note: &AuditNote) -> LedgerError {
    let maker = if note.by_operator() { "the operator" } else { "this tenant" };
    LedgerError::Refused(format!(
        "the change history of {} already holds {} changes made by {maker}, its maximum: nothing was changed \
         (the history is never shortened; the operator can raise ledger.audit_changes_per_tenant)",
        note.tenant,
        note.kept_limit()
    ))
}

/// A page size within `1..=MAX_AUDIT_PAGE`.
pub(crate) fn page_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_AUDIT_PAGE)
}

/// The stored form of a blocklist entry's label and date (Redis hash value).
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredBlock {
    pub label: String,
    pub added_micros: i64,
}

/// A page from up to `limit + 1` records read newest first: the extra one
/// only says that there is a next page.
pub(crate) fn paged(mut records: Vec<AuditRecord>, limit: usize) -> AuditPage {
    let more = records.len() > limit;
    records.truncate(limit);
    let next = if more { records.last().map(|r| r.version) } else { None };
    AuditPage { records, next }
}
