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

/// A graph of one mean field whose connectome is `conn` (relative to `dir`).
fn graph_with(dir: &std::path::Path, conn: &str) -> std::path::PathBuf {
    write(
        dir,
        "g.toml",
        &format!(
            "[simulation]\ndt_ms = 0.1\nduration_ms = 10.0\n[actors.brain]\nkind = \"mean_field\"\nconnectivity = \"{conn}\"\n"
        ),
    )
}

#[test]
fn a_zip_bomb_is_refused_after_its_first_rows_not_after_inflating() {
    // weights.txt inflates to 400 MiB of "0 0" rows from a ~0.4 MB zip: it
    // used 1.2 GB before failing; reading now stops at row 3 of a 2×2
    // matrix. `brainstream validate`'s peak memory is measured by Python.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let g = graph_with(dir.path(), "bomb.zip");
    let out = python_h5py(&format!(
        r#"
import zipfile, resource, subprocess, os
d = {d:?}
with zipfile.ZipFile(os.path.join(d, "bomb.zip"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open("weights.txt", "w", force_zip64=True) as f:
        rows = b"0 0\n" * 262144
        for _ in range(400):
            f.write(rows)
    z.writestr("tract_lengths.txt", "0 0\n0 0\n")
print(os.path.getsize(os.path.join(d, "bomb.zip")))
r = subprocess.run([{exe:?}, "validate", {g:?}], capture_output=True, text=True)
print(r.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(r.stderr.replace("\n", " "))
"#,
        exe = env!("CARGO_BIN_EXE_brainstream"),
        g = g.display().to_string(),
    ));
    let lines: Vec<&str> = out.lines().collect();
    let zip_bytes: u64 = lines[0].parse().unwrap();
    assert!(zip_bytes < 2_000_000, "the bomb is {zip_bytes} bytes");
    assert_eq!(lines[1], "1", "{out}");
    let peak_kb: u64 = lines[2].parse().unwrap();
    assert!(
        lines[3].contains(
            "bomb.zip/weights.txt:3:1: weights: more rows than expected (a square matrix of 2 columns has 2 rows)"
        ),
        "{out}"
    );
    assert!(peak_kb < 150_000, "validate peaked at {peak_kb} kB");
}

#[test]
fn an_hdf5_dataset_declaring_a_huge_shape_is_refused_before_it_is_read() {
    // a chunked dataset of 10^6 × 10^6 zeros is a few kB on disk; reading
    // it asked for 8 TB (an allocation abort)
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    python_h5py(&format!(
        r#"
import h5py, os
with h5py.File(os.path.join({d:?}, "huge.h5"), "w") as f:
    f.create_dataset("weights", shape=(1000000, 1000000), dtype="f8", chunks=(64, 64), compression="gzip")
    f.create_dataset("tract_lengths", shape=(2, 2), dtype="f8")
"#
    ));
    let e = brainstream::models::Connectivity::load("huge.h5", dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("huge.h5: `weights` is 1000000×1000000; expected N×N with N ≤ 16384"),
        "{e}"
    );
}

#[test]
fn connectome_errors_name_file_line_and_column_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    std::fs::write(c.join("weights.csv"), "0,1\n1,api-key-12345\n").unwrap();
    std::fs::write(c.join("tract_lengths.csv"), "0,1\n1,0\n").unwrap();
    let e = brainstream::models::Connectivity::load("c", dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with(
            "c/weights.csv:2:3: weights: expected a number, found 13 characters that do not form a number"
        ),
        "{e}"
    );
    assert!(!e.contains("api-key"), "{e}");
    // a centres line is not echoed either
    std::fs::write(c.join("weights.csv"), "0,1\n1,0\n").unwrap();
    std::fs::write(
        c.join("centres.txt"),
        "rA1 1 2 3\nmy secret password is hunter2\n",
    )
    .unwrap();
    let e = brainstream::models::Connectivity::load("c", dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("c/centres.txt:2:1: centres: expected 4 fields `label x y z`, found 5"),
        "{e}"
    );
    assert!(!e.contains("hunter2") && !e.contains("password"), "{e}");
}

#[test]
fn a_fifo_in_place_of_a_matrix_is_refused_not_waited_on() {
    // reading a FIFO blocked validation forever
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    let fifo = c.join("weights.txt");
    let st = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils) must be installed");
    assert!(st.success());
    std::fs::write(c.join("tract_lengths.txt"), "0\n").unwrap();
    let e = brainstream::models::Connectivity::load("c", dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("c/weights.txt: not a regular file"), "{e}");
}
