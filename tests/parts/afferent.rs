//! `mean_field.coupling_regions = "all"`: the coupling every region
//! receives, as tvb-library 2.10's AfferentCoupling and
//! AfferentCouplingTemporalAverage monitors record it
//! (tests/data/tvb_cases/make_refs_afferent.py).

use super::*;

/// Raw through a recorder and averaged by `temporal_average` (period 1 ms,
/// tvb-library's phase with `offset_steps = horizon − 1`), over windows of
/// 7 ms that do not divide the 60 ms run: the same samples as tvb-library,
/// the last one (the coupling of the step after the run) included.
#[test]
fn every_regions_coupling_is_tvb_library_s_afferent_coupling() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 60.0
sync_ms = 7.0
[actors.brain]
kind = "mean_field"
model = "Generic2dOscillator"
coupling = "Linear"
coupling_params = { a = 0.0042, b = 0.0 }
integrator = "HeunDeterministic"
initial_conditions = "golden"
coupling_regions = "all"
[actors.raw]
kind = "hdf5_recorder"
[actors.tavg]
kind = "temporal_average"
period_ms = 1.0
offset_steps = 512
[actors.tavg_rec]
kind = "hdf5_recorder"
[[edges]]
from = "brain.coupling"
to = "raw.input"
[[edges]]
from = "brain.coupling"
to = "tavg.input"
[[edges]]
from = "tavg.output"
to = "tavg_rec.input"
"#,
    );
    let out = dir.path().join("out");
    run(&g, &out, &[]).unwrap();
    for (rec, name, rows, shift) in [
        ("raw", "afferent_raw", 600, 51.2),
        ("tavg_rec", "afferent_tavg", 60, 0.0),
    ] {
        let (shape, ours, times) = read_h5(&out.join(format!("{rec}.h5")));
        assert_eq!(shape, vec![rows, 1, 76, 1], "{rec}");
        let (tshape, tvb) = tvb_case_npy(&format!("{name}_data.npy"));
        let (_, ttimes) = tvb_case_npy(&format!("{name}_time.npy"));
        assert_eq!(tshape, vec![rows, 1, 76], "{name}");
        // tvb-library counts its steps from the horizon (513 here)
        for (k, (t, want)) in times.iter().zip(&ttimes).enumerate() {
            assert!(
                (t + shift - want).abs() < 1e-9,
                "{rec}: sample {k} at {t} ms, tvb-library's at {want}"
            );
        }
        assert!(tvb.iter().any(|v| *v != 0.0));
        let differ = ours
            .iter()
            .zip(&tvb)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(
            differ, 0,
            "{rec}: {differ} values differ from tvb-library's"
        );
    }
}

/// A value other than `proxies` or `all` is refused at its key.
#[test]
fn coupling_regions_takes_proxies_or_all() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(
        dir.path(),
        "g.toml",
        "[simulation]\ndt_ms = 0.1\nduration_ms = 1.0\n[actors.brain]\nkind = \"mean_field\"\ncoupling_regions = \"every\"\n",
    );
    let e = run(&g, &dir.path().join("out"), &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("coupling_regions") && e.contains("`every`"),
        "{e}"
    );
}
