//! `gain`: the linear transformer `y = scale·x + offset`, sample by sample,
//! for series (rates, states) and currents alike.

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, Series, SeriesMeta, WindowInfo,
};

use crate::util::series;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "scale",
        ty: ParamType::Float,
        default: DefaultValue::Float(1.0),
        range: None,
        unit: "out/in",
        doc: "Multiplies every value",
    },
    ParamSpec {
        name: "offset",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: None,
        unit: "out",
        doc: "Added after scaling",
    },
    ParamSpec {
        name: "unit",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Unit of every output variable (default: each input variable's own)",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "gain",
    doc: "Linear transformer y = scale·x + offset applied to every sample of a series",
    params: PARAMS,
    inputs: &[PortDecl {
        name: "input",
        ty: PortType::Series,
        doc: "any series",
        end_stamped: false,
    }],
    outputs: &[PortDecl {
        name: "output",
        ty: PortType::Series,
        doc: "the transformed series, same shape",
        end_stamped: false,
    }],
    build,
};

struct Gain {
    scale: f64,
    offset: f64,
    unit: Option<String>,
    meta: Option<Arc<SeriesMeta>>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    Ok(Box::new(Gain {
        scale: p.f64("scale")?,
        offset: p.f64("offset")?,
        unit: p.opt_str("unit")?,
        meta: None,
    }))
}

impl Actor for Gain {
    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
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
        let meta = match (&self.meta, &self.unit) {
            (Some(m), _) if m.variables == s.meta.variables && m.nodes == s.meta.nodes => m.clone(),
            (_, Some(u)) => Arc::new(SeriesMeta::new(
                s.meta.variables.clone(),
                s.meta.nodes.clone(),
                u,
            )),
            (_, None) => s.meta.clone(),
        };
        self.meta = Some(meta.clone());
        let (a, b) = (self.scale, self.offset);
        out.set(
            "output",
            Payload::Series(Arc::new(Series {
                stamps: s.stamps.clone(),
                times_ms: s.times_ms.clone(),
                data: s.data.mapv(|x| a * x + b),
                meta,
            })),
        );
        Ok(())
    }
}

/// A checkpoint: nothing (a gain holds no state; its axes are taken from
/// the next input).
impl brainstream_runtime::Stateful for Gain {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        Ok(vec![])
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        brainstream_runtime::StateReader::new(state, "a gain").end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn scales_and_shifts() {
        let mut g = Gain {
            scale: 2.0,
            offset: 1.0,
            unit: None,
            meta: None,
        };
        let meta = Arc::new(SeriesMeta::new(
            vec!["x".into()],
            vec!["a".into(), "b".into()],
            "1",
        ));
        let s = Series {
            stamps: vec![1, 2],
            times_ms: vec![0.1, 0.2],
            data: Array3::from_shape_vec((2, 1, 2), vec![0., 1., 2., 3.]).unwrap(),
            meta,
        };
        let inputs = Inputs::from_pairs([("input", Payload::Series(Arc::new(s)))]);
        let mut out = Outputs::default();
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: 2,
            dt_ms: 0.1,
        };
        g.step(&w, &inputs, &mut out).unwrap();
        let o = out.take("output").unwrap();
        assert_eq!(
            o.as_series()
                .unwrap()
                .data
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![1., 3., 5., 7.]
        );
    }
}
