//! Proxy regions (co-simulation): their states come from outside, their
//! coupling goes out, and the connections among them are removed.

use brainstream_models::coupling::Coupling;
use brainstream_models::integrator::Scheme;
use brainstream_models::*;

const N: usize = 76;

fn cfg(proxy: Vec<usize>) -> MeanFieldConfig {
    let info = model_info("Generic2dOscillator").unwrap();
    MeanFieldConfig {
        model: info,
        model_params: ParamSet::defaults(info.params),
        coupling: Coupling::new("Linear", [("a", 0.0042)]).unwrap(),
        connectivity: Connectivity::tvb76(),
        speed_mm_per_ms: 3.0,
        dt_ms: 0.1,
        scheme: Scheme::Heun,
        noise: None,
        initial: InitialConditions::Golden,
        proxy_nodes: proxy,
    }
}

/// Runs `steps` steps in chunks with proxy states `f(stamp, proxy, var)`
/// present on every third stamp; returns (states, couplings).
fn run(threads: usize, steps: usize, f: impl Fn(u64, usize, usize) -> f64) -> (Vec<f64>, Vec<f64>) {
    let proxy = vec![3, 40, 41];
    let mut sim = MeanFieldSim::with_threads(cfg(proxy.clone()), threads).unwrap();
    let (mut states, mut cpl) = (vec![], vec![]);
    let mut done = 0;
    for chunk in [100usize, 37, steps - 137] {
        let mut out = vec![0.0; chunk * 2 * N];
        let mut c = vec![0.0; chunk * 3];
        let present: Vec<bool> = (0..chunk)
            .map(|s| (done + s + 1).is_multiple_of(3))
            .collect();
        let mut values = vec![0.0; chunk * 3 * 2];
        for s in 0..chunk {
            for p in 0..3 {
                for v in 0..2 {
                    values[(s * 3 + p) * 2 + v] = f((done + s + 1) as u64, p, v);
                }
            }
        }
        let px = ProxyInput {
            values: &values,
            present: &present,
            vars: &[0, 1],
        };
        sim.run_cosim(chunk, &mut out, Some(px), Some(&mut c))
            .unwrap();
        states.extend(out);
        cpl.extend(c);
        done += chunk;
    }
    (states, cpl)
}

#[test]
fn proxy_states_replace_the_model_and_their_coupling_goes_out() {
    let f = |k: u64, p: usize, v: usize| 0.1 * p as f64 - 0.5 * v as f64 + 1e-3 * k as f64;
    let steps = 400;
    let (states, cpl) = run(1, steps, f);
    let proxy = [3usize, 40, 41];
    // present stamps carry exactly the given states
    for s in 0..steps {
        let stamp = (s + 1) as u64;
        if stamp.is_multiple_of(3) {
            for (p, &node) in proxy.iter().enumerate() {
                for v in 0..2 {
                    assert_eq!(
                        states[(s * 2 + v) * N + node],
                        f(stamp, p, v),
                        "stamp {stamp} proxy {p} var {v}"
                    );
                }
            }
        }
    }
    // the exported coupling is a·Σ_j w_ij V_j(t − d_ij) over non-proxy j
    // (exclusive proxies), with constant initial history
    let conn = Connectivity::tvb76();
    let d = conn.delays_steps(3.0, 0.1).unwrap();
    let ic = MeanFieldSim::new(cfg(vec![])).unwrap().state();
    let v_at = |k: i64, j: usize| {
        if k <= 0 {
            ic[j]
        } else {
            states[((k - 1) as usize * 2) * N + j]
        }
    };
    for s in [0usize, 1, 10, 137, 399] {
        for (p, &i) in proxy.iter().enumerate() {
            let mut want = 0.0;
            for j in 0..N {
                let w = conn.weights[i * N + j];
                if w != 0.0 && !proxy.contains(&j) {
                    want += w * v_at(s as i64 - d[i * N + j] as i64, j);
                }
            }
            want *= 0.0042;
            let got = cpl[s * 3 + p];
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1e-3),
                "step {s} proxy {p}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn proxies_are_thread_count_independent() {
    let f = |k: u64, p: usize, v: usize| (k as f64 * 0.01 + p as f64).sin() + v as f64;
    let a = run(1, 300, f);
    let b = run(2, 300, f);
    assert_eq!(
        a.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        b.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(a.1, b.1);
}

#[test]
fn bad_proxy_lists_are_refused() {
    let e = MeanFieldSim::new(cfg(vec![3, 76])).unwrap_err().to_string();
    assert!(
        e.contains("proxy region 76 is outside the connectome"),
        "{e}"
    );
    let e = MeanFieldSim::new(cfg(vec![3, 3])).unwrap_err().to_string();
    assert!(e.contains("listed twice"), "{e}");
}
