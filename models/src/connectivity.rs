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

use crate::connectome_cache;
use crate::datafile::{open_regular, read_centres, read_matrix};
pub use crate::datafile::{parse_centres, parse_matrix, Matrix, Shape, MAX_REGIONS};
use crate::error::ModelError;

/// The most a TVB zip may declare for one member, bytes (what is inflated
/// is capped further by the matrix's size: reading stops at the first row
/// too many).
pub const MAX_ZIP_MEMBER_BYTES: u64 = 512 * 1024 * 1024;

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

/// Connectomes already read from files by this process. A run reads its
/// connectome several times (the graph's validation, the mean field, each
/// recorder's provenance); a 998-region zip takes about 0.1 s to inflate
/// and parse, so it is parsed once. An entry is used only for the same path
/// and the same bytes (the file is read and compared each time: a few
/// milliseconds, and never stale); the last few files are kept.
mod cache {
    use super::Connectivity;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    /// Files kept.
    const ENTRIES: usize = 4;
    /// Larger files are not kept (they are read each time).
    const MAX_BYTES: u64 = 256 * 1024 * 1024;

    pub struct Key {
        path: PathBuf,
        bytes: Vec<u8>,
    }

    impl Key {
        /// The key of a regular file of at most [`MAX_BYTES`] (none for
        /// anything else: then it is always parsed).
        pub fn of(path: &Path) -> Option<Key> {
            let m = std::fs::metadata(path).ok()?;
            if !m.is_file() || m.len() > MAX_BYTES {
                return None;
            }
            Some(Key {
                path: path.to_path_buf(),
                bytes: std::fs::read(path).ok()?,
            })
        }

        /// The file's bytes, as read for the key.
        pub fn bytes(&self) -> &[u8] {
            &self.bytes
        }
    }

    type Entries = Vec<(Key, Arc<Connectivity>)>;

    fn entries() -> std::sync::MutexGuard<'static, Entries> {
        static CACHE: Mutex<Entries> = Mutex::new(Vec::new());
        CACHE.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(key: &Key) -> Option<Connectivity> {
        let c = entries()
            .iter()
            .find(|(k, _)| k.path == key.path && k.bytes == key.bytes)
            .map(|(_, c)| c.clone())?;
        Some((*c).clone())
    }

    pub fn put(key: Key, c: &Connectivity) {
        let mut e = entries();
        e.retain(|(k, _)| k.path != key.path);
        if e.len() >= ENTRIES {
            e.remove(0);
        }
        e.push((key, Arc::new(c.clone())));
    }
}

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
    /// `centres.{txt,csv}`. At most [`MAX_REGIONS`] regions; text is read
    /// with the limits of [`crate::datafile`] (weights square, the other
    /// matrices of their size), HDF5 datasets' shapes are checked before
    /// they are read. A zip of at least 1 MiB is parsed once per machine:
    /// its values are kept in [`crate::connectome_cache`], keyed by the
    /// SHA-256 of its bytes.
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
        let key = cache::Key::of(&path);
        if let Some(c) = key.as_ref().and_then(cache::get) {
            return Ok(c);
        }
        // a large text zip: its parsed values from the cache on disk
        let disk_key = match (&key, ext.as_str()) {
            (Some(k), "zip") if k.bytes().len() >= connectome_cache::MIN_BYTES => {
                Some(connectome_cache::hash(k.bytes()))
            }
            _ => None,
        };
        if let Some(c) = disk_key
            .as_ref()
            .and_then(|h| connectome_cache::get(h, &path.display().to_string()))
        {
            if let Some(k) = key {
                cache::put(k, &c);
            }
            return Ok(c);
        }
        let c = match ext.as_str() {
            "zip" => Self::from_tvb_zip(&path),
            "h5" | "hdf5" => Self::from_h5(&path),
            _ => Err(err(format!(
                "unknown connectivity format `.{ext}`: give a TVB .zip, an .h5 file, a directory of CSV/TXT files, or `{BUILTIN_TVB76}`"
            ))),
        }?;
        if let Some(h) = disk_key {
            connectome_cache::put(&h, &c);
        }
        if let Some(k) = key {
            cache::put(k, &c);
        }
        Ok(c)
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
        if n > MAX_REGIONS {
            return Err(err(format!(
                "{n} regions; at most {MAX_REGIONS} are supported"
            )));
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
        let missing = |stem: &str| ModelError::Connectivity {
            path: dir.to_path_buf(),
            cause: format!("directory has no {stem}.txt or {stem}.csv"),
        };
        let wp = find("weights").ok_or_else(|| missing("weights"))?;
        let lp = find("tract_lengths").ok_or_else(|| missing("tract_lengths"))?;
        let w = read_matrix(open_regular(&wp)?, &wp, "weights", Shape::Square)?;
        let l = read_matrix(
            open_regular(&lp)?,
            &lp,
            "tract_lengths",
            Shape::Exact(w.rows, w.rows),
        )?;
        let (labels, centres) = match find("centres") {
            Some(cp) => {
                let (l, c) = read_centres(open_regular(&cp)?, &cp)?;
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
        let file = open_regular(path)?;
        let mut zip =
            zip::ZipArchive::new(file).map_err(|e| err(format!("not a zip file: {e}")))?;
        let names: Vec<String> = zip.file_names().map(|s| s.to_string()).collect();
        let find = |stem: &str| -> Option<String> {
            names
                .iter()
                .find(|n| {
                    let base = n.rsplit('/').next().unwrap_or(n);
                    [".txt", ".csv", ".txt.bz2"]
                        .iter()
                        .any(|ext| base == format!("{stem}{ext}"))
                })
                .cloned()
        };
        let inner = |n: &str| path.join(n);
        let wn = find("weights").ok_or_else(|| err("zip holds no weights.txt".into()))?;
        let w = read_matrix(
            zip_member(&mut zip, path, &wn)?,
            &inner(&wn),
            "weights",
            Shape::Square,
        )?;
        let ln =
            find("tract_lengths").ok_or_else(|| err("zip holds no tract_lengths.txt".into()))?;
        let l = read_matrix(
            zip_member(&mut zip, path, &ln)?,
            &inner(&ln),
            "tract_lengths",
            Shape::Exact(w.rows, w.rows),
        )?;
        let (labels, centres) = match find("centres") {
            Some(cn) => {
                let (l, c) = read_centres(zip_member(&mut zip, path, &cn)?, &inner(&cn))?;
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
        open_regular(path)?;
        let f = hdf5::File::open(path).map_err(|e| err(format!("cannot open as HDF5: {e}")))?;
        // shapes are checked before anything is read: a dataset may
        // declare (and compress) far more than the machine holds
        let mat = |name: &str, cols: Option<usize>| -> Result<Matrix, ModelError> {
            let ds = f
                .dataset(name)
                .map_err(|_| err(format!("no dataset `{name}`")))?;
            let shape = ds.shape();
            if shape.len() != 2 {
                return Err(err(format!("`{name}` has shape {shape:?}, expected 2-D")));
            }
            let want = cols.unwrap_or(shape[0]);
            if shape[0] > MAX_REGIONS || shape[1] != want {
                return Err(err(format!(
                    "`{name}` is {}×{}; expected N×{} with N ≤ {MAX_REGIONS}",
                    shape[0],
                    shape[1],
                    cols.map_or("N".to_string(), |c| c.to_string())
                )));
            }
            let data: Vec<f64> = ds.read_raw().map_err(|e| err(format!("`{name}`: {e}")))?;
            Ok(Matrix {
                rows: shape[0],
                cols: shape[1],
                data,
            })
        };
        let w = mat("weights", None)?;
        let l = mat("tract_lengths", None)?;
        let centres = match f.dataset("centres") {
            Ok(_) => {
                let c = mat("centres", Some(3))?;
                Some(c.data.chunks(3).map(|r| [r[0], r[1], r[2]]).collect())
            }
            Err(_) => None,
        };
        let labels = match f.dataset("region_labels") {
            Ok(ds) => {
                if ds.size() > MAX_REGIONS {
                    return Err(err(format!(
                        "`region_labels` holds {} labels; at most {MAX_REGIONS}",
                        ds.size()
                    )));
                }
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
                if d.is_nan() || d > 1e8 {
                    Err(ModelError::Config(format!(
                        "a delay of {d:.4e} steps (tract length {l} mm at {speed_mm_per_ms} mm/ms, dt {dt_ms} ms) is too long for a history buffer (at most 1e8 steps)"
                    )))
                } else {
                    Ok(d as usize)
                }
            })
            .collect()
    }
}

/// A member of a zip, inflated as it is read (tvb-data's older zips, such
/// as connectivity_68, hold bzip2-compressed members, as tvb-library reads
/// them); what a reader takes is capped by the matrix's size.
fn zip_member<'z>(
    zip: &'z mut zip::ZipArchive<std::fs::File>,
    path: &Path,
    name: &str,
) -> Result<Box<dyn Read + 'z>, ModelError> {
    let err = |cause: String| ModelError::Connectivity {
        path: path.to_path_buf(),
        cause,
    };
    let f = zip.by_name(name).map_err(|e| err(format!("{name}: {e}")))?;
    if f.size() > MAX_ZIP_MEMBER_BYTES {
        return Err(err(format!(
            "{name} declares {} bytes; at most {MAX_ZIP_MEMBER_BYTES} are read",
            f.size()
        )));
    }
    Ok(if name.ends_with(".bz2") {
        Box::new(bzip2::read::BzDecoder::new(f))
    } else {
        Box::new(f)
    })
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
        let bad = Matrix {
            rows: 2,
            cols: 2,
            data: vec![1.0, f64::NAN, 3.0, 4.0],
        };
        let e = Connectivity::from_parts(bad, w.clone(), None, None, "x").unwrap_err();
        assert!(e.to_string().contains("weights[0][1] = NaN"), "{e}");
        let neg = parse_matrix(p, "tract_lengths", "1,-2\n3,4\n").unwrap();
        let e = Connectivity::from_parts(w.clone(), neg, None, None, "x").unwrap_err();
        assert!(e.to_string().contains("tract_lengths[0][1] = -2"), "{e}");
        let e = parse_matrix(p, "weights", "1,2\n3,x\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("x.csv:2:3: weights: expected a number"),
            "{e}"
        );
        let e = parse_matrix(p, "weights", "1,2\n3\n").unwrap_err();
        assert!(e.to_string().contains("line 2 has 1 values"), "{e}");
        let c = Connectivity::from_parts(w.clone(), w, None, None, "x").unwrap();
        assert!(c.delays_steps(0.0, 0.1).is_err());
    }

    #[test]
    fn a_rewritten_file_is_read_again() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let zip_of = |w: &str| {
            let mut z =
                zip::ZipWriter::new(std::fs::File::create(dir.path().join("c.zip")).unwrap());
            let o = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            z.start_file("weights.txt", o).unwrap();
            z.write_all(w.as_bytes()).unwrap();
            z.start_file("tract_lengths.txt", o).unwrap();
            z.write_all(b"0 1\n1 0\n").unwrap();
            z.finish().unwrap();
        };
        zip_of("0 1\n2 0\n");
        let a = Connectivity::load("c.zip", dir.path()).unwrap();
        assert_eq!(a.weights, [0.0, 1.0, 2.0, 0.0]);
        // the same size, within the same clock tick: the bytes decide
        zip_of("0 3\n4 0\n");
        let b = Connectivity::load("c.zip", dir.path()).unwrap();
        assert_eq!(b.weights, [0.0, 3.0, 4.0, 0.0]);
        assert_eq!(Connectivity::load("c.zip", dir.path()).unwrap(), b);
        // a bad file is refused each time, not remembered
        zip_of("0 x\n4 0\n");
        assert!(Connectivity::load("c.zip", dir.path()).is_err());
        assert!(Connectivity::load("c.zip", dir.path()).is_err());
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
