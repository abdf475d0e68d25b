//! Steering and pausing a run between windows ([`Control`] is a
//! [`WindowHook`]).
//!
//! A change `ACTOR.PARAMETER=VALUE` (from the page, `brainstream steer`, or
//! a replayed events file) waits in the actor's queue and is applied by
//! [`Actor::steer`](brainstream::Actor::steer) before the actor's next
//! window `w`; the change is written at once to `OUT/steering.jsonl` as
//! `{"window": w, "key", "old", "new", "source"}`; so is a change that
//! arrived on an actor's `control` input (source `control:ACTOR.PORT`,
//! applied by the scheduler: `brainstream_runtime::control`). Since what an actor
//! computes depends only on its inputs and its own state, applying the same
//! changes before the same windows gives the same values bit for bit:
//! `brainstream run GRAPH --replay steering.jsonl` does that.
//!
//! A run resumed from a checkpoint at window `W` (`brainstream resume`)
//! starts its events file with the checkpointed run's changes before `W`
//! ([`carried_events`]): it is then the file of the run that never stopped.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use brainstream::runtime::control::Applied;
use brainstream::runtime::{ActorError, Cancel, RunShape, Steering, WindowHook};

use super::live::{Event, Live};

/// A replayed change: parameter, old and new values, line of the file.
type Replayed = (String, f64, f64, usize);

#[derive(Default)]
struct Inner {
    /// actor names, kinds, whether local, and steerable keys (set at attach)
    names: Vec<String>,
    kinds: Vec<&'static str>,
    local: Vec<bool>,
    steerable: Vec<Vec<String>>,
    /// per actor: the parameters it fixes for the run, with the reason
    unsteerable: Vec<Vec<(String, String)>>,
    /// windows each actor has begun (the next change applies before the next one)
    started: bool,
    finished: bool,
    /// per actor: (parameter, value, source) waiting for its next window
    pending: Vec<Vec<(String, f64, String)>>,
    /// per actor, by window: replayed changes (parameter, old, new, line)
    replay: Vec<BTreeMap<u64, Vec<Replayed>>>,
    /// what was applied, in order
    events: Vec<Event>,
    file: Option<std::fs::File>,
}

/// Pause, steering and replay of one run.
pub struct Control {
    live: Live,
    cancel: Option<Arc<Cancel>>,
    /// `OUT/steering.jsonl`
    path: PathBuf,
    /// the replayed events, read before the run
    replay: Vec<Event>,
    replay_from: Option<PathBuf>,
    inner: Mutex<Inner>,
    /// nanoseconds spent paused so far (pacing to the wall clock leaves them out)
    pub paused_ns: Arc<AtomicU64>,
    pause_since: Mutex<Option<Instant>>,
}

/// The name of the events file in the output folder.
pub const EVENTS_FILE: &str = "steering.jsonl";

/// Reads an events file (`steering.jsonl` of an earlier run).
pub fn read_events(path: &Path) -> Result<Vec<Event>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--replay {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str::<Event>(l).map_err(|e| {
                format!(
                    "--replay {}:{}: not a steering event ({e}); expected {{\"window\": W, \"key\": \"ACTOR.PARAMETER\", \"old\": X, \"new\": Y}}",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect()
}

/// The changes a resumed run carries over from the run it continues: the
/// lines of that run's events file (as they were written) before the
/// checkpoint's window.
#[derive(Debug, Default)]
pub struct Carried {
    pub events: Vec<Event>,
    pub lines: Vec<String>,
}

/// The changes of events file `path` (of the checkpointed run; none if it
/// has none) applied before window `before`, the checkpoint's.
pub fn carried_events(path: &Path, before: u64) -> Result<Carried, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Carried::default()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut c = Carried::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let e: Event = serde_json::from_str(line).map_err(|err| {
            format!(
                "{}:{}: not a steering event ({err}); the checkpointed run's events file is damaged",
                path.display(),
                i + 1
            )
        })?;
        if e.window < before {
            c.events.push(e);
            c.lines.push(line.to_string());
        }
    }
    Ok(c)
}

impl Control {
    /// Steering of a run writing its events to `events` (`OUT/`
    /// [`EVENTS_FILE`], replaced; a resumed run's starts with the `carried`
    /// changes), replaying `replay` (events read from `replay_from`).
    pub fn new(
        live: Live,
        cancel: Option<Arc<Cancel>>,
        events: &Path,
        replay: Vec<Event>,
        replay_from: Option<PathBuf>,
        carried: Carried,
    ) -> Result<Self, String> {
        // this run's events only: an older file is replaced
        let _ = std::fs::remove_file(events);
        let mut inner = Inner::default();
        if !carried.lines.is_empty() {
            let mut text = carried.lines.join("\n");
            text.push('\n');
            std::fs::write(events, text).map_err(|e| format!("{}: {e}", events.display()))?;
            inner.file = Some(
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(events)
                    .map_err(|e| format!("{}: {e}", events.display()))?,
            );
            for e in &carried.events {
                live.event(e.clone());
            }
            inner.events = carried.events;
        }
        Ok(Self {
            live,
            cancel,
            path: events.to_path_buf(),
            replay,
            replay_from,
            inner: Mutex::new(inner),
            paused_ns: Arc::new(AtomicU64::new(0)),
            pause_since: Mutex::new(None),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Pauses (every actor waits before its next window) or resumes.
    pub fn pause(&self, on: bool) {
        let mut since = self.pause_since.lock().unwrap_or_else(|e| e.into_inner());
        let was = self.live.paused.swap(on, Ordering::SeqCst);
        match (was, on) {
            (false, true) => *since = Some(Instant::now()),
            (true, false) => {
                if let Some(t) = since.take() {
                    self.paused_ns
                        .fetch_add(t.elapsed().as_nanos() as u64, Ordering::SeqCst);
                }
            }
            _ => {}
        }
    }

    /// The changes applied so far.
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.clone()
    }

    /// Queues `ACTOR.PARAMETER=VALUE` for the actor's next window; says
    /// what will happen, or why not (naming the key).
    pub fn request(&self, text: &str, source: &str) -> Result<String, String> {
        let (key, value) = text.split_once('=').ok_or_else(|| {
            format!("`{text}`: give ACTOR.PARAMETER=VALUE, e.g. brain.coupling_params.a=0.03")
        })?;
        let (key, value) = (key.trim(), value.trim());
        let v: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("`{key}`: `{value}` is not a finite number"))?;
        let mut g = self.lock();
        if !g.started {
            return Err(format!("`{key}`: the run has not started yet"));
        }
        if g.finished {
            return Err(format!("`{key}`: the run has finished"));
        }
        let (i, param) = find_actor(&g.names, key)?;
        if !g.local[i] {
            return Err(format!(
                "`{key}`: actor `{}` runs in another partition (steer the partition that runs it)",
                g.names[i]
            ));
        }
        check_steerable(
            &g.names[i],
            g.kinds[i],
            &g.steerable[i],
            &g.unsteerable[i],
            param,
            key,
        )?;
        g.pending[i].push((param.to_string(), v, source.to_string()));
        Ok(format!("{key} = {v} from {}'s next window", g.names[i]))
    }

    /// Writes and shows one applied change.
    fn record(&self, g: &mut Inner, e: Event) -> Result<(), String> {
        if g.file.is_none() {
            g.file = Some(
                std::fs::File::create(&self.path)
                    .map_err(|err| format!("{}: {err}", self.path.display()))?,
            );
        }
        if let Some(f) = g.file.as_mut() {
            let line = serde_json::to_string(&e).map_err(|err| err.to_string())?;
            writeln!(f, "{line}")
                .and_then(|_| f.flush())
                .map_err(|err| format!("{}: {err}", self.path.display()))?;
        }
        tracing::info!(window = e.window, key = %e.key, old = e.old, new = e.new, source = %e.source, "steered");
        g.events.push(e.clone());
        self.live.event(e);
        Ok(())
    }
}

/// The actor `key` names (the longest actor name followed by `.`), and the
/// parameter after it.
fn find_actor<'k>(names: &[String], key: &'k str) -> Result<(usize, &'k str), String> {
    names
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            key.len() > n.len() + 1
                && key.starts_with(n.as_str())
                && key.as_bytes()[n.len()] == b'.'
        })
        .max_by_key(|(_, n)| n.len())
        .map(|(i, n)| (i, &key[n.len() + 1..]))
        .ok_or_else(|| {
            format!(
                "`{key}`: no actor `{}` in this graph (actors: {})",
                key.split('.').next().unwrap_or(key),
                names.join(", ")
            )
        })
}

fn check_steerable(
    name: &str,
    kind: &str,
    steerable: &[String],
    fixed: &[(String, String)],
    param: &str,
    key: &str,
) -> Result<(), String> {
    if steerable.iter().any(|s| s == param) {
        return Ok(());
    }
    Err(if steerable.is_empty() {
        let why = brainstream_runtime::control::reason(param, fixed)
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        format!(
            "`{key}`: actor `{name}` ({kind}) has no parameter that can change during a run{why}"
        )
    } else {
        format!(
            "`{key}`: `{param}` of `{name}` ({kind}) {}",
            brainstream_runtime::control::refusal(param, steerable, fixed)
        )
    })
}

impl WindowHook for Control {
    fn attach(&self, shape: &RunShape) {
        let mut g = self.lock();
        let n = shape.actors.len();
        g.names = shape.actors.iter().map(|a| a.0.clone()).collect();
        g.kinds = shape.actors.iter().map(|a| a.1).collect();
        g.local = shape.local.clone();
        g.steerable = shape.steerable.clone();
        g.unsteerable = shape.unsteerable.clone();
        g.pending = vec![vec![]; n];
        g.replay = vec![BTreeMap::new(); n];
        g.started = true;
        // a replayed event whose actor is missing fails the run at its first
        // window (checked before the run by `check_replay`)
        for (line, e) in self.replay.iter().enumerate() {
            if let Ok((i, param)) = find_actor(&g.names, &e.key) {
                g.replay[i].entry(e.window).or_default().push((
                    param.to_string(),
                    e.old,
                    e.new,
                    line + 1,
                ));
            }
        }
    }

    fn before(&self, actor: usize, window: u64, a: &mut Steering<'_>) -> Result<(), ActorError> {
        // a pause holds every actor before its next window
        while self.live.paused.load(Ordering::Relaxed)
            && !self.cancel.as_ref().is_some_and(|c| c.is_cancelled())
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut g = self.lock();
        let replayed = g.replay.get_mut(actor).and_then(|r| r.remove(&window));
        let pending = g
            .pending
            .get_mut(actor)
            .map(std::mem::take)
            .unwrap_or_default();
        if replayed.is_none() && pending.is_empty() {
            return Ok(());
        }
        let name = g.names[actor].clone();
        let from = self
            .replay_from
            .as_ref()
            .map_or(String::new(), |p| p.display().to_string());
        for (param, old_rec, new, line) in replayed.unwrap_or_default() {
            let key = format!("{name}.{param}");
            let old = a
                .steer(&param, new)
                .map_err(|e| ActorError::new(format!("--replay {from}:{line}: `{key}`: {e}")))?;
            if old.to_bits() != old_rec.to_bits() {
                return Err(ActorError::new(format!(
                    "--replay {from}:{line}: `{key}` was {old_rec} before window {window} in the recorded run and is {old} here: not the same graph or overrides"
                )));
            }
            let e = Event {
                window,
                key,
                old,
                new,
                source: "replay".into(),
            };
            self.record(&mut g, e).map_err(ActorError::new)?;
        }
        for (param, new, source) in pending {
            let key = format!("{name}.{param}");
            match a.steer(&param, new) {
                Ok(old) => {
                    let e = Event {
                        window,
                        key,
                        old,
                        new,
                        source,
                    };
                    self.record(&mut g, e).map_err(ActorError::new)?;
                }
                // a value the actor refuses (out of range) does not stop the run
                Err(e) => {
                    tracing::warn!("steering `{key}` = {new} refused before window {window}: {e}")
                }
            }
        }
        Ok(())
    }

    /// A change that came through the actor's `control` input, written as
    /// the others are, with the source `control:PRODUCER.PORT`.
    fn steered(&self, actor: usize, window: u64, c: &Applied) -> Result<(), ActorError> {
        let mut g = self.lock();
        let name = g.names.get(actor).cloned().unwrap_or_default();
        let e = Event {
            window,
            key: format!("{name}.{}", c.key),
            old: c.old,
            new: c.new,
            source: format!("control:{}", c.source),
        };
        self.record(&mut g, e).map_err(ActorError::new)
    }

    fn detach(&self) {
        self.lock().finished = true;
    }
}

/// Checks a replay against the graph before the run: every actor named,
/// every window within the run.
pub fn check_replay(
    events: &[Event],
    names: &[String],
    n_windows: u64,
    from: &Path,
) -> Result<(), String> {
    for (line, e) in events.iter().enumerate() {
        find_actor(names, &e.key)
            .map_err(|m| format!("--replay {}:{}: {m}", from.display(), line + 1))?;
        if e.window >= n_windows {
            return Err(format!(
                "--replay {}:{}: window {} is past this run's last window ({})",
                from.display(),
                line + 1,
                e.window,
                n_windows.saturating_sub(1)
            ));
        }
    }
    Ok(())
}
