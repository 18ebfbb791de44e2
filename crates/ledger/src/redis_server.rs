//! A throwaway `redis-server` for tests: its own free port on 127.0.0.1
//! (never the machine's 6379), its own temporary directory, no persistence
//! by default, killed when dropped. Tests can kill it (SIGKILL), restart it
//! on the same port, and pause/resume it (SIGSTOP/SIGCONT).
//!
//! The binary is `redis-server` from `PATH`, or `$REDIS_SERVER`. Methods
//! panic on failure: this is test support.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to answer PING after it is spawned.
const READY_WITHIN: Duration = Duration::from_secs(10);

pub struct RedisServer {
    port: u16,
    pid: u32,
    extra: Vec<String>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// A server with `--save "" --appendonly no`.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// A server with extra arguments, e.g. `["--maxmemory-policy", "allkeys-lru"]`
    /// (later arguments override the defaults).
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let dir = tempfile::tempdir().expect("temporary directory for redis-server");
        let extra: Vec<String> = extra.iter().map(|a| (*a).to_owned()).collect();
        let mut last_error = String::new();
        // A free port can be taken by someone else before redis binds it: retry.
        for _ in 0..5 {
            let port = free_port();
            let mut child = spawn(port, &dir, &extra);
            match wait_ready(port, &mut child) {
                Ok(()) => {
                    return RedisServer { port, pid: child.id(), extra, dir, child: Some(child) };
                }
                Err(error) => {
                    stop(&mut child);
                    last_error = error;
                }
            }
        }
        panic!("redis-server did not start: {last_error}; log: {}", log(&dir));
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id of the running (or last) server.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// SIGKILL, as a crash would; [`restart`](Self::restart) reuses the port
    /// (outside the ephemeral range, so no client socket takes it meanwhile).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }

    /// Kills the server if it runs and starts a new one on the same port
    /// (empty, unless persistence was asked for in the extra arguments).
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            let mut child = spawn(self.port, &self.dir, &self.extra);
            match wait_ready(self.port, &mut child) {
                Ok(()) => {
                    self.pid = child.id();
                    self.child = Some(child);
                    return;
                }
                Err(error) => {
                    stop(&mut child);
                    assert!(
                        Instant::now() < deadline,
                        "redis-server did not restart on port {}: {error}; log: {}",
                        self.port,
                        log(&self.dir)
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    /// SIGSTOP: the server keeps its connections but answers nothing.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT after [`pause`](Self::pause).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").arg(signal).arg(self.pid.to_string()).status().expect("run kill");
        assert!(status.success(), "kill {signal} {} failed", self.pid);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) fn binary() -> PathBuf {
    std::env::var_os("REDIS_SERVER").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("redis-server"))
}

/// A port free right now, taken below the kernel's ephemeral range
/// (`ip_local_port_range`): outgoing connections, which every test makes by
/// the hundred, never pick such a port, so the port stays ours between this
/// check and redis-server binding it, and between a kill and a restart.
/// (Port 0 would hand out an ephemeral port any client socket may take.)
pub(crate) fn free_port() -> u16 {
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let (low, high) = (LOWEST_TEST_PORT, ephemeral_from.max(LOWEST_TEST_PORT + 1_000));
    // Spread the start: parallel tests (and processes) probe different ports.
    let seed = std::process::id().wrapping_mul(2_654_435_761)
        ^ std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let span = u32::from(high - low);
    for step in 0..span {
        let port = low + ((seed.wrapping_add(step.wrapping_mul(7_919))) % span) as u16;
        if port != 6379 && TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 between {low} and {high}");
}

/// The lowest port [`free_port`] hands out (above the well-known and most registered services).
const LOWEST_TEST_PORT: u16 = 20_000;

fn spawn(port: u16, dir: &tempfile::TempDir, extra: &[String]) -> Child {
    Command::new(binary())
        .arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--daemonize", "no"])
        .arg("--dir")
        .arg(dir.path())
        .arg("--logfile")
        .arg(dir.path().join("redis.log"))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary().display()))
}

/// Polls PING until `+PONG` (not `-LOADING`), the process exits, or the deadline.
pub(crate) fn wait_ready(port: u16, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + READY_WITHIN;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("redis-server exited with {status}"));
        }
        if ping(&address) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("no PONG on port {port} within {READY_WITHIN:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn ping(address: &SocketAddr) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(address, Duration::from_millis(200))?;
        stream.set_read_timeout(Some(Duration::from_millis(200)))?;
        stream.write_all(b"PING\r\n")?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply)?;
        Ok(&reply == b"+PONG\r\n")
    };
    attempt().unwrap_or(false)
}

pub(crate) fn stop(child: &mut Child) {
    // SIGKILL also ends a stopped (SIGSTOP) process.
    let _ = child.kill();
    let _ = child.wait();
}

fn log(dir: &tempfile::TempDir) -> String {
    std::fs::read_to_string(dir.path().join("redis.log")).unwrap_or_default()
}
