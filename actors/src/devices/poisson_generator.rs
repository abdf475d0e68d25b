//! `poisson_generator`: independent Poisson spike trains of a constant rate,
//! NEST's device of that name.
//!
//! NEST gives every target of a `poisson_generator` its own train; here the
//! device emits `n_trains` independent trains (senders `0..n_trains`), one per
//! target proxy. In step `k` (from `k·dt` to `(k+1)·dt`) train `i` fires
//! `n ~ Poisson(λ·dt/1000)` spikes (λ = `rate` in Hz, dt in ms), stamped `k`,
//! at time `(k+1)·dt`, when `start < (k+1)·dt ≤ stop`, as NEST's active
//! window. Several spikes in one step are sent as several events, as NEST's
//! multiplicity.
//!
//! [`PoissonTrains`] is shared with `inhomogeneous_poisson_generator`. Its
//! checkpoint is the generator's position in its stream (ChaCha12, the
//! numbers of `rand`'s `StdRng`) and the schedule's next change; a steered
//! `rate` is carried by the checkpoint's steered values (`brainstream_runtime::checkpoint`).

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, RunContext, Spikes,
    WindowInfo,
};
use rand::SeedableRng;

use super::on_grid;
use rand_distr::{Distribution, Poisson};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "rate",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: Some((0.0, 1e9)),
        unit: "Hz",
        doc: "Mean firing rate of each train",
    },
    ParamSpec {
        name: "start",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: Some((0.0, 1e12)),
        unit: "ms",
        doc: "Spikes only after this time (a multiple of dt)",
    },
    ParamSpec {
        name: "stop",
        ty: ParamType::Float,
        default: DefaultValue::Optional,
        range: Some((0.0, 1e12)),
        unit: "ms",
        doc: "Spikes only up to this time (a multiple of dt); absent: no end",
    },
    N_TRAINS,
];

/// The number of independent trains, shared by both Poisson devices.
pub(crate) const N_TRAINS: ParamSpec = ParamSpec {
    name: "n_trains",
    ty: ParamType::Int,
    default: DefaultValue::Int(1),
    range: Some((1.0, 1e8)),
    unit: "",
    doc: "Independent trains, one per target (NEST: one per connection); senders 0..n_trains",
};

/// The output port, shared by both Poisson devices.
pub(crate) const SPIKES_OUT: PortDecl = PortDecl {
    name: "spikes",
    ty: PortType::Spikes,
    doc: "spikes of the trains, senders 0..n_trains, stamped by the step they occur in",
    end_stamped: false,
};

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "poisson_generator",
    doc: "Independent Poisson spike trains of a constant rate (NEST's poisson_generator)",
    params: PARAMS,
    inputs: &[brainstream_runtime::control::INPUT],
    outputs: &[SPIKES_OUT],
    build,
};

/// Poisson trains whose rate changes at given steps.
pub(crate) struct PoissonTrains {
    /// (first step, rate in Hz) in ascending steps
    pub changes: Vec<(u64, f64)>,
    /// steps `k` with `k ≥ stop` emit nothing
    pub stop: u64,
    pub trains: u32,
    rate: f64,
    next: usize,
    /// `rand`'s `StdRng` (ChaCha12), whose position can be saved
    rng: rand_chacha::ChaCha12Rng,
    /// a checkpoint's generator position, taken at `start`
    restored: Option<u128>,
}

impl PoissonTrains {
    pub fn new(changes: Vec<(u64, f64)>, stop: u64, trains: u32) -> Self {
        PoissonTrains {
            changes,
            stop,
            trains,
            rate: 0.0,
            next: 0,
            rng: rand_chacha::ChaCha12Rng::seed_from_u64(0),
            restored: None,
        }
    }
}

impl Actor for PoissonTrains {
    /// `rate` for a constant-rate generator (poisson_generator); an
    /// inhomogeneous one follows its schedule.
    fn steerable(&self) -> Vec<String> {
        if self.changes.len() == 1 {
            vec!["rate".into()]
        } else {
            vec![]
        }
    }

    /// `rate` (Hz) from the next window on (or from the generator's start).
    fn steer(&mut self, key: &str, value: f64) -> Result<f64, ActorError> {
        if key != "rate" || self.changes.len() != 1 {
            return Err(ActorError::new(format!(
                "`{key}` cannot change during a run; {}",
                if self.changes.len() == 1 {
                    "`rate` can"
                } else {
                    "an inhomogeneous generator follows its schedule"
                }
            )));
        }
        if !(value >= 0.0 && value.is_finite()) {
            return Err(ActorError::new(format!(
                "`rate` = {value}: a rate is ≥ 0 Hz"
            )));
        }
        let old = std::mem::replace(&mut self.changes[0].1, value);
        if self.next > 0 {
            self.rate = value;
        }
        Ok(old)
    }

    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        // at the highest rate of the schedule
        let rate = self.changes.iter().map(|c| c.1).fold(0.0, f64::max);
        let events = self.trains as f64 * rate * ctx.dt_ms / 1000.0;
        Ok(Footprint {
            outputs: vec![("spikes", PortShape::spikes(self.trains as usize, events))],
            ..Default::default()
        })
    }

    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        self.rng = rand_chacha::ChaCha12Rng::seed_from_u64(ctx.seed);
        if let Some(pos) = self.restored.take() {
            self.rng.set_word_pos(pos);
        }
        Ok(())
    }

    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        _inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let mut sp = Spikes::default();
        for k in w.start_step..w.start_step + w.n_steps {
            while self.next < self.changes.len() && self.changes[self.next].0 <= k {
                self.rate = self.changes[self.next].1;
                self.next += 1;
            }
            let lam = self.rate * w.dt_ms / 1000.0;
            if k >= self.stop || lam <= 0.0 {
                continue;
            }
            let pois = Poisson::new(lam).map_err(ActorError::new)?;
            for t in 0..self.trains {
                let n: f64 = pois.sample(&mut self.rng);
                for _ in 0..n as usize {
                    sp.senders.push(t);
                    sp.stamps.push(k);
                    sp.times_ms.push((k + 1) as f64 * w.dt_ms);
                }
            }
        }
        out.set("spikes", Payload::Spikes(Arc::new(sp)));
        Ok(())
    }
}

/// A checkpoint: the generator's position and the next change of the
/// schedule (the rate in force follows from it; a steered rate is set
/// again by the run from the checkpoint's steered values).
impl brainstream_runtime::Stateful for PoissonTrains {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        let mut w = brainstream_runtime::StateWriter::new();
        let pos = self.rng.get_word_pos();
        w.u64(pos as u64);
        w.u64((pos >> 64) as u64);
        w.usize(self.next);
        Ok(w.finish())
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        let mut r = brainstream_runtime::StateReader::new(state, "the Poisson generator");
        let (lo, hi) = (r.u64()?, r.u64()?);
        let next = r.usize()?;
        r.end()?;
        if next > self.changes.len() {
            return Err(ActorError::new(format!(
                "the saved Poisson generator is at change {next} of a schedule of {}: the checkpoint is damaged",
                self.changes.len()
            )));
        }
        self.restored = Some(lo as u128 | (hi as u128) << 64);
        self.next = next;
        self.rate = if next > 0 {
            self.changes[next - 1].1
        } else {
            0.0
        };
        Ok(())
    }
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let rate = p.f64("rate")?;
    let start = on_grid("start", p.f64("start")?, ctx.dt_ms)?;
    let stop = match p.opt_f64("stop")? {
        Some(t) => on_grid("stop", t, ctx.dt_ms)?,
        None => u64::MAX,
    };
    if stop < start {
        return Err(BuildError::at("stop", "stop comes before start"));
    }
    let trains = p.i64("n_trains")? as u32;
    Ok(Box::new(PoissonTrains::new(
        vec![(start, rate)],
        stop,
        trains,
    )))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use brainstream_runtime::Params;

    pub fn make(kind: &KindSpec, toml_text: &str, dt: f64) -> Result<Box<dyn Actor>, String> {
        let t: toml::Table = toml::from_str(toml_text).unwrap();
        let params = Params::new(&t, kind.params, std::path::Path::new("."));
        let problems = params.check();
        if let Some(p) = problems.first() {
            return Err(format!("{p:?}"));
        }
        (kind.build)(&BuildCtx {
            name: "g",
            params,
            dt_ms: dt,
            duration_ms: 1000.0,
        })
        .map_err(|e| format!("{}: {}", e.key, e.message))
    }

    /// Runs `steps` steps from a seed; the spikes.
    pub fn run(a: &mut Box<dyn Actor>, seed: u64, steps: u64, dt: f64) -> Spikes {
        let ctx = RunContext {
            name: "g".into(),
            kind: "test".into(),
            out_dir: std::env::temp_dir(),
            seed,
            graph_seed: seed,
            dt_ms: dt,
            total_steps: steps,
            window_steps: steps,
            graph_text: "".into(),
            graph_path: None,
            input_delays: vec![],
        };
        a.start(&ctx).unwrap();
        let mut out = Outputs::default();
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: steps,
            dt_ms: dt,
        };
        a.step(&w, &Inputs::default(), &mut out).unwrap();
        out.take("spikes").unwrap().as_spikes().unwrap().clone()
    }

    #[test]
    fn trains_have_their_rate_inside_start_stop_only() {
        // 20 trains at 40 Hz between 100 and 1100 ms: 20 × 40 spikes expected
        let trains = |seed| {
            let text = "rate = 40.0\nstart = 100.0\nstop = 1100.0\nn_trains = 20";
            run(&mut make(&KIND, text, 0.1).unwrap(), seed, 12_000, 0.1)
        };
        let sp = trains(7);
        assert!(sp
            .times_ms
            .iter()
            .all(|&t| t > 100.0 - 1e-9 && t <= 1100.0 + 1e-9));
        assert!(sp.senders.iter().all(|&s| s < 20));
        let n = sp.senders.len() as f64;
        // Poisson: sd √800 ≈ 28; 4 sd
        assert!((n - 800.0).abs() < 4.0 * 800f64.sqrt(), "{n} spikes");
        // every train fires, stamps and times agree
        for t in 0..20 {
            assert!(sp.senders.contains(&t), "train {t} silent");
        }
        for (st, t) in sp.stamps.iter().zip(&sp.times_ms) {
            assert!(((*st + 1) as f64 * 0.1 - t).abs() < 1e-9);
        }
        // the same seed gives the same trains; another seed others
        let again = trains(7);
        assert_eq!(again.stamps, sp.stamps);
        assert_eq!(again.senders, sp.senders);
        let other = trains(8);
        assert_ne!(other.stamps, sp.stamps);
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = make(&KIND, "rate = 10.0\nstart = 0.05", 0.1).err().unwrap();
        assert!(e.contains("start") && e.contains("multiple of dt"), "{e}");
        let e = make(&KIND, "rate = 10.0\nstart = 5.0\nstop = 2.0", 0.1)
            .err()
            .unwrap();
        assert!(e.contains("stop"), "{e}");
        assert!(make(&KIND, "rate = -1.0", 0.1).is_err());
        assert!(make(&KIND, "n_trains = 0", 0.1).is_err());
    }
}
