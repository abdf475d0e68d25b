//! A `mean_field` actor's `model_params`: each value as a graph writes it,
//! checked against the model's declaration and the connectome.
//!
//! ```toml
//! model_params = { J_N = 0.2609 }                        # every region
//! model_params = { J_N = [0.26, 0.27, ...] }             # one per region (N values)
//! model_params = { J_N = { default = 0.2609, regions = { rM1 = 0.3, "5" = 0.28 } } }
//! model_params = { J_N = { file = "params.csv", column = "J_N" } }   # a CSV column, one row per region
//! model_params = { P_e = [...10 values...] }            # a vector parameter, whole
//! model_params = { "P_e[3]" = 0.01 }                     # one element (also per region, as above)
//! ```
//! Regions are named by label or index; a CSV has a header line naming its
//! columns and one row per region in the connectome's order (an optional
//! `label` column is checked against the connectome's labels). A value
//! outside the parameter's documented range (tvb-library's domain: a hint)
//! is used with a warning, or refused where the graph sets
//! `simulation.strict_ranges` (`--strict`); one outside its hard limits
//! (what the model cannot compute) or not finite is always refused. Errors
//! name the key (`model_params.J_N.regions.rM1`) or the file's line and
//! column.

use std::path::Path;

use brainstream_models::{ModelError, ModelInfo, ParamSet};
use brainstream_runtime::{BuildError, Params, TableValue};

/// Largest CSV of per-region values read, bytes.
const MAX_CSV_BYTES: u64 = 64 << 20;

fn err(key: &str, e: ModelError) -> BuildError {
    match &e {
        ModelError::UnknownParameter { .. } => BuildError::at(key, e.to_string())
            .hint("`brainstream list` shows every model's parameters"),
        ModelError::ParameterOutOfRange { .. } => BuildError::at(key, e.to_string()).hint(
            "the range is the documented one (tvb-library's domain); without simulation.strict_ranges (--strict) it is used with a warning",
        ),
        _ => BuildError::at(key, e.to_string()),
    }
}

/// Whether `name` is a scalar (or one element of a vector) of the model.
fn is_scalar(info: &ModelInfo, name: &str) -> bool {
    let base = name.split('[').next().unwrap_or(name);
    match info.params.iter().find(|p| p.name == base) {
        Some(p) => !p.is_vector() || name.contains('['),
        None => true, // unknown: ParamSet names it
    }
}

/// The model parameters of a `mean_field` actor, for a connectome with
/// region `labels`.
pub fn model_params(
    p: &Params,
    info: &ModelInfo,
    labels: &[String],
) -> Result<ParamSet, BuildError> {
    let n = labels.len();
    let mut ps = ParamSet::defaults(info.params);
    ps.set_strict(p.strict_ranges());
    for (k, v) in p.value_table("model_params")? {
        let key = format!("model_params.{k}");
        match v {
            TableValue::Number(x) => ps.set(info.name, &k, x).map_err(|e| err(&key, e))?,
            TableValue::List(xs) if is_scalar(info, &k) => {
                if xs.len() != n {
                    return Err(BuildError::at(
                        &key,
                        format!(
                            "{} values given; a list gives one value per region and the connectome has {n}",
                            xs.len()
                        ),
                    )
                    .hint("one number for every region, or { default = …, regions = { LABEL = … } }"));
                }
                ps.set_regional(info.name, &k, &xs)
                    .map_err(|e| err(&key, e))?;
            }
            TableValue::List(xs) => ps
                .set_vector(info.name, &k, &xs)
                .map_err(|e| err(&key, e))?,
            TableValue::Table(t) => {
                let values = regional_table(p.base_dir(), &key, &t, labels)?;
                match values {
                    Regional::Uniform(x) => ps.set(info.name, &k, x).map_err(|e| err(&key, e))?,
                    Regional::PerRegion(xs) => ps
                        .set_regional(info.name, &k, &xs)
                        .map_err(|e| err(&key, e))?,
                }
            }
        }
    }
    for note in ps.take_notes() {
        tracing::warn!("{note}");
    }
    Ok(ps)
}

enum Regional {
    Uniform(f64),
    PerRegion(Vec<f64>),
}

fn number(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// `{ default = x, regions = { LABEL = y } }` or `{ file = "…", column = "…" }`.
fn regional_table(
    base: &Path,
    key: &str,
    t: &toml::Table,
    labels: &[String],
) -> Result<Regional, BuildError> {
    let n = labels.len();
    for k in t.keys() {
        if !["default", "regions", "file", "column"].contains(&k.as_str()) {
            return Err(BuildError::at(format!("{key}.{k}"), format!("unknown key `{k}`"))
                .hint("{ default = …, regions = { LABEL = … } } or { file = \"….csv\", column = \"…\" }"));
        }
    }
    if let Some(f) = t.get("file") {
        let file = f.as_str().ok_or_else(|| {
            BuildError::at(format!("{key}.file"), "expected the path of a CSV file")
        })?;
        let column = t.get("column").and_then(|c| c.as_str()).ok_or_else(|| {
            BuildError::at(key, "a CSV needs `column`, the name of its column to read")
        })?;
        if t.contains_key("default") || t.contains_key("regions") {
            return Err(BuildError::at(
                key,
                "give either a file and its column, or a default and regions",
            ));
        }
        return read_column(&base.join(file), file, column, labels)
            .map(Regional::PerRegion)
            .map_err(|m| BuildError::at(format!("{key}.file"), m));
    }
    let default = match t.get("default") {
        Some(v) => number(v)
            .ok_or_else(|| BuildError::at(format!("{key}.default"), "expected a number"))?,
        None => {
            return Err(BuildError::at(
                key,
                "missing `default` (the value of the regions not named)",
            ))
        }
    };
    let Some(regions) = t.get("regions") else {
        return Ok(Regional::Uniform(default));
    };
    let regions = regions.as_table().ok_or_else(|| {
        BuildError::at(
            format!("{key}.regions"),
            "expected a table { LABEL = value }",
        )
    })?;
    let mut v = vec![default; n];
    for (r, x) in regions {
        let rkey = format!("{key}.regions.{r}");
        let i = match labels.iter().position(|l| l == r) {
            Some(i) => i,
            None => match r.parse::<usize>() {
                Ok(i) if i < n => i,
                _ => {
                    let near = labels
                        .iter()
                        .filter(|l| l.to_lowercase().contains(&r.to_lowercase()))
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>();
                    let mut e = BuildError::at(
                        &rkey,
                        format!(
                            "no region `{r}` (labels of the connectome, or indices 0 to {})",
                            n.saturating_sub(1)
                        ),
                    );
                    if !near.is_empty() {
                        e = e.hint(format!("labels like it: {}", near.join(", ")));
                    }
                    return Err(e);
                }
            },
        };
        v[i] = number(x).ok_or_else(|| BuildError::at(&rkey, "expected a number"))?;
    }
    Ok(Regional::PerRegion(v))
}

/// Column `column` of a CSV with a header line, one row per region.
fn read_column(
    path: &Path,
    shown: &str,
    column: &str,
    labels: &[String],
) -> Result<Vec<f64>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown}: not a regular file"));
    }
    if meta.len() > MAX_CSV_BYTES {
        return Err(format!(
            "{shown}: {} bytes, more than the {MAX_CSV_BYTES} read",
            meta.len()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((hl, header)) = lines.next() else {
        return Err(format!("{shown}: empty"));
    };
    let names: Vec<&str> = header.split(',').map(|s| s.trim()).collect();
    let col = names.iter().position(|c| *c == column).ok_or_else(|| {
        format!(
            "{shown}:{}:1: no column `{column}` (columns: {})",
            hl + 1,
            names.join(", ")
        )
    })?;
    let label_col = names.iter().position(|c| *c == "label");
    let mut out = Vec::with_capacity(labels.len());
    for (ln, line) in lines {
        let cells: Vec<&str> = line.split(',').map(|s| s.trim()).collect();
        if out.len() == labels.len() {
            return Err(format!(
                "{shown}:{}:1: more rows than the connectome's {} regions",
                ln + 1,
                labels.len()
            ));
        }
        let cell = |c: usize| {
            cells.get(c).copied().ok_or_else(|| {
                format!(
                    "{shown}:{}: {} cells, the header names {}",
                    ln + 1,
                    cells.len(),
                    names.len()
                )
            })
        };
        if let Some(lc) = label_col {
            let l = cell(lc)?;
            let want = &labels[out.len()];
            if l != want {
                return Err(format!(
                    "{shown}:{}: row {} is labelled {:?}, the connectome's region {} is `{want}` (rows follow the connectome's order)",
                    ln + 1,
                    out.len(),
                    l.chars().take(40).collect::<String>(),
                    out.len()
                ));
            }
        }
        let s = cell(col)?;
        let col_at = line
            .split(',')
            .take(col)
            .map(|c| c.len() + 1)
            .sum::<usize>()
            + 1;
        let x: f64 = s
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .ok_or_else(|| format!("{shown}:{}:{col_at}: expected a finite number", ln + 1))?;
        out.push(x);
    }
    if out.len() != labels.len() {
        return Err(format!(
            "{shown}: {} rows, the connectome has {} regions",
            out.len(),
            labels.len()
        ));
    }
    Ok(out)
}
