//! Rust source for built-in models, written by `models/build.rs` from the
//! declarations in `models/decl/`: per model a module with its parameter
//! table, its `ModelInfo` and a struct implementing `Dfun`, then `MODELS`
//! and the `with_model!` dispatch. The right-hand side is straight-line
//! code, one `let` per operation of the [`Program`] in order, so the
//! compiler inlines it into the engine's integrator loop exactly as the
//! hand-written models were; operations on parameters alone are computed
//! once, in `new`. A long right-hand side ([`LANES_MIN_OPS`]) is also
//! written across regions in SIMD lanes (`LaneDfun::dfun_v`, the same
//! statements on vectors), which its `dfun_rows` uses.

use std::fmt::Write;

use crate::expr::{BinOp, CmpOp};
use crate::fns::F1;
use crate::lower::{operands, Node, Program};

/// A model to generate: its program, the path of its declaration (for
/// `include_str!`) and the names to give it.
pub struct Target<'a> {
    pub program: &'a Program,
    /// Absolute path of the declaration file.
    pub source_path: &'a str,
}

/// `snake_case` module name of a model name.
pub fn module_name(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                None => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn lit(v: f64) -> String {
    if v == f64::INFINITY {
        "f64::INFINITY".into()
    } else if v == f64::NEG_INFINITY {
        "f64::NEG_INFINITY".into()
    } else if v.is_sign_negative() {
        format!("({v:?})")
    } else {
        format!("{v:?}")
    }
}

fn s(v: &str) -> String {
    format!("{v:?}")
}

/// Whether each operation gives a truth value.
fn truth(p: &Program) -> Vec<bool> {
    let mut t = vec![false; p.nodes.len()];
    for (i, n) in p.nodes.iter().enumerate() {
        t[i] = match *n {
            Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(..) => true,
            Node::Select(_, a, _) => t[a as usize],
            _ => false,
        };
    }
    t
}

/// The expression of operation `i` given how its operands are named.
fn op(n: &Node, name: &dyn Fn(u32) -> String) -> String {
    match *n {
        Node::Const(b) => lit(f64::from_bits(b)),
        Node::Param(k) => format!("v[{k}]"),
        Node::State(k) => format!("x[{k}]"),
        Node::Coupling(k) => format!("c[{k}]"),
        Node::Neg(a) => format!("-{}", name(a)),
        Node::Bin(o, a, b) => {
            let o = match o {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
            };
            format!("{} {o} {}", name(a), name(b))
        }
        Node::F1(f, a) => format!("fns::{}({})", f.rust(), name(a)),
        Node::F2(f, a, b) => format!("fns::{}({}, {})", f.rust(), name(a), name(b)),
        Node::Cmp(o, a, b) => {
            let o = match o {
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
                CmpOp::Eq => "==",
                CmpOp::Ne => "!=",
            };
            format!("{} {o} {}", name(a), name(b))
        }
        Node::And(a, b) => format!("{} && {}", name(a), name(b)),
        Node::Or(a, b) => format!("{} || {}", name(a), name(b)),
        Node::Not(a) => format!("!{}", name(a)),
        Node::Select(c, a, b) => format!("if {} {{ {} }} else {{ {} }}", name(c), name(a), name(b)),
    }
}

/// The module of one model.
fn model(out: &mut String, t: &Target) -> std::fmt::Result {
    let p = t.program;
    let m = module_name(&p.name);
    let live = p.live();
    let is_bool = truth(p);
    // uniform numeric operations the right-hand side reads: hoisted
    let mut hoist = vec![None; p.nodes.len()];
    let mut nh = 0usize;
    for (i, n) in p.nodes.iter().enumerate() {
        if !live[i] || p.uniform[i] {
            continue;
        }
        for a in operands(n) {
            let a = a as usize;
            if p.uniform[a]
                && !is_bool[a]
                && !matches!(p.nodes[a], Node::Const(_))
                && hoist[a].is_none()
            {
                hoist[a] = Some(nh);
                nh += 1;
            }
        }
    }
    for &d in &p.derivatives {
        let d = d as usize;
        if p.uniform[d] && !matches!(p.nodes[d], Node::Const(_)) && hoist[d].is_none() {
            hoist[d] = Some(nh);
            nh += 1;
        }
    }
    // uniform truth values the right-hand side reads are recomputed there
    // from their hoisted operands (and those operands must be hoisted)
    let mut in_rhs = vec![false; p.nodes.len()];
    for (i, n) in p.nodes.iter().enumerate() {
        if live[i] && !p.uniform[i] {
            in_rhs[i] = true;
            for a in operands(n) {
                if p.uniform[a as usize] && is_bool[a as usize] {
                    in_rhs[a as usize] = true;
                }
            }
        }
    }
    for i in (0..p.nodes.len()).rev() {
        if in_rhs[i] && p.uniform[i] {
            for a in operands(&p.nodes[i]) {
                let a = a as usize;
                if is_bool[a] {
                    in_rhs[a] = true;
                } else if !matches!(p.nodes[a], Node::Const(_)) && hoist[a].is_none() {
                    hoist[a] = Some(nh);
                    nh += 1;
                }
            }
        }
    }

    writeln!(
        out,
        "/// {} (generated from `{}`).",
        p.name,
        t.source_path.rsplit('/').next().unwrap_or("")
    )?;
    writeln!(out, "pub mod {m} {{")?;
    writeln!(
        out,
        "    #![allow(clippy::all, unused_parens, unused_variables, non_camel_case_types)]"
    )?;
    let calls = p
        .nodes
        .iter()
        .enumerate()
        .any(|(i, n)| live[i] && matches!(n, Node::F1(..) | Node::F2(..)));
    if calls {
        writeln!(out, "    use brainstream_modeldecl::fns;")?;
    }
    writeln!(out, "    use crate::models::{{Dfun, ModelInfo}};")?;
    writeln!(out, "    use crate::params::{{ParamDef, ParamSet}};")?;
    writeln!(out)?;
    writeln!(out, "    /// Parameters, as declared.")?;
    writeln!(out, "    pub const PARAMS: &[ParamDef] = &[")?;
    for q in &p.params {
        writeln!(
            out,
            "        ParamDef {{ name: {}, default: {}, lo: {}, hi: {}, unit: {}, doc: {}, len: {}, defaults: &[{}], min: {}, max: {} }},",
            s(&q.name),
            lit(q.default[0]),
            lit(q.lo),
            lit(q.hi),
            s(&q.unit),
            s(&q.doc),
            q.len,
            if q.vector { q.default.iter().map(|v| lit(*v)).collect::<Vec<_>>().join(", ") } else { String::new() },
            lit(q.limits.0),
            lit(q.limits.1)
        )?;
    }
    writeln!(out, "    ];")?;
    writeln!(out)?;
    let names: Vec<String> = p.states.iter().map(|v| s(&v.name)).collect();
    let pair = |(a, b): (f64, f64)| format!("({}, {})", lit(a), lit(b));
    writeln!(out, "    /// Static description.")?;
    writeln!(out, "    pub static INFO: ModelInfo = ModelInfo {{")?;
    writeln!(out, "        name: {},", s(&p.name))?;
    let doc = if p.reference.is_empty() {
        p.doc.clone()
    } else {
        format!("{} ({})", p.doc, p.reference)
    };
    writeln!(out, "        doc: {},", s(&doc))?;
    writeln!(out, "        params: PARAMS,")?;
    writeln!(out, "        modes: {},", p.modes)?;
    writeln!(out, "        state_variables: &[{}],", names.join(", "))?;
    writeln!(
        out,
        "        units: &[{}],",
        p.states
            .iter()
            .map(|v| s(&v.unit))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(out, "        cvar: &{:?},", p.cvar)?;
    writeln!(
        out,
        "        range: &[{}],",
        p.states
            .iter()
            .map(|v| pair(v.range))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        out,
        "        bounds: &[{}],",
        p.states
            .iter()
            .map(|v| pair(v.bounds))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        out,
        "        voi: &[{}],",
        p.observe
            .iter()
            .map(|n| s(n))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        out,
        "        observables: &[{}],",
        p.observables
            .iter()
            .map(|(n, _)| s(n))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    match &p.noise {
        Some(n) => writeln!(out, "        noise: Some(&{n:?}),")?,
        None => writeln!(out, "        noise: None,")?,
    }
    writeln!(out, "        stimulus: &{:?},", p.stimulus)?;
    writeln!(out, "        source: include_str!({}),", s(t.source_path))?;
    writeln!(out, "        user: None,")?;
    writeln!(out, "    }};")?;
    writeln!(out)?;
    writeln!(
        out,
        "    /// Parameter values and what is computed from them alone."
    )?;
    writeln!(out, "    #[derive(Debug, Clone)]")?;
    writeln!(out, "    pub struct {} {{", p.name)?;
    writeln!(out, "        u: [f64; {nh}],")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;
    writeln!(out, "    impl {} {{", p.name)?;
    writeln!(
        out,
        "        /// From a validated parameter set of [`PARAMS`]."
    )?;
    writeln!(out, "        pub fn new(p: &ParamSet) -> Self {{")?;
    writeln!(out, "            let v = p.values();")?;
    // every uniform operation a hoisted one needs, in order
    let mut need = vec![false; p.nodes.len()];
    for i in (0..p.nodes.len()).rev() {
        if hoist[i].is_some() || need[i] {
            need[i] = true;
            for a in operands(&p.nodes[i]) {
                need[a as usize] = true;
            }
        }
    }
    let uname = |a: u32| -> String {
        match p.nodes[a as usize] {
            Node::Const(b) => lit(f64::from_bits(b)),
            _ => format!("t{a}"),
        }
    };
    for (i, n) in p.nodes.iter().enumerate() {
        if need[i] && !matches!(n, Node::Const(_)) {
            writeln!(out, "            let t{i} = {};", op(n, &uname))?;
        }
    }
    let mut u: Vec<(usize, usize)> = hoist
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.map(|h| (h, i)))
        .collect();
    u.sort();
    writeln!(
        out,
        "            Self {{ u: [{}] }}",
        u.iter()
            .map(|(_, i)| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(out, "        }}")?;
    writeln!(out, "    }}")?;
    writeln!(out)?;
    writeln!(out, "    impl Dfun for {} {{", p.name)?;
    writeln!(out, "        #[inline(always)]")?;
    writeln!(
        out,
        "        fn dfun(&self, x: &[f64], c: &[f64], dx: &mut [f64]) {{"
    )?;
    let rname = |a: u32| -> String {
        let a = a as usize;
        match p.nodes[a] {
            Node::Const(b) => lit(f64::from_bits(b)),
            _ => match hoist[a] {
                Some(h) if !in_rhs[a] => format!("self.u[{h}]"),
                _ => format!("t{a}"),
            },
        }
    };
    for (i, n) in p.nodes.iter().enumerate() {
        if in_rhs[i] {
            writeln!(out, "            let t{i} = {};", op(n, &rname))?;
        }
    }
    for (k, &d) in p.derivatives.iter().enumerate() {
        writeln!(out, "            dx[{k}] = {};", rname(d))?;
    }
    writeln!(out, "        }}")?;
    let lanes = in_rhs
        .iter()
        .zip(&p.uniform)
        .filter(|&(&r, &u)| r && !u)
        .count()
        >= LANES_MIN_OPS;
    if lanes {
        writeln!(out)?;
        writeln!(out, "        #[inline(always)]")?;
        writeln!(
            out,
            "        fn dfun_rows(&self, _first: usize, nv: usize, nt: usize, x: &[f64], c: &[f64], dx: &mut [f64]) {{"
        )?;
        writeln!(
            out,
            "            crate::lanes::rows(self, nv, nt, x, c, dx)"
        )?;
        writeln!(out, "        }}")?;
    }
    writeln!(out, "    }}")?;
    if lanes {
        lane_impl(out, p, &in_rhs, &is_bool, &rname)?;
    }
    writeln!(out, "}}")?;
    writeln!(out)?;
    Ok(())
}

/// Right-hand sides of at least this many operations per region (on the
/// state, not the parameters alone) are also generated across regions in
/// SIMD lanes (`crate::lanes` of brainstream-models): the two Zerlaut
/// models, ReducedSetHindmarshRose. There the transposition into lanes
/// costs little against what the lanes save; shorter ones stay row by row
/// (and cost no compile time).
pub const LANES_MIN_OPS: usize = 200;

/// `impl LaneDfun`: the right-hand side of `V::L` regions at once, one
/// statement per operation as in `dfun`, each on a vector `V: Simd` (a
/// region a lane; truth values `V::M`): every lane gives `dfun`'s bits
/// (the vector operations are the lanes' IEEE ones, `erfc` is `libm`'s in
/// lanes, other functions go lane by lane). Uniform operands enter as
/// `V::splat` of their scalar; uniform truth values stay scalars.
fn lane_impl(
    out: &mut String,
    p: &Program,
    in_rhs: &[bool],
    is_bool: &[bool],
    rname: &dyn Fn(u32) -> String,
) -> std::fmt::Result {
    // an operand as a vector
    let lane = |a: u32| -> String {
        let i = a as usize;
        if in_rhs[i] && !p.uniform[i] {
            format!("t{a}")
        } else if is_bool[i] {
            format!("V::msplat({})", rname(a))
        } else {
            format!("V::splat({})", rname(a))
        }
    };
    writeln!(out)?;
    writeln!(out, "    impl crate::lanes::LaneDfun for {} {{", p.name)?;
    writeln!(out, "        #[inline(always)]")?;
    writeln!(
        out,
        "        fn dfun_v<V: crate::lanes::Simd>(&self, x: &[V], c: &[V], dx: &mut [V]) {{"
    )?;
    for (i, n) in p.nodes.iter().enumerate() {
        if !in_rhs[i] {
            continue;
        }
        if p.uniform[i] {
            // a uniform truth value: a scalar, as in `dfun`
            writeln!(out, "            let t{i} = {};", op(n, rname))?;
            continue;
        }
        let e = match *n {
            Node::State(k) => format!("x[{k}]"),
            Node::Coupling(k) => format!("c[{k}]"),
            Node::Neg(a) => format!("-{}", lane(a)),
            Node::Bin(o, a, b) => {
                let o = match o {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                };
                format!("{} {o} {}", lane(a), lane(b))
            }
            Node::F1(F1::Sqrt, a) => format!("{}.sqrt()", lane(a)),
            Node::F1(F1::Abs, a) => format!("{}.abs()", lane(a)),
            Node::F1(F1::Erfc, a) => format!("{}.erfc()", lane(a)),
            Node::F1(f, a) => format!("{}.map(fns::{})", lane(a), f.rust()),
            Node::F2(f, a, b) => format!("{}.map2({}, fns::{})", lane(a), lane(b), f.rust()),
            Node::Cmp(o, a, b) => {
                let o = match o {
                    CmpOp::Lt => "lt",
                    CmpOp::Le => "le",
                    CmpOp::Gt => "gt",
                    CmpOp::Ge => "ge",
                    CmpOp::Eq => "eq",
                    CmpOp::Ne => "ne",
                };
                format!("{}.{o}({})", lane(a), lane(b))
            }
            Node::And(a, b) => format!("V::and({}, {})", lane(a), lane(b)),
            Node::Or(a, b) => format!("V::or({}, {})", lane(a), lane(b)),
            Node::Not(a) => format!("V::not({})", lane(a)),
            Node::Select(cnd, a, b) if p.uniform[cnd as usize] => {
                format!("if {} {{ {} }} else {{ {} }}", rname(cnd), lane(a), lane(b))
            }
            Node::Select(cnd, a, b) if is_bool[i] => {
                format!("V::mselect({}, {}, {})", lane(cnd), lane(a), lane(b))
            }
            Node::Select(cnd, a, b) => {
                format!("V::select({}, {}, {})", lane(cnd), lane(a), lane(b))
            }
            // parameters and constants are uniform
            Node::Const(_) | Node::Param(_) => op(n, rname),
        };
        writeln!(out, "            let t{i} = {e};")?;
    }
    for (k, &d) in p.derivatives.iter().enumerate() {
        writeln!(out, "            dx[{k}] = {};", lane(d))?;
    }
    writeln!(out, "        }}")?;
    writeln!(out, "    }}")?;
    Ok(())
}

/// The whole generated file: every model's module, `MODELS` and
/// `with_model!`.
pub fn generate(targets: &[Target]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Generated by models/build.rs from models/decl/*.toml: do not edit."
    );
    let _ = writeln!(out);
    for t in targets {
        let _ = model(&mut out, t);
    }
    let _ = writeln!(out, "/// Every built-in model, for lookup and listing.");
    let _ = writeln!(out, "pub const MODELS: &[&ModelInfo] = &[");
    for t in targets {
        let _ = writeln!(out, "    &{}::INFO,", module_name(&t.program.name));
    }
    let _ = writeln!(out, "];");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "/// Calls `v.visit(m)` with `m` the model named by `info`, built from"
    );
    let _ = writeln!(
        out,
        "/// `params`: a built-in model's generated struct (so the engine is"
    );
    let _ = writeln!(
        out,
        "/// monomorphised per model), or a user's model evaluated in blocks."
    );
    let _ = writeln!(out, "pub fn with_model<V: ModelVisitor>(info: &ModelInfo, params: &crate::params::ParamSet, v: V) -> V::Out {{");
    let _ = writeln!(out, "    if let Some(program) = info.user {{");
    let _ = writeln!(
        out,
        "        return v.visit(crate::user_model::UserModel::new(program, params));"
    );
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "    match info.name {{");
    for t in targets {
        let n = &t.program.name;
        let _ = writeln!(
            out,
            "        {n:?} => build(params, {}::{n}::new, v),",
            module_name(n)
        );
    }
    let _ = writeln!(
        out,
        "        other => unreachable!(\"built-in model {{other}} has no generated code\"),"
    );
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "}}");
    out
}

/// The table of the built-in couplings (`crate::coupling::COUPLINGS` of
/// brainstream-models) from their declarations, in the order given; each
/// `(program, path of its file)`. Every name must be a variant of
/// `CouplingKind` (its evaluation is written by hand, bit for bit
/// tvb-library's): a declaration without one does not compile.
pub fn couplings(targets: &[(&crate::coupling::CouplingProgram, &str)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// @generated by models/build.rs from models/decl/couplings/*.toml"
    );
    let _ = writeln!(
        out,
        "/// Every built-in coupling function, from its declaration."
    );
    let _ = writeln!(out, "pub const COUPLINGS: &[CouplingInfo] = &[");
    for (p, path) in targets {
        let _ = writeln!(out, "    CouplingInfo {{");
        let _ = writeln!(out, "        kind: CouplingKind::{},", p.name);
        let _ = writeln!(out, "        name: {},", s(&p.name));
        let _ = writeln!(out, "        doc: {},", s(&p.doc));
        let _ = writeln!(out, "        params: &[");
        for q in &p.params {
            let _ = writeln!(
                out,
                "            ParamDef {{ name: {}, default: {}, lo: {}, hi: {}, unit: {}, doc: {}, len: {}, defaults: &[], min: {}, max: {} }},",
                s(&q.name),
                lit(q.default[0]),
                lit(q.lo),
                lit(q.hi),
                s(&q.unit),
                s(&q.doc),
                q.len,
                lit(q.limits.0),
                lit(q.limits.1)
            );
        }
        let _ = writeln!(out, "        ],");
        let _ = writeln!(out, "        user: None,");
        let _ = writeln!(out, "        source: include_str!({}),", s(path));
        let _ = writeln!(out, "    }},");
    }
    let _ = writeln!(out, "];");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_are_the_existing_ones() {
        for (n, m) in [
            ("Generic2dOscillator", "generic2d_oscillator"),
            ("ReducedWongWangExcInh", "reduced_wong_wang_exc_inh"),
            (
                "ZerlautAdaptationSecondOrder",
                "zerlaut_adaptation_second_order",
            ),
            ("JansenRit", "jansen_rit"),
            ("SupHopf", "sup_hopf"),
            ("GastSchmidtKnosche_SD", "gast_schmidt_knosche_sd"),
        ] {
            assert_eq!(module_name(n), m);
        }
    }
}
