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

/// A surface_g2d run in `dir` against tvb-library's `CASE_data.npy` (V and W
/// at the recorded vertices) and `CASE_regions.npy` (region-averaged V):
/// the recorded times, the worst differences of V, W and region V
/// ([`worst`]), and the region V compared.
pub(super) fn against_tvb(dir: &std::path::Path, case: &str) -> (Vec<f64>, [f64; 3], Vec<f64>) {
    let (shape, data, time) = read_h5(&dir.join("vertices.h5"));
    let (wshape, want) = npy_f64(&format!("{case}_data.npy"));
    assert_eq!(&shape[..3], &wshape[..], "{case}: vertices.h5 shape");
    let per = shape[2];
    // variable k's values: samples × vertices
    let var = |x: &[f64], k: usize| -> Vec<f64> {
        x.chunks(2 * per)
            .flat_map(|s| s[k * per..(k + 1) * per].to_vec())
            .collect()
    };
    let ev = worst(&var(&data, 0), &var(&want, 0));
    let ew = worst(&var(&data, 1), &var(&want, 1));
    let (rshape, rdata, _) = read_h5(&dir.join("regions.h5"));
    let (_, rwant) = npy_f64(&format!("{case}_regions.npy"));
    let rv: Vec<f64> = (0..rshape[0])
        .flat_map(|s| rdata[s * 2 * 76..s * 2 * 76 + 76].to_vec())
        .collect();
    let er = worst(&rv, &rwant);
    (time, [ev, ew, er], rv)
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
    let (time, [ev, ew, er], _) = against_tvb(dir.path(), "surface_g2d");
    let (_, want_t) = npy_f64("surface_g2d_time.npy");
    // tvb-library numbers its first step `horizon` (513): times differ by
    // (horizon − 1)·dt
    for (t, w) in time.iter().zip(&want_t) {
        assert!((t + 51.2 - w).abs() < 1e-9, "time {t} vs tvb {w}");
    }
    eprintln!("surface graph vs tvb-library: V {ev:.2e}, W {ew:.2e}, region V {er:.2e}");
    assert!(
        ev <= 1e-13 && ew <= 1e-13 && er <= 1e-13,
        "V {ev:e}, W {ew:e}, regions {er:e}"
    );
}

/// Every vertex of the 16 384 recorded (`vertex_stride = 1`): the file
/// holds them all, labelled in the `region` coordinate; the `data`
/// dataset's older `nodes` attribute, which HDF5 cannot hold for that many
/// labels (an attribute is one object-header message of at most 64 KiB),
/// is left out, where it once stopped the recorder in its first window.
#[test]
fn every_vertex_of_a_surface_is_recorded_with_its_label() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.toml");
    std::fs::write(
        &g,
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 0.2
[actors.cortex]
kind = "surface"
model_params = { a = 2.0 }
variables = ["V", "W"]
vertex_stride = 1
[actors.rec]
kind = "hdf5_recorder"
[[edges]]
from = "cortex.state"
to = "rec.input"
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    let f = open_h5(&out.join("rec.h5"));
    let data = f.dataset("data").unwrap();
    assert_eq!(data.shape(), vec![2, 2, 16384, 1]);
    assert!(
        data.attr("nodes").is_err(),
        "a nodes attribute of 16384 labels"
    );
    let labels: Vec<hdf5::types::VarLenUnicode> = f.dataset("region").unwrap().read_raw().unwrap();
    assert_eq!(labels.len(), 16384);
    assert_eq!(
        (labels[0].as_str(), labels[16383].as_str()),
        ("v0", "v16383")
    );
    assert!(data
        .read_raw::<f64>()
        .unwrap()
        .iter()
        .all(|x| x.is_finite()));
}

/// tvb-library 2.10's BoldRegionROI on a surface simulation
/// (`make_refs_surface_more.py boldroi`: the surface_g2d brain, 200 ms,
/// period 20 ms, the default FirstOrderVolterra kernel): in brainstream the
/// `bold` kind on the surface's `regions` output, at tvb-library's sampling
/// phase (`offset_steps = horizon − 1 = 512`). tvb-library convolves every
/// vertex and then takes each region's numpy mean, brainstream averages the
/// vertices first and convolves the 76 averages — the same linear map in
/// another order, so within 1e-12 of the largest value, not bits.
#[test]
fn surface_bold_region_roi_is_tvb_library_s() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.toml");
    std::fs::write(
        &g,
        g2d_cortex(200.0)
            + r#"[actors.bold]
kind = "bold"
period_ms = 20.0
offset_steps = 512
[actors.rec]
kind = "hdf5_recorder"
[[edges]]
from = "cortex.regions"
to = "bold.input"
[[edges]]
from = "bold.output"
to = "rec.input"
"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    let (shape, ours, times) = read_h5(&out.join("rec.h5"));
    let (tshape, tvb) = npy_f64("surface_boldroi_data.npy");
    let (_, ttimes) = npy_f64("surface_boldroi_time.npy");
    assert_eq!(tshape, vec![10, 2, 76]);
    assert_eq!(shape, vec![10, 2, 76, 1]);
    // offset_steps gives tvb-library's time stamps too
    assert_eq!(times, ttimes);
    let e = worst(&ours, &tvb);
    eprintln!("surface BoldRegionROI vs tvb-library: {e:.2e} of the largest value");
    assert!(e <= 1e-12, "relative difference {e:e}");
}

/// Bad `surface` parameters are refused at their key, with the cause.
#[test]
fn surface_errors_name_their_key() {
    use brainstream::runtime::{BuildCtx, Params};
    let reg = brainstream::default_registry();
    let kind = reg.kinds().find(|k| k.name == "surface").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rmap.txt"), "0\n1\n2\n").unwrap();
    let mm = "%%MatrixMarket matrix coordinate real general\n";
    std::fs::write(dir.path().join("lc.mtx"), format!("{mm}3 3 1\n1 2 0.5\n")).unwrap();
    std::fs::write(
        dir.path().join("bad.mtx"),
        format!("{mm}16384 16384 1\n1 0 0.5\n"),
    )
    .unwrap();
    let cases = [
        (
            "stimulus = { focal_triangles = [40000] }",
            "stimulus.focal_triangles",
            "has 32760 triangles",
        ),
        (
            "stimulus = { focal_vertices = [16384] }",
            "stimulus.focal_vertices",
            "focal vertex 16384",
        ),
        (
            "stimulus = { equation = \"Boxcar\", focal_vertices = [0] }",
            "stimulus.equation",
            "Boxcar",
        ),
        (
            "stimulus = { spatial = { sigma = 0.0 }, focal_vertices = [0] }",
            "stimulus.spatial.sigma",
            "positive width",
        ),
        (
            "stimulus = { equation_params = { T = 4.0 } }",
            "stimulus",
            "no focal points",
        ),
        ("stimulus = { focus = [0] }", "stimulus.focus", "no `focus`"),
        (
            "local_connectivity = { file = \"lc.mtx\", sigma = 1.0 }",
            "local_connectivity.sigma",
            "used as is",
        ),
        (
            "local_connectivity = { file = \"lc.mtx\" }",
            "local_connectivity.file",
            "a 3×3 matrix; the surface has 16384 vertices",
        ),
        (
            "local_connectivity = { file = \"bad.mtx\" }",
            "local_connectivity.file",
            "bad.mtx:3:1: column `0`",
        ),
        (
            "local_connectivity = { file = \"lc.npy\" }",
            "local_connectivity.file",
            "a sparse matrix",
        ),
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

/// tvb-data's folder (from target/pyenv, scripts/pyenv.sh).
fn tvb_data_dir() -> Option<std::path::PathBuf> {
    python_xarray("import tvb_data, os; print(os.path.dirname(tvb_data.__file__))")
        .map(|d| std::path::PathBuf::from(d.trim()))
}

/// The graph text of the surface_g2d brain (`graphs/surface_g2d.toml`'s
/// cortex: Generic2dOscillator a = 2 on tvb-data's 16k cortex, the
/// Gaussian local connectivity, Linear a = 0.0042, dt 0.1 ms) run for
/// `duration_ms`, every vertex on `state` (the default stride); the
/// monitors and recorders follow it.
fn g2d_cortex(duration_ms: f64) -> String {
    format!(
        r#"
[simulation]
dt_ms = 0.1
duration_ms = {duration_ms:?}
[actors.cortex]
kind = "surface"
local_connectivity = {{ equation = "Gaussian", sigma = 3.0, amp = 1.0, cutoff = 10.0 }}
local_coupling_strength = 0.05
model_params = {{ a = 2.0 }}
coupling_params = {{ a = 0.0042, b = 0.0 }}
variables = ["V", "W"]
vertex_stride = 1
"#
    )
}

/// Appends to a surface graph a recorder `M_rec` for each sensor monitor
/// `M` of `monitors`, with the edges `cortex.state → M → M_rec`.
fn record_monitors(text: &mut String, monitors: &[&str]) {
    for m in monitors {
        text.push_str(&format!(
            "[actors.{m}_rec]\nkind = \"hdf5_recorder\"\n[[edges]]\nfrom = \"cortex.state\"\nto = \"{m}.input\"\n[[edges]]\nfrom = \"{m}.output\"\nto = \"{m}_rec.input\"\n"
        ));
    }
}

/// Each `(monitor, sensors, stride)` recorded in `out` (`samples` × V, W ×
/// every sensor) against tvb-library's `{case}_{monitor}_data.npy` (every
/// `stride`-th sensor) and `_time.npy`: the same time stamps, values within
/// 1e-13 of the largest (tvb-library's gain product is a BLAS one, whose
/// summation order over the vertices is the library's).
fn sensors_against_tvb(
    out: &std::path::Path,
    case: &str,
    monitors: &[(&str, usize, usize)],
    samples: usize,
) {
    for &(m, sensors, stride) in monitors {
        let (shape, ours, times) = read_h5(&out.join(format!("{m}_rec.h5")));
        assert_eq!(shape, vec![samples, 2, sensors, 1], "{m}");
        let (tshape, tvb) = npy_f64(&format!("{case}_{m}_data.npy"));
        let (_, ttimes) = npy_f64(&format!("{case}_{m}_time.npy"));
        assert_eq!(times, ttimes, "{m}: time stamps");
        let kept = sensors.div_ceil(stride);
        assert_eq!(tshape, vec![samples, 2, kept]);
        let got: Vec<f64> = (0..tvb.len())
            .map(|k| ours[(k / kept) * sensors + (k % kept) * stride])
            .collect();
        let e = worst(&got, &tvb);
        eprintln!("{case} {m} vs tvb-library: {e:.2e} of the largest value");
        assert!(e <= 1e-13, "{m}: relative difference {e:e}");
    }
}

/// tvb-library 2.10's surface EEG and MEG (`make_refs_surface_more.py`:
/// the surface_g2d run, 20 ms): tvb-data's vertex-level projections
/// (65 × 16384, 276 × 16384) applied as is to the vertices' state,
/// `y_s = Σ_v G_sv·x_v` averaged over int(0.9765625/0.1) = 9 steps, at
/// tvb-library's phase (`offset_steps = horizon − 1 = 512`): EEG with the
/// average reference, EEG with electrode Fp1 and the default observation
/// noise, MEG without noise. Within 1e-13 of each series' largest value:
/// tvb-library's `gain.dot(state)` is a BLAS product whose summation order
/// over the 16384 vertices is the library's.
#[test]
fn surface_eeg_and_meg_are_tvb_library_s() {
    let Some(td) = tvb_data_dir() else {
        return;
    };
    let pm = td.join("projectionMatrix");
    let dir = tempfile::tempdir().unwrap();
    let mut text = g2d_cortex(20.0);
    let eeg = pm.join("projection_eeg_65_surface_16k.npy");
    let meg = pm.join("projection_meg_276_surface_16k.npy");
    text.push_str(&format!(
        "[actors.eeg]\nkind = \"eeg\"\nprojection = {eeg:?}\nreference = \"average\"\noffset_steps = 512\n\
         [actors.eeg_noisy]\nkind = \"eeg\"\nprojection = {eeg:?}\nreference = \"Fp1\"\nobservation_noise = true\noffset_steps = 512\n\
         [actors.meg]\nkind = \"meg\"\nprojection = {meg:?}\noffset_steps = 512\n"
    ));
    record_monitors(&mut text, &["eeg", "eeg_noisy", "meg"]);
    let g = dir.path().join("g.toml");
    std::fs::write(&g, text).unwrap();
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    sensors_against_tvb(
        &out,
        "surface_eeg",
        &[("eeg", 65, 1), ("eeg_noisy", 65, 1), ("meg", 276, 3)],
        23,
    );
}

/// tvb-library 2.10's sensor-space monitors without a projection file on a
/// surface (`make_refs_surface_more.py analytic`: the surface_g2d run,
/// 10 ms): its `Projection.config_for_sim` computes the lead field with the
/// monitor's `analytic` on the 16384 vertices and their normals — iEEG
/// (tvb-data's 588 SEEG contacts, point dipole, σ 1), EEG (65 electrodes
/// moved onto a sphere around the cortex, average reference) and MEG
/// (276 sensors, the field's magnitude) — here `projection = "analytic"`
/// with `surface = "builtin:cortex_16k"`. The gains are tvb-library's to
/// the bit (models' tvb_cases analytic tests); the traces within 1e-13 of
/// each series' largest value (the product's summation order is BLAS's).
#[test]
fn surface_analytic_ieeg_eeg_and_meg_are_tvb_library_s() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = g2d_cortex(10.0)
        + r#"[actors.ieeg]
kind = "ieeg"
sensors = "builtin:seeg588"
projection = "analytic"
surface = "builtin:cortex_16k"
offset_steps = 512
[actors.eeg]
kind = "eeg"
reference = "average"
projection = "analytic"
surface = "builtin:cortex_16k"
offset_steps = 512
[actors.meg]
kind = "meg"
projection = "analytic"
surface = "builtin:cortex_16k"
offset_steps = 512
"#;
    record_monitors(&mut text, &["ieeg", "eeg", "meg"]);
    let g = dir.path().join("g.toml");
    std::fs::write(&g, text).unwrap();
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    sensors_against_tvb(
        &out,
        "surface_analytic",
        &[("ieeg", 588, 7), ("eeg", 65, 1), ("meg", 276, 3)],
        12,
    );
}

/// tvb-data's `local_connectivity_16384.mat` read as tvb-library's
/// `LocalConnectivity.from_file` reads it (a compressed level-5 .mat, the
/// sparse `LocalCoupling`): its numbers are scipy's (nnz, sum, entries of
/// make_refs_surface_more.py's surface_lcfile.json), and a 10 ms surface
/// run coupled through it (strength 0.05) is tvb-library's within 1e-13 of
/// each variable's scale. A computed kernel written to a Matrix Market file
/// reads back as the same matrix, bit for bit.
#[test]
fn surface_local_connectivity_file_is_tvb_library_s() {
    use brainstream::models::surface::{
        read_local_connectivity, LocalConnectivity, SpatialEquation, Surface,
    };
    let Some(td) = tvb_data_dir() else {
        return;
    };
    let lcf = td.join("local_connectivity/local_connectivity_16384.mat");
    let m = read_local_connectivity(&lcf, 16384).unwrap();
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/tvb_cases/surface_lcfile.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m.nnz() as u64, meta["nnz"].as_u64().unwrap());
    // numpy's pairwise `data.sum()` over the stored entries, row by row
    assert_eq!(
        brainstream::models::tvb_sum::reduce(&m.val),
        meta["total"].as_f64().unwrap()
    );
    for e in meta["entries"].as_array().unwrap() {
        let (i, j, v) = (
            e[0].as_u64().unwrap() as usize,
            e[1].as_u64().unwrap() as u32,
            e[2].as_f64().unwrap(),
        );
        let k = (m.row_start[i]..m.row_start[i + 1])
            .find(|&k| m.col[k] == j)
            .unwrap();
        assert_eq!(m.val[k], v, "entry ({i}, {j})");
    }
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/surface_g2d.toml"),
        dir.path(),
        &[
            "simulation.duration_ms=10",
            "actors.cortex.vertex_stride=128",
            &format!("actors.cortex.local_connectivity={{ file = {:?} }}", lcf),
        ],
    )
    .unwrap();
    let (_, [ev, ew, er], _) = against_tvb(dir.path(), "surface_lcfile");
    eprintln!("surface with tvb-data's local connectivity vs tvb-library: V {ev:.2e}, W {ew:.2e}, region V {er:.2e}");
    assert!(
        ev <= 1e-13 && ew <= 1e-13 && er <= 1e-13,
        "V {ev:e}, W {ew:e}, regions {er:e}"
    );
    // the computed kernel of surface_g2d, through a Matrix Market file
    let s = Surface::load("builtin:cortex_16k", std::path::Path::new(".")).unwrap();
    let eq = SpatialEquation::Gaussian {
        amp: 1.0,
        sigma: 3.0,
        midpoint: 0.0,
        offset: 0.0,
    };
    let lc = LocalConnectivity::compute(&s, eq, 10.0, 2).unwrap().matrix;
    let mut text = format!(
        "%%MatrixMarket matrix coordinate real general\n{0} {0} {1}\n",
        lc.n,
        lc.nnz()
    );
    for i in 0..lc.n {
        for k in lc.row_start[i]..lc.row_start[i + 1] {
            text.push_str(&format!("{} {} {:e}\n", i + 1, lc.col[k] + 1, lc.val[k]));
        }
    }
    let mtx = dir.path().join("lc.mtx");
    std::fs::write(&mtx, text).unwrap();
    assert!(read_local_connectivity(&mtx, 16384).unwrap() == lc);
}

/// tvb-library 2.10's `StimuliSurface` (make_refs_surface_more.py's
/// surface_stim: a PulseTrain times the sum over three focal points —
/// the first vertices of triangles 0, 9000, 21000 — of a Gaussian, σ 3 mm,
/// of the geodesic distance) on the surface_g2d brain, 10 ms: the spatial
/// pattern within 1e-13 of its largest value (the geodesic distances are
/// ours, not tvb-gdist's, equal to a few ulps, and beyond 9.1σ, where the
/// Gaussian is below 2⁻⁶⁰, not computed), V, W of
/// every 128th vertex and V averaged per region within 1e-13 of each
/// variable's scale.
#[test]
fn surface_stimulus_is_tvb_library_s() {
    use brainstream::models::stimulus::Temporal;
    use brainstream::models::surface::{SpatialEquation, Surface, SurfaceStimulus};
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/tvb_cases/surface_stim.json")).unwrap(),
    )
    .unwrap();
    let s = Surface::load("builtin:cortex_16k", std::path::Path::new(".")).unwrap();
    let tri: Vec<usize> = meta["focal_triangles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    let foci = SurfaceStimulus::vertices_of_triangles(&s, &tri).unwrap();
    let want_foci: Vec<usize> = meta["focal_vertices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(foci, want_foci);
    let eq = SpatialEquation::Gaussian {
        amp: 1.0,
        sigma: 3.0,
        midpoint: 0.0,
        offset: 0.0,
    };
    let st = SurfaceStimulus::new(&s, &foci, eq, Temporal::new("PulseTrain", []).unwrap()).unwrap();
    let (_, want) = npy_f64("surface_stim_spatial.npy");
    let got: Vec<f64> = st.spatial.iter().step_by(128).copied().collect();
    let es = worst(&got, &want);
    let sum_ours: f64 = st.spatial.iter().sum();
    let sum_tvb = meta["spatial_sum"].as_f64().unwrap();
    assert!(
        es <= 1e-13 && (sum_ours - sum_tvb).abs() <= 1e-12 * sum_tvb,
        "spatial pattern {es:e}, sums {sum_ours} vs {sum_tvb}"
    );
    let dir = tempfile::tempdir().unwrap();
    run(
        &root().join("graphs/surface_g2d.toml"),
        dir.path(),
        &[
            "simulation.duration_ms=10",
            "actors.cortex.vertex_stride=128",
            "actors.cortex.stimulus={ equation = \"PulseTrain\", equation_params = { T = 4.0, tau = 1.5, amp = 0.8, onset = 1.0 }, spatial = { equation = \"Gaussian\", sigma = 3.0, amp = 1.0, midpoint = 0.0, offset = 0.0 }, focal_triangles = [0, 9000, 21000] }",
        ],
    )
    .unwrap();
    let (_, [ev, ew, er], rv) = against_tvb(dir.path(), "surface_stim");
    // the stimulus matters: without it the run is surface_g2d's, another one
    let (_, plain) = npy_f64("surface_g2d_regions.npy");
    let moved = worst(&rv, &plain[..rv.len()]);
    eprintln!("surface stimulus vs tvb-library: spatial {es:.2e}, V {ev:.2e}, W {ew:.2e}, region V {er:.2e} (the stimulus moves region V by {moved:.2e})");
    assert!(moved > 1e-6, "the stimulus changed nothing: {moved:e}");
    assert!(
        ev <= 1e-13 && ew <= 1e-13 && er <= 1e-13,
        "V {ev:e}, W {ew:e}, regions {er:e}"
    );
}

/// tvb-library 2.10's `StimuliRegion` on a surface simulation
/// (`make_refs_surface_more.py stimregion`: a PulseTrain T 4, τ 1.5,
/// amp 0.5, onset 1 ms times weights on rM1, lM1, rV1, lPFCDL, spread to
/// each region's vertices through the region mapping) is the built-in
/// `stimulus` actor wired into the surface's `stimulus` input: V, W of
/// every 128th vertex and V averaged per region within 1e-13 of each
/// variable's scale over 10 ms (the engine's own stimulus path, equal to the
/// bit: models' surface `a_driven_stimulus_is_the_built_in_one`).
#[test]
fn a_stimulus_actor_drives_a_surface_as_tvb_library_s_stimuli_region() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(root().join("graphs/surface_g2d.toml")).unwrap();
    text.push_str(
        r#"
[actors.pulse]
kind = "stimulus"
equation = "PulseTrain"
equation_params = { T = 4.0, tau = 1.5, amp = 0.5, onset = 1.0 }
weights = { rM1 = 1.0, lM1 = 0.5, rV1 = 0.8, lPFCDL = -0.6 }

[[edges]]
from = "pulse.stimulus"
to = "cortex.stimulus"
"#,
    );
    let g = dir.path().join("g.toml");
    std::fs::write(&g, text).unwrap();
    let out = dir.path().join("out");
    run(
        &g,
        &out,
        &[
            "simulation.duration_ms=10",
            "actors.cortex.vertex_stride=128",
        ],
    )
    .unwrap();
    let (_, [ev, ew, er], rv) = against_tvb(&out, "surface_stimregion");
    let (_, plain) = npy_f64("surface_g2d_regions.npy");
    let moved = worst(&rv, &plain[..rv.len()]);
    eprintln!("surface driven by a stimulus actor vs tvb-library's StimuliRegion: V {ev:.2e}, W {ew:.2e}, region V {er:.2e} (the stimulus moves region V by {moved:.2e})");
    assert!(moved > 1e-6, "the stimulus changed nothing: {moved:e}");
    assert!(
        ev <= 1e-13 && ew <= 1e-13 && er <= 1e-13,
        "V {ev:e}, W {ew:e}, regions {er:e}"
    );
}
