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
    /// Hard limits: a value outside `[min, max]` is always refused (what
    /// the model cannot compute, e.g. a negative time constant). Inside
    /// them but outside `[lo, hi]` — tvb-library's documented domain, a hint
    /// — a model parameter is used with a warning, or refused where the
    /// graph asks for strict ranges. For coupling and neuron parameters
    /// `[min, max]` is `[lo, hi]`.
    pub min: f64,
    pub max: f64,
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
        min: lo,
        max: hi,
    }
}

/// Values for a parameter table, in the table's order; some values may
/// differ per region (tvb-library's per-region parameter arrays).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSet {
    defs: &'static [ParamDef],
    values: Vec<f64>,
    /// Slots whose value differs per region: (slot, one value per region),
    /// by slot; every list has the same length.
    regional: Vec<(usize, Vec<f64>)>,
    /// Refuse values outside `[lo, hi]` (else note them).
    strict: bool,
    /// Values accepted outside their documented range, for a warning.
    notes: Vec<String>,
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
            regional: vec![],
            strict: false,
            notes: vec![],
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

    /// Refuse values outside their documented range from now on (else they
    /// are noted, see [`take_notes`](Self::take_notes)).
    pub fn set_strict(&mut self, on: bool) {
        self.strict = on;
    }

    /// The values set outside their documented range since the last call,
    /// one line each, for a warning.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    fn check(
        &mut self,
        owner: &str,
        name: &str,
        d: &ParamDef,
        value: f64,
    ) -> Result<(), ModelError> {
        let hard = d.min > d.lo || d.max < d.hi || d.min.is_finite() || d.max.is_finite();
        if !value.is_finite() || value < d.min || value > d.max {
            // tables whose limits are their ranges (couplings, neurons) keep
            // the one message
            if (d.min, d.max) == (d.lo, d.hi) || !hard {
                return Err(ModelError::ParameterOutOfRange {
                    owner: owner.to_string(),
                    name: name.to_string(),
                    value,
                    lo: d.lo,
                    hi: d.hi,
                    unit: d.unit,
                });
            }
            return Err(ModelError::ParameterOutsideLimits {
                owner: owner.to_string(),
                name: name.to_string(),
                value,
                lo: d.min,
                hi: d.max,
                unit: d.unit,
            });
        }
        if value < d.lo || value > d.hi {
            if self.strict {
                return Err(ModelError::ParameterOutOfRange {
                    owner: owner.to_string(),
                    name: name.to_string(),
                    value,
                    lo: d.lo,
                    hi: d.hi,
                    unit: d.unit,
                });
            }
            self.notes.push(format!(
                "{owner}.{name} = {value} is outside its documented range [{}, {}] {}: used as given (strict_ranges refuses it)",
                d.lo, d.hi, d.unit
            ));
        }
        Ok(())
    }

    /// Set one value, validated: a scalar by name, or element `k` of a
    /// vector as `NAME[k]`.
    pub fn set(&mut self, owner: &str, name: &str, value: f64) -> Result<(), ModelError> {
        let (d, slot) = self.element(owner, name)?;
        self.check(owner, name, d, value)?;
        self.values[slot] = value;
        self.regional.retain(|(s, _)| *s != slot);
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
            self.check(owner, &format!("{name}[{k}]"), d, *v)?;
        }
        self.values[off..off + d.len].copy_from_slice(values);
        self.regional.retain(|(s, _)| *s < off || *s >= off + d.len);
        Ok(())
    }

    /// The slot of a scalar `NAME` or a vector element `NAME[k]`.
    fn element(&self, owner: &str, name: &str) -> Result<(&'static ParamDef, usize), ModelError> {
        let (base, index) = match name.strip_suffix(']').and_then(|n| n.split_once('[')) {
            Some((b, k)) => (b, Some(k)),
            None => (name, None),
        };
        let (d, off) = self.slot(owner, base)?;
        match (index, d.is_vector()) {
            (None, false) => Ok((d, off)),
            (Some(k), true) => match k.parse::<usize>() {
                Ok(k) if k < d.len => Ok((d, off + k)),
                _ => Err(ModelError::Config(format!(
                    "{owner}.{name}: {base} has elements {base}[0] to {base}[{}]",
                    d.len - 1
                ))),
            },
            (None, true) => Err(ModelError::Config(format!(
                "{owner}.{name} is a vector of {} values: give a list of {}, or one element as {name}[k]",
                d.len, d.len
            ))),
            (Some(_), false) => Err(ModelError::Config(format!(
                "{owner}.{base} is a scalar: it has no elements"
            ))),
        }
    }

    /// Gives a scalar (or one vector element, `NAME[k]`) one value per
    /// region, validated; every per-region parameter of a set has the same
    /// number of regions.
    pub fn set_regional(
        &mut self,
        owner: &str,
        name: &str,
        values: &[f64],
    ) -> Result<(), ModelError> {
        let (d, slot) = self.element(owner, name)?;
        if let Some(n) = self.n_regions() {
            if values.len() != n && !self.regional.iter().all(|(s, _)| *s == slot) {
                return Err(ModelError::Config(format!(
                    "{owner}.{name} has {} values, one per region; other per-region parameters have {n}",
                    values.len()
                )));
            }
        }
        for (i, v) in values.iter().enumerate() {
            self.check(owner, &format!("{name} (region {i})"), d, *v)?;
        }
        self.regional.retain(|(s, _)| *s != slot);
        let at = self.regional.partition_point(|(s, _)| *s < slot);
        self.regional.insert(at, (slot, values.to_vec()));
        Ok(())
    }

    /// Sets one region's value of a scalar (or `NAME[k]`), making it
    /// per-region (the other regions keep the current value) over
    /// `n_regions` regions.
    pub fn set_region(
        &mut self,
        owner: &str,
        name: &str,
        n_regions: usize,
        region: usize,
        value: f64,
    ) -> Result<(), ModelError> {
        let (d, slot) = self.element(owner, name)?;
        self.check(owner, &format!("{name} (region {region})"), d, value)?;
        if region >= n_regions {
            return Err(ModelError::Config(format!(
                "{owner}.{name}: region {region} does not exist ({n_regions} regions)"
            )));
        }
        let mut v = match self.regional.iter().find(|(s, _)| *s == slot) {
            Some((_, v)) => v.clone(),
            None => vec![self.values[slot]; n_regions],
        };
        if v.len() != n_regions {
            return Err(ModelError::Config(format!(
                "{owner}.{name} has {} per-region values, not {n_regions}",
                v.len()
            )));
        }
        v[region] = value;
        self.set_regional(owner, name, &v)
    }

    /// The value of a scalar, or of a vector's element as `NAME[k]`; an
    /// unknown name is an error naming `owner` and what it has. A
    /// per-region value gives its uniform value ([`values`](Self::values)).
    pub fn value(&self, owner: &str, name: &str) -> Result<f64, ModelError> {
        self.element(owner, name).map(|(_, slot)| self.values[slot])
    }

    /// Whether the scalar (or element `NAME[k]`) `name` differs per region;
    /// false for an unknown name.
    pub fn is_regional(&self, name: &str) -> bool {
        self.element("", name)
            .is_ok_and(|(_, slot)| self.regional.iter().any(|(s, _)| *s == slot))
    }

    /// The per-region values: (slot, one value per region), by slot.
    pub fn regional(&self) -> &[(usize, Vec<f64>)] {
        &self.regional
    }

    /// The number of regions of the per-region values, if any.
    pub fn n_regions(&self) -> Option<usize> {
        self.regional.first().map(|(_, v)| v.len())
    }

    /// The uniform set of region `i`: every per-region value replaced by
    /// region `i`'s.
    pub fn for_region(&self, i: usize) -> ParamSet {
        let mut values = self.values.clone();
        for (slot, v) in &self.regional {
            values[*slot] = v[i];
        }
        ParamSet {
            defs: self.defs,
            values,
            regional: vec![],
            strict: self.strict,
            notes: vec![],
        }
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
    /// its place); a per-region value's uniform value here is the one it
    /// had before it was made per-region (see [`regional`](Self::regional)).
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}
