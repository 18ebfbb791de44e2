//! [`Table`]: one configuration table being read. Every key a declaration
//! reads is taken out of it; what is left at the end is an unknown key. The
//! methods are the words declarations use after `=` (see `schema.rs`).

use std::collections::BTreeMap;

use crate::check::{index, join, one_of, Check};
use crate::node::Node;
use crate::read;
use crate::schema::{Section, Tagged};

/// Why an entry of a list of tables is empty: an environment override named
/// an index past the end of the file's list.
const PAST_THE_END: &str = "missing: an environment override names a list index past the end of the list";

/// A table being read, and the keys asked for so far.
pub(crate) struct Table {
    path: String,
    heading: &'static str,
    entries: BTreeMap<String, Node>,
    known: Vec<&'static str>,
    /// How many problems were recorded when the table was opened: its
    /// unknown keys are reported before the problems of its values.
    mark: usize,
}

/// How a key's value is turned into its typed form. Plain functions
/// `fn(Node) -> Result<T, String>` are readers; [`with_check`] makes one of
/// a function that also needs the [`Check`] (secrets, registries, warnings).
pub(crate) trait Read<T> {
    /// The value, or `None` once the refusal is recorded at `key`.
    fn read(self, check: &mut Check<'_>, key: &str, node: Node) -> Option<T>;
}

impl<T, F> Read<T> for F
where
    F: FnOnce(Node) -> Result<T, String>,
{
    fn read(self, check: &mut Check<'_>, key: &str, node: Node) -> Option<T> {
        check.accept(key, self(node))
    }
}

/// A reader that records its own problems (see [`with_check`]).
pub(crate) struct WithCheck<F>(F);

/// A reader given the check and the key path: it records its problems
/// itself and returns `None` when it refused the value.
pub(crate) fn with_check<T, F>(read: F) -> WithCheck<F>
where
    F: FnOnce(&mut Check<'_>, &str, Node) -> Option<T>,
{
    WithCheck(read)
}

impl<T, F> Read<T> for WithCheck<F>
where
    F: FnOnce(&mut Check<'_>, &str, Node) -> Option<T>,
{
    fn read(self, check: &mut Check<'_>, key: &str, node: Node) -> Option<T> {
        (self.0)(check, key, node)
    }
}

impl Table {
    pub(crate) fn open(
        check: &Check<'_>,
        path: String,
        heading: &'static str,
        entries: BTreeMap<String, Node>,
    ) -> Table {
        Table { path, heading, entries, known: Vec::new(), mark: check.problem_count() }
    }

    /// The table's key path (`tenants[0].provider`), empty at the top.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Whether the table has `key` at all, even as `null` (for patches).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Marks `key` as known without reading it.
    pub(crate) fn skip(&mut self, key: &'static str) {
        self.known.push(key);
    }

    /// A key that must be set.
    pub(crate) fn required<T>(&mut self, check: &mut Check<'_>, key: &'static str, read: impl Read<T>) -> Option<T> {
        let path = join(&self.path, key);
        match self.take(check, key) {
            Some(node) => read.read(check, &path, node),
            None => {
                check.problem(path, "required");
                None
            }
        }
    }

    /// A key that may be left out: `Some(None)` when absent, `None` when refused.
    pub(crate) fn optional<T>(
        &mut self,
        check: &mut Check<'_>,
        key: &'static str,
        read: impl Read<T>,
    ) -> Option<Option<T>> {
        let path = join(&self.path, key);
        match self.take(check, key) {
            Some(node) => read.read(check, &path, node).map(Some),
            None => Some(None),
        }
    }

    /// A key with a default.
    pub(crate) fn or<T>(
        &mut self,
        check: &mut Check<'_>,
        key: &'static str,
        default: T,
        read: impl Read<T>,
    ) -> Option<T> {
        self.optional(check, key, read).map(|value| value.unwrap_or(default))
    }

    /// A key whose default depends on other keys: `default` gets the check
    /// and the key path, and records a problem if there is no default.
    pub(crate) fn or_else<T>(
        &mut self,
        check: &mut Check<'_>,
        key: &'static str,
        read: impl Read<T>,
        default: impl FnOnce(&mut Check<'_>, &str) -> Option<T>,
    ) -> Option<T> {
        let path = join(&self.path, key);
        match self.take(check, key) {
            Some(node) => read.read(check, &path, node),
            None => default(check, &path),
        }
    }

    /// A nested table declared with `section!`; absent, every key takes its default.
    pub(crate) fn section<S: Section>(&mut self, check: &mut Check<'_>, key: &'static str) -> Option<S> {
        let path = join(&self.path, key);
        let entries = match self.take(check, key) {
            None => BTreeMap::new(),
            Some(Node::Table(entries)) => entries,
            Some(other) => {
                check.problem(path, format!("expected a table, got {}", other.describe()));
                return None;
            }
        };
        read_table(check, path, entries)
    }

    /// A list of tables (`[[tenants]]`), at least one.
    pub(crate) fn tables<S: Section>(
        &mut self,
        check: &mut Check<'_>,
        key: &'static str,
        empty: &str,
    ) -> Option<Vec<S>> {
        let path = join(&self.path, key);
        let items = match self.take(check, key) {
            Some(Node::List(items)) if !items.is_empty() => items,
            // Describing the schema: one entry shows the entry's keys.
            None if check.is_describing() => {
                return read_table::<S>(check, index(&path, 0), BTreeMap::new()).map(|s| vec![s])
            }
            None | Some(Node::List(_)) => {
                check.problem(path, empty);
                return None;
            }
            Some(other) => {
                check.problem(path, format!("expected a list of tables ({}), got {}", S::HEADING, other.describe()));
                return None;
            }
        };
        let mut all = Some(Vec::with_capacity(items.len()));
        for (i, item) in items.into_iter().enumerate() {
            let path = index(&path, i);
            let entry = match item {
                Node::Table(entries) => read_table::<S>(check, path, entries),
                Node::Nil => {
                    check.problem(path, PAST_THE_END);
                    None
                }
                other => {
                    check.problem(path, format!("expected a table, got {}", other.describe()));
                    None
                }
            };
            match (entry, all.as_mut()) {
                (Some(entry), Some(all)) => all.push(entry),
                _ => all = None,
            }
        }
        all
    }

    /// A nested table whose tag key (`kind`) picks its variant and keys;
    /// `example` shows one in messages.
    pub(crate) fn tagged<E: Tagged>(&mut self, check: &mut Check<'_>, key: &'static str, example: &str) -> Option<E> {
        let path = join(&self.path, key);
        let entries = match self.take(check, key) {
            Some(Node::Table(entries)) => entries,
            None if check.is_describing() => BTreeMap::new(),
            None => {
                check.problem(path, format!("required, e.g. {example}"));
                return None;
            }
            Some(other) => {
                check.problem(path, format!("expected a table such as {example}, got {}", other.describe()));
                return None;
            }
        };
        read_tagged(check, path, entries)
    }

    /// A list of tables each picked by its tag key (`donations = [{ kind =
    /// "...", ... }]`); absent, the list is empty. `example` shows one entry
    /// in messages.
    pub(crate) fn tagged_list<E: Tagged>(
        &mut self,
        check: &mut Check<'_>,
        key: &'static str,
        example: &str,
    ) -> Option<Vec<E>> {
        let path = join(&self.path, key);
        let items = match self.take(check, key) {
            None if check.is_describing() => {
                read_tagged::<E>(check, index(&path, 0), BTreeMap::new());
                return Some(Vec::new());
            }
            None => return Some(Vec::new()),
            Some(Node::List(items)) => items,
            Some(other) => {
                check.problem(path, format!("expected a list of tables such as [{example}], got {}", other.describe()));
                return None;
            }
        };
        let mut all = Some(Vec::with_capacity(items.len()));
        for (i, item) in items.into_iter().enumerate() {
            let path = index(&path, i);
            let entry = match item {
                Node::Table(entries) => read_tagged::<E>(check, path, entries),
                Node::Nil => {
                    check.problem(path, PAST_THE_END);
                    None
                }
                other => {
                    check.problem(path, format!("expected a table such as {example}, got {}", other.describe()));
                    None
                }
            };
            match (entry, all.as_mut()) {
                (Some(entry), Some(all)) => all.push(entry),
                _ => all = None,
            }
        }
        all
    }

    /// A tag key of this table (`backend`) that picks which of the table's
    /// keys are read; the keys of the other variants are known and ignored.
    pub(crate) fn variant<E: Tagged>(&mut self, check: &mut Check<'_>, key: &'static str, default: &str) -> Option<E> {
        if check.is_describing() {
            self.take(check, key);
            for variant in E::VARIANTS {
                E::read_variant(variant.label, self, check);
            }
            return None;
        }
        let value =
            self.or(check, key, default.to_owned(), label::<E>).and_then(|label| E::read_variant(&label, self, check));
        for variant in E::VARIANTS {
            for key in variant.keys {
                self.entries.remove(*key);
                self.known.push(key);
            }
        }
        value
    }

    /// Reports the keys nobody asked for, before the problems of the table's values.
    pub(crate) fn finish(self, check: &mut Check<'_>) {
        let Table { path, entries, known, mark, .. } = self;
        let unknown = entries.into_keys().map(|name| check.unknown_key(&path, &name, &known)).collect();
        check.insert_problems(mark, unknown);
    }

    /// Takes the value of `key`, marking the key as known. An empty slot
    /// (`null`, an override's padding) counts as absent.
    fn take(&mut self, check: &mut Check<'_>, key: &'static str) -> Option<Node> {
        self.known.push(key);
        check.describe(self.heading, key);
        match self.entries.remove(key) {
            None | Some(Node::Nil) => None,
            Some(node) => Some(node),
        }
    }
}

/// Opens `entries` as a table of `S`, reads it and reports its unknown keys.
pub(crate) fn read_table<S: Section>(
    check: &mut Check<'_>,
    path: String,
    entries: BTreeMap<String, Node>,
) -> Option<S> {
    let mut table = Table::open(check, path, S::HEADING, entries);
    let value = S::read(&mut table, check);
    table.finish(check);
    value
}

/// Opens `entries` as a table whose tag key picks its variant of `E`, reads
/// it and reports its unknown keys; when describing, walks every variant.
fn read_tagged<E: Tagged>(check: &mut Check<'_>, path: String, entries: BTreeMap<String, Node>) -> Option<E> {
    let mut table = Table::open(check, path, E::HEADING, entries);
    if check.is_describing() {
        table.take(check, E::TAG);
        for variant in E::VARIANTS {
            table.heading = variant.heading;
            E::read_variant(variant.label, &mut table, check);
        }
        return None;
    }
    // Without a valid tag, which keys belong is unknown: only the tag is reported.
    let label = table.required(check, E::TAG, label::<E>)?;
    let value = E::read_variant(&label, &mut table, check);
    table.finish(check);
    value
}

/// One of the labels of `E`'s variants.
fn label<E: Tagged>(node: Node) -> Result<String, String> {
    let text = read::text(node)?;
    let labels: Vec<&str> = E::VARIANTS.iter().map(|v| v.label).collect();
    match labels.iter().find(|label| **label == text.trim()) {
        Some(label) => Ok((*label).to_owned()),
        None => Err(format!("expected {}, got {text:?}", one_of(&labels))),
    }
}
