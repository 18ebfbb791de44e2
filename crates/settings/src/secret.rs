//! [`Secret`]: a token or key that never prints, and the three ways to give
//! one in the configuration: a literal string, `{ env = "NAME" }` or
//! `{ file = "PATH" }`.

use std::fmt;
use std::io::Read as _;

use crate::check::Check;
use crate::env::Env;
use crate::node::Node;
use crate::table::{with_check, Read};

/// Minimum length of bearer tokens (`operator_token`, `admin_token`).
pub(crate) const MIN_TOKEN_BYTES: usize = 16;

/// A secret file larger than this is refused: secrets are short, and a
/// mistaken path (a log, `/dev/zero`) must not be read whole.
const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// A secret value. `Debug` and `Display` print `<redacted>`; read it with
/// [`Secret::expose`] only where it is used (and compare it in constant time).
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Reads a secret-capable value: the literal, the named variable, or the
/// file's content without its trailing newline. Empty is an error.
pub(crate) fn resolve(env: &Env, node: Node) -> Result<String, String> {
    let value = match node {
        Node::Text(literal) => literal,
        Node::Table(table) => {
            let mut entries = table.into_iter();
            match (entries.next(), entries.next()) {
                (Some((kind, Node::Text(name))), None) if kind == "env" => from_env(env, &name)?,
                (Some((kind, Node::Text(path))), None) if kind == "file" => from_file(&path)?,
                _ => return Err(shape_error("a table with other keys")),
            }
        }
        other => return Err(shape_error(&other.describe())),
    };
    if value.is_empty() {
        return Err("must not be empty".to_owned());
    }
    Ok(value)
}

/// A secret with at least `min_bytes` bytes (keys and bearer tokens).
pub(crate) fn resolve_strong(env: &Env, node: Node, min_bytes: usize) -> Result<Secret, String> {
    let value = resolve(env, node)?;
    if value.len() < min_bytes {
        return Err(format!("too short: at least {min_bytes} bytes are required, got {}", value.len()));
    }
    Ok(Secret(value))
}

/// Reader of a secret of any length (a provider's auth token).
pub(crate) fn secret() -> impl Read<Secret> {
    with_check(|check: &mut Check<'_>, key: &str, node: Node| {
        let value = resolve(check.env(), node).map(Secret);
        check.accept(key, value)
    })
}

/// Reader of a bearer token: at least [`MIN_TOKEN_BYTES`], random-looking
/// like a key (at least as many distinct characters: `aaaa…` or `abab…` is
/// refused), not the demo's outside the demo, and different from every
/// other token of the file (a tenant must never be able to act as another
/// tenant or as the operator). The token itself is never printed.
pub(crate) fn token() -> impl Read<Secret> {
    with_check(|check: &mut Check<'_>, key: &str, node: Node| {
        let token = resolve_strong(check.env(), node, MIN_TOKEN_BYTES).and_then(random_token);
        let token = check.accept(key, token)?;
        if check.origin() == crate::check::Origin::File && token.expose() == crate::demo::DEMO_ADMIN_TOKEN {
            check.problem(key, "this is the built-in demo's token, published with the source code: choose your own");
            return None;
        }
        if let Some(first) = check.first_use("token", token.expose(), key) {
            check.problem(
                key,
                format!("the same token as {first}: every admin_token and the operator_token must be different"),
            );
            return None;
        }
        Some(token)
    })
}

/// `token`, unless it is too repetitive to be random.
fn random_token(token: Secret) -> Result<Secret, String> {
    let distinct = token.0.chars().collect::<std::collections::BTreeSet<char>>().len();
    if distinct < crate::privacy::MIN_KEY_DISTINCT_CHARS {
        return Err(format!(
            "too weak: only {distinct} distinct characters, a token must be random (generate one with \
             `openssl rand -base64 24`)"
        ));
    }
    Ok(token)
}

/// A string secret such as a URL with a password: the literal, or the
/// content of `{ env }` / `{ file }`.
pub(crate) fn secret_text(read: fn(String) -> Result<String, String>) -> impl Read<String> {
    with_check(move |check: &mut Check<'_>, key: &str, node: Node| {
        let value = resolve(check.env(), node).and_then(read);
        check.accept(key, value)
    })
}

fn from_env(env: &Env, name: &str) -> Result<String, String> {
    match env.get(name) {
        None => Err(format!("environment variable {name} is not set")),
        Some("") => Err(format!("environment variable {name} is empty")),
        Some(value) => Ok(value.to_owned()),
    }
}

fn from_file(path: &str) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("cannot read secret file {path:?}: {e}");
    let mut content = String::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_string(&mut content)
        .map_err(cannot)?;
    if content.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(format!(
            "secret file {path:?} is larger than {MAX_SECRET_FILE_BYTES} bytes: is it the right file?"
        ));
    }
    let value = content.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(format!("secret file {path:?} is empty"));
    }
    Ok(value.to_owned())
}

fn shape_error(got: &str) -> String {
    format!("expected a string, {{ env = \"NAME\" }} or {{ file = \"PATH\" }}, got {got}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn table(kind: &str, value: &str) -> Node {
        Node::Table(BTreeMap::from([(kind.to_owned(), Node::Text(value.to_owned()))]))
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "<redacted> <redacted>");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn a_secret_comes_from_a_literal_a_variable_or_a_file() {
        let env = Env::from_pairs([("TOKEN", "from-env"), ("BLANK", "")]);
        assert_eq!(resolve(&env, Node::Text("literal".into())), Ok("literal".to_owned()));
        assert_eq!(resolve(&env, table("env", "TOKEN")), Ok("from-env".to_owned()));
        assert_eq!(resolve(&env, table("env", "MISSING")), Err("environment variable MISSING is not set".into()));
        assert_eq!(resolve(&env, table("env", "BLANK")), Err("environment variable BLANK is empty".into()));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "from-file\r\n").unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(resolve(&env, table("file", path)), Ok("from-file".to_owned()));
        let missing = dir.path().join("absent").to_str().unwrap().to_owned();
        let error = resolve(&env, table("file", &missing)).unwrap_err();
        assert!(error.starts_with(&format!("cannot read secret file {missing:?}")), "{error}");
    }

    #[test]
    fn a_secret_of_another_shape_is_refused() {
        let env = Env::default();
        assert!(resolve(&env, Node::Integer(3)).unwrap_err().contains("{ env = \"NAME\" }"));
        assert!(resolve(&env, table("vault", "x")).is_err());
        assert_eq!(resolve(&env, Node::Text(String::new())), Err("must not be empty".into()));
        assert!(resolve_strong(&env, Node::Text("short".into()), 16).unwrap_err().contains("at least 16 bytes"));
    }

    #[test]
    fn a_secret_file_that_is_too_large_is_refused_without_being_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, "x".repeat(64 * 1024 + 1)).unwrap();
        let error = resolve(&Env::default(), table("file", path.to_str().unwrap())).unwrap_err();
        assert!(error.contains("larger than 65536 bytes"), "{error}");
    }
}
