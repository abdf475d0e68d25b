//! `temporal_average`: tvb-library's `TemporalAverage` monitor — every
//! `period_ms`, the mean of the raw samples of the period, stamped at the
//! middle of the period.

use brainstream_models::monitors::TemporalAverage;
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, PlanCtx, PortDecl, PortType, StateReader, StateWriter, Stateful,
    WindowInfo,
};

use super::{apply, OFFSET};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "period_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.9765625),
        range: Some((1e-9, 1e12)),
        unit: "ms",
        doc: "Sampling period (tvb-library's default 0.9765625 ms, 1024 Hz)",
    },
    OFFSET,
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "temporal_average",
    doc: "tvb-library's TemporalAverage monitor: the mean of each period of a raw series",
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
        doc: "one averaged sample per period",
        end_stamped: false,
    }],
    build,
};

struct Ta {
    period: f64,
    dt: f64,
    offset: u64,
    mon: Option<TemporalAverage>,
    last: Option<u64>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let period = ctx.params.f64("period_ms")?;
    let offset = ctx.params.i64("offset_steps")? as u64;
    brainstream_models::monitors::period_steps(period, ctx.dt_ms)
        .map_err(|e| BuildError::at("period_ms", e.to_string()))?;
    Ok(Box::new(Ta {
        period,
        dt: ctx.dt_ms,
        offset,
        mon: None,
        last: None,
    }))
}

impl Actor for Ta {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        Ok(super::plan(ctx, self.period, 1.0))
    }

    fn stateful(&mut self) -> Option<&mut dyn Stateful> {
        Some(self)
    }

    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let (period, dt, offset) = (self.period, self.dt, self.offset);
        let mon = &mut self.mon;
        apply(
            "temporal_average",
            inputs,
            out,
            &mut self.last,
            None,
            |step, x| {
                if mon.is_none() {
                    *mon = Some(
                        TemporalAverage::new(period, dt, offset, x.len())
                            .map_err(ActorError::new)?,
                    );
                }
                Ok(mon.as_mut().and_then(|m| m.sample(step, x)))
            },
        )
    }
}

/// A checkpoint: the last step seen and the period in progress.
impl Stateful for Ta {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        let mut w = StateWriter::new();
        w.bool(self.last.is_some());
        w.u64(self.last.unwrap_or(0));
        w.bool(self.mon.is_some());
        if let Some(m) = &self.mon {
            w.f64s(m.stock());
        }
        Ok(w.finish())
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        let mut r = StateReader::new(state, "a temporal_average");
        let has_last = r.bool()?;
        let last = r.u64()?;
        self.last = has_last.then_some(last);
        if r.bool()? {
            let stock = r.f64s()?;
            let istep = brainstream_models::monitors::period_steps(self.period, self.dt)
                .map_err(ActorError::new)?;
            let mut m = TemporalAverage::new(
                self.period,
                self.dt,
                self.offset,
                stock.len() / istep.max(1),
            )
            .map_err(ActorError::new)?;
            m.set_stock(&stock).map_err(ActorError::new)?;
            self.mon = Some(m);
        }
        r.end()
    }
}
