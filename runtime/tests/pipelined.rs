//! Pipelined actors: in the parallel scheme an actor that implements
//! `Pipelined` is handed the inputs of later windows before it gives back
//! its outputs, exactly as far as the delays around it allow, with the same
//! results as stepping it window by window.
//!
//! The test graph is a loop: `echo` (pipelined) → `relay` (zero delay) →
//! `echo` (delay `loop_delay_ms`). Each window `echo` outputs one sample
//! stamped at the window's end: 1 + the sum of the samples it received,
//! so every value depends on the whole history of the loop.

use std::sync::{Arc, Mutex};

use brainstream_runtime::graph::GraphSource;
use brainstream_runtime::{
    run, Actor, ActorError, BuildCtx, BuildError, Inputs, KindSpec, Outputs, Payload, Pipelined,
    PortDecl, PortType, Registry, RunOptions, Series, SeriesMeta, ValidGraph, WindowInfo,
};

/// What each test's `echo` did, in order: (actor, "submit" | "collect",
/// window, the sum it took in | the value it sent).
static LOG: Mutex<Vec<(String, &'static str, u64, f64)>> = Mutex::new(vec![]);

fn log(name: &str, what: &'static str, w: u64, value: f64) {
    LOG.lock().unwrap().push((name.to_string(), what, w, value));
}

struct Echo {
    name: String,
    /// the sums of submitted windows not yet collected
    pending: std::collections::VecDeque<f64>,
}

impl Echo {
    fn sum(inputs: &Inputs) -> f64 {
        inputs
            .get("in")
            .and_then(|p| p.as_series())
            .map_or(0.0, |s| s.data.sum())
    }
}

impl Actor for Echo {
    fn step(&mut self, win: &WindowInfo, i: &Inputs, o: &mut Outputs) -> Result<(), ActorError> {
        self.submit(win, i)?;
        self.collect(win, o)
    }
    fn pipelined(&mut self) -> Option<&mut dyn Pipelined> {
        Some(self)
    }
}

impl Pipelined for Echo {
    fn submit(&mut self, win: &WindowInfo, inputs: &Inputs) -> Result<(), ActorError> {
        let sum = Self::sum(inputs);
        log(&self.name, "submit", win.index, sum);
        self.pending.push_back(sum);
        Ok(())
    }
    fn collect(&mut self, win: &WindowInfo, outputs: &mut Outputs) -> Result<(), ActorError> {
        let sum = self
            .pending
            .pop_front()
            .ok_or_else(|| ActorError::new("collect before submit"))?;
        let v = 1.0 + sum;
        log(&self.name, "collect", win.index, v);
        let end = win.start_step + win.n_steps;
        let s = Series {
            stamps: vec![end],
            times_ms: vec![end as f64 * win.dt_ms],
            data: ndarray::Array3::from_elem((1, 1, 1), v),
            meta: Arc::new(SeriesMeta::new(vec!["x".into()], vec!["n".into()], "")),
        };
        outputs.set("out", Payload::Series(Arc::new(s)));
        Ok(())
    }
}

struct Relay;

impl Actor for Relay {
    fn step(&mut self, _: &WindowInfo, i: &Inputs, o: &mut Outputs) -> Result<(), ActorError> {
        if let Some(p) = i.get("in") {
            o.set("out", p.clone());
        }
        Ok(())
    }
}

const IN: &[PortDecl] = &[PortDecl {
    name: "in",
    ty: PortType::Series,
    doc: "",
    end_stamped: true,
}];
const OUT: &[PortDecl] = &[PortDecl {
    name: "out",
    ty: PortType::Series,
    doc: "",
    end_stamped: false,
}];

fn build_echo(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    Ok(Box::new(Echo {
        name: ctx.name.to_string(),
        pending: Default::default(),
    }))
}

fn build_relay(_: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    Ok(Box::new(Relay))
}

fn registry() -> Registry {
    let mut r = Registry::new();
    for (name, build) in [
        ("echo", build_echo as fn(&BuildCtx) -> _),
        ("relay", build_relay),
    ] {
        r.register(KindSpec {
            name,
            doc: "test",
            params: &[],
            inputs: IN,
            outputs: OUT,
            build,
        });
    }
    r
}

/// The loop graph: windows of 1 ms (10 steps), the edge back to `echo`
/// delayed by `loop_delay_ms`.
fn graph(echo: &str, scheme: &str, loop_delay_ms: f64) -> ValidGraph {
    let text = format!(
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 30.0
sync_ms = 1.0
scheme = "{scheme}"

[actors.{echo}]
kind = "echo"

[actors.relay]
kind = "relay"

[[edges]]
from = "{echo}.out"
to = "relay.in"

[[edges]]
from = "relay.out"
to = "{echo}.in"
delay_ms = {loop_delay_ms}
"#
    );
    ValidGraph::load(GraphSource::from_toml(text), &registry()).unwrap()
}

/// Runs the loop; returns echo's values by window and its log.
fn run_loop(echo: &str, scheme: &str, loop_delay_ms: f64) -> (Vec<f64>, Vec<(&'static str, u64)>) {
    let g = graph(echo, scheme, loop_delay_ms);
    let out = std::env::temp_dir().join(format!("bs-pipelined-{}-{echo}", std::process::id()));
    let opts = RunOptions {
        out_dir: out.clone(),
        ..Default::default()
    };
    run(g, &opts, |_| {}).unwrap();
    let _ = std::fs::remove_dir_all(out);
    let mine: Vec<(&'static str, u64, f64)> = LOG
        .lock()
        .unwrap()
        .iter()
        .filter(|(n, ..)| n == echo)
        .map(|(_, what, w, v)| (*what, *w, *v))
        .collect();
    let mut sent: Vec<(u64, f64)> = mine
        .iter()
        .filter(|(what, ..)| *what == "collect")
        .map(|(_, w, v)| (*w, *v))
        .collect();
    sent.sort_by_key(|(w, _)| *w);
    let log = mine.iter().map(|(what, w, _)| (*what, *w)).collect();
    (sent.into_iter().map(|(_, v)| v).collect(), log)
}

/// The most windows submitted and not yet collected at any point.
fn in_flight(log: &[(&'static str, u64)]) -> u64 {
    let (mut open, mut most) = (0i64, 0i64);
    for (what, _) in log {
        open += if *what == "submit" { 1 } else { -1 };
        most = most.max(open);
        assert!(open >= 0, "a collect before its submit: {log:?}");
    }
    most as u64
}

#[test]
fn lookahead_follows_the_slack_of_the_loop() {
    // echo → relay is immediate, relay → echo delayed: two windows of delay
    // leave one window of lookahead, one window leaves none
    let g = graph("e_slack", "parallel", 2.0);
    let echo = g.actors.iter().position(|a| a.name == "e_slack").unwrap();
    assert_eq!(g.slack(echo), Some(2));
    assert_eq!(g.lookahead(echo), 1);
    let g = graph("e_slack", "parallel", 1.0);
    assert_eq!(g.slack(echo), Some(1));
    assert_eq!(g.lookahead(echo), 0);
    let g = graph("e_slack", "parallel", 3.5);
    assert_eq!(g.slack(echo), Some(3));
    assert_eq!(g.lookahead(echo), 2);
}

#[test]
fn pipelined_windows_give_the_same_values_as_stepped_ones() {
    for delay in [1.0, 2.0, 3.0] {
        let tag = format!("e{}", delay as u64);
        let (serial, slog) = run_loop(&format!("{tag}_serial"), "serial", delay);
        let (parallel, plog) = run_loop(&format!("{tag}_parallel"), "parallel", delay);
        assert_eq!(serial.len(), 30);
        assert_eq!(serial, parallel, "delay {delay} ms");
        // the loop feeds back: with a delay of d windows, window w sees
        // window w − d's value
        let d = delay as usize;
        for w in d..30 {
            assert_eq!(serial[w], 1.0 + serial[w - d], "delay {delay}: window {w}");
        }
        // serial: one window at a time; parallel: as far ahead as allowed
        assert_eq!(in_flight(&slog), 1);
        assert_eq!(in_flight(&plog), d as u64, "delay {delay} ms: {plog:?}");
        let submits: Vec<u64> = plog
            .iter()
            .filter(|(w, _)| *w == "submit")
            .map(|(_, k)| *k)
            .collect();
        assert_eq!(submits, (0..30).collect::<Vec<_>>());
    }
}
