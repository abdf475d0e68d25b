//! `--realtime`: paces a run to the wall clock (simulated ms = wall ms)
//! and reports the lag of each window.
//!
//! Window `w` of an actor starts no earlier than `t₀ + start_ms(w)` of wall
//! time (`t₀`: when the first actor is about to compute its first window,
//! after every actor's start; plus the time spent paused). Its lag is how
//! late its last actor finished it: `lag(w) = max over actors (t_done − t₀)
//! − end_ms(w)` in ms (negative: early; pacing then waits). The lag of every
//! window is written to `OUT/realtime.tsv` (`window`, `end_ms`, `lag_ms`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brainstream::runtime::{ActorError, Outputs, RunShape, Steering, WindowHook};

#[derive(Default)]
struct State {
    t0: Option<Instant>,
    dt_ms: f64,
    window_steps: u64,
    total_steps: u64,
    /// per window: the latest finish seen so far, ms after t₀
    done_ms: Vec<f64>,
}

/// The pacing hook of one run.
pub struct Pace {
    state: Mutex<State>,
    /// time spent paused, ns (from [`super::control::Control::paused_ns`])
    paused_ns: Arc<AtomicU64>,
    out: PathBuf,
}

/// What a paced run reports.
#[derive(Debug, Clone, Copy)]
pub struct LagSummary {
    pub windows: usize,
    pub mean_ms: f64,
    pub max_ms: f64,
    pub max_window: usize,
    /// windows that ended later than the wall clock (lag > 1 ms)
    pub late: usize,
}

impl Pace {
    pub fn new(out: PathBuf, paused_ns: Arc<AtomicU64>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            paused_ns,
            out,
        }
    }

    /// ms of wall time since t₀, less the time paused.
    fn now_ms(&self, t0: Instant) -> f64 {
        t0.elapsed().as_secs_f64() * 1e3 - self.paused_ns.load(Ordering::Relaxed) as f64 * 1e-6
    }

    /// Writes `OUT/realtime.tsv` and sums the lags up.
    pub fn report(&self) -> Result<(PathBuf, LagSummary), String> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let path = self.out.join("realtime.tsv");
        let mut text = String::from("window\tend_ms\tlag_ms\n");
        let (mut sum, mut max, mut max_w, mut late) = (0.0, f64::NEG_INFINITY, 0, 0);
        let n = s.done_ms.iter().take_while(|d| d.is_finite()).count();
        for (w, d) in s.done_ms[..n].iter().enumerate() {
            let end = ((w as u64 + 1) * s.window_steps).min(s.total_steps) as f64 * s.dt_ms;
            let lag = d - end;
            text.push_str(&format!("{w}\t{end}\t{lag:.3}\n"));
            sum += lag;
            if lag > max {
                (max, max_w) = (lag, w);
            }
            if lag > 1.0 {
                late += 1;
            }
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((
            path,
            LagSummary {
                windows: n,
                mean_ms: if n > 0 { sum / n as f64 } else { 0.0 },
                max_ms: if n > 0 { max } else { 0.0 },
                max_window: max_w,
                late,
            },
        ))
    }
}

impl WindowHook for Pace {
    fn attach(&self, shape: &RunShape) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.dt_ms = shape.dt_ms;
        s.window_steps = shape.window_steps;
        s.total_steps = shape.total_steps;
        s.done_ms = vec![f64::NEG_INFINITY; shape.n_windows as usize];
    }

    fn before(
        &self,
        _actor: usize,
        window: u64,
        _steering: &mut Steering<'_>,
    ) -> Result<(), ActorError> {
        let (t0, start_ms) = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let t0 = *s.t0.get_or_insert_with(Instant::now);
            (t0, (window * s.window_steps) as f64 * s.dt_ms)
        };
        let wait = start_ms - self.now_ms(t0);
        if wait > 0.0 {
            std::thread::sleep(Duration::from_secs_f64(wait * 1e-3));
        }
        Ok(())
    }

    fn after(&self, _actor: usize, window: u64, _outputs: &Outputs) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t0) = s.t0 else { return };
        let now = self.now_ms(t0);
        if let Some(d) = s.done_ms.get_mut(window as usize) {
            *d = d.max(now);
        }
    }
}
