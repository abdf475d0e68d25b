//! The shipped surface graph (`graphs/surface_g2d.toml`) through the whole
//! stack (build, scheduler, subsample monitors, HDF5 recorders): its first
//! 20 ms are tvb-library 2.10's surface run of
//! `tests/data/tvb_cases/make_refs_surface.py` (V and W of every 128th
//! vertex, V averaged over each region, every 1 ms), within 1e-13 of each
//! variable's scale (the engine-level test measures 3e-16).

use super::common::*;

fn npy_f64(name: &str) -> (Vec<usize>, Vec<f64>) {
    let b = std::fs::read(root().join("tests/data/tvb_cases").join(name)).unwrap();
    let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
    let header = std::str::from_utf8(&b[10..10 + hlen]).unwrap();
    assert!(
        header.contains("'<f8'") && header.contains("False"),
        "{header}"
    );
    let sh = &header[header.find("'shape': (").unwrap() + 10..];
    let shape: Vec<usize> = sh[..sh.find(')').unwrap()]
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let data = b[10 + hlen..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (shape, data)
}

fn worst(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    got.iter()
        .zip(want)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

#[test]
fn surface_graph_is_tvb_librarys_surface_run() {
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/surface_g2d.toml"),
        dir.path(),
        &[
            "simulation.duration_ms=20",
            "actors.cortex.vertex_stride=128",
        ],
    )
    .unwrap();
    assert!(dir.path().join("regions.png").exists() && dir.path().join("vertices.png").exists());
    let (shape, data, time) = read_h5(&dir.path().join("vertices.h5"));
    let (wshape, want) = npy_f64("surface_g2d_data.npy");
    assert_eq!(&shape[..3], &wshape[..], "vertices.h5 shape");
    let (_, want_t) = npy_f64("surface_g2d_time.npy");
    // tvb-library numbers its first step `horizon` (513): times differ by
    // (horizon − 1)·dt
    for (t, w) in time.iter().zip(&want_t) {
        assert!((t + 51.2 - w).abs() < 1e-9, "time {t} vs tvb {w}");
    }
    let per = shape[2];
    // variable k's values: samples × vertices
    let var = |x: &[f64], k: usize| -> Vec<f64> {
        x.chunks(2 * per)
            .flat_map(|s| s[k * per..(k + 1) * per].to_vec())
            .collect()
    };
    let ev = worst(&var(&data, 0), &var(&want, 0));
    let ew = worst(&var(&data, 1), &var(&want, 1));
    let (rshape, rdata, _) = read_h5(&dir.path().join("regions.h5"));
    let (_, rwant) = npy_f64("surface_g2d_regions.npy");
    let rv: Vec<f64> = (0..rshape[0])
        .flat_map(|s| rdata[s * 2 * 76..s * 2 * 76 + 76].to_vec())
        .collect();
    let er = worst(&rv, &rwant);
    eprintln!("surface graph vs tvb-library: V {ev:.2e}, W {ew:.2e}, region V {er:.2e}");
    assert!(
        ev <= 1e-13 && ew <= 1e-13 && er <= 1e-13,
        "V {ev:e}, W {ew:e}, regions {er:e}"
    );
}

/// Bad `surface` parameters are refused at their key, with the cause.
#[test]
fn surface_errors_name_their_key() {
    use brainstream::runtime::{BuildCtx, Params};
    let reg = brainstream::default_registry();
    let kind = reg.kinds().find(|k| k.name == "surface").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rmap.txt"), "0\n1\n2\n").unwrap();
    let cases = [
        (
            "local_connectivity = { sigma = -1.0 }",
            "local_connectivity.sigma",
            "positive width",
        ),
        (
            "local_connectivity = { radius = 3.0 }",
            "local_connectivity.radius",
            "no `radius`",
        ),
        (
            "local_connectivity = { equation = \"Sigmoid\" }",
            "local_connectivity.equation",
            "unknown spatial equation",
        ),
        (
            "local_connectivity = { cutoff = 0 }",
            "local_connectivity.cutoff",
            "positive distance",
        ),
        (
            "model = \"JansenRit\"",
            "model",
            "not available on a surface",
        ),
        (
            "region_mapping = \"rmap.txt\"",
            "region_mapping",
            "16384 vertices",
        ),
        (
            "surface = \"builtin:cortex_8k\"",
            "surface",
            "builtin surface",
        ),
        ("coupling = \"Sigmoidal\"", "", "not available on a surface"),
        (
            "integrator = \"HeunStochastic\"",
            "integrator",
            "HeunDeterministic or EulerDeterministic",
        ),
    ];
    for (text, key, cause) in cases {
        let t: toml::Table = toml::from_str(text).unwrap();
        let params = Params::new(&t, kind.params, dir.path());
        let e = match (kind.build)(&BuildCtx {
            name: "cortex",
            params,
            dt_ms: 0.1,
            duration_ms: 10.0,
        }) {
            Ok(_) => panic!("{text}: accepted"),
            Err(e) => e,
        };
        assert_eq!(e.key, key, "{text}: {}", e.message);
        assert!(e.message.contains(cause), "{text}: {}", e.message);
    }
}
