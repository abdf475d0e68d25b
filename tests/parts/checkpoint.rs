//! Checkpoints (issue 25): a run stopped at a window boundary with a
//! checkpoint (`--stop-at`, what Ctrl-C does in a checkpointed run), then
//! resumed with `brainstream resume`, writes the same values to the bit as a
//! run that never stopped — every dataset of every recording — whether the
//! resumed run continues in the same folder or in another (its recordings
//! copied there first), and from a checkpoint the run went on past
//! (`--checkpoint-every`: the files are cut back to the checkpoint). A
//! checkpoint of another version or another graph is refused, and a graph
//! with an actor that cannot save its state refuses to checkpoint, naming it.

use crate::common::*;
use std::path::Path;
use std::process::Output;

fn ok(o: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}

fn failed(o: &Output, what: &str) -> String {
    assert!(!o.status.success(), "{what} should have failed");
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// `brainstream run GRAPH --out OUT -q` with overrides and more options.
fn run_cli(graph: &str, out: &Path, set: &[&str], more: &[&str]) -> Output {
    let mut c = bs();
    c.args(["run", graph, "-q", "--out"])
        .arg(out)
        .current_dir(root());
    for s in set {
        c.args(["--set", s]);
    }
    c.args(more).output().unwrap()
}

fn resume(ckpt: &Path, out: &Path, more: &[&str]) -> Output {
    bs().arg("resume")
        .arg(ckpt)
        .arg("--out")
        .arg(out)
        .args(more)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Every dataset of an HDF5 file, by path, as its raw bytes (numbers) or
/// strings, and the `complete` attribute.
fn contents(path: &Path) -> (Vec<(String, Vec<u8>)>, bool) {
    let f = open_h5(path);
    let mut out = vec![];
    fn walk(g: &hdf5::Group, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
        for name in g.member_names().unwrap() {
            let p = format!("{prefix}{name}");
            if let Ok(d) = g.dataset(&name) {
                let dt = d.dtype().unwrap();
                let bytes = if dt.is::<f64>() {
                    d.read_raw::<f64>()
                        .unwrap()
                        .iter()
                        .flat_map(|x| x.to_le_bytes())
                        .collect()
                } else if dt.is::<u64>() {
                    d.read_raw::<u64>()
                        .unwrap()
                        .iter()
                        .flat_map(|x| x.to_le_bytes())
                        .collect()
                } else if dt.is::<i64>() {
                    d.read_raw::<i64>()
                        .unwrap()
                        .iter()
                        .flat_map(|x| x.to_le_bytes())
                        .collect()
                } else if dt.is::<u32>() {
                    d.read_raw::<u32>()
                        .unwrap()
                        .iter()
                        .flat_map(|x| x.to_le_bytes())
                        .collect()
                } else if dt.is::<f32>() {
                    d.read_raw::<f32>()
                        .unwrap()
                        .iter()
                        .flat_map(|x| x.to_le_bytes())
                        .collect()
                } else {
                    // strings (labels, names)
                    d.read_raw::<hdf5::types::VarLenUnicode>()
                        .unwrap()
                        .iter()
                        .flat_map(|s| s.as_str().as_bytes().to_vec())
                        .collect()
                };
                out.push((format!("{p} {:?}", d.shape()), bytes));
            } else if let Ok(sub) = g.group(&name) {
                walk(&sub, &format!("{p}/"), out);
            }
        }
    }
    walk(&f, "", &mut out);
    let complete = f.attr("complete").unwrap().read_scalar::<bool>().unwrap();
    (out, complete)
}

/// The recordings of `b` hold the same values as those of `a`, and both
/// are complete.
fn same_recordings(a: &Path, b: &Path, files: &[&str], what: &str) {
    for f in files {
        let (x, cx) = contents(&a.join(f));
        let (y, cy) = contents(&b.join(f));
        assert!(cx && cy, "{what}: {f} complete: {cx} {cy}");
        assert_eq!(x.len(), y.len(), "{what}: {f}: datasets");
        assert!(
            x.iter()
                .any(|(n, v)| n.starts_with("data") && v.len() > 1000)
                || f.contains("spikes")
        );
        for ((n, u), (m, v)) in x.iter().zip(&y) {
            assert_eq!(n, m, "{what}: {f}");
            assert!(u == v, "{what}: {f}: {n} differs");
        }
    }
}

/// A run, the same run stopped half way then resumed (into another folder,
/// and in place), and resumed from a periodic checkpoint it went past: the
/// same recordings.
fn stop_and_resume(graph: &str, set: &[&str], stop_ms: &str, every_ms: &str, files: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&run_cli(graph, &d.join("full"), set, &[]), "the whole run");
    let half = ok(
        &run_cli(graph, &d.join("half"), set, &["--stop-at", stop_ms]),
        "the run stopped half way",
    );
    let ckpt = d.join(format!("half/checkpoints/t={stop_ms}ms"));
    assert!(
        half.contains(&format!("stopped at t = {stop_ms} ms as asked")),
        "{half}"
    );
    // stopped: its recordings end at the checkpoint, marked incomplete
    let (_, complete) = contents(&d.join("half").join(files[0]));
    assert!(!complete);
    ok(
        &resume(&ckpt, &d.join("other"), &["-q"]),
        "resume into another folder",
    );
    same_recordings(
        &d.join("full"),
        &d.join("other"),
        files,
        "resumed elsewhere",
    );
    ok(&resume(&ckpt, &d.join("half"), &["-q"]), "resume in place");
    same_recordings(&d.join("full"), &d.join("half"), files, "resumed in place");
    // a periodic checkpoint the run went past
    let every = ok(
        &run_cli(
            graph,
            &d.join("every"),
            set,
            &["--checkpoint-every", every_ms],
        ),
        "the run with periodic checkpoints",
    );
    let first = d.join(format!("every/checkpoints/t={every_ms}ms"));
    assert!(
        every.contains(&format!("checkpoint at t = {every_ms} ms")),
        "{every}"
    );
    ok(
        &resume(&first, &d.join("again"), &["-q"]),
        "resume from the first periodic checkpoint",
    );
    same_recordings(
        &d.join("full"),
        &d.join("again"),
        files,
        "resumed from a periodic checkpoint",
    );
}

const MF: &[&str] = &["raw.h5", "tavg_rec.h5"];
/// 125-step windows: a window ends inside the engine's coupling batch
const RWW: [&str; 2] = ["simulation.duration_ms=300", "simulation.sync_ms=12.5"];

#[test]
fn mean_field_resumes_to_the_bit() {
    stop_and_resume("graphs/tvb_rww76.toml", &RWW, "150", "100", MF);
}

#[test]
fn stochastic_mean_field_resumes_to_the_bit() {
    let noisy = [
        RWW[0],
        RWW[1],
        "actors.brain.integrator=\"HeunStochastic\"",
        "actors.brain.nsig=[1e-5]",
    ];
    // numpy's stream (its Mersenne Twister and held normal)
    stop_and_resume("graphs/tvb_rww76.toml", &noisy, "150", "100", MF);
    // the Philox stream
    let philox = [noisy.as_slice(), &["actors.brain.noise_stream=\"philox\""]].concat();
    stop_and_resume("graphs/tvb_rww76.toml", &philox, "150", "100", MF);
    // coloured noise (its Ornstein–Uhlenbeck η)
    let coloured = [noisy.as_slice(), &["actors.brain.noise_ntau=5.0"]].concat();
    stop_and_resume("graphs/tvb_rww76.toml", &coloured, "150", "100", MF);
}

const COSIM: &str = "graphs/cosim_wc76_spiking.toml";
const COSIM_FILES: &[&str] = &["raw.h5", "spikes.h5", "rates.h5"];

/// The in-process co-simulation: the mean field, Poisson proxy trains, the
/// spiking network (its neurons, queued spikes, background generator) and
/// the delayed edges between them (1 ms, the window).
#[test]
fn cosimulation_resumes_to_the_bit() {
    stop_and_resume(
        COSIM,
        &["simulation.duration_ms=60"],
        "30",
        "20",
        COSIM_FILES,
    );
}

/// A partitioned run: each partition writes its part of the checkpoint
/// (its actors, its input edges, those from the other partition included),
/// the launcher starts each from its part.
#[test]
fn a_partitioned_run_resumes_to_the_bit() {
    let set = ["simulation.duration_ms=60", "actors.net.process=\"spk\""];
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&run_cli(COSIM, &d.join("full"), &set, &[]), "the whole run");
    let half = ok(
        &run_cli(COSIM, &d.join("half"), &set, &["--stop-at", "30"]),
        "the partitioned run stopped half way",
    );
    let ckpt = d.join("half/checkpoints/t=30ms");
    assert!(half.contains("stopped at t = 30 ms as asked"), "{half}");
    for part in ["main.ckpt", "spk.ckpt"] {
        assert!(ckpt.join(part).is_file(), "{part}");
    }
    ok(
        &resume(&ckpt, &d.join("other"), &["-q"]),
        "resume of the partitioned run",
    );
    same_recordings(&d.join("full"), &d.join("other"), COSIM_FILES, "partitions");
}

/// Ctrl-C in a checkpointed run: every actor goes on to the next window
/// boundary, saves its state there and stops (status 130); resuming gives
/// the uninterrupted run's files.
#[test]
fn ctrl_c_stops_with_a_checkpoint() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    // flushed every window, to see it run
    let set = [
        "simulation.duration_ms=600",
        "actors.raw.flush_s=0",
        "actors.spikes.flush_s=0",
        "actors.rates.flush_s=0",
    ];
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("stopped");
    let mut c = bs();
    c.args(["run", COSIM, "-q", "--checkpoint-every", "100000", "--out"])
        .arg(&out)
        .current_dir(root());
    for s in set {
        c.args(["--set", s]);
    }
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    while size(&out.join("raw.h5")) < 100_000 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was stopped"
        );
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the run did not start"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let ok_kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok_kill);
    let status = exit_within(
        &mut child,
        Instant::now(),
        Duration::from_secs(30),
        "the run",
    );
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    // "stopped by SIGINT at t = T ms with a checkpoint in DIR; …"
    let line = stderr
        .lines()
        .find(|l| l.starts_with("stopped by SIGINT at t = "))
        .unwrap_or_else(|| panic!("{stderr}"));
    let ckpt = Path::new(
        line.split(" with a checkpoint in ")
            .nth(1)
            .and_then(|r| r.split(';').next())
            .unwrap(),
    )
    .to_path_buf();
    assert!(ckpt.join("all.ckpt").is_file(), "{stderr}");
    assert!(
        stderr.contains("continue with: brainstream resume"),
        "{stderr}"
    );
    ok(&resume(&ckpt, &out, &["-q"]), "resume after Ctrl-C");
    ok(&run_cli(COSIM, &d.join("full"), &set, &[]), "the whole run");
    same_recordings(&d.join("full"), &out, COSIM_FILES, "stopped by Ctrl-C");
}

#[test]
fn a_checkpoint_of_another_version_or_graph_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let g = "graphs/tvb_rww76.toml";
    ok(
        &run_cli(g, &d.join("a"), &RWW, &["--stop-at", "100"]),
        "the run",
    );
    let ckpt = d.join("a/checkpoints/t=100ms");
    // another version of brainstream wrote it
    let old = d.join("old");
    std::fs::create_dir_all(&old).unwrap();
    let bytes = std::fs::read(ckpt.join("all.ckpt")).unwrap();
    let text = String::from_utf8_lossy(&bytes[..200]).to_string();
    let version = format!("\"brainstream\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "{text}");
    let at = text.find(&version).unwrap() + "\"brainstream\":\"".len();
    let mut patched = bytes.clone();
    patched[at] = b'9';
    std::fs::write(old.join("all.ckpt"), &patched).unwrap();
    let e = failed(
        &resume(&old, &d.join("b"), &["-q"]),
        "resume of another version",
    );
    assert!(
        e.contains("a checkpoint of brainstream 9")
            && e.contains(&format!(
                "this is brainstream {}",
                env!("CARGO_PKG_VERSION")
            )),
        "{e}"
    );
    // another graph: the checkpoint's graph with another coupling
    let other = write(
        d,
        "other.toml",
        &std::fs::read_to_string(root().join(g))
            .unwrap()
            .replace("a = 0.0042", "a = 0.005"),
    );
    let e = failed(
        &resume(&ckpt, &d.join("c"), &["--graph", other.to_str().unwrap()]),
        "resume with another graph",
    );
    assert!(e.contains("was taken from another graph"), "{e}");
    // other overrides make another graph too
    let e = failed(
        &bs()
            .args(["run", g, "-q", "--out"])
            .arg(d.join("e"))
            .args([
                "--set",
                RWW[0],
                "--set",
                "simulation.sync_ms=25",
                "--resume-from",
            ])
            .arg(&ckpt)
            .current_dir(root())
            .output()
            .unwrap(),
        "run with other overrides",
    );
    assert!(e.contains("was taken from another graph"), "{e}");
    // not a checkpoint
    let junk = d.join("junk");
    std::fs::create_dir_all(&junk).unwrap();
    std::fs::write(junk.join("all.ckpt"), "hello").unwrap();
    let e = failed(
        &resume(&junk, &d.join("f"), &[]),
        "resume of a non-checkpoint",
    );
    assert!(e.contains("not a brainstream checkpoint"), "{e}");
}

#[test]
fn an_actor_that_cannot_save_its_state_is_named() {
    // NEST runs in another program: its state cannot be saved; refused
    // before anything starts (NEST is not needed to see it)
    let dir = tempfile::tempdir().unwrap();
    let e = failed(
        &run_cli(
            "graphs/cosim_wc76_nest.toml",
            &dir.path().join("o"),
            &[],
            &["--checkpoint-every", "100"],
        ),
        "a checkpointed run of an external simulator",
    );
    assert!(
        e.contains("`net` (kind `external`") && e.contains("cannot be checkpointed"),
        "{e}"
    );
    assert!(!dir.path().join("o/net.h5").exists());
}

/// The events file of a run (empty if none).
fn events_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("steering.jsonl")).unwrap_or_default()
}

/// The windows of the changes in an events file.
fn event_windows(text: &str) -> Vec<u64> {
    text.lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["window"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

/// A steered run, the same run stopped at `stop_ms` then resumed (into
/// another folder and in place), and resumed from a periodic checkpoint
/// at `every_ms` it went past: the same recordings, and the same events
/// file to the byte (the resumed run's begins with the changes before its
/// checkpoint). `more` (e.g. `--replay FILE`) is given to every run and
/// resume. Some changes must fall before the checkpoint and some after.
fn steered_stop_and_resume(
    graph: &Path,
    more: &[&str],
    stop_ms: &str,
    every_ms: &str,
    files: &[&str],
) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let g = graph.to_str().unwrap();
    ok(&run_cli(g, &d.join("full"), &[], more), "the whole run");
    let full_events = events_text(&d.join("full"));
    let stop_w: u64 = (stop_ms.parse::<f64>().unwrap() / 10.0) as u64;
    let w = event_windows(&full_events);
    assert!(
        w.iter().any(|&x| x < stop_w) && w.iter().any(|&x| x >= stop_w),
        "changes on both sides of window {stop_w}: {full_events}"
    );
    let stopped = [more, &["--stop-at", stop_ms]].concat();
    ok(
        &run_cli(g, &d.join("half"), &[], &stopped),
        "the run stopped half way",
    );
    let ckpt = d.join(format!("half/checkpoints/t={stop_ms}ms"));
    let resumed = [&["-q"], more].concat();
    for (out, what) in [("other", "resumed elsewhere"), ("half", "resumed in place")] {
        ok(&resume(&ckpt, &d.join(out), &resumed), what);
        same_recordings(&d.join("full"), &d.join(out), files, what);
        assert_eq!(events_text(&d.join(out)), full_events, "{what}: the events");
    }
    let every = [more, &["--checkpoint-every", every_ms]].concat();
    ok(
        &run_cli(g, &d.join("every"), &[], &every),
        "the run with periodic checkpoints",
    );
    let first = d.join(format!("every/checkpoints/t={every_ms}ms"));
    ok(
        &resume(&first, &d.join("every"), &resumed),
        "resume in place from a periodic checkpoint the run went past",
    );
    same_recordings(
        &d.join("full"),
        &d.join("every"),
        files,
        "resumed from a periodic checkpoint",
    );
    assert_eq!(
        events_text(&d.join("every")),
        full_events,
        "resumed from a periodic checkpoint: the events"
    );
}

/// The mean field's coupling steered by a controller through its `control`
/// input (tests/parts/closed_loop.rs's loop): the checkpoint carries the
/// value `a` had been steered to, and the resumed run goes on from it.
#[test]
fn a_run_steered_by_a_controller_resumes_to_the_bit() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "loop.toml", &super::closed_loop::loop_graph(""));
    steered_stop_and_resume(&g, &[], "150", "100", &["raw.h5"]);
}

/// A generator's rate steered from outside (`--replay`, the way the page's
/// and `brainstream steer`'s changes are applied): 20 Hz, 80 Hz from
/// window 3, 5 Hz from window 14; checkpoints at 100 ms (80 Hz then).
#[test]
fn a_generator_steered_from_outside_resumes_to_the_bit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let g = write(
        d,
        "gen.toml",
        r#"[simulation]
dt_ms = 0.1
duration_ms = 200.0
sync_ms = 10.0
seed = 3
[actors.gen]
kind = "poisson_generator"
rate = 20.0
n_trains = 200
[actors.spikes]
kind = "hdf5_recorder"
[[edges]]
from = "gen.spikes"
to = "spikes.spikes"
"#,
    );
    let ev = write(
        d,
        "events.jsonl",
        "{\"window\":3,\"key\":\"gen.rate\",\"old\":20.0,\"new\":80.0}\n\
         {\"window\":14,\"key\":\"gen.rate\",\"old\":80.0,\"new\":5.0}\n",
    );
    let more = ["--replay", ev.to_str().unwrap()];
    steered_stop_and_resume(&g, &more, "100", "50", &["spikes.h5"]);
    // the steering shows: the changes, and more spikes than at 20 Hz
    let out = d.join("plain");
    ok(&run_cli(g.to_str().unwrap(), &out, &[], &[]), "unsteered");
    let n = |p: &Path| {
        contents(&p.join("spikes.h5"))
            .0
            .iter()
            .map(|(_, v)| v.len())
            .sum::<usize>()
    };
    let steered = d.join("steered");
    ok(
        &run_cli(g.to_str().unwrap(), &steered, &[], &more),
        "steered",
    );
    assert!(n(&steered) > n(&out), "the steering changed nothing");
}

/// A checkpoint of format 1 (no steered values) still resumes a run that
/// was not steered, and is refused by name for one that was.
#[test]
fn a_checkpoint_of_format_1_resumes_unsteered_runs_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let to_format_1 = |ckpt: &Path, dst: &Path| {
        // format 2 with no steered value per actor: the same bytes as
        // format 1 with a zero (u64) after each actor's state
        let bytes = std::fs::read(ckpt.join("all.ckpt")).unwrap();
        let nl1 = bytes.iter().position(|b| *b == b'\n').unwrap();
        let nl2 = nl1 + 1 + bytes[nl1 + 1..].iter().position(|b| *b == b'\n').unwrap();
        let header = String::from_utf8(bytes[..nl2].to_vec()).unwrap();
        assert!(header.contains("\"format\":2"), "{header}");
        let mut body = &bytes[nl2 + 1..];
        let u64_at = |b: &[u8]| u64::from_le_bytes(b[..8].try_into().unwrap());
        let mut out = header.replace("\"format\":2", "\"format\":1").into_bytes();
        out.push(b'\n');
        out.extend_from_slice(&body[..8]);
        let n = u64_at(body);
        body = &body[8..];
        for _ in 0..n {
            // name, kind, state: three length-prefixed byte strings
            for _ in 0..3 {
                let len = u64_at(body) as usize;
                out.extend_from_slice(&body[..8 + len]);
                body = &body[8 + len..];
            }
            assert_eq!(u64_at(body), 0, "a steered value in an unsteered run");
            body = &body[8..];
        }
        out.extend_from_slice(body);
        std::fs::create_dir_all(dst).unwrap();
        std::fs::write(dst.join("all.ckpt"), out).unwrap();
    };
    // unsteered: resumes to the bit
    let g = "graphs/tvb_rww76.toml";
    ok(
        &run_cli(g, &d.join("full"), &RWW, &[]),
        "the unsteered whole run",
    );
    ok(
        &run_cli(g, &d.join("half"), &RWW, &["--stop-at", "150"]),
        "the unsteered run",
    );
    let old = d.join("format1");
    to_format_1(&d.join("half/checkpoints/t=150ms"), &old);
    ok(
        &resume(&old, &d.join("half"), &["-q"]),
        "resume of format 1",
    );
    same_recordings(&d.join("full"), &d.join("half"), MF, "format 1");
    // steered by a controller: refused, naming the actor and the controller
    let lp = write(d, "loop.toml", &super::closed_loop::loop_graph(""));
    // the controller's first change applies before window 2: none before
    // the checkpoint at window 1, so the file can be made into format 1
    ok(
        &run_cli(
            lp.to_str().unwrap(),
            &d.join("loop"),
            &[],
            &["--stop-at", "10"],
        ),
        "the steered run",
    );
    let old_loop = d.join("format1-loop");
    to_format_1(&d.join("loop/checkpoints/t=10ms"), &old_loop);
    let e = failed(
        &resume(&old_loop, &d.join("loop"), &["-q"]),
        "resume of format 1 of a steered run",
    );
    assert!(
        e.contains("a checkpoint of format 1 holds no steered values, and actor `brain` is steered by a `control` input (from `ctrl.control`)"),
        "{e}"
    );
}

/// A small spiking network under a Poisson background (one region, E and
/// I of iaf_psc_alpha), 10 ms windows: spikes.h5.
pub(crate) const SPIKING: &str = r#"[simulation]
dt_ms = 0.1
duration_ms = 200.0
sync_ms = 10.0
seed = 5
[actors.net]
kind = "spiking_network"
model = "iaf_psc_alpha"
regions = ["r0"]
populations = { E = 80, I = 20 }
background = { rate_hz = 8000.0, weight = 20.0, delay_ms = 0.1 }
EXTRA
[[actors.net.connections]]
from = "E"
to = "I"
rule = "fixed_indegree"
indegree = 20
weight = 20.0
delay_ms = 1.5
[[actors.net.connections]]
from = "I"
to = "E"
rule = "fixed_indegree"
indegree = 10
weight = -60.0
delay_ms = 1.5
[actors.spikes]
kind = "hdf5_recorder"
[[edges]]
from = "net.spikes"
to = "spikes.spikes"
"#;

/// Model and neuron parameters steered from outside (`--replay`): the
/// mean field's `model_params.w` and `J_N` (ReducedWongWang, CPU engine),
/// a population's `I_e` and `V_th` and the background's rate: a run
/// stopped at 100 ms, between the changes, resumes to the unbroken
/// steered run's files and events.
#[test]
fn model_and_neuron_parameters_steered_from_outside_resume_to_the_bit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(root().join("graphs/tvb_rww76.toml"))
        .unwrap()
        .replace("duration_ms = 1000.0", "duration_ms = 200.0")
        .replace("sync_ms = 100.0", "sync_ms = 10.0");
    let g = write(d, "rww.toml", &text);
    let ev = write(
        d,
        "mf.jsonl",
        "{\"window\":3,\"key\":\"brain.model_params.w\",\"old\":0.6,\"new\":0.9}\n\
         {\"window\":14,\"key\":\"brain.model_params.J_N\",\"old\":0.2609,\"new\":0.3}\n",
    );
    steered_stop_and_resume(
        &g,
        &["--replay", ev.to_str().unwrap()],
        "100",
        "50",
        &["raw.h5", "tavg_rec.h5"],
    );
    let g = write(d, "spk.toml", &SPIKING.replace("EXTRA", ""));
    let ev = write(
        d,
        "spk.jsonl",
        "{\"window\":2,\"key\":\"net.population_params.E.I_e\",\"old\":0.0,\"new\":150.0}\n\
         {\"window\":6,\"key\":\"net.background.rate_hz\",\"old\":8000.0,\"new\":6000.0}\n\
         {\"window\":13,\"key\":\"net.population_params.I.V_th\",\"old\":-55.0,\"new\":-57.0}\n",
    );
    steered_stop_and_resume(
        &g,
        &["--replay", ev.to_str().unwrap()],
        "100",
        "50",
        &["spikes.h5"],
    );
}
