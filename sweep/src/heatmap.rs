//! Heat map of one result column over two swept parameters, as PNG (or
//! SVG: `format = "svg"` in the plot's table).
//!
//! Cells are the distinct values of the two axes (grid sampling), or 24
//! equal bins of each axis (random sampling, or more than 64 values; log
//! bins for log-spaced axes). A cell shows the mean of the finite values
//! of its combinations (averaging over the other axes, named under the
//! title, and recorded in `sweep.h5`'s `heatmaps`); cells with none are
//! grey, which the figure says. Axes and colour bar carry the columns'
//! names and units ([`crate::output::column_info`]); colours: plotters'
//! viridis. A column with no finite value, a single value or values at
//! ±inf is drawn all the same (grey cells and the note "no finite value",
//! a flat colour bar, the finite range) and named in a warning: the range
//! comes from [`Scale`], which plotters can always draw (an infinite range
//! once hung the sweep forever).

use std::path::{Path, PathBuf};

use brainstream_actors::plot_scale::{axis_label, short, tick, Scale};
use plotters::coord::Shift;
use plotters::prelude::*;
use tracing::warn;

use crate::axes::Range as AxisRange;
use crate::error::SweepError;
use crate::output::column_info;
use crate::plan::Plan;
use crate::spec::{PlotDesc, PlotFormat};

/// Colour of a cell without a finite value.
const GREY_CELL: RGBColor = RGBColor(190, 190, 190);

fn viridis(t: f64) -> RGBColor {
    ViridisRGB.get_color(t.clamp(0.0, 1.0) as f32)
}

/// Cell edges of one axis: distinct values, or bins.
struct Cells {
    labels: Vec<String>,
    index: Box<dyn Fn(f64) -> Option<usize>>,
    /// Whether the cells are bins (random sampling, many values).
    binned: bool,
}

fn cells(plan: &Plan, axis: usize, random: bool) -> Cells {
    let ax = &plan.axes[axis];
    let mut vals: Vec<f64> = plan.points.iter().map(|p| p[axis]).collect();
    vals.sort_by(|a, b| a.total_cmp(b));
    vals.dedup();
    if !random && vals.len() <= 64 {
        let v2 = vals.clone();
        let step = vals
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::INFINITY, f64::min);
        let step = if step.is_finite() { step } else { 0.0 };
        return Cells {
            labels: vals.iter().map(|v| tick(*v, step)).collect(),
            index: Box::new(move |x| v2.iter().position(|v| *v == x)),
            binned: false,
        };
    }
    let (lo, hi) = (vals[0], *vals.last().unwrap_or(&vals[0]));
    let log = matches!(ax.range, AxisRange::Log(..)) && lo > 0.0;
    let (a, b) = if log {
        (lo.log10(), hi.log10())
    } else {
        (lo, hi)
    };
    let nb = 24usize;
    let w = ((b - a) / nb as f64).max(f64::MIN_POSITIVE);
    let labels = (0..nb)
        .map(|k| {
            let c = a + (k as f64 + 0.5) * w;
            if log {
                let v = 10f64.powf(c);
                tick(v, v * (10f64.powf(w) - 1.0))
            } else {
                tick(c, w)
            }
        })
        .collect();
    Cells {
        labels,
        index: Box::new(move |x| {
            let t = if log { x.log10() } else { x };
            Some((((t - a) / w).floor().max(0.0) as usize).min(nb - 1))
        }),
        binned: true,
    }
}

/// What the cells of `plot` average over, in words (also written into
/// `sweep.h5`).
pub fn averaged(plan: &Plan, plot: &PlotDesc) -> String {
    let others: Vec<&str> = plan
        .axes
        .iter()
        .map(|a| a.name.as_str())
        .filter(|n| *n != plot.x && *n != plot.y)
        .collect();
    let over = if others.is_empty() {
        String::new()
    } else {
        format!(", averaged over {}", others.join(", "))
    };
    let how = if plan.random {
        "each cell is the mean of the random combinations in its bin (24 bins per axis)".to_string()
    } else {
        let cells: usize = [&plot.x, &plot.y]
            .iter()
            .filter_map(|n| plan.axes.iter().position(|a| &a.name == *n))
            .map(|k| {
                let mut v: Vec<f64> = plan.points.iter().map(|p| p[k]).collect();
                v.sort_by(|a, b| a.total_cmp(b));
                v.dedup();
                v.len()
            })
            .product();
        let per = plan.points.len() / cells.max(1);
        if per <= 1 {
            "each cell is one combination".to_string()
        } else {
            format!("each cell is the mean of {per} combinations")
        }
    };
    format!(
        "{}: {} over {} × {}: {how}{over}; grey cells: no finite value",
        file_name(plot),
        plot.value,
        plot.x,
        plot.y
    )
}

fn file_name(plot: &PlotDesc) -> String {
    let safe = |s: &str| s.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
    format!(
        "heatmap_{}_{}_{}.{}",
        safe(&plot.value),
        safe(&plot.x),
        safe(&plot.y),
        if plot.format == Some(PlotFormat::Svg) {
            "svg"
        } else {
            "png"
        }
    )
}

/// Draws `plot` from the finished rows into `out/heatmap_<value>_<x>_<y>.png`
/// (`.svg` with `format = "svg"`).
pub fn draw(
    out: &Path,
    plan: &Plan,
    rows: &[Vec<f64>],
    plot: &PlotDesc,
    random: bool,
) -> Result<PathBuf, SweepError> {
    let info = column_info(plan);
    let col = |n: &str| info.iter().position(|c| c.name == n);
    let (xi, yi, vi) = match (col(&plot.x), col(&plot.y), col(&plot.value)) {
        (Some(x), Some(y), Some(v)) => (x, y, v),
        _ => {
            return Err(SweepError::output(
                out,
                format!(
                    "plot {} over {} × {}: unknown column",
                    plot.value, plot.x, plot.y
                ),
            ))
        }
    };
    let (cx, cy) = (cells(plan, xi, random), cells(plan, yi, random));
    let (nx, ny) = (cx.labels.len(), cy.labels.len());
    let mut sum = vec![(0.0, 0usize); nx * ny];
    for r in rows {
        if let (Some(i), Some(j)) = ((cx.index)(r[xi]), (cy.index)(r[yi])) {
            if r[vi].is_finite() {
                sum[j * nx + i].0 += r[vi];
                sum[j * nx + i].1 += 1;
            }
        }
    }
    // rates computed in kHz (the TVB-AdEx models') are drawn in Hz
    let (factor, vunit) = brainstream_actors::plot_scale::display_unit(unit_shown(&info[vi].unit));
    let mean: Vec<Option<f64>> = sum
        .iter()
        .map(|(s, n)| {
            (*n > 0)
                .then(|| s / *n as f64 * factor)
                .filter(|m| m.is_finite())
        })
        .collect();
    let not_finite = rows.iter().filter(|r| !r[vi].is_finite()).count();
    let path = out.join(file_name(plot));
    let desc = |c: usize, binned: bool| {
        let l = axis_label(&info[c].name, unit_shown(&info[c].unit));
        if binned {
            format!("{l}, binned")
        } else {
            l
        }
    };
    let others: Vec<&str> = plan
        .axes
        .iter()
        .map(|a| a.name.as_str())
        .filter(|n| *n != plot.x && *n != plot.y)
        .collect();
    let grid = Grid {
        xl: &cx.labels,
        yl: &cy.labels,
        mean: &mean,
        not_finite: (not_finite, rows.len()),
        x: desc(xi, cx.binned),
        y: desc(yi, cy.binned),
        value: axis_label(&plot.value, &vunit),
        averaged: if others.is_empty() {
            String::new()
        } else {
            format!("mean over {}", others.join(", "))
        },
    };
    let drawn = if plot.format == Some(PlotFormat::Svg) {
        let root = SVGBackend::new(&path, (900, 700)).into_drawing_area();
        render(root, plot, &grid)
    } else {
        let root = BitMapBackend::new(&path, (900, 700)).into_drawing_area();
        render(root, plot, &grid)
    };
    drawn.map_err(|e| SweepError::output(&path, format!("cannot draw: {e}")))?;
    Ok(path)
}

/// A column's unit as written on a figure: none for a dimensionless one.
fn unit_shown(u: &str) -> &str {
    if u == "1" {
        ""
    } else {
        u
    }
}

/// A heat map's cells: labels of the columns (x) and rows (y), the mean of
/// each cell (`None`: no finite value, grey), row-major from the bottom.
struct Grid<'a> {
    xl: &'a [String],
    yl: &'a [String],
    mean: &'a [Option<f64>],
    /// Combinations whose value was not finite, of all.
    not_finite: (usize, usize),
    /// Axis titles (name and unit) of x, y and the value.
    x: String,
    y: String,
    value: String,
    /// What each cell averages over ("" for nothing).
    averaged: String,
}

/// Draws the cells and the colour bar.
fn render<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    plot: &PlotDesc,
    g: &Grid,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let (nx, ny) = (g.xl.len(), g.yl.len());
    let mean = g.mean;
    let scale = Scale::of(mean.iter().flatten().copied());
    let mut notes: Vec<String> = vec![];
    if scale.empty() {
        notes.push("no finite value".into());
    } else if let Some(n) = scale.note() {
        notes.push(n);
    }
    if g.not_finite.0 > 0 && !scale.empty() {
        notes.push(format!(
            "{} of {} combinations not finite",
            g.not_finite.0, g.not_finite.1
        ));
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    if let Some(n) = &note {
        if scale.empty() || g.not_finite.0 > 0 {
            warn!(column = %plot.value, "heat map of `{}` over {} × {}: {n}", plot.value, plot.x, plot.y);
        }
    }
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(64);
    let title = format!("{} over {} × {}", g.value, plot.x, plot.y);
    top.draw_text(
        &title,
        &("sans-serif", 22).into_font().into_text_style(&top),
        (20, 8),
    )?;
    let mut sub = vec![];
    if !g.averaged.is_empty() {
        sub.push(g.averaged.clone());
    }
    if let Some(n) = &note {
        sub.push(n.clone());
    }
    if mean.iter().any(|m| m.is_none()) {
        sub.push("grey: no finite value".into());
    }
    if !sub.is_empty() {
        top.draw_text(
            &sub.join("; "),
            &("sans-serif", 15)
                .into_font()
                .color(&RGBColor(80, 80, 80))
                .into_text_style(&top),
            (20, 38),
        )?;
    }
    let (main, bar) = body.split_horizontally(760);
    let (xl, yl) = (g.xl, g.yl);
    let seg = |v: &SegmentValue<i32>, l: &[String]| match v {
        SegmentValue::CenterOf(i) => l.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(&main)
        .margin(10)
        .margin_right(20)
        .x_label_area_size(55)
        .y_label_area_size(90)
        .build_cartesian_2d(
            (0..nx as i32 - 1).into_segmented(),
            (0..ny as i32 - 1).into_segmented(),
        )?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(g.x.as_str())
        .y_desc(g.y.as_str())
        .x_labels(nx.min(12))
        .y_labels(ny.min(12))
        .axis_desc_style(("sans-serif", 17))
        .label_style(("sans-serif", 14))
        .x_label_formatter(&|v| seg(v, xl))
        .y_label_formatter(&|v| seg(v, yl))
        .draw()?;
    chart.draw_series((0..nx * ny).map(|k| {
        let (i, j) = ((k % nx) as i32, (k / nx) as i32);
        let c = match mean[k].and_then(|v| scale.fraction(v)) {
            Some(t) => viridis(t),
            None => GREY_CELL,
        };
        Rectangle::new(
            [
                (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
            ],
            c.filled(),
        )
    }))?;
    // colour bar: the value range, flat for a single value, grey and
    // labelled when there is no finite value
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(10)
        .margin_bottom(65)
        .margin_right(10)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..1.0, scale.lo..scale.hi)?;
    let empty = scale.empty();
    let step = (scale.hi - scale.lo) / 8.0;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(if empty || scale.single.is_some() {
            0
        } else {
            8
        })
        .y_desc(g.value.as_str())
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .y_label_formatter(&|v| tick(*v, step))
        .draw()?;
    let steps = 100;
    let (lo, span) = (scale.lo, scale.hi - scale.lo);
    cb.draw_series((0..steps).map(|s| {
        let a = lo + span * s as f64 / steps as f64;
        let b = lo + span * (s + 1) as f64 / steps as f64;
        let c = if empty {
            GREY_CELL
        } else if scale.single.is_some() {
            viridis(0.5)
        } else {
            viridis(s as f64 / steps as f64)
        };
        Rectangle::new([(0.0, a), (1.0, b)], c.filled())
    }))?;
    // the bar's one label: what there is instead of a range
    let label = match scale.single {
        _ if empty => Some("no finite value".to_string()),
        Some(v) => Some(short(v)),
        None => None,
    };
    if let Some(l) = label {
        bar.draw_text(&l, &("sans-serif", 14).into_text_style(&bar), (4, 4))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Renders under a watchdog (a hang fails instead of blocking) and
    /// returns the image.
    fn rendered(mean: Vec<Option<f64>>, nx: usize) -> image::RgbImage {
        let ny = mean.len() / nx;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.png");
        let (tx, rx) = mpsc::channel();
        let q = path.clone();
        std::thread::spawn(move || {
            let xl: Vec<String> = (0..nx).map(|i| i.to_string()).collect();
            let yl: Vec<String> = (0..ny).map(|i| i.to_string()).collect();
            let plot = PlotDesc {
                x: "x".into(),
                y: "y".into(),
                value: "v".into(),
                format: None,
            };
            let g = Grid {
                xl: &xl,
                yl: &yl,
                mean: &mean,
                not_finite: (mean.iter().filter(|m| m.is_none()).count(), mean.len()),
                x: "x (mm/ms)".into(),
                y: "y".into(),
                value: "v (Hz)".into(),
                averaged: "mean over z".into(),
            };
            let root = BitMapBackend::new(&q, (900, 700)).into_drawing_area();
            let _ = tx.send(render(root, &plot, &g).map_err(|e| e.to_string()));
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("drawing the heat map hung")
            .unwrap();
        image::open(&path).unwrap().to_rgb8()
    }

    /// The colour at the centre of the main area.
    fn centre(img: &image::RgbImage) -> [u8; 3] {
        img.get_pixel(430, 350).0
    }

    #[test]
    fn a_column_with_no_finite_value_is_grey_not_a_hang() {
        let img = rendered(vec![None; 49], 7);
        let g = GREY_CELL;
        assert_eq!(centre(&img), [g.0, g.1, g.2]);
        // no viridis colour anywhere: the bar is grey too
        let (lo, hi) = (viridis(0.0), viridis(1.0));
        assert!(!img
            .pixels()
            .any(|p| p.0 == [lo.0, lo.1, lo.2] || p.0 == [hi.0, hi.1, hi.2]));
    }

    #[test]
    fn a_single_value_gives_a_flat_bar() {
        for v in [0.0, 3.7, -1e300, 1e-300, f64::MAX] {
            let img = rendered(vec![Some(v); 16], 4);
            let m = viridis(0.5);
            assert_eq!(centre(&img), [m.0, m.1, m.2], "{v}");
            // the colour bar (x ≥ 760) holds no other viridis colour
            let ends = [viridis(0.0), viridis(1.0)];
            for (x, _, p) in img.enumerate_pixels() {
                if x >= 760 {
                    assert!(!ends.iter().any(|c| p.0 == [c.0, c.1, c.2]), "{v}");
                }
            }
        }
    }

    #[test]
    fn extreme_and_partly_missing_values_draw() {
        let mut mean = vec![Some(-f64::MAX), Some(f64::MAX), None, Some(0.0)];
        mean.extend([Some(1.0); 5]);
        rendered(mean, 3);
        rendered(vec![Some(1e300), Some(1e300 * (1.0 + 1e-15))], 2);
    }
}
