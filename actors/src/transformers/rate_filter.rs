//! `rate_filter`: the linear integration filter of tvb-multiscale,
//! `τ·dX/dt = −X + u(t)`, integrated exactly for input held over each step:
//! `X ← X·e^{−dt/τ} + u·(1 − e^{−dt/τ})`, sample by sample (every variable
//! and node). Turns noisy per-step spike-count rates into smooth rates.
//! Output samples carry the input's stamps; X starts at `initial`.

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, Series, WindowInfo,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "tau_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(10.0),
        range: Some((1e-9, 1e12)),
        unit: "ms",
        doc: "Filter time constant τ",
    },
    ParamSpec {
        name: "initial",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: None,
        unit: "input unit",
        doc: "Initial value of X",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "rate_filter",
    doc: "Linear integration filter τ dX/dt = −X + input, exact per step",
    params: PARAMS,
    inputs: &[PortDecl {
        name: "input",
        ty: PortType::Series,
        doc: "one sample per step",
        end_stamped: false,
    }],
    outputs: &[PortDecl {
        name: "output",
        ty: PortType::Series,
        doc: "filtered, same stamps and shape",
        end_stamped: false,
    }],
    build,
};

struct RateFilter {
    e: f64,
    initial: f64,
    x: Vec<f64>,
    last: Option<u64>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    Ok(Box::new(RateFilter {
        e: (-ctx.dt_ms / p.f64("tau_ms")?).exp(),
        initial: p.f64("initial")?,
        x: vec![],
        last: None,
    }))
}

impl Actor for RateFilter {
    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
    }

    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let Some(s) = crate::util::series(inputs, "input")? else {
            return Ok(());
        };
        crate::util::check_consecutive(s, &mut self.last, "rate_filter")?;
        let len = s.data.shape()[1] * s.data.shape()[2];
        if self.x.is_empty() {
            self.x = vec![self.initial; len];
        }
        let mut data = s.data.clone();
        for mut row in data.outer_iter_mut() {
            for (x, u) in self.x.iter_mut().zip(row.iter_mut()) {
                *x = *x * self.e + *u * (1.0 - self.e);
                *u = *x;
            }
        }
        out.set(
            "output",
            Payload::Series(Arc::new(Series {
                stamps: s.stamps.clone(),
                times_ms: s.times_ms.clone(),
                data,
                meta: s.meta.clone(),
            })),
        );
        Ok(())
    }
}

/// A checkpoint: the filtered values and the last step seen.
impl brainstream_runtime::Stateful for RateFilter {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        let mut w = brainstream_runtime::StateWriter::new();
        w.f64s(&self.x);
        w.bool(self.last.is_some());
        w.u64(self.last.unwrap_or(0));
        Ok(w.finish())
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        let mut r = brainstream_runtime::StateReader::new(state, "a rate_filter");
        self.x = r.f64s()?;
        let has = r.bool()?;
        let last = r.u64()?;
        self.last = has.then_some(last);
        r.end()
    }
}
