//! The actor abstraction: every component of a co-simulation (a brain
//! network, a monitor, a recorder, a spiking population, a transformer) is an
//! [`Actor`] with typed ports, stepped one synchronisation window at a time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::ActorError;
use crate::params::{BuildError, ParamSpec, Params};
use crate::payload::{Payload, PortType};

/// A port declaration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PortDecl {
    pub name: &'static str,
    pub ty: PortType,
    pub doc: &'static str,
    /// Which samples a delayed edge delivers in window `[s0, s0+n)`: those
    /// stamped in `[s0, s0+n)` (false: inputs that drive the steps from
    /// their stamps on), or in `(s0, s0+n]` (true: values that replace the
    /// state at their stamp, such as proxy states, which the window's steps
    /// produce at `s0+1 … s0+n`).
    pub end_stamped: bool,
}

/// What an actor knows about the run it takes part in.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// The actor's name in the graph.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Where files go.
    pub out_dir: PathBuf,
    /// The actor's own seed, derived from the graph's seed and its name.
    pub seed: u64,
    /// The graph's seed.
    pub graph_seed: u64,
    /// Integration step, ms.
    pub dt_ms: f64,
    /// Total number of steps.
    pub total_steps: u64,
    /// Steps per synchronisation window.
    pub window_steps: u64,
    /// The graph file's text (after overrides), for provenance: one copy
    /// shared by every actor of the run (a graph of 5000 actors and 457 KB
    /// held 2.2 GB when each context had its own).
    pub graph_text: Arc<str>,
    /// The graph file's path, if it came from a file.
    pub graph_path: Option<PathBuf>,
    /// (input port, delay in steps) of every edge into this actor: an input
    /// stamped k on an edge of delay D is seen stamped k + D.
    pub input_delays: Vec<(String, u64)>,
}

impl RunContext {
    /// The delays (steps) of the edges into input `port`.
    pub fn delays_into<'a>(&'a self, port: &'a str) -> impl Iterator<Item = u64> + 'a {
        self.input_delays
            .iter()
            .filter(move |(p, _)| p == port)
            .map(|(_, d)| *d)
    }
}

/// The window being computed: steps `start_step .. start_step + n_steps`
/// (times `start_step·dt` to `(start_step + n_steps)·dt`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowInfo {
    pub index: u64,
    pub start_step: u64,
    pub n_steps: u64,
    pub dt_ms: f64,
}

impl WindowInfo {
    /// Start time in ms.
    pub fn start_ms(&self) -> f64 {
        self.start_step as f64 * self.dt_ms
    }
    /// End time in ms.
    pub fn end_ms(&self) -> f64 {
        (self.start_step + self.n_steps) as f64 * self.dt_ms
    }
    /// Whether step (stamp) `k` lies in this window.
    pub fn contains(&self, k: u64) -> bool {
        (self.start_step..self.start_step + self.n_steps).contains(&k)
    }
}

/// The inputs of one window, by port name. A port with no edge, or whose
/// producer sent nothing for this window, is absent.
#[derive(Debug, Default)]
pub struct Inputs {
    pub(crate) map: BTreeMap<&'static str, Payload>,
}

impl Inputs {
    /// The payload on `port`, if any.
    pub fn get(&self, port: &str) -> Option<&Payload> {
        self.map.get(port)
    }
    /// Builds inputs by hand (for tests and embedding).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (&'static str, Payload)>) -> Self {
        Self {
            map: pairs.into_iter().collect(),
        }
    }
}

/// The outputs of one window, by port name.
#[derive(Debug, Default)]
pub struct Outputs {
    pub(crate) map: BTreeMap<&'static str, Payload>,
}

impl Outputs {
    /// Sets the payload of `port` for this window.
    pub fn set(&mut self, port: &'static str, p: Payload) {
        self.map.insert(port, p);
    }
    /// Takes the payload of `port` (for tests and embedding).
    pub fn take(&mut self, port: &str) -> Option<Payload> {
        self.map.remove(port)
    }
    /// The payload of `port`, if set.
    pub fn get(&self, port: &str) -> Option<&Payload> {
        self.map.get(port)
    }
    /// Every port set, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Payload)> {
        self.map.iter().map(|(k, v)| (*k, v))
    }
}

/// What is known before the run about the data an output port sends.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortShape {
    /// Variables of a series (`None`: not known before the run, or spikes).
    pub variables: Option<usize>,
    /// Nodes of a series (regions, neurons), or the number of spike senders.
    pub nodes: Option<usize>,
    /// Average samples (series) or events (spikes) per simulated step.
    pub samples_per_step: f64,
    /// Average bytes per simulated step (values, stamps and times).
    pub bytes_per_step: f64,
    /// A series' variable names and node labels, where the producer knows
    /// them before the run (a consumer then checks names against them).
    pub names: Option<Arc<SeriesNames>>,
}

/// The names of a series' axes known before the run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesNames {
    /// One name per variable.
    pub variables: Vec<String>,
    /// One label per node (region).
    pub nodes: Vec<String>,
}

impl PortShape {
    /// A series of `variables × nodes` values, `samples_per_step` samples
    /// per step (1 for a raw state, 1/period for a monitor).
    pub fn series(variables: usize, nodes: usize, samples_per_step: f64) -> Self {
        Self {
            variables: Some(variables),
            nodes: Some(nodes),
            samples_per_step,
            // per sample: the values, a u64 stamp and an f64 time
            bytes_per_step: samples_per_step * ((variables * nodes) as f64 * 8.0 + 16.0),
            names: None,
        }
    }

    /// A series whose variable names and node labels are known.
    pub fn named_series(variables: &[String], nodes: &[String], samples_per_step: f64) -> Self {
        Self {
            names: Some(Arc::new(SeriesNames {
                variables: variables.to_vec(),
                nodes: nodes.to_vec(),
            })),
            ..Self::series(variables.len(), nodes.len(), samples_per_step)
        }
    }

    /// Spikes of `senders` senders at `events_per_step` events per step
    /// (sender u32, stamp u64, time f64: 20 bytes each).
    pub fn spikes(senders: usize, events_per_step: f64) -> Self {
        Self {
            variables: None,
            nodes: Some(senders),
            samples_per_step: events_per_step,
            bytes_per_step: events_per_step * 20.0,
            names: None,
        }
    }
}

/// What [`Actor::plan`] gets: the run's size and what its inputs will carry.
#[derive(Debug, Clone, Copy)]
pub struct PlanCtx<'a> {
    /// Integration step, ms.
    pub dt_ms: f64,
    /// Steps of the run.
    pub total_steps: u64,
    /// Steps per window.
    pub window_steps: u64,
    /// (input port, shape of the producer's port) of every edge into the actor.
    pub inputs: &'a [(&'static str, PortShape)],
}

impl PlanCtx<'_> {
    /// The shape of what arrives on input `port`, if an edge feeds it.
    pub fn input(&self, port: &str) -> Option<&PortShape> {
        self.inputs.iter().find(|(p, _)| *p == port).map(|(_, s)| s)
    }
    /// Bytes per step arriving on all inputs together.
    pub fn input_bytes_per_step(&self) -> f64 {
        self.inputs.iter().map(|(_, s)| s.bytes_per_step).sum()
    }
}

/// What an actor will hold, write and send, estimated before the run so
/// that a run that cannot fit the machine is refused before any work.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Footprint {
    /// Bytes held while running (state, tables, buffers), beyond the
    /// windows travelling on its edges.
    pub memory_bytes: f64,
    /// Bytes written to the output folder per simulated step.
    pub disk_bytes_per_step: f64,
    /// Bytes written once (a plot, file headers).
    pub disk_bytes: f64,
    /// Shapes of output ports; an output not listed is taken to carry as
    /// much as all its inputs together (a transformer's rule of thumb).
    pub outputs: Vec<(&'static str, PortShape)>,
}

/// A component stepped in lockstep windows on its own thread.
pub trait Actor: Send {
    /// Checks what will arrive on its inputs (the shapes of the producers'
    /// ports) against its own parameters, and estimates what it will hold,
    /// write and send. Validation calls it for every actor, producers
    /// first, before anything runs; an error is reported at the actor's
    /// key like a build error. Default: nothing checked, held or written.
    fn plan(&self, _ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        Ok(Footprint::default())
    }
    /// Called once before the first window: open files, seed generators.
    fn start(&mut self, _ctx: &RunContext) -> Result<(), ActorError> {
        Ok(())
    }
    /// Computes one window from its inputs and sets its outputs.
    fn step(
        &mut self,
        win: &WindowInfo,
        inputs: &Inputs,
        outputs: &mut Outputs,
    ) -> Result<(), ActorError>;
    /// Called once after the last window, or after a failure anywhere in the
    /// graph (`complete` false): flush and close. Returns the files written.
    fn finish(&mut self, _complete: bool) -> Result<Vec<PathBuf>, ActorError> {
        Ok(vec![])
    }
    /// An actor whose windows are computed elsewhere (another program)
    /// returns itself here, so that the parallel scheme can hand it the
    /// inputs of later windows before it gives back the outputs of earlier
    /// ones, as far as the graph's delays allow
    /// ([`ValidGraph::lookahead`](crate::ValidGraph::lookahead)): the other
    /// program then starts its next window without waiting for a round trip.
    fn pipelined(&mut self) -> Option<&mut dyn Pipelined> {
        None
    }
    /// The parameters that can change between two windows of a run
    /// (steering: the live view, `brainstream steer`, `--replay`), by their
    /// keys in the graph file (`coupling_params.a`). Default: none.
    fn steerable(&self) -> Vec<String> {
        vec![]
    }
    /// Parameters the graph sets that cannot change during a run, each with
    /// the reason (`("speed_mm_per_ms", "the delays are whole steps fixed
    /// at the start")`): a key, or a table whose keys share the reason
    /// (`connections` covers `connections[0].weight`). Said when a change
    /// of one is refused ([`control::not_steerable`](crate::control::not_steerable)).
    /// Default: none.
    fn unsteerable(&self) -> Vec<(String, String)> {
        vec![]
    }
    /// Sets steerable parameter `key` to `value` from the next window on,
    /// returning its value until now. Called between windows only (before
    /// the window it first applies to); the same changes before the same
    /// windows give the same results bit for bit.
    fn steer(&mut self, key: &str, _value: f64) -> Result<f64, ActorError> {
        Err(ActorError::new(format!(
            "`{key}` cannot change during a run (this actor has no steerable parameter)"
        )))
    }
    /// An actor that can save its state at a window boundary and continue
    /// from it returns itself here ([`Stateful`](crate::checkpoint::Stateful));
    /// by default none can, and a checkpointed run (`--checkpoint-every`,
    /// `brainstream resume`) refuses before any work, naming the actor and
    /// its kind.
    fn stateful(&mut self) -> Option<&mut dyn crate::checkpoint::Stateful> {
        None
    }
}

/// The two halves of [`Actor::step`], for an actor that can have several
/// windows in flight. The scheduler calls `submit` for windows 0, 1, 2, …
/// and `collect` for the same windows in the same order, each window's
/// `collect` after its `submit`, with at most the actor's lookahead of
/// windows submitted and not yet collected. Outputs and results are the
/// same as with `step`, which must be `submit` then `collect`.
pub trait Pipelined {
    /// Sends window `win`'s inputs on their way.
    fn submit(&mut self, win: &WindowInfo, inputs: &Inputs) -> Result<(), ActorError>;
    /// Waits for window `win`'s outputs and sets them.
    fn collect(&mut self, win: &WindowInfo, outputs: &mut Outputs) -> Result<(), ActorError>;
    /// Where its windows are computed, as messages say it ("its windows
    /// are computed by …"): by default another program.
    fn computed_by(&self) -> &'static str {
        "another program"
    }
}

/// What a kind's builder gets.
#[derive(Debug)]
pub struct BuildCtx<'a> {
    /// The actor's name.
    pub name: &'a str,
    /// Its parameters.
    pub params: Params<'a>,
    /// Integration step, ms.
    pub dt_ms: f64,
    /// Simulated duration, ms.
    pub duration_ms: f64,
}

/// An actor kind: its declaration and its builder.
#[derive(Debug, Clone, Copy)]
pub struct KindSpec {
    /// The name used as `kind = "…"`.
    pub name: &'static str,
    /// One paragraph for `brainstream list`.
    pub doc: &'static str,
    pub params: &'static [ParamSpec],
    pub inputs: &'static [PortDecl],
    pub outputs: &'static [PortDecl],
    /// Builds the actor from validated parameters. Must not touch the file
    /// system beyond reading inputs: building is also how a graph is
    /// validated.
    pub build: fn(&BuildCtx) -> Result<Box<dyn Actor>, BuildError>,
}

impl KindSpec {
    /// Input port by name.
    pub fn input(&self, name: &str) -> Option<&PortDecl> {
        self.inputs.iter().find(|p| p.name == name)
    }
    /// Output port by name.
    pub fn output(&self, name: &str) -> Option<&PortDecl> {
        self.outputs.iter().find(|p| p.name == name)
    }
}

/// The kinds a runtime can build, by name.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, KindSpec>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a kind; a later registration of the same name replaces it.
    pub fn register(&mut self, k: KindSpec) {
        self.kinds.insert(k.name, k);
    }
    /// A kind by name.
    pub fn get(&self, name: &str) -> Option<&KindSpec> {
        self.kinds.get(name)
    }
    /// All kinds, by name.
    pub fn kinds(&self) -> impl Iterator<Item = &KindSpec> {
        self.kinds.values()
    }
    /// All kind names.
    pub fn names(&self) -> Vec<&'static str> {
        self.kinds.keys().copied().collect()
    }
}

/// Resolves `p` against `base` (absolute paths stay as they are).
pub fn resolve(base: &Path, p: &str) -> PathBuf {
    base.join(p)
}
