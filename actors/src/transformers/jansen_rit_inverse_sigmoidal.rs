//! `jansen_rit_inverse_sigmoidal`: spiking population rates → Jansen-Rit
//! post-synaptic potentials, tvb-multiscale's `JansenRitInverseSigmoidal`
//! transformer (the spiking → TVB side of its Jansen-Rit co-simulation,
//! `ElephantSpikesHistogramRateJansenRitInverseSigmoidal`):
//!
//! ```text
//! x = scale · R                                  (R: the population's rate, Hz)
//! y = v0 − ln(2·R_max / min(max(x, R_min), R_max) − 1) / r      (mV)
//! ```
//!
//! the inverse of the Jansen-Rit sigmoid x = 2·R_max / (1 + e^{r(v0 − y)}),
//! with x clipped to [R_min, R_max] so that y stays finite: y runs from
//! v0 − ln(2·R_max/R_min − 1)/r (x ≤ R_min) up to v0 (x ≥ R_max). Each
//! population of `outputs` becomes the variable it names (y0, y1, y2: the
//! state variables of `JansenRit`), so the output can replace proxy regions;
//! sample by sample, no state.

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, Series, SeriesMeta, WindowInfo,
};
use ndarray::Array3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "scale",
        ty: ParamType::Float,
        default: DefaultValue::Float(1.0),
        range: Some((0.0, 1e12)),
        unit: "1/Hz",
        doc: "x = scale·R before the inverse sigmoid (tvb-multiscale's scale_factor; its Jansen-Rit example's 1e-3/dt/N on the population's histogram is 1e-3/dt_ms = 0.01 per Hz of the population rate at dt = 0.1 ms)",
    },
    ParamSpec {
        name: "r_min",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.1),
        range: Some((1e-12, 1e12)),
        unit: "",
        doc: "x is clipped to at least R_min (tvb-multiscale's Rmin)",
    },
    ParamSpec {
        name: "r_max",
        ty: ParamType::Float,
        default: DefaultValue::Float(16.0),
        range: Some((1e-12, 1e12)),
        unit: "",
        doc: "x is clipped to at most R_max (tvb-multiscale's Rmax), where y = v0",
    },
    ParamSpec {
        name: "outputs",
        ty: ParamType::Table,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Per input population (variable), the output: { POP = { variable, v0 (mV), r (1/mV) } }; default tvb-multiscale's Jansen-Rit example: E → y0 (v0 = 1.5, r = ln(2·16/0.1 − 1)/3), Ein → y1 (25, ln(319)/10), Iin → y2 (70, ln(319)/70); input variables not named are left out",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "jansen_rit_inverse_sigmoidal",
    doc: "Population rates → Jansen-Rit potentials y = v0 − ln(2·R_max/clip(scale·R) − 1)/r (tvb-multiscale's JansenRitInverseSigmoidal transformer), sample by sample",
    params: PARAMS,
    inputs: &[PortDecl {
        name: "input",
        ty: PortType::Series,
        doc: "population rates (Hz), e.g. a spiking_network's `rates`: variables = populations",
        end_stamped: false,
    }],
    outputs: &[PortDecl {
        name: "output",
        ty: PortType::Series,
        doc: "the potentials (mV), one variable per entry of `outputs` (in the input's order), same nodes and stamps",
        end_stamped: false,
    }],
    build,
};

/// One population's transform.
#[derive(Debug, Clone, PartialEq)]
struct Output {
    population: String,
    variable: String,
    v0: f64,
    r: f64,
}

struct InverseSigmoidal {
    name: String,
    scale: f64,
    r_min: f64,
    r_max: f64,
    outputs: Vec<Output>,
    /// per output variable: its input variable's index (set from the first input)
    from: Vec<usize>,
    meta: Option<Arc<SeriesMeta>>,
}

/// tvb-multiscale's Jansen-Rit example (examples/tvb_nest/notebooks/JansenRit.ipynb):
/// r = ln(2·R_max/R_min − 1)/amplitude with amplitudes 3, 10, 70 mV.
fn default_outputs(r_min: f64, r_max: f64) -> Vec<Output> {
    let a0 = (2.0 * r_max / r_min - 1.0).ln();
    [
        ("E", "y0", 1.5, 3.0),
        ("Ein", "y1", 25.0, 10.0),
        ("Iin", "y2", 70.0, 70.0),
    ]
    .into_iter()
    .map(|(p, v, v0, ampl)| Output {
        population: p.into(),
        variable: v.into(),
        v0,
        r: a0 / ampl,
    })
    .collect()
}

fn parse_outputs(t: &toml::Table) -> Result<Vec<Output>, BuildError> {
    let mut out: Vec<Output> = vec![];
    for (pop, v) in t {
        let at = format!("outputs.{pop}");
        let toml::Value::Table(o) = v else {
            return Err(BuildError::at(
                at,
                format!("expected a table {{ variable, v0, r }}, got {v}"),
            ));
        };
        if let Some(k) = o
            .keys()
            .find(|k| !["variable", "v0", "r"].contains(&k.as_str()))
        {
            return Err(BuildError::at(format!("{at}.{k}"), "unknown key")
                .hint("each output takes variable, v0 (mV) and r (1/mV)"));
        }
        let num = |k: &str| -> Result<f64, BuildError> {
            match o.get(k) {
                Some(toml::Value::Float(x)) => Ok(*x),
                Some(toml::Value::Integer(i)) => Ok(*i as f64),
                Some(v) => Err(BuildError::at(
                    format!("{at}.{k}"),
                    format!("expected a number, got {v}"),
                )),
                None => Err(BuildError::at(at.clone(), format!("missing `{k}`"))),
            }
        };
        let variable = match o.get("variable") {
            Some(toml::Value::String(s)) if !s.is_empty() => s.clone(),
            Some(v) => {
                return Err(BuildError::at(
                    format!("{at}.variable"),
                    format!("expected a variable name, got {v}"),
                ))
            }
            None => return Err(BuildError::at(at, "missing `variable`")),
        };
        let (v0, r) = (num("v0")?, num("r")?);
        if !v0.is_finite() {
            return Err(BuildError::at(
                format!("{at}.v0"),
                format!("{v0} is not finite"),
            ));
        }
        if !(r.is_finite() && r > 0.0) {
            return Err(BuildError::at(
                format!("{at}.r"),
                format!("{r} must be finite and > 0"),
            ));
        }
        if let Some(o) = out.iter().find(|o| o.variable == variable) {
            return Err(BuildError::at(
                format!("{at}.variable"),
                format!("`{variable}` is also the output of `{}`", o.population),
            ));
        }
        out.push(Output {
            population: pop.clone(),
            variable,
            v0,
            r,
        });
    }
    if out.is_empty() {
        return Err(BuildError::at(
            "outputs",
            "no output: name at least one population",
        ));
    }
    Ok(out)
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let (r_min, r_max) = (p.f64("r_min")?, p.f64("r_max")?);
    if r_max <= r_min {
        return Err(BuildError::at(
            "r_max",
            format!("{r_max} must be larger than r_min = {r_min}"),
        ));
    }
    let outputs = match p.table("outputs")? {
        Some(t) => parse_outputs(t)?,
        None => default_outputs(r_min, r_max),
    };
    Ok(Box::new(InverseSigmoidal {
        name: ctx.name.to_string(),
        scale: p.f64("scale")?,
        r_min,
        r_max,
        outputs,
        from: vec![],
        meta: None,
    }))
}

impl InverseSigmoidal {
    /// y of one rate (Hz).
    fn potential(&self, o: &Output, rate: f64) -> f64 {
        let x = (self.scale * rate).clamp(self.r_min, self.r_max);
        o.v0 - (2.0 * self.r_max / x - 1.0).ln() / o.r
    }
}

impl Actor for InverseSigmoidal {
    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
    }

    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let Some(x) = crate::util::series(inputs, "input")? else {
            return Ok(());
        };
        if self.meta.is_none() {
            let mut order = vec![];
            for (i, v) in x.meta.variables.iter().enumerate() {
                if let Some(k) = self.outputs.iter().position(|o| &o.population == v) {
                    order.push((i, k));
                }
            }
            if let Some(o) = self
                .outputs
                .iter()
                .find(|o| !x.meta.variables.contains(&o.population))
            {
                return Err(ActorError::new(format!(
                    "`{}`: outputs.{} names no input variable (the input has {})",
                    self.name,
                    o.population,
                    x.meta.variables.join(", ")
                )));
            }
            // outputs in the input's order
            self.outputs = order
                .iter()
                .map(|&(_, k)| self.outputs[k].clone())
                .collect();
            self.from = order.iter().map(|&(i, _)| i).collect();
            self.meta = Some(Arc::new(SeriesMeta::new(
                self.outputs.iter().map(|o| o.variable.clone()).collect(),
                x.meta.nodes.clone(),
                "mV",
            )));
        }
        let nn = x.data.shape()[2];
        let mut data = Array3::zeros((x.len(), self.outputs.len(), nn));
        for k in 0..x.len() {
            for (j, (o, &i)) in self.outputs.iter().zip(&self.from).enumerate() {
                for n in 0..nn {
                    let rate = x.data[[k, i, n]];
                    if !(rate.is_finite() && rate >= 0.0) {
                        return Err(ActorError::new(format!(
                            "`{}`: rate {rate} Hz of `{}` at node {n}, t = {} ms; rates must be finite and ≥ 0",
                            self.name, o.population, x.times_ms[k]
                        )));
                    }
                    data[[k, j, n]] = self.potential(o, rate);
                }
            }
        }
        out.set(
            "output",
            Payload::Series(Arc::new(Series {
                stamps: x.stamps.clone(),
                times_ms: x.times_ms.clone(),
                data,
                meta: self.meta.clone().unwrap_or_else(|| x.meta.clone()),
            })),
        );
        Ok(())
    }
}

/// A checkpoint: nothing (the transform holds no state; its axes are taken
/// from the next input).
impl brainstream_runtime::Stateful for InverseSigmoidal {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        Ok(vec![])
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        brainstream_runtime::StateReader::new(state, "a jansen_rit_inverse_sigmoidal").end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> InverseSigmoidal {
        InverseSigmoidal {
            name: "t".into(),
            scale: 0.01,
            r_min: 0.1,
            r_max: 16.0,
            outputs: default_outputs(0.1, 16.0),
            from: vec![],
            meta: None,
        }
    }

    #[test]
    fn inverts_the_jansen_rit_sigmoid_within_the_clip() {
        let f = actor();
        // input variables in the network's order (populations by name), one
        // not transformed
        let meta = Arc::new(SeriesMeta::new(
            vec!["E".into(), "Ein".into(), "Iin".into(), "X".into()],
            vec!["a".into()],
            "Hz",
        ));
        let rates = [0.0, 5.0, 300.0, 1e6];
        let mut data = Array3::zeros((rates.len(), 4, 1));
        for (k, r) in rates.iter().enumerate() {
            for v in 0..4 {
                data[[k, v, 0]] = *r;
            }
        }
        let s = Series {
            stamps: (1..=4).collect(),
            times_ms: vec![0.1, 0.2, 0.3, 0.4],
            data,
            meta,
        };
        let mut f = f;
        let mut out = Outputs::default();
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: 4,
            dt_ms: 0.1,
        };
        f.step(
            &w,
            &Inputs::from_pairs([("input", Payload::Series(Arc::new(s)))]),
            &mut out,
        )
        .unwrap();
        let o = out.take("output").unwrap();
        let o = o.as_series().unwrap();
        assert_eq!(o.meta.variables, vec!["y0", "y1", "y2"]);
        for (j, (v0, ampl)) in [(1.5, 3.0), (25.0, 10.0), (70.0, 70.0)].iter().enumerate() {
            // x ≤ R_min: v0 − amplitude; x ≥ R_max: v0
            assert!((o.data[[0, j, 0]] - (v0 - ampl)).abs() < 1e-12);
            assert!((o.data[[3, j, 0]] - v0).abs() < 1e-12);
            // in between, the sigmoid of y gives x back: 2·16/(1 + e^{r(v0 − y)}) = 0.01·300
            let r = (319.0f64).ln() / ampl;
            let back = 32.0 / (1.0 + (r * (v0 - o.data[[2, j, 0]])).exp());
            assert!((back - 3.0).abs() < 1e-12, "{back}");
            // 0.05 is under R_min
            assert_eq!(o.data[[1, j, 0]], o.data[[0, j, 0]]);
        }
    }

    #[test]
    fn bad_outputs_name_their_key() {
        let t: toml::Table =
            toml::from_str("E = { variable = \"y0\", v0 = 1.0, r = 0.0 }").unwrap();
        assert_eq!(parse_outputs(&t).unwrap_err().key, "outputs.E.r");
        let t: toml::Table = toml::from_str(
            "E = { variable = \"y0\", v0 = 1.0, r = 1.0 }\nI = { variable = \"y0\", v0 = 1.0, r = 1.0 }",
        )
        .unwrap();
        assert_eq!(parse_outputs(&t).unwrap_err().key, "outputs.I.variable");
        let t: toml::Table =
            toml::from_str("E = { variable = \"y0\", v0 = 1.0, r = 1.0, w = 2 }").unwrap();
        assert_eq!(parse_outputs(&t).unwrap_err().key, "outputs.E.w");
        // a population missing from the input stops the run, naming it
        let mut f = actor();
        let s = Series {
            stamps: vec![1],
            times_ms: vec![0.1],
            data: Array3::zeros((1, 1, 1)),
            meta: Arc::new(SeriesMeta::new(vec!["E".into()], vec!["a".into()], "Hz")),
        };
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: 1,
            dt_ms: 0.1,
        };
        let e = f
            .step(
                &w,
                &Inputs::from_pairs([("input", Payload::Series(Arc::new(s)))]),
                &mut Outputs::default(),
            )
            .unwrap_err();
        assert!(e.to_string().contains("outputs.Ein"), "{e}");
    }
}
