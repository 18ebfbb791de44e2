//! `[server]`: listeners, connection and request limits, console sessions.

use super::*;

fn server_with(extra: &str) -> Result<crate::ServerSettings, SettingsError> {
    let head = HEAD.replace("[server]\n", &format!("[server]\n{extra}\n"));
    load(&config(&head, PARIS, LYON)).map(|s| s.server)
}

#[test]
fn the_new_server_keys_have_their_defaults() {
    let server = server_with("").unwrap();
    assert_eq!((server.admin_listen, server.metrics_listen), (None, None));
    assert_eq!(server.request_timeout_ms, 5_000);
    assert_eq!((server.max_connections, server.max_connections_per_ip), (10_000, 256));
    assert_eq!(server.console_session_ttl_seconds, 12 * 3_600);
    assert_eq!(server.max_pending_ledger_calls, 1_024);
}

#[test]
fn the_new_server_keys_are_read_and_checked() {
    let server = server_with(
        "admin_listen = \"127.0.0.1:8081\"\nmetrics_listen = \"[::1]:9090\"\nrequest_timeout_ms = 2500\n\
         max_connections = 500\nmax_connections_per_ip = 0\nconsole_session_ttl = \"30m\"",
    )
    .unwrap();
    assert_eq!(server.admin_listen.as_deref(), Some("127.0.0.1:8081"));
    assert_eq!(server.metrics_listen.as_deref(), Some("[::1]:9090"));
    assert_eq!((server.request_timeout_ms, server.max_connections, server.max_connections_per_ip), (2_500, 500, 0));
    assert_eq!(server.console_session_ttl_seconds, 1_800);

    let error =
        server_with("admin_listen = \"admin.local:8081\"\nmax_connections = 0\nrequest_timeout_ms = 0").unwrap_err();
    let keys: Vec<&str> = error.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["server.admin_listen", "server.request_timeout_ms", "server.max_connections"], "{error}");
}

#[test]
fn two_listeners_on_the_same_port_are_refused() {
    let error = server_with("listen = \"0.0.0.0:8080\"\nmetrics_listen = \"127.0.0.1:8080\"").unwrap_err();
    assert_eq!(
        error.problems(),
        [Problem::new(
            "server.metrics_listen",
            "127.0.0.1:8080 would bind the same port as server.listen: give each its own port"
        )]
    );
    assert!(server_with("listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\nmetrics_listen = \"127.0.0.1:0\"")
        .is_ok());
}
