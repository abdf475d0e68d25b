//! External actors: real Python processes speaking the session protocol
//! through `python/brainstream_client` — a relay network in plain Python
//! (tests/external/parrot.py) for the protocol and its faults, real NEST,
//! ANNarchy and NetPyNE/NEURON (parts/netpyne.rs) for the shipped scenarios.
//!
//! They need a Python with the client (and NEST, NEURON, NetPyNE): `scripts/pyenv.sh`
//! makes one in target/pyenv (the README's test command runs it). Without
//! it they say so and pass, unless BRAINSTREAM_REQUIRE_EXTERNAL=1 (CI),
//! where its absence fails them. The ANNarchy scenario runs where
//! BRAINSTREAM_TEST_ANNARCHY=1 (a separate CI step: ANNarchy builds from
//! source, then compiles the network).

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The bin folder of a Python that imports the client and `modules`.
fn python(modules: &str) -> Option<PathBuf> {
    let bin = std::env::var_os("BRAINSTREAM_PYTHON_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/pyenv/bin"));
    let ok = Command::new(bin.join("python3"))
        .args([
            "-c",
            &format!("import zmq, numpy, brainstream_client{modules}"),
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(bin);
    }
    let msg = format!(
        "no Python with the brainstream client{modules} in {} (run scripts/pyenv.sh)",
        bin.display()
    );
    if require_external() {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
    None
}

/// The command `brainstream run GRAPH --out OUT ARGS` with `bin` first on
/// PATH.
fn bs_cmd(bin: &Path, graph: &Path, out: &Path, args: &[&str]) -> Command {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = bs();
    c.env("PATH", path)
        .arg("run")
        .arg(graph)
        .arg("--out")
        .arg(out)
        .args(args);
    c
}

/// Runs `brainstream run GRAPH --out OUT ARGS` with `bin` first on PATH.
fn bs_run(bin: &Path, graph: &Path, out: &Path, args: &[&str]) -> Output {
    bs_cmd(bin, graph, out, args).output().unwrap()
}

/// cosim_wc76_nest.toml with the relay network in NEST's place, `config`
/// given, written into `dir`.
fn parrot_graph(dir: &Path, config: &str) -> PathBuf {
    let s = std::fs::read_to_string(root().join("graphs/cosim_wc76_nest.toml")).unwrap();
    let parrot = root().join("tests/external/parrot.py");
    let s = s
        .replace(
            "command = [\"python3\", \"../examples/external/wc76_nest.py\"]",
            &format!("command = [\"python3\", \"{}\"]", parrot.display()),
        )
        .replace("config = { threads = 1 }", &format!("config = {config}"));
    assert!(s.contains("parrot.py"));
    write(dir, "parrot.toml", &s)
}

/// Runs `graph`, which must fail; its stderr.
fn refused(bin: &Path, graph: &Path, out: &Path) -> String {
    let o = bs_run(bin, graph, out, &["-q"]);
    assert!(!o.status.success(), "the run succeeded");
    stderr(&o)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn complete(h5: &Path) -> bool {
    open_h5(h5)
        .attr("complete")
        .unwrap()
        .read_scalar::<bool>()
        .unwrap()
}

/// Spike senders and stamps of a recorder file.
fn spikes(h5: &Path) -> (Vec<u32>, Vec<f64>) {
    let f = open_h5(h5);
    (
        f.dataset("spikes/senders")
            .unwrap()
            .read_raw::<u32>()
            .unwrap(),
        f.dataset("spikes/times")
            .unwrap()
            .read_raw::<f64>()
            .unwrap(),
    )
}

#[test]
fn spikes_go_out_and_come_back_through_an_external_process() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = parrot_graph(dir.path(), "{}");
    let out = dir.path().join("o");
    let o = bs_run(
        &bin,
        &g,
        &out,
        &["-q", "--set", "simulation.duration_ms=300"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // the parrots relay the proxy trains: their spikes are in the recording,
    // from neurons 0..99 (rM1's E) and 1000..1099 (lM1's E)
    let (senders, times) = spikes(&out.join("spikes.h5"));
    assert!(senders.len() > 100, "{} spikes", senders.len());
    assert!(senders.iter().all(|s| *s % 1000 < 100), "{senders:?}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // the relayed rates drive the proxy nodes: rM1's E in the mean field is
    // not the value it would have alone
    let (shape, data, _) = read_h5(&out.join("rates.h5"));
    assert_eq!(shape[1..3], [2, 2]);
    assert!(data.iter().any(|x| *x > 0.0));
    assert!(complete(&out.join("raw.h5")));
    let log = std::fs::read_to_string(out.join("net.log")).unwrap();
    assert!(log.is_empty() || !log.contains("Traceback"), "{log}");
}

#[test]
fn an_external_process_that_crashes_stops_the_run_with_its_stderr() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    for (config, how) in [
        ("{ crash_at_window = 300 }", "exited with status 3"),
        ("{ kill_at_window = 300 }", "was killed"),
        ("{ raise_at_window = 300 }", "the external side failed"),
    ] {
        let g = parrot_graph(dir.path(), config);
        let out = dir.path().join("o");
        let _ = std::fs::remove_dir_all(&out);
        let o = bs_run(
            &bin,
            &g,
            &out,
            &["-q", "--set", "simulation.duration_ms=60000"],
        );
        let ended = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let err = stderr(&o);
        assert!(!o.status.success());
        assert!(err.contains("actor `net` failed"), "{err}");
        assert!(err.contains(how), "{err}");
        assert!(err.contains("in window 300"), "{err}");
        // the process wrote when it went; the run ended within 5 s of that
        let at: f64 = err
            .lines()
            .filter(|l| l.contains("on purpose"))
            .find_map(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no stderr tail in {err}"));
        assert!(ended - at < 5.0, "stopped {} s after the crash", ended - at);
        assert!(err.contains("net.log"), "{err}");
        // what was recorded is kept, marked incomplete
        assert!(!complete(&out.join("raw.h5")));
        let (shape, data, _) = read_h5(&out.join("raw.h5"));
        assert!(shape[0] >= 2900, "{shape:?}");
        assert!(data.iter().all(|x| x.is_finite()));
    }
}

#[test]
fn a_hanging_external_process_is_stopped_by_the_window_timeout() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = parrot_graph(dir.path(), "{ stall_at_window = 100 }");
    let s = std::fs::read_to_string(&g)
        .unwrap()
        .replace("config = {", "window_timeout_s = 2.0\nconfig = {");
    std::fs::write(&g, s).unwrap();
    let t0 = Instant::now();
    let err = refused(&bin, &g, &dir.path().join("o"));
    assert!(
        err.contains("no answer for window 100 within window_timeout_s = 2 s"),
        "{err}"
    );
    assert!(t0.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_peer_of_another_protocol_version_is_refused() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = parrot_graph(dir.path(), "{ protocol = 2 }");
    let t0 = Instant::now();
    let err = refused(&bin, &g, &dir.path().join("o"));
    assert!(
        err.contains("protocol version 2, this build speaks 1"),
        "{err}"
    );
    assert!(t0.elapsed() < Duration::from_secs(20));
}

/// Bytes on the session's stream that are not the protocol stop the run
/// with an error saying so, in the window they came in, not a hang or a
/// huge allocation; what was recorded is kept.
#[test]
fn garbage_from_an_external_process_stops_the_run_with_a_clear_error() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    for (what, expect) in [("length", "over the limit"), ("magic", "magic")] {
        let g = parrot_graph(
            dir.path(),
            &format!("{{ garbage_at_window = 50, garbage = \"{what}\" }}"),
        );
        let out = dir.path().join(what);
        let t0 = Instant::now();
        let err = refused(&bin, &g, &out);
        assert!(err.contains("actor `net` failed in window 50"), "{err}");
        assert!(err.to_lowercase().contains(expect), "{what}: {err}");
        assert!(t0.elapsed() < Duration::from_secs(30));
        let (shape, _, _) = read_h5(&out.join("raw.h5"));
        assert!(shape[0] >= 490, "{shape:?}");
    }
}

/// Windows larger than the socket's buffers in both directions at once —
/// the runtime sending the next window's many proxy spikes while the
/// process sends its many spikes — flow instead of leaving both sides
/// blocked in a write.
#[test]
fn large_windows_both_ways_do_not_deadlock() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = parrot_graph(
        dir.path(),
        "{ pad_spikes = 100000, trains_per_region = 400000 }",
    );
    let out = dir.path().join("o");
    // a deadlock would hang the run: watched, killed after 60 s
    let mut child = bs_cmd(
        &bin,
        &g,
        &out,
        &[
            "-q",
            "--set",
            "simulation.duration_ms=20",
            "--set",
            "actors.gen.trains_per_node=400000",
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run did not end within 60 s (both sides blocked writing?)");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    // every window's padding arrived: 100 000 spikes of neuron 0 per window
    let (senders, _) = spikes(&out.join("spikes.h5"));
    assert!(
        senders.iter().filter(|s| **s == 0).count() >= 20 * 100_000,
        "{} spikes",
        senders.len()
    );
}

/// cosim_wc76_nest.toml with its script's path made absolute, in `dir`.
fn nest_graph(dir: &Path) -> PathBuf {
    let s = std::fs::read_to_string(root().join("graphs/cosim_wc76_nest.toml"))
        .unwrap()
        .replace(
            "../examples/external/wc76_nest.py",
            root()
                .join("examples/external/wc76_nest.py")
                .to_str()
                .unwrap(),
        );
    write(dir, "g.toml", &s)
}

/// nest_graph's, with the populations' mean V_m recorded (`vm.h5`; the
/// script sends it with `config = { v_m = true }`).
fn nest_graph_v_m(dir: &Path) -> PathBuf {
    let s = std::fs::read_to_string(nest_graph(dir)).unwrap()
        + "\n[actors.vm]\nkind = \"hdf5_recorder\"\n\n[[edges]]\nfrom = \"net.v_m\"\nto = \"vm.input\"\n";
    write(dir, "g_v_m.toml", &s)
}

fn require_external() -> bool {
    std::env::var("BRAINSTREAM_REQUIRE_EXTERNAL").is_ok_and(|v| v == "1")
}

/// Runs a NEST graph that must succeed, its windows in the native loop or
/// not (`native_loop` "1" / "0": BRAINSTREAM_NEST_LOOP); under CI
/// (BRAINSTREAM_REQUIRE_EXTERNAL) the actor's log must say the native loop
/// served it exactly when asked.
fn run_nest_loop(bin: &Path, graph: &Path, out: &Path, args: &[&str], native_loop: &str) {
    let o = bs_cmd(bin, graph, out, args)
        .env("BRAINSTREAM_NEST_LOOP", native_loop)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let log = std::fs::read_to_string(out.join("net.log")).unwrap();
    if require_external() {
        assert_eq!(
            log.contains("windows served by the native loop"),
            native_loop == "1",
            "{log}"
        );
    }
}

/// Where its native code can be built (python/brainstream_client/
/// nest_backend.cpp and nest_loop.cpp, compiled against the wheel's
/// headers), the NEST adapter reads spikes through its own recording
/// backend and serves whole windows in C++. Each path gives the same
/// spikes, bit for bit, and the same mean field as the all-Python one
/// (NEST's memory backend, BRAINSTREAM_NEST_NATIVE=0): the native loop, the
/// native reader under the Python loop (BRAINSTREAM_NEST_LOOP=0), also with
/// two NEST threads, with the populations' mean V_m (a multimeter into the
/// same backend). CI
/// (BRAINSTREAM_REQUIRE_EXTERNAL) must get the native paths; elsewhere a
/// missing compiler or header falls back, said in the log.
#[test]
fn nest_through_the_native_loop_and_reader_equals_the_python_path() {
    let Some(bin) = python(", nest") else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = nest_graph_v_m(dir.path());
    let run = |name: &str, native: &str, native_loop: &str, threads: &str| {
        let out = dir.path().join(name);
        let config = format!("actors.net.config={{ threads = {threads}, v_m = true }}");
        let o = bs_cmd(
            &bin,
            &g,
            &out,
            &[
                "-q",
                "--set",
                "simulation.duration_ms=200",
                "--set",
                &config,
            ],
        )
        .env("BRAINSTREAM_NEST_NATIVE", native)
        .env("BRAINSTREAM_NEST_LOOP", native_loop)
        // NEST's idle OpenMP threads must not spin on the runtime's cores
        .env("OMP_WAIT_POLICY", "passive")
        .output()
        .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let log = std::fs::read_to_string(out.join("net.log")).unwrap();
        (out, log)
    };
    let (fast, log) = run("loop", "1", "1", "1");
    let (reader, log_reader) = run("reader", "1", "0", "1");
    let (python_path, log0) = run("python", "0", "1", "1");
    let reader_used = "NEST's spikes through the native recording backend";
    let loop_used = "windows served by the native loop";
    if require_external() {
        assert!(
            log.contains(reader_used) && log.contains(loop_used),
            "{log}"
        );
        assert!(log_reader.contains(reader_used), "{log_reader}");
    }
    assert!(!log_reader.contains(loop_used), "{log_reader}");
    assert!(
        !log0.contains(reader_used) && !log0.contains(loop_used),
        "{log0}"
    );
    let (s0, _) = spikes(&python_path.join("spikes.h5"));
    assert!(s0.len() > 1000, "{} spikes", s0.len());
    for out in [&fast, &reader] {
        same_outputs(out, &python_path);
    }
    // two NEST threads hand spikes over in no fixed order: each path sorts
    // a step's spikes by neuron
    let (fast2, _) = run("loop2", "1", "1", "2");
    let (python2, _) = run("python2", "0", "1", "2");
    same_outputs(&fast2, &python2);
    // rates in (NEST's inhomogeneous Poisson generators set from C++)
    let g = nest_rates_graph(dir.path());
    let mut outs = vec![];
    for native_loop in ["1", "0"] {
        let out = dir.path().join(format!("rates{native_loop}"));
        let args = ["-q", "--set", "simulation.duration_ms=200"];
        run_nest_loop(&bin, &g, &out, &args, native_loop);
        outs.push(out);
    }
    assert!(spikes(&outs[1].join("spikes.h5")).0.len() > 1000);
    same_outputs(&outs[0], &outs[1]);
}

/// The same spikes, mean field and rates (and V_m where recorded), bit for
/// bit, in two runs' outputs.
fn same_outputs(a: &Path, b: &Path) {
    let what = format!("{} vs {}", a.display(), b.display());
    assert_eq!(
        spikes(&a.join("spikes.h5")),
        spikes(&b.join("spikes.h5")),
        "{what}"
    );
    assert_eq!(
        read_h5(&a.join("raw.h5")).1,
        read_h5(&b.join("raw.h5")).1,
        "{what}"
    );
    assert_eq!(
        read_h5(&a.join("rates.h5")).1,
        read_h5(&b.join("rates.h5")).1,
        "{what}"
    );
    if a.join("vm.h5").exists() || b.join("vm.h5").exists() {
        let (shape, vm, time) = read_h5(&a.join("vm.h5"));
        assert!(
            shape[0] > 100 && vm.iter().all(|v| v.is_finite()),
            "{shape:?}"
        );
        assert_eq!((vm, time), {
            let (_, v, t) = read_h5(&b.join("vm.h5"));
            (v, t)
        });
    }
}

/// The native loop fed crafted streams inside a real NEST
/// (tests/external/native_loop_wire.py): it serves the windows it knows and
/// hands anything else back untouched — a series' names, a malformed
/// message (with the window's earlier messages unread), half a message, a
/// series whose dimensions overflow to match its length, the end — and
/// refuses what NEST cannot take, naming it.
#[test]
fn the_native_loop_takes_only_what_it_knows() {
    let Some(bin) = python(", nest") else { return };
    let o = Command::new(bin.join("python3"))
        .arg(root().join("tests/external/native_loop_wire.py"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    if o.status.code() == Some(3) && !require_external() {
        eprintln!("skipped: {out}");
        return;
    }
    assert!(
        o.status.success() && out.trim_end().ends_with("ok"),
        "{out}{}",
        stderr(&o)
    );
}

/// Inputs the NEST side cannot take stop the run with the same message
/// from the native loop and from the Python one, keeping what was
/// recorded: more proxy trains than it has generators for (the graph's 150
/// per region, the script's 100), and negative rates for its Poisson
/// generators (`rates_in` through a gain of -300).
#[test]
fn inputs_the_nest_side_cannot_take_are_refused_by_either_loop() {
    let Some(bin) = python(", nest") else { return };
    let dir = tempfile::tempdir().unwrap();
    let spikes_graph = nest_graph(dir.path());
    let rates_graph = nest_rates_graph(dir.path());
    let cases = [
        (
            &spikes_graph,
            "actors.gen.trains_per_node=150",
            "is not a proxy train (< 200: 100 per region here",
        ),
        (
            &rates_graph,
            "actors.gen.scale=-300.0",
            "rates_in: negative or non-finite values in window 1",
        ),
    ];
    for (g, set, why) in cases {
        for native_loop in ["1", "0"] {
            let out = dir.path().join(format!("o{native_loop}"));
            let _ = std::fs::remove_dir_all(&out);
            let o = bs_cmd(&bin, g, &out, &["-q", "--set", set])
                .env("BRAINSTREAM_NEST_LOOP", native_loop)
                .output()
                .unwrap();
            assert!(!o.status.success(), "the run succeeded");
            let e = stderr(&o);
            assert!(e.contains("actor `net`") && e.contains(why), "{e}");
            // what was recorded is kept, marked incomplete
            assert!(!complete(&out.join("raw.h5")), "{e}");
        }
    }
}

#[test]
fn an_external_network_with_other_populations_is_refused() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = parrot_graph(dir.path(), "{ populations = { E = 800, I = 100 } }");
    let err = refused(&bin, &g, &dir.path().join("o"));
    assert!(
        err.contains(
            "populations { E = 800, I = 100 } per region, the graph says { E = 800, I = 200 }"
        ),
        "{err}"
    );
}

#[test]
fn a_command_that_does_not_exist_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let s = std::fs::read_to_string(root().join("graphs/cosim_wc76_nest.toml"))
        .unwrap()
        .replace("\"python3\"", "\"no-such-python-here\"");
    let g = write(dir.path(), "g.toml", &s);
    let err = refused(Path::new("/nonexistent"), &g, &dir.path().join("o"));
    assert!(
        err.contains("cannot start `no-such-python-here") && err.contains("is the program on PATH"),
        "{err}"
    );
}

/// Mean rate (Hz) per population over `t > 200 ms`, from a rates recording,
/// and the mean proxy E activity of rM1 and lM1 in the mean field.
fn rates_and_proxies(out: &Path) -> (Vec<f64>, Vec<f64>) {
    let (shape, data, _) = read_h5(&out.join("rates.h5"));
    let (s, v, n) = (shape[0], shape[1], shape[2]);
    let mut m = vec![0.0; v * n];
    for k in s / 5..s {
        for j in 0..v * n {
            m[j] += data[k * v * n + j] / (s - s / 5) as f64;
        }
    }
    let (shape, raw, _) = read_h5(&out.join("raw.h5"));
    let (s, v, n) = (shape[0], shape[1], shape[2]);
    let mut p = vec![0.0; 2];
    for k in s / 5..s {
        for (j, node) in [12usize, 50].iter().enumerate() {
            p[j] += raw[k * v * n + node] / (s - s / 5) as f64;
        }
    }
    (m, p)
}

#[test]
fn the_nest_scenario_agrees_with_the_built_in_spiking_network() {
    let Some(bin) = python(", nest") else { return };
    let dir = tempfile::tempdir().unwrap();
    let nest_out = dir.path().join("nest");
    let o = bs_run(
        &bin,
        &root().join("graphs/cosim_wc76_nest.toml"),
        &nest_out,
        &["-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let builtin = dir.path().join("builtin");
    run(
        &root().join("graphs/cosim_wc76_spiking.toml"),
        &builtin,
        &[],
    )
    .unwrap();
    let (rn, pn) = rates_and_proxies(&nest_out);
    let (rb, _) = rates_and_proxies(&builtin);
    eprintln!("NEST rates {rn:?}, built-in {rb:?}, NEST proxies {pn:?}");
    for (a, b) in rn.iter().zip(&rb) {
        assert!(*a > 5.0, "NEST populations silent: {rn:?}");
        assert!((a - b).abs() / b < 0.10, "NEST {rn:?} vs built-in {rb:?}");
    }
    // the proxy regions' mean field follows NEST's excitatory rates (100 Hz = 1)
    for (j, p) in pn.iter().enumerate() {
        let e_rate = rn[j]; // E of region j (variables × nodes: E row first)
        assert!(
            (p - 0.01 * e_rate).abs() < 0.02 * p.abs().max(0.01),
            "{pn:?} vs {rn:?}"
        );
    }
    let (senders, _) = spikes(&nest_out.join("spikes.h5"));
    assert!(senders.iter().any(|s| *s < 1000) && senders.iter().any(|s| *s >= 1000));
    assert!(senders.iter().all(|s| *s < 2000));
}

/// The same scenario with NEST drawing the proxy trains itself: the mean
/// field's coupling goes in as rates (`rates_in`: an inhomogeneous Poisson
/// generator per region through 100 parrot neurons), as tvb-multiscale
/// does; the rates agree with the built-in network's.
/// cosim_wc76_nest.toml with the proxy trains' rates sent instead of the
/// trains (`rates_in`: NEST draws them), in `dir`.
fn nest_rates_graph(dir: &Path) -> PathBuf {
    let s = std::fs::read_to_string(root().join("graphs/cosim_wc76_nest.toml"))
        .unwrap()
        .replace(
            "kind = \"poisson_spikes\"\nvariable = \"c_E\"\ntrains_per_node = 100\nscale = 300.0",
            "kind = \"gain\"\nscale = 300.0\nunit = \"Hz\"",
        )
        .replace(
            "from = \"gen.spikes\"\nto = \"net.spikes_in\"",
            "from = \"gen.output\"\nto = \"net.rates_in\"",
        )
        .replace("config = { threads = 1 }", "config = { input = \"rates\" }")
        .replace(
            "../examples",
            &root().join("examples").display().to_string(),
        );
    assert!(s.contains("net.rates_in") && s.contains("kind = \"gain\""));
    write(dir, "rates.toml", &s)
}

#[test]
fn the_nest_scenario_with_rates_in_agrees_with_the_built_in_network() {
    let Some(bin) = python(", nest") else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = nest_rates_graph(dir.path());
    let out = dir.path().join("nest");
    let o = bs_run(
        &bin,
        &g,
        &out,
        &["-q", "--set", "simulation.duration_ms=500"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let builtin = dir.path().join("builtin");
    run(
        &root().join("graphs/cosim_wc76_spiking.toml"),
        &builtin,
        &["simulation.duration_ms=500"],
    )
    .unwrap();
    let (rn, _) = rates_and_proxies(&out);
    let (rb, _) = rates_and_proxies(&builtin);
    eprintln!("NEST (rates in) {rn:?}, built-in {rb:?}");
    for (a, b) in rn.iter().zip(&rb) {
        assert!((a - b).abs() / b < 0.10, "NEST {rn:?} vs built-in {rb:?}");
    }
}

#[test]
fn the_annarchy_scenario_runs_end_to_end() {
    let Some(bin) = annarchy_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ann");
    let o = bs_run(
        &bin,
        &root().join("graphs/cosim_wc76_annarchy.toml"),
        &out,
        &["-q", "--set", "simulation.duration_ms=500"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (r, p) = rates_and_proxies(&out);
    eprintln!("ANNarchy rates {r:?}, proxies {p:?}");
    // the same network as the built-in one (~45 Hz), integrated otherwise
    assert!(r.iter().all(|x| (30.0..60.0).contains(x)), "{r:?}");
    for (j, x) in p.iter().enumerate() {
        assert!(
            (x - 0.01 * r[j]).abs() < 0.02 * x.abs().max(0.01),
            "{p:?} vs {r:?}"
        );
    }
    assert!(complete(&out.join("spikes.h5")));
}

/// An external side started by hand, listening on tcp: the graph connects
/// to it (`endpoint`, no `command`); killed mid-run, the run stops within
/// 5 s naming the lost connection, its recordings kept.
#[test]
fn an_external_side_started_by_hand_is_reached_and_its_death_noticed() {
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let s = std::fs::read_to_string(parrot_graph(dir.path(), "{}"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("command = ") {
                format!("endpoint = \"{endpoint}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let g = write(dir.path(), "by_hand.toml", &s);
    let start = || {
        Command::new(bin.join("python3"))
            .arg(root().join("tests/external/parrot.py"))
            .args(["--listen", &endpoint])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // a whole short run
    let mut side = start();
    let out = dir.path().join("o1");
    let o = bs_run(
        &bin,
        &g,
        &out,
        &["-q", "--set", "simulation.duration_ms=200"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(complete(&out.join("raw.h5")));
    assert!(
        side.wait().unwrap().success(),
        "the external side did not end cleanly"
    );
    // a long run, the external side killed after a while
    let mut side = start();
    let out = dir.path().join("o2");
    let mut run = bs_cmd(
        &bin,
        &g,
        &out,
        &["-q", "--set", "simulation.duration_ms=600000"],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let t0 = Instant::now();
    while std::fs::metadata(out.join("raw.h5"))
        .map(|m| m.len())
        .unwrap_or(0)
        < 4_000_000
    {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the run did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    side.kill().unwrap();
    let _ = side.wait();
    let killed = Instant::now();
    let status = exit_within(
        &mut run,
        killed,
        Duration::from_secs(5),
        "the run, its external side dead,",
    );
    eprintln!(
        "stopped {:.2} s after the kill",
        killed.elapsed().as_secs_f64()
    );
    let err = stderr(&run.wait_with_output().unwrap());
    assert!(!status.success());
    assert!(
        err.contains(&format!("the connection to {endpoint} closed")),
        "{err}"
    );
    assert!(!complete(&out.join("raw.h5")));
}

/// The Python with ANNarchy where BRAINSTREAM_TEST_ANNARCHY=1 (a separate CI
/// step), None (the test skipped) otherwise.
fn annarchy_python() -> Option<PathBuf> {
    if std::env::var("BRAINSTREAM_TEST_ANNARCHY").map_or(true, |v| v != "1") {
        eprintln!("skipped: set BRAINSTREAM_TEST_ANNARCHY=1 (after scripts/pyenv.sh --annarchy)");
        return None;
    }
    let Some(bin) = python(", ANNarchy") else {
        panic!("BRAINSTREAM_TEST_ANNARCHY=1 but no ANNarchy: run scripts/pyenv.sh --annarchy")
    };
    Some(bin)
}

/// `step_current_neuron.toml` (one built-in neuron under a step current)
/// and, written into `dir`, the same graph with the neuron in
/// `tests/external/<script>`.
fn one_neuron_graphs(dir: &Path, script: &str) -> (PathBuf, PathBuf) {
    let builtin = root().join("tests/graphs/good/step_current_neuron.toml");
    let ext = std::fs::read_to_string(&builtin).unwrap().replace(
        "kind = \"spiking_network\"\nregions = [\"r\"]\npopulations = { n = 1 }\nrecord_v_m = [0]",
        &format!(
            "kind = \"external\"\ncommand = [\"python3\", \"{}\"]\nregions = [\"r\"]\npopulations = {{ n = 1 }}",
            root().join("tests/external").join(script).display()
        ),
    );
    assert!(ext.contains(script));
    (builtin, write(dir, "ext.toml", &ext))
}

/// One leaky neuron under the step current of `step_current_neuron.toml`,
/// in ANNarchy (injected through a TimedArray and CurrentInjection,
/// integrated exactly) and in the built-in engine: until the built-in
/// neuron's first spike (the ANNarchy one never fires) the membrane
/// potentials agree, ANNarchy's exactly one step later — as NEST's.
#[test]
fn an_annarchy_neuron_driven_through_current_in_follows_the_built_in_one() {
    let Some(bin) = annarchy_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (builtin, g) = one_neuron_graphs(dir.path(), "one_neuron_annarchy.py");
    let o = bs_run(&bin, &g, &dir.path().join("ann"), &["-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    run(&builtin, &dir.path().join("builtin"), &[]).unwrap();
    let (_, va, _) = read_h5(&dir.path().join("ann/vm.h5"));
    let (_, vb, _) = read_h5(&dir.path().join("builtin/vm.h5"));
    assert_eq!(va.len(), vb.len());
    // up to the built-in neuron's first spike (threshold −55 mV)
    let k = vb
        .iter()
        .position(|v| *v > -55.5)
        .expect("the built-in neuron fires");
    assert!(k > 600, "{k}");
    let worst = (0..k - 1)
        .map(|i| (va[i + 1] - vb[i]).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-9, "V_m differs by {worst} mV (one step apart)");
    // the current moved it: from −70 mV towards −54 mV
    assert!(va[k - 1] > -60.0, "{}", va[k - 1]);
    assert!((va[400] + 70.0).abs() < 1e-12, "{}", va[400]);
}

/// One iaf_psc_alpha neuron under a step current, in NEST as an external
/// actor and in the built-in engine (which is NEST-exact for this model):
/// the same spike steps and the same membrane potential, which checks the
/// timing of `current_in` and `v_m` through the adapter to the step.
#[test]
fn a_nest_neuron_driven_through_current_in_matches_the_built_in_one() {
    let Some(bin) = python(", nest") else { return };
    let dir = tempfile::tempdir().unwrap();
    let (builtin, g) = one_neuron_graphs(dir.path(), "one_neuron_nest.py");
    let o = bs_run(&bin, &g, &dir.path().join("nest"), &["-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    run(&builtin, &dir.path().join("builtin"), &[]).unwrap();
    let (sn, tn) = spikes(&dir.path().join("nest/spikes.h5"));
    let (sb, tb) = spikes(&dir.path().join("builtin/spikes.h5"));
    assert!(tb.len() >= 3, "{tb:?}");
    // NEST takes a new amplitude only after its current time: through the
    // adapter the response comes exactly one step (0.1 ms) later
    assert_eq!(sn, sb);
    assert_eq!(tn.len(), tb.len(), "{tn:?} vs {tb:?}");
    for (a, b) in tn.iter().zip(&tb) {
        assert!(
            (a - b - 0.1).abs() < 1e-9,
            "spike times {tn:?} vs built-in {tb:?}"
        );
    }
    // NEST's multimeter delivers a window's last sample with the next
    // window: the recording ends one sample short
    let (_, vn, time_n) = read_h5(&dir.path().join("nest/vm.h5"));
    let (_, vb, time_b) = read_h5(&dir.path().join("builtin/vm.h5"));
    assert!(
        vn.len() + 1 >= vb.len(),
        "{} of {} samples",
        vn.len(),
        vb.len()
    );
    let mut compared = 0;
    let mut worst: f64 = 0.0;
    for (t, v) in time_n.iter().zip(&vn) {
        if let Some(j) = time_b.iter().position(|tb| (tb + 0.1 - t).abs() < 1e-9) {
            worst = worst.max((v - vb[j]).abs());
            compared += 1;
        }
    }
    assert!(
        compared + 3 >= vb.len(),
        "{compared} samples compared of {}",
        vb.len()
    );
    assert!(worst < 1e-9, "V_m differs by {worst} mV (one step apart)");
    assert!(vb.iter().any(|v| *v > -60.0), "the current moved nothing");
}

/// The one-neuron scenario without `v_m` (so the native loop serves it,
/// setting the step current generator from C++): the same spikes as the
/// Python loop's, and as the built-in neuron's one step later.
#[test]
fn a_nest_neuron_driven_through_current_in_spikes_alike_through_either_loop() {
    let Some(bin) = python(", nest") else { return };
    let dir = tempfile::tempdir().unwrap();
    let (builtin, g) = one_neuron_graphs(dir.path(), "one_neuron_nest.py");
    let s = std::fs::read_to_string(&g)
        .unwrap()
        .replace(
            "populations = { n = 1 }",
            "populations = { n = 1 }\nconfig = { v_m = false }",
        )
        .replace("[[edges]]\nfrom = \"net.v_m\"\nto = \"vm.input\"", "");
    assert!(s.contains("v_m = false") && !s.contains("net.v_m"), "{s}");
    let g = write(dir.path(), "no_vm.toml", &s);
    run(&builtin, &dir.path().join("builtin"), &[]).unwrap();
    let (sb, tb) = spikes(&dir.path().join("builtin/spikes.h5"));
    assert!(tb.len() >= 3, "{tb:?}");
    for native_loop in ["1", "0"] {
        let out = dir.path().join(format!("nest{native_loop}"));
        run_nest_loop(&bin, &g, &out, &["-q"], native_loop);
        let (sn, tn) = spikes(&out.join("spikes.h5"));
        assert_eq!(sn, sb);
        assert_eq!(tn.len(), tb.len(), "{tn:?} vs {tb:?}");
        for (a, b) in tn.iter().zip(&tb) {
            assert!((a - b - 0.1).abs() < 1e-9, "{tn:?} vs built-in {tb:?}");
        }
    }
}

/// A session peer in Rust that listens on a ZeroMQ PAIR at `endpoint`,
/// takes the runtime's hello, answers `answer` (crafted bytes) and stays
/// connected a moment; the error of the parrot graph run in-process with
/// that endpoint in place of its command.
fn run_against_crafted_answer(dir: &Path, answer: Vec<u8>) -> String {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let s = std::fs::read_to_string(parrot_graph(dir, "{}"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("command = ") {
                format!("endpoint = \"{endpoint}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let g = write(dir, "crafted.toml", &s);
    let ctx = zmq::Context::new();
    let sock = ctx.socket(zmq::PAIR).unwrap();
    sock.bind(&endpoint).unwrap();
    let peer = std::thread::spawn(move || {
        sock.set_rcvtimeo(20_000).unwrap();
        let hello = sock.recv_bytes(0).expect("the runtime's hello");
        assert_eq!(&hello[..4], b"BSWF");
        sock.send(answer, 0).unwrap();
        // stay until the runtime has read it (and refused it)
        std::thread::sleep(Duration::from_millis(1500));
    });
    let t0 = Instant::now();
    let err = run(
        &g,
        &dir.join("out"),
        &[
            "simulation.duration_ms=20",
            "actors.net.startup_timeout_s=20",
        ],
    )
    .expect_err("a crafted handshake was taken")
    .to_string();
    assert!(t0.elapsed() < Duration::from_secs(15), "{err}");
    peer.join().unwrap();
    err
}

/// Issue 16, item 5, end to end without Python: the external side's
/// handshake is checked field by field as the transport codec checks a
/// window — a hello announcing 2^62 bytes, one with bytes in front of a
/// valid body, one of another dtype are refused by name, not parsed.
#[test]
fn crafted_handshakes_are_refused_by_name() {
    let body = br#"{"protocol": 1, "role": "external", "regions": ["rM1", "lM1"],
        "populations": [{"name": "E", "size": 800}, {"name": "I", "size": 200}],
        "inputs": ["spikes_in"], "outputs": ["spikes", "rates"]}"#;
    let answer = |len: u64, dtype: u8, front: &[u8]| {
        let mut m = b"BSWF".to_vec();
        m.extend_from_slice(&1u16.to_le_bytes());
        m.extend_from_slice(&[1, dtype]); // kind hello
        m.extend_from_slice(&[0; 4]); // flags
        m.extend_from_slice(&u32::MAX.to_le_bytes()); // the session's edge
        m.extend_from_slice(&[0; 8 + 8 + 12]); // window, start, dims
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&[0; 12]);
        assert_eq!(m.len(), 64);
        m.extend_from_slice(front);
        m.extend_from_slice(body);
        m
    };
    let n = body.len() as u64;
    for (what, bytes, expect) in [
        (
            "2^62",
            answer(1 << 62, 3, b""),
            "announces a payload of 4611686018427387904 bytes, over the limit".to_string(),
        ),
        (
            "front",
            answer(n, 3, b"  \n"),
            format!("announces {n} payload bytes, {} arrived", n + 3),
        ),
        (
            "dtype",
            answer(n, 1, b""),
            "header field `dtype` is 1".to_string(),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let err = run_against_crafted_answer(dir.path(), bytes);
        assert!(err.contains("actor `net`"), "{what}: {err}");
        assert!(err.contains(&expect), "{what}: {err}");
    }
}

/// The Python client reads a series' units as the runtime sends them: one
/// per variable (AdEx's kHz, kHz, pA), with `unit` "" as they differ; a
/// peer that sends only `unit` gives it to every variable; a count of units
/// other than of variables is refused.
#[test]
fn the_python_client_gets_one_unit_per_variable() {
    use brainstream::runtime::{wire, Series, SeriesMeta};
    let Some(bin) = python("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut meta = SeriesMeta::new(
        vec!["E".into(), "I".into(), "W_e".into()],
        vec!["rM1".into(), "lM1".into()],
        "",
    );
    meta.units = vec!["kHz".into(), "kHz".into(), "pA".into()];
    let s = Series {
        stamps: vec![1, 2],
        times_ms: vec![0.1, 0.2],
        data: ndarray::Array3::from_shape_fn((2, 3, 2), |(k, v, n)| (k * 6 + v * 2 + n) as f64),
        meta: std::sync::Arc::new(meta.clone()),
    };
    std::fs::write(dir.path().join("meta"), wire::encode_meta(0, &meta)).unwrap();
    std::fs::write(dir.path().join("series"), wire::encode_series(0, 0, &s)).unwrap();
    let script = r#"
import json, sys
from brainstream_client import wire
d = sys.argv[1]
meta = wire.decode(open(d + "/meta", "rb").read())[1]
b = open(d + "/series", "rb").read()
_, s = wire.decode(b, meta)
out = [s.units, s.unit, float(s.data[1, 2, 1])]
_, s = wire.decode(b, {k: v for k, v in meta.items() if k != "units"} | {"unit": "Hz"})
out.append(s.units)
try:
    wire.decode(b, meta | {"units": ["Hz"]})
    out.append("taken")
except wire.WireError as e:
    out.append(str(e))
print(json.dumps(out))
"#;
    let o = Command::new(bin.join("python3"))
        .env("PYTHONPATH", root().join("python"))
        .arg("-c")
        .arg(script)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        got,
        serde_json::json!([
            ["kHz", "kHz", "pA"],
            "",
            11.0,
            ["Hz", "Hz", "Hz"],
            "1 units for a window of 3 variables"
        ])
    );
}

#[path = "parts/netpyne.rs"]
mod netpyne;

#[path = "parts/external_control.rs"]
mod external_control;
