//! Edges that leave the process, or go through a socket inside it: a
//! *connector* (zenoh-flow's word) replaces the far end of the edge's
//! channel, so that actors and the scheduler see the same bounded channel
//! whatever carries the windows. The sending connector takes the producer's
//! windows from the channel, encodes them in the wire format
//! (`docs/protocol.md`) and sends them; the receiving one decodes and puts
//! them in the consumer's channel. Both ends shake hands first (graph hash,
//! dt, window length, edge, protocol version).

pub mod auth;
pub mod carried;
pub(crate) mod connector;
pub(crate) mod ipc;
pub mod rendezvous;
pub mod watch;
pub(crate) mod zmq;

pub use auth::{RunKey, RUN_KEY_ENV};
pub use carried::{CarriedEdge, CarriedPipe, EdgeCarrier};
pub use rendezvous::{remove_run_files, RUN_TOKEN_ENV};
pub use watch::PeerWatch;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::edge::{Msg, Shared};
use crate::wire::Hello;
use connector::{fail, Pipe};

/// Which end of an edge a connector serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// Takes the producer's windows and sends them.
    Producing,
    /// Receives windows and hands them to the consumer.
    Consuming,
}

/// What carries an edge between connectors.
#[derive(Clone)]
pub(crate) enum Medium {
    /// A ZeroMQ PAIR socket of this run's context.
    Zmq(Arc<zmq::ZmqRun>),
    /// A shared-memory file with two rings.
    Shm,
    /// A carrier from outside the runtime (MPI between ranks).
    Carried(Arc<dyn EdgeCarrier>),
}

impl Medium {
    fn open(&self, link: &Link, end: End, shared: &Shared) -> Result<Box<dyn Pipe>, String> {
        match self {
            Medium::Zmq(run) => zmq::open_pipe(run, link, end, shared),
            Medium::Shm => shm::open_pipe(link, end, shared),
            Medium::Carried(c) => {
                let producing = end == End::Producing;
                let far = if producing { &link.to } else { &link.from };
                let p = c.open(&CarriedEdge {
                    index: link.index,
                    name: link.name.clone(),
                    producing,
                    far_partition: far.1.clone(),
                    far_actor: far.0.clone(),
                })?;
                Ok(Box::new(carried::Carried(p)))
            }
        }
    }
}

/// The producing end of `link`: opens its pipe, then sends the windows
/// that arrive on `rx` until the producer finishes or the run aborts.
pub(crate) fn sender(medium: Medium, link: Link, rx: Receiver<Msg>, shared: Arc<Shared>) {
    match medium.open(&link, End::Producing, &shared) {
        Ok(mut p) => connector::sender(p.as_mut(), &link, rx, &shared),
        Err(e) => opening_failed(&shared, &link.from.0, e),
    }
}

/// The consuming end of `link`: opens its pipe, then puts the windows it
/// receives into `tx`.
pub(crate) fn receiver(medium: Medium, link: Link, tx: Sender<Msg>, shared: Arc<Shared>) {
    match medium.open(&link, End::Consuming, &shared) {
        Ok(mut p) => connector::receiver(p.as_mut(), &link, tx, &shared),
        Err(e) => opening_failed(&shared, &link.to.0, e),
    }
}

/// A pipe that could not be opened fails the run, unless it already
/// stopped (a producer waiting for its file then has nothing to report).
fn opening_failed(shared: &Shared, actor: &str, e: String) {
    if !shared.abort.load(Ordering::SeqCst) {
        fail(shared, actor, e)
    }
}

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
    /// ZeroMQ endpoint, the shared-memory file, or what carries it (MPI).
    pub endpoint: String,
    /// An endpoint the graph names: authenticated with the run key.
    pub authenticated: bool,
    /// What this end says in the handshake.
    pub hello: Hello,
}
pub mod shm;
