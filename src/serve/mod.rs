//! The live view (`brainstream run GRAPH --serve`), steering
//! (`brainstream steer`, `--replay`) and pacing to the wall clock
//! (`--realtime`); docs/live.md says how to use them.
//!
//! The scheduler calls [`live::Live`] (gathers what the page shows),
//! [`control::Control`] (pause, steering, replay) and [`pace::Pace`] as
//! window hooks ([`brainstream::runtime::WindowHook`]); [`server`] serves
//! the page, its JSON and a WebSocket from std::net threads.

pub mod control;
pub mod live;
pub mod pace;
pub mod server;
pub mod steer_cmd;
