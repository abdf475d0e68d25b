//! Binary array files as tvb-data ships them: numpy's `.npy` (format
//! versions 1–3, `float64`/`float32`/integer, C or Fortran order) and
//! MATLAB's level-5 `.mat` (a numeric matrix, compressed or not), read into
//! a row-major [`Matrix`] of `f64`, or a `.mat` sparse matrix (as
//! tvb-data's local connectivity) into compressed columns ([`SparseCsc`]).
//!
//! Both readers are bounded: the declared shape is checked against
//! `max_values` before anything is allocated or inflated, and a file that
//! ends early, declares a type we cannot read or holds no numeric matrix
//! gets an error naming the file and the cause.

use std::io::Read;
use std::path::Path;

use crate::datafile::{open_regular, Matrix};
use crate::error::ModelError;

fn err(path: &Path, cause: impl Into<String>) -> ModelError {
    ModelError::DataFile {
        path: path.to_path_buf(),
        loc: None,
        cause: cause.into(),
    }
}

/// Reads a 1-D or 2-D `.npy` file (a 1-D array is one row), at most
/// `max_values` values.
pub fn read_npy(path: &Path, max_values: usize) -> Result<Matrix, ModelError> {
    npy_from(open_regular(path)?, path, max_values)
}

/// [`read_npy`] of bytes held in memory (`path` names them in errors).
pub fn parse_npy(bytes: &[u8], path: &Path, max_values: usize) -> Result<Matrix, ModelError> {
    npy_from(bytes, path, max_values)
}

fn npy_from(mut f: impl Read, path: &Path, max_values: usize) -> Result<Matrix, ModelError> {
    let mut magic = [0u8; 8];
    f.read_exact(&mut magic)
        .map_err(|_| err(path, "not a .npy file (shorter than its header)"))?;
    if &magic[..6] != b"\x93NUMPY" {
        return Err(err(path, "not a .npy file (no \\x93NUMPY magic)"));
    }
    let hlen = match magic[6] {
        1 => {
            let mut b = [0u8; 2];
            f.read_exact(&mut b)
                .map_err(|_| err(path, ".npy header ends early"))?;
            u16::from_le_bytes(b) as usize
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            f.read_exact(&mut b)
                .map_err(|_| err(path, ".npy header ends early"))?;
            u32::from_le_bytes(b) as usize
        }
        v => return Err(err(path, format!(".npy format version {v} is not known"))),
    };
    if hlen > 1 << 16 {
        return Err(err(
            path,
            format!(".npy header of {hlen} bytes is too long"),
        ));
    }
    let mut header = vec![0u8; hlen];
    f.read_exact(&mut header)
        .map_err(|_| err(path, ".npy header ends early"))?;
    let header = std::str::from_utf8(&header).map_err(|_| err(path, ".npy header is not text"))?;
    let descr = dict_str(header, "descr").ok_or_else(|| err(path, ".npy header has no 'descr'"))?;
    let fortran = match dict_raw(header, "fortran_order").map(str::trim) {
        Some(v) if v.starts_with("True") => true,
        Some(v) if v.starts_with("False") => false,
        _ => return Err(err(path, ".npy header has no 'fortran_order'")),
    };
    let shape =
        npy_shape(header).ok_or_else(|| err(path, ".npy header has no readable 'shape'"))?;
    let (rows, cols) = match shape[..] {
        [] => (1, 1),
        [n] => (1, n),
        [r, c] => (r, c),
        _ => {
            return Err(err(
                path,
                format!(
                    "a {}-dimensional array; a matrix (2-D) is expected",
                    shape.len()
                ),
            ))
        }
    };
    let count = rows
        .checked_mul(cols)
        .filter(|&n| n <= max_values)
        .ok_or_else(|| {
            err(
                path,
                format!("{rows}×{cols} values is more than the {max_values} allowed here"),
            )
        })?;
    let elem = Elem::from_numpy(descr).ok_or_else(|| {
        err(
            path,
            format!("array type `{descr}` is not numeric (float or integer)"),
        )
    })?;
    let mut raw = vec![0u8; count * elem.size()];
    f.read_exact(&mut raw).map_err(|_| {
        err(
            path,
            format!("the file ends before the {rows}×{cols} values its header declares"),
        )
    })?;
    let values = elem.decode(&raw);
    Ok(to_row_major(rows, cols, values, fortran))
}

/// An array of a `.mat` file: dense (row-major) or sparse.
#[derive(Debug, Clone, PartialEq)]
pub enum MatArray {
    Dense(Matrix),
    Sparse(SparseCsc),
}

/// A sparse matrix as MATLAB stores it (`mxSPARSE_CLASS`): compressed
/// columns, the entries of column `c` at `col_start[c]..col_start[c + 1]`
/// with their row indices `row` (0-based) and values `val`, explicit zeros
/// kept as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseCsc {
    pub rows: usize,
    pub cols: usize,
    pub col_start: Vec<usize>,
    pub row: Vec<usize>,
    pub val: Vec<f64>,
}

impl SparseCsc {
    pub fn nnz(&self) -> usize {
        self.val.len()
    }
}

/// Reads the numeric matrix `name` (or, when `name` is `None` or absent,
/// the only numeric matrix) of a MATLAB level-5 `.mat` file, at most
/// `max_values` values. tvb-data's `projection_eeg_62_surface_16k.mat`
/// holds one compressed `ProjectionMatrix`. Sparse matrices are not read
/// here ([`read_mat_sparse`]).
pub fn read_mat(path: &Path, name: Option<&str>, max_values: usize) -> Result<Matrix, ModelError> {
    let found: Vec<(String, Matrix)> = read_mat_arrays(path, max_values)?
        .into_iter()
        .filter_map(|(n, a)| match a {
            MatArray::Dense(m) => Some((n, m)),
            MatArray::Sparse(_) => None,
        })
        .collect();
    pick(path, found, name, "numeric matrix")
}

/// Reads the sparse matrix `name` (or, when `name` is `None` or absent,
/// the only sparse matrix) of a MATLAB level-5 `.mat` file, at most
/// `max_nnz` stored entries, as scipy's `loadmat` reads it. tvb-data's
/// `local_connectivity_16384.mat` holds one compressed sparse
/// `LocalCoupling` (16384 × 16384, 98 280 entries).
pub fn read_mat_sparse(
    path: &Path,
    name: Option<&str>,
    max_nnz: usize,
) -> Result<SparseCsc, ModelError> {
    let found: Vec<(String, SparseCsc)> = read_mat_arrays(path, max_nnz)?
        .into_iter()
        .filter_map(|(n, a)| match a {
            MatArray::Sparse(m) => Some((n, m)),
            MatArray::Dense(_) => None,
        })
        .collect();
    pick(path, found, name, "sparse matrix")
}

fn pick<T>(
    path: &Path,
    mut found: Vec<(String, T)>,
    name: Option<&str>,
    what: &str,
) -> Result<T, ModelError> {
    if let Some(n) = name {
        if let Some(k) = found.iter().position(|(nm, _)| nm == n) {
            return Ok(found.swap_remove(k).1);
        }
    }
    match found.len() {
        1 => Ok(found.pop().map(|(_, m)| m).expect("one element")),
        0 => Err(err(path, format!("holds no {what}"))),
        _ => Err(err(
            path,
            format!(
                "holds {} {what}s ({}){}: name the one to read",
                found.len(),
                found
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                name.map(|n| format!(", none named `{n}`"))
                    .unwrap_or_default()
            ),
        )),
    }
}

/// Every real numeric array (dense 2-D or sparse) of a level-5 `.mat`
/// file, with its name; each at most `max_values` values (stored entries
/// for a sparse one).
pub fn read_mat_arrays(
    path: &Path,
    max_values: usize,
) -> Result<Vec<(String, MatArray)>, ModelError> {
    let mut f = open_regular(path)?;
    let mut head = [0u8; 128];
    f.read_exact(&mut head).map_err(|_| {
        err(
            path,
            "not a MATLAB .mat file (shorter than its 128-byte header)",
        )
    })?;
    if head.starts_with(b"\x89HDF") || &head[126..128] == b"IM" && head[124..126] == [0, 2] {
        return Err(err(
            path,
            "a MATLAB v7.3 (HDF5) file: save it with -v7 or as .npy",
        ));
    }
    let big = match &head[126..128] {
        b"IM" => false,
        b"MI" => true,
        _ => return Err(err(path, "not a MATLAB level-5 .mat file (no MI/IM mark)")),
    };
    let mut found = Vec::new();
    let mut budget = 1u64 << 34; // 16 GiB of declared elements at most
    while let Some((ty, bytes)) = read_tag(&mut f, big, path)? {
        budget = budget.saturating_sub(bytes as u64);
        if budget == 0 {
            return Err(err(
                path,
                "more data elements than a .mat file can hold here",
            ));
        }
        match ty {
            MI_COMPRESSED => {
                let z = flate2::read::ZlibDecoder::new((&mut f).take(bytes as u64));
                let mut z = z;
                if let Some((ity, ibytes)) = read_tag(&mut z, big, path)? {
                    if ity == MI_MATRIX {
                        if let Some(m) = read_matrix_element(&mut z, ibytes, big, path, max_values)?
                        {
                            found.push(m);
                        }
                    }
                }
                // the rest of the element (if any) is not needed
                std::io::copy(&mut z, &mut std::io::sink())
                    .map_err(|e| err(path, format!("compressed element: {e}")))?;
            }
            MI_MATRIX => {
                let mut sub = (&mut f).take(bytes as u64);
                if let Some(m) = read_matrix_element(&mut sub, bytes, big, path, max_values)? {
                    found.push(m);
                }
                std::io::copy(&mut sub, &mut std::io::sink())
                    .map_err(|e| err(path, format!("matrix element: {e}")))?;
                skip(&mut f, pad8(bytes) - bytes, path)?;
            }
            _ => skip(&mut f, pad8(bytes), path)?,
        }
    }
    Ok(found)
}

const MI_INT8: u32 = 1;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const MX_SPARSE: u32 = 5;

fn pad8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

fn u32_of(b: [u8; 4], big: bool) -> u32 {
    if big {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// Reads a data element's tag: (type, bytes). `None` at a clean end of file.
/// A small data element (type and size in the first 4 bytes) is returned
/// with its 4 data bytes still unread: the caller reads them as the data.
fn read_tag(r: &mut impl Read, big: bool, path: &Path) -> Result<Option<(u32, usize)>, ModelError> {
    let mut b = [0u8; 8];
    let mut got = 0;
    while got < 8 {
        let n = r
            .read(&mut b[got..])
            .map_err(|e| err(path, format!("reading an element: {e}")))?;
        if n == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err(err(path, "the file ends inside an element's tag"))
            };
        }
        got += n;
    }
    let first = u32_of([b[0], b[1], b[2], b[3]], big);
    if first >> 16 != 0 {
        // small data element format: the 4 data bytes follow in the tag
        return Err(err(
            path,
            "a small data element where a full one is expected",
        ));
    }
    let bytes = u32_of([b[4], b[5], b[6], b[7]], big) as usize;
    Ok(Some((first, bytes)))
}

fn skip(r: &mut impl Read, n: usize, path: &Path) -> Result<(), ModelError> {
    let got = std::io::copy(&mut r.take(n as u64), &mut std::io::sink())
        .map_err(|e| err(path, format!("{e}")))?;
    if got as usize != n {
        return Err(err(path, "the file ends inside an element"));
    }
    Ok(())
}

/// One sub-element of a matrix, small or full: (type, data bytes).
fn read_sub(
    r: &mut impl Read,
    big: bool,
    path: &Path,
    max: usize,
) -> Result<(u32, Vec<u8>), ModelError> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)
        .map_err(|_| err(path, "a matrix element ends early"))?;
    let first = u32_of([b[0], b[1], b[2], b[3]], big);
    if first >> 16 != 0 {
        let (ty, n) = (first & 0xffff, (first >> 16) as usize);
        if n > 4 {
            return Err(err(path, "a small data element longer than 4 bytes"));
        }
        return Ok((ty, b[4..4 + n].to_vec()));
    }
    let n = u32_of([b[4], b[5], b[6], b[7]], big) as usize;
    if n > max {
        return Err(err(
            path,
            format!("an element of {n} bytes is more than allowed here"),
        ));
    }
    let mut data = vec![0u8; pad8(n)];
    r.read_exact(&mut data)
        .map_err(|_| err(path, "a matrix element ends early"))?;
    data.truncate(n);
    Ok((first, data))
}

/// Reads an `miMATRIX` element's content: its name and, for a real numeric
/// 2-D array or a real sparse matrix, its values. Other classes (cells,
/// structs, complex, text) are skipped (`None`).
fn read_matrix_element(
    r: &mut impl Read,
    bytes: usize,
    big: bool,
    path: &Path,
    max_values: usize,
) -> Result<Option<(String, MatArray)>, ModelError> {
    if bytes == 0 {
        return Ok(None);
    }
    let (ty, flags) = read_sub(r, big, path, 64)?;
    if ty != MI_UINT32 || flags.len() < 8 {
        return Err(err(path, "a matrix element without its array flags"));
    }
    let f0 = u32_of([flags[0], flags[1], flags[2], flags[3]], big);
    let class = f0 & 0xff;
    let complex = f0 & 0x800 != 0;
    let (ty, dims) = read_sub(r, big, path, 256)?;
    if ty != MI_INT32 {
        return Err(err(path, "a matrix element without its dimensions"));
    }
    let dims: Vec<usize> = dims
        .chunks_exact(4)
        .map(|c| u32_of([c[0], c[1], c[2], c[3]], big) as usize)
        .collect();
    let (ty, name) = read_sub(r, big, path, 256)?;
    if ty != MI_INT8 && !name.is_empty() {
        return Err(err(path, "a matrix element without its name"));
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    if class == MX_SPARSE && !complex && dims.len() == 2 {
        let nzmax = u32_of([flags[4], flags[5], flags[6], flags[7]], big) as usize;
        return read_sparse(r, big, path, max_values, name, dims[0], dims[1], nzmax).map(Some);
    }
    // mxDOUBLE_CLASS 6 … mxUINT64_CLASS 15 are numeric
    if !(6..=15).contains(&class) || complex || dims.len() != 2 {
        return Ok(None);
    }
    let (rows, cols) = (dims[0], dims[1]);
    let count = rows
        .checked_mul(cols)
        .filter(|&n| n <= max_values)
        .ok_or_else(|| {
            err(
                path,
                format!(
                    "`{name}` is {rows}×{cols}, more than the {max_values} values allowed here"
                ),
            )
        })?;
    let (ty, raw) = read_sub(r, big, path, count.saturating_mul(8))?;
    let elem = Elem::from_mat(ty, big)
        .ok_or_else(|| err(path, format!("`{name}`: data type {ty} is not known")))?;
    if raw.len() != count * elem.size() {
        return Err(err(
            path,
            format!(
                "`{name}`: {} bytes of data for {rows}×{cols} values",
                raw.len()
            ),
        ));
    }
    // MATLAB stores columns first
    Ok(Some((
        name,
        MatArray::Dense(to_row_major(rows, cols, elem.decode(&raw), true)),
    )))
}

/// The rest of a sparse matrix element after its name: the row indices
/// `ir` (`nzmax` of them), the column starts `jc` (`cols + 1`) and the
/// values `pr` (at least `jc[cols]`, in any numeric type MATLAB chose).
#[allow(clippy::too_many_arguments)]
fn read_sparse(
    r: &mut impl Read,
    big: bool,
    path: &Path,
    max_values: usize,
    name: String,
    rows: usize,
    cols: usize,
    nzmax: usize,
) -> Result<(String, MatArray), ModelError> {
    let bad = |cause: String| {
        err(
            path,
            format!("sparse matrix `{name}` ({rows}×{cols}): {cause}"),
        )
    };
    if nzmax > max_values {
        return Err(bad(format!(
            "{nzmax} stored entries, more than the {max_values} allowed here"
        )));
    }
    let index = |ty: u32, raw: &[u8], what: &str| -> Result<Vec<f64>, ModelError> {
        let e = Elem::from_mat(ty, big)
            .filter(|e| e.kind != b'f')
            .ok_or_else(|| {
                bad(format!(
                    "its {what} have data type {ty}, not an integer type"
                ))
            })?;
        Ok(e.decode(raw))
    };
    let (ty, raw) = read_sub(r, big, path, nzmax.saturating_mul(8).max(8))?;
    let ir = index(ty, &raw, "row indices")?;
    let (ty, raw) = read_sub(r, big, path, (cols + 1).saturating_mul(8))?;
    let jc = index(ty, &raw, "column starts")?;
    if jc.len() != cols + 1 {
        return Err(bad(format!(
            "{} column starts for {cols} columns (cols + 1 expected)",
            jc.len()
        )));
    }
    let col_start: Vec<usize> = jc.iter().map(|&x| x.max(0.0) as usize).collect();
    let nnz = col_start[cols];
    if jc[0] != 0.0 || col_start.windows(2).any(|w| w[1] < w[0]) || nnz > ir.len() {
        return Err(bad(format!(
            "its column starts are not increasing from 0 to at most its {} row indices",
            ir.len()
        )));
    }
    let (ty, raw) = read_sub(r, big, path, nnz.saturating_mul(8).max(8))?;
    let elem = Elem::from_mat(ty, big).ok_or_else(|| {
        bad(format!(
            "its values have data type {ty}, not a numeric type"
        ))
    })?;
    let mut val = elem.decode(&raw);
    if val.len() < nnz {
        return Err(bad(format!("{} values for {nnz} entries", val.len())));
    }
    val.truncate(nnz);
    let mut row = Vec::with_capacity(nnz);
    for (k, &i) in ir[..nnz].iter().enumerate() {
        if !(i >= 0.0 && (i as usize) < rows) {
            let c = col_start.partition_point(|&s| s <= k) - 1;
            return Err(bad(format!(
                "entry {k} (column {c}) has row index {i}, outside 0…{}",
                rows.saturating_sub(1)
            )));
        }
        row.push(i as usize);
    }
    Ok((
        name,
        MatArray::Sparse(SparseCsc {
            rows,
            cols,
            col_start,
            row,
            val,
        }),
    ))
}

fn to_row_major(rows: usize, cols: usize, values: Vec<f64>, fortran: bool) -> Matrix {
    let data = if fortran && rows > 1 && cols > 1 {
        let mut d = vec![0.0; rows * cols];
        for c in 0..cols {
            for r in 0..rows {
                d[r * cols + c] = values[c * rows + r];
            }
        }
        d
    } else {
        values
    };
    Matrix { rows, cols, data }
}

/// An element type: size in bytes, float or signed/unsigned integer, byte order.
#[derive(Clone, Copy)]
struct Elem {
    size: usize,
    kind: u8, // b'f', b'i', b'u'
    big: bool,
}

impl Elem {
    fn size(&self) -> usize {
        self.size
    }

    fn from_numpy(descr: &str) -> Option<Self> {
        let b = descr.as_bytes();
        if b.len() < 3 {
            return None;
        }
        let big = match b[0] {
            b'<' | b'=' => false,
            b'>' => true,
            b'|' => false,
            _ => return None,
        };
        let kind = b[1];
        let size: usize = descr[2..].parse().ok()?;
        let ok = matches!((kind, size), (b'f', 4 | 8) | (b'i' | b'u', 1 | 2 | 4 | 8));
        ok.then_some(Self { size, kind, big })
    }

    fn from_mat(ty: u32, big: bool) -> Option<Self> {
        let (size, kind) = match ty {
            1 => (1, b'i'),
            2 => (1, b'u'),
            3 => (2, b'i'),
            4 => (2, b'u'),
            5 => (4, b'i'),
            6 => (4, b'u'),
            7 => (4, b'f'),
            9 => (8, b'f'),
            12 => (8, b'i'),
            13 => (8, b'u'),
            _ => return None,
        };
        Some(Self { size, kind, big })
    }

    fn decode(&self, raw: &[u8]) -> Vec<f64> {
        raw.chunks_exact(self.size)
            .map(|c| {
                let mut b = [0u8; 8];
                if self.big {
                    b[..self.size].copy_from_slice(c);
                    b[..self.size].reverse();
                } else {
                    b[..self.size].copy_from_slice(c);
                }
                let le = &b[..self.size];
                match (self.kind, self.size) {
                    (b'f', 8) => f64::from_le_bytes(b),
                    (b'f', 4) => f32::from_le_bytes([le[0], le[1], le[2], le[3]]) as f64,
                    (b'i', 1) => le[0] as i8 as f64,
                    (b'u', 1) => le[0] as f64,
                    (b'i', 2) => i16::from_le_bytes([le[0], le[1]]) as f64,
                    (b'u', 2) => u16::from_le_bytes([le[0], le[1]]) as f64,
                    (b'i', 4) => i32::from_le_bytes([le[0], le[1], le[2], le[3]]) as f64,
                    (b'u', 4) => u32::from_le_bytes([le[0], le[1], le[2], le[3]]) as f64,
                    (b'i', 8) => i64::from_le_bytes(b) as f64,
                    _ => u64::from_le_bytes(b) as f64,
                }
            })
            .collect()
    }
}

/// The raw text after `'key':` in a numpy header dict.
fn dict_raw<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("'{key}':");
    let at = header.find(&pat)? + pat.len();
    Some(&header[at..])
}

/// A quoted string value of a numpy header dict.
fn dict_str<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let v = dict_raw(header, key)?.trim_start();
    let q = v.chars().next()?;
    if q != '\'' && q != '"' {
        return None;
    }
    let end = v[1..].find(q)?;
    Some(&v[1..1 + end])
}

fn npy_shape(header: &str) -> Option<Vec<usize>> {
    let v = dict_raw(header, "shape")?.trim_start();
    let v = v.strip_prefix('(')?;
    let end = v.find(')')?;
    v[..end]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn npy(descr: &str, fortran: bool, shape: &str, payload: &[u8]) -> Vec<u8> {
        let mut h = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        b.extend(payload);
        b
    }

    fn f64s(v: &[f64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn npy_in_both_orders_and_types() {
        let f = file(&npy(
            "<f8",
            false,
            "(2, 3)",
            &f64s(&[1., 2., 3., 4., 5., 6.]),
        ));
        let m = read_npy(f.path(), 100).unwrap();
        assert_eq!(
            (m.rows, m.cols, m.data),
            (2, 3, vec![1., 2., 3., 4., 5., 6.])
        );
        let f = file(&npy(
            "<f8",
            true,
            "(2, 3)",
            &f64s(&[1., 4., 2., 5., 3., 6.]),
        ));
        let m = read_npy(f.path(), 100).unwrap();
        assert_eq!(m.data, vec![1., 2., 3., 4., 5., 6.]);
        let ints: Vec<u8> = [7i64, -1, 75]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let f = file(&npy("<i8", false, "(3,)", &ints));
        let m = read_npy(f.path(), 100).unwrap();
        assert_eq!((m.rows, m.cols, m.data), (1, 3, vec![7., -1., 75.]));
    }

    #[test]
    fn npy_faults_are_named() {
        let e = |b: &[u8], max| read_npy(file(b).path(), max).unwrap_err().to_string();
        assert!(e(b"hello", 10).contains("not a .npy file"));
        let short = npy("<f8", false, "(2, 3)", &f64s(&[1., 2.]));
        assert!(
            e(&short, 100).contains("ends before the 2×3 values"),
            "{}",
            e(&short, 100)
        );
        let big = npy("<f8", false, "(100000, 100000)", &[]);
        assert!(e(&big, 1000).contains("more than the 1000 allowed"));
        let obj = npy("|O", false, "(2,)", &[]);
        assert!(e(&obj, 10).contains("not numeric"));
        let cube = npy("<f8", false, "(2, 2, 2)", &[]);
        assert!(e(&cube, 10).contains("3-dimensional"));
    }

    /// A level-5 .mat with one double matrix `name` (columns first),
    /// compressed or not.
    fn mat(name: &str, rows: u32, cols: u32, colmajor: &[f64], compress: bool) -> Vec<u8> {
        let mut m = vec![];
        let sub = |m: &mut Vec<u8>, ty: u32, data: &[u8]| {
            m.extend(ty.to_le_bytes());
            m.extend((data.len() as u32).to_le_bytes());
            m.extend(data);
            m.resize(pad8(m.len()), 0);
        };
        sub(&mut m, MI_UINT32, &[6, 0, 0, 0, 0, 0, 0, 0]);
        let dims: Vec<u8> = [rows, cols]
            .iter()
            .flat_map(|x| (*x as i32).to_le_bytes())
            .collect();
        sub(&mut m, MI_INT32, &dims);
        sub(&mut m, MI_INT8, name.as_bytes());
        sub(&mut m, 9, &f64s(colmajor));
        let mut el = MI_MATRIX.to_le_bytes().to_vec();
        el.extend((m.len() as u32).to_le_bytes());
        el.extend(m);
        let mut out = vec![b' '; 116];
        out.extend([0u8; 8]);
        out.extend([0u8, 1, b'I', b'M']);
        if compress {
            let mut z = flate2::write::ZlibEncoder::new(vec![], flate2::Compression::default());
            z.write_all(&el).unwrap();
            let z = z.finish().unwrap();
            out.extend(MI_COMPRESSED.to_le_bytes());
            out.extend((z.len() as u32).to_le_bytes());
            out.extend(z);
        } else {
            out.extend(el);
        }
        out
    }

    /// A level-5 .mat with one sparse double matrix `name` (rows × cols,
    /// compressed columns `jc`, row indices `ir`, values `pr`).
    fn sparse_mat(name: &str, rows: u32, cols: u32, jc: &[i32], ir: &[i32], pr: &[f64]) -> Vec<u8> {
        let mut m = vec![];
        let sub = |m: &mut Vec<u8>, ty: u32, data: &[u8]| {
            m.extend(ty.to_le_bytes());
            m.extend((data.len() as u32).to_le_bytes());
            m.extend(data);
            m.resize(pad8(m.len()), 0);
        };
        let mut flags = vec![MX_SPARSE as u8, 0, 0, 0];
        flags.extend((ir.len() as u32).to_le_bytes());
        sub(&mut m, MI_UINT32, &flags);
        let ints = |v: &[i32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
        sub(&mut m, MI_INT32, &ints(&[rows as i32, cols as i32]));
        sub(&mut m, MI_INT8, name.as_bytes());
        sub(&mut m, MI_INT32, &ints(ir));
        sub(&mut m, MI_INT32, &ints(jc));
        sub(&mut m, 9, &f64s(pr));
        let mut out = vec![b' '; 116];
        out.extend([0u8; 8]);
        out.extend([0u8, 1, b'I', b'M']);
        out.extend(MI_MATRIX.to_le_bytes());
        out.extend((m.len() as u32).to_le_bytes());
        out.extend(m);
        out
    }

    #[test]
    fn mat_sparse_and_its_faults() {
        // [[0, 2], [1, 0], [0, 3]]: columns [1 at row 1], [2 at row 0, 3 at row 2]
        let f = file(&sparse_mat(
            "LocalCoupling",
            3,
            2,
            &[0, 1, 3],
            &[1, 0, 2],
            &[1., 2., 3.],
        ));
        let m = read_mat_sparse(f.path(), Some("LocalCoupling"), 100).unwrap();
        assert_eq!((m.rows, m.cols, m.nnz()), (3, 2, 3));
        assert_eq!(
            (m.col_start, m.row, m.val),
            (vec![0, 1, 3], vec![1, 0, 2], vec![1., 2., 3.])
        );
        // a dense reader does not take it, and says so
        let e = read_mat(f.path(), None, 100).unwrap_err().to_string();
        assert!(e.contains("holds no numeric matrix"), "{e}");
        for (bytes, cause) in [
            (
                sparse_mat("L", 3, 2, &[0, 1, 3], &[1, 0, 5], &[1., 2., 3.]),
                "entry 2 (column 1) has row index 5",
            ),
            (
                sparse_mat("L", 3, 2, &[0, 2, 1], &[1, 0, 2], &[1., 2., 3.]),
                "not increasing",
            ),
            (
                sparse_mat("L", 3, 3, &[0, 1, 3], &[1, 0, 2], &[1., 2., 3.]),
                "3 column starts for 3 columns",
            ),
            (
                sparse_mat("L", 3, 2, &[0, 1, 3], &[1, 0, 2], &[1., 2.]),
                "2 values for 3 entries",
            ),
        ] {
            let e = read_mat_sparse(file(&bytes).path(), None, 100)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(cause) && e.contains("sparse matrix `L`"),
                "{cause}: {e}"
            );
        }
        let e = read_mat_sparse(f.path(), None, 2).unwrap_err().to_string();
        assert!(e.contains("more than the 2 allowed"), "{e}");
    }

    #[test]
    fn mat_level5_compressed_or_not() {
        for compress in [false, true] {
            let f = file(&mat(
                "ProjectionMatrix",
                2,
                3,
                &[1., 4., 2., 5., 3., 6.],
                compress,
            ));
            let m = read_mat(f.path(), Some("ProjectionMatrix"), 100).unwrap();
            assert_eq!((m.rows, m.cols), (2, 3));
            assert_eq!(m.data, vec![1., 2., 3., 4., 5., 6.]);
            // the only matrix is taken whatever the name asked
            let m = read_mat(f.path(), None, 100).unwrap();
            assert_eq!(m.rows, 2);
            let e = read_mat(f.path(), None, 4).unwrap_err().to_string();
            assert!(e.contains("more than the 4 values"), "{e}");
        }
        let e = read_mat(file(b"not a mat file").path(), None, 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("shorter than its 128-byte header"), "{e}");
    }
}
