//! `mpirun -n R brainstream sweep` (cargo feature `mpi`; Open MPI from
//! scripts/deps.sh): the ranks share the combinations, rank 0 writes the
//! rows, and the table is one process's to the bit, however many ranks
//! ran it or resumed it.

use super::*;

/// Two ranks sweep the 4-combination AdEx sweep into one table equal to
/// one process's (table, attributes, heat map, saved signal of a
/// combination rank 0 did not run); a sweep cut after one row resumes
/// under three ranks and gives the same table again.
#[test]
fn mpi_ranks_share_a_sweep_into_the_table_of_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let file = adex_sweep(dir.path(), "");
    let args = |out: &Path| -> Vec<std::ffi::OsString> {
        vec![
            env!("CARGO_BIN_EXE_brainstream").into(),
            "sweep".into(),
            file.clone().into(),
            "--out".into(),
            out.into(),
            "--backend".into(),
            "cpu".into(),
            "-q".into(),
        ]
    };
    let whole = dir.path().join("whole");
    run_ok(bs().args(&args(&whole)[1..]));
    // two ranks: combinations 0, 2 on rank 0, 1, 3 on rank 1 (whose saved
    // signal, combination 3's, rank 0 writes)
    let two = dir.path().join("two");
    let t = run_ok(mpirun(2).args(args(&two)));
    assert!(t.contains("shared by 2 MPI ranks"), "{t}");
    assert!(
        t.contains("4 combinations (4 run now, 0 found done)"),
        "{t}"
    );
    let same = |out: &Path| {
        let ((s0, want), (s1, got)) = (table(&whole), table(out));
        assert_eq!(s0, s1);
        assert_eq!(bits(&got), bits(&want), "{} differs", out.display());
        let (a, b) = (
            open_h5(&whole.join("sweep.h5")),
            open_h5(&out.join("sweep.h5")),
        );
        for attr in ["sweep", "graph", "sweep_file", "graph_file"] {
            let s = |f: &hdf5::File| {
                f.attr(attr)
                    .unwrap()
                    .read_scalar::<hdf5::types::VarLenUnicode>()
                    .unwrap()
                    .to_string()
            };
            assert_eq!(s(&a), s(&b), "attribute {attr}");
        }
        assert_eq!(
            std::fs::read(out.join("series/combination_000003.npy")).unwrap(),
            std::fs::read(whole.join("series/combination_000003.npy")).unwrap()
        );
        assert!(out
            .join("heatmap_E_mean_coupling_params_a_model_params_b_e.png")
            .exists());
    };
    same(&two);
    // a sweep interrupted after its first row, resumed by three ranks
    let cut = dir.path().join("cut");
    std::fs::create_dir_all(&cut).unwrap();
    let rows = std::fs::read_to_string(whole.join("rows.jsonl")).unwrap();
    let kept: Vec<&str> = rows.lines().take(2).collect();
    std::fs::write(cut.join("rows.jsonl"), format!("{}\n", kept.join("\n"))).unwrap();
    let t = run_ok(mpirun(3).args(args(&cut)));
    assert!(
        t.contains("4 combinations (3 run now, 1 found done)"),
        "{t}"
    );
    same(&cut);
}

/// Three ranks with `--backend cpu` stopped by rank 0's failure before any
/// work (another sweep's rows in --out) name it and exit non-zero, and
/// `--shard` under MPI is refused.
#[test]
fn mpi_sweep_failures_stop_every_rank_and_name_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let file = adex_sweep(dir.path(), "");
    let out = dir.path().join("o");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("rows.jsonl"),
        "{\"brainstream_sweep\":1,\"hash\":\"0\"}\n",
    )
    .unwrap();
    let o = mpirun(3)
        .arg(env!("CARGO_BIN_EXE_brainstream"))
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--backend", "cpu", "-q"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        e.contains("rank 0 of 3: error:") && e.contains("holds the rows of another sweep"),
        "{e}"
    );
    let o = mpirun(2)
        .arg(env!("CARGO_BIN_EXE_brainstream"))
        .arg("sweep")
        .arg(&file)
        .args(["--shard", "1/2", "--backend", "cpu", "-q", "--out"])
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        e.contains("--dry-run and --shard run as one process"),
        "{e}"
    );
}
