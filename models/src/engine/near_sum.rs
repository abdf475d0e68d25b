//! The batched coupling's rows that hold a near edge (Linear, Scaling), summed
//! mostly in lanes and still to tvb-library's last bit.
//!
//! numpy's `reduceat` of a row's float32 products `p_0 … p_{n−1}` is a fixed
//! tree of additions ([`crate::tvb_sum`]): `p_0 + pairwise(p_1 … p_{n−1})`,
//! where `pairwise` adds fewer than 8 terms one by one from −0.0, up to 128
//! terms in 8 interleaved chains `r_k = p_k + p_{k+8} + …` combined as
//! `((r_0+r_1)+(r_2+r_3))+((r_4+r_5)+(r_6+r_7))` and followed by the
//! remainder one by one, and longer runs as two halves. A near edge (delay
//! `d` with `d + 1 < b`, e.g. a zero-length tract) reads history written
//! within the batch, so its product for step `t` exists only at step `t`;
//! every subtree without a near edge (a *far* subtree) is known for all `b`
//! steps of the batch at its first step and is summed there in lanes, eight
//! steps per lane group, as the gathers sum whole rows. What is left per
//! step are the near products and the additions on their paths to the root:
//! each adds a stored far subtree's value for that step, or another path's
//! value.
//!
//! Every addition of numpy's tree is performed on the same two operands, so
//! the sum is numpy's to the last bit; only the side of an operand may
//! change (a path adds its far sibling as `path + sibling` even where the
//! sibling is the left operand), and IEEE addition is commutative: `a + b`
//! and `b + a` are the same bits for every pair of non-NaN values (a NaN
//! stays a NaN, and the engine stops at the first non-finite state).
//!
//! A row's tree becomes two programs: a *lane* program, run once per batch
//! and lane group, that evaluates each far subtree on a path and stores it
//! (slot-major: slot `q`'s `b` steps contiguous), and a *step* program that,
//! per step, pushes near subtrees' values, adds stored slots in order and
//! joins two paths. Subtrees that are a whole chain or a whole `pairwise`
//! run are one operation ([`Term`]) evaluated by a tight loop, in both.

use super::{Structure, LANES};
use crate::tvb_sum::{pairwise_by, Lanes8, SumFloat};
use std::ops::Range;

/// A subtree of a row's summation tree that one tight loop evaluates; edge
/// indices are relative to the row's first edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Term {
    /// −0.0, where numpy's pairwise sum of fewer than 8 terms starts.
    NegZero,
    /// `((z + p_f) + p_{f+s}) + …` over `count` products of the edges
    /// `f, f + s, …`, where `z` is −0.0 when `neg_zero`; otherwise the
    /// chain starts from `p_f` alone (`count ≥ 1`).
    Chain {
        first: u32,
        stride: u32,
        count: u32,
        neg_zero: bool,
    },
    /// numpy's `pairwise_sum` of the products of edges `start … start + n − 1`.
    Pairwise { start: u32, n: u32 },
}

impl Term {
    /// The edges the subtree sums.
    fn edges(self) -> impl Iterator<Item = usize> {
        let (a, s, c) = match self {
            Term::NegZero => (0, 1, 0),
            Term::Chain {
                first,
                stride,
                count,
                ..
            } => (first as usize, stride as usize, count as usize),
            Term::Pairwise { start, n } => (start as usize, 1, n as usize),
        };
        (0..c).map(move |m| a + m * s)
    }

    /// The subtree's value, the products `p(q)` computed as they are summed,
    /// in numpy's order.
    #[inline(always)]
    pub(super) fn value<T: SumFloat>(self, p: &impl Fn(usize) -> T) -> T {
        match self {
            Term::NegZero => T::NEG_ZERO,
            Term::Chain {
                first,
                stride,
                count,
                neg_zero,
            } => {
                let (f, s) = (first as usize, stride as usize);
                let (mut res, from) = if neg_zero {
                    (T::NEG_ZERO, 0)
                } else {
                    (p(f), 1)
                };
                for m in from..count as usize {
                    res = res + p(f + m * s);
                }
                res
            }
            Term::Pairwise { start, n } => pairwise_by(start as usize, n as usize, p),
        }
    }
}

/// One operation of a row's lane program (a stack machine over lane groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LaneOp {
    /// Push the subtree's value.
    Term(Term),
    /// Pop `y`, pop `x`, push `x + y`.
    Add,
    /// Pop the row's next stored slot.
    Store,
}

/// One operation of a row's step program (a stack machine over one step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StepOp {
    /// Push the subtree's value (every edge of it near, or none).
    Term(Term),
    /// Add the row's next `count` stored slots to the top, one by one.
    AddStored(u32),
    /// Pop `y`, pop `x`, push `x + y`.
    Add,
}

/// The programs of every row with a near edge, concatenated.
#[derive(Debug, Default)]
pub(super) struct NearPrograms {
    pub lane: Vec<LaneOp>,
    /// Start of each row's lane program (`N + 1` entries).
    pub lane_start: Vec<usize>,
    pub step: Vec<StepOp>,
    /// Start of each row's step program (`N + 1` entries).
    pub step_start: Vec<usize>,
    /// Start of each row's stored slots (`N + 1` entries).
    pub stored_base: Vec<usize>,
    /// The deepest stack any step program reaches.
    pub step_depth: usize,
}

/// The most values a lane program's stack holds: a far subtree is a tagged
/// [`Term`] or an untagged addition above at most the 8 chains of one
/// `pairwise` block and its remainder, which needs 4.
pub(super) const LANE_STACK: usize = 8;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Term(Term),
    Add(usize, usize),
}

#[derive(Debug, Clone, Copy)]
struct Node {
    kind: Kind,
    /// A [`Term`] whose value this node is, if any.
    tag: Option<Term>,
    /// Whether some edge of the subtree is near, and whether all are.
    some_near: bool,
    all_near: bool,
}

/// numpy's summation tree of one row, with near edges marked.
struct Tree<'a> {
    nodes: Vec<Node>,
    near: &'a [bool],
}

impl Tree<'_> {
    fn term(&mut self, t: Term) -> usize {
        let (mut some, mut all) = (false, true);
        for q in t.edges() {
            some |= self.near[q];
            all &= self.near[q];
        }
        self.nodes.push(Node {
            kind: Kind::Term(t),
            tag: Some(t),
            some_near: some,
            all_near: all,
        });
        self.nodes.len() - 1
    }

    fn leaf(&mut self, q: usize) -> usize {
        self.term(Term::Chain {
            first: q as u32,
            stride: 1,
            count: 1,
            neg_zero: false,
        })
    }

    fn add(&mut self, l: usize, r: usize, tag: Option<Term>) -> usize {
        let (a, b) = (self.nodes[l], self.nodes[r]);
        self.nodes.push(Node {
            kind: Kind::Add(l, r),
            tag,
            some_near: a.some_near || b.some_near,
            all_near: a.all_near && b.all_near,
        });
        self.nodes.len() - 1
    }

    /// [`crate::tvb_sum::pairwise`] of edges `start … start + n − 1`.
    fn pairwise(&mut self, start: usize, n: usize) -> usize {
        let whole = Term::Pairwise {
            start: start as u32,
            n: n as u32,
        };
        let node = if n < 8 {
            let mut node = self.term(Term::NegZero);
            for m in 0..n {
                let x = self.leaf(start + m);
                let chain = Term::Chain {
                    first: start as u32,
                    stride: 1,
                    count: m as u32 + 1,
                    neg_zero: true,
                };
                node = self.add(node, x, Some(chain));
            }
            node
        } else if n <= 128 {
            let end = start + n - n % 8;
            let r: [usize; 8] = std::array::from_fn(|k| {
                let mut node = self.leaf(start + k);
                for (m, q) in (start + k + 8..end).step_by(8).enumerate() {
                    let x = self.leaf(q);
                    let chain = Term::Chain {
                        first: (start + k) as u32,
                        stride: 8,
                        count: m as u32 + 2,
                        neg_zero: false,
                    };
                    node = self.add(node, x, Some(chain));
                }
                node
            });
            let (a, b) = (self.add(r[0], r[1], None), self.add(r[2], r[3], None));
            let (c, d) = (self.add(r[4], r[5], None), self.add(r[6], r[7], None));
            let (ab, cd) = (self.add(a, b, None), self.add(c, d, None));
            let mut node = self.add(ab, cd, None);
            for q in end..start + n {
                let x = self.leaf(q);
                node = self.add(node, x, None);
            }
            node
        } else {
            let mut n2 = n / 2;
            n2 -= n2 % 8;
            let (l, r) = (self.pairwise(start, n2), self.pairwise(start + n2, n - n2));
            self.add(l, r, None)
        };
        self.nodes[node].tag = Some(whole);
        node
    }
}

/// What emitting a row's programs tracks.
struct Emit<'a> {
    t: &'a Tree<'a>,
    lane: Vec<LaneOp>,
    step: Vec<StepOp>,
    stored: usize,
    lane_sp: usize,
    step_sp: usize,
    step_depth: usize,
}

impl Emit<'_> {
    fn lane_op(&mut self, op: LaneOp) {
        match op {
            LaneOp::Term(_) => self.lane_sp += 1,
            LaneOp::Add | LaneOp::Store => self.lane_sp -= 1,
        }
        assert!(self.lane_sp <= LANE_STACK, "a lane program's stack depth");
        self.lane.push(op);
    }

    fn step_op(&mut self, op: StepOp) {
        match op {
            StepOp::Term(_) => self.step_sp += 1,
            StepOp::Add => self.step_sp -= 1,
            StepOp::AddStored(_) => {}
        }
        self.step_depth = self.step_depth.max(self.step_sp);
        self.step.push(op);
    }

    /// The lane program of a far subtree.
    fn far_value(&mut self, node: usize) {
        let nd = self.t.nodes[node];
        match (nd.tag, nd.kind) {
            (Some(t), _) | (None, Kind::Term(t)) => self.lane_op(LaneOp::Term(t)),
            (None, Kind::Add(l, r)) => {
                self.far_value(l);
                self.far_value(r);
                self.lane_op(LaneOp::Add);
            }
        }
    }

    /// A far subtree added to the step stack's top: stored once per batch.
    fn far_sibling(&mut self, node: usize) {
        self.far_value(node);
        self.lane_op(LaneOp::Store);
        self.stored += 1;
        if let Some(StepOp::AddStored(c)) = self.step.last_mut() {
            *c += 1;
        } else {
            self.step_op(StepOp::AddStored(1));
        }
    }

    /// The step program of a subtree with a near edge: leaves its value on
    /// the step stack.
    fn near_value(&mut self, node: usize) {
        let nd = self.t.nodes[node];
        match (nd.kind, nd.tag) {
            (_, Some(t)) if nd.all_near => self.step_op(StepOp::Term(t)),
            (Kind::Term(t), _) => self.step_op(StepOp::Term(t)),
            (Kind::Add(l, r), _) => {
                let (ln, rn) = (self.t.nodes[l].some_near, self.t.nodes[r].some_near);
                match (ln, rn) {
                    (true, true) => {
                        self.near_value(l);
                        self.near_value(r);
                        self.step_op(StepOp::Add);
                    }
                    // `path + sibling`: the same bits as `sibling + path`
                    (true, false) => {
                        self.near_value(l);
                        self.far_sibling(r);
                    }
                    (false, true) => {
                        self.near_value(r);
                        self.far_sibling(l);
                    }
                    (false, false) => unreachable!("a subtree with a near edge has one below"),
                }
            }
        }
    }
}

impl NearPrograms {
    /// No programs, for `n` rows (couplings that are not batched).
    pub(super) fn empty(n: usize) -> Self {
        NearPrograms {
            lane_start: vec![0; n + 1],
            step_start: vec![0; n + 1],
            stored_base: vec![0; n + 1],
            ..Default::default()
        }
    }

    /// The programs of the rows `row_start[i] … row_start[i + 1]` for which
    /// `row_near[i]`, edge `e` near when `near_edge[e]`.
    pub(super) fn new(row_start: &[usize], row_near: &[bool], near_edge: &[bool]) -> Self {
        let n = row_near.len();
        let mut p = NearPrograms {
            lane_start: vec![0],
            step_start: vec![0],
            stored_base: vec![0],
            ..Default::default()
        };
        for i in 0..n {
            let (a, b) = (row_start[i], row_start[i + 1]);
            if row_near[i] && b > a {
                let mut t = Tree {
                    nodes: vec![],
                    near: &near_edge[a..b],
                };
                // numpy's reduceat: p_0 + pairwise(p_1 … p_{n−1})
                let first = t.leaf(0);
                let rest = t.pairwise(1, b - a - 1);
                let root = t.add(first, rest, None);
                assert!(t.nodes[root].some_near, "row {i} has a near edge");
                let mut e = Emit {
                    t: &t,
                    lane: vec![],
                    step: vec![],
                    stored: 0,
                    lane_sp: 0,
                    step_sp: 0,
                    step_depth: 0,
                };
                e.near_value(root);
                assert_eq!(e.step_sp, 1, "a step program leaves the sum");
                p.lane.extend(e.lane);
                p.step.extend(e.step);
                p.step_depth = p.step_depth.max(e.step_depth);
                p.stored_base.push(p.stored_base[i] + e.stored);
            } else {
                p.stored_base.push(p.stored_base[i]);
            }
            p.lane_start.push(p.lane.len());
            p.step_start.push(p.step.len());
        }
        p
    }
}

/// Stores the far subtrees of the rows of `r` that have a near edge for the
/// `b` steps of a batch: row `i`'s slot `q` at `stored[(base_i + q − base_r)·b
/// + k]` for step `k`, where `base` is [`NearPrograms::stored_base`].
///
/// # Safety
/// As [`super::gather_far_rows`]: `hist` points at the current ring position
/// of one coupled variable's history block and nobody writes the `b` values
/// after `hist + off[e]` of any far edge `e` of these rows meanwhile.
pub(super) unsafe fn store_far_subtrees(
    s: &Structure,
    r: Range<usize>,
    hist: *const f32,
    stored: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the caller's; the CPU has AVX2
            return unsafe { store_far_subtrees_avx2(s, r, hist, stored) };
        }
    }
    // SAFETY: the caller's
    unsafe { store_far_subtrees_impl(s, r, hist, stored) }
}

/// [`store_far_subtrees`] compiled for AVX2 (the same IEEE operations; no
/// FMA).
///
/// # Safety
/// As [`store_far_subtrees`], on a CPU with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn store_far_subtrees_avx2(
    s: &Structure,
    r: Range<usize>,
    hist: *const f32,
    stored: &mut [f32],
) {
    // SAFETY: the caller's
    unsafe { store_far_subtrees_impl(s, r, hist, stored) }
}

/// The body of [`store_far_subtrees`].
///
/// # Safety
/// As [`store_far_subtrees`].
#[inline(always)]
unsafe fn store_far_subtrees_impl(
    s: &Structure,
    r: Range<usize>,
    hist: *const f32,
    stored: &mut [f32],
) {
    let np = &s.near_prog;
    let bl = s.b;
    let q0 = np.stored_base[r.start];
    assert_eq!(
        stored.len(),
        (np.stored_base[r.end] - q0) * bl,
        "stored slots of the rows"
    );
    for i in r {
        let ops = &np.lane[np.lane_start[i]..np.lane_start[i + 1]];
        if ops.is_empty() {
            continue;
        }
        let (a, b) = (s.row_start[i], s.row_start[i + 1]);
        let (w, off) = (&s.w32[a..b], &s.off[a..b]);
        let out = &mut stored[(np.stored_base[i] - q0) * bl..(np.stored_base[i + 1] - q0) * bl];
        for g in 0..bl / LANES {
            // SAFETY: the caller's; g·8 + 8 ≤ b
            let base = unsafe { hist.add(g * LANES) };
            let p = |q: usize| {
                // SAFETY: the caller's: the b values after hist + off[q]
                let v = unsafe {
                    base.add(off[q] as usize)
                        .cast::<[f32; LANES]>()
                        .read_unaligned()
                };
                let wt = w[q];
                Lanes8(v.map(|x| wt * x))
            };
            let mut stack = [Lanes8::ZERO; LANE_STACK];
            let (mut sp, mut slot) = (0, 0);
            for op in ops {
                match *op {
                    LaneOp::Term(t) => {
                        stack[sp] = t.value(&p);
                        sp += 1;
                    }
                    LaneOp::Add => {
                        sp -= 1;
                        stack[sp - 1] = stack[sp - 1] + stack[sp];
                    }
                    LaneOp::Store => {
                        sp -= 1;
                        let at = slot * bl + g * LANES;
                        out[at..at + LANES].copy_from_slice(&stack[sp].0);
                        slot += 1;
                    }
                }
            }
        }
    }
}

/// A row's sum at one step: its step program over the near products `p(q)`
/// and its stored slots `stored(q)` for this step, `stack` at least
/// [`NearPrograms::step_depth`] long (at most the row's near edges: each
/// value on the stack is a distinct subtree holding one).
#[inline(always)]
pub(super) fn step_sum(
    ops: &[StepOp],
    p: &impl Fn(usize) -> f32,
    stored: &impl Fn(usize) -> f32,
    stack: &mut [f32],
) -> f32 {
    let (mut sp, mut slot) = (0, 0);
    for op in ops {
        match *op {
            StepOp::Term(t) => {
                stack[sp] = t.value(p);
                sp += 1;
            }
            StepOp::AddStored(c) => {
                let mut top = stack[sp - 1];
                for q in slot..slot + c as usize {
                    top += stored(q);
                }
                stack[sp - 1] = top;
                slot += c as usize;
            }
            StepOp::Add => {
                sp -= 1;
                stack[sp - 1] += stack[sp];
            }
        }
    }
    stack[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tvb_sum::reduceat;

    /// Every placement of near edges, row lengths across numpy's block
    /// boundaries: the programs give reduceat's bits.
    #[test]
    fn programs_sum_as_reduceat() {
        let b = 16;
        for len in [1usize, 2, 3, 8, 9, 10, 17, 40, 129, 130, 200, 300] {
            let patterns: Vec<Vec<bool>> = vec![
                (0..len).map(|q| q == 0).collect(),
                (0..len).map(|q| q == len / 2).collect(),
                (0..len).map(|q| q == len - 1).collect(),
                (0..len).map(|q| q % 7 == 3).collect(),
                (0..len).map(|q| q % 3 != 0).collect(),
                vec![true; len],
            ];
            for near in patterns.into_iter().filter(|v| v.contains(&true)) {
                let row_start = [0, len];
                let p = NearPrograms::new(&row_start, &[true], &near);
                // values with many distinct roundings
                let val = |q: usize, k: usize| {
                    ((q * 7919 + k * 104_729) % 1000) as f32 * 1.37e-3 - 0.6 + q as f32 * 1e-4
                };
                let ns = p.stored_base[1];
                let mut stored = vec![0f32; ns * b];
                // the lane program by hand: one lane group per step (LANES = 8)
                for g in 0..b / LANES {
                    let pl = |q: usize| Lanes8(std::array::from_fn(|l| val(q, g * LANES + l)));
                    let mut stack = [Lanes8::ZERO; LANE_STACK];
                    let (mut sp, mut slot) = (0, 0);
                    for op in &p.lane {
                        match *op {
                            LaneOp::Term(t) => {
                                stack[sp] = t.value(&pl);
                                sp += 1;
                            }
                            LaneOp::Add => {
                                sp -= 1;
                                stack[sp - 1] = stack[sp - 1] + stack[sp];
                            }
                            LaneOp::Store => {
                                sp -= 1;
                                let at = slot * b + g * LANES;
                                stored[at..at + LANES].copy_from_slice(&stack[sp].0);
                                slot += 1;
                            }
                        }
                    }
                }
                let mut stack = vec![0f32; p.step_depth];
                for k in 0..b {
                    let want: Vec<f32> = (0..len).map(|q| val(q, k)).collect();
                    let got = step_sum(
                        &p.step,
                        &|q| {
                            assert!(near[q], "a far product read per step");
                            val(q, k)
                        },
                        &|q| stored[q * b + k],
                        &mut stack,
                    );
                    assert_eq!(
                        got.to_bits(),
                        reduceat(&want).to_bits(),
                        "len {len} step {k} near {near:?}"
                    );
                }
            }
        }
    }
}
