//! From a [`Decl`] to a [`Program`]: every name resolved, functions inlined,
//! types checked (numbers and truth values), intermediates ordered by what
//! they read (a cycle is refused), identical operations merged, and every
//! problem located.
//!
//! The program is a list of operations in evaluation order (each reads only
//! earlier ones), every operation one IEEE-754 double operation or one call
//! of [`crate::fns`], exactly as the expressions are written: nothing is
//! reassociated or fused, so any back end that evaluates the list in order
//! gives the same bits. Merging identical operations (hash-consing) cannot
//! change a value: the same operation on the same operands gives the same
//! result. Operations that read only parameters and constants are marked
//! *uniform*: back ends compute them once per parameter set, not per
//! region and step.

use std::collections::HashMap;

use crate::decl::{suggest, Binding, Decl, FnDecl};
use crate::error::{Diag, Diags};
use crate::expr::{BinOp, CmpOp, Expr};
use crate::fns::{CONSTANTS, F1, F2, FUNCTIONS};

/// Index of an operation in [`Program::nodes`].
pub type Id = u32;

/// One operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    /// A constant (its bits).
    Const(u64),
    /// A parameter value (flat index: vectors take consecutive slots).
    Param(u32),
    /// A state variable.
    State(u32),
    /// A coupling term (one per coupled variable).
    Coupling(u32),
    Neg(Id),
    Bin(BinOp, Id, Id),
    F1(F1, Id),
    F2(F2, Id, Id),
    /// A comparison: a truth value.
    Cmp(CmpOp, Id, Id),
    And(Id, Id),
    Or(Id, Id),
    Not(Id),
    /// `if(c, a, b)`.
    Select(Id, Id, Id),
}

/// A parameter of the program.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    /// First flat slot.
    pub offset: usize,
    /// Number of values: 1 for a scalar.
    pub len: usize,
    /// Declared as a list.
    pub vector: bool,
    pub default: Vec<f64>,
    pub lo: f64,
    pub hi: f64,
    /// Hard limits.
    pub limits: (f64, f64),
    pub unit: String,
    pub doc: String,
}

/// A state variable of the program.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub name: String,
    pub range: (f64, f64),
    pub bounds: (f64, f64),
    pub unit: String,
    pub doc: String,
}

/// A checked model, ready for code generation or evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub name: String,
    pub doc: String,
    pub reference: String,
    /// Modes per region (`modes = N`; 1 without): the state variables,
    /// coupled variables, observables and their lists are then the
    /// declared ones times the modes, variable major (`xi[0]`, `xi[1]`,
    /// ..., then the next variable), as [`crate::modes::expand`] made them.
    pub modes: usize,
    pub params: Vec<Param>,
    /// Total parameter slots.
    pub n_values: usize,
    pub states: Vec<State>,
    /// Coupled state variables, in order (coupling term `k` is `c_<states[cvar[k]]>`).
    pub cvar: Vec<usize>,
    /// Default variables of interest: state variables or observables.
    pub observe: Vec<String>,
    /// Observables: (name, operation), expressions of the state and the
    /// parameters recorded like state variables.
    pub observables: Vec<(String, Id)>,
    /// Variables a single noise intensity applies to (`None`: all).
    pub noise: Option<Vec<usize>>,
    /// The variables a stimulus enters (tvb-library's `stvar`): the
    /// declaration's `stimulus`, or the coupled variables.
    pub stimulus: Vec<usize>,
    /// Operations in evaluation order.
    pub nodes: Vec<Node>,
    /// Whether each operation reads only parameters and constants.
    pub uniform: Vec<bool>,
    /// The derivative of each state variable.
    pub derivatives: Vec<Id>,
}

impl Program {
    /// Operations the derivatives need, in order (the others are dead).
    pub fn live(&self) -> Vec<bool> {
        self.live_for(&self.derivatives)
    }

    /// Operations `outputs` need, in order.
    pub fn live_for(&self, outputs: &[Id]) -> Vec<bool> {
        let mut live = vec![false; self.nodes.len()];
        for &d in outputs {
            live[d as usize] = true;
        }
        for i in (0..self.nodes.len()).rev() {
            if live[i] {
                for a in operands(&self.nodes[i]) {
                    live[a as usize] = true;
                }
            }
        }
        live
    }

    /// Default parameter values, flat.
    pub fn default_values(&self) -> Vec<f64> {
        self.params.iter().flat_map(|p| p.default.clone()).collect()
    }
}

/// The operands of an operation.
pub fn operands(n: &Node) -> impl Iterator<Item = Id> {
    let v: [Option<Id>; 3] = match *n {
        Node::Const(_) | Node::Param(_) | Node::State(_) | Node::Coupling(_) => [None; 3],
        Node::Neg(a) | Node::F1(_, a) | Node::Not(a) => [Some(a), None, None],
        Node::Bin(_, a, b)
        | Node::F2(_, a, b)
        | Node::Cmp(_, a, b)
        | Node::And(a, b)
        | Node::Or(a, b) => [Some(a), Some(b), None],
        Node::Select(c, a, b) => [Some(c), Some(a), Some(b)],
    };
    v.into_iter().flatten()
}

/// A value during lowering.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Val {
    Num(Id),
    Bool(Id),
    /// A vector parameter (index into `params`).
    Vector(usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum LetState {
    Todo,
    Busy,
    Done(Val),
    Failed,
}

/// Names a function body sees besides its arguments and the parameters.
struct Frame<'a> {
    f: &'a FnDecl,
    args: HashMap<&'a str, Val>,
    lets: HashMap<&'a str, (usize, LetState)>,
}

/// Most operations the inlining may produce (guards against exponential
/// expansion of functions calling functions).
const MAX_STEPS: usize = 2_000_000;

struct Lower<'a> {
    d: &'a Decl,
    nodes: Vec<Node>,
    uniform: Vec<bool>,
    index: HashMap<Node, Id>,
    params: HashMap<&'a str, (usize, Val)>,
    states: HashMap<&'a str, usize>,
    coupling: HashMap<String, usize>,
    lets: HashMap<&'a str, (usize, LetState)>,
    let_path: Vec<&'a str>,
    functions: HashMap<&'a str, &'a FnDecl>,
    call_path: Vec<&'a str>,
    called: Vec<&'a str>,
    used_params: Vec<bool>,
    used_lets: Vec<bool>,
    steps: usize,
    warnings: Diags,
}

/// Checks and lowers a declaration; warnings (unused names) come with it.
pub fn lower(d: &Decl) -> Result<(Program, Diags), Diags> {
    let mut l = Lower {
        d,
        nodes: vec![],
        uniform: vec![],
        index: HashMap::new(),
        params: HashMap::new(),
        states: HashMap::new(),
        coupling: HashMap::new(),
        lets: HashMap::new(),
        let_path: vec![],
        functions: HashMap::new(),
        call_path: vec![],
        called: vec![],
        used_params: vec![false; d.params.len()],
        used_lets: vec![false; d.lets.len()],
        steps: 0,
        warnings: Diags::default(),
    };
    let mut diags = Diags::default();
    let (params, n_values) = l.declare(&mut diags);
    let cvar = l.list_of_states(&d.coupling, "coupling", &mut diags);
    for (k, &v) in cvar.iter().enumerate() {
        l.coupling.insert(format!("c_{}", d.states[v].name), k);
    }
    l.check_names(&mut diags);
    let observe: Vec<String> = if d.observe.is_empty() {
        d.states
            .first()
            .map(|s| s.name.clone())
            .into_iter()
            .collect()
    } else {
        let mut out = vec![];
        for n in &d.observe {
            let known = d.states.iter().any(|s| s.name == n.name)
                || d.observables.iter().any(|o| o.name == n.name);
            if !known {
                let mut names: Vec<&str> = d.states.iter().map(|s| s.name.as_str()).collect();
                names.extend(d.observables.iter().map(|o| o.name.as_str()));
                diags.push(
                    Diag::new(
                        n.at,
                        format!(
                            "`observe` names `{}`, neither a state variable nor an observable",
                            n.name
                        ),
                    )
                    .hint(
                        suggest(&n.name, &names)
                            .unwrap_or_else(|| format!("names: {}", names.join(", "))),
                    ),
                );
            } else if out.contains(&n.name) {
                diags.push(Diag::new(
                    n.at,
                    format!("`{}` is listed twice in `observe`", n.name),
                ));
            } else {
                out.push(n.name.clone());
            }
        }
        out
    };
    let noise = d
        .noise
        .as_ref()
        .map(|n| l.list_of_states(n, "noise", &mut diags));
    let stimulus = match &d.stimulus {
        Some(n) => l.list_of_states(n, "stimulus", &mut diags),
        None => cvar.clone(),
    };

    // derivatives: exactly one per state variable
    let mut derivatives = vec![None; d.states.len()];
    for b in &d.derivatives {
        match l.states.get(b.name.as_str()) {
            None => diags.push(
                Diag::new(b.at, format!("`{}` is not a state variable", b.name)).hint(
                    suggest(
                        &b.name,
                        &d.states.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
                    )
                    .unwrap_or_else(|| "one derivative per state variable of [state]".into()),
                ),
            ),
            Some(&k) => match l.expr(&b.expr, b, None) {
                Ok(Val::Num(id)) => derivatives[k] = Some(id),
                Ok(Val::Bool(_)) => diags.push(
                    Diag::new(
                        b.offset(b.expr.span().start),
                        format!(
                            "the derivative of `{}` is a truth value, not a number",
                            b.name
                        ),
                    )
                    .hint("if(condition, a, b) makes a number of a condition"),
                ),
                Ok(Val::Vector(_)) => diags.push(Diag::new(
                    b.offset(b.expr.span().start),
                    format!("the derivative of `{}` is a whole vector; index it", b.name),
                )),
                Err(e) => diags.push(e),
            },
        }
    }
    for (k, s) in d.states.iter().enumerate() {
        if derivatives[k].is_none() && !d.derivatives.iter().any(|b| b.name == s.name) {
            diags.push(
                Diag::new(
                    s.at,
                    format!("state variable `{}` has no derivative", s.name),
                )
                .hint(format!("add `{} = \"...\"` to [derivatives]", s.name)),
            );
        }
    }
    // observables: expressions of the state and the parameters (monitors
    // see no coupling)
    let mut observables = vec![];
    for (k, b) in d.observables.iter().enumerate() {
        if d.states.iter().any(|s| s.name == b.name)
            || d.observables[..k].iter().any(|o| o.name == b.name)
        {
            diags.push(Diag::new(
                b.at,
                format!(
                    "observable `{}` has the name of a state variable or of another observable",
                    b.name
                ),
            ));
            continue;
        }
        match l.expr(&b.expr, b, None) {
            Ok(Val::Num(id)) => {
                if l.reads_coupling(id) {
                    diags.push(
                        Diag::new(b.at, format!("observable `{}` reads a coupling term", b.name))
                            .hint("an observable is an expression of the state variables and the parameters"),
                    );
                } else {
                    observables.push((b.name.clone(), id));
                }
            }
            Ok(_) => diags.push(Diag::new(
                b.offset(b.expr.span().start),
                format!("observable `{}` must be a number", b.name),
            )),
            Err(e) => diags.push(e),
        }
    }
    // every intermediate is checked, used or not
    for (k, b) in d.lets.iter().enumerate() {
        let used = l.used_lets[k];
        if let Err(e) = l.let_value(&b.name, b.at, k) {
            diags.push(e);
        }
        l.used_lets[k] = used;
    }
    // functions are lowered where they are called; their names are checked
    // here too, so that one never called is still a correct one
    for f in &d.functions {
        l.check_function(f, &mut diags);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    for (k, p) in d.params.iter().enumerate() {
        if !l.used_params[k] {
            l.warnings.push(Diag::new(
                p.at,
                format!("parameter `{}` is not used by any derivative", p.name),
            ));
        }
    }
    for (k, b) in d.lets.iter().enumerate() {
        if !l.used_lets[k] {
            l.warnings.push(Diag::new(
                b.at,
                format!("intermediate `{}` is not used", b.name),
            ));
        }
    }
    for f in &d.functions {
        if !l.called.contains(&f.name.as_str()) {
            l.warnings.push(Diag::new(
                f.at,
                format!("function `{}` is never called", f.name),
            ));
        }
    }
    let derivatives: Vec<Id> = derivatives.into_iter().map(|d| d.unwrap_or(0)).collect();
    let warnings = std::mem::take(&mut l.warnings);
    Ok((
        Program {
            name: d.name.clone(),
            doc: d.doc.clone(),
            reference: d.reference.clone(),
            modes: d.modes,
            params,
            n_values,
            states: d
                .states
                .iter()
                .map(|s| State {
                    name: s.name.clone(),
                    range: s.range,
                    bounds: s.bounds,
                    unit: s.unit.clone(),
                    doc: s.doc.clone(),
                })
                .collect(),
            cvar,
            observe,
            observables,
            noise,
            stimulus,
            nodes: l.nodes,
            uniform: l.uniform,
            derivatives,
        },
        warnings,
    ))
}

const RESERVED: &[&str] = &["if", "true", "false", "nan"];

impl<'a> Lower<'a> {
    fn declare(&mut self, diags: &mut Diags) -> (Vec<Param>, usize) {
        let mut params = vec![];
        let mut offset = 0;
        for (k, p) in self.d.params.iter().enumerate() {
            let val = if p.vector {
                Val::Vector(k)
            } else {
                Val::Num(0) // replaced below
            };
            params.push(Param {
                name: p.name.clone(),
                offset,
                len: p.default.len(),
                vector: p.vector,
                default: p.default.clone(),
                lo: p.lo,
                hi: p.hi,
                limits: p.limits,
                unit: p.unit.clone(),
                doc: p.doc.clone(),
            });
            let val = match val {
                Val::Num(_) => Val::Num(self.intern(Node::Param(offset as u32))),
                v => v,
            };
            if self.params.insert(p.name.as_str(), (k, val)).is_some() {
                diags.push(Diag::new(
                    p.at,
                    format!("parameter `{}` is declared twice", p.name),
                ));
            }
            offset += p.default.len();
        }
        for (k, s) in self.d.states.iter().enumerate() {
            if self.states.insert(s.name.as_str(), k).is_some() {
                diags.push(Diag::new(
                    s.at,
                    format!("state variable `{}` is declared twice", s.name),
                ));
            }
        }
        for (k, b) in self.d.lets.iter().enumerate() {
            if self
                .lets
                .insert(b.name.as_str(), (k, LetState::Todo))
                .is_some()
            {
                diags.push(Diag::new(
                    b.at,
                    format!("intermediate `{}` is declared twice", b.name),
                ));
            }
        }
        for f in &self.d.functions {
            if self.functions.insert(f.name.as_str(), f).is_some() {
                diags.push(Diag::new(
                    f.at,
                    format!("function `{}` is declared twice", f.name),
                ));
            }
        }
        (params, offset)
    }

    /// One name, one meaning: parameters, state variables, coupling terms,
    /// intermediates, functions, constants and built-ins never collide.
    fn check_names(&self, diags: &mut Diags) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        let builtin: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
        let mut add = |name: &'a str, what: &'static str, at: usize, diags: &mut Diags| {
            if RESERVED.contains(&name) || builtin.contains(&name) {
                diags.push(Diag::new(
                    at,
                    format!("{what} `{name}` has the name of a built-in function"),
                ));
            } else if CONSTANTS.iter().any(|c| c.0 == name) {
                diags.push(Diag::new(
                    at,
                    format!("{what} `{name}` has the name of a constant"),
                ));
            } else if let Some(prev) = seen.insert(name, what) {
                if prev != what {
                    diags.push(Diag::new(
                        at,
                        format!("{what} `{name}` has the name of a {prev}"),
                    ));
                }
            }
        };
        for p in &self.d.params {
            add(&p.name, "parameter", p.at, diags);
        }
        for s in &self.d.states {
            add(&s.name, "state variable", s.at, diags);
        }
        for b in &self.d.lets {
            add(&b.name, "intermediate", b.at, diags);
        }
        for f in &self.d.functions {
            add(&f.name, "function", f.at, diags);
        }
        for c in self.coupling.keys() {
            if let Some(what) = seen.get(c.as_str()) {
                diags.push(Diag::new(
                    0,
                    format!("the coupling term `{c}` has the name of a {what}"),
                ));
            }
        }
    }

    fn list_of_states(
        &self,
        names: &[crate::decl::Named],
        what: &str,
        diags: &mut Diags,
    ) -> Vec<usize> {
        let mut out = vec![];
        for n in names {
            match self.states.get(n.name.as_str()) {
                Some(&k) if out.contains(&k) => diags.push(Diag::new(
                    n.at,
                    format!("`{}` is listed twice in `{what}`", n.name),
                )),
                Some(&k) => out.push(k),
                None => diags.push(
                    Diag::new(
                        n.at,
                        format!("`{what}` names `{}`, which is not a state variable", n.name),
                    )
                    .hint(
                        suggest(
                            &n.name,
                            &self
                                .d
                                .states
                                .iter()
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>(),
                        )
                        .unwrap_or_else(|| "names of [state]".into()),
                    ),
                ),
            }
        }
        out
    }

    fn intern(&mut self, n: Node) -> Id {
        if let Some(&id) = self.index.get(&n) {
            return id;
        }
        let uniform = match n {
            Node::Const(_) | Node::Param(_) => true,
            Node::State(_) | Node::Coupling(_) => false,
            _ => operands(&n).all(|a| self.uniform[a as usize]),
        };
        let id = self.nodes.len() as Id;
        self.nodes.push(n);
        self.uniform.push(uniform);
        self.index.insert(n, id);
        id
    }

    fn konst(&mut self, v: f64) -> Id {
        self.intern(Node::Const(v.to_bits()))
    }

    fn let_value(&mut self, name: &'a str, at: usize, k: usize) -> Result<Val, Diag> {
        self.used_lets[k] = true;
        match self.lets[name].1 {
            LetState::Done(v) => Ok(v),
            LetState::Failed => Err(Diag::new(at, String::new())),
            LetState::Busy => {
                let start = self.let_path.iter().position(|n| *n == name).unwrap_or(0);
                let mut cycle: Vec<&str> = self.let_path[start..].to_vec();
                cycle.push(name);
                Err(Diag::new(
                    at,
                    format!(
                        "intermediates read each other in a cycle: {}",
                        cycle.join(" → ")
                    ),
                ))
            }
            LetState::Todo => {
                self.lets.get_mut(name).expect("declared").1 = LetState::Busy;
                self.let_path.push(name);
                let b = &self.d.lets[k];
                let r = self.expr(&b.expr, b, None);
                self.let_path.pop();
                self.lets.get_mut(name).expect("declared").1 = match r {
                    Ok(v) => LetState::Done(v),
                    Err(_) => LetState::Failed,
                };
                r
            }
        }
    }

    fn fn_let(&mut self, frame: &mut Frame<'a>, name: &'a str, at: usize) -> Result<Val, Diag> {
        let (k, st) = frame.lets[name];
        match st {
            LetState::Done(v) => Ok(v),
            LetState::Failed => Err(Diag::new(at, String::new())),
            LetState::Busy => Err(Diag::new(
                at,
                format!(
                    "intermediates of function `{}` read each other in a cycle (through `{name}`)",
                    frame.f.name
                ),
            )),
            LetState::Todo => {
                frame.lets.get_mut(name).expect("declared").1 = LetState::Busy;
                let b = &frame.f.lets[k];
                let r = self.expr(&b.expr, b, Some(frame));
                frame.lets.get_mut(name).expect("declared").1 = match r {
                    Ok(v) => LetState::Done(v),
                    Err(_) => LetState::Failed,
                };
                r
            }
        }
    }

    /// The value of a name.
    fn name(
        &mut self,
        name: &'a str,
        at: usize,
        frame: Option<&mut Frame<'a>>,
    ) -> Result<Val, Diag> {
        if let Some(fr) = frame {
            if let Some(v) = fr.args.get(name) {
                return Ok(*v);
            }
            if fr.lets.contains_key(name) {
                return self.fn_let(fr, name, at);
            }
            if let Some(&(k, v)) = self.params.get(name) {
                self.used_params[k] = true;
                return Ok(v);
            }
            if let Some(c) = CONSTANTS.iter().find(|c| c.0 == name) {
                return Ok(Val::Num(self.konst(c.1)));
            }
            let what = if self.states.contains_key(name) {
                "a state variable"
            } else if self.lets.contains_key(name) {
                "an intermediate"
            } else if self.coupling.contains_key(name) {
                "a coupling term"
            } else {
                return Err(self.unknown(name, at, Some(fr)));
            };
            return Err(Diag::new(
                at,
                format!("function `{}` reads `{name}`, {what}", fr.f.name),
            )
            .hint("a function sees its arguments, the parameters and the constants: pass it as an argument"));
        }
        if let Some(&(k, v)) = self.params.get(name) {
            self.used_params[k] = true;
            return Ok(v);
        }
        if let Some(&k) = self.states.get(name) {
            return Ok(Val::Num(self.intern(Node::State(k as u32))));
        }
        if let Some(&k) = self.coupling.get(name) {
            return Ok(Val::Num(self.intern(Node::Coupling(k as u32))));
        }
        if let Some(&(k, _)) = self.lets.get(name) {
            return self.let_value(name, at, k);
        }
        if let Some(c) = CONSTANTS.iter().find(|c| c.0 == name) {
            return Ok(Val::Num(self.konst(c.1)));
        }
        Err(self.unknown(name, at, None))
    }

    fn unknown(&self, name: &str, at: usize, frame: Option<&Frame>) -> Diag {
        let mut known: Vec<&str> = self.params.keys().copied().collect();
        known.extend(CONSTANTS.iter().map(|c| c.0));
        if let Some(fr) = frame {
            known.extend(fr.args.keys().copied());
            known.extend(fr.lets.keys().copied());
        } else {
            known.extend(self.states.keys().copied());
            known.extend(self.lets.keys().copied());
            known.extend(self.coupling.keys().map(|s| s.as_str()));
        }
        let mut d = Diag::new(at, format!("unknown name `{name}`"));
        if let Some(s) = suggest(name, &known) {
            d = d.hint(s);
        } else if name.starts_with("c_") {
            d = d.hint("coupling terms are c_<variable> for each variable of `coupling`");
        } else if self.functions.contains_key(name) || FUNCTIONS.iter().any(|f| f.0 == name) {
            d = d.hint(format!("`{name}` is a function: call it, {name}(...)"));
        }
        d
    }

    fn num(&self, v: Val, b: &Binding, e: &Expr) -> Result<Id, Diag> {
        match v {
            Val::Num(id) => Ok(id),
            Val::Bool(_) => Err(Diag::new(
                b.offset(e.span().start),
                "a truth value where a number is needed",
            )
            .hint("if(condition, a, b) turns a condition into a number")),
            Val::Vector(k) => Err(Diag::new(
                b.offset(e.span().start),
                format!(
                    "`{}` is a vector of {}: take one element, {}[k]",
                    self.d.params[k].name,
                    self.d.params[k].default.len(),
                    self.d.params[k].name
                ),
            )),
        }
    }

    fn truth(&self, v: Val, b: &Binding, e: &Expr) -> Result<Id, Diag> {
        match v {
            Val::Bool(id) => Ok(id),
            _ => Err(Diag::new(
                b.offset(e.span().start),
                "a number where a condition is needed",
            )
            .hint("compare it: x > 0")),
        }
    }

    /// Lowers `e`, written in binding `b`, in the scope of `frame` (a
    /// function body) or the model.
    fn expr(
        &mut self,
        e: &'a Expr,
        b: &'a Binding,
        mut frame: Option<&mut Frame<'a>>,
    ) -> Result<Val, Diag> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Diag::new(
                b.offset(e.span().start),
                format!("the declaration expands to more than {MAX_STEPS} operations (functions calling functions)"),
            ));
        }
        let at = |sp: crate::expr::Span| b.offset(sp.start);
        Ok(match e {
            Expr::Num { value, .. } => Val::Num(self.konst(*value)),
            Expr::Name { name, span } => self.name(name, at(*span), frame)?,
            Expr::Index {
                mode: true, span, ..
            } => return Err(Diag::new(
                at(*span),
                if self.d.modes > 1 {
                    "`mode` is read in [let], [derivatives] and [observables], not in a function"
                } else {
                    "`mode` is read only in a model with modes"
                },
            )
            .hint(if self.d.modes > 1 {
                "pass the element as an argument: f(P[mode])"
            } else {
                "declare `modes = N` before the first [table] (docs/models.md, \"Modes\")"
            })),
            Expr::Index {
                name, index, span, ..
            } => match self.name(name, at(*span), frame)? {
                Val::Vector(k) => {
                    let p = &self.d.params[k];
                    if *index >= p.default.len() {
                        return Err(Diag::new(
                            at(*span),
                            format!(
                                "`{name}[{index}]`: `{name}` has {} elements (0 to {})",
                                p.default.len(),
                                p.default.len() - 1
                            ),
                        ));
                    }
                    let off = self.d.params[..k]
                        .iter()
                        .map(|p| p.default.len())
                        .sum::<usize>()
                        + index;
                    Val::Num(self.intern(Node::Param(off as u32)))
                }
                _ => {
                    return Err(Diag::new(
                        at(*span),
                        format!("`{name}` is not a vector: it cannot be indexed"),
                    ))
                }
            },
            Expr::Neg { arg, .. } => {
                let a = self.expr(arg, b, frame)?;
                let a = self.num(a, b, arg)?;
                Val::Num(self.intern(Node::Neg(a)))
            }
            Expr::Not { arg, .. } => {
                let a = self.expr(arg, b, frame)?;
                let a = self.truth(a, b, arg)?;
                Val::Bool(self.intern(Node::Not(a)))
            }
            Expr::Bin { op, lhs, rhs, .. } => {
                let x = self.expr(lhs, b, frame.as_deref_mut())?;
                let x = self.num(x, b, lhs)?;
                let y = self.expr(rhs, b, frame)?;
                let y = self.num(y, b, rhs)?;
                Val::Num(self.intern(Node::Bin(*op, x, y)))
            }
            Expr::Cmp { op, lhs, rhs, .. } => {
                let x = self.expr(lhs, b, frame.as_deref_mut())?;
                let x = self.num(x, b, lhs)?;
                let y = self.expr(rhs, b, frame)?;
                let y = self.num(y, b, rhs)?;
                Val::Bool(self.intern(Node::Cmp(*op, x, y)))
            }
            Expr::And { lhs, rhs, .. } | Expr::Or { lhs, rhs, .. } => {
                let x = self.expr(lhs, b, frame.as_deref_mut())?;
                let x = self.truth(x, b, lhs)?;
                let y = self.expr(rhs, b, frame)?;
                let y = self.truth(y, b, rhs)?;
                Val::Bool(self.intern(if matches!(e, Expr::And { .. }) {
                    Node::And(x, y)
                } else {
                    Node::Or(x, y)
                }))
            }
            Expr::Pow { base, exp, span } => {
                let x = self.expr(base, b, frame)?;
                let x = self.num(x, b, base)?;
                let n: Option<i64> = match exp.as_ref() {
                    Expr::Num {
                        value,
                        integer: true,
                        ..
                    } => Some(*value as i64),
                    Expr::Neg { arg, .. } => match arg.as_ref() {
                        Expr::Num {
                            value,
                            integer: true,
                            ..
                        } => Some(-(*value as i64)),
                        _ => None,
                    },
                    _ => None,
                };
                match n {
                    Some(n) if n.unsigned_abs() <= 64 => Val::Num(self.int_power(x, n)),
                    Some(_) => {
                        return Err(Diag::new(at(*span), "a whole-number exponent is at most 64 in size")
                            .hint("pow(x, y) for larger ones"))
                    }
                    None => {
                        return Err(Diag::new(
                            at(exp.span()),
                            "`^` takes a whole-number literal exponent (x^2 is x·x, x^3 is x·(x·x), as numba computes)",
                        )
                        .hint("pow(x, y) for any other exponent (libm's pow, as numpy's ** computes)"))
                    }
                }
            }
            Expr::Call { name, args, span } => self.call(name, args, *span, b, frame)?,
        })
    }

    /// `x^n` by binary exponentiation, as numba expands integer powers:
    /// `r = 1; p = x; loop { if n odd: r = r·p; n >>= 1; if n = 0: break; p = p·p }`
    /// (the first multiplication by 1 is exact and left out); a negative
    /// `n` is `1/x^|n|`.
    fn int_power(&mut self, x: Id, n: i64) -> Id {
        if n == 0 {
            return self.konst(1.0);
        }
        let mut m = n.unsigned_abs();
        let mut r: Option<Id> = None;
        let mut p = x;
        loop {
            if m & 1 == 1 {
                r = Some(match r {
                    None => p,
                    Some(r) => self.intern(Node::Bin(BinOp::Mul, r, p)),
                });
            }
            m >>= 1;
            if m == 0 {
                break;
            }
            p = self.intern(Node::Bin(BinOp::Mul, p, p));
        }
        let r = r.unwrap_or(x);
        if n < 0 {
            let one = self.konst(1.0);
            self.intern(Node::Bin(BinOp::Div, one, r))
        } else {
            r
        }
    }

    fn call(
        &mut self,
        name: &'a str,
        args: &'a [Expr],
        span: crate::expr::Span,
        b: &'a Binding,
        mut frame: Option<&mut Frame<'a>>,
    ) -> Result<Val, Diag> {
        let at = b.offset(span.start);
        if let Some(f) = self.functions.get(name).copied() {
            if args.len() != f.args.len() {
                return Err(Diag::new(
                    at,
                    format!(
                        "function `{name}` takes {} argument(s) ({}), given {}",
                        f.args.len(),
                        f.args
                            .iter()
                            .map(|a| a.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        args.len()
                    ),
                ));
            }
            if self.call_path.contains(&name) {
                let mut path = self.call_path.clone();
                path.push(name);
                return Err(Diag::new(
                    at,
                    format!("functions call themselves: {}", path.join(" → ")),
                ));
            }
            let mut vals = HashMap::new();
            for ((an, _), a) in f.args.iter().zip(args) {
                let v = self.expr(a, b, frame.as_deref_mut())?;
                vals.insert(an.as_str(), v);
            }
            let mut inner = Frame {
                f,
                args: vals,
                lets: f
                    .lets
                    .iter()
                    .enumerate()
                    .map(|(k, l)| (l.name.as_str(), (k, LetState::Todo)))
                    .collect(),
            };
            self.call_path.push(name);
            if !self.called.contains(&name) {
                self.called.push(name);
            }
            let r = self.expr(&f.value.expr, &f.value, Some(&mut inner));
            self.call_path.pop();
            return r.map_err(|mut e| {
                e.called_at.push(at);
                e
            });
        }
        let arity = args.len();
        if name == "if" {
            if arity != 3 {
                return Err(Diag::new(
                    at,
                    format!("`if` takes 3 arguments (condition, a, b), given {arity}"),
                ));
            }
            let c = self.expr(&args[0], b, frame.as_deref_mut())?;
            let c = self.truth(c, b, &args[0])?;
            let x = self.expr(&args[1], b, frame.as_deref_mut())?;
            let y = self.expr(&args[2], b, frame)?;
            return match (x, y) {
                (Val::Num(x), Val::Num(y)) => Ok(Val::Num(self.intern(Node::Select(c, x, y)))),
                (Val::Bool(x), Val::Bool(y)) => Ok(Val::Bool(self.intern(Node::Select(c, x, y)))),
                _ => Err(Diag::new(
                    at,
                    "the two branches of `if` must both be numbers (or both conditions)",
                )),
            };
        }
        let f1 = (arity == 1).then(|| F1::by_name(name)).flatten();
        let f2 = (arity == 2).then(|| F2::by_name(name)).flatten();
        let mut ids = Vec::with_capacity(arity);
        if f1.is_some() || f2.is_some() {
            for a in args {
                let v = self.expr(a, b, frame.as_deref_mut())?;
                ids.push(self.num(v, b, a)?);
            }
        }
        if let Some(f) = f1 {
            return Ok(Val::Num(self.intern(Node::F1(f, ids[0]))));
        }
        if let Some(f) = f2 {
            return Ok(Val::Num(self.intern(Node::F2(f, ids[0], ids[1]))));
        }
        let known: Vec<&str> = FUNCTIONS
            .iter()
            .map(|f| f.0)
            .chain(self.functions.keys().copied())
            .collect();
        if let Some((_, n, _)) = FUNCTIONS.iter().find(|f| f.0 == name) {
            let arities: Vec<String> = FUNCTIONS
                .iter()
                .filter(|f| f.0 == name)
                .map(|f| f.1.to_string())
                .collect();
            let _ = n;
            return Err(Diag::new(
                at,
                format!(
                    "`{name}` takes {} argument(s), given {arity}",
                    arities.join(" or ")
                ),
            ));
        }
        let mut d = Diag::new(at, format!("unknown function `{name}`"));
        d = d.hint(suggest(name, &known).unwrap_or_else(|| {
            format!(
                "built-in functions: {}; declare your own in [functions]",
                FUNCTIONS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
            )
        }));
        Err(d)
    }
}

impl<'a> Lower<'a> {
    /// Whether operation `id` reads a coupling term.
    fn reads_coupling(&self, id: Id) -> bool {
        let mut stack = vec![id];
        let mut seen = std::collections::HashSet::new();
        while let Some(i) = stack.pop() {
            if !seen.insert(i) {
                continue;
            }
            match self.nodes[i as usize] {
                Node::Coupling(_) => return true,
                n => stack.extend(operands(&n)),
            }
        }
        false
    }

    /// Names and calls of a function's body and intermediates: each an
    /// argument, an intermediate of the function, a parameter, a constant,
    /// or a function with the right number of arguments.
    fn check_function(&self, f: &'a FnDecl, diags: &mut Diags) {
        let mut seen_args = vec![];
        for (a, at) in &f.args {
            if seen_args.contains(a) {
                diags.push(Diag::new(
                    *at,
                    format!("function `{}` has two arguments named `{a}`", f.name),
                ));
            }
            seen_args.push(a.clone());
            if self.params.contains_key(a.as_str()) {
                diags.push(
                    Diag::new(
                        *at,
                        format!(
                            "argument `{a}` of function `{}` hides the parameter `{a}`",
                            f.name
                        ),
                    )
                    .hint("rename the argument"),
                );
            }
        }
        for b in f.lets.iter().chain(std::iter::once(&f.value)) {
            let mut names = vec![];
            b.expr.names(&mut names);
            for (n, sp) in names {
                let ok = f.args.iter().any(|a| a.0 == n)
                    || f.lets.iter().any(|l| l.name == n)
                    || self.params.contains_key(n.as_str())
                    || CONSTANTS.iter().any(|c| c.0 == n);
                if !ok {
                    let what = if self.states.contains_key(n.as_str()) {
                        Some("a state variable")
                    } else if self.lets.contains_key(n.as_str()) {
                        Some("an intermediate")
                    } else if self.coupling.contains_key(n.as_str()) {
                        Some("a coupling term")
                    } else {
                        None
                    };
                    let d = match what {
                        Some(w) => Diag::new(b.offset(sp.start), format!("function `{}` reads `{n}`, {w}", f.name))
                            .hint("a function sees its arguments, the parameters and the constants: pass it as an argument"),
                        None => {
                            let mut known: Vec<&str> = f.args.iter().map(|a| a.0.as_str()).collect();
                            known.extend(f.lets.iter().map(|l| l.name.as_str()));
                            known.extend(self.params.keys().copied());
                            let mut d = Diag::new(b.offset(sp.start), format!("unknown name `{n}` in function `{}`", f.name));
                            if let Some(s) = suggest(&n, &known) {
                                d = d.hint(s);
                            }
                            d
                        }
                    };
                    diags.push(d);
                }
            }
            let mut calls = vec![];
            b.expr.calls(&mut calls);
            for (c, sp) in calls {
                if c != "if"
                    && !self.functions.contains_key(c.as_str())
                    && !FUNCTIONS.iter().any(|x| x.0 == c)
                {
                    let known: Vec<&str> = FUNCTIONS
                        .iter()
                        .map(|x| x.0)
                        .chain(self.functions.keys().copied())
                        .collect();
                    let mut d = Diag::new(b.offset(sp.start), format!("unknown function `{c}`"));
                    if let Some(s) = suggest(&c, &known) {
                        d = d.hint(s);
                    }
                    diags.push(d);
                }
            }
        }
    }
}
