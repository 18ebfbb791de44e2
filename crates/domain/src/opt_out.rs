//! Opt-out keywords: a sender who texts STOP (or ARRET, ARRÊT, STOP SMS,
//! UNSUBSCRIBE), alone in the message, is never answered again. Case,
//! accents, surrounding spaces and punctuation are folded before comparing.

/// The keywords, already folded (uppercase ASCII, single spaces).
pub const OPT_OUT_KEYWORDS: [&str; 4] = ["STOP", "ARRET", "STOP SMS", "UNSUBSCRIBE"];

/// Whether `body` asks to stop: one of [`OPT_OUT_KEYWORDS`] once folded.
pub fn is_opt_out(body: &str) -> bool {
    // Longer texts are not a keyword; skip folding them (bounded work).
    if body.len() > 64 {
        return false;
    }
    let folded = fold(body);
    OPT_OUT_KEYWORDS.contains(&folded.as_str())
}

/// Uppercase, accents removed, runs of whitespace as one space, leading and
/// trailing whitespace and punctuation (`.`, `!`, `?`, quotes) removed.
fn fold(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut space = false;
    for c in body.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(base_letter(c).to_ascii_uppercase());
    }
    out.trim_matches(|c: char| matches!(c, '.' | '!' | '?' | '"' | '\'' | ' ')).to_owned()
}

/// The unaccented letter of common Latin accented letters (French first).
fn base_letter(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'À' | 'Â' | 'Ä' | 'Á' | 'Ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'î' | 'ï' | 'í' | 'ì' | 'Î' | 'Ï' | 'Í' | 'Ì' => 'i',
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' | 'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' => 'o',
        'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        c => c,
    }
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
    fn keywords_inside_a_sentence_or_alike_words_do_not_count() {
        for no in ["", "stop it", "please stop", "STOPP", "ARRETE", "arrête de m'écrire", "STOP SMS NOW", "s t o p"] {
            assert!(!is_opt_out(no), "{no:?}");
        }
        assert!(!is_opt_out(&"stop ".repeat(40)));
    }
}
