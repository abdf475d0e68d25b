//! Edges carried by a medium the runtime does not own: `transport = "mpi"`
//! between partitions run as MPI ranks. The runtime stays free of MPI; the
//! root crate's `mpi` feature hands the scheduler an [`EdgeCarrier`]
//! (`RunOptions::mpi`), and each end of such an edge gets a
//! [`CarriedPipe`] from it. The connector protocol on top is every other
//! transport's (`connector.rs`): the handshake, one message per window in
//! the wire format of `docs/protocol.md`, the end and its acknowledgement,
//! errors both ways — so ordering, lockstep and failure reports are the
//! same whatever carries the bytes.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::connector::Pipe;
use crate::edge::Shared;

/// One end of an edge as a carrier sees it.
#[derive(Debug, Clone)]
pub struct CarriedEdge {
    /// Index of the edge in the graph (`edges[index]`).
    pub index: u32,
    /// `from_actor.port->to_actor.port`, for messages.
    pub name: String,
    /// True at the producing end (it sends windows), false at the consuming one.
    pub producing: bool,
    /// The partition at the other end, and its actor.
    pub far_partition: String,
    pub far_actor: String,
}

/// Opens the ends of carried edges in this process (shared by every
/// connector thread of a run).
pub trait EdgeCarrier: Send + Sync + std::fmt::Debug {
    /// This process's end of `edge`; an error names why it cannot be opened.
    fn open(&self, edge: &CarriedEdge) -> Result<Box<dyn CarriedPipe>, String>;
}

/// A message pipe between the two ends of one carried edge: messages
/// arrive whole and in the order they were sent; at most a few are in
/// flight, so a sender waits while its peer is behind (back-pressure).
pub trait CarriedPipe {
    /// Sends one message, waiting while the peer is behind; an error when
    /// the peer is gone, or when `abort` is set (the run stops).
    fn send(&mut self, bytes: &[u8], abort: &AtomicBool) -> Result<(), String>;
    /// One message within `timeout` (None: until `abort`); Ok(None) on
    /// timeout or abort; an error when the peer is gone and sent nothing more.
    fn recv(
        &mut self,
        abort: &AtomicBool,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<u8>>, String>;
    /// A message if one is there.
    fn try_recv(&mut self) -> Option<Vec<u8>>;
    /// Sends without waiting (on the way out; errors ignored).
    fn send_now(&mut self, bytes: &[u8]);
    /// The peer is gone or failed: do not wait for undelivered messages.
    fn abandon(&mut self) {}
}

/// A carried pipe as the connectors use every pipe.
pub(crate) struct Carried(pub(crate) Box<dyn CarriedPipe>);

impl Pipe for Carried {
    fn send(&mut self, bytes: &[u8], shared: &Shared) -> Result<(), String> {
        self.0.send(bytes, &shared.abort)
    }

    fn recv(
        &mut self,
        shared: &Shared,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<u8>>, String> {
        self.0.recv(&shared.abort, timeout)
    }

    fn try_recv(&mut self) -> Option<Vec<u8>> {
        self.0.try_recv()
    }

    fn send_now(&mut self, bytes: &[u8]) {
        self.0.send_now(bytes)
    }

    fn abandon(&mut self) {
        self.0.abandon()
    }
}
