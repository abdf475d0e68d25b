//! Swept parameters and their combinations.
//!
//! An axis gives its values as a list, `linspace = [lo, hi, n]` (n evenly
//! spaced values, both ends included) or `logspace = [a, b, n]` (10^a … 10^b,
//! evenly spaced exponents). `grid` sampling takes every combination, the
//! last axis varying fastest; `random` sampling draws `samples`
//! combinations, each axis independently: uniform in [lo, hi] for
//! `linspace`, log-uniform for `logspace`, one of the values for a list.

use rand::{Rng, SeedableRng};
use std::path::Path;

use crate::error::SweepError;
use crate::spec::AxisDesc;

/// What an axis sets.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A model parameter by tvb-library name.
    Model(String),
    /// A coupling parameter.
    Coupling(String),
    /// Conduction speed, mm/ms.
    Speed,
    /// Seed of the noise stream (repetitions with other noise).
    NoiseSeed,
}

/// How an axis is sampled.
#[derive(Debug, Clone, PartialEq)]
pub enum Range {
    List(Vec<f64>),
    Lin(f64, f64, usize),
    Log(f64, f64, usize),
}

/// A checked axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The column name: as written (`model_params.b_e`), with its regions
    /// when it varies some only (`model_params.J_N@rM1+lM1`).
    pub name: String,
    pub target: Target,
    pub range: Range,
    /// Regions as written (labels or indices); empty: every region.
    pub region_names: Vec<String>,
    /// The regions, resolved against the connectome by the plan.
    pub regions: Vec<usize>,
}

impl Axis {
    /// Checks one axis of the sweep file (`key` locates it in errors).
    pub fn parse(file: &Path, key: &str, d: &AxisDesc) -> Result<Self, SweepError> {
        let err = |k: &str, c: String| SweepError::invalid(file, format!("{key}.{k}"), c);
        let target = match d.param.split_once('.') {
            Some(("model_params", n)) if !n.is_empty() => Target::Model(n.into()),
            Some(("coupling_params", n)) if !n.is_empty() => Target::Coupling(n.into()),
            None if d.param == "speed_mm_per_ms" => Target::Speed,
            None if d.param == "noise_seed" => Target::NoiseSeed,
            _ => return Err(err("param", format!("cannot sweep `{}`", d.param)).hint(
                "sweepable: model_params.NAME, coupling_params.NAME, speed_mm_per_ms, noise_seed",
            )),
        };
        let given = [
            d.values.is_some(),
            d.linspace.is_some(),
            d.logspace.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(err(
                "param",
                "give exactly one of values, linspace, logspace".into(),
            ));
        }
        let range = if let Some(v) = &d.values {
            if v.is_empty() {
                return Err(err("values", "empty list".into()));
            }
            if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                return Err(err("values", format!("{x} is not a finite number")));
            }
            Range::List(v.clone())
        } else {
            let (k, (lo, hi, n), log) = match (d.linspace, d.logspace) {
                (Some(l), _) => ("linspace", l, false),
                (_, Some(l)) => ("logspace", l, true),
                _ => unreachable!("one of them is given"),
            };
            if !lo.is_finite() || !hi.is_finite() {
                return Err(err(k, format!("[{lo}, {hi}, {n}] has a non-finite end")));
            }
            if n == 0 {
                return Err(err(
                    k,
                    "zero values asked (the third entry is the count)".into(),
                ));
            }
            if n > 1 && lo == hi {
                return Err(err(
                    k,
                    format!("empty range: {n} values between {lo} and {lo}"),
                ));
            }
            if log && (lo.abs() > 300.0 || hi.abs() > 300.0) {
                return Err(err(k, "exponents beyond ±300 overflow".into()));
            }
            if log {
                Range::Log(lo, hi, n)
            } else {
                Range::Lin(lo, hi, n)
            }
        };
        if target == Target::NoiseSeed {
            let vals = match &range {
                Range::List(v) => v.clone(),
                _ => return Err(err("param", "noise_seed takes a list of values".into())),
            };
            if let Some(x) = vals
                .iter()
                .find(|x| x.fract() != 0.0 || **x < 0.0 || **x > u32::MAX as f64)
            {
                return Err(err(
                    "values",
                    format!("noise seed {x} is not an integer in [0, 2³²)"),
                ));
            }
        }
        let region_names = d.regions.clone().unwrap_or_default();
        if !region_names.is_empty() && !matches!(target, Target::Model(_)) {
            return Err(err(
                "regions",
                "only a model parameter can be varied in some regions".into(),
            ));
        }
        if d.regions.as_ref().is_some_and(|r| r.is_empty()) {
            return Err(err(
                "regions",
                "empty list (leave it out for every region)".into(),
            ));
        }
        let name = if region_names.is_empty() {
            d.param.clone()
        } else {
            format!("{}@{}", d.param, region_names.join("+"))
        };
        Ok(Self {
            name,
            target,
            range,
            region_names,
            regions: vec![],
        })
    }

    /// The grid values.
    pub fn values(&self) -> Vec<f64> {
        match &self.range {
            Range::List(v) => v.clone(),
            Range::Lin(lo, hi, n) => lin(*lo, *hi, *n),
            Range::Log(lo, hi, n) => lin(*lo, *hi, *n)
                .into_iter()
                .map(|e| 10f64.powf(e))
                .collect(),
        }
    }

    fn draw(&self, rng: &mut impl Rng) -> f64 {
        match &self.range {
            Range::List(v) => v[rng.gen_range(0..v.len())],
            Range::Lin(lo, hi, _) => lo + (hi - lo) * rng.gen::<f64>(),
            Range::Log(lo, hi, _) => 10f64.powf(lo + (hi - lo) * rng.gen::<f64>()),
        }
    }
}

fn lin(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![lo];
    }
    (0..n)
        .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
        .collect()
}

/// Number of grid combinations, or None on overflow.
pub fn grid_count(axes: &[Axis]) -> Option<usize> {
    axes.iter()
        .try_fold(1usize, |acc, a| acc.checked_mul(a.values().len()))
}

/// Combination `index` of the grid (last axis fastest).
pub fn grid_point(axes: &[Axis], mut index: usize) -> Vec<f64> {
    let vals: Vec<Vec<f64>> = axes.iter().map(|a| a.values()).collect();
    let mut out = vec![0.0; axes.len()];
    for (k, v) in vals.iter().enumerate().rev() {
        out[k] = v[index % v.len()];
        index /= v.len();
    }
    out
}

/// `count` random combinations from `seed` (the same for the same seed).
pub fn random_points(axes: &[Axis], count: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| axes.iter().map(|a| a.draw(&mut rng)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(param: &str, lin: Option<(f64, f64, usize)>, values: Option<Vec<f64>>) -> AxisDesc {
        AxisDesc {
            param: param.into(),
            values,
            linspace: lin,
            logspace: None,
            regions: None,
        }
    }

    #[test]
    fn grid_is_row_major_and_ranges_are_checked() {
        let p = Path::new("s.toml");
        let a = Axis::parse(
            p,
            "axes[0]",
            &axis("coupling_params.a", Some((0.0, 1.0, 3)), None),
        )
        .unwrap();
        let b = Axis::parse(
            p,
            "axes[1]",
            &axis("model_params.b_e", None, Some(vec![5.0, 60.0])),
        )
        .unwrap();
        assert_eq!(a.values(), vec![0.0, 0.5, 1.0]);
        let axes = [a, b];
        assert_eq!(grid_count(&axes), Some(6));
        assert_eq!(grid_point(&axes, 0), vec![0.0, 5.0]);
        assert_eq!(grid_point(&axes, 1), vec![0.0, 60.0]);
        assert_eq!(grid_point(&axes, 5), vec![1.0, 60.0]);
        let e = Axis::parse(
            p,
            "axes[0]",
            &axis("coupling_params.a", Some((1.0, 1.0, 3)), None),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("axes[0].linspace: empty range"),
            "{e}"
        );
        let e = Axis::parse(
            p,
            "axes[2]",
            &axis("model_params.x", Some((0.0, f64::NAN, 3)), None),
        )
        .unwrap_err();
        assert!(e.to_string().contains("non-finite"), "{e}");
        let e = Axis::parse(p, "axes[0]", &axis("dt", None, Some(vec![1.0]))).unwrap_err();
        assert!(e.to_string().contains("cannot sweep `dt`"), "{e}");
        let r = random_points(&axes, 50, 3);
        assert_eq!(r, random_points(&axes, 50, 3));
        assert!(r
            .iter()
            .all(|c| (0.0..=1.0).contains(&c[0]) && (c[1] == 5.0 || c[1] == 60.0)));
    }
}
