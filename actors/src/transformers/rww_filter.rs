//! `rww_filter`: spiking population rates → the Reduced Wong-Wang gating
//! variables, tvb-multiscale's RWW transformers (Deco et al. 2014):
//!
//! ```text
//! dS_e/dt = −S_e/τ_e + (1 − S_e)·γ_e·R_e        (excitatory, NMDA)
//! dS_i/dt = −S_i/τ_i + γ_i·R_i                  (inhibitory, GABA)
//! ```
//! R in Hz, γ in 1/(ms·Hz) (tvb-library's γ_e = 0.641/1000, γ_i = 1/1000),
//! τ in ms. Integrated exactly over each step with the rate of that step
//! held: `S ← S∞ + (S − S∞)·e^{−k·dt}`, `k = 1/τ + γR` (excitatory) or
//! `1/τ` (inhibitory), `S∞ = γR/k`. The input's variables named by
//! `excitatory` and `inhibitory` become `S_e` and `S_i` (the state variables
//! of ReducedWongWangExcInh), so the output can replace proxy regions.
//! `output` renames them; a single name keeps the excitatory filter alone
//! (`inhibitory` is then not read): `output = ["S"]` feeds a one-population
//! model's S (tvb-multiscale's `ElephantSpikesRateRedWongWangExc` alone).

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, Series, SeriesMeta, WindowInfo,
};
use ndarray::Array3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "excitatory",
        ty: ParamType::Str,
        default: DefaultValue::Str("E"),
        range: None,
        unit: "",
        doc: "Input variable with the excitatory rate (Hz)",
    },
    ParamSpec {
        name: "inhibitory",
        ty: ParamType::Str,
        default: DefaultValue::Str("I"),
        range: None,
        unit: "",
        doc: "Input variable with the inhibitory rate (Hz)",
    },
    ParamSpec {
        name: "tau_e",
        ty: ParamType::Float,
        default: DefaultValue::Float(100.0),
        range: Some((1e-6, 1e9)),
        unit: "ms",
        doc: "NMDA decay time constant τ_e",
    },
    ParamSpec {
        name: "tau_i",
        ty: ParamType::Float,
        default: DefaultValue::Float(10.0),
        range: Some((1e-6, 1e9)),
        unit: "ms",
        doc: "GABA decay time constant τ_i",
    },
    ParamSpec {
        name: "gamma_e",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.641 / 1000.0),
        range: Some((0.0, 1e3)),
        unit: "1/(ms·Hz)",
        doc: "Kinetic parameter γ_e",
    },
    ParamSpec {
        name: "gamma_i",
        ty: ParamType::Float,
        default: DefaultValue::Float(1.0 / 1000.0),
        range: Some((0.0, 1e3)),
        unit: "1/(ms·Hz)",
        doc: "Kinetic parameter γ_i",
    },
    ParamSpec {
        name: "output",
        ty: ParamType::StrList,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Names of the output variables: [S_e, S_i] (default), or one name for the excitatory filter alone (e.g. [\"S\"] for a one-population model; `inhibitory` is then not read)",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "rww_filter",
    doc: "Population rates → Reduced Wong-Wang S_e, S_i (tvb-multiscale's RWW spike filters), exact per step",
    params: PARAMS,
    inputs: &[PortDecl { name: "input", ty: PortType::Series, doc: "rates in Hz, one sample per step, variables including `excitatory` and `inhibitory`", end_stamped: false }],
    outputs: &[PortDecl { name: "output", ty: PortType::Series, doc: "S_e and S_i per node (or the `output` names), same stamps", end_stamped: false }],
    build,
};

struct RwwFilter {
    name: String,
    names: (String, String),
    /// Output variable names: two (S_e, S_i) or one (S_e alone).
    output: Vec<String>,
    tau: (f64, f64),
    gamma: (f64, f64),
    dt: f64,
    s: Vec<(f64, f64)>,
    meta: Option<Arc<SeriesMeta>>,
    last: Option<u64>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let output = p
        .str_list("output")?
        .unwrap_or_else(|| vec!["S_e".into(), "S_i".into()]);
    if !(1..=2).contains(&output.len()) || output.iter().any(|n| n.is_empty()) {
        return Err(BuildError::at(
            "output",
            format!(
                "{output:?}: give two names (S_e, S_i) or one (the excitatory filter alone), none empty"
            ),
        ));
    }
    if output.len() == 2 && output[0] == output[1] {
        return Err(BuildError::at(
            "output",
            format!("`{}` twice: the two outputs need two names", output[0]),
        ));
    }
    Ok(Box::new(RwwFilter {
        name: ctx.name.to_string(),
        names: (p.str("excitatory")?, p.str("inhibitory")?),
        output,
        tau: (p.f64("tau_e")?, p.f64("tau_i")?),
        gamma: (p.f64("gamma_e")?, p.f64("gamma_i")?),
        dt: ctx.dt_ms,
        s: vec![],
        meta: None,
        last: None,
    }))
}

impl Actor for RwwFilter {
    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let Some(x) = crate::util::series(inputs, "input")? else {
            return Ok(());
        };
        crate::util::check_consecutive(x, &mut self.last, "rww_filter")?;
        let find = |v: &str| {
            x.meta.variables.iter().position(|n| n == v).ok_or_else(|| {
                ActorError::new(format!(
                    "`{}`: input has no variable `{v}` (it has {})",
                    self.name,
                    x.meta.variables.join(", ")
                ))
            })
        };
        let both = self.output.len() == 2;
        let ve = find(&self.names.0)?;
        // the excitatory filter alone reads no inhibitory rate
        let vi = if both { find(&self.names.1)? } else { ve };
        let nn = x.data.shape()[2];
        if self.s.is_empty() {
            self.s = vec![(0.0, 0.0); nn];
            self.meta = Some(Arc::new(SeriesMeta::new(
                self.output.clone(),
                x.meta.nodes.clone(),
                "",
            )));
        }
        let mut data = Array3::zeros((x.len(), self.output.len(), nn));
        let ((te, ti), (ge, gi), dt) = (self.tau, self.gamma, self.dt);
        for k in 0..x.len() {
            for (i, s) in self.s.iter_mut().enumerate() {
                let (re, ri) = (x.data[[k, ve, i]], x.data[[k, vi, i]]);
                if !(re.is_finite() && re >= 0.0 && ri.is_finite() && ri >= 0.0) {
                    return Err(ActorError::new(format!(
                        "`{}`: rates ({re}, {ri}) Hz at node {i}, t = {} ms; rates must be finite and ≥ 0",
                        self.name, x.times_ms[k]
                    )));
                }
                let ke = 1.0 / te + ge * re;
                let se_inf = ge * re / ke;
                s.0 = se_inf + (s.0 - se_inf) * (-ke * dt).exp();
                let si_inf = gi * ri * ti;
                s.1 = si_inf + (s.1 - si_inf) * (-dt / ti).exp();
                data[[k, 0, i]] = s.0;
                if both {
                    data[[k, 1, i]] = s.1;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `data` (steps × variables × nodes, one per 0.1 ms step) as one
    /// window into `f`; its output series.
    fn one_window(f: &mut RwwFilter, data: Array3<f64>, meta: Arc<SeriesMeta>) -> Series {
        let n = data.shape()[0];
        let x = Series {
            stamps: (1..=n as u64).collect(),
            times_ms: (1..=n).map(|k| k as f64 * 0.1).collect(),
            data,
            meta,
        };
        let mut out = Outputs::default();
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: n as u64,
            dt_ms: 0.1,
        };
        f.step(
            &w,
            &Inputs::from_pairs([("input", Payload::Series(Arc::new(x)))]),
            &mut out,
        )
        .unwrap();
        let o = out.take("output").unwrap();
        o.as_series().unwrap().clone()
    }

    #[test]
    fn relaxes_to_the_rww_steady_state() {
        let mut f = RwwFilter {
            name: "f".into(),
            names: ("E".into(), "I".into()),
            output: vec!["S_e".into(), "S_i".into()],
            tau: (100.0, 10.0),
            gamma: (0.641e-3, 1e-3),
            dt: 0.1,
            s: vec![],
            meta: None,
            last: None,
        };
        let meta = Arc::new(SeriesMeta::new(
            vec!["E".into(), "I".into()],
            vec!["r".into()],
            "Hz",
        ));
        let n = 20_000; // 2 s at 20 Hz and 40 Hz
        let mut data = Array3::zeros((n, 2, 1));
        for k in 0..n {
            data[[k, 0, 0]] = 20.0;
            data[[k, 1, 0]] = 40.0;
        }
        let o = one_window(&mut f, data, meta);
        let (ge, r) = (0.641e-3, 20.0);
        let se = ge * r / (1.0 / 100.0 + ge * r);
        assert!(
            (o.data[[n - 1, 0, 0]] - se).abs() < 1e-6,
            "{}",
            o.data[[n - 1, 0, 0]]
        );
        assert!((o.data[[n - 1, 1, 0]] - 1e-3 * 40.0 * 10.0).abs() < 1e-9);
        assert_eq!(o.meta.variables, vec!["S_e", "S_i"]);
    }

    #[test]
    fn one_output_is_the_excitatory_filter_alone() {
        // output = ["S"]: the input needs no inhibitory variable, the one
        // output is the excitatory filter's S, named as given
        let mut f = RwwFilter {
            name: "f".into(),
            names: ("Thal".into(), "I".into()),
            output: vec!["S".into()],
            tau: (100.0, 10.0),
            gamma: (0.641e-3, 1e-3),
            dt: 0.1,
            s: vec![],
            meta: None,
            last: None,
        };
        let meta = Arc::new(SeriesMeta::new(
            vec!["GPe".into(), "Thal".into()],
            vec!["a".into(), "b".into()],
            "Hz",
        ));
        let n = 20_000;
        let mut data = Array3::zeros((n, 2, 2));
        for k in 0..n {
            data[[k, 0, 0]] = 90.0;
            data[[k, 1, 0]] = 20.0;
            data[[k, 1, 1]] = 5.0;
        }
        let o = one_window(&mut f, data, meta);
        assert_eq!(o.meta.variables, vec!["S"]);
        assert_eq!(o.data.shape(), &[n, 1, 2]);
        for (node, r) in [(0, 20.0), (1, 5.0)] {
            let se = 0.641e-3 * r / (1.0 / 100.0 + 0.641e-3 * r);
            assert!((o.data[[n - 1, 0, node]] - se).abs() < 1e-6);
        }
    }
}
