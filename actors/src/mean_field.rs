//! `mean_field`: a whole-brain network of neural masses, stepped by the
//! TVB-exact engine of `brainstream-models` ([`MeanFieldSim`]). It emits the
//! raw state (tvb-library's `Raw` monitor) of the chosen variables after
//! every step: sample `k` of the run is the state after `k` steps, at
//! `t = k·dt` ms, the first at `t = dt`.
//!
//! `backend = "vulkan"` (or `"auto"`, or `brainstream run --backend`)
//! steps the same network on a Vulkan device instead, a window per
//! submission ([`crate::mean_field_vulkan`]).

use std::collections::VecDeque;
use std::sync::Arc;

use brainstream_gpu::network::WindowTicket;
use brainstream_models::coupling::Coupling;
use brainstream_models::integrator::integrator;
use brainstream_models::observe::Observer;
use brainstream_models::{
    model_info, Connectivity, InitialConditions, MeanFieldConfig, MeanFieldSim, ModelError,
    ModelInfo, NoiseConfig, NoiseKind, NoiseStream, ProxyInput, StimulusInput,
};
use brainstream_runtime::limits::short;
use brainstream_runtime::machine::human;
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, Pipelined, PlanCtx, PortDecl, PortShape, PortType, RunContext,
    Series, SeriesMeta, WindowInfo,
};
use ndarray::Array3;

use crate::mean_field_vulkan::{
    auto_takes_a_gpu, check_backend, parse_precision, Backend, MeanFieldEngine, VulkanSim,
};
use brainstream_gpu::Precision;

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "model", ty: ParamType::Str, default: DefaultValue::Str("ReducedWongWang"), range: None, unit: "", doc: "Neural mass model: tvb-library's class name (`brainstream list` shows them), or the path of your own declaration (.toml, relative to the graph; docs/models.md)" },
    ParamSpec { name: "model_params", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Model parameters by name: { J_N = 0.2609 }; per region as a list of N values, { default = .., regions = { LABEL = .. } } or { file = \"x.csv\", column = \"J_N\" }; a vector parameter takes a list (P_e = [..]), one element is \"P_e[k]\"" },
    ParamSpec { name: "connectivity", ty: ParamType::Path, default: DefaultValue::Str("builtin:tvb76"), range: None, unit: "", doc: "builtin:tvb76, a TVB .zip, an .h5 file, or a folder of weights/tract_lengths CSV or TXT files" },
    ParamSpec { name: "speed_mm_per_ms", ty: ParamType::Float, default: DefaultValue::Float(3.0), range: Some((1e-9, 1e9)), unit: "mm/ms", doc: "Conduction speed: delays are rint(length/speed/dt) steps" },
    ParamSpec { name: "coupling", ty: ParamType::Str, default: DefaultValue::Str("Linear"), range: None, unit: "", doc: "Linear, Scaling, Sigmoidal, SigmoidalJansenRit, Difference, Kuramoto, HyperbolicTangent or PreSigmoidal, or the path of your own coupling declaration (.toml, relative to the graph; docs/models.md)" },
    ParamSpec { name: "coupling_params", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Coupling parameters, e.g. { a = 0.0042, b = 0.0 }" },
    ParamSpec { name: "integrator", ty: ParamType::Str, default: DefaultValue::Str("HeunDeterministic"), range: None, unit: "", doc: "HeunDeterministic, HeunStochastic, EulerDeterministic, EulerStochastic, RungeKutta4thOrderDeterministic, RungeKutta4thOrderStochastic" },
    ParamSpec { name: "noise", ty: ParamType::Str, default: DefaultValue::Str("additive"), range: None, unit: "", doc: "Noise of stochastic integrators: additive or multiplicative" },
    ParamSpec { name: "nsig", ty: ParamType::FloatList, default: DefaultValue::Float(1.0), range: Some((0.0, 1e9)), unit: "state²/ms", doc: "Noise diffusion coefficient D per state variable (one value for all); std per sqrt(ms) is sqrt(2D)" },
    ParamSpec { name: "noise_seed", ty: ParamType::Int, default: DefaultValue::Optional, range: Some((0.0, 4294967295.0)), unit: "", doc: "Seed of the numpy-compatible noise stream (tvb-library's noise_seed, 42 there); default: derived from the graph seed and the actor name" },
    ParamSpec { name: "noise_stream", ty: ParamType::Str, default: DefaultValue::Str("numpy"), range: None, unit: "", doc: "numpy: tvb-library's own noise (numpy's RandomState, bit for bit); philox: the counter-based stream of sweeps and GPU kernels (a sweep's combination 0 with the same seed)" },
    ParamSpec { name: "multiplicative_a", ty: ParamType::Float, default: DefaultValue::Float(1.0), range: None, unit: "", doc: "Multiplicative noise g(x) = sqrt(2 nsig)·(a·x + b): a" },
    ParamSpec { name: "multiplicative_b", ty: ParamType::Float, default: DefaultValue::Float(0.0), range: None, unit: "", doc: "Multiplicative noise: b" },
    ParamSpec { name: "noise_ntau", ty: ParamType::Float, default: DefaultValue::Float(0.0), range: Some((0.0, 1e9)), unit: "ms", doc: "Correlation time τ of the noise (tvb-library's ntau): 0 white noise; > 0 coloured (Ornstein-Uhlenbeck) noise, each step's increment g(x)·dt·sqrt(1/τ)·η with η ← η·exp(-dt/τ) + sqrt(1 - exp(-2dt/τ))·z, as tvb-library draws it (numpy stream only)" },
    ParamSpec { name: "initial_conditions", ty: ParamType::Str, default: DefaultValue::Str("random"), range: None, unit: "", doc: "random (uniform in each state variable's range, seeded), golden (the deterministic state of shared/peers/tvb_ref.py), or a CSV file with one row per state variable and one column per region" },
    ParamSpec { name: "proxy_nodes", ty: ParamType::NodeList, default: DefaultValue::Optional, range: None, unit: "", doc: "Regions simulated elsewhere (co-simulation), by index or label: their state comes from the `proxy` input, their coupling goes out on `coupling`, and the connections among them are removed" },
    ParamSpec { name: "coupling_regions", ty: ParamType::Str, default: DefaultValue::Str("proxies"), range: None, unit: "", doc: "Whose coupling terms go out on `coupling`: `proxies` (the proxy regions, stamped at each step's start, from 0) or `all` (every region, as tvb-library's AfferentCoupling monitor records them: the coupling used for the step from k to k+1, stamped k, for k = 1 … the last step; the last one computed by one step more than the run)" },
    ParamSpec { name: "threads", ty: ParamType::Int, default: DefaultValue::Int(0), range: Some((0.0, 256.0)), unit: "", doc: "Threads stepping the regions in parallel (0: automatic: one below ~40 000 delayed couplings per step, above it each window on one thread or on all cores, whichever was measured faster); results are bit-identical whatever the count" },
    ParamSpec { name: "variables", ty: ParamType::StrList, default: DefaultValue::Optional, range: None, unit: "", doc: "State variables sent on `state` (default: the model's variables of interest)" },
    ParamSpec { name: "backend", ty: ParamType::Str, default: DefaultValue::Str("cpu"), range: None, unit: "", doc: "cpu (the TVB-exact engine), vulkan (a Vulkan device: a window of steps per submission; what it cannot run is an error naming it) or auto (a GPU where there is one — not a CPU implementation such as lavapipe — and it runs the configuration, else the CPU, said in the log); `brainstream run --backend` sets it for every mean field that does not" },
    ParamSpec { name: "precision", ty: ParamType::Str, default: DefaultValue::Str("auto"), range: None, unit: "", doc: "On Vulkan, the state's and right-hand side's arithmetic: auto (f64 where the device has shaderFloat64, f32 elsewhere), f64 or f32" },
    ParamSpec { name: "overlap", ty: ParamType::Bool, default: DefaultValue::Bool(true), range: None, unit: "", doc: "On Vulkan in the parallel scheme: window w + 1 is submitted to the device before window w is read back, as far as the delays of the cycles through the mean field allow (a co-simulation with a window of delay each way: one window ahead); false: one window at a time. The results are the same bits either way" },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "mean_field",
    doc: "Whole-brain network of neural masses with delayed coupling, numerically identical to tvb-library 2.10",
    params: PARAMS,
    inputs: &[
        PortDecl {
            name: "proxy",
            ty: PortType::Series,
            doc: "states of the proxy regions (variables named as the model's state variables, one node per proxy region, in proxy_nodes order); each replaces the model's state at its time stamp",
            end_stamped: true,
        },
        PortDecl {
            name: "stimulus",
            ty: PortType::Series,
            doc: "stimulus of every region (one variable, one node per region): the sample stamped k is added, as tvb-library adds a stimulus, to the model's stimulus variables during step k (none where no sample)",
            end_stamped: false,
        },
        brainstream_runtime::control::INPUT,
    ],
    outputs: &[
        PortDecl { name: "state", ty: PortType::Series, doc: "raw state of the chosen variables after every step", end_stamped: false },
        PortDecl { name: "coupling", ty: PortType::Series, doc: "coupling terms of the proxy regions (or of every region with coupling_regions = \"all\"), one sample per step (stamped at the step's start)", end_stamped: false },
    ],
    build,
};

struct MeanField {
    /// the longest connectome delay, steps
    max_delay_steps: usize,
    name: String,
    cfg: MeanFieldConfig,
    coupling_meta: Arc<SeriesMeta>,
    proxy_vals: Vec<f64>,
    proxy_present: Vec<bool>,
    proxy_started: bool,
    /// this window's stimulus, `steps × N` (see `StimulusInput`)
    stim_vals: Vec<f64>,
    cpl_buf: Vec<f64>,
    /// `coupling_regions = "all"`: every region's coupling, tvb-library's
    /// AfferentCoupling samples
    coupling_all: bool,
    /// steps in the run (the last window's end)
    total_steps: u64,
    threads: usize,
    noise_seed_given: bool,
    random_ic: bool,
    sim: Option<MeanFieldSim>,
    voi: Vec<usize>,
    /// Evaluates the chosen observables (variables from `nvar` on), if any.
    observer: Option<Observer>,
    /// their values for one sample, `observables × N`
    obs_buf: Vec<f64>,
    meta: Arc<SeriesMeta>,
    buf: Vec<f64>,
    /// divergence found in the previous window (named in the error),
    /// reported now
    deferred: Option<ActorError>,
    /// `backend` and `precision` (`None`: the device's best)
    backend: Backend,
    precision: Option<Precision>,
    /// the network on a Vulkan device, when it runs there (else `sim`)
    gpu: Option<Box<VulkanSim>>,
    /// `overlap`: windows in flight on the device ([`Pipelined`])
    overlap: bool,
    /// windows submitted and not yet collected, oldest first
    pending: VecDeque<Pending>,
    /// a checkpoint's engine state, taken at `start` ([`state`])
    restored: Option<brainstream_models::EngineState>,
}

/// The name of variable `k`: a state variable, or (from `nvar`) an observable.
fn variable_name(info: &ModelInfo, k: usize) -> &'static str {
    match info.state_variables.get(k) {
        Some(v) => v,
        None => info.observables[k - info.nvar()],
    }
}

/// The unit of each recorded variable of `voi`: a state variable's declared
/// unit, empty for an observable (whose unit is not declared).
fn variable_units(info: &ModelInfo, voi: &[usize]) -> Vec<String> {
    voi.iter()
        .map(|&k| info.units.get(k).copied().unwrap_or("").to_string())
        .collect()
}

fn model_err(e: ModelError, key_prefix: &str) -> BuildError {
    match &e {
        ModelError::UnknownParameter { name, .. } => {
            BuildError::at(format!("{key_prefix}.{name}"), e.to_string())
                .hint("`brainstream list` shows every model's and coupling's parameters")
        }
        ModelError::ParameterOutOfRange { name, .. } => {
            BuildError::at(format!("{key_prefix}.{name}"), e.to_string())
        }
        _ => BuildError::at("", e.to_string()),
    }
}

fn read_ic(path: &std::path::Path, info: &ModelInfo, n: usize) -> Result<Vec<f64>, BuildError> {
    use brainstream_models::datafile::{read_matrix_file, Shape};
    let m = read_matrix_file(path, "initial_conditions", Shape::Exact(info.nvar(), n)).map_err(
        |e| {
            BuildError::at("initial_conditions", e.to_string()).hint(format!(
                "a CSV of {} rows (state variables {} of {}) × {n} columns (regions)",
                info.nvar(),
                info.state_variables.join(", "),
                info.name,
            ))
        },
    )?;
    Ok(m.data)
}

/// A `mean_field` actor's parameters resolved into an engine configuration:
/// what the actor runs, and what a parameter sweep starts from.
#[derive(Debug, Clone)]
pub struct MeanFieldParts {
    /// The engine configuration (noise seed and random initial conditions
    /// still to be seeded by the caller where not given, see below).
    pub cfg: MeanFieldConfig,
    /// Indices of the variables sent on `state`.
    pub voi: Vec<usize>,
    /// `threads` as given (0: automatic).
    pub threads: usize,
    /// Whether `noise_seed` was given (otherwise the run's seed is used).
    pub noise_seed_given: bool,
    /// Whether the initial conditions are random (seeded by the run's seed).
    pub random_ic: bool,
    /// The longest connectome delay, steps.
    pub max_delay_steps: usize,
}

/// Resolves a `mean_field` actor's parameters (model, coupling,
/// connectome, integrator, noise, initial conditions) into an engine
/// configuration, with every error located at its key.
pub fn mean_field_parts(ctx: &BuildCtx) -> Result<MeanFieldParts, BuildError> {
    let p = &ctx.params;
    let model_name = p.str("model")?;
    let info = if model_name.ends_with(".toml") {
        // a user's declaration, relative to the graph
        let path = p.base_dir().join(&model_name);
        brainstream_models::user_model::load(&path, &model_name)
            .map_err(|e| BuildError::at("model", e.to_string()).hint(
                "`brainstream model check FILE` lists every problem; `brainstream model show NAME` prints a built-in model to start from",
            ))?
    } else {
        model_info(&model_name).map_err(|e| {
            BuildError::at("model", e.to_string())
                .hint("a path ending in .toml uses your own model declaration")
        })?
    };
    let cname = p.str("coupling")?;
    let cp = p.number_table("coupling_params")?;
    let overrides = cp.iter().map(|(k, v)| (k.as_str(), *v));
    let coupling = if cname.ends_with(".toml") {
        // a user's coupling declaration, relative to the graph
        let info = brainstream_models::user_coupling::load(&p.base_dir().join(&cname), &cname)
            .map_err(|e| BuildError::at("coupling", e.to_string()))?;
        Coupling::from_info(info, overrides)
    } else {
        Coupling::new(&cname, overrides)
    }
    .map_err(|e| match e {
        ModelError::UnknownName { .. } => BuildError::at("coupling", e.to_string())
            .hint("a path ending in .toml uses your own coupling declaration (docs/models.md)"),
        e => model_err(e, "coupling_params"),
    })?;
    let conn_spec = p.str("connectivity")?;
    let connectivity = Connectivity::load(&conn_spec, p.base_dir())
        .map_err(|e| BuildError::at("connectivity", e.to_string()))?;
    let model_params = crate::model_params::model_params(p, info, &connectivity.labels)?;
    let (scheme, stochastic) = integrator(&p.str("integrator")?)
        .map_err(|e| BuildError::at("integrator", e.to_string()))?;
    let noise = if stochastic {
        let kind = match p.str("noise")?.as_str() {
            "additive" => NoiseKind::Additive,
            "multiplicative" => NoiseKind::Multiplicative {
                a: p.f64("multiplicative_a")?,
                b: p.f64("multiplicative_b")?,
            },
            other => {
                return Err(BuildError::at("noise", format!("unknown noise `{other}`"))
                    .hint("additive or multiplicative"))
            }
        };
        let nsig = p.f64_list("nsig")?.unwrap_or(vec![1.0]);
        let stream_name = p.str("noise_stream")?;
        let ntau_ms = p.f64("noise_ntau")?;
        if !ntau_ms.is_finite() || ntau_ms < 0.0 {
            return Err(BuildError::at(
                "noise_ntau",
                format!("{ntau_ms} ms: the noise's correlation time must be finite and ≥ 0"),
            )
            .hint("0 for white noise, > 0 (ms) for coloured noise"));
        }
        if ntau_ms > 0.0 && !(ctx.dt_ms * (1.0 / ntau_ms).sqrt()).is_finite() {
            return Err(BuildError::at(
                "noise_ntau",
                format!(
                    "{ntau_ms:e} ms is too small: the step factor dt·sqrt(1/ntau) is not finite"
                ),
            ));
        }
        if ntau_ms > 0.0 && stream_name == "philox" {
            return Err(BuildError::at(
                "noise_ntau",
                format!(
                    "coloured noise (noise_ntau = {ntau_ms} ms) is drawn from tvb-library's numpy stream only; the philox stream is white"
                ),
            )
            .hint("remove noise_stream = \"philox\", or set noise_ntau = 0"));
        }
        Some(NoiseConfig {
            stream: match stream_name.as_str() {
                "numpy" => NoiseStream::Numpy,
                "philox" => NoiseStream::Philox {
                    seed: p.i64("noise_seed").unwrap_or(0) as u64,
                    combination: 0,
                },
                other => {
                    return Err(BuildError::at(
                        "noise_stream",
                        format!("unknown noise stream `{other}`"),
                    )
                    .hint("numpy or philox"))
                }
            },
            kind,
            nsig,
            seed: p.i64("noise_seed").unwrap_or(0) as u32,
            ntau_ms,
        })
    } else {
        for k in ["nsig", "noise_seed", "noise", "noise_stream", "noise_ntau"] {
            if p.has(k) {
                return Err(BuildError::at(
                    k,
                    format!("`{k}` has no effect with a deterministic integrator"),
                )
                .hint("choose HeunStochastic or EulerStochastic, or remove it"));
            }
        }
        None
    };
    let ic = p.str("initial_conditions")?;
    let initial = match ic.as_str() {
        "random" => InitialConditions::Uniform { seed: 0 },
        "golden" => InitialConditions::Golden,
        path => InitialConditions::Values(read_ic(&p.base_dir().join(path), info, connectivity.n)?),
    };
    // a state variable is its index, an observable nv + its index
    let index_of = |v: &str| {
        info.var_index(v).or_else(|| {
            info.observables
                .iter()
                .position(|o| *o == v)
                .map(|j| info.nvar() + j)
        })
    };
    // in a model with modes, `xi` names every mode of xi: xi[0], xi[1], ...
    let indices_of = |v: &str| -> Option<Vec<usize>> {
        if let Some(k) = index_of(v) {
            return Some(vec![k]);
        }
        (info.modes > 1)
            .then(|| {
                (0..info.modes)
                    .map(|m| index_of(&format!("{v}[{m}]")))
                    .collect::<Option<Vec<usize>>>()
            })
            .flatten()
    };
    let voi: Vec<usize> = match p.str_list("variables")? {
        None => info.voi.iter().map(|v| index_of(v).unwrap_or(0)).collect(),
        Some(list) => list
            .iter()
            .map(|v| {
                indices_of(v).ok_or_else(|| {
                    let mut names: Vec<&str> = info.state_variables.to_vec();
                    names.extend(info.observables);
                    BuildError::at(
                        "variables",
                        format!("{} has no state variable or observable `{v}`", info.name),
                    )
                    .hint(format!("variables: {}", names.join(", ")))
                })
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect(),
    };
    if voi.is_empty() {
        return Err(BuildError::at("variables", "no variable chosen"));
    }
    let proxy_nodes = p
        .nodes("proxy_nodes", &connectivity.labels)?
        .unwrap_or_default();
    let speed_mm_per_ms = p.f64("speed_mm_per_ms")?;
    let max_delay_steps = history_fits(&connectivity, info, speed_mm_per_ms, ctx.dt_ms)?;
    let cfg = MeanFieldConfig {
        model: info,
        model_params,
        coupling,
        connectivity,
        speed_mm_per_ms,
        dt_ms: ctx.dt_ms,
        scheme,
        noise,
        initial,
        proxy_nodes,
    };
    // Check now (as building the engine would) so that every configuration
    // error shows at validation.
    MeanFieldSim::check(&cfg).map_err(|e| BuildError::at("", e.to_string()))?;
    Ok(MeanFieldParts {
        cfg,
        voi,
        threads: p.i64("threads")? as usize,
        noise_seed_given: p.has("noise_seed"),
        random_ic: ic == "random",
        max_delay_steps,
    })
}

/// The most bytes the engine's delay history (float32, two slots per delay
/// step, per coupled variable and region) may take: 8 GiB. Longer delays
/// (a slow `speed_mm_per_ms`, a fine `dt_ms`) are refused before anything
/// is allocated.
pub const MAX_HISTORY_BYTES: u64 = 8 << 30;

/// The longest delay in steps, when the history it needs is at most
/// [`MAX_HISTORY_BYTES`].
fn history_fits(
    c: &Connectivity,
    info: &ModelInfo,
    speed: f64,
    dt: f64,
) -> Result<usize, BuildError> {
    let longest = c.tract_lengths.iter().copied().fold(0.0, f64::max);
    let steps = (longest / speed / dt).round_ties_even();
    let bytes = (info.cvar.len() * c.n) as f64 * 2.0 * (steps + 2.0) * 4.0;
    if bytes.is_nan() || bytes > MAX_HISTORY_BYTES as f64 {
        return Err(BuildError::at(
            "speed_mm_per_ms",
            format!(
                "the longest tract ({} mm) at {} mm/ms is a delay of {} steps of {} ms, whose history needs {}; at most {} are allowed",
                short(longest),
                short(speed),
                short(steps),
                short(dt),
                human(bytes),
                human(MAX_HISTORY_BYTES as f64)
            ),
        )
        .hint("a faster conduction speed or a longer dt_ms shortens the delays"));
    }
    Ok(steps as usize)
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let parts = mean_field_parts(ctx)?;
    let cfg = parts.cfg;
    let backend =
        Backend::parse(&ctx.params.str("backend")?).map_err(|m| BuildError::at("backend", m))?;
    let precision = parse_precision(&ctx.params.str("precision")?)
        .map_err(|m| BuildError::at("precision", m))?;
    check_backend(&cfg, backend, precision)?;
    let info = cfg.model;
    let meta = Arc::new(SeriesMeta {
        variables: parts
            .voi
            .iter()
            .map(|&k| variable_name(info, k).to_string())
            .collect(),
        nodes: cfg.connectivity.labels.clone(),
        units: variable_units(info, &parts.voi),
        space: Default::default(),
    });
    let observed: Vec<&str> = parts
        .voi
        .iter()
        .filter(|&&k| k >= info.nvar())
        .map(|&k| variable_name(info, k))
        .collect();
    let n_obs = observed.len();
    let n_regions = cfg.connectivity.n;
    let observer = if observed.is_empty() {
        None
    } else {
        Some(
            Observer::new(info, &cfg.model_params, &observed, cfg.connectivity.n).ok_or_else(
                || {
                    BuildError::at(
                        "variables",
                        format!("{}: its observables do not compile", info.name),
                    )
                },
            )?,
        )
    };
    let coupling_all = match ctx.params.str("coupling_regions")?.as_str() {
        "proxies" => false,
        "all" => true,
        other => {
            return Err(BuildError::at(
                "coupling_regions",
                format!("`{other}` is neither `proxies` nor `all`"),
            ))
        }
    };
    let coupling_meta = Arc::new(SeriesMeta::new(
        if cfg.coupling.n_terms(info.cvar.len()) == 1 && info.cvar.len() > 1 {
            vec!["c".to_string()]
        } else {
            info.cvar
                .iter()
                .map(|&k| format!("c_{}", info.state_variables[k]))
                .collect()
        },
        if coupling_all {
            cfg.connectivity.labels.clone()
        } else {
            cfg.proxy_nodes
                .iter()
                .map(|&i| cfg.connectivity.labels[i].clone())
                .collect()
        },
        "",
    ));
    Ok(Box::new(MeanField {
        name: ctx.name.to_string(),
        coupling_meta,
        proxy_vals: vec![],
        proxy_present: vec![],
        proxy_started: false,
        stim_vals: vec![],
        cpl_buf: vec![],
        coupling_all,
        total_steps: (ctx.duration_ms / ctx.dt_ms).round() as u64,
        cfg,
        threads: parts.threads,
        noise_seed_given: parts.noise_seed_given,
        random_ic: parts.random_ic,
        max_delay_steps: parts.max_delay_steps,
        sim: None,
        observer,
        obs_buf: vec![0.0; n_obs * n_regions],
        voi: parts.voi,
        meta,
        buf: vec![],
        deferred: None,
        backend,
        precision,
        gpu: None,
        overlap: ctx.params.bool("overlap")?,
        pending: VecDeque::new(),
        restored: None,
    }))
}

/// A stimulus series must have one variable and one node per region.
fn check_stimulus_shape(
    variables: Option<usize>,
    nodes: Option<usize>,
    n: usize,
) -> Result<(), String> {
    if let Some(v) = variables.filter(|&v| v != 1) {
        return Err(format!(
            "the series into `stimulus` has {v} variables; a stimulus has one"
        ));
    }
    if let Some(k) = nodes.filter(|&k| k != n) {
        return Err(format!(
            "the series into `stimulus` has {k} nodes; the connectome has {n} regions"
        ));
    }
    Ok(())
}

impl Actor for MeanField {
    /// Every scalar parameter of the coupling (`coupling_params.NAME`) and,
    /// on the CPU engine, every model parameter given one value for all
    /// regions (`model_params.NAME`, a vector's elements `model_params.NAME[k]`).
    fn steerable(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .cfg
            .coupling
            .steerable()
            .iter()
            .map(|n| format!("coupling_params.{n}"))
            .collect();
        if self.backend != Backend::Vulkan {
            keys.extend(
                self.cfg
                    .model
                    .value_names()
                    .into_iter()
                    .filter(|n| !self.cfg.model_params.is_regional(n))
                    .map(|n| format!("model_params.{n}")),
            );
        }
        keys
    }

    fn unsteerable(&self) -> Vec<(String, String)> {
        let model = self.cfg.model.name;
        let mut fixed: Vec<(String, String)> = self
            .cfg
            .model
            .value_names()
            .into_iter()
            .filter(|n| self.backend == Backend::Vulkan || self.cfg.model_params.is_regional(n))
            .map(|n| {
                let why = if self.backend == Backend::Vulkan {
                    "the Vulkan engine (backend = \"vulkan\") takes new coupling parameters during a run, not model parameters; backend = \"cpu\" takes both".to_string()
                } else {
                    format!("the graph gives {model}'s `{n}` one value per region, and a steered value is one number for every region")
                };
                (format!("model_params.{n}"), why)
            })
            .collect();
        if self.cfg.coupling.kind == brainstream_models::coupling::CouplingKind::PreSigmoidal {
            for k in ["dynamic", "globalT"] {
                fixed.push((
                    format!("coupling_params.{k}"),
                    "PreSigmoidal's switches choose what the coupling computes, fixed when the run starts".into(),
                ));
            }
        }
        let noise =
            "the noise is drawn from the start with the intensities and stream the run began with";
        fixed.extend(
            [
                (
                    "model",
                    "the model is fixed; its parameters (model_params) can change",
                ),
                (
                    "coupling",
                    "the coupling's kind is fixed; its parameters (coupling_params) can change",
                ),
                (
                    "connectivity",
                    "the connectome, its delays and the history are built when the run starts",
                ),
                (
                    "speed_mm_per_ms",
                    "the delays are whole steps of the history, fixed when the run starts",
                ),
                ("integrator", "the scheme is chosen when the run starts"),
                ("noise", noise),
                ("nsig", noise),
                ("noise_seed", noise),
                ("noise_stream", noise),
                ("noise_ntau", noise),
                ("multiplicative_a", noise),
                ("multiplicative_b", noise),
                (
                    "initial_conditions",
                    "the initial state is used once, at the start",
                ),
                (
                    "proxy_nodes",
                    "the co-simulation's interface is fixed when the graph is built",
                ),
            ]
            .map(|(k, r)| (k.to_string(), r.to_string())),
        );
        fixed
    }

    /// `coupling_params.NAME`: the coupling's parameter from the next
    /// step on (the engine's coupling and this actor's configuration).
    /// `model_params.NAME`: the model's parameter for every region from
    /// the next step on, checked as the graph's values are (limits, and
    /// the documented range under `strict_ranges`), on the CPU engine.
    fn steer(&mut self, key: &str, value: f64) -> Result<f64, ActorError> {
        let refuse = || {
            ActorError::new(format!(
                "`{key}` {}",
                brainstream_runtime::control::refusal(key, &self.steerable(), &self.unsteerable())
            ))
        };
        if let Some(name) = key.strip_prefix("coupling_params.") {
            if let Some(g) = self.gpu.as_mut() {
                return g
                    .set_coupling_param(&mut self.cfg.coupling, name, value)
                    .map_err(|e| ActorError::new(format!("`{key}`: {e}")));
            }
            let sim = self
                .sim
                .as_mut()
                .ok_or_else(|| ActorError::new("steered before its start"))?;
            return sim
                .set_coupling_param(&mut self.cfg.coupling, name, value)
                .map_err(|e| ActorError::new(format!("`{key}`: {e}")));
        }
        let Some(name) = key.strip_prefix("model_params.") else {
            return Err(refuse());
        };
        if self.gpu.is_some() || !self.steerable().iter().any(|k| k == key) {
            return Err(refuse());
        }
        let sim = self
            .sim
            .as_mut()
            .ok_or_else(|| ActorError::new("steered before its start"))?;
        let old = sim
            .set_model_param(&mut self.cfg.model_params, name, value)
            .map_err(|e| ActorError::new(format!("`{key}`: {e}")))?;
        // observables may read parameters (Epileptor's are of the state
        // only, a user's may not be)
        if self.observer.is_some() {
            let info = self.cfg.model;
            let names: Vec<&str> = self
                .voi
                .iter()
                .filter(|&&k| k >= info.nvar())
                .map(|&k| variable_name(info, k))
                .collect();
            self.observer = Observer::new(
                info,
                &self.cfg.model_params,
                &names,
                self.cfg.connectivity.n,
            );
        }
        Ok(old)
    }

    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let c = &self.cfg.connectivity;
        let (n, nv, ncv) = (
            c.n as f64,
            self.cfg.model.nvar() as f64,
            self.cfg.model.cvar.len() as f64,
        );
        // weights and lengths here and in the engine's copy, its delays
        // and sparse structure, the history ring, the state and stages
        let memory = n * n * (4.0 * 8.0 + 8.0 + 16.0)
            + ncv * n * 2.0 * (self.max_delay_steps as f64 + 2.0) * 4.0
            + n * nv * 8.0 * 8.0;
        let proxies = if self.coupling_all {
            self.cfg.connectivity.n
        } else {
            self.cfg.proxy_nodes.len()
        };
        if let Some(st) = ctx.input("stimulus") {
            check_stimulus_shape(st.variables, st.nodes, c.n).map_err(|m| {
                BuildError::at("", m).hint("a `stimulus` actor on the same connectivity sends one")
            })?;
        }
        Ok(Footprint {
            memory_bytes: memory,
            outputs: vec![
                (
                    "state",
                    PortShape::named_series(&self.meta.variables, &self.meta.nodes, 1.0),
                ),
                (
                    "coupling",
                    PortShape::named_series(
                        &self.coupling_meta.variables,
                        &self.coupling_meta.nodes,
                        if proxies == 0 { 0.0 } else { 1.0 },
                    ),
                ),
            ],
            ..Default::default()
        })
    }

    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        let mut cfg = self.cfg.clone();
        if let (Some(nz), false) = (cfg.noise.as_mut(), self.noise_seed_given) {
            nz.seed = (ctx.seed & 0xffff_ffff) as u32;
            if let NoiseStream::Philox { seed, .. } = &mut nz.stream {
                *seed = nz.seed as u64;
            }
        }
        if self.random_ic {
            cfg.initial = InitialConditions::Uniform { seed: ctx.seed };
        }
        self.gpu = VulkanSim::start(
            &self.name,
            &cfg,
            self.backend,
            self.precision,
            self.coupling_all,
        )?;
        if self.gpu.is_some() {
            if self.restored.is_some() {
                return Err(ActorError::new(
                    "resuming a checkpoint runs on the CPU engine only: set backend = \"cpu\"",
                ));
            }
            return Ok(());
        }
        let mut sim = MeanFieldSim::with_threads(cfg, self.threads).map_err(ActorError::new)?;
        sim.export_coupling_of_every_region(self.coupling_all);
        tracing::info!(
            model = sim.model().name,
            regions = sim.n_regions(),
            nnz = sim.nnz(),
            horizon = sim.horizon(),
            "mean field ready"
        );
        if let Some(st) = self.restored.take() {
            sim.restore_state(&st)
                .map_err(|e| ActorError::new(format!("resuming from the checkpoint: {e}")))?;
        }
        self.sim = Some(sim);
        Ok(())
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        let before = match (&self.gpu, &self.sim) {
            (Some(g), _) => g.steps_done(),
            (None, Some(s)) => s.steps_done(),
            (None, None) => return Err(ActorError::new("not started")),
        };
        let taken = self.window_inputs(w, inputs, before)?;
        let sim: &mut dyn MeanFieldEngine = match (&mut self.gpu, &mut self.sim) {
            (Some(g), _) => g.as_mut(),
            (None, Some(s)) => s,
            (None, None) => return Err(ActorError::new("not started")),
        };
        let (n, nv) = (sim.n_regions(), sim.model().nvar());
        let steps = w.n_steps as usize;
        self.buf.resize(steps * nv * n, 0.0);
        let nc = sim.coupling_regions();
        self.cpl_buf.resize(steps * nc * sim.n_terms(), 0.0);
        let proxy = (!taken.vars.is_empty()).then(|| ProxyInput {
            values: &self.proxy_vals,
            present: &self.proxy_present,
            vars: &taken.vars,
        });
        let cpl = (nc > 0).then_some(&mut self.cpl_buf[..]);
        let stim = taken.stimulus.then_some(StimulusInput {
            values: &self.stim_vals,
        });
        let res = sim.run_stimulated(steps, &mut self.buf, proxy, cpl, stim);
        self.window_outputs(w, before, res, out)
    }

    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
    }

    fn pipelined(&mut self) -> Option<&mut dyn Pipelined> {
        if self.overlaps() {
            Some(self)
        } else {
            None
        }
    }

    fn finish(&mut self, _complete: bool) -> Result<Vec<std::path::PathBuf>, ActorError> {
        match self.deferred.take() {
            Some(e) => Err(e),
            None => Ok(vec![]),
        }
    }
}

/// What [`MeanField::window_inputs`] took from a window's inputs (into
/// `proxy_vals`/`proxy_present` and `stim_vals`).
struct WindowIn {
    /// the proxy input's state variables (none: no proxy states)
    vars: Vec<usize>,
    /// whether the window has a stimulus
    stimulus: bool,
}

/// A window handed to the engine ahead of its outputs ([`Pipelined`]).
enum Pending {
    /// submitted to the device
    Gpu(WindowTicket),
    /// for the CPU engine (`backend = "auto"` that did not take the
    /// device): the window's inputs, stepped when it is collected
    Cpu(Inputs),
    /// its inputs were refused, or the device refused the window: the
    /// error, reported when it is collected, where `step` reports it
    Failed(ActorError),
}

impl MeanField {
    /// Takes window `w`'s proxy states and stimulus (the engine having done
    /// `before` steps) into `proxy_vals`/`proxy_present` and `stim_vals`,
    /// checked.
    fn window_inputs(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        before: u64,
    ) -> Result<WindowIn, ActorError> {
        let n = self.cfg.connectivity.n;
        let steps = w.n_steps as usize;
        // proxy states for the stamps this window produces: before+1 ..= before+steps
        let np = self.cfg.proxy_nodes.len();
        let mut vars = vec![];
        if let Some(ps) = crate::util::series(inputs, "proxy")?.filter(|ps| !ps.is_empty()) {
            if np == 0 {
                return Err(ActorError::new(format!(
                    "`{}` received proxy states but has no proxy_nodes",
                    self.name
                )));
            }
            let info = self.cfg.model;
            for v in &ps.meta.variables {
                vars.push(info.var_index(v).ok_or_else(|| {
                    ActorError::new(format!(
                        "proxy input variable `{v}` is not a state variable of {} ({})",
                        info.name,
                        info.state_variables.join(", ")
                    ))
                })?);
            }
            if ps.data.shape()[2] != np {
                return Err(ActorError::new(format!(
                    "proxy input has {} nodes, `{}` has {np} proxy regions",
                    ps.data.shape()[2],
                    self.name
                )));
            }
            self.proxy_present.clear();
            self.proxy_present.resize(steps, false);
            self.proxy_vals.clear();
            self.proxy_vals.resize(steps * np * vars.len(), 0.0);
            for (k, &stamp) in ps.stamps.iter().enumerate() {
                if stamp <= before || stamp > before + steps as u64 {
                    continue;
                }
                let s = (stamp - before - 1) as usize;
                self.proxy_present[s] = true;
                for p in 0..np {
                    for v in 0..vars.len() {
                        let x = ps.data[[k, v, p]];
                        if !x.is_finite() {
                            return Err(ActorError::new(format!(
                                "proxy state `{}` of region {p} is {x} at t = {} ms",
                                ps.meta.variables[v],
                                stamp as f64 * w.dt_ms
                            )));
                        }
                        self.proxy_vals[(s * np + p) * vars.len() + v] = x;
                    }
                }
            }
        }
        // once proxy states flow, every step must have one: a gap means the
        // producer stamps differently or the edge delay is too short
        if vars.is_empty() && self.proxy_started {
            return Err(ActorError::new(format!(
                "proxy states stopped arriving at t = {} ms",
                (before + 1) as f64 * w.dt_ms
            )));
        }
        if !vars.is_empty() {
            let first = self.proxy_present.iter().position(|p| *p);
            let from = if self.proxy_started { Some(0) } else { first };
            if let Some(from) = from {
                if let Some(gap) = (from..steps).find(|&s| !self.proxy_present[s]) {
                    return Err(ActorError::new(format!(
                        "proxy input has no state for t = {} ms (stamp {}); proxy states must arrive for every step once they start: stamp them at the end of their step, with an edge delay of at least one window",
                        (before + gap as u64 + 1) as f64 * w.dt_ms,
                        before + gap as u64 + 1
                    )));
                }
                self.proxy_started = true;
            }
        }
        let stimulus = match crate::util::series(inputs, "stimulus")?.filter(|s| !s.is_empty()) {
            None => false,
            Some(st) => {
                let sh = st.data.shape();
                check_stimulus_shape(Some(sh[1]), Some(sh[2]), n).map_err(ActorError::new)?;
                self.stim_vals.clear();
                self.stim_vals.resize(steps * n, 0.0);
                for (k, &stamp) in st.stamps.iter().enumerate() {
                    if stamp < before || stamp >= before + steps as u64 {
                        continue;
                    }
                    let s = (stamp - before) as usize;
                    for i in 0..n {
                        let u = st.data[[k, 0, i]];
                        if !u.is_finite() {
                            return Err(ActorError::new(format!(
                                "stimulus of region {i} (`{}`) is {u} at t = {} ms",
                                st.meta.nodes.get(i).map_or("", |l| l.as_str()),
                                stamp as f64 * w.dt_ms
                            )));
                        }
                        self.stim_vals[s * n + i] = u;
                    }
                }
                true
            }
        };
        Ok(WindowIn { vars, stimulus })
    }

    /// Sets window `w`'s outputs from the engine's results in `buf` and
    /// `cpl_buf` (`res`: how its run ended; the engine had done `before`
    /// steps before it); a divergence is reported at the next window.
    fn window_outputs(
        &mut self,
        w: &WindowInfo,
        before: u64,
        res: Result<(), ModelError>,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let sim: &mut dyn MeanFieldEngine = match (&mut self.gpu, &mut self.sim) {
            (Some(g), _) => g.as_mut(),
            (None, Some(s)) => s,
            (None, None) => return Err(ActorError::new("not started")),
        };
        let (n, nv) = (sim.n_regions(), sim.model().nvar());
        let (nt, nc) = (sim.n_terms(), sim.coupling_regions());
        let steps = w.n_steps as usize;
        let good = match &res {
            Ok(()) => steps,
            Err(ModelError::Diverged { step, .. }) => (*step - 1 - before) as usize,
            Err(_) => 0,
        };
        let nvoi = self.voi.len();
        let mut data = Array3::zeros((good, nvoi, n));
        for s in 0..good {
            if let Some(o) = &mut self.observer {
                o.observe(&self.buf[s * nv * n..(s + 1) * nv * n], &mut self.obs_buf);
            }
            let mut next_obs = 0;
            for (j, &k) in self.voi.iter().enumerate() {
                let src = if k < nv {
                    &self.buf[(s * nv + k) * n..(s * nv + k + 1) * n]
                } else {
                    next_obs += 1;
                    &self.obs_buf[(next_obs - 1) * n..next_obs * n]
                };
                data.slice_mut(ndarray::s![s, j, ..])
                    .assign(&ndarray::ArrayView1::from(src));
            }
        }
        let stamps: Vec<u64> = (before + 1..=before + good as u64).collect();
        out.set(
            "state",
            Payload::Series(Arc::new(Series {
                times_ms: stamps.iter().map(|k| *k as f64 * w.dt_ms).collect(),
                stamps,
                data,
                meta: self.meta.clone(),
            })),
        );
        if nc > 0 {
            // the coupling of each step, stamped at the step's start; every
            // region's (AfferentCoupling) from stamp 1, and at the run's end
            // the coupling of the step after it, which one more step gives
            let first = usize::from(self.coupling_all && before == 0).min(good);
            let mut stamps: Vec<u64> = (before + first as u64..before + good as u64).collect();
            let mut c = Array3::zeros((good - first + 1, nt, nc));
            for (row, s) in (first..good).enumerate() {
                for p in 0..nc {
                    for t in 0..nt {
                        c[[row, t, p]] = self.cpl_buf[(s * nc + p) * nt + t];
                    }
                }
            }
            let last = before + steps as u64;
            if self.coupling_all && good == steps && last == self.total_steps {
                let mut x = vec![0.0; nv * n];
                let mut cpl = vec![0.0; nc * nt];
                // the state after this extra step is not used: a divergence
                // in it does not concern the run (its coupling is computed
                // before the step)
                let _ = sim.run_cosim(1, &mut x, None, Some(&mut cpl));
                for p in 0..nc {
                    for t in 0..nt {
                        c[[stamps.len(), t, p]] = cpl[p * nt + t];
                    }
                }
                stamps.push(last);
            }
            let c = c.slice_move(ndarray::s![..stamps.len(), .., ..]);
            out.set(
                "coupling",
                Payload::Series(Arc::new(Series {
                    times_ms: stamps.iter().map(|k| *k as f64 * w.dt_ms).collect(),
                    stamps,
                    data: c,
                    meta: self.coupling_meta.clone(),
                })),
            );
        }
        if let Err(e) = res {
            // Send what was computed before the divergence, stop next window.
            self.deferred = Some(ActorError::new(e).in_window(w.index));
        }
        Ok(())
    }

    /// Whether windows overlap on the device: `overlap` on a mean field
    /// that runs on Vulkan (`vulkan`, or `auto` where it takes a GPU).
    fn overlaps(&self) -> bool {
        self.overlap
            && match self.backend {
                Backend::Cpu => false,
                Backend::Vulkan => true,
                Backend::Auto => auto_takes_a_gpu(&self.cfg, self.precision),
            }
    }
}

/// On the device, window w + 1 is submitted before window w is read back,
/// as far as the graph lets the scheduler hand over its inputs early (the
/// slack of the cycles through the mean field: a co-simulation whose
/// edges into and out of the spiking side are each delayed by a window
/// has one window of lookahead; a mean field on no cycle, up to
/// `MAX_LOOKAHEAD`); outputs are `step`'s, bit for bit.
impl Pipelined for MeanField {
    /// Takes window `win`'s inputs and submits it to the device; on the
    /// CPU engine keeps them for [`Self::collect`]. An error is kept for
    /// the window's `collect`, so that the windows before it are emitted
    /// as `step` would have.
    fn submit(&mut self, win: &WindowInfo, inputs: &Inputs) -> Result<(), ActorError> {
        let p = if self.pending.iter().any(|p| matches!(p, Pending::Failed(_))) {
            Pending::Failed(ActorError::new("not run: a window before it failed"))
        } else if let Some(before) = self.gpu.as_ref().map(|g| g.steps_done()) {
            match self.window_inputs(win, inputs, before) {
                Err(e) => Pending::Failed(e),
                Ok(taken) => {
                    let g = self
                        .gpu
                        .as_mut()
                        .ok_or_else(|| ActorError::new("not started"))?;
                    let proxy = (!taken.vars.is_empty()).then(|| ProxyInput {
                        values: &self.proxy_vals,
                        present: &self.proxy_present,
                        vars: &taken.vars,
                    });
                    let stim = taken.stimulus.then_some(StimulusInput {
                        values: &self.stim_vals,
                    });
                    let want_cpl = g.coupling_regions() > 0;
                    match g.submit(win.n_steps as usize, proxy, want_cpl, stim) {
                        Ok(t) => Pending::Gpu(t),
                        Err(e) => Pending::Failed(ActorError::new(e)),
                    }
                }
            }
        } else {
            Pending::Cpu(Inputs::from_pairs(
                ["proxy", "stimulus"]
                    .into_iter()
                    .filter_map(|port| inputs.get(port).map(|p| (port, p.clone()))),
            ))
        };
        self.pending.push_back(p);
        Ok(())
    }

    /// Waits for window `win` on the device, reads it back and sets its
    /// outputs (on the CPU engine: steps it now).
    fn collect(&mut self, win: &WindowInfo, outputs: &mut Outputs) -> Result<(), ActorError> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        match self.pending.pop_front() {
            None => Err(ActorError::new(format!(
                "internal error: window {} collected before it was submitted",
                win.index
            ))),
            Some(Pending::Failed(e)) => Err(e),
            Some(Pending::Cpu(inputs)) => self.step(win, &inputs, outputs),
            Some(Pending::Gpu(t)) => {
                let g = self
                    .gpu
                    .as_mut()
                    .ok_or_else(|| ActorError::new("not started"))?;
                let (n, nv) = (g.n_regions(), g.model().nvar());
                let nc = g.coupling_regions();
                self.buf.resize(t.steps() * nv * n, 0.0);
                self.cpl_buf.resize(t.steps() * nc * g.n_terms(), 0.0);
                let cpl = (nc > 0).then_some(&mut self.cpl_buf[..]);
                let res = g.collect(t, &mut self.buf, cpl);
                self.window_outputs(win, t.first_step(), res, outputs)
            }
        }
    }

    fn computed_by(&self) -> &'static str {
        "a Vulkan device (its state is on the device): set backend = \"cpu\" to checkpoint it"
    }
}

#[path = "mean_field_state.rs"]
mod state;
