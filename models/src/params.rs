//! Declared parameters: every model, coupling and integrator parameter is
//! declared once, with its default, documented range, unit and meaning.
//!
//! The same table drives validation (`ParamSet::from_overrides`) and the CLI's
//! `brainstream list`, as tvb-library's `NArray(default=…, domain=Range(…))`
//! declarations do.

use crate::error::ModelError;

/// One declared parameter: a scalar, or a vector of fixed length (the
/// AdEx polynomials `P_e`, `P_i`), whose elements are `NAME[k]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamDef {
    /// Name, spelled as in tvb-library (e.g. `J_N`, `tau_s`).
    pub name: &'static str,
    /// Default value (tvb-library's default); a vector's first element.
    pub default: f64,
    /// Lowest accepted value (tvb-library's `domain.lo`, widened where TVB's
    /// own defaults or published settings fall outside it); for every
    /// element of a vector.
    pub lo: f64,
    /// Highest accepted value.
    pub hi: f64,
    /// Unit, e.g. `ms`, `nA`, `1` for dimensionless.
    pub unit: &'static str,
    /// One line of meaning.
    pub doc: &'static str,
    /// Number of values: 1 for a scalar.
    pub len: usize,
    /// A vector's defaults (empty for a scalar: `default`).
    pub defaults: &'static [f64],
}

impl ParamDef {
    /// Whether it is a vector (declared as a list, even of length 1).
    pub fn is_vector(&self) -> bool {
        !self.defaults.is_empty()
    }

    /// Default values: one for a scalar.
    pub fn default_values(&self) -> &[f64] {
        if self.is_vector() {
            self.defaults
        } else {
            std::slice::from_ref(&self.default)
        }
    }
}

/// Shorthand used by the parameter tables: a scalar.
pub const fn p(
    name: &'static str,
    default: f64,
    lo: f64,
    hi: f64,
    unit: &'static str,
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        name,
        default,
        lo,
        hi,
        unit,
        doc,
        len: 1,
        defaults: &[],
    }
}

/// Values for a parameter table, in the table's order.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSet {
    defs: &'static [ParamDef],
    values: Vec<f64>,
}

impl ParamSet {
    /// All defaults.
    pub fn defaults(defs: &'static [ParamDef]) -> Self {
        Self {
            defs,
            values: defs
                .iter()
                .flat_map(|d| d.default_values().iter().copied())
                .collect(),
        }
    }

    /// Defaults overridden by `overrides` (name, value): a scalar's name,
    /// or `NAME[k]` for one element of a vector. `owner` names the model or
    /// coupling in errors. Unknown names, non-finite values and values
    /// outside the documented range are refused.
    pub fn from_overrides<'a>(
        owner: &str,
        defs: &'static [ParamDef],
        overrides: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, ModelError> {
        let mut set = Self::defaults(defs);
        for (name, value) in overrides {
            set.set(owner, name, value)?;
        }
        Ok(set)
    }

    /// The declaration of `name` and its first slot.
    fn slot(&self, owner: &str, name: &str) -> Result<(&'static ParamDef, usize), ModelError> {
        let mut off = 0;
        for d in self.defs {
            if d.name == name {
                return Ok((d, off));
            }
            off += d.len;
        }
        Err(ModelError::UnknownParameter {
            owner: owner.to_string(),
            name: name.to_string(),
            known: self
                .defs
                .iter()
                .map(|d| d.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    fn check(owner: &str, name: &str, d: &ParamDef, value: f64) -> Result<(), ModelError> {
        if !value.is_finite() || value < d.lo || value > d.hi {
            return Err(ModelError::ParameterOutOfRange {
                owner: owner.to_string(),
                name: name.to_string(),
                value,
                lo: d.lo,
                hi: d.hi,
                unit: d.unit,
            });
        }
        Ok(())
    }

    /// Set one value, validated: a scalar by name, or element `k` of a
    /// vector as `NAME[k]`.
    pub fn set(&mut self, owner: &str, name: &str, value: f64) -> Result<(), ModelError> {
        let (base, index) = match name.strip_suffix(']').and_then(|n| n.split_once('[')) {
            Some((b, k)) => (b, Some(k)),
            None => (name, None),
        };
        let (d, off) = self.slot(owner, base)?;
        let k = match (index, d.is_vector()) {
            (None, false) => 0,
            (None, true) => {
                return Err(ModelError::Config(format!(
                    "{owner}.{name} is a vector of {} values: give a list of {}, or one element as {name}[k]",
                    d.len, d.len
                )))
            }
            (Some(_), false) => {
                return Err(ModelError::Config(format!(
                    "{owner}.{base} is a scalar: it has no elements"
                )))
            }
            (Some(k), true) => match k.parse::<usize>() {
                Ok(k) if k < d.len => k,
                _ => {
                    return Err(ModelError::Config(format!(
                        "{owner}.{name}: {base} has elements {base}[0] to {base}[{}]",
                        d.len - 1
                    )))
                }
            },
        };
        Self::check(owner, name, d, value)?;
        self.values[off + k] = value;
        Ok(())
    }

    /// Set a whole vector (or a scalar, from a list of one), validated.
    pub fn set_vector(
        &mut self,
        owner: &str,
        name: &str,
        values: &[f64],
    ) -> Result<(), ModelError> {
        let (d, off) = self.slot(owner, name)?;
        if values.len() != d.len {
            return Err(ModelError::Config(if d.is_vector() {
                format!(
                    "{owner}.{name} has {} values, {} given",
                    d.len,
                    values.len()
                )
            } else {
                format!(
                    "{owner}.{name} is a scalar, a list of {} given",
                    values.len()
                )
            }));
        }
        for (k, v) in values.iter().enumerate() {
            Self::check(owner, &format!("{name}[{k}]"), d, *v)?;
        }
        self.values[off..off + d.len].copy_from_slice(values);
        Ok(())
    }

    /// Value of a scalar by name. Panics only on a name that is not a
    /// scalar of the table, a programming error inside this crate (names
    /// are static).
    pub fn get(&self, name: &str) -> f64 {
        match self.slot("", name) {
            Ok((d, off)) if !d.is_vector() => self.values[off],
            _ => panic!("parameter table has no scalar `{name}`"),
        }
    }

    /// The declarations.
    pub fn defs(&self) -> &'static [ParamDef] {
        self.defs
    }

    /// The values, in declaration order (a vector's elements in order, in
    /// its place).
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}
