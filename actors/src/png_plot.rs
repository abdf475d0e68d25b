//! `png_plot`: draws what it receives into `OUT/<name>.png` (`.svg` with
//! `format = "svg"`) at the end of the run (also after a failure, with
//! what arrived).
//!
//! * A series: lines against time, one per chosen node (`nodes`, by index
//!   or region label), the y axis titled with the variable and its unit as
//!   shown (rates computed in kHz, as the TVB-AdEx models', are drawn in
//!   Hz), the legend beside the data, never over it. `smooth_ms` averages
//!   each trace over a centred window of that length (a population rate in
//!   0.1 ms bins is otherwise a comb), which the caption says. A trace
//!   that coincides with an earlier one over most of the run is drawn
//!   dashed over it and named so in the legend, so no line hides another;
//!   `layout = "stacked"` draws one panel per node instead, and
//!   `layout = "traces"` every node in one panel, each trace centred on its
//!   mean and offset below the previous one, labelled at the left, with a
//!   scale bar (the way EEG/MEG viewers show sensors; every node by
//!   default, up to 128). Over 10 s, time is in seconds (a BOLD signal).
//! * Spikes: a raster, sender against time; for a network's spikes (found
//!   through the run's graph, as the HDF5 recorder finds its sender map)
//!   one band per region and population, shaded alternately by region and
//!   labelled on the y axis, dots coloured by population.

use std::path::PathBuf;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, PlanCtx, PortDecl, PortType, RunContext, WindowInfo,
};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot_scale::{axis_label, display_unit, short, tick, tick_step, Scale};
use crate::plot_style::{
    self, draw_legend, legend_width, line_color, node_choices, resolve_nodes, resolve_variable,
    DrawResult, Figure, Format, LegendEntry, NodeChoice, AXIS, LEGEND, TICKS, TITLE,
};

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
        ty: ParamType::NodeList,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Nodes to draw, by index or region label (default: up to the first 8; with layout = \"traces\" up to 128)",
    },
    ParamSpec {
        name: "width",
        ty: ParamType::Int,
        default: DefaultValue::Int(1200),
        range: Some((100.0, 10000.0)),
        unit: "px",
        doc: "Image width",
    },
    ParamSpec {
        name: "height",
        ty: ParamType::Int,
        default: DefaultValue::Int(600),
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
    ParamSpec {
        name: "smooth_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: Some((0.0, 1e9)),
        unit: "ms",
        doc: "Lines: each trace averaged over a centred window of this length (0: as recorded)",
    },
    ParamSpec {
        name: "layout",
        ty: ParamType::Str,
        default: DefaultValue::Str("overlay"),
        range: None,
        unit: "",
        doc: "Lines: overlay (one axis, a legend beside it), stacked (one panel per node) or traces (one panel, each node's trace centred and offset, labelled, with a scale bar: sensor traces)",
    },
    plot_style::FORMAT,
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "png_plot",
    doc: "Plot of a series (lines against time) or of spikes (raster, banded by region and population), PNG or SVG, written at the end of the run",
    params: PARAMS,
    inputs: &[
        PortDecl { name: "series", ty: PortType::Series, doc: "a series to draw as lines", end_stamped: false },
        PortDecl { name: "spikes", ty: PortType::Spikes, doc: "spikes to draw as a raster", end_stamped: false },
    ],
    outputs: &[],
    build,
};

/// Time shown in seconds beyond this span, ms.
const SECONDS_FROM_MS: f64 = 10_000.0;

/// A block of senders: one population of one region.
#[derive(Debug, Clone, PartialEq)]
struct Band {
    region: String,
    population: String,
    /// index of the population (its colour)
    pop_index: usize,
    /// index of the region (its shading)
    region_index: usize,
    first: u32,
    size: u32,
}

struct PngPlot {
    name: String,
    title: Option<String>,
    variable: Option<String>,
    choices: Option<Vec<NodeChoice>>,
    nodes: Option<Vec<usize>>,
    size: (u32, u32),
    max_neurons: u32,
    format: Format,
    smooth_ms: f64,
    layout: Layout,
    path: Option<PathBuf>,
    /// time, values of the chosen nodes
    lines: Vec<(f64, Vec<f64>)>,
    labels: Vec<String>,
    unit: String,
    var_name: String,
    raster: Vec<(f64, u32)>,
    /// The network's numbering, when known.
    bands: Vec<Band>,
    /// Whether a spikes payload arrived (a raster with no spike is still a raster).
    saw_spikes: bool,
    /// End of the last window stepped, ms.
    reached_ms: f64,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let layout = match p.str("layout")?.as_str() {
        "overlay" => Layout::Overlay,
        "stacked" => Layout::Stacked,
        "traces" => Layout::Traces,
        other => {
            return Err(BuildError::at(
                "layout",
                format!("unknown layout `{other}`: overlay, stacked or traces"),
            ))
        }
    };
    let smooth_ms = p.f64("smooth_ms")?;
    if smooth_ms > ctx.duration_ms {
        return Err(BuildError::at(
            "smooth_ms",
            format!(
                "a window of {} ms is longer than the run ({} ms)",
                short(smooth_ms),
                short(ctx.duration_ms)
            ),
        ));
    }
    Ok(Box::new(PngPlot {
        name: ctx.name.to_string(),
        title: p.opt_str("title")?,
        variable: p.opt_str("variable")?,
        choices: node_choices(p, "nodes")?,
        nodes: None,
        size: (p.i64("width")? as u32, p.i64("height")? as u32),
        max_neurons: p.i64("max_neurons")? as u32,
        format: Format::from_params(p)?,
        smooth_ms,
        layout,
        path: None,
        lines: vec![],
        labels: vec![],
        unit: String::new(),
        var_name: String::new(),
        raster: vec![],
        bands: vec![],
        saw_spikes: false,
        reached_ms: 0.0,
    }))
}

/// Centred moving average of `values` over `half` samples each side, of
/// the finite values only (a value that is not finite stays so).
fn smooth(values: &[f64], half: usize) -> Vec<f64> {
    if half == 0 {
        return values.to_vec();
    }
    let n = values.len();
    let mut sum = vec![0.0; n + 1];
    let mut cnt = vec![0usize; n + 1];
    for (k, v) in values.iter().enumerate() {
        let f = v.is_finite();
        sum[k + 1] = sum[k] + if f { *v } else { 0.0 };
        cnt[k + 1] = cnt[k] + f as usize;
    }
    (0..n)
        .map(|k| {
            if !values[k].is_finite() {
                return values[k];
            }
            let (a, b) = (k.saturating_sub(half), (k + half + 1).min(n));
            (sum[b] - sum[a]) / (cnt[b] - cnt[a]).max(1) as f64
        })
        .collect()
}

/// For each trace, the earlier trace it coincides with (within 0.2 % of
/// the axis span) over at least half of the samples both have.
fn coinciding(traces: &[Vec<f64>], span: f64) -> Vec<Option<usize>> {
    let tol = span * 2e-3;
    (0..traces.len())
        .map(|k| {
            (0..k).find(|&j| {
                let (mut both, mut near) = (0usize, 0usize);
                for (a, b) in traces[j].iter().zip(&traces[k]) {
                    if a.is_finite() && b.is_finite() {
                        both += 1;
                        near += ((a - b).abs() <= tol) as usize;
                    }
                }
                both > 0 && 2 * near >= both
            })
        })
        .collect()
}

impl PngPlot {
    /// The title: the one given, or the actor's name.
    fn title(&self) -> String {
        self.title.clone().unwrap_or_else(|| self.name.clone())
    }

    fn draw(&self, path: &std::path::Path) -> DrawResult {
        plot_style::write(self, path, self.size, self.format)
    }

    /// Title on top, notes under it in grey; returns the area below.
    fn heading<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        notes: &[String],
    ) -> Result<DrawingArea<DB, Shift>, Box<dyn std::error::Error>>
    where
        DB::ErrorType: 'static,
    {
        let h = if notes.is_empty() { 40 } else { 64 };
        let (top, body) = root.split_vertically(h);
        top.draw_text(
            &self.title(),
            &("sans-serif", TITLE).into_font().into_text_style(&top),
            (16, 8),
        )?;
        if !notes.is_empty() {
            top.draw_text(
                &notes.join("; "),
                &("sans-serif", LEGEND)
                    .into_font()
                    .color(&RGBColor(80, 80, 80))
                    .into_text_style(&top),
                (16, 38),
            )?;
        }
        Ok(body)
    }

    /// Spikes as dots, time against sender, in bands of region and
    /// population where the numbering is known; with no spike, empty axes
    /// over the time the run reached and the note "no spike".
    fn draw_raster<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = Scale::of(
            self.raster
                .iter()
                .map(|r| r.0)
                .chain([0.0, self.reached_ms]),
        );
        let (tf, tdesc) = time_axis(t.hi - t.lo);
        let bands: Vec<&Band> = self
            .bands
            .iter()
            .filter(|b| b.first < self.max_neurons)
            .collect();
        let top = bands
            .iter()
            .map(|b| (b.first + b.size).min(self.max_neurons))
            .max()
            .unwrap_or(0);
        let nmax = (self.raster.iter().map(|r| r.1 + 1).max().unwrap_or(1)).max(top) as f64;
        let mut notes = vec![];
        if self.raster.is_empty() {
            notes.push("no spike".to_string());
        }
        let labelled = !bands.is_empty() && bands.len() <= 40;
        let body = self.heading(root, &notes)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(if labelled { 110 } else { 75 })
            .build_cartesian_2d(t.lo * tf..t.hi * tf, 0.0..nmax)?;
        let tstep = tick_step((t.hi - t.lo) * tf);
        let ydesc = if labelled {
            "neuron, by region and population"
        } else {
            "neuron"
        };
        chart
            .configure_mesh()
            .x_desc(tdesc)
            .y_desc(ydesc)
            .axis_desc_style(("sans-serif", AXIS))
            .label_style(("sans-serif", TICKS))
            .x_label_formatter(&|v| tick(*v, tstep))
            .y_label_formatter(&|v| tick(*v, 1.0))
            .y_labels(if labelled { 0 } else { 10 })
            .disable_mesh()
            .draw()?;
        // bands: regions shaded alternately, populations split by a line
        for b in &bands {
            let (lo, hi) = (b.first as f64, (b.first + b.size).min(top) as f64);
            if b.region_index % 2 == 1 {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(t.lo * tf, lo), (t.hi * tf, hi)],
                    RGBColor(236, 236, 236).filled(),
                )))?;
            }
            if b.first > 0 {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(t.lo * tf, lo), (t.hi * tf, lo)],
                    RGBColor(170, 170, 170),
                )))?;
            }
        }
        let color_of = |s: u32| {
            bands
                .iter()
                .find(|b| (b.first..b.first + b.size).contains(&s))
                .map_or(BLACK, |b| line_color(b.pop_index))
        };
        chart.draw_series(
            self.raster
                .iter()
                .map(|(t, n)| Pixel::new((*t * tf, *n as f64), color_of(*n))),
        )?;
        if labelled {
            let style = ("sans-serif", TICKS).into_font();
            for b in &bands {
                let mid = (b.first as f64 + (b.first + b.size).min(top) as f64) / 2.0;
                let (x, y) = chart.backend_coord(&(t.lo * tf, mid));
                let label = format!("{} {}", b.region, b.population);
                let st = style
                    .clone()
                    .color(&line_color(b.pop_index))
                    .pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Right,
                        plotters::style::text_anchor::VPos::Center,
                    ))
                    .into_text_style(root);
                root.draw_text(&label, &st, (x - 8, y))?;
            }
        }
        Ok(())
    }

    /// The traces as drawn: times (in the axis' unit) and, per node, the
    /// values in the unit shown, smoothed; with the notes the reader needs.
    fn traces(&self) -> Traces {
        let t: Vec<f64> = self.lines.iter().map(|l| l.0).collect();
        let span = Scale::of(t.iter().copied());
        let (tf, tdesc) = time_axis(span.hi - span.lo);
        let (yf, yunit) = display_unit(&self.unit);
        let period = if t.len() > 1 {
            (t[t.len() - 1] - t[0]) / (t.len() - 1) as f64
        } else {
            0.0
        };
        let half = if self.smooth_ms > 0.0 && period > 0.0 {
            ((self.smooth_ms / period - 1.0) / 2.0).round().max(0.0) as usize
        } else {
            0
        };
        let traces = (0..self.labels.len())
            .map(|j| {
                let raw: Vec<f64> = self.lines.iter().map(|l| l.1[j] * yf).collect();
                smooth(&raw, half)
            })
            .collect();
        let mut notes = vec![];
        if half > 0 {
            notes.push(format!(
                "smoothed: mean over {} ms",
                short((2 * half + 1) as f64 * period)
            ));
        }
        Traces {
            t: t.iter().map(|x| x * tf).collect(),
            values: traces,
            tdesc,
            ydesc: axis_label(&self.var_name, &yunit),
            notes,
        }
    }

    /// One line per chosen node against time on one axis, the legend
    /// beside it; a value that is not finite breaks its line (and is
    /// counted in the caption), a constant trace is drawn mid-axis with
    /// its value in the caption.
    fn draw_lines<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let Traces {
            t,
            values: traces,
            tdesc,
            ydesc,
            mut notes,
        } = self.traces();
        let ts = Scale::of(t.iter().copied());
        let y = Scale::of(traces.iter().flatten().copied());
        if let Some(n) = y.note() {
            notes.insert(0, n);
        }
        let (lo, hi) = y.padded(0.05);
        let same = coinciding(&traces, hi - lo);
        let entries: Vec<LegendEntry> = self
            .labels
            .iter()
            .enumerate()
            .map(|(j, l)| LegendEntry {
                label: match same[j] {
                    Some(o) => format!("{l} (dashed: on {})", self.labels[o]),
                    None => l.clone(),
                },
                color: line_color(j),
                dashed: same[j].is_some(),
            })
            .collect();
        let body = self.heading(root, &notes)?;
        let (w, _) = body.dim_in_pixel();
        let lw = if entries.len() > 1 {
            legend_width(&entries)
        } else {
            0
        };
        let (main, side) = body.split_horizontally(w.saturating_sub(lw));
        let mut chart = ChartBuilder::on(&main)
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(85)
            .build_cartesian_2d(ts.lo..ts.hi, lo..hi)?;
        let (tstep, ystep) = (tick_step(ts.hi - ts.lo), tick_step(hi - lo));
        chart
            .configure_mesh()
            .x_desc(tdesc)
            .y_desc(ydesc)
            .axis_desc_style(("sans-serif", AXIS))
            .label_style(("sans-serif", TICKS))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_label_formatter(&|v| tick(*v, tstep))
            .y_label_formatter(&|v| tick(*v, ystep))
            .draw()?;
        // dashed traces last, over the one they coincide with
        let mut order: Vec<usize> = (0..traces.len()).collect();
        order.sort_by_key(|&j| same[j].is_some());
        for j in order {
            let color = line_color(j);
            let style = color.stroke_width(2);
            let pts: Vec<(f64, f64)> = t.iter().copied().zip(traces[j].iter().copied()).collect();
            // runs of finite samples, each its own line
            for run in pts
                .chunk_by(|a, b| a.1.is_finite() == b.1.is_finite())
                .filter(|run| run[0].1.is_finite())
            {
                let run = run.iter().map(|(t, v)| (*t, v.clamp(lo, hi)));
                if same[j].is_some() {
                    chart.draw_series(DashedLineSeries::new(run, 10, 8, style))?;
                } else {
                    chart.draw_series(LineSeries::new(run, style))?;
                }
            }
        }
        if lw > 0 {
            draw_legend(&side, &entries, 12)?;
        }
        Ok(())
    }

    /// Every trace in one panel (sensor traces): each centred on its mean
    /// and drawn `spacing` below the previous one, labelled at the left,
    /// with a scale bar of `spacing` at the right.
    fn draw_traces<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let Traces {
            t,
            values: traces,
            tdesc,
            ydesc,
            mut notes,
        } = self.traces();
        let centred: Vec<Vec<f64>> = traces
            .iter()
            .map(|tr| {
                let fin: Vec<f64> = tr.iter().copied().filter(|v| v.is_finite()).collect();
                let m = if fin.is_empty() {
                    0.0
                } else {
                    fin.iter().sum::<f64>() / fin.len() as f64
                };
                tr.iter().map(|v| v - m).collect()
            })
            .collect();
        let sp = trace_spacing(&centred);
        let n = centred.len().max(1);
        let (_, yunit) = display_unit(&self.unit);
        let bar = if yunit.is_empty() {
            tick(sp, 0.0)
        } else {
            format!("{} {yunit}", tick(sp, 0.0))
        };
        notes.insert(
            0,
            format!("{ydesc}: each trace centred on its mean, {bar} between traces (the bar)"),
        );
        let ts = Scale::of(t.iter().copied());
        let body = self.heading(root, &notes)?;
        let lo = -(n as f64 - 0.5) * sp;
        let hi = 0.5 * sp;
        let tstep = tick_step(ts.hi - ts.lo);
        let xfmt = |v: &f64| tick(*v, tstep);
        let (w, _) = body.dim_in_pixel();
        let (plot, side) = body.split_horizontally(w.saturating_sub(90));
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(12)
            .margin_right(6)
            .margin_top(6)
            .x_label_area_size(55)
            .y_label_area_size(90)
            .build_cartesian_2d(ts.lo..ts.hi, lo..hi)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_y_axis()
            .x_desc(tdesc)
            .axis_desc_style(("sans-serif", AXIS))
            .label_style(("sans-serif", TICKS))
            .x_label_formatter(&xfmt)
            .draw()?;
        // many sensors: smaller labels, so that they stay apart
        let font = if n > 40 { TICKS.min(10) } else { TICKS };
        for (j, tr) in centred.iter().enumerate() {
            let off = -(j as f64) * sp;
            let pts: Vec<(f64, f64)> = t.iter().copied().zip(tr.iter().map(|v| v + off)).collect();
            for run in pts
                .chunk_by(|a, b| a.1.is_finite() == b.1.is_finite())
                .filter(|run| run[0].1.is_finite())
            {
                chart.draw_series(LineSeries::new(
                    run.iter().map(|(t, v)| (*t, v.clamp(lo, hi))),
                    line_color(j).stroke_width(1),
                ))?;
            }
            let (px, py) = chart.backend_coord(&(ts.lo, off));
            let (ox, oy) = plot.get_base_pixel();
            plot.draw(&Text::new(
                self.labels[j].clone(),
                (px - ox - 6, py - oy),
                ("sans-serif", font).into_font().color(&line_color(j)).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Right,
                        plotters::style::text_anchor::VPos::Center,
                    ),
                ),
            ))?;
        }
        // the scale bar: `sp` tall, beside the first trace
        let (_, y0) = chart.backend_coord(&(ts.hi, 0.5 * sp));
        let (_, y1) = chart.backend_coord(&(ts.hi, -0.5 * sp));
        let (_, sy) = side.get_base_pixel();
        let x = 14;
        side.draw(&PathElement::new(
            vec![(x, y0 - sy), (x, y1 - sy)],
            BLACK.stroke_width(3),
        ))?;
        side.draw(&Text::new(
            bar,
            (x + 8, (y0 + y1) / 2 - sy),
            TextStyle::from(("sans-serif", TICKS).into_font()).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Left,
                    plotters::style::text_anchor::VPos::Center,
                ),
            ),
        ))?;
        Ok(())
    }

    /// One panel per node, one above the other, sharing the time axis and
    /// the value axis (panels compare at a glance); each panel's y axis is
    /// titled with its node, in its colour.
    fn draw_stacked<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let Traces {
            t,
            values: traces,
            tdesc,
            ydesc,
            mut notes,
        } = self.traces();
        let ts = Scale::of(t.iter().copied());
        let y = Scale::of(traces.iter().flatten().copied());
        notes.insert(0, format!("{ydesc}, one panel per node, same scale"));
        if let Some(n) = y.note() {
            notes.push(n);
        }
        let (lo, hi) = y.padded(0.15);
        let body = self.heading(root, &notes)?;
        let n = traces.len().max(1);
        let (_, h) = body.dim_in_pixel();
        let xarea = 55u32;
        let panel = (h.saturating_sub(xarea) / n as u32).max(1);
        let (tstep, ystep) = (tick_step(ts.hi - ts.lo), tick_step(hi - lo));
        let xfmt = |v: &f64| tick(*v, tstep);
        let yfmt = |v: &f64| tick(*v, ystep);
        let mut rest = body;
        for (j, tr) in traces.iter().enumerate() {
            let last = j + 1 == traces.len();
            let (area, below) = if last {
                (rest.clone(), rest.clone())
            } else {
                rest.split_vertically(panel)
            };
            let mut chart = ChartBuilder::on(&area)
                .margin_left(12)
                .margin_right(12)
                .margin_top(3)
                .margin_bottom(3)
                .x_label_area_size(if last { xarea } else { 0 })
                .y_label_area_size(110)
                .build_cartesian_2d(ts.lo..ts.hi, lo..hi)?;
            let mut mesh = chart.configure_mesh();
            mesh.disable_mesh()
                .y_desc(self.labels[j].as_str())
                .y_labels(3)
                .axis_desc_style(("sans-serif", AXIS).into_font().color(&line_color(j)))
                .label_style(("sans-serif", TICKS))
                .x_label_formatter(&xfmt)
                .y_label_formatter(&yfmt);
            mesh.draw()?;
            if last {
                // the time axis' title, in black: the mesh's description
                // style carries this panel's colour (its y label)
                let (w, h) = area.dim_in_pixel();
                area.draw(&Text::new(
                    tdesc,
                    (w as i32 / 2, h as i32 - AXIS as i32 - 4),
                    TextStyle::from(("sans-serif", AXIS).into_font()).pos(
                        plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Center,
                            plotters::style::text_anchor::VPos::Top,
                        ),
                    ),
                ))?;
            }
            let pts: Vec<(f64, f64)> = t.iter().copied().zip(tr.iter().copied()).collect();
            for run in pts
                .chunk_by(|a, b| a.1.is_finite() == b.1.is_finite())
                .filter(|run| run[0].1.is_finite())
            {
                chart.draw_series(LineSeries::new(
                    run.iter().map(|(t, v)| (*t, v.clamp(lo, hi))),
                    line_color(j).stroke_width(2),
                ))?;
            }
            rest = below;
        }
        Ok(())
    }
}

/// How lines are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One axis, a legend beside it.
    Overlay,
    /// One panel per node.
    Stacked,
    /// One panel, each trace centred and offset (sensor traces).
    Traces,
}

/// The offset between traces: the 90th percentile of the centred traces'
/// peak-to-peak (the largest few may reach into their neighbours, as in an
/// EEG viewer, rather than flatten every other trace), rounded up to 1, 2
/// or 5 times a power of ten (a scale bar's length); 1 where every trace
/// is flat.
fn trace_spacing(traces: &[Vec<f64>]) -> f64 {
    let mut ptps: Vec<f64> = traces
        .iter()
        .map(|tr| {
            let fin = tr.iter().copied().filter(|v| v.is_finite());
            let (lo, hi) = fin.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(v), h.max(v))
            });
            if hi >= lo {
                hi - lo
            } else {
                0.0
            }
        })
        .collect();
    ptps.sort_by(f64::total_cmp);
    let ptp = ptps
        .get((ptps.len() * 9 / 10).min(ptps.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0);
    if !(ptp > 0.0 && ptp.is_finite()) {
        return 1.0;
    }
    let p = 10f64.powf(ptp.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= ptp)
        .unwrap_or(10.0 * p)
}

/// Lines as drawn: times in the axis' unit, one trace per node in the unit
/// shown, the axes' titles, and what the reader must be told.
struct Traces {
    t: Vec<f64>,
    values: Vec<Vec<f64>>,
    tdesc: &'static str,
    ydesc: String,
    notes: Vec<String>,
}

/// Factor from ms and the title of a time axis spanning `span_ms`: seconds
/// beyond 10 s.
fn time_axis(span_ms: f64) -> (f64, &'static str) {
    if span_ms > SECONDS_FROM_MS {
        (1e-3, "t (s)")
    } else {
        (1.0, "t (ms)")
    }
}

impl Figure for PngPlot {
    fn render<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if !self.raster.is_empty() || (self.saw_spikes && self.lines.is_empty()) {
            self.draw_raster(root)
        } else if !self.lines.is_empty() && self.layout == Layout::Stacked {
            self.draw_stacked(root)
        } else if !self.lines.is_empty() && self.layout == Layout::Traces {
            self.draw_traces(root)
        } else if !self.lines.is_empty() {
            self.draw_lines(root)
        } else {
            self.heading(root, &["no data".into()])?;
            Ok(())
        }
    }
}

impl Actor for PngPlot {
    fn stateful(&mut self) -> Option<&mut dyn brainstream_runtime::Stateful> {
        Some(self)
    }

    /// Checks `nodes` and `variable` against the series it will get (by
    /// name where its producer knows the names before the run); it keeps
    /// every sample drawn until the end.
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let series = ctx.input("series");
        if let Some(s) = series {
            let labels: Option<Vec<String>> = match (&s.names, s.nodes) {
                (Some(n), _) => Some(n.nodes.clone()),
                (None, Some(nn)) => Some((0..nn).map(|i| i.to_string()).collect()),
                _ => None,
            };
            if let (Some(choices), Some(labels)) = (&self.choices, labels) {
                // labels are checked only where the producer names its nodes
                let checked: Vec<NodeChoice> = choices
                    .iter()
                    .map(|c| match c {
                        NodeChoice::Label(_) if s.names.is_none() => NodeChoice::Index(0),
                        c => c.clone(),
                    })
                    .collect();
                resolve_nodes("nodes", &checked, &labels)?;
            }
            if let (Some(v), Some(n)) = (&self.variable, &s.names) {
                resolve_variable(v, &n.variables)?;
            }
        }
        let drawn = self.choices.as_ref().map_or(8, |n| n.len()) as f64;
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
        self.path = Some(
            ctx.out_dir
                .join(format!("{}.{}", ctx.name, self.format.ext())),
        );
        let map = crate::hdf5_recorder::provenance::graph(ctx).and_then(|g| g.spike_map(&ctx.name));
        if let Some(m) = map {
            let mut first = 0u32;
            for (ri, r) in m.regions.iter().enumerate() {
                for (pi, (p, n)) in m.populations.iter().enumerate() {
                    let size = u32::try_from(*n).unwrap_or(u32::MAX);
                    self.bands.push(Band {
                        region: r.clone(),
                        population: p.clone(),
                        pop_index: pi,
                        region_index: ri,
                        first,
                        size,
                    });
                    first = first.saturating_add(size);
                }
            }
        }
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
                let bad = |e: BuildError| {
                    ActorError::new(format!("`{}`: {}: {}", self.name, e.key, e.message))
                };
                let nodes = match &self.choices {
                    Some(c) => resolve_nodes("nodes", c, &s.meta.nodes).map_err(bad)?,
                    None if self.layout == Layout::Traces => (0..nn.min(128)).collect(),
                    None => (0..nn.min(8)).collect(),
                };
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
                let v = resolve_variable(&self.var_name, &s.meta.variables).map_err(bad)?;
                self.unit = s.meta.unit_of(v).to_string();
            }
            if let Some(nodes) = &self.nodes {
                let v = resolve_variable(&self.var_name, &s.meta.variables)
                    .map_err(|e| ActorError::new(format!("`{}`: {}", self.name, e.message)))?;
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

/// A checkpoint: what it has gathered to draw at the end (the traces, the
/// raster, the chosen nodes and their names).
impl brainstream_runtime::Stateful for PngPlot {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        let mut w = brainstream_runtime::StateWriter::new();
        w.bool(self.nodes.is_some());
        let nodes: Vec<u64> = self.nodes.iter().flatten().map(|n| *n as u64).collect();
        w.u64s(&nodes);
        w.usize(self.lines.len());
        for (t, v) in &self.lines {
            w.f64(*t);
            w.f64s(v);
        }
        w.strs(&self.labels);
        w.str(&self.unit);
        w.str(&self.var_name);
        w.f64s(&self.raster.iter().map(|r| r.0).collect::<Vec<_>>());
        w.u32s(&self.raster.iter().map(|r| r.1).collect::<Vec<_>>());
        w.bool(self.saw_spikes);
        w.f64(self.reached_ms);
        Ok(w.finish())
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        let mut r = brainstream_runtime::StateReader::new(state, "a png_plot");
        let has_nodes = r.bool()?;
        let nodes: Vec<usize> = r.u64s()?.into_iter().map(|n| n as usize).collect();
        self.nodes = has_nodes.then_some(nodes);
        let n = r.usize()?;
        self.lines = (0..n)
            .map(|_| Ok((r.f64()?, r.f64s()?)))
            .collect::<Result<_, ActorError>>()?;
        self.labels = r.strs()?;
        self.unit = r.str()?;
        self.var_name = r.str()?;
        let times = r.f64s()?;
        let senders = r.u32s()?;
        self.raster = times.into_iter().zip(senders).collect();
        self.saw_spikes = r.bool()?;
        self.reached_ms = r.f64()?;
        r.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream_runtime::PortShape;
    use std::sync::mpsc;
    use std::time::Duration;

    fn plot() -> PngPlot {
        PngPlot {
            name: "p".into(),
            title: None,
            variable: None,
            choices: None,
            nodes: None,
            size: (400, 300),
            max_neurons: 100,
            format: Format::Png,
            smooth_ms: 0.0,
            layout: Layout::Overlay,
            path: None,
            lines: vec![],
            labels: vec!["a".into(), "b".into()],
            unit: "mV".into(),
            var_name: "V".into(),
            raster: vec![],
            bands: vec![],
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

    /// (x, y) of the pixels of colour `c`.
    fn pixels_of(img: &image::RgbImage, c: RGBColor) -> Vec<(u32, u32)> {
        img.enumerate_pixels()
            .filter(|(_, _, p)| p.0 == [c.0, c.1, c.2])
            .map(|(x, y, _)| (x, y))
            .collect()
    }

    /// Rows of the image holding a pixel of the colour of line `j`.
    fn rows_of(img: &image::RgbImage, j: usize) -> Vec<u32> {
        let mut rows: Vec<u32> = pixels_of(img, line_color(j))
            .into_iter()
            .map(|p| p.1)
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
        let mid = |r: &[u32]| r.iter().filter(|y| (100..250).contains(*y)).count();
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

    /// AdEx's rates are computed in kHz: drawn in Hz, titled `E (Hz)`.
    #[test]
    fn kilohertz_rates_are_drawn_in_hertz() {
        let mut p = plot();
        p.unit = "kHz".into();
        p.var_name = "E".into();
        p.lines = vec![(1.0, vec![0.008, 0.001]), (2.0, vec![0.004, 0.002])];
        let Traces {
            values: traces,
            tdesc,
            ydesc,
            ..
        } = p.traces();
        assert_eq!(ydesc, "E (Hz)");
        assert_eq!(tdesc, "t (ms)");
        assert_eq!(traces[0], [8.0, 4.0]);
        // dimensionless: no unit written; a long run is in seconds
        p.unit = "1".into();
        p.lines = vec![(0.0, vec![1.0, 1.0]), (20_000.0, vec![2.0, 2.0])];
        let Traces {
            t, tdesc, ydesc, ..
        } = p.traces();
        assert_eq!((ydesc.as_str(), tdesc), ("E", "t (s)"));
        assert_eq!(t, [0.0, 20.0]);
    }

    /// The legend stands right of the plot area: no line is drawn there
    /// but the legend's own strokes.
    #[test]
    fn the_legend_is_beside_the_data_not_over_it() {
        let mut p = plot();
        p.size = (800, 400);
        p.labels = vec!["r_lateralorbitofrontal".into(), "l_paracentral".into()];
        for k in 0..200 {
            let x = k as f64;
            p.lines.push((x, vec![x, 200.0 - x]));
        }
        let img = draw(p);
        let lw = legend_width(&[LegendEntry {
            label: "r_lateralorbitofrontal".into(),
            color: line_color(0),
            dashed: false,
        }]);
        let edge = 800 - lw;
        for j in 0..2 {
            let px = pixels_of(&img, line_color(j));
            let data = px.iter().filter(|p| p.0 < edge).count();
            let beside: Vec<_> = px.iter().filter(|p| p.0 >= edge).collect();
            assert!(data > 300, "line {j}: {data}");
            // the legend's stroke: a few px wide, in one row band
            assert!(!beside.is_empty() && beside.len() < 150, "{}", beside.len());
            assert!(beside.iter().all(|p| p.0 < edge + 40), "{beside:?}");
        }
    }

    /// A trace on top of another is dashed and named so; a comb of 0.1 ms
    /// rate bins averages into its rate.
    #[test]
    fn coinciding_traces_are_told_and_combs_smoothed() {
        let a: Vec<f64> = (0..100).map(|k| (k as f64 / 10.0).sin()).collect();
        let mut b = a.clone();
        b[..10].fill(5.0); // apart at first, then equal
        let c: Vec<f64> = a.iter().map(|x| x + 0.5).collect();
        assert_eq!(coinciding(&[a, b, c], 2.0), [None, Some(0), None]);
        let comb: Vec<f64> = (0..400)
            .map(|k| if k % 4 == 0 { 40.0 } else { 0.0 })
            .collect();
        let s = smooth(&comb, 8);
        assert!(s[8..392].iter().all(|v| (v - 10.0).abs() < 2.0), "{s:?}");
        assert!(smooth(&[1.0, f64::NAN, 3.0], 1)[1].is_nan());
        // the caption says so
        let mut p = plot();
        p.smooth_ms = 2.0;
        p.lines = (0..100).map(|k| (k as f64 * 0.1, vec![0.0, 1.0])).collect();
        let notes = p.traces().notes;
        assert_eq!(notes, ["smoothed: mean over 2.1 ms"]);
    }

    /// One panel per node, top to bottom.
    #[test]
    fn trace_spacing_is_a_round_percentile_of_the_peak_to_peaks() {
        // peak-to-peaks 1…10: the 90th percentile is 10 → 10
        let tr: Vec<Vec<f64>> = (1..=10).map(|k| vec![0.0, k as f64]).collect();
        assert_eq!(trace_spacing(&tr), 10.0);
        // 0.3 → 0.5; one huge trace among 20 does not set it
        let mut tr: Vec<Vec<f64>> = (0..20).map(|_| vec![-0.1, 0.2]).collect();
        tr.push(vec![0.0, 1e6]);
        assert!((trace_spacing(&tr) - 0.5).abs() < 1e-12);
        assert_eq!(trace_spacing(&[vec![1.0, 1.0]]), 1.0);
    }

    #[test]
    fn stacked_panels_keep_each_trace_in_its_own_band() {
        let mut p = plot();
        p.size = (600, 600);
        p.layout = Layout::Stacked;
        p.labels = vec!["a".into(), "b".into(), "c".into()];
        for k in 0..100 {
            let v = (k as f64 / 7.0).sin();
            p.lines.push((k as f64, vec![v, v, v]));
        }
        let img = draw(p);
        let mean = |j| {
            let r = rows_of(&img, j);
            r.iter().sum::<u32>() as f64 / r.len().max(1) as f64
        };
        let (a, b, c) = (mean(0), mean(1), mean(2));
        assert!(a < b && b < c, "{a} {b} {c}");
    }

    /// A network's raster: bands per region and population, dots coloured
    /// by population; SVG when asked.
    #[test]
    fn a_network_raster_has_bands_and_svg_works() {
        let mut p = plot();
        p.size = (600, 400);
        p.saw_spikes = true;
        for (k, (r, pop)) in [("rM1", "E"), ("rM1", "I"), ("lM1", "E"), ("lM1", "I")]
            .iter()
            .enumerate()
        {
            p.bands.push(Band {
                region: r.to_string(),
                population: pop.to_string(),
                pop_index: k % 2,
                region_index: k / 2,
                first: 25 * k as u32,
                size: 25,
            });
        }
        for s in 0..100u32 {
            p.raster.push((s as f64, s));
        }
        let img = draw(p);
        // population I's dots (and its labels) in its colour, the second
        // region shaded
        assert!(pixels_of(&img, line_color(1)).len() > 40);
        assert!(pixels_of(&img, RGBColor(236, 236, 236)).len() > 1000);
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("p.svg");
        let mut p = plot();
        p.format = Format::Svg;
        p.lines = vec![(0.0, vec![1.0, 2.0]), (1.0, vec![2.0, 1.0])];
        p.draw(&svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            text.starts_with("<svg") && text.contains("t (ms)"),
            "{text:.200}"
        );
    }

    /// `nodes` by label and `variable` are checked before the run where the
    /// producer names them, with the key, the cause and the closest name.
    #[test]
    fn node_labels_and_variables_are_checked_before_the_run() {
        let mut p = plot();
        let names = |v: &[&str], n: &[&str]| {
            PortShape::named_series(
                &v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &n.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                1.0,
            )
        };
        let inputs = [("series", names(&["E", "I", "W_e"], &["rM1", "lM1"]))];
        let ctx = PlanCtx {
            dt_ms: 0.1,
            total_steps: 10,
            window_steps: 10,
            inputs: &inputs,
        };
        p.choices = Some(vec![NodeChoice::Label("lM1".into())]);
        p.variable = Some("W_e".into());
        assert!(p.plan(&ctx).is_ok());
        p.choices = Some(vec![NodeChoice::Index(0), NodeChoice::Label("lM2".into())]);
        let e = p.plan(&ctx).unwrap_err();
        assert_eq!(e.key, "nodes[1]");
        assert_eq!(e.hint.as_deref(), Some("did you mean `lM1`?"));
        p.choices = None;
        p.variable = Some("We".into());
        let e = p.plan(&ctx).unwrap_err();
        assert_eq!(e.key, "variable");
        assert!(e.message.contains("E, I, W_e"), "{}", e.message);
    }
}
