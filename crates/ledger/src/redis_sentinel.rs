//! Redis Sentinel for tests: [`RedisSentinel`] is one Sentinel
//! (`redis-server --sentinel`, what Debian's `redis-sentinel` runs) on its
//! own free port; [`SentinelGroup`] is a master, its replica and three
//! Sentinels, as a failover test needs them. Methods panic on failure: this
//! is test support.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::redis_server::{binary, free_port, stop, wait_ready, RedisServer};

/// The master name the group's Sentinels watch.
pub const MASTER_NAME: &str = "antirelou";

/// How long Sentinels may take to see each other and the replica, or to fail over.
const SETTLE_WITHIN: Duration = Duration::from_secs(30);

/// A Sentinel watching one master, killed when dropped.
pub struct RedisSentinel {
    port: u16,
    _dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisSentinel {
    /// A Sentinel watching [`MASTER_NAME`] at `127.0.0.1:master_port`, which
    /// takes it as down after `down_after_ms` without an answer, with
    /// `quorum` Sentinels needed to agree.
    pub fn start(master_port: u16, quorum: u32, down_after_ms: u64) -> RedisSentinel {
        let dir = tempfile::tempdir().expect("temporary directory for redis-sentinel");
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            // Sentinel rewrites its configuration file: it must be its own and writable.
            let config = format!(
                "port {port}\nbind 127.0.0.1\ndaemonize no\ndir {dir}\nlogfile {dir}/sentinel.log\n\
                 sentinel resolve-hostnames no\n\
                 sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} {quorum}\n\
                 sentinel down-after-milliseconds {MASTER_NAME} {down_after_ms}\n\
                 sentinel failover-timeout {MASTER_NAME} 10000\n\
                 sentinel parallel-syncs {MASTER_NAME} 1\n",
                dir = dir.path().display()
            );
            let path = dir.path().join("sentinel.conf");
            std::fs::write(&path, config).expect("write sentinel.conf");
            let mut child = Command::new(binary())
                .arg(&path)
                .arg("--sentinel")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {} --sentinel: {e}", binary().display()));
            match wait_ready(port, &mut child) {
                Ok(()) => return RedisSentinel { port, _dir: dir, child: Some(child) },
                Err(error) => {
                    stop(&mut child);
                    last_error = error;
                }
            }
        }
        panic!("redis-sentinel did not start: {last_error}");
    }

    /// `127.0.0.1:port`, as `ledger.redis_sentinels` lists it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `SENTINEL MASTER`'s fields for the watched master (empty if it does not answer).
    pub fn master_fields(&self) -> std::collections::HashMap<String, String> {
        let query = || -> redis::RedisResult<std::collections::HashMap<String, String>> {
            let mut connection = redis::Client::open(format!("redis://127.0.0.1:{}", self.port))?
                .get_connection_with_timeout(Duration::from_millis(500))?;
            redis::cmd("SENTINEL").arg("MASTER").arg(MASTER_NAME).query(&mut connection)
        };
        query().unwrap_or_default()
    }

    /// The master's port this Sentinel names (`None` if it does not answer).
    pub fn named_master_port(&self) -> Option<u16> {
        let query = || -> redis::RedisResult<Option<(String, u16)>> {
            let mut connection = redis::Client::open(format!("redis://127.0.0.1:{}", self.port))?
                .get_connection_with_timeout(Duration::from_millis(500))?;
            redis::cmd("SENTINEL").arg("get-master-addr-by-name").arg(MASTER_NAME).query(&mut connection)
        };
        query().ok().flatten().map(|(_, port)| port)
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }
}

impl Drop for RedisSentinel {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A master, one replica and three Sentinels (quorum 2, a master is down
/// after 1 s without an answer), ready: the replica in sync, every Sentinel
/// seeing the replica and the two others.
pub struct SentinelGroup {
    /// The servers, master first; after a failover [`master_port`](Self::master_port) says which.
    pub servers: Vec<RedisServer>,
    pub sentinels: Vec<RedisSentinel>,
}

impl SentinelGroup {
    /// `extra` arguments go to both servers (e.g. `--appendonly yes`).
    pub fn start(extra: &[&str]) -> SentinelGroup {
        let master = RedisServer::start_with(extra);
        let port = master.port().to_string();
        let mut replica_args = extra.to_vec();
        replica_args.extend(["--replicaof", "127.0.0.1", port.as_str()]);
        let replica = RedisServer::start_with(&replica_args);
        settle("the replica to sync", || info(replica.port(), "replication").contains("master_link_status:up"));
        let sentinels: Vec<RedisSentinel> = (0..3).map(|_| RedisSentinel::start(master.port(), 2, 1_000)).collect();
        for sentinel in &sentinels {
            settle("every Sentinel to see the replica and the other two", || {
                let fields = sentinel.master_fields();
                fields.get("num-slaves").map(String::as_str) == Some("1")
                    && fields.get("num-other-sentinels").map(String::as_str) == Some("2")
            });
        }
        SentinelGroup { servers: vec![master, replica], sentinels }
    }

    /// `127.0.0.1:port` of each Sentinel.
    pub fn sentinel_addresses(&self) -> Vec<String> {
        self.sentinels.iter().map(RedisSentinel::address).collect()
    }

    /// The port of the master the first live Sentinel names.
    pub fn master_port(&self) -> u16 {
        self.sentinels.iter().find_map(RedisSentinel::named_master_port).expect("a Sentinel names the master")
    }

    /// The server listening on `port`.
    pub fn server(&mut self, port: u16) -> &mut RedisServer {
        self.servers.iter_mut().find(|s| s.port() == port).expect("one of the group's servers")
    }

    /// Waits until every Sentinel names another master than `old_port`
    /// and that node says it is the master; returns its port.
    pub fn wait_for_failover(&self, old_port: u16) -> u16 {
        let mut new_port = 0;
        settle("the Sentinels to promote the replica", || {
            let named: Vec<Option<u16>> = self.sentinels.iter().map(RedisSentinel::named_master_port).collect();
            match named.first().copied().flatten() {
                Some(port) if port != old_port && named.iter().all(|p| *p == Some(port)) => {
                    new_port = port;
                    info(port, "replication").contains("role:master")
                }
                _ => false,
            }
        });
        new_port
    }
}

/// `INFO section` of the server on `port` (empty if it does not answer).
pub fn info(port: u16, section: &str) -> String {
    let query = || -> redis::RedisResult<String> {
        let mut connection = redis::Client::open(format!("redis://127.0.0.1:{port}"))?
            .get_connection_with_timeout(Duration::from_millis(500))?;
        redis::cmd("INFO").arg(section).query(&mut connection)
    };
    query().unwrap_or_default()
}

fn settle(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + SETTLE_WITHIN;
    while !done() {
        assert!(Instant::now() < deadline, "waited {SETTLE_WITHIN:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
