//! The spiking network's own time step: `dt_ms = h` on the actor, with the
//! graph's step Δ = r·h for a whole r ≥ 1 (e.g. NEST at 0.05 ms under TVB's
//! 0.1 ms: r = 2). Without the key, h = Δ and r = 1, and every mapping
//! below is the identity.
//!
//! Bookkeeping, exact at every window boundary (window = n graph steps =
//! n·r fine steps; fine step f lies in graph step ⌊f/r⌋):
//!
//! * An input spike stamped k on the graph's grid happened at (k+1)·Δ, the
//!   end of graph step k: the end of fine step (k+1)·r − 1. Relative to a
//!   window starting at graph step s (fine step s·r) it is at offset
//!   (k − s)·r + r − 1, and over a synapse of d fine steps it acts in fine
//!   step (k+1)·r − 1 + d — where NEST at resolution h puts a spike of time
//!   (k+1)·Δ.
//! * An edge of D graph steps delays by D·r fine steps.
//! * A spike emitted in fine step f keeps its time (f+1)·h and is stamped
//!   ⌊f/r⌋, the graph step it falls in; rates count the spikes of the r
//!   fine steps of a graph step over Δ; V_m is sampled after the last fine
//!   step of each graph step.
//! * A current sample stamped j (acting, on the graph's grid, during graph
//!   step j + 1) is injected for each of that step's r fine steps.

use brainstream_runtime::{BuildError, WindowInfo};

/// The fine grid: step `h` ms, `r` fine steps per graph step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Grid {
    pub h: f64,
    pub r: u64,
}

impl Grid {
    /// `dt_ms` of the actor (`None`: the graph's `graph_dt`), which must
    /// divide `graph_dt` a whole number of times.
    pub fn new(dt_ms: Option<f64>, graph_dt: f64) -> Result<Self, BuildError> {
        let Some(h) = dt_ms else {
            return Ok(Self { h: graph_dt, r: 1 });
        };
        let r = (graph_dt / h).round();
        if !(h.is_finite() && h > 0.0) || r < 1.0 || (r * h - graph_dt).abs() > 1e-9 * graph_dt {
            return Err(BuildError::at(
                "dt_ms",
                format!(
                    "{h} ms does not divide the graph's step ({graph_dt} ms) a whole number of times"
                ),
            )
            .hint(format!(
                "a step of {graph_dt} ms / r for a whole r ≥ 1, e.g. {} ms; a spiking step coarser than the graph's is not offered",
                graph_dt / 2.0
            )));
        }
        if r > 1000.0 {
            return Err(BuildError::at(
                "dt_ms",
                format!("{h} ms is more than 1000 steps per graph step of {graph_dt} ms"),
            ));
        }
        // h exactly Δ/r, so that r·h is the graph's step
        Ok(Self {
            h: graph_dt / r,
            r: r as u64,
        })
    }

    /// Fine steps in `graph_steps` graph steps.
    pub fn steps(&self, graph_steps: u64) -> usize {
        (graph_steps * self.r) as usize
    }

    /// Fine-step offset, from the start of window `w`, of the end of graph
    /// step `stamp` (where a spike stamped `stamp` happened).
    pub fn offset(&self, stamp: u64, w: &WindowInfo) -> usize {
        ((stamp - w.start_step) * self.r + self.r - 1) as usize
    }

    /// The graph step that fine step `f` lies in.
    pub fn graph_step(&self, f: u64) -> u64 {
        f / self.r
    }

    /// Whether fine step `f` is the last of its graph step.
    pub fn ends_graph_step(&self, f: u64) -> bool {
        (f + 1).is_multiple_of(self.r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fine_steps_map_onto_the_graph_grid() {
        let g = Grid::new(Some(0.05), 0.1).unwrap();
        assert_eq!(g, Grid { h: 0.05, r: 2 });
        let w = WindowInfo {
            index: 3,
            start_step: 30,
            n_steps: 10,
            dt_ms: 0.1,
        };
        // a spike stamped 49 (at 5.0 ms) is at the end of fine step 99
        assert_eq!(g.offset(49, &w) + 60, 99);
        assert_eq!(((99 + 1) as f64 * g.h * 1e9).round() / 1e9, 5.0);
        assert_eq!(g.steps(10), 20);
        assert_eq!(
            (g.graph_step(98), g.graph_step(99), g.graph_step(100)),
            (49, 49, 50)
        );
        assert!(g.ends_graph_step(99) && !g.ends_graph_step(98));
        // without the key: the identity
        let one = Grid::new(None, 0.1).unwrap();
        assert_eq!(one.offset(49, &w), 19);
        assert!(one.ends_graph_step(7));
        assert_eq!(Grid::new(Some(0.025), 0.1).unwrap().r, 4);
        for bad in [0.03, 0.2, -0.05, 0.0] {
            let e = Grid::new(Some(bad), 0.1).unwrap_err();
            assert_eq!(e.key, "dt_ms");
        }
    }
}
