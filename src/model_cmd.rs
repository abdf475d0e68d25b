//! `brainstream model show NAME` and `brainstream model check FILE`.

use std::path::Path;

use brainstream::models::MODELS;

/// The declaration of built-in model `name`, exactly as a user's file is
/// written (`brainstream model show Generic2dOscillator > mine.toml`).
pub fn show(name: &str) -> Result<String, String> {
    match MODELS.iter().find(|m| m.name == name) {
        Some(m) => Ok(m.source.to_string()),
        None => Err(format!(
            "no built-in model `{name}` (models: {})",
            MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Checks a declaration: a summary, with its warnings, or every problem.
pub fn check(path: &Path) -> Result<String, String> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if meta.len() > brainstream::models::user_model::MAX_DECLARATION_BYTES {
        return Err(format!(
            "{shown}: {} bytes, more than a declaration may have",
            meta.len()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    let (p, warnings) =
        brainstream::models::modeldecl::compile(&shown, &text).map_err(|e| e.to_string())?;
    let mut out = format!(
        "{shown}: model {} checks: {} state variable(s) ({}), coupled {}, {} parameter(s), {} operations",
        p.name,
        p.states.len(),
        p.states.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
        p.cvar.iter().map(|&k| p.states[k].name.as_str()).collect::<Vec<_>>().join(", "),
        p.params.len(),
        p.live().iter().filter(|l| **l).count(),
    );
    if MODELS.iter().any(|m| m.name == p.name) {
        out += &format!(
            "\nnote: `{}` is a built-in model's name: give your copy another name to use it in a graph",
            p.name
        );
    }
    if let Some(w) = warnings {
        for line in w.to_string().lines() {
            out += &format!("\nwarning: {line}");
        }
    }
    Ok(out)
}
