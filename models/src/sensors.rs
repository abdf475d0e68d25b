//! Sensors of the sensor-space monitors (EEG, MEG, intracranial SEEG), as
//! tvb-library's `Sensors*.from_file` reads tvb-data's files: one line per
//! sensor, `label x y z` (positions in mm, head coordinates of the
//! connectome), MEG's lines adding the coil orientation `ox oy oz`; plain
//! text or bzip2-compressed (`.txt.bz2`).
//!
//! Builtin sets (tvb-data 3.0.0's files, embedded in the binary):
//! `builtin:eeg65` (eeg_brainstorm_65.txt, tvb-library's default EEG),
//! `builtin:meg276` (meg_brainstorm_276.txt, its default MEG),
//! `builtin:seeg588` (seeg_588.txt, its default iEEG) and
//! `builtin:seeg39` (seeg_39.txt.bz2: 103 contacts on 39 electrodes).

use std::io::Read;
use std::path::Path;

use crate::datafile::{open_regular, read_labelled_rows};
use crate::error::ModelError;

/// Most sensors a set may hold.
pub const MAX_SENSORS: usize = 65536;

/// What a sensor records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modality {
    /// Scalp electrodes (tvb-library's `SensorsEEG`).
    Eeg,
    /// Magnetometers / gradiometers with an orientation (`SensorsMEG`).
    Meg,
    /// Intracranial contacts, SEEG (`SensorsInternal`).
    Internal,
}

impl Modality {
    /// The name tvb-library and the files use: `EEG`, `MEG`, `iEEG`.
    pub fn name(self) -> &'static str {
        match self {
            Modality::Eeg => "EEG",
            Modality::Meg => "MEG",
            Modality::Internal => "iEEG",
        }
    }
}

/// A set of sensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensors {
    /// What they record.
    pub modality: Modality,
    /// One label per sensor.
    pub labels: Vec<String>,
    /// Positions, mm.
    pub locations: Vec<[f64; 3]>,
    /// MEG coil orientations (unit vectors), when the file gives them.
    pub orientations: Option<Vec<[f64; 3]>>,
    /// Where they came from, for messages and file attributes.
    pub source: String,
}

const EEG65: &str = include_str!("../data/sensors/eeg_brainstorm_65.txt");
const MEG276: &str = include_str!("../data/sensors/meg_brainstorm_276.txt");
const SEEG588: &str = include_str!("../data/sensors/seeg_588.txt");
const SEEG39_BZ2: &[u8] = include_bytes!("../data/sensors/seeg_39.txt.bz2");

/// The builtin sensor sets: name, modality, description.
pub const BUILTIN_SENSORS: &[(&str, Modality, &str)] = &[
    (
        "builtin:eeg65",
        Modality::Eeg,
        "tvb-data's eeg_brainstorm_65.txt, tvb-library's default EEG cap",
    ),
    (
        "builtin:meg276",
        Modality::Meg,
        "tvb-data's meg_brainstorm_276.txt, tvb-library's default MEG",
    ),
    (
        "builtin:seeg588",
        Modality::Internal,
        "tvb-data's seeg_588.txt, tvb-library's default iEEG contacts",
    ),
    (
        "builtin:seeg39",
        Modality::Internal,
        "tvb-data's seeg_39.txt.bz2: 103 contacts on 39 electrodes",
    ),
];

impl Sensors {
    /// Loads a builtin set or a tvb-data sensor file (`.txt`, `.txt.bz2`)
    /// resolved against `base_dir`, for a monitor of `modality`: MEG files
    /// must give orientations; a builtin of another modality is refused.
    pub fn load(spec: &str, base_dir: &Path, modality: Modality) -> Result<Self, ModelError> {
        if let Some(&(name, m, _)) = BUILTIN_SENSORS.iter().find(|b| b.0 == spec) {
            if m != modality {
                return Err(ModelError::Config(format!(
                    "`{name}` are {} sensors, not {} ones",
                    m.name(),
                    modality.name()
                )));
            }
            let text: std::borrow::Cow<str> = match name {
                "builtin:eeg65" => EEG65.into(),
                "builtin:meg276" => MEG276.into(),
                "builtin:seeg588" => SEEG588.into(),
                _ => {
                    let mut s = String::new();
                    bzip2::read::BzDecoder::new(SEEG39_BZ2)
                        .read_to_string(&mut s)
                        .map_err(|e| ModelError::Config(format!("{name}: {e}")))?;
                    s.into()
                }
            };
            return Self::parse(text.as_bytes(), Path::new(name), modality);
        }
        if spec.starts_with("builtin:") {
            return Err(ModelError::UnknownName {
                what: "builtin sensor set",
                name: spec.into(),
                known: BUILTIN_SENSORS
                    .iter()
                    .map(|b| b.0)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let path = base_dir.join(spec);
        let f = open_regular(&path)?;
        if spec.ends_with(".bz2") {
            Self::parse(bzip2::read::BzDecoder::new(f), &path, modality)
        } else {
            Self::parse(f, &path, modality)
        }
    }

    /// Parses a sensor file's text.
    pub fn parse(input: impl Read, path: &Path, modality: Modality) -> Result<Self, ModelError> {
        let widths: &[usize] = match modality {
            Modality::Meg => &[6],
            _ => &[3, 6],
        };
        let (labels, rows) = read_labelled_rows(input, path, "sensors", widths, MAX_SENSORS)?;
        if labels.is_empty() {
            return Err(ModelError::DataFile {
                path: path.to_path_buf(),
                loc: None,
                cause: "sensors: no sensor in the file".into(),
            });
        }
        let locations = rows.iter().map(|r| [r[0], r[1], r[2]]).collect();
        let orientations =
            (rows[0].len() == 6).then(|| rows.iter().map(|r| [r[3], r[4], r[5]]).collect());
        Ok(Self {
            modality,
            labels,
            locations,
            orientations,
            source: path.display().to_string(),
        })
    }

    /// Number of sensors.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are none (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_load_as_tvb_reads_them() {
        let here = Path::new(".");
        let eeg = Sensors::load("builtin:eeg65", here, Modality::Eeg).unwrap();
        assert_eq!(eeg.len(), 65);
        assert_eq!(eeg.labels[0], "Fp1");
        assert_eq!(eeg.locations[0], [102.519220, 40.220148, 45.164127]);
        let meg = Sensors::load("builtin:meg276", here, Modality::Meg).unwrap();
        assert_eq!(meg.len(), 276);
        assert_eq!(meg.orientations.as_ref().unwrap()[2], [0.496355; 3]);
        let seeg = Sensors::load("builtin:seeg39", here, Modality::Internal).unwrap();
        assert_eq!(seeg.len(), 103);
        assert_eq!(seeg.labels[0], "G´1");
        assert_eq!(
            Sensors::load("builtin:seeg588", here, Modality::Internal)
                .unwrap()
                .len(),
            588
        );
        let e = Sensors::load("builtin:eeg65", here, Modality::Meg)
            .unwrap_err()
            .to_string();
        assert!(e.contains("are EEG sensors, not MEG ones"), "{e}");
        let e = Sensors::load("builtin:eeg64", here, Modality::Eeg)
            .unwrap_err()
            .to_string();
        assert!(e.contains("builtin:eeg65"), "{e}");
    }

    #[test]
    fn bad_files_are_located() {
        let p = Path::new("s.txt");
        let e = Sensors::parse(&b"A 1 2 3\nB 1 2\n"[..], p, Modality::Eeg)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.txt:2:1: sensors: expected 4 as the lines before"),
            "{e}"
        );
        let e = Sensors::parse(&b"A 1 2 3\n"[..], p, Modality::Meg)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected 7 fields"), "{e}");
        let e = Sensors::parse(&b"A 1 x 3\n"[..], p, Modality::Eeg)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.txt:1:5: sensors: expected a number"),
            "{e}"
        );
        let e = Sensors::parse(&b"# nothing\n"[..], p, Modality::Eeg)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no sensor"), "{e}");
    }
}
