//! What `serve` prints when it starts: the webhook listener first (tests
//! and scripts read the first `http://` word of the first line), each
//! other listener on its own line, then the console and how to sign in,
//! and for the demo its first steps with the address it really listens on.
//! Also the sentence for an address that cannot be bound.

use std::fmt::Write as _;
use std::path::Path;

use antirelou_settings::Settings;
use antirelou_web::{Application, BindError};

use crate::config;

/// The demo's `server.listen`: `send` posts there unless told `--url`.
const DEMO_URL: &str = "http://127.0.0.1:8080";

pub struct Banner<'a> {
    pub settings: &'a Settings,
    pub app: &'a Application,
    /// `--config`, or `None` for the demo.
    pub config: Option<&'a Path>,
}

impl Banner<'_> {
    /// Every line; `stand_in` is the demo's provider API.
    pub fn text(&self, stand_in: Option<&str>) -> String {
        let settings = self.settings;
        let server = &settings.server;
        let base = local_url(&server.listen, self.app.port());
        let admin = server.admin_listen.as_deref().zip(self.app.admin_port()).map(|(a, p)| local_url(a, p));
        let metrics = server.metrics_listen.as_deref().zip(self.app.metrics_port()).map(|(a, p)| local_url(a, p));
        let console = server.console_listen.as_deref().zip(self.app.console_port()).map(|(a, p)| local_url(a, p));
        let count = settings.number_count();
        let mut out = format!(
            "antirelou listening on {base} ({count} number{}, {} ledger)\n",
            if count == 1 { "" } else { "s" },
            settings.ledger.backend.name()
        );
        if let Some(admin) = &admin {
            let _ = writeln!(out, "admin API (/v1, /console) on {admin}");
        }
        if let Some(metrics) = &metrics {
            let _ = writeln!(out, "metrics (/metrics) on {metrics}");
        }
        if let Some(console) = &console {
            let _ = writeln!(out, "console and collectives' API (/console, /v1; no operator token) on {console}");
        }
        let console = console.as_deref().or(admin.as_deref()).unwrap_or(&base);
        let _ = writeln!(out, "console: {console}/console/");
        match (self.config, stand_in) {
            (Some(file), _) => out.push_str(&self.sign_in(file)),
            (None, stand_in) => {
                out.push_str(&demo_tour(settings, &base, metrics.as_deref().unwrap_or(&base), stand_in))
            }
        }
        out
    }

    /// How the collectives of `file` sign in to the console.
    fn sign_in(&self, file: &Path) -> String {
        let mut out = String::new();
        let public = self.settings.server.public_url.trim_end_matches('/');
        if public.starts_with("https://") {
            let _ = writeln!(out, "console from outside, through your HTTPS proxy: {public}/console/");
        }
        for (index, tenant) in self.settings.tenants.iter().enumerate() {
            let how = match tenant.admin_token {
                Some(_) => format!("sign in with its admin_token (tenants[{index}].admin_token in {})", file.display()),
                None => "no admin_token: it cannot sign in to the console".to_owned(),
            };
            let _ = writeln!(out, "collective {:?}: {how}", tenant.id);
        }
        out
    }
}

/// The demo's first steps. `base` is where the webhooks are served (the
/// `--url` that `send` needs when it is not the demo's usual address),
/// `metrics` where `/metrics` is.
fn demo_tour(settings: &Settings, base: &str, metrics: &str, stand_in: Option<&str>) -> String {
    let Some((tenant, number)) = settings.numbers().next() else { return String::new() };
    let url = if base == DEMO_URL { String::new() } else { format!(" --url {base}") };
    let token = tenant.admin_token.as_ref().map_or("(none)", |t| t.expose());
    let stand_in = stand_in.map_or_else(String::new, |api| {
        format!(
            "Replies that are not sent at once go to a stand-in of Twilio's API in this process ({api}), \
             never to Twilio: nothing is sent to a phone.\n"
        )
    });
    format!(
        "sign in with the demo collective's token: {token}\n\n\
         Demo mode: collective {:?}, number {}, embedded ledger under ./{}.\n{stand_in}\
         Try it from another terminal:\n\n  \
         antirelou send{url} --to {} --from +33611223344 \"t'es charmante, on se revoit ?\"\n\n\
         Send it twice: the second time the sender gets nothing (one reply per sender).\n\
         Watch the decisions:  curl -s {metrics}/metrics | grep antirelou_inbound_total\n\n",
        tenant.id,
        number.number,
        config::DEMO_DATA_DIR,
        number.number,
    )
}

/// The sentence for an address `serve` cannot listen on, with the way out.
pub fn cannot_listen(error: &BindError) -> String {
    let in_use = error.source.kind() == std::io::ErrorKind::AddrInUse;
    let reason = if in_use {
        "the port is already taken (another antirelou, or another program, listens there)".to_owned()
    } else {
        error.source.to_string()
    };
    let way_out = if error.key == "server.listen" {
        format!("Pick another address with --listen, e.g. antirelou serve --listen {}", free_address(&error.address))
    } else {
        let variable = format!("ANTIRELOU__{}", error.key.replace('.', "__").to_uppercase());
        format!("Set {} to another address in the configuration (or {variable}).", error.key)
    };
    format!("cannot listen on {} ({}): {reason}. {way_out}", error.address, error.key)
}

/// An address on the same host as `address` with a port free right now.
fn free_address(address: &str) -> String {
    let host = address.rsplit_once(':').map_or("127.0.0.1", |(host, _)| host);
    let probe = std::net::TcpListener::bind((host.trim_start_matches('[').trim_end_matches(']'), 0));
    let port = probe.and_then(|socket| socket.local_addr()).map_or(8090, |local| local.port());
    format!("{host}:{port}")
}

/// The URL to reach a listen address from this machine.
pub fn local_url(listen: &str, port: u16) -> String {
    let host = listen.rsplit_once(':').map_or(listen, |(host, _)| host);
    let host = match host {
        "0.0.0.0" | "" => "127.0.0.1",
        "[::]" => "[::1]",
        other => other,
    };
    format!("http://{host}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_url_reaches_wildcard_listen_addresses() {
        assert_eq!(local_url("0.0.0.0:8080", 8080), "http://127.0.0.1:8080");
        assert_eq!(local_url("127.0.0.1:0", 4321), "http://127.0.0.1:4321");
        assert_eq!(local_url("[::]:8080", 8080), "http://[::1]:8080");
    }

    #[test]
    fn a_taken_webhook_port_is_answered_with_a_free_one_to_pass_to_listen() {
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = busy.local_addr().unwrap().to_string();
        let error = BindError {
            key: "server.listen",
            address: address.clone(),
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        };
        let sentence = cannot_listen(&error);
        let expected = format!("cannot listen on {address} (server.listen): the port is already taken");
        assert!(sentence.starts_with(&expected), "{sentence}");
        let suggested = sentence.rsplit_once("--listen ").unwrap().1;
        assert!(suggested.starts_with("127.0.0.1:") && suggested != address, "{sentence}");
        let admin = BindError { key: "server.admin_listen", ..error };
        assert!(cannot_listen(&admin).ends_with("(or ANTIRELOU__SERVER__ADMIN_LISTEN)."), "{}", cannot_listen(&admin));
    }
}
