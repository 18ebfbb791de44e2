//! [`IncidentLog`]: what one number's actor records of an incident (a
//! shield episode, docs/evidence.md), as a plain value: the counters it
//! adds to the ledger's incident per 10-minute slot, and, when the tenant
//! keeps evidence, its notebook.
//!
//! The notebook holds in memory, bounded, what the senders who write during
//! the incident sent here (number, first and last message, count, a few
//! bodies). Nothing of it is written unless the sender turns out a flooder
//! (their judgement, [`IncidentLog::flooder`]) or is blocked by the
//! collective (their next message, [`IncidentLog::arrival`]); then their
//! row is kept and all kept rows are sealed to the collective's recipient
//! at the next tick ([`IncidentLog::tick`]), and again when they change.
//! The rest is dropped with the incident.

use std::collections::HashMap;
use std::sync::Arc;

use antirelou_domain::{micros, Money, SenderKey};
use antirelou_evidence::senders::{kept_body, MAX_SENDERS_PER_PART};
use antirelou_evidence::{timeline_slot, IncidentActivity, IncidentCounts, IncidentId, KeptBecause, SenderRow};
use antirelou_settings::EvidenceSettings;

use super::judge_round::FlooderFacts;

/// Senders a notebook holds at most (beyond, new senders are not noted).
pub const MAX_NOTED_SENDERS: usize = 5_000;
/// Counters go to the ledger at least this often while they grow.
pub const ACTIVITY_EVERY_SECONDS: i64 = 5;
/// Kept rows whose counts or bodies changed are sealed again this often.
pub const RESEAL_EVERY_SECONDS: i64 = 60;

/// The incident of one number, as its actor sees it.
#[derive(Default)]
pub struct IncidentLog {
    current: Option<Current>,
}

struct Current {
    /// Known once the ledger answered the opening.
    id: Option<IncidentId>,
    /// The shield's end, while it is on.
    shield_until_micros: i64,
    /// Set when the shield ended: judgements still come until then.
    keep_until_micros: Option<i64>,
    pending: Vec<(i64, IncidentCounts)>,
    last_activity_micros: i64,
    notebook: Option<Notebook>,
}

/// What a tick asks the actor to write.
#[derive(Debug, Default)]
pub struct IncidentWork {
    pub activity: Vec<IncidentActivity>,
    /// Every kept row, to seal and write as this run's part.
    pub seal: Option<Seal>,
}

/// Rows to seal for an incident.
#[derive(Debug)]
pub struct Seal {
    pub incident: IncidentId,
    pub rows: Vec<SenderRow>,
    pub settings: Arc<EvidenceSettings>,
}

struct Notebook {
    settings: Arc<EvidenceSettings>,
    notes: HashMap<SenderKey, Note>,
    kept: HashMap<SenderKey, Kept>,
    /// A row was kept since the last seal: seal at the next tick.
    new_rows: bool,
    /// A kept row changed since the last seal.
    changed: bool,
    last_seal_micros: i64,
}

struct Note {
    phone: String,
    first_micros: i64,
    last_micros: i64,
    messages: u32,
    bodies: Vec<String>,
}

struct Kept {
    reason: KeptBecause,
    /// The judgement's facts (messages across replicas up to it).
    facts: Option<FlooderFacts>,
}

impl IncidentLog {
    /// Whether an incident is open here (or its judgements still running).
    pub fn is_open(&self) -> bool {
        self.current.is_some()
    }

    /// The incident's id, once the ledger gave it.
    pub fn id(&self) -> Option<IncidentId> {
        self.current.as_ref().and_then(|c| c.id)
    }

    /// The shield is on until `until_micros` (entered, extended or adopted):
    /// opens the local record of the incident if none is.
    pub fn shielded(&mut self, until_micros: i64, evidence: Option<&Arc<EvidenceSettings>>) {
        let current = self.current.get_or_insert_with(|| Current {
            id: None,
            shield_until_micros: until_micros,
            keep_until_micros: None,
            pending: Vec::new(),
            last_activity_micros: i64::MIN,
            notebook: evidence.map(|settings| Notebook::new(Arc::clone(settings))),
        });
        current.shield_until_micros = current.shield_until_micros.max(until_micros);
        current.keep_until_micros = None;
    }

    /// The ledger's id of the incident.
    pub fn opened(&mut self, id: IncidentId) {
        if let Some(current) = &mut self.current {
            current.id = Some(id);
        }
    }

    /// The shield ended here: the record stays `keep_micros` more for the
    /// judgements of senders deferred during it.
    pub fn shield_ended(&mut self, now_micros: i64, keep_micros: i64) {
        if let Some(current) = &mut self.current {
            current.keep_until_micros = Some(now_micros.saturating_add(keep_micros));
        }
    }

    /// One message arrived during the incident. `new_sender`: not seen
    /// before here; `blocked`: the collective blocked its sender.
    #[allow(clippy::too_many_arguments)]
    pub fn arrival(
        &mut self,
        now_micros: i64,
        sender: SenderKey,
        sender_phone: &str,
        body: &str,
        new_sender: bool,
        blocked: bool,
        reply_cost: Money,
    ) {
        let Some(current) = &mut self.current else { return };
        current.count(now_micros, |c| {
            c.messages += 1;
            c.new_senders += u64::from(new_sender);
            c.unprotected_cost_micros = c.unprotected_cost_micros.saturating_add(reply_cost.micros());
        });
        if let Some(notebook) = &mut current.notebook {
            notebook.note(now_micros, sender, sender_phone, body);
            if blocked {
                notebook.keep(sender, KeptBecause::Blocked, None);
            }
        }
    }

    /// Replies were paid during the incident.
    pub fn replies_paid(&mut self, now_micros: i64, replies: u64, spend: Money) {
        if let Some(current) = &mut self.current {
            current.count(now_micros, |c| {
                c.replies += replies;
                c.reply_spend_micros = c.reply_spend_micros.saturating_add(spend.micros());
            });
        }
    }

    /// The provider charged for messages received during the incident.
    pub fn inbound_charged(&mut self, now_micros: i64, amount: Money) {
        if let Some(current) = &mut self.current {
            current
                .count(now_micros, |c| c.inbound_spend_micros = c.inbound_spend_micros.saturating_add(amount.micros()));
        }
    }

    /// A judgement here found a sender flooding (`facts` when the tenant
    /// keeps evidence).
    pub fn flooder(&mut self, now_micros: i64, sender: SenderKey, facts: Option<FlooderFacts>) {
        let Some(current) = &mut self.current else { return };
        current.count(now_micros, |c| c.flooders += 1);
        if let Some(notebook) = &mut current.notebook {
            notebook.keep(sender, KeptBecause::Flooder, facts);
        }
    }

    /// What to write now: counters (every few seconds, or when their slot
    /// is over), the kept rows to seal (new ones at once, changed ones now
    /// and then, all of them a last time when the record closes). Closes
    /// the record once its judgements are over.
    pub fn tick(&mut self, now_micros: i64) -> IncidentWork {
        let Some(current) = &mut self.current else { return IncidentWork::default() };
        let Some(id) = current.id else { return IncidentWork::default() };
        let closing = current.keep_until_micros.is_some_and(|until| now_micros >= until);
        let mut work = IncidentWork::default();
        let slot_over = current.pending.iter().any(|(slot, _)| *slot < timeline_slot(now_micros));
        let due =
            now_micros >= current.last_activity_micros.saturating_add(micros::from_seconds(ACTIVITY_EVERY_SECONDS));
        if !current.pending.is_empty() && (due || slot_over || closing) {
            current.last_activity_micros = now_micros;
            work.activity = current
                .pending
                .drain(..)
                .map(|(slot, counts)| IncidentActivity { incident: id, slot, counts })
                .collect();
        }
        if let Some(notebook) = &mut current.notebook {
            work.seal = notebook.seal_if_due(id, now_micros, closing);
        }
        if closing {
            self.current = None;
        }
        work
    }
}

impl Current {
    fn count(&mut self, now_micros: i64, add: impl FnOnce(&mut IncidentCounts)) {
        let slot = timeline_slot(now_micros);
        let at = match self.pending.iter().position(|(s, _)| *s == slot) {
            Some(at) => at,
            None => {
                self.pending.push((slot, IncidentCounts::default()));
                self.pending.len() - 1
            }
        };
        add(&mut self.pending[at].1);
    }
}

impl Notebook {
    fn new(settings: Arc<EvidenceSettings>) -> Notebook {
        Notebook {
            settings,
            notes: HashMap::new(),
            kept: HashMap::new(),
            new_rows: false,
            changed: false,
            last_seal_micros: i64::MIN,
        }
    }

    fn note(&mut self, now_micros: i64, sender: SenderKey, phone: &str, body: &str) {
        let bodies = self.settings.bodies_per_sender as usize;
        if !self.notes.contains_key(&sender) && self.notes.len() >= MAX_NOTED_SENDERS {
            return;
        }
        let note = self.notes.entry(sender).or_insert_with(|| Note {
            phone: phone.trim().to_owned(),
            first_micros: now_micros,
            last_micros: now_micros,
            messages: 0,
            bodies: Vec::new(),
        });
        note.last_micros = now_micros;
        note.messages = note.messages.saturating_add(1);
        if note.bodies.len() < bodies {
            note.bodies.push(kept_body(body));
        }
        if self.kept.contains_key(&sender) {
            self.changed = true;
        }
    }

    fn keep(&mut self, sender: SenderKey, reason: KeptBecause, facts: Option<FlooderFacts>) {
        if let Some(kept) = self.kept.get_mut(&sender) {
            if facts.is_some() {
                kept.facts = facts;
                kept.reason = reason;
                self.new_rows = true;
            }
            return;
        }
        if self.kept.len() >= MAX_SENDERS_PER_PART || (facts.is_none() && !self.notes.contains_key(&sender)) {
            return;
        }
        self.kept.insert(sender, Kept { reason, facts });
        self.new_rows = true;
    }

    fn seal_if_due(&mut self, incident: IncidentId, now_micros: i64, closing: bool) -> Option<Seal> {
        let reseal = self.changed
            && now_micros >= self.last_seal_micros.saturating_add(micros::from_seconds(RESEAL_EVERY_SECONDS));
        if !(self.new_rows || reseal || (closing && self.changed)) || self.kept.is_empty() {
            return None;
        }
        self.new_rows = false;
        self.changed = false;
        self.last_seal_micros = now_micros;
        let mut rows: Vec<SenderRow> = self.kept.iter().filter_map(|(sender, kept)| self.row(sender, kept)).collect();
        rows.sort_by(|a, b| (a.first_seen_micros, &a.number).cmp(&(b.first_seen_micros, &b.number)));
        Some(Seal { incident, rows, settings: Arc::clone(&self.settings) })
    }

    /// A kept sender's row: what was noted here, and the judgement's facts.
    fn row(&self, sender: &SenderKey, kept: &Kept) -> Option<SenderRow> {
        let note = self.notes.get(sender);
        let phone = kept.facts.as_ref().map(|f| f.sender_phone.clone()).or_else(|| note.map(|n| n.phone.clone()))?;
        let first = [kept.facts.as_ref().map(|f| f.first_micros), note.map(|n| n.first_micros)];
        let first_seen_micros = first.into_iter().flatten().min()?;
        Some(SenderRow {
            number: phone,
            first_seen_micros,
            last_seen_micros: note.map_or(first_seen_micros, |n| n.last_micros),
            messages: kept.facts.as_ref().map_or(0, |f| f.messages).max(note.map_or(0, |n| n.messages)),
            bodies: note.map(|n| n.bodies.clone()).unwrap_or_default(),
            reason: kept.reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antirelou_domain::SenderHasher;

    const NOON: i64 = 1_795_867_200_000_000;
    const SECOND: i64 = 1_000_000;

    fn evidence(bodies: u32) -> Arc<EvidenceSettings> {
        let text = format!(
            "[server]\npublic_url = \"https://x.example\"\n[privacy]\nsender_key = \"k-0123456789abcdefghijklmnopqrstuv\"\n\
             sealing_key = \"s-0123456789abcdefghijklmnopqrstuv\"\nevidence_signing_key = \"q2V4KY7r8n0Qm3w5T1ZbJ6cXfL9dHs4pA0uGiEoRkMY=\"\n\
             [[tenants]]\nid = \"paris\"\nevidence = {{ recipient = \"age13l0059r36gh4k22hszqf245uy35r9w5el7ntaxcx6yu3zaet5fys98dckn\", bodies_per_sender = {bodies} }}\n\
             provider = {{ kind = \"twilio\", account_sid = \"AC0123456789abcdef0123456789abcdef\", auth_token = \"t\" }}\n\
             [[tenants.numbers]]\nnumber = \"+33612345678\"\nreply = \"Non.\"\nprice_per_segment = \"0.08\"\n"
        );
        let settings =
            antirelou_settings::Settings::from_toml_str_with_env(&text, std::iter::empty::<(String, String)>())
                .unwrap();
        Arc::new(settings.tenants[0].evidence.clone().unwrap())
    }

    fn sender(phone: &str) -> SenderKey {
        SenderHasher::new(b"incident-test").key(phone)
    }

    fn opened(bodies: u32) -> IncidentLog {
        let mut log = IncidentLog::default();
        log.shielded(NOON + 3_600 * SECOND, Some(&evidence(bodies)));
        log.opened(7);
        log
    }

    fn arrive(log: &mut IncidentLog, at: i64, phone: &str, body: &str, blocked: bool) {
        log.arrival(at, sender(phone), phone, body, true, blocked, Money::from_micros(80_000));
    }

    #[test]
    fn counters_go_to_the_ledger_per_slot_every_few_seconds() {
        let mut log = opened(3);
        arrive(&mut log, NOON, "+33698120001", "a", false);
        arrive(&mut log, NOON + SECOND, "+33698120002", "b", false);
        log.replies_paid(NOON + SECOND, 1, Money::from_micros(80_000));
        let work = log.tick(NOON + SECOND);
        assert_eq!(work.activity.len(), 1);
        let counts = work.activity[0].counts;
        assert_eq!((counts.messages, counts.new_senders, counts.replies), (2, 2, 1));
        assert_eq!((counts.reply_spend_micros, counts.unprotected_cost_micros), (80_000, 160_000));
        arrive(&mut log, NOON + 2 * SECOND, "+33698120001", "c", false);
        assert!(log.tick(NOON + 3 * SECOND).activity.is_empty(), "not before 5 s");
        let later = log.tick(NOON + 7 * SECOND).activity;
        assert_eq!((later.len(), later[0].counts.messages, later[0].slot), (1, 1, timeline_slot(NOON)));
    }

    #[test]
    fn nothing_is_sealed_until_a_sender_is_judged_a_flooder_or_blocked() {
        let mut log = opened(2);
        for i in 0..4 {
            arrive(&mut log, NOON + i * SECOND, "+33698120001", &format!("flood {i}"), false);
        }
        arrive(&mut log, NOON, "+33698120099", "je voulais juste dire merci", false);
        assert!(log.tick(NOON + 10 * SECOND).seal.is_none(), "no judgement, nothing to seal");
        let facts = FlooderFacts {
            sender: sender("+33698120001"),
            sender_phone: "+33698120001".into(),
            first_micros: NOON - 30 * SECOND,
            messages: 9,
        };
        log.flooder(NOON + 11 * SECOND, facts.sender, Some(facts));
        let seal = log.tick(NOON + 11 * SECOND).seal.expect("sealed at the next tick");
        assert_eq!(seal.incident, 7);
        assert_eq!(seal.rows.len(), 1, "the genuine sender is not in it");
        let row = &seal.rows[0];
        assert_eq!(row.number, "+33698120001");
        assert_eq!((row.first_seen_micros, row.last_seen_micros), (NOON - 30 * SECOND, NOON + 3 * SECOND));
        assert_eq!(row.messages, 9, "the judgement's count, across replicas");
        assert_eq!(row.bodies, ["flood 0", "flood 1"], "bodies_per_sender");
        assert!(log.tick(NOON + 12 * SECOND).seal.is_none(), "unchanged: not sealed again");
    }

    #[test]
    fn a_blocked_sender_writing_during_the_incident_is_kept_and_changes_are_sealed_again() {
        let mut log = opened(3);
        arrive(&mut log, NOON, "+33698120005", "premier", false);
        arrive(&mut log, NOON + SECOND, "+33698120005", "bloqué", true);
        let seal = log.tick(NOON + SECOND).seal.expect("blocked: kept at once");
        assert_eq!((seal.rows[0].reason, seal.rows[0].messages), (KeptBecause::Blocked, 2));
        arrive(&mut log, NOON + 2 * SECOND, "+33698120005", "encore", true);
        assert!(log.tick(NOON + 3 * SECOND).seal.is_none(), "a change waits for the reseal interval");
        let again = log.tick(NOON + 62 * SECOND).seal.expect("resealed");
        assert_eq!((again.rows[0].messages, again.rows[0].bodies.len()), (3, 3));
    }

    #[test]
    fn without_evidence_only_counters_are_kept() {
        let mut log = IncidentLog::default();
        log.shielded(NOON + 3_600 * SECOND, None);
        log.opened(3);
        arrive(&mut log, NOON, "+33698120001", "x", true);
        log.flooder(NOON, sender("+33698120001"), None);
        let work = log.tick(NOON);
        assert!(work.seal.is_none());
        assert_eq!(work.activity[0].counts.flooders, 1);
    }

    #[test]
    fn the_record_closes_after_the_judgements_and_seals_a_last_time() {
        let mut log = opened(1);
        arrive(&mut log, NOON, "+33698120005", "x", true);
        assert!(log.tick(NOON).seal.is_some());
        arrive(&mut log, NOON + SECOND, "+33698120005", "y", true);
        log.shield_ended(NOON + 2 * SECOND, 60 * SECOND);
        assert!(log.tick(NOON + 3 * SECOND).seal.is_none());
        assert!(log.is_open());
        let last = log.tick(NOON + 63 * SECOND);
        assert_eq!(last.seal.expect("a last seal").rows[0].messages, 2);
        assert!(!last.activity.is_empty(), "and the last counters");
        assert!(!log.is_open(), "then the record is gone, notebook and all");
        assert!(log.tick(NOON + 64 * SECOND).seal.is_none());
    }

    #[test]
    fn a_notebook_holds_a_bounded_number_of_senders() {
        let mut log = opened(1);
        for i in 0..MAX_NOTED_SENDERS + 10 {
            arrive(&mut log, NOON, &format!("+336{i:08}"), "x", false);
        }
        let notebook = log.current.as_ref().unwrap().notebook.as_ref().unwrap();
        assert_eq!(notebook.notes.len(), MAX_NOTED_SENDERS);
    }
}
