//! The deferred judgement (docs/shield.md), pure: what a new sender's
//! arrival is filed under, when their judgement is due, whether they are a
//! flooder, and how much money each slot of arrivals may spend.
//!
//! The idea: a flood starts with a wave of new senders, while the people
//! who were handed the number keep arriving at their usual, steady pace.
//! So the money for deferred replies is released per 10-minute slot of
//! ARRIVAL, the same for a slot of five new senders as for a slot of five
//! hundred: a wave can only take the allowance of the slots it arrives in,
//! and within a slot the senders who wrote least are answered first.
//! Senders who keep writing, who copy-paste a campaign text, or who come
//! from a block of consecutive numbers are dropped as flooders.

use antirelou_domain::micros;
use antirelou_domain::{DeferredResult, Money, SenderHasher};
use antirelou_ledger::{Caps, DeferredReply, DeferredState};

pub use crate::policy::JudgePolicy;

/// Arrivals are filed in slots of this many seconds (aligned on the Unix epoch).
pub const SLOT_SECONDS: i64 = 600;
/// A slot is judged this long after it ends: long enough to see who keeps writing.
pub const JUDGE_DELAY_SECONDS: i64 = 600;
/// A judgement is never later than this before its sender's `defer_for` runs out.
pub const DEADLINE_MARGIN_SECONDS: i64 = 60;
/// This many distinct deferred senders with the same text (this hour and the last) make a campaign.
pub const CAMPAIGN_SENDERS: u32 = 5;
/// This many distinct deferred senders from one block of numbers (same hours) make a cluster.
pub const BLOCK_SENDERS: u32 = 3;
/// The block of a number: all but its last two digits (100 numbers).
pub const BLOCK_DIGITS_DROPPED: usize = 2;
/// A text says something (can be a campaign) from this many words.
pub const FINGERPRINT_MIN_WORDS: usize = 4;
/// The first words of a text that make its fingerprint (a campaign text
/// with a different ending is the same campaign).
pub const FINGERPRINT_WORDS: usize = 6;
/// A sender judged a flooder gets no reply for this long, on any replica.
pub const FLOODER_REFUSED_SECONDS: i64 = 86_400;

/// How often a replica judges a number's queue while it has judgements
/// (idle numbers cost nothing: rounds run only after a enqueued).
pub const JUDGE_EVERY_SECONDS: i64 = 5;
/// Judgements read per round, at most.
pub const JUDGE_BATCH: usize = 200;
/// A number holds at most this many pending judgements.
pub const QUEUE_LIMIT: usize = 5_000;

/// What becomes of one judgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Ask the ledger to pay it from its slot's allowance, then send.
    Answer,
    /// Over: counted under this result, the item deleted.
    End(DeferredResult),
}

/// The slot of an instant.
pub fn slot_of(micros: i64) -> i64 {
    micros.div_euclid(micros::from_seconds(SLOT_SECONDS))
}

/// Judgements whose sender first wrote before this instant are due at `now`:
/// their slot ended [`JUDGE_DELAY_SECONDS`] ago, or their `defer_for` is
/// about to run out.
pub fn due_before(policy: &JudgePolicy, now_micros: i64) -> i64 {
    let slot_end_judged =
        micros::from_seconds(slot_of(now_micros - micros::from_seconds(JUDGE_DELAY_SECONDS)) * SLOT_SECONDS);
    let deadline =
        now_micros - micros::from_seconds((policy.defer_for_seconds as i64 - DEADLINE_MARGIN_SECONDS).max(0)) + 1;
    slot_end_judged.max(deadline)
}

/// Replies slot `slot` may pay for: the pace (a share of the day's money per
/// hour, spread over the slots), at least the trickle, rounded so that any
/// run of slots gets exactly its share (slot k gets ⌊(k+1)·r⌋ − ⌊k·r⌋).
pub fn slot_replies(policy: &JudgePolicy, slot: i64) -> u32 {
    let slot = i128::from(slot.max(0));
    let share = |numerator: i128, denominator: i128| -> i128 {
        if denominator <= 0 {
            return 0;
        }
        (slot + 1) * numerator / denominator - slot * numerator / denominator
    };
    let trickle = share(i128::from(policy.trickle_per_hour) * i128::from(SLOT_SECONDS), 3_600);
    let pace = match (day_money(&policy.caps), policy.reply_cost.micros()) {
        (Some(day), cost) if cost > 0 => {
            // Money per slot / cost, as one fraction.
            let numerator =
                i128::from(day.micros()) * i128::from(policy.pace_percent_per_hour) * i128::from(SLOT_SECONDS);
            share(numerator, 100 * 3_600 * i128::from(cost))
        }
        // Free replies: the pace does not bind.
        (Some(_), _) => i128::from(u32::MAX),
        (None, _) => 0,
    };
    u32::try_from(trickle.max(pace)).unwrap_or(u32::MAX)
}

/// The day's money the pace is a share of: the number's daily cap, else a
/// thirtieth of the tightest monthly cap; `None` with no cap at all (then
/// only the trickle floor releases money).
pub fn day_money(caps: &Caps) -> Option<Money> {
    caps.number_daily.or_else(|| {
        let monthly = match (caps.tenant_monthly, caps.deployment_monthly) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        monthly.map(|m| Money::from_micros(m.micros() / 30))
    })
}

/// The judgement of one due item at `now`.
pub fn judge(policy: &JudgePolicy, item: &DeferredReply, now_micros: i64) -> Judgement {
    if item.state == DeferredState::Sending {
        // A replica stopped between paying and sending: never send twice.
        return Judgement::End(DeferredResult::SendFailed);
    }
    if now_micros >= item.expires_micros {
        return Judgement::End(DeferredResult::Expired);
    }
    let flooding = item.messages >= policy.flood_messages
        || item.fingerprint_senders >= CAMPAIGN_SENDERS
        || item.block_senders >= BLOCK_SENDERS;
    if flooding {
        return Judgement::End(DeferredResult::DroppedFlooding);
    }
    Judgement::Answer
}

/// The order in which answerable items are paid: by slot, then those who
/// wrote least, then the earliest.
pub fn answer_order(items: &mut [DeferredReply]) {
    items.sort_by_key(|item| (item.slot, item.messages, item.first_micros));
}

/// The keyed fingerprint of a text's first words, when it has enough words
/// to say something: lowercase letters and digits, accents, punctuation and
/// doubled letters dropped. Only the fingerprint is kept, never the text.
pub fn text_fingerprint(hasher: &SenderHasher, body: &str) -> Option<u64> {
    // An SMS is at most a few hundred characters; do bounded work.
    let body = &body[..char_boundary(body, 2_000)];
    let words: Vec<String> = body
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| collapsed(w.chars().flat_map(char::to_lowercase).map(unaccented)))
        .collect();
    if words.len() < FINGERPRINT_MIN_WORDS {
        return None;
    }
    let head = words.iter().take(FINGERPRINT_WORDS).map(String::as_str).collect::<Vec<_>>().join(" ");
    Some(hasher.fingerprint("text", &head))
}

/// The keyed fingerprint of a number's block (all but its last digits).
pub fn number_block(hasher: &SenderHasher, e164: &str) -> u64 {
    let digits = e164.trim();
    let cut = digits.len().saturating_sub(BLOCK_DIGITS_DROPPED);
    hasher.fingerprint("block", &digits[..char_boundary(digits, cut)])
}

/// The largest char boundary of `text` at or below `at`.
fn char_boundary(text: &str, at: usize) -> usize {
    let mut cut = at.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

/// A word with each run of one letter kept once: "reponnds" and "reponds"
/// are one word (a pasted text varied by a doubled letter is the same text).
fn collapsed(chars: impl Iterator<Item = char>) -> String {
    let mut word = String::new();
    for c in chars {
        if !word.ends_with(c) {
            word.push(c);
        }
    }
    word
}

fn unaccented(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' | 'ì' => 'i',
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        c => c,
    }
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
