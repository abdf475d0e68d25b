//! `hdf5_recorder`: writes what it receives to `OUT/<actor name>.h5`, in the
//! layout of TVB time series, readable by h5py — and laid out as netCDF-4
//! ([`netcdf`]), so that `xarray.open_dataset(path, engine="h5netcdf")`
//! gives named dimensions and coordinates (`docs/outputs.md`):
//!
//! * `/data`: float64 `(time, variable, region, mode)`: mode of length 1,
//!   or N where the variables are whole modes of a model with N modes
//!   (`xi[0]`, ..., `xi[N-1]`, then the next: [`mode_groups`]), each
//!   variable then named once (`xi`);
//! * coordinates `/time` (ms from the start of the simulation, as the
//!   producer stamped it: a raw recording's first sample is at `t = dt`, the
//!   state after one step; how to read a monitor's times is its attribute
//!   `convention`), `/variable` (names), `/region` (labels), `/mode`, and
//!   along them `/step` (the run's own clock: a sample ends step `step`,
//!   at `step·dt_ms`) and `/unit` (the unit of each variable);
//! * `/spikes/times` (ms) and `/spikes/senders` along `spike`, and for a
//!   network's spikes the map of its senders (region, population, neuron
//!   index; each population's first sender and size);
//! * what produced it: `/connectivity` (weights, tract lengths, centres,
//!   labels) and `/parameters` (every model parameter per region, the
//!   coupling's) of the mean field upstream ([`provenance`]);
//! * attributes: `actor`, `graph` (the graph file's text with overrides),
//!   `graph_file`, `dt_ms`, `seed`, `version`, `complete` (false until the
//!   run ends normally); on `/data` the older `variables`, `nodes`, `unit`
//!   and `dims`.
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

pub mod netcdf;
pub mod provenance;
mod resume;

use std::path::PathBuf;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, NodeSpace,
    Outputs, ParamSpec, ParamType, PlanCtx, PortDecl, PortType, RunContext, Series, WindowInfo,
};

use crate::disk_reserve::DiskReserve;

/// The most node labels the `nodes` attribute of `data` (the layout's first,
/// kept for existing readers) holds: HDF5 keeps an attribute in its
/// object's header as one message of at most 64 KiB, where a
/// variable-length string takes 16 bytes, so a surface's 16 384 vertices do
/// not fit. The node coordinate (`region`/`sensor`) holds every label
/// whatever their number.
const NODES_ATTR_MAX: usize = 2048;

/// Bytes held for what HDF5 writes besides the chunks: object headers, the
/// chunk index, the superblock, the attributes set at the end.
const META_MARGIN: u64 = 64 << 10;
/// Bytes of chunk index (B-tree) a new chunk may cost, at most.
const PER_CHUNK_META: u64 = 1 << 10;
/// Time samples per chunk of `/time`.
const TIME_CHUNK: usize = 4096;
/// Spikes per chunk of `/spikes/*`.
const SPIKE_CHUNK: usize = 65536;
/// Fewest time samples per chunk of `/data` when a short run caps it
/// ([`capped`]): a run resumed for longer keeps the file's chunks.
const DATA_CHUNK_FLOOR: usize = 64;
/// Fewest samples per chunk of `/time` and `/step` when a short run caps
/// them (4 KiB).
const TIME_CHUNK_FLOOR: usize = 512;

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
    step: hdf5::Dataset,
    len: usize,
    /// `len` at the last flush
    flushed: usize,
    shape: (usize, usize),
    /// modes per variable in `/data` (1, or the model's: [`mode_groups`])
    modes: usize,
    /// time samples per chunk of `/data`
    chunk_t: usize,
    /// samples per chunk of `/time` and `/step`
    time_chunk: usize,
    /// the first two times, until the sample period is written
    first_times: Vec<f64>,
}

struct Spikes5 {
    /// the `spike` dimension (no values)
    spike: hdf5::Dataset,
    times: hdf5::Dataset,
    senders: hdf5::Dataset,
    len: usize,
    /// `len` at the last flush
    flushed: usize,
}

/// Most regions whose connectome matrices a recording holds (two N×N
/// float64 matrices: 16 MiB at 1024); above, only the connectome's source.
const MAX_STORED_REGIONS: usize = 1024;
/// Most senders listed one by one in a spike map (besides the table of
/// populations, which maps any number).
const MAX_LISTED_SENDERS: u64 = 1 << 20;

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

/// Samples per chunk for a run of `total_steps` steps: `full`, or fewer
/// when the run cannot fill one chunk (at most one sample per step), but
/// not under `floor`: min(full, max(total_steps, floor)). A one-step run's
/// `raw.h5` was 735 kB, nearly all of it one 512 KiB `/data` chunk and two
/// 32 KiB coordinate chunks; runs of `full` steps or more keep `full`.
fn capped(full: usize, total_steps: u64, floor: usize) -> usize {
    let steps = usize::try_from(total_steps).unwrap_or(usize::MAX);
    full.min(steps.max(floor)).max(1)
}

/// Samples per chunk of a new `/data` (`nv` × `nn` values per sample) and
/// of its `/time` and `/step`, capped by the run's steps (unknown: uncapped).
fn series_chunks(ctx: Option<&RunContext>, nv: usize, nn: usize) -> (usize, usize) {
    let steps = ctx.map_or(u64::MAX, |c| c.total_steps);
    (
        capped(series_chunk(nv, nn), steps, DATA_CHUNK_FLOOR),
        capped(TIME_CHUNK, steps, TIME_CHUNK_FLOOR),
    )
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
    /// the run's graph, to find what produced the inputs
    graph: Option<provenance::Graph>,
    flush_every: std::time::Duration,
    last_flush: std::time::Instant,
    /// where a checkpoint left the file ([`resume`])
    resume: Option<resume::Position>,
    /// the mean field upstream, held until the run ends so that the other
    /// recorders of this process take it instead of resolving it again
    /// ([`provenance::Graph::mean_field`])
    source: Option<std::sync::Arc<crate::mean_field::MeanFieldParts>>,
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
        graph: None,
        flush_every: std::time::Duration::from_secs_f64(ctx.params.f64("flush_s")?),
        last_flush: std::time::Instant::now(),
        resume: None,
        source: None,
    }))
}

fn h5err(e: hdf5::Error) -> ActorError {
    ActorError::new(format!("HDF5: {e}"))
}

/// What the mean field upstream contributes to a file: its connectome and
/// its resolved parameters, written under `/connectivity` and
/// `/parameters`.
struct Source {
    name: String,
    parts: std::sync::Arc<crate::mean_field::MeanFieldParts>,
}

impl Source {
    /// Bytes it adds to the file, about.
    fn bytes(&self) -> u64 {
        let c = &self.parts.cfg.connectivity;
        let n = c.n as u64;
        let matrices = if c.n <= MAX_STORED_REGIONS {
            2 * n * n * 8
        } else {
            0
        };
        let labels: u64 = c.labels.iter().map(|l| l.len() as u64 + 16).sum();
        let values = self.parts.cfg.model.n_values() as u64;
        matrices + n * 24 + 3 * labels + values * (n + 1) * 8 + values * 64
    }

    fn write(&self, f: &hdf5::File) -> hdf5::Result<()> {
        let cfg = &self.parts.cfg;
        let c = &cfg.connectivity;
        let n = c.n;
        let g = f.create_group("connectivity")?;
        netcdf::str_attr(&g, "producer", &self.name)?;
        netcdf::str_attr(&g, "source", &c.source)?;
        netcdf::str_attr(
            &g,
            "convention",
            "weights[region, source] and tract_lengths[region, source]: from region `source` to region `region` (row: target, column: source), as tvb-library's Connectivity",
        )?;
        let region = netcdf::str_coordinate(&g, "region", &c.labels)?;
        if n <= MAX_STORED_REGIONS {
            let source = netcdf::str_coordinate(&g, "source", &c.labels)?;
            let w = netcdf::f64_dataset(&g, "weights", &[n, n], &c.weights, "1")?;
            netcdf::attach(&w, &[&region, &source])?;
            let l = netcdf::f64_dataset(&g, "tract_lengths", &[n, n], &c.tract_lengths, "mm")?;
            netcdf::attach(&l, &[&region, &source])?;
        } else {
            netcdf::str_attr(
                &g,
                "matrices",
                &format!("not stored: {n} regions, more than {MAX_STORED_REGIONS}; see `source`"),
            )?;
        }
        if let Some(centres) = &c.centres {
            let xyz = netcdf::str_coordinate(&g, "xyz", &["x", "y", "z"].map(String::from))?;
            let flat: Vec<f64> = centres.iter().flatten().copied().collect();
            let d = netcdf::f64_dataset(&g, "centres", &[n, 3], &flat, "mm")?;
            netcdf::attach(&d, &[&region, &xyz])?;
        }

        let g = f.create_group("parameters")?;
        let info = cfg.model;
        netcdf::str_attr(&g, "producer", &self.name)?;
        netcdf::str_attr(&g, "model", info.name)?;
        netcdf::str_attr(
            &g,
            "description",
            "model[parameter, region]: every value of the model's parameters as the run used it, per region (a vector parameter's elements are NAME[k]); coupling[coupling_parameter]: the coupling function's",
        )?;
        let names = info.value_names();
        let units: Vec<String> = info
            .params
            .iter()
            .flat_map(|p| std::iter::repeat_n(p.unit.to_string(), p.len))
            .collect();
        let values = cfg.model_params.values();
        let mut table = vec![0.0; names.len() * n];
        for (k, v) in values.iter().enumerate().take(names.len()) {
            table[k * n..(k + 1) * n].fill(*v);
        }
        // parameters set per region (`x0 = { default = …, regions = {…} }`,
        // a column of a file): their own value in each region
        for (slot, per) in cfg.model_params.regional() {
            if *slot < names.len() && per.len() == n {
                table[slot * n..(slot + 1) * n].copy_from_slice(per);
            }
        }
        let parameter = netcdf::str_coordinate(&g, "parameter", &names)?;
        let region = netcdf::str_coordinate(&g, "region", &c.labels)?;
        let unit = netcdf::str_dataset(&g, "unit", &units)?;
        netcdf::attach(&unit, &[&parameter])?;
        let m = netcdf::f64_dataset(&g, "model", &[names.len(), n], &table, "")?;
        netcdf::attach(&m, &[&parameter, &region])?;
        netcdf::str_attr(&m, "coordinates", "unit")?;
        let cp = &cfg.coupling.params;
        let cnames: Vec<String> = cp.defs().iter().map(|p| p.name.to_string()).collect();
        let cunits: Vec<String> = cp.defs().iter().map(|p| p.unit.to_string()).collect();
        let coupling_parameter = netcdf::str_coordinate(&g, "coupling_parameter", &cnames)?;
        let cu = netcdf::str_dataset(&g, "coupling_unit", &cunits)?;
        netcdf::attach(&cu, &[&coupling_parameter])?;
        let cv = netcdf::f64_dataset(&g, "coupling", &[cnames.len()], cp.values(), "")?;
        netcdf::attach(&cv, &[&coupling_parameter])?;
        netcdf::str_attr(&cv, "coordinates", "coupling_unit")?;
        netcdf::str_attr(&cv, "function", &format!("{:?}", cfg.coupling.kind))?;
        netcdf::f64_attr(&g, "speed_mm_per_ms", cfg.speed_mm_per_ms)?;
        netcdf::f64_attr(&g, "dt_ms", cfg.dt_ms)?;
        Ok(())
    }
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
        let ctx = self.ctx.as_ref();
        let Some(r) = &mut self.reserve else {
            return Ok(());
        };
        let mut need = r.size() + META_MARGIN;
        match (&self.series, series) {
            (Some(d), Some((k, _, _))) => {
                let (nv, nn) = d.shape;
                need += chunk_bytes(d.flushed, d.len + k, d.chunk_t, nv * nn * 8);
                need += 2 * chunk_bytes(d.flushed, d.len + k, d.time_chunk, 8);
            }
            // created now: its headers and labels too
            (None, Some((k, nv, nn))) => {
                let (chunk_t, time_chunk) = series_chunks(ctx, nv, nn);
                need += chunk_bytes(0, k, chunk_t, nv * nn * 8);
                need += 2 * chunk_bytes(0, k, time_chunk, 8) + META_MARGIN;
            }
            _ => {}
        }
        if spikes > 0 {
            let (flushed, len) = match &self.spikes {
                Some(d) => (d.flushed, d.len),
                None => {
                    // headers, and the sender map
                    let map = self
                        .graph
                        .as_ref()
                        .zip(self.ctx.as_ref())
                        .and_then(|(g, c)| g.spike_map(&c.name))
                        .map_or(0, |m| {
                            m.neurons().min(MAX_LISTED_SENDERS) * 48 + m.rows().len() as u64 * 64
                        });
                    need += META_MARGIN + map;
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

    /// `/data` and its coordinates, for a series shaped as `s`.
    fn create_series(&self, f: &hdf5::File, s: &Series) -> hdf5::Result<Series5> {
        let (nv, nn) = (s.data.shape()[1], s.data.shape()[2]);
        let (chunk_t, time_chunk) = series_chunks(self.ctx.as_ref(), nv, nn);
        let meta = &s.meta;
        // the variables, each with its modes, or each alone
        let (variables, modes) =
            mode_groups(&meta.variables).unwrap_or_else(|| (meta.variables.clone(), 1));
        let data = f
            .new_dataset::<f64>()
            .chunk((chunk_t, nv / modes, nn, modes))
            .shape((0.., nv / modes, nn, modes))
            .create("data")?;
        let time = f
            .new_dataset::<f64>()
            .chunk(time_chunk)
            .shape(0..)
            .create("time")?;
        netcdf::set_scale(&time, "time")?;
        netcdf::str_attr(&time, "units", "ms")?;
        netcdf::str_attr(&time, "long_name", "time")?;
        let (note, dt) = match &self.ctx {
            Some(c) => (
                self.graph
                    .as_ref()
                    .map(|g| provenance::time_note(&g.series_chain(&c.name), c.dt_ms))
                    .unwrap_or_else(|| provenance::time_note(&[], c.dt_ms)),
                c.dt_ms,
            ),
            None => (provenance::time_note(&[], 0.0), 0.0),
        };
        netcdf::str_attr(&time, "convention", &note)?;
        let step = f
            .new_dataset::<u64>()
            .chunk(time_chunk)
            .shape(0..)
            .create("step")?;
        netcdf::str_attr(
            &step,
            "long_name",
            "the step that completes the sample: it ends at step·dt_ms on the run's own clock",
        )?;
        netcdf::f64_attr(&step, "dt_ms", dt)?;
        let variable = netcdf::str_coordinate(f, "variable", &variables)?;
        // regions, or a sensor-space monitor's sensors with their positions
        let node_dim = match &meta.space {
            NodeSpace::Regions => "region",
            NodeSpace::Sensors { .. } => "sensor",
        };
        let region = netcdf::str_coordinate(f, node_dim, &meta.nodes)?;
        let mut coordinates = "step unit".to_string();
        if let NodeSpace::Sensors {
            modality,
            positions,
        } = &meta.space
        {
            let xyz = netcdf::str_coordinate(f, "xyz", &["x", "y", "z"].map(String::from))?;
            let flat: Vec<f64> = positions.iter().flatten().copied().collect();
            let d = netcdf::f64_dataset(f, "sensor_position", &[positions.len(), 3], &flat, "mm")?;
            netcdf::str_attr(&d, "long_name", &format!("{modality} sensor positions"))?;
            netcdf::attach(&d, &[&region, &xyz])?;
            netcdf::str_attr(&region, "modality", modality)?;
            coordinates.push_str(" sensor_position");
        }
        let mode = f.new_dataset::<i64>().shape(modes).create("mode")?;
        mode.write(&(0..modes as i64).collect::<Vec<_>>())?;
        netcdf::set_scale(&mode, "mode")?;
        // one per variable, as the producer declared them (a variable's
        // modes have its unit)
        let units: Vec<String> = (0..variables.len())
            .map(|v| meta.unit_of(v * modes).to_string())
            .collect();
        let unit = netcdf::str_dataset(f, "unit", &units)?;
        netcdf::str_attr(&unit, "long_name", "unit of each variable")?;
        netcdf::attach(&unit, &[&variable])?;
        netcdf::attach(&step, &[&time])?;
        netcdf::attach(&data, &[&time, &variable, &region, &mode])?;
        netcdf::str_attr(&data, "coordinates", &coordinates)?;
        if let Some(u) = meta.common_unit().filter(|u| !u.is_empty()) {
            netcdf::str_attr(&data, "units", u)?;
        }
        // the layout's first attributes, kept for existing readers
        netcdf::str_list_attr(&data, "variables", &variables)?;
        if meta.nodes.len() <= NODES_ATTR_MAX {
            netcdf::str_list_attr(&data, "nodes", &meta.nodes)?;
        }
        netcdf::str_attr(&data, "unit", meta.common_unit().unwrap_or(""))?;
        netcdf::str_list_attr(
            &data,
            "dims",
            &["time", "variable", node_dim, "mode"].map(String::from),
        )?;
        Ok(Series5 {
            data,
            time,
            step,
            len: 0,
            flushed: 0,
            shape: (nv, nn),
            modes,
            chunk_t,
            time_chunk,
            first_times: vec![],
        })
    }

    /// `/spikes` and, for a network's spikes, the map of its senders.
    fn create_spikes(&self, f: &hdf5::File) -> hdf5::Result<Spikes5> {
        let g = f.create_group("spikes")?;
        let spike = netcdf::dimension_only(&g, "spike", 0, true)?;
        let times = growing_h5::<f64>(&g, "times")?;
        netcdf::str_attr(&times, "units", "ms")?;
        netcdf::str_attr(
            &times,
            "long_name",
            "spike time: during step floor(time/dt_ms), stamped at the step's end",
        )?;
        let senders = growing_h5::<u32>(&g, "senders")?;
        netcdf::str_attr(
            &senders,
            "long_name",
            "sender id in the producer's numbering",
        )?;
        netcdf::attach(&times, &[&spike])?;
        netcdf::attach(&senders, &[&spike])?;
        let map = self
            .graph
            .as_ref()
            .zip(self.ctx.as_ref())
            .and_then(|(gr, c)| gr.spike_map(&c.name));
        if let Some(m) = map {
            write_spike_map(&g, &m)?;
        }
        Ok(Spikes5 {
            spike,
            times,
            senders,
            len: 0,
            flushed: 0,
        })
    }
}

/// The variables as whole modes of a model with modes: names
/// `base[0]`, `base[1]`, ..., `base[N-1]` (N ≥ 2) for every variable in
/// turn, as a model with `modes = N` names them
/// (`brainstream_modeldecl::modes`). Returns the base names and N, or
/// `None` where the variables are not so (a selection of single modes:
/// they are written as they are, mode of length 1).
pub fn mode_groups(variables: &[String]) -> Option<(Vec<String>, usize)> {
    let split = |v: &str| -> Option<(String, usize)> {
        let (base, rest) = v.strip_suffix(']')?.rsplit_once('[')?;
        (!base.is_empty()).then_some(())?;
        Some((base.to_string(), rest.parse().ok()?))
    };
    let parts: Vec<(String, usize)> = variables.iter().map(|v| split(v)).collect::<Option<_>>()?;
    let first = &parts.first()?.0;
    let n = parts.iter().take_while(|(b, _)| b == first).count();
    if n < 2 || !parts.len().is_multiple_of(n) {
        return None;
    }
    let mut bases = vec![];
    for block in parts.chunks(n) {
        let base = &block[0].0;
        if bases.contains(base)
            || block
                .iter()
                .enumerate()
                .any(|(m, (b, k))| b != base || *k != m)
        {
            return None;
        }
        bases.push(base.clone());
    }
    Some((bases, n))
}

fn growing_h5<T: hdf5::H5Type>(g: &hdf5::Group, name: &str) -> hdf5::Result<hdf5::Dataset> {
    g.new_dataset::<T>()
        .chunk(SPIKE_CHUNK)
        .shape(0..)
        .create(name)
}

/// The numbering of a network's neurons, under `/spikes`: one row per
/// population of each region (`population` dimension: region, name, first
/// sender id, size) and, for up to 2^20 neurons, one row per sender
/// (`sender` dimension: region, population and index in its population).
fn write_spike_map(g: &hdf5::Group, m: &provenance::SpikeMap) -> hdf5::Result<()> {
    netcdf::str_attr(g, "producer", &m.producer)?;
    netcdf::str_attr(g, "producer_kind", &m.kind)?;
    netcdf::str_attr(
        g,
        "numbering",
        "senders are numbered region after region, populations in the order of the population table; sender s is neuron s − first_sender[p] of the population p with first_sender[p] ≤ s < first_sender[p] + population_size[p]",
    )?;
    let rows = m.rows();
    let population = netcdf::dimension_only(g, "population", rows.len(), false)?;
    let col = |k: usize| -> Vec<String> {
        rows.iter()
            .map(|r| if k == 0 { r.0.clone() } else { r.1.clone() })
            .collect()
    };
    let region = netcdf::str_dataset(g, "population_region", &col(0))?;
    let name = netcdf::str_dataset(g, "population_name", &col(1))?;
    let first = g
        .new_dataset::<u64>()
        .shape(rows.len())
        .create("first_sender")?;
    first.write(&rows.iter().map(|r| r.2).collect::<Vec<_>>())?;
    let size = g
        .new_dataset::<u64>()
        .shape(rows.len())
        .create("population_size")?;
    size.write(&rows.iter().map(|r| r.3).collect::<Vec<_>>())?;
    netcdf::str_attr(&size, "units", "neurons")?;
    for d in [&region, &name, &first, &size] {
        netcdf::attach(d, &[&population])?;
    }
    let n = m.neurons();
    if n <= MAX_LISTED_SENDERS {
        let sender = g.new_dataset::<u32>().shape(n as usize).create("sender")?;
        sender.write(&(0..n as u32).collect::<Vec<_>>())?;
        netcdf::set_scale(&sender, "sender")?;
        let mut reg = Vec::with_capacity(n as usize);
        let mut pop = Vec::with_capacity(n as usize);
        let mut idx = Vec::with_capacity(n as usize);
        for r in &rows {
            for k in 0..r.3 {
                reg.push(r.0.clone());
                pop.push(r.1.clone());
                idx.push(k as u32);
            }
        }
        let a = netcdf::str_dataset(g, "sender_region", &reg)?;
        let b = netcdf::str_dataset(g, "sender_population", &pop)?;
        let c = g
            .new_dataset::<u32>()
            .shape(n as usize)
            .create("sender_neuron")?;
        c.write(&idx)?;
        netcdf::str_attr(&c, "long_name", "index of the neuron in its population")?;
        for d in [&a, &b, &c] {
            netcdf::attach(d, &[&sender])?;
        }
    }
    Ok(())
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
        if let Some(at) = self.resume.take() {
            return self.reopen(ctx, at);
        }
        let name = self
            .file_name
            .clone()
            .unwrap_or_else(|| format!("{}.h5", ctx.name));
        let path = ctx.out_dir.join(name);
        self.graph = provenance::graph(ctx);
        // the mean field upstream, resolved as it resolves itself
        let source = self.graph.as_ref().and_then(|g| {
            let chain = g.series_chain(&ctx.name);
            let (name, d) = chain.last()?;
            if d.kind != "mean_field" {
                return None;
            }
            let parts = g.mean_field(name, ctx.dt_ms, ctx.total_steps as f64 * ctx.dt_ms)?;
            Some(Source {
                name: name.clone(),
                parts,
            })
        });
        let f = hdf5::File::create(&path)
            .map_err(|e| ActorError::new(format!("cannot create {}: {e}", path.display())))?;
        // the superblock and the attributes, the graph's text among them,
        // and what produced the inputs
        let first = 2 * META_MARGIN
            + 2 * ctx.graph_text.len() as u64
            + source.as_ref().map_or(0, Source::bytes);
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
        let attrs = || -> hdf5::Result<()> {
            netcdf::str_attr(&f, "actor", &ctx.name)?;
            netcdf::str_attr(&f, "graph", &ctx.graph_text)?;
            if let Some(p) = &ctx.graph_path {
                netcdf::str_attr(&f, "graph_file", &p.display().to_string())?;
            }
            netcdf::str_attr(
                &f,
                "version",
                concat!("brainstream ", env!("CARGO_PKG_VERSION")),
            )?;
            netcdf::f64_attr(&f, "dt_ms", ctx.dt_ms)?;
            f.new_attr::<u64>()
                .create("seed")
                .and_then(|a| a.write_scalar(&ctx.graph_seed))?;
            f.new_attr::<bool>()
                .create("complete")
                .and_then(|a| a.write_scalar(&false))?;
            if let Some(s) = &source {
                s.write(&f)?;
            }
            Ok(())
        };
        attrs().map_err(h5err)?;
        self.source = source.map(|s| s.parts);
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
            .clone()
            .ok_or_else(|| ActorError::new("not started"))?;
        if let Some(s) = series {
            let (nv, nn) = (s.data.shape()[1], s.data.shape()[2]);
            if self.series.is_none() {
                self.series = Some(self.create_series(&f, s).map_err(h5err)?);
            }
            if let Some(d) = &mut self.series {
                let k = s.len();
                let new = d.len + k;
                let m = d.modes;
                d.data.resize((new, nv / m, nn, m)).map_err(h5err)?;
                if m == 1 {
                    let view = s.data.view().insert_axis(ndarray::Axis(3));
                    d.data
                        .write_slice(view, (d.len..new, .., .., ..))
                        .map_err(h5err)?;
                } else {
                    // (time, variable·mode, node) -> (time, variable, node, mode)
                    let flat = s.data.as_standard_layout();
                    let by_mode = flat
                        .view()
                        .into_shape_with_order((k, nv / m, m, nn))
                        .map_err(|e| ActorError::new(format!("modes of the series: {e}")))?
                        .permuted_axes([0, 1, 3, 2]);
                    d.data
                        .write_slice(&by_mode.as_standard_layout(), (d.len..new, .., .., ..))
                        .map_err(h5err)?;
                }
                d.time.resize(new).map_err(h5err)?;
                d.time.write_slice(&s.times_ms, d.len..new).map_err(h5err)?;
                d.step.resize(new).map_err(h5err)?;
                d.step.write_slice(&s.stamps, d.len..new).map_err(h5err)?;
                d.len = new;
                if d.first_times.len() < 2 {
                    d.first_times.extend(s.times_ms.iter().take(2));
                    if d.first_times.len() >= 2 {
                        let period = d.first_times[1] - d.first_times[0];
                        netcdf::f64_attr(&d.time, "sample_period_ms", period).map_err(h5err)?;
                    }
                    netcdf::f64_attr(&d.time, "first_sample_ms", d.first_times[0])
                        .map_err(h5err)?;
                }
            }
        }
        if let Some(sp) = spikes {
            if self.spikes.is_none() {
                self.spikes = Some(self.create_spikes(&f).map_err(h5err)?);
            }
            if let Some(d) = &mut self.spikes {
                let k = sp.times_ms.len();
                if k > 0 {
                    let new = d.len + k;
                    d.spike.resize(new).map_err(h5err)?;
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

    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
    }

    fn finish(&mut self, complete: bool) -> Result<Vec<PathBuf>, ActorError> {
        if self.file.is_none() {
            return Ok(vec![]);
        }
        self.set_complete(complete)?;
        self.flush()?;
        self.series = None;
        self.spikes = None;
        self.source = None;
        self.file = None; // closes
                          // the blocks held past the file's end go back to the file system
        if let Some(mut r) = self.reserve.take() {
            r.release();
        }
        Ok(self.path.clone().into_iter().collect())
    }
}

#[cfg(test)]
mod mode_tests {
    use super::mode_groups;

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn whole_modes_are_grouped_and_anything_else_is_not() {
        assert_eq!(
            mode_groups(&v(&["xi[0]", "xi[1]", "xi[2]", "a[0]", "a[1]", "a[2]"])),
            Some((v(&["xi", "a"]), 3))
        );
        // single modes, other orders, plain names, one mode: as they are
        for bad in [
            &["xi[1]"][..],
            &["xi[0]", "xi[1]", "a[0]"],
            &["xi[0]", "xi[2]"],
            &["xi[1]", "xi[0]"],
            &["xi[0]", "xi[1]", "xi[0]", "xi[1]"],
            &["V", "W"],
            &["P_e[0]"],
            &["[0]", "[1]"],
        ] {
            assert_eq!(mode_groups(&v(bad)), None, "{bad:?}");
        }
    }
}
