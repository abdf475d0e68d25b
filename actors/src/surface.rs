//! `surface`: a cortical-surface simulation as tvb-library 2.10 runs one
//! (`Simulator(surface=Cortex(...))`), stepped by
//! [`brainstream_models::surface::SurfaceSim`]: the state of each vertex of
//! a triangulated cortex, a local connectivity kernel of geodesic
//! distances (tvb-library's `LocalConnectivity`, Gaussian with a cutoff,
//! or a precomputed matrix read as `LocalConnectivity.from_file` reads it),
//! and the delayed long-range coupling of the region connectome through a
//! region mapping (vertices averaged into regions, each region's coupling
//! broadcast back to its vertices). It emits the raw state of every
//! `vertex_stride`-th vertex on `state` and the state averaged over each
//! region's vertices on `regions` (tvb-library's `surface_state_to_rois`),
//! after every step: sample `k` at `t = k·dt` ms. Its `stimulus` input
//! takes a stimulus from any actor, per region (spread to each region's
//! vertices as tvb-library spreads a `StimuliRegion` on a surface) or per
//! vertex.
//!
//! Generic2dOscillator with deterministic integrators (docs/surfaces.md);
//! `backend = "vulkan"` (or `"auto"`, or `brainstream run --backend`) steps
//! it on a Vulkan device ([`crate::surface_vulkan`]).

use std::sync::Arc;

use brainstream_models::coupling::Coupling;
use brainstream_models::integrator::{integrator, Scheme};
use brainstream_models::leadfield::load_region_mapping;
use brainstream_models::stimulus::Temporal;
use brainstream_models::surface::local_connectivity::SPATIAL_EQUATIONS;
use brainstream_models::surface::{
    read_local_connectivity, LocalConnectivity, SpatialEquation, Surface, SurfaceConfig,
    SurfaceSim, SurfaceStimulus, SURFACE_MODELS,
};
use brainstream_models::{model_info, Connectivity, InitialConditions, ModelInfo};
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, RunContext, Series,
    SeriesMeta, WindowInfo,
};
use ndarray::Array3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "surface", ty: ParamType::Path, default: DefaultValue::Str("builtin:cortex_16k"), range: None, unit: "", doc: "The cortical surface: builtin:cortex_16k (tvb-data's cortex_16384.zip, tvb-library's default Cortex) or a TVB surface zip (vertices.txt in mm, triangles.txt), relative to the graph" },
    ParamSpec { name: "region_mapping", ty: ParamType::Path, default: DefaultValue::Str("builtin:tvb76_16k"), range: None, unit: "", doc: "Vertex → region map: builtin:tvb76_16k (tvb-data's regionMapping_16k_76.txt, for builtin:tvb76 on builtin:cortex_16k) or a file of one region index per vertex (.txt/.csv/.npy)" },
    ParamSpec { name: "local_connectivity", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "tvb-library's LocalConnectivity: { equation = \"Gaussian\", sigma = 3.0, amp = 1.0, midpoint = 0.0, offset = 0.0, cutoff = 10.0 } (mm; TVB's defaults sigma 1, amp 1, midpoint 0, offset 0, cutoff 40): the equation of the exact geodesic distance up to the cutoff, homogenised as TVB does; or { file = \"local_connectivity_16384.mat\" }: a precomputed V × V sparse matrix used as is, as LocalConnectivity.from_file reads it (a .mat holding a sparse `LocalCoupling`, as tvb-data's, or a Matrix Market .mtx), relative to the graph; absent: no local coupling" },
    ParamSpec { name: "stimulus", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "tvb-library's StimuliSurface: { equation = \"PulseTrain\", equation_params = { T = 4.0, tau = 1.5, amp = 0.8, onset = 1.0 }, spatial = { equation = \"Gaussian\", sigma = 8.0, amp = 1.0, midpoint = 0.0, offset = 0.0 }, focal_triangles = [0, 9000] } (or focal_vertices = [...]): u_v(t) = T(t)·Σ_k E(geodesic distance from focus k to v), added to the model's stimulus variable as TVB adds it; T any temporal equation of the stimulus kind (defaults as TVB's), E a Gaussian (mm; TVB's defaults); focal_triangles are TVB's focal_points_triangles (each gives its first vertex); absent: no stimulus" },
    ParamSpec { name: "local_coupling_strength", ty: ParamType::Float, default: DefaultValue::Float(1.0), range: Some((-1e9, 1e9)), unit: "1", doc: "tvb-library's Cortex.coupling_strength: the local coupling is strength·L·V (one value for all vertices)" },
    ParamSpec { name: "model", ty: ParamType::Str, default: DefaultValue::Str("Generic2dOscillator"), range: None, unit: "", doc: "Neural mass model: Generic2dOscillator (the local coupling enters its V equation as tvb-library adds it)" },
    ParamSpec { name: "model_params", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Model parameters by name, one value each (e.g. { a = -2.0 })" },
    ParamSpec { name: "connectivity", ty: ParamType::Path, default: DefaultValue::Str("builtin:tvb76"), range: None, unit: "", doc: "The region connectome of the long-range coupling: builtin:tvb76, a TVB .zip, an .h5 file, or a folder of weights/tract_lengths files; every region must have vertices in the region mapping" },
    ParamSpec { name: "speed_mm_per_ms", ty: ParamType::Float, default: DefaultValue::Float(3.0), range: Some((1e-9, 1e9)), unit: "mm/ms", doc: "Conduction speed: delays are rint(length/speed/dt) steps" },
    ParamSpec { name: "coupling", ty: ParamType::Str, default: DefaultValue::Str("Linear"), range: None, unit: "", doc: "Long-range coupling: Linear, Scaling, Difference or Kuramoto (tvb-library's sparse float32 couplings)" },
    ParamSpec { name: "coupling_params", ty: ParamType::Table, default: DefaultValue::Optional, range: None, unit: "", doc: "Coupling parameters, e.g. { a = 0.0042, b = 0.0 }" },
    ParamSpec { name: "integrator", ty: ParamType::Str, default: DefaultValue::Str("HeunDeterministic"), range: None, unit: "", doc: "HeunDeterministic or EulerDeterministic" },
    ParamSpec { name: "initial_conditions", ty: ParamType::Str, default: DefaultValue::Str("golden"), range: None, unit: "", doc: "golden (the deterministic state of make_refs.golden_ic over the vertex index), held over the initial history" },
    ParamSpec { name: "variables", ty: ParamType::StrList, default: DefaultValue::Optional, range: None, unit: "", doc: "State variables sent on `state` and `regions` (default: the model's variables of interest)" },
    ParamSpec { name: "vertex_stride", ty: ParamType::Int, default: DefaultValue::Int(1), range: Some((1.0, 1e9)), unit: "", doc: "`state` carries vertices 0, s, 2s, … (1: every vertex, as tvb-library's Raw monitor on a surface)" },
    ParamSpec { name: "backend", ty: ParamType::Str, default: DefaultValue::Str("cpu"), range: None, unit: "", doc: "cpu (the tvb-library-exact stepper), vulkan (a Vulkan device: a window of steps per submission, the state kept there; what it cannot run is an error naming it) or auto (a GPU where there is one — not a CPU implementation such as lavapipe — and it runs the configuration, else the CPU, said in the log); `brainstream run --backend` sets it for every surface that does not" },
    ParamSpec { name: "threads", ty: ParamType::Int, default: DefaultValue::Int(0), range: Some((0.0, 256.0)), unit: "", doc: "Threads computing the geodesic distances at build (0: every core); the matrix is the same whatever the count" },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "surface",
    doc: "Cortical-surface simulation as tvb-library 2.10 runs one: per-vertex neural masses, a geodesic local connectivity kernel, and long-range delayed coupling through the region connectome and a region mapping",
    params: PARAMS,
    inputs: &[PortDecl { name: "stimulus", ty: PortType::Series, doc: "a stimulus from any actor (a `stimulus` actor, a Python or external one), one variable: per region (one node per region: each vertex gets its region's value, as tvb-library spreads a StimuliRegion over a surface through the region mapping) or per vertex (one node per vertex); the sample stamped k is added to the model's stimulus variables during step k, where tvb-library adds a stimulus (none where no sample); not with the `stimulus` parameter", end_stamped: false }],
    outputs: &[
        PortDecl { name: "state", ty: PortType::Series, doc: "raw state of the chosen variables of every vertex_stride-th vertex after every step (nodes named v0, v128, …)", end_stamped: false },
        PortDecl { name: "regions", ty: PortType::Series, doc: "the chosen variables averaged over each region's vertices after every step (tvb-library's surface_state_to_rois), one node per region", end_stamped: false },
    ],
    build,
};

struct SurfaceActor {
    cfg: Option<SurfaceConfig>,
    sim: Option<SurfaceSim>,
    /// `backend`, the actor's name, and the device's surface when it steps there
    backend: crate::surface_vulkan::Backend,
    name: String,
    gpu: Option<Box<brainstream_gpu::GpuSurface>>,
    voi: Vec<usize>,
    stride: usize,
    n_vertices: usize,
    n_regions: usize,
    nnz: usize,
    rmap: Vec<usize>,
    count: Vec<f64>,
    meta: Arc<SeriesMeta>,
    region_meta: Arc<SeriesMeta>,
}

/// What the `local_connectivity` table asks for.
enum LocalSpec {
    /// Computed from the geodesic distances: the equation and the cutoff (mm).
    Computed(SpatialEquation, f64),
    /// Read from a file (tvb-library's `LocalConnectivity.from_file`).
    File(String),
}

/// Reads the `local_connectivity` table: the equation and the cutoff, or a
/// file.
fn local_spec(ctx: &BuildCtx) -> Result<Option<LocalSpec>, BuildError> {
    let Some(t) = ctx.params.table("local_connectivity")? else {
        return Ok(None);
    };
    let key = |k: &str| format!("local_connectivity.{k}");
    if let Some(v) = t.get("file") {
        let Some(f) = v.as_str() else {
            return Err(BuildError::at(key("file"), format!("`{v}` is not a path")));
        };
        if let Some(k) = t.keys().find(|k| *k != "file") {
            return Err(BuildError::at(
                key(k),
                format!("a local connectivity read from a file is used as is: `{k}` does not apply"),
            )
            .hint("either `file` alone or the equation keys (equation, sigma, amp, midpoint, offset, cutoff)"));
        }
        return Ok(Some(LocalSpec::File(f.to_string())));
    }
    let mut eq = SpatialEquation::gaussian_default();
    let mut cutoff = 40.0;
    let num = |k: &str, v: &toml::Value| -> Result<f64, BuildError> {
        v.as_float()
            .or_else(|| v.as_integer().map(|i| i as f64))
            .ok_or_else(|| BuildError::at(key(k), format!("`{v}` is not a number")))
    };
    if let Some(v) = t.get("equation") {
        let name = v.as_str().unwrap_or("");
        if !SPATIAL_EQUATIONS.contains(&name) {
            return Err(
                BuildError::at(key("equation"), format!("unknown spatial equation `{v}`"))
                    .hint(format!("available: {}", SPATIAL_EQUATIONS.join(", "))),
            );
        }
    }
    for (k, v) in t {
        let SpatialEquation::Gaussian {
            amp,
            sigma,
            midpoint,
            offset,
        } = &mut eq;
        match k.as_str() {
            "equation" => {}
            "cutoff" => cutoff = num(k, v)?,
            "amp" => *amp = num(k, v)?,
            "sigma" => *sigma = num(k, v)?,
            "midpoint" => *midpoint = num(k, v)?,
            "offset" => *offset = num(k, v)?,
            other => {
                return Err(BuildError::at(
                    key(other),
                    format!("a Gaussian local connectivity has no `{other}`"),
                )
                .hint("keys: equation, sigma, amp, midpoint, offset, cutoff; or `file` alone"))
            }
        }
    }
    if !(cutoff.is_finite() && cutoff > 0.0) {
        return Err(BuildError::at(
            key("cutoff"),
            format!("{cutoff} mm: a positive distance is expected"),
        ));
    }
    let SpatialEquation::Gaussian { sigma, .. } = eq;
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(BuildError::at(
            key("sigma"),
            format!("{sigma} mm: a positive width is expected"),
        ));
    }
    Ok(Some(LocalSpec::Computed(eq, cutoff)))
}

/// Reads the `stimulus` table (tvb-library's `StimuliSurface`) and computes
/// its spatial pattern on `surface`.
fn stimulus_spec(ctx: &BuildCtx, surface: &Surface) -> Result<Option<SurfaceStimulus>, BuildError> {
    let Some(t) = ctx.params.table("stimulus")? else {
        return Ok(None);
    };
    let key = |k: &str| format!("stimulus.{k}");
    let num = |k: &str, v: &toml::Value| -> Result<f64, BuildError> {
        v.as_float()
            .or_else(|| v.as_integer().map(|i| i as f64))
            .ok_or_else(|| BuildError::at(key(k), format!("`{v}` is not a number")))
    };
    let indices = |k: &str, v: &toml::Value| -> Result<Vec<usize>, BuildError> {
        let a = v
            .as_array()
            .ok_or_else(|| BuildError::at(key(k), format!("`{v}` is not a list of indices")))?;
        a.iter()
            .map(|x| {
                x.as_integer()
                    .filter(|&i| i >= 0)
                    .map(|i| i as usize)
                    .ok_or_else(|| {
                        BuildError::at(key(k), format!("`{x}` is not an index (an integer ≥ 0)"))
                    })
            })
            .collect()
    };
    let mut equation = "PulseTrain".to_string();
    let mut eparams: Vec<(String, f64)> = Vec::new();
    let mut spatial = SpatialEquation::gaussian_default();
    let mut foci: Option<Vec<usize>> = None;
    for (k, v) in t {
        match k.as_str() {
            "equation" => {
                equation = v
                    .as_str()
                    .ok_or_else(|| BuildError::at(key(k), format!("`{v}` is not a name")))?
                    .to_string()
            }
            "equation_params" => {
                let tt = v
                    .as_table()
                    .ok_or_else(|| BuildError::at(key(k), format!("`{v}` is not a table")))?;
                for (n, x) in tt {
                    eparams.push((n.clone(), num(&format!("equation_params.{n}"), x)?));
                }
            }
            "spatial" => {
                let tt = v
                    .as_table()
                    .ok_or_else(|| BuildError::at(key(k), format!("`{v}` is not a table")))?;
                let SpatialEquation::Gaussian {
                    amp,
                    sigma,
                    midpoint,
                    offset,
                } = &mut spatial;
                for (n, x) in tt {
                    let kk = format!("spatial.{n}");
                    match n.as_str() {
                        "equation" => {
                            if !SPATIAL_EQUATIONS.contains(&x.as_str().unwrap_or("")) {
                                return Err(BuildError::at(
                                    key(&kk),
                                    format!("unknown spatial equation `{x}`"),
                                )
                                .hint(format!("available: {}", SPATIAL_EQUATIONS.join(", "))));
                            }
                        }
                        "amp" => *amp = num(&kk, x)?,
                        "sigma" => *sigma = num(&kk, x)?,
                        "midpoint" => *midpoint = num(&kk, x)?,
                        "offset" => *offset = num(&kk, x)?,
                        other => {
                            return Err(BuildError::at(
                                key(&kk),
                                format!("a Gaussian spatial equation has no `{other}`"),
                            )
                            .hint("keys: equation, amp, sigma, midpoint, offset"))
                        }
                    }
                }
                let SpatialEquation::Gaussian { sigma, .. } = spatial;
                if !(sigma.is_finite() && sigma > 0.0) {
                    return Err(BuildError::at(
                        key("spatial.sigma"),
                        format!("{sigma} mm: a positive width is expected"),
                    ));
                }
            }
            "focal_triangles" | "focal_vertices" => {
                if foci.is_some() {
                    return Err(BuildError::at(
                        key(k),
                        "give the focal points once: `focal_triangles` (tvb-library's focal_points_triangles) or `focal_vertices`",
                    ));
                }
                let ix = indices(k, v)?;
                foci = Some(if k == "focal_triangles" {
                    SurfaceStimulus::vertices_of_triangles(surface, &ix)
                        .map_err(|e| BuildError::at(key(k), e.to_string()))?
                } else {
                    ix
                });
            }
            other => {
                return Err(BuildError::at(
                    key(other),
                    format!("a surface stimulus has no `{other}`"),
                )
                .hint(
                    "keys: equation, equation_params, spatial, focal_triangles or focal_vertices",
                ))
            }
        }
    }
    let Some(foci) = foci else {
        return Err(BuildError::at(
            "stimulus",
            "no focal points: `focal_triangles` (tvb-library's focal_points_triangles) or `focal_vertices`",
        ));
    };
    let temporal = Temporal::new(&equation, eparams.iter().map(|(k, v)| (k.as_str(), *v)))
        .map_err(|e| BuildError::at(key("equation"), e.to_string()))?;
    let which = if t.contains_key("focal_triangles") {
        "focal_triangles"
    } else {
        "focal_vertices"
    };
    SurfaceStimulus::new(surface, &foci, spatial, temporal)
        .map(Some)
        .map_err(|e| BuildError::at(key(which), e.to_string()))
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let model_name = p.str("model")?;
    let info: &'static ModelInfo =
        model_info(&model_name).map_err(|e| BuildError::at("model", e.to_string()))?;
    if !SURFACE_MODELS.contains(&info.name) {
        return Err(BuildError::at(
            "model",
            format!("{} is not available on a surface", info.name),
        )
        .hint(format!("surface models: {}", SURFACE_MODELS.join(", "))));
    }
    let cp = p.number_table("coupling_params")?;
    let coupling = Coupling::new(
        &p.str("coupling")?,
        cp.iter().map(|(k, v)| (k.as_str(), *v)),
    )
    .map_err(|e| BuildError::at("coupling", e.to_string()))?;
    let connectivity = Connectivity::load(&p.str("connectivity")?, p.base_dir())
        .map_err(|e| BuildError::at("connectivity", e.to_string()))?;
    let model_params = crate::model_params::model_params(p, info, &connectivity.labels)?;
    let (scheme, stochastic) = integrator(&p.str("integrator")?)
        .map_err(|e| BuildError::at("integrator", e.to_string()))?;
    if stochastic || scheme == Scheme::Rk4 {
        return Err(BuildError::at(
            "integrator",
            "a surface runs HeunDeterministic or EulerDeterministic",
        ));
    }
    let initial = match p.str("initial_conditions")?.as_str() {
        "golden" => InitialConditions::Golden,
        other => {
            return Err(BuildError::at(
                "initial_conditions",
                format!("`{other}` is not available on a surface"),
            )
            .hint("golden"))
        }
    };
    let surface = Surface::load(&p.str("surface")?, p.base_dir())
        .map_err(|e| BuildError::at("surface", e.to_string()))?;
    let region_mapping = load_region_mapping(&p.str("region_mapping")?, p.base_dir())
        .map_err(|e| BuildError::at("region_mapping", e.to_string()))?;
    if region_mapping.len() != surface.n_vertices() {
        return Err(BuildError::at(
            "region_mapping",
            format!(
                "{} entries; the surface ({}) has {} vertices",
                region_mapping.len(),
                surface.source,
                surface.n_vertices()
            ),
        ));
    }
    let threads = match p.i64("threads")? as usize {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        t => t,
    };
    let local = match local_spec(ctx)? {
        None => None,
        Some(LocalSpec::File(f)) => {
            let path = p.base_dir().join(&f);
            let m = read_local_connectivity(&path, surface.n_vertices())
                .map_err(|e| BuildError::at("local_connectivity.file", e.to_string()))?;
            tracing::info!(actor = ctx.name, nnz = m.nnz(), file = %path.display(), "local connectivity read");
            Some(m)
        }
        Some(LocalSpec::Computed(eq, cutoff)) => {
            let t0 = std::time::Instant::now();
            let lc = LocalConnectivity::compute(&surface, eq, cutoff, threads)
                .map_err(|e| BuildError::at("local_connectivity", e.to_string()))?;
            tracing::info!(
                actor = ctx.name,
                nnz = lc.matrix.nnz(),
                seconds = t0.elapsed().as_secs_f64(),
                "local connectivity computed"
            );
            Some(lc.matrix)
        }
    };
    let stimulus = stimulus_spec(ctx, &surface)?;
    let nnz = local.as_ref().map_or(0, |l| l.nnz());
    let index_of = |v: &str| info.var_index(v);
    let voi: Vec<usize> = match p.str_list("variables")? {
        None => info.voi.iter().filter_map(|v| index_of(v)).collect(),
        Some(list) => list
            .iter()
            .map(|v| {
                index_of(v).ok_or_else(|| {
                    BuildError::at(
                        "variables",
                        format!("{} has no state variable `{v}`", info.name),
                    )
                    .hint(format!("variables: {}", info.state_variables.join(", ")))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    if voi.is_empty() {
        return Err(BuildError::at("variables", "no variable chosen"));
    }
    let stride = p.i64("vertex_stride")? as usize;
    let n_vertices = surface.n_vertices();
    let n_regions = connectivity.n;
    let names: Vec<String> = voi
        .iter()
        .map(|&k| info.state_variables[k].to_string())
        .collect();
    let units: Vec<String> = voi.iter().map(|&k| info.units[k].to_string()).collect();
    let meta = Arc::new(SeriesMeta {
        variables: names.clone(),
        nodes: (0..n_vertices)
            .step_by(stride)
            .map(|v| format!("v{v}"))
            .collect(),
        units: units.clone(),
        space: Default::default(),
    });
    let region_meta = Arc::new(SeriesMeta {
        variables: names,
        nodes: connectivity.labels.clone(),
        units,
        space: Default::default(),
    });
    let rmap = region_mapping.clone();
    let mut count = vec![0.0f64; n_regions];
    for &r in &rmap {
        if let Some(c) = count.get_mut(r) {
            *c += 1.0;
        }
    }
    let cfg = SurfaceConfig {
        model: info,
        model_params,
        coupling,
        connectivity,
        speed_mm_per_ms: p.f64("speed_mm_per_ms")?,
        dt_ms: ctx.dt_ms,
        scheme,
        region_mapping,
        local,
        coupling_strength: p.f64("local_coupling_strength")?,
        initial,
        stimulus,
    };
    // every configuration error at validation: build the stepper now
    let sim = SurfaceSim::new(cfg.clone()).map_err(|e| BuildError::at("", e.to_string()))?;
    let backend = crate::surface_vulkan::Backend::parse(&p.str("backend")?)
        .map_err(|m| BuildError::at("backend", m))?;
    crate::surface_vulkan::check_backend(&cfg, backend)?;
    Ok(Box::new(SurfaceActor {
        cfg: Some(cfg),
        sim: Some(sim),
        backend,
        name: ctx.name.to_string(),
        gpu: None,
        voi,
        stride,
        n_vertices,
        n_regions,
        nnz,
        rmap,
        count,
        meta,
        region_meta,
    }))
}

/// A series into `stimulus` has one variable and one node per region or
/// per vertex.
fn check_stimulus_shape(
    variables: Option<usize>,
    nodes: Option<usize>,
    n_regions: usize,
    n_vertices: usize,
) -> Result<(), String> {
    if let Some(v) = variables.filter(|&v| v != 1) {
        return Err(format!(
            "the series into `stimulus` has {v} variables; a stimulus has one"
        ));
    }
    if let Some(k) = nodes.filter(|&k| k != n_regions && k != n_vertices) {
        return Err(format!(
            "the series into `stimulus` has {k} nodes; one per region ({n_regions}) or one per vertex ({n_vertices}) is expected"
        ));
    }
    Ok(())
}

/// This window's stimulus from the `stimulus` input, `steps × V` (`u_v` of
/// each step; 0 where no sample): a region's value goes to each of its
/// vertices (tvb-library's `StimuliRegion` on a surface,
/// `weight[region_mapping]`), a vertex's to itself.
fn stimulus_drive(
    st: &Series,
    before: u64,
    steps: usize,
    rmap: &[usize],
    n_regions: usize,
    dt_ms: f64,
) -> Result<Vec<f64>, ActorError> {
    let nv = rmap.len();
    let sh = st.data.shape();
    check_stimulus_shape(Some(sh[1]), Some(sh[2]), n_regions, nv).map_err(ActorError::new)?;
    let per_vertex = sh[2] == nv;
    let mut u = vec![0.0; steps * nv];
    for (k, &stamp) in st.stamps.iter().enumerate() {
        if stamp < before || stamp >= before + steps as u64 {
            continue;
        }
        let s = (stamp - before) as usize;
        let row = st.data.slice(ndarray::s![k, 0, ..]);
        if let Some((i, x)) = row.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(ActorError::new(format!(
                "stimulus of {} {i} (`{}`) is {x} at t = {} ms",
                if per_vertex { "vertex" } else { "region" },
                st.meta.nodes.get(i).map_or("", |l| l.as_str()),
                stamp as f64 * dt_ms
            )));
        }
        let out = &mut u[s * nv..(s + 1) * nv];
        if per_vertex {
            out.iter_mut().zip(row.iter()).for_each(|(o, &x)| *o = x);
        } else {
            out.iter_mut().zip(rmap).for_each(|(o, &r)| *o = row[r]);
        }
    }
    Ok(u)
}

impl Actor for SurfaceActor {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        if let Some(st) = ctx.input("stimulus") {
            check_stimulus_shape(st.variables, st.nodes, self.n_regions, self.n_vertices).map_err(
                |m| {
                    BuildError::at("", m)
                        .hint("a `stimulus` actor on the same connectivity sends one per region")
                },
            )?;
            if self.cfg.as_ref().is_some_and(|c| c.stimulus.is_some()) {
                return Err(BuildError::at(
                    "stimulus",
                    "the surface has its own stimulus (the `stimulus` parameter) and an edge into its `stimulus` input: tvb-library's simulator takes one stimulus",
                )
                .hint("drop the parameter or the edge"));
            }
        }
        let (nv, nr) = (self.n_vertices as f64, self.n_regions as f64);
        // state, two stages and scratch per vertex; the sparse matrix; the
        // connectome and its history ring (at most a few MB for 76 regions)
        let memory = nv * 8.0 * 12.0 + self.nnz as f64 * 16.0 + nr * nr * 24.0 + nr * 4.0 * 4096.0;
        Ok(Footprint {
            memory_bytes: memory,
            outputs: vec![
                (
                    "state",
                    PortShape::named_series(&self.meta.variables, &self.meta.nodes, 1.0),
                ),
                (
                    "regions",
                    PortShape::named_series(
                        &self.region_meta.variables,
                        &self.region_meta.nodes,
                        1.0,
                    ),
                ),
            ],
            ..Default::default()
        })
    }

    fn start(&mut self, _ctx: &RunContext) -> Result<(), ActorError> {
        // a fresh stepper for each run (build made one to check the configuration)
        if let Some(cfg) = &self.cfg {
            self.gpu = crate::surface_vulkan::start(
                &self.name,
                cfg,
                self.backend,
                &self.voi,
                self.stride,
            )?;
            if self.sim.as_ref().is_none_or(|s| s.steps_done() > 0) {
                self.sim =
                    Some(SurfaceSim::new(cfg.clone()).map_err(|e| ActorError::new(e.to_string()))?);
            }
        }
        Ok(())
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let sim = self
            .sim
            .as_mut()
            .ok_or_else(|| ActorError::new("stepped before its start"))?;
        let steps = w.n_steps as usize;
        let (nv, nr, stride) = (self.n_vertices, self.n_regions, self.stride);
        let nsel = self.meta.nodes.len();
        let mut data = Array3::zeros((steps, self.voi.len(), nsel));
        let mut rdata = Array3::zeros((steps, self.voi.len(), nr));
        let voi = &self.voi;
        let (rmap, count) = (&self.rmap, &self.count);
        let drive = match crate::util::series(inputs, "stimulus")?.filter(|s| !s.is_empty()) {
            None => None,
            Some(st) => Some(stimulus_drive(
                st,
                sim.steps_done(),
                steps,
                rmap,
                nr,
                w.dt_ms,
            )?),
        };
        if let (Some(g), Some(cfg)) = (self.gpu.as_deref_mut(), &self.cfg) {
            let (d, r) = (data.as_slice_mut(), rdata.as_slice_mut());
            let (Some(d), Some(r)) = (d, r) else {
                return Err(ActorError::new("output arrays not contiguous"));
            };
            crate::surface_vulkan::run_window(g, cfg, voi, steps, d, r, drive.as_deref())
                .map_err(|e| ActorError::new(e.to_string()))?;
        } else {
            let mut avg = vec![0.0; nr];
            sim.run_driven(steps, drive.as_deref(), |s, x| {
                for (q, &k) in voi.iter().enumerate() {
                    for (j, v) in (0..nv).step_by(stride).enumerate() {
                        data[[s, q, j]] = x[k * nv + v];
                    }
                    // tvb-library's surface_state_to_rois: add.at, then / count
                    avg.iter_mut().for_each(|a| *a = 0.0);
                    for (v, &r) in rmap.iter().enumerate() {
                        avg[r] += x[k * nv + v];
                    }
                    for (r, a) in avg.iter().enumerate() {
                        rdata[[s, q, r]] = a / count[r];
                    }
                }
            })
            .map_err(|e| ActorError::new(e.to_string()))?;
        }
        let stamps: Vec<u64> = (w.start_step + 1..=w.start_step + w.n_steps).collect();
        let times: Vec<f64> = stamps.iter().map(|k| *k as f64 * w.dt_ms).collect();
        out.set(
            "state",
            Payload::Series(Arc::new(Series {
                times_ms: times.clone(),
                stamps: stamps.clone(),
                data,
                meta: self.meta.clone(),
            })),
        );
        out.set(
            "regions",
            Payload::Series(Arc::new(Series {
                times_ms: times,
                stamps,
                data: rdata,
                meta: self.region_meta.clone(),
            })),
        );
        Ok(())
    }
}
