//! A square matrix as a figure: cells coloured by plotters' viridis over a
//! fixed or measured range, a labelled colour bar, grey cells where a value
//! is not finite (which the figure says), rows and columns labelled (region
//! labels, or times). Drawn by `fc_plot` and `fcd_plot`.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot_scale::{short, tick, Scale};
use crate::plot_style::{draw_head, DrawResult, AXIS, TICKS};

/// Colour of a cell without a finite value.
pub const GREY_CELL: RGBColor = RGBColor(190, 190, 190);

/// Viridis at `t` in [0, 1].
pub fn viridis(t: f64) -> RGBColor {
    ViridisRGB.get_color(t.clamp(0.0, 1.0) as f32)
}

/// What to draw.
pub struct Matrix<'a> {
    pub title: &'a str,
    /// Lines under the title (what the matrix is of, what was left out).
    pub notes: Vec<String>,
    /// `n × n`, row-major, row 0 at the top.
    pub values: &'a [f64],
    pub n: usize,
    /// One label per row/column (region labels, window times); at most
    /// about 40 are written, evenly spaced, where more would not be legible.
    pub labels: &'a [String],
    /// Title of both axes (`region`, `window centre t (s)`).
    pub axis: &'a str,
    /// Title of the colour bar (`Pearson r`).
    pub bar: &'a str,
    /// The colour range; `None`: the finite values' range.
    pub range: Option<(f64, f64)>,
}

/// Draws `m` on `root`.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, m: &Matrix) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let scale = match m.range {
        Some((lo, hi)) => Scale::of([lo, hi]),
        None => Scale::of(m.values.iter().copied()),
    };
    let mut notes = m.notes.clone();
    if m.values.iter().any(|v| !v.is_finite()) {
        notes.push("grey: no finite value".into());
    }
    if m.range.is_none() {
        if let Some(n) = scale.note() {
            notes.push(n);
        }
    }
    let head = draw_head(root, m.title, &notes)?;
    let (_, body) = root.split_vertically(head);
    let (w, h) = body.dim_in_pixel();
    let (main, bar) = body.split_horizontally(w.saturating_sub(130));
    let n = m.n.max(1);
    // labels: small enough to fit one per cell, at most ~40 written
    let cell = (h.min(w) as f64 - 140.0).max(10.0) / n as f64;
    let every = (n as f64 / 40.0).ceil().max(1.0) as usize;
    let font = ((cell * every as f64) * 0.9).clamp(7.0, TICKS as f64) as u32;
    let longest = m
        .labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1) as u32;
    let area = (longest * font * 6 / 10 + 30).clamp(50, 180);
    let labels = m.labels;
    let lab = |v: &SegmentValue<i32>, flip: bool| match v {
        SegmentValue::CenterOf(i) => {
            // every `every`-th label from row/column 0
            let k = if flip {
                n - 1 - *i as usize
            } else {
                *i as usize
            };
            match labels.get(k) {
                // a rotated label is centred on its tick: leading spaces
                // (about half a character wide each) move it below the axis
                Some(l) if k.is_multiple_of(every) && !flip => {
                    format!("{}{l}", " ".repeat(2 * l.chars().count() + 1))
                }
                Some(l) if k.is_multiple_of(every) => l.clone(),
                _ => String::new(),
            }
        }
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(&main)
        .margin(10)
        .x_label_area_size(area)
        .y_label_area_size(area)
        .build_cartesian_2d(
            (0..n as i32 - 1).into_segmented(),
            (0..n as i32 - 1).into_segmented(),
        )?;
    chart.draw_series((0..n * n).map(|k| {
        let (row, col) = (k / n, k % n);
        // row 0 at the top: the y axis counts from the bottom
        let (i, j) = (col as i32, (n - 1 - row) as i32);
        let c = match m.values.get(k).and_then(|v| scale.fraction(*v)) {
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
    // axes and labels over the cells (a label must not be hidden)
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(m.axis)
        .y_desc(m.axis)
        .x_labels(n)
        .y_labels(n)
        .axis_desc_style(("sans-serif", AXIS))
        .x_label_style(
            TextStyle::from(
                ("sans-serif", font)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            )),
        )
        .y_label_style(("sans-serif", font))
        .x_label_formatter(&|v| lab(v, false))
        .y_label_formatter(&|v| lab(v, true))
        .draw()?;
    // the colour bar, with its title and readable numbers
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(10)
        .margin_bottom(area as i32 + 10)
        .margin_right(10)
        .y_label_area_size(85)
        .build_cartesian_2d(0.0..1.0, scale.lo..scale.hi)?;
    let step = (scale.hi - scale.lo) / 8.0;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(if scale.empty() || scale.single.is_some() {
            0
        } else {
            8
        })
        .y_desc(m.bar)
        .axis_desc_style(("sans-serif", AXIS))
        .label_style(("sans-serif", TICKS))
        .y_label_formatter(&|v| tick(*v, step))
        .draw()?;
    let steps = 100;
    let (lo, span) = (scale.lo, scale.hi - scale.lo);
    cb.draw_series((0..steps).map(|s| {
        let a = lo + span * s as f64 / steps as f64;
        let b = lo + span * (s + 1) as f64 / steps as f64;
        let c = if scale.empty() {
            GREY_CELL
        } else if scale.single.is_some() {
            viridis(0.5)
        } else {
            viridis(s as f64 / steps as f64)
        };
        Rectangle::new([(0.0, a), (1.0, b)], c.filled())
    }))?;
    if let Some(v) = scale.single.filter(|_| m.range.is_none()) {
        bar.draw_text(
            &short(v),
            &("sans-serif", TICKS).into_text_style(&bar),
            (4, 4),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(m: &Matrix, size: (u32, u32)) -> image::RgbImage {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.png");
        {
            let root = BitMapBackend::new(&path, size).into_drawing_area();
            root.fill(&WHITE).unwrap();
            draw(&root, m).unwrap();
            root.present().unwrap();
        }
        image::open(&path).unwrap().to_rgb8()
    }

    /// The diagonal (1) in the top colour, row 0 at the top left; a NaN
    /// cell grey; 76 labels drawn without failing.
    #[test]
    fn a_matrix_puts_row_zero_on_top_and_greys_nan() {
        let n = 3;
        let mut v = vec![-1.0; n * n];
        for i in 0..n {
            v[i * n + i] = 1.0;
        }
        v[n - 1] = f64::NAN; // row 0, last column
        let labels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let m = Matrix {
            title: "FC",
            notes: vec![],
            values: &v,
            n,
            labels: &labels,
            axis: "region",
            bar: "Pearson r",
            range: Some((-1.0, 1.0)),
        };
        let img = render(&m, (600, 600));
        let top = viridis(1.0);
        let low = viridis(0.0);
        let at = |c: RGBColor| -> Vec<(u32, u32)> {
            img.enumerate_pixels()
                // the cells: under the title and notes, left of the bar
                .filter(|(x, y, p)| *x < 470 && *y > 70 && p.0 == [c.0, c.1, c.2])
                .map(|(x, y, _)| (x, y))
                .collect()
        };
        let hi = at(top);
        assert!(!hi.is_empty() && !at(low).is_empty() && !at(GREY_CELL).is_empty());
        // the diagonal cells span the matrix: row 0 is on top, the grey
        // cell (row 0, last column) top right, row 1 column 0 is −1
        let (x0, x1) = (
            hi.iter().map(|p| p.0).min().unwrap(),
            hi.iter().map(|p| p.0).max().unwrap(),
        );
        let (y0, y1) = (
            hi.iter().map(|p| p.1).min().unwrap(),
            hi.iter().map(|p| p.1).max().unwrap(),
        );
        let (cw, ch) = ((x1 - x0) as f64 / 3.0, (y1 - y0) as f64 / 3.0);
        let centre = |row: f64, col: f64| {
            let p = img.get_pixel(
                x0 + (cw * (col + 0.5)) as u32,
                y0 + (ch * (row + 0.5)) as u32,
            );
            RGBColor(p.0[0], p.0[1], p.0[2])
        };
        assert_eq!(centre(0.0, 0.0), top);
        assert_eq!(centre(0.0, 2.0), GREY_CELL);
        assert_eq!(centre(1.0, 0.0), low);
        assert_eq!(centre(2.0, 2.0), top);
        let labels: Vec<String> = (0..76).map(|i| format!("r{i}")).collect();
        let v = vec![0.5; 76 * 76];
        let m = Matrix {
            labels: &labels,
            values: &v,
            n: 76,
            range: None,
            ..m
        };
        render(&m, (900, 800));
    }
}
