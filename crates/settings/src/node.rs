//! [`Node`]: one configuration value as written (string, integer, float,
//! boolean, list or table), and the scalar readers that turn it into a typed
//! value or a reason. Leaves of the raw tree are `Node`s so that a wrong type
//! is one more collected problem, never an abort.

use std::collections::BTreeMap;
use std::fmt;

use antirelou_domain::{parse_duration, Money, MoneyError};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A configuration value before interpretation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    /// An empty slot (a list padded by an environment override).
    Nil,
    Bool(bool),
    Integer(i128),
    Float(f64),
    Text(String),
    List(Vec<Node>),
    Table(BTreeMap<String, Node>),
}

impl Node {
    /// What the value is, for error messages: `the float 0.08`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Node::Nil => "nothing".to_owned(),
            Node::Bool(b) => format!("the boolean {b}"),
            Node::Integer(i) => format!("the integer {i}"),
            Node::Float(f) => format!("the float {f}"),
            Node::Text(s) => format!("the string {s:?}"),
            Node::List(_) => "a list".to_owned(),
            Node::Table(_) => "a table".to_owned(),
        }
    }
}

/// A string, as is.
pub(crate) fn text(node: Node) -> Result<String, String> {
    match node {
        Node::Text(s) => Ok(s),
        other => Err(format!("expected a string, got {}", other.describe())),
    }
}

/// A whole number of type `T`; also accepted as a string of digits (that is
/// how environment overrides arrive).
pub(crate) fn whole<T>(node: Node) -> Result<T, String>
where
    T: TryFrom<i128> + fmt::Display + Bounded,
{
    let value = match node {
        Node::Integer(i) => i,
        Node::Text(s) => {
            s.trim().parse::<i128>().map_err(|_| format!("expected a whole number, got the string {s:?}"))?
        }
        other => return Err(format!("expected a whole number, got {}", other.describe())),
    };
    if value < 0 {
        return Err(format!("must not be negative, got {value}"));
    }
    T::try_from(value).map_err(|_| format!("must be at most {}, got {value}", T::MAX))
}

/// The largest value of an unsigned integer type, for messages.
pub(crate) trait Bounded {
    const MAX: Self;
}

impl Bounded for u32 {
    const MAX: u32 = u32::MAX;
}

impl Bounded for u64 {
    const MAX: u64 = u64::MAX;
}

impl Bounded for usize {
    const MAX: usize = usize::MAX;
}

/// `true` or `false`; also the strings `"true"`/`"false"` (any case).
pub(crate) fn boolean(node: Node) -> Result<bool, String> {
    match node {
        Node::Bool(b) => Ok(b),
        Node::Text(s) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
        Node::Text(s) if s.trim().eq_ignore_ascii_case("false") => Ok(false),
        other => Err(format!("expected true or false, got {}", other.describe())),
    }
}

/// An exact amount: a decimal string (`"0.08"`) or an integer (`5`). Floats
/// are refused, since `0.1` is not exactly representable.
pub(crate) fn money(node: Node) -> Result<Money, String> {
    match node {
        Node::Text(s) => Money::parse(&s).map_err(|e| e.to_string()),
        Node::Integer(i) if i < 0 => Err(MoneyError::Negative.to_string()),
        Node::Integer(i) => Money::parse(&i.to_string()).map_err(|e| e.to_string()),
        Node::Float(f) => {
            Err(format!("money must be exact: write it as a quoted decimal string such as \"{f}\", not the float {f}"))
        }
        other => Err(format!("expected a decimal string such as \"0.08\", got {}", other.describe())),
    }
}

/// An amount that must be more than zero (caps).
pub(crate) fn positive_money(node: Node) -> Result<Money, String> {
    let amount = money(node)?;
    if amount == Money::ZERO {
        return Err("must be more than zero (leave the key out for no cap)".to_owned());
    }
    Ok(amount)
}

/// A duration in seconds: `"30d"`, `"1h30m"`, or a whole number of seconds.
pub(crate) fn duration(node: Node) -> Result<u64, String> {
    match node {
        Node::Text(s) => parse_duration(&s).map_err(|e| e.to_string()),
        Node::Integer(_) => whole::<u64>(node),
        other => Err(format!("expected a duration such as \"30d\", got {}", other.describe())),
    }
}

/// The elements of a list. A string is read as a comma-separated list, which
/// is how a list arrives through an environment override.
pub(crate) fn list(node: Node) -> Result<Vec<Node>, String> {
    match node {
        Node::List(items) => Ok(items),
        Node::Text(s) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| Node::Text(item.to_owned()))
            .collect()),
        other => Err(format!("expected a list, got {}", other.describe())),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any configuration value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Nil)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Nil)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Integer(i128::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Integer(i128::from(v)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Integer(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        i128::try_from(v).map(Node::Integer).map_err(|_| E::custom(format!("number too large: {v}")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Text(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut table = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, Node>()? {
            table.insert(key, value);
        }
        Ok(Node::Table(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Node {
        Node::Text(text.to_owned())
    }

    #[test]
    fn money_accepts_strings_and_integers_but_never_floats() {
        assert_eq!(money(s("0.08")), Ok(Money::from_micros(80_000)));
        assert_eq!(money(Node::Integer(5)), Ok(Money::from_micros(5_000_000)));
        let float = money(Node::Float(0.08)).unwrap_err();
        assert!(float.contains("quoted decimal string") && float.contains("\"0.08\""), "{float}");
        assert_eq!(money(Node::Integer(-1)), Err("negative amounts are not allowed".to_owned()));
        assert_eq!(money(s("abc")), Err("not a decimal number: \"abc\"".to_owned()));
    }

    #[test]
    fn caps_must_be_more_than_zero() {
        assert!(positive_money(s("0")).unwrap_err().contains("more than zero"));
        assert_eq!(positive_money(s("0.01")), Ok(Money::from_micros(10_000)));
    }

    #[test]
    fn whole_numbers_arrive_as_integers_or_digit_strings() {
        assert_eq!(whole::<u32>(Node::Integer(30)), Ok(30));
        assert_eq!(whole::<u32>(s(" 30 ")), Ok(30));
        assert!(whole::<u32>(Node::Integer(-1)).unwrap_err().contains("negative"));
        assert!(whole::<u32>(Node::Integer(1 << 40)).unwrap_err().contains("at most 4294967295"));
        assert!(whole::<u32>(Node::Float(2.5)).unwrap_err().contains("whole number"));
        assert!(whole::<u32>(s("many")).unwrap_err().contains("\"many\""));
    }

    #[test]
    fn booleans_arrive_as_booleans_or_strings() {
        assert_eq!(boolean(Node::Bool(true)), Ok(true));
        assert_eq!(boolean(s("FALSE")), Ok(false));
        assert!(boolean(s("yes")).is_err());
    }

    #[test]
    fn durations_are_strings_with_units_or_seconds() {
        assert_eq!(duration(s("30d")), Ok(30 * 86_400));
        assert_eq!(duration(Node::Integer(90)), Ok(90));
        assert!(duration(s("soon")).unwrap_err().contains("not a duration"));
    }

    #[test]
    fn a_string_is_a_comma_separated_list() {
        assert_eq!(list(s("FR, BE,")), Ok(vec![s("FR"), s("BE")]));
        assert_eq!(list(Node::List(vec![s("FR")])), Ok(vec![s("FR")]));
        assert!(list(Node::Integer(1)).is_err());
    }
}
