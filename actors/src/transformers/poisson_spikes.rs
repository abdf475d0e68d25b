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

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, RunContext, Spikes, WindowInfo,
};
use rand::SeedableRng;
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
    doc: "Rates → independent Poisson spike trains (proxy devices), trains_per_node per input node",
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

struct PoissonSpikes {
    name: String,
    trains: usize,
    variable: Option<String>,
    scale: f64,
    rng: rand::rngs::StdRng,
    /// last rate per node (held between samples)
    held: Vec<f64>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    Ok(Box::new(PoissonSpikes {
        name: ctx.name.to_string(),
        trains: p.i64("trains_per_node")? as usize,
        variable: p.opt_str("variable")?,
        scale: p.f64("scale")?,
        rng: rand::rngs::StdRng::seed_from_u64(0),
        held: vec![],
    }))
}

impl Actor for PoissonSpikes {
    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        self.rng = rand::rngs::StdRng::seed_from_u64(ctx.seed);
        Ok(())
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
                let pois = Poisson::new(lam).map_err(ActorError::new)?;
                for t in 0..self.trains {
                    let c: f64 = pois.sample(&mut self.rng);
                    for _ in 0..c as usize {
                        sp.senders.push((i * self.trains + t) as u32);
                        sp.stamps.push(j);
                        sp.times_ms.push((j + 1) as f64 * w.dt_ms);
                    }
                }
            }
        }
        out.set("spikes", Payload::Spikes(Arc::new(sp)));
        Ok(())
    }
}
