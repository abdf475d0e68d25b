//! `spectrum_plot`: the power spectrum of a series as a figure — Welch's
//! estimate (Hann-tapered segments, 50 % overlap, detrended by their mean;
//! `brainstream_models::analysis::spectrum`) of one variable after
//! `transient_ms`, on log–log axes, frequency in Hz against power in
//! (unit shown)²/Hz (AdEx's rates in Hz, so Hz²/Hz). Either one line per
//! chosen node (`nodes`, by index or label) with the legend beside the
//! plot, or, by default, the spectrum averaged over all nodes. Written at
//! the end of the run as `OUT/<name>.png` (or `.svg`).

use std::path::PathBuf;

use brainstream_models::analysis::spectrum::Welch;
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, PlanCtx, PortDecl, PortType, RunContext, WindowInfo,
};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot_scale::{display_unit, short};
use crate::plot_style::{
    self, draw_head, draw_legend, legend_width, line_color, node_choices, resolve_nodes,
    resolve_variable, DrawResult, Figure, Format, LegendEntry, NodeChoice, AXIS, TICKS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "title",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Title (default: \"power spectrum of VARIABLE\")",
    },
    ParamSpec {
        name: "variable",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Series variable (default: the first)",
    },
    ParamSpec {
        name: "nodes",
        ty: ParamType::NodeList,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Nodes, by index or region label, one line each (default: the mean spectrum of all nodes)",
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
        name: "segment_ms",
        ty: ParamType::Float,
        default: DefaultValue::Optional,
        range: Some((1e-6, 1e12)),
        unit: "ms",
        doc: "Length of Welch's segments, rounded down to a power of two samples (default: the longest of at most 4096 samples that gives 4 segments or more); sets the frequency resolution 1/segment",
    },
    ParamSpec {
        name: "fmax_hz",
        ty: ParamType::Float,
        default: DefaultValue::Optional,
        range: Some((1e-9, 1e9)),
        unit: "Hz",
        doc: "Highest frequency drawn (default: the Nyquist frequency)",
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
        default: DefaultValue::Int(650),
        range: Some((200.0, 10000.0)),
        unit: "px",
        doc: "Image height",
    },
    plot_style::FORMAT,
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "spectrum_plot",
    doc: "Power spectrum (Welch) of a series on log–log axes, per node or averaged over nodes, PNG or SVG, written at the end of the run",
    params: PARAMS,
    inputs: &[PortDecl { name: "series", ty: PortType::Series, doc: "the series (a raw state or a temporal average)", end_stamped: false }],
    outputs: &[],
    build,
};

struct SpectrumPlot {
    name: String,
    title: Option<String>,
    variable: Option<String>,
    choices: Option<Vec<NodeChoice>>,
    transient_ms: f64,
    segment_ms: Option<f64>,
    fmax_hz: Option<f64>,
    size: (u32, u32),
    format: Format,
    path: Option<PathBuf>,
    /// variable index and name, chosen nodes, their labels, the unit
    var: Option<(usize, String)>,
    nodes: Vec<usize>,
    labels: Vec<String>,
    unit: String,
    /// one signal per chosen node (all nodes by default)
    signals: Vec<Vec<f64>>,
    times: Vec<f64>,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let transient_ms = p.f64("transient_ms")?;
    if transient_ms >= ctx.duration_ms {
        return Err(BuildError::at(
            "transient_ms",
            format!(
                "{} ms leaves nothing of a {} ms run",
                short(transient_ms),
                short(ctx.duration_ms)
            ),
        ));
    }
    let segment_ms = p.opt_f64("segment_ms")?;
    if let Some(s) = segment_ms.filter(|s| *s > ctx.duration_ms - transient_ms) {
        return Err(BuildError::at(
            "segment_ms",
            format!(
                "a segment of {} ms is longer than the {} ms analysed",
                short(s),
                short(ctx.duration_ms - transient_ms)
            ),
        ));
    }
    Ok(Box::new(SpectrumPlot {
        name: ctx.name.to_string(),
        title: p.opt_str("title")?,
        variable: p.opt_str("variable")?,
        choices: node_choices(p, "nodes")?,
        transient_ms,
        segment_ms,
        fmax_hz: p.opt_f64("fmax_hz")?,
        size: (p.i64("width")? as u32, p.i64("height")? as u32),
        format: Format::from_params(p)?,
        path: None,
        var: None,
        nodes: vec![],
        labels: vec![],
        unit: String::new(),
        signals: vec![],
        times: vec![],
    }))
}

/// One spectrum: frequencies (Hz) and power, DC left out.
type Spectrum = (Vec<f64>, Vec<f64>);

impl SpectrumPlot {
    /// The sampling rate, Hz (from the samples' times).
    fn fs_hz(&self) -> Option<f64> {
        let n = self.times.len();
        let period = (self.times[n.checked_sub(1)?] - self.times[0]) / (n - 1).max(1) as f64;
        (period > 0.0).then(|| 1000.0 / period)
    }

    /// The segment length, samples.
    fn nfft(&self, fs: f64) -> usize {
        let n = self.times.len();
        match self.segment_ms {
            Some(ms) => Welch::segment_len((ms * fs / 1000.0) as usize, usize::MAX),
            None => Welch::segment_len(n / 4, 4096),
        }
    }

    /// The spectra drawn (per node, or one mean), in the unit shown, with
    /// their labels; and the notes.
    fn spectra(&self) -> (Vec<Spectrum>, Vec<String>, Vec<String>) {
        let (f, _) = display_unit(&self.unit);
        let Some(fs) = self.fs_hz() else {
            return (vec![], vec![], vec!["too few samples".into()]);
        };
        let nfft = self.nfft(fs);
        if self.times.len() < nfft || self.times.len() < 4 {
            return (vec![], vec![], vec!["too few samples".into()]);
        }
        let welch_of = |sigs: &[&Vec<f64>]| {
            let mut w = Welch::new(sigs.len(), nfft, fs);
            let mut row = vec![0.0; sigs.len()];
            for k in 0..self.times.len() {
                for (x, s) in row.iter_mut().zip(sigs) {
                    *x = s[k] * f;
                }
                w.push(&row);
            }
            let (fr, p) = w.psd();
            let keep = |k: &usize| *k > 0 && self.fmax_hz.is_none_or(|m| fr[*k] <= m);
            let ks: Vec<usize> = (0..fr.len()).filter(keep).collect();
            (
                ks.iter().map(|&k| fr[k]).collect::<Vec<_>>(),
                ks.iter().map(|&k| p[k]).collect::<Vec<_>>(),
            )
        };
        let mut notes = vec![format!(
            "Welch: {} ms Hann segments, 50 % overlap (resolution {} Hz)",
            short(nfft as f64 * 1000.0 / fs),
            short(fs / nfft as f64)
        )];
        if self.transient_ms > 0.0 {
            notes.push(format!("first {} ms left out", short(self.transient_ms)));
        }
        if self.choices.is_some() {
            let out = self.signals.iter().map(|s| welch_of(&[s])).collect();
            (out, self.labels.clone(), notes)
        } else {
            let all: Vec<&Vec<f64>> = self.signals.iter().collect();
            let label = format!("mean over {} nodes", all.len());
            (vec![welch_of(&all)], vec![label], notes)
        }
    }
}

impl Figure for SpectrumPlot {
    fn render<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let var = self.var.as_ref().map_or("", |v| v.1.as_str());
        let title = self
            .title
            .clone()
            .unwrap_or_else(|| format!("power spectrum of {var}"));
        let (spectra, labels, mut notes) = self.spectra();
        let positive = |v: &f64| v.is_finite() && *v > 0.0;
        let ps: Vec<f64> = spectra
            .iter()
            .flat_map(|s| s.1.iter().copied())
            .filter(positive)
            .collect();
        let fr: Vec<f64> = spectra
            .iter()
            .flat_map(|s| s.0.iter().copied())
            .filter(positive)
            .collect();
        if ps.is_empty() && !spectra.is_empty() {
            notes.push("no power: a constant signal".into());
        }
        let range = |v: &[f64], lo: f64, hi: f64| {
            let a = v.iter().copied().fold(f64::INFINITY, f64::min);
            let b = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if a.is_finite() && b > a {
                (a, b)
            } else if a.is_finite() {
                (a / 10.0, a * 10.0)
            } else {
                (lo, hi)
            }
        };
        let (f0, f1) = range(&fr, 0.1, 100.0);
        let (p0, p1) = range(&ps, 1e-6, 1.0);
        let (p0, p1) = (p0 / 2.0, p1 * 2.0);
        let head = draw_head(root, &title, &notes)?;
        let (_, body) = root.split_vertically(head);
        let entries: Vec<LegendEntry> = labels
            .iter()
            .enumerate()
            .map(|(j, l)| LegendEntry {
                label: l.clone(),
                color: line_color(j),
                dashed: false,
            })
            .collect();
        let lw = if entries.len() > 1 {
            legend_width(&entries)
        } else {
            0
        };
        let (w, _) = body.dim_in_pixel();
        let (main, side) = body.split_horizontally(w.saturating_sub(lw));
        let (_, shown) = display_unit(&self.unit);
        let ydesc = match shown.as_str() {
            "" => format!("power of {var} (1/Hz)"),
            u => format!("power of {var} ({u}²/Hz)"),
        };
        let mut chart = ChartBuilder::on(&main)
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d((f0..f1).log_scale(), (p0..p1).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("f (Hz)")
            .y_desc(ydesc)
            .axis_desc_style(("sans-serif", AXIS))
            .label_style(("sans-serif", TICKS))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_label_formatter(&|v| log_tick(*v))
            .y_label_formatter(&|v| log_tick(*v))
            .draw()?;
        for (j, (f, p)) in spectra.iter().enumerate() {
            let pts: Vec<(f64, f64)> = f
                .iter()
                .zip(p)
                .filter(|(f, p)| positive(f) && positive(p))
                .map(|(f, p)| (*f, *p))
                .collect();
            chart.draw_series(LineSeries::new(pts, line_color(j).stroke_width(2)))?;
        }
        if lw > 0 {
            draw_legend(&side, &entries, 12)?;
        }
        Ok(())
    }
}

/// A tick of a log axis: `0.1`, `10`, `1e-6`.
fn log_tick(v: f64) -> String {
    if (1e-3..1e5).contains(&v.abs()) {
        short(v)
    } else {
        let e = v.log10().round();
        if (v - 10f64.powf(e)).abs() <= 1e-9 * v.abs() {
            format!("1e{e}")
        } else {
            format!("{v:.1e}")
        }
    }
}

impl Actor for SpectrumPlot {
    /// Checks `nodes` and `variable` where the producer names them; keeps
    /// the analysed samples of the chosen nodes.
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let s = ctx.input("series");
        if let Some(names) = s.and_then(|s| s.names.as_ref()) {
            if let Some(c) = &self.choices {
                resolve_nodes("nodes", c, &names.nodes)?;
            }
            if let Some(v) = &self.variable {
                resolve_variable(v, &names.variables)?;
            }
        }
        let n = match (&self.choices, s.and_then(|s| s.nodes)) {
            (Some(c), _) => c.len(),
            (None, Some(n)) => n,
            _ => 0,
        } as f64;
        let samples = s.map_or(0.0, |s| s.samples_per_step) * ctx.total_steps as f64;
        Ok(Footprint {
            memory_bytes: samples * (n + 1.0) * 8.0,
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
        let bad =
            |e: BuildError| ActorError::new(format!("`{}`: {}: {}", self.name, e.key, e.message));
        if self.var.is_none() && !s.is_empty() {
            let want = self
                .variable
                .clone()
                .unwrap_or_else(|| s.meta.variables.first().cloned().unwrap_or_default());
            let v = resolve_variable(&want, &s.meta.variables).map_err(bad)?;
            self.nodes = match &self.choices {
                Some(c) => resolve_nodes("nodes", c, &s.meta.nodes).map_err(bad)?,
                None => (0..s.meta.nodes.len()).collect(),
            };
            self.labels = self
                .nodes
                .iter()
                .map(|&i| s.meta.nodes[i].clone())
                .collect();
            self.unit = s.meta.unit_of(v).to_string();
            self.signals = vec![vec![]; self.nodes.len()];
            self.var = Some((v, want));
        }
        let Some((v, _)) = &self.var else {
            return Ok(());
        };
        for k in 0..s.len() {
            if s.times_ms[k] < self.transient_ms {
                continue;
            }
            self.times.push(s.times_ms[k]);
            for (sig, &i) in self.signals.iter_mut().zip(&self.nodes) {
                sig.push(s.data.get([k, *v, i]).copied().unwrap_or(f64::NAN));
            }
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

    fn plot() -> SpectrumPlot {
        SpectrumPlot {
            name: "psd".into(),
            title: None,
            variable: None,
            choices: None,
            transient_ms: 0.0,
            segment_ms: None,
            fmax_hz: None,
            size: (600, 400),
            format: Format::Png,
            path: None,
            var: Some((0, "E".into())),
            nodes: vec![0, 1],
            labels: vec!["a".into(), "b".into()],
            unit: "kHz".into(),
            signals: vec![],
            times: vec![],
        }
    }

    /// A 10 Hz and a 40 Hz sine sampled at 1 kHz peak where they should,
    /// the power in Hz²/Hz (kHz shown as Hz: a factor 10⁶); the mean
    /// spectrum by default, one per node when chosen.
    #[test]
    fn peaks_are_at_the_signals_frequencies() {
        let mut p = plot();
        p.times = (0..4000).map(|k| k as f64).collect();
        let sine = |hz: f64| -> Vec<f64> {
            p.times
                .iter()
                .map(|t| 1e-3 * (2.0 * std::f64::consts::PI * hz * t / 1000.0).sin())
                .collect()
        };
        p.signals = vec![sine(10.0), sine(40.0)];
        p.choices = Some(vec![NodeChoice::Index(0), NodeChoice::Index(1)]);
        let (s, labels, notes) = p.spectra();
        assert_eq!(labels, ["a", "b"]);
        assert!(notes[0].contains("512 ms"), "{notes:?}");
        let peak = |(f, pw): &Spectrum| {
            let k = (0..pw.len())
                .max_by(|a, b| pw[*a].total_cmp(&pw[*b]))
                .unwrap();
            f[k]
        };
        assert!((peak(&s[0]) - 10.0).abs() < 1.5, "{}", peak(&s[0]));
        assert!((peak(&s[1]) - 40.0).abs() < 1.5, "{}", peak(&s[1]));
        // amplitude 1 Hz: the peak's power density is of order 1 Hz²/Hz
        let top = s[0].1.iter().copied().fold(0.0, f64::max);
        assert!(top > 0.1 && top < 10.0, "{top}");
        p.choices = None;
        p.fmax_hz = Some(20.0);
        let (s, labels, _) = p.spectra();
        assert_eq!(labels, ["mean over 2 nodes"]);
        assert!(s[0].0.iter().all(|f| *f <= 20.0 && *f > 0.0));
        // drawn on log axes, and a constant signal draws too
        let dir = tempfile::tempdir().unwrap();
        plot_style::write(&p, &dir.path().join("a.png"), p.size, p.format).unwrap();
        p.signals = vec![vec![1.0; 4000], vec![1.0; 4000]];
        plot_style::write(&p, &dir.path().join("b.png"), p.size, p.format).unwrap();
        p.times.truncate(2);
        plot_style::write(&p, &dir.path().join("c.png"), p.size, p.format).unwrap();
        assert_eq!(log_tick(1e-6), "1e-6");
        assert_eq!(log_tick(10.0), "10");
    }
}
