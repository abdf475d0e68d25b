//! Monitor actors: tvb-library's `TemporalAverage`, `SubSample`, `Bold` and
//! the sensor-space `EEG`, `MEG`, `iEEG` applied to a raw state stream (one sample per step). The numerics are in
//! `brainstream_models::monitors`; these actors feed them sample by sample.

pub mod bold;
pub mod projection;
pub mod spatial_average;
pub mod subsample;
pub mod temporal_average;

use std::sync::Arc;

use brainstream_models::monitors::Sample;
use brainstream_runtime::{
    ActorError, DefaultValue, Footprint, Inputs, Outputs, ParamSpec, ParamType, Payload, PlanCtx,
    PortShape, Series, SeriesMeta,
};
use ndarray::Array3;

use crate::util::{check_consecutive, series};

pub(crate) const OFFSET: ParamSpec = ParamSpec {
    name: "offset_steps",
    ty: ParamType::Int,
    default: DefaultValue::Int(0),
    range: Some((0.0, 1e12)),
    unit: "steps",
    doc: "Added to the step count before sampling; horizon − 1 reproduces tvb-library's sampling phase and time stamps",
};

/// A monitor's plan: one output sample per `period_ms` for each input
/// sample per step, and `held` input samples kept (a kernel's length).
pub(crate) fn plan(ctx: &PlanCtx, period_ms: f64, held: f64) -> Footprint {
    let Some(i) = ctx.input("input") else {
        return Footprint::default();
    };
    let per_step = (ctx.dt_ms / period_ms).min(1.0) * i.samples_per_step.min(1.0);
    let values = match (i.variables, i.nodes) {
        (Some(v), Some(n)) => (v * n) as f64,
        _ => i.bytes_per_step / 8.0,
    };
    let mut out = PortShape {
        samples_per_step: per_step,
        bytes_per_step: per_step * (values * 8.0 + 16.0),
        ..i.clone()
    };
    if i.samples_per_step == 0.0 {
        out.bytes_per_step = 0.0;
    }
    Footprint {
        memory_bytes: held * values * 8.0,
        outputs: vec![("output", out)],
        ..Default::default()
    }
}

/// Feeds every sample of `input` to `f` and sends what it returns, with
/// the input's names and units (`unit`: one unit for every variable
/// instead, kept in `meta` from window to window).
pub(crate) fn apply(
    who: &str,
    inputs: &Inputs,
    out: &mut Outputs,
    last: &mut Option<u64>,
    unit: Option<(&str, &mut Option<Arc<SeriesMeta>>)>,
    mut f: impl FnMut(u64, &[f64]) -> Result<Option<Sample>, ActorError>,
) -> Result<(), ActorError> {
    let Some(s) = series(inputs, "input")? else {
        return Ok(());
    };
    check_consecutive(s, last, who)?;
    let (nv, nn) = (s.data.shape()[1], s.data.shape()[2]);
    let mut times = vec![];
    let mut stamps = vec![];
    let mut vals = vec![];
    for (k, &st) in s.stamps.iter().enumerate() {
        let row = s.data.slice(ndarray::s![k, .., ..]);
        let flat: Vec<f64> = row.iter().copied().collect();
        if let Some(smp) = f(st, &flat)? {
            times.push(smp.time_ms);
            stamps.push(st);
            vals.extend(smp.values);
        }
    }
    let data = Array3::from_shape_vec((stamps.len(), nv, nn), vals).map_err(ActorError::new)?;
    let meta = match unit {
        None => s.meta.clone(),
        Some((u, kept)) => match kept {
            Some(m) if m.variables == s.meta.variables && m.nodes == s.meta.nodes => m.clone(),
            _ => {
                let m = Arc::new(SeriesMeta::new(
                    s.meta.variables.clone(),
                    s.meta.nodes.clone(),
                    u,
                ));
                *kept = Some(m.clone());
                m
            }
        },
    };
    out.set(
        "output",
        Payload::Series(Arc::new(Series {
            stamps,
            times_ms: times,
            data,
            meta,
        })),
    );
    Ok(())
}
