//! `tenants[].numbers[].voice`: how a number answers a call.

use super::*;

fn with_voice(voice: &str) -> String {
    config(HEAD, &format!("{PARIS}voice = {voice}\n"), LYON)
}

#[test]
fn voice_is_read_with_its_defaults_and_its_reservation_of_every_started_minute() {
    let settings = load(&with_voice(r#"{ say = "Bonjour. Non, c'est non.", price_per_minute = "0.02" }"#)).unwrap();
    let voice = settings.tenants[0].numbers[0].voice.as_ref().expect("paris answers calls");
    assert_eq!(
        (voice.say.as_str(), voice.language.as_str(), voice.max_seconds),
        ("Bonjour. Non, c'est non.", "fr-FR", 30)
    );
    assert_eq!(voice.call_reservation, Money::parse("0.02").unwrap());
    assert!(settings.tenants[1].numbers[0].voice.is_none(), "lyon rejects calls");
    let long = with_voice(r#"{ say = "Hello.", language = "en-GB", price_per_minute = "0.02", max_seconds = 61 }"#);
    let voice = load(&long).unwrap().tenants[0].numbers[0].voice.clone().unwrap();
    assert_eq!((voice.language.as_str(), voice.call_reservation), ("en-GB", Money::parse("0.04").unwrap()));
}

#[test]
fn a_message_too_long_to_say_in_max_seconds_is_refused_at_say() {
    let say = "Bonjour. Vous avez mis mal à l'aise la personne qui vous a donné ce numéro. ".repeat(3);
    let text = with_voice(&format!(r#"{{ say = "{say}", price_per_minute = "0.02", max_seconds = 10 }}"#));
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "tenants[0].numbers[0].voice.say");
    assert!(found[0].reason.contains("too long to say in max_seconds = 10"), "{}", found[0].reason);
    let fits = with_voice(&format!(r#"{{ say = "{say}", price_per_minute = "0.02", max_seconds = 60 }}"#));
    assert!(load(&fits).is_ok());
}

#[test]
fn bad_voice_values_are_problems_at_their_keys() {
    let text = with_voice(r#"{ say = "  ", language = "français", price_per_minute = 0.02, max_seconds = 601 }"#);
    let found = problems(&text);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "tenants[0].numbers[0].voice.say",
            "tenants[0].numbers[0].voice.language",
            "tenants[0].numbers[0].voice.price_per_minute",
            "tenants[0].numbers[0].voice.max_seconds"
        ]
    );
}
