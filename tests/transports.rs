//! Edges over ZeroMQ and shared memory, and graphs split into partitions
//! (processes): the same
//! bits as in-process channels; a partition killed mid-run stops the others
//! within 5 s with an error naming it, recordings readable up to their last
//! complete window; a peer with another graph is refused at the handshake;
//! a graph split across two loopback addresses runs over tcp.

mod common;
use common::*;

#[cfg(feature = "mpi")]
#[path = "parts/cosim_mpi.rs"]
mod cosim_mpi;

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

/// Entries of a folder (none if it is not there).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The files of run `token` left in /dev/shm.
fn shm_left(token: &str) -> Vec<String> {
    entries(Path::new("/dev/shm"))
        .into_iter()
        .filter(|n| n.starts_with(&format!("bs-{token}-")))
        .collect()
}

/// `bs()` with its own temporary folder (where the run's sockets go).
fn bs_tmp(tmp: &Path) -> Command {
    std::fs::create_dir_all(tmp).unwrap();
    let mut c = bs();
    c.env("TMPDIR", tmp)
        .env_remove("BRAINSTREAM_RUN_TOKEN")
        .env_remove("BRAINSTREAM_RUN_KEY");
    c
}

/// A process's command line (arguments joined by spaces) and environment.
fn proc_args_env(pid: &str) -> (String, Vec<String>) {
    let split = |f: &str| -> Vec<String> {
        std::fs::read(format!("/proc/{pid}/{f}"))
            .unwrap_or_default()
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).to_string())
            .collect()
    };
    (split("cmdline").join(" "), split("environ"))
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
    for t in ["zmq", "shm"] {
        killed_partition(t);
    }
}

/// A partition SIGKILLed mid-run over `transport`: the run stops naming
/// it; the token and key were in the partitions' environment, not on their
/// command lines; nothing of the run is left in the temporary folder or
/// in /dev/shm (the survivors and the launcher remove the dead one's files).
fn killed_partition(transport: &str) {
    let dir = tempfile::tempdir().unwrap();
    let parts = partitioned(dir.path());
    let out = dir.path().join("o");
    let tmp = dir.path().join("tmp");
    let mut launcher = bs_tmp(&tmp)
        .arg("run")
        .arg(&parts)
        .arg("--out")
        .arg(&out)
        .args([
            "--set",
            "simulation.duration_ms=60000",
            "--transport",
            transport,
        ])
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
    // the run token and key: in the environment (only this user can read
    // it), never on the command line (`ps` shows it to everyone)
    let (cmdline, env) = proc_args_env(&pid);
    let var = |name: &str| {
        env.iter()
            .find_map(|v| v.strip_prefix(&format!("{name}=")).map(str::to_string))
            .unwrap_or_else(|| panic!("{name} not in the partition's environment"))
    };
    let (token, key) = (var("BRAINSTREAM_RUN_TOKEN"), var("BRAINSTREAM_RUN_KEY"));
    assert!(token.len() > 16 && key.len() >= 32);
    assert!(
        !cmdline.contains(&token) && !cmdline.contains(&key) && !cmdline.contains("--run-token"),
        "{cmdline}"
    );
    if transport == "shm" {
        assert!(!shm_left(&token).is_empty(), "the run's files are there");
    }
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
    eprintln!(
        "{transport}: stopped {:.2} s after the kill",
        waited.as_secs_f64()
    );
    // the surviving partition finished its recording: readable, marked incomplete
    let f = open_h5(&out.join("raw.h5"));
    assert!(!f.attr("complete").unwrap().read_scalar::<bool>().unwrap());
    let (shape, data, _) = read_h5(&out.join("raw.h5"));
    assert!(shape[0] > 0 && data.iter().all(|x| x.is_finite()));
    let brain_log = std::fs::read_to_string(out.join("partition-brain.log")).unwrap();
    // stopped by the launcher, or by its own watch first
    assert!(
        brain_log.contains("stopped by the launcher")
            || brain_log.contains("partition `spiking` lost")
            || brain_log.contains("the process at the other end is gone"),
        "{brain_log}"
    );
    // nothing of the run is left, not even the dead partition's files
    assert_eq!(
        entries(&tmp),
        Vec::<String>::new(),
        "{transport}: sockets left"
    );
    assert_eq!(
        shm_left(&token),
        Vec::<String>::new(),
        "{transport}: shm files left"
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

/// The overrides that put edge 0 (brain → gen, received by the "host"
/// 127.0.0.2) and edge 3 (filt → to_wc, received by 127.0.0.1) on tcp, with
/// the two endpoints.
fn tcp_sets(ms: u32) -> (Vec<String>, [String; 2]) {
    let port = |ip: &str| {
        std::net::TcpListener::bind((ip, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let eps = [
        format!("tcp://127.0.0.2:{}", port("127.0.0.2")),
        format!("tcp://127.0.0.1:{}", port("127.0.0.1")),
    ];
    let sets = vec![
        format!("simulation.duration_ms={ms}"),
        "edges.0.transport=\"zmq\"".into(),
        format!("edges.0.endpoint=\"{}\"", eps[0]),
        "edges.3.transport=\"zmq\"".into(),
        format!("edges.3.endpoint=\"{}\"", eps[1]),
    ];
    (sets, eps)
}

/// Strangers at `endpoints` until `stop` (at most 30 s): raw garbage over
/// tcp, and a ZeroMQ PAIR socket without the run key sending garbage
/// messages. Returns how many connections got through to the port.
fn strangers(endpoints: [String; 2], stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> usize {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    let ctx = zmq::Context::new();
    let mut n = 0;
    let t0 = Instant::now();
    while !stop.load(Ordering::SeqCst) && t0.elapsed() < Duration::from_secs(30) {
        for ep in &endpoints {
            let addr: std::net::SocketAddr = ep.trim_start_matches("tcp://").parse().unwrap();
            if let Ok(mut c) =
                std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100))
            {
                let _ = c.write_all(
                    b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7fGARBAGE GET / HTTP/1.0\r\n\r\n",
                );
                n += 1;
            }
            let z = ctx.socket(zmq::PAIR).unwrap();
            z.set_linger(0).unwrap();
            z.connect(ep).unwrap();
            let _ = z.send(&b"BSWIgarbage that is not a window"[..], zmq::DONTWAIT);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    n
}

#[test]
fn a_graph_split_across_two_loopback_addresses_runs_over_tcp() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path(), 300);
    let parts = partitioned(dir.path());
    let (sets, eps) = tcp_sets(300);
    let out = dir.path().join("tcp");
    let mut c = bs_tmp(&dir.path().join("tmp"));
    c.arg("run").arg(&parts).arg("--out").arg(&out);
    for s in &sets {
        c.args(["--set", s]);
    }
    // strangers connect to both endpoints and send garbage all along
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let st = stop.clone();
    let pest = std::thread::spawn(move || strangers(eps, st));
    let o = c.output().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let tried = pest.join().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(recordings(&out), want, "over tcp, with strangers");
    // they were there, refused and logged by the partitions
    let logs = ["brain", "spiking"]
        .map(|p| std::fs::read_to_string(out.join(format!("partition-{p}.log"))).unwrap())
        .join("\n");
    assert!(tried > 0, "no stranger reached the endpoints");
    assert!(
        logs.contains("refused a connection"),
        "tried {tried}: {logs}"
    );
}

/// A partition started by hand with another run key is refused by the
/// run's partition, which logs it and goes on waiting for its real peer;
/// the stranger stops naming the refusal. One without a key stops at once
/// naming the variable to set.
#[test]
fn a_partition_without_the_run_key_is_refused() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let parts = partitioned(dir.path());
    // edge 3 (filt → to_wc) over tcp, bound by the brain partition
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sets = [
        "simulation.duration_ms=60000".to_string(),
        "edges.3.transport=\"zmq\"".into(),
        format!("edges.3.endpoint=\"tcp://127.0.0.1:{port}\""),
    ];
    let tmp = dir.path().join("tmp");
    let start = |p: &str, key: Option<&str>| {
        let mut c = bs_tmp(&tmp);
        c.arg("run")
            .arg(&parts)
            .arg("--out")
            .arg(dir.path().join(p))
            .args(["--partition", p, "-q"])
            .env(
                "BRAINSTREAM_RUN_TOKEN",
                format!("key-test-{}", std::process::id()),
            );
        if let Some(k) = key {
            c.env("BRAINSTREAM_RUN_KEY", k);
        }
        for s in &sets {
            c.args(["--set", s]);
        }
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let t0 = Instant::now();
    let mut brain = start("brain", Some("a-key-of-this-run-0123456789abcdef0123"));
    let mut stranger = start("spiking", Some("a-stranger-key-0123456789abcdef01234567"));
    let st = exit_within(&mut stranger, t0, Duration::from_secs(40), "the stranger");
    let es = String::from_utf8_lossy(&stranger.wait_with_output().unwrap().stderr).to_string();
    assert!(!st.success());
    assert!(
        es.contains(&format!("tcp://127.0.0.1:{port} refused the connection")),
        "{es}"
    );
    assert!(es.contains("BRAINSTREAM_RUN_KEY"), "{es}");
    // the run's partition logged the refusal; it would wait for its real
    // peer (up to the handshake time): stop it
    std::thread::sleep(Duration::from_millis(500));
    let _ = brain.kill();
    let eb = String::from_utf8_lossy(&brain.wait_with_output().unwrap().stderr).to_string();
    assert!(eb.contains("refused a connection"), "{eb}");
    assert!(eb.contains("filt.output->to_wc.input"), "{eb}");
    // without a key: a clear error at once
    let o = start("brain", None).wait_with_output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        e.contains("started without it: set BRAINSTREAM_RUN_KEY"),
        "{e}"
    );
}

/// An `ipc://` endpoint naming a file that is not a stale socket of ours
/// is refused, and the file is kept as it was: a regular file, a
/// directory, a socket a live process listens on.
#[test]
fn an_ipc_endpoint_at_anything_but_a_stale_socket_is_refused_and_kept() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let victim = write(dir.path(), "victim.txt", "precious");
    let sub = dir.path().join("a-dir");
    std::fs::create_dir(&sub).unwrap();
    let live_path = dir.path().join("live.sock");
    let live = std::os::unix::net::UnixListener::bind(&live_path).unwrap();
    for (path, why) in [
        (&victim, "is a regular file, not a socket"),
        (&sub, "is a directory, not a socket"),
        (&live_path, "is in use: a live process listens on it"),
    ] {
        let o = bs_tmp(&dir.path().join("tmp"))
            .arg("run")
            .arg(root().join("graphs/cosim_wc76_spiking.toml"))
            .arg("--out")
            .arg(dir.path().join("o"))
            .args([
                "-q",
                "--set",
                "simulation.duration_ms=20",
                "--set",
                "edges.0.transport=\"zmq\"",
                "--set",
                &format!("edges.0.endpoint=\"ipc://{}\"", path.display()),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{}", path.display());
        assert!(
            err.contains(&path.display().to_string()) && err.contains(why),
            "{err}"
        );
        assert!(err.contains("edge") || err.contains("edges.0"), "{err}");
    }
    // `validate` says so too, for what it can see without running: a path
    // that is there and is not a socket
    for (path, why) in [
        (&victim, "is a regular file, not a socket"),
        (&sub, "is a directory, not a socket"),
    ] {
        let o = bs()
            .arg("validate")
            .arg(root().join("graphs/cosim_wc76_spiking.toml"))
            .args([
                "--set",
                "edges.0.transport=\"zmq\"",
                "--set",
                &format!("edges.0.endpoint=\"ipc://{}\"", path.display()),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{}", path.display());
        assert!(
            err.contains("edges[0].endpoint") || err.contains("edges.0.endpoint"),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(sub.is_dir() && live_path.exists());
    drop(live);
}

/// Under umask 000, the run's sockets — its own in its private directory
/// and one the graph names — are owner-only; none is left after the run,
/// normal or failed.
#[test]
fn zmq_sockets_are_owner_only_and_removed_after_every_run() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    let named = dir.path().join("named.sock");
    // sh -c 'umask 000; exec brainstream run ...'
    std::fs::create_dir_all(&tmp).unwrap();
    let cmd = |out: &Path, ms: u32| {
        let mut c = Command::new("sh");
        c.env("TMPDIR", &tmp)
            .arg("-c")
            .arg("umask 000; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_brainstream"))
            .arg("run")
            .arg(root().join("graphs/cosim_wc76_spiking.toml"))
            .arg("--out")
            .arg(out)
            .args([
                "-q",
                "--transport",
                "zmq",
                "--set",
                &format!("simulation.duration_ms={ms}"),
                "--set",
                "edges.0.transport=\"zmq\"",
                "--set",
                &format!("edges.0.endpoint=\"ipc://{}\"", named.display()),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let mut child = cmd(&dir.path().join("ok"), 3000).spawn().unwrap();
    let mut seen: Vec<(String, u32)> = vec![];
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() && t0.elapsed() < Duration::from_secs(60) {
        let mut now = vec![];
        for d in entries(&tmp) {
            let p = tmp.join(&d);
            if let Ok(m) = std::fs::symlink_metadata(&p) {
                now.push((d.clone(), m.permissions().mode() & 0o777));
            }
            for f in entries(&p) {
                if let Ok(m) = std::fs::symlink_metadata(p.join(&f)) {
                    if m.file_type().is_socket() {
                        now.push((format!("{d}/{f}"), m.permissions().mode() & 0o777));
                    }
                }
            }
        }
        if let Ok(m) = std::fs::symlink_metadata(&named) {
            now.push(("named".into(), m.permissions().mode() & 0o777));
        }
        if now.len() > seen.len() {
            seen = now;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    eprintln!("saw {seen:?}");
    assert!(seen.len() > 3, "saw {seen:?}");
    for (f, mode) in &seen {
        let want = if f.starts_with("bs-") && !f.contains('/') {
            0o700
        } else {
            0o600
        };
        assert_eq!(*mode, want, "{f}: {mode:o} under umask 000 ({seen:?})");
    }
    assert!(seen.iter().any(|(f, _)| f == "named"), "{seen:?}");
    assert_eq!(
        entries(&tmp),
        Vec::<String>::new(),
        "sockets left after a run"
    );
    assert!(!named.exists(), "the named socket left after a run");
    // a failed run: its recorder cannot create its file (a directory is there)
    let out = dir.path().join("failed");
    std::fs::create_dir_all(out.join("raw.h5")).unwrap();
    let o = cmd(&out, 3000).output().unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("raw"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        entries(&tmp),
        Vec::<String>::new(),
        "sockets left after a failed run"
    );
    assert!(!named.exists(), "the named socket left after a failed run");
}

/// Partitions started by hand (no launcher watches them; the token on the
/// command line, as documented): when one is killed, the other learns it
/// from its ZeroMQ connection (closed socket, or heartbeats unanswered for
/// 3 s) and stops naming the lost partition, its recording finished and
/// marked incomplete, and removes the sockets of both.
#[test]
fn a_partition_started_by_hand_notices_its_peer_die() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let parts = partitioned(dir.path());
    let out = dir.path().join("o");
    let tmp = dir.path().join("tmp");
    let start = |p: &str| {
        bs_tmp(&tmp)
            .arg("run")
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
    // the survivor removed its own sockets and the dead one's (no launcher)
    assert_eq!(entries(&tmp), Vec::<String>::new(), "sockets left");
}
