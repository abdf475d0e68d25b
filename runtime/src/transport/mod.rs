//! Edges that leave the process, or go through a socket inside it: a
//! *connector* (zenoh-flow's word) replaces the far end of the edge's
//! channel, so that actors and the scheduler see the same bounded channel
//! whatever carries the windows. The sending connector takes the producer's
//! windows from the channel, encodes them in the wire format
//! (`docs/protocol.md`) and sends them; the receiving one decodes and puts
//! them in the consumer's channel. Both ends shake hands first (graph hash,
//! dt, window length, edge, protocol version).

pub(crate) mod connector;
pub mod watch;
pub(crate) mod zmq;

pub use watch::PeerWatch;

use crate::wire::Hello;

/// One edge as a connector sees it.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    /// Index of the edge in the graph.
    pub index: u32,
    /// `from_actor.port->to_actor.port`, for messages.
    pub name: String,
    /// The producing actor and its partition, the consuming actor and its
    /// partition (errors name the far one).
    pub from: (String, String),
    pub to: (String, String),
    /// ZeroMQ endpoint.
    pub endpoint: String,
    /// What this end says in the handshake.
    pub hello: Hello,
}
pub mod shm;
