//! Calls: what answering one costs, and how long a spoken message lasts.
//!
//! Providers bill an answered call by the minute, each started minute in
//! full. A call is answered with a message that is spoken, then the call is
//! hung up: its length is the message's, bounded by the number's
//! `voice.max_seconds`, so the most it can cost is known before answering
//! (the reservation).

use crate::money::Money;

/// Characters a text-to-speech voice says per second, on the slow side
/// (about 150 words a minute in French or English): estimates err long.
pub const SPOKEN_CHARACTERS_PER_SECOND: u32 = 12;

/// What a call of `seconds` costs at `price_per_minute`: every started
/// minute in full (a call of 0 seconds was not answered and costs nothing).
/// `None` when the amount would overflow.
pub fn call_cost(price_per_minute: Money, seconds: u32) -> Option<Money> {
    price_per_minute.checked_mul(seconds.div_ceil(60))
}

/// How long a text-to-speech voice takes to say `text`, estimated from its
/// characters (whitespace runs count once), rounded up, plus one second of
/// pause before the voice starts.
pub fn spoken_seconds(text: &str) -> u32 {
    let characters = text.split_whitespace().map(|word| word.chars().count() + 1).sum::<usize>();
    let characters = u32::try_from(characters).unwrap_or(u32::MAX);
    characters.div_ceil(SPOKEN_CHARACTERS_PER_SECOND).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_costs_every_started_minute_in_full() {
        let price = Money::from_micros(20_000);
        assert_eq!(call_cost(price, 0), Some(Money::ZERO));
        assert_eq!(call_cost(price, 1), Some(price));
        assert_eq!(call_cost(price, 60), Some(price));
        assert_eq!(call_cost(price, 61), Some(Money::from_micros(40_000)));
        assert_eq!(call_cost(Money::from_micros(i64::MAX), 61), None);
    }

    #[test]
    fn a_longer_text_is_estimated_to_last_longer() {
        assert_eq!(spoken_seconds(""), 1);
        assert_eq!(spoken_seconds("Bonjour."), 2);
        let short = "Bonjour. Vous avez appelé un numéro anti-relou.";
        let long = short.repeat(10);
        assert!(spoken_seconds(&long) > 9 * spoken_seconds(short) - 9);
        assert_eq!(spoken_seconds("a   b\n\tc"), spoken_seconds("a b c"));
    }
}
