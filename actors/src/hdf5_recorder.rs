//! `hdf5_recorder`: writes what it receives to `OUT/<actor name>.h5`, in the
//! layout of TVB time series, readable by h5py.
//!
//! * `/data`: float64 `(time, variable, node, mode)`, mode = 1;
//! * `/time`: float64 ms from the start of the simulation (a raw recording's
//!   first sample is at `t = dt`, the state after one step);
//! * `/spikes/times` (ms) and `/spikes/senders` for spike input;
//! * attributes: `variables`, `nodes` (labels), `unit`, `dt_ms`, `seed`,
//!   `actor`, `graph` (the graph file's text with overrides), `version`,
//!   `complete` (false until the run ends normally).
//!
//! Every window is appended; the file is flushed at most every `flush_s`
//! seconds of wall time (default 1 s; 0: after every window) and whenever
//! the run ends, normally or not. A run that fails or is stopped keeps every
//! complete window; a process killed outright keeps a valid file up to its
//! last flush. Flushing every window cost ~55 µs a window per recorder
//! (~75 % of the recorder's time on the NEST co-simulation graph), time the
//! other actors of a small machine then lack.
//!
//! A full disk (or a file size limit) never reaches HDF5: before each
//! window the recorder holds the disk blocks its writes until the next
//! flush can take ([`DiskReserve`]: the chunks they touch, plus a margin
//! for metadata); when they cannot be had it stops the run before writing
//! anything, and closes its file inside what it holds, readable up to its
//! last complete window. HDF5 itself cannot recover from a failed write.

use std::path::PathBuf;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, PlanCtx, PortDecl, PortType, RunContext, WindowInfo,
};
use hdf5::types::VarLenUnicode;

use crate::disk_reserve::DiskReserve;

/// Bytes held for what HDF5 writes besides the chunks: object headers, the
/// chunk index, the superblock, the attributes set at the end.
const META_MARGIN: u64 = 64 << 10;
/// Bytes of chunk index (B-tree) a new chunk may cost, at most.
const PER_CHUNK_META: u64 = 1 << 10;
/// Time samples per chunk of `/time`.
const TIME_CHUNK: usize = 4096;
/// Spikes per chunk of `/spikes/*`.
const SPIKE_CHUNK: usize = 65536;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "file",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "File name inside the output folder (default: <actor name>.h5)",
    },
    ParamSpec {
        name: "flush_s",
        ty: ParamType::Float,
        default: DefaultValue::Float(1.0),
        range: Some((0.0, 3600.0)),
        unit: "s",
        doc: "Longest wall time between flushes to disk (0: after every window); the end of the run, normal or not, always flushes",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "hdf5_recorder",
    doc: "Records a series and/or spikes to an HDF5 file (TVB time-series layout), flushed at least every flush_s seconds and at the end",
    params: PARAMS,
    inputs: &[
        PortDecl { name: "input", ty: PortType::Series, doc: "a series to record in /data and /time", end_stamped: false },
        PortDecl { name: "spikes", ty: PortType::Spikes, doc: "spikes to record in /spikes/{times,senders}", end_stamped: false },
    ],
    outputs: &[],
    build,
};

struct Series5 {
    data: hdf5::Dataset,
    time: hdf5::Dataset,
    len: usize,
    /// `len` at the last flush
    flushed: usize,
    shape: (usize, usize),
    /// time samples per chunk of `/data`
    chunk_t: usize,
}

struct Spikes5 {
    times: hdf5::Dataset,
    senders: hdf5::Dataset,
    len: usize,
    /// `len` at the last flush
    flushed: usize,
}

/// Bytes of chunks (`chunk` samples of `sample_bytes` each) that growing a
/// dataset from `flushed` to `new` samples may allocate before the next
/// flush, with their index.
fn chunk_bytes(flushed: usize, new: usize, chunk: usize, sample_bytes: usize) -> u64 {
    if new <= flushed || chunk == 0 {
        return 0;
    }
    let chunks = ((new - 1) / chunk - flushed / chunk + 1) as u64;
    chunks * ((chunk * sample_bytes) as u64 + PER_CHUNK_META)
}

/// Time samples per chunk of a `(time, nv, nn, 1)` dataset (~512 KiB).
fn series_chunk(nv: usize, nn: usize) -> usize {
    (65536 / (nv * nn).max(1)).clamp(1, 4096)
}

struct Recorder {
    file_name: Option<String>,
    path: Option<PathBuf>,
    file: Option<hdf5::File>,
    /// disk blocks held ahead of HDF5's writes
    reserve: Option<DiskReserve>,
    series: Option<Series5>,
    spikes: Option<Spikes5>,
    ctx: Option<RunContext>,
    flush_every: std::time::Duration,
    last_flush: std::time::Instant,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let file_name = ctx.params.opt_str("file")?;
    if let Some(f) = &file_name {
        // a name of the folder itself (".", "..") or of anything outside it
        // is refused: the recorder would fail (or write elsewhere) at run time
        if f.is_empty()
            || f == "."
            || f == ".."
            || f.contains(['/', '\\', '\0'])
            || f.chars().any(char::is_control)
        {
            return Err(
                BuildError::at("file", format!("`{f}` must be a plain file name"))
                    .hint("files are written into the --out folder"),
            );
        }
    }
    Ok(Box::new(Recorder {
        file_name,
        path: None,
        file: None,
        reserve: None,
        series: None,
        spikes: None,
        ctx: None,
        flush_every: std::time::Duration::from_secs_f64(ctx.params.f64("flush_s")?),
        last_flush: std::time::Instant::now(),
    }))
}

fn h5err(e: hdf5::Error) -> ActorError {
    ActorError::new(format!("HDF5: {e}"))
}

fn str_attr(loc: &hdf5::Location, name: &str, v: &str) -> Result<(), ActorError> {
    let s: VarLenUnicode = v
        .replace('\0', " ")
        .parse()
        .map_err(|e| ActorError::new(format!("attribute {name}: {e:?}")))?;
    loc.new_attr::<VarLenUnicode>()
        .create(name)
        .and_then(|a| a.write_scalar(&s))
        .map_err(h5err)
}

fn str_list_attr(loc: &hdf5::Location, name: &str, v: &[String]) -> Result<(), ActorError> {
    let list: Vec<VarLenUnicode> = v
        .iter()
        .map(|s| {
            s.replace('\0', " ")
                .parse::<VarLenUnicode>()
                .map_err(|e| ActorError::new(format!("{e:?}")))
        })
        .collect::<Result<_, _>>()?;
    loc.new_attr::<VarLenUnicode>()
        .shape(list.len())
        .create(name)
        .and_then(|a| a.write(&list))
        .map_err(h5err)
}

impl Recorder {
    fn set_complete(&self, v: bool) -> Result<(), ActorError> {
        if let Some(f) = &self.file {
            let a = f.attr("complete").map_err(h5err)?;
            a.write_scalar(&v).map_err(h5err)?;
        }
        Ok(())
    }

    /// Holds the disk blocks this window's writes (and everything not yet
    /// flushed) may take: `series` and `spikes` are the samples and spikes
    /// this window adds. An error: nothing of this window was written.
    fn hold_space(
        &mut self,
        w: &WindowInfo,
        series: Option<(usize, usize, usize)>,
        spikes: usize,
    ) -> Result<(), ActorError> {
        let Some(r) = &mut self.reserve else {
            return Ok(());
        };
        let mut need = r.size() + META_MARGIN;
        match (&self.series, series) {
            (Some(d), Some((k, _, _))) => {
                let (nv, nn) = d.shape;
                need += chunk_bytes(d.flushed, d.len + k, d.chunk_t, nv * nn * 8);
                need += chunk_bytes(d.flushed, d.len + k, TIME_CHUNK, 8);
            }
            // created now: its headers and labels too
            (None, Some((k, nv, nn))) => {
                need += chunk_bytes(0, k, series_chunk(nv, nn), nv * nn * 8);
                need += chunk_bytes(0, k, TIME_CHUNK, 8) + META_MARGIN;
            }
            _ => {}
        }
        if spikes > 0 {
            let (flushed, len) = match &self.spikes {
                Some(d) => (d.flushed, d.len),
                None => {
                    need += META_MARGIN;
                    (0, 0)
                }
            };
            need += chunk_bytes(flushed, len + spikes, SPIKE_CHUNK, 8);
            need += chunk_bytes(flushed, len + spikes, SPIKE_CHUNK, 4);
        }
        r.ensure(need).map_err(|e| {
            ActorError::new(format!(
                "{e}; the recording stops before window {} and keeps everything before t = {} ms",
                w.index,
                (w.start_step as f64 * w.dt_ms * 1e6).round() / 1e6
            ))
        })
    }

    fn flush(&mut self) -> Result<(), ActorError> {
        if let Some(f) = &self.file {
            f.flush().map_err(h5err)?;
        }
        if let Some(r) = &self.reserve {
            // the estimate of what HDF5 writes must hold; if it did not,
            // a full disk could still reach HDF5
            if r.size() > r.held() {
                tracing::warn!(
                    size = r.size(),
                    held = r.held(),
                    "HDF5 wrote past the disk space held for it"
                );
            }
        }
        if let Some(d) = &mut self.series {
            d.flushed = d.len;
        }
        if let Some(d) = &mut self.spikes {
            d.flushed = d.len;
        }
        self.last_flush = std::time::Instant::now();
        Ok(())
    }
}

impl Actor for Recorder {
    /// It writes what it receives (values and times; spikes' times and
    /// senders).
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        Ok(Footprint {
            disk_bytes_per_step: ctx.input_bytes_per_step(),
            disk_bytes: META_MARGIN as f64,
            ..Default::default()
        })
    }

    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        let name = self
            .file_name
            .clone()
            .unwrap_or_else(|| format!("{}.h5", ctx.name));
        let path = ctx.out_dir.join(name);
        let f = hdf5::File::create(&path)
            .map_err(|e| ActorError::new(format!("cannot create {}: {e}", path.display())))?;
        // the superblock and the attributes, the graph's text among them
        let first = 2 * META_MARGIN + 2 * ctx.graph_text.len() as u64;
        let held = DiskReserve::open(&path)
            .map_err(|e| crate::disk_reserve::NoRoom::Io {
                path: path.clone(),
                source: e,
            })
            .and_then(|mut r| r.ensure(first).map(|()| r));
        let reserve = match held {
            Ok(r) => r,
            Err(e) => {
                // nothing recorded: leave no file HDF5 could not finish
                drop(f);
                let _ = std::fs::remove_file(&path);
                return Err(ActorError::new(format!(
                    "cannot create {}: {e}",
                    path.display()
                )));
            }
        };
        str_attr(&f, "actor", &ctx.name)?;
        str_attr(&f, "graph", &ctx.graph_text)?;
        if let Some(p) = &ctx.graph_path {
            str_attr(&f, "graph_file", &p.display().to_string())?;
        }
        str_attr(
            &f,
            "version",
            concat!("brainstream ", env!("CARGO_PKG_VERSION")),
        )?;
        f.new_attr::<f64>()
            .create("dt_ms")
            .and_then(|a| a.write_scalar(&ctx.dt_ms))
            .map_err(h5err)?;
        f.new_attr::<u64>()
            .create("seed")
            .and_then(|a| a.write_scalar(&ctx.graph_seed))
            .map_err(h5err)?;
        f.new_attr::<bool>()
            .create("complete")
            .and_then(|a| a.write_scalar(&false))
            .map_err(h5err)?;
        self.file = Some(f);
        self.reserve = Some(reserve);
        self.path = Some(path);
        self.ctx = Some(ctx.clone());
        self.flush()
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        _out: &mut Outputs,
    ) -> Result<(), ActorError> {
        if self.file.is_none() {
            return Err(ActorError::new("not started"));
        }
        let series = inputs
            .get("input")
            .and_then(|p| p.as_series())
            .filter(|s| !s.is_empty());
        let spikes = inputs.get("spikes").and_then(|p| p.as_spikes());
        if let (Some(s), Some(d)) = (series, &self.series) {
            let (nv, nn) = (s.data.shape()[1], s.data.shape()[2]);
            if d.shape != (nv, nn) {
                return Err(ActorError::new(format!(
                    "input changed shape from {:?} to {:?} (variables, nodes)",
                    d.shape,
                    (nv, nn)
                )));
            }
        }
        self.hold_space(
            w,
            series.map(|s| (s.len(), s.data.shape()[1], s.data.shape()[2])),
            spikes.map_or(0, |sp| sp.times_ms.len()),
        )?;
        let f = self
            .file
            .as_ref()
            .ok_or_else(|| ActorError::new("not started"))?;
        if let Some(s) = series {
            let (nv, nn) = (s.data.shape()[1], s.data.shape()[2]);
            if self.series.is_none() {
                let chunk_t = series_chunk(nv, nn);
                let data = f
                    .new_dataset::<f64>()
                    .chunk((chunk_t, nv, nn, 1))
                    .shape((0.., nv, nn, 1))
                    .create("data")
                    .map_err(h5err)?;
                str_list_attr(&data, "variables", &s.meta.variables)?;
                str_list_attr(&data, "nodes", &s.meta.nodes)?;
                str_attr(&data, "unit", &s.meta.unit)?;
                str_list_attr(
                    &data,
                    "dims",
                    &["time", "variable", "node", "mode"].map(String::from),
                )?;
                let time = f
                    .new_dataset::<f64>()
                    .chunk(TIME_CHUNK)
                    .shape(0..)
                    .create("time")
                    .map_err(h5err)?;
                str_attr(&time, "unit", "ms")?;
                self.series = Some(Series5 {
                    data,
                    time,
                    len: 0,
                    flushed: 0,
                    shape: (nv, nn),
                    chunk_t,
                });
            }
            if let Some(d) = &mut self.series {
                let k = s.len();
                let new = d.len + k;
                d.data.resize((new, nv, nn, 1)).map_err(h5err)?;
                let view = s.data.view().insert_axis(ndarray::Axis(3));
                d.data
                    .write_slice(view, (d.len..new, .., .., ..))
                    .map_err(h5err)?;
                d.time.resize(new).map_err(h5err)?;
                d.time.write_slice(&s.times_ms, d.len..new).map_err(h5err)?;
                d.len = new;
            }
        }
        if let Some(sp) = spikes {
            if self.spikes.is_none() {
                let g = f.create_group("spikes").map_err(h5err)?;
                let times = g
                    .new_dataset::<f64>()
                    .chunk(SPIKE_CHUNK)
                    .shape(0..)
                    .create("times")
                    .map_err(h5err)?;
                str_attr(&times, "unit", "ms")?;
                let senders = g
                    .new_dataset::<u32>()
                    .chunk(SPIKE_CHUNK)
                    .shape(0..)
                    .create("senders")
                    .map_err(h5err)?;
                self.spikes = Some(Spikes5 {
                    times,
                    senders,
                    len: 0,
                    flushed: 0,
                });
            }
            if let Some(d) = &mut self.spikes {
                let k = sp.times_ms.len();
                if k > 0 {
                    let new = d.len + k;
                    d.times.resize(new).map_err(h5err)?;
                    d.times
                        .write_slice(&sp.times_ms, d.len..new)
                        .map_err(h5err)?;
                    d.senders.resize(new).map_err(h5err)?;
                    d.senders
                        .write_slice(&sp.senders, d.len..new)
                        .map_err(h5err)?;
                    d.len = new;
                }
            }
        }
        if self.last_flush.elapsed() >= self.flush_every {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self, complete: bool) -> Result<Vec<PathBuf>, ActorError> {
        if self.file.is_none() {
            return Ok(vec![]);
        }
        self.set_complete(complete)?;
        self.flush()?;
        self.series = None;
        self.spikes = None;
        self.file = None; // closes
                          // the blocks held past the file's end go back to the file system
        if let Some(mut r) = self.reserve.take() {
            r.release();
        }
        Ok(self.path.clone().into_iter().collect())
    }
}
