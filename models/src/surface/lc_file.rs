//! A precomputed local connectivity matrix read from a file, as
//! tvb-library 2.10's `LocalConnectivity.from_file` (and
//! `Cortex.from_file(local_connectivity_file=...)`) reads one: its
//! `FileReader.read_array(matlab_data_name="LocalCoupling")` then
//! `.tocsr()`, which gives a sparse matrix for
//!
//! * a MATLAB level-5 `.mat` holding a sparse `LocalCoupling` (tvb-data's
//!   `local_connectivity_16384.mat`: 16384 × 16384, 98 280 entries, each
//!   vertex averaging its mesh neighbours), compressed or not;
//! * a Matrix Market `.mtx` (`scipy.io.mmread`): `coordinate` format,
//!   `real`/`integer`/`pattern` values, `general`/`symmetric`/
//!   `skew-symmetric` storage (the mirrored half added as scipy adds it),
//!   duplicates summed as `coo.tocsr()` sums them.
//!
//! (tvb-library's other branches, `.npy`/`.txt`, give dense arrays that
//! have no `.tocsr()`: such files are refused here too, with the reason.)
//!
//! The matrix is used as is — no homogenisation, unlike a computed
//! [`super::LocalConnectivity`] — as rows = target vertices:
//! `lc_v = Σ_u (cs·L_vu)·V_u`. It must be `V × V` for the surface's `V`
//! vertices, with finite values; entries keep their stored order per row
//! after sorting by column, explicit zeros included (scipy keeps them).

use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::arrayfile::{read_mat_sparse, SparseCsc};
use crate::datafile::open_regular;
use crate::error::ModelError;

use super::geodesic::SparseRows;

/// `(row, column, value)`, 0-based.
type Triplet = (usize, usize, f64);

/// Most stored entries a local connectivity file may have.
pub const MAX_LC_ENTRIES: usize = 1 << 28;

fn data_err(path: &Path, loc: Option<(usize, usize)>, cause: impl Into<String>) -> ModelError {
    ModelError::DataFile {
        path: path.to_path_buf(),
        loc,
        cause: cause.into(),
    }
}

/// Reads the local connectivity matrix of `path` for a surface of
/// `n_vertices` vertices.
pub fn read_local_connectivity(path: &Path, n_vertices: usize) -> Result<SparseRows, ModelError> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let (rows, cols, triplets) = if name.ends_with(".mat") {
        let m = read_mat_sparse(path, Some("LocalCoupling"), MAX_LC_ENTRIES)?;
        (m.rows, m.cols, csc_triplets(&m))
    } else if name.ends_with(".mtx") {
        read_mtx(path)?
    } else {
        return Err(data_err(
            path,
            None,
            "a local connectivity file is a sparse matrix: a MATLAB .mat holding `LocalCoupling` (tvb-data's local_connectivity_16384.mat) or a Matrix Market .mtx, as tvb-library's LocalConnectivity.from_file reads",
        ));
    };
    if rows != n_vertices || cols != n_vertices {
        return Err(data_err(
            path,
            None,
            format!(
                "local connectivity: a {rows}×{cols} matrix; the surface has {n_vertices} vertices ({n_vertices}×{n_vertices} expected)"
            ),
        ));
    }
    if let Some(&(i, j, v)) = triplets.iter().find(|t| !t.2.is_finite()) {
        return Err(data_err(
            path,
            None,
            format!("local connectivity: entry ({i}, {j}) is {v}, not a finite number"),
        ));
    }
    Ok(to_rows(n_vertices, triplets))
}

/// `(row, col, value)` in stored (column-major) order.
fn csc_triplets(m: &SparseCsc) -> Vec<Triplet> {
    let mut t = Vec::with_capacity(m.nnz());
    for c in 0..m.cols {
        for k in m.col_start[c]..m.col_start[c + 1] {
            t.push((m.row[k], c, m.val[k]));
        }
    }
    t
}

/// Compressed rows, columns ascending (a stable sort: entries of one
/// (row, column) keep their stored order).
fn to_rows(n: usize, mut t: Vec<Triplet>) -> SparseRows {
    t.sort_by_key(|&(i, j, _)| (i, j));
    let mut row_start = Vec::with_capacity(n + 1);
    row_start.push(0);
    let mut k = 0;
    for i in 0..n {
        while k < t.len() && t[k].0 == i {
            k += 1;
        }
        row_start.push(k);
    }
    SparseRows {
        n,
        row_start,
        col: t.iter().map(|&(_, j, _)| j as u32).collect(),
        val: t.iter().map(|&(_, _, v)| v).collect(),
    }
}

/// A Matrix Market coordinate file, as `scipy.io.mmread` reads it then
/// `tocsr()` (duplicates summed in file order): `(rows, cols, triplets)`.
fn read_mtx(path: &Path) -> Result<(usize, usize, Vec<Triplet>), ModelError> {
    let f = BufReader::new(open_regular(path)?);
    let mut lines = f.lines().enumerate();
    let mut next = || -> Result<Option<(usize, String)>, ModelError> {
        match lines.next() {
            None => Ok(None),
            Some((k, Ok(l))) => Ok(Some((k + 1, l))),
            Some((k, Err(e))) => Err(data_err(path, Some((k + 1, 1)), e.to_string())),
        }
    };
    let Some((_, banner)) = next()? else {
        return Err(data_err(path, Some((1, 1)), "empty file: a Matrix Market banner `%%MatrixMarket matrix coordinate real general` is expected"));
    };
    let words: Vec<String> = banner
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if words.len() != 5 || words[0] != "%%matrixmarket" || words[1] != "matrix" {
        return Err(data_err(
            path,
            Some((1, 1)),
            format!("`{banner}`: not a Matrix Market banner (`%%MatrixMarket matrix coordinate real general`)"),
        ));
    }
    if words[2] != "coordinate" {
        return Err(data_err(
            path,
            Some((1, 1)),
            format!("`{}` format: a local connectivity is sparse (`coordinate`); tvb-library cannot make a sparse matrix of a dense `array` either", words[2]),
        ));
    }
    let pattern = match words[3].as_str() {
        "real" | "integer" => false,
        "pattern" => true,
        other => {
            return Err(data_err(
                path,
                Some((1, 1)),
                format!("`{other}` values: real, integer or pattern expected"),
            ))
        }
    };
    let mirror = match words[4].as_str() {
        "general" => None,
        "symmetric" => Some(1.0),
        "skew-symmetric" => Some(-1.0),
        other => {
            return Err(data_err(
                path,
                Some((1, 1)),
                format!("`{other}` storage: general, symmetric or skew-symmetric expected"),
            ))
        }
    };
    // comments, then the size line
    let (line, size) = loop {
        match next()? {
            None => {
                return Err(data_err(
                    path,
                    None,
                    "the file ends before its size line `rows cols entries`",
                ))
            }
            Some((_, l)) if l.trim().is_empty() || l.trim_start().starts_with('%') => continue,
            Some(x) => break x,
        }
    };
    let nums: Vec<usize> = size
        .split_whitespace()
        .map(|w| w.parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            data_err(
                path,
                Some((line, 1)),
                format!("`{size}`: the size line `rows cols entries` (three integers) is expected"),
            )
        })?;
    let [rows, cols, nnz] = nums[..] else {
        return Err(data_err(
            path,
            Some((line, 1)),
            format!("`{size}`: the size line `rows cols entries` (three integers) is expected"),
        ));
    };
    if nnz > MAX_LC_ENTRIES {
        return Err(data_err(
            path,
            Some((line, 1)),
            format!("{nnz} entries, more than the {MAX_LC_ENTRIES} allowed"),
        ));
    }
    let mut t = Vec::with_capacity(nnz.saturating_mul(if mirror.is_some() { 2 } else { 1 }));
    let mut seen = 0;
    while seen < nnz {
        let Some((line, l)) = next()? else {
            return Err(data_err(
                path,
                None,
                format!("the file ends after {seen} of its {nnz} entries"),
            ));
        };
        if l.trim().is_empty() || l.trim_start().starts_with('%') {
            continue;
        }
        let w: Vec<&str> = l.split_whitespace().collect();
        let want = if pattern { 2 } else { 3 };
        if w.len() != want {
            return Err(data_err(
                path,
                Some((line, 1)),
                format!(
                    "`{l}`: {want} fields expected (`row column{}`, 1-based)",
                    if pattern { "" } else { " value" }
                ),
            ));
        }
        let idx = |s: &str, n: usize, what: &str| -> Result<usize, ModelError> {
            match s.parse::<usize>() {
                Ok(i) if (1..=n).contains(&i) => Ok(i - 1),
                _ => Err(data_err(
                    path,
                    Some((line, 1)),
                    format!("{what} `{s}`: an index 1…{n} expected"),
                )),
            }
        };
        let i = idx(w[0], rows, "row")?;
        let j = idx(w[1], cols, "column")?;
        let v = if pattern {
            1.0
        } else {
            w[2].parse::<f64>().map_err(|_| {
                data_err(
                    path,
                    Some((line, 1)),
                    format!("value `{}` is not a number", w[2]),
                )
            })?
        };
        t.push((i, j, v));
        if let Some(sign) = mirror {
            if i != j {
                t.push((j, i, sign * v));
            }
        }
        seen += 1;
    }
    // coo.tocsr() sums duplicates
    t.sort_by_key(|&(i, j, _)| (i, j));
    let mut merged: Vec<Triplet> = Vec::with_capacity(t.len());
    for (i, j, v) in t {
        match merged.last_mut() {
            Some(last) if last.0 == i && last.1 == j => last.2 += v,
            _ => merged.push((i, j, v)),
        }
    }
    Ok((rows, cols, merged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(ext: &str, text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(ext).tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn matrix_market_general_symmetric_and_duplicates() {
        let f = file(
            ".mtx",
            "%%MatrixMarket matrix coordinate real general\n% a comment\n3 3 4\n1 2 0.5\n3 1 2\n1 2 0.25\n2 3 -1e-3\n",
        );
        let m = read_local_connectivity(f.path(), 3).unwrap();
        assert_eq!(m.row_start, vec![0, 1, 2, 3]);
        assert_eq!(m.col, vec![1, 2, 0]);
        assert_eq!(m.val, vec![0.75, -1e-3, 2.0]);
        let f = file(
            ".mtx",
            "%%MatrixMarket matrix coordinate pattern symmetric\n2 2 2\n2 1\n1 1\n",
        );
        let m = read_local_connectivity(f.path(), 2).unwrap();
        assert_eq!(
            (m.row_start, m.col, m.val),
            (vec![0, 2, 3], vec![0, 1, 0], vec![1.0, 1.0, 1.0])
        );
    }

    #[test]
    fn faults_are_located() {
        let cases = [
            (
                "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n",
                ":1:1",
                "`array` format",
            ),
            (
                "%%MatrixMarket matrix coordinate complex general\n",
                ":1:1",
                "`complex` values",
            ),
            (
                "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 0.5\n",
                ":3:1",
                "row `3`: an index 1…2",
            ),
            (
                "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 x\n",
                ":3:1",
                "value `x`",
            ),
            (
                "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n",
                "",
                "after 1 of its 2 entries",
            ),
            (
                "%%MatrixMarket matrix coordinate real general\n2 two 2\n",
                ":2:1",
                "size line",
            ),
            (
                "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2\n",
                ":3:1",
                "3 fields",
            ),
            (
                "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 2 1\n",
                "",
                "a 3×3 matrix; the surface has 2 vertices",
            ),
            (
                "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2 nan\n",
                "",
                "entry (0, 1) is NaN",
            ),
        ];
        for (text, loc, cause) in cases {
            let f = file(".mtx", text);
            let e = read_local_connectivity(f.path(), 2)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(cause) && e.contains(&format!(".mtx{loc}")),
                "{cause}: {e}"
            );
        }
        let f = file(".npy", "x");
        let e = read_local_connectivity(f.path(), 2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a sparse matrix"), "{e}");
    }
}
