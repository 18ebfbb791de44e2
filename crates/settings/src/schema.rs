//! How a configuration table is declared: once per key.
//!
//! [`section!`] declares a table as a struct. Each line names the field, its
//! key when the two differ, its type, and how the key is read:
//!
//! ```text
//! section! {
//!     /// `[server]`.
//!     pub struct ServerSettings in "[server]" {
//!         /// `host:port` to bind.
//!         listen: String = or("0.0.0.0:8080".to_owned(), socket_address),
//!         console_session_ttl_seconds as "console_session_ttl": u64 = or(43_200, positive_duration),
//!     }
//! }
//! ```
//!
//! The word after `=` is a method of [`Table`](crate::table::Table)
//! (`required`, `or`, `optional`, `or_else`, `section`, `tables`, `tagged`,
//! `variant`) and its arguments follow the key. The macro writes the struct,
//! reads every key (so each refused value is one more problem, never an
//! abort), and builds the value only when every key was accepted. An optional
//! `derived { field: Type = expr }` block adds fields computed from the keys
//! (the keys are in scope by name), and `check path;` names a function
//! `fn(&Self, table_path: &str, &mut Check)` for rules across keys.
//! `, patch NamePatch` after the heading also declares a runtime patch of the
//! table (every key optional; see `patch.rs`).
//!
//! [`tagged!`] declares an enum whose variant is picked by one key (`kind`,
//! `backend`), each variant with its own keys, declared the same way; a
//! variant may end with `check path` too.
//!
//! The heading is the table's heading in `docs/configuration.md`: a test
//! walks every declaration and fails if a key is not documented under it.

use crate::check::Check;
use crate::table::Table;

/// A table declared with [`section!`].
pub(crate) trait Section: Sized {
    /// Its heading in `docs/configuration.md` (`[server]`, `shield`).
    const HEADING: &'static str;

    /// Reads every key of `table`, recording a problem for each refused one.
    fn read(table: &mut Table, check: &mut Check<'_>) -> Option<Self>;
}

/// An enum declared with [`tagged!`].
pub(crate) trait Tagged: Sized {
    /// The key whose value picks the variant.
    const TAG: &'static str;
    /// The heading documenting the tag key.
    const HEADING: &'static str;
    const VARIANTS: &'static [Variant];

    /// Reads the keys of the variant labelled `label` (one of [`Tagged::VARIANTS`]).
    fn read_variant(label: &str, table: &mut Table, check: &mut Check<'_>) -> Option<Self>;
}

/// One variant of a [`Tagged`] enum.
pub(crate) struct Variant {
    /// The tag's value that selects it (`"twilio"`).
    pub label: &'static str,
    /// Its heading in `docs/configuration.md`.
    pub heading: &'static str,
    /// Its keys, besides the tag.
    pub keys: &'static [&'static str],
}

/// The key of a declared field: the field's name unless `as "key"` renames it.
macro_rules! key_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident $key:literal) => {
        $key
    };
}

/// Declares a configuration table; see the module documentation.
macro_rules! section {
    (
        $(#[$attr:meta])*
        pub struct $name:ident in $heading:literal, patch $patch:ident { $($body:tt)* }
        $($rest:tt)*
    ) => {
        section! { $(#[$attr])* pub struct $name in $heading { $($body)* } $($rest)* }
        section_patch! { $name, $patch { $($body)* } }
    };
    (
        $(#[$attr:meta])*
        pub struct $name:ident in $heading:literal {
            $(
                $(#[doc = $doc:literal])*
                $field:ident $(as $key:literal)? : $ty:ty = $how:ident ( $($arg:expr),* $(,)? )
            ),* $(,)?
        }
        $(derived {
            $(
                $(#[doc = $ddoc:literal])*
                $dfield:ident : $dty:ty = $dexpr:expr
            ),* $(,)?
        })?
        $(check $after:path;)?
    ) => {
        $(#[$attr])*
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
            $($( $(#[doc = $ddoc])* pub $dfield: $dty, )*)?
        }

        impl $crate::schema::Section for $name {
            const HEADING: &'static str = $heading;

            fn read(
                table: &mut $crate::table::Table,
                check: &mut $crate::check::Check<'_>,
            ) -> Option<Self> {
                $( let $field: Option<$ty> = table.$how(check, key_name!($field $($key)?), $($arg),*); )*
                let ($(Some($field),)*) = ($($field,)*) else {
                    return None;
                };
                $($( let $dfield: $dty = $dexpr; )*)?
                let value = $name { $($field,)* $($($dfield,)*)? };
                $( $after(&value, table.path(), check); )?
                Some(value)
            }
        }
    };
}

/// The patch of a table declared with `, patch NamePatch`: every key
/// optional, read with the same readers as the file.
macro_rules! section_patch {
    (
        $name:ident, $patch:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident $(as $key:literal)? : $ty:ty = $how:ident ( $($arg:expr),* $(,)? )
            ),* $(,)?
        }
    ) => {
        #[doc = concat!("Runtime changes to a [`", stringify!($name), "`]: `None` keeps the configured value.")]
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $patch {
            $( $(#[doc = $doc])* pub $field: Option<$ty>, )*
        }

        impl $patch {
            /// Reads the keys `table` has (a `null` is the key left out of the file).
            pub(crate) fn read(table: &mut $crate::table::Table, check: &mut $crate::check::Check<'_>) -> Option<Self> {
                $(
                    let $field: Option<Option<$ty>> = if table.has(key_name!($field $($key)?)) {
                        table.$how(check, key_name!($field $($key)?), $($arg),*).map(Some)
                    } else {
                        table.skip(key_name!($field $($key)?));
                        Some(None)
                    };
                )*
                let ($(Some($field),)*) = ($($field,)*) else {
                    return None;
                };
                Some($patch { $($field,)* })
            }

            /// Replaces the patched values of `settings`.
            pub(crate) fn apply(&self, settings: &mut $name) {
                $( if let Some(value) = &self.$field { settings.$field = value.clone(); } )*
            }

            /// The patched keys as JSON, in the form [`read`](Self::read) accepts.
            pub(crate) fn write(&self, out: &mut serde_json::Map<String, serde_json::Value>) {
                $(
                    if let Some(value) = &self.$field {
                        out.insert(
                            key_name!($field $($key)?).to_owned(),
                            $crate::patch::PatchValue::to_json(value),
                        );
                    }
                )*
            }

            /// `later`'s values, and this patch's where `later` has none.
            pub(crate) fn then(&self, later: &Self) -> Self {
                $patch { $( $field: later.$field.clone().or_else(|| self.$field.clone()), )* }
            }

            pub(crate) fn is_empty(&self) -> bool {
                true $( && self.$field.is_none() )*
            }
        }
    };
}

/// Declares an enum picked by a tag key; see the module documentation.
macro_rules! tagged {
    (
        $(#[$attr:meta])*
        pub enum $name:ident by $tag:literal in $heading:literal {
            $(
                $(#[doc = $vdoc:literal])*
                $variant:ident ($label:expr) in $vheading:literal {
                    $(
                        $(#[doc = $doc:literal])*
                        $field:ident $(as $key:literal)? : $ty:ty = $how:ident ( $($arg:expr),* $(,)? )
                    ),* $(,)?
                } $(check $vcheck:path)?
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        pub enum $name {
            $(
                $(#[doc = $vdoc])*
                $variant { $( $(#[doc = $doc])* $field: $ty, )* },
            )*
        }

        impl $crate::schema::Tagged for $name {
            const TAG: &'static str = $tag;
            const HEADING: &'static str = $heading;
            const VARIANTS: &'static [$crate::schema::Variant] = &[
                $(
                    $crate::schema::Variant {
                        label: $label,
                        heading: $vheading,
                        keys: &[$(key_name!($field $($key)?)),*],
                    },
                )*
            ];

            fn read_variant(
                label: &str,
                table: &mut $crate::table::Table,
                check: &mut $crate::check::Check<'_>,
            ) -> Option<Self> {
                $(
                    if label == $label {
                        $( let $field: Option<$ty> = table.$how(check, key_name!($field $($key)?), $($arg),*); )*
                        let ($(Some($field),)*) = ($($field,)*) else {
                            return None;
                        };
                        let value = $name::$variant { $($field,)* };
                        $( $vcheck(&value, table.path(), check); )?
                        return Some(value);
                    }
                )*
                None
            }
        }
    };
}
