//! Edges over ZeroMQ and shared memory, and graphs split into partitions
//! (processes): the same
//! bits as in-process channels; a partition killed mid-run stops the others
//! within 5 s with an error naming it, recordings readable up to their last
//! complete window; a peer with another graph is refused at the handshake;
//! a graph split across two loopback addresses runs over tcp.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The tests of this file run one at a time: a child process started by one
/// (the partitions) inherits the HDF5 files another test's in-process run
/// has open at that moment, with their locks, and the second test could
/// not read its own recordings until the child ends.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every dataset of the co-simulation's three recordings, as bits.
fn recordings(out: &Path) -> Vec<(String, Vec<u64>)> {
    let mut v = vec![];
    for (file, sets) in [
        ("raw.h5", &["data", "time"][..]),
        ("rates.h5", &["data", "time"][..]),
        ("spikes.h5", &["spikes/senders", "spikes/times"][..]),
    ] {
        let f = open_h5(&out.join(file));
        for s in sets {
            let d = f.dataset(s).unwrap();
            let bits: Vec<u64> = match d.dtype().unwrap().size() {
                8 if s.ends_with("senders") => d.read_raw::<u64>().unwrap(),
                8 => d
                    .read_raw::<f64>()
                    .unwrap()
                    .iter()
                    .map(|x| x.to_bits())
                    .collect(),
                _ => d
                    .read_raw::<u32>()
                    .unwrap()
                    .iter()
                    .map(|x| *x as u64)
                    .collect(),
            };
            v.push((format!("{file}:{s}"), bits));
        }
    }
    v
}

/// The co-simulation with the mean field and the spiking network in two
/// partitions.
fn partitioned(dir: &Path) -> PathBuf {
    let mut s = std::fs::read_to_string(root().join("graphs/cosim_wc76_spiking.toml")).unwrap();
    for a in [
        "gen",
        "net",
        "filt",
        "spikes",
        "rates",
        "raster",
        "rates_plot",
    ] {
        s = s.replace(
            &format!("[actors.{a}]\n"),
            &format!("[actors.{a}]\nprocess = \"spiking\"\n"),
        );
    }
    for a in ["brain", "to_wc", "raw", "brain_plot"] {
        s = s.replace(
            &format!("[actors.{a}]\n"),
            &format!("[actors.{a}]\nprocess = \"brain\"\n"),
        );
    }
    write(dir, "parts.toml", &s)
}

fn reference(dir: &Path, ms: u32) -> Vec<(String, Vec<u64>)> {
    let out = dir.join("channel");
    let d = format!("simulation.duration_ms={ms}");
    run(&root().join("graphs/cosim_wc76_spiking.toml"), &out, &[&d]).unwrap();
    recordings(&out)
}

#[test]
fn zmq_and_shm_edges_and_two_partitions_give_the_channel_bits() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path(), 150);
    // every edge over ZeroMQ, then over shared memory, in one process
    use brainstream::runtime::graph::descriptor::Transport;
    for (name, t) in [("zmq", Transport::Zmq), ("shm", Transport::Shm)] {
        let g = brainstream::load_graph(
            &root().join("graphs/cosim_wc76_spiking.toml"),
            vec!["simulation.duration_ms=150".into()],
        )
        .unwrap();
        let out = dir.path().join(name);
        brainstream::run_graph(
            g,
            &brainstream::RunOptions {
                out_dir: out.clone(),
                transport: Some(t),
                ..Default::default()
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(recordings(&out), want, "all edges over {name}");
    }
    // two processes, launched by `brainstream run`: the edges between them
    // over ZeroMQ (the default), then over shared memory
    let parts = partitioned(dir.path());
    for t in ["zmq", "shm"] {
        let out = dir.path().join(format!("parts-{t}"));
        let o = bs()
            .arg("run")
            .arg(&parts)
            .arg("--out")
            .arg(&out)
            .args(["--set", "simulation.duration_ms=150", "--transport", t])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            stdout.contains("ran 2 partitions (brain, spiking)"),
            "{stdout}"
        );
        assert_eq!(recordings(&out), want, "two partitions over {t}");
    }
    // nothing is left in /dev/shm
    let left: Vec<_> = std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with("bs-"))
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_killed_partition_stops_the_run_and_names_itself() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let parts = partitioned(dir.path());
    let out = dir.path().join("o");
    let mut launcher = bs()
        .arg("run")
        .arg(&parts)
        .arg("--out")
        .arg(&out)
        .args(["--set", "simulation.duration_ms=60000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // wait until the brain has recorded something, then kill the spiking partition
    let t0 = Instant::now();
    let log = out.join("partition-spiking.log");
    let pid = loop {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the run did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
        let raw = std::fs::metadata(out.join("raw.h5"))
            .map(|m| m.len())
            .unwrap_or(0);
        if log.exists() && raw > 100_000 {
            // this run's spiking partition (other tests run partitions too)
            let pattern = format!("{}.*--partition spiking", out.display());
            let ps = Command::new("pgrep")
                .args(["-f", "--", &pattern])
                .output()
                .unwrap();
            let pids = String::from_utf8_lossy(&ps.stdout).to_string();
            if let Some(p) = pids.split_whitespace().next() {
                break p.to_string();
            }
        }
    };
    let killed = Instant::now();
    assert!(Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap()
        .success());
    let status = exit_within(&mut launcher, killed, Duration::from_secs(5), "the run");
    let waited = killed.elapsed();
    let o = launcher.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!status.success());
    assert!(
        err.contains("partition `spiking` was killed by a signal"),
        "{err}"
    );
    eprintln!("stopped {:.2} s after the kill", waited.as_secs_f64());
    // the surviving partition finished its recording: readable, marked incomplete
    let f = open_h5(&out.join("raw.h5"));
    assert!(!f.attr("complete").unwrap().read_scalar::<bool>().unwrap());
    let (shape, data, _) = read_h5(&out.join("raw.h5"));
    assert!(shape[0] > 0 && data.iter().all(|x| x.is_finite()));
    let brain_log = std::fs::read_to_string(out.join("partition-brain.log")).unwrap();
    // stopped by the launcher, or by its own ZeroMQ watch first
    assert!(
        brain_log.contains("stopped by the launcher")
            || brain_log.contains("partition `spiking` lost"),
        "{brain_log}"
    );
}

#[test]
fn partitions_of_different_graphs_refuse_each_other() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let parts = partitioned(dir.path());
    let start = |p: &str, set: &str| {
        bs().arg("run")
            .arg(&parts)
            .arg("--out")
            .arg(dir.path().join(p))
            .args([
                "--partition",
                p,
                "--run-token",
                "handshake-test",
                "-q",
                "--set",
                set,
            ])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    let a = start("brain", "simulation.duration_ms=100");
    let b = start("spiking", "simulation.duration_ms=200");
    let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (ea, eb) = (
        String::from_utf8_lossy(&oa.stderr),
        String::from_utf8_lossy(&ob.stderr),
    );
    assert!(!oa.status.success() && !ob.status.success());
    let both = format!("{ea}\n{eb}");
    assert!(both.contains("handshake refused: graph hash"), "{both}");
}

#[test]
fn a_graph_split_across_two_loopback_addresses_runs_over_tcp() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path(), 100);
    let parts = partitioned(dir.path());
    let port = |ip: &str| {
        std::net::TcpListener::bind((ip, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    // edge 0 (brain → gen) is received by the "host" 127.0.0.2, edge 3
    // (filt → to_wc) by 127.0.0.1
    let sets = [
        "simulation.duration_ms=100".to_string(),
        "edges.0.transport=\"zmq\"".into(),
        format!("edges.0.endpoint=\"tcp://127.0.0.2:{}\"", port("127.0.0.2")),
        "edges.3.transport=\"zmq\"".into(),
        format!("edges.3.endpoint=\"tcp://127.0.0.1:{}\"", port("127.0.0.1")),
    ];
    let out = dir.path().join("tcp");
    let mut c = bs();
    c.arg("run").arg(&parts).arg("--out").arg(&out);
    for s in &sets {
        c.args(["--set", s]);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(recordings(&out), want, "over tcp");
}

/// Partitions started by hand (no launcher watches them): when one is
/// killed, the other learns it from its ZeroMQ connection (closed socket,
/// or heartbeats unanswered for 3 s) and stops naming the lost partition,
/// its recording finished and marked incomplete.
#[test]
fn a_partition_started_by_hand_notices_its_peer_die() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let parts = partitioned(dir.path());
    let out = dir.path().join("o");
    let start = |p: &str| {
        bs().arg("run")
            .arg(&parts)
            .arg("--out")
            .arg(&out)
            .args([
                "--partition",
                p,
                "--transport",
                "zmq",
                "--run-token",
                &format!("by-hand-{}", std::process::id()),
                "-q",
                "--set",
                "simulation.duration_ms=60000",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut brain = start("brain");
    let mut spiking = start("spiking");
    let t0 = Instant::now();
    // both partitions are under way once the spiking one has recorded
    let size = |f: &str| std::fs::metadata(out.join(f)).map(|m| m.len()).unwrap_or(0);
    while size("raw.h5") < 4_000_000 || size("spikes.h5") < 400_000 {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the run did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("killing after {:.2} s", t0.elapsed().as_secs_f64());
    spiking.kill().unwrap();
    let _ = spiking.wait();
    let killed = Instant::now();
    let status = exit_within(
        &mut brain,
        killed,
        Duration::from_secs(5),
        "the brain partition, its peer dead,",
    );
    eprintln!(
        "stopped {:.2} s after the kill",
        killed.elapsed().as_secs_f64()
    );
    let o = brain.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!status.success());
    assert!(err.contains("partition `spiking` lost"), "{err}");
    let f = open_h5(&out.join("raw.h5"));
    assert!(!f.attr("complete").unwrap().read_scalar::<bool>().unwrap());
    let (shape, data, _) = read_h5(&out.join("raw.h5"));
    assert!(shape[0] > 0 && data.iter().all(|x| x.is_finite()));
}
