//! Every file of `tests/graphs/bad/` must be refused with the messages and
//! location its `# expect:` / `# expect-at: LINE:` header lines name, and
//! without what its `# expect-not:` lines name (what a message must not
//! quote), without a panic. The shipped graphs must validate.

use std::path::{Path, PathBuf};

use brainstream::{load_graph, RuntimeError};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a bad graph's message must hold, where, and what it must not.
struct Expect {
    contains: Vec<String>,
    at: Option<String>,
    not: Vec<String>,
}

fn expectations(path: &Path) -> Expect {
    let fixed = |c: &[&str], at: Option<&str>| Expect {
        contains: c.iter().map(|s| s.to_string()).collect(),
        at: at.map(|s| s.to_string()),
        not: vec![],
    };
    match path.file_name().and_then(|f| f.to_str()) {
        Some("syntax.json") => fixed(&["JSON syntax"], Some(":3:")),
        Some("duplicate_name.json") => fixed(&["duplicate key `a`"], Some(":3:")),
        Some("type_error.json") => fixed(
            &["simulation.duration_ms: invalid type: string \"ten\", expected f64"],
            Some(":4:20:"),
        ),
        Some("seed_overflow.json") => fixed(
            &["simulation.seed: a seed is an integer from 0 to 9223372036854775807"],
            Some(":3:13:"),
        ),
        Some("binary.toml") => fixed(&["not UTF-8 text"], None),
        _ => {
            let text = std::fs::read_to_string(path).unwrap();
            let mut e = fixed(&[], None);
            for l in text.lines() {
                if let Some(x) = l.strip_prefix("# expect: ") {
                    e.contains.push(x.to_string());
                } else if let Some(a) = l.strip_prefix("# expect-at: ") {
                    e.at = Some(format!(":{a}"));
                } else if let Some(x) = l.strip_prefix("# expect-not: ") {
                    e.not.push(x.to_string());
                }
            }
            e
        }
    }
}

#[test]
fn every_bad_graph_is_refused_with_a_located_message() {
    let dir = root().join("tests/graphs/bad");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Expect {
            contains: exp,
            at,
            not,
        } = expectations(&path);
        assert!(
            !exp.is_empty(),
            "{} has no `# expect:` line",
            path.display()
        );
        let err = match load_graph(&path, vec![]) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(e) => e,
        };
        let msg = err.to_string();
        assert!(
            matches!(err, RuntimeError::Invalid(_)),
            "{}: {msg}",
            path.display()
        );
        assert!(
            msg.starts_with(&path.display().to_string()),
            "message must name the file: {msg}"
        );
        for e in &exp {
            assert!(
                msg.contains(e.as_str()),
                "{}: expected `{e}` in\n{msg}",
                path.display()
            );
        }
        for x in &not {
            assert!(
                !msg.contains(x.as_str()),
                "{}: the message quotes `{x}`:\n{msg}",
                path.display()
            );
        }
        if let Some(a) = at {
            let fname = path.display().to_string();
            assert!(
                msg.contains(&format!("{fname}{a}")),
                "{}: expected location `{a}` in\n{msg}",
                path.display()
            );
        }
        n += 1;
    }
    assert!(n >= 30, "only {n} bad graphs");
}

#[test]
fn shipped_graphs_validate() {
    for entry in std::fs::read_dir(root().join("graphs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let table: toml::Table = toml::from_str(&text).unwrap();
            if table.contains_key("graph") {
                // a sweep file (graphs/*_sweep.toml): its plan, graph included
                if let Err(e) =
                    brainstream::sweep::Plan::load(&path, &brainstream::default_registry())
                {
                    panic!("{}: {e}", path.display());
                }
            } else if let Err(e) = load_graph(&path, vec![]) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}

#[test]
fn set_overrides_change_values_and_report_bad_keys() {
    let g = root().join("graphs/tvb_rww76.toml");
    let v = load_graph(
        &g,
        vec![
            "simulation.duration_ms=20".into(),
            "actors.brain.model_params.J_N=0.3".into(),
        ],
    )
    .unwrap();
    assert_eq!(v.total_steps, 200);
    assert_eq!(
        v.desc.actors["brain"].params["model_params"]["J_N"].as_float(),
        Some(0.3)
    );
    // a string value that is not TOML is taken as a string
    let v = load_graph(
        &g,
        vec![
            "actors.brain.model=Generic2dOscillator".into(),
            "actors.brain.variables=[\"V\"]".into(),
        ],
    )
    .unwrap();
    assert_eq!(
        v.desc.actors["brain"].params["model"].as_str(),
        Some("Generic2dOscillator")
    );
    // edges by index
    let v = load_graph(
        &root().join("tests/graphs/good/cosim_loop.toml"),
        vec!["edges.1.delay_ms=2.0".into()],
    )
    .unwrap();
    assert!(v.edges.iter().any(|e| e.delay_steps == 20));
    let e = load_graph(&g, vec!["simulation.duration_ms".into()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected KEY.PATH=VALUE"), "{e}");
    let e = load_graph(&g, vec!["edges.9.from=x".into()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("out of range"), "{e}");
    // out of its documented range: a warning, refused with strict ranges
    assert!(load_graph(&g, vec!["actors.brain.model_params.J_N=9".into()]).is_ok());
    let e = load_graph(
        &g,
        vec![
            "actors.brain.model_params.J_N=9".into(),
            "simulation.strict_ranges=true".into(),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("outside its documented range"), "{e}");
}

#[test]
fn garbage_never_panics() {
    // Arbitrary bytes and truncations of a real graph: always an error, never a panic.
    let good = std::fs::read(root().join("graphs/tvb_rww76.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x1234_5678_u64;
    for k in 0..300 {
        let mut bytes = good[..(k * 7) % good.len()].to_vec();
        for _ in 0..(k % 5) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % bytes.len().max(1);
            if !bytes.is_empty() {
                bytes[i] = (seed >> 24) as u8;
            }
        }
        let p = dir.path().join(format!("g{k}.toml"));
        std::fs::write(&p, &bytes).unwrap();
        let _ = load_graph(&p, vec![]); // must return, Ok or Err
    }
}

#[test]
fn json_graphs_are_accepted() {
    let toml_graph = load_graph(&root().join("tests/graphs/good/cosim_loop.toml"), vec![]).unwrap();
    let json_graph = load_graph(&root().join("tests/graphs/good/cosim_loop.json"), vec![]).unwrap();
    assert_eq!(toml_graph.desc, json_graph.desc);
}

#[test]
fn sweep_file_errors_are_located() {
    // sweep-plan errors said "FILE: key: cause", without line:col; parse
    // errors quoted TOML's multi-line report
    let dir = tempfile::tempdir().unwrap();
    let g = root().join("graphs/adex68.toml");
    let head = format!("graph = \"{}\"\ntransient_ms = 10.0\n", g.display());
    let cases: &[(&str, &str)] = &[
        (
            "[[axes]]\nparam = \"model_params.nope\"\nvalues = [1.0]\n",
            ":4:9: axes[0].param: ",
        ),
        (
            "[[axes]]\nparam = \"model_params.b_e\"\nvalues = [1.0]\n[analysis]\nperiod_ms = \"one\"\n",
            ":7:13: analysis.period_ms: invalid type: string \"one\", expected f64",
        ),
        (
            "seed = 1\nseed = 2\n[[axes]]\nparam = \"model_params.b_e\"\nvalues = [1.0]\n",
            ":4:1: seed: duplicate key: already set at line 3",
        ),
        (
            "seed = 99999999999999999999\naxes = []\n",
            ":3:8: seed: a seed is an integer from 0 to 9223372036854775807",
        ),
    ];
    for (body, want) in cases {
        let f = dir.path().join("s.toml");
        std::fs::write(&f, format!("{head}{body}")).unwrap();
        let e = brainstream::sweep::Plan::load(&f, &brainstream::default_registry())
            .unwrap_err()
            .to_string();
        let fname = f.display().to_string();
        assert!(
            e.starts_with(&format!("{fname}{want}")),
            "expected `{want}` in:\n{e}"
        );
    }
    // a value out of the parameter's range, where the graph asks for
    // strict ranges (otherwise a warning): located at the axis
    let strict = dir.path().join("strict.toml");
    let text = std::fs::read_to_string(root().join("graphs/tvb_rww76.toml"))
        .unwrap()
        .replace("[simulation]\n", "[simulation]\nstrict_ranges = true\n");
    assert!(text.contains("strict_ranges = true"));
    std::fs::write(&strict, text).unwrap();
    let f = dir.path().join("s.toml");
    std::fs::write(
        &f,
        format!(
            "graph = \"{}\"\ntransient_ms = 10.0\n[[axes]]\nparam = \"model_params.J_N\"\nvalues = [9.0]\n[analysis]\nfcd = false\n",
            strict.display()
        ),
    )
    .unwrap();
    let e = brainstream::sweep::Plan::load(&f, &brainstream::default_registry())
        .unwrap_err()
        .to_string();
    let want = ":4:9: axes[0].param: ReducedWongWang.J_N = 9 is outside";
    assert!(e.starts_with(&format!("{}{want}", f.display())), "{e}");
}

/// Every actor kind the docs name in a graph snippet (`kind = "X"`, in
/// README.md, docs/*.md and the tutorials) is one the registry has: the
/// docs never show a kind that does not exist (issue 19).
#[test]
fn every_kind_named_in_the_docs_exists() {
    let reg = brainstream::default_registry();
    let mut files = vec![root().join("README.md")];
    for dir in ["docs", "docs/tutorials"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "md" || x == "ipynb") {
                files.push(p);
            }
        }
    }
    let mut seen = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap().replace("\\\"", "\"");
        for (i, _) in text.match_indices("kind = \"") {
            let rest = &text[i + 8..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                reg.get(&name).is_some(),
                "{}: kind `{name}` is not an actor kind",
                f.display()
            );
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} kinds found in {files:?}");
}
