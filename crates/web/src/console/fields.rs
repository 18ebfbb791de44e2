//! A refused form, field by field: what the visitor typed (given back in
//! the field) and why, in words, next to the field. The settings' readers
//! say what is wrong at a key path (`daily_cap: not a decimal number`) for
//! operators; a page never shows that: each key is mapped to its field and
//! a sentence of [`T`].

use antirelou_settings::Problem;
use maud::{html, Markup};

use super::i18n::{Lang, T};

/// A refused form: the typed values and the fields' problems.
#[derive(Default, Debug)]
pub struct Refusal {
    typed: Vec<(&'static str, String)>,
    errors: Vec<(&'static str, T)>,
}

impl Refusal {
    /// Remembers what was typed in `field`.
    pub fn typed(mut self, field: &'static str, value: Option<&str>) -> Refusal {
        if let Some(value) = value {
            self.typed.push((field, value.to_owned()));
        }
        self
    }

    /// The refusal of `problems` (the settings' own).
    pub fn with_problems(mut self, problems: &[Problem]) -> Refusal {
        for problem in problems {
            let (field, words) = words(problem);
            if !self.errors.iter().any(|(f, _)| *f == field) {
                self.errors.push((field, words));
            }
        }
        self
    }

    /// Whether a field was refused (else the form only comes back with a draft).
    pub fn refused(&self) -> bool {
        !self.errors.is_empty()
    }

    /// What was typed in `field`, if the form was refused.
    pub fn value(&self, field: &str) -> Option<&str> {
        self.typed.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())
    }

    /// Why `field` was refused, if it was.
    pub fn error(&self, field: &str) -> Option<T> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, t)| *t)
    }
}

/// The form field (its `name`) a settings problem is about, and why in
/// words. A key no form has reads as a general refusal (`""`).
pub fn words(problem: &Problem) -> (&'static str, T) {
    let reason = problem.reason.as_str();
    match problem.key.as_str() {
        "daily_cap" if reason.contains("more than zero") => ("daily_cap", T::CapNotPositive),
        "daily_cap" => ("daily_cap", T::AmountInvalid),
        "max_replies_per_minute" => ("max_replies_per_minute", T::WholeNumberNeeded),
        "shield.trigger_per_minute" => ("trigger_per_minute", T::WholeNumberNeeded),
        "reply" if reason.contains("segments") => ("reply", T::TooManySegments),
        "reply" => ("reply", T::ReplyEmpty),
        _ => ("", T::ValueRefused),
    }
}

/// The id of the paragraph that says why `field_id` was refused.
pub fn error_id(field_id: &str) -> String {
    format!("{field_id}-error")
}

/// The paragraph beside a field saying why it was refused (nothing when it
/// was not). The field points at it with `aria-describedby`.
pub fn error(lang: Lang, field_id: &str, why: Option<T>) -> Markup {
    html! {
        @if let Some(why) = why {
            p.field-error id=(error_id(field_id)) role="alert" { (why.get(lang)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(key: &str, reason: &str) -> Problem {
        Problem { key: key.to_owned(), reason: reason.to_owned() }
    }

    #[test]
    fn a_key_path_becomes_its_field_and_a_sentence_in_both_languages() {
        let refusal = Refusal::default().typed("daily_cap", Some("beaucoup")).with_problems(&[
            problem("daily_cap", "not a decimal number: \"beaucoup\""),
            problem("shield.trigger_per_minute", "must be at least 1"),
        ]);
        assert_eq!(refusal.value("daily_cap"), Some("beaucoup"));
        assert_eq!(refusal.error("daily_cap"), Some(T::AmountInvalid));
        assert_eq!(refusal.error("trigger_per_minute"), Some(T::WholeNumberNeeded));
        assert_eq!(refusal.error("reply"), None);
        for lang in Lang::ALL {
            let shown = error(lang, "daily-cap", refusal.error("daily_cap")).into_string();
            assert!(!shown.contains("daily_cap"), "{shown}");
        }
    }
}
