//! [`Check`]: what one load has found so far: the problems (every refused
//! value, at its key path), the warnings, the values that must be unique
//! across the whole file, and the environment secrets are read from.

use std::collections::HashMap;

use antirelou_domain::SenderHasher;

use crate::env::Env;
use crate::error::Problem;

/// Where a configuration comes from: some rules (the public demo keys) depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// An operator's file or text.
    File,
    /// The built-in demo (`DEMO_TOML`).
    Demo,
}

/// The state of one load.
pub(crate) struct Check<'e> {
    env: &'e Env,
    origin: Origin,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    /// Values that must be unique, by group and value: the key that used it first.
    first_use: HashMap<(&'static str, String), String>,
    /// The hasher of `privacy.sender_key`, once read: block lists need it.
    hasher: Option<SenderHasher>,
    /// Every `(heading, key)` read, when describing the schema instead of loading.
    described: Option<Vec<(&'static str, &'static str)>>,
}

impl<'e> Check<'e> {
    pub(crate) fn new(env: &'e Env, origin: Origin) -> Check<'e> {
        Check {
            env,
            origin,
            problems: Vec::new(),
            warnings: Vec::new(),
            first_use: HashMap::new(),
            hasher: None,
            described: None,
        }
    }

    /// A check that reads empty tables and records every key declarations
    /// ask for, nested tables and every variant included.
    pub(crate) fn describing(env: &'e Env) -> Check<'e> {
        Check { described: Some(Vec::new()), ..Check::new(env, Origin::File) }
    }

    pub(crate) fn env(&self) -> &'e Env {
        self.env
    }

    pub(crate) fn origin(&self) -> Origin {
        self.origin
    }

    pub(crate) fn problem(&mut self, key: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem::new(key, reason));
    }

    /// A value that is accepted but probably wrong: loading succeeds and says so.
    pub(crate) fn warn(&mut self, key: impl Into<String>, reason: impl Into<String>) {
        self.warnings.push(Problem::new(key, reason));
    }

    /// The value, or `None` once its refusal is recorded at `key`.
    pub(crate) fn accept<T>(&mut self, key: &str, read: Result<T, String>) -> Option<T> {
        match read {
            Ok(value) => Some(value),
            Err(reason) => {
                self.problem(key, reason);
                None
            }
        }
    }

    /// Registers `value` in `group` for `key`; if another key used it
    /// first, returns that key and registers nothing.
    pub(crate) fn first_use(&mut self, group: &'static str, value: &str, key: &str) -> Option<String> {
        match self.first_use.get(&(group, value.to_owned())) {
            Some(first) => Some(first.clone()),
            None => {
                self.first_use.insert((group, value.to_owned()), key.to_owned());
                None
            }
        }
    }

    pub(crate) fn set_hasher(&mut self, hasher: SenderHasher) {
        self.hasher = Some(hasher);
    }

    /// The hasher of `privacy.sender_key`; without a valid key, a stand-in,
    /// so that block lists are still checked (their hashes are then discarded).
    pub(crate) fn hasher(&self) -> SenderHasher {
        self.hasher.clone().unwrap_or_else(|| SenderHasher::new(b"no valid privacy.sender_key"))
    }

    pub(crate) fn problem_count(&self) -> usize {
        self.problems.len()
    }

    /// Inserts `problems` at position `at` (a table's unknown keys go first).
    pub(crate) fn insert_problems(&mut self, at: usize, problems: Vec<Problem>) {
        let at = at.min(self.problems.len());
        self.problems.splice(at..at, problems);
    }

    /// The problem of a key its table does not know, with a suggestion when a
    /// known key is close, and the variable when an override set it.
    pub(crate) fn unknown_key(&self, table: &str, name: &str, known: &[&str]) -> Problem {
        let key = join(table, name);
        let mut reason = "unknown key".to_owned();
        if let Some(close) = closest(name, known) {
            reason.push_str(&format!(" (did you mean \"{close}\"?)"));
        }
        if let Some(var) = self.env.variable_for(&key) {
            reason.push_str(&format!(", set by environment variable {var}"));
        }
        Problem::new(key, reason)
    }

    pub(crate) fn is_describing(&self) -> bool {
        self.described.is_some()
    }

    pub(crate) fn describe(&mut self, heading: &'static str, key: &'static str) {
        if let Some(described) = &mut self.described {
            if !described.contains(&(heading, key)) {
                described.push((heading, key));
            }
        }
    }

    /// The problems and the warnings.
    pub(crate) fn finish(self) -> (Vec<Problem>, Vec<Problem>) {
        (self.problems, self.warnings)
    }

    /// Every `(heading, key)` recorded while describing.
    pub(crate) fn described(self) -> Vec<(&'static str, &'static str)> {
        self.described.unwrap_or_default()
    }
}

/// `table.name`, or `name` at the top level.
pub(crate) fn join(table: &str, name: &str) -> String {
    if table.is_empty() {
        name.to_owned()
    } else {
        format!("{table}.{name}")
    }
}

/// `list[index]`.
pub(crate) fn index(list: &str, index: usize) -> String {
    format!("{list}[{index}]")
}

/// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
pub(crate) fn one_of(labels: &[&str]) -> String {
    let quoted: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The known key nearest to a misspelt one, if it is near enough to be a typo.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (name.chars().count() / 3).max(2);
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_a_suggestion_and_strangers_do_not() {
        let known = ["price_per_segment", "inbound_price", "daily_cap"];
        assert_eq!(closest("price_per_segmnt", &known), Some("price_per_segment"));
        assert_eq!(closest("daily_cpa", &known), Some("daily_cap"));
        assert_eq!(closest("colour", &known), None);
    }

    #[test]
    fn labels_are_listed_in_words() {
        assert_eq!(one_of(&["embedded", "redis"]), "\"embedded\" or \"redis\"");
        assert_eq!(one_of(&["a", "b", "c"]), "\"a\", \"b\" or \"c\"");
        assert_eq!(one_of(&["only"]), "\"only\"");
    }

    #[test]
    fn a_value_used_twice_names_its_first_key() {
        let env = Env::default();
        let mut check = Check::new(&env, Origin::File);
        assert_eq!(check.first_use("token", "t", "server.operator_token"), None);
        assert_eq!(check.first_use("token", "t", "tenants[0].admin_token"), Some("server.operator_token".to_owned()));
        assert_eq!(check.first_use("number", "t", "tenants[0].numbers[0].number"), None);
    }

    #[test]
    fn unknown_keys_go_before_the_problems_of_their_table() {
        let env = Env::default();
        let mut check = Check::new(&env, Origin::File);
        check.problem("a", "first");
        let mark = check.problem_count();
        check.problem("t.b", "required");
        check.insert_problems(mark, vec![check.unknown_key("t", "c", &["b"])]);
        let keys: Vec<String> = check.finish().0.into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["a", "t.c", "t.b"]);
    }
}
