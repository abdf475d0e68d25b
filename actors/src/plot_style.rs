//! What the figures of the project share: the file format (PNG or SVG),
//! font sizes readable on a slide, the colours of lines (plotters' own
//! palette, chosen dark enough for a white page), a legend drawn beside the
//! data (never over it), and the choice of nodes by index or label.

use std::path::Path;

use brainstream_runtime::{BuildError, DefaultValue, ParamSpec, ParamType, Params};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::full_palette as fp;

/// The `format` parameter of every plot kind.
pub const FORMAT: ParamSpec = ParamSpec {
    name: "format",
    ty: ParamType::Str,
    default: DefaultValue::Str("png"),
    range: None,
    unit: "",
    doc: "File format: png (OUT/<name>.png) or svg (OUT/<name>.svg)",
};

/// Title, axis titles, tick labels and legend, px.
pub const TITLE: u32 = 24;
pub const AXIS: u32 = 19;
pub const TICKS: u32 = 15;
pub const LEGEND: u32 = 16;

/// A figure's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// The `format` parameter; anything but png or svg is refused there.
    pub fn from_params(p: &Params) -> Result<Self, BuildError> {
        match p.str("format")?.as_str() {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            other => Err(BuildError::at(
                "format",
                format!("unknown format `{other}`: png or svg"),
            )),
        }
    }

    /// The file name extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// What drawing returns.
pub type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// A figure that draws itself on any plotters backend.
pub trait Figure {
    /// Draws on `root`, already filled white.
    fn render<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Writes `fig` to `path` as `format`, `size` px (SVG: the same units).
pub fn write(fig: &impl Figure, path: &Path, size: (u32, u32), format: Format) -> DrawResult {
    match format {
        Format::Png => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            root.fill(&WHITE)?;
            fig.render(&root)?;
            root.present()?;
        }
        Format::Svg => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            root.fill(&WHITE)?;
            fig.render(&root)?;
            root.present()?;
        }
    }
    Ok(())
}

/// Colour of line `j`: plotters' material palette, ten colours distinct
/// on white (no yellow), then again.
pub fn line_color(j: usize) -> RGBColor {
    const C: [RGBColor; 10] = [
        fp::BLUE_700,
        fp::RED_700,
        fp::GREEN_700,
        fp::ORANGE_800,
        fp::PURPLE_500,
        fp::CYAN_800,
        fp::BROWN_500,
        fp::PINK_400,
        fp::GREY_800,
        fp::LIME_900,
    ];
    C[j % C.len()]
}

/// One row of a legend.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    pub label: String,
    pub color: RGBColor,
    /// Drawn dashed (a trace drawn over another it coincides with).
    pub dashed: bool,
}

/// Width a legend of `entries` needs beside the plot, px (0: none).
pub fn legend_width(entries: &[LegendEntry]) -> u32 {
    if entries.is_empty() {
        return 0;
    }
    let chars = entries
        .iter()
        .map(|e| e.label.chars().count())
        .max()
        .unwrap_or(0);
    (44 + chars as u32 * LEGEND * 6 / 10).clamp(90, 320)
}

/// Draws `entries` down `area` from `top` px: a short stroke of each colour
/// (dashed where the trace is) and its label; rows that do not fit are
/// counted in a last row ("+ 3 more").
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    top: i32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let row = LEGEND as i32 + 8;
    let (_, h) = area.dim_in_pixel();
    let fit = ((h as i32 - top) / row).max(1) as usize;
    let shown = if entries.len() > fit {
        fit - 1
    } else {
        entries.len()
    };
    let style = ("sans-serif", LEGEND).into_font().into_text_style(area);
    for (k, e) in entries.iter().take(shown).enumerate() {
        let y = top + k as i32 * row + row / 2;
        if e.dashed {
            for x in (6..30).step_by(8) {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + 4, y)],
                    e.color.stroke_width(3),
                ))?;
            }
        } else {
            area.draw(&PathElement::new(
                vec![(6, y), (32, y)],
                e.color.stroke_width(3),
            ))?;
        }
        area.draw_text(&e.label, &style, (38, y - LEGEND as i32 / 2))?;
    }
    if shown < entries.len() {
        let y = top + shown as i32 * row + 4;
        area.draw_text(
            &format!("+ {} more", entries.len() - shown),
            &style,
            (38, y),
        )?;
    }
    Ok(())
}

/// `notes` joined by "; " into lines of at most `width` px of legend text
/// (a note longer than a line stands alone on its line).
pub fn note_lines(notes: &[String], width: u32) -> Vec<String> {
    // sans-serif at LEGEND px: about 0.55 em per character
    let fit = (width as f64 / (LEGEND as f64 * 0.55)).max(10.0) as usize;
    let mut lines: Vec<String> = vec![];
    for n in notes {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 2 + n.chars().count() <= fit => {
                l.push_str("; ");
                l.push_str(n);
            }
            _ => lines.push(n.clone()),
        }
    }
    lines
}

/// Draws a figure's title and its note lines at the top of `area`;
/// returns the height they take, px.
pub fn draw_head<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    notes: &[String],
) -> Result<u32, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    area.draw_text(
        title,
        &("sans-serif", TITLE).into_font().into_text_style(area),
        (16, 8),
    )?;
    let lines = note_lines(notes, w.saturating_sub(32));
    let style = ("sans-serif", LEGEND)
        .into_font()
        .color(&RGBColor(80, 80, 80))
        .into_text_style(area);
    for (k, l) in lines.iter().enumerate() {
        area.draw_text(l, &style, (16, 38 + 22 * k as i32))?;
    }
    Ok(if lines.is_empty() {
        40
    } else {
        44 + 22 * lines.len() as u32
    })
}

/// A node chosen by index or by label (a `nodes` list of numbers and
/// strings, as `proxy_nodes`).
#[derive(Debug, Clone, PartialEq)]
pub enum NodeChoice {
    Index(usize),
    Label(String),
}

/// The list parameter `name` as node choices (its type is checked by the
/// kind's `ParamType::NodeList`).
pub fn node_choices(p: &Params, name: &str) -> Result<Option<Vec<NodeChoice>>, BuildError> {
    let Some(v) = p.raw(name) else {
        return Ok(None);
    };
    let toml::Value::Array(a) = v else {
        return Err(BuildError::at(
            name,
            "expected a list of node indices or labels",
        ));
    };
    a.iter()
        .enumerate()
        .map(|(k, x)| match x {
            toml::Value::Integer(i) if *i >= 0 => Ok(NodeChoice::Index(*i as usize)),
            toml::Value::String(s) => Ok(NodeChoice::Label(s.clone())),
            _ => Err(BuildError::at(
                format!("{name}[{k}]"),
                "expected a node index (≥ 0) or a region label",
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The indices of `choices` among `labels` (the series' nodes); the error
/// names `name[k]`, what the series has, and the closest label.
pub fn resolve_nodes(
    name: &str,
    choices: &[NodeChoice],
    labels: &[String],
) -> Result<Vec<usize>, BuildError> {
    choices
        .iter()
        .enumerate()
        .map(|(k, c)| match c {
            NodeChoice::Index(i) if *i < labels.len() => Ok(*i),
            NodeChoice::Index(i) => Err(BuildError::at(
                format!("{name}[{k}]"),
                format!(
                    "node {i} does not exist: the series into `series` has {}",
                    node_count(labels.len())
                ),
            )),
            NodeChoice::Label(l) => labels.iter().position(|x| x == l).ok_or_else(|| {
                let known: Vec<&str> = labels.iter().map(String::as_str).collect();
                let mut e = BuildError::at(
                    format!("{name}[{k}]"),
                    format!("no node labelled `{l}` in the series into `series`"),
                );
                if let Some(c) = brainstream_runtime::params::closest(l, &known) {
                    e = e.hint(format!("did you mean `{c}`?"));
                }
                e
            }),
        })
        .collect()
}

/// "no node", "1 node (node 0)", "76 nodes (0 to 75)".
pub fn node_count(n: usize) -> String {
    match n {
        0 => "no node".to_string(),
        1 => "1 node (node 0)".to_string(),
        n => format!("{n} nodes (0 to {})", n - 1),
    }
}

/// The position of variable `want` among `variables`; the error names the
/// key `variable`, what the series has and the closest name.
pub fn resolve_variable(want: &str, variables: &[String]) -> Result<usize, BuildError> {
    variables.iter().position(|v| v == want).ok_or_else(|| {
        let known: Vec<&str> = variables.iter().map(String::as_str).collect();
        let mut e = BuildError::at(
            "variable",
            format!(
                "no variable `{want}` in the series into `series` (it has {})",
                variables.join(", ")
            ),
        );
        if let Some(c) = brainstream_runtime::params::closest(want, &known) {
            e = e.hint(format!("did you mean `{c}`?"));
        }
        e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_resolve_by_index_and_label_with_located_errors() {
        let labels: Vec<String> = ["rA1", "rM1", "lM1"].map(String::from).to_vec();
        let ok = resolve_nodes(
            "nodes",
            &[NodeChoice::Label("lM1".into()), NodeChoice::Index(0)],
            &labels,
        )
        .unwrap();
        assert_eq!(ok, [2, 0]);
        let e = resolve_nodes("nodes", &[NodeChoice::Label("lM2".into())], &labels).unwrap_err();
        assert_eq!(e.key, "nodes[0]");
        assert!(e.message.contains("`lM2`"), "{e:?}");
        assert!(
            e.hint.as_deref().is_some_and(|h| h.contains("lM1")),
            "{e:?}"
        );
        let e = resolve_nodes(
            "nodes",
            &[NodeChoice::Index(1), NodeChoice::Index(9)],
            &labels,
        )
        .unwrap_err();
        assert_eq!(e.key, "nodes[1]");
        assert!(e.message.contains("3 nodes (0 to 2)"), "{e:?}");
        let e = resolve_variable("W", &["E".into(), "W_e".into()]).unwrap_err();
        assert_eq!(e.key, "variable");
        assert!(e.message.contains("E, W_e"), "{e:?}");
    }

    #[test]
    fn notes_wrap_to_the_width() {
        let n: Vec<String> = ["a".repeat(30), "b".repeat(30), "c".repeat(30)].to_vec();
        // 600 px hold about 68 characters: two notes, then one
        let l = note_lines(&n, 600);
        assert_eq!(l, [format!("{}; {}", n[0], n[1]), n[2].clone()]);
        assert_eq!(note_lines(&n, 3000).len(), 1);
        assert!(note_lines(&[], 600).is_empty());
    }

    #[test]
    fn legends_are_sized_to_their_labels() {
        let e = |l: &str| LegendEntry {
            label: l.into(),
            color: line_color(0),
            dashed: false,
        };
        assert_eq!(legend_width(&[]), 0);
        assert!(legend_width(&[e("rM1")]) < legend_width(&[e("r_lateralorbitofrontal")]));
        assert_ne!(line_color(0), line_color(1));
        assert_eq!(line_color(0), line_color(10));
    }
}
