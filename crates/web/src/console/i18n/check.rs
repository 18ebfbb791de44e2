//! The two `.ftl` files and [`T`] agree: every text has a message in both
//! languages with the same variables, and no message is left unused.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};

use super::*;

fn inline_variables<'s>(expression: &InlineExpression<&'s str>, found: &mut BTreeSet<&'s str>) {
    match expression {
        InlineExpression::VariableReference { id } => {
            found.insert(id.name);
        }
        InlineExpression::Placeable { expression } => expression_variables(expression, found),
        InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                inline_variables(argument, found);
            }
        }
        _ => {}
    }
}

fn expression_variables<'s>(expression: &Expression<&'s str>, found: &mut BTreeSet<&'s str>) {
    match expression {
        Expression::Inline(inline) => inline_variables(inline, found),
        Expression::Select { selector, variants } => {
            inline_variables(selector, found);
            for variant in variants {
                pattern_variables(&variant.value, found);
            }
        }
    }
}

fn pattern_variables<'s>(pattern: &Pattern<&'s str>, found: &mut BTreeSet<&'s str>) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expression_variables(expression, found);
        }
    }
}

/// Each message of `lang`'s file and its variables.
fn messages(lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
    let resource = fluent_syntax::parser::parse(source(lang)).expect("the .ftl file parses");
    let mut messages = BTreeMap::new();
    for entry in &resource.body {
        if let Entry::Message(message) = entry {
            let mut found = BTreeSet::new();
            if let Some(value) = &message.value {
                pattern_variables(value, &mut found);
            }
            let variables = found.into_iter().map(str::to_owned).collect();
            assert!(messages.insert(message.id.name.to_owned(), variables).is_none(), "{} twice", message.id.name);
        }
    }
    messages
}

#[test]
fn every_text_has_a_message_in_both_languages_with_the_same_variables_and_none_is_unused() {
    let french = messages(Lang::Fr);
    let english = messages(Lang::En);
    let ids: BTreeSet<&str> = T::ALL.iter().map(|t| t.id()).collect();
    assert_eq!(ids.len(), T::ALL.len(), "two texts share an id");
    for text in T::ALL {
        let fr = french.get(text.id()).unwrap_or_else(|| panic!("{text:?} ({}) missing in fr.ftl", text.id()));
        let en = english.get(text.id()).unwrap_or_else(|| panic!("{text:?} ({}) missing in en.ftl", text.id()));
        assert_eq!(fr, en, "{text:?} has other variables in French and English");
        if fr.is_empty() {
            for lang in Lang::ALL {
                assert!(!text.get(lang).is_empty(), "{text:?} in {lang:?}");
            }
        }
    }
    for (lang, messages) in [(Lang::Fr, &french), (Lang::En, &english)] {
        let unused: Vec<&String> = messages.keys().filter(|id| !ids.contains(id.as_str())).collect();
        assert!(unused.is_empty(), "{lang:?}: messages no page names: {unused:?}");
    }
    assert_ne!(T::SignIn.get(Lang::Fr), T::SignIn.get(Lang::En));
    assert_eq!(T::SwitchLanguage.get(Lang::Fr), T::LanguageName.get(Lang::En));
}

#[test]
fn counts_take_each_language_s_plural_form() {
    assert_eq!(T::ReplySent.count(Lang::Fr, 0), "0\u{a0}réponse envoyée");
    assert_eq!(T::ReplySent.count(Lang::Fr, 1), "1\u{a0}réponse envoyée");
    assert_eq!(T::ReplySent.count(Lang::Fr, 2), "2\u{a0}réponses envoyées");
    assert_eq!(T::ReplySent.count(Lang::En, 0), "0\u{a0}replies sent");
    assert_eq!(T::ReplySent.count(Lang::En, 1), "1\u{a0}reply sent");
    assert_eq!(T::ReplySent.count(Lang::En, 1500), "1500\u{a0}replies sent");
}
