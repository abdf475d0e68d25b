//! Surface simulations against tvb-library 2.10
//! (`tests/data/tvb_cases/make_refs_surface.py`): tvb-data's cortex_16384,
//! regionMapping_16k_76, a Gaussian local connectivity (cutoff 10 mm,
//! σ 3 mm).

use super::npy;
use brainstream_models::surface::{
    LocalConnectivity, SpatialEquation, Surface, BUILTIN_CORTEX_16K,
};
use std::path::{Path, PathBuf};

fn meta(name: &str) -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/tvb_cases")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// The local connectivity matrix: our geodesic distances (exact, not
/// tvb-gdist's code) through tvb-library's equation and homogenisation.
/// Same sparsity (every pair within the cutoff), entries within 1e-12
/// relative of tvb-library's on the stored rows (measured 5.8e-15; 0.5 s on 2 threads).
#[test]
fn local_connectivity_matches_tvb_library() {
    let m = meta("surface_lc.json");
    let s = Surface::load(BUILTIN_CORTEX_16K, Path::new(".")).unwrap();
    let eq = SpatialEquation::Gaussian {
        amp: m["amp"].as_f64().unwrap(),
        sigma: m["sigma"].as_f64().unwrap(),
        midpoint: m["midpoint"].as_f64().unwrap(),
        offset: m["offset"].as_f64().unwrap(),
    };
    let t0 = std::time::Instant::now();
    let lc = LocalConnectivity::compute(&s, eq, m["cutoff"].as_f64().unwrap(), 2).unwrap();
    eprintln!(
        "local connectivity of 16384 vertices: {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let l = &lc.matrix;
    assert_eq!(l.nnz() as u64, m["nnz"].as_u64().unwrap(), "nnz");
    let total: f64 = l.val.iter().sum();
    let want_total = m["total"].as_f64().unwrap();
    assert!(
        (total - want_total).abs() <= 1e-9 * want_total,
        "{total} vs {want_total}"
    );
    let (shape, rows) = npy("surface_lc_rows.npy");
    assert_eq!(shape[1], 3);
    let mut worst = 0.0f64;
    let mut k = 0;
    let stride = m["row_stride"].as_u64().unwrap() as usize;
    for i in (0..l.n).step_by(stride) {
        for e in l.row_start[i]..l.row_start[i + 1] {
            let r = &rows[k * 3..k * 3 + 3];
            assert_eq!((r[0] as usize, r[1] as u32), (i, l.col[e]), "entry {k}");
            worst = worst.max((l.val[e] - r[2]).abs() / r[2].abs());
            k += 1;
        }
    }
    assert_eq!(k, shape[0], "stored entries");
    eprintln!(
        "local connectivity: {} stored entries, worst relative difference {worst:.3e}",
        k
    );
    assert!(worst <= 1e-12, "worst relative difference {worst:e}");
}
