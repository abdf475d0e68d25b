//! `png_plot`: draws what it receives into `OUT/<name>.png` at the end of
//! the run (also after a failure, with what arrived): a series as lines
//! against time (one line per chosen node), or spikes as a raster.

use std::path::PathBuf;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, PortDecl, PortType, RunContext, WindowInfo,
};
use plotters::prelude::*;

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
    }))
}

impl PngPlot {
    fn draw(&self, path: &PathBuf) -> Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(path, self.size).into_drawing_area();
        root.fill(&WHITE)?;
        let title = self.title.clone().unwrap_or_else(|| self.name.clone());
        if !self.raster.is_empty() {
            let tmax = self
                .raster
                .iter()
                .map(|r| r.0)
                .fold(0.0, f64::max)
                .max(1e-9);
            let nmax = self.raster.iter().map(|r| r.1).max().unwrap_or(1) as f64 + 1.0;
            let mut chart = ChartBuilder::on(&root)
                .caption(&title, ("sans-serif", 20))
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(55)
                .build_cartesian_2d(0.0..tmax, 0.0..nmax)?;
            chart
                .configure_mesh()
                .x_desc("t (ms)")
                .y_desc("neuron")
                .disable_mesh()
                .draw()?;
            chart.draw_series(
                self.raster
                    .iter()
                    .map(|(t, n)| Pixel::new((*t, *n as f64), BLACK)),
            )?;
        } else if !self.lines.is_empty() {
            let t0 = self.lines.first().map(|l| l.0).unwrap_or(0.0);
            let t1 = self.lines.last().map(|l| l.0).unwrap_or(1.0).max(t0 + 1e-9);
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for (_, v) in &self.lines {
                for x in v.iter().filter(|x| x.is_finite()) {
                    lo = lo.min(*x);
                    hi = hi.max(*x);
                }
            }
            if !(lo.is_finite() && hi.is_finite()) {
                lo = 0.0;
                hi = 1.0;
            }
            let pad = ((hi - lo) * 0.05).max(1e-9);
            let mut chart = ChartBuilder::on(&root)
                .caption(&title, ("sans-serif", 20))
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(65)
                .build_cartesian_2d(t0..t1, (lo - pad)..(hi + pad))?;
            let ydesc = if self.unit.is_empty() {
                self.var_name.clone()
            } else {
                format!("{} ({})", self.var_name, self.unit)
            };
            chart
                .configure_mesh()
                .x_desc("t (ms)")
                .y_desc(ydesc)
                .draw()?;
            for (j, label) in self.labels.iter().enumerate() {
                let color = Palette99::pick(j).to_rgba();
                chart
                    .draw_series(LineSeries::new(
                        self.lines.iter().map(|(t, v)| (*t, v[j])),
                        color,
                    ))?
                    .label(label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        } else {
            root.titled(&format!("{title}: no data"), ("sans-serif", 20))?;
        }
        root.present()?;
        Ok(())
    }
}

impl Actor for PngPlot {
    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        self.path = Some(ctx.out_dir.join(format!("{}.png", ctx.name)));
        Ok(())
    }

    fn step(
        &mut self,
        _w: &WindowInfo,
        inputs: &Inputs,
        _out: &mut Outputs,
    ) -> Result<(), ActorError> {
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
                self.unit = s.meta.unit.clone();
                self.var_name = self
                    .variable
                    .clone()
                    .unwrap_or_else(|| s.meta.variables.first().cloned().unwrap_or_default());
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
