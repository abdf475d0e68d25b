//! NetPyNE 1.1 / NEURON 9 as an external actor
//! (python/brainstream_client/netpyne.py, examples/external/wc76_netpyne.py):
//! graphs/cosim_wc76_netpyne.toml runs, its rates are those of the same
//! graph in NEST within a factor of two (NEURON's IntFire4 stands for
//! iaf_psc_alpha: an exponential excitatory PSC of the same charge, no
//! refractory period), and its faults are reported as NEST's: a process
//! that dies names the actor, a neuron model NEURON has no cell for is
//! refused by name. A missing NEURON or NetPyNE skips them, saying so,
//! except under BRAINSTREAM_REQUIRE_EXTERNAL=1 (CI), where it fails them.

use super::*;

/// graphs/cosim_wc76_<sim>.toml with its script's path made absolute and
/// the command replaced by `command` where given, in `dir`.
fn graph(dir: &Path, sim: &str, command: Option<String>) -> PathBuf {
    let script = root().join(format!("examples/external/wc76_{sim}.py"));
    let mut s = std::fs::read_to_string(root().join(format!("graphs/cosim_wc76_{sim}.toml")))
        .unwrap()
        .replace(
            &format!("../examples/external/wc76_{sim}.py"),
            script.to_str().unwrap(),
        );
    if let Some(c) = command {
        let line = format!("command = [\"python3\", \"{}\"]", script.display());
        assert!(s.contains(&line));
        s = s.replace(&line, &format!("command = {c}"));
    }
    write(dir, &format!("{sim}.toml"), &s)
}

/// `graph(dir, "netpyne", None)` with the proxy trains' rates sent instead
/// of the trains (`rates_in`: the adapter draws 100 shared trains per
/// region), as `nest_rates_graph`.
fn rates_graph(dir: &Path) -> PathBuf {
    let s = std::fs::read_to_string(graph(dir, "netpyne", None))
        .unwrap()
        .replace(
            "kind = \"poisson_spikes\"\nvariable = \"c_E\"\ntrains_per_node = 100\nscale = 300.0",
            "kind = \"gain\"\nscale = 300.0\nunit = \"Hz\"",
        )
        .replace(
            "from = \"gen.spikes\"\nto = \"net.spikes_in\"",
            "from = \"gen.output\"\nto = \"net.rates_in\"",
        )
        .replace(
            "config = { model = \"iaf_psc_alpha\" }",
            "config = { model = \"iaf_psc_alpha\", input = \"rates\" }",
        );
    assert!(s.contains("net.rates_in") && s.contains("input = \"rates\""));
    write(dir, "netpyne_rates.toml", &s)
}

/// The scenario for 300 ms in NetPyNE and in NEST: each population's mean
/// rate after the first 60 ms within a factor of two of NEST's (measured:
/// NetPyNE 56-59 Hz, NEST 45-47 Hz), in 20-120 Hz; the proxy regions' mean
/// field follows the NetPyNE rates as it follows NEST's; spikes from both
/// regions, the recordings complete. With the proxy trains' rates sent
/// instead (`rates_in`, the trains drawn by the adapter) the rates are
/// those of the trains sent, within 10 % (measured: 56-58 Hz).
#[test]
fn the_netpyne_scenario_runs_with_rates_of_the_nest_ones_order_through_spikes_or_rates() {
    let Some(bin) = python(", nest, neuron, netpyne") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let set = ["-q", "--set", "simulation.duration_ms=300"];
    let t0 = Instant::now();
    let out = dir.path().join("netpyne");
    let o = bs_run(&bin, &graph(dir.path(), "netpyne", None), &out, &set);
    assert!(o.status.success(), "{}", stderr(&o));
    let netpyne_s = t0.elapsed().as_secs_f64();
    let nest_out = dir.path().join("nest");
    let o = bs_run(&bin, &graph(dir.path(), "nest", None), &nest_out, &set);
    assert!(o.status.success(), "{}", stderr(&o));
    let rates_out = dir.path().join("netpyne_rates");
    let o = bs_run(&bin, &rates_graph(dir.path()), &rates_out, &set);
    assert!(o.status.success(), "{}", stderr(&o));
    let (r, p) = rates_and_proxies(&out);
    let (rn, _) = rates_and_proxies(&nest_out);
    let (rr, _) = rates_and_proxies(&rates_out);
    eprintln!(
        "NetPyNE rates {r:?} ({netpyne_s:.1} s), NEST {rn:?}, NetPyNE proxies {p:?}, NetPyNE with rates_in {rr:?}"
    );
    for (a, b) in rr.iter().zip(&r) {
        assert!(
            (a - b).abs() / b < 0.10,
            "rates_in {rr:?} vs spikes_in {r:?}"
        );
    }
    for (a, b) in r.iter().zip(&rn) {
        assert!((20.0..120.0).contains(a), "NetPyNE {r:?}");
        assert!(a / b > 0.5 && a / b < 2.0, "NetPyNE {r:?} vs NEST {rn:?}");
    }
    for (j, x) in p.iter().enumerate() {
        assert!(
            (x - 0.01 * r[j]).abs() < 0.02 * x.abs().max(0.01),
            "{p:?} vs {r:?}"
        );
    }
    let (senders, _) = spikes(&out.join("spikes.h5"));
    assert!(senders.iter().any(|s| *s < 1000) && senders.iter().any(|s| *s >= 1000));
    assert!(senders.iter().all(|s| *s < 2000));
    assert!(complete(&out.join("spikes.h5")) && complete(&out.join("raw.h5")));
    let log = std::fs::read_to_string(out.join("net.log")).unwrap();
    assert!(
        log.contains("300 windows") && !log.contains("Traceback"),
        "{log}"
    );
}

/// The NetPyNE process killed mid-run (SIGKILL, its pid written by the
/// shell that execs it): the run stops within 5 s naming the actor and
/// how its process ended, what was recorded kept and marked incomplete.
#[test]
fn a_netpyne_process_that_dies_stops_the_run_naming_the_actor() {
    let Some(bin) = python(", neuron, netpyne") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let script = root().join("examples/external/wc76_netpyne.py");
    let command = format!(
        "[\"sh\", \"-c\", \"echo $$ > '{}'; exec python3 '{}'\"]",
        pid_file.display(),
        script.display()
    );
    let g = graph(dir.path(), "netpyne", Some(command));
    let out = dir.path().join("o");
    let mut run = bs_cmd(
        &bin,
        &g,
        &out,
        &["-q", "--set", "simulation.duration_ms=60000"],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // windows are running once the mean field has recorded ~100 ms
    let t0 = Instant::now();
    while std::fs::metadata(out.join("raw.h5"))
        .map(|m| m.len())
        .unwrap_or(0)
        < 1_000_000
    {
        assert!(
            t0.elapsed() < Duration::from_secs(180),
            "the run did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let k = Command::new("kill")
        .args(["-KILL", pid.trim()])
        .status()
        .unwrap();
    assert!(k.success());
    let killed = Instant::now();
    let status = exit_within(
        &mut run,
        killed,
        Duration::from_secs(5),
        "the run, its NetPyNE side dead,",
    );
    let err = stderr(&run.wait_with_output().unwrap());
    assert!(!status.success());
    assert!(
        err.contains("actor `net` failed") && err.contains("was killed"),
        "{err}"
    );
    assert!(!complete(&out.join("raw.h5")));
}

/// A neuron model NEURON has no cell for is refused by name, with the
/// models it has, before any network is built.
#[test]
fn a_neuron_model_netpyne_cannot_provide_is_refused_by_name() {
    let Some(bin) = python(", neuron, netpyne") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let g = graph(dir.path(), "netpyne", None);
    let o = bs_run(
        &bin,
        &g,
        &dir.path().join("o"),
        &["-q", "--set", "actors.net.config.model=\"gif_cond_exp\""],
    );
    assert!(!o.status.success(), "the run succeeded");
    let err = stderr(&o);
    assert!(
        err.contains("actor `net` failed")
            && err.contains("neuron model 'gif_cond_exp': NetPyNE/NEURON has no counterpart")
            && err.contains("iaf_psc_alpha → IntFire4"),
        "{err}"
    );
}
