//! Analytic lead fields: what tvb-library 2.10's sensor-space monitors use
//! when they are given no projection matrix (`Projection.config_for_sim`
//! calls the monitor's `analytic(loc, ori)`), for every source — the
//! vertices of a cortical surface with their vertex normals in a surface
//! simulation, the connectome's region centres with their average
//! orientations in a region simulation.
//!
//! With `r` a sensor position, `r₀` a source position and `Q` its unit
//! orientation (positions in mm), `a = r − r₀`:
//! * iEEG (`iEEG.analytic`, Sarvas 1987 eq. 12, a point dipole in a
//!   homogeneous conductor of conductivity `σ`, default 1):
//!   `V = Q·a / |a|³ / (4πσ)`, the contacts where the file puts them;
//! * EEG (`EEG.analytic`, the same formula): the electrodes first moved
//!   onto a sphere around the sources, `r ← r/|r|·R + c`, `c` the sources'
//!   mean and `R = 1.05125·max |r₀ − c|`;
//! * MEG (`MEG.analytic`, Sarvas 1987 eq. 25, the field of a dipole in a
//!   conducting sphere): the sensors moved onto the sphere of radius
//!   `R = 1.01·max |r₀ − c|` around `c`, then with `n_r = |r|`,
//!   `n_a = |a|`, `F = a·(n_r·a + n_r² − r₀·r)` (componentwise, as
//!   tvb-library writes it), `a·r̂ = (a/n_a)·r`,
//!   `∇F = (n_a²/n_r + a·r̂ + 2n_a + 2n_r)·r − (a + 2n_r + (a·r̂)·r₀)`,
//!   `B = μ₀/(4πF²)·(F·Q × r₀ − ((Q × r₀)·(r ∘ ∇F)))` (componentwise in `F`,
//!   `μ₀ = 1.25663706e−6`), and the gain is `|B|`, the field's magnitude.
//!
//! Each operation is numpy's, in numpy's order (sums over the three
//! components left to right, `x**3` as C's `pow`, means summed source by
//! source), so the gains are tvb-library's to rounding. Non-finite gains
//! are set to 0 afterwards, as tvb-library does ([`crate::leadfield`]).

use std::io::Read;
use std::path::Path;

use crate::connectivity::{Connectivity, BUILTIN_TVB76};
use crate::datafile::{open_regular, read_matrix, Shape};
use crate::error::ModelError;
use crate::leadfield::LeadField;
use crate::sensors::{Modality, Sensors};
use crate::surface::{vertex_normals, Surface};

/// tvb-library's `MEG.analytic` magnetic constant (its `mu_0`, in its units).
pub const MU_0: f64 = 1.25663706e-6;

/// The builtin connectome's average orientations (tvb-data's
/// connectivity_76.zip `average_orientations.txt`).
const TVB76_ORIENTATIONS: &str = include_str!("../data/tvb76_average_orientations.txt");

/// The sources of an analytic lead field: positions (mm) and unit
/// orientations, one each per source.
#[derive(Debug, Clone, PartialEq)]
pub struct Sources {
    pub locations: Vec<[f64; 3]>,
    pub orientations: Vec<[f64; 3]>,
    /// What they are, for messages: e.g. `16384 vertices of builtin:cortex_16k`.
    pub what: String,
}

impl Sources {
    /// The vertices of a surface (`builtin:cortex_16k` or a TVB surface
    /// zip) with the vertex normals of its zip, as tvb-library's surface
    /// simulation takes them.
    pub fn surface(spec: &str, base_dir: &Path) -> Result<Self, ModelError> {
        let s = Surface::load(spec, base_dir)?;
        let normals = vertex_normals(spec, base_dir, s.n_vertices())?;
        Ok(Self {
            what: format!("{} vertices of {}", s.n_vertices(), s.source),
            locations: s.vertices,
            orientations: normals,
        })
    }

    /// The regions of a connectome (`builtin:tvb76`, a TVB zip or a folder):
    /// its centres and its `average_orientations`, as tvb-library's region
    /// simulation takes them.
    pub fn regions(spec: &str, base_dir: &Path) -> Result<Self, ModelError> {
        let c = Connectivity::load(spec, base_dir)?;
        let err = |cause: String| ModelError::Connectivity {
            path: base_dir.join(spec),
            cause,
        };
        let Some(centres) = c.centres else {
            return Err(err(
                "no region centres: the analytic lead field needs them".into()
            ));
        };
        let orientations = read_orientations(spec, base_dir)?;
        if orientations.len() != c.n {
            return Err(err(format!(
                "{} average orientations for {} regions",
                orientations.len(),
                c.n
            )));
        }
        Ok(Self {
            what: format!("{} regions of {}", c.n, c.source),
            locations: centres,
            orientations,
        })
    }

    /// Number of sources.
    pub fn len(&self) -> usize {
        self.locations.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }
}

/// Rows of three numbers.
fn rows3(m: crate::datafile::Matrix, path: &Path) -> Result<Vec<[f64; 3]>, ModelError> {
    if m.cols != 3 {
        return Err(ModelError::DataFile {
            path: path.to_path_buf(),
            loc: None,
            cause: format!(
                "average orientations: {} columns; one x y z per region expected",
                m.cols
            ),
        });
    }
    Ok(m.data.chunks_exact(3).map(|r| [r[0], r[1], r[2]]).collect())
}

/// A connectome's average orientations, read as tvb-library's
/// `Connectivity.from_file` reads them: the member of a zip (or the file
/// of a folder) whose name holds `average_orientations`.
fn read_orientations(spec: &str, base_dir: &Path) -> Result<Vec<[f64; 3]>, ModelError> {
    if spec == BUILTIN_TVB76 || spec == "tvb76" {
        let p = Path::new(BUILTIN_TVB76);
        let m = read_matrix(
            TVB76_ORIENTATIONS.as_bytes(),
            p,
            "average orientations",
            Shape::Any,
        )?;
        return rows3(m, p);
    }
    let path = base_dir.join(spec);
    let missing = || {
        ModelError::Connectivity {
        path: path.clone(),
        cause: "no average_orientations (tvb-library's Connectivity.orientations): the analytic lead field of a region simulation needs one unit vector per region".into(),
    }
    };
    if path.is_dir() {
        let mut names: Vec<_> = std::fs::read_dir(&path)
            .map_err(|e| ModelError::DataFile {
                path: path.clone(),
                loc: None,
                cause: e.to_string(),
            })?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.contains("average_orientations"))
            })
            .collect();
        names.sort();
        let f = names.first().ok_or_else(missing)?;
        let m = read_matrix(open_regular(f)?, f, "average orientations", Shape::Any)?;
        return rows3(m, f);
    }
    let is_zip = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !is_zip {
        return Err(ModelError::Connectivity {
            path: path.clone(),
            cause: "the analytic lead field reads average orientations from a TVB zip, a folder or builtin:tvb76".into(),
        });
    }
    let mut zip =
        zip::ZipArchive::new(open_regular(&path)?).map_err(|e| ModelError::Connectivity {
            path: path.clone(),
            cause: format!("not a zip file: {e}"),
        })?;
    let name = zip
        .file_names()
        .find(|n| n.contains("average_orientations") && !n.starts_with("__MACOSX"))
        .map(str::to_string)
        .ok_or_else(missing)?;
    let mut text = String::new();
    let inner = path.join(&name);
    zip.by_name(&name)
        .map_err(|e| ModelError::Connectivity {
            path: path.clone(),
            cause: format!("{name}: {e}"),
        })?
        .take(64 << 20)
        .read_to_string(&mut text)
        .map_err(|e| ModelError::DataFile {
            path: inner.clone(),
            loc: None,
            cause: e.to_string(),
        })?;
    let m = read_matrix(text.as_bytes(), &inner, "average orientations", Shape::Any)?;
    rows3(m, &inner)
}

fn norm3(v: [f64; 3]) -> f64 {
    // numpy.sqrt(numpy.sum(v ** 2, axis=1)): the squares summed left to right
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// The sources' mean (numpy's `mean(axis=0)`: summed source by source, then
/// divided) and the largest distance from it.
fn centre_and_reach(src: &Sources) -> ([f64; 3], f64) {
    let mut c = [0.0; 3];
    for l in &src.locations {
        c.iter_mut().zip(l).for_each(|(c, x)| *c += x);
    }
    let n = src.len() as f64;
    let c = [c[0] / n, c[1] / n, c[2] / n];
    let reach = src.locations.iter().fold(f64::NEG_INFINITY, |m, l| {
        m.max(norm3([l[0] - c[0], l[1] - c[1], l[2] - c[2]]))
    });
    (c, reach)
}

/// Sensor positions moved onto the sphere of `radius` around `centre`:
/// `r/|r|·R + c`.
fn on_sphere(sensors: &Sensors, centre: [f64; 3], radius: f64) -> Vec<[f64; 3]> {
    sensors
        .locations
        .iter()
        .map(|r| {
            let d = norm3(*r);
            [
                r[0] / d * radius + centre[0],
                r[1] / d * radius + centre[1],
                r[2] / d * radius + centre[2],
            ]
        })
        .collect()
}

/// Sarvas eq. 12 for every sensor at `positions` and every source:
/// `Q·a/|a|³ / (4πσ)`, row-major sensors × sources.
fn point_dipole(positions: &[[f64; 3]], src: &Sources, sigma: f64) -> Vec<f64> {
    let denom = 4.0 * std::f64::consts::PI * sigma;
    let mut g = Vec::with_capacity(positions.len() * src.len());
    for r in positions {
        for (r0, q) in src.locations.iter().zip(&src.orientations) {
            let a = [r[0] - r0[0], r[1] - r0[1], r[2] - r0[2]];
            let na3 = norm3(a).powf(3.0);
            let v = q[0] * (a[0] / na3) + q[1] * (a[1] / na3) + q[2] * (a[2] / na3);
            g.push(v / denom);
        }
    }
    g
}

fn cross(u: [f64; 3], v: [f64; 3]) -> [f64; 3] {
    // numpy.cross: a1·b2 − a2·b1, a2·b0 − a0·b2, a0·b1 − a1·b0
    [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ]
}

/// Sarvas eq. 25 as tvb-library's `MEG.analytic` writes it (see the module
/// documentation), row-major sensors × sources.
fn meg(sensors: &Sensors, src: &Sources) -> Vec<f64> {
    let (centre, reach) = centre_and_reach(src);
    let positions = on_sphere(sensors, centre, 1.01 * reach);
    let four_pi = 4.0 * std::f64::consts::PI;
    let mut g = Vec::with_capacity(positions.len() * src.len());
    for rs in &positions {
        let nr = norm3(*rs);
        let nr2 = nr * nr;
        for (r0, q) in src.locations.iter().zip(&src.orientations) {
            let a = [rs[0] - r0[0], rs[1] - r0[1], rs[2] - r0[2]];
            let na = norm3(a);
            let r0r = r0[0] * rs[0] + r0[1] * rs[1] + r0[2] * rs[2];
            let f: [f64; 3] = std::array::from_fn(|c| a[c] * (nr * a[c] + nr2 - r0r));
            let adotr = (a[0] / na) * rs[0] + (a[1] / na) * rs[1] + (a[2] / na) * rs[2];
            let s = na * na / nr + adotr + 2.0 * na + 2.0 * nr;
            let del_f: [f64; 3] =
                std::array::from_fn(|c| s * rs[c] - (a[c] + 2.0 * nr + adotr * r0[c]));
            let fq = cross([f[0] * q[0], f[1] * q[1], f[2] * q[2]], *r0);
            let qr = cross(*q, *r0);
            let t = qr[0] * (rs[0] * del_f[0])
                + qr[1] * (rs[1] * del_f[1])
                + qr[2] * (rs[2] * del_f[2]);
            let b: [f64; 3] =
                std::array::from_fn(|c| MU_0 / (four_pi * (f[c] * f[c])) * (fq[c] - t));
            g.push(norm3(b));
        }
    }
    g
}

/// The analytic lead field of `sensors` on `sources`, as the matching
/// tvb-library monitor computes it (`sigma`: the conductivity of EEG and
/// iEEG, tvb-library's default 1; MEG has none), non-finite entries set to
/// 0: sensors × sources.
pub fn analytic_lead_field(
    sensors: &Sensors,
    sources: &Sources,
    sigma: f64,
) -> Result<LeadField, ModelError> {
    if sources.is_empty() {
        return Err(ModelError::Config(format!(
            "analytic lead field: no sources in {}",
            sources.what
        )));
    }
    if sources.orientations.len() != sources.len() {
        return Err(ModelError::Config(format!(
            "analytic lead field: {} orientations for {}",
            sources.orientations.len(),
            sources.what
        )));
    }
    if sensors.modality != Modality::Meg && !(sigma.is_finite() && sigma > 0.0) {
        return Err(ModelError::Config(format!(
            "analytic lead field: conductivity {sigma}; a positive number is expected"
        )));
    }
    let gain = match sensors.modality {
        Modality::Internal => point_dipole(&sensors.locations, sources, sigma),
        Modality::Eeg => {
            let (centre, reach) = centre_and_reach(sources);
            point_dipole(&on_sphere(sensors, centre, 1.05125 * reach), sources, sigma)
        }
        Modality::Meg => meg(sensors, sources),
    };
    let m = crate::datafile::Matrix {
        rows: sensors.len(),
        cols: sources.len(),
        data: gain,
    };
    let what = format!(
        "tvb-library's {}.analytic on the {}",
        sensors.modality.name(),
        sources.what
    );
    LeadField::from_matrix(m, None, sensors.len(), sources.len(), &what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(modality: Modality, at: [f64; 3]) -> Sensors {
        Sensors {
            modality,
            labels: vec!["s".into()],
            locations: vec![at],
            orientations: None,
            source: "t".into(),
        }
    }

    #[test]
    fn a_point_dipole_is_sarvas_eq_12() {
        // a contact 2 mm along a dipole's axis: 1/(4π·2²); across it: 0
        let src = Sources {
            locations: vec![[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
            orientations: vec![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]],
            what: "two".into(),
        };
        let lf = analytic_lead_field(&one(Modality::Internal, [1.0, 0.0, 2.0]), &src, 1.0).unwrap();
        assert!((lf.gain[0] - 1.0 / (16.0 * std::f64::consts::PI)).abs() < 1e-15);
        let lf2 =
            analytic_lead_field(&one(Modality::Internal, [1.0, 0.0, 2.0]), &src, 2.0).unwrap();
        assert_eq!(lf2.gain[0], lf.gain[0] / 2.0);
        // a source at a contact: inf, set to 0 as tvb-library does
        let lf = analytic_lead_field(&one(Modality::Internal, [0.0, 0.0, 0.0]), &src, 1.0).unwrap();
        assert_eq!(lf.gain[1], 0.0);
        let e = analytic_lead_field(&one(Modality::Eeg, [0.0, 0.0, 9.0]), &src, 0.0).unwrap_err();
        assert!(e.to_string().contains("conductivity 0"), "{e}");
    }

    #[test]
    fn tvb76_sources_are_the_zip_s() {
        let s = Sources::regions("builtin:tvb76", Path::new(".")).unwrap();
        assert_eq!(s.len(), 76);
        assert_eq!(
            s.orientations[0],
            [5.3269728e-01, -1.9247799e-02, 3.3717203e-01]
        );
        let v = Sources::surface("builtin:cortex_16k", Path::new(".")).unwrap();
        assert_eq!((v.len(), v.orientations.len()), (16384, 16384));
    }
}
