//! `external`: a spiking network simulated by another program — real NEST,
//! ANNarchy or NetPyNE/NEURON, through the Python client in `python/` — as
//! one actor of the graph. The runtime starts `command` (or connects to `endpoint`, where the
//! client listens), shakes hands (protocol version, dt, window, regions,
//! populations: `docs/protocol.md`), then each window sends the inputs that
//! arrived, a tick, and takes the outputs back before the window ends. In
//! the parallel scheme the inputs of the next windows go out before a
//! window's outputs are back, as far as the graph's delays allow, so that
//! the external simulator never waits for a round trip.
//!
//! Its ports are those of `spiking_network`, so that a graph can move a
//! spiking region between the built-in engine and NEST by changing `kind`:
//! in `spikes_in` (proxy trains, senders `r·T + k` for region `r`),
//! `rates_in` (rates in Hz per region for Poisson generators inside the
//! external simulator), `current_in` (pA); out `spikes` (senders = global
//! neuron ids: regions in order, populations by name within each, neurons
//! in order), `rates` (Hz per step, stamped at the step's end: variables =
//! populations, nodes = regions) and `v_m` (mean membrane potential per
//! population, mV). The handshake says which of them the external side
//! serves; data on a port it does not serve is an error naming the port.
//!
//! It can also close a loop: out `control` (port type `control`, as
//! `proportional_control`'s output) carries parameter changes for a
//! steerable actor's `control` input — a series with one variable per key
//! of `control_keys` (declared in the graph, so that validation checks them
//! against the steered actor by name), one node, NaN for a key left as it
//! is (runtime/src/control.rs).
//!
//! The process runs in the graph file's folder, with `BRAINSTREAM_ENDPOINT`
//! and `BRAINSTREAM_ACTOR` set; its stdout and stderr go to
//! `OUT/<actor>.log`. If it exits or its connection closes mid-run, the run
//! stops (within a poll of 0.1 s for a child, 3 s of missed heartbeats for a
//! remote peer) with the tail of its stderr; what was recorded is kept.

mod hello;
mod process;
mod session;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use brainstream_runtime::wire::{self, Body, VERSION};
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, Pipelined, PortDecl, PortType, RunContext, SeriesMeta, WindowInfo,
};

use brainstream_runtime::{Footprint, PlanCtx, PortShape};
use hello::RuntimeHello;
pub use hello::{parse_answer, ExternalHello, HandshakeError, PopDecl, MAX_HELLO};
use process::Proc;
use session::{Session, TICK};

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "command", ty: ParamType::StrList, default: DefaultValue::Optional, range: None, unit: "", doc: "Program and arguments to start, e.g. [\"python3\", \"../examples/external/wc76_nest.py\"]; run in the graph file's folder with BRAINSTREAM_ENDPOINT set (give `command` or `endpoint`)" },
    ParamSpec { name: "endpoint", ty: ParamType::Str, default: DefaultValue::Optional, range: None, unit: "", doc: "Connect to an external side already listening here (tcp://HOST:PORT or ipc://PATH) instead of starting a command" },
    ParamSpec { name: "regions", ty: ParamType::StrList, default: DefaultValue::Required, range: None, unit: "", doc: "Labels of the regions simulated there (the proxy regions of the mean field, in the same order); the external side must announce the same" },
    ParamSpec { name: "populations", ty: ParamType::Table, default: DefaultValue::Required, range: None, unit: "neurons", doc: "Population sizes per region, e.g. { E = 800, I = 200 } (ordered by name); the external side must announce the same" },
    ParamSpec { name: "config", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Any table, handed to the external side in the handshake (as JSON) for the user's script" },
    ParamSpec { name: "window_timeout_s", ty: ParamType::Float, default: DefaultValue::Float(0.0), range: Some((0.0, 86400.0)), unit: "s", doc: "Longest wait for one window's answer before the run stops (0: no limit — a process that died or disconnected is noticed anyway; this catches one that hangs)" },
    ParamSpec { name: "control_keys", ty: ParamType::StrList, default: DefaultValue::Optional, range: None, unit: "", doc: "The steerable keys the external side sends on its `control` output, in its order, e.g. [\"coupling_params.a\"]: checked against the steered actor before the run (needed when the external side serves `control`)" },
    ParamSpec { name: "startup_timeout_s", ty: ParamType::Float, default: DefaultValue::Float(300.0), range: Some((1.0, 86400.0)), unit: "s", doc: "How long to wait for the external side's handshake (importing NEST, compiling an ANNarchy network, NetPyNE creating its connections)" },
];

const INPUTS: &[PortDecl] = &[
    PortDecl { name: "spikes_in", ty: PortType::Spikes, doc: "proxy spike trains, senders r·T + k for region r (spike generators there)", end_stamped: false },
    PortDecl { name: "rates_in", ty: PortType::Series, doc: "rates (Hz) per region for Poisson generators there: variable 0, one node per region; a sample stamped j sets the rate from step j on (NEST: from step j + 1, it takes changes only after its current time)", end_stamped: false },
    PortDecl { name: "current_in", ty: PortType::Current, doc: "current (pA) per region for step current generators there: variable 0, one node per region; a sample stamped j acts one step later than in `spiking_network` (NEST takes changes only after its current time; ANNarchy's CurrentInjection passes on the step before's value)", end_stamped: false },
];

const OUTPUTS: &[PortDecl] = &[
    PortDecl { name: "spikes", ty: PortType::Spikes, doc: "every spike of its populations, senders = global neuron ids (regions in order, populations by name)", end_stamped: false },
    PortDecl { name: "rates", ty: PortType::Series, doc: "population rate over each step (Hz), stamped at the step's end: variables = populations, nodes = regions", end_stamped: false },
    PortDecl { name: "v_m", ty: PortType::Series, doc: "mean membrane potential per population after each step (mV): variables = populations, nodes = regions; NEST's multimeter delivers a window's last sample with the next window", end_stamped: false },
    PortDecl { name: "control", ty: PortType::Control, doc: "parameter changes for a steerable actor's `control` input: variables = `control_keys`, one node, a sample stamped k sets the values from step k on (NaN leaves a key)", end_stamped: false },
];

/// The index of the `control` output in [`OUTPUTS`] (its edge on the wire).
const CONTROL: usize = 3;

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "external",
    doc: "A spiking network in another program (NEST, ANNarchy, NetPyNE/NEURON via the Python client `brainstream_client`), stepped in lockstep over ZeroMQ",
    params: PARAMS,
    inputs: INPUTS,
    outputs: OUTPUTS,
    build,
};

enum Target {
    Command(Vec<String>),
    Endpoint(String),
}

struct External {
    name: String,
    target: Target,
    regions: Vec<String>,
    pops: Vec<(String, usize)>,
    n_neurons: u64,
    config: serde_json::Value,
    startup: Duration,
    window_timeout: Option<Duration>,
    session: Option<Session>,
    /// Which input ports the external side serves, and which outputs it sends.
    served_in: [bool; 3],
    served_out: [bool; 4],
    /// The last series names sent per input port.
    sent_meta: [Option<Arc<SeriesMeta>>; 3],
    out_meta: [Option<Arc<SeriesMeta>>; 4],
    /// The keys of the `control` output, if the graph declares them.
    control_keys: Option<Vec<String>>,
    next_window: u64,
    log: Option<std::path::PathBuf>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let command = p.str_list("command")?;
    let endpoint = p.opt_str("endpoint")?;
    let target = match (command, endpoint) {
        (Some(c), None) => {
            if c.is_empty() || c[0].trim().is_empty() {
                return Err(BuildError::at("command", "the command is empty")
                    .hint("e.g. command = [\"python3\", \"my_nest_model.py\"]"));
            }
            Target::Command(c)
        }
        (None, Some(e)) => {
            if !(e.starts_with("tcp://") || e.starts_with("ipc://")) {
                return Err(
                    BuildError::at("endpoint", format!("`{e}` is not a ZeroMQ endpoint"))
                        .hint("tcp://HOST:PORT or ipc://PATH, where the client listens"),
                );
            }
            Target::Endpoint(e)
        }
        (Some(_), Some(_)) => return Err(BuildError::at(
            "endpoint",
            "give `command` or `endpoint`, not both",
        )
        .hint("`command` starts the external side; `endpoint` connects to one already running")),
        (None, None) => {
            return Err(BuildError::at("", "missing `command` (or `endpoint`)")
                .hint("command = [\"python3\", \"my_nest_model.py\"] starts the external side"))
        }
    };
    let (regions, pops) = crate::util::regions_and_populations(p)?;
    let config = match p.table("config")? {
        Some(t) => serde_json::to_value(t)
            .map_err(|e| BuildError::at("config", format!("cannot pass it on as JSON: {e}")))?,
        None => serde_json::Value::Object(Default::default()),
    };
    let control_keys = p.str_list("control_keys")?;
    if let Some(keys) = &control_keys {
        if keys.is_empty() {
            return Err(BuildError::at("control_keys", "no key listed")
                .hint("e.g. control_keys = [\"coupling_params.a\"]"));
        }
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].contains(k) {
                return Err(BuildError::at(
                    "control_keys",
                    format!("`{k}` is listed twice"),
                ));
            }
        }
    }
    let n_neurons = regions.len() as u64 * pops.iter().map(|(_, s)| *s as u64).sum::<u64>();
    Ok(Box::new(External {
        name: ctx.name.to_string(),
        target,
        regions,
        pops,
        n_neurons,
        config,
        startup: Duration::from_secs_f64(p.f64("startup_timeout_s")?),
        window_timeout: Some(p.f64("window_timeout_s")?)
            .filter(|t| *t > 0.0)
            .map(Duration::from_secs_f64),
        session: None,
        served_in: [false; 3],
        served_out: [false; 4],
        sent_meta: Default::default(),
        out_meta: Default::default(),
        control_keys,
        next_window: 0,
        log: None,
    }))
}

impl External {
    /// Checks the external side's handshake against the graph.
    fn accept(&mut self, h: ExternalHello) -> Result<(), ActorError> {
        if h.protocol != VERSION {
            return Err(ActorError::new(format!(
                "the external side ({}) speaks protocol version {}, this build speaks {VERSION}; install the client of this brainstream (pip install ./python)",
                h.peer, h.protocol
            )));
        }
        if h.role != "external" {
            return Err(ActorError::new(format!(
                "the peer says it is `{}`, not an external side",
                h.role
            )));
        }
        if h.regions != self.regions {
            return Err(ActorError::new(format!(
                "the external side simulates regions {:?}, the graph says {:?}",
                h.regions, self.regions
            )));
        }
        let ours: Vec<PopDecl> = self
            .pops
            .iter()
            .map(|(n, s)| PopDecl {
                name: n.clone(),
                size: *s as u64,
            })
            .collect();
        if h.populations != ours {
            let f = |v: &[PopDecl]| {
                v.iter()
                    .map(|p| format!("{} = {}", p.name, p.size))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(ActorError::new(format!(
                "the external side has populations {{ {} }} per region, the graph says {{ {} }}",
                f(&h.populations),
                f(&ours)
            )));
        }
        for (list, ports, served, dir) in [
            (&h.inputs, INPUTS, &mut self.served_in[..], "input"),
            (&h.outputs, OUTPUTS, &mut self.served_out[..], "output"),
        ] {
            for name in list {
                match ports.iter().position(|p| p.name == name) {
                    Some(k) => served[k] = true,
                    None => {
                        return Err(ActorError::new(format!(
                        "the external side announces an unknown {dir} port `{name}` (known: {})",
                        ports.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
                    )))
                    }
                }
            }
        }
        if self.served_out[CONTROL] && self.control_keys.is_none() {
            return Err(ActorError::new(
                "the external side serves `control`, but the graph does not declare what it sends: give `control_keys` (the steerable keys, in the order of its series' variables)",
            ));
        }
        tracing::info!(actor = %self.name, peer = %h.peer, inputs = ?h.inputs, outputs = ?h.outputs, "external side ready");
        Ok(())
    }
}

impl Actor for External {
    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        let mut s = match &self.target {
            Target::Command(cmd) => {
                // a Unix socket's path has at most 107 bytes: the actor's
                // name only when short (the token keeps runs apart)
                let tag = if self.name.len() <= 24 {
                    self.name.clone()
                } else {
                    format!(
                        "{:016x}",
                        brainstream_runtime::seed::derive_seed(0, &self.name)
                    )
                };
                let sock = std::env::temp_dir().join(format!(
                    "brainstream-{}-{tag}.sock",
                    brainstream_runtime::seed::run_token(),
                ));
                let mut s = Session::listen(sock)?;
                let endpoint = s.endpoint.clone();
                let cwd = ctx
                    .graph_path
                    .as_ref()
                    .and_then(|p| p.parent())
                    .map(|p| {
                        if p.as_os_str().is_empty() {
                            std::path::Path::new(".")
                        } else {
                            p
                        }
                    })
                    .map(|p| p.to_path_buf())
                    .unwrap_or_else(|| std::path::PathBuf::from("."));
                let log = ctx.out_dir.join(format!("{}.log", self.name));
                s.proc = Some(Proc::spawn(
                    cmd,
                    &cwd,
                    &[
                        ("BRAINSTREAM_ENDPOINT", endpoint.clone()),
                        ("BRAINSTREAM_ACTOR", self.name.clone()),
                    ],
                    log.clone(),
                )?);
                self.log = Some(log);
                s
            }
            Target::Endpoint(e) => Session::open(e, false)?,
        };
        let ours = RuntimeHello {
            protocol: VERSION,
            role: "brainstream",
            actor: self.name.clone(),
            dt_ms: ctx.dt_ms,
            window_steps: ctx.window_steps,
            total_steps: ctx.total_steps,
            seed: ctx.seed,
            regions: self.regions.clone(),
            populations: self
                .pops
                .iter()
                .map(|(n, s)| PopDecl {
                    name: n.clone(),
                    size: *s as u64,
                })
                .collect(),
            inputs: INPUTS.iter().map(|p| p.name).collect(),
            outputs: OUTPUTS.iter().map(|p| p.name).collect(),
            config: self.config.clone(),
            peer: format!("brainstream {}", env!("CARGO_PKG_VERSION")),
        };
        let answer = s.handshake(&ours, self.startup);
        self.session = Some(s);
        let answer = answer?;
        self.accept(answer)?;
        let pops: Vec<String> = self.pops.iter().map(|(n, _)| n.clone()).collect();
        for (k, unit) in [(1, "Hz"), (2, "mV")] {
            self.out_meta[k] = Some(Arc::new(SeriesMeta::new(
                pops.clone(),
                self.regions.clone(),
                unit,
            )));
        }
        if let Some(keys) = &self.control_keys {
            self.out_meta[CONTROL] = Some(Arc::new(SeriesMeta::new(
                keys.clone(),
                vec!["value".into()],
                "",
            )));
        }
        Ok(())
    }

    /// The `control` output's keys, declared before the run, so that
    /// validation checks them against the steered actor.
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        Ok(Footprint {
            outputs: self
                .control_keys
                .iter()
                .map(|keys| {
                    (
                        OUTPUTS[CONTROL].name,
                        PortShape::named_series(
                            keys,
                            &["value".to_string()],
                            1.0 / ctx.window_steps.max(1) as f64,
                        ),
                    )
                })
                .collect(),
            ..Footprint::default()
        })
    }

    fn step(
        &mut self,
        win: &WindowInfo,
        inputs: &Inputs,
        outputs: &mut Outputs,
    ) -> Result<(), ActorError> {
        self.submit(win, inputs)?;
        self.collect(win, outputs)
    }

    fn pipelined(&mut self) -> Option<&mut dyn Pipelined> {
        Some(self)
    }

    fn finish(&mut self, complete: bool) -> Result<Vec<std::path::PathBuf>, ActorError> {
        if let Some(mut s) = self.session.take() {
            let (ack, grace) = if complete {
                (Duration::from_secs(60), Duration::from_secs(10))
            } else {
                (Duration::from_secs(3), Duration::from_secs(2))
            };
            s.close(self.next_window, complete, ack, grace);
        }
        Ok(self.log.iter().cloned().collect())
    }
}

/// Windows are sent ahead: the external side finds the next window's
/// inputs waiting when it has sent a window's outputs, instead of idling
/// for the round trip through the runtime.
impl Pipelined for External {
    /// Sends the window's inputs (series names first when they changed) and
    /// its tick, as one multipart message.
    fn submit(&mut self, win: &WindowInfo, inputs: &Inputs) -> Result<(), ActorError> {
        let s = self
            .session
            .as_mut()
            .ok_or_else(|| ActorError::new("the external session is closed"))?;
        let mut frames = Vec::with_capacity(4);
        for (k, port) in INPUTS.iter().enumerate() {
            let Some(p) = inputs.get(port.name) else {
                continue;
            };
            if !self.served_in[k] {
                return Err(ActorError::new(format!(
                    "input `{}` has an edge but the external side does not serve it (its handshake lists the ports it serves)",
                    port.name
                )));
            }
            let bytes = match p {
                Payload::Series(sr) => {
                    if self.sent_meta[k].as_ref().is_none_or(|m| **m != *sr.meta) {
                        frames.push(wire::encode_meta(k as u32, &sr.meta));
                        self.sent_meta[k] = Some(sr.meta.clone());
                    }
                    wire::encode_series(k as u32, win.index, sr)
                }
                Payload::Spikes(sp) => wire::encode_spikes(k as u32, win.index, win.start_step, sp),
            };
            frames.push(bytes);
        }
        frames.push(session::tick(win.index, win.start_step, win.n_steps));
        let frames: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
        s.send_all(&frames)
    }

    /// Takes the window's outputs, checked, up to its tick.
    fn collect(&mut self, win: &WindowInfo, outputs: &mut Outputs) -> Result<(), ActorError> {
        let n_neurons = self.n_neurons;
        let s = self
            .session
            .as_mut()
            .ok_or_else(|| ActorError::new("the external session is closed"))?;
        let end = win.start_step + win.n_steps;
        let deadline = self.window_timeout.map(|t| std::time::Instant::now() + t);
        loop {
            let Some(b) = s.recv(deadline)? else {
                return Err(ActorError::new(format!(
                    "no answer for window {} within window_timeout_s = {} s (the external process is alive but not answering)",
                    win.index,
                    self.window_timeout.map_or(0.0, |t| t.as_secs_f64())
                )));
            };
            let edge = wire::Header::parse("external", &b)
                .map_err(ActorError::new)?
                .edge;
            let port = OUTPUTS.get(edge as usize);
            let label = port.map(|p| p.name).unwrap_or("tick");
            let meta = port.and_then(|_| self.out_meta[edge as usize].as_ref());
            let m = s.decode(label, &b, meta)?;
            if m.header.window != win.index && !matches!(m.body, Body::Error(_)) {
                return Err(ActorError::new(format!(
                    "the external side sent window {} during window {}",
                    m.header.window, win.index
                )));
            }
            let kind = m.header.kind;
            match (m.body, port) {
                (Body::Empty, None) if edge == TICK => {
                    session::check_tick(&m.header, win.index, win.start_step, win.n_steps)?;
                    break;
                }
                (Body::Error(t), _) => {
                    let log = self
                        .log
                        .as_ref()
                        .map(|l| format!("\n  (all its output: {})", l.display()))
                        .unwrap_or_default();
                    return Err(ActorError::new(format!(
                        "the external side failed: {}{log}",
                        t.trim_end()
                    )));
                }
                (Body::End, _) => {
                    return Err(ActorError::new(
                        "the external side ended the session before the run's end",
                    ))
                }
                (Body::Empty, Some(_)) => {}
                (Body::Window(pl), Some(port)) => {
                    let k = edge as usize;
                    if !self.served_out[k] {
                        return Err(ActorError::new(format!(
                            "the external side sent `{}`, which its handshake did not announce",
                            port.name
                        )));
                    }
                    match (&pl, port.ty) {
                        (Payload::Spikes(sp), PortType::Spikes) => {
                            if let Some(i) = sp.senders.iter().position(|x| *x as u64 >= n_neurons)
                            {
                                return Err(ActorError::new(format!(
                                    "`spikes`: sender {} is not a neuron id (< {n_neurons})",
                                    sp.senders[i]
                                )));
                            }
                            if sp.stamps.iter().any(|t| *t >= end) {
                                return Err(ActorError::new(format!(
                                    "`spikes`: a spike stamped after window {} (steps {} .. {end})",
                                    win.index, win.start_step
                                )));
                            }
                        }
                        (Payload::Series(sr), PortType::Series | PortType::Control) => {
                            if sr.stamps.iter().any(|t| *t < win.start_step || *t > end) {
                                return Err(ActorError::new(format!(
                                    "`{}`: a sample stamped outside window {} (steps {} ..= {end})",
                                    port.name, win.index, win.start_step
                                )));
                            }
                        }
                        _ => {
                            return Err(ActorError::new(format!(
                                "`{}`: the external side sent {} where {} belong",
                                port.name,
                                match pl {
                                    Payload::Spikes(_) => "spikes",
                                    Payload::Series(_) => "a series",
                                },
                                port.ty
                            )))
                        }
                    }
                    outputs.set(port.name, pl);
                }
                (_, _) => {
                    return Err(ActorError::new(format!(
                        "unexpected {kind:?} message from the external side on edge {edge}"
                    )))
                }
            }
        }
        self.next_window = win.index + 1;
        Ok(())
    }
}
