//! Exact geodesic distances on a triangulated surface, up to a cutoff:
//! what tvb-library's `LocalConnectivity.compute_sparse_matrix` gets from
//! `gdist.local_gdist_matrix(vertices, triangles, max_distance=cutoff)`
//! (tvb-gdist, the exact algorithm of Mitchell, Mount & Papadimitriou
//! 1987 as implemented by Kirsanov).
//!
//! The algorithm here is our own, exact in the same sense. A shortest path
//! on a triangulated surface is a polyline whose bends are mesh vertices
//! where the surface is not convex (total angle ≥ 2π, "saddle" vertices,
//! or boundary vertices); between bends it is a straight segment in the
//! unfolding of the triangles it crosses. From each pseudo-source `u`
//! (the source, then every saddle or boundary vertex in increasing
//! distance order, Dijkstra's way) every triangle strip is unfolded into
//! the plane: a *window* is the part of an edge that straight lines from
//! `u` reach through the strip; crossing into the next triangle it splits
//! into at most two windows on the triangle's other edges, and the
//! triangle's third vertex `c` gets `d(u) + |u c|` when a line from `u`
//! reaches it. Windows whose nearest point is farther than the cutoff are
//! dropped. Every straight segment from `u` is one strip's line, so the
//! minimum over pseudo-sources is the geodesic distance.
//!
//! Distances agree with tvb-gdist's to rounding (about 1e-12 relative on
//! tvb-data's cortex: 6e-15, `models/tests/parts/surface.rs`), not bit for bit: the
//! two algorithms add different lengths.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use crate::error::ModelError;

use super::mesh::Surface;

/// The mesh topology the propagation needs.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Triangles incident to each vertex.
    vert_tris: Vec<Vec<u32>>,
    /// The (one or two) triangles of each edge, keyed by (low, high) vertex.
    edge_tris: HashMap<(u32, u32), [u32; 2]>,
    /// Vertices a shortest path may bend at (total angle ≥ 2π − 1e-9, or
    /// on a boundary).
    bend: Vec<bool>,
}

const NO_TRI: u32 = u32::MAX;

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn norm3(a: [f64; 3]) -> f64 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}
fn dist3(a: [f64; 3], b: [f64; 3]) -> f64 {
    norm3(sub(a, b))
}

type P2 = [f64; 2];
fn s2(a: P2, b: P2) -> P2 {
    [a[0] - b[0], a[1] - b[1]]
}
fn cross(a: P2, b: P2) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}
fn lerp(a: P2, b: P2, t: f64) -> P2 {
    [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
}
fn len2(a: P2) -> f64 {
    (a[0] * a[0] + a[1] * a[1]).sqrt()
}

impl Topology {
    /// Builds the topology; refuses an edge shared by more than two
    /// triangles (not a surface).
    pub fn new(s: &Surface) -> Result<Self, ModelError> {
        let nv = s.vertices.len();
        let mut vert_tris = vec![Vec::new(); nv];
        let mut edge_tris: HashMap<(u32, u32), [u32; 2]> =
            HashMap::with_capacity(s.triangles.len() * 2);
        let mut angle = vec![0.0f64; nv];
        for (t, tri) in s.triangles.iter().enumerate() {
            for k in 0..3 {
                let (a, b, c) = (tri[k], tri[(k + 1) % 3], tri[(k + 2) % 3]);
                vert_tris[a as usize].push(t as u32);
                let key = (a.min(b), a.max(b));
                let e = edge_tris.entry(key).or_insert([NO_TRI, NO_TRI]);
                if e[0] == NO_TRI {
                    e[0] = t as u32;
                } else if e[1] == NO_TRI {
                    e[1] = t as u32;
                } else {
                    return Err(ModelError::Config(format!(
                        "surface {}: edge ({}, {}) belongs to more than two triangles (triangle {t} is the third); a cortical surface must be a 2-manifold",
                        s.source, key.0, key.1
                    )));
                }
                let (pa, pb, pc) = (
                    s.vertices[a as usize],
                    s.vertices[b as usize],
                    s.vertices[c as usize],
                );
                let (u, v) = (sub(pb, pa), sub(pc, pa));
                let cosv = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (norm3(u) * norm3(v));
                angle[a as usize] += cosv.clamp(-1.0, 1.0).acos();
            }
        }
        let mut bend: Vec<bool> = angle
            .iter()
            .map(|&a| a >= 2.0 * std::f64::consts::PI - 1e-9)
            .collect();
        for (&(a, b), t) in &edge_tris {
            if t[1] == NO_TRI {
                bend[a as usize] = true;
                bend[b as usize] = true;
            }
        }
        Ok(Self {
            vert_tris,
            edge_tris,
            bend,
        })
    }

    fn other_tri(&self, a: u32, b: u32, t: u32) -> u32 {
        match self.edge_tris.get(&(a.min(b), a.max(b))) {
            Some(&[x, y]) if x == t => y,
            Some(&[x, _]) => x,
            None => NO_TRI,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
struct Item(f64, u32);
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> Ordering {
        // min-heap on distance, then vertex
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

/// A part `[lo, hi]` of the edge `(a, b)`, unfolded at `pa`, `pb` in the
/// plane of the pseudo-source at the origin, entered from triangle `from`.
#[derive(Clone, Copy)]
struct Window {
    a: u32,
    b: u32,
    pa: P2,
    pb: P2,
    lo: f64,
    hi: f64,
    from: u32,
}

/// Where the line from the origin through `p` meets the line `x → y`
/// (parameter along `x → y`), clamped to `[0, 1]`; `fallback` if parallel.
fn hit(p: P2, x: P2, y: P2, fallback: f64) -> f64 {
    let den = cross(p, s2(y, x));
    if den.abs() < 1e-300 {
        return fallback;
    }
    (cross(p, [-x[0], -x[1]]) / den).clamp(0.0, 1.0)
}

/// Distance from the origin to the segment `p → q`.
fn seg_dist(p: P2, q: P2) -> f64 {
    let d = s2(q, p);
    let l2 = d[0] * d[0] + d[1] * d[1];
    let t = if l2 > 0.0 {
        (-(p[0] * d[0] + p[1] * d[1]) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    len2(lerp(p, q, t))
}

/// Reusable per-source buffers.
#[derive(Debug, Default)]
pub struct Scratch {
    dist: Vec<f64>,
    touched: Vec<u32>,
}

/// Geodesic distances from `source` to every vertex within `cutoff` (mm),
/// the source itself excluded, in ascending vertex order.
pub fn distances_from(
    s: &Surface,
    topo: &Topology,
    source: u32,
    cutoff: f64,
    scratch: &mut Scratch,
) -> Vec<(u32, f64)> {
    let nv = s.vertices.len();
    if scratch.dist.len() != nv {
        scratch.dist = vec![f64::INFINITY; nv];
        scratch.touched.clear();
    }
    let Scratch { dist, touched } = scratch;
    let mut heap = BinaryHeap::new();
    let relax = |v: u32,
                 d: f64,
                 dist: &mut Vec<f64>,
                 touched: &mut Vec<u32>,
                 heap: &mut BinaryHeap<Item>| {
        if d <= cutoff && d < dist[v as usize] {
            if dist[v as usize] == f64::INFINITY {
                touched.push(v);
            }
            dist[v as usize] = d;
            heap.push(Item(d, v));
        }
    };
    relax(source, 0.0, dist, touched, &mut heap);
    let mut stack: Vec<Window> = Vec::new();
    while let Some(Item(du, u)) = heap.pop() {
        if du > dist[u as usize] || (u != source && !topo.bend[u as usize]) {
            continue;
        }
        let budget = cutoff - du;
        let pu = s.vertices[u as usize];
        for &t in &topo.vert_tris[u as usize] {
            let tri = s.triangles[t as usize];
            let k = tri.iter().position(|&x| x == u).unwrap_or(0);
            let (a, b) = (tri[(k + 1) % 3], tri[(k + 2) % 3]);
            let (xa, xb) = (s.vertices[a as usize], s.vertices[b as usize]);
            let (lua, lub, lab) = (dist3(pu, xa), dist3(pu, xb), dist3(xa, xb));
            relax(a, du + lua, dist, touched, &mut heap);
            relax(b, du + lub, dist, touched, &mut heap);
            // u at the origin, a on the x axis, b above it
            let x = (lua * lua - lab * lab + lub * lub) / (2.0 * lua);
            let y = (lub * lub - x * x).max(0.0).sqrt();
            let (pa, pb) = ([lua, 0.0], [x, y]);
            if seg_dist(pa, pb) < budget {
                stack.push(Window {
                    a,
                    b,
                    pa,
                    pb,
                    lo: 0.0,
                    hi: 1.0,
                    from: t,
                });
            }
            while let Some(w) = stack.pop() {
                let t2 = topo.other_tri(w.a, w.b, w.from);
                if t2 == NO_TRI {
                    continue;
                }
                let tri2 = s.triangles[t2 as usize];
                let c = tri2
                    .iter()
                    .copied()
                    .find(|&v| v != w.a && v != w.b)
                    .unwrap_or(w.a);
                let xc = s.vertices[c as usize];
                let (la, lb) = (
                    dist3(s.vertices[w.a as usize], xc),
                    dist3(s.vertices[w.b as usize], xc),
                );
                // unfold c across a→b, away from the origin
                let e = s2(w.pb, w.pa);
                let l = len2(e);
                let ex = [e[0] / l, e[1] / l];
                let mut nrm = [-ex[1], ex[0]];
                if cross(e, [-w.pa[0], -w.pa[1]]) > 0.0 {
                    // the origin is on the left of a→b: c goes right
                    nrm = [ex[1], -ex[0]];
                }
                let xx = (la * la - lb * lb + l * l) / (2.0 * l);
                let yy = (la * la - xx * xx).max(0.0).sqrt();
                let pc = [
                    w.pa[0] + xx * ex[0] + yy * nrm[0],
                    w.pa[1] + xx * ex[1] + yy * nrm[1],
                ];
                // where the line origin → c crosses a→b
                let tc = {
                    let den = cross(pc, e);
                    if den.abs() < 1e-300 {
                        0.5
                    } else {
                        cross(pc, [-w.pa[0], -w.pa[1]]) / den
                    }
                };
                let eps = 1e-12;
                if tc >= w.lo - eps && tc <= w.hi + eps {
                    relax(c, du + len2(pc), dist, touched, &mut heap);
                }
                let plo = lerp(w.pa, w.pb, w.lo);
                let phi = lerp(w.pa, w.pb, w.hi);
                // part seen through edge a→c
                if tc > w.lo {
                    let s_lo = if w.lo == 0.0 {
                        0.0
                    } else {
                        hit(plo, w.pa, pc, 0.0)
                    };
                    let s_hi = if tc >= w.hi {
                        hit(phi, w.pa, pc, 1.0)
                    } else {
                        1.0
                    };
                    if s_hi > s_lo {
                        let (q0, q1) = (lerp(w.pa, pc, s_lo), lerp(w.pa, pc, s_hi));
                        if seg_dist(q0, q1) < budget {
                            stack.push(Window {
                                a: w.a,
                                b: c,
                                pa: w.pa,
                                pb: pc,
                                lo: s_lo,
                                hi: s_hi,
                                from: t2,
                            });
                        }
                    }
                }
                // part seen through edge c→b
                if tc < w.hi {
                    let s_lo = if tc <= w.lo {
                        hit(plo, pc, w.pb, 0.0)
                    } else {
                        0.0
                    };
                    let s_hi = if w.hi == 1.0 {
                        1.0
                    } else {
                        hit(phi, pc, w.pb, 1.0)
                    };
                    if s_hi > s_lo {
                        let (q0, q1) = (lerp(pc, w.pb, s_lo), lerp(pc, w.pb, s_hi));
                        if seg_dist(q0, q1) < budget {
                            stack.push(Window {
                                a: c,
                                b: w.b,
                                pa: pc,
                                pb: w.pb,
                                lo: s_lo,
                                hi: s_hi,
                                from: t2,
                            });
                        }
                    }
                }
            }
        }
    }
    let mut out: Vec<(u32, f64)> = touched
        .iter()
        .filter(|&&v| v != source)
        .map(|&v| (v, dist[v as usize]))
        .collect();
    out.sort_unstable_by_key(|p| p.0);
    for &v in touched.iter() {
        dist[v as usize] = f64::INFINITY;
    }
    touched.clear();
    out
}

/// The geodesic distance matrix up to `cutoff`, row `i` the distances
/// from vertex `i` (CSR: `row_start`, `col`, `dist`; the diagonal left
/// out, as gdist leaves it out), computed on `threads` threads.
pub fn local_distances(s: &Surface, cutoff: f64, threads: usize) -> Result<SparseRows, ModelError> {
    if !(cutoff.is_finite() && cutoff > 0.0) {
        return Err(ModelError::Config(format!(
            "local connectivity cutoff = {cutoff} mm: a positive distance is expected"
        )));
    }
    let topo = Topology::new(s)?;
    let nv = s.vertices.len();
    let threads = threads.clamp(1, 64).min(nv);
    let chunk = nv.div_ceil(threads);
    let rows: Vec<Vec<Vec<(u32, f64)>>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|k| {
                let topo = &topo;
                sc.spawn(move || {
                    let mut scratch = Scratch::default();
                    (k * chunk..((k + 1) * chunk).min(nv))
                        .map(|i| distances_from(s, topo, i as u32, cutoff, &mut scratch))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut out = SparseRows {
        n: nv,
        row_start: Vec::with_capacity(nv + 1),
        col: Vec::new(),
        val: Vec::new(),
    };
    out.row_start.push(0);
    for r in rows.into_iter().flatten() {
        for (j, d) in r {
            out.col.push(j);
            out.val.push(d);
        }
        out.row_start.push(out.col.len());
    }
    if out.row_start.len() != nv + 1 {
        return Err(ModelError::Config(
            "geodesic distances: a worker thread failed".into(),
        ));
    }
    Ok(out)
}

/// A square sparse matrix in compressed rows, columns ascending per row.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRows {
    pub n: usize,
    pub row_start: Vec<usize>,
    pub col: Vec<u32>,
    pub val: Vec<f64>,
}

impl SparseRows {
    pub fn nnz(&self) -> usize {
        self.col.len()
    }
    /// `y = A·x`, each row summed from 0 in ascending column order (as
    /// scipy's sparse matrix–vector product sums).
    pub fn matvec(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate().take(self.n) {
            let mut acc = 0.0;
            for k in self.row_start[i]..self.row_start[i + 1] {
                acc += self.val[k] * x[self.col[k] as usize];
            }
            *yi = acc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_grid_distances_are_euclidean() {
        let s = Surface::flat_grid(9);
        let topo = Topology::new(&s).unwrap();
        let mut sc = Scratch::default();
        let src: u32 = 4 * 9 + 4;
        let d = distances_from(&s, &topo, src, 3.5, &mut sc);
        let mut count = 0;
        for v in 0..81u32 {
            let (x, y) = ((v % 9) as f64 - 4.0, (v / 9) as f64 - 4.0);
            let e = (x * x + y * y).sqrt();
            let got = d.iter().find(|p| p.0 == v).map(|p| p.1);
            if v == src || e > 3.5 {
                assert!(got.is_none(), "vertex {v} at {e}: {got:?}");
            } else {
                count += 1;
                let g = got.unwrap_or(f64::NAN);
                assert!((g - e).abs() < 1e-12, "vertex {v}: {g} vs {e}");
            }
        }
        assert_eq!(count, d.len());
    }

    /// A path over a fold (two unit squares at a right angle): the
    /// geodesic is the straight line of the unfolded squares.
    #[test]
    fn folded_strip_unfolds() {
        let s = Surface {
            vertices: vec![
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [0.0, 1.0, 0.0],
                [1.0, 1.0, 0.0],
                [0.0, 1.0, 1.0],
                [1.0, 1.0, 1.0],
            ],
            triangles: vec![[0, 1, 3], [0, 3, 2], [2, 3, 5], [2, 5, 4]],
            source: "fold".into(),
        };
        let topo = Topology::new(&s).unwrap();
        let d = distances_from(&s, &topo, 0, 10.0, &mut Scratch::default());
        let d5 = d.iter().find(|p| p.0 == 5).unwrap().1;
        assert!((d5 - (1.0f64 + 4.0).sqrt()).abs() < 1e-12, "{d5}");
        let d4 = d.iter().find(|p| p.0 == 4).unwrap().1;
        assert!((d4 - 2.0).abs() < 1e-12, "{d4}");
    }
}
