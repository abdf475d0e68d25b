//! Lead fields (tvb-library's projection matrices) of the sensor-space
//! monitors, reduced to the regions of a region simulation as
//! tvb-library 2.10's `Projection.config_for_sim` reduces them.
//!
//! A projection matrix `G` (sensors × sources) comes from tvb-data
//! (`projection_eeg_65_surface_16k.npy`, `projection_eeg_62_surface_16k.mat`,
//! `projection_meg_276_surface_16k.npy`, or any `.npy`, level-5 `.mat` or
//! text matrix). Its sources are either
//! * the vertices of a cortical surface: with a region mapping `rmap`
//!   (vertex → region, e.g. `regionMapping_16k_76.txt`) the region lead
//!   field is the sum over each region's vertices,
//!   `g[s][r] = Σ_{v: rmap[v] = r} G[s][v]`, summed in vertex order as
//!   `numpy.add.at` sums — bit for bit tvb-library's; or
//! * the regions themselves (`G` already sensors × regions), used as is;
//! * or the monitored signal is itself per vertex — a surface simulation's
//!   state (`surface` actor, `vertex_stride = 1`), whose nodes are the
//!   projection's columns: `G` is used as is, `y_s = Σ_v G[s][v]·x_v`, as
//!   tvb-library 2.10's `Projection.config_for_sim` does when the
//!   simulation has a surface (its "surface EEG/MEG/iEEG").
//!
//! Non-finite entries are set to 0, as tvb-library does. tvb-library also
//! appends an analytic gain for the connectome's non-cortical regions; the
//! connectomes brainstream reads carry no cortical flags, so every region
//! is cortical here, and a region mapping must name every region (as
//! tvb-library requires when all regions are cortical).
//!
//! Builtin lead fields, computed by tvb-library 2.10 for the builtin
//! 76-region connectome (tests/data/tvb_cases/make_refs_sensors.py):
//! `builtin:eeg65_tvb76` (projection_eeg_65_surface_16k.npy reduced with
//! regionMapping_16k_76.txt, for `builtin:eeg65`), `builtin:meg276_tvb76`
//! (the same for `builtin:meg276`) and `builtin:seeg39_tvb76` (tvb-library's
//! `iEEG.analytic`, Sarvas 1987 eq. 12 with conductivity 1, on the region
//! centres and orientations, for `builtin:seeg39`).

use std::path::Path;

use crate::arrayfile::{read_mat, read_npy};
use crate::datafile::{open_regular, read_matrix, Matrix, Shape};
use crate::error::ModelError;

/// Most entries a projection matrix may have (2 GiB of f64).
pub const MAX_GAIN_VALUES: usize = 1 << 28;

/// The builtin region mapping of the builtin connectome on tvb-data's
/// 16384-vertex cortex.
pub const BUILTIN_RMAP_TVB76: &str = "builtin:tvb76_16k";

const RMAP_TVB76: &str = include_str!("../data/sensors/regionMapping_16k_76.txt");
const EEG65_TVB76: &[u8] = include_bytes!("../data/sensors/eeg65_tvb76_gain.npy");
const MEG276_TVB76: &[u8] = include_bytes!("../data/sensors/meg276_tvb76_gain.npy");
const SEEG39_TVB76: &[u8] = include_bytes!("../data/sensors/seeg39_tvb76_gain.npy");

/// The builtin lead fields: name, its sensors, description.
pub const BUILTIN_LEADFIELDS: &[(&str, &str, &str)] = &[
    (
        "builtin:eeg65_tvb76",
        "builtin:eeg65",
        "tvb-data's projection_eeg_65_surface_16k.npy summed over regionMapping_16k_76 (65 × 76)",
    ),
    (
        "builtin:meg276_tvb76",
        "builtin:meg276",
        "tvb-data's projection_meg_276_surface_16k.npy summed over regionMapping_16k_76 (276 × 76)",
    ),
    (
        "builtin:seeg39_tvb76",
        "builtin:seeg39",
        "tvb-library's iEEG.analytic (Sarvas 1987 eq. 12, sigma 1) on the 76 region centres and orientations (103 × 76)",
    ),
];

/// A region lead field: `gain[s·regions + r]`, sensors × regions.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadField {
    pub sensors: usize,
    pub regions: usize,
    pub gain: Vec<f64>,
    /// Where it came from.
    pub source: String,
}

fn cfg(what: &str, cause: String) -> ModelError {
    ModelError::Config(format!("{what}: {cause}"))
}

/// Reads a matrix file by its extension: `.npy`, `.mat` (the matrix
/// `ProjectionMatrix` or the only one), anything else as text (`.txt`,
/// `.csv`, optionally `.bz2`).
pub fn read_any_matrix(path: &Path, what: &str, max_values: usize) -> Result<Matrix, ModelError> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".npy") {
        read_npy(path, max_values)
    } else if name.ends_with(".mat") {
        read_mat(path, Some("ProjectionMatrix"), max_values)
    } else if name.ends_with(".bz2") {
        read_matrix(
            bzip2::read::BzDecoder::new(open_regular(path)?),
            path,
            what,
            Shape::Any,
        )
    } else {
        read_matrix(open_regular(path)?, path, what, Shape::Any)
    }
}

/// Reads a region mapping (one region index per vertex, one row or one
/// column), `builtin:tvb76_16k` or a file.
pub fn load_region_mapping(spec: &str, base_dir: &Path) -> Result<Vec<usize>, ModelError> {
    let (m, path) = if spec == BUILTIN_RMAP_TVB76 {
        let p = Path::new(BUILTIN_RMAP_TVB76);
        (
            read_matrix(RMAP_TVB76.as_bytes(), p, "region mapping", Shape::Any)?,
            p.to_path_buf(),
        )
    } else {
        let p = base_dir.join(spec);
        (read_any_matrix(&p, "region mapping", MAX_GAIN_VALUES)?, p)
    };
    if m.rows != 1 && m.cols != 1 {
        return Err(ModelError::DataFile {
            path,
            loc: None,
            cause: format!("region mapping: a {}×{} matrix; one region index per vertex (one row or one column) is expected", m.rows, m.cols),
        });
    }
    m.data
        .iter()
        .enumerate()
        .map(|(v, &x)| {
            if x >= 0.0 && x.fract() == 0.0 && x < 1e9 {
                Ok(x as usize)
            } else {
                Err(ModelError::DataFile {
                    path: path.clone(),
                    loc: None,
                    cause: format!("region mapping: vertex {v} maps to {x}, not a region index (an integer ≥ 0)"),
                })
            }
        })
        .collect()
}

impl LeadField {
    /// Loads a projection matrix for `sensors` sensors and reduces it to
    /// `regions` regions (with `region_mapping` when its columns are
    /// vertices).
    pub fn load(
        spec: &str,
        region_mapping: Option<&str>,
        base_dir: &Path,
        sensors: usize,
        regions: usize,
    ) -> Result<Self, ModelError> {
        let (m, source) = if let Some(b) = BUILTIN_LEADFIELDS.iter().find(|b| b.0 == spec) {
            let bytes = match b.0 {
                "builtin:eeg65_tvb76" => EEG65_TVB76,
                "builtin:meg276_tvb76" => MEG276_TVB76,
                _ => SEEG39_TVB76,
            };
            (
                crate::arrayfile::parse_npy(bytes, Path::new(b.0), MAX_GAIN_VALUES)?,
                b.0.to_string(),
            )
        } else if spec.starts_with("builtin:") {
            return Err(ModelError::UnknownName {
                what: "builtin lead field",
                name: spec.into(),
                known: BUILTIN_LEADFIELDS
                    .iter()
                    .map(|b| b.0)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        } else {
            let p = base_dir.join(spec);
            (
                read_any_matrix(&p, "projection", MAX_GAIN_VALUES)?,
                p.display().to_string(),
            )
        };
        let rmap = region_mapping
            .map(|r| load_region_mapping(r, base_dir).map(|v| (r, v)))
            .transpose()?;
        Self::from_matrix(
            m,
            rmap.as_ref().map(|(n, v)| (*n, v.as_slice())),
            sensors,
            regions,
            &source,
        )
    }

    /// [`LeadField::load`] on a matrix already read.
    pub fn from_matrix(
        m: Matrix,
        rmap: Option<(&str, &[usize])>,
        sensors: usize,
        regions: usize,
        source: &str,
    ) -> Result<Self, ModelError> {
        if m.rows != sensors {
            return Err(cfg(
                source,
                format!("the projection has {} rows but there are {sensors} sensors (one row per sensor)", m.rows),
            ));
        }
        let mut gain = match rmap {
            Some((name, rmap)) if m.cols == rmap.len() && m.cols != regions => {
                let top = rmap.iter().copied().max().unwrap_or(0);
                if top + 1 != regions {
                    return Err(cfg(
                        name,
                        format!(
                            "the region mapping names regions 0…{top} but the connectome has {regions}: it must map vertices to every region"
                        ),
                    ));
                }
                // numpy.add.at(gain.T, rmap, G.T): vertex by vertex, in order
                let mut g = vec![0.0; sensors * regions];
                for s in 0..sensors {
                    let row = &m.data[s * m.cols..(s + 1) * m.cols];
                    let out = &mut g[s * regions..(s + 1) * regions];
                    for (v, &x) in row.iter().enumerate() {
                        out[rmap[v]] += x;
                    }
                }
                g
            }
            _ if m.cols == regions => m.data,
            Some((name, rmap)) => {
                return Err(cfg(
                    source,
                    format!(
                        "the projection has {} columns: neither the monitored signal's {regions} nodes (regions, or a surface's vertices with vertex_stride = 1) nor the {} vertices of {name}",
                        m.cols,
                        rmap.len()
                    ),
                ))
            }
            None => {
                return Err(cfg(
                    source,
                    format!(
                        "the projection has {} columns but the monitored signal has {regions} nodes (the connectome's regions, or a surface's vertices: its `state` with vertex_stride = 1); a projection onto surface vertices applied to region signals needs `region_mapping`",
                        m.cols
                    ),
                ))
            }
        };
        let bad = gain.iter().filter(|g| !g.is_finite()).count();
        if bad > 0 {
            tracing::warn!(
                "{source}: {bad} non-finite gain coefficients set to 0, as tvb-library does"
            );
            for g in &mut gain {
                if !g.is_finite() {
                    *g = 0.0;
                }
            }
        }
        Ok(Self {
            sensors,
            regions,
            gain,
            source: source.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertices_are_summed_per_region() {
        // 2 sensors, 5 vertices → 3 regions
        let m = Matrix {
            rows: 2,
            cols: 5,
            data: vec![1., 2., 3., 4., 5., 10., 20., 30., 40., 50.],
        };
        let rmap = [2, 0, 2, 1, 0];
        let lf = LeadField::from_matrix(m.clone(), Some(("rm", &rmap)), 2, 3, "p").unwrap();
        assert_eq!(lf.gain, vec![7., 4., 4., 70., 40., 40.]);
        let e = LeadField::from_matrix(m.clone(), Some(("rm", &rmap)), 2, 4, "p").unwrap_err();
        assert!(
            e.to_string()
                .contains("names regions 0…2 but the connectome has 4"),
            "{e}"
        );
        let e = LeadField::from_matrix(m.clone(), None, 2, 3, "p").unwrap_err();
        assert!(e.to_string().contains("needs `region_mapping`"), "{e}");
        let e = LeadField::from_matrix(m, None, 3, 5, "p").unwrap_err();
        assert!(
            e.to_string().contains("2 rows but there are 3 sensors"),
            "{e}"
        );
    }

    #[test]
    fn builtins_have_their_sensors_shapes() {
        let here = Path::new(".");
        for (name, sensors, n) in [
            ("builtin:eeg65_tvb76", 65, 76),
            ("builtin:meg276_tvb76", 276, 76),
            ("builtin:seeg39_tvb76", 103, 76),
        ] {
            let lf = LeadField::load(name, None, here, sensors, n).unwrap();
            assert_eq!(lf.gain.len(), sensors * n);
            assert!(lf.gain.iter().all(|g| g.is_finite()) && lf.gain.iter().any(|g| *g != 0.0));
        }
        let rm = load_region_mapping(BUILTIN_RMAP_TVB76, here).unwrap();
        assert_eq!((rm.len(), rm.iter().max()), (16384, Some(&75)));
    }
}
