//! `fcd_plot`: the functional connectivity dynamics of a series as a
//! figure (Hansen et al. 2015, NeuroImage 105:525; the quantity of TVB's
//! FCD analyser). After `transient_ms`, the signal of one variable is cut
//! into windows of `window_ms` starting every `step_ms` (window `k` holds
//! the samples with `t0 + k·step ≤ t < t0 + k·step + window`, `t0` the
//! first sample analysed; only complete windows count); `FC_k` is the
//! Pearson correlation matrix of the nodes over window `k`, and
//!
//! ```text
//! FCD_ab = corr(triu(FC_a), triu(FC_b))     (triu: the pairs i < j)
//! ```
//! is drawn as an `m × m` matrix of windows, both axes the windows' centre
//! times, with a colour bar "Pearson r" over the values' range, and the
//! variance and mean of its upper triangle (a sweep's `fcd_var`,
//! `fcd_mean`) under the title. Written at the end of the run as
//! `OUT/<name>.png` (or `.svg`). Streamed: only each complete window's FC
//! triangle is kept.

use std::path::PathBuf;

use brainstream_models::analysis::fcd::StreamingFcd;
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, PlanCtx, PortDecl, PortType, RunContext, WindowInfo,
};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot_matrix::{self, Matrix};
use crate::plot_scale::short;
use crate::plot_style::{self, resolve_variable, DrawResult, Figure, Format};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "title",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Title (default: \"functional connectivity dynamics of VARIABLE\")",
    },
    ParamSpec {
        name: "variable",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Series variable whose FCD is drawn (default: the first)",
    },
    ParamSpec {
        name: "window_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(2000.0),
        range: Some((1e-6, 1e12)),
        unit: "ms",
        doc: "Length of the sliding windows in which FC is computed (rounded to whole samples, at least 2)",
    },
    ParamSpec {
        name: "step_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(500.0),
        range: Some((1e-6, 1e12)),
        unit: "ms",
        doc: "Time between the starts of consecutive windows (rounded to whole samples, at least 1)",
    },
    ParamSpec {
        name: "transient_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: Some((0.0, 1e12)),
        unit: "ms",
        doc: "Samples before this time are left out",
    },
    ParamSpec {
        name: "width",
        ty: ParamType::Int,
        default: DefaultValue::Int(1000),
        range: Some((200.0, 10000.0)),
        unit: "px",
        doc: "Image width",
    },
    ParamSpec {
        name: "height",
        ty: ParamType::Int,
        default: DefaultValue::Int(900),
        range: Some((200.0, 10000.0)),
        unit: "px",
        doc: "Image height",
    },
    plot_style::FORMAT,
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "fcd_plot",
    doc: "Functional connectivity dynamics (Hansen 2015): FC in sliding windows (window_ms every step_ms), the correlation between windows' FC as a matrix over window times, PNG or SVG, written at the end of the run",
    params: PARAMS,
    inputs: &[PortDecl { name: "series", ty: PortType::Series, doc: "the series (e.g. a temporal average or BOLD)", end_stamped: false }],
    outputs: &[],
    build,
};

struct FcdPlot {
    name: String,
    title: Option<String>,
    variable: Option<String>,
    window_ms: f64,
    step_ms: f64,
    transient_ms: f64,
    size: (u32, u32),
    format: Format,
    path: Option<PathBuf>,
    /// variable index and name, once the first window came
    var: Option<(usize, String)>,
    nodes: usize,
    /// samples analysed before the sample period is known (the first one)
    pending: Vec<Vec<f64>>,
    /// time of the first sample analysed, ms
    t0: Option<f64>,
    /// sample period, ms (from the first two samples analysed)
    period_ms: Option<f64>,
    fcd: Option<StreamingFcd>,
    /// time of the last sample analysed, ms
    last_ms: f64,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let transient_ms = p.f64("transient_ms")?;
    let window_ms = p.f64("window_ms")?;
    let step_ms = p.f64("step_ms")?;
    let span = ctx.duration_ms - transient_ms;
    // FCD's variance needs 3 windows (as a sweep's analysis.fcd)
    let need = window_ms + 2.0 * step_ms;
    if need > span {
        let mut e = BuildError::at(
            "window_ms",
            format!(
                "the FCD needs at least 3 windows: window_ms + 2 × step_ms = {} + 2 × {} = {} ms \
                 of signal, but the run leaves {} ms after transient_ms",
                short(window_ms),
                short(step_ms),
                short(need),
                short(span.max(0.0))
            ),
        );
        if span > 0.0 {
            e = e.hint(format!(
                "set simulation.duration_ms ≥ {} ms, or window_ms = {} with step_ms = {} (or shorter)",
                short(transient_ms + need),
                short(span / 2.0),
                short(span / 4.0)
            ));
        }
        return Err(e);
    }
    Ok(Box::new(FcdPlot {
        name: ctx.name.to_string(),
        title: p.opt_str("title")?,
        variable: p.opt_str("variable")?,
        window_ms,
        step_ms,
        transient_ms,
        size: (p.i64("width")? as u32, p.i64("height")? as u32),
        format: Format::from_params(p)?,
        path: None,
        var: None,
        nodes: 0,
        pending: vec![],
        t0: None,
        period_ms: None,
        fcd: None,
        last_ms: 0.0,
    }))
}

impl FcdPlot {
    /// Adds one sample (time `t` ms, one value per node).
    fn push(&mut self, t: f64, row: Vec<f64>) {
        if let Some(f) = &mut self.fcd {
            f.push(&row);
            self.last_ms = t;
            return;
        }
        let Some(t0) = self.t0 else {
            self.t0 = Some(t);
            self.last_ms = t;
            self.pending.push(row);
            return;
        };
        // the second sample gives the period, and the windows in samples
        let period = t - t0;
        if period <= 0.0 {
            return;
        }
        let (window, step) = self.samples(period);
        let mut f = StreamingFcd::new(self.nodes, window, step);
        for r in self.pending.drain(..) {
            f.push(&r);
        }
        f.push(&row);
        self.period_ms = Some(period);
        self.last_ms = t;
        self.fcd = Some(f);
    }

    /// Window length and step in samples of `period` ms.
    fn samples(&self, period: f64) -> (usize, usize) {
        let w = ((self.window_ms / period).round() as usize).max(2);
        let s = ((self.step_ms / period).round() as usize).max(1);
        (w, s)
    }

    /// Centre time of each complete window, ms.
    fn centres(&self) -> Vec<f64> {
        let (Some(f), Some(t0), Some(p)) = (&self.fcd, self.t0, self.period_ms) else {
            return vec![];
        };
        let (w, s) = f.window_and_step();
        (0..f.windows())
            .map(|k| t0 + (k * s) as f64 * p + (w - 1) as f64 * p / 2.0)
            .collect()
    }
}

impl Figure for FcdPlot {
    fn render<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let var = self.var.as_ref().map_or("", |v| v.1.as_str());
        let title = self
            .title
            .clone()
            .unwrap_or_else(|| format!("functional connectivity dynamics of {var}"));
        let centres = self.centres();
        let m = centres.len();
        let values = self.fcd.as_ref().map(|f| f.matrix()).unwrap_or_default();
        // times in s beyond 10 s, as the line plots
        let in_s = centres.last().is_some_and(|t| *t > 10_000.0);
        let (unit, div) = if in_s { ("s", 1000.0) } else { ("ms", 1.0) };
        let labels: Vec<String> = centres.iter().map(|t| short(t / div)).collect();
        let mut notes = vec![];
        match (&self.fcd, self.period_ms) {
            (Some(f), Some(p)) if m > 0 => {
                let (w, s) = f.window_and_step();
                notes.push(format!(
                    "FC of {} nodes in {} ms windows every {} ms ({m} windows, {}–{} ms)",
                    self.nodes,
                    short(w as f64 * p),
                    short(s as f64 * p),
                    short(self.t0.unwrap_or(0.0)),
                    short(self.last_ms)
                ));
                let sum = StreamingFcd::summary_of(&values, m);
                notes.push(format!(
                    "upper triangle: variance {}, mean {}",
                    short(sum.var),
                    short(sum.mean)
                ));
            }
            _ => notes.push("no complete window".into()),
        }
        if self.transient_ms > 0.0 {
            notes.push(format!("first {} ms left out", short(self.transient_ms)));
        }
        let axis = format!("window centre t ({unit})");
        plot_matrix::draw(
            root,
            &Matrix {
                title: &title,
                notes,
                values: &values,
                n: m,
                labels: &labels,
                axis: &axis,
                bar: "Pearson r between windows' FC",
                range: None,
            },
        )
    }
}

impl Actor for FcdPlot {
    /// Checks `variable` where the producer names its variables; keeps one
    /// FC triangle per window and the open windows' sums.
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let s = ctx.input("series");
        if let (Some(v), Some(names)) = (&self.variable, s.and_then(|s| s.names.as_ref())) {
            resolve_variable(v, &names.variables)?;
        }
        let n = s.and_then(|s| s.nodes).unwrap_or(0) as f64;
        let run_ms = ctx.total_steps as f64 * ctx.dt_ms;
        let windows = ((run_ms - self.transient_ms - self.window_ms) / self.step_ms).max(0.0) + 1.0;
        let open = (self.window_ms / self.step_ms).ceil() + 1.0;
        Ok(Footprint {
            memory_bytes: windows * n * (n - 1.0).max(0.0) / 2.0 * 8.0
                + open * n * (n + 3.0) / 2.0 * 8.0
                + windows * windows * 8.0,
            disk_bytes: self.size.0 as f64 * self.size.1 as f64 * 3.0,
            ..Default::default()
        })
    }

    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        self.path = Some(
            ctx.out_dir
                .join(format!("{}.{}", ctx.name, self.format.ext())),
        );
        Ok(())
    }

    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        _out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let Some(s) = crate::util::series(inputs, "series")? else {
            return Ok(());
        };
        if self.var.is_none() && !s.is_empty() {
            let want = self
                .variable
                .clone()
                .unwrap_or_else(|| s.meta.variables.first().cloned().unwrap_or_default());
            let v = resolve_variable(&want, &s.meta.variables)
                .map_err(|e| ActorError::new(format!("`{}`: {}", self.name, e.message)))?;
            self.var = Some((v, want));
            self.nodes = s.meta.nodes.len();
        }
        let Some((v, _)) = self.var.clone() else {
            return Ok(());
        };
        let nn = s.data.shape()[2];
        if nn != self.nodes {
            return Err(ActorError::new(format!(
                "`{}`: the series changed from {} to {nn} nodes",
                self.name, self.nodes
            )));
        }
        for k in 0..s.len() {
            let t = s.times_ms[k];
            if t < self.transient_ms {
                continue;
            }
            let row = (0..nn).map(|i| s.data[[k, v, i]]).collect();
            self.push(t, row);
        }
        Ok(())
    }

    fn finish(&mut self, _complete: bool) -> Result<Vec<PathBuf>, ActorError> {
        let Some(path) = self.path.clone() else {
            return Ok(vec![]);
        };
        plot_style::write(self, &path, self.size, self.format)
            .map_err(|e| ActorError::new(format!("cannot draw {}: {e}", path.display())))?;
        Ok(vec![path])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream_runtime::{Payload, Series, SeriesMeta};
    use ndarray::Array3;
    use std::sync::Arc;

    fn plot() -> FcdPlot {
        FcdPlot {
            name: "fcd".into(),
            title: None,
            variable: Some("x".into()),
            window_ms: 8.0,
            step_ms: 8.0,
            transient_ms: 10.0,
            size: (700, 650),
            format: Format::Png,
            path: None,
            var: None,
            nodes: 0,
            pending: vec![],
            t0: None,
            period_ms: None,
            fcd: None,
            last_ms: 0.0,
        }
    }

    /// Sampled every 2 ms, after a 10 ms transient (wild values): windows
    /// of 8 ms = 4 samples, every 8 ms, in which signals b and c are ±a
    /// (a = +1, −1, …): FC triangles A = (1, −1, −1), B = (−1, 1, −1),
    /// C = (−1, −1, 1), then A; the FCD is 1 between equal ones and −1/2
    /// between different ones (hand-computed: the models' fcd test), a
    /// partial fifth window is left out. The windows' centre times are
    /// 13, 21, 29 and 37 ms.
    #[test]
    fn fcd_of_a_hand_computed_case_in_ms_windows_after_the_transient() {
        let mut p = plot();
        let signs = [
            (1.0, -1.0),
            (-1.0, 1.0),
            (-1.0, -1.0),
            (1.0, -1.0),
            (1.0, 1.0),
        ];
        // times 2, 4, …: 4 samples before 10 ms, then 4 windows of 4, then 2
        let k = 4 + 4 * 4 + 2;
        let data = Array3::from_shape_fn((k, 2, 3), |(t, v, n)| {
            if t < 4 {
                return 1e3 * (n as f64 + 1.0) * (t as f64).cos();
            }
            if v == 0 {
                return 5.0;
            }
            let i = t - 4;
            let a = if i % 2 == 0 { 1.0 } else { -1.0 };
            let (s1, s2) = signs[i / 4];
            [a, s1 * a, s2 * a][n]
        });
        let s = Series {
            stamps: (1..=k as u64).collect(),
            times_ms: (1..=k).map(|t| 2.0 * t as f64).collect(),
            data,
            meta: Arc::new(SeriesMeta::new(
                vec!["y".into(), "x".into()],
                ["a", "b", "c"].map(String::from).to_vec(),
                "1",
            )),
        };
        // in two windows of the run, split inside an FCD window
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: k as u64,
            dt_ms: 1.0,
        };
        let cut = 9;
        let part = |a: usize, b: usize| Series {
            stamps: s.stamps[a..b].to_vec(),
            times_ms: s.times_ms[a..b].to_vec(),
            data: s.data.slice(ndarray::s![a..b, .., ..]).to_owned(),
            meta: s.meta.clone(),
        };
        for (a, b) in [(0, cut), (cut, k)] {
            let inputs = Inputs::from_pairs([("series", Payload::Series(Arc::new(part(a, b))))]);
            p.step(&w, &inputs, &mut Outputs::default()).unwrap();
        }
        assert_eq!(p.period_ms, Some(2.0));
        assert_eq!(p.t0, Some(10.0));
        assert_eq!(p.centres(), [13.0, 21.0, 29.0, 37.0]);
        let m = p.fcd.as_ref().unwrap().matrix();
        for a in 0..4 {
            for b in 0..4 {
                let want = if a == b || (a, b) == (0, 3) || (a, b) == (3, 0) {
                    1.0
                } else {
                    -0.5
                };
                assert!(
                    (m[a * 4 + b] - want).abs() < 1e-12,
                    "FCD[{a}][{b}] = {}",
                    m[a * 4 + b]
                );
            }
        }
        // drawn, as SVG too: the axes and the summary
        let dir = tempfile::tempdir().unwrap();
        plot_style::write(&p, &dir.path().join("fcd.png"), p.size, Format::Png).unwrap();
        let path = dir.path().join("fcd.svg");
        plot_style::write(&p, &path, p.size, Format::Svg).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("window centre t (ms)"), "axis title");
        assert!(text.contains("Pearson r between windows"), "colour bar");
        assert!(text.contains("8 ms windows every 8 ms (4 windows"), "notes");
        assert!(text.contains("functional connectivity dynamics of x"));
    }

    #[test]
    fn windows_the_run_cannot_hold_are_refused_with_the_numbers() {
        let table: toml::Table =
            toml::from_str("window_ms = 400.0\nstep_ms = 100.0\ntransient_ms = 100.0").unwrap();
        let ctx = BuildCtx {
            name: "fcd",
            params: brainstream_runtime::Params::new(&table, PARAMS, std::path::Path::new(".")),
            dt_ms: 0.1,
            duration_ms: 500.0,
        };
        let e = build(&ctx).err().unwrap();
        assert_eq!(e.key, "window_ms");
        assert!(
            e.message.contains("400 + 2 × 100 = 600 ms") && e.message.contains("leaves 400 ms"),
            "{}",
            e.message
        );
        let hint = e.hint.unwrap();
        assert!(
            hint.contains("≥ 700 ms") && hint.contains("window_ms = 200"),
            "{hint}"
        );
        let ctx = BuildCtx {
            duration_ms: 700.0,
            ..ctx
        };
        assert!(build(&ctx).is_ok());
    }
}
