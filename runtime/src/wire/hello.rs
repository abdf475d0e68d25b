//! The handshake: each end of an edge sends a `Hello` (kind 1, UTF-8 JSON
//! payload) before any window, and refuses to go on when the other's differs
//! in what makes a run the same run.

use serde::{Deserialize, Serialize};

use super::WireError;

/// What each end says about itself and its edge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    /// Protocol version (the header's).
    pub protocol: u16,
    /// Hash of the validated graph (hex), the same in every partition.
    pub graph_hash: String,
    /// Integration step, ms.
    pub dt_ms: f64,
    /// Steps per window.
    pub window_steps: u64,
    /// `from_actor.port->to_actor.port`.
    pub edge: String,
    /// `series`, `current` or `spikes`.
    pub port_type: String,
    /// Series edges: variable and node names and the unit.
    #[serde(default)]
    pub variables: Vec<String>,
    #[serde(default)]
    pub nodes: Vec<String>,
    #[serde(default)]
    pub unit: String,
    /// Who is speaking (e.g. `brainstream 0.1.0 partition cortex`, or the
    /// Python client's name), for messages only.
    #[serde(default)]
    pub peer: String,
}

impl Hello {
    /// Refuses a peer that runs another graph, step, window, edge or version.
    pub fn check(&self, peer: &Hello) -> Result<(), WireError> {
        let edge = &self.edge;
        let mis = |what: &'static str, ours: String, theirs: String| WireError::Mismatch {
            edge: edge.clone(),
            what,
            ours,
            theirs,
        };
        if self.protocol != peer.protocol {
            return Err(WireError::Version {
                edge: edge.clone(),
                got: peer.protocol,
                want: self.protocol,
            });
        }
        if self.edge != peer.edge {
            return Err(mis("edge", self.edge.clone(), peer.edge.clone()));
        }
        if self.graph_hash != peer.graph_hash {
            return Err(mis(
                "graph hash (the two ends read different graph files)",
                self.graph_hash.clone(),
                peer.graph_hash.clone(),
            ));
        }
        if self.dt_ms.to_bits() != peer.dt_ms.to_bits() {
            return Err(mis("dt_ms", self.dt_ms.to_string(), peer.dt_ms.to_string()));
        }
        if self.window_steps != peer.window_steps {
            return Err(mis(
                "window length (steps)",
                self.window_steps.to_string(),
                peer.window_steps.to_string(),
            ));
        }
        if self.port_type != peer.port_type {
            return Err(mis(
                "port type",
                self.port_type.clone(),
                peer.port_type.clone(),
            ));
        }
        // a receiver may not know the layout before the sender's hello
        let known = |h: &Hello| !h.variables.is_empty() || !h.nodes.is_empty();
        if known(self)
            && known(peer)
            && (self.variables != peer.variables || self.nodes != peer.nodes)
        {
            return Err(mis(
                "series layout (variables × nodes)",
                format!("{} × {}", self.variables.len(), self.nodes.len()),
                format!("{} × {}", peer.variables.len(), peer.nodes.len()),
            ));
        }
        Ok(())
    }
}
