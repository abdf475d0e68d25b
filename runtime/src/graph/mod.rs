//! Graph files: the typed descriptor ([`descriptor`]), loading with
//! `--set` overrides and error locations ([`load`]), validation into a
//! runnable graph ([`validate`]), how far ahead an actor's inputs are known
//! ([`slack`]), what a run will hold and write ([`footprint`]) and
//! Graphviz output ([`dot`]).
//!
//! The descriptor is plain data and knows nothing of how it is executed;
//! validation builds every actor through the [`Registry`](crate::Registry)
//! and checks every edge before anything runs.

pub mod descriptor;
pub mod dot;
pub mod footprint;
pub mod load;
pub mod slack;
pub mod validate;

pub use descriptor::{ActorDesc, EdgeDesc, GraphDesc, Scheme, SimulationDesc, Transport};
pub use load::{apply_override, GraphSource};
pub use validate::{ResolvedEdge, ValidGraph};
