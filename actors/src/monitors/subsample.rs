//! `subsample`: tvb-library's `SubSample` monitor — every `period_ms`, the
//! current raw sample.

use brainstream_models::monitors::SubSample;
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, PlanCtx, PortDecl, PortType, WindowInfo,
};

use super::{apply, OFFSET};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "period_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.9765625),
        range: Some((1e-9, 1e12)),
        unit: "ms",
        doc: "Sampling period (tvb-library's default 0.9765625 ms)",
    },
    OFFSET,
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "subsample",
    doc: "tvb-library's SubSample monitor: every period, the current sample of a raw series",
    params: PARAMS,
    inputs: &[PortDecl {
        name: "input",
        ty: PortType::Series,
        doc: "raw series, one sample per step",
        end_stamped: false,
    }],
    outputs: &[PortDecl {
        name: "output",
        ty: PortType::Series,
        doc: "one sample per period",
        end_stamped: false,
    }],
    build,
};

struct Ss {
    period: f64,
    mon: SubSample,
    last: Option<u64>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let period = ctx.params.f64("period_ms")?;
    let offset = ctx.params.i64("offset_steps")? as u64;
    let mon = SubSample::new(period, ctx.dt_ms, offset)
        .map_err(|e| BuildError::at("period_ms", e.to_string()))?;
    Ok(Box::new(Ss {
        period,
        mon,
        last: None,
    }))
}

impl Actor for Ss {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        Ok(super::plan(ctx, self.period, 0.0))
    }

    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let mon = &mut self.mon;
        apply("subsample", inputs, out, &mut self.last, None, |step, x| {
            Ok(mon.sample(step, x))
        })
    }
}
