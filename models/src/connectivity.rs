//! Structural connectivity: weights, tract lengths, region labels and centres,
//! and the integer delays derived from them.
//!
//! Row `i` of `weights` and `tract_lengths` is the **receiving** region, as in
//! TVB: the coupling into region `i` sums `w[i][j] * x_j(t - d[i][j])`.
//!
//! Delays in integration steps follow tvb-library 2.10 exactly:
//! `d[i][j] = rint(tract_length[i][j] / speed / dt)` (`speed` in mm/ms,
//! lengths in mm, `dt` in ms; `rint` rounds half to even).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::ModelError;

/// A region-level connectome.
#[derive(Debug, Clone, PartialEq)]
pub struct Connectivity {
    /// Number of regions `N`.
    pub n: usize,
    /// Row-major `N×N` weights (unitless), row = target.
    pub weights: Vec<f64>,
    /// Row-major `N×N` tract lengths in mm.
    pub tract_lengths: Vec<f64>,
    /// Region labels (`N`).
    pub labels: Vec<String>,
    /// Region centres in mm (`N×3`), if known.
    pub centres: Option<Vec<[f64; 3]>>,
    /// Where it came from, for messages and file attributes.
    pub source: String,
}

const TVB76_WEIGHTS: &str = include_str!("../data/tvb76_weights.csv");
const TVB76_LENGTHS: &str = include_str!("../data/tvb76_tract_lengths.csv");
const TVB76_CENTRES: &str = include_str!("../data/tvb76_centres.csv");

/// Names accepted for the embedded connectome.
pub const BUILTIN_TVB76: &str = "builtin:tvb76";

impl Connectivity {
    /// TVB's default 76-region connectome (`connectivity_76.zip` of tvb-data
    /// 3.0.0), embedded in the binary.
    pub fn tvb76() -> Self {
        let p = Path::new(BUILTIN_TVB76);
        // The embedded files are checked by a unit test; parsing cannot fail.
        let weights = parse_matrix(p, "weights", TVB76_WEIGHTS).expect("embedded weights");
        let lengths = parse_matrix(p, "tract_lengths", TVB76_LENGTHS).expect("embedded lengths");
        let (labels, centres) = parse_centres(p, TVB76_CENTRES).expect("embedded centres");
        Self::from_parts(weights, lengths, Some(labels), Some(centres), BUILTIN_TVB76)
            .expect("embedded connectome is valid")
    }

    /// Loads `builtin:tvb76`, a TVB zip (`weights.txt`, `tract_lengths.txt`,
    /// `centres.txt`, …), an HDF5 file (datasets `weights`, `tract_lengths`,
    /// optional `centres`, `region_labels`) or a directory holding
    /// `weights.{txt,csv}`, `tract_lengths.{txt,csv}` and optionally
    /// `centres.{txt,csv}`.
    pub fn load(spec: &str, base_dir: &Path) -> Result<Self, ModelError> {
        if spec == BUILTIN_TVB76 || spec == "tvb76" {
            return Ok(Self::tvb76());
        }
        let path = base_dir.join(spec);
        let err = |cause: String| ModelError::Connectivity {
            path: path.clone(),
            cause,
        };
        if !path.exists() {
            return Err(err(format!(
                "no such file or directory (resolved relative to {}); use `{BUILTIN_TVB76}` for the embedded TVB 76-region connectome",
                base_dir.display()
            )));
        }
        if path.is_dir() {
            return Self::from_dir(&path);
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "zip" => Self::from_tvb_zip(&path),
            "h5" | "hdf5" => Self::from_h5(&path),
            _ => Err(err(format!(
                "unknown connectivity format `.{ext}`: give a TVB .zip, an .h5 file, a directory of CSV/TXT files, or `{BUILTIN_TVB76}`"
            ))),
        }
    }

    /// Builds and validates a connectome from its parts.
    pub fn from_parts(
        weights: Matrix,
        tract_lengths: Matrix,
        labels: Option<Vec<String>>,
        centres: Option<Vec<[f64; 3]>>,
        source: &str,
    ) -> Result<Self, ModelError> {
        let err = |cause: String| ModelError::Connectivity {
            path: PathBuf::from(source),
            cause,
        };
        let n = weights.rows;
        if n == 0 {
            return Err(err("weights matrix is empty".into()));
        }
        if weights.cols != n {
            return Err(err(format!(
                "weights must be square, got {}×{}",
                weights.rows, weights.cols
            )));
        }
        if tract_lengths.rows != n || tract_lengths.cols != n {
            return Err(err(format!(
                "tract_lengths are {}×{} but weights are {n}×{n}",
                tract_lengths.rows, tract_lengths.cols
            )));
        }
        for (name, m) in [("weights", &weights), ("tract_lengths", &tract_lengths)] {
            if let Some(k) = m.data.iter().position(|v| !v.is_finite() || *v < 0.0) {
                return Err(err(format!(
                    "{name}[{}][{}] = {} (must be finite and ≥ 0)",
                    k / n,
                    k % n,
                    m.data[k]
                )));
            }
        }
        let labels = match labels {
            Some(l) if l.len() != n => {
                return Err(err(format!("{} region labels for {n} regions", l.len())))
            }
            Some(l) => l,
            None => (0..n).map(|i| format!("region{i}")).collect(),
        };
        if let Some(c) = &centres {
            if c.len() != n {
                return Err(err(format!("{} centres for {n} regions", c.len())));
            }
        }
        Ok(Self {
            n,
            weights: weights.data,
            tract_lengths: tract_lengths.data,
            labels,
            centres,
            source: source.to_string(),
        })
    }

    fn from_dir(dir: &Path) -> Result<Self, ModelError> {
        let find = |stem: &str| -> Option<PathBuf> {
            ["txt", "csv"]
                .iter()
                .map(|e| dir.join(format!("{stem}.{e}")))
                .find(|p| p.exists())
        };
        let read = |stem: &str| -> Result<Option<(PathBuf, String)>, ModelError> {
            match find(stem) {
                None => Ok(None),
                Some(p) => std::fs::read_to_string(&p)
                    .map(|s| Some((p.clone(), s)))
                    .map_err(|e| ModelError::Connectivity {
                        path: p,
                        cause: e.to_string(),
                    }),
            }
        };
        let missing = |stem: &str| ModelError::Connectivity {
            path: dir.to_path_buf(),
            cause: format!("directory has no {stem}.txt or {stem}.csv"),
        };
        let (wp, ws) = read("weights")?.ok_or_else(|| missing("weights"))?;
        let (lp, ls) = read("tract_lengths")?.ok_or_else(|| missing("tract_lengths"))?;
        let w = parse_matrix(&wp, "weights", &ws)?;
        let l = parse_matrix(&lp, "tract_lengths", &ls)?;
        let (labels, centres) = match read("centres")? {
            Some((cp, cs)) => {
                let (l, c) = parse_centres(&cp, &cs)?;
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Self::from_parts(w, l, labels, centres, &dir.display().to_string())
    }

    fn from_tvb_zip(path: &Path) -> Result<Self, ModelError> {
        let err = |cause: String| ModelError::Connectivity {
            path: path.to_path_buf(),
            cause,
        };
        let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
        let mut zip =
            zip::ZipArchive::new(file).map_err(|e| err(format!("not a zip file: {e}")))?;
        let mut get = |stem: &str| -> Result<Option<String>, ModelError> {
            let names: Vec<String> = zip.file_names().map(|s| s.to_string()).collect();
            let Some(name) = names.iter().find(|n| {
                let base = n.rsplit('/').next().unwrap_or(n);
                [".txt", ".csv", ".txt.bz2"]
                    .iter()
                    .any(|ext| base == format!("{stem}{ext}"))
            }) else {
                return Ok(None);
            };
            const LIMIT: u64 = 512 * 1024 * 1024;
            let f = zip.by_name(name).map_err(|e| err(format!("{name}: {e}")))?;
            if f.size() > LIMIT {
                return Err(err(format!("{name} is larger than 512 MiB")));
            }
            let mut s = String::new();
            // tvb-data's older zips (connectivity_68) hold bzip2-compressed
            // members, as tvb-library reads them; the decompressed size is
            // capped too.
            let read = if name.ends_with(".bz2") {
                bzip2::read::BzDecoder::new(f)
                    .take(LIMIT + 1)
                    .read_to_string(&mut s)
            } else {
                f.take(LIMIT + 1).read_to_string(&mut s)
            };
            read.map_err(|e| err(format!("{name}: {e}")))?;
            if s.len() as u64 > LIMIT {
                return Err(err(format!("{name} is larger than 512 MiB")));
            }
            Ok(Some(s))
        };
        let ws = get("weights")?.ok_or_else(|| err("zip holds no weights.txt".into()))?;
        let ls =
            get("tract_lengths")?.ok_or_else(|| err("zip holds no tract_lengths.txt".into()))?;
        let cs = get("centres")?;
        let inner = |n: &str| path.join(n);
        let w = parse_matrix(&inner("weights.txt"), "weights", &ws)?;
        let l = parse_matrix(&inner("tract_lengths.txt"), "tract_lengths", &ls)?;
        let (labels, centres) = match cs {
            Some(cs) => {
                let (l, c) = parse_centres(&inner("centres.txt"), &cs)?;
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Self::from_parts(w, l, labels, centres, &path.display().to_string())
    }

    fn from_h5(path: &Path) -> Result<Self, ModelError> {
        let err = |cause: String| ModelError::Connectivity {
            path: path.to_path_buf(),
            cause,
        };
        let f = hdf5::File::open(path).map_err(|e| err(format!("cannot open as HDF5: {e}")))?;
        let mat = |name: &str| -> Result<Matrix, ModelError> {
            let ds = f
                .dataset(name)
                .map_err(|_| err(format!("no dataset `{name}`")))?;
            let shape = ds.shape();
            if shape.len() != 2 {
                return Err(err(format!("`{name}` has shape {shape:?}, expected 2-D")));
            }
            let data: Vec<f64> = ds.read_raw().map_err(|e| err(format!("`{name}`: {e}")))?;
            Ok(Matrix {
                rows: shape[0],
                cols: shape[1],
                data,
            })
        };
        let w = mat("weights")?;
        let l = mat("tract_lengths")?;
        let centres = match f.dataset("centres") {
            Ok(_) => {
                let c = mat("centres")?;
                if c.cols != 3 {
                    return Err(err(format!(
                        "`centres` is {}×{}, expected N×3",
                        c.rows, c.cols
                    )));
                }
                Some(c.data.chunks(3).map(|r| [r[0], r[1], r[2]]).collect())
            }
            Err(_) => None,
        };
        let labels = match f.dataset("region_labels") {
            Ok(ds) => {
                // TVB writes labels as numpy bytes (fixed-length ASCII);
                // h5py's str lists are variable-length UTF-8.
                if let Ok(v) = ds.read_raw::<hdf5::types::VarLenUnicode>() {
                    Some(v.iter().map(|s| s.as_str().to_string()).collect())
                } else if let Ok(v) = ds.read_raw::<hdf5::types::VarLenAscii>() {
                    Some(v.iter().map(|s| s.as_str().to_string()).collect())
                } else if let Ok(v) = ds.read_raw::<hdf5::types::FixedAscii<256>>() {
                    Some(v.iter().map(|s| s.as_str().to_string()).collect())
                } else if let Ok(v) = ds.read_raw::<hdf5::types::FixedUnicode<1024>>() {
                    Some(v.iter().map(|s| s.as_str().to_string()).collect())
                } else {
                    return Err(err(
                        "`region_labels` is not a variable-length string dataset".into(),
                    ));
                }
            }
            Err(_) => None,
        };
        Self::from_parts(w, l, labels, centres, &path.display().to_string())
    }

    /// Integer delays in steps, `rint(L / speed / dt)`, row-major `N×N`.
    pub fn delays_steps(&self, speed_mm_per_ms: f64, dt_ms: f64) -> Result<Vec<usize>, ModelError> {
        if !(speed_mm_per_ms.is_finite() && speed_mm_per_ms > 0.0) {
            return Err(ModelError::Config(format!(
                "conduction speed must be finite and > 0 mm/ms, got {speed_mm_per_ms}"
            )));
        }
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(ModelError::Config(format!(
                "dt must be > 0 ms, got {dt_ms}"
            )));
        }
        self.tract_lengths
            .iter()
            .map(|&l| {
                // TVB: numpy.rint(tract_lengths / speed / dt), round half to even.
                let d = (l / speed_mm_per_ms / dt_ms).round_ties_even();
                if d > 1e8 {
                    Err(ModelError::Config(format!(
                        "a delay of {d} steps (tract length {l} mm) is too long for a history buffer"
                    )))
                } else {
                    Ok(d as usize)
                }
            })
            .collect()
    }
}

/// A dense row-major matrix read from a text file.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

/// Parses a whitespace- or comma-separated numeric matrix. Blank lines and
/// lines starting with `#` are skipped.
pub fn parse_matrix(path: &Path, what: &str, text: &str) -> Result<Matrix, ModelError> {
    let err = |cause: String| ModelError::Connectivity {
        path: path.to_path_buf(),
        cause,
    };
    let mut data = Vec::new();
    let mut rows = 0;
    let mut cols = None;
    for (ln, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut n = 0;
        for (cn, tok) in t
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .enumerate()
        {
            let v: f64 = tok.parse().map_err(|_| {
                err(format!(
                    "{what}: line {}, column {}: `{tok}` is not a number",
                    ln + 1,
                    cn + 1
                ))
            })?;
            data.push(v);
            n += 1;
        }
        match cols {
            None => cols = Some(n),
            Some(c) if c != n => {
                return Err(err(format!(
                    "{what}: line {} has {n} values, earlier lines have {c}",
                    ln + 1
                )))
            }
            _ => {}
        }
        rows += 1;
    }
    Ok(Matrix {
        rows,
        cols: cols.unwrap_or(0),
        data,
    })
}

/// Parses TVB's `centres.txt` (`label x y z` per line) or the CSV form
/// `label,x,y,z` with an optional header.
pub fn parse_centres(path: &Path, text: &str) -> Result<(Vec<String>, Vec<[f64; 3]>), ModelError> {
    let mut labels = Vec::new();
    let mut centres = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let toks: Vec<&str> = t
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        if ln == 0 && toks.first().map(|s| s.eq_ignore_ascii_case("label")) == Some(true) {
            continue;
        }
        let bad = || ModelError::Connectivity {
            path: path.to_path_buf(),
            cause: format!(
                "centres: line {}: expected `label x y z`, got `{t}`",
                ln + 1
            ),
        };
        if toks.len() != 4 {
            return Err(bad());
        }
        let xyz: Result<Vec<f64>, _> = toks[1..].iter().map(|s| s.parse::<f64>()).collect();
        let xyz = xyz.map_err(|_| bad())?;
        labels.push(toks[0].to_string());
        centres.push([xyz[0], xyz[1], xyz[2]]);
    }
    Ok((labels, centres))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tvb76_matches_tvb_delays() {
        let c = Connectivity::tvb76();
        assert_eq!(c.n, 76);
        assert_eq!(c.weights.iter().filter(|w| **w != 0.0).count(), 1560);
        let d = c.delays_steps(3.0, 0.1).unwrap();
        assert_eq!(*d.iter().max().unwrap(), 512);
        assert_eq!(c.labels[0], "rA1");
    }

    #[test]
    fn refuses_bad_matrices() {
        let p = Path::new("x.csv");
        let w = parse_matrix(p, "weights", "1,2\n3,4\n").unwrap();
        let l3 = parse_matrix(p, "tract_lengths", "1,2,3\n3,4,5\n").unwrap();
        let e = Connectivity::from_parts(w.clone(), l3, None, None, "x").unwrap_err();
        assert!(e.to_string().contains("tract_lengths are 2×3"), "{e}");
        let bad = parse_matrix(p, "weights", "1,nan\n3,4\n").unwrap();
        let e = Connectivity::from_parts(bad, w.clone(), None, None, "x").unwrap_err();
        assert!(e.to_string().contains("weights[0][1] = NaN"), "{e}");
        let neg = parse_matrix(p, "tract_lengths", "1,-2\n3,4\n").unwrap();
        let e = Connectivity::from_parts(w.clone(), neg, None, None, "x").unwrap_err();
        assert!(e.to_string().contains("tract_lengths[0][1] = -2"), "{e}");
        let e = parse_matrix(p, "weights", "1,2\n3,x\n").unwrap_err();
        assert!(e.to_string().contains("line 2, column 2"), "{e}");
        let e = parse_matrix(p, "weights", "1,2\n3\n").unwrap_err();
        assert!(e.to_string().contains("line 2 has 1 values"), "{e}");
        let c = Connectivity::from_parts(w.clone(), w, None, None, "x").unwrap();
        assert!(c.delays_steps(0.0, 0.1).is_err());
    }

    #[test]
    fn rint_rounds_half_to_even() {
        let w = Matrix {
            rows: 2,
            cols: 2,
            data: vec![1.0; 4],
        };
        let l = Matrix {
            rows: 2,
            cols: 2,
            data: vec![2.5, 3.5, 0.5, 1.49],
        };
        let c = Connectivity::from_parts(w, l, None, None, "x").unwrap();
        // numpy.rint: 2.5 -> 2, 3.5 -> 4, 0.5 -> 0
        assert_eq!(c.delays_steps(1.0, 1.0).unwrap(), vec![2, 4, 0, 1]);
    }
}
