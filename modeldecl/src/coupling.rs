//! Coupling functions as data: one declaration per coupling (TOML, see
//! `docs/models.md`, "Coupling functions"), read, checked and lowered
//! with the models' machinery ([`crate::expr`], [`crate::lower`]), and
//! evaluated at run time by [`CouplingEval`].
//!
//! ```toml
//! name = "Linear"
//! doc = "c = a·Σ_j w_ij·x_j(t − d_ij) + b"
//! reference = "tvb-library 2.10, tvb.simulator.coupling.Linear"  # optional
//! pre = "x_j"              # per connection: x_i (target, now), x_j (source, delayed)
//! post = "a * gx + b"      # per region: gx, the weighted sum of pre
//! sum = "sparse"           # sparse | dense | presigmoidal
//! precision = "numpy"      # numpy | float64
//!
//! [parameters]             # as a model's: default, range, unit, doc
//! a = { default = 0.00390625, range = [-100.0, 100.0], unit = "1", doc = "..." }
//! ```
//!
//! `pre` and `post` are expressions of the models' language. `pre` reads
//! `x_i`, `x_j` (the coupled variable the term is for) — or `x_i[k]`,
//! `x_j[k]` (coupled variable `k`: then the coupled variables are combined
//! into one term, as SigmoidalJansenRit does) — the parameters and
//! `n_cvar` (the number of coupled variables); `post` reads `gx`, the
//! parameters and `n_cvar`. The summation and the precision are named rules,
//! not expressions: they are what tvb-library's arrays do, see [`Sum`] and
//! [`Precision`].
//!
//! The declaration is lowered as a model whose "state variables" are these
//! inputs and whose two "derivatives" are `pre` and `post`, so every check
//! and message of the models applies (unknown names with hints, functions
//! and their arity, truth values where numbers are needed...), located in
//! the coupling's file.

use crate::decl::{is_ident, suggest, Binding, Decl, ParamDecl, StateDecl};
use crate::error::{DeclError, Diag, Diags};
use crate::expr::{self, BinOp, CmpOp, Expr, Span};
use crate::fns::{F1, F2};
use crate::lower::{self, operands, Id, Node, Param, Program};

/// How `w_ij·pre` is summed over the sources of a region (tvb-library's
/// two coupling base classes and PreSigmoidal's own `__call__`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sum {
    /// tvb-library's `SparseCoupling`: over the non-zero weights of the
    /// row, in ascending source order, as numpy's `add.reduceat` (the first
    /// product plus the pairwise sum of the others), in the products'
    /// precision; the sums are then stored in float32 (`zeros_like(x_i)`),
    /// 0 for a row without weights.
    Sparse,
    /// tvb-library's `Coupling.__call__`: over all N sources, `x_j = 0`
    /// where `w_ij = 0` (`pre` is evaluated there too), as numpy's `sum`
    /// (0 plus the pairwise sum of all N products), in the products'
    /// precision.
    Dense,
    /// tvb-library 2.10's `PreSigmoidal.__call__`: `pre` reads `x_j` and
    /// `theta_j`; the parameter `dynamic` chooses the form. Static (0):
    /// `c_v[j] = Σ_i w_ji·pre(X(i, v, j), theta)`, dynamic (1, two coupled
    /// variables, two terms): `c_0[j] = Σ_i w_ij·pre(X(i, 0, j), X(i, 1, j))`
    /// and `c_1[j] = pre(X(j, 0, j), X(j, 1, j))`, where `X(i, v, j)` is
    /// region j's variable v delayed by `d_ij`, 0 where `w_ij = 0`; float64
    /// sums from 0 in ascending i. `post` must be `gx`.
    PreSigmoidal,
}

impl Sum {
    const NAMES: &'static [&'static str] = &["sparse", "dense", "presigmoidal"];
    fn by_name(s: &str) -> Option<Self> {
        match s {
            "sparse" => Some(Self::Sparse),
            "dense" => Some(Self::Dense),
            "presigmoidal" => Some(Self::PreSigmoidal),
            _ => None,
        }
    }
    /// The name written in a declaration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sparse => "sparse",
            Self::Dense => "dense",
            Self::PreSigmoidal => "presigmoidal",
        }
    }
}

/// In which floating-point type each operation happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// As numpy computes tvb-library's arrays: the history values (`x_i`,
    /// `x_j`) and the weights are float32, the parameters float64 (shape-(1,)
    /// arrays), number literals and `n_cvar` take the other operand's type;
    /// an operation on float32 operands only is float32 (computed in float64
    /// and rounded, which for + − × ÷ is the float32 operation), any float64
    /// operand makes it float64. `w_ij·pre` follows the same rule.
    Numpy,
    /// Everything after the float32 history and weights in float64, and the
    /// sparse sums not rounded to float32.
    Float64,
}

impl Precision {
    const NAMES: &'static [&'static str] = &["numpy", "float64"];
    fn by_name(s: &str) -> Option<Self> {
        match s {
            "numpy" => Some(Self::Numpy),
            "float64" => Some(Self::Float64),
            _ => None,
        }
    }
    /// The name written in a declaration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Numpy => "numpy",
            Self::Float64 => "float64",
        }
    }
}

/// The floating-point type of a value (numpy's promotion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    /// A Python number (a literal): takes the other operand's type.
    Weak,
    F32,
    F64,
}

/// A checked coupling declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct CouplingProgram {
    pub name: String,
    pub doc: String,
    pub reference: String,
    pub params: Vec<Param>,
    pub n_values: usize,
    pub sum: Sum,
    pub precision: Precision,
    /// 0: `pre` applies to each coupled variable (one term each); k > 0:
    /// `pre` reads coupled variables 0..k (`x_j[0]`...) and gives one term.
    pub combine: usize,
    /// The `pre` and `post` expressions as written (for `show`).
    pub pre_text: String,
    pub post_text: String,
    /// The lowered program: inputs as state variables ([`Self::inputs`]),
    /// `derivatives[0]` = pre, `derivatives[1]` = post.
    pub program: Program,
    /// Names of the inputs, in slot order: `x_i`, `x_j` (or `x_i[0]`,...,
    /// `x_j[0]`,...; `x_j`, `theta_j` for the presigmoidal sum), then `gx`,
    /// `n_cvar`.
    pub inputs: Vec<String>,
    /// The type of every operation.
    pub ty: Vec<Ty>,
    /// The type of `pre`'s value and of the products `w_ij·pre`.
    pub product_ty: Ty,
    /// The type of `gx`.
    pub gx_ty: Ty,
}

impl CouplingProgram {
    /// `pre`'s operation.
    pub fn pre(&self) -> Id {
        self.program.derivatives[0]
    }
    /// `post`'s operation.
    pub fn post(&self) -> Id {
        self.program.derivatives[1]
    }
    /// Slot of input `name`.
    pub fn input(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|n| n == name)
    }
    /// Whether `pre` reads the target's own value `x_i` (or `x_i[k]`).
    pub fn reads_x_i(&self) -> bool {
        let live = self.program.live_for(&[self.pre()]);
        self.program.nodes.iter().enumerate().any(|(i, n)| {
            live[i] && matches!(n, Node::State(k) if self.inputs[*k as usize].starts_with("x_i"))
        })
    }
    /// Default parameter values, flat.
    pub fn default_values(&self) -> Vec<f64> {
        self.program.default_values()
    }
    /// Terms handed to a model with `ncvar` coupled variables, for the
    /// parameter values `values`.
    pub fn n_terms(&self, ncvar: usize, values: &[f64]) -> usize {
        if self.combine > 0 {
            1
        } else if self.sum == Sum::PreSigmoidal && self.dynamic(values) {
            2
        } else {
            ncvar
        }
    }
    /// Coupled variables `pre` reads at least.
    pub fn min_cvar(&self, values: &[f64]) -> usize {
        if self.combine > 0 {
            self.combine
        } else if self.sum == Sum::PreSigmoidal && self.dynamic(values) {
            2
        } else {
            1
        }
    }
    /// The presigmoidal rule's `dynamic` switch.
    pub fn dynamic(&self, values: &[f64]) -> bool {
        self.params
            .iter()
            .find(|p| p.name == "dynamic")
            .is_some_and(|p| values[p.offset] != 0.0)
    }
}

/// Top-level keys of a coupling declaration.
const KEYS: &[&str] = &[
    "name",
    "doc",
    "reference",
    "pre",
    "post",
    "sum",
    "precision",
    "parameters",
];

/// Reads and checks a coupling declaration; `path` names the file in
/// messages. Returns the program and its warnings, or every problem found.
pub fn compile(path: &str, text: &str) -> Result<(CouplingProgram, Option<DeclError>), DeclError> {
    let (p, warnings) = check(text).map_err(|d| DeclError::new(path, text, d))?;
    let warnings = (!warnings.is_empty()).then(|| DeclError::new(path, text, warnings));
    Ok((p, warnings))
}

fn key_at(t: &dyn toml_edit::TableLike, k: &str) -> usize {
    t.key(k)
        .and_then(|k| k.span())
        .map(|s| s.start)
        .unwrap_or(0)
}

fn item_at(t: &dyn toml_edit::TableLike, k: &str) -> usize {
    t.get(k)
        .and_then(|i| i.span())
        .map(|s| s.start)
        .unwrap_or_else(|| key_at(t, k))
}

fn num(v: &toml_edit::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// Where the decoded string `src` starts in `text`, and whether its
/// characters map one to one onto the raw text (no escapes).
fn string_base(text: &str, span: std::ops::Range<usize>, src: &str) -> (usize, bool) {
    let raw = text.get(span.clone()).unwrap_or("");
    for q in ["\"", "'"] {
        if raw.len() >= 2 && raw.starts_with(q) && raw.ends_with(q) && !raw.starts_with("\"\"\"") {
            let inner = &raw[1..raw.len() - 1];
            return if inner == src {
                (span.start + 1, true)
            } else {
                (span.start, false)
            };
        }
    }
    (span.start, false)
}

/// A string value at `root[k]`.
fn string(root: &toml_edit::Table, k: &str, required: bool, diags: &mut Diags) -> Option<String> {
    match root.get(k) {
        None => {
            if required {
                diags.push(
                    Diag::new(0, format!("missing `{k}`"))
                        .hint(format!("{k} = \"...\", before the [parameters] table")),
                );
            }
            None
        }
        Some(i) => match i.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                diags.push(Diag::new(
                    item_at(root, k),
                    format!("`{k}` must be a string"),
                ));
                None
            }
        },
    }
}

fn params(root: &toml_edit::Table, diags: &mut Diags) -> Vec<ParamDecl> {
    let Some(item) = root.get("parameters") else {
        return vec![];
    };
    let Some(t) = item.as_table_like() else {
        diags.push(Diag::new(
            item_at(root, "parameters"),
            "`parameters` must be a table",
        ));
        return vec![];
    };
    let mut out = vec![];
    for (name, item) in t.iter() {
        let at = key_at(t, name);
        if !is_ident(name) {
            diags.push(Diag::new(
                at,
                format!("parameter `{name}` is not a name (letters, digits and _, not starting with a digit)"),
            ));
            continue;
        }
        let owner = format!("parameter `{name}`");
        let Some(p) = item.as_table_like() else {
            diags.push(
                Diag::new(at, format!("{owner} must be a table")).hint(
                    "e.g. { default = 1.0, range = [0.0, 2.0], unit = \"1\", doc = \"...\" }",
                ),
            );
            continue;
        };
        const PKEYS: &[&str] = &["default", "range", "unit", "doc"];
        for (k, _) in p.iter() {
            if !PKEYS.contains(&k) {
                diags.push(
                    Diag::new(key_at(p, k), format!("{owner}: unknown key `{k}`")).hint(
                        suggest(k, PKEYS).unwrap_or_else(|| format!("keys: {}", PKEYS.join(", "))),
                    ),
                );
            }
        }
        let dat = item_at(p, "default");
        let Some(default) = p.get("default").and_then(|i| i.as_value()).and_then(num) else {
            diags.push(Diag::new(
                if p.get("default").is_some() { dat } else { at },
                format!("{owner}: `default` must be a number"),
            ));
            continue;
        };
        let range = p
            .get("range")
            .and_then(|i| i.as_array())
            .and_then(|a| a.iter().map(num).collect::<Option<Vec<f64>>>());
        let (lo, hi) = match range.as_deref() {
            Some([lo, hi]) if !lo.is_nan() && !hi.is_nan() && lo <= hi => (*lo, *hi),
            _ => {
                diags.push(Diag::new(
                    if p.get("range").is_some() {
                        item_at(p, "range")
                    } else {
                        at
                    },
                    format!(
                        "{owner}: `range` must be [lo, hi], two numbers with lo ≤ hi (inf allowed)"
                    ),
                ));
                continue;
            }
        };
        if !default.is_finite() || default < lo || default > hi {
            diags.push(Diag::new(
                dat,
                format!("{owner}: default {default} is outside its range [{lo}, {hi}]"),
            ));
        }
        let text_of = |k: &str, diags: &mut Diags| match p.get(k) {
            None => None,
            Some(i) => match i.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    diags.push(Diag::new(
                        item_at(p, k),
                        format!("{owner}: `{k}` must be a string"),
                    ));
                    None
                }
            },
        };
        out.push(ParamDecl {
            name: name.to_string(),
            at,
            default: vec![default],
            vector: false,
            lo,
            hi,
            // a coupling's range is what a graph may set
            limits: (lo, hi),
            unit: text_of("unit", diags).unwrap_or_else(|| "1".into()),
            doc: text_of("doc", diags).unwrap_or_default(),
        });
    }
    out
}

/// Rewrites `x_j[k]`, `x_i[k]` into the input names `x_j[k]`, `x_i[k]`;
/// returns the largest index + 1 and whether plain `x_i`/`x_j` is read.
fn inputs_of(e: &mut Expr, most: &mut usize, plain: &mut Vec<Span>, indexed: &mut Vec<Span>) {
    match e {
        Expr::Num { .. } => {}
        Expr::Name { name, span } => {
            if name == "x_i" || name == "x_j" {
                plain.push(*span);
            }
        }
        Expr::Index {
            name, index, span, ..
        } => {
            if name == "x_i" || name == "x_j" {
                *most = (*most).max(*index + 1);
                indexed.push(*span);
                *e = Expr::Name {
                    name: format!("{name}[{index}]"),
                    span: *span,
                };
            }
        }
        Expr::Call { args, .. } => args
            .iter_mut()
            .for_each(|a| inputs_of(a, most, plain, indexed)),
        Expr::Neg { arg, .. } | Expr::Not { arg, .. } => inputs_of(arg, most, plain, indexed),
        Expr::Bin { lhs, rhs, .. }
        | Expr::Cmp { lhs, rhs, .. }
        | Expr::And { lhs, rhs, .. }
        | Expr::Or { lhs, rhs, .. } => {
            inputs_of(lhs, most, plain, indexed);
            inputs_of(rhs, most, plain, indexed);
        }
        Expr::Pow { base, exp, .. } => {
            inputs_of(base, most, plain, indexed);
            inputs_of(exp, most, plain, indexed);
        }
    }
}

/// Most coupled variables a `pre` may combine.
const MAX_COMBINE: usize = 16;

fn check(text: &str) -> Result<(CouplingProgram, Diags), Diags> {
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let at = e.span().map(|s| s.start).unwrap_or(0);
        Diags::one(Diag::new(
            at,
            format!("TOML syntax: {}", e.message().trim_end()),
        ))
    })?;
    let root = doc.as_table();
    let mut diags = Diags::default();
    for (k, _) in root.iter() {
        if !KEYS.contains(&k) {
            diags.push(
                Diag::new(key_at(root, k), format!("unknown key `{k}`"))
                    .hint(suggest(k, KEYS).unwrap_or_else(|| format!("keys: {}", KEYS.join(", ")))),
            );
        }
    }
    let name = string(root, "name", true, &mut diags).unwrap_or_default();
    if !name.is_empty() && !is_ident(&name) {
        diags.push(Diag::new(
            key_at(root, "name"),
            format!("`{name}` is not a name (letters, digits and _, not starting with a digit)"),
        ));
    }
    let docstr = string(root, "doc", true, &mut diags).unwrap_or_default();
    let reference = string(root, "reference", false, &mut diags).unwrap_or_default();
    let choice =
        |k: &str, names: &[&str], default: &str, diags: &mut Diags| -> String {
            match string(root, k, false, diags) {
                None => default.to_string(),
                Some(v) if names.contains(&v.as_str()) => v,
                Some(v) => {
                    diags.push(
                        Diag::new(
                            item_at(root, k),
                            format!("`{k}` is one of {}, not `{v}`", names.join(", ")),
                        )
                        .hint(suggest(&v, names).unwrap_or_else(|| {
                            "see docs/models.md, \"Coupling declarations\"".into()
                        })),
                    );
                    default.to_string()
                }
            }
        };
    let sum = Sum::by_name(&choice("sum", Sum::NAMES, "sparse", &mut diags)).unwrap_or(Sum::Sparse);
    let precision = Precision::by_name(&choice("precision", Precision::NAMES, "numpy", &mut diags))
        .unwrap_or(Precision::Numpy);
    let params = params(root, &mut diags);
    // the two expressions
    let binding = |k: &str, diags: &mut Diags| -> Option<(Binding, String)> {
        let Some(item) = root.get(k) else {
            diags.push(Diag::new(0, format!("missing `{k}`")).hint(match k {
                "pre" => "pre = \"x_j\": the value each connection carries (x_i: the target's own, x_j: the source's delayed)",
                _ => "post = \"gx\": the term from the weighted sum gx",
            }));
            return None;
        };
        let kat = key_at(root, k);
        let Some(v) = item.as_value().filter(|v| v.as_str().is_some()) else {
            diags.push(
                Diag::new(kat, format!("`{k}` must be an expression string"))
                    .hint("an expression in quotes, e.g. \"a * gx + b\""),
            );
            return None;
        };
        let src = v.as_str().unwrap_or_default();
        let span = v.span().unwrap_or(kat..kat);
        let (base, exact) = string_base(text, span, src);
        match expr::parse(src) {
            Ok(expr) => Some((
                Binding {
                    name: k.to_string(),
                    at: kat,
                    expr,
                    base,
                    exact,
                },
                src.to_string(),
            )),
            Err(e) => {
                diags.push(Diag::new(
                    if exact { base + e.at } else { base },
                    format!("{k}: {}", e.message),
                ));
                None
            }
        }
    };
    let pre = binding("pre", &mut diags);
    let post = binding("post", &mut diags);
    let (Some((mut pre, pre_text)), Some((post, post_text))) = (pre, post) else {
        return Err(diags);
    };
    // which inputs pre reads
    let (mut most, mut plain, mut indexed) = (0, vec![], vec![]);
    inputs_of(&mut pre.expr, &mut most, &mut plain, &mut indexed);
    let combine = if indexed.is_empty() { 0 } else { most };
    if !indexed.is_empty() && !plain.is_empty() {
        diags.push(
            Diag::new(
                pre.offset(plain[0].start),
                "pre reads `x_j` (the coupled variable of each term) and `x_j[k]` (coupled variables combined into one term) together",
            )
            .hint("index every x_i and x_j, or none"),
        );
    }
    if combine > MAX_COMBINE {
        diags.push(Diag::new(
            pre.offset(indexed[0].start),
            format!("pre combines {combine} coupled variables; at most {MAX_COMBINE}"),
        ));
    }
    if sum == Sum::PreSigmoidal && combine > 0 {
        diags.push(Diag::new(
            pre.offset(indexed[0].start),
            "the presigmoidal sum gives `pre` x_j and theta_j, not indexed values",
        ));
    }
    let mut inputs: Vec<String> = if sum == Sum::PreSigmoidal {
        vec!["x_j".into(), "theta_j".into()]
    } else if combine > 0 {
        (0..combine)
            .map(|k| format!("x_i[{k}]"))
            .chain((0..combine).map(|k| format!("x_j[{k}]")))
            .collect()
    } else {
        vec!["x_i".into(), "x_j".into()]
    };
    inputs.push("gx".into());
    inputs.push("n_cvar".into());
    for p in &params {
        if inputs.contains(&p.name) {
            diags.push(Diag::new(
                p.at,
                format!(
                    "parameter `{}` has the name of an input of pre or post",
                    p.name
                ),
            ));
        }
    }
    if sum == Sum::PreSigmoidal {
        for (need, what) in [
            ("dynamic", "0 static threshold, 1 dynamic"),
            ("theta", "the static threshold"),
        ] {
            if !params.iter().any(|p| p.name == need) {
                diags.push(Diag::new(
                    key_at(root, "sum"),
                    format!("the presigmoidal sum reads a parameter `{need}` ({what}); declare it"),
                ));
            }
        }
        if let Some(p) = params.iter().find(|p| p.name == "dynamic") {
            if p.lo < 0.0 || p.hi > 1.0 {
                diags.push(Diag::new(
                    p.at,
                    "`dynamic` is a switch: its range lies in [0, 1]",
                ));
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    // lowered as a model: the inputs are its state variables, pre and post
    // the derivatives of the first two, 0 those of the others
    let zero = |name: &str| Binding {
        name: name.to_string(),
        at: 0,
        expr: Expr::Num {
            value: 0.0,
            integer: true,
            span: Span { start: 0, end: 1 },
        },
        base: 0,
        exact: false,
    };
    let mut derivatives = vec![];
    for (k, n) in inputs.iter().enumerate() {
        derivatives.push(match k {
            0 => Binding {
                name: n.clone(),
                ..pre.clone()
            },
            1 => Binding {
                name: n.clone(),
                ..post.clone()
            },
            _ => zero(n),
        });
    }
    let decl = Decl {
        name: name.clone(),
        doc: docstr.clone(),
        reference: reference.clone(),
        params,
        states: inputs
            .iter()
            .map(|n| StateDecl {
                name: n.clone(),
                at: 0,
                range: (0.0, 0.0),
                bounds: (f64::NEG_INFINITY, f64::INFINITY),
                unit: "1".into(),
                doc: String::new(),
            })
            .collect(),
        modes: 1,
        coupling: vec![],
        observe: vec![],
        noise: None,
        stimulus: None,
        functions: vec![],
        lets: vec![],
        derivatives,
        observables: vec![],
    };
    let rename = |mut d: Diag| {
        let n0 = &inputs[0];
        let n1 = &inputs[1];
        d.message = d
            .message
            .replace(&format!("the derivative of `{n0}`"), "pre")
            .replace(&format!("the derivative of `{n1}`"), "post")
            .replace(
                "is not used by any derivative",
                "is not used by pre or post",
            )
            .replace("state variable", "input");
        d
    };
    let (program, warnings) =
        lower::lower(&decl).map_err(|d| Diags(d.0.into_iter().map(rename).collect()))?;
    let warnings = Diags(warnings.0.into_iter().map(rename).collect());
    let (pre_id, post_id) = (program.derivatives[0], program.derivatives[1]);
    // pre reads no gx, post reads no connection value
    let reads = |out: Id| -> Vec<usize> {
        let live = program.live_for(&[out]);
        let mut v: Vec<usize> = program
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n {
                Node::State(k) if live[i] => Some(*k as usize),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let gx = inputs.len() - 2;
    if reads(pre_id).contains(&gx) {
        diags.push(
            Diag::new(pre.base, "pre reads `gx`, the sum it is part of").hint("gx is post's input"),
        );
    }
    if let Some(&k) = reads(post_id).iter().find(|&&k| k < gx) {
        diags.push(
            Diag::new(
                post.base,
                format!("post reads `{}`, a value of one connection", inputs[k]),
            )
            .hint("post reads gx (the weighted sum), the parameters and n_cvar"),
        );
    }
    if sum == Sum::PreSigmoidal
        && !matches!(program.nodes[post_id as usize], Node::State(k) if k as usize == gx)
    {
        diags.push(Diag::new(
            post.base,
            "the presigmoidal sum hands its sums to the model as they are: post = \"gx\"",
        ));
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    // types, numpy's promotion
    let mut ty = vec![Ty::Weak; program.nodes.len()];
    let input_ty = |k: usize| -> Ty {
        let n = &inputs[k];
        if n.starts_with("x_") {
            Ty::F32
        } else if n == "n_cvar" {
            Ty::Weak
        } else {
            // theta_j: the float64 parameter, or a float32 history value
            // promoted by the float64 operation it enters (P·x_j − theta_j)
            Ty::F64
        }
    };
    let promote = |a: Ty, b: Ty| a.max(b);
    // pre's types first: gx's type depends on them
    let mut gx_ty = Ty::F32;
    let mut product_ty = Ty::F32;
    for pass in 0..2 {
        for (i, n) in program.nodes.iter().enumerate() {
            ty[i] = if precision == Precision::Float64 {
                Ty::F64
            } else {
                match *n {
                    Node::Const(_) => Ty::Weak,
                    Node::Param(_) => Ty::F64,
                    Node::State(k) if k as usize == gx => gx_ty,
                    Node::State(k) => input_ty(k as usize),
                    Node::Coupling(_) => Ty::F64,
                    Node::Neg(a) | Node::F1(_, a) => ty[a as usize],
                    Node::Bin(_, a, b) | Node::F2(_, a, b) => {
                        promote(ty[a as usize], ty[b as usize])
                    }
                    Node::Select(_, a, b) => promote(ty[a as usize], ty[b as usize]),
                    Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_) => Ty::Weak,
                }
            };
        }
        if pass == 0 {
            // the weights are float32: w·pre is float32 unless pre is float64
            product_ty = promote(Ty::F32, ty[pre_id as usize]);
            gx_ty = match (sum, precision) {
                (_, Precision::Float64) => Ty::F64,
                (Sum::Sparse, _) => Ty::F32,
                (Sum::Dense, _) => product_ty,
                (Sum::PreSigmoidal, _) => Ty::F64,
            };
        }
    }
    Ok((
        CouplingProgram {
            name,
            doc: docstr,
            reference,
            params: program.params.clone(),
            n_values: program.n_values,
            sum,
            precision,
            combine,
            pre_text,
            post_text,
            program,
            inputs,
            ty,
            product_ty,
            gx_ty,
        },
        warnings,
    ))
}

/// Connections evaluated together by [`CouplingEval::pre_block`].
pub const BLOCK: usize = 64;

/// A coupling program for one parameter set: `pre` over blocks of
/// connections, `post` per region, each operation rounded to float32
/// where its type is float32.
#[derive(Debug, Clone)]
pub struct CouplingEval {
    nodes: Vec<Node>,
    /// Round to float32.
    f32: Vec<bool>,
    uniform: Vec<bool>,
    /// Values of the uniform operations.
    val: Vec<f64>,
    /// Non-uniform operations of pre, of post, in order.
    pre_ops: Vec<u32>,
    post_ops: Vec<u32>,
    pre: Id,
    post: Id,
    n_inputs: usize,
}

fn bin(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
    }
}

fn cmp(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
    }
}

fn truth(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// One operation on its operands' values (`None`: an input).
#[inline(always)]
fn op(n: &Node, g: impl Fn(Id) -> f64, values: &[f64]) -> Option<f64> {
    Some(match *n {
        Node::Const(b) => f64::from_bits(b),
        Node::Param(k) => values[k as usize],
        Node::State(_) | Node::Coupling(_) => return None,
        Node::Neg(a) => -g(a),
        Node::Bin(o, a, b) => bin(o, g(a), g(b)),
        Node::F1(f, a) => F1::eval(f, g(a)),
        Node::F2(f, a, b) => F2::eval(f, g(a), g(b)),
        Node::Cmp(o, a, b) => truth(cmp(o, g(a), g(b))),
        Node::And(a, b) => truth(g(a) != 0.0 && g(b) != 0.0),
        Node::Or(a, b) => truth(g(a) != 0.0 || g(b) != 0.0),
        Node::Not(a) => truth(g(a) == 0.0),
        Node::Select(c, a, b) => {
            if g(c) != 0.0 {
                g(a)
            } else {
                g(b)
            }
        }
    })
}

impl CouplingEval {
    /// `p` with the flat parameter values `values`.
    pub fn new(p: &CouplingProgram, values: &[f64]) -> Self {
        assert_eq!(values.len(), p.n_values, "coupling parameter values");
        let prog = &p.program;
        let f32: Vec<bool> = p.ty.iter().map(|t| *t == Ty::F32).collect();
        let mut uniform = vec![false; prog.nodes.len()];
        let mut val = vec![0.0; prog.nodes.len()];
        for (i, n) in prog.nodes.iter().enumerate() {
            uniform[i] = match n {
                Node::State(_) | Node::Coupling(_) => false,
                Node::Const(_) | Node::Param(_) => true,
                _ => operands(n).all(|a| uniform[a as usize]),
            };
            if uniform[i] {
                let v = op(n, |a| val[a as usize], values).unwrap_or(f64::NAN);
                val[i] = if f32[i] { v as f32 as f64 } else { v };
            }
        }
        let ops = |out: Id| -> Vec<u32> {
            let live = prog.live_for(&[out]);
            (0..prog.nodes.len() as u32)
                .filter(|&i| live[i as usize] && !uniform[i as usize])
                .collect()
        };
        Self {
            pre_ops: ops(p.pre()),
            post_ops: ops(p.post()),
            nodes: prog.nodes.clone(),
            f32,
            uniform,
            val,
            pre: p.pre(),
            post: p.post(),
            n_inputs: p.inputs.len(),
        }
    }

    /// Scratch space for [`pre_block`](Self::pre_block) and
    /// [`post`](Self::post), with the uniform values in place.
    pub fn scratch(&self) -> Vec<f64> {
        let mut s = vec![0.0; self.nodes.len() * BLOCK];
        for (i, u) in self.uniform.iter().enumerate() {
            if *u {
                s[i * BLOCK..(i + 1) * BLOCK].fill(self.val[i]);
            }
        }
        s
    }

    /// Inputs a block needs: `inputs[k·BLOCK + e]` is input `k` (slot order
    /// of [`CouplingProgram::inputs`]) of connection `e`.
    pub fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    fn run(&self, ops: &[u32], s: &mut [f64], inputs: &[f64], n: usize) {
        for &i in ops {
            let i = i as usize;
            let node = self.nodes[i];
            let (lo, rest) = s.split_at_mut(i * BLOCK);
            let dst = &mut rest[..n];
            if let Node::State(k) = node {
                dst.copy_from_slice(&inputs[k as usize * BLOCK..k as usize * BLOCK + n]);
                continue;
            }
            // operands come before the operation
            for (e, d) in dst.iter_mut().enumerate() {
                let v = op(&node, |a| lo[a as usize * BLOCK + e], &[]).unwrap_or(f64::NAN);
                *d = v;
            }
            if self.f32[i] {
                for d in dst.iter_mut() {
                    *d = *d as f32 as f64;
                }
            }
        }
    }

    /// `pre` of `n ≤ BLOCK` connections into `out[..n]`.
    pub fn pre_block(&self, scratch: &mut [f64], inputs: &[f64], n: usize, out: &mut [f64]) {
        debug_assert!(n <= BLOCK && inputs.len() >= self.n_inputs * BLOCK);
        self.run(&self.pre_ops, scratch, inputs, n);
        let p = self.pre as usize;
        out[..n].copy_from_slice(&scratch[p * BLOCK..p * BLOCK + n]);
    }

    /// `post(gx)` of one region with `n_cvar` coupled variables.
    pub fn post(&self, scratch: &mut [f64], inputs: &mut [f64], gx: f64, n_cvar: f64) -> f64 {
        let k = self.n_inputs;
        inputs[(k - 2) * BLOCK] = gx;
        inputs[(k - 1) * BLOCK] = n_cvar;
        self.run(&self.post_ops, scratch, inputs, 1);
        scratch[self.post as usize * BLOCK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINEAR: &str = r#"
name = "Linear"
doc = "linear"
pre = "x_j"
post = "a * gx + b"

[parameters]
a = { default = 0.5, range = [-1.0, 1.0], unit = "1", doc = "slope" }
b = { default = 0.25, range = [-1.0, 1.0] }
"#;

    #[test]
    fn a_linear_coupling_checks_and_evaluates() {
        let (p, w) = compile("lin.toml", LINEAR).unwrap();
        assert!(w.is_none(), "{w:?}");
        assert_eq!(
            (p.sum, p.precision, p.combine),
            (Sum::Sparse, Precision::Numpy, 0)
        );
        assert_eq!(p.inputs, ["x_i", "x_j", "gx", "n_cvar"]);
        assert_eq!(p.product_ty, Ty::F32);
        let e = CouplingEval::new(&p, &p.default_values());
        let mut s = e.scratch();
        let mut inp = vec![0.0; e.n_inputs() * BLOCK];
        inp[BLOCK..BLOCK + 2].copy_from_slice(&[1.5, -2.0]);
        let mut out = [0.0; 2];
        e.pre_block(&mut s, &inp, 2, &mut out);
        assert_eq!(out, [1.5, -2.0]);
        assert_eq!(e.post(&mut s, &mut inp, 2.0, 1.0), 0.5 * 2.0 + 0.25);
    }

    #[test]
    fn float32_operations_are_rounded_float64_ones_not() {
        let text = LINEAR.replace("pre = \"x_j\"", "pre = \"(x_j - x_i) / 3\"");
        let (p, _) = compile("d.toml", &text).unwrap();
        assert_eq!(p.product_ty, Ty::F32);
        let e = CouplingEval::new(&p, &p.default_values());
        let (mut s, mut inp, mut out) = (e.scratch(), vec![0.0; 4 * BLOCK], [0.0]);
        inp[0] = 0.1f32 as f64;
        inp[BLOCK] = 1.0;
        e.pre_block(&mut s, &inp, 1, &mut out);
        assert_eq!(out[0], ((1.0f32 - 0.1f32) / 3.0f32) as f64);
        // a float64 parameter promotes
        let text = LINEAR.replace("pre = \"x_j\"", "pre = \"(x_j - x_i) / a\"");
        let (p, _) = compile("d.toml", &text).unwrap();
        assert_eq!(p.product_ty, Ty::F64);
        let e = CouplingEval::new(&p, &p.default_values());
        let mut s = e.scratch();
        e.pre_block(&mut s, &inp, 1, &mut out);
        assert_eq!(out[0], (1.0f32 - 0.1f32) as f64 / 0.5);
    }

    #[test]
    fn indexed_inputs_combine_the_coupled_variables() {
        let text = LINEAR
            .replace("pre = \"x_j\"", "pre = \"x_j[0] - x_j[1]\"")
            .replace(
                "post = \"a * gx + b\"",
                "post = \"a * gx + b\"\nsum = \"dense\"",
            );
        let (p, _) = compile("c.toml", &text).unwrap();
        assert_eq!(p.combine, 2);
        assert_eq!(
            p.inputs,
            ["x_i[0]", "x_i[1]", "x_j[0]", "x_j[1]", "gx", "n_cvar"]
        );
        assert_eq!(p.n_terms(2, &p.default_values()), 1);
    }

    #[test]
    fn mistakes_are_located() {
        let bad = |from: &str, to: &str| {
            let text = LINEAR.replace(from, to);
            compile("bad.toml", &text).unwrap_err().to_string()
        };
        let e = bad("pre = \"x_j\"", "pre = \"x_k\"");
        assert!(e.contains("bad.toml:4:8: unknown name `x_k`"), "{e}");
        let e = bad("post = \"a * gx + b\"", "post = \"a * x_j\"");
        assert!(e.contains("post reads `x_j`"), "{e}");
        let e = bad("pre = \"x_j\"", "pre = \"gx\"");
        assert!(e.contains("pre reads `gx`"), "{e}");
        let e = bad("pre = \"x_j\"", "pre = \"x_j\"\nsum = \"spares\"");
        assert!(
            e.contains("`sum` is one of sparse, dense, presigmoidal, not `spares`"),
            "{e}"
        );
        assert!(e.contains("did you mean `sparse`"), "{e}");
        let e = bad("pre = \"x_j\"", "pre = \"x_j + x_j[1]\"");
        assert!(e.contains("together"), "{e}");
        let e = bad("pre = \"x_j\"", "pre = \"x_j > 0\"");
        assert!(e.contains("pre is a truth value"), "{e}");
        let e = bad("pre = \"x_j\"", "");
        assert!(e.contains("missing `pre`"), "{e}");
        let e = bad("default = 0.5,", "default = 5.0,");
        assert!(e.contains("outside its range"), "{e}");
        let e = bad("name = \"Linear\"", "name = \"Linear\"\nfoo = 1");
        assert!(e.contains("unknown key `foo`"), "{e}");
    }
}
