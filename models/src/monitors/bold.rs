//! tvb-library's `Bold` monitor: the first-order Volterra kernel of the
//! Balloon–Windkessel model (Friston et al. 2000) convolved with the neural
//! signal.
//!
//! * The signal is first averaged over 4 ms windows (`interim` period,
//!   tvb-library's `_stock_sample_rate = 2⁻² /ms`), kept for `hrf_length`
//!   (20 s → 5000 samples).
//! * Kernel ([`HrfKernel`], tvb-library's `hrf_kernel`), `t` in s, sampled
//!   at `k·hrf_length/stock_steps`: by default `FirstOrderVolterra`,
//!   `G(t) = 1/3·exp(−t/(2τ_s))·sin(ω·t)/ω`, `ω = sqrt(1/τ_f − 1/(4τ_s²))`,
//!   `τ_s = 0.8 s`, `τ_f = 0.4 s`; or `Gamma`, `DoubleExponential`,
//!   `MixtureOfGammas` (tvb-library's `HRFKernelEquation`s, see the enum).
//! * Every `period` (default 2000 ms): `BOLD = (Σ_k G_k·u_{t−k} − 1)·k_1·V_0`
//!   with `k_1 = 5.6`, `V_0 = 0.02` for the Volterra kernel, `Σ_k G_k·u_{t−k}`
//!   for the others (as tvb-library); time stamp `step·dt`.
//!
//! As in tvb-library the stock starts at zero, so the first 20 s of BOLD are a
//! transient.

use super::{period_steps, Sample};
use crate::ModelError;

/// Kernel parameters, tvb-library's `FirstOrderVolterra` defaults.
pub const TAU_S: f64 = 0.8;
/// Kernel parameter τ_f in s.
pub const TAU_F: f64 = 0.4;
/// Kernel parameter k_1.
pub const K_1: f64 = 5.6;
/// Resting blood volume fraction V_0.
pub const V_0: f64 = 0.02;

/// tvb-library's haemodynamic response kernels (`equations.HRFKernelEquation`),
/// `t` in s, evaluated as tvb-library's numexpr strings.
#[derive(Debug, Clone, PartialEq)]
pub enum HrfKernel {
    /// `1/3·exp(−0.5·t/τ_s)·sin(sqrt(1/τ_f − 1/(4τ_s²))·t)/sqrt(1/τ_f − 1/(4τ_s²))`;
    /// the BOLD is then `(G∗u − 1)·k_1·V_0`. Defaults τ_s 0.8 s, τ_f 0.4 s,
    /// k_1 5.6, V_0 0.02.
    FirstOrderVolterra {
        tau_s: f64,
        tau_f: f64,
        k_1: f64,
        v_0: f64,
    },
    /// `(t/τ)^(n−1)·exp(−t/τ)/(τ·(n−1)!)` (the factorial of `int(n)`),
    /// divided by its maximum and times `a`. Defaults τ 1.08 s, n 3, a 0.1.
    Gamma { tau: f64, n: f64, a: f64 },
    /// `amp_1·exp(−t/τ_1)·sin(2π·f_1·t) − amp_2·exp(−t/τ_2)·sin(2π·f_2·t)`,
    /// divided by its maximum and times `a`. Defaults τ_1 7.22 s, f_1 0.03
    /// Hz, amp_1 0.1, τ_2 7.4 s, f_2 0.12 Hz, amp_2 0.1, a 0.1.
    DoubleExponential {
        tau_1: f64,
        f_1: f64,
        amp_1: f64,
        tau_2: f64,
        f_2: f64,
        amp_2: f64,
        a: f64,
    },
    /// `(l·t)^(a_1−1)·exp(−l·t)/Γ(a_1) − c·(l·t)^(a_2−1)·exp(−l·t)/Γ(a_2)`
    /// (SPM-like). Defaults a_1 6, a_2 13, l 1, c 0.4.
    MixtureOfGammas { a_1: f64, a_2: f64, l: f64, c: f64 },
}

impl Default for HrfKernel {
    fn default() -> Self {
        HrfKernel::FirstOrderVolterra {
            tau_s: TAU_S,
            tau_f: TAU_F,
            k_1: K_1,
            v_0: V_0,
        }
    }
}

/// A kernel parameter: name, tvb-library's default, unit.
pub type HrfParam = (&'static str, f64, &'static str);

/// The kernels' names and their parameters' names, defaults and units.
pub const HRF_KERNELS: &[(&str, &[HrfParam])] = &[
    (
        "FirstOrderVolterra",
        &[
            ("tau_s", TAU_S, "s"),
            ("tau_f", TAU_F, "s"),
            ("k_1", K_1, "1"),
            ("V_0", V_0, "1"),
        ],
    ),
    (
        "Gamma",
        &[("tau", 1.08, "s"), ("n", 3.0, "1"), ("a", 0.1, "1")],
    ),
    (
        "DoubleExponential",
        &[
            ("tau_1", 7.22, "s"),
            ("f_1", 0.03, "Hz"),
            ("amp_1", 0.1, "1"),
            ("tau_2", 7.4, "s"),
            ("f_2", 0.12, "Hz"),
            ("amp_2", 0.1, "1"),
            ("a", 0.1, "1"),
        ],
    ),
    (
        "MixtureOfGammas",
        &[
            ("a_1", 6.0, "1"),
            ("a_2", 13.0, "1"),
            ("l", 1.0, "1/s"),
            ("c", 0.4, "1"),
        ],
    ),
];

impl HrfKernel {
    /// The kernel `name` with its defaults replaced by `overrides`.
    pub fn new<'a>(
        name: &str,
        overrides: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, ModelError> {
        let Some((_, defs)) = HRF_KERNELS.iter().find(|k| k.0 == name) else {
            return Err(ModelError::UnknownName {
                what: "hrf_kernel",
                name: name.into(),
                known: HRF_KERNELS
                    .iter()
                    .map(|k| k.0)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let mut v: Vec<f64> = defs.iter().map(|d| d.1).collect();
        for (k, x) in overrides {
            let Some(i) = defs.iter().position(|d| d.0 == k) else {
                return Err(ModelError::UnknownParameter {
                    owner: name.into(),
                    name: k.into(),
                    known: defs.iter().map(|d| d.0).collect::<Vec<_>>().join(", "),
                });
            };
            if !x.is_finite() {
                return Err(ModelError::Config(format!(
                    "{name}.{k} = {x} is not finite"
                )));
            }
            v[i] = x;
        }
        Ok(match name {
            "FirstOrderVolterra" => HrfKernel::FirstOrderVolterra {
                tau_s: v[0],
                tau_f: v[1],
                k_1: v[2],
                v_0: v[3],
            },
            "Gamma" => HrfKernel::Gamma {
                tau: v[0],
                n: v[1],
                a: v[2],
            },
            "DoubleExponential" => HrfKernel::DoubleExponential {
                tau_1: v[0],
                f_1: v[1],
                amp_1: v[2],
                tau_2: v[3],
                f_2: v[4],
                amp_2: v[5],
                a: v[6],
            },
            _ => HrfKernel::MixtureOfGammas {
                a_1: v[0],
                a_2: v[1],
                l: v[2],
                c: v[3],
            },
        })
    }

    /// The kernel at times `t` (s), as tvb-library's `evaluate` (normalised
    /// kernels divided by their maximum over `t`).
    pub fn evaluate(&self, t: &[f64]) -> Vec<f64> {
        match *self {
            HrfKernel::FirstOrderVolterra { tau_s, tau_f, .. } => {
                let omega = (1.0 / tau_f - 1.0 / (4.0 * tau_s.powi(2))).sqrt();
                t.iter()
                    .map(|&t| 1.0 / 3.0 * (-0.5 * (t / tau_s)).exp() * (omega * t).sin() / omega)
                    .collect()
            }
            HrfKernel::Gamma { tau, n, a } => {
                let factorial: f64 = (1..n as i64).map(|i| i as f64).product();
                let g: Vec<f64> = t
                    .iter()
                    .map(|&t| (t / tau).powf(n - 1.0) * (-(t / tau)).exp() / (tau * factorial))
                    .collect();
                normalise(g, a)
            }
            HrfKernel::DoubleExponential {
                tau_1,
                f_1,
                amp_1,
                tau_2,
                f_2,
                amp_2,
                a,
            } => {
                let pi = std::f64::consts::PI;
                let g: Vec<f64> = t
                    .iter()
                    .map(|&t| {
                        amp_1 * (-t / tau_1).exp() * (2.0 * pi * f_1 * t).sin()
                            - amp_2 * (-t / tau_2).exp() * (2.0 * pi * f_2 * t).sin()
                    })
                    .collect();
                normalise(g, a)
            }
            HrfKernel::MixtureOfGammas { a_1, a_2, l, c } => {
                let (g1, g2) = (libm::tgamma(a_1), libm::tgamma(a_2));
                t.iter()
                    .map(|&t| {
                        (l * t).powf(a_1 - 1.0) * (-l * t).exp() / g1
                            - c * (l * t).powf(a_2 - 1.0) * (-l * t).exp() / g2
                    })
                    .collect()
            }
        }
    }
}

/// `g / max(g) · a`, tvb-library's normalisation (max over the samples).
fn normalise(mut g: Vec<f64>, a: f64) -> Vec<f64> {
    let m = g.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for x in &mut g {
        *x /= m;
        *x *= a;
    }
    g
}

/// BOLD monitor.
#[derive(Debug, Clone)]
pub struct Bold {
    istep: u64,
    interim_istep: u64,
    dt: f64,
    offset: u64,
    len: usize,
    interim: Vec<f64>,
    stock: Vec<f64>,
    stock_steps: usize,
    /// reversed kernel (tvb-library's `hemodynamic_response_function`)
    hrf: Vec<f64>,
    /// `(Σ − 1)·k_1·V_0` (the Volterra kernel), or `None` for `Σ` alone
    volterra: Option<f64>,
}

impl Bold {
    /// `period_ms` (tvb-library's default 2000), `hrf_length_ms` (20000),
    /// the default kernel (`FirstOrderVolterra`).
    pub fn new(
        period_ms: f64,
        hrf_length_ms: f64,
        dt_ms: f64,
        offset_steps: u64,
        len: usize,
    ) -> Result<Self, ModelError> {
        Self::with_kernel(
            &HrfKernel::default(),
            period_ms,
            hrf_length_ms,
            dt_ms,
            offset_steps,
            len,
        )
    }

    /// [`Bold::new`] with another haemodynamic kernel.
    pub fn with_kernel(
        kernel: &HrfKernel,
        period_ms: f64,
        hrf_length_ms: f64,
        dt_ms: f64,
        offset_steps: u64,
        len: usize,
    ) -> Result<Self, ModelError> {
        let istep = period_steps(period_ms, dt_ms)? as u64;
        let stock_sample_rate = 0.25; // per ms
        let interim_istep = period_steps(1.0 / stock_sample_rate, dt_ms)? as u64;
        if !(hrf_length_ms.is_finite() && hrf_length_ms >= 4.0) {
            return Err(ModelError::Config(format!(
                "Bold hrf_length {hrf_length_ms} ms must be at least 4 ms"
            )));
        }
        let stock_steps = (stock_sample_rate * hrf_length_ms).ceil() as usize;
        let tmax = hrf_length_ms / 1000.0;
        let tstep = tmax / stock_steps as f64;
        // numpy.arange(0, tmax, tstep)
        let t: Vec<f64> = (0..stock_steps).map(|k| k as f64 * tstep).collect();
        let g = kernel.evaluate(&t);
        if let Some(k) = g.iter().position(|x| !x.is_finite()) {
            return Err(ModelError::Config(format!(
                "the haemodynamic kernel is not finite at t = {} s ({kernel:?})",
                t[k]
            )));
        }
        let hrf: Vec<f64> = g.into_iter().rev().collect();
        let volterra = match *kernel {
            HrfKernel::FirstOrderVolterra { k_1, v_0, .. } => Some(k_1 * v_0),
            _ => None,
        };
        Ok(Self {
            istep,
            interim_istep,
            dt: dt_ms,
            offset: offset_steps,
            len,
            interim: vec![0.0; interim_istep as usize * len],
            stock: vec![0.0; stock_steps * len],
            stock_steps,
            hrf,
            volterra,
        })
    }

    /// Feeds the state after simulation step `step` (first step is 1).
    pub fn sample(&mut self, step: u64, state: &[f64]) -> Option<Sample> {
        let s = step + self.offset;
        let ii = self.interim_istep;
        let r = (s % ii) as usize;
        let slot = if r == 0 { ii as usize - 1 } else { r - 1 };
        self.interim[slot * self.len..(slot + 1) * self.len].copy_from_slice(state);
        let ss = self.stock_steps as i64;
        let pos = ((s / ii) as i64 % ss) - 1;
        if r == 0 {
            let p = pos.rem_euclid(ss) as usize;
            let dst = &mut self.stock[p * self.len..(p + 1) * self.len];
            dst.fill(0.0);
            for row in self.interim.chunks_exact(self.len) {
                for (a, b) in dst.iter_mut().zip(row) {
                    *a += b;
                }
            }
            for a in dst.iter_mut() {
                *a /= ii as f64;
            }
        }
        if !s.is_multiple_of(self.istep) {
            return None;
        }
        // numpy.roll(hrf, pos): rolled[k] = hrf[(k − pos) mod S]
        let mut out = vec![0.0; self.len];
        for k in 0..self.stock_steps {
            let g = self.hrf[(k as i64 - pos).rem_euclid(ss) as usize];
            let row = &self.stock[k * self.len..(k + 1) * self.len];
            for (o, v) in out.iter_mut().zip(row) {
                *o += g * v;
            }
        }
        if let Some(k1_v0) = self.volterra {
            for o in &mut out {
                *o = (*o - 1.0) * k1_v0;
            }
        }
        Some(Sample {
            time_ms: s as f64 * self.dt,
            values: out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kernel, at tvb-library's defaults and at other parameters,
    /// gives tvb-library 2.10's `hemodynamic_response_function`
    /// (tests/data/tvb_cases/bold_kernels.json, every 7th of its samples).
    #[test]
    fn kernels_are_tvb_library_s() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/tvb_cases/bold_kernels.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
        for c in cases.as_array().unwrap() {
            let name = c["name"].as_str().unwrap();
            let params: Vec<(String, f64)> = c["params"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
                .collect();
            let k = HrfKernel::new(name, params.iter().map(|(k, v)| (k.as_str(), *v))).unwrap();
            let b = Bold::with_kernel(&k, 500.0, 20000.0, 0.1, 0, 1).unwrap();
            assert_eq!(b.hrf.len(), c["len"].as_u64().unwrap() as usize);
            let want: Vec<f64> = c["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let got: Vec<f64> = b.hrf.iter().step_by(7).copied().collect();
            let big = want.iter().fold(0.0f64, |a, b| a.max(b.abs()));
            let worst = got
                .iter()
                .zip(&want)
                .fold(0.0f64, |a, (x, y)| a.max((x - y).abs()));
            assert!(
                worst <= 1e-15 * big,
                "{name} {params:?}: differs by {worst:e} (of {big:e})"
            );
        }
    }

    #[test]
    fn bad_kernels_are_named() {
        let e = HrfKernel::new("Gauss", []).unwrap_err().to_string();
        assert!(
            e.contains("unknown hrf_kernel `Gauss`") && e.contains("MixtureOfGammas"),
            "{e}"
        );
        let e = HrfKernel::new("Gamma", [("tau_s", 1.0)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("Gamma has no parameter `tau_s`"), "{e}");
        // a kernel that is not finite on its grid (Gamma with τ = 0)
        let k = HrfKernel::new("Gamma", [("tau", 0.0)]).unwrap();
        assert!(Bold::with_kernel(&k, 500.0, 20000.0, 0.1, 0, 1).is_err());
    }
}
