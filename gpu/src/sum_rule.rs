//! The coupling's sum rule in the step kernels. `shaders/step.wgsl` and
//! `shaders/network.wgsl` hold the sparse sum of every coupling but
//! tvb-library's PreSigmoidal,
//!
//! ```text
//! gx_k,i = Σ_j w_ij · pre(k, x_i(t), x_j(t − d_ij))     over the row's non-zero weights
//! ```
//!
//! between two marker lines (`// $SUM{`, `// $SUM}`). A kernel is written
//! without the marker lines (the sparse sum, text unchanged), or with the
//! lines between them replaced by `shaders/presigmoidal_sum.wgsl` for a
//! coupling summed `"presigmoidal"` (its own state delayed by the afferent
//! delays, the weights transposed; `brainstream_models::coupling` says what
//! tvb-library 2.10 computes), written for the kernel it goes into by
//! [`step_presigmoidal`] / [`network_presigmoidal`]. Shared with
//! `build.rs`, which writes the built-in kernels with the sparse sum.

/// The presigmoidal sum, written once for both kernels. Its placeholders:
/// `$PTR`, `$DLY`, `$DIAG`, `$W` the `ints` slots holding where its
/// entries start; `$T` the kernel's step counter; a history index written
/// `hist[$(ix$)]`, `ix` the index of one region's value in a single
/// history (slot, variable, region).
const PRESIGMOIDAL_SUM: &str = include_str!("../shaders/presigmoidal_sum.wgsl");

/// [`PRESIGMOIDAL_SUM`] with its placeholders replaced.
fn presigmoidal_sum(slots: [&str; 4], step: &str, hist: (&str, &str)) -> String {
    let mut s = PRESIGMOIDAL_SUM.to_string();
    for (placeholder, text) in [
        ("$PTR", slots[0]),
        ("$DLY", slots[1]),
        ("$DIAG", slots[2]),
        ("$W", slots[3]),
        ("$T", step),
        ("$(", hist.0),
        ("$)", hist.1),
    ] {
        s = s.replace(placeholder, text);
    }
    s
}

/// The presigmoidal sum of `shaders/step.wgsl` (one thread per region `i`
/// and combination `c`; the histories of the `C` combinations interleaved:
/// `hist[ix·C + c]`).
pub fn step_presigmoidal() -> String {
    presigmoidal_sum(["18u", "19u", "20u", "21u"], "t", ("(", ") * C + c"))
}

/// The presigmoidal sum of `shaders/network.wgsl` (one thread per region).
pub fn network_presigmoidal() -> String {
    presigmoidal_sum(["15u", "16u", "17u", "18u"], "step", ("", ""))
}

/// A delay that is not there (`0xffffffffu` in the shaders): the value
/// read is 0, as tvb-library's `history.query` gives where `w_ri = 0`.
pub const NO_DELAY: u32 = u32::MAX;

/// The presigmoidal sum's connections, shared by every combination: for
/// region `i`, one entry per region `r` with `w_ir ≠ 0` or `w_ri ≠ 0`, `r`
/// ascending (the CPU engine's order), where `w_ir` is `weights[i·n + r]`
/// (target i, source r).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PresigmoidalEntries {
    /// First entry of each region, `n + 1` values.
    pub ptr: Vec<u32>,
    /// `d_ri` (steps) per entry, [`NO_DELAY`] where `w_ri = 0`.
    pub dly: Vec<u32>,
    /// `d_ii` per region, [`NO_DELAY`] where `w_ii = 0`.
    pub diag: Vec<u32>,
    /// `(w_ir, w_ri)` per entry, in float32 as the CPU engine's weights.
    pub w: Vec<f32>,
}

impl PresigmoidalEntries {
    /// The entries of `n` regions with weights and delays (steps)
    /// `[i·n + j]` (target i, source j).
    pub fn new(n: usize, weights: &[f64], delays: &[usize]) -> Self {
        let mut e = Self {
            ptr: vec![0],
            ..Self::default()
        };
        for i in 0..n {
            for r in 0..n {
                let (w_ir, w_ri) = (weights[i * n + r], weights[r * n + i]);
                if w_ir != 0.0 || w_ri != 0.0 {
                    e.dly.push(if w_ri != 0.0 {
                        delays[r * n + i] as u32
                    } else {
                        NO_DELAY
                    });
                    e.w.extend([w_ir as f32, w_ri as f32]);
                }
            }
            e.ptr.push(e.dly.len() as u32);
            e.diag.push(if weights[i * n + i] != 0.0 {
                delays[i * n + i] as u32
            } else {
                NO_DELAY
            });
        }
        e
    }
}

const BEGIN: &str = "// $SUM{";
const END: &str = "// $SUM}";

/// `shader` with its sum rule: `None` keeps the sparse sum between the
/// markers, `Some(text)` puts `text` in its place; the marker lines are
/// left out. An error where the markers are not there once each, in order.
pub fn with_sum(shader: &str, presigmoidal: Option<&str>) -> Result<String, String> {
    let line_of = |marker: &str| -> Result<(usize, usize), String> {
        let mut found = shader.match_indices(marker);
        let (at, _) = found
            .next()
            .ok_or_else(|| format!("the shader has no `{marker}` marker line"))?;
        if found.next().is_some() {
            return Err(format!("the shader has more than one `{marker}` marker"));
        }
        let start = shader[..at].rfind('\n').map_or(0, |k| k + 1);
        let end = shader[at..].find('\n').map_or(shader.len(), |k| at + k + 1);
        Ok((start, end))
    };
    let (b0, b1) = line_of(BEGIN)?;
    let (e0, e1) = line_of(END)?;
    if e0 < b1 {
        return Err(format!("`{END}` comes before `{BEGIN}`"));
    }
    let inner = match presigmoidal {
        None => &shader[b1..e0],
        Some(text) => text,
    };
    Ok(format!("{}{inner}{}", &shader[..b0], &shader[e1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markers_go_and_the_sum_stays_or_is_replaced() {
        let s = "a\n    // $SUM{ why\n    sparse\n    // $SUM} end\nb\n";
        assert_eq!(with_sum(s, None).unwrap(), "a\n    sparse\nb\n");
        assert_eq!(
            with_sum(s, Some("    presig\n")).unwrap(),
            "a\n    presig\nb\n"
        );
        let e = with_sum("a\nb\n", None).unwrap_err();
        assert!(e.contains("$SUM{"), "{e}");
        let e = with_sum("// $SUM}\n// $SUM{\n", None).unwrap_err();
        assert!(e.contains("before"), "{e}");
    }

    #[test]
    fn presigmoidal_entries_pair_each_weight_with_its_transpose() {
        // w[i·n + j]: 0 ← 1 (0.5, delay 3), 1 ← 2 (2, delay 1), 2 ← 2 (1, delay 4)
        let mut w = vec![0.0; 9];
        let mut d = vec![0; 9];
        (w[1], d[1]) = (0.5, 3);
        (w[5], d[5]) = (2.0, 1);
        (w[8], d[8]) = (1.0, 4);
        let e = PresigmoidalEntries::new(3, &w, &d);
        // region 0: r = 1 (w_01 = 0.5, w_10 = 0)
        // region 1: r = 0 (w_10 = 0, w_01 = 0.5, d_01 = 3), r = 2 (w_12 = 2, w_21 = 0)
        // region 2: r = 1 (w_21 = 0, w_12 = 2, d_12 = 1), r = 2 (1, 1, d_22 = 4)
        assert_eq!(e.ptr, [0, 1, 3, 5]);
        assert_eq!(e.dly, [NO_DELAY, 3, NO_DELAY, 1, 4]);
        assert_eq!(e.w, [0.5, 0.0, 0.0, 0.5, 2.0, 0.0, 0.0, 2.0, 1.0, 1.0]);
        assert_eq!(e.diag, [NO_DELAY, NO_DELAY, 4]);
    }

    #[test]
    fn the_presigmoidal_sum_is_written_for_each_kernel() {
        for (s, step, ix) in [
            (
                step_presigmoidal(),
                "(t + H - d)",
                "hist[((sl * NC + k) * N + i) * C + c]",
            ),
            (
                network_presigmoidal(),
                "(step + H - d)",
                "hist[(sl * NC + k) * N + i]",
            ),
        ] {
            assert!(!s.contains('$'), "a placeholder is left: {s}");
            assert!(s.contains(step) && s.contains(ix), "{s}");
        }
        assert!(step_presigmoidal().contains("ints[ints[18u] + i]"));
        assert!(network_presigmoidal().contains("ints[ints[15u] + i]"));
    }

    #[test]
    fn both_shaders_have_their_markers() {
        for s in [
            include_str!("../shaders/step.wgsl"),
            include_str!("../shaders/network.wgsl"),
        ] {
            let sparse = with_sum(s, None).unwrap();
            assert!(!sparse.contains("$SUM") && sparse.contains("cpl_pre("));
            let p = with_sum(s, Some("    // presig\n")).unwrap();
            assert!(!p.contains("$SUM") && !p.contains("cpl_pre(") && p.contains("// presig"));
        }
    }
}
