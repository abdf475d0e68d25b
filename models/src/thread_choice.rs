//! The automatic thread count (`threads = 0`) of the mean-field engine and
//! of the spiking networks, chosen from measurements while the run goes.
//!
//! Whether several threads beat one depends on the network and on the
//! machine at that moment: on idle cores two threads step a 998-region
//! network almost twice as fast, while a recorder, a monitor or another
//! process taking a core makes every meeting of the threads wait, and two
//! threads can then be slower than one. Results are bit-identical for any
//! thread count, so the engine may switch between calls freely: it times
//! its calls (seconds per step) with one thread and with all its parts, and
//! steps with whichever was faster at its last measurement, trying the
//! other again after 4 calls, then 8, 16, … up to 64 while it keeps losing.

/// How the next call is stepped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One thread, all regions.
    One,
    /// One thread per part.
    Parts,
}

impl Mode {
    fn index(self) -> usize {
        match self {
            Mode::One => 0,
            Mode::Parts => 1,
        }
    }
    fn other(self) -> Mode {
        match self {
            Mode::One => Mode::Parts,
            Mode::Parts => Mode::One,
        }
    }
}

/// The choice and what it is based on.
#[derive(Debug, Clone)]
pub struct ThreadChoice {
    /// Seconds per step at the last call in each mode (`None`: not yet).
    cost: [Option<f64>; 2],
    /// The faster mode at the last measurements.
    choice: Mode,
    /// Calls in `choice` before the other mode is tried again.
    until_probe: u32,
    /// Tries of the other mode lost in a row.
    losses: u32,
}

/// Calls before the first try again; doubled per loss, up to 16 times.
const PROBE_AFTER: u32 = 4;
const MAX_DOUBLINGS: u32 = 4;

impl Default for ThreadChoice {
    fn default() -> Self {
        Self::new()
    }
}

impl ThreadChoice {
    /// Nothing measured yet: the first call runs in parts, the second on
    /// one thread.
    pub fn new() -> Self {
        Self {
            cost: [None, None],
            choice: Mode::Parts,
            until_probe: 0,
            losses: 0,
        }
    }

    /// The mode of the next call.
    pub fn next(&self) -> Mode {
        match self.cost {
            [_, None] => Mode::Parts,
            [None, _] => Mode::One,
            _ if self.until_probe == 0 => self.choice.other(),
            _ => self.choice,
        }
    }

    /// Records a call made in `mode` that took `secs_per_step`.
    pub fn record(&mut self, mode: Mode, secs_per_step: f64) {
        if !secs_per_step.is_finite() {
            return;
        }
        let measured = self.cost.iter().all(Option::is_some);
        self.cost[mode.index()] = Some(secs_per_step);
        let [Some(one), Some(parts)] = self.cost else {
            return;
        };
        let faster = if parts < one { Mode::Parts } else { Mode::One };
        if !measured {
            // the first measurement of both
            self.until_probe = PROBE_AFTER;
        } else if mode != self.choice {
            // a try of the other mode: won, or lost once more
            self.losses = if faster == mode {
                0
            } else {
                (self.losses + 1).min(MAX_DOUBLINGS)
            };
            self.until_probe = PROBE_AFTER << self.losses;
        } else if faster != self.choice {
            // the chosen mode became the slower one: switch now
            self.losses = 0;
            self.until_probe = PROBE_AFTER;
        } else {
            self.until_probe = self.until_probe.saturating_sub(1);
        }
        if faster != self.choice {
            tracing::debug!(
                one_thread_us_per_step = one * 1e6,
                parts_us_per_step = parts * 1e6,
                now = ?faster,
                "thread choice changed"
            );
        }
        self.choice = faster;
    }

    /// The faster mode at the last measurements.
    pub fn choice(&self) -> Mode {
        self.choice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(c: &mut ThreadChoice, calls: usize, one: f64, parts: f64) -> [usize; 2] {
        let mut n = [0; 2];
        for _ in 0..calls {
            let m = c.next();
            n[m.index()] += 1;
            c.record(m, if m == Mode::One { one } else { parts });
        }
        n
    }

    #[test]
    fn settles_on_the_faster_mode_and_tries_the_other_ever_less() {
        let mut c = ThreadChoice::new();
        // parts twice as fast: nearly every call in parts
        let n = run(&mut c, 100, 2.0, 1.0);
        assert_eq!(c.choice(), Mode::Parts);
        assert!(n[0] <= 8, "{n:?}");
        // a busy machine: parts become slower; it moves to one thread at
        // the next call in parts and stays, trying parts ever less often
        let n = run(&mut c, 200, 2.0, 3.0);
        assert_eq!(c.choice(), Mode::One);
        assert!(n[1] <= 10, "{n:?}");
        // idle again: found within 64 calls
        let n = run(&mut c, 100, 2.0, 1.0);
        assert_eq!(c.choice(), Mode::Parts);
        assert!(n[1] >= 30, "{n:?}");
    }

    #[test]
    fn measures_both_before_choosing() {
        let mut c = ThreadChoice::new();
        assert_eq!(c.next(), Mode::Parts);
        c.record(Mode::Parts, 5.0);
        assert_eq!(c.next(), Mode::One);
        c.record(Mode::One, 1.0);
        assert_eq!(c.choice(), Mode::One);
        assert_eq!(c.next(), Mode::One);
    }
}
