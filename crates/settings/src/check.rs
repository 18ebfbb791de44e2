//! [`Check`]: walks the raw tree, turns each value into its typed form, and
//! records a [`Problem`] at its key path for every value it refuses, so one
//! run reports every mistake.

use crate::env::Env;
use crate::error::Problem;
use crate::node::Node;
use crate::raw::Unknown;

/// The problems found so far, and the environment secrets are read from.
pub(crate) struct Check<'e> {
    env: &'e Env,
    problems: Vec<Problem>,
}

impl<'e> Check<'e> {
    pub(crate) fn new(env: &'e Env) -> Check<'e> {
        Check { env, problems: Vec::new() }
    }

    pub(crate) fn env(&self) -> &'e Env {
        self.env
    }

    pub(crate) fn problem(&mut self, key: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem::new(key, reason));
    }

    pub(crate) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// A key that must be set.
    pub(crate) fn required<T>(
        &mut self,
        key: &str,
        node: Option<Node>,
        read: impl FnOnce(Node) -> Result<T, String>,
    ) -> Option<T> {
        match node {
            None | Some(Node::Nil) => {
                self.problem(key, "required");
                None
            }
            Some(node) => self.read(key, node, read),
        }
    }

    /// A key that may be left out: `Some(None)` when absent, `None` when refused.
    pub(crate) fn optional<T>(
        &mut self,
        key: &str,
        node: Option<Node>,
        read: impl FnOnce(Node) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match node {
            None | Some(Node::Nil) => Some(None),
            Some(node) => self.read(key, node, read).map(Some),
        }
    }

    /// A key with a default.
    pub(crate) fn or<T>(
        &mut self,
        key: &str,
        node: Option<Node>,
        default: T,
        read: impl FnOnce(Node) -> Result<T, String>,
    ) -> Option<T> {
        self.optional(key, node, read).map(|value| value.unwrap_or(default))
    }

    fn read<T>(&mut self, key: &str, node: Node, read: impl FnOnce(Node) -> Result<T, String>) -> Option<T> {
        match read(node) {
            Ok(value) => Some(value),
            Err(reason) => {
                self.problem(key, reason);
                None
            }
        }
    }

    /// One problem per key the table does not know, with a suggestion when a
    /// known key is close, and the variable when an override set it.
    pub(crate) fn unknown_keys(&mut self, table: &str, unknown: &Unknown, known: &[&str]) {
        for name in unknown.keys() {
            let key = join(table, name);
            let mut reason = "unknown key".to_owned();
            if let Some(close) = closest(name, known) {
                reason.push_str(&format!(" (did you mean \"{close}\"?)"));
            }
            if let Some(var) = self.env.variable_for(&key) {
                reason.push_str(&format!(", set by environment variable {var}"));
            }
            self.problem(key, reason);
        }
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
    fn every_refused_value_is_a_problem_at_its_key() {
        let env = Env::default();
        let mut check = Check::new(&env);
        assert_eq!(check.required("a.b", None, crate::node::text), None);
        assert_eq!(check.or("a.c", Some(Node::Text("x".into())), 3u32, crate::node::whole::<u32>), None);
        assert_eq!(check.or("a.d", None, 3u32, crate::node::whole::<u32>), Some(3));
        assert_eq!(check.optional("a.e", None, crate::node::text), Some(None));
        let keys: Vec<String> = check.into_problems().into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["a.b", "a.c"]);
    }
}
