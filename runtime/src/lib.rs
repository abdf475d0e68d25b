//! # brainstream-runtime
//!
//! The actor runtime of brainstream: the [`Actor`] trait with typed ports,
//! the graph descriptor and its validation, and the lockstep scheduler. It
//! knows actors only through the trait and a [`Registry`] of kinds; it knows
//! nothing of models or files.
//!
//! One window of data, in order: a graph file is parsed into a
//! [`GraphDesc`](graph::GraphDesc) ([`graph::load`]), validated and built into
//! a [`ValidGraph`](graph::ValidGraph) ([`graph::validate`]), and run by
//! [`scheduler::run`]: each actor's thread collects its inputs for the
//! window, calls [`Actor::step`], and sends its outputs down its edges.

pub mod actor;
pub mod checkpoint;
pub mod control;
pub(crate) mod edge;
pub mod error;
pub mod graph;
pub mod hook;
pub mod limits;
pub mod machine;
pub mod params;
pub mod payload;
pub mod scheduler;
pub mod seed;
#[doc(hidden)]
pub mod transport;
pub mod wire;

pub use actor::{
    Actor, BuildCtx, Footprint, Inputs, KindSpec, Outputs, Pipelined, PlanCtx, PortDecl, PortShape,
    Registry, RunContext, SeriesNames, WindowInfo,
};
pub use checkpoint::{Checkpointing, StateReader, StateWriter, Stateful};
pub use error::{ActorError, GraphIssue, RuntimeError};
pub use graph::{GraphDesc, GraphSource, ValidGraph};
pub use hook::{Hooks, RunShape, Steered, Steering, WindowHook};
pub use params::{BuildError, DefaultValue, ParamSpec, ParamType, Params, TableValue};
pub use payload::{NodeSpace, Payload, PortType, Series, SeriesMeta, Spikes};
pub use scheduler::{run, Cancel, Progress, RunOptions, RunSummary};
