//! The client address a limit counts: the TCP peer, IPv4 as is (also when
//! it arrives IPv4-mapped on an IPv6 socket), IPv6 by its /64, the block
//! one subscriber gets. Every per-address limit uses it (connections,
//! sign-in, wrong bearer tokens), so one subscriber is one client
//! whichever of its 2^64 addresses it uses. `X-Forwarded-For` is never
//! read (see docs/operations.md).

use std::net::{IpAddr, Ipv6Addr};

/// The address `ip` is counted under.
pub(crate) fn block_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(block_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(block_of(ip("2001:db8:1:2:bbbb::9")), ip("2001:db8:1:2::"));
        assert_ne!(block_of(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(block_of(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(block_of(ip("203.0.113.7")), ip("203.0.113.7"));
    }
}
