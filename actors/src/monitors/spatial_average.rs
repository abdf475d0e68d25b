//! `spatial_average` and `global_average`: tvb-library's `SpatialAverage`
//! (the mean over groups of regions given by a `spatial_mask`) and
//! `GlobalAverage` (the mean over every region), sub-sampled every period
//! as `SubSample`. The numerics are
//! `brainstream_models::monitors::spatial_average`.

use std::sync::Arc;

use brainstream_models::monitors::spatial_average::{Grouping, SpatialAverage};
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, Series, SeriesMeta,
    WindowInfo,
};
use ndarray::Array3;

use super::OFFSET;
use crate::util::{check_consecutive, series};

const PERIOD: ParamSpec = ParamSpec {
    name: "period_ms",
    ty: ParamType::Float,
    default: DefaultValue::Float(0.9765625),
    range: Some((1e-9, 1e12)),
    unit: "ms",
    doc: "Sampling period: every rint(period/dt) steps the current state is averaged (tvb-library's default 0.9765625 ms)",
};

const SPATIAL_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "spatial_mask",
        ty: ParamType::FloatList,
        default: DefaultValue::Required,
        range: Some((0.0, 1e9)),
        unit: "",
        doc: "tvb-library's spatial_mask: one group index per region (integers, every group from 0 to A−1 used); each group's output is the mean of its regions",
    },
    ParamSpec {
        name: "group_names",
        ty: ParamType::StrList,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "A name per group (the output's node labels); default group0, group1, …",
    },
    PERIOD,
    OFFSET,
];

const GLOBAL_PARAMS: &[ParamSpec] = &[PERIOD, OFFSET];

const INPUTS: &[PortDecl] = &[PortDecl {
    name: "input",
    ty: PortType::Series,
    doc: "raw state of every region, one sample per step",
    end_stamped: false,
}];

/// `spatial_average`.
pub const KIND: KindSpec = KindSpec {
    name: "spatial_average",
    doc: "tvb-library's SpatialAverage monitor: every period, the mean of the state over each group of regions of a spatial_mask",
    params: SPATIAL_PARAMS,
    inputs: INPUTS,
    outputs: &[PortDecl {
        name: "output",
        ty: PortType::Series,
        doc: "one sample per period, one node per group",
        end_stamped: false,
    }],
    build: build_spatial,
};

/// `global_average`.
pub const GLOBAL: KindSpec = KindSpec {
    name: "global_average",
    doc:
        "tvb-library's GlobalAverage monitor: every period, the mean of the state over all regions",
    params: GLOBAL_PARAMS,
    inputs: INPUTS,
    outputs: &[PortDecl {
        name: "output",
        ty: PortType::Series,
        doc: "one sample per period, one node (`global`)",
        end_stamped: false,
    }],
    build: build_global,
};

struct Avg {
    kind: &'static str,
    mask: Option<Vec<usize>>,
    names: Vec<String>,
    period: f64,
    dt: f64,
    offset: u64,
    mon: Option<SpatialAverage>,
    meta: Option<Arc<SeriesMeta>>,
    last: Option<u64>,
}

fn common(ctx: &BuildCtx) -> Result<(f64, u64), BuildError> {
    let period = ctx.params.f64("period_ms")?;
    brainstream_models::monitors::period_steps(period, ctx.dt_ms)
        .map_err(|e| BuildError::at("period_ms", e.to_string()))?;
    Ok((period, ctx.params.i64("offset_steps")? as u64))
}

fn build_spatial(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let (period, offset) = common(ctx)?;
    let raw = ctx
        .params
        .f64_list("spatial_mask")?
        .ok_or_else(|| BuildError::at("", "missing required parameter `spatial_mask`"))?;
    let mut mask = Vec::with_capacity(raw.len());
    for (k, &g) in raw.iter().enumerate() {
        if !(g >= 0.0 && g.fract() == 0.0 && g < 1e9) {
            return Err(BuildError::at(
                format!("spatial_mask[{k}]"),
                format!("{g} is not a group index (an integer ≥ 0)"),
            ));
        }
        mask.push(g as usize);
    }
    let groups = mask.iter().copied().max().map_or(0, |m| m + 1);
    if let Some(a) = (0..groups).find(|a| !mask.contains(a)) {
        return Err(BuildError::at(
            "spatial_mask",
            format!(
                "group {a} has no region: groups must be contiguous from 0 (0…{})",
                groups - 1
            ),
        ));
    }
    let names = match ctx.params.str_list("group_names")? {
        Some(n) if n.len() != groups => {
            return Err(BuildError::at(
                "group_names",
                format!("{} names for {groups} groups", n.len()),
            ))
        }
        Some(n) => n,
        None => (0..groups).map(|a| format!("group{a}")).collect(),
    };
    Ok(Box::new(Avg {
        kind: "spatial_average",
        mask: Some(mask),
        names,
        period,
        dt: ctx.dt_ms,
        offset,
        mon: None,
        meta: None,
        last: None,
    }))
}

fn build_global(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let (period, offset) = common(ctx)?;
    Ok(Box::new(Avg {
        kind: "global_average",
        mask: None,
        names: vec!["global".into()],
        period,
        dt: ctx.dt_ms,
        offset,
        mon: None,
        meta: None,
        last: None,
    }))
}

impl Avg {
    fn check_nodes(&self, n: usize) -> Result<(), String> {
        match &self.mask {
            Some(m) if m.len() != n => Err(format!(
                "{} entries, but the input has {n} regions (one group per region)",
                m.len()
            )),
            _ => Ok(()),
        }
    }
}

impl Actor for Avg {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let Some(i) = ctx.input("input") else {
            return Ok(Footprint::default());
        };
        if let Some(n) = i.nodes {
            self.check_nodes(n)
                .map_err(|e| BuildError::at("spatial_mask", e))?;
        }
        let steps =
            brainstream_models::monitors::period_steps(self.period, ctx.dt_ms).unwrap_or(1) as f64;
        let out = PortShape::named_series(
            &i.names
                .as_ref()
                .map(|n| n.variables.clone())
                .unwrap_or_else(|| vec![String::new(); i.variables.unwrap_or(1)]),
            &self.names,
            i.samples_per_step.min(1.0) / steps,
        );
        Ok(Footprint {
            outputs: vec![("output", out)],
            ..Default::default()
        })
    }

    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let Some(s) = series(inputs, "input")? else {
            return Ok(());
        };
        check_consecutive(s, &mut self.last, self.kind)?;
        let (nv, nn) = (s.data.shape()[1], s.data.shape()[2]);
        if self.mon.is_none() {
            self.check_nodes(nn)
                .map_err(|e| ActorError::new(format!("{}: spatial_mask: {e}", self.kind)))?;
            let grouping = match &self.mask {
                Some(m) => Grouping::Mask(m.clone()),
                None => Grouping::Global,
            };
            self.mon = Some(
                SpatialAverage::new(grouping, nn, self.period, self.dt, self.offset)
                    .map_err(ActorError::new)?,
            );
        }
        let meta = match &self.meta {
            Some(m) if m.variables == s.meta.variables => m.clone(),
            _ => {
                let m = Arc::new(SeriesMeta {
                    variables: s.meta.variables.clone(),
                    nodes: self.names.clone(),
                    units: s.meta.units.clone(),
                    space: Default::default(),
                });
                self.meta = Some(m.clone());
                m
            }
        };
        let Some(mon) = self.mon.as_mut() else {
            return Ok(());
        };
        let ng = mon.groups();
        let (mut stamps, mut times, mut vals) = (vec![], vec![], vec![]);
        let mut flat = Vec::with_capacity(nv * nn);
        for (k, &st) in s.stamps.iter().enumerate() {
            flat.clear();
            flat.extend(s.data.slice(ndarray::s![k, .., ..]).iter().copied());
            if let Some(smp) = mon.sample(st, &flat) {
                stamps.push(st);
                times.push(smp.time_ms);
                vals.extend(smp.values);
            }
        }
        let data = Array3::from_shape_vec((stamps.len(), nv, ng), vals).map_err(ActorError::new)?;
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
}
