//! `poisson_spikes`: rates → spikes as independent Poisson trains, the
//! proxy devices of a co-simulation (NEST's `inhomogeneous_poisson_generator`
//! with one train per target).
//!
//! For node `i` of the input series (variable `variable`), `trains_per_node`
//! independent trains; train `i·T + k` (T = trains_per_node) emits, in step
//! `j`, Poisson(λ·dt/1000) spikes with λ = `scale`·x_i(j) Hz, x_i(j) the input
//! sample stamped j (the last one before it where a step has none, 0 before
//! the first). Spikes of step j are stamped j at (j+1)·dt ms; several spikes
//! of one train in one step are sent as repeated events.
//! A negative or non-finite rate stops the run with an error naming the
//! node and the time.
//!
//! Correlated trains (Kuhn, Aertsen & Rotter 2003), `correlation = c` in
//! (0, 1], per node and step:
//! * `sip` (single interaction process): a common train of rate c·λ whose
//!   spikes go to every train of the node, plus independent trains of rate
//!   (1 − c)·λ; pairwise count correlation c.
//! * `mip` (multiple interaction process): a mother train of rate λ/c; each
//!   train copies each mother spike with probability c; pairwise
//!   correlation c, each train Poisson of rate λ.

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, RunContext, Spikes, WindowInfo,
};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Poisson};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "trains_per_node",
        ty: ParamType::Int,
        default: DefaultValue::Int(1),
        range: Some((1.0, 1e7)),
        unit: "",
        doc: "Independent trains per input node",
    },
    ParamSpec {
        name: "variable",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Input variable giving the rate (default: the first)",
    },
    ParamSpec {
        name: "correlation",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: Some((0.0, 1.0)),
        unit: "",
        doc: "Pairwise correlation c of the trains of one node (0: independent)",
    },
    ParamSpec {
        name: "process",
        ty: ParamType::Str,
        default: DefaultValue::Str("mip"),
        range: None,
        unit: "",
        doc: "Correlated trains: sip (shared spikes) or mip (thinned mother train)",
    },
    ParamSpec {
        name: "scale",
        ty: ParamType::Float,
        default: DefaultValue::Float(1.0),
        range: Some((0.0, 1e12)),
        unit: "Hz per input unit",
        doc: "Rate in Hz per unit of the input",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "poisson_spikes",
    doc: "Rates → Poisson spike trains (proxy devices; NEST's inhomogeneous_poisson_generator), independent or correlated (SIP/MIP), trains_per_node per input node",
    params: PARAMS,
    inputs: &[PortDecl {
        name: "input",
        ty: PortType::Series,
        doc: "rates, one sample per step (or held)",
        end_stamped: false,
    }],
    outputs: &[PortDecl {
        name: "spikes",
        ty: PortType::Spikes,
        doc: "spikes, senders node·T + k",
        end_stamped: false,
    }],
    build,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Process {
    Independent,
    Sip(f64),
    Mip(f64),
}

struct PoissonSpikes {
    name: String,
    process: Process,
    trains: usize,
    variable: Option<String>,
    scale: f64,
    /// rand's StdRng (the same numbers), its position saved by checkpoints
    rng: rand_chacha::ChaCha12Rng,
    /// last rate per node (held between samples)
    held: Vec<f64>,
    /// a checkpoint's generator position (words), taken at `start`
    restored: Option<u128>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let c = p.f64("correlation")?;
    let process = match (c, p.str("process")?.as_str()) {
        (0.0, _) => Process::Independent,
        (c, "sip") => Process::Sip(c),
        (c, "mip") => Process::Mip(c),
        (_, other) => {
            return Err(
                BuildError::at("process", format!("unknown process `{other}`")).hint("sip or mip"),
            )
        }
    };
    Ok(Box::new(PoissonSpikes {
        name: ctx.name.to_string(),
        process,
        trains: p.i64("trains_per_node")? as usize,
        variable: p.opt_str("variable")?,
        scale: p.f64("scale")?,
        rng: rand_chacha::ChaCha12Rng::seed_from_u64(0),
        held: vec![],
        restored: None,
    }))
}

impl Actor for PoissonSpikes {
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
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let series = crate::util::series(inputs, "input")?;
        let var = match (series, &self.variable) {
            (Some(s), Some(v)) => {
                s.meta
                    .variables
                    .iter()
                    .position(|x| x == v)
                    .ok_or_else(|| {
                        ActorError::new(format!(
                            "`{}`: input has no variable `{v}` (it has {})",
                            self.name,
                            s.meta.variables.join(", ")
                        ))
                    })?
            }
            _ => 0,
        };
        if let Some(s) = series {
            if self.held.is_empty() {
                self.held = vec![0.0; s.data.shape()[2]];
            } else if self.held.len() != s.data.shape()[2] {
                return Err(ActorError::new(format!(
                    "`{}`: input changed its node count",
                    self.name
                )));
            }
        }
        let mut sp = Spikes::default();
        let mut k = 0;
        for j in w.start_step..w.start_step + w.n_steps {
            if let Some(s) = series {
                while k < s.stamps.len() && s.stamps[k] <= j {
                    if s.stamps[k] == j {
                        for (i, h) in self.held.iter_mut().enumerate() {
                            let x = s.data[[k, var, i]] * self.scale;
                            if !(x.is_finite() && x >= 0.0) {
                                return Err(ActorError::new(format!(
                                    "`{}`: rate {x} Hz for node {i} ({}) at t = {} ms; rates must be finite and ≥ 0",
                                    self.name,
                                    s.meta.nodes.get(i).map(|s| s.as_str()).unwrap_or("?"),
                                    j as f64 * w.dt_ms
                                )));
                            }
                            *h = x;
                        }
                    }
                    k += 1;
                }
            }
            for (i, &rate) in self.held.iter().enumerate() {
                let lam = rate * w.dt_ms / 1000.0;
                if lam <= 0.0 {
                    continue;
                }
                let base = (i * self.trains) as u32;
                let emit = |t: usize, n: usize, sp: &mut Spikes| {
                    for _ in 0..n {
                        sp.senders.push(base + t as u32);
                        sp.stamps.push(j);
                        sp.times_ms.push((j + 1) as f64 * w.dt_ms);
                    }
                };
                match self.process {
                    Process::Independent => {
                        let pois = Poisson::new(lam).map_err(ActorError::new)?;
                        for t in 0..self.trains {
                            let c: f64 = pois.sample(&mut self.rng);
                            emit(t, c as usize, &mut sp);
                        }
                    }
                    Process::Sip(c) => {
                        let shared: f64 = Poisson::new(c * lam)
                            .map_err(ActorError::new)?
                            .sample(&mut self.rng);
                        let own = if c < 1.0 {
                            Some(Poisson::new((1.0 - c) * lam).map_err(ActorError::new)?)
                        } else {
                            None
                        };
                        for t in 0..self.trains {
                            let k = own.as_ref().map_or(0.0, |p| p.sample(&mut self.rng));
                            emit(t, (shared + k) as usize, &mut sp);
                        }
                    }
                    Process::Mip(c) => {
                        let mother: f64 = Poisson::new(lam / c)
                            .map_err(ActorError::new)?
                            .sample(&mut self.rng);
                        for t in 0..self.trains {
                            let mut k = 0;
                            for _ in 0..mother as usize {
                                if self.rng.gen::<f64>() < c {
                                    k += 1;
                                }
                            }
                            emit(t, k, &mut sp);
                        }
                    }
                }
            }
        }
        out.set("spikes", Payload::Spikes(Arc::new(sp)));
        Ok(())
    }
}

/// A checkpoint: the generator's position and the rates held.
impl brainstream_runtime::Stateful for PoissonSpikes {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        let mut w = brainstream_runtime::StateWriter::new();
        let pos = self.rng.get_word_pos();
        w.u64(pos as u64);
        w.u64((pos >> 64) as u64);
        w.f64s(&self.held);
        Ok(w.finish())
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        let mut r = brainstream_runtime::StateReader::new(state, &self.name);
        let (lo, hi) = (r.u64()?, r.u64()?);
        self.restored = Some(lo as u128 | (hi as u128) << 64);
        self.held = r.f64s()?;
        r.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream_runtime::{Series, SeriesMeta};
    use ndarray::Array3;

    /// ChaCha12Rng draws StdRng's numbers (the trains of earlier versions
    /// stay), and continues from a saved position (odd ones included).
    #[test]
    fn the_generator_is_std_rng_s_and_resumes_from_its_position() {
        use rand::RngCore;
        let mut a = rand::rngs::StdRng::seed_from_u64(7);
        let mut b = rand_chacha::ChaCha12Rng::seed_from_u64(7);
        for k in 0..1001 {
            assert_eq!(a.next_u32(), b.next_u32());
            if k % 3 == 0 {
                assert_eq!(a.gen::<f64>().to_bits(), b.gen::<f64>().to_bits());
            }
        }
        let mut c = rand_chacha::ChaCha12Rng::seed_from_u64(7);
        c.set_word_pos(b.get_word_pos());
        for _ in 0..100 {
            assert_eq!(a.next_u64(), c.next_u64());
        }
    }

    fn counts(process: Process, rate: f64, trains: usize, steps: u64) -> Vec<Vec<f64>> {
        let mut a = PoissonSpikes {
            name: "p".into(),
            process,
            trains,
            variable: None,
            scale: 1.0,
            rng: rand_chacha::ChaCha12Rng::seed_from_u64(3),
            held: vec![],
            restored: None,
        };
        let meta = Arc::new(SeriesMeta::new(vec!["r".into()], vec!["n".into()], "Hz"));
        let s = Series {
            stamps: vec![0],
            times_ms: vec![0.0],
            data: Array3::from_elem((1, 1, 1), rate),
            meta,
        };
        let inputs = Inputs::from_pairs([("input", Payload::Series(Arc::new(s)))]);
        let mut out = Outputs::default();
        // 1 ms bins of the 0.1 ms steps
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: steps,
            dt_ms: 0.1,
        };
        a.step(&w, &inputs, &mut out).unwrap();
        let sp = out.take("spikes").unwrap();
        let sp = sp.as_spikes().unwrap();
        let bins = (steps / 10) as usize;
        let mut c = vec![vec![0.0; bins]; trains];
        for (s, st) in sp.senders.iter().zip(&sp.stamps) {
            c[*s as usize][(*st / 10) as usize] += 1.0;
        }
        c
    }

    fn corr(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - ma) * (y - mb))
            .sum::<f64>()
            / n;
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum::<f64>() / n;
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum::<f64>() / n;
        cov / (va * vb).sqrt()
    }

    #[test]
    fn trains_converge_to_their_rate_and_correlation() {
        let steps = 200_000; // 20 s
        for (process, want_c) in [
            (Process::Independent, 0.0),
            (Process::Sip(0.3), 0.3),
            (Process::Mip(0.3), 0.3),
        ] {
            let c = counts(process, 50.0, 8, steps);
            let total: f64 = c.iter().map(|t| t.iter().sum::<f64>()).sum();
            let rate = total / 8.0 / 20.0;
            assert!((rate - 50.0).abs() < 1.5, "{process:?}: rate {rate} Hz");
            let mut cs = vec![];
            for i in 0..8 {
                for j in i + 1..8 {
                    cs.push(corr(&c[i], &c[j]));
                }
            }
            let mean_c = cs.iter().sum::<f64>() / cs.len() as f64;
            assert!(
                (mean_c - want_c).abs() < 0.03,
                "{process:?}: correlation {mean_c}, want {want_c}"
            );
        }
    }
}
