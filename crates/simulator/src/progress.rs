//! A progress bar on stderr for runs longer than a second, hidden when
//! stderr is not a terminal (CI logs, pipes) or when not wanted.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const SHOW_AFTER: Duration = Duration::from_secs(1);

pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    wanted: bool,
    shown: bool,
}

impl Progress {
    pub fn new(total: u64, wanted: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} messages ({per_sec}, eta {eta})",
        ) {
            bar.set_style(style);
        }
        Progress { bar, started: Instant::now(), wanted: wanted && std::io::stderr().is_terminal(), shown: false }
    }

    /// Counts `n` more messages; shows the bar once the run has lasted a second.
    pub fn inc(&mut self, n: u64) {
        self.bar.inc(n);
        if self.wanted && !self.shown && self.started.elapsed() >= SHOW_AFTER {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
