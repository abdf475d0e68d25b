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

use std::path::PathBuf;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, PortDecl, PortType, RunContext, WindowInfo,
};
use hdf5::types::VarLenUnicode;

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
    shape: (usize, usize),
}

struct Spikes5 {
    times: hdf5::Dataset,
    senders: hdf5::Dataset,
    len: usize,
}

struct Recorder {
    file_name: Option<String>,
    path: Option<PathBuf>,
    file: Option<hdf5::File>,
    series: Option<Series5>,
    spikes: Option<Spikes5>,
    ctx: Option<RunContext>,
    flush_every: std::time::Duration,
    last_flush: std::time::Instant,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let file_name = ctx.params.opt_str("file")?;
    if let Some(f) = &file_name {
        if f.is_empty() || f.contains('/') || f.contains('\\') || f == ".." {
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
}

impl Actor for Recorder {
    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        let name = self
            .file_name
            .clone()
            .unwrap_or_else(|| format!("{}.h5", ctx.name));
        let path = ctx.out_dir.join(name);
        let f = hdf5::File::create(&path)
            .map_err(|e| ActorError::new(format!("cannot create {}: {e}", path.display())))?;
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
        f.flush().map_err(h5err)?;
        self.last_flush = std::time::Instant::now();
        self.file = Some(f);
        self.path = Some(path);
        self.ctx = Some(ctx.clone());
        Ok(())
    }

    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        _out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let f = self
            .file
            .as_ref()
            .ok_or_else(|| ActorError::new("not started"))?;
        if let Some(s) = inputs.get("input").and_then(|p| p.as_series()) {
            let (nv, nn) = (s.data.shape()[1], s.data.shape()[2]);
            if self.series.is_none() && !s.is_empty() {
                let chunk_t = (65536 / (nv * nn).max(1)).clamp(1, 4096);
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
                    .chunk(4096)
                    .shape(0..)
                    .create("time")
                    .map_err(h5err)?;
                str_attr(&time, "unit", "ms")?;
                self.series = Some(Series5 {
                    data,
                    time,
                    len: 0,
                    shape: (nv, nn),
                });
            }
            if let Some(d) = &mut self.series {
                if !s.is_empty() {
                    if d.shape != (nv, nn) {
                        return Err(ActorError::new(format!(
                            "input changed shape from {:?} to {:?} (variables, nodes)",
                            d.shape,
                            (nv, nn)
                        )));
                    }
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
        }
        if let Some(sp) = inputs.get("spikes").and_then(|p| p.as_spikes()) {
            if self.spikes.is_none() {
                let g = f.create_group("spikes").map_err(h5err)?;
                let times = g
                    .new_dataset::<f64>()
                    .chunk(65536)
                    .shape(0..)
                    .create("times")
                    .map_err(h5err)?;
                str_attr(&times, "unit", "ms")?;
                let senders = g
                    .new_dataset::<u32>()
                    .chunk(65536)
                    .shape(0..)
                    .create("senders")
                    .map_err(h5err)?;
                self.spikes = Some(Spikes5 {
                    times,
                    senders,
                    len: 0,
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
            f.flush().map_err(h5err)?;
            self.last_flush = std::time::Instant::now();
        }
        Ok(())
    }

    fn finish(&mut self, complete: bool) -> Result<Vec<PathBuf>, ActorError> {
        if self.file.is_none() {
            return Ok(vec![]);
        }
        self.set_complete(complete)?;
        if let Some(f) = &self.file {
            f.flush().map_err(h5err)?;
        }
        self.series = None;
        self.spikes = None;
        self.file = None; // closes
        Ok(self.path.clone().into_iter().collect())
    }
}
