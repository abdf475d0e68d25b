//! `brainstream list [NAME] [--json]`: the actor kinds, models, couplings,
//! integrators and spiking neuron models, all or one, as text or as JSON
//! for tools.
//!
//! The JSON document (`docs/design.md`, "The command line"), the
//! same shape for all entries and for one (`list --json NAME` keeps the
//! entries named NAME):
//!
//! ```json
//! { "format": 1,
//!   "kinds": [{ "name", "doc",
//!               "inputs":  [{ "name", "type", "doc" }],
//!               "outputs": [{ "name", "type", "doc" }],
//!               "params":  [{ "name", "type", "required", "default", "unit", "range", "doc" }] }],
//!   "models": [{ "name", "doc",
//!                "modes",
//!                "state_variables": [{ "name", "unit", "coupled", "initial_range" }],
//!                "coupled": [names], "observables": [names], "variables_of_interest": [names],
//!                "params": [{ "name", "len", "default", "unit", "range", "limits", "doc" }] }],
//!   "couplings":   [{ "name", "doc", "params": [same as models'] }],
//!   "integrators": [{ "name", "stochastic" }],
//!   "neurons": [{ "name", "doc", "weight_unit", "solvers": [names],
//!                 "receptors": [{ "id", "signs", "doc" }],
//!                 "params": [same as models'] }] }
//! ```
//!
//! `default` is a number, string or boolean, a list for a vector parameter,
//! or null (none: `required` says whether it must be given); `range` is the
//! documented range `[lo, hi]` (a hint for model parameters), `limits` what
//! the model can compute (always enforced); an infinite bound is null.
//! Fields may be added; none is renamed or removed without a new `format`.

use brainstream::models::coupling::COUPLINGS;
use brainstream::models::integrator::INTEGRATORS;
use brainstream::models::params::ParamDef;
use brainstream::models::spiking::stdp::TAU_MINUS;
use brainstream::models::spiking::{NeuronInfo, Signs, SynapseInfo, NEURONS, SYNAPSES};
use brainstream::models::{ModelInfo, MODELS};
use brainstream::runtime::params::{DefaultValue, ParamSpec};
use brainstream::runtime::KindSpec;
use serde_json::{json, Value};

/// Version of the JSON document's shape.
pub const FORMAT: u64 = 1;

/// The text or JSON of every entry, or of those named `name`; an unknown
/// name is an error listing the names, with the closest one.
pub fn list(name: Option<&str>, as_json: bool) -> Result<String, String> {
    let reg = brainstream::default_registry();
    let kinds: Vec<&KindSpec> = reg.kinds().collect();
    let want = |n: &str| name.is_none_or(|w| w == n);
    let k: Vec<&KindSpec> = kinds.iter().copied().filter(|k| want(k.name)).collect();
    let m: Vec<&ModelInfo> = MODELS.iter().copied().filter(|m| want(m.name)).collect();
    let c: Vec<_> = COUPLINGS.iter().filter(|c| want(c.name)).collect();
    let i: Vec<_> = INTEGRATORS.iter().filter(|i| want(i.0)).collect();
    let ns: Vec<&NeuronInfo> = NEURONS.iter().filter(|n| want(n.name)).collect();
    let syn: Vec<&SynapseInfo> = SYNAPSES.iter().filter(|s| want(s.name)).collect();
    if let Some(n) = name {
        if k.is_empty()
            && m.is_empty()
            && c.is_empty()
            && i.is_empty()
            && ns.is_empty()
            && syn.is_empty()
        {
            let all: Vec<&str> = kinds
                .iter()
                .map(|k| k.name)
                .chain(MODELS.iter().map(|m| m.name))
                .chain(COUPLINGS.iter().map(|c| c.name))
                .chain(INTEGRATORS.iter().map(|i| i.0))
                .chain(NEURONS.iter().map(|n| n.name))
                .chain(SYNAPSES.iter().map(|s| s.name))
                .collect();
            let close = all
                .iter()
                .find(|a| a.eq_ignore_ascii_case(n))
                .copied()
                .or_else(|| brainstream::runtime::params::closest(n, &all));
            return Err(format!(
                "no actor kind, model, coupling, integrator, neuron or synapse model `{n}`{}\n  hint: `brainstream list` shows them all",
                close.map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
            ));
        }
    }
    if as_json {
        let doc = json!({
            "format": FORMAT,
            "kinds": k.iter().map(|k| kind_json(k)).collect::<Vec<_>>(),
            "models": m.iter().map(|m| model_json(m)).collect::<Vec<_>>(),
            "couplings": c.iter().map(|c| json!({
                "name": c.name,
                "doc": c.doc,
                "params": c.params.iter().map(param_def_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "integrators": i.iter().map(|(n, _, st)| json!({"name": n, "stochastic": st})).collect::<Vec<_>>(),
            "neurons": ns.iter().map(|n| neuron_json(n)).collect::<Vec<_>>(),
            "synapses": syn.iter().map(|s| json!({
                "name": s.name,
                "doc": s.doc,
                "params": s.params.iter().map(param_def_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        return Ok(serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    let mut out = String::new();
    let all = name.is_none();
    if !k.is_empty() {
        if all {
            out += "ACTOR KINDS\n\n";
        }
        for k in &k {
            out += &kind_text(k, all);
            out += "\n";
        }
    }
    if !m.is_empty() {
        if all {
            out += "MODELS (mean_field.model; parameters go in model_params; `brainstream model show NAME` prints one's declaration)\n\n";
        }
        for m in &m {
            out += &model_text(m, all);
            out += "\n";
        }
    }
    if !c.is_empty() {
        if all {
            out += "COUPLINGS (mean_field.coupling; parameters go in coupling_params)\n\n";
        }
        for c in &c {
            if !all {
                out += "coupling (mean_field.coupling; parameters go in coupling_params)\n";
            }
            out += &format!("{} — {}\n", c.name, c.doc);
            for p in c.params {
                out += &format!(
                    "  {:<10} = {:<12} in [{}, {}]  {}\n",
                    p.name, p.default, p.lo, p.hi, p.doc
                );
            }
        }
    }
    if !i.is_empty() {
        out += if all {
            "\nINTEGRATORS (mean_field.integrator)\n\n"
        } else {
            "integrator (mean_field.integrator)\n"
        };
        for (n, _, st) in &i {
            out += &format!(
                "  {n}{}\n",
                if *st {
                    " (noise: additive|multiplicative, nsig, noise_seed, noise_ntau)"
                } else {
                    ""
                }
            );
        }
    }
    if !ns.is_empty() {
        out += if all {
            "\nSPIKING NEURON MODELS (spiking_network.model; parameters go in neuron_params or population_params.POPULATION)\n\n"
        } else {
            "spiking neuron model (spiking_network.model; parameters go in neuron_params or population_params.POPULATION)\n"
        };
        for n in &ns {
            out += &neuron_text(n);
            out += "\n";
        }
    }
    if !syn.is_empty() {
        out += if all {
            "\nSYNAPSE MODELS (spiking_network.connections[k].synapse = { model = \"…\", parameters }; default static)\n\n"
        } else {
            "synapse model (spiking_network.connections[k].synapse = { model = \"…\", parameters })\n"
        };
        for s in &syn {
            out += &format!("{} — {} (NEST 3.10)\n", s.name, s.doc);
            for p in s.params {
                out += &format!(
                    "  {:<14} = {:<12} {:<6} in [{}, {}]  {}\n",
                    p.name, p.default, p.unit, p.lo, p.hi, p.doc
                );
            }
            out += "\n";
        }
    }
    Ok(out)
}

fn neuron_text(n: &NeuronInfo) -> String {
    let mut s = format!("{} — {} (NEST 3.10)\n", n.name, n.doc);
    s += &format!("  weights in {}\n", n.weight_unit);
    // consecutive receptors alike (iaf_cond_ww_deco's external AMPA
    // synapses 1..=1000) on one line
    let mut k = 0;
    while k < n.receptors.len() {
        let r = &n.receptors[k];
        let mut last = k;
        while last + 1 < n.receptors.len() && n.receptors[last + 1].doc == r.doc {
            last += 1;
        }
        if last == k {
            s += &format!("  receptor {}: {}\n", r.id, r.doc);
        } else {
            let id = n.receptors[last].id;
            s += &format!("  receptors {}–{id}: {}\n", r.id, r.doc);
        }
        k = last + 1;
    }
    if !n.solvers.is_empty() {
        s += &format!("  solvers: {}\n", n.solvers.join(", "));
    }
    // a bound whose decimal form is long (gsl_error_tol's 1e-300) in exponent form
    let bound = |x: f64| {
        let d = x.to_string();
        if d.len() > 12 {
            format!("{x:e}")
        } else {
            d
        }
    };
    for p in n.params.iter().chain([&TAU_MINUS]) {
        s += &format!(
            "  {:<14} = {:<12} {:<6} in [{}, {}]  {}\n",
            p.name,
            p.default,
            p.unit,
            bound(p.lo),
            bound(p.hi),
            p.doc
        );
    }
    s
}

fn neuron_json(n: &NeuronInfo) -> Value {
    json!({
        "name": n.name,
        "doc": n.doc,
        "weight_unit": n.weight_unit,
        "solvers": n.solvers,
        "receptors": n.receptors.iter().map(|r| json!({
            "id": r.id,
            "signs": match r.signs { Signs::Either => "either", Signs::NonNegative => "non-negative" },
            "doc": r.doc,
        })).collect::<Vec<_>>(),
        "params": n.params.iter().chain([&TAU_MINUS]).map(param_def_json).collect::<Vec<_>>(),
    })
}

fn kind_text(k: &KindSpec, all: bool) -> String {
    let mut s = String::new();
    if !all {
        s += "actor kind (kind = \"…\" in [actors.NAME])\n";
    }
    s += &format!("{} — {}\n", k.name, k.doc);
    for p in k.inputs {
        s += &format!(
            "  input  {:<10} {:<8} {}\n",
            p.name,
            p.ty.to_string(),
            p.doc
        );
    }
    for p in k.outputs {
        s += &format!(
            "  output {:<10} {:<8} {}\n",
            p.name,
            p.ty.to_string(),
            p.doc
        );
    }
    for p in k.params {
        let range = p
            .range
            .map(|(a, b)| format!(" in [{a}, {b}]"))
            .unwrap_or_default();
        let unit = if p.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", p.unit)
        };
        let def = match p.default {
            DefaultValue::Optional | DefaultValue::Required => p.default.to_string(),
            d => format!("= {d}"),
        };
        s += &format!(
            "  param  {:<20} {:<11} {def}{unit}{range}\n         {}\n",
            p.name,
            p.ty.to_string(),
            p.doc
        );
    }
    s
}

fn model_text(m: &ModelInfo, all: bool) -> String {
    let mut s = String::new();
    if !all {
        s += "model (mean_field.model; parameters go in model_params; `brainstream model show NAME` prints its declaration)\n";
    }
    s += &format!("{} — {}\n", m.name, m.doc);
    if m.modes > 1 {
        s += &format!(
            "  modes: {} per region; `xi[k]` below is mode k of variable xi (a graph's `variables = [\"xi\"]` takes every mode)\n",
            m.modes
        );
    }
    let coupled: Vec<&str> = m.cvar.iter().map(|&i| m.state_variables[i]).collect();
    if all {
        s += &format!(
            "  state variables: {} (coupled: {})\n",
            m.state_variables.join(", "),
            coupled.join(", ")
        );
    } else {
        s += "  state variables:\n";
        for (k, v) in m.state_variables.iter().enumerate() {
            let unit = m.units.get(k).copied().unwrap_or("");
            let (lo, hi) = m.range.get(k).copied().unwrap_or((f64::NAN, f64::NAN));
            s += &format!(
                "    {:<10} {:<6} initial values in [{lo}, {hi}]{}\n",
                v,
                unit,
                if m.cvar.contains(&k) { ", coupled" } else { "" }
            );
        }
        s += &format!("  coupled variables: {}\n", coupled.join(", "));
        s += &format!(
            "  observables: {}\n",
            if m.observables.is_empty() {
                "none".to_string()
            } else {
                m.observables.join(", ")
            }
        );
        s += &format!("  variables of interest (default): {}\n", m.voi.join(", "));
        s += "  parameters:\n";
    }
    for p in m.params {
        let (name, default) = if p.is_vector() {
            (
                format!("{}[{}]", p.name, p.len),
                format!("[{}, …]", p.default),
            )
        } else {
            (p.name.to_string(), p.default.to_string())
        };
        // the range is a hint; what the model cannot compute is refused
        let limits = match (p.min.is_finite(), p.max.is_finite()) {
            _ if all || (p.min, p.max) == (p.lo, p.hi) => String::new(),
            (false, false) => String::new(),
            (true, false) => format!(" (refused below {})", p.min),
            (false, true) => format!(" (refused above {})", p.max),
            (true, true) => format!(" (refused outside [{}, {}])", p.min, p.max),
        };
        s += &format!(
            "{}{:<14} = {:<12} {:<6} in [{}, {}]{limits}  {}\n",
            if all { "  " } else { "    " },
            name,
            default,
            p.unit,
            p.lo,
            p.hi,
            p.doc
        );
    }
    s
}

/// A bound as JSON: null where infinite (or NaN).
fn bound(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

fn kind_json(k: &KindSpec) -> Value {
    let port = |p: &brainstream::runtime::PortDecl| json!({"name": p.name, "type": p.ty.to_string(), "doc": p.doc});
    json!({
        "name": k.name,
        "doc": k.doc,
        "inputs": k.inputs.iter().map(port).collect::<Vec<_>>(),
        "outputs": k.outputs.iter().map(port).collect::<Vec<_>>(),
        "params": k.params.iter().map(param_spec_json).collect::<Vec<_>>(),
    })
}

fn param_spec_json(p: &ParamSpec) -> Value {
    let default = match p.default {
        DefaultValue::Required | DefaultValue::Optional => Value::Null,
        DefaultValue::Float(v) => bound(v),
        DefaultValue::Int(v) => json!(v),
        DefaultValue::Bool(v) => json!(v),
        DefaultValue::Str(v) => json!(v),
    };
    json!({
        "name": p.name,
        "type": p.ty.to_string(),
        "required": p.default == DefaultValue::Required,
        "default": default,
        "unit": p.unit,
        "range": p.range.map(|(a, b)| json!([bound(a), bound(b)])),
        "doc": p.doc,
    })
}

fn param_def_json(p: &ParamDef) -> Value {
    let default = if p.is_vector() {
        json!(p
            .default_values()
            .iter()
            .map(|v| bound(*v))
            .collect::<Vec<_>>())
    } else {
        bound(p.default)
    };
    json!({
        "name": p.name,
        "len": p.len,
        "default": default,
        "unit": p.unit,
        "range": [bound(p.lo), bound(p.hi)],
        "limits": [bound(p.min), bound(p.max)],
        "doc": p.doc,
    })
}

fn model_json(m: &ModelInfo) -> Value {
    json!({
        "name": m.name,
        "doc": m.doc,
        "modes": m.modes,
        "state_variables": m.state_variables.iter().enumerate().map(|(k, v)| {
            let (lo, hi) = m.range.get(k).copied().unwrap_or((f64::NAN, f64::NAN));
            json!({
                "name": v,
                "unit": m.units.get(k).copied().unwrap_or(""),
                "coupled": m.cvar.contains(&k),
                "initial_range": [bound(lo), bound(hi)],
            })
        }).collect::<Vec<_>>(),
        "coupled": m.cvar.iter().map(|&i| m.state_variables[i]).collect::<Vec<_>>(),
        "observables": m.observables,
        "variables_of_interest": m.voi,
        "params": m.params.iter().map(param_def_json).collect::<Vec<_>>(),
    })
}
