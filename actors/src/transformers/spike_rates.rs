//! `spike_rates`: spikes → population rates (Hz), per step.
//!
//! Senders are numbered as `spiking_network` numbers its neurons: region
//! major, populations (ordered by name) within a region. Per step `k`, the
//! count `n_k` of spikes of a population of N neurons gives
//! * `histogram`: `n_k / (N·dt)`, the rate over the step;
//! * `boxcar`: the rate over the last `width_ms` (a running histogram):
//!   `Σ_{j ∈ (k−W, k]} n_j / (N·W·dt)`;
//! * `exponential`: the causal exponential kernel of time constant
//!   `width_ms`: `r_k = r_{k−1}·q + n_k·(1 − q)/(N·dt)` with `q = e^{−dt/τ}`
//!   (Hz, dt in s), whose sum over the steps after a spike, times dt, is
//!   exactly 1/N: one spike per neuron, whatever τ.
//! * `gaussian`: the causal (half-)Gaussian kernel of width σ = `width_ms`,
//!   truncated at 4σ: `r_k = Σ_{j=0}^{M} g_j·n_{k−j} / (N·dt)` with
//!   `g_j = e^{−(j·dt)²/(2σ²)} / Σ_i e^{−(i·dt)²/(2σ²)}`, `M = ⌈4σ/dt⌉`, so
//!   that again one spike integrates to 1/N. A co-simulation cannot use
//!   spikes from its future, so the symmetric kernel of offline analyses
//!   (elephant's `instantaneous_rate`) is replaced by its causal half; its
//!   mean lag is σ·√(2/π).
//!
//! Samples are stamped at the end of their step (k + 1), like states. A
//! spike from a sender outside the populations is an error naming it.

use std::collections::VecDeque;
use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, Series, SeriesMeta, WindowInfo,
};
use ndarray::Array3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "regions",
        ty: ParamType::StrList,
        default: DefaultValue::Required,
        range: None,
        unit: "",
        doc: "Region labels, in the senders' order",
    },
    ParamSpec {
        name: "populations",
        ty: ParamType::Table,
        default: DefaultValue::Required,
        range: None,
        unit: "neurons",
        doc: "Population sizes per region, e.g. { E = 800, I = 200 } (ordered by name)",
    },
    ParamSpec {
        name: "kernel",
        ty: ParamType::Str,
        default: DefaultValue::Str("histogram"),
        range: None,
        unit: "",
        doc: "histogram, boxcar, exponential or gaussian (causal half-Gaussian)",
    },
    ParamSpec {
        name: "width_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(1.0),
        range: Some((1e-9, 1e9)),
        unit: "ms",
        doc: "Box-car width, exponential time constant or Gaussian σ",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "spike_rates",
    doc: "Spikes → population rates (Hz) per step: histogram, running box-car, or causal exponential or half-Gaussian kernel",
    params: PARAMS,
    inputs: &[PortDecl { name: "spikes", ty: PortType::Spikes, doc: "spikes, senders numbered region-major", end_stamped: false }],
    outputs: &[PortDecl { name: "rates", ty: PortType::Series, doc: "rates in Hz: variables = populations, nodes = regions; stamped at the step's end", end_stamped: false }],
    build,
};

#[derive(Debug, Clone, PartialEq)]
enum Kernel {
    Histogram,
    Boxcar(usize),
    Exponential(f64),
    /// normalised weights g_0..g_M
    Gaussian(Arc<[f64]>),
}

struct SpikeRates {
    name: String,
    sizes: Vec<usize>,
    firsts: Vec<usize>,
    total: usize,
    regions: usize,
    kernel: Kernel,
    dt: f64,
    meta: Arc<SeriesMeta>,
    /// per group: running state (box-car history or exponential value)
    hist: Vec<VecDeque<f64>>,
    sum: Vec<f64>,
    expo: Vec<f64>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let (regions, pops) = crate::util::regions_and_populations(p)?;
    let (names, sizes): (Vec<String>, Vec<usize>) = pops.into_iter().unzip();
    let width = p.f64("width_ms")?;
    let kernel = match p.str("kernel")?.as_str() {
        "histogram" => Kernel::Histogram,
        "boxcar" => Kernel::Boxcar(((width / ctx.dt_ms).round() as usize).max(1)),
        "exponential" => Kernel::Exponential(width),
        "gaussian" => {
            let m = (4.0 * width / ctx.dt_ms).ceil() as usize;
            if m > 1_000_000 {
                return Err(BuildError::at(
                    "width_ms",
                    format!("σ = {width} ms spans {m} steps of {} ms", ctx.dt_ms),
                )
                .hint("use a width below 250 000 steps"));
            }
            let raw: Vec<f64> = (0..=m)
                .map(|j| (-(j as f64 * ctx.dt_ms).powi(2) / (2.0 * width * width)).exp())
                .collect();
            let z: f64 = raw.iter().sum();
            Kernel::Gaussian(raw.iter().map(|g| g / z).collect())
        }
        other => {
            return Err(
                BuildError::at("kernel", format!("unknown kernel `{other}`"))
                    .hint("histogram, boxcar, exponential or gaussian"),
            )
        }
    };
    let per_region: usize = sizes.iter().sum();
    let mut firsts = vec![];
    for r in 0..regions.len() {
        let mut f = r * per_region;
        for s in &sizes {
            firsts.push(f);
            f += s;
        }
    }
    let groups = regions.len() * sizes.len();
    Ok(Box::new(SpikeRates {
        name: ctx.name.to_string(),
        total: per_region * regions.len(),
        regions: regions.len(),
        meta: Arc::new(SeriesMeta::new(names, regions, "Hz")),
        sizes,
        firsts,
        kernel,
        dt: ctx.dt_ms,
        hist: vec![VecDeque::new(); groups],
        sum: vec![0.0; groups],
        expo: vec![0.0; groups],
    }))
}

impl Actor for SpikeRates {
    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let np = self.sizes.len();
        let groups = np * self.regions;
        let steps = w.n_steps as usize;
        let mut counts = vec![0.0; steps * groups];
        if let Some(sp) = crate::util::spikes(inputs, "spikes")? {
            for (s, st) in sp.senders.iter().zip(&sp.stamps) {
                if !w.contains(*st) {
                    continue;
                }
                let s = *s as usize;
                if s >= self.total {
                    return Err(ActorError::new(format!(
                        "`{}`: spike from sender {s}, but the populations hold {} neurons",
                        self.name, self.total
                    )));
                }
                let g = self.firsts.partition_point(|&f| f <= s) - 1;
                counts[(*st - w.start_step) as usize * groups + g] += 1.0;
            }
        }
        let mut data = Array3::zeros((steps, np, self.regions));
        let dt_s = self.dt / 1000.0;
        for k in 0..steps {
            for g in 0..groups {
                let n = self.sizes[g % np] as f64;
                let c = counts[k * groups + g];
                let rate = match &self.kernel {
                    Kernel::Histogram => c / (n * dt_s),
                    &Kernel::Boxcar(wn) => {
                        let h = &mut self.hist[g];
                        h.push_back(c);
                        self.sum[g] += c;
                        if h.len() > wn {
                            self.sum[g] -= h.pop_front().unwrap_or(0.0);
                        }
                        self.sum[g] / (n * wn as f64 * dt_s)
                    }
                    &Kernel::Exponential(tau) => {
                        let e = (-self.dt / tau).exp();
                        self.expo[g] = self.expo[g] * e + c * (1.0 - e) / (n * dt_s);
                        self.expo[g]
                    }
                    Kernel::Gaussian(gw) => {
                        // newest count first: h[j] = n_{k−j}
                        let h = &mut self.hist[g];
                        h.push_front(c);
                        h.truncate(gw.len());
                        h.iter()
                            .zip(gw.iter())
                            .map(|(n_j, g_j)| n_j * g_j)
                            .sum::<f64>()
                            / (n * dt_s)
                    }
                };
                data[[k, g % np, g / np]] = rate;
            }
        }
        let stamps: Vec<u64> = (w.start_step + 1..=w.start_step + w.n_steps).collect();
        out.set(
            "rates",
            Payload::Series(Arc::new(Series {
                times_ms: stamps.iter().map(|k| *k as f64 * w.dt_ms).collect(),
                stamps,
                data,
                meta: self.meta.clone(),
            })),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream_runtime::{Params, Spikes};

    fn make(kernel: &str, width: f64) -> Box<dyn Actor> {
        let t: toml::Table = toml::from_str(&format!(
            "regions = [\"a\", \"b\"]\npopulations = {{ E = 4, I = 2 }}\nkernel = \"{kernel}\"\nwidth_ms = {width}"
        ))
        .unwrap();
        let params = Params::new(&t, KIND.params, std::path::Path::new("."));
        assert!(params.check().is_empty());
        build(&BuildCtx {
            name: "r",
            params,
            dt_ms: 0.1,
            duration_ms: 10.0,
        })
        .map_err(|e| e.message)
        .unwrap()
    }

    fn run(a: &mut Box<dyn Actor>, spikes: &[(u32, u64)], steps: u64) -> Series {
        let sp = Spikes {
            senders: spikes.iter().map(|s| s.0).collect(),
            stamps: spikes.iter().map(|s| s.1).collect(),
            times_ms: spikes.iter().map(|s| (s.1 + 1) as f64 * 0.1).collect(),
        };
        let mut out = Outputs::default();
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: steps,
            dt_ms: 0.1,
        };
        a.step(
            &w,
            &Inputs::from_pairs([("spikes", Payload::Spikes(Arc::new(sp)))]),
            &mut out,
        )
        .unwrap();
        out.take("rates").unwrap().as_series().unwrap().clone()
    }

    #[test]
    fn known_spikes_give_exact_rates() {
        // senders: region a: E 0..4, I 4..6; region b: E 6..10, I 10..12
        let spikes = [(0, 2), (3, 2), (5, 2), (7, 9), (11, 9)];
        let h = run(&mut make("histogram", 1.0), &spikes, 10);
        // step 2: 2 spikes of a.E (4 neurons) over 0.1 ms = 5000 Hz; 1 of a.I (2) = 5000 Hz
        assert_eq!(h.data[[2, 0, 0]], 2.0 / (4.0 * 1e-4));
        assert_eq!(h.data[[2, 1, 0]], 1.0 / (2.0 * 1e-4));
        assert_eq!(h.data[[9, 0, 1]], 1.0 / (4.0 * 1e-4));
        assert_eq!(h.data[[9, 1, 1]], 1.0 / (2.0 * 1e-4));
        assert_eq!(h.data[[3, 0, 0]], 0.0);
        assert_eq!(h.stamps[0], 1);
        // box-car of 1 ms (10 steps) over all 10 steps: 2 spikes / (4 × 1 ms) = 500 Hz
        let b = run(&mut make("boxcar", 1.0), &spikes, 10);
        assert!((b.data[[9, 0, 0]] - 500.0).abs() < 1e-9);
        // exponential: the integral of the rate over time is spikes / N
        let e = run(&mut make("exponential", 5.0), &[(0, 0)], 2000);
        let integral: f64 = (0..2000).map(|k| e.data[[k, 0, 0]] * 1e-4).sum();
        assert!((integral - 0.25).abs() < 1e-6, "{integral}");
    }

    #[test]
    fn gaussian_kernel_is_causal_half_gaussian() {
        // σ = 0.5 ms at dt = 0.1 ms: weights over 21 steps
        let sigma: f64 = 0.5;
        let g = run(&mut make("gaussian", sigma), &[(0, 10), (1, 10)], 60);
        for k in 0..10 {
            assert_eq!(g.data[[k, 0, 0]], 0.0, "nothing before the spikes");
        }
        let raw = |j: usize| (-((j as f64 * 0.1).powi(2)) / (2.0 * sigma * sigma)).exp();
        let z: f64 = (0..=20).map(raw).sum();
        for j in 0..=20 {
            let want = 2.0 * raw(j) / z / (4.0 * 1e-4);
            assert!(
                (g.data[[10 + j, 0, 0]] - want).abs() < 1e-9 * want,
                "lag {j}"
            );
        }
        for k in 31..60 {
            assert_eq!(g.data[[k, 0, 0]], 0.0, "truncated at 4σ");
        }
        // two spikes of 4 neurons integrate to 0.5 spikes per neuron
        let integral: f64 = (0..60).map(|k| g.data[[k, 0, 0]] * 1e-4).sum();
        assert!((integral - 0.5).abs() < 1e-12, "{integral}");
        // a constant input gives its rate back exactly (weights sum to 1)
        let steady: Vec<(u32, u64)> = (0..60).map(|k| (6, k)).collect();
        let s = run(&mut make("gaussian", sigma), &steady, 60);
        assert!((s.data[[40, 0, 1]] - 1.0 / (4.0 * 1e-4)).abs() < 1e-9);
    }

    #[test]
    fn unknown_senders_are_refused() {
        let mut a = make("histogram", 1.0);
        let sp = Spikes {
            senders: vec![12],
            stamps: vec![0],
            times_ms: vec![0.1],
        };
        let mut out = Outputs::default();
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: 10,
            dt_ms: 0.1,
        };
        let e = a
            .step(
                &w,
                &Inputs::from_pairs([("spikes", Payload::Spikes(Arc::new(sp)))]),
                &mut out,
            )
            .err()
            .unwrap();
        assert!(e.0.contains("sender 12"), "{}", e.0);
    }
}
