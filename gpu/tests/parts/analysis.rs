//! The sweep's analyses streamed on the device (`brainstream_gpu::analysis`)
//! against the CPU analyses (`brainstream_models::analysis::Analyzer`) fed
//! with the same batch's period averages, read back every period: the
//! stochastic Generic2dOscillator on the 76-region connectome, 3
//! combinations, 20 periods of transient and 300 analysed (1 ms each),
//! with every analysis: moments of V and W, FC, FCD (windows of 60 samples
//! every 30), the spectrum (segments of 64: delta, theta and alpha have no bin, NaN on both) and up/down states (thresholds
//! at V's 45th and 55th percentiles). Each column of the row agrees within a stated
//! tolerance of its largest |value|: 1e-9 with f64 sums (measured on
//! lavapipe: identical but the spectrum's columns, 2.8e-16: the FFT's
//! rounding against rustfft's) and 2e-4 with f32 sums (measured: 5.8e-6,
//! V_std; up/down columns 5e-2: a sample within f32's rounding of a
//! threshold may be classified otherwise, none was here).

use super::*;
use brainstream_gpu::AnalysisSpec;
use brainstream_models::analysis::{AnalysisConfig, Analyzer, Parts};

const PERIOD: usize = 10;
const TRANSIENT: usize = 20;
const SAMPLES: usize = 300;

fn g2d_spec(precision: Precision) -> BatchSpec {
    let info = model("Generic2dOscillator");
    let conn = Connectivity::tvb76();
    let dt = 0.1;
    let ps = ParamSet::defaults(info.params);
    let cfg = MeanFieldConfig {
        model: info,
        model_params: ps.clone(),
        coupling: Coupling::new("Linear", [("a", 0.01), ("b", 0.0)]).unwrap(),
        connectivity: conn.clone(),
        speed_mm_per_ms: 3.0,
        dt_ms: dt,
        scheme: Scheme::Heun,
        noise: None,
        initial: InitialConditions::Golden,
        proxy_nodes: vec![],
    };
    let initial = MeanFieldSim::with_threads(cfg, 1).unwrap().state();
    let a = [0.0, 0.01, 0.03];
    BatchSpec {
        model: info,
        params: vec![ps.values().to_vec(); a.len()],
        coupling_info: Coupling::new("Linear", [("a", 0.0), ("b", 0.0)])
            .unwrap()
            .info,
        coupling: a
            .iter()
            .map(|&a| {
                Coupling::new("Linear", [("a", a), ("b", 0.0)])
                    .unwrap()
                    .params
                    .values()
                    .to_vec()
            })
            .collect(),
        n: conn.n,
        weights: conn.weights.clone(),
        delays: conn.delays_steps(3.0, dt).unwrap(),
        dt_ms: dt,
        heun: true,
        noise: Some((vec![1e-3, 1e-3], 7)),
        initial,
        outputs: vec![0, 1],
        first_combination: 0,
        precision: Some(precision),
    }
}

/// The worst relative difference per column between the device's rows
/// and the host's: (column, error, scale).
fn device_against_host(dev: &Arc<GpuDevice>, precision: Precision) -> Vec<(String, f64, f64)> {
    let spec = g2d_spec(precision);
    let (c, n) = (spec.params.len(), spec.n);
    // thresholds around V's median over the analysed span of the same run
    // (45th and 55th percentiles): many regions cross them
    let mut probe = GpuBatch::new(dev.clone(), &spec).unwrap();
    let mut v = vec![];
    for block in 0..TRANSIENT + SAMPLES {
        let s = probe.run_period(PERIOD as u32).unwrap();
        if block >= TRANSIENT {
            v.extend(s[..n * c].iter().map(|x| *x as f64 / PERIOD as f64));
        }
    }
    v.sort_by(f64::total_cmp);
    let (q1, q3) = (v[45 * v.len() / 100], v[55 * v.len() / 100]);
    let cfg = AnalysisConfig {
        rates: vec!["V".into(), "W".into()],
        period_ms: 1.0,
        expected_samples: SAMPLES,
        fcd: Some((60, 30)),
        spectrum: Some(64),
        updown: Some((q1, q3)),
    };
    let mut batch = GpuBatch::new(dev.clone(), &spec).unwrap();
    batch
        .attach_analyses(&AnalysisSpec {
            config: cfg.clone(),
            rate_outputs: vec![0, 1],
            signal_output: 0,
            period_steps: PERIOD,
            fcd: true,
        })
        .unwrap();
    let mut host: Vec<Analyzer> = (0..c)
        .map(|_| Analyzer::new(cfg.clone(), n, &spec.weights))
        .collect();
    let inv = 1.0 / PERIOD as f64;
    for block in 0..TRANSIENT + SAMPLES {
        let analysed = block >= TRANSIENT;
        let sums = batch
            .run_period_analysed(PERIOD as u32, analysed, true)
            .unwrap()
            .unwrap();
        if analysed {
            for (k, a) in host.iter_mut().enumerate() {
                let rates: Vec<f64> = (0..2 * n).map(|q| sums[q * c + k] as f64 * inv).collect();
                a.push(&rates, &rates[..n]);
            }
        }
    }
    let rows = batch.analyses().unwrap().unwrap();
    let cols = Analyzer::columns(&cfg);
    // column, worst difference, scale, finite values
    let mut worst: Vec<(String, f64, f64, usize)> =
        cols.iter().map(|c| (c.clone(), 0.0, 0.0, 0)).collect();
    for (k, r) in rows.into_iter().enumerate() {
        assert_eq!(r.diverged_period, None, "combination {k}");
        let mut d = Analyzer::partial(cfg.clone(), n, &spec.weights, Parts::NONE);
        d.fill(r.finished);
        let (got, want) = (d.row(), host[k].row());
        for (w, (g, h)) in worst.iter_mut().zip(got.iter().zip(&want)) {
            assert_eq!(
                g.is_nan(),
                h.is_nan(),
                "{} of combination {k}: {g} vs {h}",
                w.0
            );
            if h.is_nan() {
                continue;
            }
            w.1 = w.1.max((g - h).abs());
            w.2 = w.2.max(h.abs());
            w.3 += 1;
        }
    }
    for (name, e, s, finite) in &worst {
        eprintln!(
            "{} {name:<14} max|device − host| {e:.3e} (scale {s:.3e}, relative {:.2e})",
            precision.ty(),
            e / s.max(1e-300)
        );
        // NaN in every combination only for a band without a bin (a
        // combination may lack a complete up or down episode: NaN on both)
        let binless = ["power_delta", "power_theta", "power_alpha"].contains(&name.as_str());
        assert!(binless || *finite > 0, "{name} is NaN in every combination");
    }
    worst.into_iter().map(|(n, e, s, _)| (n, e, s)).collect()
}

#[test]
fn device_analyses_agree_with_the_cpu_analyses() {
    let Some(dev) = device() else {
        return;
    };
    let mut runs = vec![(Precision::F32, 2e-4)];
    if dev.has_f64 {
        runs.push((Precision::F64, 1e-9));
    } else {
        eprintln!(
            "{} has no shaderFloat64: the f64 sums not checked here",
            dev.name
        );
    }
    for (precision, tol) in runs {
        for (name, e, s) in device_against_host(&dev, precision) {
            // with f32 sums a sample whose average lies within f32's
            // rounding of a threshold may be classified otherwise: an
            // episode's length moves by a sample
            let tol = match (precision, name.as_str()) {
                (Precision::F32, "up_mean_ms" | "down_mean_ms" | "up_fraction") => 0.05,
                _ => tol,
            };
            assert!(
                e <= tol * s.max(1e-12),
                "{} {name}: |device − host| {e:.3e} over scale {s:.3e} (tolerance {tol:.0e})",
                precision.ty()
            );
        }
    }
}
