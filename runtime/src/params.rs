//! Declared parameters of actor kinds: one table per kind drives both
//! validation and `brainstream list`.

use std::path::{Path, PathBuf};

/// A value of a nested table of numbers: a number, a list of numbers, or
/// a table (interpreted by the kind, e.g. per-region values).
#[derive(Debug, Clone, PartialEq)]
pub enum TableValue {
    Number(f64),
    List(Vec<f64>),
    Table(toml::Table),
}

/// Value type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Float,
    Int,
    Bool,
    Str,
    /// A file or directory, relative to the graph file.
    Path,
    FloatList,
    StrList,
    /// A list of region indices (integers) or region labels (strings).
    NodeList,
    /// A nested table (e.g. model parameters), checked by the kind itself.
    Table,
    /// A list of tables (e.g. connection rules), checked by the kind itself.
    TableList,
    /// One number per region: a list of N numbers, or a table of region
    /// labels to numbers (the others taking a default).
    RegionValues,
}

impl std::fmt::Display for ParamType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParamType::Float => "float",
            ParamType::Int => "int",
            ParamType::Bool => "bool",
            ParamType::Str => "string",
            ParamType::Path => "path",
            ParamType::FloatList => "float list",
            ParamType::StrList => "string list",
            ParamType::NodeList => "list of region indices or labels",
            ParamType::Table => "table",
            ParamType::TableList => "list of tables",
            ParamType::RegionValues => {
                "list of one number per region, or table of region labels to numbers"
            }
        })
    }
}

/// Default of a parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// Must be given.
    Required,
    /// May be absent; the kind decides.
    Optional,
    Float(f64),
    Int(i64),
    Bool(bool),
    Str(&'static str),
}

impl std::fmt::Display for DefaultValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DefaultValue::Required => f.write_str("(required)"),
            DefaultValue::Optional => f.write_str("(optional)"),
            DefaultValue::Float(v) => write!(f, "{v}"),
            DefaultValue::Int(v) => write!(f, "{v}"),
            DefaultValue::Bool(v) => write!(f, "{v}"),
            DefaultValue::Str(v) => write!(f, "\"{v}\""),
        }
    }
}

/// One declared parameter of an actor kind.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamType,
    pub default: DefaultValue,
    /// Inclusive numeric range, for floats and ints.
    pub range: Option<(f64, f64)>,
    pub unit: &'static str,
    pub doc: &'static str,
}

/// A problem with one parameter, or with the actor's configuration as a whole
/// (`key` empty).
#[derive(Debug, Clone, PartialEq)]
pub struct BuildError {
    /// Key path inside the actor's table, e.g. `model_params.J_N`.
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

impl BuildError {
    /// A problem at `key`.
    pub fn at(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
            hint: None,
        }
    }
    /// Adds a hint.
    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
}

/// Typed access to an actor's parameter table, with the declared defaults.
#[derive(Debug)]
pub struct Params<'a> {
    table: &'a toml::Table,
    specs: &'static [ParamSpec],
    base_dir: &'a Path,
    strict_ranges: bool,
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

impl<'a> Params<'a> {
    /// Wraps `table` (the actor's table minus `kind`).
    pub fn new(table: &'a toml::Table, specs: &'static [ParamSpec], base_dir: &'a Path) -> Self {
        Self {
            table,
            specs,
            base_dir,
            strict_ranges: false,
        }
    }

    /// With the graph's `simulation.strict_ranges`: whether model parameters
    /// outside their documented range are refused (else warned about).
    pub fn with_strict_ranges(mut self, on: bool) -> Self {
        self.strict_ranges = on;
        self
    }

    /// Whether model parameters outside their documented range are refused.
    pub fn strict_ranges(&self) -> bool {
        self.strict_ranges
    }

    /// Checks names, types, ranges and required parameters; returns every
    /// problem.
    pub fn check(&self) -> Vec<BuildError> {
        let mut errs = vec![];
        for (k, v) in self.table {
            if k == "kind" {
                continue;
            }
            let Some(spec) = self.specs.iter().find(|s| s.name == k) else {
                let known: Vec<_> = self.specs.iter().map(|s| s.name).collect();
                let mut e = BuildError::at(k, format!("unknown parameter `{k}`"));
                e.hint = Some(match closest(k, &known) {
                    Some(c) => format!("did you mean `{c}`? (known: {})", known.join(", ")),
                    None => format!("known parameters: {}", known.join(", ")),
                });
                errs.push(e);
                continue;
            };
            if let Err(e) = check_value(spec, v) {
                errs.push(e);
            }
        }
        for s in self.specs {
            if s.default == DefaultValue::Required && !self.table.contains_key(s.name) {
                errs.push(
                    BuildError::at("", format!("missing required parameter `{}`", s.name))
                        .hint(format!("{}: {}", s.name, s.doc)),
                );
            }
        }
        errs
    }

    fn spec(&self, name: &str) -> &ParamSpec {
        self.specs
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("kind reads undeclared parameter `{name}`"))
    }

    /// Whether the parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.table.contains_key(name)
    }

    /// Raw value, if given.
    pub fn raw(&self, name: &str) -> Option<&'a toml::Value> {
        self.table.get(name)
    }

    /// A float (integers accepted), or its declared default.
    pub fn f64(&self, name: &str) -> Result<f64, BuildError> {
        match self.table.get(name) {
            Some(v) => as_f64(v).ok_or_else(|| {
                BuildError::at(name, format!("expected a number, got {}", type_name(v)))
            }),
            None => match self.spec(name).default {
                DefaultValue::Float(d) => Ok(d),
                DefaultValue::Int(d) => Ok(d as f64),
                _ => Err(BuildError::at("", format!("missing parameter `{name}`"))),
            },
        }
    }

    /// An optional float.
    pub fn opt_f64(&self, name: &str) -> Result<Option<f64>, BuildError> {
        if self.has(name) || !matches!(self.spec(name).default, DefaultValue::Optional) {
            self.f64(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// An integer, or its declared default.
    pub fn i64(&self, name: &str) -> Result<i64, BuildError> {
        match self.table.get(name) {
            Some(toml::Value::Integer(i)) => Ok(*i),
            Some(v) => Err(BuildError::at(
                name,
                format!("expected an integer, got {}", type_name(v)),
            )),
            None => match self.spec(name).default {
                DefaultValue::Int(d) => Ok(d),
                _ => Err(BuildError::at("", format!("missing parameter `{name}`"))),
            },
        }
    }

    /// A boolean, or its declared default.
    pub fn bool(&self, name: &str) -> Result<bool, BuildError> {
        match self.table.get(name) {
            Some(toml::Value::Boolean(b)) => Ok(*b),
            Some(v) => Err(BuildError::at(
                name,
                format!("expected true or false, got {}", type_name(v)),
            )),
            None => match self.spec(name).default {
                DefaultValue::Bool(d) => Ok(d),
                _ => Err(BuildError::at("", format!("missing parameter `{name}`"))),
            },
        }
    }

    /// A string, or its declared default.
    pub fn str(&self, name: &str) -> Result<String, BuildError> {
        match self.table.get(name) {
            Some(toml::Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(BuildError::at(
                name,
                format!("expected a string, got {}", type_name(v)),
            )),
            None => match self.spec(name).default {
                DefaultValue::Str(d) => Ok(d.to_string()),
                _ => Err(BuildError::at("", format!("missing parameter `{name}`"))),
            },
        }
    }

    /// An optional string.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, BuildError> {
        if self.has(name) || matches!(self.spec(name).default, DefaultValue::Str(_)) {
            self.str(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A path resolved against the graph file's directory.
    pub fn path(&self, name: &str) -> Result<Option<PathBuf>, BuildError> {
        Ok(self.opt_str(name)?.map(|s| self.base_dir.join(s)))
    }

    /// The graph file's directory.
    pub fn base_dir(&self) -> &Path {
        self.base_dir
    }

    /// A list of floats; a single number counts as a list of one.
    pub fn f64_list(&self, name: &str) -> Result<Option<Vec<f64>>, BuildError> {
        match self.table.get(name) {
            None => Ok(None),
            Some(toml::Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    as_f64(v).ok_or_else(|| {
                        BuildError::at(
                            format!("{name}[{i}]"),
                            format!("expected a number, got {}", type_name(v)),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => as_f64(v).map(|x| Some(vec![x])).ok_or_else(|| {
                BuildError::at(
                    name,
                    format!("expected a number or a list, got {}", type_name(v)),
                )
            }),
        }
    }

    /// A list of strings.
    pub fn str_list(&self, name: &str) -> Result<Option<Vec<String>>, BuildError> {
        match self.table.get(name) {
            None => Ok(None),
            Some(toml::Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    _ => Err(BuildError::at(
                        format!("{name}[{i}]"),
                        format!("expected a string, got {}", type_name(v)),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(BuildError::at(
                name,
                format!("expected a list of strings, got {}", type_name(v)),
            )),
        }
    }

    /// A list of regions given by index or label, resolved against `labels`.
    pub fn nodes(&self, name: &str, labels: &[String]) -> Result<Option<Vec<usize>>, BuildError> {
        let Some(v) = self.table.get(name) else {
            return Ok(None);
        };
        let toml::Value::Array(a) = v else {
            return Err(BuildError::at(
                name,
                format!("expected a list, got {}", type_name(v)),
            ));
        };
        a.iter()
            .enumerate()
            .map(|(k, x)| match x {
                toml::Value::Integer(i) if *i >= 0 && (*i as usize) < labels.len() => {
                    Ok(*i as usize)
                }
                toml::Value::Integer(i) => Err(BuildError::at(
                    format!("{name}[{k}]"),
                    format!(
                        "region {i} is outside the connectome (0..{})",
                        labels.len().saturating_sub(1)
                    ),
                )),
                toml::Value::String(s) => labels.iter().position(|l| l == s).ok_or_else(|| {
                    let known: Vec<&str> = labels.iter().map(|s| s.as_str()).collect();
                    let mut e =
                        BuildError::at(format!("{name}[{k}]"), format!("no region labelled `{s}`"));
                    if let Some(c) = closest(s, &known) {
                        e = e.hint(format!("did you mean `{c}`?"));
                    }
                    e
                }),
                other => Err(BuildError::at(
                    format!("{name}[{k}]"),
                    format!("expected a region index or label, got {}", type_name(other)),
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// One value per region (a [`ParamType::RegionValues`] parameter), if
    /// given: a list of `labels.len()` numbers, or a table of labels to
    /// numbers where unlisted regions take `default`.
    pub fn region_values(
        &self,
        name: &str,
        labels: &[String],
        default: f64,
    ) -> Result<Option<Vec<f64>>, BuildError> {
        let Some(v) = self.table.get(name) else {
            return Ok(None);
        };
        let number = |key: String, x: &toml::Value| {
            as_f64(x).ok_or_else(|| {
                BuildError::at(key, format!("expected a number, got {}", type_name(x)))
            })
        };
        match v {
            toml::Value::Array(a) => {
                if a.len() != labels.len() {
                    return Err(BuildError::at(
                        name,
                        format!(
                            "{} values for {} regions: one per region of the connectome, in its order",
                            a.len(),
                            labels.len()
                        ),
                    )
                    .hint(format!(
                        "or a table by label: {name} = {{ {} = 1.0 }}",
                        labels.first().map_or("LABEL", |l| l.as_str())
                    )));
                }
                a.iter()
                    .enumerate()
                    .map(|(i, x)| number(format!("{name}[{i}]"), x))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some)
            }
            toml::Value::Table(t) => {
                let mut out = vec![default; labels.len()];
                let known: Vec<&str> = labels.iter().map(|s| s.as_str()).collect();
                for (l, x) in t {
                    let i = labels.iter().position(|s| s == l).ok_or_else(|| {
                        let mut e = BuildError::at(
                            format!("{name}.{l}"),
                            format!("no region labelled `{l}`"),
                        );
                        if let Some(c) = closest(l, &known) {
                            e = e.hint(format!("did you mean `{c}`?"));
                        }
                        e
                    })?;
                    out[i] = number(format!("{name}.{l}"), x)?;
                }
                Ok(Some(out))
            }
            other => Err(BuildError::at(
                name,
                format!(
                    "expected a list of numbers or a table of labels, got {}",
                    type_name(other)
                ),
            )),
        }
    }

    /// A nested table, if given.
    pub fn table(&self, name: &str) -> Result<Option<&'a toml::Table>, BuildError> {
        match self.table.get(name) {
            None => Ok(None),
            Some(toml::Value::Table(t)) => Ok(Some(t)),
            Some(v) => Err(BuildError::at(
                name,
                format!("expected a table, got {}", type_name(v)),
            )),
        }
    }

    /// A list of tables, if given.
    pub fn tables(&self, name: &str) -> Result<Vec<&'a toml::Table>, BuildError> {
        match self.table.get(name) {
            None => Ok(vec![]),
            Some(toml::Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    x.as_table().ok_or_else(|| {
                        BuildError::at(
                            format!("{name}[{i}]"),
                            format!("expected a table, got {}", type_name(x)),
                        )
                    })
                })
                .collect(),
            Some(v) => Err(BuildError::at(
                name,
                format!("expected a list of tables, got {}", type_name(v)),
            )),
        }
    }

    /// A nested table of numbers (e.g. coupling parameters), as (name,
    /// value) pairs in file order.
    pub fn number_table(&self, name: &str) -> Result<Vec<(String, f64)>, BuildError> {
        self.value_table(name)?
            .into_iter()
            .map(|(k, v)| match v {
                TableValue::Number(x) => Ok((k, x)),
                TableValue::List(_) => Err(BuildError::at(
                    format!("{name}.{k}"),
                    "expected a number, got a list".to_string(),
                )),
                TableValue::Table(_) => Err(BuildError::at(
                    format!("{name}.{k}"),
                    "expected a number, got a table".to_string(),
                )),
            })
            .collect()
    }

    /// A nested table of numbers, lists of numbers and tables (model
    /// parameters: a vector parameter takes a list, a per-region value a
    /// list or a table), as (name, value) pairs in file order.
    pub fn value_table(&self, name: &str) -> Result<Vec<(String, TableValue)>, BuildError> {
        match self.table.get(name) {
            None => Ok(vec![]),
            Some(toml::Value::Table(t)) => {
                let mut out = Vec::with_capacity(t.len());
                for (k, v) in t {
                    match v {
                        toml::Value::Array(items) => {
                            let mut list = Vec::with_capacity(items.len());
                            for (i, item) in items.iter().enumerate() {
                                list.push(as_f64(item).ok_or_else(|| {
                                    BuildError::at(
                                        format!("{name}.{k}[{i}]"),
                                        format!("expected a number, got {}", type_name(item)),
                                    )
                                })?);
                            }
                            out.push((k.clone(), TableValue::List(list)));
                        }
                        toml::Value::Table(t) => {
                            out.push((k.clone(), TableValue::Table(t.clone())))
                        }
                        v => out.push((
                            k.clone(),
                            TableValue::Number(as_f64(v).ok_or_else(|| {
                                BuildError::at(
                                    format!("{name}.{k}"),
                                    format!(
                                        "expected a number or a list of numbers, got {}",
                                        type_name(v)
                                    ),
                                )
                            })?),
                        )),
                    }
                }
                Ok(out)
            }
            Some(v) => Err(BuildError::at(
                name,
                format!("expected a table, got {}", type_name(v)),
            )),
        }
    }
}

fn as_f64(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

fn check_value(spec: &ParamSpec, v: &toml::Value) -> Result<(), BuildError> {
    let k = spec.name;
    let bad = |want: &str| {
        BuildError::at(k, format!("expected {want}, got {}", type_name(v)))
            .hint(format!("{k}: {}", spec.doc))
    };
    match spec.ty {
        ParamType::Float => {
            let x = as_f64(v).ok_or_else(|| bad("a number"))?;
            check_range(spec, x)
        }
        ParamType::Int => match v {
            toml::Value::Integer(i) => check_range(spec, *i as f64),
            _ => Err(bad("an integer")),
        },
        ParamType::Bool => matches!(v, toml::Value::Boolean(_))
            .then_some(())
            .ok_or_else(|| bad("true or false")),
        ParamType::Str | ParamType::Path => matches!(v, toml::Value::String(_))
            .then_some(())
            .ok_or_else(|| bad("a string")),
        ParamType::FloatList => match v {
            toml::Value::Array(a) => {
                for x in a {
                    let x = as_f64(x).ok_or_else(|| bad("a list of numbers"))?;
                    check_range(spec, x)?;
                }
                Ok(())
            }
            _ => {
                let x = as_f64(v).ok_or_else(|| bad("a number or a list of numbers"))?;
                check_range(spec, x)
            }
        },
        ParamType::NodeList => match v {
            toml::Value::Array(a)
                if a.iter()
                    .all(|x| x.is_str() || matches!(x, toml::Value::Integer(i) if *i >= 0)) =>
            {
                Ok(())
            }
            _ => Err(bad("a list of region indices (≥ 0) or labels")),
        },
        ParamType::StrList => match v {
            toml::Value::Array(a) if a.iter().all(|x| x.is_str()) => Ok(()),
            _ => Err(bad("a list of strings")),
        },
        ParamType::Table => matches!(v, toml::Value::Table(_))
            .then_some(())
            .ok_or_else(|| bad("a table")),
        ParamType::TableList => match v {
            toml::Value::Array(a) if a.iter().all(|x| x.is_table()) => Ok(()),
            _ => Err(bad("a list of tables, e.g. [[actors.NAME.connections]]")),
        },
        ParamType::RegionValues => {
            let items: Vec<(String, &toml::Value)> = match v {
                toml::Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (format!("{k}[{i}]"), x))
                    .collect(),
                toml::Value::Table(t) => t.iter().map(|(l, x)| (format!("{k}.{l}"), x)).collect(),
                _ => {
                    return Err(bad(
                        "a list of numbers (one per region) or a table { LABEL = number }",
                    ))
                }
            };
            for (key, x) in items {
                let f = as_f64(x).ok_or_else(|| {
                    BuildError::at(&key, format!("expected a number, got {}", type_name(x)))
                })?;
                check_range(spec, f).map_err(|e| BuildError { key, ..e })?;
            }
            Ok(())
        }
    }
}

fn check_range(spec: &ParamSpec, x: f64) -> Result<(), BuildError> {
    if !x.is_finite() {
        return Err(BuildError::at(
            spec.name,
            format!("{x} is not a finite number"),
        ));
    }
    if let Some((lo, hi)) = spec.range {
        if x < lo || x > hi {
            return Err(BuildError::at(
                spec.name,
                format!("{x} is outside [{lo}, {hi}] {}", spec.unit),
            )
            .hint(format!("{}: {}", spec.name, spec.doc)));
        }
    }
    Ok(())
}

/// The closest name by edit distance, if close enough to be a typo.
pub fn closest<'b>(name: &str, known: &[&'b str]) -> Option<&'b str> {
    known
        .iter()
        .map(|k| (levenshtein(&name.to_lowercase(), &k.to_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &[ParamSpec] = &[ParamSpec {
        name: "w",
        ty: ParamType::RegionValues,
        default: DefaultValue::Optional,
        range: Some((-1.0, 1.0)),
        unit: "1",
        doc: "weights",
    }];

    fn values(text: &str) -> Result<Option<Vec<f64>>, BuildError> {
        let t: toml::Table = toml::from_str(text).unwrap();
        let p = Params::new(&t, SPEC, Path::new("."));
        if let Some(e) = p.check().into_iter().next() {
            return Err(e);
        }
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        p.region_values("w", &labels, 0.0)
    }

    #[test]
    fn region_values_take_a_list_or_a_table_by_label() {
        assert_eq!(values("").unwrap(), None);
        assert_eq!(
            values("w = [0.5, 0, -1]").unwrap(),
            Some(vec![0.5, 0.0, -1.0])
        );
        assert_eq!(
            values("w = { c = 0.25 }").unwrap(),
            Some(vec![0.0, 0.0, 0.25])
        );
        let e = values("w = [0.5, 0.1]").unwrap_err();
        assert_eq!(e.key, "w");
        assert!(
            e.message.contains("2 values for 3 regions"),
            "{}",
            e.message
        );
        let e = values("w = { d = 0.5 }").unwrap_err();
        assert_eq!(e.key, "w.d");
        assert!(
            e.message.contains("no region labelled `d`"),
            "{}",
            e.message
        );
        let e = values("w = { b = 2.0 }").unwrap_err();
        assert_eq!(e.key, "w.b");
        assert!(e.message.contains("outside [-1, 1]"), "{}", e.message);
        let e = values("w = [0.5, \"x\", 1]").unwrap_err();
        assert_eq!(e.key, "w[1]");
        let e = values("w = 0.5").unwrap_err();
        assert!(e.message.contains("a list of numbers"), "{}", e.message);
    }
}
