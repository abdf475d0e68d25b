//! Progress as plain lines (stderr not a terminal: a log, a batch job),
//! and counted nouns.

use std::time::{Duration, Instant};

/// `1 window`, `2 windows`, `0 threads`.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A duration as a person reads it: `0.4 s`, `12 s`, `3 min 05 s`, `2 h 07 min`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.1} s")
    } else if s < 60.0 {
        format!("{s:.0} s")
    } else if s < 3600.0 {
        let m = (s / 60.0).floor();
        format!("{m:.0} min {:02.0} s", (s - 60.0 * m).floor())
    } else {
        let h = (s / 3600.0).floor();
        format!("{h:.0} h {:02.0} min", ((s - 3600.0 * h) / 60.0).floor())
    }
}

/// Plain progress lines, one per tenth of the work (and the first and the
/// last), each with the time elapsed and, once something is done, the time
/// left at the pace so far.
pub struct Lines {
    t0: Instant,
    /// Work already done when it started (a sweep resumed).
    start: u64,
    last_tenth: Option<u64>,
}

impl Lines {
    pub fn new(start: u64) -> Self {
        Self {
            t0: Instant::now(),
            start,
            last_tenth: None,
        }
    }

    /// If a line is due for `done` of `total`: the percentage done and the
    /// timing (`1.2 s elapsed, about 3.4 s left`).
    pub fn due(&mut self, done: u64, total: u64) -> Option<(u64, String)> {
        let tenth = done * 10 / total.max(1);
        if self.last_tenth == Some(tenth) {
            return None;
        }
        self.last_tenth = Some(tenth);
        let pct = done * 100 / total.max(1);
        let el = self.t0.elapsed();
        let now = done.saturating_sub(self.start);
        let timing = if now == 0 || done >= total {
            format!("{} elapsed", human(el))
        } else {
            let left = el.mul_f64((total - done) as f64 / now as f64);
            format!("{} elapsed, about {} left", human(el), human(left))
        };
        Some((pct, timing))
    }

    /// The run's line for `done` of `total`, if one is due; `what`
    /// describes the amount (`120.0 of 300.0 ms simulated`).
    pub fn line(&mut self, done: u64, total: u64, what: &str) -> Option<String> {
        let (pct, timing) = self.due(done, total)?;
        Some(format!("progress: {pct:3}% ({what}; {timing})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_durations_read_as_english() {
        assert_eq!(count(1u64, "window"), "1 window");
        assert_eq!(count(0u64, "thread"), "0 threads");
        assert_eq!(count(3u64, "combination"), "3 combinations");
        assert_eq!(human(Duration::from_millis(400)), "0.4 s");
        assert_eq!(human(Duration::from_secs(185)), "3 min 05 s");
        assert_eq!(human(Duration::from_secs(7700)), "2 h 08 min");
    }

    #[test]
    fn a_line_per_tenth_with_the_time_left() {
        let mut l = Lines::new(0);
        assert!(l.line(0, 100, "x").unwrap().contains("elapsed"));
        assert!(l.line(5, 100, "x").is_none());
        let mid = l.line(50, 100, "x").unwrap();
        assert!(
            mid.starts_with("progress:  50% (x; ") && mid.contains("left"),
            "{mid}"
        );
        assert!(l.line(100, 100, "x").unwrap().starts_with("progress: 100%"));
        assert!(l.line(100, 100, "x").is_none());
    }
}
