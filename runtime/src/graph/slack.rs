//! Slack: how many windows ahead an actor's inputs are known.
//!
//! An edge of delay `D` steps delivers, in the consumer's window `w`, the
//! producer's samples up to its window [`needed_window`]`(w)`; for every `w`
//! far enough from the start that is `w − lag`, with a `lag` in windows that
//! depends only on the delay, the window length and the port
//! ([`lag_windows`]: 0 for a zero-delay edge, 1 for a delay of one window).
//!
//! Around a cycle through actor X the lags add up: X's inputs of window `w`
//! depend on its own outputs of window `w − S`, S the smallest sum of lags
//! over the cycles through X (its *slack*). So X may be handed the inputs
//! of window `w + L` before it has given back the outputs of window `w` as
//! long as `L ≤ S − 1` ([`ValidGraph::lookahead`]): what lets an actor whose
//! work is done elsewhere (an external simulator) start its next window
//! without waiting for a round trip.

use std::collections::BinaryHeap;

use crate::graph::validate::ValidGraph;
use crate::payload::PortType;

/// The most windows an actor is given ahead of its outputs, even without a
/// cycle through it: bounds what waits in the other program's socket.
pub const MAX_LOOKAHEAD: u64 = 4;

/// The last producer window whose samples an edge of `delay` steps delivers
/// in the consumer's window `w` (windows of `n` steps; `end_stamped` as the
/// consumer port's), or None when it delivers nothing yet.
///
/// A zero-delay edge delivers the producer's same window. Otherwise the
/// samples wanted are those stamped `k` with `k + delay` in the window
/// (`[s0, s0+n)`, or `(s0, s0+n]` for end-stamped ports); spikes stamped `k`
/// occur in window `k / n`, series samples stamped `k` (states after step
/// `k`) are emitted by window `(k − 1) / n`.
pub fn needed_window(delay: u64, n: u64, ty: PortType, end_stamped: bool, w: u64) -> Option<u64> {
    if delay == 0 {
        return Some(w);
    }
    let s1 = (w + 1) * n + u64::from(end_stamped);
    needed_before(delay, n, ty, s1)
}

/// For an edge of `delay > 0` steps: the last producer window whose samples
/// are needed to deliver every stamp before `s1` (the end of the
/// consumer's window, one more for end-stamped ports), None if none is.
pub fn needed_before(delay: u64, n: u64, ty: PortType, s1: u64) -> Option<u64> {
    if s1 <= delay + 1 {
        return None;
    }
    // producer stamps needed: k + delay < s1  →  k ≤ s1 − 1 − delay
    let kmax = s1 - 1 - delay;
    if ty == PortType::Spikes {
        Some(kmax / n)
    } else {
        (kmax >= 1).then(|| (kmax - 1) / n)
    }
}

/// `w − needed_window(w)`, the same for every window that needs data.
pub fn lag_windows(delay: u64, n: u64, ty: PortType, end_stamped: bool) -> u64 {
    let w = delay / n + 4;
    needed_window(delay, n, ty, end_stamped, w).map_or(w, |need| w - need)
}

impl ValidGraph {
    /// The lag of each edge, in windows (see [`lag_windows`]).
    pub fn edge_lags(&self) -> Vec<u64> {
        self.edges
            .iter()
            .map(|e| {
                let end_stamped = self.actors[e.to]
                    .kind
                    .input(e.to_port)
                    .is_some_and(|p| p.end_stamped);
                lag_windows(e.delay_steps, self.window_steps, e.ty, end_stamped)
            })
            .collect()
    }

    /// The slack of actor `a`: the smallest sum of edge lags over the cycles
    /// through it, None when it lies on no cycle.
    pub fn slack(&self, a: usize) -> Option<u64> {
        let lags = self.edge_lags();
        let mut best: Vec<Option<u64>> = vec![None; self.actors.len()];
        // Dijkstra from a's outputs; the distance back to a is the slack
        let mut heap = BinaryHeap::new();
        for (e, lag) in self.edges.iter().zip(&lags) {
            if e.from == a {
                heap.push(std::cmp::Reverse((*lag, e.to)));
            }
        }
        while let Some(std::cmp::Reverse((d, v))) = heap.pop() {
            if best[v].is_some() {
                continue;
            }
            best[v] = Some(d);
            if v == a {
                break;
            }
            for (e, lag) in self.edges.iter().zip(&lags) {
                if e.from == v && best[e.to].is_none() {
                    heap.push(std::cmp::Reverse((d + lag, e.to)));
                }
            }
        }
        best[a]
    }

    /// How many windows ahead of its outputs actor `a` may be handed its
    /// inputs without waiting on itself: slack − 1, at most
    /// [`MAX_LOOKAHEAD`].
    pub fn lookahead(&self, a: usize) -> u64 {
        self.slack(a)
            .map_or(MAX_LOOKAHEAD, |s| s.saturating_sub(1))
            .min(MAX_LOOKAHEAD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needed_window_matches_the_delays() {
        let n = 10;
        // zero delay: the same window
        assert_eq!(needed_window(0, n, PortType::Series, false, 7), Some(7));
        // one window of delay: the window before, for every port kind
        for (ty, es) in [
            (PortType::Spikes, false),
            (PortType::Series, false),
            (PortType::Series, true),
        ] {
            assert_eq!(needed_window(n, n, ty, es, 0), None, "{ty:?} {es}");
            assert_eq!(needed_window(n, n, ty, es, 5), Some(4), "{ty:?} {es}");
            assert_eq!(lag_windows(n, n, ty, es), 1);
            assert_eq!(lag_windows(2 * n, n, ty, es), 2);
        }
        // a delay of 1.5 windows: spikes of step 14 are needed by window 2
        // (stamp 14 + 15 = 29 lies in window 2), which waits for window 1
        assert_eq!(needed_window(15, n, PortType::Spikes, false, 2), Some(1));
        assert_eq!(lag_windows(15, n, PortType::Spikes, false), 1);
        // series stamped k come from window (k − 1) / n: with one step per
        // window a delay of one step reaches two windows back
        assert_eq!(lag_windows(1, 1, PortType::Series, false), 2);
        assert_eq!(lag_windows(1, 1, PortType::Spikes, false), 1);
    }
}
