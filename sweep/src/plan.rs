//! A checked sweep: the graph's mean-field configuration, the axes, every
//! combination's values and the analyses, all resolved before any work
//! starts so that a mistake costs nothing.

use std::path::{Path, PathBuf};

use brainstream_actors::mean_field::{mean_field_parts, MeanFieldParts};
use brainstream_models::analysis::spectrum::{bins_in, Welch, BANDS};
use brainstream_models::analysis::{AnalysisConfig, Analyzer};
use brainstream_models::coupling::Coupling;
use brainstream_models::{InitialConditions, MeanFieldConfig};
use brainstream_runtime::seed::{fnv1a, FNV_OFFSET};
use brainstream_runtime::{BuildCtx, GraphSource, Params, Registry, ValidGraph};

use crate::axes::{grid_count, grid_point, random_points, Axis, Target};
use crate::error::SweepError;
use crate::spec::SweepFile;

/// Largest table kept in memory and written at the end (rows × columns × 8 B).
const MAX_TABLE_BYTES: usize = 4 << 30;

/// A sweep ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The sweep file.
    pub path: PathBuf,
    /// The swept actor's configuration (combination values not applied).
    pub base: MeanFieldConfig,
    /// The coupling's name and the graph's coupling parameters.
    pub coupling: (String, Vec<(String, f64)>),
    pub axes: Vec<Axis>,
    /// One row of axis values per combination.
    pub points: Vec<Vec<f64>>,
    /// Steps per combination, and steps of the transient.
    pub steps: usize,
    pub transient_steps: usize,
    /// Steps per analysis sample.
    pub period_steps: usize,
    /// Index of the analysed signal and of the rate variables.
    pub signal: usize,
    pub rates: Vec<usize>,
    pub analysis: AnalysisConfig,
    /// Combinations whose analysed signal is saved.
    pub save_series: Vec<usize>,
    pub plots: Vec<crate::spec::PlotDesc>,
    /// Random sampling (the heat maps bin the axes).
    pub random: bool,
    /// Identifies the sweep (file, graph, resolved combinations) for resuming.
    pub hash: u64,
    /// The sweep file's text, the graph's path and text (recorded in `sweep.h5`).
    pub text: String,
    pub graph_path: PathBuf,
    pub graph_text: String,
    /// The `--set` overrides it was loaded with (part of its identity; a
    /// shard's row log records them so that `sweep merge` reloads it).
    pub overrides: Vec<String>,
}

fn steps_of(ms: f64, dt: f64) -> Option<usize> {
    let s = ms / dt;
    let r = s.round();
    ((s - r).abs() <= 1e-6 * r.max(1.0) && r >= 0.0 && ms.is_finite()).then_some(r as usize)
}

impl Plan {
    /// Reads the sweep file and its graph and checks everything; an error
    /// names the line and column of its key.
    pub fn load(path: &Path, registry: &Registry) -> Result<Self, SweepError> {
        Self::load_with(path, registry, &[])
    }

    /// [`load`](Self::load) with `--set KEY=VALUE` overrides: of the sweep
    /// file's keys (`duration_ms=2000`, `axes.0.linspace=[0, 1, 5]`), or,
    /// prefixed with `graph.`, of its graph's
    /// (`graph.simulation.dt_ms=0.05`). They are part of the sweep's
    /// identity (its hash): resuming a sweep takes the same overrides.
    pub fn load_with(
        path: &Path,
        registry: &Registry,
        overrides: &[String],
    ) -> Result<Self, SweepError> {
        let (graph_sets, sweep_sets): (Vec<String>, Vec<String>) = overrides
            .iter()
            .cloned()
            .partition(|o| o.trim_start().starts_with("graph."));
        let graph_sets: Vec<String> = graph_sets
            .into_iter()
            .map(|o| o.trim_start()["graph.".len()..].to_string())
            .collect();
        let mut plan = Self::check(path, registry, &sweep_sets, &graph_sets)
            .map_err(SweepError::located)
            .map_err(|e| e.blame(&sweep_sets))?;
        plan.overrides = overrides.to_vec();
        Ok(plan)
    }

    fn check(
        path: &Path,
        registry: &Registry,
        sweep_sets: &[String],
        graph_sets: &[String],
    ) -> Result<Self, SweepError> {
        let (file, text) = SweepFile::read_with(path, sweep_sets)?;
        let inv = |k: &str, c: String| SweepError::invalid(path, k, c);
        let dir = path.parent().unwrap_or(Path::new("."));
        let gpath = dir.join(&file.graph);
        let graph = ValidGraph::load(
            GraphSource::from_file(&gpath)?.with_overrides(graph_sets.iter().cloned()),
            registry,
        )?;
        let means: Vec<&str> = graph
            .actors
            .iter()
            .filter(|a| a.kind.name == "mean_field")
            .map(|a| a.name.as_str())
            .collect();
        let actor = match (&file.actor, means.as_slice()) {
            (Some(a), _) if means.contains(&a.as_str()) => a.clone(),
            (Some(a), _) => {
                return Err(inv(
                    "actor",
                    format!("{} has no mean_field actor `{a}`", gpath.display()),
                )
                .hint(format!("mean_field actors: {}", means.join(", "))))
            }
            (None, [one]) => one.to_string(),
            (None, []) => {
                return Err(inv(
                    "graph",
                    format!("{} has no mean_field actor to sweep", gpath.display()),
                ))
            }
            (None, _) => {
                return Err(
                    inv("actor", "the graph has several mean_field actors".into())
                        .hint(format!("name one: {}", means.join(", "))),
                )
            }
        };
        let desc = &graph.desc.actors[&actor];
        let kind = registry
            .get("mean_field")
            .ok_or_else(|| inv("graph", "no mean_field kind registered".into()))?;
        let base_dir = graph.source.base_dir();
        let dt = graph.dt_ms;
        let duration = file
            .duration_ms
            .unwrap_or(graph.desc.simulation.duration_ms);
        let ctx = BuildCtx {
            name: &actor,
            params: Params::new(&desc.params, kind.params, &base_dir)
                .with_strict_ranges(graph.desc.simulation.strict_ranges),
            dt_ms: dt,
            duration_ms: duration,
        };
        let MeanFieldParts {
            mut cfg,
            noise_seed_given,
            random_ic,
            ..
        } = mean_field_parts(&ctx).map_err(|e| berr(&gpath, &actor, e))?;
        if !cfg.proxy_nodes.is_empty() {
            return Err(inv(
                "actor",
                format!(
                    "`{actor}` has proxy nodes (a co-simulation); sweeps run the mean field alone"
                ),
            ));
        }
        // nothing may feed the swept mean field: sweeps run it alone
        if let Some(e) = graph
            .desc
            .edges
            .iter()
            .find(|e| e.to.split_once('.').map(|(a, _)| a) == Some(actor.as_str()))
        {
            return Err(inv(
                "actor",
                format!(
                    "`{actor}` receives `{}` from `{}`; sweeps run the mean field alone, without its inputs",
                    e.to, e.from
                ),
            ));
        }
        // every backend draws Philox noise, which is white: coloured noise
        // (tvb-library's numpy stream only) is refused, never run white
        if let Some(t) = cfg.noise.as_ref().map(|nz| nz.ntau_ms).filter(|t| *t > 0.0) {
            return Err(berr(
                &gpath,
                &actor,
                brainstream_runtime::BuildError::at(
                    "noise_ntau",
                    format!("coloured noise (noise_ntau = {t} ms) cannot be swept: sweeps draw the Philox stream on every backend, which is white"),
                )
                .hint("sweep with noise_ntau = 0, or run the graph itself (`brainstream run`), which draws tvb-library's coloured noise"),
            ));
        }
        if let (Some(nz), false) = (cfg.noise.as_mut(), noise_seed_given) {
            nz.seed = (file.seed & 0xffff_ffff) as u32;
        }
        if random_ic {
            cfg.initial = InitialConditions::Uniform { seed: file.seed };
        }
        let cname = ctx
            .params
            .str("coupling")
            .map_err(|e| berr(&gpath, &actor, e))?;
        let cparams = ctx
            .params
            .number_table("coupling_params")
            .map_err(|e| berr(&gpath, &actor, e))?;

        // durations
        let steps = steps_of(duration, dt).filter(|s| *s > 0).ok_or_else(|| {
            inv(
                "duration_ms",
                format!("{duration} ms is not a positive multiple of dt = {dt} ms"),
            )
        })?;
        let transient_steps = steps_of(file.transient_ms, dt).ok_or_else(|| {
            inv(
                "transient_ms",
                format!(
                    "{} ms is not a non-negative multiple of dt = {dt} ms",
                    file.transient_ms
                ),
            )
        })?;
        let a = &file.analysis;
        let period_steps = steps_of(a.period_ms, dt)
            .filter(|s| *s > 0)
            .ok_or_else(|| {
                inv(
                    "analysis.period_ms",
                    format!(
                        "{} ms is not a positive multiple of dt = {dt} ms",
                        a.period_ms
                    ),
                )
            })?;
        if transient_steps % period_steps != 0 || steps % period_steps != 0 {
            return Err(inv("analysis.period_ms", format!("duration_ms ({duration}) and transient_ms ({}) must be multiples of period_ms ({})", file.transient_ms, a.period_ms)));
        }
        if transient_steps >= steps {
            return Err(inv(
                "transient_ms",
                format!(
                    "the transient ({} ms) leaves nothing of the {duration} ms to analyse",
                    file.transient_ms
                ),
            ));
        }
        let samples = (steps - transient_steps) / period_steps;
        let to_samples = |k: &str, ms: f64| -> Result<usize, SweepError> {
            let s = ms / a.period_ms;
            if !(s.is_finite() && s >= 1.0) {
                return Err(inv(k, format!("{ms} ms is shorter than period_ms")));
            }
            Ok(s.round() as usize)
        };
        if let Some((lo, hi)) = a.updown_thresholds {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return Err(inv(
                    "analysis.updown_thresholds",
                    format!("[{lo}, {hi}] must be finite with lo ≤ hi"),
                ));
            }
        }
        let info = cfg.model;
        let var = |k: &str, v: &str| {
            info.var_index(v).ok_or_else(|| {
                inv(k, format!("{} has no state variable `{v}`", info.name)).hint(format!(
                    "state variables: {}",
                    info.state_variables.join(", ")
                ))
            })
        };
        let signal_name = a.signal.clone().unwrap_or_else(|| info.voi[0].to_string());
        let signal = var("analysis.signal", &signal_name)?;
        let rate_names = a.rates.clone().unwrap_or_else(|| vec![signal_name.clone()]);
        let rates = rate_names
            .iter()
            .map(|r| var("analysis.rates", r))
            .collect::<Result<Vec<_>, _>>()?;

        // axes: each value is checked against the parameter tables now
        if file.axes.is_empty() {
            return Err(inv(
                "axes",
                "no axis: add [[axes]] with param and values".into(),
            ));
        }
        let mut axes = vec![];
        for (k, d) in file.axes.iter().enumerate() {
            let key = format!("axes[{k}]");
            let mut ax = Axis::parse(path, &key, d)?;
            for r in &ax.region_names {
                let labels = &cfg.connectivity.labels;
                let i = labels
                    .iter()
                    .position(|l| l == r)
                    .or_else(|| r.parse::<usize>().ok().filter(|i| *i < labels.len()));
                match i {
                    Some(i) if ax.regions.contains(&i) => {
                        return Err(inv(
                            &format!("{key}.regions"),
                            format!("region `{r}` is listed twice"),
                        ))
                    }
                    Some(i) => ax.regions.push(i),
                    None => {
                        return Err(inv(
                            &format!("{key}.regions"),
                            format!(
                                "no region `{r}` in the connectome (labels, or indices 0 to {})",
                                labels.len().saturating_sub(1)
                            ),
                        ))
                    }
                }
            }
            if axes.iter().any(|o: &Axis| o.name == ax.name) {
                return Err(inv(
                    &format!("{key}.param"),
                    format!("`{}` is swept twice", ax.name),
                ));
            }
            let mut probe = cfg.clone();
            for v in ax.values() {
                apply(&mut probe, &cparams, &[(&ax, v)])
                    .map_err(|c| inv(&format!("{key}.param"), c))?;
            }
            if let Some((lo, hi, _)) = d.linspace.or(d.logspace) {
                let ends = if d.logspace.is_some() {
                    [10f64.powf(lo), 10f64.powf(hi)]
                } else {
                    [lo, hi]
                };
                for v in ends {
                    apply(&mut probe, &cparams, &[(&ax, v)])
                        .map_err(|c| inv(&format!("{key}.param"), c))?;
                }
            }
            axes.push(ax);
        }
        let points = match file.sampling.as_str() {
            "grid" => {
                if file.samples.is_some() {
                    return Err(inv("samples", "only for sampling = \"random\"".into()));
                }
                let n = grid_count(&axes).ok_or_else(|| {
                    inv(
                        "axes",
                        "the grid has more combinations than fit in memory".into(),
                    )
                })?;
                check_size(path, n, &rate_names)?;
                (0..n).map(|i| grid_point(&axes, i)).collect()
            }
            "random" => {
                let n = file
                    .samples
                    .ok_or_else(|| inv("samples", "random sampling needs `samples`".into()))?;
                if n == 0 {
                    return Err(inv("samples", "zero samples".into()));
                }
                check_size(path, n, &rate_names)?;
                random_points(&axes, n, file.seed)
            }
            other => {
                return Err(
                    inv("sampling", format!("unknown sampling `{other}`")).hint("grid or random")
                )
            }
        };
        for (k, &i) in a.save_series.iter().enumerate() {
            if i >= points.len() {
                return Err(inv(
                    &format!("analysis.save_series[{k}]"),
                    format!(
                        "combination {i} does not exist ({} combinations)",
                        points.len()
                    ),
                ));
            }
        }
        // what the span can hold, now that what is varied is known to be right
        let span = Span {
            samples,
            period_ms: a.period_ms,
            transient_ms: file.transient_ms,
            duration_ms: duration,
        };
        let fcd = if a.fcd {
            let w = to_samples("analysis.fcd_window_ms", a.fcd_window_ms)?.max(2);
            let s = to_samples("analysis.fcd_step_ms", a.fcd_step_ms)?;
            span.check_fcd(w, s)
                .map_err(|(c, h)| inv("analysis.fcd_window_ms", c).hint(h))?;
            Some((w, s))
        } else {
            None
        };
        let spectrum = if a.spectrum {
            Some(
                span.segment(a.resolution_hz, a.max_segment)
                    .map_err(|(k, c, h)| {
                        let e = inv(k, c);
                        match h {
                            Some(h) => e.hint(h),
                            None => e,
                        }
                    })?,
            )
        } else {
            None
        };
        let analysis = AnalysisConfig {
            rates: rate_names,
            period_ms: a.period_ms,
            expected_samples: samples,
            fcd,
            spectrum,
            updown: a.updown_thresholds,
        };
        let columns = Analyzer::columns(&analysis);
        for (k, p) in file.plots.iter().enumerate() {
            for (f, v) in [("x", &p.x), ("y", &p.y)] {
                if !axes.iter().any(|ax| &ax.name == v) {
                    return Err(inv(
                        &format!("plots[{k}].{f}"),
                        format!("`{v}` is not a swept parameter"),
                    ));
                }
            }
            if p.x == p.y {
                return Err(inv(
                    &format!("plots[{k}].y"),
                    "x and y are the same axis".into(),
                ));
            }
            if !columns.contains(&p.value) && p.value != "diverged" {
                let why = match p.value.as_str() {
                    "fcd_var" | "fcd_mean" if !a.fcd => " (analysis.fcd = false)",
                    v if (v == "peak_freq_hz" || v.starts_with("power_")) && !a.spectrum => {
                        " (analysis.spectrum = false)"
                    }
                    _ => "",
                };
                return Err(inv(
                    &format!("plots[{k}].value"),
                    format!("no column `{}`{why}", p.value),
                )
                .hint(format!("columns: diverged, {}", columns.join(", "))));
            }
            if let Some((c, h)) = span.unmeasurable(&p.value, &analysis) {
                return Err(inv(&format!("plots[{k}].value"), c).hint(h));
            }
        }
        // the graph's text and its overrides (the file's bytes where none)
        let gtext = graph.source.provenance();
        let mut hash = fnv1a(text.as_bytes(), FNV_OFFSET);
        hash = fnv1a(gtext.as_bytes(), hash);
        for p in &points {
            for v in p {
                hash = fnv1a(&v.to_le_bytes(), hash);
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            base: cfg,
            coupling: (cname, cparams),
            axes,
            points,
            steps,
            transient_steps,
            period_steps,
            signal,
            rates,
            analysis,
            save_series: a.save_series.clone(),
            plots: file.plots.clone(),
            random: file.sampling == "random",
            hash,
            graph_text: gtext,
            overrides: vec![],
            graph_path: gpath,
            text,
        })
    }

    /// The configuration of combination `index`.
    pub fn config(&self, index: usize) -> Result<MeanFieldConfig, String> {
        let mut cfg = self.base.clone();
        let pairs: Vec<(&Axis, f64)> = self
            .axes
            .iter()
            .zip(self.points[index].iter().copied())
            .collect();
        apply(&mut cfg, &self.coupling.1, &pairs)?;
        // every backend draws the same noise: Philox keyed by the noise seed
        // and the combination's index
        if let Some(nz) = cfg.noise.as_mut() {
            nz.stream = brainstream_models::NoiseStream::Philox {
                seed: nz.seed as u64,
                combination: index as u32,
            };
        }
        Ok(cfg)
    }

    /// Combination `index`'s table row: its axis values, `diverged`, and its
    /// analyses (NaN for all of them when it diverged: `None`).
    pub fn row(&self, index: usize, analyses: Option<Vec<f64>>) -> Vec<f64> {
        let mut row = self.points[index].clone();
        row.push(if analyses.is_some() { 0.0 } else { 1.0 });
        match analyses {
            Some(a) => row.extend(a),
            None => row.resize(self.columns().len(), f64::NAN),
        }
        row
    }

    /// Column names of the result table: the axes, `diverged`, the analyses.
    pub fn columns(&self) -> Vec<String> {
        let mut c: Vec<String> = self.axes.iter().map(|a| a.name.clone()).collect();
        c.push("diverged".into());
        c.extend(Analyzer::columns(&self.analysis));
        c
    }
}

/// A graph parameter problem, located in the graph file.
fn berr(graph: &Path, actor: &str, e: brainstream_runtime::BuildError) -> SweepError {
    SweepError::Invalid {
        path: graph.to_path_buf(),
        at: None,
        key: format!("actors.{actor}.{}", e.key),
        cause: e.message,
        hint: e.hint,
    }
}

fn check_size(path: &Path, n: usize, rates: &[String]) -> Result<(), SweepError> {
    let cols = 20 + 3 * rates.len();
    if n.saturating_mul(cols).saturating_mul(8) > MAX_TABLE_BYTES {
        return Err(SweepError::invalid(
            path,
            "axes",
            format!("{n} combinations make a result table over 4 GiB"),
        )
        .hint("split the sweep, or use sampling = \"random\" with fewer samples"));
    }
    Ok(())
}

/// Sets the axes' values in a configuration; the error says why a value is refused.
fn apply(
    cfg: &mut MeanFieldConfig,
    cparams: &[(String, f64)],
    vals: &[(&Axis, f64)],
) -> Result<(), String> {
    let mut cp: Vec<(String, f64)> = cparams.to_vec();
    let mut coupling_changed = false;
    for (ax, v) in vals {
        match &ax.target {
            Target::Model(n) if ax.regions.is_empty() => cfg
                .model_params
                .set(cfg.model.name, n, *v)
                .map_err(|e| e.to_string())?,
            Target::Model(n) => {
                let nr = cfg.connectivity.n;
                for &i in &ax.regions {
                    cfg.model_params
                        .set_region(cfg.model.name, n, nr, i, *v)
                        .map_err(|e| e.to_string())?;
                }
            }
            Target::Coupling(n) => {
                cp.retain(|(k, _)| k != n);
                cp.push((n.clone(), *v));
                coupling_changed = true;
            }
            Target::Speed => {
                if !(v.is_finite() && *v > 0.0) {
                    return Err(format!("speed {v} mm/ms is not positive"));
                }
                cfg.speed_mm_per_ms = *v;
            }
            Target::NoiseSeed => match cfg.noise.as_mut() {
                Some(nz) => nz.seed = *v as u32,
                None => return Err("noise_seed needs a stochastic integrator in the graph".into()),
            },
        }
    }
    if coupling_changed {
        // the graph's coupling (a built-in's or a user's declaration)
        cfg.coupling =
            Coupling::from_info(cfg.coupling.info, cp.iter().map(|(k, v)| (k.as_str(), *v)))
                .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The analysed part of every combination: `samples` samples of
/// `period_ms` after `transient_ms` of `duration_ms`. Says, with the
/// numbers that would make it valid, whether an analysis can be computed
/// over it.
struct Span {
    samples: usize,
    period_ms: f64,
    transient_ms: f64,
    duration_ms: f64,
}

impl Span {
    fn ms(&self, samples: usize) -> f64 {
        samples as f64 * self.period_ms
    }

    /// The FCD's variance needs at least three windows (two FCD values):
    /// `window + 2·step ≤ samples`.
    fn check_fcd(&self, window: usize, step: usize) -> Result<(), (String, String)> {
        let fit = if self.samples >= window {
            (self.samples - window) / step + 1
        } else {
            0
        };
        if fit >= 3 {
            return Ok(());
        }
        let need = window.saturating_add(step.saturating_mul(2));
        let cause = format!(
            "the FCD needs at least 3 windows: fcd_window_ms + 2 × fcd_step_ms = {} + 2 × {} = {} ms \
             of analysed signal, but duration_ms − transient_ms = {} − {} = {} ms holds {fit}",
            num(self.ms(window)),
            num(self.ms(step)),
            num(self.ms(need)),
            num(self.duration_ms),
            num(self.transient_ms),
            num(self.ms(self.samples)),
        );
        let mut hint = format!(
            "set duration_ms ≥ {} ms",
            num(self.transient_ms + self.ms(need))
        );
        if self.samples >= 4 {
            hint += &format!(
                ", or fcd_window_ms = {} with fcd_step_ms = {} (or shorter)",
                num(self.ms(self.samples / 2)),
                num(self.ms(self.samples / 4))
            );
        }
        hint += ", or analysis.fcd = false";
        Err((cause, hint))
    }

    /// The Welch segment length: from `resolution_hz` (refused when longer
    /// than the span) or the largest power of two ≤ the span and
    /// `max_segment`. Errors carry the key, the cause and a hint.
    #[allow(clippy::type_complexity)]
    fn segment(
        &self,
        resolution_hz: Option<f64>,
        max_segment: usize,
    ) -> Result<usize, (&'static str, String, Option<String>)> {
        if self.samples < 4 {
            return Err((
                "analysis.spectrum",
                format!(
                    "the spectrum needs at least 4 samples; the analysed span ({} ms at period_ms = {}) holds {}",
                    num(self.ms(self.samples)),
                    num(self.period_ms),
                    self.samples
                ),
                Some(format!(
                    "set duration_ms ≥ {} ms, or analysis.spectrum = false",
                    num(self.transient_ms + self.ms(4))
                )),
            ));
        }
        let fs = 1000.0 / self.period_ms;
        match resolution_hz {
            Some(r) => {
                if !(r.is_finite() && r > 0.0) {
                    return Err((
                        "analysis.resolution_hz",
                        format!("{} Hz is not a positive resolution", num(r)),
                        None,
                    ));
                }
                let want = (fs / r).ceil();
                let available = Welch::segment_len(self.samples, usize::MAX);
                if want > available as f64 {
                    let need = if want <= (1u64 << 52) as f64 {
                        (want as usize).next_power_of_two()
                    } else {
                        usize::MAX
                    };
                    return Err((
                        "analysis.resolution_hz",
                        format!(
                            "{} Hz needs segments of {} ms ({} samples at period_ms = {}); \
                             the analysed span is {} ms",
                            num(r),
                            num(self.ms(need)),
                            need,
                            num(self.period_ms),
                            num(self.ms(self.samples))
                        ),
                        Some(format!(
                            "set resolution_hz ≥ {} Hz, or duration_ms ≥ {} ms",
                            num(fs / available as f64),
                            num(self.transient_ms + self.ms(need))
                        )),
                    ));
                }
                Ok((want as usize).next_power_of_two().max(4))
            }
            None => {
                if max_segment < 4 {
                    return Err(("analysis.max_segment", "at least 4 samples".into(), None));
                }
                Ok(Welch::segment_len(self.samples, max_segment))
            }
        }
    }

    /// Why column `value` would be NaN in every row whatever the dynamics
    /// (a plot of it shows nothing), with what would make it measurable.
    fn unmeasurable(&self, value: &str, a: &AnalysisConfig) -> Option<(String, String)> {
        if value.starts_with("up_") || value.starts_with("down_") {
            if a.updown.is_none() {
                return Some((
                    format!("`{value}` is not computed without up/down thresholds"),
                    "set analysis.updown_thresholds = [lo, hi]".into(),
                ));
            }
            return None;
        }
        let nfft = a.spectrum?;
        let band = value.strip_prefix("power_")?;
        let &(_, lo, hi) = BANDS.iter().find(|b| b.0 == band)?;
        let fs = 1000.0 / self.period_ms;
        if bins_in(fs, nfft, lo, hi) > 0 {
            return None;
        }
        let df = fs / nfft as f64;
        let cause = if lo >= fs / 2.0 {
            format!(
                "`{value}` cannot be measured: the {band} band [{lo}, {hi}) Hz lies above Nyquist ({} Hz at period_ms = {})",
                num(fs / 2.0),
                num(self.period_ms)
            )
        } else {
            format!(
                "`{value}` cannot be measured: segments of {nfft} samples resolve {} Hz and the {band} band [{lo}, {hi}) Hz holds no frequency bin",
                num(df)
            )
        };
        // the shortest segment that holds a bin of the band
        let need = (2..48)
            .map(|p| 1usize << p)
            .find(|&n| bins_in(fs, n, lo, hi) > 0);
        let hint = match need {
            Some(n) => format!(
                "analyse at least {} ms (duration_ms − transient_ms) with max_segment ≥ {n}, or plot another column",
                num(self.ms(n))
            ),
            None => "plot another column".into(),
        };
        Some((cause, hint))
    }
}

/// A number as a person writes it: 0.1, 1500, 2.5e-7 — never hundreds of
/// digits.
fn num(v: f64) -> String {
    if v == 0.0 || (1e-4..1e9).contains(&v.abs()) {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v:.4e}")
    }
}
