//! Vertex normals of a TVB surface zip, read as tvb-library 2.10's
//! `Surface._read` reads them: `read_array_from_file("normals.txt")`
//! takes the first member (in the zip's order, `__MACOSX` entries left out)
//! whose name contains `normals.txt` — tvb-data's `vertex_normals.txt`.
//! They orient the sources of an analytic lead field on a surface
//! (`crate::analytic_gain`). A zip without one is refused: tvb-library
//! would then estimate normals from the triangles (angle-weighted), which
//! is not reproduced here.

use std::io::{Cursor, Read, Seek};
use std::path::Path;

use crate::datafile::open_regular;
use crate::error::ModelError;

use super::mesh::{data_err, parse_rows, CORTEX_16K, MAX_MEMBER_BYTES};
use super::BUILTIN_CORTEX_16K;

/// The vertex normals of `builtin:cortex_16k` or a TVB surface zip
/// (relative to `base_dir`), one per vertex of its `n_vertices`.
pub fn vertex_normals(
    spec: &str,
    base_dir: &Path,
    n_vertices: usize,
) -> Result<Vec<[f64; 3]>, ModelError> {
    if spec == BUILTIN_CORTEX_16K {
        return from_zip(Cursor::new(CORTEX_16K), Path::new(spec), n_vertices);
    }
    let path = base_dir.join(spec);
    from_zip(open_regular(&path)?, &path, n_vertices)
}

fn from_zip(
    reader: impl Read + Seek,
    path: &Path,
    n_vertices: usize,
) -> Result<Vec<[f64; 3]>, ModelError> {
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| data_err(path, None, format!("not a zip file: {e}")))?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    // the zip's own order (its central directory's)
    let Some(name) = (0..zip.len())
        .filter_map(|i| zip.name_for_index(i))
        .find(|n| n.contains("normals.txt") && !n.starts_with("__MACOSX"))
        .map(str::to_string)
    else {
        return Err(data_err(
            path,
            None,
            format!(
                "the zip holds no vertex normals (a member named …normals.txt, as tvb-data's vertex_normals.txt; members: {}): an analytic lead field on a surface needs them",
                names.join(", ")
            ),
        ));
    };
    let mut f = zip
        .by_name(&name)
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
    let inner = path.join(&name);
    let normals = parse_rows::<f64>(&text, &inner, "a normal's coordinate")?;
    if normals.len() != n_vertices {
        return Err(data_err(
            &inner,
            None,
            format!(
                "{} vertex normals; the surface has {n_vertices} vertices",
                normals.len()
            ),
        ));
    }
    Ok(normals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_normals_are_the_zip_s_and_a_zip_without_is_refused() {
        let n = vertex_normals(BUILTIN_CORTEX_16K, Path::new("."), 16384).unwrap();
        assert_eq!(n.len(), 16384);
        let e = vertex_normals(BUILTIN_CORTEX_16K, Path::new("."), 10)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("16384 vertex normals; the surface has 10"),
            "{e}"
        );
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            z.start_file("vertices.txt", o).unwrap();
            std::io::Write::write_all(&mut z, b"0 0 0\n").unwrap();
            z.finish().unwrap();
        }
        buf.set_position(0);
        let e = from_zip(buf, Path::new("s.zip"), 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no vertex normals"), "{e}");
    }
}
