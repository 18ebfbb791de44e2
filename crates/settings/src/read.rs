//! Readers: functions `fn(Node) -> Result<T, String>` that turn one
//! configuration value into its typed form, or into the reason it is
//! refused. Declarations name them after `=` (see `schema.rs`); runtime
//! patches use the same ones, so a patch gets the same messages as the file.

use std::fmt;
use std::net::SocketAddr;

use antirelou_domain::{parse_duration, Money, MoneyError};

use crate::node::Node;

/// The longest duration accepted (3650 days): anything longer is a typo, and
/// the bound keeps every later computation in seconds or milliseconds in range.
pub(crate) const MAX_DURATION_SECONDS: u64 = 3_650 * 86_400;

/// The longest timeout accepted in milliseconds (one day), for the same reasons.
pub(crate) const MAX_TIMEOUT_MS: u64 = 86_400_000;

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

/// An amount as a person types it in a form or a `PATCH`: text with
/// either decimal mark (`5,50`, `5.50`), else as [`money`].
pub(crate) fn typed_money(node: Node) -> Result<Money, String> {
    match node {
        Node::Text(s) => Money::parse_typed(&s).map_err(|e| e.to_string()),
        other => money(other),
    }
}

/// [`typed_money`] more than zero (a cap in a `PATCH`).
pub(crate) fn positive_typed_money(node: Node) -> Result<Money, String> {
    let amount = typed_money(node)?;
    if amount == Money::ZERO {
        return Err("must be more than zero (leave the key out for no cap)".to_owned());
    }
    Ok(amount)
}

/// An amount that must be more than zero (caps).
pub(crate) fn positive_money(node: Node) -> Result<Money, String> {
    let amount = money(node)?;
    if amount == Money::ZERO {
        return Err("must be more than zero (leave the key out for no cap)".to_owned());
    }
    Ok(amount)
}

/// A duration in seconds: `"30d"`, `"1h30m"`, or a whole number of
/// seconds; at most [`MAX_DURATION_SECONDS`].
pub(crate) fn duration(node: Node) -> Result<u64, String> {
    let seconds = match node {
        Node::Text(s) => parse_duration(&s).map_err(|e| e.to_string())?,
        Node::Integer(_) => whole::<u64>(node)?,
        other => return Err(format!("expected a duration such as \"30d\", got {}", other.describe())),
    };
    if seconds > MAX_DURATION_SECONDS {
        return Err(format!("must be at most 3650d (ten years), got {seconds} seconds"));
    }
    Ok(seconds)
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

/// A whole number above zero.
pub(crate) fn positive<T>(n: Node) -> Result<T, String>
where
    T: TryFrom<i128> + fmt::Display + Bounded + Default + PartialEq,
{
    let value = whole::<T>(n)?;
    if value == T::default() {
        return Err("must be more than zero".to_owned());
    }
    Ok(value)
}

/// A percentage: a whole number from 1 to 100.
pub(crate) fn percent(n: Node) -> Result<u32, String> {
    let value = positive::<u32>(n)?;
    if value > 100 {
        return Err(format!("a percentage from 1 to 100, got {value}"));
    }
    Ok(value)
}

/// A timeout in milliseconds: above zero, at most a day.
pub(crate) fn timeout_ms(n: Node) -> Result<u64, String> {
    let value = positive::<u64>(n)?;
    if value > MAX_TIMEOUT_MS {
        return Err(format!("must be at most {MAX_TIMEOUT_MS} (one day), got {value}"));
    }
    Ok(value)
}

/// A duration longer than zero (and at most [`MAX_DURATION_SECONDS`]).
pub(crate) fn positive_duration(n: Node) -> Result<u64, String> {
    match duration(n)? {
        0 => Err("must be longer than zero".to_owned()),
        seconds => Ok(seconds),
    }
}

/// A duration of at least `min_seconds`, written `min` in messages.
pub(crate) fn duration_at_least(min_seconds: u64, min: &'static str) -> impl Fn(Node) -> Result<u64, String> {
    move |n| {
        let seconds = duration(n)?;
        if seconds < min_seconds {
            return Err(format!("must be at least {min}, got {seconds} seconds"));
        }
        Ok(seconds)
    }
}

/// An IP address and port (`0.0.0.0:8080`, `[::]:8080`), kept as written.
pub(crate) fn socket_address(n: Node) -> Result<String, String> {
    let text = text(n)?;
    text.trim()
        .parse::<SocketAddr>()
        .map_err(|_| format!("not an address and port such as \"0.0.0.0:8080\" or \"[::]:8080\": {text:?}"))?;
    Ok(text.trim().to_owned())
}

/// An `http://` or `https://` URL with a host and no whitespace.
pub(crate) fn http_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("expected an http:// or https:// URL, got {text:?}"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || text.chars().any(char::is_whitespace) {
        return Err(format!("not a URL with a host: {text:?}"));
    }
    Ok(text.to_owned())
}

/// A base URL: an http(s) URL without query or fragment, trailing slashes
/// removed (`public_url`, a provider's `api_base`).
pub(crate) fn base_url(n: Node) -> Result<String, String> {
    let url = http_url(&text(n)?)?;
    if url.contains(['?', '#']) {
        return Err(format!("must not have a query or fragment: {url:?}"));
    }
    Ok(url.trim_end_matches('/').to_owned())
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
    fn durations_and_timeouts_are_bounded() {
        assert_eq!(duration(s("3650d")), Ok(MAX_DURATION_SECONDS));
        assert!(duration(s("3651d")).unwrap_err().contains("at most 3650d"));
        assert!(duration(Node::Integer(i128::from(u64::MAX))).unwrap_err().contains("at most 3650d"));
        assert_eq!(positive_duration(s("0s")), Err("must be longer than zero".to_owned()));
        assert_eq!(duration_at_least(60, "1m")(s("59s")), Err("must be at least 1m, got 59 seconds".to_owned()));
        assert_eq!(duration_at_least(60, "1m")(s("45m")), Ok(2_700));
        assert_eq!(timeout_ms(Node::Integer(5_000)), Ok(5_000));
        assert!(timeout_ms(Node::Integer(86_400_001)).unwrap_err().contains("one day"));
        assert!(timeout_ms(Node::Integer(0)).unwrap_err().contains("more than zero"));
    }

    #[test]
    fn base_urls_lose_their_trailing_slash_and_keep_their_path() {
        assert_eq!(base_url(s("https://sms.example.org/")), Ok("https://sms.example.org".into()));
        assert_eq!(base_url(s("http://127.0.0.1:8080/antirelou")), Ok("http://127.0.0.1:8080/antirelou".into()));
        assert!(base_url(s("sms.example.org")).is_err());
        assert!(base_url(s("https://")).is_err());
        assert!(base_url(s("https://x.org/?a=b")).is_err());
    }

    #[test]
    fn addresses_are_an_ip_and_a_port() {
        assert_eq!(socket_address(s(" 127.0.0.1:0 ")), Ok("127.0.0.1:0".into()));
        assert!(socket_address(s("[::]:8080")).is_ok());
        assert!(socket_address(s("localhost:8080")).unwrap_err().contains("not an address and port"));
    }

    #[test]
    fn a_string_is_a_comma_separated_list() {
        assert_eq!(list(s("FR, BE,")), Ok(vec![s("FR"), s("BE")]));
        assert_eq!(list(Node::List(vec![s("FR")])), Ok(vec![s("FR")]));
        assert!(list(Node::Integer(1)).is_err());
    }
}
