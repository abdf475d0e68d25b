//! `linear_ode`: `n_nodes` independent leaky integrators,
//!
//! ```text
//! τ·dx/dt = −x + drive + u(t) + σ·sqrt(2τ)·ξ(t)      (x dimensionless, τ in ms)
//! ```
//! integrated exactly for piecewise-constant input over one step:
//! `x ← x·e + (drive + u)·(1 − e) + σ·sqrt(1 − e²)·z`, `e = exp(−dt/τ)`,
//! `z` standard normal from the actor's own seeded stream (so σ is the
//! stationary standard deviation). `u` is the `input` series (variable 0,
//! one value per node, or one value for all); steps without an input sample
//! use `u = 0`.

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, RunContext, Series,
    SeriesMeta, WindowInfo,
};
use ndarray::Array3;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

use crate::util::series;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "n_nodes",
        ty: ParamType::Int,
        default: DefaultValue::Int(1),
        range: Some((1.0, 1e7)),
        unit: "",
        doc: "Number of independent integrators",
    },
    ParamSpec {
        name: "tau_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(10.0),
        range: Some((1e-6, 1e9)),
        unit: "ms",
        doc: "Time constant τ",
    },
    ParamSpec {
        name: "drive",
        ty: ParamType::FloatList,
        default: DefaultValue::Float(1.0),
        range: None,
        unit: "1",
        doc: "Constant drive, one value or one per node",
    },
    ParamSpec {
        name: "x0",
        ty: ParamType::FloatList,
        default: DefaultValue::Float(0.0),
        range: None,
        unit: "1",
        doc: "Initial state, one value or one per node",
    },
    ParamSpec {
        name: "sigma",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: Some((0.0, 1e9)),
        unit: "1",
        doc: "Stationary standard deviation of the noise",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "linear_ode",
    doc: "Leaky integrators τ dx/dt = −x + drive + input (+ noise), integrated exactly per step",
    params: PARAMS,
    inputs: &[PortDecl {
        name: "input",
        ty: PortType::Series,
        doc: "additive input u(t), variable 0",
        end_stamped: false,
    }],
    outputs: &[PortDecl {
        name: "output",
        ty: PortType::Series,
        doc: "state x after every step",
        end_stamped: false,
    }],
    build,
};

struct LinearOde {
    n: usize,
    tau: f64,
    drive: Vec<f64>,
    x: Vec<f64>,
    sigma: f64,
    e: f64,
    rng: rand::rngs::StdRng,
    meta: Arc<SeriesMeta>,
}

fn per_node(
    v: Option<Vec<f64>>,
    n: usize,
    key: &str,
    default: f64,
) -> Result<Vec<f64>, BuildError> {
    match v {
        None => Ok(vec![default; n]),
        Some(v) if v.len() == 1 => Ok(vec![v[0]; n]),
        Some(v) if v.len() == n => Ok(v),
        Some(v) => Err(
            BuildError::at(key, format!("{} values for {n} nodes", v.len()))
                .hint("give one value, or one per node"),
        ),
    }
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let n = p.i64("n_nodes")? as usize;
    let tau = p.f64("tau_ms")?;
    Ok(Box::new(LinearOde {
        n,
        tau,
        drive: per_node(p.f64_list("drive")?, n, "drive", 1.0)?,
        x: per_node(p.f64_list("x0")?, n, "x0", 0.0)?,
        sigma: p.f64("sigma")?,
        e: (-ctx.dt_ms / tau).exp(),
        rng: rand::rngs::StdRng::seed_from_u64(0),
        meta: Arc::new(SeriesMeta::new(
            vec!["x".into()],
            (0..n).map(|i| format!("{}[{i}]", ctx.name)).collect(),
            "1",
        )),
    }))
}

impl Actor for LinearOde {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        if let Some(nn) = ctx.input("input").and_then(|s| s.nodes) {
            if nn != 1 && nn != self.n {
                return Err(BuildError::at(
                    "n_nodes",
                    format!(
                        "{} nodes, but its `input` brings {nn} (give 1 for all, or one per node)",
                        self.n
                    ),
                ));
            }
        }
        Ok(Footprint {
            // drive, state and a label per node
            memory_bytes: self.n as f64 * 48.0,
            outputs: vec![("output", PortShape::series(1, self.n, 1.0))],
            ..Default::default()
        })
    }

    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        self.rng = rand::rngs::StdRng::seed_from_u64(ctx.seed);
        let _ = self.tau;
        Ok(())
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let u = series(inputs, "input")?;
        if let Some(u) = u {
            let nn = u.data.shape()[2];
            if nn != 1 && nn != self.n {
                return Err(ActorError::new(format!(
                    "input has {nn} nodes, this actor has {} (give 1 or {})",
                    self.n, self.n
                )));
            }
        }
        let steps = w.n_steps as usize;
        let mut data = Array3::zeros((steps, 1, self.n));
        let mut k_in = 0;
        let noise_amp = self.sigma * (1.0 - self.e * self.e).sqrt();
        for s in 0..steps {
            let step = w.start_step + s as u64;
            // input sample stamped `step` applies to step → step+1
            let mut row = None;
            if let Some(u) = u {
                while k_in < u.stamps.len() && u.stamps[k_in] < step {
                    k_in += 1;
                }
                if k_in < u.stamps.len() && u.stamps[k_in] == step {
                    row = Some(k_in);
                }
            }
            for i in 0..self.n {
                let ui = match (u, row) {
                    (Some(u), Some(r)) => {
                        let nn = u.data.shape()[2];
                        u.data[[r, 0, if nn == 1 { 0 } else { i }]]
                    }
                    _ => 0.0,
                };
                let z: f64 = if self.sigma > 0.0 {
                    StandardNormal.sample(&mut self.rng)
                } else {
                    0.0
                };
                self.x[i] =
                    self.x[i] * self.e + (self.drive[i] + ui) * (1.0 - self.e) + noise_amp * z;
                if !self.x[i].is_finite() {
                    return Err(ActorError::new(format!(
                        "state of node {i} became {} at step {}",
                        self.x[i],
                        step + 1
                    )));
                }
                data[[s, 0, i]] = self.x[i];
            }
        }
        let stamps: Vec<u64> = (w.start_step + 1..=w.start_step + w.n_steps).collect();
        out.set(
            "output",
            Payload::Series(Arc::new(Series {
                times_ms: stamps.iter().map(|k| *k as f64 * w.dt_ms).collect(),
                stamps,
                data,
                meta: self.meta.clone(),
            })),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxes_to_its_drive_exactly() {
        let mut a = LinearOde {
            n: 1,
            tau: 10.0,
            drive: vec![2.0],
            x: vec![0.0],
            sigma: 0.0,
            e: (-0.1f64 / 10.0).exp(),
            rng: rand::rngs::StdRng::seed_from_u64(1),
            meta: Arc::new(SeriesMeta::new(vec!["x".into()], vec!["n".into()], "1")),
        };
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: 100,
            dt_ms: 0.1,
        };
        let mut out = Outputs::default();
        a.step(&w, &Inputs::default(), &mut out).unwrap();
        let s = out.take("output").unwrap();
        let s = s.as_series().unwrap();
        // x(t) = 2 (1 − e^{−t/τ}) at t = 10 ms
        let want = 2.0 * (1.0 - (-1.0f64).exp());
        assert!((s.data[[99, 0, 0]] - want).abs() < 1e-12);
        assert_eq!(s.stamps[0], 1);
        assert_eq!(s.stamps[99], 100);
    }
}
