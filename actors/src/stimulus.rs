//! `stimulus`: tvb-library's `StimuliRegion` as an actor. A temporal
//! equation (tvb-library's `PulseTrain`, `Sinusoid`, ... with its
//! parameters and defaults, times in ms) times a weight per region,
//! sent as one sample per step: the sample stamped `k` is
//! `weight_i · temporal(k·dt)`, what drives the step from `k·dt` to
//! `(k+1)·dt` (tvb-library's `stimulus(stim_step)`, its time grid starting
//! at 0 with the simulation). Wired into `mean_field.stimulus`, it enters
//! the model's stimulus variables exactly where tvb-library's integrators
//! add it (`brainstream_models::StimulusInput`).

use std::sync::Arc;

use brainstream_models::stimulus::Temporal;
use brainstream_models::{Connectivity, ModelError};
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, Series, SeriesMeta,
    WindowInfo,
};
use ndarray::Array3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "equation", ty: ParamType::Str, default: DefaultValue::Str("PulseTrain"), range: None, unit: "", doc: "Temporal equation, tvb-library's: PulseTrain, Sinusoid, Cosine, Gaussian, DoubleGaussian, Sigmoid, GeneralizedSigmoid, Linear, Alpha, DiscreteEquation" },
    ParamSpec { name: "equation_params", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "ms", doc: "Its parameters by tvb-library's names, other ones at tvb-library's defaults, e.g. PulseTrain { T = 42.0, tau = 13.0, amp = 1.0, onset = 30.0 }; times in ms, frequencies in 1/ms (every equation's parameters: docs/stimuli.md)" },
    ParamSpec { name: "weights", ty: ParamType::RegionValues, default: DefaultValue::Required, range: None, unit: "1", doc: "Weight of each region (tvb-library's StimuliRegion.weight): a list of one number per region, or { LABEL = weight, ... } with 0 elsewhere" },
    ParamSpec { name: "connectivity", ty: ParamType::Path, default: DefaultValue::Str("builtin:tvb76"), range: None, unit: "", doc: "The connectome of the mean field it drives (its regions and labels): builtin:tvb76, a TVB .zip, an .h5 file or a folder" },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "stimulus",
    doc: "A stimulus as tvb-library's StimuliRegion: a temporal equation times a weight per region, one sample per step, for mean_field.stimulus",
    params: PARAMS,
    inputs: &[brainstream_runtime::control::INPUT],
    outputs: &[PortDecl {
        name: "stimulus",
        ty: PortType::Series,
        doc: "weight_i·temporal(t) for every region (one variable `stimulus`), one sample per step, stamped at the step it drives",
        end_stamped: false,
    }],
    build,
};

struct Stimulus {
    temporal: Temporal,
    weights: Vec<f64>,
    meta: Arc<SeriesMeta>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let eq = p.str("equation")?;
    let overrides = p.number_table("equation_params")?;
    if let Some((k, v)) = overrides.iter().find(|(_, v)| !v.is_finite()) {
        return Err(BuildError::at(
            format!("equation_params.{k}"),
            format!("{v} is not a finite number"),
        ));
    }
    let temporal = Temporal::new(&eq, overrides.iter().map(|(k, v)| (k.as_str(), *v))).map_err(
        |e| match &e {
            ModelError::UnknownParameter { name, .. } => {
                BuildError::at(format!("equation_params.{name}"), e.to_string()).hint(
                    "times in ms, frequencies in 1/ms; parameters not given keep tvb-library's defaults",
                )
            }
            _ => BuildError::at("equation", e.to_string()),
        },
    )?;
    let connectivity = Connectivity::load(&p.str("connectivity")?, p.base_dir())
        .map_err(|e| BuildError::at("connectivity", e.to_string()))?;
    let weights = p
        .region_values("weights", &connectivity.labels, 0.0)?
        .ok_or_else(|| BuildError::at("", "missing required parameter `weights`"))?;
    Ok(Box::new(Stimulus {
        temporal,
        weights,
        meta: Arc::new(SeriesMeta::new(
            vec!["stimulus".into()],
            connectivity.labels.clone(),
            "",
        )),
    }))
}

/// A checkpoint holds nothing: a window's samples depend only on its
/// time and the parameters (steered ones are set again by the run from
/// the checkpoint's steered values).
impl brainstream_runtime::Stateful for Stimulus {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        Ok(vec![])
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        brainstream_runtime::StateReader::new(state, "the stimulus").end()
    }
}

impl Actor for Stimulus {
    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
    }

    fn steerable(&self) -> Vec<String> {
        self.temporal
            .info
            .params
            .iter()
            .map(|(n, _)| format!("equation_params.{n}"))
            .collect()
    }

    /// `equation_params.NAME` (e.g. a pulse's `amp`) from the next window on.
    fn steer(&mut self, key: &str, value: f64) -> Result<f64, ActorError> {
        let k = key
            .strip_prefix("equation_params.")
            .and_then(|n| self.temporal.info.params.iter().position(|(p, _)| *p == n))
            .ok_or_else(|| {
                ActorError::new(format!(
                    "`{key}` cannot change during a run; these can: {}",
                    self.steerable().join(", ")
                ))
            })?;
        Ok(std::mem::replace(&mut self.temporal.values[k], value))
    }

    fn plan(&self, _ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        Ok(Footprint {
            memory_bytes: self.weights.len() as f64 * 8.0,
            outputs: vec![("stimulus", PortShape::series(1, self.weights.len(), 1.0))],
            ..Default::default()
        })
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        _inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let n = self.weights.len();
        let steps = w.n_steps as usize;
        let stamps: Vec<u64> = (w.start_step..w.start_step + w.n_steps).collect();
        // tvb-library's time grid: numpy.r_[0:length:dt], k·dt
        let times_ms: Vec<f64> = stamps.iter().map(|&k| k as f64 * w.dt_ms).collect();
        let mut data = Array3::zeros((steps, 1, n));
        for (s, &t) in times_ms.iter().enumerate() {
            let v = self.temporal.eval(t);
            for (i, &wi) in self.weights.iter().enumerate() {
                // tvb-library: spatial_pattern * temporal_pattern[t]
                data[[s, 0, i]] = wi * v;
            }
        }
        out.set(
            "stimulus",
            Payload::Series(Arc::new(Series {
                stamps,
                times_ms,
                data,
                meta: self.meta.clone(),
            })),
        );
        Ok(())
    }
}
