//! `current_proxy`: the mean field → spiking interface in **current** mode
//! (tvb-multiscale's TVB → spiking-network current interfaces, which drive
//! a `dc_generator`/`step_current_generator` per region): one variable of
//! a series (typically the mean field's `coupling` of its proxy regions,
//! or its `state`) becomes a current
//!
//! `I_r(t) = scale · x_r(t) + offset`   (pA; `scale` in pA per unit of x)
//!
//! per node, sample by sample, sent on a `current` port — what a
//! `spiking_network`'s (or an external simulator's) `current_in` takes:
//! one node per spiking region, in the order of the network's `regions`.

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, Series, SeriesMeta,
    WindowInfo,
};
use ndarray::Array3;

use crate::util::series;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "variable",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "The input variable that drives the current (default: the first), e.g. c_E of a mean field's coupling",
    },
    ParamSpec {
        name: "scale",
        ty: ParamType::Float,
        default: DefaultValue::Required,
        range: None,
        unit: "pA per unit of the input",
        doc: "Current per unit of the input variable (tvb-multiscale's interface weight), either sign",
    },
    ParamSpec {
        name: "offset",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: None,
        unit: "pA",
        doc: "Added after scaling",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "current_proxy",
    doc: "Mean field → spiking in current mode (tvb-multiscale's current interface): I = scale·x + offset (pA) per node and sample, for a spiking network's current_in",
    params: PARAMS,
    inputs: &[PortDecl {
        name: "input",
        ty: PortType::Series,
        doc: "a series, one node per spiking region (a mean field's coupling of its proxy regions, or its state)",
        end_stamped: false,
    }],
    outputs: &[PortDecl {
        name: "current",
        ty: PortType::Current,
        doc: "the current (pA), variable I, one node per input node, one sample per input sample",
        end_stamped: false,
    }],
    build,
};

struct CurrentProxy {
    variable: Option<String>,
    scale: f64,
    offset: f64,
    meta: Option<Arc<SeriesMeta>>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let scale = p.f64("scale")?;
    let offset = p.f64("offset")?;
    for (k, v) in [("scale", scale), ("offset", offset)] {
        if !v.is_finite() {
            return Err(BuildError::at(k, format!("{v} is not a finite number")));
        }
    }
    Ok(Box::new(CurrentProxy {
        variable: p.opt_str("variable")?,
        scale,
        offset,
        meta: None,
    }))
}

impl CurrentProxy {
    /// The index of the driving variable among `variables`.
    fn pick(&self, variables: &[String]) -> Result<usize, String> {
        match &self.variable {
            None => Ok(0),
            Some(v) => variables.iter().position(|x| x == v).ok_or_else(|| {
                format!(
                    "no variable `{v}` in its input (it has {})",
                    variables.join(", ")
                )
            }),
        }
    }
}

impl Actor for CurrentProxy {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let Some(i) = ctx.input("input") else {
            return Ok(Footprint::default());
        };
        if let Some(n) = &i.names {
            self.pick(&n.variables)
                .map_err(|e| BuildError::at("variable", e))?;
        }
        let nodes = i.nodes.unwrap_or(1);
        let out = match &i.names {
            Some(n) => PortShape::named_series(&["I".to_string()], &n.nodes, i.samples_per_step),
            None => PortShape::series(1, nodes, i.samples_per_step),
        };
        Ok(Footprint {
            outputs: vec![("current", out)],
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
        let v = self
            .pick(&s.meta.variables)
            .map_err(|e| ActorError::new(format!("current_proxy: {e}")))?;
        let meta = match &self.meta {
            Some(m) if m.nodes == s.meta.nodes => m.clone(),
            _ => {
                let m = Arc::new(SeriesMeta::new(
                    vec!["I".into()],
                    s.meta.nodes.clone(),
                    "pA",
                ));
                self.meta = Some(m.clone());
                m
            }
        };
        let (a, b) = (self.scale, self.offset);
        let nn = s.data.shape()[2];
        let data = Array3::from_shape_fn((s.len(), 1, nn), |(k, _, i)| a * s.data[[k, v, i]] + b);
        out.set(
            "current",
            Payload::Series(Arc::new(Series {
                stamps: s.stamps.clone(),
                times_ms: s.times_ms.clone(),
                data,
                meta,
            })),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_variable_scaled_into_pa() {
        let mut p = CurrentProxy {
            variable: Some("c_I".into()),
            scale: -50.0,
            offset: 2.0,
            meta: None,
        };
        let input = Series {
            stamps: vec![3, 4],
            times_ms: vec![0.3, 0.4],
            data: Array3::from_shape_vec((2, 2, 2), vec![1.0, 2.0, 0.1, 0.2, 3.0, 4.0, 0.3, 0.4])
                .unwrap(),
            meta: Arc::new(SeriesMeta::new(
                vec!["c_E".into(), "c_I".into()],
                vec!["rM1".into(), "lM1".into()],
                "1",
            )),
        };
        let inputs = Inputs::from_pairs([("input", Payload::Series(Arc::new(input)))]);
        let mut out = Outputs::default();
        let w = WindowInfo {
            index: 0,
            start_step: 3,
            n_steps: 2,
            dt_ms: 0.1,
        };
        p.step(&w, &inputs, &mut out).unwrap();
        let o = out.take("current").unwrap();
        let c = o.as_series().unwrap();
        assert_eq!(c.meta.units, vec!["pA".to_string()]);
        assert_eq!(c.meta.nodes, vec!["rM1".to_string(), "lM1".to_string()]);
        let want = [-3.0, -8.0, -13.0, -18.0];
        assert_eq!(c.data.iter().copied().collect::<Vec<_>>(), want);
        assert_eq!(c.stamps, vec![3, 4]);
        p.variable = Some("V".into());
        assert!(p
            .pick(&["c_E".into()])
            .unwrap_err()
            .contains("no variable `V`"));
    }
}
