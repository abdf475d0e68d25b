//! Reading a declaration file: TOML (through `toml_edit`, which keeps the
//! order of keys and where each one is) into a [`Decl`], every problem
//! located at its key or inside its expression.
//!
//! ```toml
//! name = "Generic2dOscillator"
//! doc = "Generic 2-D oscillator with cubic and configurable nullclines"
//! reference = "Sanz-Leon et al. 2015, NeuroImage 111:385"
//!
//! [parameters]        # in order; default, range [lo, hi] (documented, a hint),
//!                     # optional limits [lo, hi] (hard), unit, doc
//! tau = { default = 1.0, range = [1.0, 5.0], unit = "1", doc = "Time-scale hierarchy" }
//! P = { default = [0.1, 0.2], range = [-1.0, 1.0], unit = "V", doc = "a vector: P[0], P[1]" }
//!
//! [state]             # in order; range of random initial conditions, optional bounds
//! V = { range = [-2.0, 4.0], unit = "1", doc = "fast variable" }
//! S = { range = [0.0, 1.0], bounds = [0.0, 1.0] }
//!
//! modes = 1          # optional: modes per region (see `crate::modes`)
//! coupling = ["V"]    # coupled variables; their terms are named c_V, ...
//! observe = ["V"]     # default variables of interest
//! noise = ["V"]       # optional: where a single nsig applies (default: every variable)
//! stimulus = ["V"]    # optional: where a stimulus enters (tvb-library's `stvar`; default: `coupling`)
//!
//! [functions]         # pure functions of their arguments and the parameters
//! sigm = { args = ["v"], value = "1 / (1 + exp(-v))" }
//!
//! [let]               # named intermediate expressions
//! V2 = "V * V"
//!
//! [derivatives]       # one per state variable, per ms
//! V = "d * tau * (alpha*W - f*V2*V + e*V2 + g*V + gamma*I + gamma*c_V)"
//!
//! [observables]       # optional: recorded like state variables, any name
//! "V - W" = "V - W"
//! ```
//! Top-level keys must come before the first `[table]` (TOML's rule).

use crate::error::{Diag, Diags};
use crate::expr::{self, Expr};

/// A declared parameter: a scalar, or a vector of fixed length.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    pub name: String,
    /// Byte offset of its key.
    pub at: usize,
    /// The default: one value for a scalar.
    pub default: Vec<f64>,
    /// Whether it was declared as a list (a vector, even of length 1).
    pub vector: bool,
    pub lo: f64,
    pub hi: f64,
    /// Hard limits (default ±∞): what the model cannot compute outside.
    pub limits: (f64, f64),
    pub unit: String,
    pub doc: String,
}

/// A declared state variable.
#[derive(Debug, Clone, PartialEq)]
pub struct StateDecl {
    pub name: String,
    pub at: usize,
    /// Range of random initial conditions.
    pub range: (f64, f64),
    /// Boundaries the integrator clamps to (±∞: none).
    pub bounds: (f64, f64),
    pub unit: String,
    pub doc: String,
}

/// `name = "expression"`, parsed, with where its text starts in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub name: String,
    /// Byte offset of the key.
    pub at: usize,
    pub expr: Expr,
    /// Byte offset in the file of the expression's first character, when
    /// the string has no escapes (so positions inside map one to one);
    /// else the offset of the string itself.
    pub base: usize,
    /// Whether `base` maps characters one to one.
    pub exact: bool,
}

impl Binding {
    /// File offset of a position inside the expression.
    pub fn offset(&self, in_expr: usize) -> usize {
        if self.exact {
            self.base + in_expr
        } else {
            self.base
        }
    }
}

/// A declared function.
#[derive(Debug, Clone, PartialEq)]
pub struct FnDecl {
    pub name: String,
    pub at: usize,
    pub args: Vec<(String, usize)>,
    /// Local intermediate expressions.
    pub lets: Vec<Binding>,
    /// The result.
    pub value: Binding,
}

/// A name in a list (`coupling`, `observe`, `noise`, `stimulus`), with where.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub name: String,
    pub at: usize,
}

/// A whole declaration, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Decl {
    pub name: String,
    pub doc: String,
    pub reference: String,
    /// Modes per region (`modes = N`, default 1): every state variable,
    /// intermediate, derivative and observable is then computed once per
    /// mode ([`crate::modes`]).
    pub modes: usize,
    pub params: Vec<ParamDecl>,
    pub states: Vec<StateDecl>,
    pub coupling: Vec<Named>,
    pub observe: Vec<Named>,
    pub noise: Option<Vec<Named>>,
    /// The variables a stimulus enters (tvb-library's `stvar`; `None`: the
    /// coupled variables, tvb-library's default).
    pub stimulus: Option<Vec<Named>>,
    pub functions: Vec<FnDecl>,
    pub lets: Vec<Binding>,
    pub derivatives: Vec<Binding>,
    /// Expressions of the state recorded like state variables (tvb-library's
    /// variables of interest such as Epileptor's `x2 - x1`); any name.
    pub observables: Vec<Binding>,
}

const TOP_KEYS: &[&str] = &[
    "name",
    "doc",
    "reference",
    "modes",
    "parameters",
    "state",
    "coupling",
    "observe",
    "noise",
    "stimulus",
    "functions",
    "let",
    "derivatives",
    "observables",
];

/// Reads a declaration's text. All problems found are reported together.
pub fn read(text: &str) -> Result<Decl, Diags> {
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let at = e.span().map(|s| s.start).unwrap_or(0);
        Diags::one(Diag::new(
            at,
            format!("TOML syntax: {}", e.message().trim_end()),
        ))
    })?;
    let mut r = Reader {
        text,
        diags: Diags::default(),
    };
    let root = doc.as_table();
    for (k, _) in root.iter() {
        if !TOP_KEYS.contains(&k) {
            let at = key_at(root, k);
            r.diags
                .push(
                    Diag::new(at, format!("unknown key `{k}`")).hint(
                        suggest(k, TOP_KEYS)
                            .unwrap_or_else(|| format!("keys: {}", TOP_KEYS.join(", "))),
                    ),
                );
        }
    }
    let name = r.string(root, "name", true).unwrap_or_default();
    if !name.is_empty() && !is_ident(&name) {
        r.diags.push(Diag::new(
            key_at(root, "name"),
            format!("`{name}` is not a name (letters, digits and _, not starting with a digit)"),
        ));
    }
    let decl = Decl {
        doc: r.string(root, "doc", true).unwrap_or_default(),
        reference: r.string(root, "reference", false).unwrap_or_default(),
        modes: r.modes(root),
        params: r.params(root),
        states: r.states(root),
        coupling: r.names(root, "coupling", true).unwrap_or_default(),
        observe: r.names(root, "observe", false).unwrap_or_default(),
        noise: r.names(root, "noise", false),
        stimulus: r.names(root, "stimulus", false),
        functions: r.functions(root),
        lets: r.bindings(root, "let", false),
        derivatives: r.bindings(root, "derivatives", true),
        observables: r.bindings(root, "observables", false),
        name,
    };
    r.diags.into_result(decl)
}

struct Reader<'a> {
    text: &'a str,
    diags: Diags,
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

fn type_name(v: &toml_edit::Item) -> &'static str {
    match v {
        toml_edit::Item::None => "nothing",
        toml_edit::Item::Table(_) => "a table",
        toml_edit::Item::ArrayOfTables(_) => "an array of tables",
        toml_edit::Item::Value(v) => match v {
            toml_edit::Value::String(_) => "a string",
            toml_edit::Value::Integer(_) => "an integer",
            toml_edit::Value::Float(_) => "a number",
            toml_edit::Value::Boolean(_) => "a boolean",
            toml_edit::Value::Datetime(_) => "a date",
            toml_edit::Value::Array(_) => "a list",
            toml_edit::Value::InlineTable(_) => "a table",
        },
    }
}

/// Whether `s` is a name of the expression language.
pub fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// "did you mean `x`?" for a close known name.
pub fn suggest(got: &str, known: &[&str]) -> Option<String> {
    let best = known
        .iter()
        .map(|k| (distance(got, k), *k))
        .min_by_key(|(d, _)| *d)?;
    (best.0 <= 2.max(got.len() / 3)).then(|| format!("did you mean `{}`?", best.1))
}

fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The most modes a model may declare.
pub const MAX_MODES: usize = 64;

impl Reader<'_> {
    /// `modes = N`, a whole number 1 to [`MAX_MODES`] (default 1).
    fn modes(&mut self, root: &toml_edit::Table) -> usize {
        let Some(item) = root.get("modes") else {
            return 1;
        };
        match item.as_integer() {
            Some(n) if (1..=MAX_MODES as i64).contains(&n) => n as usize,
            _ => {
                self.diags.push(
                    Diag::new(
                        item_at(root, "modes"),
                        format!(
                            "`modes` must be a whole number from 1 to {MAX_MODES}, not {}",
                            item.as_value()
                                .map(|v| v.to_string().trim().to_string())
                                .unwrap_or_else(|| type_name(item).to_string())
                        ),
                    )
                    .hint("modes = 3, before the first [table]"),
                );
                1
            }
        }
    }

    fn string(&mut self, t: &dyn toml_edit::TableLike, k: &str, required: bool) -> Option<String> {
        match t.get(k) {
            None => {
                if required {
                    self.diags.push(Diag::new(0, format!("missing `{k}`")));
                }
                None
            }
            Some(i) => match i.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    self.diags.push(Diag::new(
                        item_at(t, k),
                        format!("`{k}` must be a string, not {}", type_name(i)),
                    ));
                    None
                }
            },
        }
    }

    fn table<'t>(
        &mut self,
        root: &'t toml_edit::Table,
        k: &str,
        required: bool,
    ) -> Option<&'t dyn toml_edit::TableLike> {
        match root.get(k) {
            None => {
                if required {
                    self.diags
                        .push(Diag::new(0, format!("missing table `[{k}]`")));
                }
                None
            }
            Some(i) => match i.as_table_like() {
                Some(t) => Some(t),
                None => {
                    self.diags.push(Diag::new(
                        item_at(root, k),
                        format!("`{k}` must be a table, not {}", type_name(i)),
                    ));
                    None
                }
            },
        }
    }

    /// `[lo, hi]` of numbers (±inf allowed).
    fn pair(&mut self, t: &dyn toml_edit::TableLike, k: &str, owner: &str) -> Option<(f64, f64)> {
        let at = item_at(t, k);
        let arr = t.get(k)?.as_array();
        let v: Option<Vec<f64>> = arr.map(|a| a.iter().map(num).collect::<Option<Vec<_>>>())?;
        match v.as_deref() {
            Some([lo, hi]) if !lo.is_nan() && !hi.is_nan() && lo <= hi => Some((*lo, *hi)),
            Some([lo, hi]) if lo > hi => {
                self.diags.push(Diag::new(
                    at,
                    format!("{owner}: `{k}` = [{lo}, {hi}] has lo > hi"),
                ));
                None
            }
            _ => {
                self.diags.push(Diag::new(
                    at,
                    format!("{owner}: `{k}` must be [lo, hi], two numbers (inf allowed)"),
                ));
                None
            }
        }
    }

    fn check_keys(&mut self, t: &dyn toml_edit::TableLike, allowed: &[&str], owner: &str) {
        for (k, _) in t.iter() {
            if !allowed.contains(&k) {
                let hint =
                    suggest(k, allowed).unwrap_or_else(|| format!("keys: {}", allowed.join(", ")));
                self.diags.push(
                    Diag::new(key_at(t, k), format!("{owner}: unknown key `{k}`")).hint(hint),
                );
            }
        }
    }

    fn name_ok(&mut self, name: &str, at: usize, what: &str) -> bool {
        if is_ident(name) {
            return true;
        }
        self.diags.push(Diag::new(
            at,
            format!(
                "{what} `{name}` is not a name (letters, digits and _, not starting with a digit)"
            ),
        ));
        false
    }

    fn params(&mut self, root: &toml_edit::Table) -> Vec<ParamDecl> {
        let Some(t) = self.table(root, "parameters", false) else {
            return vec![];
        };
        let mut out = vec![];
        for (name, item) in t.iter() {
            let at = key_at(t, name);
            if !self.name_ok(name, at, "parameter") {
                continue;
            }
            let owner = format!("parameter `{name}`");
            let Some(p) = item.as_table_like() else {
                self.diags.push(
                    Diag::new(
                        at,
                        format!("{owner} must be a table, not {}", type_name(item)),
                    )
                    .hint(
                        "e.g. { default = 1.0, range = [0.0, 2.0], unit = \"ms\", doc = \"...\" }",
                    ),
                );
                continue;
            };
            self.check_keys(p, &["default", "range", "limits", "unit", "doc"], &owner);
            let dat = item_at(p, "default");
            let (default, vector) = match p.get("default").and_then(|i| i.as_value()) {
                Some(toml_edit::Value::Array(a)) => {
                    match a.iter().map(num).collect::<Option<Vec<f64>>>() {
                        Some(v) if !v.is_empty() => (v, true),
                        _ => {
                            self.diags.push(Diag::new(
                                dat,
                                format!("{owner}: a vector default is a non-empty list of numbers"),
                            ));
                            continue;
                        }
                    }
                }
                Some(v) => match num(v) {
                    Some(x) => (vec![x], false),
                    None => {
                        self.diags.push(Diag::new(
                            dat,
                            format!("{owner}: `default` must be a number or a list of numbers"),
                        ));
                        continue;
                    }
                },
                None => {
                    self.diags
                        .push(Diag::new(at, format!("{owner}: missing `default`")));
                    continue;
                }
            };
            let Some((lo, hi)) = self.pair(p, "range", &owner).or_else(|| {
                if p.get("range").is_none() {
                    self.diags
                        .push(Diag::new(at, format!("{owner}: missing `range`")).hint(
                        "range = [lo, hi] (tvb-library's domain; [-inf, inf] where it has none)",
                    ));
                }
                None
            }) else {
                continue;
            };
            let limits = if p.get("limits").is_some() {
                match self.pair(p, "limits", &owner) {
                    Some(l) => l,
                    None => continue,
                }
            } else {
                (f64::NEG_INFINITY, f64::INFINITY)
            };
            if let Some(bad) = default.iter().find(|v| **v < limits.0 || **v > limits.1) {
                self.diags.push(Diag::new(
                    dat,
                    format!(
                        "{owner}: default {bad} is outside its limits [{}, {}]",
                        limits.0, limits.1
                    ),
                ));
            }
            if let Some(bad) = default
                .iter()
                .find(|v| !v.is_finite() || **v < lo || **v > hi)
            {
                self.diags.push(Diag::new(
                    dat,
                    format!("{owner}: default {bad} is outside its range [{lo}, {hi}]"),
                ));
            }
            out.push(ParamDecl {
                name: name.to_string(),
                at,
                default,
                vector,
                lo,
                hi,
                limits,
                unit: self.string(p, "unit", false).unwrap_or_else(|| "1".into()),
                doc: self.string(p, "doc", false).unwrap_or_default(),
            });
        }
        out
    }

    fn states(&mut self, root: &toml_edit::Table) -> Vec<StateDecl> {
        let Some(t) = self.table(root, "state", true) else {
            return vec![];
        };
        let mut out = vec![];
        for (name, item) in t.iter() {
            let at = key_at(t, name);
            if !self.name_ok(name, at, "state variable") {
                continue;
            }
            let owner = format!("state variable `{name}`");
            let Some(s) = item.as_table_like() else {
                if TOP_KEYS.contains(&name) {
                    self.diags.push(
                        Diag::new(at, format!("`{name}` is read as a state variable of `[state]`"))
                            .hint("top-level keys (name, doc, coupling, observe, noise, stimulus) go before the first [table]"),
                    );
                    continue;
                }
                self.diags.push(
                    Diag::new(
                        at,
                        format!("{owner} must be a table, not {}", type_name(item)),
                    )
                    .hint("e.g. { range = [0.0, 1.0], bounds = [0.0, 1.0], unit = \"1\" }"),
                );
                continue;
            };
            self.check_keys(s, &["range", "bounds", "unit", "doc"], &owner);
            let Some(range) = self.pair(s, "range", &owner).or_else(|| {
                if s.get("range").is_none() {
                    self.diags.push(Diag::new(
                        at,
                        format!("{owner}: missing `range` (of random initial conditions)"),
                    ));
                }
                None
            }) else {
                continue;
            };
            if !(range.0.is_finite() && range.1.is_finite()) {
                self.diags.push(Diag::new(
                    item_at(s, "range"),
                    format!("{owner}: the initial-condition range must be finite"),
                ));
            }
            let bounds = if s.get("bounds").is_some() {
                self.pair(s, "bounds", &owner)
                    .unwrap_or((f64::NEG_INFINITY, f64::INFINITY))
            } else {
                (f64::NEG_INFINITY, f64::INFINITY)
            };
            out.push(StateDecl {
                name: name.to_string(),
                at,
                range,
                bounds,
                unit: self.string(s, "unit", false).unwrap_or_else(|| "1".into()),
                doc: self.string(s, "doc", false).unwrap_or_default(),
            });
        }
        if out.is_empty() && !t.is_empty() {
            return out;
        }
        if t.is_empty() {
            self.diags.push(Diag::new(
                item_at(root, "state"),
                "`[state]` declares no state variable",
            ));
        }
        out
    }

    fn names(&mut self, root: &toml_edit::Table, k: &str, required: bool) -> Option<Vec<Named>> {
        let Some(item) = root.get(k) else {
            if required {
                self.diags.push(
                    Diag::new(0, format!("missing `{k}`"))
                        .hint(format!("{k} = [\"...\"], before the first [table]")),
                );
            }
            return None;
        };
        let at = item_at(root, k);
        let Some(arr) = item.as_array() else {
            self.diags.push(Diag::new(
                at,
                format!("`{k}` must be a list of names, not {}", type_name(item)),
            ));
            return None;
        };
        let mut out = vec![];
        for v in arr.iter() {
            let vat = v.span().map(|s| s.start).unwrap_or(at);
            match v.as_str() {
                Some(s) => out.push(Named {
                    name: s.to_string(),
                    at: vat,
                }),
                None => self
                    .diags
                    .push(Diag::new(vat, format!("`{k}` holds names (strings)"))),
            }
        }
        Some(out)
    }

    /// An expression string at `t[k]`.
    fn binding(&mut self, t: &dyn toml_edit::TableLike, k: &str, owner: &str) -> Option<Binding> {
        let item = t.get(k)?;
        let kat = key_at(t, k);
        let Some(v) = item.as_value() else {
            self.diags.push(Diag::new(
                kat,
                format!(
                    "{owner}: must be an expression string, not {}",
                    type_name(item)
                ),
            ));
            return None;
        };
        let Some(src) = v.as_str() else {
            let hint = if TOP_KEYS.contains(&k) {
                "top-level keys (name, doc, coupling, observe, noise, stimulus) go before the first [table]"
            } else if num(v).is_some() {
                "write numbers as expressions too: \"0.5\""
            } else {
                "an expression in quotes, e.g. \"a * x + b\""
            };
            self.diags.push(
                Diag::new(
                    kat,
                    format!(
                        "{owner}: must be an expression string, not {}",
                        type_name(item)
                    ),
                )
                .hint(hint),
            );
            return None;
        };
        let span = v.span().unwrap_or(kat..kat);
        let (base, exact) = self.string_base(span, src);
        match expr::parse(src) {
            Ok(expr) => Some(Binding {
                name: k.to_string(),
                at: kat,
                expr,
                base,
                exact,
            }),
            Err(e) => {
                let at = if exact { base + e.at } else { base };
                self.diags
                    .push(Diag::new(at, format!("{owner}: {}", e.message)));
                None
            }
        }
    }

    /// Where the decoded string `src` starts in the file, and whether its
    /// characters map one to one onto the raw text.
    fn string_base(&self, span: std::ops::Range<usize>, src: &str) -> (usize, bool) {
        let raw = self.text.get(span.clone()).unwrap_or("");
        for q in ["\"\"\"", "'''", "\"", "'"] {
            if raw.starts_with(q) && raw.ends_with(q) && raw.len() >= 2 * q.len() {
                let mut inner = &raw[q.len()..raw.len() - q.len()];
                let mut start = span.start + q.len();
                if q.len() == 3 {
                    // a newline right after the opening delimiter is trimmed
                    if let Some(rest) = inner.strip_prefix("\r\n") {
                        inner = rest;
                        start += 2;
                    } else if let Some(rest) = inner.strip_prefix('\n') {
                        inner = rest;
                        start += 1;
                    }
                }
                return if inner == src {
                    (start, true)
                } else {
                    (span.start, false)
                };
            }
        }
        (span.start, false)
    }

    fn bindings(&mut self, root: &toml_edit::Table, k: &str, required: bool) -> Vec<Binding> {
        let Some(t) = self.table(root, k, required) else {
            return vec![];
        };
        let mut out = vec![];
        for (name, _) in t.iter() {
            let at = key_at(t, name);
            let what = if k == "let" {
                "intermediate"
            } else {
                "derivative of"
            };
            // an observable's name is only a label (`x2 - x1`): never read by
            // an expression, so any printable text will do
            if k == "observables" {
                if name.trim().is_empty() || name.chars().any(char::is_control) {
                    self.diags
                        .push(Diag::new(at, "an observable needs a printable name"));
                    continue;
                }
            } else if !self.name_ok(name, at, what) {
                continue;
            }
            if let Some(b) = self.binding(t, name, &format!("{k}.{name}")) {
                out.push(b);
            }
        }
        out
    }

    fn functions(&mut self, root: &toml_edit::Table) -> Vec<FnDecl> {
        let Some(t) = self.table(root, "functions", false) else {
            return vec![];
        };
        let mut out = vec![];
        for (name, item) in t.iter() {
            let at = key_at(t, name);
            if !self.name_ok(name, at, "function") {
                continue;
            }
            let owner = format!("function `{name}`");
            let Some(f) = item.as_table_like() else {
                self.diags.push(
                    Diag::new(
                        at,
                        format!("{owner} must be a table, not {}", type_name(item)),
                    )
                    .hint("e.g. { args = [\"v\"], value = \"1 / (1 + exp(-v))\" }"),
                );
                continue;
            };
            self.check_keys(f, &["args", "let", "value", "doc"], &owner);
            let args: Vec<(String, usize)> = match f.get("args") {
                None => vec![],
                Some(a) => match a.as_array() {
                    Some(arr) => {
                        let mut v = vec![];
                        for x in arr.iter() {
                            let xat = x.span().map(|s| s.start).unwrap_or(at);
                            match x.as_str() {
                                Some(s) if is_ident(s) => v.push((s.to_string(), xat)),
                                _ => self.diags.push(Diag::new(
                                    xat,
                                    format!("{owner}: `args` holds argument names"),
                                )),
                            }
                        }
                        v
                    }
                    None => {
                        self.diags.push(Diag::new(
                            item_at(f, "args"),
                            format!("{owner}: `args` must be a list of names"),
                        ));
                        vec![]
                    }
                },
            };
            let mut lets = vec![];
            if let Some(l) = f.get("let") {
                match l.as_table_like() {
                    Some(lt) => {
                        for (ln, _) in lt.iter() {
                            if self.name_ok(ln, key_at(lt, ln), "intermediate") {
                                if let Some(b) = self.binding(lt, ln, &format!("{owner}: let.{ln}"))
                                {
                                    lets.push(b);
                                }
                            }
                        }
                    }
                    None => self.diags.push(Diag::new(
                        item_at(f, "let"),
                        format!("{owner}: `let` must be a table of expressions"),
                    )),
                }
            }
            let Some(value) = (if f.get("value").is_none() {
                self.diags.push(Diag::new(
                    at,
                    format!("{owner}: missing `value` (its result)"),
                ));
                None
            } else {
                self.binding(f, "value", &format!("{owner}: value"))
            }) else {
                continue;
            };
            out.push(FnDecl {
                name: name.to_string(),
                at,
                args,
                lets,
                value,
            });
        }
        out
    }
}
