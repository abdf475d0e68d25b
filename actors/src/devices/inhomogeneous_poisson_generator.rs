//! `inhomogeneous_poisson_generator`: independent Poisson spike trains whose
//! rate is piecewise constant in time, NEST's device of that name.
//!
//! The rate `rate_values[i]` (Hz) holds from `rate_times[i]` (ms, a multiple
//! of dt) to the next change: the step starting at `rate_times[i]` is the
//! first one drawn with it, as in NEST, and the rate is 0 before the first
//! time. In step `k` each of the `n_trains` trains fires
//! `n ~ Poisson(λ_k·dt/1000)` spikes, stamped `k`, at time `(k+1)·dt`.
//! For a rate that comes from another actor during the run, use
//! `poisson_spikes`.

use brainstream_runtime::{
    Actor, BuildCtx, BuildError, DefaultValue, KindSpec, ParamSpec, ParamType,
};

use super::poisson_generator::{PoissonTrains, N_TRAINS, SPIKES_OUT};
use super::schedule;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "rate_times",
        ty: ParamType::FloatList,
        default: DefaultValue::Required,
        range: Some((0.0, 1e12)),
        unit: "ms",
        doc: "Times of the rate changes, strictly ascending multiples of dt",
    },
    ParamSpec {
        name: "rate_values",
        ty: ParamType::FloatList,
        default: DefaultValue::Required,
        range: Some((0.0, 1e9)),
        unit: "Hz",
        doc: "Rate of each train from each time on",
    },
    N_TRAINS,
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "inhomogeneous_poisson_generator",
    doc: "Independent Poisson spike trains of a piecewise constant rate (NEST's inhomogeneous_poisson_generator)",
    params: PARAMS,
    inputs: &[],
    outputs: &[SPIKES_OUT],
    build,
};

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let changes = schedule(p, "rate_times", "rate_values", ctx.dt_ms)?;
    let trains = p.i64("n_trains")? as u32;
    Ok(Box::new(PoissonTrains::new(changes, u64::MAX, trains)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::poisson_generator::tests::{make, run};

    #[test]
    fn rate_follows_the_schedule() {
        // 0 Hz until 100 ms, 200 Hz to 600 ms, 20 Hz to 1100 ms; 10 trains
        let text = "rate_times = [100.0, 600.0]\nrate_values = [200.0, 20.0]\nn_trains = 10";
        let sp = run(&mut make(&KIND, text, 0.1).unwrap(), 1, 11_000, 0.1);
        assert!(
            sp.stamps.iter().all(|&k| k >= 1000),
            "nothing before 100 ms"
        );
        let count = |a: u64, b: u64| sp.stamps.iter().filter(|&&k| k >= a && k < b).count() as f64;
        let (hi, lo) = (count(1000, 6000), count(6000, 11_000));
        // expected 10 × 200 × 0.5 = 1000 and 10 × 20 × 0.5 = 100 (4 sd)
        assert!((hi - 1000.0).abs() < 4.0 * 1000f64.sqrt(), "{hi}");
        assert!((lo - 100.0).abs() < 4.0 * 100f64.sqrt(), "{lo}");
        // the first step drawn at 200 Hz is the one starting at 100 ms
        let first = sp.stamps.iter().min().copied().unwrap_or(0);
        assert!(first >= 1000);
    }

    #[test]
    fn bad_schedules_are_named() {
        let e = make(&KIND, "rate_times = [1.0, 2.0]\nrate_values = [5.0]", 0.1)
            .err()
            .unwrap();
        assert!(
            e.contains("rate_values") && e.contains("1 values for 2 times"),
            "{e}"
        );
        let e = make(
            &KIND,
            "rate_times = [2.0, 1.0]\nrate_values = [5.0, 6.0]",
            0.1,
        )
        .err()
        .unwrap();
        assert!(
            e.contains("rate_times[1]") && e.contains("ascending"),
            "{e}"
        );
        let e = make(&KIND, "rate_times = [0.25]\nrate_values = [5.0]", 0.1)
            .err()
            .unwrap();
        assert!(
            e.contains("rate_times[0]") && e.contains("multiple of dt"),
            "{e}"
        );
        assert!(make(&KIND, "rate_times = [1.0]\nrate_values = [-5.0]", 0.1).is_err());
    }
}
