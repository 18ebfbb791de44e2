//! Opt-out keywords: a sender who texts STOP (or ARRET, ARRÊT, STOP SMS,
//! UNSUBSCRIBE), alone in the message, is never answered again.
//!
//! A phone writes the same word many ways: an accent as one character or as
//! a letter followed by a combining mark, letters in full width (`ＳＴＯＰ`),
//! a zero-width space pasted in. Before comparing, a message is folded:
//! Unicode compatibility normalisation (NFKC: full-width and other
//! compatibility forms become plain letters), case folding, accents removed
//! (canonical decomposition, then every combining mark dropped), invisible
//! characters dropped (Unicode's `Default_Ignorable_Code_Point`: zero-width
//! spaces and joiners, direction marks, variation selectors, soft hyphens),
//! runs of whitespace as one space, and surrounding spaces and punctuation
//! trimmed.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The keywords, already folded (lowercase ASCII, single spaces).
pub const OPT_OUT_KEYWORDS: [&str; 4] = ["stop", "arret", "stop sms", "unsubscribe"];

/// Longer messages are not a keyword, however many invisible characters
/// they carry: they are not folded (bounded work). 256 bytes hold a keyword
/// written in full width with marks and spaces around it.
pub const MAX_OPT_OUT_BYTES: usize = 256;

/// Whether `body` asks to stop: one of [`OPT_OUT_KEYWORDS`] once folded.
pub fn is_opt_out(body: &str) -> bool {
    if body.len() > MAX_OPT_OUT_BYTES {
        return false;
    }
    let folded = fold(body);
    OPT_OUT_KEYWORDS.contains(&folded.as_str())
}

/// The folding of the module doc.
fn fold(body: &str) -> String {
    let lowered: String = body.nfkc().flat_map(char::to_lowercase).collect();
    let mut out = String::with_capacity(lowered.len());
    let mut space = false;
    for c in lowered.nfd() {
        if is_combining_mark(c) || is_default_ignorable(c) {
            continue;
        }
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out.trim_matches(|c: char| matches!(c, '.' | '!' | '?' | '"' | '\'' | ' ')).to_owned()
}

/// Unicode's `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt,
/// Unicode 15.1): characters a phone shows as nothing.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x061C
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_whatever_their_case_accents_and_spacing() {
        for yes in [
            "STOP",
            "stop",
            " Stop ",
            "ARRET",
            "arrêt",
            "ARRÊT",
            "Arrêt !",
            "stop  sms",
            "STOP SMS",
            "unsubscribe",
            "Stop.",
        ] {
            assert!(is_opt_out(yes), "{yes:?}");
        }
    }

    #[test]
    fn keywords_written_with_marks_full_width_or_invisible_characters_match() {
        for yes in [
            "ARRE\u{0301}T",
            "arre\u{0302}t",
            "ＳＴＯＰ",
            "ｓｔｏｐ　ｓｍｓ",
            "STOP\u{200B}",
            "\u{FEFF}STOP",
            "S\u{200D}T\u{200C}O\u{2060}P",
            "ST\u{00AD}OP",
            "\u{202E}STOP\u{202C}",
            "STOP\u{FE0F}",
            "ＡＲＲÊＴ！",
            "UNSUBSCRİBE",
        ] {
            assert!(is_opt_out(yes), "{yes:?}");
        }
    }

    #[test]
    fn keywords_inside_a_sentence_or_alike_words_do_not_count() {
        for no in ["", "stop it", "please stop", "STOPP", "ARRETE", "arrête de m'écrire", "STOP SMS NOW", "s t o p"] {
            assert!(!is_opt_out(no), "{no:?}");
        }
        assert!(!is_opt_out(&"stop ".repeat(40)));
        assert!(!is_opt_out(&format!("STOP{}", "\u{200B}".repeat(100))), "over the byte bound");
    }
}
