//! Sweep output, resumable.
//!
//! - `rows.jsonl`: the durable record, one line per finished combination,
//!   appended and synced as each finishes. Its first line identifies the
//!   sweep (hash of the sweep file, the graph and every combination's
//!   values); a restarted sweep reads it and runs only the combinations not
//!   yet there (a line cut by a crash is ignored and redone).
//! - `sweep.h5`, written when every combination is done, laid out as
//!   netCDF-4 (`xarray.open_dataset(p, engine="h5netcdf")`): `/table`
//!   (`combination × column`, float64) with coordinates `column` (names),
//!   `unit` and `long_name` (per column) and `combination` (its index);
//!   `/columns/NAME` (one dataset per column, with `units` and
//!   `long_name`: `group="columns"` in xarray gives one variable per
//!   column); attributes `column_names`, `sweep_file`, `sweep` (the sweep
//!   file's text), `graph_file`, `graph` (its text), `version`, `hash`,
//!   and per heat map what its cells average over (`heatmaps`).
//! - `series/combination_NNNNNN.npy`: the analysed signal (samples ×
//!   regions, float64) of the combinations listed in `save_series`.
//! - a shard (`--shard K/N`, a Slurm job array's task) logs its rows in
//!   `rows.shard-K-of-N.jsonl` instead, and writes no table: [`merge`]
//!   gathers the shards' logs into the table and heat maps of the whole
//!   sweep, the same bits as one process would write.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use brainstream_actors::hdf5_recorder::netcdf;
use brainstream_models::coupling::COUPLINGS;
use serde_json::{json, Value};

use crate::axes::Target;
use crate::combination::Outcome;
use crate::error::SweepError;
use crate::plan::Plan;

/// What a column of the table holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    /// Its unit (UDUNITS spelling; `1`: dimensionless; empty: not declared).
    pub unit: String,
    /// One line of meaning.
    pub long_name: String,
}

/// The unit and meaning of every column of `plan`'s table, in order.
pub fn column_info(plan: &Plan) -> Vec<ColumnInfo> {
    let info = plan.base.model;
    let var_unit = |name: &str| -> String {
        info.state_variables
            .iter()
            .position(|v| *v == name)
            .and_then(|k| info.units.get(k))
            .map_or(String::new(), |u| u.to_string())
    };
    let param_unit = |defs: &[brainstream_models::params::ParamDef], n: &str| -> String {
        let base = n.split('[').next().unwrap_or(n);
        defs.iter()
            .find(|d| d.name == base)
            .map_or(String::new(), |d| d.unit.to_string())
    };
    let squared = |u: &str| match u {
        "" => String::new(),
        "1" => "1".to_string(),
        u if u.contains(['/', '*', '·', ' ']) => format!("({u})^2"),
        u => format!("{u}^2"),
    };
    let col = |name: &str, unit: String, long_name: String| ColumnInfo {
        name: name.to_string(),
        unit,
        long_name,
    };
    let mut out = vec![];
    for ax in &plan.axes {
        let (unit, what) = match &ax.target {
            Target::Model(n) => (
                param_unit(info.params, n),
                format!("model parameter {n} of {}", info.name),
            ),
            Target::Coupling(n) => (
                COUPLINGS
                    .iter()
                    .find(|c| c.name == plan.coupling.0)
                    .map_or(String::new(), |c| param_unit(c.params, n)),
                format!("coupling parameter {n} of {}", plan.coupling.0),
            ),
            Target::Speed => ("mm/ms".into(), "conduction speed".into()),
            Target::NoiseSeed => ("1".into(), "seed of the noise".into()),
        };
        let regions = if ax.region_names.is_empty() {
            String::new()
        } else {
            format!(" in regions {}", ax.region_names.join(", "))
        };
        out.push(col(&ax.name, unit, format!("swept axis: {what}{regions}")));
    }
    out.push(col(
        "diverged",
        "1".into(),
        "1 when the combination diverged (its analyses are NaN), else 0".into(),
    ));
    let sig = info
        .state_variables
        .get(plan.signal)
        .copied()
        .unwrap_or("signal");
    let su = var_unit(sig);
    for name in plan.columns().into_iter().skip(plan.axes.len() + 1) {
        let (unit, what) = if let Some((r, stat)) = name.rsplit_once('_').filter(|(r, s)| {
            matches!(*s, "mean" | "std" | "max") && plan.analysis.rates.iter().any(|x| x == r)
        }) {
            let what = match stat {
                "mean" => "mean over time and regions",
                "std" => "standard deviation over time and regions",
                _ => "largest value over time and regions",
            };
            (var_unit(r), format!("{r}: {what}, after the transient"))
        } else {
            match name.as_str() {
                "fc_mean" => ("1".into(), format!("mean functional connectivity (Pearson correlation of {sig} between regions, off-diagonal)")),
                "fc_sc_corr" => ("1".into(), "correlation between the functional and the structural connectivity (upper triangles)".into()),
                "fcd_var" => ("1".into(), "variance of the FCD matrix's upper triangle (functional connectivity dynamics)".into()),
                "fcd_mean" => ("1".into(), "mean of the FCD matrix's upper triangle".into()),
                "peak_freq_hz" => ("Hz".into(), format!("frequency of the largest power of {sig} above 0.5 Hz (Welch), averaged over regions")),
                "power_total" => (squared(&su), format!("power of {sig} over every frequency (Welch, integrated)")),
                "up_mean_ms" => ("ms".into(), format!("mean duration of up states of {sig}")),
                "down_mean_ms" => ("ms".into(), format!("mean duration of down states of {sig}")),
                "up_fraction" => ("1".into(), format!("fraction of the time {sig} is in an up state")),
                n if n.starts_with("power_") => (squared(&su), format!("power of {sig} in the {} band (Welch, integrated over the band)", &n[6..])),
                _ => (String::new(), String::new()),
            }
        };
        out.push(col(&name, unit, what));
    }
    out
}

/// One part of a sweep's combinations: those whose index `i` has
/// `i mod count == index` (interleaved, so that every shard gets a like
/// share of every axis and of the costly corner of the grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `K/N` (K from 1 to N).
    pub fn parse(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard `{s}`: give K/N, e.g. 2/8 (the second of eight)"))?;
        let (k, n): (usize, usize) = match (k.trim().parse(), n.trim().parse()) {
            (Ok(k), Ok(n)) => (k, n),
            _ => {
                return Err(format!(
                    "--shard `{s}`: K and N must be whole numbers, e.g. 2/8"
                ))
            }
        };
        if n == 0 || k == 0 || k > n {
            return Err(format!("--shard `{s}`: K must be between 1 and N (N ≥ 1)"));
        }
        Ok(Self {
            index: k - 1,
            count: n,
        })
    }

    /// Whether combination `i` is this shard's.
    pub fn has(&self, i: usize) -> bool {
        i % self.count == self.index
    }

    /// The row log's file name.
    pub fn log_name(&self) -> String {
        format!("rows.shard-{}-of-{}.jsonl", self.index + 1, self.count)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

/// The row log's file name: `rows.jsonl`, or a shard's.
pub fn log_name(shard: Option<Shard>) -> String {
    shard.map_or_else(|| "rows.jsonl".to_string(), |s| s.log_name())
}

/// Appends finished rows to `rows.jsonl`.
#[derive(Debug)]
pub struct RowLog {
    path: PathBuf,
    file: File,
}

fn num(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else if v.is_nan() {
        json!("nan")
    } else if v > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

fn parse_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s == "nan" => Some(f64::NAN),
        Value::String(s) if s == "inf" => Some(f64::INFINITY),
        Value::String(s) if s == "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// The first line of `rows.jsonl`: what identifies `plan`, and where a
/// merge finds it again (the sweep file as given and as an absolute path,
/// the `--set` overrides).
fn header(plan: &Plan, shard: Option<Shard>) -> Value {
    let abs = std::path::absolute(&plan.path).unwrap_or_else(|_| plan.path.clone());
    let mut h = json!({
        "brainstream_sweep": 1,
        "hash": format!("{:016x}", plan.hash),
        "sweep_file": plan.path.display().to_string(),
        "sweep_file_absolute": abs.display().to_string(),
        "set": plan.overrides,
        "combinations": plan.points.len(),
        "columns": plan.columns(),
    });
    if let Some(s) = shard {
        h["shard"] = json!([s.index + 1, s.count]);
    }
    h
}

/// Reads `path` (a `rows.jsonl`): its first line, checked to be `plan`'s
/// header, and the other lines.
fn read_rows(path: &Path, plan: &Plan) -> Result<(String, Vec<String>), SweepError> {
    let f = File::open(path).map_err(|e| SweepError::output(path, e))?;
    let mut lines = BufReader::new(f).lines();
    let first = lines
        .next()
        .transpose()
        .map_err(|e| SweepError::output(path, e))?
        .unwrap_or_default();
    let h: Value = serde_json::from_str(&first).map_err(|e| {
        SweepError::output(path, format!("line 1 is not a sweep header ({e}); remove the folder, choose another --out, or give --force to start afresh"))
    })?;
    let ours = header(plan, None);
    if h["hash"] != ours["hash"] || h["columns"] != ours["columns"] {
        return Err(SweepError::output(
            path,
            format!(
                "holds the rows of another sweep ({}); a changed sweep file, graph or --set starts afresh: choose another --out, or give --force to start afresh there",
                h["sweep_file"].as_str().unwrap_or("?")
            ),
        ));
    }
    let all: Vec<String> = lines
        .collect::<Result<_, _>>()
        .map_err(|e| SweepError::output(path, e))?;
    Ok((first, all))
}

/// One line of `rows.jsonl` as (combination, row), if it is one of `plan`'s.
fn parse_row(line: &str, plan: &Plan, columns: usize) -> Option<(usize, Vec<f64>)> {
    serde_json::from_str::<Value>(line).ok().and_then(|v| {
        let i = v["index"].as_u64()? as usize;
        let row = v["row"]
            .as_array()?
            .iter()
            .map(parse_num)
            .collect::<Option<Vec<f64>>>()?;
        (i < plan.points.len() && row.len() == columns).then_some((i, row))
    })
}

/// How many of `plan`'s combinations `out/rows.jsonl` holds, read without
/// changing anything: None where there is no `rows.jsonl`; an error where
/// it is another sweep's.
pub fn rows_done(out: &Path, plan: &Plan) -> Result<Option<usize>, SweepError> {
    rows_done_in(out, plan, None)
}

/// [`rows_done`] of a shard's log (`None`: `rows.jsonl`).
pub fn rows_done_in(
    out: &Path,
    plan: &Plan,
    shard: Option<Shard>,
) -> Result<Option<usize>, SweepError> {
    let path = out.join(log_name(shard));
    if !path.exists() {
        return Ok(None);
    }
    let (_, all) = read_rows(&path, plan)?;
    let columns = plan.columns().len();
    let done: std::collections::BTreeSet<usize> = all
        .iter()
        .filter_map(|l| parse_row(l, plan, columns).map(|(i, _)| i))
        .collect();
    Ok(Some(done.len()))
}

/// Whether `out/rows.jsonl` (or a shard's log) is a sweep's (whichever),
/// and that sweep's file.
pub fn sweep_in(out: &Path) -> Option<String> {
    let log = std::iter::once(out.join("rows.jsonl"))
        .chain(row_logs(out))
        .find(|p| p.exists())?;
    let f = File::open(log).ok()?;
    let mut first = String::new();
    BufReader::new(f).read_line(&mut first).ok()?;
    let h: Value = serde_json::from_str(&first).ok()?;
    h.get("brainstream_sweep")?;
    Some(h["sweep_file"].as_str().unwrap_or("?").to_string())
}

impl RowLog {
    /// Opens `out/rows.jsonl`, creating it with its header, or reads the rows
    /// already there (same sweep only).
    pub fn open(out: &Path, plan: &Plan) -> Result<(Self, BTreeMap<usize, Vec<f64>>), SweepError> {
        Self::open_shard(out, plan, None)
    }

    /// [`RowLog::open`] of a shard's log.
    pub fn open_shard(
        out: &Path,
        plan: &Plan,
        shard: Option<Shard>,
    ) -> Result<(Self, BTreeMap<usize, Vec<f64>>), SweepError> {
        std::fs::create_dir_all(out)
            .map_err(|e| SweepError::output(out, format!("cannot create: {e}")))?;
        let path = out.join(log_name(shard));
        let columns = plan.columns();
        let header = header(plan, shard);
        let mut done = BTreeMap::new();
        if path.exists() {
            let (first, all) = read_rows(&path, plan)?;
            let last = all.len();
            for (k, line) in all.iter().enumerate() {
                let parsed = parse_row(line, plan, columns.len());
                match parsed {
                    Some((i, row)) => {
                        done.entry(i).or_insert(row);
                    }
                    // a last line cut short by a crash is redone
                    None if k + 1 == last => {
                        tracing::warn!(line = k + 2, "ignoring an incomplete last row")
                    }
                    None => {
                        return Err(SweepError::output(
                            &path,
                            format!("line {} is not a row of this sweep", k + 2),
                        ))
                    }
                }
            }
            // drop a torn last line so that appends start on a fresh line
            let good: String = all
                .iter()
                .take(if done.len() < all.len() && last > 0 {
                    last - 1
                } else {
                    last
                })
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(&path, format!("{first}\n{good}"))
                .map_err(|e| SweepError::output(&path, e))?;
        } else {
            std::fs::write(&path, format!("{header}\n"))
                .map_err(|e| SweepError::output(&path, e))?;
        }
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| SweepError::output(&path, e))?;
        Ok((Self { path, file }, done))
    }

    /// Appends one finished combination and syncs it to disk.
    pub fn append(&mut self, o: &Outcome) -> Result<(), SweepError> {
        let line = json!({
            "index": o.index,
            "row": o.row.iter().map(|v| num(*v)).collect::<Vec<_>>(),
            "diverged": o.diverged,
        });
        writeln!(self.file, "{line}")
            .and_then(|_| self.file.sync_data())
            .map_err(|e| SweepError::output(&self.path, e))
    }
}

/// Writes one saved signal as `.npy` (float64, samples × regions).
pub fn write_series(
    out: &Path,
    index: usize,
    data: &[f64],
    regions: usize,
) -> Result<PathBuf, SweepError> {
    let dir = out.join("series");
    std::fs::create_dir_all(&dir).map_err(|e| SweepError::output(&dir, e))?;
    let path = dir.join(format!("combination_{index:06}.npy"));
    let rows = data.len() / regions.max(1);
    let mut header =
        format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {regions}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + data.len() * 8);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(&path, bytes).map_err(|e| SweepError::output(&path, e))?;
    Ok(path)
}

/// Writes `sweep.h5` from every row; `heatmaps` says, per heat map drawn,
/// what its cells average over.
pub fn write_table(
    out: &Path,
    plan: &Plan,
    rows: &BTreeMap<usize, Vec<f64>>,
    heatmaps: &[String],
) -> Result<PathBuf, SweepError> {
    let path = out.join("sweep.h5");
    let e = |e: hdf5::Error| SweepError::output(&path, format!("HDF5: {e}"));
    let info = column_info(plan);
    let columns: Vec<String> = info.iter().map(|c| c.name.clone()).collect();
    let n = plan.points.len();
    let mut flat = Vec::with_capacity(n * columns.len());
    for i in 0..n {
        match rows.get(&i) {
            Some(r) => flat.extend_from_slice(r),
            None => {
                return Err(SweepError::output(
                    &path,
                    format!("combination {i} has no row"),
                ))
            }
        }
    }
    let tmp = out.join("sweep.h5.part");
    let write = || -> hdf5::Result<()> {
        let f = hdf5::File::create(&tmp)?;
        let combination = f.new_dataset::<u64>().shape(n).create("combination")?;
        combination.write(&(0..n as u64).collect::<Vec<_>>())?;
        netcdf::set_scale(&combination, "combination")?;
        netcdf::str_attr(
            &combination,
            "long_name",
            "index of the combination (rows.jsonl's `index`)",
        )?;
        let column = netcdf::str_coordinate(&f, "column", &columns)?;
        let units: Vec<String> = info.iter().map(|c| c.unit.clone()).collect();
        let long: Vec<String> = info.iter().map(|c| c.long_name.clone()).collect();
        let unit = netcdf::str_dataset(&f, "unit", &units)?;
        let long_name = netcdf::str_dataset(&f, "long_name", &long)?;
        netcdf::attach(&unit, &[&column])?;
        netcdf::attach(&long_name, &[&column])?;
        let table = netcdf::f64_dataset(&f, "table", &[n, columns.len()], &flat, "")?;
        netcdf::attach(&table, &[&combination, &column])?;
        netcdf::str_attr(&table, "coordinates", "unit long_name")?;
        let g = f.create_group("columns")?;
        for (c, ci) in info.iter().enumerate() {
            let col: Vec<f64> = (0..n).map(|i| flat[i * columns.len() + c]).collect();
            let d = netcdf::f64_dataset(&g, &ci.name, &[n], &col, &ci.unit)?;
            netcdf::str_attr(&d, "long_name", &ci.long_name)?;
            netcdf::attach(&d, &[&combination])?;
        }
        netcdf::str_list_attr(&f, "column_names", &columns)?;
        netcdf::str_attr(&f, "sweep_file", &plan.path.display().to_string())?;
        netcdf::str_attr(&f, "sweep", &plan.text)?;
        netcdf::str_attr(&f, "graph_file", &plan.graph_path.display().to_string())?;
        netcdf::str_attr(&f, "graph", &plan.graph_text)?;
        netcdf::str_attr(
            &f,
            "version",
            concat!("brainstream ", env!("CARGO_PKG_VERSION")),
        )?;
        netcdf::str_list_attr(&f, "heatmaps", heatmaps)?;
        f.new_attr::<u64>()
            .create("hash")
            .and_then(|a| a.write_scalar(&plan.hash))?;
        Ok(())
    };
    write().map_err(e)?;
    std::fs::rename(&tmp, &path).map_err(|er| SweepError::output(&path, er))?;
    Ok(path)
}

/// The shards' row logs in `dir` (`rows.shard-K-of-N.jsonl`), sorted.
pub fn row_logs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("rows.shard-") && n.ends_with(".jsonl"))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// What a row log's first line says about its sweep.
#[derive(Debug, Clone)]
pub struct LogHeader {
    pub path: PathBuf,
    pub hash: String,
    /// The sweep file as given, and as an absolute path.
    pub sweep_file: PathBuf,
    pub sweep_file_absolute: Option<PathBuf>,
    pub set: Vec<String>,
    pub shard: Option<Shard>,
}

/// Reads the first line of a row log.
pub fn read_header(path: &Path) -> Result<LogHeader, SweepError> {
    let f = File::open(path).map_err(|e| SweepError::output(path, e))?;
    let mut first = String::new();
    BufReader::new(f.take(1 << 20))
        .read_line(&mut first)
        .map_err(|e| SweepError::output(path, e))?;
    let h: Value = serde_json::from_str(&first)
        .map_err(|e| SweepError::output(path, format!("line 1 is not a sweep header ({e})")))?;
    if h.get("brainstream_sweep").is_none() {
        return Err(SweepError::output(path, "line 1 is not a sweep header"));
    }
    let shard = h["shard"].as_array().and_then(|a| {
        let k = a.first()?.as_u64()? as usize;
        let n = a.get(1)?.as_u64()? as usize;
        (k >= 1 && k <= n).then_some(Shard {
            index: k - 1,
            count: n,
        })
    });
    Ok(LogHeader {
        path: path.to_path_buf(),
        hash: h["hash"].as_str().unwrap_or_default().to_string(),
        sweep_file: PathBuf::from(h["sweep_file"].as_str().unwrap_or_default()),
        sweep_file_absolute: h["sweep_file_absolute"].as_str().map(PathBuf::from),
        set: h["set"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        shard,
    })
}

/// Every row of `plan` in the logs `paths` (each checked to be `plan`'s):
/// a combination found twice must have the same row; a torn last line is
/// skipped (its combination counts as not done).
pub fn gather(paths: &[PathBuf], plan: &Plan) -> Result<BTreeMap<usize, Vec<f64>>, SweepError> {
    let columns = plan.columns().len();
    let mut rows: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for path in paths {
        let (_, all) = read_rows(path, plan)?;
        let last = all.len();
        for (k, line) in all.iter().enumerate() {
            match parse_row(line, plan, columns) {
                Some((i, row)) => match rows.get(&i) {
                    Some(r) if r.iter().map(|x| x.to_bits()).ne(row.iter().map(|x| x.to_bits())) => {
                        return Err(SweepError::output(
                            path,
                            format!("line {}: combination {i} has another row than in an earlier log: the logs are not of one run of this sweep", k + 2),
                        ))
                    }
                    Some(_) => {}
                    None => {
                        rows.insert(i, row);
                    }
                },
                None if k + 1 == last => {}
                None => {
                    return Err(SweepError::output(
                        path,
                        format!("line {} is not a row of this sweep", k + 2),
                    ))
                }
            }
        }
    }
    Ok(rows)
}

/// Writes `out/rows.jsonl` holding `rows` (a merge's: every combination,
/// in order), replacing any there.
pub fn write_merged_log(
    out: &Path,
    plan: &Plan,
    rows: &BTreeMap<usize, Vec<f64>>,
) -> Result<PathBuf, SweepError> {
    let path = out.join("rows.jsonl");
    let tmp = out.join("rows.jsonl.part");
    let mut text = format!("{}\n", header(plan, None));
    for (i, row) in rows {
        let line = json!({
            "index": i,
            "row": row.iter().map(|v| num(*v)).collect::<Vec<_>>(),
        });
        text.push_str(&format!("{line}\n"));
    }
    std::fs::write(&tmp, text).map_err(|e| SweepError::output(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| SweepError::output(&path, e))?;
    Ok(path)
}
