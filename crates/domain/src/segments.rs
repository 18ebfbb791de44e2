//! SMS encoding and segment count per GSM 03.38.
//!
//! A text made only of the GSM-7 basic set (plus extension-table characters,
//! which take two septets each) is GSM-7: 160 septets fit one SMS, 153 per
//! segment once split (the rest is the concatenation header). Any other
//! character makes the whole text UCS-2: 70 UTF-16 units in one SMS, 67 per
//! segment. A two-unit character (escape pair, surrogate pair) is never split
//! across segments, as handsets and providers do.

use std::fmt;

/// The encoding a text will be sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        })
    }
}

/// Encoding, length in code units (septets or UTF-16 units) and segments of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentCount {
    pub encoding: Encoding,
    pub units: usize,
    pub segments: u32,
}

/// Characters of the GSM 03.38 default alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// Characters of the extension table (escape + one septet: two septets each).
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{0C}";

/// Septets a character takes in GSM-7, or `None` when it is not in GSM-7.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if c.is_ascii_alphanumeric() || c == ' ' {
        return Some(1);
    }
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The characters of `text` that are not GSM-7 (each once, in order): any
/// one of them makes the whole text UCS-2, 70 characters an SMS instead of 160.
pub fn ucs2_characters(text: &str) -> Vec<char> {
    let mut found: Vec<char> = Vec::new();
    for c in text.chars().filter(|&c| gsm7_septets(c).is_none()) {
        if !found.contains(&c) {
            found.push(c);
        }
    }
    found
}

/// The GSM-7 text that can stand for a typographic character phones and
/// word processors insert (`’` → `'`, `«` → `"`, `…` → `...`), when one
/// reads the same; `None` for the others (ê, emoji).
pub fn gsm7_replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '’' | '‘' | '‚' | '′' => "'",
        '«' | '»' | '“' | '”' | '„' | '″' => "\"",
        '…' => "...",
        '–' | '—' | '‐' | '‑' => "-",
        '\u{a0}' | '\u{202f}' | '\u{2009}' => " ",
        'œ' => "oe",
        'Œ' => "OE",
        _ => return None,
    })
}

/// `text` with every character [`gsm7_replacement`] knows replaced by its
/// GSM-7 stand-in (the others, ê or an emoji, are kept).
pub fn with_gsm7_replacements(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match gsm7_septets(c).is_none().then(|| gsm7_replacement(c)).flatten() {
            Some(stand_in) => out.push_str(stand_in),
            None => out.push(c),
        }
    }
    out
}

/// Counts the segments `text` takes as one SMS message.
pub fn count(text: &str) -> SegmentCount {
    let gsm: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    match gsm {
        Some(widths) => split(Encoding::Gsm7, &widths, 160, 153),
        None => {
            let widths: Vec<usize> = text.chars().map(char::len_utf16).collect();
            split(Encoding::Ucs2, &widths, 70, 67)
        }
    }
}

fn split(encoding: Encoding, widths: &[usize], single: usize, per_segment: usize) -> SegmentCount {
    let units: usize = widths.iter().sum();
    let segments = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        let mut segments = 1u32;
        let mut used = 0usize;
        for &w in widths {
            if used + w > per_segment {
                segments += 1;
                used = 0;
            }
            used += w;
        }
        segments
    };
    SegmentCount { encoding, units, segments }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str) -> (Encoding, usize, u32) {
        let c = count(text);
        (c.encoding, c.units, c.segments)
    }

    #[test]
    fn encodings_are_named_as_the_reports_print_them() {
        assert_eq!(Encoding::Gsm7.to_string(), "GSM-7");
        assert_eq!(Encoding::Ucs2.to_string(), "UCS-2");
    }

    #[test]
    fn plain_gsm7_fits_160_in_one_segment() {
        assert_eq!(seg("Hello"), (Encoding::Gsm7, 5, 1));
        assert_eq!(seg(&"a".repeat(160)), (Encoding::Gsm7, 160, 1));
        assert_eq!(seg(&"a".repeat(161)), (Encoding::Gsm7, 161, 2));
        assert_eq!(seg(&"a".repeat(306)), (Encoding::Gsm7, 306, 2));
        assert_eq!(seg(&"a".repeat(307)), (Encoding::Gsm7, 307, 3));
    }

    #[test]
    fn french_accents_in_the_basic_set_stay_gsm7() {
        // é, è, à, ù are in GSM 03.38; the text stays one septet per char.
        assert_eq!(seg("Désolé, à très bientôt"), (Encoding::Ucs2, 22, 1)); // ô is not GSM-7
        assert_eq!(seg("Désolé, à plus tard"), (Encoding::Gsm7, 19, 1));
    }

    #[test]
    fn extension_characters_count_double() {
        assert_eq!(seg("€"), (Encoding::Gsm7, 2, 1));
        assert_eq!(seg("{}[]~|^\\"), (Encoding::Gsm7, 16, 1));
        assert_eq!(seg(&format!("{}€", "a".repeat(158))), (Encoding::Gsm7, 160, 1));
        assert_eq!(seg(&format!("{}€", "a".repeat(159))), (Encoding::Gsm7, 161, 2));
    }

    #[test]
    fn an_escape_pair_is_never_split_across_segments() {
        // 152 septets, then '€' (2) would straddle the 153 boundary: moves to segment 2.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        let c = count(&text);
        assert_eq!(c.units, 306);
        assert_eq!(c.segments, 3);
    }

    #[test]
    fn the_characters_that_force_ucs2_are_named_once_each_with_their_replacement() {
        let text = "C’est « non »… c’est non, même en œuvre 😀";
        assert_eq!(ucs2_characters(text), ['’', '«', '»', '…', 'ê', 'œ', '😀']);
        let replaced: String =
            text.chars().map(|c| gsm7_replacement(c).map_or_else(|| c.to_string(), str::to_owned)).collect();
        assert_eq!(ucs2_characters(&replaced), ['ê', '😀'], "{replaced}");
        assert!(ucs2_characters("Non, c'est non. Laissez-la tranquille.").is_empty());
        assert_eq!(count("C'est \"non\"... c'est non").encoding, Encoding::Gsm7);
    }

    #[test]
    fn any_other_character_makes_the_whole_text_ucs2() {
        assert_eq!(seg("ê"), (Encoding::Ucs2, 1, 1));
        assert_eq!(seg(&"a".repeat(70)), (Encoding::Gsm7, 70, 1));
        assert_eq!(seg(&format!("{}ê", "a".repeat(69))), (Encoding::Ucs2, 70, 1));
        assert_eq!(seg(&format!("{}ê", "a".repeat(70))), (Encoding::Ucs2, 71, 2));
        assert_eq!(seg(&"ô".repeat(134)), (Encoding::Ucs2, 134, 2));
        assert_eq!(seg(&"ô".repeat(135)), (Encoding::Ucs2, 135, 3));
    }

    #[test]
    fn emoji_take_two_utf16_units_and_are_not_split() {
        assert_eq!(seg("🙂"), (Encoding::Ucs2, 2, 1));
        assert_eq!(seg(&"🙂".repeat(35)), (Encoding::Ucs2, 70, 1));
        // 36 emoji = 72 units: 33 per 67-unit segment (66 units), so 2 segments.
        assert_eq!(seg(&"🙂".repeat(36)), (Encoding::Ucs2, 72, 2));
        // 66 'a' then an emoji would straddle 67: it moves on.
        let c = count(&format!("{}🙂{}", "ô".repeat(66), "ô".repeat(10)));
        assert_eq!((c.units, c.segments), (78, 2));
    }

    #[test]
    fn empty_text_has_no_segment() {
        assert_eq!(seg(""), (Encoding::Gsm7, 0, 0));
    }

    #[test]
    fn typographic_characters_are_replaced_and_the_others_kept() {
        let text = "C\u{2019}est non \u{ab}\u{a0}stop\u{a0}\u{bb}\u{2026} \u{ea}tre \u{1f600}";
        assert_eq!(with_gsm7_replacements(text), "C'est non \" stop \"... \u{ea}tre \u{1f600}");
        assert_eq!(with_gsm7_replacements("C'est non."), "C'est non.");
    }
}
