//! Models with several modes per region (tvb-library's `number_of_modes`,
//! the reduced sets of Stefanescu and Jirsa): `modes = N` in a declaration.
//!
//! Every state variable then holds N values per region, one per mode, and
//! every coupled variable gives N coupling terms per region, one per mode,
//! each summed over the connectome on its own (tvb-library's coupling is
//! `(cvar, region, mode)`). `[let]`, `[derivatives]` and `[observables]`
//! are written once and computed for each mode `m = 0..N-1`; in them
//!
//! | written | reads |
//! |---|---|
//! | `xi`, `c_xi`, `L` | mode m of the state variable, coupling term, intermediate |
//! | `xi[k]`, `c_xi[k]`, `L[k]` | mode k (a whole number) |
//! | `P[mode]`, `P[k + mode]` | element m (k + m) of a vector parameter |
//! | `P[k]` | element k, whatever the mode |
//!
//! so tvb-library's `numpy.dot(xi, Aik)`, Σ_k xi_k·A_ki, is written with
//! its order of operations explicit: `(xi[0] * A[mode] + xi[1] * A[3 +
//! mode]) + xi[2] * A[6 + mode]`.
//!
//! The declaration is expanded here into one without modes, whose state
//! variables are `xi[0], xi[1], ..., eta[0], ...` (variable major), coupled
//! variables, lists (`observe`, `noise`, `stimulus`) and observables
//! likewise, and whose expressions read those names: the lowering, the
//! Rust and WGSL back ends and the evaluator then see an ordinary model,
//! and [`crate::lower::Program::modes`] says how to regroup its variables.

use std::collections::HashSet;

use crate::decl::{Binding, Decl, Named, StateDecl};
use crate::error::{Diag, Diags};
use crate::expr::Expr;

/// The name of mode `m` of `name`.
pub fn mode_name(name: &str, m: usize) -> String {
    format!("{name}[{m}]")
}

/// Expands a declaration with `modes > 1` (returned unchanged otherwise).
pub fn expand(d: Decl) -> Result<Decl, Diags> {
    if d.modes <= 1 {
        return Ok(d);
    }
    let n = d.modes;
    let mut diags = Diags::default();
    // names read per mode
    let mut per_mode: HashSet<String> = HashSet::new();
    per_mode.extend(d.states.iter().map(|s| s.name.clone()));
    per_mode.extend(d.lets.iter().map(|b| b.name.clone()));
    per_mode.extend(d.coupling.iter().map(|c| format!("c_{}", c.name)));
    let every = |names: &[Named]| -> Vec<Named> {
        names
            .iter()
            .flat_map(|x| {
                (0..n).map(move |m| Named {
                    name: mode_name(&x.name, m),
                    at: x.at,
                })
            })
            .collect()
    };
    let bindings = |list: &[Binding], diags: &mut Diags| -> Vec<Binding> {
        let mut out = vec![];
        for b in list {
            for m in 0..n {
                match rewrite(&b.expr, m, n, &per_mode, b) {
                    Ok(expr) => out.push(Binding {
                        name: mode_name(&b.name, m),
                        expr,
                        ..b.clone()
                    }),
                    Err(e) => {
                        // once per binding, not once per mode
                        diags.push(e);
                        break;
                    }
                }
            }
        }
        out
    };
    let lets = bindings(&d.lets, &mut diags);
    let derivatives = bindings(&d.derivatives, &mut diags);
    let observables = bindings(&d.observables, &mut diags);
    let states: Vec<StateDecl> = d
        .states
        .iter()
        .flat_map(|s| {
            (0..n).map(move |m| StateDecl {
                name: mode_name(&s.name, m),
                ..s.clone()
            })
        })
        .collect();
    // default variables of interest: the first variable, every mode
    let observe = match (d.observe.is_empty(), d.states.first()) {
        (true, Some(s)) => every(&[Named {
            name: s.name.clone(),
            at: s.at,
        }]),
        _ => every(&d.observe),
    };
    let out = Decl {
        states,
        coupling: every(&d.coupling),
        observe,
        noise: d.noise.as_deref().map(every),
        stimulus: d.stimulus.as_deref().map(every),
        lets,
        derivatives,
        observables,
        ..d
    };
    diags.into_result(out)
}

/// `e` as computed for mode `m` of `n`.
fn rewrite(
    e: &Expr,
    m: usize,
    n: usize,
    per_mode: &HashSet<String>,
    b: &Binding,
) -> Result<Expr, Diag> {
    let go = |x: &Expr| rewrite(x, m, n, per_mode, b).map(Box::new);
    Ok(match e {
        Expr::Num { .. } => e.clone(),
        Expr::Name { name, span } => {
            if per_mode.contains(name) {
                Expr::Name {
                    name: mode_name(name, m),
                    span: *span,
                }
            } else {
                e.clone()
            }
        }
        Expr::Index {
            name,
            index,
            mode,
            span,
        } => {
            let k = index + if *mode { m } else { 0 };
            if per_mode.contains(name) {
                if k >= n {
                    return Err(Diag::new(
                        b.offset(span.start),
                        format!(
                            "`{name}[{}]` reads mode {k} (in mode {m}); the model has {n} modes (0 to {})",
                            if *mode {
                                format!("{index} + mode")
                            } else {
                                index.to_string()
                            },
                            n - 1
                        ),
                    ));
                }
                Expr::Name {
                    name: mode_name(name, k),
                    span: *span,
                }
            } else {
                // a vector parameter (or an unknown name, which the
                // lowering reports): element k
                Expr::Index {
                    name: name.clone(),
                    index: k,
                    mode: false,
                    span: *span,
                }
            }
        }
        Expr::Call { name, args, span } => Expr::Call {
            name: name.clone(),
            args: args
                .iter()
                .map(|a| rewrite(a, m, n, per_mode, b))
                .collect::<Result<_, _>>()?,
            span: *span,
        },
        Expr::Neg { arg, span } => Expr::Neg {
            arg: go(arg)?,
            span: *span,
        },
        Expr::Not { arg, span } => Expr::Not {
            arg: go(arg)?,
            span: *span,
        },
        Expr::Bin { op, lhs, rhs, span } => Expr::Bin {
            op: *op,
            lhs: go(lhs)?,
            rhs: go(rhs)?,
            span: *span,
        },
        Expr::Pow { base, exp, span } => Expr::Pow {
            base: go(base)?,
            exp: go(exp)?,
            span: *span,
        },
        Expr::Cmp { op, lhs, rhs, span } => Expr::Cmp {
            op: *op,
            lhs: go(lhs)?,
            rhs: go(rhs)?,
            span: *span,
        },
        Expr::And { lhs, rhs, span } => Expr::And {
            lhs: go(lhs)?,
            rhs: go(rhs)?,
            span: *span,
        },
        Expr::Or { lhs, rhs, span } => Expr::Or {
            lhs: go(lhs)?,
            rhs: go(rhs)?,
            span: *span,
        },
    })
}

#[cfg(test)]
mod tests {
    use crate::lower::Node;

    const TWO: &str = r#"
name = "Two"
doc = "two modes"
modes = 2
coupling = ["x"]

[parameters]
a = { default = [0.5, 0.25], range = [-1.0, 1.0] }
A = { default = [1.0, 2.0, 3.0, 4.0], range = [-10.0, 10.0], doc = "A[k][i] at 2k + i" }

[state]
x = { range = [-1.0, 1.0] }

[let]
s = "c_x[0] + c_x[1]"

[derivatives]
x = "a[mode] * x + (x[0] * A[mode] + x[1] * A[2 + mode]) + s"
"#;

    #[test]
    fn each_mode_reads_its_own_and_the_named_ones() {
        let (p, _) = crate::compile("two.toml", TWO).unwrap();
        assert_eq!(p.modes, 2);
        let names: Vec<&str> = p.states.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["x[0]", "x[1]"]);
        assert_eq!(p.cvar, [0, 1]);
        assert_eq!(p.observe, ["x[0]", "x[1]"]);
        // evaluate mode 1 by hand: a[1]·x1 + (x0·A[1] + x1·A[3]) + (c0 + c1)
        let (x, c) = ([0.3, -0.7], [0.01, 0.02]);
        let tape = crate::eval::Tape::new(&p, &p.default_values(), &[]);
        let mut dx = [0.0; 2];
        tape.eval(&mut vec![], 0, 2, &x, &c, &mut dx);
        let want1 = 0.25 * x[1] + (x[0] * 2.0 + x[1] * 4.0) + (c[0] + c[1]);
        let want0 = 0.5 * x[0] + (x[0] * 1.0 + x[1] * 3.0) + (c[0] + c[1]);
        assert_eq!(dx, [want0, want1]);
        // the sum over modes of the coupling is computed once
        let adds = p
            .nodes
            .iter()
            .filter(|n| matches!(n, Node::Bin(_, a, b) if matches!(p.nodes[*a as usize], Node::Coupling(0)) && matches!(p.nodes[*b as usize], Node::Coupling(1))))
            .count();
        assert_eq!(adds, 1);
    }

    #[test]
    fn a_mode_past_the_last_and_mode_without_modes_are_refused() {
        let bad = TWO.replace("x[0] * A[mode]", "x[2] * A[mode]");
        let e = crate::compile("two.toml", &bad).unwrap_err().to_string();
        assert!(
            e.contains("`x[2]` reads mode 2") && e.contains("2 modes"),
            "{e}"
        );
        assert_eq!(
            e.matches("reads mode").count(),
            1,
            "once, not per mode: {e}"
        );
        let one = TWO.replace("modes = 2\n", "");
        let e = crate::compile("two.toml", &one).unwrap_err().to_string();
        assert!(e.contains("only in a model with modes"), "{e}");
        let past = TWO.replace("A[2 + mode]", "A[3 + mode]");
        let e = crate::compile("two.toml", &past).unwrap_err().to_string();
        assert!(e.contains("`A[4]`") && e.contains("4 elements"), "{e}");
        let e = crate::compile("two.toml", &TWO.replace("modes = 2", "modes = 0"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`modes` must be a whole number"), "{e}");
    }
}
