//! `mpirun -n P brainstream run GRAPH` (cargo feature `mpi`): rank r runs
//! the r-th partition in name order, its edges to the other ranks over tcp
//! endpoints exchanged through MPI, authenticated with a key handed out
//! the same way; the recordings are the one-process run's bits; a rank
//! killed mid-run is named by the others and the run stops.

use super::*;

/// The co-simulation in three partitions: `brain` (the mean field and its
/// converter), `record` (its recorder and plot), `spiking` (the rest).
fn three_partitions(dir: &Path) -> PathBuf {
    let mut s = std::fs::read_to_string(partitioned(dir)).unwrap();
    for a in ["raw", "brain_plot"] {
        s = s.replace(
            &format!("[actors.{a}]\nprocess = \"brain\"\n"),
            &format!("[actors.{a}]\nprocess = \"record\"\n"),
        );
    }
    write(dir, "parts3.toml", &s)
}

fn run_ranks(ranks: usize, graph: &Path, out: &Path, ms: u32) -> std::process::Command {
    let mut c = mpirun(ranks);
    c.arg(env!("CARGO_BIN_EXE_brainstream"))
        .arg("run")
        .arg(graph)
        .arg("--out")
        .arg(out)
        .args(["--set", &format!("simulation.duration_ms={ms}"), "-q"])
        .env_remove("BRAINSTREAM_RUN_TOKEN")
        .env_remove("BRAINSTREAM_RUN_KEY");
    c
}

#[test]
fn mpi_ranks_run_the_partitions_with_the_bits_of_one_process() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path(), 150);
    let two = partitioned(dir.path());
    let three = three_partitions(dir.path());
    for (ranks, graph) in [(2, &two), (3, &three)] {
        let out = dir.path().join(format!("ranks{ranks}"));
        let t = run_ok(&mut run_ranks(ranks, graph, &out, 150));
        // every rank ran its partition to the end
        assert_eq!(t.matches("simulated 150.0 ms").count(), ranks, "{t}");
        assert_eq!(recordings(&out), want, "{ranks} MPI ranks");
    }
    // as many ranks as partitions, or a clear refusal
    let o = run_ranks(3, &two, &dir.path().join("wrong"), 150)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        e.contains("mpirun -n 3: the graph has 2 partitions (brain, spiking); run it with -n 2"),
        "{e}"
    );
}

/// Rank 1 (`spiking`) killed mid-run: rank 0 says which rank died at once,
/// and the run ends within seconds, non-zero.
#[test]
fn a_killed_mpi_rank_is_named_and_stops_the_run() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let graph = partitioned(dir.path());
    kill_rank1_and_expect_it_named(&graph, &dir.path().join("killed"));
}

/// Runs `graph` on 2 ranks, kills rank 1 once its partition runs, and
/// checks that rank 0 names it and the run ends within 15 s, non-zero.
fn kill_rank1_and_expect_it_named(graph: &Path, out: &Path) {
    let mut child = run_ranks(2, graph, out, 60_000)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // rank 1: the process of this run whose environment says so, once
    // its partition is running (its recording exists)
    let t0 = Instant::now();
    let rank1 = loop {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "rank 1 did not start"
        );
        let found = std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
            let pid = e.file_name().to_string_lossy().to_string();
            pid.parse::<u32>().ok()?;
            let (cmd, env) = proc_args_env(&pid);
            (cmd.contains(out.to_str()?)
                && cmd.contains("brainstream run")
                && env.iter().any(|v| v == "OMPI_COMM_WORLD_RANK=1"))
            .then_some(pid)
        });
        if let (Some(p), true) = (found, out.join("spikes.h5").exists()) {
            break p;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(500));
    let killed = Instant::now();
    Command::new("kill")
        .args(["-KILL", &rank1])
        .status()
        .unwrap();
    exit_within(&mut child, killed, Duration::from_secs(15), "the MPI run");
    let o = child.wait_with_output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        e.contains("rank 1 of 2 (partition `spiking` on ")
            && e.contains("died; rank 0 of 2 (partition `brain` on "),
        "{e}"
    );
}

/// `graph` with `transport = "mpi"` on the edges `from → to` listed.
fn over_mpi(dir: &Path, graph: &Path, edges: &[(&str, &str)], name: &str) -> PathBuf {
    let mut s = std::fs::read_to_string(graph).unwrap();
    for (from, to) in edges {
        let e = format!("from = \"{from}\"\nto = \"{to}\"\n");
        assert!(s.contains(&e), "no edge {from} → {to}");
        s = s.replace(&e, &format!("{e}transport = \"mpi\"\n"));
    }
    write(dir, name, &s)
}

/// Edges carried by MPI itself (`transport = "mpi"`): the recordings are
/// the one-process run's bits, with 2 ranks (both edges between them over
/// MPI) and with 3 (the mean field's state to the recorder's rank over MPI,
/// to its plot over tcp: both kinds in one run).
#[test]
fn mpi_edges_carry_the_windows_with_the_bits_of_one_process() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path(), 150);
    let two = over_mpi(
        dir.path(),
        &partitioned(dir.path()),
        &[
            ("brain.coupling", "gen.input"),
            ("filt.output", "to_wc.input"),
        ],
        "mpi2.toml",
    );
    let three = over_mpi(
        dir.path(),
        &three_partitions(dir.path()),
        &[
            ("brain.coupling", "gen.input"),
            ("filt.output", "to_wc.input"),
            ("brain.state", "raw.input"),
        ],
        "mpi3.toml",
    );
    for (ranks, graph) in [(2, &two), (3, &three)] {
        let out = dir.path().join(format!("mpi{ranks}"));
        let t = run_ok(&mut run_ranks(ranks, graph, &out, 150));
        assert_eq!(t.matches("simulated 150.0 ms").count(), ranks, "{t}");
        assert_eq!(recordings(&out), want, "{ranks} MPI ranks, MPI edges");
    }
}

/// `transport = "mpi"` is refused, naming the edge: outside mpirun (one
/// process, or the launcher's partitions), and between two actors of one
/// partition (which one rank runs).
#[test]
fn mpi_edges_outside_mpirun_or_within_a_partition_are_refused() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let two = over_mpi(
        dir.path(),
        &partitioned(dir.path()),
        &[("brain.coupling", "gen.input")],
        "mpi2.toml",
    );
    let o = bs()
        .arg("run")
        .arg(&two)
        .arg("--out")
        .arg(dir.path().join("alone"))
        .args(["--set", "simulation.duration_ms=10", "-q"])
        .env_remove("BRAINSTREAM_RUN_TOKEN")
        .env_remove("BRAINSTREAM_RUN_KEY")
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        e.contains("edges[0] (brain → gen) asks for transport = \"mpi\"")
            && e.contains("run it with `mpirun -n 2 brainstream run"),
        "{e}"
    );
    assert!(!dir.path().join("alone").join("raw.h5").exists());
    // both ends in partition `brain`
    let same = over_mpi(
        dir.path(),
        &partitioned(dir.path()),
        &[("brain.state", "raw.input")],
        "same.toml",
    );
    let o = run_ranks(2, &same, &dir.path().join("same"), 10)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        e.contains("edges[5].transport")
            && e.contains("`brain.state` and `raw.input` are both in partition `brain`"),
        "{e}"
    );
}

/// Rank 1 killed mid-run while the edges between the ranks go over MPI:
/// rank 0 names it as over tcp, and the run ends within seconds.
#[test]
fn a_killed_mpi_rank_is_named_over_mpi_edges() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let graph = over_mpi(
        dir.path(),
        &partitioned(dir.path()),
        &[
            ("brain.coupling", "gen.input"),
            ("filt.output", "to_wc.input"),
        ],
        "mpi2.toml",
    );
    kill_rank1_and_expect_it_named(&graph, &dir.path().join("killed"));
}
