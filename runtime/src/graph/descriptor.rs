//! The graph descriptor: a plain, typed, serde-(de)serialisable description
//! of a co-simulation topology, as written in a graph file.
//!
//! ```toml
//! [simulation]
//! dt_ms = 0.1
//! duration_ms = 1000.0
//! seed = 42
//! scheme = "parallel"        # or "serial"
//!
//! [actors.brain]
//! kind = "mean_field"        # every actor table has a `kind`
//!
//! [[edges]]
//! from = "brain.state"       # actor.port
//! to = "raw.input"
//! delay_ms = 0.0             # ≥ the window when > 0
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How actors are scheduled within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// One actor at a time, in dependency order.
    Serial,
    /// All actors concurrently, each limited only by its inputs.
    #[default]
    Parallel,
}

/// Transport of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// In-process bounded channel.
    #[default]
    Channel,
    /// Shared-memory rings in `/dev/shm` between processes on one host (or
    /// threads of one process).
    Shm,
    /// ZeroMQ (PAIR sockets, the wire format of `docs/protocol.md`) over
    /// `ipc://` on one host or `tcp://` between hosts.
    Zmq,
    /// MPI point-to-point messages between two partitions run as ranks of
    /// one `mpirun` (the root crate's `mpi` feature): the same window
    /// frames as ZeroMQ's, one message per window.
    Mpi,
}

/// `[simulation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationDesc {
    /// Integration step, ms.
    pub dt_ms: f64,
    /// Simulated duration, ms (a multiple of `dt_ms`).
    pub duration_ms: f64,
    /// Seed every actor derives its random stream from.
    #[serde(default)]
    pub seed: u64,
    /// Scheduling scheme.
    #[serde(default)]
    pub scheme: Scheme,
    /// Synchronisation window, ms. Default: the smallest delay of any
    /// delayed edge, or 10 ms (at most the duration) when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_ms: Option<f64>,
    /// Refuse model parameters outside their documented range (tvb-library's
    /// domain, a hint); by default they are used with a warning. `--strict`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict_ranges: bool,
}

/// `[actors.NAME]`: a kind and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorDesc {
    /// The actor kind (`brainstream list` shows them).
    pub kind: String,
    /// The partition (OS process) that runs it; all in `main` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// Kind-specific parameters.
    #[serde(flatten)]
    pub params: toml::Table,
}

/// `[[edges]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeDesc {
    /// `actor.port` of an output.
    pub from: String,
    /// `actor.port` of an input.
    pub to: String,
    /// Transmission delay, ms: the consumer sees at time `t` what the
    /// producer emitted at `t − delay`. Zero, or at least one window.
    #[serde(default)]
    pub delay_ms: f64,
    /// Transport.
    #[serde(default)]
    pub transport: Transport,
    /// ZeroMQ endpoint (`tcp://host:port` or `ipc:///path`); default: an
    /// `ipc://` socket in the temporary folder, private to the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// A whole graph file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphDesc {
    pub simulation: SimulationDesc,
    #[serde(default)]
    pub actors: BTreeMap<String, ActorDesc>,
    #[serde(default)]
    pub edges: Vec<EdgeDesc>,
}
