//! Declarations that must be refused, each with its place and cause, and
//! what the lowering must produce for good ones.

use brainstream_modeldecl::compile;
use brainstream_modeldecl::expr::BinOp;
use brainstream_modeldecl::lower::Node;

const GOOD: &str = r#"
name = "Toy"
doc = "a toy"
coupling = ["x"]

[parameters]
a = { default = 1.0, range = [0.0, 2.0], unit = "1", doc = "gain" }
P = { default = [0.5, 0.25], range = [-1.0, 1.0], doc = "a vector" }

[state]
x = { range = [0.0, 1.0], bounds = [0.0, inf] }
y = { range = [-1.0, 1.0] }

[functions]
sq = { args = ["v"], value = "v * v" }

[let]
s = "a * x + P[1] * c_x"

[derivatives]
x = "-x + s^3"
y = "if(x > 0.5, sq(y) - y, P[0])"
"#;

/// The problems of `text` (after replacing `from` with `to` in GOOD).
fn problems(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    let text = GOOD.replacen(from, to, 1);
    match compile("m.toml", &text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_good_declaration_lowers_in_order() {
    let (p, warnings) = compile("m.toml", GOOD).unwrap();
    assert!(warnings.is_none(), "{warnings:?}");
    assert_eq!(p.states.len(), 2);
    assert_eq!(p.n_values, 3);
    assert_eq!(p.cvar, vec![0]);
    assert_eq!(p.states[0].bounds, (0.0, f64::INFINITY));
    // every operation reads only earlier ones
    for (i, n) in p.nodes.iter().enumerate() {
        for a in brainstream_modeldecl::lower::operands(n) {
            assert!((a as usize) < i);
        }
    }
    // s^3 is s·(s·s), as numba expands an integer power
    let d = p.derivatives[0] as usize;
    let Node::Bin(BinOp::Add, _, cube) = p.nodes[d] else {
        panic!("{:?}", p.nodes[d])
    };
    let Node::Bin(BinOp::Mul, s, sq) = p.nodes[cube as usize] else {
        panic!()
    };
    assert_eq!(p.nodes[sq as usize], Node::Bin(BinOp::Mul, s, s));
    // P[1] is the third parameter slot
    assert!(p.nodes.contains(&Node::Param(2)));
}

#[test]
fn identical_operations_are_computed_once() {
    let text = GOOD.replace(
        "x = \"-x + s^3\"",
        "x = \"exp(a * x) + exp(a * x) + sq(x) + x * x\"",
    );
    let (p, _) = compile("m.toml", &text).unwrap();
    let exps = p.nodes.iter().filter(|n| matches!(n, Node::F1(..))).count();
    assert_eq!(exps, 1);
    let squares = p
        .nodes
        .iter()
        .filter(|n| matches!(n, Node::Bin(BinOp::Mul, a, b) if a == b && matches!(p.nodes[*a as usize], Node::State(0))))
        .count();
    assert_eq!(squares, 1);
}

#[test]
fn every_mistake_is_refused_at_its_place() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "\"-x + s^3\"",
            "\"-x + s^3 +\"",
            &["m.toml:21:16:", "expected a number"],
        ),
        (
            "\"-x + s^3\"",
            "\"-x + tt\"",
            &["m.toml:21:11:", "unknown name `tt`"],
        ),
        (
            "\"-x + s^3\"",
            "\"-x + s^x\"",
            &["m.toml:21:13:", "whole-number literal", "pow(x, y)"],
        ),
        (
            "\"-x + s^3\"",
            "\"-x + exq(s)\"",
            &[
                "m.toml:21:11:",
                "unknown function `exq`",
                "did you mean `exp`",
            ],
        ),
        (
            "\"-x + s^3\"",
            "\"-x + exp(s, 1)\"",
            &["`exp` takes 1 argument(s), given 2"],
        ),
        (
            "\"-x + s^3\"",
            "\"-x + P\"",
            &["`P` is a vector of 2: take one element, P[k]"],
        ),
        (
            "\"-x + s^3\"",
            "\"-x + P[2]\"",
            &["`P[2]`: `P` has 2 elements"],
        ),
        (
            "\"-x + s^3\"",
            "\"x > 0\"",
            &["derivative of `x` is a truth value"],
        ),
        (
            "\"-x + s^3\"",
            "\"-x + (x > 0)\"",
            &["a truth value where a number is needed"],
        ),
        (
            "\"-x + s^3\"",
            "\"-x + sq(x, y)\"",
            &["function `sq` takes 1 argument(s) (v), given 2"],
        ),
        (
            "s = \"a * x + P[1] * c_x\"",
            "s = \"a * x + r\"\nr = \"s + 1\"",
            &["cycle: s → r → s"],
        ),
        (
            "s = \"a * x + P[1] * c_x\"",
            "s = \"a * x + c_y\"",
            &["unknown name `c_y`"],
        ),
        (
            "sq = { args = [\"v\"], value = \"v * v\" }",
            "sq = { args = [\"v\"], value = \"v * x\" }",
            &[
                "function `sq` reads `x`, a state variable",
                "pass it as an argument",
            ],
        ),
        (
            "sq = { args = [\"v\"], value = \"v * v\" }",
            "sq = { args = [\"v\"], value = \"sq(v)\" }",
            &["call themselves: sq → sq"],
        ),
        (
            "y = \"if(x > 0.5, sq(y) - y, P[0])\"\n",
            "",
            &["m.toml:12:1:", "state variable `y` has no derivative"],
        ),
        (
            "y = \"if(x > 0.5, sq(y) - y, P[0])\"",
            "y = \"0\"\nz = \"1\"",
            &["`z` is not a state variable"],
        ),
        (
            "coupling = [\"x\"]",
            "coupling = [\"w\"]",
            &[
                "m.toml:4:13:",
                "`coupling` names `w`, which is not a state variable",
            ],
        ),
        (
            "range = [0.0, 2.0], unit",
            "range = [3.0, 2.0], unit",
            &["lo > hi"],
        ),
        (
            "default = 1.0, range",
            "default = 5.0, range",
            &["default 5 is outside its range [0, 2]"],
        ),
        (
            "default = 1.0, range",
            "default = \"1\", range",
            &["`default` must be a number or a list of numbers"],
        ),
        (
            "doc = \"gain\"",
            "doc = \"gain\", colour = 3",
            &["parameter `a`: unknown key `colour`"],
        ),
        (
            "x = { range = [0.0, 1.0], bounds = [0.0, inf] }",
            "x = { rnge = [0.0, 1.0] }",
            &["unknown key `rnge`", "did you mean `range`"],
        ),
        (
            "a = {",
            "exp = {",
            &["parameter `exp` has the name of a built-in function"],
        ),
        (
            "a = {",
            "y = {",
            &["state variable `y` has the name of a parameter"],
        ),
        (
            "name = \"Toy\"",
            "name = \"Toy\"\nmodel = 3",
            &["unknown key `model`"],
        ),
        (
            "[derivatives]",
            "coupling = [\"x\"]\n[derivatives]",
            &[
                "let.coupling: must be an expression string",
                "before the first [table]",
            ],
        ),
        ("-x + s^3\"", "-x + s^3\"\nx = \"0\"", &["TOML syntax"]),
        (
            "[state]",
            "[stat]",
            &["unknown key `stat`", "did you mean `state`"],
        ),
    ];
    for (from, to, want) in cases {
        let e = problems(from, to);
        for w in *want {
            assert!(e.contains(w), "`{from}` → `{to}`: expected `{w}` in:\n{e}");
        }
    }
}

#[test]
fn errors_inside_functions_say_where_they_were_called() {
    let text = GOOD.replace(
        "sq = { args = [\"v\"], value = \"v * v\" }",
        "sq = { args = [\"v\"], value = \"v * v\" }\nbad = { args = [\"v\"], value = \"v + P\" }",
    )
    .replace("\"-x + s^3\"", "\"-x + bad(s)\"");
    let e = compile("m.toml", &text).unwrap_err().to_string();
    assert!(
        e.contains("`P` is a vector") && e.contains("note: in a function called at m.toml:22:11"),
        "{e}"
    );
}

#[test]
fn unused_names_are_warned_about() {
    let text = GOOD
        .replace("[let]", "[let]\nunused = \"x * 2\"")
        .replace("P = {", "b = { default = 0.0, range = [-1.0, 1.0] }\nP = {");
    let (_, w) = compile("m.toml", &text).unwrap();
    let w = w.unwrap().to_string();
    assert!(w.contains("parameter `b` is not used"), "{w}");
    assert!(w.contains("intermediate `unused` is not used"), "{w}");
}

#[test]
fn exponential_inlining_is_refused_not_a_hang() {
    let mut fns = String::from("f0 = { args = [\"v\"], value = \"v + 1\" }\n");
    for k in 1..40 {
        fns += &format!(
            "f{k} = {{ args = [\"v\"], value = \"f{}(v) + f{}(v + 1)\" }}\n",
            k - 1,
            k - 1
        );
    }
    let text = GOOD
        .replace(
            "sq = { args = [\"v\"], value = \"v * v\" }",
            &(fns + "sq = { args = [\"v\"], value = \"v * v\" }"),
        )
        .replace("\"-x + s^3\"", "\"-x + f39(x)\"");
    let t0 = std::time::Instant::now();
    let e = compile("m.toml", &text).unwrap_err().to_string();
    assert!(e.contains("expands to more than"), "{e}");
    assert!(t0.elapsed().as_secs() < 30);
}

#[test]
fn observables_are_expressions_of_the_state() {
    let text = GOOD.replace(
        "coupling = [\"x\"]",
        "coupling = [\"x\"]\nobserve = [\"x - y\", \"y\"]",
    ) + "\n[observables]\n\"x - y\" = \"x - y\"\nsx = \"a * sq(x)\"\n";
    let (p, _) = compile("m.toml", &text).unwrap();
    assert_eq!(p.observe, vec!["x - y".to_string(), "y".to_string()]);
    assert_eq!(p.observables.len(), 2);
    assert_eq!(p.observables[0].0, "x - y");
    // refused: reading a coupling term, a name taken, an unknown observe
    let cases: &[(&str, &str)] = &[
        (
            "\"x - y\" = \"x - y\"",
            "observable `x - y` reads a coupling term",
        ),
        ("sx = \"a * sq(x)\"", "has the name of a state variable"),
        (
            "observe = [\"x - y\", \"y\"]",
            "neither a state variable nor an observable",
        ),
    ];
    for (what, want) in cases {
        let bad = match *what {
            "\"x - y\" = \"x - y\"" => {
                text.replace("\"x - y\" = \"x - y\"", "\"x - y\" = \"x - c_x\"")
            }
            "sx = \"a * sq(x)\"" => text.replace("sx = \"a * sq(x)\"", "y = \"a * sq(x)\""),
            _ => text.replace("observe = [\"x - y\", \"y\"]", "observe = [\"x + y\"]"),
        };
        let e = compile("m.toml", &bad).unwrap_err().to_string();
        assert!(e.contains(want), "{what}: {e}");
    }
}

#[test]
fn stimulus_variables_default_to_the_coupled_ones() {
    // tvb-library's stvar defaults to cvar
    let (p, _) = compile("m.toml", GOOD).unwrap();
    assert_eq!(p.stimulus, vec![0]);
    let text = GOOD.replacen(
        "coupling = [\"x\"]",
        "coupling = [\"x\"]\nstimulus = [\"y\"]",
        1,
    );
    let (p, _) = compile("m.toml", &text).unwrap();
    assert_eq!(p.stimulus, vec![1]);
    let e = problems(
        "coupling = [\"x\"]",
        "coupling = [\"x\"]\nstimulus = [\"z\"]",
    );
    assert!(
        e.contains("`stimulus` names `z`, which is not a state variable"),
        "{e}"
    );
    let e = problems(
        "coupling = [\"x\"]",
        "coupling = [\"x\"]\nstimulus = [\"y\", \"y\"]",
    );
    assert!(e.contains("`y` is listed twice in `stimulus`"), "{e}");
}

/// Inputs the fuzzer found (fuzz/fuzz_targets/model_decl.rs,
/// coupling_decl.rs) on which toml_edit 0.23 panicked inside its parser
/// ("all items have spans", dotted keys after a broken table): each is
/// refused with a located TOML syntax error, never a panic.
#[test]
fn toml_the_parser_choked_on_is_a_syntax_error() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let model = std::fs::read(format!("{dir}/fuzz_toml_edit_span_model.toml")).unwrap();
    let e = brainstream_modeldecl::compile("m.toml", std::str::from_utf8(&model).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("m.toml:") && e.contains("TOML syntax"), "{e}");
    let coupling = std::fs::read(format!("{dir}/fuzz_toml_edit_span_coupling.toml")).unwrap();
    let e =
        brainstream_modeldecl::coupling::compile("c.toml", std::str::from_utf8(&coupling).unwrap())
            .unwrap_err()
            .to_string();
    assert!(e.contains("c.toml:") && e.contains("TOML syntax"), "{e}");
}
