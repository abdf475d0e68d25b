//! WGSL for a coupling declaration ([`CouplingProgram`]): the coupling part
//! of a Vulkan kernel, between the model part ([`crate::wgsl::model`]) and
//! `gpu/shaders/step.wgsl`, which calls it for every term `k` of region `i`:
//!
//! ```text
//! gx_k,i = Σ_j w_ij · pre(k, x_i(t), x_j(t − d_ij))     (f32 sum over the row's non-zero weights)
//! c_k,i  = post(gx_k,i, n_cvar)
//! ```
//!
//! It defines `NCP` (the coupling's parameter values, read with `cp(k)`
//! after the model's `NP` in the parameter block), `NT` (terms handed to
//! the model), `CPL_COMBINE` (whether `pre` reads every coupled variable,
//! `x_j[0]`…, or only the term's own), `cpl_pre` and `cpl_post`. The
//! operations are the declaration's, in its order, one `let` each, in the
//! kernel's [`Precision`] (state and history are f32, as for the model);
//! the products `w_ij·pre` and their sum are f32, the history's type.
//!
//! tvb-library's dense sums (`sum = "dense"`: every source, zero weights
//! included) equal the sparse sum over the non-zero weights up to the
//! order of the additions, which the Vulkan backend's f32 sums do not keep
//! anyway; both are summed over the non-zero weights here.
//!
//! The presigmoidal sum (`sum = "presigmoidal"`, tvb-library 2.10's
//! `PreSigmoidal`: the weights transposed, each region's own state delayed
//! by its afferent delays, in the dynamic form a second term of the
//! region's direct output) is the kernel's own code
//! (`gpu/shaders/*_presigmoidal.wgsl`, put in place of the sparse sum); the
//! part generated here gives it `pre` as one function of the two values it
//! reads, in the kernel's precision, and where the switch `dynamic` and the
//! static threshold `theta` are among the coupling's parameters:
//!
//! ```text
//! A = cpl_presig(x_j, theta_j)     (x_j the delayed value, theta_j the threshold, f32 in)
//! CplSum                           (the type of A and of its weighted sums: f64 or f32)
//! CPL_DYNAMIC, CPL_THETA           (indices for cp(k))
//! ```

use std::fmt::Write;

use crate::coupling::{CouplingProgram, Sum};
use crate::lower::Node;
use crate::wgsl::{operation, truth, Precision};

/// The coupling part of a kernel for coupling `cp` and a model with `ncvar`
/// coupled variables, right-hand side in `prec`. An error says why the
/// coupling has no kernel.
pub fn coupling(cp: &CouplingProgram, ncvar: usize, prec: Precision) -> Result<String, String> {
    let presig = cp.sum == Sum::PreSigmoidal;
    if cp.combine > ncvar {
        return Err(format!(
            "coupling {} reads {} coupled variables (x_j[0] … x_j[{}]) and the model has {ncvar}",
            cp.name,
            cp.combine,
            cp.combine - 1
        ));
    }
    let p = &cp.program;
    let is_bool = truth(p);
    let nt = if cp.combine > 0 { 1 } else { ncvar };
    // an input slot as WGSL, in `prec`
    let input = |slot: usize| -> Result<String, String> {
        let name = cp.inputs.get(slot).map(String::as_str).unwrap_or("");
        let v = match name {
            "x_j" | "theta_j" if presig => name.to_string(),
            "x_i" => "xi[k]".to_string(),
            "x_j" => "xj[k]".to_string(),
            "gx" => "gx".to_string(),
            "n_cvar" => "n_cvar".to_string(),
            _ => match name
                .strip_prefix("x_i[")
                .map(|r| ("xi", r))
                .or_else(|| name.strip_prefix("x_j[").map(|r| ("xj", r)))
                .and_then(|(a, r)| Some((a, r.strip_suffix(']')?.parse::<usize>().ok()?)))
            {
                Some((a, m)) => format!("{a}[{m}]"),
                None => {
                    return Err(format!(
                        "coupling {}: input `{name}` has no place in the Vulkan kernel",
                        cp.name
                    ))
                }
            },
        };
        Ok(match prec {
            Precision::F64 => format!("f64({v})"),
            Precision::F32 => v,
        })
    };
    let operand = |a: u32| -> String {
        match p.nodes[a as usize] {
            Node::Const(b) => prec.constant(f64::from_bits(b)),
            _ => format!("t{a}"),
        }
    };
    let expr = |i: usize| -> Result<String, String> {
        Ok(match p.nodes[i] {
            Node::Const(b) => prec.constant(f64::from_bits(b)),
            Node::Param(k) => match prec {
                Precision::F64 => format!("f64(cp({k}u))"),
                Precision::F32 => format!("cp({k}u)"),
            },
            Node::State(k) => input(k as usize)?,
            Node::Coupling(_) => {
                return Err(format!(
                    "coupling {}: a coupling term inside a coupling",
                    cp.name
                ))
            }
            ref n => operation(p, &is_bool, n, operand),
        })
    };
    // one function: the operations `root` needs, in program order; its
    // value returned in f32, or in `prec` (`keep`)
    let body = |root: u32, keep: bool, w: &mut String| -> Result<(), String> {
        let live = p.live_for(&[root]);
        for (i, l) in live.iter().enumerate() {
            if *l && !matches!(p.nodes[i], Node::Const(_)) {
                let _ = writeln!(w, "    let t{i} = {};", expr(i)?);
            }
        }
        let v = operand(root);
        let _ = match prec {
            Precision::F64 if !keep => writeln!(w, "    return f32({v});"),
            _ => writeln!(w, "    return {v};"),
        };
        Ok(())
    };
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "// coupling {}: generated from its declaration by brainstream-modeldecl (wgsl_coupling.rs); do not edit.",
        cp.name
    );
    let _ = writeln!(w, "// pre = {}; post = {}", cp.pre_text, cp.post_text);
    let _ = writeln!(w, "const NCP: u32 = {}u;", cp.n_values);
    let _ = writeln!(w, "const NT: u32 = {nt}u;");
    let _ = writeln!(w, "const CPL_COMBINE: bool = {};", cp.combine > 0);
    if presig {
        // the switch and the static threshold the presigmoidal sum reads
        // (checked declared by the coupling's compile)
        let offset = |name: &str| -> Result<usize, String> {
            cp.params
                .iter()
                .find(|q| q.name == name)
                .map(|q| q.offset)
                .ok_or_else(|| {
                    format!(
                        "coupling {}: the presigmoidal sum reads a parameter `{name}`",
                        cp.name
                    )
                })
        };
        let _ = writeln!(
            w,
            "// the presigmoidal sum (gpu/shaders/*_presigmoidal.wgsl): its switch and static threshold, its type"
        );
        let _ = writeln!(w, "const CPL_DYNAMIC: u32 = {}u;", offset("dynamic")?);
        let _ = writeln!(w, "const CPL_THETA: u32 = {}u;", offset("theta")?);
        let _ = writeln!(w, "alias CplSum = {};", prec.ty());
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "// Coupling parameter k of this thread's combination.");
    let _ = writeln!(w, "fn cp(k: u32) -> f32 {{");
    let _ = writeln!(
        w,
        "    return floats[ints[H_PARAMS] + (NP + k) * g_c + g_comb];"
    );
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);
    if presig {
        // post is gx (checked by the coupling's compile): the sums are the terms
        let _ = writeln!(w, "fn cpl_presig(x_j: f32, theta_j: f32) -> CplSum {{");
        body(cp.pre(), true, w)?;
        let _ = writeln!(w, "}}");
        return Ok(out);
    }
    let _ = writeln!(
        w,
        "fn cpl_pre(k: u32, xi: array<f32, NC>, xj: array<f32, NC>) -> f32 {{"
    );
    body(cp.pre(), false, w)?;
    let _ = writeln!(w, "}}");
    let _ = writeln!(w);
    let _ = writeln!(w, "fn cpl_post(gx: f32, n_cvar: f32) -> f32 {{");
    body(cp.post(), false, w)?;
    let _ = writeln!(w, "}}");
    Ok(out)
}
