//! Every temporal equation of a stimulus against tvb-library 2.10's own
//! values (`tests/data/tvb_cases/stimulus_equations.json`, made by
//! `make_refs_stimulus.py` through `StimuliRegion.configure_time`, numexpr
//! evaluating the equation strings): with tvb-library's defaults and with
//! other parameters, every 7th step of a 300 ms grid at dt = 0.1 ms, to the
//! last bit.

use brainstream_models::stimulus::{Temporal, EQUATIONS};
use std::path::PathBuf;

fn samples() -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/tvb_cases/stimulus_equations.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// Checks equation `name` against every series tvb-library sampled for
/// it; returns how many (defaults and other parameters).
fn check(name: &str) -> usize {
    let all = samples();
    let dt = all["dt_ms"].as_f64().unwrap();
    let steps: Vec<u64> = serde_json::from_value(all["steps"].clone()).unwrap();
    let mut series = 0;
    for e in all["equations"].as_array().unwrap() {
        if e["name"] != name {
            continue;
        }
        let params: Vec<(String, f64)> = e["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
            .collect();
        let eq = Temporal::new(name, params.iter().map(|(k, v)| (k.as_str(), *v))).unwrap();
        let want: Vec<f64> = serde_json::from_value(e["values"].clone()).unwrap();
        assert_eq!(want.len(), steps.len());
        let mut nonzero = 0;
        for (&k, &w) in steps.iter().zip(&want) {
            let t = k as f64 * dt;
            let got = eq.eval(t);
            assert!(
                got.to_bits() == w.to_bits() || (got == 0.0 && w == 0.0),
                "{name} {params:?} at t = {t} ms: {got:e}, tvb-library {w:e}"
            );
            nonzero += (w != 0.0) as usize;
        }
        assert!(nonzero > 0, "{name}: tvb-library's series is all zeros");
        series += 1;
    }
    series
}

#[test]
fn every_equation_has_reference_values() {
    for e in EQUATIONS {
        let want = if e.params.is_empty() { 1 } else { 2 };
        assert_eq!(check(e.name), want, "{}: series in the JSON", e.name);
    }
}

#[test]
fn pulse_train() {
    check("PulseTrain");
}

#[test]
fn sinusoid() {
    check("Sinusoid");
}

#[test]
fn cosine() {
    check("Cosine");
}

#[test]
fn gaussian() {
    check("Gaussian");
}

#[test]
fn double_gaussian() {
    check("DoubleGaussian");
}

#[test]
fn sigmoid() {
    check("Sigmoid");
}

#[test]
fn generalized_sigmoid() {
    check("GeneralizedSigmoid");
}

#[test]
fn linear() {
    check("Linear");
}

#[test]
fn alpha() {
    check("Alpha");
}

#[test]
fn discrete_equation() {
    check("DiscreteEquation");
}
