//! What can go wrong while loading settings, and the one-line [`Problem`]s
//! that validation collects.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with the configuration (or, in [`Settings::warnings`],
/// probably wrong) at an exact key path such as
/// `tenants[1].numbers[0].price_per_segment`; also what is wrong with a
/// [`NumberPatch`](crate::NumberPatch), at its key path (`shield.hold`).
///
/// [`Settings::warnings`]: crate::Settings::warnings
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path with list indexes (`ledger.redis_url`,
    /// `tenants[0].blocklist[2]`); for a malformed environment override, the
    /// variable's name.
    pub key: String,
    /// Why the value was refused, in words an operator can act on.
    pub reason: String,
}

impl Problem {
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Problem {
        Problem { key: key.into(), reason: reason.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.key, self.reason)
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read at all. The message includes the OS error,
    /// since callers print it alone.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not TOML (the text names the line and column).
    #[error("cannot parse configuration: {0}")]
    Parse(String),
    /// The file is TOML but some values are wrong: every problem, one per line.
    #[error("{}", lines(.0))]
    Invalid(Vec<Problem>),
}

impl SettingsError {
    /// The problems of an [`SettingsError::Invalid`], empty for the other kinds.
    pub fn problems(&self) -> &[Problem] {
        match self {
            SettingsError::Invalid(problems) => problems,
            _ => &[],
        }
    }
}

fn lines(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_settings_display_one_problem_per_line() {
        let error = SettingsError::Invalid(vec![
            Problem::new("ledger.currency", "expected three uppercase letters"),
            Problem::new("tenants", "at least one tenant is required"),
        ]);
        assert_eq!(
            error.to_string(),
            "ledger.currency: expected three uppercase letters\ntenants: at least one tenant is required"
        );
        assert_eq!(error.problems().len(), 2);
    }
}
