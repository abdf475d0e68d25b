//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Writes `text` to `dir/name` (a graph or a plan for a test) and returns
/// the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The `brainstream` binary of this build, as a command.
pub fn bs() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_brainstream"))
}

/// Waits for `child` to exit within `within` of `since`; past that it is
/// killed and the test fails, saying `what` did not stop.
pub fn exit_within(
    child: &mut std::process::Child,
    since: std::time::Instant,
    within: std::time::Duration,
    what: &str,
) -> std::process::ExitStatus {
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if since.elapsed() > within {
            let _ = child.kill();
            panic!("{what} did not stop within {} s", within.as_secs_f64());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a graph file with overrides into `out`.
pub fn run(
    graph: &Path,
    out: &Path,
    set: &[&str],
) -> Result<brainstream::RunSummary, brainstream::RuntimeError> {
    let g = brainstream::load_graph(graph, set.iter().map(|s| s.to_string()).collect())?;
    brainstream::run_graph(
        g,
        &brainstream::RunOptions {
            out_dir: out.to_path_buf(),
            ..Default::default()
        },
        |_| {},
    )
}

/// Opens an HDF5 file for reading without HDF5's file lock: tests of one
/// binary run in parallel threads, and a child process started (forked) by
/// another test while a recorder had this file open inherits its file
/// descriptor, and with it the writer's lock, until it exits (the same as
/// `python_h5py` below).
pub fn open_h5(path: &Path) -> hdf5::File {
    hdf5::File::with_options()
        .with_fapl(|p| p.file_locking(false))
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A spike recording (an `hdf5_recorder` on a `spikes` port): its
/// `spikes/times` (ms) and `spikes/senders`, in the file's order.
pub fn read_spikes(path: &Path) -> (Vec<f64>, Vec<u32>) {
    let f = open_h5(path);
    let read = |name: &str| {
        f.dataset(name)
            .unwrap_or_else(|e| panic!("{}: {name}: {e}", path.display()))
    };
    (
        read("spikes/times").read_raw::<f64>().unwrap(),
        read("spikes/senders").read_raw::<u32>().unwrap(),
    )
}

/// `/data` and `/time` of a recorder file.
pub fn read_h5(path: &Path) -> (Vec<usize>, Vec<f64>, Vec<f64>) {
    let f = open_h5(path);
    let d = f.dataset("data").unwrap();
    let t = f.dataset("time").unwrap();
    (
        d.shape(),
        d.read_raw::<f64>().unwrap(),
        t.read_raw::<f64>().unwrap(),
    )
}

/// Python with h5py, or a failed test: CI installs it (`.ci/run`).
pub fn python_h5py(script: &str) -> String {
    // Tests of one binary run in parallel threads: a python started (forked)
    // while another test's recorder has its file open inherits that file
    // descriptor, and with it HDF5's lock on the file, until it exits. So
    // the reader does not take HDF5's file lock.
    let out = std::process::Command::new("python3")
        .env("HDF5_USE_FILE_LOCKING", "FALSE")
        .arg("-c")
        .arg(script)
        .output()
        .expect("python3 must be installed (see .ci/run)");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "python failed:\n{stdout}\n{stderr}");
    stdout
}

/// Python with xarray and h5netcdf (target/pyenv, made by scripts/pyenv.sh,
/// or the bin folder in BRAINSTREAM_PYTHON_BIN): runs `script` and returns
/// its stdout. Where there is none the test says it skipped and gets None,
/// unless BRAINSTREAM_REQUIRE_EXTERNAL=1 (CI), where that fails it.
pub fn python_xarray(script: &str) -> Option<String> {
    let bin = std::env::var_os("BRAINSTREAM_PYTHON_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/pyenv/bin"));
    let py = bin.join("python3");
    let ok = std::process::Command::new(&py)
        .args(["-c", "import xarray, h5netcdf, h5py"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let msg = format!(
            "no Python with xarray and h5netcdf in {} (run scripts/pyenv.sh)",
            bin.display()
        );
        assert!(
            !matches!(
                std::env::var("BRAINSTREAM_REQUIRE_EXTERNAL").as_deref(),
                Ok("1")
            ),
            "{msg}"
        );
        eprintln!("skipped: {msg}");
        return None;
    }
    let out = std::process::Command::new(&py)
        .env("HDF5_USE_FILE_LOCKING", "FALSE")
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "python failed:\n{stdout}\n{stderr}");
    Some(stdout)
}

/// `mpirun` on this host (tests of the `mpi` feature): as many ranks as
/// asked on any core count, as root where the tests run as root
/// (containers, CI), over tcp on the loopback (Open MPI's shared-memory
/// transport wants more /dev/shm than small containers give). Open MPI
/// comes from scripts/deps.sh.
#[cfg(feature = "mpi")]
#[allow(dead_code)]
pub fn mpirun(ranks: usize) -> std::process::Command {
    let mut c = std::process::Command::new("mpirun");
    c.args(["--oversubscribe", "-n", &ranks.to_string()]);
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .is_some_and(|l| l.split_whitespace().nth(1) == Some("0"))
    });
    if root {
        c.arg("--allow-run-as-root");
    }
    c.args([
        "--mca",
        "btl",
        "self,tcp",
        "--mca",
        "btl_tcp_if_include",
        "lo",
    ]);
    c
}

/// Runs `c` (e.g. [`mpirun`]), failing with its output if it fails or
/// cannot start; returns its stdout and stderr.
#[cfg(feature = "mpi")]
#[allow(dead_code)]
pub fn run_ok(c: &mut std::process::Command) -> String {
    let o = c
        .output()
        .unwrap_or_else(|e| panic!("cannot start {c:?} ({e}): scripts/deps.sh installs Open MPI"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{c:?} failed:\n{text}");
    text
}

/// The Vulkan device the GPU tests run on (lavapipe in CI), or `None` after
/// saying on stderr that `what` is not checked here and why. With
/// BRAINSTREAM_REQUIRE_VULKAN set (CI sets it) a missing device fails the
/// test instead: a GPU test never passes unchecked in CI.
pub fn vulkan_device(what: &str) -> Option<brainstream::gpu::GpuDevice> {
    match brainstream::gpu::GpuDevice::open() {
        Ok(d) => Some(d),
        Err(e) => {
            if std::env::var("BRAINSTREAM_REQUIRE_VULKAN").is_ok() {
                panic!("BRAINSTREAM_REQUIRE_VULKAN is set and there is no Vulkan device: {e}");
            }
            eprintln!("no Vulkan device, {what} is not checked here: {e}");
            None
        }
    }
}

/// Bit patterns, so that NaN equals NaN (and −0 is not +0).
pub fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// A closed loop's graph text: ReducedWongWang on the 76-region connectome
/// (Linear coupling a = 0.0042, Heun, golden initial conditions),
/// `duration_ms` long in windows of 10 ms (seed 42), its S recorded by
/// `raw`; the actor `ctrl` (`ctrl`: the lines of its `[actors.ctrl]`
/// table) steers the mean field through its `control` output, over a 10 ms
/// edge into `brain.control`; `edges` (more `[[edges]]`) come before that
/// edge.
pub fn rww_control_loop(duration_ms: f64, ctrl: &str, edges: &str) -> String {
    format!(
        r#"
[simulation]
dt_ms = 0.1
duration_ms = {duration_ms:?}
seed = 42
sync_ms = 10.0

[actors.brain]
kind = "mean_field"
model = "ReducedWongWang"
connectivity = "builtin:tvb76"
speed_mm_per_ms = 3.0
coupling = "Linear"
coupling_params = {{ a = 0.0042, b = 0.0 }}
integrator = "HeunDeterministic"
initial_conditions = "golden"
variables = ["S"]

[actors.ctrl]
{ctrl}
[actors.raw]
kind = "hdf5_recorder"

[[edges]]
from = "brain.state"
to = "raw.input"
{edges}
[[edges]]
from = "ctrl.control"
to = "brain.control"
delay_ms = 10.0
"#
    )
}

/// A JSON array of numbers (a reference file's) as floats.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// `v` as a TOML/Python list literal: `[a, b, …]`, each by `{:?}` (floats
/// keep their decimal point).
pub fn list<T: std::fmt::Debug>(v: &[T]) -> String {
    let s: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
    format!("[{}]", s.join(", "))
}
