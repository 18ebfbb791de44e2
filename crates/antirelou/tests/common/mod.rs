//! Running `antirelou serve` processes from tests, and talking to them as Twilio would.

#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use antirelou_providers::twilio;
#[allow(unused_imports)] // not every test binary waits
pub use antirelou_test_support::eventually;

pub const BIN: &str = env!("CARGO_BIN_EXE_antirelou");

/// How long `serve` may take to print its first lines (a hung start fails
/// the test instead of blocking it forever).
const STARTS_WITHIN: Duration = Duration::from_secs(30);

/// A running `antirelou serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `serve` in `dir` on a free port and waits for its first line.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        Server::start_with(dir, args, &[], 1).0
    }

    /// Starts `serve` in `dir` on a free port with more environment
    /// variables, and returns its first `lines` lines of output.
    pub fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)], lines: usize) -> (Server, Vec<String>) {
        Server::spawn(dir, args, env, lines, Stdio::null())
    }

    /// Like [`start_with`](Self::start_with), its log (stderr) written to
    /// `log` (`RUST_LOG` may be set in `env`).
    pub fn start_logged(dir: &Path, args: &[&str], env: &[(&str, &str)], log: &Path) -> Server {
        let file = std::fs::File::create(log).unwrap();
        Server::spawn(dir, args, env, 1, Stdio::from(file)).0
    }

    fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)], lines: usize, stderr: Stdio) -> (Server, Vec<String>) {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .current_dir(dir)
            .env("ANTIRELOU__SERVER__LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "error")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        // Read stdout on its own thread, so a silent server times out
        // instead of blocking the test; it keeps draining the pipe after.
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                let _ = sender.send(line);
            }
        });
        let deadline = Instant::now() + STARTS_WITHIN;
        let mut printed = Vec::new();
        let mut server = Server { child, url: String::new() };
        while printed.len() < lines.max(1) {
            let left = deadline.saturating_duration_since(Instant::now());
            match receiver.recv_timeout(left) {
                Ok(line) => printed.push(line.trim_end().to_owned()),
                Err(_) => panic!("serve printed {printed:?} and nothing more within {STARTS_WITHIN:?}"),
            }
        }
        server.url = printed[0]
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("serve did not start: {printed:?}"))
            .to_owned();
        (server, printed)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resident memory in KiB (Linux `/proc`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

/// The Twilio account a test config gives its tenant.
pub struct Account<'a> {
    pub sid: &'a str,
    pub token: &'a str,
    pub public_url: &'a str,
}

/// One webhook's answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub reply: Option<String>,
}

/// Posts a correctly signed inbound SMS to `server_url`.
pub async fn post_sms(
    client: &reqwest::Client,
    server_url: &str,
    account: &Account<'_>,
    to: &str,
    from: &str,
    message_sid: &str,
) -> Result<Answer, reqwest::Error> {
    post_sms_body(client, server_url, account, to, from, message_sid, "msg").await
}

/// [`post_sms`] with the message text `body`.
pub async fn post_sms_body(
    client: &reqwest::Client,
    server_url: &str,
    account: &Account<'_>,
    to: &str,
    from: &str,
    message_sid: &str,
    body: &str,
) -> Result<Answer, reqwest::Error> {
    let form = twilio::inbound_form(account.sid, message_sid, from, to, body);
    let signature = twilio::signature(account.token, &format!("{}/webhooks/twilio", account.public_url), &form);
    let response = client
        .post(format!("{server_url}/webhooks/twilio"))
        .header(twilio::SIGNATURE_HEADER, signature)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(twilio::encode_form(&form))
        .send()
        .await?;
    let status = response.status().as_u16();
    let body = response.text().await?;
    Ok(Answer { status, reply: twilio::twiml_reply_text(&body) })
}

/// A real-looking Twilio `MessageSid`, distinct for distinct (`tag`, `i`).
pub fn sid(tag: &str, i: usize) -> String {
    // FNV-1a of the tag: a stable, spread-out high half of the seed.
    let tag_hash = tag.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    twilio::message_sid_from((u128::from(tag_hash) << 64) | i as u128)
}

/// Sum of the series of `name` whose labels include all of `labels`.
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    antirelou_test_support::metric_value(text, name, labels)
}

pub async fn scrape(client: &reqwest::Client, server_url: &str) -> String {
    client.get(format!("{server_url}/metrics")).send().await.unwrap().text().await.unwrap()
}
