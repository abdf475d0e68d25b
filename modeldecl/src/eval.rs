//! The batch evaluator for users' models (no compiler at run time).
//!
//! A [`Program`] becomes a tape of operations over *registers*, each a
//! column of up to [`BLOCK`] regions. Each operation runs as one tight loop
//! over the block (the dispatch is paid once per operation and block, not
//! per region), so the arithmetic vectorises and the transcendental calls
//! are the same libm calls the generated built-in code makes: the results
//! are the same bits, at a speed near the compiled models' (measured in
//! `docs/benchmarks.md`). Operations on parameters alone are evaluated once,
//! when the parameter set is given ([`Tape::new`]); they and constants
//! enter the loops as scalars.

use crate::expr::{BinOp, CmpOp};
use crate::fns::{F1, F2};
use crate::lower::{operands, Node, Program};

/// Regions evaluated together.
pub const BLOCK: usize = 64;

/// An operand: a register, or a value known before the run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Arg {
    Reg(u32),
    Val(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    State {
        dst: u32,
        k: u32,
    },
    /// A per-region parameter value (column `col` of [`Tape::columns`]).
    Param {
        dst: u32,
        col: u32,
    },
    Coupling {
        dst: u32,
        k: u32,
    },
    Neg {
        dst: u32,
        a: u32,
    },
    Bin {
        op: BinOp,
        dst: u32,
        a: Arg,
        b: Arg,
    },
    F1 {
        f: F1,
        dst: u32,
        a: u32,
    },
    F2 {
        f: F2,
        dst: u32,
        a: Arg,
        b: Arg,
    },
    Cmp {
        op: CmpOp,
        dst: u32,
        a: Arg,
        b: Arg,
    },
    And {
        dst: u32,
        a: Arg,
        b: Arg,
    },
    Or {
        dst: u32,
        a: Arg,
        b: Arg,
    },
    Not {
        dst: u32,
        a: u32,
    },
    Select {
        dst: u32,
        c: Arg,
        a: Arg,
        b: Arg,
    },
}

/// A program compiled for one parameter set.
#[derive(Debug, Clone)]
pub struct Tape {
    ops: Vec<Op>,
    /// Per-region parameter values, one column per varying slot.
    columns: Vec<Vec<f64>>,
    regs: usize,
    /// Where each derivative is.
    out: Vec<Arg>,
    nv: usize,
    /// Outputs per row.
    nout: usize,
    nt: usize,
}

fn truth(v: bool) -> f64 {
    if v {
        1.0
    } else {
        0.0
    }
}

/// Evaluates one operation on scalars (uniform operations; also the
/// reference the loops follow).
fn scalar(n: &Node, val: &[f64], values: &[f64]) -> f64 {
    let g = |a: u32| val[a as usize];
    match *n {
        Node::Const(b) => f64::from_bits(b),
        Node::Param(k) => values[k as usize],
        Node::State(_) | Node::Coupling(_) => f64::NAN,
        Node::Neg(a) => -g(a),
        Node::Bin(op, a, b) => bin(op, g(a), g(b)),
        Node::F1(f, a) => f.eval(g(a)),
        Node::F2(f, a, b) => f.eval(g(a), g(b)),
        Node::Cmp(op, a, b) => truth(cmp(op, g(a), g(b))),
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
    }
}

#[inline(always)]
fn bin(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
    }
}

#[inline(always)]
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

impl Tape {
    /// Compiles `p` for the parameter values `values` (flat, as
    /// [`Program::default_values`]), of which the slots in `regional`
    /// (slot, one value per region) differ per region.
    pub fn new(p: &Program, values: &[f64], regional: &[(usize, Vec<f64>)]) -> Self {
        Self::with_outputs(p, values, regional, &p.derivatives)
    }

    /// As [`new`](Self::new), computing `outputs` (e.g. the observables)
    /// instead of the derivatives.
    pub fn with_outputs(
        p: &Program,
        values: &[f64],
        regional: &[(usize, Vec<f64>)],
        outputs: &[crate::lower::Id],
    ) -> Self {
        assert_eq!(values.len(), p.n_values, "parameter values");
        let live = p.live_for(outputs);
        // what differs per region is not uniform, nor is what reads it
        let col_of = |k: u32| regional.iter().position(|(s, _)| *s == k as usize);
        let mut uniform = p.uniform.clone();
        for (i, n) in p.nodes.iter().enumerate() {
            uniform[i] = match *n {
                Node::Param(k) => col_of(k).is_none(),
                Node::Const(_) => true,
                Node::State(_) | Node::Coupling(_) => false,
                _ => operands(n).all(|a| uniform[a as usize]),
            };
        }
        // uniform values, once
        let mut val = vec![0.0; p.nodes.len()];
        for (i, n) in p.nodes.iter().enumerate() {
            if live[i] && uniform[i] {
                val[i] = scalar(n, &val, values);
            }
        }
        // last use of each operation, for register reuse
        let mut last = vec![0usize; p.nodes.len()];
        for (i, n) in p.nodes.iter().enumerate() {
            if live[i] && !uniform[i] {
                for a in operands(n) {
                    last[a as usize] = i;
                }
            }
        }
        for &d in outputs {
            last[d as usize] = usize::MAX;
        }
        let mut reg = vec![u32::MAX; p.nodes.len()];
        let mut free: Vec<u32> = vec![];
        let mut regs = 0u32;
        let mut ops = vec![];
        for (i, n) in p.nodes.iter().enumerate() {
            if !live[i] || uniform[i] {
                continue;
            }
            let arg = |a: u32| -> Arg {
                if uniform[a as usize] {
                    Arg::Val(val[a as usize])
                } else {
                    Arg::Reg(reg[a as usize])
                }
            };
            let r = |a: u32| reg[a as usize];
            // the destination is taken before the operands' registers are
            // freed, so an operation never writes a register it reads
            let dst = free.pop().unwrap_or_else(|| {
                regs += 1;
                regs - 1
            });
            let o = match *n {
                Node::State(k) => Op::State { dst, k },
                Node::Param(k) => Op::Param {
                    dst,
                    col: col_of(k).expect("a varying parameter") as u32,
                },
                Node::Coupling(k) => Op::Coupling { dst, k },
                Node::Neg(a) => Op::Neg { dst, a: r(a) },
                Node::Bin(op, a, b) => Op::Bin {
                    op,
                    dst,
                    a: arg(a),
                    b: arg(b),
                },
                Node::F1(f, a) => Op::F1 { f, dst, a: r(a) },
                Node::F2(f, a, b) => Op::F2 {
                    f,
                    dst,
                    a: arg(a),
                    b: arg(b),
                },
                Node::Cmp(op, a, b) => Op::Cmp {
                    op,
                    dst,
                    a: arg(a),
                    b: arg(b),
                },
                Node::And(a, b) => Op::And {
                    dst,
                    a: arg(a),
                    b: arg(b),
                },
                Node::Or(a, b) => Op::Or {
                    dst,
                    a: arg(a),
                    b: arg(b),
                },
                Node::Not(a) => Op::Not { dst, a: r(a) },
                Node::Select(c, a, b) => Op::Select {
                    dst,
                    c: arg(c),
                    a: arg(a),
                    b: arg(b),
                },
                Node::Const(_) => unreachable!("constants are uniform"),
            };
            ops.push(o);
            reg[i] = dst;
            let mut seen = vec![];
            for a in operands(n) {
                let au = a as usize;
                if !uniform[au] && last[au] == i && !seen.contains(&a) {
                    seen.push(a);
                    free.push(reg[au]);
                }
            }
        }
        let out = outputs
            .iter()
            .map(|&d| {
                if uniform[d as usize] {
                    Arg::Val(val[d as usize])
                } else {
                    Arg::Reg(reg[d as usize])
                }
            })
            .collect();
        Self {
            ops,
            columns: regional.iter().map(|(_, v)| v.clone()).collect(),
            regs: regs as usize,
            out,
            nv: p.states.len(),
            nout: outputs.len(),
            nt: p.cvar.len(),
        }
    }

    /// Scratch space [`eval`](Self::eval) needs, in values.
    pub fn scratch_len(&self) -> usize {
        self.regs * BLOCK
    }

    /// Derivatives (or the outputs asked for) of every row, the first being
    /// region `first`: `x` holds `rows × nv` states, `c` `rows × nt`
    /// coupling terms (row-major, the engine's layout), `dx` receives
    /// `rows × outputs` values. `nt` may
    /// exceed the program's coupling terms (the extra ones are not read).
    pub fn eval(
        &self,
        scratch: &mut Vec<f64>,
        first: usize,
        nt: usize,
        x: &[f64],
        c: &[f64],
        dx: &mut [f64],
    ) {
        let nv = self.nv;
        debug_assert!(nt >= self.nt);
        let rows = x.len() / nv;
        if scratch.len() < self.scratch_len() {
            scratch.resize(self.scratch_len(), 0.0);
        }
        let mut r0 = 0;
        while r0 < rows {
            let n = BLOCK.min(rows - r0);
            self.block(
                scratch,
                first + r0,
                n,
                &x[r0 * nv..],
                &c[r0 * nt..],
                nt,
                &mut dx[r0 * self.nout..(r0 + n) * self.nout],
            );
            r0 += n;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn block(
        &self,
        reg: &mut [f64],
        region: usize,
        n: usize,
        x: &[f64],
        c: &[f64],
        nt: usize,
        dx: &mut [f64],
    ) {
        let nv = self.nv;
        // splits the register file into the destination and the rest
        // (an operation never reads its own destination)
        macro_rules! regs {
            ($dst:expr) => {{
                let d = $dst as usize * BLOCK;
                let (lo, hi) = reg.split_at_mut(d);
                let (dst, hi) = hi.split_at_mut(BLOCK);
                (&mut dst[..n], lo, hi, d + BLOCK)
            }};
        }
        fn read<'a>(lo: &'a [f64], hi: &'a [f64], split: usize, r: u32) -> &'a [f64] {
            let s = r as usize * BLOCK;
            if s < split {
                &lo[s..s + BLOCK]
            } else {
                &hi[s - split..s - split + BLOCK]
            }
        }
        for op in &self.ops {
            match *op {
                Op::State { dst, k } => {
                    let (d, ..) = regs!(dst);
                    for (j, o) in d.iter_mut().enumerate() {
                        *o = x[j * nv + k as usize];
                    }
                }
                Op::Param { dst, col } => {
                    let (d, ..) = regs!(dst);
                    d.copy_from_slice(&self.columns[col as usize][region..region + n]);
                }
                Op::Coupling { dst, k } => {
                    let (d, ..) = regs!(dst);
                    for (j, o) in d.iter_mut().enumerate() {
                        *o = c[j * nt + k as usize];
                    }
                }
                Op::Neg { dst, a } => {
                    let (d, lo, hi, sp) = regs!(dst);
                    let a = read(lo, hi, sp, a);
                    for (o, a) in d.iter_mut().zip(a) {
                        *o = -*a;
                    }
                }
                Op::Not { dst, a } => {
                    let (d, lo, hi, sp) = regs!(dst);
                    let a = read(lo, hi, sp, a);
                    for (o, a) in d.iter_mut().zip(a) {
                        *o = truth(*a == 0.0);
                    }
                }
                Op::F1 { f, dst, a } => {
                    let (d, lo, hi, sp) = regs!(dst);
                    let a = read(lo, hi, sp, a);
                    macro_rules! each {
                        ($g:path) => {
                            for (o, a) in d.iter_mut().zip(a) {
                                *o = $g(*a);
                            }
                        };
                    }
                    use crate::fns as m;
                    match f {
                        F1::Exp => each!(m::exp),
                        F1::Log => each!(m::log),
                        F1::Log10 => each!(m::log10),
                        F1::Sqrt => each!(m::sqrt),
                        F1::Abs => each!(m::abs),
                        F1::Sin => each!(m::sin),
                        F1::Cos => each!(m::cos),
                        F1::Tan => each!(m::tan),
                        F1::Atan => each!(m::atan),
                        F1::Sinh => each!(m::sinh),
                        F1::Cosh => each!(m::cosh),
                        F1::Tanh => each!(m::tanh),
                        F1::Erf => each!(m::erf),
                        F1::Erfc => each!(m::erfc),
                        F1::Floor => each!(m::floor),
                        F1::Ceil => each!(m::ceil),
                        F1::Sign => each!(m::sign),
                        F1::Heaviside => each!(m::heaviside),
                    }
                }
                Op::Bin { op, dst, a, b } => {
                    let (d, lo, hi, sp) = regs!(dst);
                    macro_rules! each {
                        ($e:expr) => {
                            match (a, b) {
                                (Arg::Reg(a), Arg::Reg(b)) => {
                                    let (a, b) = (read(lo, hi, sp, a), read(lo, hi, sp, b));
                                    for ((o, x), y) in d.iter_mut().zip(a).zip(b) {
                                        *o = $e(*x, *y);
                                    }
                                }
                                (Arg::Reg(a), Arg::Val(y)) => {
                                    let a = read(lo, hi, sp, a);
                                    for (o, x) in d.iter_mut().zip(a) {
                                        *o = $e(*x, y);
                                    }
                                }
                                (Arg::Val(x), Arg::Reg(b)) => {
                                    let b = read(lo, hi, sp, b);
                                    for (o, y) in d.iter_mut().zip(b) {
                                        *o = $e(x, *y);
                                    }
                                }
                                (Arg::Val(x), Arg::Val(y)) => d.fill($e(x, y)),
                            }
                        };
                    }
                    match op {
                        BinOp::Add => each!(|x: f64, y: f64| x + y),
                        BinOp::Sub => each!(|x: f64, y: f64| x - y),
                        BinOp::Mul => each!(|x: f64, y: f64| x * y),
                        BinOp::Div => each!(|x: f64, y: f64| x / y),
                    }
                }
                Op::F2 { f, dst, a, b } => {
                    let (d, lo, hi, sp) = regs!(dst);
                    let get = |v: Arg, j: usize| match v {
                        Arg::Reg(r) => read(lo, hi, sp, r)[j],
                        Arg::Val(x) => x,
                    };
                    for (j, o) in d.iter_mut().enumerate() {
                        *o = f.eval(get(a, j), get(b, j));
                    }
                }
                Op::Cmp { op, dst, a, b } => {
                    let (d, lo, hi, sp) = regs!(dst);
                    let get = |v: Arg, j: usize| match v {
                        Arg::Reg(r) => read(lo, hi, sp, r)[j],
                        Arg::Val(x) => x,
                    };
                    for (j, o) in d.iter_mut().enumerate() {
                        *o = truth(cmp(op, get(a, j), get(b, j)));
                    }
                }
                Op::And { dst, a, b } | Op::Or { dst, a, b } => {
                    let and = matches!(op, Op::And { .. });
                    let (d, lo, hi, sp) = regs!(dst);
                    let get = |v: Arg, j: usize| match v {
                        Arg::Reg(r) => read(lo, hi, sp, r)[j],
                        Arg::Val(x) => x,
                    };
                    for (j, o) in d.iter_mut().enumerate() {
                        let (x, y) = (get(a, j) != 0.0, get(b, j) != 0.0);
                        *o = truth(if and { x && y } else { x || y });
                    }
                }
                Op::Select { dst, c, a, b } => {
                    let (d, lo, hi, sp) = regs!(dst);
                    let get = |v: Arg, j: usize| match v {
                        Arg::Reg(r) => read(lo, hi, sp, r)[j],
                        Arg::Val(x) => x,
                    };
                    for (j, o) in d.iter_mut().enumerate() {
                        *o = if get(c, j) != 0.0 {
                            get(a, j)
                        } else {
                            get(b, j)
                        };
                    }
                }
            }
        }
        for (k, out) in self.out.iter().enumerate() {
            match *out {
                Arg::Reg(r) => {
                    let s = &reg[r as usize * BLOCK..r as usize * BLOCK + n];
                    for (j, v) in s.iter().enumerate() {
                        dx[j * self.nout + k] = *v;
                    }
                }
                Arg::Val(v) => {
                    for j in 0..n {
                        dx[j * self.nout + k] = v;
                    }
                }
            }
        }
    }
}
