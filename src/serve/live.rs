//! What the live view shows, gathered window by window on the actors'
//! threads ([`Live`] is a [`WindowHook`]) and read by the server.
//!
//! Decimation: of each series output, a sample is kept when its stamp is at
//! least `stride` steps after the last one kept, `stride = ⌈total_steps /
//! MAX_SAMPLES⌉` (so at most about `MAX_SAMPLES` samples of a whole run,
//! whatever its length), with its first `MAX_VARIABLES` variables and first
//! `MAX_NODES` nodes: a copy of a few numbers per window, the actor's own
//! values at their own stamps (the ones its recorder writes). Spikes of the
//! first `RASTER_SENDERS` senders are kept, the last `MAX_SPIKES` of them.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use brainstream::runtime::{Outputs, Payload, RunShape, WindowHook};
use serde_json::{json, Value};

/// Samples kept of each series over a whole run (about).
pub const MAX_SAMPLES: u64 = 4000;
/// Variables kept of each series.
pub const MAX_VARIABLES: usize = 8;
/// Nodes kept of each series (and so of the FC matrix).
pub const MAX_NODES: usize = 128;
/// Senders shown in the raster (the first ones).
pub const RASTER_SENDERS: u32 = 400;
/// Spikes kept for the raster, the most recent.
pub const MAX_SPIKES: usize = 100_000;
/// Samples of the sliding window of the live FC matrix.
pub const FC_SAMPLES: usize = 200;

/// One series output of one actor, decimated.
struct Stream {
    actor: usize,
    port: &'static str,
    variables: Vec<String>,
    units: Vec<String>,
    nodes: Vec<String>,
    /// nodes of the producer (those kept are the first `nodes.len()`)
    all_nodes: usize,
    /// the next stamp to keep (at or after)
    next: u64,
    stamps: Vec<u64>,
    times_ms: Vec<f64>,
    /// per kept sample: `variables × nodes`, row-major
    values: Vec<Vec<f64>>,
}

/// Spikes of one output.
struct Raster {
    actor: usize,
    port: &'static str,
    /// spikes dropped from the front so far (the cursor of the first kept)
    dropped: u64,
    spikes: VecDeque<(u32, f64)>,
}

/// A steering change, as the outputs record it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Event {
    /// The actor's window before which it applied.
    pub window: u64,
    /// `ACTOR.PARAMETER`.
    pub key: String,
    pub old: f64,
    pub new: f64,
    /// Where it came from: `page`, `steer`, `replay`, or
    /// `control:ACTOR.PORT` (the producer feeding the actor's `control` input).
    #[serde(default)]
    pub source: String,
}

#[derive(Default)]
struct State {
    shape: Option<RunShape>,
    streams: Vec<Stream>,
    rasters: Vec<Raster>,
    events: Vec<Event>,
    finished: Option<Result<(), String>>,
    stride: u64,
    /// wall time of the start of the run
    t0: Option<Instant>,
    /// wall time at the end of the run
    wall_end: Option<f64>,
}

/// The live view's data; one per run, shared by the scheduler's hook and
/// the server.
#[derive(Default, Clone)]
pub struct Live {
    state: Arc<Mutex<State>>,
    /// whether the run is paused (set by the control hook)
    pub paused: Arc<std::sync::atomic::AtomicBool>,
}

/// Where a reader is: how many samples of each stream, spikes of each
/// raster and events it has.
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    samples: Vec<usize>,
    spikes: Vec<u64>,
    events: usize,
}

impl Live {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes a steering change.
    pub fn event(&self, e: Event) {
        self.lock().events.push(e);
    }

    /// The run ended (with its error, if any).
    pub fn finish(&self, result: Result<(), String>) {
        let mut s = self.lock();
        s.wall_end = s.t0.map(|t| t.elapsed().as_secs_f64());
        s.finished = Some(result);
    }

    /// Everything since `cursor` (all of it from `Cursor::default()`), with
    /// the trace values of `nodes` only (indices of kept nodes; empty: the
    /// first 4), progress, busy times and the FC matrix; advances `cursor`.
    /// The actors wait for the lock only while the new values are copied:
    /// the JSON and the FC matrix are made after.
    pub fn since(&self, cursor: &mut Cursor, nodes: &[usize]) -> Value {
        let s = self.lock();
        let Some(shape) = s.shape.clone() else {
            return json!({ "started": false });
        };
        let wall = s
            .wall_end
            .unwrap_or_else(|| s.t0.map_or(0.0, |t| t.elapsed().as_secs_f64()));
        cursor.samples.resize(s.streams.len(), 0);
        cursor.spikes.resize(s.rasters.len(), 0);
        let streams: Vec<StreamDelta> = s
            .streams
            .iter()
            .enumerate()
            .map(|(k, st)| {
                let from = cursor.samples[k].min(st.stamps.len());
                cursor.samples[k] = st.stamps.len();
                let nn = st.nodes.len();
                let chosen: Vec<usize> = if nodes.is_empty() {
                    (0..nn.min(4)).collect()
                } else {
                    nodes.iter().copied().filter(|&i| i < nn).collect()
                };
                // values[v][j][sample] for chosen node j
                let values = (0..st.variables.len())
                    .map(|v| {
                        chosen
                            .iter()
                            .map(|&n| {
                                st.values[from..]
                                    .iter()
                                    .map(|row| row[v * nn + n])
                                    .collect()
                            })
                            .collect()
                    })
                    .collect();
                StreamDelta {
                    id: k,
                    actor: st.actor,
                    port: st.port,
                    variables: st.variables.clone(),
                    units: st.units.clone(),
                    nodes: st.nodes.clone(),
                    all_nodes: st.all_nodes,
                    chosen,
                    from,
                    stamps: st.stamps[from..].to_vec(),
                    times_ms: st.times_ms[from..].to_vec(),
                    values,
                }
            })
            .collect();
        let rasters: Vec<RasterDelta> = s
            .rasters
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let total = r.dropped + r.spikes.len() as u64;
                let from = cursor.spikes[k].clamp(r.dropped, total);
                cursor.spikes[k] = total;
                let skip = (from - r.dropped) as usize;
                let (senders, times) = r.spikes.iter().skip(skip).copied().unzip();
                (k, r.actor, r.port, senders, times)
            })
            .collect();
        let events = s.events[cursor.events.min(s.events.len())..].to_vec();
        cursor.events = s.events.len();
        let fc_input = fc_input(&s.streams);
        let (finished, error) = (
            s.finished.is_some(),
            s.finished.as_ref().and_then(|r| r.as_ref().err()).cloned(),
        );
        let stride = s.stride;
        drop(s);

        // progress: windows completed by every local actor
        let done: Vec<u64> = shape
            .done
            .iter()
            .map(|d| d.load(Ordering::Relaxed))
            .collect();
        let slowest = done
            .iter()
            .zip(&shape.local)
            .filter(|(_, l)| **l)
            .map(|(d, _)| *d)
            .min()
            .unwrap_or(0);
        let steps_done = (slowest * shape.window_steps).min(shape.total_steps);
        let sim_ms = steps_done as f64 * shape.dt_ms;
        let actors: Vec<Value> = shape
            .actors
            .iter()
            .enumerate()
            .filter(|(i, _)| shape.local[*i])
            .map(|(i, (name, kind))| {
                let busy = shape.busy_ns[i].load(Ordering::Relaxed) as f64 * 1e-9;
                json!({
                    "name": name, "kind": kind, "windows_done": done[i],
                    "busy_s": busy, "waiting_s": (wall - busy).max(0.0),
                })
            })
            .collect();
        let streams: Vec<Value> = streams
            .into_iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "actor": shape.actors[d.actor].0,
                    "kind": shape.actors[d.actor].1,
                    "port": d.port,
                    "variables": d.variables,
                    "units": d.units,
                    "nodes": d.nodes,
                    "all_nodes": d.all_nodes,
                    "chosen": d.chosen,
                    "from": d.from,
                    "stamps": d.stamps,
                    "times_ms": d.times_ms,
                    "values": d.values,
                })
            })
            .collect();
        let rasters: Vec<Value> = rasters
            .into_iter()
            .map(|(k, actor, port, senders, times)| {
                json!({
                    "id": k,
                    "actor": shape.actors[actor].0,
                    "port": port,
                    "senders": senders,
                    "times_ms": times,
                })
            })
            .collect();
        json!({
            "started": true,
            "progress": {
                "steps_done": steps_done,
                "total_steps": shape.total_steps,
                "sim_ms": sim_ms,
                "total_ms": shape.total_steps as f64 * shape.dt_ms,
                "wall_s": wall,
                "real_time_factor": if wall > 0.0 { sim_ms / 1000.0 / wall } else { 0.0 },
                "windows": shape.n_windows,
                "paused": self.paused.load(Ordering::Relaxed),
                "finished": finished,
                "error": error,
            },
            "dt_ms": shape.dt_ms,
            "stride_steps": stride,
            "actors": actors,
            "streams": streams,
            "rasters": rasters,
            "events": events,
            "fc": fc_input.map_or(Value::Null, |f| fc(&f)),
        })
    }
}

/// New spikes of one raster, copied under the lock: (id, actor, port,
/// senders, times in ms).
type RasterDelta = (usize, usize, &'static str, Vec<u32>, Vec<f64>);

/// New samples of one stream, copied under the lock.
struct StreamDelta {
    id: usize,
    actor: usize,
    port: &'static str,
    variables: Vec<String>,
    units: Vec<String>,
    nodes: Vec<String>,
    all_nodes: usize,
    chosen: Vec<usize>,
    from: usize,
    stamps: Vec<u64>,
    times_ms: Vec<f64>,
    values: Vec<Vec<Vec<f64>>>,
}

/// What the FC matrix is computed from: the stream's id, variable 0's
/// name, the time span, and the last `FC_SAMPLES` rows (variable 0 first
/// in each row).
struct FcInput {
    stream: usize,
    variable: Option<String>,
    nodes: usize,
    from_ms: f64,
    to_ms: f64,
    rows: Vec<Vec<f64>>,
}

/// The FC input of the series with the most nodes (at least 2; the first
/// of those), copied.
fn fc_input(streams: &[Stream]) -> Option<FcInput> {
    let (k, st) = streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.nodes.len() >= 2 && s.stamps.len() >= 3)
        .rev()
        .max_by_key(|(_, s)| s.nodes.len())?;
    let nn = st.nodes.len();
    let first = st.values.len().saturating_sub(FC_SAMPLES);
    Some(FcInput {
        stream: k,
        variable: st.variables.first().cloned(),
        nodes: nn,
        from_ms: st.times_ms[first],
        to_ms: st.times_ms[st.times_ms.len() - 1],
        rows: st.values[first..]
            .iter()
            .map(|r| r[..nn].to_vec())
            .collect(),
    })
}

/// Pearson correlations between the nodes of variable 0 over the rows of
/// `f` (see [`fc_input`]): `r_ij = Σ (x_i − x̄_i)(x_j − x̄_j) / √(Σ (x_i −
/// x̄_i)² Σ (x_j − x̄_j)²)` (0 where a node is constant), to 4 decimals.
fn fc(f: &FcInput) -> Value {
    let nn = f.nodes;
    let rows = &f.rows;
    let m = rows.len() as f64;
    let mean: Vec<f64> = (0..nn)
        .map(|n| rows.iter().map(|r| r[n]).sum::<f64>() / m)
        .collect();
    let dev: Vec<Vec<f64>> = (0..nn)
        .map(|n| rows.iter().map(|r| r[n] - mean[n]).collect())
        .collect();
    let norm: Vec<f64> = dev
        .iter()
        .map(|d| d.iter().map(|x| x * x).sum::<f64>().sqrt())
        .collect();
    let matrix: Vec<Vec<f64>> = (0..nn)
        .map(|i| {
            (0..nn)
                .map(|j| {
                    let den = norm[i] * norm[j];
                    if den > 0.0 {
                        let c: f64 = dev[i].iter().zip(&dev[j]).map(|(a, b)| a * b).sum();
                        (c / den * 1e4).round() / 1e4
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    json!({
        "stream": f.stream,
        "variable": f.variable,
        "samples": rows.len(),
        "from_ms": f.from_ms,
        "to_ms": f.to_ms,
        "matrix": matrix,
    })
}

impl WindowHook for Live {
    fn attach(&self, shape: &RunShape) {
        let mut s = self.lock();
        s.stride = shape.total_steps.div_ceil(MAX_SAMPLES).max(1);
        s.shape = Some(shape.clone());
        s.t0 = Some(Instant::now());
    }

    fn after(&self, actor: usize, _window: u64, outputs: &Outputs) {
        let mut guard = self.lock();
        let s = &mut *guard;
        for (port, p) in outputs.iter() {
            match p {
                Payload::Series(x) => {
                    let k = match s
                        .streams
                        .iter()
                        .position(|st| st.actor == actor && st.port == port)
                    {
                        Some(k) => k,
                        None => {
                            let nv = x.meta.variables.len().min(MAX_VARIABLES);
                            let nn = x.meta.nodes.len().min(MAX_NODES);
                            s.streams.push(Stream {
                                actor,
                                port,
                                variables: x.meta.variables[..nv].to_vec(),
                                units: (0..nv).map(|v| x.meta.unit_of(v).to_string()).collect(),
                                nodes: x.meta.nodes[..nn].to_vec(),
                                all_nodes: x.meta.nodes.len(),
                                next: 0,
                                stamps: vec![],
                                times_ms: vec![],
                                values: vec![],
                            });
                            // ids in order of appearance, stable for readers
                            s.streams.len() - 1
                        }
                    };
                    let stride = s.stride;
                    let st = &mut s.streams[k];
                    let (nv, nn) = (st.variables.len(), st.nodes.len());
                    let shape = x.data.shape();
                    if shape.len() != 3 || shape[1] < nv || shape[2] < nn {
                        continue;
                    }
                    for (i, &stamp) in x.stamps.iter().enumerate() {
                        if stamp < st.next {
                            continue;
                        }
                        st.next = stamp + stride;
                        let mut row = Vec::with_capacity(nv * nn);
                        for v in 0..nv {
                            for n in 0..nn {
                                row.push(x.data[[i, v, n]]);
                            }
                        }
                        st.stamps.push(stamp);
                        st.times_ms
                            .push(x.times_ms.get(i).copied().unwrap_or(f64::NAN));
                        st.values.push(row);
                    }
                }
                Payload::Spikes(x) => {
                    let k = match s
                        .rasters
                        .iter()
                        .position(|r| r.actor == actor && r.port == port)
                    {
                        Some(k) => k,
                        None => {
                            s.rasters.push(Raster {
                                actor,
                                port,
                                dropped: 0,
                                spikes: VecDeque::new(),
                            });
                            s.rasters.len() - 1
                        }
                    };
                    let r = &mut s.rasters[k];
                    for (&snd, &t) in x.senders.iter().zip(&x.times_ms) {
                        if snd < RASTER_SENDERS {
                            r.spikes.push_back((snd, t));
                        }
                    }
                    while r.spikes.len() > MAX_SPIKES {
                        r.spikes.pop_front();
                        r.dropped += 1;
                    }
                }
            }
        }
    }
}
