//! `bold`: tvb-library's `Bold` monitor — a haemodynamic kernel (by default
//! the first-order Volterra kernel of the Balloon–Windkessel model; or
//! tvb-library's `Gamma`, `DoubleExponential`, `MixtureOfGammas`)
//! convolved with 4 ms averages of the input, sampled every `period_ms`.

use std::sync::Arc;

use brainstream_models::monitors::{Bold, HrfKernel};
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, PlanCtx, PortDecl, PortType, SeriesMeta, WindowInfo,
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
    ParamSpec {
        name: "hrf_kernel",
        ty: ParamType::Str,
        default: DefaultValue::Str("FirstOrderVolterra"),
        range: None,
        unit: "",
        doc: "tvb-library's hrf_kernel: FirstOrderVolterra (Friston et al. 2000; BOLD = (G∗u − 1)·k_1·V_0), Gamma (Boynton 1996), DoubleExponential (Polonsky 2000) or MixtureOfGammas (Glover 1999, SPM-like); the others give G∗u",
    },
    ParamSpec {
        name: "hrf_params",
        ty: ParamType::Table,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "The kernel's parameters, time constants in s, frequencies in Hz (e.g. { tau = 1.08, n = 3, a = 0.1 } for Gamma); those not given keep tvb-library's defaults",
    },
    OFFSET,
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "bold",
    doc: "tvb-library's Bold monitor: the input's 4 ms averages convolved with a haemodynamic kernel (Balloon–Windkessel first-order Volterra by default, Friston et al. 2000; or Gamma, DoubleExponential, MixtureOfGammas)",
    params: PARAMS,
    inputs: &[PortDecl { name: "input", ty: PortType::Series, doc: "raw series, one sample per step", end_stamped: false }],
    outputs: &[PortDecl { name: "output", ty: PortType::Series, doc: "BOLD signal (dimensionless, unit 1), one sample per period", end_stamped: false }],
    build,
};

struct B {
    kernel: HrfKernel,
    period: f64,
    hrf: f64,
    dt: f64,
    offset: u64,
    mon: Option<Bold>,
    last: Option<u64>,
    /// the output's names, with unit `1`
    meta: Option<Arc<SeriesMeta>>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let (period, hrf) = (p.f64("period_ms")?, p.f64("hrf_length_ms")?);
    let offset = p.i64("offset_steps")? as u64;
    let overrides = p.number_table("hrf_params")?;
    let name = p.str("hrf_kernel")?;
    let kernel = HrfKernel::new(&name, overrides.iter().map(|(k, v)| (k.as_str(), *v))).map_err(
        |e| match &e {
            brainstream_models::ModelError::UnknownName { .. } => {
                BuildError::at("hrf_kernel", e.to_string())
            }
            brainstream_models::ModelError::UnknownParameter { name, .. } => {
                BuildError::at(format!("hrf_params.{name}"), e.to_string())
            }
            _ => BuildError::at("hrf_params", e.to_string()),
        },
    )?;
    Bold::with_kernel(&kernel, period, hrf, ctx.dt_ms, offset, 1).map_err(|e| {
        let key = if e.to_string().contains("kernel") {
            "hrf_params"
        } else {
            "period_ms"
        };
        BuildError::at(key, e.to_string())
    })?;
    Ok(Box::new(B {
        kernel,
        period,
        hrf,
        dt: ctx.dt_ms,
        offset,
        mon: None,
        last: None,
        meta: None,
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
        let kernel = &self.kernel;
        let mon = &mut self.mon;
        // the BOLD signal is a fractional change: dimensionless
        let unit = Some(("1", &mut self.meta));
        apply("bold", inputs, out, &mut self.last, unit, |step, x| {
            if mon.is_none() {
                *mon = Some(
                    Bold::with_kernel(kernel, period, hrf, dt, offset, x.len())
                        .map_err(ActorError::new)?,
                );
            }
            Ok(mon.as_mut().and_then(|m| m.sample(step, x)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream_runtime::{Payload, Series};
    use ndarray::Array3;

    /// BOLD of a rate in kHz is dimensionless: the output's unit is `1`
    /// for every variable, whatever the input's.
    #[test]
    fn the_bold_signal_is_dimensionless() {
        let mut b = B {
            kernel: HrfKernel::default(),
            period: 1.0,
            hrf: 20.0,
            dt: 1.0,
            offset: 0,
            mon: None,
            last: None,
            meta: None,
        };
        let meta = Arc::new(SeriesMeta {
            variables: vec!["E".into(), "W_e".into()],
            nodes: vec!["a".into()],
            units: vec!["kHz".into(), "pA".into()],
            space: Default::default(),
        });
        let s = Series {
            stamps: (1..=40).collect(),
            times_ms: (1..=40).map(f64::from).collect(),
            data: Array3::from_elem((40, 2, 1), 0.01),
            meta,
        };
        let inputs = Inputs::from_pairs([("input", Payload::Series(Arc::new(s)))]);
        let mut out = Outputs::default();
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: 40,
            dt_ms: 1.0,
        };
        b.step(&w, &inputs, &mut out).unwrap();
        let o = out.take("output").unwrap();
        let o = o.as_series().unwrap();
        assert!(!o.is_empty());
        assert_eq!(o.meta.variables, ["E", "W_e"]);
        assert_eq!(o.meta.units, ["1", "1"]);
    }
}
