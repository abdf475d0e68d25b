//! `proportional_control`: a closed-loop controller that steers another
//! actor's parameter from what it observes, through that actor's `control`
//! input (docs/live.md, "Steering from an actor").
//!
//! Each window `w` (steps `s0 … s0 + n − 1`) it averages one variable of its
//! input over the window's samples and the chosen nodes,
//! `m = mean_{k, i} x_k[v, i]`, and sends
//!
//! `u = clamp(initial + gain · (m − setpoint), min, max)`
//!
//! as the new value of `key`, stamped `s0 + n` (the next window's first
//! step: the change is to hold from there on), whenever `u` differs from
//! the value it last sent. Over an edge whose delay is a whole number `d`
//! of windows, the change is applied before the target's window
//! `w + 1 + d`. A window without input samples sends nothing.

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
        name: "key",
        ty: ParamType::Str,
        default: DefaultValue::Required,
        range: None,
        unit: "",
        doc: "The parameter it steers, as the target's steerable key (the target is the actor its `control` output feeds), e.g. coupling_params.a",
    },
    ParamSpec {
        name: "variable",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "The input variable it observes, by name (default: the first)",
    },
    ParamSpec {
        name: "nodes",
        ty: ParamType::FloatList,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "The input nodes (regions) it averages, by index (default: all)",
    },
    ParamSpec {
        name: "setpoint",
        ty: ParamType::Float,
        default: DefaultValue::Required,
        range: None,
        unit: "input",
        doc: "The observed mean it aims at",
    },
    ParamSpec {
        name: "gain",
        ty: ParamType::Float,
        default: DefaultValue::Required,
        range: None,
        unit: "key/input",
        doc: "Change of the steered value per unit of (mean − setpoint)",
    },
    ParamSpec {
        name: "initial",
        ty: ParamType::Float,
        default: DefaultValue::Required,
        range: None,
        unit: "key",
        doc: "The steered value when the mean is at the setpoint",
    },
    ParamSpec {
        name: "min",
        ty: ParamType::Float,
        default: DefaultValue::Optional,
        range: None,
        unit: "key",
        doc: "Lower bound of the steered value (default: none)",
    },
    ParamSpec {
        name: "max",
        ty: ParamType::Float,
        default: DefaultValue::Optional,
        range: None,
        unit: "key",
        doc: "Upper bound of the steered value (default: none)",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "proportional_control",
    doc: "Closed-loop proportional controller: steers another actor's parameter (through its `control` input) to initial + gain·(mean of the observed variable − setpoint), once per window",
    params: PARAMS,
    inputs: &[PortDecl {
        name: "input",
        ty: PortType::Series,
        doc: "the observed series (e.g. a mean field's state)",
        end_stamped: false,
    }],
    outputs: &[PortDecl {
        name: "control",
        ty: PortType::Control,
        doc: "the new value of `key`, stamped at the next window's first step, when it changes; wire it to the target's `control` input with a delay of at least one window",
        end_stamped: false,
    }],
    build,
};

struct Proportional {
    key: String,
    variable: Option<String>,
    nodes: Option<Vec<usize>>,
    setpoint: f64,
    gain: f64,
    initial: f64,
    min: f64,
    max: f64,
    /// the value sent last (bits compared)
    last: Option<f64>,
    meta: Arc<SeriesMeta>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let key = p.str("key")?;
    if key.trim().is_empty() || key.contains('=') {
        return Err(
            BuildError::at("key", format!("`{key}` is not a parameter key"))
                .hint("the target's steerable key, e.g. coupling_params.a"),
        );
    }
    let nodes = match p.f64_list("nodes")? {
        None => None,
        Some(v) => Some(
            v.iter()
                .enumerate()
                .map(|(i, &x)| {
                    if x >= 0.0 && x.fract() == 0.0 && x < u32::MAX as f64 {
                        Ok(x as usize)
                    } else {
                        Err(BuildError::at(
                            format!("nodes[{i}]"),
                            format!("{x} is not a node index"),
                        ))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    if nodes.as_ref().is_some_and(|n| n.is_empty()) {
        return Err(BuildError::at("nodes", "an empty list: nothing to observe"));
    }
    let finite = |name: &str| -> Result<f64, BuildError> {
        let v = p.f64(name)?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(BuildError::at(name, format!("{v} is not a finite number")))
        }
    };
    let (setpoint, gain, initial) = (finite("setpoint")?, finite("gain")?, finite("initial")?);
    let min = p.opt_f64("min")?.unwrap_or(f64::NEG_INFINITY);
    let max = p.opt_f64("max")?.unwrap_or(f64::INFINITY);
    if min.is_nan() || max.is_nan() || min > max {
        return Err(BuildError::at(
            "min",
            format!("min = {min} is above max = {max}"),
        ));
    }
    Ok(Box::new(Proportional {
        meta: Arc::new(SeriesMeta::new(vec![key.clone()], vec!["value".into()], "")),
        key,
        variable: p.opt_str("variable")?,
        nodes,
        setpoint,
        gain,
        initial,
        min,
        max,
        last: None,
    }))
}

impl Proportional {
    /// The index of the observed variable in `names`.
    fn var_index(&self, names: &[String]) -> Result<usize, String> {
        match &self.variable {
            None if names.is_empty() => Err("the input has no variable".into()),
            None => Ok(0),
            Some(v) => names.iter().position(|n| n == v).ok_or_else(|| {
                format!(
                    "the input has no variable `{v}` (it has {})",
                    names.join(", ")
                )
            }),
        }
    }

    /// Checks the chosen nodes against `n` nodes.
    fn check_nodes(&self, n: usize) -> Result<(), String> {
        match self.nodes.iter().flatten().find(|&&i| i >= n) {
            Some(i) => Err(format!("node {i} is outside the input's {n} nodes")),
            None => Ok(()),
        }
    }

    /// The value it sends for an observed mean `m`.
    fn value(&self, m: f64) -> f64 {
        (self.initial + self.gain * (m - self.setpoint)).clamp(self.min, self.max)
    }
}

impl Actor for Proportional {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        if let Some(s) = ctx.input("input") {
            if let Some(names) = &s.names {
                self.var_index(&names.variables)
                    .map_err(|m| BuildError::at("variable", m))?;
            }
            if let Some(n) = s.nodes {
                self.check_nodes(n)
                    .map_err(|m| BuildError::at("nodes", m))?;
            }
        }
        Ok(Footprint {
            outputs: vec![(
                "control",
                PortShape::named_series(
                    std::slice::from_ref(&self.key),
                    &["value".to_string()],
                    1.0 / ctx.window_steps.max(1) as f64,
                ),
            )],
            ..Footprint::default()
        })
    }

    fn step(
        &mut self,
        win: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let Some(s) = series(inputs, "input")? else {
            return Ok(());
        };
        if s.is_empty() {
            return Ok(());
        }
        let v = self.var_index(&s.meta.variables).map_err(ActorError::new)?;
        let (ns, _, nn) = s.data.dim();
        self.check_nodes(nn).map_err(ActorError::new)?;
        let all: Vec<usize>;
        let nodes = match &self.nodes {
            Some(n) => n.as_slice(),
            None => {
                all = (0..nn).collect();
                &all
            }
        };
        let mut sum = 0.0;
        for k in 0..ns {
            for &i in nodes {
                sum += s.data[[k, v, i]];
            }
        }
        let m = sum / (ns * nodes.len()) as f64;
        if !m.is_finite() {
            return Err(ActorError::new(format!(
                "the observed mean of window {} is {m}",
                win.index
            )));
        }
        let u = self.value(m);
        if self.last.is_some_and(|l| l.to_bits() == u.to_bits()) {
            return Ok(());
        }
        self.last = Some(u);
        let stamp = win.start_step + win.n_steps;
        out.set(
            "control",
            Payload::Series(Arc::new(Series {
                stamps: vec![stamp],
                times_ms: vec![stamp as f64 * win.dt_ms],
                data: Array3::from_elem((1, 1, 1), u),
                meta: self.meta.clone(),
            })),
        );
        Ok(())
    }

    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
    }
}

/// A checkpoint: the value sent last.
impl brainstream_runtime::Stateful for Proportional {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        let mut w = brainstream_runtime::StateWriter::new();
        w.opt_f64(self.last);
        Ok(w.finish())
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        let mut r = brainstream_runtime::StateReader::new(state, "a proportional_control");
        self.last = r.opt_f64()?;
        r.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctl() -> Proportional {
        Proportional {
            key: "coupling_params.a".into(),
            variable: Some("S".into()),
            nodes: Some(vec![1]),
            setpoint: 0.5,
            gain: -0.1,
            initial: 0.01,
            min: 0.0,
            max: 0.02,
            last: None,
            meta: Arc::new(SeriesMeta::new(
                vec!["coupling_params.a".into()],
                vec!["value".into()],
                "",
            )),
        }
    }

    fn window(values: Vec<f64>) -> Inputs {
        let meta = Arc::new(SeriesMeta::new(
            vec!["S".into()],
            vec!["a".into(), "b".into()],
            "1",
        ));
        Inputs::from_pairs([(
            "input",
            Payload::Series(Arc::new(Series {
                stamps: vec![1, 2],
                times_ms: vec![0.1, 0.2],
                data: Array3::from_shape_vec((2, 1, 2), values).unwrap(),
                meta,
            })),
        )])
    }

    #[test]
    fn sends_the_clamped_proportional_value_at_the_next_window_when_it_changes() {
        let mut c = ctl();
        let win = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: 2,
            dt_ms: 0.1,
        };
        let mut out = Outputs::default();
        // node 1's mean is 0.7: 0.01 − 0.1·0.2 = −0.01, clamped at min 0
        c.step(&win, &window(vec![9.0, 0.65, 9.0, 0.75]), &mut out)
            .unwrap();
        let s = out.take("control").unwrap();
        let s = s.as_series().unwrap();
        assert_eq!(s.stamps, vec![2]);
        assert_eq!(s.meta.variables, vec!["coupling_params.a".to_string()]);
        assert!((s.data[[0, 0, 0]] - 0.0).abs() < 1e-15);
        // the same value again (a mean of 0.8 clamps at 0 too): nothing sent
        let mut out = Outputs::default();
        c.step(&win, &window(vec![9.0, 0.8, 9.0, 0.8]), &mut out)
            .unwrap();
        assert!(out.get("control").is_none());
        // below the setpoint: more coupling, up to max
        let mut out = Outputs::default();
        c.step(&win, &window(vec![0.0, 0.4, 0.0, 0.4]), &mut out)
            .unwrap();
        let u = out.take("control").unwrap().as_series().unwrap().data[[0, 0, 0]];
        assert!((u - 0.02).abs() < 1e-15, "{u}");
    }

    #[test]
    fn an_unknown_variable_is_named() {
        let mut c = ctl();
        c.variable = Some("V".into());
        let win = WindowInfo {
            index: 3,
            start_step: 0,
            n_steps: 2,
            dt_ms: 0.1,
        };
        let e = c
            .step(&win, &window(vec![0.0; 4]), &mut Outputs::default())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "the input has no variable `V` (it has S)");
    }
}
