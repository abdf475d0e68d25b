//! Steering from another actor: an actor's `control` input (port type
//! [`PortType::Control`]) takes parameter changes from whatever actor feeds
//! it (a controller kind such as `proportional_control`), and the
//! scheduler applies them between windows, exactly as the live view's
//! changes are applied ([`Actor::steer`], docs/live.md).
//!
//! What travels on a control edge is a series window: one variable per
//! steerable key of the target (`coupling_params.a`, the key without the
//! actor's name), one node, the sample stamped `k` holding the new values
//! from step `k` on, NaN for a key it leaves as it is. After the edge's
//! delay `D`, the samples stamped `k + D ∈ [s0, s0 + n)` are delivered
//! with window `w` (steps `s0 … s0 + n − 1`) and applied before window `w`,
//! in stamp order, then variable order: a change takes effect at the start
//! of the window that holds its (delayed) stamp. A controller that stamps
//! its change at a window boundary, over an edge whose delay is a whole
//! number of windows, gets it applied exactly at its stamp.
//!
//! Every change applied is reported to the run's hooks
//! ([`WindowHook::steered`](crate::WindowHook::steered)), which write it to
//! the run's events (`steering.jsonl`: window, key, old, new, source): a
//! replay of those events without the controller gives the same run bit
//! for bit, since what an actor computes depends only on its inputs, its
//! own state and the changes applied before each of its windows.
//!
//! Validation refuses, by name, an edge into `control` of an actor whose
//! kind takes none, a producer port of another type, a target with nothing
//! steerable, and keys the target cannot change when the producer declares
//! them before the run ([`PortShape::names`](crate::PortShape)); keys known
//! only at run time are checked at the first window that carries them.

use std::collections::BTreeMap;

use crate::actor::{Actor, PortDecl, PortShape};
use crate::error::ActorError;
use crate::graph::validate::{BuiltActor, ResolvedEdge};
use crate::payload::{Payload, PortType};

/// The name of the input port that takes parameter changes.
pub const PORT: &str = "control";

/// The `control` input a steerable kind declares.
pub const INPUT: PortDecl = PortDecl {
    name: PORT,
    ty: PortType::Control,
    doc: "parameter changes from another actor (one variable per steerable key, e.g. coupling_params.a, one node; NaN leaves a key as it is), applied before the window their stamp falls in and written to steering.jsonl",
    end_stamped: false,
};

/// One change applied from a `control` input.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The parameter, as [`Actor::steerable`] names it (`coupling_params.a`).
    pub key: String,
    /// Its value until now.
    pub old: f64,
    /// Its value from this window on.
    pub new: f64,
    /// The producer's port, `ACTOR.PORT` (`ctrl.control`).
    pub source: String,
    /// The sample's stamp on arrival (after the edge's delay), steps.
    pub stamp: u64,
}

/// Why `key` cannot be steered on `target` (of `kind`): "`KEY` of
/// `TARGET` (KIND) " and [`refusal`], or that nothing can change.
pub fn not_steerable(
    key: &str,
    target: &str,
    kind: &str,
    steerable: &[String],
    fixed: &[(String, String)],
) -> String {
    if steerable.is_empty() {
        format!(
            "`{key}`: actor `{target}` ({kind}) has no parameter that can change during a run{}",
            reason(key, fixed)
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )
    } else {
        format!(
            "`{key}` of `{target}` ({kind}) {}",
            refusal(key, steerable, fixed)
        )
    }
}

/// The actor's reason for fixing `key` for the run, if it gives one
/// ([`Actor::unsteerable`]: a key, or a table covering `TABLE.x` and
/// `TABLE[k]…`).
pub fn reason<'a>(key: &str, fixed: &'a [(String, String)]) -> Option<&'a str> {
    fixed
        .iter()
        .find(|(k, _)| {
            key == k
                || key
                    .strip_prefix(k.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
        .map(|(_, r)| r.as_str())
}

/// "cannot change during a run: REASON; these can: KEYS" for `key`, not
/// among the actor's `steerable` keys (not empty), with the actor's reason
/// when `fixed` gives one.
pub fn refusal(key: &str, steerable: &[String], fixed: &[(String, String)]) -> String {
    format!(
        "cannot change during a run{}; these can: {}",
        reason(key, fixed)
            .map(|r| format!(": {r}"))
            .unwrap_or_default(),
        steerable_list(steerable)
    )
}

/// Steerable keys for a message, in their order: a group of more than
/// three keys under one table is written once, `model_params.{a, b, d, w}`.
pub fn steerable_list(keys: &[String]) -> String {
    let table = |k: &str| k.rfind('.').map(|i| k[..i].to_string());
    let mut out: Vec<String> = vec![];
    let mut i = 0;
    while i < keys.len() {
        let t = table(&keys[i]);
        let mut j = i + 1;
        while j < keys.len() && t.is_some() && table(&keys[j]) == t {
            j += 1;
        }
        match t {
            Some(t) if j - i > 3 => out.push(format!(
                "{t}.{{{}}}",
                keys[i..j]
                    .iter()
                    .map(|k| &k[t.len() + 1..])
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => out.extend(keys[i..j].iter().cloned()),
        }
        i = j;
    }
    out.join(", ")
}

/// Applies the changes `payload` carries (what the `control` input from
/// `source` delivers for window `window`) to `actor` (`target`, of `kind`),
/// in stamp order; returns them. An unknown key, a non-finite value other
/// than NaN, a window of the wrong shape or a value the actor refuses is an
/// error naming the key and the cause; the changes before it stay applied.
pub(crate) fn apply(
    actor: &mut dyn Actor,
    target: &str,
    kind: &str,
    payload: &Payload,
    source: &str,
    window: u64,
) -> Result<Vec<Applied>, ActorError> {
    let at = |m: String| {
        ActorError::new(format!(
            "control input (from `{source}`) before window {window}: {m}"
        ))
    };
    let Payload::Series(s) = payload else {
        return Err(at(
            "spikes arrived where parameter changes were expected".into()
        ));
    };
    let (ns, nv, nn) = s.data.dim();
    if ns != s.stamps.len() || nv != s.meta.variables.len() {
        return Err(at(format!(
            "a window of {} samples and {} keys holds {ns}×{nv} values (the keys must stay the same from window to window)",
            s.stamps.len(),
            s.meta.variables.len()
        )));
    }
    if nn != 1 {
        return Err(at(format!(
            "{nn} nodes per sample; a control series has one (one value per key)"
        )));
    }
    if ns == 0 {
        return Ok(vec![]);
    }
    let steerable = actor.steerable();
    for key in &s.meta.variables {
        if !steerable.iter().any(|k| k == key) {
            return Err(at(not_steerable(
                key,
                target,
                kind,
                &steerable,
                &actor.unsteerable(),
            )));
        }
    }
    let mut applied = vec![];
    for (i, &stamp) in s.stamps.iter().enumerate() {
        for (v, key) in s.meta.variables.iter().enumerate() {
            let new = s.data[[i, v, 0]];
            if new.is_nan() {
                continue;
            }
            if !new.is_finite() {
                return Err(at(format!(
                    "`{key}` = {new} (stamp {stamp}) is not a finite number"
                )));
            }
            let old = actor
                .steer(key, new)
                .map_err(|e| at(format!("`{key}` = {new} (stamp {stamp}) refused: {e}")))?;
            applied.push(Applied {
                key: key.clone(),
                old,
                new,
                source: source.to_string(),
                stamp,
            });
        }
    }
    Ok(applied)
}

/// A problem with a control edge: (edge index, message, hint).
pub(crate) type EdgeProblem = (usize, String, Option<String>);

/// Checks every edge into a `control` input before the run (`edges` are
/// all the graph's, in the file's order): the target can be steered, and
/// the keys its producer declares (when it declares them) are keys the
/// target can change, one value per key.
pub(crate) fn check_edges(
    actors: &[BuiltActor],
    edges: &[ResolvedEdge],
    shapes: &[BTreeMap<&'static str, PortShape>],
) -> Vec<EdgeProblem> {
    let mut problems = vec![];
    for (k, e) in edges.iter().enumerate() {
        if e.ty != PortType::Control {
            continue;
        }
        let (src, dst) = (&actors[e.from], &actors[e.to]);
        let steerable = dst.actor.steerable();
        if steerable.is_empty() {
            problems.push((
                k,
                format!(
                    "`{}` ({}) cannot be steered as configured: none of its parameters can change during a run",
                    dst.name, dst.kind.name
                ),
                Some("docs/live.md lists what each kind can change".into()),
            ));
            continue;
        }
        let Some(shape) = shapes.get(e.from).and_then(|s| s.get(e.from_port)) else {
            continue;
        };
        if let Some(names) = &shape.names {
            for key in &names.variables {
                if !steerable.iter().any(|s| s == key) {
                    problems.push((
                        k,
                        format!(
                            "`{}.{}` sends `{key}`, which `{}` ({}) {}",
                            src.name,
                            e.from_port,
                            dst.name,
                            dst.kind.name,
                            refusal(key, &steerable, &dst.actor.unsteerable())
                        ),
                        None,
                    ));
                }
            }
        }
        if let Some(n) = shape.nodes.filter(|&n| n != 1) {
            problems.push((
                k,
                format!(
                    "`{}.{}` sends {n} nodes per sample; a control series has one value per key",
                    src.name, e.from_port
                ),
                None,
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::{Inputs, Outputs, WindowInfo};
    use crate::payload::{Series, SeriesMeta};
    use ndarray::Array3;
    use std::sync::Arc;

    /// An actor with one steerable parameter `gain` that refuses negative values.
    struct Knob(f64);

    impl Actor for Knob {
        fn step(&mut self, _: &WindowInfo, _: &Inputs, _: &mut Outputs) -> Result<(), ActorError> {
            Ok(())
        }
        fn steerable(&self) -> Vec<String> {
            vec!["gain".into()]
        }
        fn steer(&mut self, key: &str, value: f64) -> Result<f64, ActorError> {
            if key != "gain" {
                return Err(ActorError::new("unknown"));
            }
            if value < 0.0 {
                return Err(ActorError::new("must be ≥ 0"));
            }
            Ok(std::mem::replace(&mut self.0, value))
        }
    }

    fn changes(keys: &[&str], stamps: Vec<u64>, values: Vec<f64>) -> Payload {
        let nv = keys.len();
        let data = Array3::from_shape_vec((stamps.len(), nv, 1), values).unwrap();
        Payload::Series(Arc::new(Series {
            times_ms: stamps.iter().map(|&k| k as f64 * 0.1).collect(),
            stamps,
            data,
            meta: Arc::new(SeriesMeta::new(
                keys.iter().map(|k| k.to_string()).collect(),
                vec!["value".into()],
                "",
            )),
        }))
    }

    #[test]
    fn changes_apply_in_stamp_order_and_nan_leaves_a_key_alone() {
        let mut k = Knob(1.0);
        let p = changes(&["gain"], vec![10, 12, 15], vec![2.0, f64::NAN, 3.0]);
        let a = apply(&mut k, "knob", "test", &p, "ctrl.control", 1).unwrap();
        assert_eq!(
            a.iter()
                .map(|c| (c.old, c.new, c.stamp))
                .collect::<Vec<_>>(),
            vec![(1.0, 2.0, 10), (2.0, 3.0, 15)]
        );
        assert_eq!(k.0, 3.0);
        assert!(a
            .iter()
            .all(|c| c.key == "gain" && c.source == "ctrl.control"));
    }

    #[test]
    fn bad_changes_are_refused_naming_the_key_and_the_cause() {
        let mut k = Knob(1.0);
        let e = apply(
            &mut k,
            "knob",
            "test",
            &changes(&["gian"], vec![10], vec![2.0]),
            "ctrl.control",
            1,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "control input (from `ctrl.control`) before window 1: `gian` of `knob` (test) cannot change during a run; these can: gain"
        );
        let e = apply(
            &mut k,
            "knob",
            "test",
            &changes(&["gain"], vec![10], vec![f64::INFINITY]),
            "ctrl.control",
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.ends_with("`gain` = inf (stamp 10) is not a finite number"),
            "{e}"
        );
        let e = apply(
            &mut k,
            "knob",
            "test",
            &changes(&["gain"], vec![10], vec![-1.0]),
            "ctrl.control",
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.ends_with("`gain` = -1 (stamp 10) refused: must be ≥ 0"),
            "{e}"
        );
        assert_eq!(k.0, 1.0, "nothing refused was applied");
    }
}
