//! Heat map of one result column over two swept parameters, as PNG.
//!
//! Cells are the distinct values of the two axes (grid sampling), or 24
//! equal bins of each axis (random sampling, or more than 64 values; log
//! bins for log-spaced axes). A cell shows the mean of the finite values
//! of its combinations (averaging over the other axes); cells with none
//! are grey. Colours: viridis.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::axes::Range as AxisRange;
use crate::error::SweepError;
use crate::plan::Plan;
use crate::spec::PlotDesc;

const VIRIDIS: [(f64, f64, f64); 5] = [
    (68.0, 1.0, 84.0),
    (59.0, 82.0, 139.0),
    (33.0, 145.0, 140.0),
    (94.0, 201.0, 98.0),
    (253.0, 231.0, 37.0),
];

fn viridis(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * 4.0;
    let k = (t.floor() as usize).min(3);
    let f = t - k as f64;
    let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
    let m = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// Cell edges of one axis: distinct values, or bins.
struct Cells {
    labels: Vec<String>,
    index: Box<dyn Fn(f64) -> Option<usize>>,
}

fn cells(plan: &Plan, axis: usize, random: bool) -> Cells {
    let ax = &plan.axes[axis];
    let mut vals: Vec<f64> = plan.points.iter().map(|p| p[axis]).collect();
    vals.sort_by(|a, b| a.total_cmp(b));
    vals.dedup();
    if !random && vals.len() <= 64 {
        let v2 = vals.clone();
        return Cells {
            labels: vals.iter().map(|v| format!("{v:.4}")).collect(),
            index: Box::new(move |x| v2.iter().position(|v| *v == x)),
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
            format!("{:.4}", if log { 10f64.powf(c) } else { c })
        })
        .collect();
    Cells {
        labels,
        index: Box::new(move |x| {
            let t = if log { x.log10() } else { x };
            Some((((t - a) / w).floor().max(0.0) as usize).min(nb - 1))
        }),
    }
}

/// Draws `plot` from the finished rows into `out/heatmap_<value>_<x>_<y>.png`.
pub fn draw(
    out: &Path,
    plan: &Plan,
    rows: &[Vec<f64>],
    plot: &PlotDesc,
    random: bool,
) -> Result<PathBuf, SweepError> {
    let cols = plan.columns();
    let col = |n: &str| cols.iter().position(|c| c == n);
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
    let mean: Vec<Option<f64>> = sum
        .iter()
        .map(|(s, n)| (*n > 0).then(|| s / *n as f64))
        .collect();
    let (lo, hi) = mean
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let safe = |s: &str| s.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
    let path = out.join(format!(
        "heatmap_{}_{}_{}.png",
        safe(&plot.value),
        safe(&plot.x),
        safe(&plot.y)
    ));
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(&path, (900, 700)).into_drawing_area();
        root.fill(&WHITE)?;
        let (main, bar) = root.split_horizontally(780);
        let xl = cx.labels.clone();
        let yl = cy.labels.clone();
        let seg = |v: &SegmentValue<i32>, l: &[String]| match v {
            SegmentValue::CenterOf(i) => l.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let mut chart = ChartBuilder::on(&main)
            .caption(
                format!("{} over {} × {}", plot.value, plot.x, plot.y),
                ("sans-serif", 20),
            )
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(
                (0..nx as i32 - 1).into_segmented(),
                (0..ny as i32 - 1).into_segmented(),
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(plot.x.as_str())
            .y_desc(plot.y.as_str())
            .x_labels(nx.min(12))
            .y_labels(ny.min(12))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|v| seg(v, &xl))
            .y_label_formatter(&|v| seg(v, &yl))
            .draw()?;
        chart.draw_series((0..nx * ny).map(|k| {
            let (i, j) = ((k % nx) as i32, (k / nx) as i32);
            let c = match mean[k] {
                Some(v) => viridis((v - lo) / span),
                None => RGBColor(190, 190, 190),
            };
            Rectangle::new(
                [
                    (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                    (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
                ],
                c.filled(),
            )
        }))?;
        // colour bar
        let mut cb = ChartBuilder::on(&bar)
            .margin_top(40)
            .margin_bottom(55)
            .margin_right(10)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..1.0, lo..(lo + span))?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(8)
            .label_style(("sans-serif", 12))
            .y_label_formatter(&|v| format!("{v:.3e}"))
            .draw()?;
        let steps = 100;
        cb.draw_series((0..steps).map(|s| {
            let a = lo + span * s as f64 / steps as f64;
            let b = lo + span * (s + 1) as f64 / steps as f64;
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                viridis(s as f64 / steps as f64).filled(),
            )
        }))?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| SweepError::output(&path, format!("cannot draw: {e}")))?;
    Ok(path)
}
