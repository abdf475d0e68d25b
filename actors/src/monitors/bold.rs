//! `bold`: tvb-library's `Bold` monitor — the first-order Volterra kernel of
//! the Balloon–Windkessel model convolved with 4 ms averages of the input,
//! sampled every `period_ms`.

use brainstream_models::monitors::Bold;
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, PlanCtx, PortDecl, PortType, WindowInfo,
};

use super::{apply, OFFSET};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "period_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(2000.0),
        range: Some((1e-9, 1e12)),
        unit: "ms",
        doc: "Repetition time TR (tvb-library's default 2000 ms)",
    },
    ParamSpec {
        name: "hrf_length_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(20000.0),
        range: Some((4.0, 1e9)),
        unit: "ms",
        doc: "Length of the haemodynamic response kernel",
    },
    OFFSET,
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "bold",
    doc: "tvb-library's Bold monitor: Balloon–Windkessel first-order Volterra kernel (Friston et al. 2000)",
    params: PARAMS,
    inputs: &[PortDecl { name: "input", ty: PortType::Series, doc: "raw series, one sample per step", end_stamped: false }],
    outputs: &[PortDecl { name: "output", ty: PortType::Series, doc: "BOLD signal, one sample per period", end_stamped: false }],
    build,
};

struct B {
    period: f64,
    hrf: f64,
    dt: f64,
    offset: u64,
    mon: Option<Bold>,
    last: Option<u64>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let (period, hrf) = (p.f64("period_ms")?, p.f64("hrf_length_ms")?);
    let offset = p.i64("offset_steps")? as u64;
    Bold::new(period, hrf, ctx.dt_ms, offset, 1)
        .map_err(|e| BuildError::at("period_ms", e.to_string()))?;
    Ok(Box::new(B {
        period,
        hrf,
        dt: ctx.dt_ms,
        offset,
        mon: None,
        last: None,
    }))
}

impl Actor for B {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        // the kernel keeps hrf_length_ms of samples
        Ok(super::plan(ctx, self.period, self.hrf / self.dt))
    }

    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let (period, hrf, dt, offset) = (self.period, self.hrf, self.dt, self.offset);
        let mon = &mut self.mon;
        apply("bold", inputs, out, &mut self.last, |step, x| {
            if mon.is_none() {
                *mon = Some(Bold::new(period, hrf, dt, offset, x.len()).map_err(ActorError::new)?);
            }
            Ok(mon.as_mut().and_then(|m| m.sample(step, x)))
        })
    }
}
