//! Connectome formats: TVB's HDF5 layout (written by h5py, labels as numpy
//! bytes like TVB's own files), a folder of CSV files, and a TVB zip, all
//! giving the same run as the embedded connectome.

mod common;
use common::*;

fn raw_of(set: &[&str]) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let mut s = vec!["simulation.duration_ms=20"];
    s.extend_from_slice(set);
    run(&root().join("graphs/tvb_rww76.toml"), dir.path(), &s).unwrap();
    read_h5(&dir.path().join("raw.h5")).1
}

#[test]
fn hdf5_csv_and_zip_connectomes_give_the_embedded_run() {
    let want = raw_of(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let src = root().join("models/data").display().to_string();
    python_h5py(&format!(
        r#"
import h5py, numpy as np, shutil, os
src, d = {src:?}, {d:?}
W = np.loadtxt(os.path.join(src, "tvb76_weights.csv"), delimiter=",")
L = np.loadtxt(os.path.join(src, "tvb76_tract_lengths.csv"), delimiter=",")
lab = [l.split(",")[0] for l in open(os.path.join(src, "tvb76_centres.csv")).read().split()[1:]]
with h5py.File(os.path.join(d, "conn.h5"), "w") as f:
    f["weights"] = W
    f["tract_lengths"] = L
    f["region_labels"] = np.array(lab, dtype="S")
os.mkdir(os.path.join(d, "csv"))
np.savetxt(os.path.join(d, "csv", "weights.csv"), W, delimiter=",", fmt="%.17g")
np.savetxt(os.path.join(d, "csv", "tract_lengths.txt"), L, fmt="%.17g")
"#
    ));
    let h5 = format!("actors.brain.connectivity=\"{d}/conn.h5\"");
    assert_eq!(raw_of(&[&h5]), want, "HDF5 connectome");
    let csv = format!("actors.brain.connectivity=\"{d}/csv\"");
    assert_eq!(raw_of(&[&csv]), want, "CSV folder");
    let zip = format!(
        "actors.brain.connectivity=\"{}\"",
        root()
            .join("data/connectivity/connectivity_76.zip")
            .display()
    );
    assert_eq!(raw_of(&[&zip]), want, "TVB zip");

    // region labels survive from the HDF5 file into the recording
    let c = brainstream::models::Connectivity::load("conn.h5", dir.path()).unwrap();
    assert_eq!(c.labels[0], "rA1");
}

#[test]
fn broken_connectome_files_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("bad.zip"), b"not a zip").unwrap();
    std::fs::write(p.join("bad.h5"), b"not hdf5").unwrap();
    std::fs::write(p.join("conn.mat"), b"").unwrap();
    for (f, want) in [
        ("bad.zip", "not a zip file"),
        ("bad.h5", "cannot open as HDF5"),
        ("conn.mat", "unknown connectivity format"),
    ] {
        let e = brainstream::models::Connectivity::load(f, p)
            .unwrap_err()
            .to_string();
        assert!(e.contains(f) && e.contains(want), "{e}");
    }
}

#[test]
fn tvb_zip_with_bzip2_members_loads_as_tvb_library_reads_it() {
    // tvb-data's connectivity_68.zip stores weights.txt.bz2 etc.; the
    // figures are tvb-library 2.10's Connectivity.from_file on this file.
    let c =
        brainstream::models::Connectivity::load("data/connectivity/connectivity_68.zip", &root())
            .unwrap();
    assert_eq!(c.n, 68);
    assert_eq!(c.labels[0], "r_lateralorbitofrontal");
    assert_eq!(c.labels[2], "r_frontalpole");
    let (ws, ls): (f64, f64) = (c.weights.iter().sum(), c.tract_lengths.iter().sum());
    assert!((ws - 10.0597602679514).abs() < 1e-9, "sum of weights {ws}");
    assert!(
        (ls - 94166.45803430001).abs() < 1e-6,
        "sum of tract lengths {ls}"
    );
    assert_eq!(c.weights[1], 0.0064355607);
}
