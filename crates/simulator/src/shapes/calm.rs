//! The shapes without anything to tell attackers by: an ordinary day with
//! no attack at all, and the truly indistinguishable flood (every message
//! from a new random number, random words for everyone, the same timing).

use rand::Rng;

use super::{Draft, HOUR_MICROS};
use crate::bodies;
use crate::traffic::Group;

/// No attack: 50 genuine senders from 08:00 to midnight, 1 or 2 SMS each.
pub fn ordinary_day(draft: &mut Draft) {
    draft.genuine_senders(50, 8 * HOUR_MICROS..24 * HOUR_MICROS, 1..3, 30);
}

/// 8,000 attack SMS, each from a new random French mobile, and 300 genuine
/// senders who write once, everyone writing random words at uniformly
/// random times over 4 hours: nothing observable tells them apart.
pub fn indistinguishable(draft: &mut Draft) {
    let window = 0..4 * HOUR_MICROS;
    let mut writers: Vec<Group> = vec![Group::Attack; 8_000];
    writers.extend(std::iter::repeat_n(Group::Genuine, 300));
    for group in writers {
        let sender = draft.fresh_sender(group);
        let at = draft.rng.gen_range(window.clone());
        let body = bodies::random_text(&mut draft.rng);
        draft.send(at, sender, &body);
    }
}
