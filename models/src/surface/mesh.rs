//! Triangulated cortical surfaces as tvb-library's `CorticalSurface`
//! reads them: a TVB surface zip holding `vertices.txt` (one `x y z` per
//! line, mm) and `triangles.txt` (one `i j k` of 0-based vertex indices per
//! line); its vertex normals are read by [`super::normals`] where needed.
//!
//! `builtin:cortex_16k` is tvb-data 3.0.0's `cortex_16384.zip` (16384
//! vertices, 32760 triangles), embedded in the binary: tvb-library's
//! default `CorticalSurface.from_file()`.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use crate::datafile::open_regular;
use crate::error::ModelError;

/// The builtin cortex (tvb-data's `cortex_16384.zip`).
pub const BUILTIN_CORTEX_16K: &str = "builtin:cortex_16k";

pub(super) const CORTEX_16K: &[u8] = include_bytes!("../../data/surface/cortex_16384.zip");

/// Most vertices a surface may have.
pub const MAX_VERTICES: usize = 1 << 22;

/// Most bytes one zip member may declare.
pub(super) const MAX_MEMBER_BYTES: u64 = 1 << 30;

/// A triangulated surface: vertex positions (mm) and triangles.
#[derive(Debug, Clone, PartialEq)]
pub struct Surface {
    pub vertices: Vec<[f64; 3]>,
    pub triangles: Vec<[u32; 3]>,
    /// Where it came from.
    pub source: String,
}

pub(super) fn data_err(
    path: &Path,
    loc: Option<(usize, usize)>,
    cause: impl Into<String>,
) -> ModelError {
    ModelError::DataFile {
        path: path.to_path_buf(),
        loc,
        cause: cause.into(),
    }
}

impl Surface {
    /// A flat `n` × `n` grid of unit squares, each split into two
    /// triangles (tests): its geodesic distances are Euclidean.
    #[cfg(test)]
    pub(crate) fn flat_grid(n: usize) -> Self {
        let mut vertices = Vec::new();
        for j in 0..n {
            for i in 0..n {
                vertices.push([i as f64, j as f64, 0.0]);
            }
        }
        let mut triangles = Vec::new();
        for j in 0..n - 1 {
            for i in 0..n - 1 {
                let v = (j * n + i) as u32;
                let n = n as u32;
                triangles.push([v, v + 1, v + n + 1]);
                triangles.push([v, v + n + 1, v + n]);
            }
        }
        Surface {
            vertices,
            triangles,
            source: "grid".into(),
        }
    }

    /// Loads `builtin:cortex_16k` or a TVB surface zip (relative to
    /// `base_dir`).
    pub fn load(spec: &str, base_dir: &Path) -> Result<Self, ModelError> {
        if spec == BUILTIN_CORTEX_16K {
            return Self::from_zip(std::io::Cursor::new(CORTEX_16K), Path::new(spec));
        }
        if spec.starts_with("builtin:") {
            return Err(ModelError::UnknownName {
                what: "builtin surface",
                name: spec.to_string(),
                known: BUILTIN_CORTEX_16K.to_string(),
            });
        }
        let path = base_dir.join(spec);
        Self::from_zip(open_regular(&path)?, &path)
    }

    /// Reads a TVB surface zip.
    pub fn from_zip(reader: impl Read + Seek, path: &Path) -> Result<Self, ModelError> {
        let mut zip = zip::ZipArchive::new(reader)
            .map_err(|e| data_err(path, None, format!("not a zip file: {e}")))?;
        let names: Vec<String> = zip.file_names().map(str::to_string).collect();
        let mut member = |stem: &str| -> Result<(String, PathBuf), ModelError> {
            let name = names
                .iter()
                .find(|n| n.rsplit('/').next() == Some(&format!("{stem}.txt")))
                .ok_or_else(|| {
                    data_err(
                        path,
                        None,
                        format!(
                            "the zip holds no {stem}.txt (members: {})",
                            names.join(", ")
                        ),
                    )
                })?;
            let mut f = zip
                .by_name(name)
                .map_err(|e| data_err(path, None, format!("{name}: {e}")))?;
            if f.size() > MAX_MEMBER_BYTES {
                return Err(data_err(
                    path,
                    None,
                    format!(
                        "{name} declares {} bytes; at most {MAX_MEMBER_BYTES} are read",
                        f.size()
                    ),
                ));
            }
            let mut text = String::new();
            f.read_to_string(&mut text)
                .map_err(|e| data_err(path, None, format!("{name}: {e}")))?;
            Ok((text, path.join(name)))
        };
        let (vt, vpath) = member("vertices")?;
        let (tt, tpath) = member("triangles")?;
        let vertices = parse_rows::<f64>(&vt, &vpath, "a vertex coordinate")?;
        if vertices.is_empty() {
            return Err(data_err(&vpath, None, "no vertices"));
        }
        if vertices.len() > MAX_VERTICES {
            return Err(data_err(
                &vpath,
                None,
                format!("{} vertices; at most {MAX_VERTICES}", vertices.len()),
            ));
        }
        let tris = parse_rows::<u64>(&tt, &tpath, "a vertex index")?;
        let nv = vertices.len() as u64;
        let mut triangles = Vec::with_capacity(tris.len());
        for (k, t) in tris.iter().enumerate() {
            if let Some(&bad) = t.iter().find(|&&i| i >= nv) {
                return Err(data_err(
                    &tpath,
                    Some((k + 1, 1)),
                    format!("vertex index {bad}; the surface has {nv} vertices"),
                ));
            }
            if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
                return Err(data_err(
                    &tpath,
                    Some((k + 1, 1)),
                    format!("degenerate triangle {t:?} (a vertex twice)"),
                ));
            }
            triangles.push([t[0] as u32, t[1] as u32, t[2] as u32]);
        }
        if triangles.is_empty() {
            return Err(data_err(&tpath, None, "no triangles"));
        }
        Ok(Self {
            vertices,
            triangles,
            source: path.display().to_string(),
        })
    }

    pub fn n_vertices(&self) -> usize {
        self.vertices.len()
    }
}

/// Rows of exactly three whitespace-separated numbers.
pub(super) fn parse_rows<T>(text: &str, path: &Path, what: &str) -> Result<Vec<[T; 3]>, ModelError>
where
    T: std::str::FromStr + Copy + Default,
{
    let mut out = Vec::new();
    for (l, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut row = [T::default(); 3];
        let mut k = 0;
        for (col, tok) in line.split_whitespace().enumerate() {
            if k == 3 {
                return Err(data_err(
                    path,
                    Some((l + 1, col + 1)),
                    "more than 3 values on a line",
                ));
            }
            row[k] = tok.parse().map_err(|_| {
                data_err(
                    path,
                    Some((l + 1, col + 1)),
                    format!("`{tok}` is not {what}"),
                )
            })?;
            k += 1;
        }
        if k != 3 {
            return Err(data_err(
                path,
                Some((l + 1, 1)),
                format!("{k} values on a line; 3 expected"),
            ));
        }
        out.push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_cortex_has_tvb_datas_sizes() {
        let s = Surface::load(BUILTIN_CORTEX_16K, Path::new(".")).unwrap();
        assert_eq!(s.vertices.len(), 16384);
        assert_eq!(s.triangles.len(), 32760);
        assert_eq!(s.vertices[0], [-88.882811, -11.434948, -11.924121]);
        assert_eq!(s.triangles[0], [0, 1, 13]);
    }

    #[test]
    fn bad_triangle_index_is_located() {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            z.start_file("vertices.txt", o).unwrap();
            std::io::Write::write_all(&mut z, b"0 0 0\n1 0 0\n0 1 0\n").unwrap();
            z.start_file("triangles.txt", o).unwrap();
            std::io::Write::write_all(&mut z, b"0 1 2\n0 1 3\n").unwrap();
            z.finish().unwrap();
        }
        buf.set_position(0);
        let e = Surface::from_zip(buf, Path::new("s.zip"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("triangles.txt:2:1") && e.contains("vertex index 3"),
            "{e}"
        );
    }
}
