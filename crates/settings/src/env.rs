//! The environment, read once per load: `ANTIRELOU__SECTION__KEY` overrides
//! and the variables that `{ env = "NAME" }` secrets name.
//!
//! Overrides go through [`EnvOverrides`], a `config` source. It differs from
//! `config::Environment` in one way: a numeric segment is a list index, so
//! `ANTIRELOU__TENANTS__0__NUMBERS__1__PAUSED=true` sets
//! `tenants[0].numbers[1].paused` instead of replacing the `tenants` list with
//! a table. Values always stay strings (no `try_parsing`): the validator turns
//! `"30"` into a number where a key wants one, and `"100.00"` stays an exact
//! amount instead of becoming a float.

use std::collections::BTreeMap;

use config::{ConfigError, Map, Source, Value, ValueKind};

use crate::error::Problem;

/// Prefix of every override variable (followed by the `__` separator).
pub const ENV_PREFIX: &str = "ANTIRELOU";
/// Separator between the prefix, sections, keys and list indexes.
pub const ENV_SEPARATOR: &str = "__";

/// A list index above this in an override is refused (it would pad the list
/// with that many empty entries).
const MAX_ENV_INDEX: usize = 999;

/// A snapshot of environment variables.
#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
    vars: BTreeMap<String, String>,
}

/// One `ANTIRELOU__...` variable and the key path it sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Override {
    pub var: String,
    pub key: String,
    pub value: String,
}

impl Env {
    /// The process environment (variables that are not valid Unicode are skipped).
    pub(crate) fn from_process() -> Env {
        let vars =
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
        Env { vars }
    }

    pub(crate) fn from_pairs<I, K, V>(pairs: I) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The overrides, and a problem for each `ANTIRELOU__` variable whose name
    /// is not a key path. Empty values are treated as unset.
    pub(crate) fn overrides(&self) -> (Vec<Override>, Vec<Problem>) {
        let mut overrides = Vec::new();
        let mut problems = Vec::new();
        for (var, value) in &self.vars {
            let Some(rest) = strip_prefix(var) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            match override_key(rest) {
                Ok(key) => overrides.push(Override { var: var.clone(), key, value: value.clone() }),
                Err(reason) => problems.push(Problem::new(var.clone(), reason)),
            }
        }
        (overrides, problems)
    }

    /// The variable that set `key`, if an override did.
    pub(crate) fn variable_for(&self, key: &str) -> Option<String> {
        self.overrides().0.into_iter().find(|o| o.key == key).map(|o| o.var)
    }
}

/// `ANTIRELOU__` (any case) removed, or `None` when the variable is not an override.
fn strip_prefix(var: &str) -> Option<&str> {
    let prefix_len = ENV_PREFIX.len() + ENV_SEPARATOR.len();
    let head = var.get(..prefix_len)?;
    let expected = format!("{ENV_PREFIX}{ENV_SEPARATOR}");
    head.eq_ignore_ascii_case(&expected).then(|| &var[prefix_len..])
}

/// `TENANTS__0__MONTHLY_CAP` → `tenants[0].monthly_cap`.
fn override_key(rest: &str) -> Result<String, String> {
    let mut key = String::new();
    for segment in rest.split(ENV_SEPARATOR) {
        let valid = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(format!(
                "not a key path: use {ENV_PREFIX}{ENV_SEPARATOR}SECTION{ENV_SEPARATOR}KEY, \
                 with list indexes as numbers (e.g. {ENV_PREFIX}__TENANTS__0__MONTHLY_CAP)"
            ));
        }
        let segment = segment.to_ascii_lowercase();
        if !key.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            match segment.parse::<usize>() {
                Ok(index) if index <= MAX_ENV_INDEX => key.push_str(&format!("[{index}]")),
                _ => return Err(format!("list index {segment} is too large")),
            }
        } else {
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(&segment);
        }
    }
    Ok(key)
}

/// A `config` source holding the overrides of one load.
#[derive(Clone, Debug)]
pub(crate) struct EnvOverrides(pub Vec<Override>);

impl Source for EnvOverrides {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, ConfigError> {
        Ok(self
            .0
            .iter()
            .map(|o| {
                let origin = format!("environment variable {}", o.var);
                (o.key.clone(), Value::new(Some(&origin), ValueKind::String(o.value.clone())))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_names_become_key_paths_with_list_indexes() {
        assert_eq!(override_key("SERVER__LISTEN"), Ok("server.listen".to_owned()));
        assert_eq!(override_key("TENANTS__0__NUMBERS__12__PAUSED"), Ok("tenants[0].numbers[12].paused".to_owned()));
        assert_eq!(override_key("PRIVACY__SENDER_KEY__FILE"), Ok("privacy.sender_key.file".to_owned()));
        assert!(override_key("SERVER____LISTEN").is_err());
        assert!(override_key("TENANTS__100000__ID").is_err());
    }

    #[test]
    fn only_double_underscore_prefixed_variables_are_overrides() {
        let env = Env::from_pairs([
            ("ANTIRELOU__SERVER__LISTEN", "0.0.0.0:9000"),
            ("antirelou__log__level", "debug"),
            ("ANTIRELOU_SENDER_KEY", "a secret, not an override"),
            ("ANTIRELOU__LEDGER__MONTHLY_CAP", ""),
            ("PATH", "/usr/bin"),
        ]);
        let (overrides, problems) = env.overrides();
        let keys: Vec<&str> = overrides.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["server.listen", "log.level"]);
        assert!(problems.is_empty());
        assert_eq!(env.variable_for("log.level").as_deref(), Some("antirelou__log__level"));
    }
}
