//! Sweep output, resumable.
//!
//! - `rows.jsonl`: the durable record, one line per finished combination,
//!   appended and synced as each finishes. Its first line identifies the
//!   sweep (hash of the sweep file, the graph and every combination's
//!   values); a restarted sweep reads it and runs only the combinations not
//!   yet there (a line cut by a crash is ignored and redone).
//! - `sweep.h5`, written when every combination is done: `/table`
//!   (combinations × columns, float64), `/columns/NAME` (one dataset per
//!   column), attributes `column_names`, `sweep_file`, `hash`.
//! - `series/combination_NNNNNN.npy`: the analysed signal (samples ×
//!   regions, float64) of the combinations listed in `save_series`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use serde_json::{json, Value};

use crate::combination::Outcome;
use crate::error::SweepError;
use crate::plan::Plan;

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

impl RowLog {
    /// Opens `out/rows.jsonl`, creating it with its header, or reads the rows
    /// already there (same sweep only).
    pub fn open(out: &Path, plan: &Plan) -> Result<(Self, BTreeMap<usize, Vec<f64>>), SweepError> {
        std::fs::create_dir_all(out)
            .map_err(|e| SweepError::output(out, format!("cannot create: {e}")))?;
        let path = out.join("rows.jsonl");
        let columns = plan.columns();
        let header = json!({
            "brainstream_sweep": 1,
            "hash": format!("{:016x}", plan.hash),
            "sweep_file": plan.path.display().to_string(),
            "combinations": plan.points.len(),
            "columns": columns,
        });
        let mut done = BTreeMap::new();
        if path.exists() {
            let f = File::open(&path).map_err(|e| SweepError::output(&path, e))?;
            let mut lines = BufReader::new(f).lines();
            let first = lines
                .next()
                .transpose()
                .map_err(|e| SweepError::output(&path, e))?
                .unwrap_or_default();
            let h: Value = serde_json::from_str(&first).map_err(|e| {
                SweepError::output(&path, format!("line 1 is not a sweep header ({e}); remove the folder or choose another --out"))
            })?;
            if h["hash"] != header["hash"] || h["columns"] != header["columns"] {
                return Err(SweepError::output(
                    &path,
                    format!(
                        "holds the rows of another sweep ({}); a changed sweep file or graph starts afresh: remove the folder or choose another --out",
                        h["sweep_file"].as_str().unwrap_or("?")
                    ),
                ));
            }
            let all: Vec<String> = lines
                .collect::<Result<_, _>>()
                .map_err(|e| SweepError::output(&path, e))?;
            let last = all.len();
            for (k, line) in all.iter().enumerate() {
                let parsed: Option<(usize, Vec<f64>)> =
                    serde_json::from_str::<Value>(line).ok().and_then(|v| {
                        let i = v["index"].as_u64()? as usize;
                        let row = v["row"]
                            .as_array()?
                            .iter()
                            .map(parse_num)
                            .collect::<Option<Vec<f64>>>()?;
                        (i < plan.points.len() && row.len() == columns.len()).then_some((i, row))
                    });
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

/// Writes `sweep.h5` from every row.
pub fn write_table(
    out: &Path,
    plan: &Plan,
    rows: &BTreeMap<usize, Vec<f64>>,
) -> Result<PathBuf, SweepError> {
    let path = out.join("sweep.h5");
    let e = |e: hdf5::Error| SweepError::output(&path, format!("HDF5: {e}"));
    let columns = plan.columns();
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
    {
        let f = hdf5::File::create(&tmp).map_err(e)?;
        f.new_dataset::<f64>()
            .shape((n, columns.len()))
            .create("table")
            .and_then(|d| d.write_raw(&flat))
            .map_err(e)?;
        let g = f.create_group("columns").map_err(e)?;
        for (c, name) in columns.iter().enumerate() {
            let col: Vec<f64> = (0..n).map(|i| flat[i * columns.len() + c]).collect();
            g.new_dataset::<f64>()
                .shape(n)
                .create(name.as_str())
                .and_then(|d| d.write_raw(&col))
                .map_err(e)?;
        }
        let names: Vec<VarLenUnicode> = columns
            .iter()
            .map(|c| c.parse().unwrap_or_default())
            .collect();
        f.new_attr::<VarLenUnicode>()
            .shape(names.len())
            .create("column_names")
            .and_then(|a| a.write(&names))
            .map_err(e)?;
        let sf: VarLenUnicode = plan.path.display().to_string().parse().unwrap_or_default();
        f.new_attr::<VarLenUnicode>()
            .create("sweep_file")
            .and_then(|a| a.write_scalar(&sf))
            .map_err(e)?;
        f.new_attr::<u64>()
            .create("hash")
            .and_then(|a| a.write_scalar(&plan.hash))
            .map_err(e)?;
    }
    std::fs::rename(&tmp, &path).map_err(|er| SweepError::output(&path, er))?;
    Ok(path)
}
