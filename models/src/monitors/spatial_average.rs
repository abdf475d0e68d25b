//! tvb-library's `SpatialAverage` and `GlobalAverage` monitors: every
//! `istep = rint(period/dt)` steps (as `SubSample`), stamped `step·dt`,
//! the mean of the current state over groups of nodes.
//!
//! * `SpatialAverage` (a `spatial_mask` giving each node a group
//!   `0…A−1`, every group used): `y_v[a] = Σ_r m[a][r]·x_v[r]` with
//!   `m[a][r] = 1/n_a` for the `n_a` nodes of group `a` (0 elsewhere) —
//!   tvb-library's `numpy.dot(spatial_mean, state)`, the weights rounded
//!   once, then multiplied and summed in node order.
//! * `GlobalAverage`: `y_v = (Σ_r x_v[r])/N`, `numpy.mean` over the nodes
//!   (numpy's pairwise summation, [`crate::tvb_sum::reduce`]).

use super::{period_steps, Sample};
use crate::ModelError;

/// How nodes are averaged.
#[derive(Debug, Clone, PartialEq)]
pub enum Grouping {
    /// All nodes together (`GlobalAverage`).
    Global,
    /// One group per node, `0…A−1` (`SpatialAverage`'s `spatial_mask`).
    Mask(Vec<usize>),
}

/// A spatial-average monitor.
#[derive(Debug, Clone)]
pub struct SpatialAverage {
    istep: u64,
    dt: f64,
    offset: u64,
    nodes: usize,
    /// per group: (node, weight 1/n_a) in node order
    groups: Vec<Vec<(usize, f64)>>,
    global: bool,
}

impl SpatialAverage {
    /// A monitor of `nodes` nodes. A mask must have one group per node,
    /// its groups contiguous from 0 (tvb-library's check).
    pub fn new(
        grouping: Grouping,
        nodes: usize,
        period_ms: f64,
        dt_ms: f64,
        offset_steps: u64,
    ) -> Result<Self, ModelError> {
        let istep = period_steps(period_ms, dt_ms)? as u64;
        let (groups, global) = match grouping {
            Grouping::Global => (vec![], true),
            Grouping::Mask(mask) => {
                if mask.len() != nodes {
                    return Err(ModelError::Config(format!(
                        "the spatial mask has {} entries but there are {nodes} nodes (one group per node)",
                        mask.len()
                    )));
                }
                let areas = mask.iter().copied().max().map_or(0, |m| m + 1);
                let mut groups: Vec<Vec<(usize, f64)>> = vec![vec![]; areas];
                for (r, &a) in mask.iter().enumerate() {
                    groups[a].push((r, 0.0));
                }
                if let Some(a) = groups.iter().position(Vec::is_empty) {
                    return Err(ModelError::Config(format!(
                        "group {a} of the spatial mask has no node: groups must be contiguous from 0 (0…{})",
                        areas - 1
                    )));
                }
                for g in &mut groups {
                    let w = 1.0 / g.len() as f64;
                    g.iter_mut().for_each(|e| e.1 = w);
                }
                (groups, false)
            }
        };
        Ok(Self {
            istep,
            dt: dt_ms,
            offset: offset_steps,
            nodes,
            groups,
            global,
        })
    }

    /// Groups (output nodes).
    pub fn groups(&self) -> usize {
        if self.global {
            1
        } else {
            self.groups.len()
        }
    }

    /// Feeds the state (`nvar × nodes`) after step `step`; a sample is
    /// `nvar × groups`.
    pub fn sample(&mut self, step: u64, state: &[f64]) -> Option<Sample> {
        let s = step + self.offset;
        if !s.is_multiple_of(self.istep) {
            return None;
        }
        let n = self.nodes;
        let mut values = Vec::with_capacity(state.len() / n.max(1) * self.groups());
        for x in state.chunks_exact(n) {
            if self.global {
                values.push(crate::tvb_sum::reduce(x) / n as f64);
            } else {
                for g in &self.groups {
                    let mut acc = 0.0;
                    for &(r, w) in g {
                        acc += w * x[r];
                    }
                    values.push(acc);
                }
            }
        }
        Some(Sample {
            time_ms: s as f64 * self.dt,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_groups_every_period() {
        let mut m =
            SpatialAverage::new(Grouping::Mask(vec![1, 0, 1, 0, 1]), 5, 0.2, 0.1, 0).unwrap();
        assert!(m.sample(1, &[1.0; 5]).is_none());
        let y = m.sample(2, &[1.0, 2.0, 3.0, 4.0, 6.0]).unwrap();
        assert_eq!(
            y.values,
            vec![
                3.0,
                (1.0 / 3.0) * 1.0 + (1.0 / 3.0) * 3.0 + (1.0 / 3.0) * 6.0
            ]
        );
        assert!((y.time_ms - 0.2).abs() < 1e-15);
        let mut g = SpatialAverage::new(Grouping::Global, 5, 0.1, 0.1, 0).unwrap();
        assert_eq!(
            g.sample(1, &[1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 0.0, 0.0, 0.0, 10.0])
                .unwrap()
                .values,
            vec![3.0, 2.0]
        );
        let e = SpatialAverage::new(Grouping::Mask(vec![0, 2]), 2, 0.1, 0.1, 0).unwrap_err();
        assert!(
            e.to_string()
                .contains("group 1 of the spatial mask has no node"),
            "{e}"
        );
        let e = SpatialAverage::new(Grouping::Mask(vec![0]), 2, 0.1, 0.1, 0).unwrap_err();
        assert!(
            e.to_string().contains("1 entries but there are 2 nodes"),
            "{e}"
        );
    }
}
