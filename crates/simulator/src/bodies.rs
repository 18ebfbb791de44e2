//! What simulated senders write. The engine reads bodies in memory (STOP,
//! keyed text fingerprints), so the traffic must write like people do:
//! attackers copy-paste a handful of insult templates with small
//! variations (or one campaign text exactly), genuine senders write short,
//! varied texts, and the indistinguishable case is random words for
//! everyone. Every function draws from the caller's seeded generator, so a
//! seed gives the same texts.

use rand::seq::SliceRandom;
use rand::Rng;

/// The insults a forum hands round for copy-paste (flood-2017's attackers).
pub const ATTACK_TEMPLATES: [&str; 6] = [
    "t'es qu'une menteuse, donne ton vrai numero",
    "on sait que c'est un faux numero, reponds",
    "ce numero va sauter ce soir, preparez vous",
    "reponds ou on continue toute la nuit",
    "les relous vous saluent, bon courage pour payer",
    "feministes de mes deux, on va vider votre caisse",
];

/// Campaign texts posted once on a forum and pasted exactly, character
/// for character.
pub const CAMPAIGN_TEXTS: [&str; 2] = [
    "OPERATION ANTI-RELOU : envoyez ce message au numero, chaque SMS leur coute 16 centimes. Partagez !",
    "Ce numero est une arnaque feministe. Faites tourner, on le fait tomber avant minuit.",
];

/// What a sender may add to a pasted template.
const ATTACK_SUFFIXES: [&str; 6] = [" !!", " ?", " lol", " mdr", " 😂", " ..."];

const GENUINE_OPENINGS: [&str; 8] = ["", "", "Salut ", "Bonjour ", "Coucou ", "Hello ", "Re ", "Euh "];

const GENUINE_MIDDLES: [&str; 24] = [
    "c'etait sympa de discuter ce soir",
    "tu es bien rentree ?",
    "on se revoit samedi ?",
    "c'est Karim, du bar",
    "je voulais m'excuser pour tout a l'heure",
    "tu as oublie ton echarpe au comptoir",
    "c'est bien ton numero ?",
    "on pourrait aller boire un verre un de ces jours",
    "je suis le gars de la soiree chez Lea",
    "desole si j'ai insiste",
    "tu m'as donne ce numero au concert",
    "t'as vu le match hier ?",
    "je passe dans ton quartier demain",
    "j'ai trouve ton insta, c'est toi ?",
    "on a pris le meme metro ce matin",
    "tu fais quoi ce week-end ?",
    "je t'ai ajoutee sur snap",
    "c'est Julien, on s'est vus a la fac",
    "j'espere que je te derange pas",
    "ton amie m'a dit de t'ecrire",
    "t'etais la plus jolie de la soiree",
    "je peux te rappeler ?",
    "c'etait pour le livre que tu voulais",
    "bien arrivee a la maison ?",
];

const GENUINE_ENDINGS: [&str; 9] = ["", "", "", " :)", " ;)", " bisous", " bonne soiree", "!", " ?"];

/// What a genuine sender writes next when nobody answered.
const GENUINE_FOLLOW_UPS: [&str; 12] = [
    "t'as eu mon message ?",
    "allo ?",
    "pourquoi tu reponds pas",
    "??",
    "je sais que tu lis",
    "c'etait pas mechant hein",
    "bon tant pis",
    "repond stp",
    "je reessaie au cas ou",
    "t'es fachee ?",
    "juste un mot",
    "ok...",
];

/// Words for random texts (the indistinguishable case).
const WORDS: [&str; 40] = [
    "le", "la", "un", "une", "et", "tu", "je", "on", "pas", "ce", "soir", "demain", "numero", "message", "vite",
    "encore", "jamais", "toujours", "bien", "mal", "moi", "toi", "rue", "metro", "verre", "bar", "fete", "ami", "amie",
    "temps", "pluie", "chat", "chien", "film", "code", "appel", "photo", "ville", "train", "velo",
];

/// A template as an attacker pastes it: exactly half the time, otherwise
/// with one small change (a capital, a suffix, a doubled letter, a number).
pub fn attack_text(rng: &mut impl Rng, template: usize) -> String {
    let base = ATTACK_TEMPLATES[template % ATTACK_TEMPLATES.len()];
    if rng.gen_bool(0.5) {
        return base.to_owned();
    }
    match rng.gen_range(0..4) {
        0 => capitalised(base),
        1 => format!("{base}{}", ATTACK_SUFFIXES.choose(rng).copied().unwrap_or_default()),
        2 => {
            // A doubled letter somewhere: "reponnds".
            let mut text = base.to_owned();
            let cut = rng.gen_range(0..text.len());
            if let Some((i, c)) = text.char_indices().find(|(i, c)| *i >= cut && c.is_ascii_alphabetic()) {
                text.insert(i, c);
            }
            text
        }
        _ => format!("{base} {}", rng.gen_range(1..100)),
    }
}

/// A campaign text, exactly as posted.
pub fn campaign_text(index: usize) -> &'static str {
    CAMPAIGN_TEXTS[index % CAMPAIGN_TEXTS.len()]
}

/// A genuine first message: short, varied.
pub fn genuine_text(rng: &mut impl Rng) -> String {
    let opening = GENUINE_OPENINGS.choose(rng).copied().unwrap_or_default();
    let middle = GENUINE_MIDDLES.choose(rng).copied().unwrap_or_default();
    let ending = GENUINE_ENDINGS.choose(rng).copied().unwrap_or_default();
    let middle = if opening.is_empty() && rng.gen_bool(0.5) { capitalised(middle) } else { middle.to_owned() };
    format!("{opening}{middle}{ending}")
}

/// A genuine sender's second, third... message.
pub fn genuine_follow_up(rng: &mut impl Rng) -> String {
    GENUINE_FOLLOW_UPS.choose(rng).copied().unwrap_or_default().to_owned()
}

/// Two to twelve random words: nothing in the text tells who wrote it.
pub fn random_text(rng: &mut impl Rng) -> String {
    let count = rng.gen_range(2..=12);
    let words: Vec<&str> = (0..count).map(|_| WORDS.choose(rng).copied().unwrap_or_default()).collect();
    words.join(" ")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn attackers_paste_few_templates_and_genuine_senders_write_varied_texts() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let attacks: Vec<String> = (0..1_000).map(|i| attack_text(&mut rng, i % 3)).collect();
        let genuine: Vec<String> = (0..1_000).map(|_| genuine_text(&mut rng)).collect();
        let distinct = |texts: &[String]| texts.iter().collect::<HashSet<_>>().len();
        // Small variations of three templates: half are the exact text.
        let exact = attacks.iter().filter(|t| ATTACK_TEMPLATES.contains(&t.as_str())).count();
        assert!((430..=570).contains(&exact), "half the pastes are exact: {exact}");
        assert!(distinct(&attacks) < 400, "{}", distinct(&attacks));
        let close = attacks.iter().all(|t| ATTACK_TEMPLATES[..3].iter().any(|base| is_variation_of(t, base)));
        assert!(close, "every variation keeps most of its template");
        assert!(distinct(&genuine) > 500, "{}", distinct(&genuine));
        assert!(attacks.iter().all(|t| !t.is_empty() && t.len() < 160));
        assert!(genuine.iter().all(|t| !t.is_empty() && t.len() < 160));
    }

    /// `text` is `base` with a capital, an addition at its end, or one doubled letter.
    fn is_variation_of(text: &str, base: &str) -> bool {
        let lower = text.to_lowercase();
        lower.starts_with(base)
            || text.char_indices().any(|(i, c)| {
                let mut without = text.to_owned();
                without.remove(i);
                c.is_alphabetic() && without == base
            })
    }

    #[test]
    fn the_same_seed_writes_the_same_texts() {
        let texts = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..50)
                .map(|i| format!("{}|{}|{}", attack_text(&mut rng, i), genuine_text(&mut rng), random_text(&mut rng)))
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(3), texts(3));
        assert_ne!(texts(3), texts(4));
    }
}
