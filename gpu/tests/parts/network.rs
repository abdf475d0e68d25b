//! The single-network kernel (`GpuNetwork`, a graph's `mean_field` actor
//! with `backend = "vulkan"`) against the CPU engine, step by step: every
//! built-in model's raw state after every step of 20 ms on the 76-region
//! connectome (delays up to ~60 steps), in windows of 50 steps; the
//! worst difference relative to each variable's largest |value| is printed
//! (`--nocapture`) and held to a stated tolerance per model and precision.

use super::*;
use brainstream_gpu::network::{GpuNetwork, NetworkSpec};

/// A CPU engine configuration on tvb76 with Linear coupling a = 0.0039.
fn net_cfg(info: &'static ModelInfo, scheme: Scheme, dt: f64) -> MeanFieldConfig {
    MeanFieldConfig {
        model: info,
        model_params: ParamSet::defaults(info.params),
        coupling: Coupling::new("Linear", [("a", 0.00390625), ("b", 0.0)]).unwrap(),
        connectivity: Connectivity::tvb76(),
        speed_mm_per_ms: 3.0,
        dt_ms: dt,
        scheme,
        noise: None,
        initial: InitialConditions::Golden,
        proxy_nodes: vec![],
    }
}

/// Raw states of both (`steps × nvar × n`), and the coupling of every
/// region (`steps × n × nt`) from both, run in windows of `window` steps;
/// `proxy` (values as `ProxyInput`, every step present) and `stim`
/// (`steps × n`) as given. The CPU's error where it diverges.
#[allow(clippy::type_complexity)]
fn both(
    dev: &Arc<GpuDevice>,
    cfg: &MeanFieldConfig,
    steps: usize,
    window: usize,
    precision: Precision,
    proxy: Option<(&[f64], &[usize])>,
    stim: Option<&[f64]>,
) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>), String> {
    let (nv, n) = (cfg.model.nvar(), cfg.connectivity.n);
    let np = cfg.proxy_nodes.len();
    let mut cpu = MeanFieldSim::with_threads(cfg.clone(), 1).map_err(|e| e.to_string())?;
    cpu.export_coupling_of_every_region(true);
    let nt = cpu.n_terms();
    let spec = NetworkSpec::from_config(cfg, Some(precision)).map_err(|e| e.to_string())?;
    let mut gpu = GpuNetwork::new(dev.clone(), &spec).map_err(|e| e.to_string())?;
    assert_eq!(gpu.n_terms(), nt);
    let (mut c, mut g) = (vec![0.0; steps * nv * n], vec![0.0; steps * nv * n]);
    let (mut cc, mut gc) = (vec![0.0; steps * n * nt], vec![0.0; steps * n * nt]);
    let present = vec![true; window];
    for w0 in (0..steps).step_by(window) {
        let k = window.min(steps - w0);
        let px = proxy.map(|(v, vars)| {
            let per = np * vars.len();
            (&v[w0 * per..(w0 + k) * per], vars)
        });
        let st = stim.map(|s| &s[w0 * n..(w0 + k) * n]);
        cpu.run_stimulated(
            k,
            &mut c[w0 * nv * n..(w0 + k) * nv * n],
            px.map(|(values, vars)| ProxyInput {
                values,
                present: &present[..k],
                vars,
            }),
            Some(&mut cc[w0 * n * nt..(w0 + k) * n * nt]),
            st.map(|values| StimulusInput { values }),
        )
        .map_err(|e| format!("{} on the CPU: {e}", cfg.model.name))?;
        gpu.run_window(
            k,
            &mut g[w0 * nv * n..(w0 + k) * nv * n],
            px.map(|(values, vars)| ProxyInput {
                values,
                present: &present[..k],
                vars,
            }),
            st,
            Some(&mut gc[w0 * n * nt..(w0 + k) * n * nt]),
        )
        .unwrap();
    }
    Ok((c, g, cc, gc))
}

/// Worst |gpu − cpu| relative to each variable's largest |cpu| (rows of
/// `n` values, `nrow` variables per sample).
fn rel_worst(name: &str, label: &str, cpu: &[f64], gpu: &[f64], nrow: usize, n: usize) -> f64 {
    let mut e = vec![(0.0f64, 0.0f64); nrow];
    for (k, (c, g)) in cpu.iter().zip(gpu).enumerate() {
        let v = (k / n) % nrow;
        let d = if c.is_finite() && g.is_finite() {
            (c - g).abs()
        } else if c.to_bits() == g.to_bits() || (c.is_nan() && g.is_nan()) {
            0.0
        } else {
            f64::INFINITY
        };
        e[v].0 = e[v].0.max(d);
        e[v].1 = e[v].1.max(c.abs());
    }
    let w = e
        .iter()
        .map(|(d, r)| if *d == 0.0 { 0.0 } else { d / r.max(1e-30) })
        .fold(0.0, f64::max);
    eprintln!("{name:<28} {label:<24} worst relative {w:.2e}");
    w
}

/// Stated tolerance per model: f64 state and right-hand side agree with
/// the CPU engine but for the order of the f32 coupling sums (and the
/// dynamics' amplification of it); f32 is f32's rounding amplified.
fn net_tolerance(model: &str, precision: Precision) -> f64 {
    let chaotic = match model {
        // threshold-switched or stiff dynamics amplify any difference
        "KIonEx" => 0.5,
        "Epileptor" | "Epileptor2D" => 1e-2,
        "EpileptorRestingState" | "GastSchmidtKnosche_SD" | "LarterBreakspear" => 1e-3,
        "ReducedSetFitzHughNagumo" => 1e-3,
        _ => 0.0,
    };
    let base: f64 = match precision {
        Precision::F64 => 1e-6,
        Precision::F32 => 1e-4,
    };
    base.max(chaotic)
}

fn precisions(dev: &GpuDevice, info: &ModelInfo) -> Vec<Precision> {
    let mut p = vec![];
    if dev.has_f64 {
        p.push(Precision::F64);
    }
    if brainstream_gpu::shaders::f32_error(info).unwrap() <= brainstream_gpu::shaders::F32_LIMIT {
        p.push(Precision::F32);
    }
    p
}

#[test]
fn network_every_builtin_model_agrees_step_by_step() {
    let Some(dev) = device() else { return };
    let mut failures = vec![];
    for info in MODELS.iter() {
        let name = info.name;
        // tvb-library's dt of 0.1 ms, smaller where the CPU engine diverges
        let mut dt: f64 = 0.1;
        let (steps, window) = loop {
            let steps = (20.0 / dt).round() as usize;
            let mut cpu = MeanFieldSim::with_threads(net_cfg(info, Scheme::Heun, dt), 1).unwrap();
            let mut x = vec![0.0; steps.min(2000) * info.nvar() * 76];
            if cpu.run(steps.min(2000), &mut x).is_ok() || dt < 1e-3 {
                break (steps.min(2000), 50);
            }
            dt /= 10.0;
        };
        for precision in precisions(&dev, info) {
            let cfg = net_cfg(info, Scheme::Heun, dt);
            match both(&dev, &cfg, steps, window, precision, None, None) {
                Ok((c, g, cc, gc)) => {
                    let label = format!("{} dt {dt} state", precision.ty());
                    let e = rel_worst(name, &label, &c, &g, info.nvar(), 76);
                    let tol = net_tolerance(name, precision);
                    let label = format!("{} dt {dt} coupling", precision.ty());
                    let nt = cc.len() / steps / 76;
                    let ec = rel_worst(name, &label, &cc, &gc, 1, 76 * nt);
                    if !(e <= tol) || !(ec <= tol.max(1e-5)) {
                        failures.push(format!(
                            "{name} {}: state {e:.2e}, coupling {ec:.2e} > {tol:.0e}",
                            precision.ty()
                        ));
                    }
                }
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Euler, Heun and RK4; deterministic and with the Philox stream (additive
/// and multiplicative); a stimulus on the model's stimulus variables; proxy
/// regions replaced from outside at every step, their coupling exported:
/// all as the CPU engine, on Generic2dOscillator and ReducedWongWang.
#[test]
fn network_schemes_noise_stimulus_and_proxies_agree() {
    let Some(dev) = device() else { return };
    let n = 76;
    let steps = 200;
    let mut failures = vec![];
    for name in ["Generic2dOscillator", "ReducedWongWang"] {
        let info = model(name);
        for scheme in [Scheme::Euler, Scheme::Heun, Scheme::Rk4] {
            for noise in [
                None,
                Some(NoiseKind::Additive),
                Some(NoiseKind::Multiplicative { a: 0.5, b: 0.2 }),
            ] {
                for with_io in [false, true] {
                    let mut cfg = net_cfg(info, scheme, 0.1);
                    cfg.noise = noise.clone().map(|kind| NoiseConfig {
                        kind,
                        nsig: vec![1e-5],
                        seed: 0,
                        stream: NoiseStream::Philox {
                            seed: 42,
                            combination: 0,
                        },
                        ntau_ms: 0.0,
                    });
                    let vars: Vec<usize> = vec![0];
                    let mut proxy_vals = vec![];
                    let mut stim = vec![];
                    if with_io {
                        cfg.proxy_nodes = vec![3, 40, 41];
                        let lo = info.range[0].0;
                        let hi = info.range[0].1;
                        for s in 0..steps {
                            for p in 0..3 {
                                let f = 0.5 + 0.4 * ((s as f64) * 0.05 + p as f64).sin();
                                proxy_vals.push(lo + (hi - lo) * f);
                            }
                        }
                        for s in 0..steps {
                            for i in 0..n {
                                stim.push(if (50..120).contains(&s) && i % 5 == 0 {
                                    0.3
                                } else {
                                    0.0
                                });
                            }
                        }
                    }
                    let label = format!(
                        "{scheme:?} {} {}",
                        match &noise {
                            None => "deterministic",
                            Some(NoiseKind::Additive) => "additive",
                            Some(_) => "multiplicative",
                        },
                        if with_io { "stim+proxy" } else { "" }
                    );
                    let prec = if dev.has_f64 {
                        Precision::F64
                    } else {
                        Precision::F32
                    };
                    let r = both(
                        &dev,
                        &cfg,
                        steps,
                        64,
                        prec,
                        with_io.then_some((&proxy_vals[..], &vars[..])),
                        with_io.then_some(&stim[..]),
                    );
                    match r {
                        Ok((c, g, cc, gc)) => {
                            let e = rel_worst(name, &label, &c, &g, info.nvar(), n);
                            let nt = cc.len() / steps / n;
                            let ec = rel_worst(name, "  coupling", &cc, &gc, 1, n * nt);
                            let tol = net_tolerance(name, prec);
                            if !(e <= tol) || !(ec <= tol.max(1e-5)) {
                                failures
                                    .push(format!("{name} {label}: {e:.2e}, coupling {ec:.2e}"));
                            }
                            if with_io {
                                // the proxies hold the given states
                                let s = steps - 1;
                                assert_eq!(g[(s * info.nvar()) * n + 40], proxy_vals[s * 3 + 1]);
                            }
                        }
                        Err(e) => failures.push(format!("{name} {label}: {e}")),
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// tvb-library 2.10's PreSigmoidal on the device, its own sum (the weights
/// transposed, each region's own state delayed by its afferent delays; in
/// the dynamic form the region's direct output as a second term, the
/// float64 sums in the kernel's precision): the static form under Hopfield
/// (θ = 0.3, G = 10, models/tests/tvb_cases.rs's case), the dynamic form
/// under HopfieldDynamic at its defaults and with H, Q, G, P away from
/// them, and the dynamic form with additive Philox noise, a stimulus and
/// proxy regions. tvb76's weights are asymmetric (268 connections one way
/// only) and 66 of its 76 diagonal weights are not zero, so every path of
/// the sum is taken. 20 ms at 0.1 ms, Heun, every step's state and both
/// coupling terms of every region against the CPU engine, in every
/// precision the device has, within the models' tolerances.
#[test]
// `!(e <= tol)` on purpose: a NaN error must fail
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn network_presigmoidal_agrees_step_by_step() {
    let Some(dev) = device() else { return };
    let (n, steps) = (76, 200);
    type Case = (&'static str, &'static [(&'static str, f64)], bool);
    let cases: &[Case] = &[
        (
            "Hopfield",
            &[("dynamic", 0.0), ("theta", 0.3), ("G", 10.0)],
            false,
        ),
        ("HopfieldDynamic", &[], false),
        (
            "HopfieldDynamic",
            &[("H", 0.2), ("Q", 0.8), ("G", 5.0), ("P", 1.3)],
            false,
        ),
        ("HopfieldDynamic", &[], true),
    ];
    let mut failures = vec![];
    for &(name, cparams, with_io) in cases {
        let info = model(name);
        let mut cfg = net_cfg(info, Scheme::Heun, 0.1);
        cfg.coupling = Coupling::new("PreSigmoidal", cparams.iter().copied()).unwrap();
        let (mut proxy_vals, mut stim) = (vec![], vec![]);
        let vars: Vec<usize> = vec![0];
        if with_io {
            cfg.noise = Some(NoiseConfig {
                kind: NoiseKind::Additive,
                nsig: vec![1e-5],
                seed: 0,
                stream: NoiseStream::Philox {
                    seed: 42,
                    combination: 0,
                },
                ntau_ms: 0.0,
            });
            cfg.proxy_nodes = vec![3, 40, 41];
            for s in 0..steps {
                for p in 0..3 {
                    proxy_vals.push(0.5 + 0.4 * ((s as f64) * 0.05 + p as f64).sin());
                }
                for i in 0..n {
                    let on = (50..120).contains(&s) && i % 5 == 0;
                    stim.push(if on { 0.3 } else { 0.0 });
                }
            }
        }
        for precision in precisions(&dev, info) {
            let label = format!(
                "{} {cparams:?}{}",
                precision.ty(),
                if with_io { " noise+stim+proxy" } else { "" }
            );
            match both(
                &dev,
                &cfg,
                steps,
                64,
                precision,
                with_io.then_some((&proxy_vals[..], &vars[..])),
                with_io.then_some(&stim[..]),
            ) {
                Ok((c, g, cc, gc)) => {
                    let e = rel_worst(name, &label, &c, &g, info.nvar(), n);
                    let nt = cc.len() / steps / n;
                    assert_eq!(nt, info.cvar.len(), "{name}: coupling terms");
                    let ec = rel_worst(name, "  coupling", &cc, &gc, 1, n * nt);
                    let tol = net_tolerance(name, precision);
                    if !(e <= tol) || !(ec <= tol.max(1e-5)) {
                        failures.push(format!(
                            "{name} {label}: state {e:.2e}, coupling {ec:.2e} > {tol:.0e}"
                        ));
                    }
                }
                Err(e) => failures.push(format!("{name} {label}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What the kernel cannot run is refused naming it: tvb-library's numpy
/// noise stream.
#[test]
fn network_refuses_what_it_cannot_run() {
    let info = model("Generic2dOscillator");
    let mut cfg = net_cfg(info, Scheme::Heun, 0.1);
    cfg.noise = Some(NoiseConfig {
        kind: NoiseKind::Additive,
        nsig: vec![1e-5],
        seed: 3,
        stream: NoiseStream::Numpy,
        ntau_ms: 0.0,
    });
    let e = NetworkSpec::from_config(&cfg, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("numpy") && e.contains("CPU-only") && e.contains("philox"),
        "{e}"
    );
}

/// The window length changes nothing: windows of 1, 7, 50 and 200 steps
/// give the same bits (the history ring and the noise counter run on
/// across windows).
#[test]
fn network_windows_of_any_length_give_the_same_bits() {
    let Some(dev) = device() else { return };
    for name in ["EpileptorRestingState", "Generic2dOscillator"] {
        let info = model(name);
        let mut cfg = net_cfg(info, Scheme::Heun, 0.1);
        cfg.noise = Some(NoiseConfig {
            kind: NoiseKind::Additive,
            nsig: vec![1e-6],
            seed: 0,
            stream: NoiseStream::Philox {
                seed: 9,
                combination: 0,
            },
            ntau_ms: 0.0,
        });
        let steps = 200;
        let runs: Vec<Vec<f64>> = [1, 7, 50, 200]
            .iter()
            .map(|&w| {
                let prec = if dev.has_f64 {
                    Precision::F64
                } else {
                    Precision::F32
                };
                both(&dev, &cfg, steps, w, prec, None, None).unwrap().1
            })
            .collect();
        for r in &runs[1..] {
            assert!(
                r.iter()
                    .zip(&runs[0])
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{name}: windows change the result"
            );
        }
    }
}

/// Steering: the coupling's parameter changed between windows on the
/// device as on the CPU engine (`set_coupling_param`): the runs agree
/// after the change, and differ from the run without it.
#[test]
fn network_coupling_steered_between_windows_agrees() {
    let Some(dev) = device() else { return };
    let info = model("Generic2dOscillator");
    let cfg = net_cfg(info, Scheme::Heun, 0.1);
    let (nv, n) = (info.nvar(), 76);
    let prec = if dev.has_f64 {
        Precision::F64
    } else {
        Precision::F32
    };
    let mut cpu = MeanFieldSim::with_threads(cfg.clone(), 1).unwrap();
    let spec = NetworkSpec::from_config(&cfg, Some(prec)).unwrap();
    let mut gpu = GpuNetwork::new(dev.clone(), &spec).unwrap();
    let mut unsteered = GpuNetwork::new(dev, &spec).unwrap();
    let (mut c, mut g, mut u) = (
        vec![0.0; 100 * nv * n],
        vec![0.0; 100 * nv * n],
        vec![0.0; 100 * nv * n],
    );
    cpu.run(100, &mut c).unwrap();
    gpu.run_window(100, &mut g, None, None, None).unwrap();
    unsteered.run_window(100, &mut u, None, None, None).unwrap();
    let mut coupling = cfg.coupling.clone();
    let old = cpu.set_coupling_param(&mut coupling, "a", 0.05).unwrap();
    assert_eq!(old, 0.00390625);
    gpu.set_coupling(coupling.params.values()).unwrap();
    cpu.run(100, &mut c).unwrap();
    gpu.run_window(100, &mut g, None, None, None).unwrap();
    unsteered.run_window(100, &mut u, None, None, None).unwrap();
    let e = rel_worst("Generic2dOscillator", "steered", &c, &g, nv, n);
    let moved = rel_worst("Generic2dOscillator", "steered vs not", &g, &u, nv, n);
    assert!(e <= net_tolerance("Generic2dOscillator", prec), "{e}");
    assert!(moved > 1e3 * e.max(1e-9), "the change did nothing: {moved}");
}

/// Windows in flight (`submit_window` of up to four windows before their
/// `collect_window`, each with its own proxy states and stimulus, the
/// coupling read back; a steering change while windows are in flight)
/// give the bits of the same windows run one at a time (`run_window`),
/// and the device refuses a collection out of order.
#[test]
fn network_windows_in_flight_give_the_bits_of_one_at_a_time() {
    let Some(dev) = device() else { return };
    let info = model("Generic2dOscillator");
    let mut cfg = net_cfg(info, Scheme::Heun, 0.1);
    cfg.proxy_nodes = vec![3, 40];
    cfg.noise = Some(NoiseConfig {
        kind: NoiseKind::Additive,
        nsig: vec![1e-5],
        seed: 0,
        stream: NoiseStream::Philox {
            seed: 5,
            combination: 0,
        },
        ntau_ms: 0.0,
    });
    let (nv, n, win, windows) = (info.nvar(), 76, 25, 12);
    let prec = if dev.has_f64 {
        Precision::F64
    } else {
        Precision::F32
    };
    let spec = NetworkSpec::from_config(&cfg, Some(prec)).unwrap();
    let nt = GpuNetwork::new(dev.clone(), &spec).unwrap().n_terms();
    // window k's proxy states (variable 0 of both proxies, every step) and stimulus
    let proxy = |k: usize| -> Vec<f64> {
        (0..win * 2)
            .map(|j| 0.2 * ((k * win * 2 + j) as f64 * 0.1).sin())
            .collect()
    };
    let stim = |k: usize| -> Vec<f64> {
        (0..win * n)
            .map(|j| if (k + j).is_multiple_of(7) { 0.1 } else { 0.0 })
            .collect()
    };
    let present = vec![true; win];
    let vars = [0usize];
    let steer_before = 5;
    let steered = cfg.coupling.with_param("a", 0.05).unwrap().0;
    let steered = steered.params.values();
    // one window at a time
    let mut one = GpuNetwork::new(dev.clone(), &spec).unwrap();
    let (mut x1, mut c1) = (
        vec![0.0; windows * win * nv * n],
        vec![0.0; windows * win * n * nt],
    );
    for k in 0..windows {
        if k == steer_before {
            one.set_coupling(steered).unwrap();
        }
        let (p, s) = (proxy(k), stim(k));
        one.run_window(
            win,
            &mut x1[k * win * nv * n..(k + 1) * win * nv * n],
            Some(ProxyInput {
                values: &p,
                present: &present,
                vars: &vars,
            }),
            Some(&s),
            Some(&mut c1[k * win * n * nt..(k + 1) * win * n * nt]),
        )
        .unwrap();
    }
    // up to `ahead` windows in flight
    for ahead in [1, 2, 4] {
        let mut net = GpuNetwork::new(dev.clone(), &spec).unwrap();
        let (mut x2, mut c2) = (vec![0.0; x1.len()], vec![0.0; c1.len()]);
        let mut tickets = std::collections::VecDeque::new();
        let mut next = 0;
        for k in 0..windows {
            while next < windows && next <= k + ahead {
                if next == steer_before {
                    net.set_coupling(steered).unwrap();
                }
                let (p, s) = (proxy(next), stim(next));
                tickets.push_back(
                    net.submit_window(
                        win,
                        Some(ProxyInput {
                            values: &p,
                            present: &present,
                            vars: &vars,
                        }),
                        Some(&s),
                        true,
                    )
                    .unwrap(),
                );
                next += 1;
            }
            assert!(net.in_flight() >= 1 && net.in_flight() <= ahead + 1);
            let t = tickets.pop_front().unwrap();
            assert_eq!(t.first_step(), (k * win) as u64);
            if let Some(&later) = tickets.front() {
                let mut tmp = vec![0.0; win * nv * n];
                let e = net.collect_window(later, &mut tmp, None).unwrap_err();
                assert!(e.to_string().contains("submitted first"), "{e}");
            }
            net.collect_window(
                t,
                &mut x2[k * win * nv * n..(k + 1) * win * nv * n],
                Some(&mut c2[k * win * n * nt..(k + 1) * win * n * nt]),
            )
            .unwrap();
        }
        assert_eq!(net.in_flight(), 0);
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(same(&x1, &x2), "{ahead} ahead: the states differ");
        assert!(same(&c1, &c2), "{ahead} ahead: the coupling differs");
    }
}
