//! Limits checked before any work: a run whose estimated memory or output
//! cannot fit the machine is refused by `validate` and `run` with what it
//! would need (`--allow-large` turns that into a warning); sizes that used
//! to abort allocating ("memory allocation failed", SIGABRT) are refused
//! with an error instead.

mod common;
use common::*;

/// Ten million leaky integrators in windows of 10 000 steps: 800 GB a
/// window (`linear_ode.n_nodes = 1e7` aborted allocating it).
const HUGE_MEMORY: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 2000.0
sync_ms = 1000.0
[actors.a]
kind = "linear_ode"
n_nodes = 10000000
"#;

/// A small state recorded for 10^10 steps: about 800 TB of output.
const HUGE_OUTPUT: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 1e9
[actors.a]
kind = "linear_ode"
n_nodes = 10000
[actors.rec]
kind = "hdf5_recorder"
[[edges]]
from = "a.output"
to = "rec.input"
"#;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_run_that_cannot_fit_the_memory_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "g.toml", HUGE_MEMORY);
    let o = bs().arg("validate").arg(&g).output().unwrap();
    let e = stderr_of(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("the run needs about") && e.contains("of memory") && e.contains("available"),
        "{e}"
    );
    assert!(
        e.contains("most for actor `a`") && e.contains("--allow-large"),
        "{e}"
    );
    // `run` refuses it too, before its output folder exists
    let out = dir.path().join("out");
    let o = bs()
        .arg("run")
        .arg(&g)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr_of(&o));
    assert!(stderr_of(&o).contains("the run needs about"));
    assert!(!out.exists(), "the refused run created {}", out.display());
    // --allow-large: a warning, and validation passes
    let o = bs()
        .arg("validate")
        .arg(&g)
        .arg("--allow-large")
        .output()
        .unwrap();
    let e = stderr_of(&o);
    assert!(o.status.success(), "{e}");
    assert!(e.starts_with("warning: the run needs about"), "{e}");
}

#[test]
fn a_run_whose_output_cannot_fit_its_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "g.toml", HUGE_OUTPUT);
    // without --out, validate only reports the size
    let o = bs().arg("validate").arg(&g).output().unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(said.contains("writes about 800.2 TB"), "{said}");
    let o = bs()
        .arg("validate")
        .arg(&g)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let e = stderr_of(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("the run writes about 800.2 TB to") && e.contains("most by actor `rec`"),
        "{e}"
    );
}

#[test]
fn sizes_that_aborted_allocating_are_refused_or_estimated() {
    let dir = tempfile::tempdir().unwrap();
    // poisson_generator.n_trains = 1e8 at 100 Hz: 10^6 spikes a step
    let g = write(
        dir.path(),
        "p.toml",
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 1000.0
sync_ms = 100.0
[actors.p]
kind = "poisson_generator"
rate = 100.0
n_trains = 100000000
[actors.rec]
kind = "hdf5_recorder"
[[edges]]
from = "p.spikes"
to = "rec.spikes"
"#,
    );
    let o = bs().arg("validate").arg(&g).output().unwrap();
    let e = stderr_of(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("most for actor `p`"), "{e}");
    // populations of 10^9 neurons: over the documented maximum
    let g = write(
        dir.path(),
        "n.toml",
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 10.0
[actors.net]
kind = "spiking_network"
regions = ["a", "b"]
populations = { E = 60000000 }
"#,
    );
    let o = bs().arg("validate").arg(&g).output().unwrap();
    let e = stderr_of(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("actors.net.populations: 2 regions of 60000000 neurons are more than the 100000000 neurons one actor may hold"),
        "{e}"
    );
}
