//! What travels on edges: windows of time series and of spike events.
//!
//! Time stamps are integer step counts (`stamp · dt` ms), so that windowing
//! and delays are exact: a series sample stamped `k` is the value at time
//! `k·dt` (a raw state sample stamped `k` is the state after `k` steps, the
//! first being stamped 1); a spike stamped `k` occurred during step `k`, at
//! `time_ms ∈ [k·dt, (k+1)·dt)`.

use std::sync::Arc;

use ndarray::Array3;

/// Port type, checked at validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortType {
    /// Time series of state variables or rates: `samples × variables × nodes`.
    Series,
    /// Time series of currents (pA or nA): the same layout as `Series`, kept
    /// apart so a rate cannot be wired into a current input by mistake.
    Current,
    /// Spike events: (sender, time).
    Spikes,
    /// Parameter changes for an actor's `control` input (steering from
    /// another actor, [`crate::control`]): the layout of `Series`, one
    /// variable per steerable key (`coupling_params.a`), one node; the
    /// sample stamped `k` holds the new values from `k` on (NaN: this key
    /// unchanged). Kept apart from `Series` so that a state or a rate
    /// cannot be wired into a `control` input by mistake.
    Control,
}

impl std::fmt::Display for PortType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PortType::Series => "series",
            PortType::Current => "current",
            PortType::Spikes => "spikes",
            PortType::Control => "control",
        })
    }
}

/// Names and units of a series' axes, shared by all windows of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesMeta {
    /// One name per variable.
    pub variables: Vec<String>,
    /// One label per node (region).
    pub nodes: Vec<String>,
    /// One unit per variable (`"1"` dimensionless, `""` not known), as
    /// `variables`; AdEx's E, I are in kHz and its W_e in pA.
    pub units: Vec<String>,
    /// What the nodes are: regions, or sensors with their positions.
    pub space: NodeSpace,
}

/// What a series' nodes are.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum NodeSpace {
    /// Regions of the connectome (or spiking populations' regions).
    #[default]
    Regions,
    /// Sensors of a sensor-space monitor: `modality` (`EEG`, `MEG`,
    /// `iEEG`) and one position per node, mm.
    Sensors {
        modality: String,
        positions: Vec<[f64; 3]>,
    },
}

impl SeriesMeta {
    /// Axes whose variables all share `unit`.
    pub fn new(variables: Vec<String>, nodes: Vec<String>, unit: &str) -> Self {
        let units = vec![unit.to_string(); variables.len()];
        Self {
            variables,
            nodes,
            units,
            space: NodeSpace::Regions,
        }
    }

    /// The unit of variable `v` (`""` when not known).
    pub fn unit_of(&self, v: usize) -> &str {
        self.units.get(v).map_or("", String::as_str)
    }

    /// The unit all variables share, if they do (`None` for none or for
    /// different units).
    pub fn common_unit(&self) -> Option<&str> {
        let first = self.units.first()?;
        self.units
            .iter()
            .all(|u| u == first)
            .then_some(first.as_str())
    }
}

/// A window of samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Integer time stamp of each sample (value at `stamp·dt`).
    pub stamps: Vec<u64>,
    /// Time reported for each sample, ms (usually `stamp·dt`; TVB's temporal
    /// average reports the middle of its averaging window).
    pub times_ms: Vec<f64>,
    /// `samples × variables × nodes`.
    pub data: Array3<f64>,
    /// Axis names and unit.
    pub meta: Arc<SeriesMeta>,
}

impl Series {
    /// An empty window with the given axes.
    pub fn empty(meta: Arc<SeriesMeta>) -> Self {
        let (v, n) = (meta.variables.len(), meta.nodes.len());
        Self {
            stamps: vec![],
            times_ms: vec![],
            data: Array3::zeros((0, v, n)),
            meta,
        }
    }
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.stamps.len()
    }
    /// Whether it holds no sample.
    pub fn is_empty(&self) -> bool {
        self.stamps.is_empty()
    }
}

/// A window of spike events, in time order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spikes {
    /// Index of the emitting neuron (or proxy) in the sender's numbering.
    pub senders: Vec<u32>,
    /// Spike times in ms.
    pub times_ms: Vec<f64>,
    /// Step during which each spike occurred.
    pub stamps: Vec<u64>,
}

/// One message on an edge.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A series (also used for currents).
    Series(Arc<Series>),
    /// Spike events.
    Spikes(Arc<Spikes>),
}

impl Payload {
    /// The series, if it is one.
    pub fn as_series(&self) -> Option<&Series> {
        match self {
            Payload::Series(s) => Some(s),
            _ => None,
        }
    }
    /// The spikes, if they are.
    pub fn as_spikes(&self) -> Option<&Spikes> {
        match self {
            Payload::Spikes(s) => Some(s),
            _ => None,
        }
    }
}
