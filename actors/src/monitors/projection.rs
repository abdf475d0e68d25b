//! `eeg`, `meg`, `ieeg`: tvb-library's sensor-space monitors (`EEG`, `MEG`,
//! `iEEG`) of a region or a surface simulation, applied to a raw state
//! stream — a lead field (tvb-data's projection matrix, reduced to regions
//! with a region mapping for a region simulation, used as is on the
//! vertices of a surface's `state`) times the state, averaged over each
//! period, with optional observation noise and, for EEG, a reference
//! electrode or the average reference. Without a projection matrix
//! (`projection = "analytic"`) the lead field is tvb-library's analytic one
//! on the sources of the simulation (`brainstream_models::analytic_gain`).
//! The numerics are `brainstream_models::monitors::projection`;
//! the output's nodes are the sensors, with their positions.

use std::path::PathBuf;
use std::sync::Arc;

use brainstream_models::analytic_gain::{analytic_lead_field, Sources};
use brainstream_models::datafile::Matrix;
use brainstream_models::leadfield::{
    load_region_mapping, read_any_matrix, LeadField, MAX_GAIN_VALUES,
};
use brainstream_models::monitors::{Projection, Reference};
use brainstream_models::sensors::{Modality, Sensors};
use brainstream_models::ModelError;
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, NodeSpace,
    Outputs, ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, Series,
    SeriesMeta, WindowInfo,
};
use ndarray::Array3;

use super::OFFSET;
use crate::util::{check_consecutive, series};

macro_rules! params {
    ($sensors:literal, $projection:literal $(, $extra:expr)*) => {
        &[
            ParamSpec {
                name: "sensors",
                ty: ParamType::Str,
                default: DefaultValue::Str($sensors),
                range: None,
                unit: "",
                doc: "The sensors: builtin:eeg65, builtin:meg276, builtin:seeg39 or builtin:seeg588 (tvb-data's files), or a tvb-data sensor file (`label x y z`, MEG `label x y z ox oy oz`; .txt or .txt.bz2), relative to the graph file",
            },
            ParamSpec {
                name: "projection",
                ty: ParamType::Str,
                default: DefaultValue::Str($projection),
                range: None,
                unit: "",
                doc: "The lead field (tvb-library's projection matrix), sensors × regions or sensors × surface vertices (on a surface's vertex `state`, vertex_stride = 1, used as is: tvb-library's surface EEG/MEG/iEEG, e.g. tvb-data's projection_eeg_65_surface_16k.npy): builtin:eeg65_tvb76, builtin:meg276_tvb76 or builtin:seeg39_tvb76 (for the builtin sensors and connectome), a .npy, level-5 .mat (ProjectionMatrix) or text file; or `analytic`: what tvb-library computes without a projection (the monitor's `analytic`: Sarvas 1987 eq. 12 for iEEG and, on a sphere around the sources, EEG; eq. 25's field magnitude for MEG) on the sources named by `surface` (its vertices and vertex normals: a surface simulation) or `connectivity` (its region centres and average orientations: a region simulation)",
            },
            ParamSpec {
                name: "region_mapping",
                ty: ParamType::Str,
                default: DefaultValue::Optional,
                range: None,
                unit: "",
                doc: "Vertex → region map (tvb-data's regionMapping_16k_76.txt, or `builtin:tvb76_16k`) when the projection's columns are surface vertices and the input is a region signal: the region lead field is the sum over each region's vertices, as tvb-library computes it (not needed, and not used, on a surface's vertex `state`, as in tvb-library)",
            },
            ParamSpec {
                name: "period_ms",
                ty: ParamType::Float,
                default: DefaultValue::Float(0.9765625),
                range: Some((1e-9, 1e12)),
                unit: "ms",
                doc: "Sampling period; int(period/dt) steps are averaged, as tvb-library (its default 1e3/1024 ms is 9 steps at dt 0.1 ms)",
            },
            ParamSpec {
                name: "observation_noise",
                ty: ParamType::Bool,
                default: DefaultValue::Bool(false),
                range: None,
                unit: "",
                doc: "Add tvb-library's observation noise (its default obsnoise): sqrt(dt)·N(0, 1) per sample and sensor from numpy's RandomState(noise_seed)",
            },
            ParamSpec {
                name: "noise_seed",
                ty: ParamType::Int,
                default: DefaultValue::Int(42),
                range: Some((0.0, 4294967295.0)),
                unit: "",
                doc: "Seed of the observation noise (tvb-library's noise_seed, 42)",
            },
            ParamSpec {
                name: "surface",
                ty: ParamType::Str,
                default: DefaultValue::Optional,
                range: None,
                unit: "",
                doc: "With projection = \"analytic\" on a surface's vertex `state` (vertex_stride = 1): the surface simulated (builtin:cortex_16k or a TVB surface zip with its vertex normals), whose vertices and normals are the sources, as in tvb-library's surface simulation",
            },
            ParamSpec {
                name: "connectivity",
                ty: ParamType::Str,
                default: DefaultValue::Optional,
                range: None,
                unit: "",
                doc: "With projection = \"analytic\" on a region signal: the connectome simulated (builtin:tvb76, a TVB zip or a folder with centres and average_orientations), whose region centres and orientations are the sources, as in tvb-library's region simulation",
            },
            OFFSET,
            $($extra,)*
        ]
    };
}

const REFERENCE: ParamSpec = ParamSpec {
    name: "reference",
    ty: ParamType::Str,
    default: DefaultValue::Optional,
    range: None,
    unit: "",
    doc: "EEG reference: a sensor label (that electrode is subtracted from every sensor), `average` (the mean of all sensors), or absent for reference-free signals (tvb-library's default)",
};

const SIGMA: ParamSpec = ParamSpec {
    name: "sigma",
    ty: ParamType::Float,
    default: DefaultValue::Float(1.0),
    range: Some((1e-12, 1e12)),
    unit: "S/m",
    doc: "Conductivity of the analytic lead field (projection = \"analytic\"), tvb-library's sigma (default 1)",
};

const EEG_PARAMS: &[ParamSpec] = params!("builtin:eeg65", "builtin:eeg65_tvb76", REFERENCE, SIGMA);
const MEG_PARAMS: &[ParamSpec] = params!("builtin:meg276", "builtin:meg276_tvb76");
const IEEG_PARAMS: &[ParamSpec] = params!("builtin:seeg39", "builtin:seeg39_tvb76", SIGMA);

const INPUTS: &[PortDecl] = &[PortDecl {
    name: "input",
    ty: PortType::Series,
    doc: "raw state of every region, one sample per step (a mean_field's `state`), or of every vertex (a surface's `state` with vertex_stride = 1)",
    end_stamped: false,
}];

const OUTPUTS: &[PortDecl] = &[PortDecl {
    name: "output",
    ty: PortType::Series,
    doc: "one sample per period: each input variable seen by each sensor",
    end_stamped: false,
}];

/// `eeg`.
pub const EEG: KindSpec = KindSpec {
    name: "eeg",
    doc: "tvb-library's EEG monitor of a region or surface simulation: a lead field (builtin: tvb-data's 65-electrode cap on the 76-region connectome) times the state, averaged per period, with a reference electrode or the average reference and optional observation noise",
    params: EEG_PARAMS,
    inputs: INPUTS,
    outputs: OUTPUTS,
    build: build_eeg,
};

/// `meg`.
pub const MEG: KindSpec = KindSpec {
    name: "meg",
    doc: "tvb-library's MEG monitor of a region or surface simulation: a lead field (builtin: tvb-data's 276 sensors on the 76-region connectome) times the state, averaged per period, with optional observation noise",
    params: MEG_PARAMS,
    inputs: INPUTS,
    outputs: OUTPUTS,
    build: build_meg,
};

/// `ieeg`.
pub const IEEG: KindSpec = KindSpec {
    name: "ieeg",
    doc: "tvb-library's iEEG (SEEG) monitor of a region or surface simulation: a lead field (builtin: tvb-library's analytic point-dipole field of tvb-data's 103 SEEG contacts on the 76-region connectome) times the state, averaged per period, with optional observation noise",
    params: IEEG_PARAMS,
    inputs: INPUTS,
    outputs: OUTPUTS,
    build: build_ieeg,
};

fn build_eeg(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    build(ctx, Modality::Eeg)
}
fn build_meg(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    build(ctx, Modality::Meg)
}
fn build_ieeg(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    build(ctx, Modality::Internal)
}

/// The projection as read, before the number of regions is known.
enum Lead {
    Builtin(String),
    /// tvb-library's `analytic` on the sources' `what` (already computed).
    Analytic(LeadField),
    File {
        matrix: Matrix,
        source: String,
        rmap: Option<(String, Vec<usize>)>,
    },
}

struct Proj {
    kind: &'static str,
    sensors: Sensors,
    lead: Lead,
    /// the projection's columns (the lead field's sources)
    columns: usize,
    period: f64,
    dt: f64,
    offset: u64,
    reference: Reference,
    noise_seed: Option<u32>,
    mon: Option<Projection>,
    meta: Option<Arc<SeriesMeta>>,
    last: Option<u64>,
}

fn build(ctx: &BuildCtx, modality: Modality) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let base = p.base_dir();
    let sensors_spec = p.str("sensors")?;
    let sensors = Sensors::load(&sensors_spec, base, modality)
        .map_err(|e| BuildError::at("sensors", e.to_string()))?;
    let spec = p.str("projection")?;
    let rm = p.opt_str("region_mapping")?;
    let surface = p.opt_str("surface")?;
    let conn = p.opt_str("connectivity")?;
    if spec != "analytic" {
        if let Some((k, _)) = [("surface", &surface), ("connectivity", &conn)]
            .into_iter()
            .find(|(_, v)| v.is_some())
        {
            return Err(BuildError::at(
                k,
                format!(
                    "`{k}` names the sources of an analytic lead field; the projection is `{spec}`"
                ),
            )
            .hint("drop it, or set projection = \"analytic\""));
        }
    }
    let (lead, rows, columns) = if spec == "analytic" {
        if rm.is_some() {
            return Err(BuildError::at(
                "region_mapping",
                "an analytic lead field is computed on its sources directly: drop `region_mapping`",
            ));
        }
        let sources = match (&surface, &conn) {
            (Some(s), None) => Sources::surface(s, base)
                .map_err(|e| BuildError::at("surface", e.to_string()))?,
            (None, Some(c)) => Sources::regions(c, base)
                .map_err(|e| BuildError::at("connectivity", e.to_string()))?,
            _ => {
                return Err(BuildError::at(
                    "projection",
                    "an analytic lead field needs its sources: `surface` (a surface simulation's vertices) or `connectivity` (a region simulation's regions), one of them",
                )
                .hint("e.g. surface = \"builtin:cortex_16k\" or connectivity = \"builtin:tvb76\""))
            }
        };
        let sigma = match modality {
            Modality::Meg => 1.0,
            _ => p.f64("sigma")?,
        };
        let lf = analytic_lead_field(&sensors, &sources, sigma)
            .map_err(|e| BuildError::at("projection", e.to_string()))?;
        let (r, c) = (lf.sensors, lf.regions);
        (Lead::Analytic(lf), r, c)
    } else if let Some(b) = brainstream_models::leadfield::BUILTIN_LEADFIELDS
        .iter()
        .find(|b| b.0 == spec)
    {
        if b.1 != sensors_spec {
            return Err(BuildError::at(
                "projection",
                format!(
                    "`{}` is the lead field of `{}`, not of `{sensors_spec}`",
                    b.0, b.1
                ),
            )
            .hint("a builtin lead field goes with its own builtin sensors"));
        }
        if rm.is_some() {
            return Err(BuildError::at(
                "region_mapping",
                format!(
                    "`{}` is already reduced to regions: drop `region_mapping`",
                    b.0
                ),
            ));
        }
        let lf = LeadField::load(&spec, None, base, sensors.len(), 76)
            .map_err(|e| BuildError::at("projection", e.to_string()))?;
        (Lead::Builtin(spec.clone()), lf.sensors, lf.regions)
    } else if spec.starts_with("builtin:") {
        let known: Vec<&str> = brainstream_models::leadfield::BUILTIN_LEADFIELDS
            .iter()
            .map(|b| b.0)
            .collect();
        return Err(BuildError::at(
            "projection",
            format!(
                "unknown builtin lead field `{spec}` (known: {})",
                known.join(", ")
            ),
        ));
    } else {
        let path: PathBuf = base.join(&spec);
        let matrix = read_any_matrix(&path, "projection", MAX_GAIN_VALUES)
            .map_err(|e| BuildError::at("projection", e.to_string()))?;
        let rmap = match rm {
            Some(r) => Some((
                r.clone(),
                load_region_mapping(&r, base)
                    .map_err(|e| BuildError::at("region_mapping", e.to_string()))?,
            )),
            None => None,
        };
        let (rows, cols) = (matrix.rows, matrix.cols);
        (
            Lead::File {
                matrix,
                source: path.display().to_string(),
                rmap,
            },
            rows,
            cols,
        )
    };
    if rows != sensors.len() {
        return Err(BuildError::at(
            "projection",
            format!(
                "{rows} rows, one per sensor, but `{sensors_spec}` has {} sensors",
                sensors.len()
            ),
        ));
    }
    let reference_label = match modality {
        Modality::Eeg => p.opt_str("reference")?,
        _ => None,
    };
    let reference = match reference_label {
        None => Reference::None,
        Some(r) if r == "average" => Reference::Average,
        Some(r) => match sensors.labels.iter().position(|l| *l == r) {
            Some(k) => Reference::Sensor(k),
            None => {
                return Err(BuildError::at(
                    "reference",
                    format!("no sensor `{r}` in `{sensors_spec}`"),
                )
                .hint(format!(
                    "a sensor label (e.g. `{}`) or `average`",
                    sensors.labels[0]
                )))
            }
        },
    };
    let period = p.f64("period_ms")?;
    brainstream_models::monitors::projection::projection_period_steps(period, ctx.dt_ms)
        .map_err(|e| BuildError::at("period_ms", e.to_string()))?;
    let noise_seed = if p.bool("observation_noise")? {
        Some(p.i64("noise_seed")? as u32)
    } else {
        None
    };
    Ok(Box::new(Proj {
        kind: match modality {
            Modality::Eeg => "eeg",
            Modality::Meg => "meg",
            Modality::Internal => "ieeg",
        },
        sensors,
        lead,
        columns,
        period,
        dt: ctx.dt_ms,
        offset: p.i64("offset_steps")? as u64,
        reference,
        noise_seed,
        mon: None,
        meta: None,
        last: None,
    }))
}

impl Proj {
    /// The region lead field for `regions` regions.
    fn lead_field(&self, regions: usize) -> Result<LeadField, ModelError> {
        match &self.lead {
            Lead::Builtin(name) => LeadField::load(
                name,
                None,
                std::path::Path::new("."),
                self.sensors.len(),
                regions,
            ),
            Lead::Analytic(lf) if lf.regions == regions => Ok(lf.clone()),
            Lead::Analytic(lf) => Err(ModelError::Config(format!(
                "{}: {} sources but the monitored signal has {regions} nodes (a surface's `state` needs vertex_stride = 1; a region signal, `connectivity`)",
                lf.source, lf.regions
            ))),
            Lead::File {
                matrix,
                source,
                rmap,
            } => LeadField::from_matrix(
                matrix.clone(),
                rmap.as_ref().map(|(n, v)| (n.as_str(), v.as_slice())),
                self.sensors.len(),
                regions,
                source,
            ),
        }
    }
}

impl Actor for Proj {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let Some(i) = ctx.input("input") else {
            return Ok(Footprint::default());
        };
        if let Some(n) = i.nodes {
            match &self.lead {
                // already computed: compared without a copy
                Lead::Analytic(lf) if lf.regions == n => {}
                _ => {
                    self.lead_field(n)
                        .map_err(|e| BuildError::at("projection", e.to_string()))?;
                }
            }
        }
        let steps = brainstream_models::monitors::projection::projection_period_steps(
            self.period,
            ctx.dt_ms,
        )
        .unwrap_or(1) as f64;
        let nv = i.variables.unwrap_or(1);
        let out = PortShape::named_series(
            &i.names
                .as_ref()
                .map(|n| n.variables.clone())
                .unwrap_or_else(|| vec![String::new(); nv]),
            &self.sensors.labels,
            i.samples_per_step.min(1.0) / steps,
        );
        Ok(Footprint {
            memory_bytes: (self.sensors.len() * (self.columns + nv)) as f64 * 8.0,
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
            let lead = self.lead_field(nn).map_err(ActorError::new)?;
            self.mon = Some(
                Projection::new(
                    lead,
                    nv,
                    self.period,
                    self.dt,
                    self.offset,
                    self.reference.clone(),
                    self.noise_seed,
                )
                .map_err(ActorError::new)?,
            );
        }
        let meta = match &self.meta {
            Some(m) if m.variables == s.meta.variables => m.clone(),
            _ => {
                let m = Arc::new(SeriesMeta {
                    variables: s.meta.variables.clone(),
                    nodes: self.sensors.labels.clone(),
                    // the lead field's unit times the state's: not known
                    units: vec![String::new(); nv],
                    space: NodeSpace::Sensors {
                        modality: self.sensors.modality.name().to_string(),
                        positions: self.sensors.locations.clone(),
                    },
                });
                self.meta = Some(m.clone());
                m
            }
        };
        let Some(mon) = self.mon.as_mut() else {
            return Ok(());
        };
        let ns = self.sensors.len();
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
        let data = Array3::from_shape_vec((stamps.len(), nv, ns), vals).map_err(ActorError::new)?;
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
