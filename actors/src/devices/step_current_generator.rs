//! `step_current_generator`: a piecewise constant current, NEST's device of
//! that name. The amplitude set for time `t` (a multiple of dt) arrives in
//! the step starting at `t` (stamp `t/dt`) and acts from the next step, as a
//! NEST step current connected with one step of delay. The output carries
//! one sample per step (stamped at the step it arrives in).

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, Series, SeriesMeta, WindowInfo,
};
use ndarray::Array3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "amplitude_times_ms",
        ty: ParamType::FloatList,
        default: DefaultValue::Required,
        range: Some((0.0, 1e12)),
        unit: "ms",
        doc: "Times of the amplitude changes, ascending multiples of dt",
    },
    ParamSpec {
        name: "amplitude_values_pA",
        ty: ParamType::FloatList,
        default: DefaultValue::Required,
        range: None,
        unit: "pA",
        doc: "Amplitude from each time on",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "step_current_generator",
    doc: "Piecewise constant current (NEST's step_current_generator)",
    params: PARAMS,
    inputs: &[],
    outputs: &[PortDecl {
        name: "current",
        ty: PortType::Current,
        doc: "the current, one sample per step (pA)",
        end_stamped: false,
    }],
    build,
};

struct StepCurrent {
    changes: Vec<(u64, f64)>,
    level: f64,
    next: usize,
    meta: Arc<SeriesMeta>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let changes = super::schedule(p, "amplitude_times_ms", "amplitude_values_pA", ctx.dt_ms)?;
    for (k, &(_, v)) in changes.iter().enumerate() {
        if !v.is_finite() {
            return Err(BuildError::at(
                format!("amplitude_values_pA[{k}]"),
                format!("{v} is not finite"),
            ));
        }
    }
    Ok(Box::new(StepCurrent {
        changes,
        level: 0.0,
        next: 0,
        meta: Arc::new(SeriesMeta::new(
            vec!["I".into()],
            vec![ctx.name.to_string()],
            "pA",
        )),
    }))
}

impl Actor for StepCurrent {
    fn step(
        &mut self,
        w: &WindowInfo,
        _inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let n = w.n_steps as usize;
        let mut data = Array3::zeros((n, 1, 1));
        for s in 0..n {
            let j = w.start_step + s as u64;
            while self.next < self.changes.len() && self.changes[self.next].0 <= j {
                self.level = self.changes[self.next].1;
                self.next += 1;
            }
            data[[s, 0, 0]] = self.level;
        }
        let stamps: Vec<u64> = (w.start_step..w.start_step + w.n_steps).collect();
        out.set(
            "current",
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
