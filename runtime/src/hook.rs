//! Watching a run window by window: the scheduler calls every
//! [`WindowHook`] of [`RunOptions::hooks`](crate::RunOptions::hooks) around
//! each actor's windows, on that actor's thread.
//!
//! What the hooks are for: the live view (`brainstream run --serve`) reads
//! the outputs, steering changes an actor's parameter between two of its
//! windows, pausing blocks before a window, `--realtime` paces the windows to
//! the wall clock. A hook sees the actor itself, so whatever it does between
//! windows happens at a definite window of that actor: a change applied
//! before window `w` of actor `a` gives the same values in every run that
//! applies it there, whatever the threads' timing.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use crate::actor::{Actor, Outputs};
use crate::error::ActorError;

/// The values an actor's parameters were steered to during a run (and, in a
/// resumed run, before its checkpoint), by key, in the order of their last
/// change: what a checkpoint carries so that `brainstream resume` sets them
/// again ([`crate::checkpoint`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Steered(pub Vec<(String, f64)>);

impl Steered {
    /// `key` is `value` from now on (moved to the end: the last changed).
    pub fn set(&mut self, key: &str, value: f64) {
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_string(), value));
    }
}

/// What a hook may change of an actor between two of its windows: its
/// steerable parameters ([`Actor::steerable`], [`Actor::steer`]). Every
/// change made through it is remembered by the run, so that a checkpoint
/// taken later carries it.
pub struct Steering<'a> {
    actor: &'a mut dyn Actor,
    steered: &'a mut Steered,
}

impl<'a> Steering<'a> {
    /// Steering of `actor`, remembering the changes in `steered`.
    pub fn new(actor: &'a mut dyn Actor, steered: &'a mut Steered) -> Self {
        Self { actor, steered }
    }
    /// The keys that can change ([`Actor::steerable`]).
    pub fn steerable(&self) -> Vec<String> {
        self.actor.steerable()
    }
    /// Sets `key` to `value` from the next window on ([`Actor::steer`]);
    /// returns its value until now. A refused value changes nothing.
    pub fn steer(&mut self, key: &str, value: f64) -> Result<f64, ActorError> {
        let old = self.actor.steer(key, value)?;
        self.steered.set(key, value);
        Ok(old)
    }
}

/// What a hook learns when the run starts (before any window).
#[derive(Debug, Clone)]
pub struct RunShape {
    /// Every actor of the graph, in the graph's order (the index the other
    /// calls give), with its kind.
    pub actors: Vec<(String, &'static str)>,
    /// Whether each actor runs in this process (a partition runs some).
    pub local: Vec<bool>,
    /// The parameters each actor can change during the run
    /// ([`Actor::steerable`]).
    pub steerable: Vec<Vec<String>>,
    /// The parameters each actor fixes for the run, with the reason
    /// ([`Actor::unsteerable`]).
    pub unsteerable: Vec<Vec<(String, String)>>,
    /// Step, ms.
    pub dt_ms: f64,
    /// Steps per window (the last may have fewer).
    pub window_steps: u64,
    /// Steps of the whole run.
    pub total_steps: u64,
    /// Windows of the whole run.
    pub n_windows: u64,
    /// The first window this run computes: 0, or a resumed run's
    /// checkpoint window (the windows before it were computed by the run
    /// that wrote the checkpoint).
    pub first_window: u64,
    /// Nanoseconds each actor has spent in its `step` so far (busy), by
    /// actor index; the rest of the wall time it waited or was scheduled.
    pub busy_ns: Arc<Vec<AtomicU64>>,
    /// Windows each actor has completed so far, by actor index.
    pub done: Arc<Vec<AtomicU64>>,
}

/// Called by the scheduler around each actor's windows, on the actor's
/// thread (every call for one actor from one thread, in window order).
/// Keep `before` and `after` cheap: they run inside the lockstep loop.
pub trait WindowHook: Send + Sync {
    /// Once, before any actor starts.
    fn attach(&self, _shape: &RunShape) {}
    /// Before actor `actor` (its index in [`RunShape::actors`]) computes
    /// window `window`: may block (a pause, pacing) and may change the
    /// actor's steerable parameters (through `steering`, which remembers
    /// them for checkpoints). An error fails the run as the actor's own
    /// error would.
    fn before(
        &self,
        _actor: usize,
        _window: u64,
        _steering: &mut Steering<'_>,
    ) -> Result<(), ActorError> {
        Ok(())
    }
    /// After it computed window `window`, with its outputs (before they are
    /// sent on).
    fn after(&self, _actor: usize, _window: u64, _outputs: &Outputs) {}
    /// Actor `actor` applied `change`, which arrived on its `control` input
    /// ([`crate::control`]), before window `window` (after `before`, on the
    /// actor's thread). An error (the change could not be written down)
    /// fails the run as the actor's own error would.
    fn steered(
        &self,
        _actor: usize,
        _window: u64,
        _change: &crate::control::Applied,
    ) -> Result<(), ActorError> {
        Ok(())
    }
    /// Once, after every actor has finished (or the run failed).
    fn detach(&self) {}
}

/// The hooks of a run, in the order they are called.
#[derive(Clone, Default)]
pub struct Hooks(pub Vec<Arc<dyn WindowHook>>);

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hooks({})", self.0.len())
    }
}

impl Hooks {
    /// No hook.
    pub fn none() -> Self {
        Self::default()
    }
    /// Adds one.
    pub fn push(&mut self, h: Arc<dyn WindowHook>) {
        self.0.push(h);
    }
    /// Whether there is none (the scheduler then skips the calls).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub(crate) fn before(
        &self,
        actor: usize,
        window: u64,
        steering: &mut Steering<'_>,
    ) -> Result<(), ActorError> {
        for h in &self.0 {
            h.before(actor, window, steering)?;
        }
        Ok(())
    }
    pub(crate) fn steered(
        &self,
        actor: usize,
        window: u64,
        change: &crate::control::Applied,
    ) -> Result<(), ActorError> {
        for h in &self.0 {
            h.steered(actor, window, change)?;
        }
        Ok(())
    }
    pub(crate) fn after(&self, actor: usize, window: u64, outputs: &Outputs) {
        for h in &self.0 {
            h.after(actor, window, outputs);
        }
    }
}
