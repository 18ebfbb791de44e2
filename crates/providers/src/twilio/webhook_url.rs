//! The webhook URL variants Twilio's SDKs accept a signature for.
//!
//! Twilio's back end is inconsistent about ports, so the official SDKs check
//! the signature over the URL without its port and over the URL with its
//! scheme's default port (443 for `https`, 80 otherwise). One of the two is
//! always the URL as given; the other is described here as borrowed pieces,
//! so the signature can hash it without building a new string.

/// A URL cut around its port: `before` + `port` + `after` is the whole URL,
/// `port` is empty or starts with `:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookUrl<'a> {
    before: &'a str,
    port: &'a str,
    after: &'a str,
    default_port: &'static str,
}

impl<'a> WebhookUrl<'a> {
    /// Finds the port of `scheme://[userinfo@]host[:port][/path][?query][#fragment]`.
    /// Returns `None` when there is no `scheme://authority` to work on.
    pub fn parse(url: &'a str) -> Option<WebhookUrl<'a>> {
        let scheme_end = url.find("://")?;
        let scheme = &url[..scheme_end];
        let authority_start = scheme_end + 3;
        let authority_len = url[authority_start..].find(['/', '?', '#']).unwrap_or(url.len() - authority_start);
        let authority_end = authority_start + authority_len;
        let authority = &url[authority_start..authority_end];
        // The host starts after the last '@' (userinfo may contain ':').
        let host_start = authority.rfind('@').map_or(0, |at| at + 1);
        let host = &authority[host_start..];
        // An IPv6 literal is bracketed; its colons are not a port.
        let search_from = host.rfind(']').map_or(0, |at| at + 1);
        let port_len = host[search_from..].rfind(':').map_or(0, |at| host.len() - search_from - at);
        let port_start = authority_end - port_len;
        if url[authority_start..port_start].is_empty() {
            return None;
        }
        Some(WebhookUrl {
            before: &url[..port_start],
            port: &url[port_start..authority_end],
            after: &url[authority_end..],
            default_port: if scheme.eq_ignore_ascii_case("https") { ":443" } else { ":80" },
        })
    }

    /// The port as written, with its `:` (`":8443"`), if the URL has one.
    pub fn port(&self) -> Option<&'a str> {
        Some(self.port).filter(|port| !port.is_empty())
    }

    /// The variant that is not the URL as given, as pieces to concatenate:
    /// the URL without its port if it has one, else with the default port.
    pub fn other_variant(&self) -> [&'a str; 3] {
        match self.port() {
            Some(_) => [self.before, "", self.after],
            None => [self.before, self.default_port, self.after],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(url: &str) -> String {
        WebhookUrl::parse(url).expect("url has an authority").other_variant().concat()
    }

    #[test]
    fn url_with_a_port_varies_to_the_url_without_it() {
        assert_eq!(
            other("https://mycompany.com:1234/myapp.php?foo=1&bar=2"),
            "https://mycompany.com/myapp.php?foo=1&bar=2"
        );
        assert_eq!(other("http://example.org:80"), "http://example.org");
    }

    #[test]
    fn url_without_a_port_varies_to_the_scheme_default_port() {
        assert_eq!(
            other("https://mycompany.com/myapp.php?foo=1&bar=2"),
            "https://mycompany.com:443/myapp.php?foo=1&bar=2"
        );
        assert_eq!(other("HTTPS://a.example?x=1"), "HTTPS://a.example:443?x=1");
        assert_eq!(other("http://a.example#top"), "http://a.example:80#top");
        assert_eq!(other("http://a.example"), "http://a.example:80");
    }

    #[test]
    fn colons_in_userinfo_path_query_or_ipv6_are_not_ports() {
        assert_eq!(other("https://u:p@host/a:b?c=d:e"), "https://u:p@host:443/a:b?c=d:e");
        assert_eq!(other("https://[::1]/hook"), "https://[::1]:443/hook");
        assert_eq!(other("https://[::1]:8443/hook"), "https://[::1]/hook");
        assert_eq!(other("https://u:p@host:99/"), "https://u:p@host/");
    }

    #[test]
    fn port_is_reported_with_its_colon() {
        let url = WebhookUrl::parse("https://a.example:8443/x").expect("parses");
        assert_eq!(url.port(), Some(":8443"));
        let url = WebhookUrl::parse("https://a.example/x").expect("parses");
        assert_eq!(url.port(), None);
    }

    #[test]
    fn text_without_an_authority_has_no_variant() {
        assert_eq!(WebhookUrl::parse("/webhooks/twilio"), None);
        assert_eq!(WebhookUrl::parse("https:///path"), None);
        assert_eq!(WebhookUrl::parse("mailto:a@b"), None);
    }
}
