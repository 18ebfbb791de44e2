//! Client-side latencies and their percentiles.

use std::time::Duration;

/// Every request's latency, in nanoseconds.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    nanos: Vec<u64>,
}

impl Latencies {
    pub fn with_capacity(n: usize) -> Latencies {
        Latencies { nanos: Vec::with_capacity(n) }
    }

    pub fn record(&mut self, latency: Duration) {
        self.nanos.push(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX));
    }

    pub fn extend(&mut self, other: Latencies) {
        self.nanos.extend(other.nanos);
    }

    pub fn len(&self) -> usize {
        self.nanos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nanos.is_empty()
    }

    /// (p50, p99, max) in milliseconds, nearest-rank; zeros when empty.
    pub fn summary_ms(&self) -> (f64, f64, f64) {
        if self.nanos.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        let mut sorted = self.nanos.clone();
        sorted.sort_unstable();
        let rank = |q: f64| {
            let index = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
            sorted[index] as f64 / 1e6
        };
        (rank(0.50), rank(0.99), sorted[sorted.len() - 1] as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut l = Latencies::default();
        assert_eq!(l.summary_ms(), (0.0, 0.0, 0.0));
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        assert_eq!(l.summary_ms(), (50.0, 99.0, 100.0));
    }
}
