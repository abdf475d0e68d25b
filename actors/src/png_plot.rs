//! `png_plot`: draws what it receives into `OUT/<name>.png` at the end of
//! the run (also after a failure, with what arrived): a series as lines
//! against time (one line per chosen node), or spikes as a raster.

use std::path::PathBuf;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, PlanCtx, PortDecl, PortType, RunContext, WindowInfo,
};
use plotters::prelude::*;

use crate::plot_scale::{axis_label, tick, tick_step, Scale};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "title",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Title (default: the actor's name)",
    },
    ParamSpec {
        name: "variable",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Series variable to draw (default: the first)",
    },
    ParamSpec {
        name: "nodes",
        ty: ParamType::FloatList,
        default: DefaultValue::Optional,
        range: Some((0.0, 1e9)),
        unit: "",
        doc: "Node indices to draw (default: up to the first 8)",
    },
    ParamSpec {
        name: "width",
        ty: ParamType::Int,
        default: DefaultValue::Int(1000),
        range: Some((100.0, 10000.0)),
        unit: "px",
        doc: "Image width",
    },
    ParamSpec {
        name: "height",
        ty: ParamType::Int,
        default: DefaultValue::Int(500),
        range: Some((100.0, 10000.0)),
        unit: "px",
        doc: "Image height",
    },
    ParamSpec {
        name: "max_neurons",
        ty: ParamType::Int,
        default: DefaultValue::Int(2000),
        range: Some((1.0, 1e9)),
        unit: "",
        doc: "Raster: senders ≥ this are not drawn",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "png_plot",
    doc: "PNG plot of a series (lines against time) or of spikes (raster), written at the end of the run",
    params: PARAMS,
    inputs: &[
        PortDecl { name: "series", ty: PortType::Series, doc: "a series to draw as lines", end_stamped: false },
        PortDecl { name: "spikes", ty: PortType::Spikes, doc: "spikes to draw as a raster", end_stamped: false },
    ],
    outputs: &[],
    build,
};

struct PngPlot {
    name: String,
    title: Option<String>,
    variable: Option<String>,
    nodes: Option<Vec<usize>>,
    size: (u32, u32),
    max_neurons: u32,
    path: Option<PathBuf>,
    /// time, values of the chosen nodes
    lines: Vec<(f64, Vec<f64>)>,
    labels: Vec<String>,
    unit: String,
    var_name: String,
    raster: Vec<(f64, u32)>,
    /// Whether a spikes payload arrived (a raster with no spike is still a raster).
    saw_spikes: bool,
    /// End of the last window stepped, ms.
    reached_ms: f64,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    Ok(Box::new(PngPlot {
        name: ctx.name.to_string(),
        title: p.opt_str("title")?,
        variable: p.opt_str("variable")?,
        nodes: p
            .f64_list("nodes")?
            .map(|v| v.iter().map(|x| *x as usize).collect()),
        size: (p.i64("width")? as u32, p.i64("height")? as u32),
        max_neurons: p.i64("max_neurons")? as u32,
        path: None,
        lines: vec![],
        labels: vec![],
        unit: String::new(),
        var_name: String::new(),
        raster: vec![],
        saw_spikes: false,
        reached_ms: 0.0,
    }))
}

impl PngPlot {
    /// The caption: the title, and what the reader must know about the data.
    fn caption(&self, note: Option<String>) -> String {
        let title = self.title.clone().unwrap_or_else(|| self.name.clone());
        match note {
            Some(n) => format!("{title} ({n})"),
            None => title,
        }
    }

    fn draw(&self, path: &PathBuf) -> Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(path, self.size).into_drawing_area();
        root.fill(&WHITE)?;
        if !self.raster.is_empty() || (self.saw_spikes && self.lines.is_empty()) {
            self.draw_raster(&root)?;
        } else if !self.lines.is_empty() {
            self.draw_lines(&root)?;
        } else {
            root.titled(&self.caption(Some("no data".into())), ("sans-serif", 20))?;
        }
        root.present()?;
        Ok(())
    }

    /// Spikes as dots, time against sender; with no spike, empty axes over
    /// the time the run reached and the note "no spike".
    fn draw_raster(
        &self,
        root: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let t = Scale::of(
            self.raster
                .iter()
                .map(|r| r.0)
                .chain([0.0, self.reached_ms]),
        );
        let nmax = self.raster.iter().map(|r| r.1).max().unwrap_or(0) as f64 + 1.0;
        let note = self.raster.is_empty().then(|| "no spike".to_string());
        let mut chart = ChartBuilder::on(root)
            .caption(self.caption(note), ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(t.lo..t.hi, 0.0..nmax)?;
        let tstep = tick_step(t.hi - t.lo);
        chart
            .configure_mesh()
            .x_desc("t (ms)")
            .y_desc("neuron")
            .x_label_formatter(&|v| tick(*v, tstep))
            .y_label_formatter(&|v| tick(*v, 1.0))
            .disable_mesh()
            .draw()?;
        chart.draw_series(
            self.raster
                .iter()
                .map(|(t, n)| Pixel::new((*t, *n as f64), BLACK)),
        )?;
        Ok(())
    }

    /// One line per chosen node against time; a value that is not finite
    /// breaks its line (and is counted in the caption), a constant trace
    /// is drawn mid-axis with its value in the caption.
    fn draw_lines(
        &self,
        root: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let t = Scale::of(self.lines.iter().map(|l| l.0));
        let y = Scale::of(self.lines.iter().flat_map(|l| l.1.iter().copied()));
        let (lo, hi) = y.padded(0.05);
        let mut chart = ChartBuilder::on(root)
            .caption(self.caption(y.note()), ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(65)
            .build_cartesian_2d(t.lo..t.hi, lo..hi)?;
        // a dimensionless unit (`1`) is not written
        let unit = if self.unit == "1" { "" } else { &self.unit };
        let ydesc = axis_label(&self.var_name, unit);
        let (tstep, ystep) = (tick_step(t.hi - t.lo), tick_step(hi - lo));
        chart
            .configure_mesh()
            .x_desc("t (ms)")
            .y_desc(ydesc)
            .x_label_formatter(&|v| tick(*v, tstep))
            .y_label_formatter(&|v| tick(*v, ystep))
            .draw()?;
        for (j, label) in self.labels.iter().enumerate() {
            let color = Palette99::pick(j).to_rgba();
            // runs of finite samples, each its own line
            let runs = self
                .lines
                .chunk_by(|a, b| a.1[j].is_finite() == b.1[j].is_finite())
                .filter(|run| run[0].1[j].is_finite());
            let mut first = true;
            for run in runs {
                let series = chart.draw_series(LineSeries::new(
                    run.iter().map(|(t, v)| (*t, v[j].clamp(lo, hi))),
                    color,
                ))?;
                if std::mem::take(&mut first) {
                    series
                        .label(label.clone())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
                }
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}

impl Actor for PngPlot {
    /// Checks `nodes` against the series it will get; it keeps every
    /// sample drawn until the end.
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let series = ctx.input("series");
        if let (Some(nodes), Some(nn)) = (&self.nodes, series.and_then(|s| s.nodes)) {
            if let Some((k, &bad)) = nodes.iter().enumerate().find(|(_, &i)| i >= nn) {
                let has = match nn {
                    0 => "no node".to_string(),
                    1 => "1 node (node 0)".to_string(),
                    n => format!("{n} nodes (0 to {})", n - 1),
                };
                return Err(BuildError::at(
                    format!("nodes[{k}]"),
                    format!("node {bad} does not exist: the series into `series` has {has}"),
                ));
            }
        }
        let drawn = self.nodes.as_ref().map_or(8, |n| n.len()) as f64;
        let lines = series.map_or(0.0, |s| s.samples_per_step * (16.0 + 8.0 * drawn));
        let dots = ctx
            .input("spikes")
            .map_or(0.0, |s| s.samples_per_step * 16.0);
        Ok(Footprint {
            memory_bytes: (lines + dots) * ctx.total_steps as f64,
            disk_bytes: self.size.0 as f64 * self.size.1 as f64 * 3.0,
            ..Default::default()
        })
    }

    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        self.path = Some(ctx.out_dir.join(format!("{}.png", ctx.name)));
        Ok(())
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        _out: &mut Outputs,
    ) -> Result<(), ActorError> {
        self.reached_ms = w.end_ms();
        if let Some(s) = crate::util::series(inputs, "series")? {
            if self.labels.is_empty() && !s.is_empty() {
                let nn = s.data.shape()[2];
                let nodes = self
                    .nodes
                    .clone()
                    .unwrap_or_else(|| (0..nn.min(8)).collect());
                if let Some(&bad) = nodes.iter().find(|&&i| i >= nn) {
                    return Err(ActorError::new(format!(
                        "`{}`: node {bad} does not exist (the series has {nn})",
                        self.name
                    )));
                }
                self.labels = nodes
                    .iter()
                    .map(|&i| {
                        s.meta
                            .nodes
                            .get(i)
                            .cloned()
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect();
                self.nodes = Some(nodes);
                self.var_name = self
                    .variable
                    .clone()
                    .unwrap_or_else(|| s.meta.variables.first().cloned().unwrap_or_default());
                self.unit = s
                    .meta
                    .variables
                    .iter()
                    .position(|x| *x == self.var_name)
                    .map_or("", |v| s.meta.unit_of(v))
                    .to_string();
            }
            if let Some(nodes) = &self.nodes {
                let v = s
                    .meta
                    .variables
                    .iter()
                    .position(|x| *x == self.var_name)
                    .ok_or_else(|| {
                        ActorError::new(format!(
                            "`{}`: no variable `{}` (the series has {})",
                            self.name,
                            self.var_name,
                            s.meta.variables.join(", ")
                        ))
                    })?;
                for k in 0..s.len() {
                    self.lines.push((
                        s.times_ms[k],
                        nodes.iter().map(|&i| s.data[[k, v, i]]).collect(),
                    ));
                }
            }
        }
        if let Some(sp) = crate::util::spikes(inputs, "spikes")? {
            self.saw_spikes = true;
            for (t, s) in sp.times_ms.iter().zip(&sp.senders) {
                if *s < self.max_neurons {
                    self.raster.push((*t, *s));
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, _complete: bool) -> Result<Vec<PathBuf>, ActorError> {
        let Some(path) = self.path.clone() else {
            return Ok(vec![]);
        };
        self.draw(&path)
            .map_err(|e| ActorError::new(format!("cannot draw {}: {e}", path.display())))?;
        Ok(vec![path])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    fn plot() -> PngPlot {
        PngPlot {
            name: "p".into(),
            title: None,
            variable: None,
            nodes: None,
            size: (400, 300),
            max_neurons: 100,
            path: None,
            lines: vec![],
            labels: vec!["a".into(), "b".into()],
            unit: "mV".into(),
            var_name: "V".into(),
            raster: vec![],
            saw_spikes: false,
            reached_ms: 100.0,
        }
    }

    /// Draws under a watchdog (a hang fails the test instead of blocking
    /// it) and returns the image.
    fn draw(p: PngPlot) -> image::RgbImage {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.png");
        let (tx, rx) = mpsc::channel();
        let q = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send(p.draw(&q).map_err(|e| e.to_string()));
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("drawing hung")
            .unwrap();
        image::open(&path).unwrap().to_rgb8()
    }

    /// Rows of the image holding a pixel of the colour of line `j`.
    fn rows_of(img: &image::RgbImage, j: usize) -> Vec<u32> {
        let c = Palette99::pick(j).to_rgba();
        let mut rows: Vec<u32> = img
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0 == [c.0, c.1, c.2])
            .map(|(_, y, _)| y)
            .collect();
        rows.dedup();
        rows
    }

    #[test]
    fn constant_nan_and_infinite_traces_draw() {
        // a constant trace (a) beside a trace with NaN and ±inf (b)
        let mut p = plot();
        for k in 0..100 {
            let b = match k % 10 {
                3 => f64::NAN,
                5 => f64::INFINITY,
                7 => f64::NEG_INFINITY,
                _ => -65.0,
            };
            p.lines.push((k as f64, vec![-65.0, b]));
        }
        let img = draw(p);
        // both lines are flat at the same height, mid-axis
        let (a, b) = (rows_of(&img, 0), rows_of(&img, 1));
        assert!(!a.is_empty() && !b.is_empty());
        let mid = |r: &[u32]| r.iter().filter(|y| (100..200).contains(*y)).count();
        assert!(mid(&a) > 0 && mid(&b) > 0, "{a:?} {b:?}");
    }

    #[test]
    fn all_nan_and_extreme_traces_draw() {
        let mut p = plot();
        for k in 0..50 {
            p.lines.push((k as f64, vec![f64::NAN, f64::NAN]));
        }
        draw(p);
        let mut p = plot();
        for k in 0..50 {
            let s = if k % 2 == 0 { 1.0 } else { -1.0 };
            p.lines
                .push((k as f64, vec![s * f64::MAX, 1e-300 * k as f64]));
        }
        draw(p);
        // a single sample
        let mut p = plot();
        p.lines.push((1e9, vec![1.0, 2.0]));
        draw(p);
    }

    #[test]
    fn a_raster_with_no_spike_is_empty_axes() {
        let mut p = plot();
        p.saw_spikes = true;
        let img = draw(p);
        // axes drawn (black pixels), no dot of data
        let black = img.pixels().filter(|p| p.0 == [0, 0, 0]).count();
        assert!(black > 100, "{black}");
        // one spike at t = 0
        let mut p = plot();
        p.saw_spikes = true;
        p.reached_ms = 0.0;
        p.raster.push((0.0, 0));
        draw(p);
    }
}
