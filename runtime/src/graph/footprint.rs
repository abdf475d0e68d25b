//! What a run will hold in memory and write to disk, estimated from the
//! graph before any work, and the check of that estimate against the
//! machine (`brainstream run` and `validate` refuse a run that cannot fit,
//! or with `--allow-large` warn about it).
//!
//! Each actor says what it holds, writes and sends ([`Actor::plan`]), given
//! what arrives on its inputs; actors are asked producers first (twice, so
//! that the shapes crossing delayed edges of loops are known too). An edge
//! holds up to its channel's capacity — the windows its delay spans plus 8
//! of slack, as the scheduler sizes it — and the window being computed.

use std::collections::BTreeMap;
use std::path::Path;

use crate::actor::{Footprint, PlanCtx, PortShape};
use crate::error::{GraphIssue, RuntimeError};
use crate::graph::validate::{BuiltActor, ResolvedEdge, ValidGraph};
use crate::machine;
use crate::params::BuildError;

/// Windows of slack a channel holds beyond those its delay spans (the
/// scheduler's `delay / window + 8`).
const CHANNEL_SLACK_WINDOWS: u64 = 8;

/// Bytes of one channel slot, whether a window fills it or not.
const SLOT_BYTES: f64 = 64.0;

/// The run's estimated needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphFootprint {
    /// Peak memory, bytes.
    pub memory_bytes: f64,
    /// Bytes written to the output folder.
    pub disk_bytes: f64,
    /// (actor, its memory with its output edges, its output) in bytes, by
    /// actor name.
    pub by_actor: Vec<(String, f64, f64)>,
}

impl GraphFootprint {
    /// The actor that needs the most of the resource `pick` selects.
    fn largest(&self, pick: impl Fn(&(String, f64, f64)) -> f64) -> Option<(&str, f64)> {
        self.by_actor
            .iter()
            .map(|a| (a.0.as_str(), pick(a)))
            .filter(|a| a.1 > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// What every output port of every actor will carry, by actor index.
pub(crate) type Shapes = Vec<BTreeMap<&'static str, PortShape>>;

/// Asks every actor for its plan and adds up memory and output; the errors
/// are (actor index, error) pairs; the shapes of the outputs come back too.
pub(crate) fn estimate(
    actors: &[BuiltActor],
    edges: &[ResolvedEdge],
    order: &[usize],
    dt_ms: f64,
    total_steps: u64,
    window_steps: u64,
) -> (GraphFootprint, Vec<(usize, BuildError)>, Shapes) {
    let n = actors.len();
    let mut shapes: Shapes = vec![BTreeMap::new(); n];
    let mut plans: Vec<Footprint> = vec![Footprint::default(); n];
    let mut errors = vec![];
    for pass in 0..2 {
        for &i in order {
            let inputs: Vec<(&'static str, PortShape)> = edges
                .iter()
                .filter(|e| e.to == i)
                .filter_map(|e| {
                    shapes[e.from]
                        .get(e.from_port)
                        .map(|s| (e.to_port, s.clone()))
                })
                .collect();
            let ctx = PlanCtx {
                dt_ms,
                total_steps,
                window_steps,
                inputs: &inputs,
            };
            match actors[i].actor.plan(&ctx) {
                Ok(fp) => {
                    let default = PortShape {
                        bytes_per_step: ctx.input_bytes_per_step(),
                        ..Default::default()
                    };
                    shapes[i] = actors[i]
                        .kind
                        .outputs
                        .iter()
                        .map(|p| {
                            let s = fp.outputs.iter().find(|o| o.0 == p.name);
                            (p.name, s.map_or_else(|| default.clone(), |o| o.1.clone()))
                        })
                        .collect();
                    plans[i] = fp;
                }
                Err(e) if pass == 1 => errors.push((i, e)),
                Err(_) => {}
            }
        }
    }
    let w = window_steps.max(1);
    let mut by_actor: Vec<(String, f64, f64)> = actors
        .iter()
        .zip(&plans)
        .zip(&shapes)
        .map(|((a, p), s)| {
            // the window being computed, on every output
            let window: f64 = s.values().map(|s| s.bytes_per_step * w as f64).sum();
            (
                a.name.clone(),
                p.memory_bytes + window,
                p.disk_bytes_per_step * total_steps as f64 + p.disk_bytes,
            )
        })
        .collect();
    for e in edges {
        let b = shapes[e.from]
            .get(e.from_port)
            .map_or(0.0, |s| s.bytes_per_step);
        let cap = e.delay_steps / w + CHANNEL_SLACK_WINDOWS;
        by_actor[e.from].1 += cap as f64 * (w as f64 * b + SLOT_BYTES);
    }
    let fp = GraphFootprint {
        memory_bytes: by_actor.iter().map(|a| a.1).sum(),
        disk_bytes: by_actor.iter().map(|a| a.2).sum(),
        by_actor,
    };
    (fp, errors, shapes)
}

impl ValidGraph {
    /// Checks the run's estimated memory against the memory available
    /// (`MemAvailable` of `/proc/meminfo`) and its output against the free
    /// space of `out_dir` (when given). A run that does not fit is refused
    /// with what it needs and what there is; with `allow_large` it is
    /// allowed, and the same is returned as warnings. Where the machine
    /// cannot be measured, nothing is refused.
    pub fn check_machine(
        &self,
        out_dir: Option<&Path>,
        allow_large: bool,
    ) -> Result<Vec<String>, RuntimeError> {
        let fp = &self.footprint;
        let mut short = vec![];
        if let Some(avail) = machine::mem_available_bytes() {
            if fp.memory_bytes > avail as f64 {
                let mut m = format!(
                    "the run needs about {} of memory, {} are available",
                    machine::human(fp.memory_bytes),
                    machine::human(avail as f64)
                );
                if let Some((a, b)) = fp.largest(|a| a.1) {
                    m.push_str(&format!(
                        " (most for actor `{a}` and its edges: {})",
                        machine::human(b)
                    ));
                }
                short.push(m);
            }
        }
        if let Some(dir) = out_dir {
            if let Some(free) = machine::free_disk_bytes(dir) {
                if fp.disk_bytes > free as f64 {
                    let mut m = format!(
                        "the run writes about {} to {}, which has {} free",
                        machine::human(fp.disk_bytes),
                        dir.display(),
                        machine::human(free as f64)
                    );
                    if let Some((a, b)) = fp.largest(|a| a.2) {
                        m.push_str(&format!(" (most by actor `{a}`: {})", machine::human(b)));
                    }
                    short.push(m);
                }
            }
        }
        if short.is_empty() || allow_large {
            return Ok(short);
        }
        Err(RuntimeError::Invalid(
            short
                .into_iter()
                .map(|message| GraphIssue {
                    file: self.source.file(),
                    line_col: None,
                    path: String::new(),
                    message,
                    hint: Some(
                        "shorten the run, record less or fewer nodes, or pass --allow-large to try anyway"
                            .into(),
                    ),
                })
                .collect(),
        ))
    }
}
