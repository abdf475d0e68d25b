//! Ctrl-C and SIGTERM: a run stops through its cancel path — every actor
//! finishes, recordings stay readable, hold whole windows and are marked
//! incomplete, plots are drawn, the run's shared-memory files are removed,
//! one line says where it stopped, and the exit status is 130 (SIGINT) or
//! 143 (SIGTERM); the launcher forwards the signal to its partitions and
//! waits for them; a second signal exits at once; a sweep stops with its
//! rows intact, and the same command finishes it with the same bits.

mod common;
use common::*;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Sends `sig` (`INT`, `TERM`) to process `pid`.
fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// Waits (up to 60 s) until `cond` holds, failing the test with `what`.
fn wait_until(child: &mut Child, what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        if let Ok(Some(st)) = child.try_wait() {
            panic!("the process ended ({st}) before {what}");
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{what}: not within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The shared-memory files of the run started by process `pid` (its token
/// begins with the pid of the process that made it, in hex).
fn shm_of(pid: u32) -> Vec<String> {
    let prefix = format!("bs-{pid:x}-");
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// "stopped by CAUSE in window W (t = T ms); recordings in OUT are complete
/// up to t = C ms", the last line of `stderr`: (cause, W, T, C).
fn stop_line(stderr: &str) -> (String, u64, f64, f64) {
    let line = stderr.lines().last().unwrap_or("");
    let field = |after: &str, until: &str| -> String {
        let rest = &line[line
            .find(after)
            .unwrap_or_else(|| panic!("no `{after}` in: {stderr}"))
            + after.len()..];
        rest[..rest.find(until).unwrap_or(rest.len())].to_string()
    };
    assert!(line.starts_with("stopped by "), "{stderr}");
    (
        field("stopped by ", " in window"),
        field(" in window ", " ").parse().unwrap(),
        field("(t = ", " ms)").parse().unwrap(),
        field("complete up to t = ", " ms").parse().unwrap(),
    )
}

/// Rows, last time and `complete` of a recorder file, read by h5py; every
/// value must be finite.
fn recording(p: &Path) -> (usize, f64, bool) {
    let out = python_h5py(&format!(
        r#"
import h5py, numpy as np
f = h5py.File({p:?}, "r")
d, t = f["data"][:], f["time"][:]
assert d.shape[0] == t.shape[0] > 0 and np.isfinite(d).all(), (d.shape, t.shape)
print(d.shape[0], t[-1], int(bool(f.attrs["complete"])))
"#,
        p = p.display().to_string()
    ));
    let v: Vec<&str> = out.split_whitespace().collect();
    (v[0].parse().unwrap(), v[1].parse().unwrap(), v[2] == "1")
}

/// A recording stopped at a window's end: `steps_per_window` samples a
/// window (one a step, stamped at its end), the last at or after the time
/// every recording is complete up to.
fn whole_windows(p: &Path, steps_per_window: usize, complete_ms: f64) {
    let (rows, t_last, complete) = recording(p);
    assert!(!complete, "{}: marked complete", p.display());
    assert_eq!(rows % steps_per_window, 0, "{}: {rows} rows", p.display());
    assert!((t_last - rows as f64 * 0.1).abs() < 1e-6, "{t_last}");
    assert!(t_last + 1e-9 >= complete_ms, "{t_last} < {complete_ms}");
}

/// The co-simulation graph with its spiking side in a partition of its own.
fn partitioned(dir: &Path) -> std::path::PathBuf {
    let mut s = std::fs::read_to_string(root().join("graphs/cosim_wc76_spiking.toml")).unwrap();
    for (p, actors) in [
        (
            "spiking",
            &[
                "gen",
                "net",
                "filt",
                "spikes",
                "rates",
                "raster",
                "rates_plot",
            ][..],
        ),
        ("brain", &["brain", "to_wc", "raw", "brain_plot"][..]),
    ] {
        for a in actors {
            s = s.replace(
                &format!("[actors.{a}]\n"),
                &format!("[actors.{a}]\nprocess = \"{p}\"\n"),
            );
        }
    }
    write(dir, "parts.toml", &s)
}

#[test]
fn ctrl_c_stops_a_partitioned_run_cleanly_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let parts = partitioned(dir.path());
    let out = dir.path().join("o");
    let started = std::time::SystemTime::now();
    let mut launcher = bs()
        .arg("run")
        .arg(&parts)
        .arg("--out")
        .arg(&out)
        .args([
            "--set",
            "simulation.duration_ms=60000",
            "--transport",
            "shm",
            "--allow-large",
            "-q",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = launcher.id();
    wait_until(&mut launcher, "both partitions recorded", || {
        size(&out.join("raw.h5")) > 100_000 && size(&out.join("rates.h5")) > 50_000
    });
    assert!(!shm_of(pid).is_empty(), "the run's shared memory is there");
    let t = Instant::now();
    signal(pid, "INT");
    let status = exit_within(&mut launcher, t, Duration::from_secs(20), "the run");
    let o = launcher.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    let (cause, window, t_ms, complete) = stop_line(&stderr);
    assert_eq!(cause, "SIGINT");
    // 1 ms windows
    assert!(
        window > 0 && (t_ms - window as f64).abs() < 1e-9,
        "{stderr}"
    );
    assert!(complete > 0.0 && complete <= t_ms + 1.0, "{stderr}");
    assert!(
        stderr.contains(&format!("recordings in {} are complete", out.display())),
        "{stderr}"
    );
    // each partition stopped through its cancel path, not killed
    for p in ["brain", "spiking"] {
        let log = std::fs::read_to_string(out.join(format!("partition-{p}.log"))).unwrap();
        assert!(
            log.lines()
                .any(|l| l.starts_with("stopped by SIGINT in window")),
            "{p}: {log}"
        );
    }
    whole_windows(&out.join("raw.h5"), 10, complete);
    whole_windows(&out.join("rates.h5"), 10, complete);
    // the plots were drawn from what was recorded, at the stop
    for png in ["brain_plot.png", "raster.png", "rates_plot.png"] {
        let p = out.join(png);
        let bytes = std::fs::read(&p).unwrap_or_default();
        assert!(bytes.starts_with(b"\x89PNG"), "{png} not written");
        let made = std::fs::metadata(&p).unwrap().modified().unwrap();
        assert!(made >= started, "{png} is older than the run");
    }
    assert_eq!(shm_of(pid), Vec::<String>::new(), "shared memory left");
}

#[test]
fn sigterm_stops_a_run_with_status_143() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = bs()
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--allow-large"])
        .args([
            "--set",
            "simulation.duration_ms=600000",
            "--transport",
            "shm",
        ])
        .arg("--out")
        .arg(dir.path())
        .current_dir(root())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = run.id();
    // a flush (every second) has written a few 100 ms windows
    wait_until(&mut run, "raw.h5 has data", || {
        size(&dir.path().join("raw.h5")) > 1_000_000
    });
    assert!(!shm_of(pid).is_empty(), "the run's shared memory is there");
    let t = Instant::now();
    signal(pid, "TERM");
    let status = exit_within(&mut run, t, Duration::from_secs(20), "the run");
    let o = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(status.code(), Some(143), "{stderr}");
    let (cause, window, t_ms, complete) = stop_line(&stderr);
    assert_eq!(cause, "SIGTERM");
    assert!((t_ms - window as f64 * 100.0).abs() < 1e-6, "{stderr}");
    // 100 ms windows of 1000 steps; the 1 ms averages end with theirs
    whole_windows(&dir.path().join("raw.h5"), 1000, complete);
    assert!(!recording(&dir.path().join("tavg_rec.h5")).2);
    assert_eq!(shm_of(pid), Vec::<String>::new(), "shared memory left");
}

#[test]
fn a_second_signal_exits_at_once_removing_the_shared_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = bs()
        .args(["run", "graphs/tvb_rww76.toml", "-q", "--allow-large"])
        .args([
            "--set",
            "simulation.duration_ms=600000",
            "--transport",
            "shm",
        ])
        .arg("--out")
        .arg(dir.path())
        .current_dir(root())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = run.id();
    wait_until(&mut run, "the run's shared memory", || {
        shm_of(pid).len() == 3 && size(&dir.path().join("raw.h5")) > 0
    });
    // two different signals (the same one twice may arrive as one)
    let t = Instant::now();
    signal(pid, "INT");
    signal(pid, "TERM");
    let status = exit_within(&mut run, t, Duration::from_secs(5), "the run");
    let o = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("second signal (SIGTERM): exiting at once"),
        "{stderr}"
    );
    assert!(!stderr.contains("stopped by"), "{stderr}");
    assert_eq!(shm_of(pid), Vec::<String>::new(), "shared memory left");
}

/// The sweep table, as bit patterns (NaN equals NaN).
fn table_bits(out: &Path) -> Vec<u64> {
    let f = open_h5(&out.join("sweep.h5"));
    let d = f.dataset("table").unwrap();
    d.read_raw::<f64>()
        .unwrap()
        .iter()
        .map(|x| x.to_bits())
        .collect()
}

#[test]
fn ctrl_c_stops_a_sweep_and_the_same_command_finishes_it_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "s.toml",
        &format!(
            r#"
graph = "{}"
duration_ms = 400.0
transient_ms = 200.0
[[axes]]
param = "coupling_params.a"
values = [0.0, 0.3]
[[axes]]
param = "model_params.b_e"
linspace = [0.0, 60.0, 3]
[analysis]
rates = ["E", "I"]
fcd_window_ms = 100.0
fcd_step_ms = 50.0
"#,
            root().join("graphs/adex68.toml").display()
        ),
    );
    // one thread: slow enough to be interrupted (the rows do not depend
    // on the thread count)
    let sweep = |out: &Path, threads: &str| {
        let mut c = bs();
        c.arg("sweep")
            .arg(&file)
            .args(["--backend", "cpu", "--threads", threads, "--out"])
            .arg(out);
        c
    };
    let full = dir.path().join("full");
    let o = sweep(&full, "2").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let out = dir.path().join("o");
    let rows = out.join("rows.jsonl");
    let mut s = sweep(&out, "1").stderr(Stdio::piped()).spawn().unwrap();
    // rows after the header line
    let lines = || {
        std::fs::read_to_string(&rows)
            .map(|t| t.lines().count().saturating_sub(1))
            .unwrap_or(0)
    };
    wait_until(&mut s, "a combination done", || lines() >= 1);
    let t = Instant::now();
    signal(s.id(), "INT");
    let status = exit_within(&mut s, t, Duration::from_secs(20), "the sweep");
    let o = s.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    let done = lines();
    assert!(done < 6, "the sweep was not interrupted: {stderr}");
    assert!(
        stderr.contains(&format!(
            "stopped by SIGINT with {done} of 6 combinations done; {} holds them",
            rows.display()
        )),
        "{stderr}"
    );
    // every row whole, no table yet
    let text = std::fs::read_to_string(&rows).unwrap();
    assert!(text.ends_with('\n'));
    for l in text.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
    assert!(!out.join("sweep.h5").exists());

    let o = sweep(&out, "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains(&format!(
            "6 combinations ({} run now, {done} found done)",
            6 - done
        )),
        "{stdout}"
    );
    assert_eq!(table_bits(&out), table_bits(&full));
}

#[test]
fn a_run_stopped_by_its_launcher_names_the_window_it_had_reached() {
    // what a partition's input watch does when the launcher stops it (the
    // message said "window 0 (t = 0 ms)" whatever the window)
    let dir = tempfile::tempdir().unwrap();
    let g = brainstream::load_graph(
        &root().join("graphs/tvb_rww76.toml"),
        vec!["simulation.duration_ms=600000".into()],
    )
    .unwrap();
    let cancel = std::sync::Arc::new(brainstream::runtime::Cancel::new());
    let c = cancel.clone();
    let err = brainstream::run_graph(
        g,
        &brainstream::RunOptions {
            out_dir: dir.path().to_path_buf(),
            cancel: Some(cancel),
            ..Default::default()
        },
        // after 2 s of simulated time
        move |p| {
            if p.steps_done >= 20_000 {
                c.cancel("the launcher (partition `x` exited with status 1)");
            }
        },
    )
    .unwrap_err();
    let msg = err.to_string();
    let (cause, window, t_ms, complete) = stop_line(&msg);
    assert_eq!(cause, "the launcher (partition `x` exited with status 1)");
    assert!(window >= 20, "{msg}");
    assert!((t_ms - window as f64 * 100.0).abs() < 1e-6, "{msg}");
    assert!(complete >= 2000.0, "{msg}");
    whole_windows(&dir.path().join("raw.h5"), 1000, complete);
}
