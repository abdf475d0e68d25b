//! Declared parameters: every model, coupling and integrator parameter is
//! declared once, with its default, documented range, unit and meaning.
//!
//! The same table drives validation (`ParamSet::from_overrides`) and the CLI's
//! `brainstream list`, as tvb-library's `NArray(default=…, domain=Range(…))`
//! declarations do.

use crate::error::ModelError;

/// One declared scalar parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamDef {
    /// Name, spelled as in tvb-library (e.g. `J_N`, `tau_s`).
    pub name: &'static str,
    /// Default value (tvb-library's default).
    pub default: f64,
    /// Lowest accepted value (tvb-library's `domain.lo`, widened where TVB's
    /// own defaults or published settings fall outside it).
    pub lo: f64,
    /// Highest accepted value.
    pub hi: f64,
    /// Unit, e.g. `ms`, `nA`, `1` for dimensionless.
    pub unit: &'static str,
    /// One line of meaning.
    pub doc: &'static str,
}

/// Shorthand used by the parameter tables.
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
            values: defs.iter().map(|d| d.default).collect(),
        }
    }

    /// Defaults overridden by `overrides` (name, value). `owner` names the
    /// model or coupling in errors. Unknown names, non-finite values and
    /// values outside the documented range are refused.
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

    /// Set one value, validated.
    pub fn set(&mut self, owner: &str, name: &str, value: f64) -> Result<(), ModelError> {
        let idx = self
            .defs
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| ModelError::UnknownParameter {
                owner: owner.to_string(),
                name: name.to_string(),
                known: self
                    .defs
                    .iter()
                    .map(|d| d.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let d = &self.defs[idx];
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
        self.values[idx] = value;
        Ok(())
    }

    /// Value by name. Panics only on a name that is not in the table, which
    /// is a programming error inside this crate (names are static).
    pub fn get(&self, name: &str) -> f64 {
        match self.defs.iter().position(|d| d.name == name) {
            Some(i) => self.values[i],
            None => panic!("parameter table has no `{name}`"),
        }
    }

    /// The declarations.
    pub fn defs(&self) -> &'static [ParamDef] {
        self.defs
    }

    /// The values, in declaration order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}
