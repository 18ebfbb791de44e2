//! [`Node`]: one configuration value as written (string, integer, float,
//! boolean, list or table), from TOML (through the `config` crate) or from a
//! JSON patch. The whole file is read as a tree of `Node`s, so that a value
//! of the wrong type is one more collected problem, never an abort; the
//! readers of `read.rs` turn a `Node` into a typed value or a reason.

use std::collections::BTreeMap;
use std::fmt;

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

impl Node {
    /// A JSON value as a node (a number beyond 64 bits is a float, as JSON has it).
    pub(crate) fn from_json(value: &serde_json::Value) -> Node {
        use serde_json::Value;
        match value {
            Value::Null => Node::Nil,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Node::Integer(i128::from(i)),
                (None, Some(u), _) => Node::Integer(i128::from(u)),
                (None, None, Some(f)) => Node::Float(f),
                (None, None, None) => Node::Nil,
            },
            Value::String(s) => Node::Text(s.clone()),
            Value::Array(items) => Node::List(items.iter().map(Node::from_json).collect()),
            Value::Object(entries) => {
                Node::Table(entries.iter().map(|(k, v)| (k.clone(), Node::from_json(v))).collect())
            }
        }
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

    #[test]
    fn json_values_become_nodes() {
        let json = serde_json::json!({"a": [1, -2, 1.5, "x", null, true], "b": {}, "c": 18446744073709551615u64});
        let Node::Table(table) = Node::from_json(&json) else { panic!("expected a table") };
        assert_eq!(
            table["a"],
            Node::List(vec![
                Node::Integer(1),
                Node::Integer(-2),
                Node::Float(1.5),
                Node::Text("x".into()),
                Node::Nil,
                Node::Bool(true)
            ])
        );
        assert_eq!(table["b"], Node::Table(BTreeMap::new()));
        assert_eq!(table["c"], Node::Integer(i128::from(u64::MAX)));
    }
}
