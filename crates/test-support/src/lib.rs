//! Helpers every test home shared by copy before (`tests/support.rs`,
//! `crates/antirelou/tests/common/mod.rs`, the providers' outbound tests):
//! a wait on a condition with a deadline, and reading a series off a
//! scraped `/metrics` page. A dev-dependency only; nothing here is product.
//!
//! Start with [`eventually`].

use std::future::Future;
use std::time::{Duration, Instant};

/// How often [`eventually`] checks again: short against the deadlines
/// tests use (seconds), long enough not to spin.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// Polls `check` until it holds (true) or `deadline` has passed (false,
/// after one last check). A test waits on the thing it needs, never on a
/// blind sleep. For a plain condition: `|| std::future::ready(cond())`.
pub async fn eventually<F, Fut>(deadline: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let until = Instant::now() + deadline;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= until {
            return check().await;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// The sum of the series of `name` on a Prometheus text page whose labels
/// include all of `labels` (in any order); 0 when there is none.
pub fn metric_value(page: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    page.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, rest) = series.split_once('{').unwrap_or((series, "}"));
            (series_name == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# HELP x help\n# TYPE x counter\n\
        x{tenant=\"paris\",outcome=\"replied\"} 3\n\
        x{outcome=\"replied\",tenant=\"lyon\"} 4\n\
        x{tenant=\"paris\",outcome=\"blocked\"} 1\n\
        xy 100\n\
        y 2.5\n";

    #[test]
    fn a_metric_value_sums_the_series_whose_labels_match_in_any_order() {
        assert_eq!(metric_value(PAGE, "x", &[("outcome", "replied")]), 7.0);
        assert_eq!(metric_value(PAGE, "x", &[("tenant", "paris"), ("outcome", "replied")]), 3.0);
        assert_eq!(metric_value(PAGE, "x", &[]), 8.0);
        assert_eq!(metric_value(PAGE, "y", &[]), 2.5);
        assert_eq!(metric_value(PAGE, "z", &[]), 0.0);
    }

    #[tokio::test]
    async fn eventually_waits_for_its_condition_and_gives_up_at_its_deadline() {
        let start = Instant::now();
        let ready_at = start + Duration::from_millis(100);
        assert!(eventually(Duration::from_secs(5), || std::future::ready(Instant::now() >= ready_at)).await);
        assert!(start.elapsed() < Duration::from_secs(2));
        let start = Instant::now();
        assert!(!eventually(Duration::from_millis(150), || std::future::ready(false)).await);
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(150) && waited < Duration::from_secs(2), "{waited:?}");
    }
}
