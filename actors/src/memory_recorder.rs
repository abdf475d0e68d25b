//! `MemoryRecorder`: keeps what a recorder receives in memory, for a program
//! that embeds brainstream (the Python package) instead of reading files.
//!
//! It is not a kind of graph files: an embedding program builds a graph as
//! usual and puts a `MemoryRecorder` in place of each `hdf5_recorder`
//! ([`MemoryRecorder::new`]), or around it ([`MemoryRecorder::tee`]: the
//! file is written too), keeping the [`Shared`] handle; after the run (or
//! while it stops) the handle holds every window received. A window's
//! values are copied once, from the edge's payload into the recording's
//! vectors, which the embedding program can take without another copy
//! ([`std::mem::take`]); the vectors are sized on the first window for the
//! whole run, so they do not grow (and copy) as windows come.
//!
//! The layout is `hdf5_recorder`'s without the mode axis: a series is
//! `samples × variables × nodes` in C order with its stamps and times (ms);
//! spikes are senders, times (ms) and stamps, in time order.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use brainstream_runtime::{
    Actor, ActorError, BuildError, Footprint, Inputs, Outputs, PlanCtx, RunContext, Series, Spikes,
    WindowInfo,
};

/// A recorded series: `samples × variables × nodes` values in C order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesRecording {
    /// One name per variable.
    pub variables: Vec<String>,
    /// One label per node (region).
    pub nodes: Vec<String>,
    /// Unit of each variable (as `variables`; `""` where not known).
    pub units: Vec<String>,
    /// Integer stamp of each sample (value at `stamp·dt`).
    pub stamps: Vec<u64>,
    /// Time of each sample, ms.
    pub times_ms: Vec<f64>,
    /// The values, `stamps.len() × variables.len() × nodes.len()`, C order.
    pub data: Vec<f64>,
}

impl SeriesRecording {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.stamps.len()
    }
    /// Whether no sample was recorded.
    pub fn is_empty(&self) -> bool {
        self.stamps.is_empty()
    }
}

/// Recorded spikes, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpikeRecording {
    /// Sender of each spike, in the producer's numbering.
    pub senders: Vec<u32>,
    /// Spike times, ms.
    pub times_ms: Vec<f64>,
    /// Step during which each spike occurred.
    pub stamps: Vec<u64>,
}

/// Everything one recorder received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    /// The series on `input`, once one arrived.
    pub series: Option<SeriesRecording>,
    /// The spikes on `spikes`, once the port received a window.
    pub spikes: Option<SpikeRecording>,
    /// Windows received completely (the recording holds everything before
    /// `windows · window_steps · dt` ms).
    pub windows: u64,
    /// Steps per window and the step, ms (set when the run starts).
    pub window_steps: u64,
    pub dt_ms: f64,
    /// The graph's seed and text, the actor's name (set when the run starts).
    pub seed: u64,
    pub graph_text: String,
    pub actor: String,
    /// True once the run ended normally.
    pub complete: bool,
}

impl Recording {
    /// The time up to which the recording holds everything, ms.
    pub fn complete_up_to_ms(&self) -> f64 {
        (self.windows * self.window_steps) as f64 * self.dt_ms
    }
}

/// The handle an embedding program keeps.
pub type Shared = Arc<Mutex<Recording>>;

/// Locks a recording; a recorder that panicked while holding it left its
/// data as it was, which is still worth reading.
pub fn lock(r: &Shared) -> MutexGuard<'_, Recording> {
    r.lock().unwrap_or_else(|e| e.into_inner())
}

/// The actor: records in memory, and hands every call to the recorder it
/// wraps, if any.
pub struct MemoryRecorder {
    rec: Shared,
    inner: Option<Box<dyn Actor>>,
    /// windows of the run, for sizing the vectors on the first window
    n_windows: u64,
}

impl MemoryRecorder {
    /// A recorder that keeps everything in memory and writes nothing.
    pub fn new() -> (Self, Shared) {
        let rec = Shared::default();
        (
            Self {
                rec: rec.clone(),
                inner: None,
                n_windows: 0,
            },
            rec,
        )
    }

    /// A recorder that keeps everything in memory and also hands every
    /// window to `inner` (an `hdf5_recorder`: the file is written as
    /// without it).
    pub fn tee(inner: Box<dyn Actor>) -> (Self, Shared) {
        let (mut me, rec) = Self::new();
        me.inner = Some(inner);
        (me, rec)
    }

    fn append_series(&self, s: &Series) -> Result<(), ActorError> {
        let (k, nv, nn) = s.data.dim();
        let mut r = lock(&self.rec);
        let windows_left = self.n_windows.saturating_sub(r.windows).max(1);
        let d = r.series.get_or_insert_with(|| SeriesRecording {
            variables: s.meta.variables.clone(),
            nodes: s.meta.nodes.clone(),
            units: s.meta.units.clone(),
            ..Default::default()
        });
        if (d.variables.len(), d.nodes.len()) != (nv, nn) {
            return Err(ActorError::new(format!(
                "input changed shape from {:?} to {:?} (variables, nodes)",
                (d.variables.len(), d.nodes.len()),
                (nv, nn)
            )));
        }
        if d.stamps.capacity() == 0 && k > 0 {
            // the whole run at this window's rate: the vectors never grow
            // (a monitor whose period does not divide the window may need
            // one sample more now and then)
            let samples = (k as u64).saturating_mul(windows_left).saturating_add(1);
            let samples = usize::try_from(samples).unwrap_or(usize::MAX);
            let values = samples.saturating_mul(nv * nn);
            d.data
                .try_reserve_exact(values)
                .map_err(|_| no_room(values))?;
            d.stamps
                .try_reserve_exact(samples)
                .map_err(|_| no_room(samples))?;
            d.times_ms
                .try_reserve_exact(samples)
                .map_err(|_| no_room(samples))?;
        }
        d.data
            .try_reserve(k * nv * nn)
            .map_err(|_| no_room(k * nv * nn))?;
        match s.data.as_slice() {
            Some(v) => d.data.extend_from_slice(v),
            None => d.data.extend(s.data.iter().copied()),
        }
        d.stamps.extend_from_slice(&s.stamps);
        d.times_ms.extend_from_slice(&s.times_ms);
        Ok(())
    }

    fn append_spikes(&self, sp: &Spikes) -> Result<(), ActorError> {
        let mut r = lock(&self.rec);
        let d = r.spikes.get_or_insert_with(SpikeRecording::default);
        let k = sp.senders.len();
        d.senders.try_reserve(k).map_err(|_| no_room(k))?;
        d.times_ms.try_reserve(k).map_err(|_| no_room(k))?;
        d.stamps.try_reserve(k).map_err(|_| no_room(k))?;
        d.senders.extend_from_slice(&sp.senders);
        d.times_ms.extend_from_slice(&sp.times_ms);
        d.stamps.extend_from_slice(&sp.stamps);
        Ok(())
    }
}

fn no_room(values: usize) -> ActorError {
    ActorError::new(format!(
        "cannot hold the recording in memory: {values} more values (8 bytes each) do not fit"
    ))
}

impl Actor for MemoryRecorder {
    /// It holds everything it receives (and writes what its wrapped
    /// recorder writes).
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let mut f = match &self.inner {
            Some(a) => a.plan(ctx)?,
            None => Footprint::default(),
        };
        f.memory_bytes += ctx.input_bytes_per_step() * ctx.total_steps as f64;
        Ok(f)
    }

    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        self.n_windows = ctx.total_steps.div_ceil(ctx.window_steps.max(1));
        {
            let mut r = lock(&self.rec);
            r.window_steps = ctx.window_steps;
            r.dt_ms = ctx.dt_ms;
            r.seed = ctx.graph_seed;
            r.graph_text = ctx.graph_text.to_string();
            r.actor = ctx.name.clone();
        }
        match &mut self.inner {
            Some(a) => a.start(ctx),
            None => Ok(()),
        }
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        // the file first: a window it refuses (a full disk) is not kept
        // here either, so both hold the same windows
        if let Some(a) = &mut self.inner {
            a.step(w, inputs, out)?;
        }
        if let Some(s) = crate::util::series(inputs, "input")? {
            self.append_series(s)?;
        }
        if let Some(sp) = crate::util::spikes(inputs, "spikes")? {
            self.append_spikes(sp)?;
        }
        lock(&self.rec).windows = w.index + 1;
        Ok(())
    }

    fn finish(&mut self, complete: bool) -> Result<Vec<PathBuf>, ActorError> {
        lock(&self.rec).complete = complete;
        match &mut self.inner {
            Some(a) => a.finish(complete),
            None => Ok(vec![]),
        }
    }
}

/// An actor that takes whatever it receives and does nothing: what an
/// embedding program puts in place of an actor whose only work is a file
/// it did not ask for (a `png_plot` of a run kept in memory).
pub struct Discard;

impl Actor for Discard {
    fn step(&mut self, _: &WindowInfo, _: &Inputs, _: &mut Outputs) -> Result<(), ActorError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream_runtime::{Payload, SeriesMeta};
    use ndarray::Array3;

    fn ctx() -> RunContext {
        RunContext {
            name: "raw".into(),
            kind: "hdf5_recorder".into(),
            out_dir: std::env::temp_dir(),
            seed: 1,
            graph_seed: 7,
            dt_ms: 0.5,
            total_steps: 6,
            window_steps: 2,
            graph_text: "text".into(),
            graph_path: None,
            input_delays: vec![],
        }
    }

    fn window(index: u64) -> WindowInfo {
        WindowInfo {
            index,
            start_step: index * 2,
            n_steps: 2,
            dt_ms: 0.5,
        }
    }

    fn series(first: u64) -> Payload {
        let meta = Arc::new(SeriesMeta::new(
            vec!["S".into()],
            vec!["a".into(), "b".into()],
            "kHz",
        ));
        let data = Array3::from_shape_fn((2, 1, 2), |(t, _, n)| {
            (first + t as u64) as f64 * 10.0 + n as f64
        });
        Payload::Series(Arc::new(Series {
            stamps: vec![first, first + 1],
            times_ms: vec![first as f64 * 0.5, (first + 1) as f64 * 0.5],
            data,
            meta,
        }))
    }

    #[test]
    fn keeps_every_window_in_order_sized_once() {
        let (mut m, rec) = MemoryRecorder::new();
        m.start(&ctx()).unwrap();
        let mut out = Outputs::default();
        for w in 0..3 {
            let inputs = Inputs::from_pairs([("input", series(1 + 2 * w))]);
            m.step(&window(w), &inputs, &mut out).unwrap();
            if w == 0 {
                // sized for the whole run on the first window
                let r = lock(&rec);
                assert!(r.series.as_ref().unwrap().data.capacity() >= 12);
            }
        }
        assert!(m.finish(true).unwrap().is_empty());
        let r = lock(&rec);
        let s = r.series.as_ref().unwrap();
        assert_eq!(s.stamps, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(s.times_ms, vec![0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
        assert_eq!(s.data[..4], [10.0, 11.0, 20.0, 21.0]);
        assert_eq!(s.data.len(), 12);
        assert_eq!(s.units, ["kHz"]);
        assert_eq!((r.windows, r.complete, r.seed), (3, true, 7));
        assert_eq!(r.complete_up_to_ms(), 3.0);
    }

    #[test]
    fn a_shape_change_is_an_error() {
        let (mut m, _rec) = MemoryRecorder::new();
        m.start(&ctx()).unwrap();
        let mut out = Outputs::default();
        m.step(
            &window(0),
            &Inputs::from_pairs([("input", series(1))]),
            &mut out,
        )
        .unwrap();
        let other = Payload::Series(Arc::new(Series {
            stamps: vec![3],
            times_ms: vec![1.5],
            data: Array3::zeros((1, 2, 2)),
            meta: Arc::new(SeriesMeta::new(
                vec!["a".into(), "b".into()],
                vec!["a".into(), "b".into()],
                "",
            )),
        }));
        let e = m
            .step(
                &window(1),
                &Inputs::from_pairs([("input", other)]),
                &mut out,
            )
            .unwrap_err();
        assert!(e.to_string().contains("changed shape"), "{e}");
    }

    #[test]
    fn spikes_are_appended() {
        let (mut m, rec) = MemoryRecorder::new();
        m.start(&ctx()).unwrap();
        let mut out = Outputs::default();
        for w in 0..2u64 {
            let sp = Payload::Spikes(Arc::new(Spikes {
                senders: vec![w as u32, 5],
                times_ms: vec![w as f64, w as f64 + 0.5],
                stamps: vec![2 * w, 2 * w + 1],
            }));
            m.step(&window(w), &Inputs::from_pairs([("spikes", sp)]), &mut out)
                .unwrap();
        }
        m.finish(false).unwrap();
        let r = lock(&rec);
        let s = r.spikes.as_ref().unwrap();
        assert_eq!(s.senders, vec![0, 5, 1, 5]);
        assert_eq!(s.stamps, vec![0, 1, 2, 3]);
        assert!(!r.complete);
        assert_eq!(r.windows, 2);
    }
}
