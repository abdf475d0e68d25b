//! Analytic lead fields against tvb-library 2.10's (the sensor-space
//! monitors without a projection matrix: `Projection.config_for_sim` calls
//! the monitor's `analytic`): on the 76 regions' centres and average
//! orientations (`make_refs_sensors.py analytic`) and on the 16384 vertices
//! of cortex_16384 with its vertex normals (`make_refs_surface_more.py
//! analytic`), iEEG (seeg_588.txt), EEG (eeg_brainstorm_65.txt) and MEG
//! (meg_brainstorm_276.txt). Same operations in numpy's order (`x**3` is
//! C's pow in both): every stored entry (on the surface every 128th vertex
//! of every stored sensor) equal to tvb-library's, bit for bit.

use super::npy;
use brainstream_models::analytic_gain::{analytic_lead_field, Sources};
use brainstream_models::sensors::{Modality, Sensors};
use std::path::{Path, PathBuf};

fn meta(name: &str) -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/tvb_cases")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

const MONITORS: [(&str, &str, Modality); 3] = [
    ("ieeg", "builtin:seeg588", Modality::Internal),
    ("eeg", "builtin:eeg65", Modality::Eeg),
    ("meg", "builtin:meg276", Modality::Meg),
];

/// The worst |ours − tvb| over the stored entries (every `sstride`-th
/// sensor, every `vstride`-th source), over tvb-library's largest |gain|.
fn compare(src: &Sources, file: &str, m: &serde_json::Value, vstride: usize) -> f64 {
    let here = Path::new(".");
    let mut worst = 0.0f64;
    for (name, sensors, modality) in MONITORS {
        let s = Sensors::load(sensors, here, modality).unwrap();
        let lf = analytic_lead_field(&s, src, 1.0).unwrap();
        let mm = &m[name];
        let stride = mm["sensor_stride"].as_u64().unwrap() as usize;
        let (shape, want) = npy(&file.replace("NAME", name));
        let cols = src.len().div_ceil(vstride);
        assert_eq!(shape, vec![s.len().div_ceil(stride), cols], "{name}");
        let scale = mm["max_abs_gain"].as_f64().unwrap();
        let ours_max = lf.gain.iter().fold(0.0f64, |a, g| a.max(g.abs()));
        assert!(
            (ours_max - scale).abs() <= 1e-13 * scale,
            "{name}: largest gain {ours_max} vs {scale}"
        );
        let mut e = 0.0f64;
        for (i, row) in want.chunks(cols).enumerate() {
            for (j, w) in row.iter().enumerate() {
                let g = lf.gain[i * stride * src.len() + j * vstride];
                e = e.max((g - w).abs());
            }
        }
        eprintln!(
            "analytic {name} on the {}: {:.2e} of the largest gain",
            src.what,
            e / scale
        );
        worst = worst.max(e / scale);
    }
    worst
}

#[test]
fn analytic_region_lead_fields_are_tvb_library_s() {
    let src = Sources::regions("builtin:tvb76", Path::new(".")).unwrap();
    let e = compare(
        &src,
        "analytic_tvb76_NAME_gain.npy",
        &meta("analytic_tvb76.json"),
        1,
    );
    assert!(e == 0.0, "{e:e} of the largest gain");
}

#[test]
fn analytic_surface_lead_fields_are_tvb_library_s() {
    let src = Sources::surface("builtin:cortex_16k", Path::new(".")).unwrap();
    let mut m = serde_json::Map::new();
    for (name, _, _) in MONITORS {
        m.insert(name.into(), meta(&format!("surface_analytic_{name}.json")));
    }
    let e = compare(
        &src,
        "surface_analytic_NAME_gain.npy",
        &serde_json::Value::Object(m),
        128,
    );
    assert!(e == 0.0, "{e:e} of the largest gain");
}
