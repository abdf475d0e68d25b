//! The command-line tutorials of docs/tutorials/ run as written, with the
//! shorter durations their `<!-- test: replace A => B -->` lines give, and
//! leave what they say: each test runs a tutorial's ```sh blocks (with this
//! build's `brainstream` first on PATH) and its ```python blocks (with the
//! Python of target/pyenv: numpy, h5py, xarray, h5netcdf, NEST), in a
//! folder where `graphs`, `data`, `docs` and `examples` are the
//! repository's, then checks the files and printed values.
//! docs/tutorials/06_embedding.md (the Python package) is run by
//! pyapi/tests/test_tutorials.py.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fenced block of a tutorial: its language and text, with the test's
/// replacements made.
struct Block {
    lang: String,
    code: String,
}

/// The blocks of `md`; a `<!-- test: replace A => B -->` line applies to
/// the next block (and must change it).
fn blocks(md: &str) -> Vec<Block> {
    let mut out = vec![];
    let mut pending: Vec<(String, String)> = vec![];
    let mut lines = md.lines();
    while let Some(l) = lines.next() {
        if let Some(r) = l
            .trim()
            .strip_prefix("<!-- test: replace ")
            .and_then(|r| r.strip_suffix("-->"))
        {
            let (a, b) = r
                .split_once(" => ")
                .unwrap_or_else(|| panic!("a test line without ` => `: {l}"));
            pending.push((a.trim().to_string(), b.trim().to_string()));
            continue;
        }
        if let Some(lang) = l.strip_prefix("```") {
            let mut code = String::new();
            for c in lines.by_ref() {
                if c.starts_with("```") {
                    break;
                }
                code.push_str(c);
                code.push('\n');
            }
            for (a, b) in pending.drain(..) {
                assert!(code.contains(&a), "`{a}` is not in the block:\n{code}");
                code = code.replace(&a, &b);
            }
            out.push(Block {
                lang: lang.trim().to_string(),
                code,
            });
        }
    }
    assert!(pending.is_empty(), "a test line after the last block");
    out
}

/// target/pyenv's bin folder (or BRAINSTREAM_PYTHON_BIN), if its Python
/// imports `modules`; else the test says it skipped, or fails where
/// BRAINSTREAM_REQUIRE_EXTERNAL=1.
fn python_bin(modules: &str) -> Option<PathBuf> {
    let bin = std::env::var_os("BRAINSTREAM_PYTHON_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/pyenv/bin"));
    let ok = Command::new(bin.join("python3"))
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(bin);
    }
    let msg = format!(
        "no Python with {modules} in {} (run scripts/pyenv.sh)",
        bin.display()
    );
    assert!(
        std::env::var("BRAINSTREAM_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
        "{msg}"
    );
    eprintln!("skipped: {msg}");
    None
}

/// What a tutorial run leaves: its folder and each block's output.
struct Ran {
    dir: tempfile::TempDir,
    /// stdout of each run block, in order
    outputs: Vec<String>,
}

impl Ran {
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn printed(&self) -> String {
        self.outputs.join("")
    }
}

/// Runs tutorial `name`; None where its Python (with `modules`) is missing.
fn run_tutorial(name: &str, modules: &str) -> Option<Ran> {
    let bin = python_bin(modules)?;
    let md = std::fs::read_to_string(root().join("docs/tutorials").join(name)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for d in ["graphs", "data", "docs", "examples"] {
        std::os::unix::fs::symlink(root().join(d), dir.path().join(d)).unwrap();
    }
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_brainstream"));
    let path = format!(
        "{}:{}:{}",
        exe.parent().unwrap().display(),
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut outputs = vec![];
    let bs = blocks(&md);
    assert!(bs.iter().any(|b| b.lang == "sh"), "{name} has no command");
    for b in bs {
        let mut c = match b.lang.as_str() {
            "sh" => {
                let mut c = Command::new("bash");
                c.args(["-euo", "pipefail", "-c", &b.code]);
                c
            }
            "python" => {
                let mut c = Command::new(bin.join("python3"));
                c.args(["-c", &b.code]);
                c
            }
            _ => continue,
        };
        let o = c
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("HDF5_USE_FILE_LOCKING", "FALSE")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(
            o.status.success(),
            "{name}: this block failed:\n{}\n--- stdout\n{stdout}\n--- stderr\n{}",
            b.code,
            String::from_utf8_lossy(&o.stderr)
        );
        outputs.push(stdout);
    }
    Some(Ran { dir, outputs })
}

fn is_png(p: &Path) {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(
        b.starts_with(b"\x89PNG") && b.len() > 10_000,
        "{}",
        p.display()
    );
}

/// The number after `key` in `text`.
fn number_after(text: &str, key: &str) -> f64 {
    let rest = &text[text
        .find(key)
        .unwrap_or_else(|| panic!("no `{key}` in:\n{text}"))
        + key.len()..];
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "-+.e".contains(c)))
        .unwrap_or(rest.len());
    rest[..end]
        .parse()
        .unwrap_or_else(|e| panic!("`{}` after {key}: {e}", &rest[..end]))
}

#[test]
fn the_blocks_of_a_tutorial_and_their_replacements() {
    let b =
        blocks("a\n<!-- test: replace x=1 => x=2 -->\n```sh\nrun x=1\n```\n```text\nout\n```\n");
    assert_eq!(b.len(), 2);
    assert_eq!(
        (b[0].lang.as_str(), b[0].code.as_str()),
        ("sh", "run x=2\n")
    );
    assert_eq!(b[1].lang, "text");
}

#[test]
fn tutorial_1_a_tvb_model_and_its_fc() {
    let Some(r) = run_tutorial("01_tvb_model_fc.md", "numpy, xarray, h5netcdf") else {
        return;
    };
    for f in ["fc.png", "fcd.png", "psd.png"] {
        is_png(&r.path(&format!("out-rww/{f}")));
    }
    let (shape, data, time) = read_h5(&r.path("out-rww/rec.h5"));
    assert_eq!(shape, [3000, 1, 76, 1]);
    assert!((time[0] - 0.5).abs() < 1e-9 && (time[2999] - 2999.5).abs() < 1e-9);
    // S is a gating variable, in [0, 1]
    assert!(data.iter().all(|s| (0.0..=1.0).contains(s)));
    let p = r.printed();
    assert!(p.contains("3000 samples of 76 regions, unit 1"), "{p}");
    let fc = number_after(&p, "mean FC");
    let fc_sc = number_after(&p, "FC-SC correlation");
    assert!(fc.abs() < 1.0 && fc_sc.abs() < 1.0, "{p}");
}

#[test]
fn tutorial_2_the_epileptor() {
    let Some(r) = run_tutorial("02_epileptor.md", "numpy, xarray, h5netcdf") else {
        return;
    };
    is_png(&r.path("out-epileptor/lfp.png"));
    let p = r.printed();
    // the epileptogenic zone seizes, the propagation zone is recruited,
    // healthy regions do not
    let line = p
        .lines()
        .find(|l| l.starts_with("seized:"))
        .unwrap_or_else(|| panic!("{p}"));
    let seized: Vec<&str> = line["seized:".len()..].split_whitespace().collect();
    for r in ["lPHC", "lHC", "lAMYG", "lTCI", "lTCV"] {
        assert!(seized.contains(&r), "{r} not in {seized:?}");
    }
    assert!(!seized.contains(&"rA1") && seized.len() < 20, "{seized:?}");
    let onset = number_after(&p, "onset in lHC at");
    assert!(onset > 0.0 && onset < 1500.0, "{p}");
}

#[test]
fn tutorial_3_the_wilson_cowan_co_simulation() {
    let Some(r) = run_tutorial("03_cosim_wilson_cowan.md", "numpy, xarray, h5netcdf") else {
        return;
    };
    for f in ["raster.png", "rates_plot.png", "brain_plot.png"] {
        is_png(&r.path(&format!("out-cosim/{f}")));
    }
    let p = r.printed();
    for pop in ["rM1 E", "rM1 I", "lM1 E", "lM1 I"] {
        let hz = number_after(&p, pop);
        assert!(hz > 0.0 && hz < 500.0, "{pop}: {hz} Hz\n{p}");
    }
    let (shape, _, _) = read_h5(&r.path("out-cosim/raw.h5"));
    assert_eq!(shape[1..], [2, 76, 1]);
}

#[test]
fn tutorial_4_nest_as_an_external_actor() {
    let Some(r) = run_tutorial(
        "04_nest_external.md",
        "numpy, xarray, h5netcdf, nest, brainstream_client",
    ) else {
        return;
    };
    is_png(&r.path("out-nest/raster.png"));
    let p = r.printed();
    let spikes = number_after(&p, "spikes from NEST:");
    assert!(spikes > 100.0, "{p}");
    for pop in ["rM1 E", "lM1 E"] {
        let hz = number_after(&p, pop);
        assert!(hz > 0.0 && hz < 500.0, "{pop}: {hz} Hz\n{p}");
    }
}

#[test]
fn tutorial_5_a_sweep_and_its_heat_maps() {
    let Some(r) = run_tutorial("05_sweep_heatmaps.md", "numpy, xarray, h5netcdf") else {
        return;
    };
    for v in ["E_mean", "fcd_var", "up_mean_ms"] {
        is_png(&r.path(&format!(
            "out-sweep/heatmap_{v}_coupling_params_a_model_params_b_e.png"
        )));
    }
    let p = r.printed();
    // the dry run's count, then the table of the 4 combinations run
    assert!(p.contains("98 combinations"), "{p}");
    assert_eq!(number_after(&p, "rows:"), 4.0, "{p}");
    let e = number_after(&p, "highest E_mean (Hz):");
    assert!(e > 0.0 && e < 200.0, "{p}");
}
