//! `fc_plot`: the functional connectivity of a series as a figure — the
//! Pearson correlation of every pair of nodes' signals (one variable),
//! after `transient_ms`, drawn as a matrix with the region labels on both
//! axes and a colour bar over [−1, 1] (`OUT/<name>.png`, or `.svg`),
//! written at the end of the run. A node whose signal is constant has no
//! correlation: its row and column are grey, and the figure says so.

use std::path::PathBuf;

use brainstream_models::analysis::fc::StreamingFc;
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
        doc: "Title (default: \"functional connectivity of VARIABLE\")",
    },
    ParamSpec {
        name: "variable",
        ty: ParamType::Str,
        default: DefaultValue::Optional,
        range: None,
        unit: "",
        doc: "Series variable whose FC is drawn (default: the first)",
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
    name: "fc_plot",
    doc: "Functional connectivity (Pearson correlation between nodes) of a series, as a matrix with region labels, PNG or SVG, written at the end of the run",
    params: PARAMS,
    inputs: &[PortDecl { name: "series", ty: PortType::Series, doc: "the series (e.g. a temporal average or BOLD)", end_stamped: false }],
    outputs: &[],
    build,
};

struct FcPlot {
    name: String,
    title: Option<String>,
    variable: Option<String>,
    transient_ms: f64,
    size: (u32, u32),
    format: Format,
    path: Option<PathBuf>,
    /// variable index, node labels, once the first window came
    var: Option<(usize, String)>,
    labels: Vec<String>,
    fc: Option<StreamingFc>,
    /// times of the first and last sample used, ms
    span: Option<(f64, f64)>,
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
    Ok(Box::new(FcPlot {
        name: ctx.name.to_string(),
        title: p.opt_str("title")?,
        variable: p.opt_str("variable")?,
        transient_ms,
        size: (p.i64("width")? as u32, p.i64("height")? as u32),
        format: Format::from_params(p)?,
        path: None,
        var: None,
        labels: vec![],
        fc: None,
        span: None,
    }))
}

impl FcPlot {
    /// The full matrix, row-major: 1 on the diagonal of a node that varies,
    /// NaN for a constant node's row and column.
    fn matrix(&self) -> Vec<f64> {
        let n = self.labels.len();
        let mut m = vec![f64::NAN; n * n];
        let Some(fc) = &self.fc else {
            return m;
        };
        let up = fc.upper();
        let mut k = 0;
        for i in 0..n {
            for j in i + 1..n {
                m[i * n + j] = up[k];
                m[j * n + i] = up[k];
                k += 1;
            }
        }
        for i in 0..n {
            // a node with any finite correlation varies
            let varies = (0..n).any(|j| j != i && m[i * n + j].is_finite());
            m[i * n + i] = if varies || n == 1 { 1.0 } else { f64::NAN };
        }
        m
    }
}

impl Figure for FcPlot {
    fn render<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let var = self.var.as_ref().map_or("", |v| v.1.as_str());
        let title = self
            .title
            .clone()
            .unwrap_or_else(|| format!("functional connectivity of {var}"));
        let count = self.fc.as_ref().map_or(0, |f| f.count());
        let mut notes = vec![match self.span {
            Some((a, b)) => format!(
                "Pearson correlation over {}–{} ms ({count} samples)",
                short(a),
                short(b)
            ),
            None => "no sample".to_string(),
        }];
        if self.transient_ms > 0.0 {
            notes.push(format!("first {} ms left out", short(self.transient_ms)));
        }
        let values = self.matrix();
        plot_matrix::draw(
            root,
            &Matrix {
                title: &title,
                notes,
                values: &values,
                n: self.labels.len(),
                labels: &self.labels,
                axis: "region",
                bar: "Pearson r",
                range: Some((-1.0, 1.0)),
            },
        )
    }
}

impl Actor for FcPlot {
    /// Checks `variable` where the producer names its variables; keeps N²
    /// sums.
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        let s = ctx.input("series");
        if let (Some(v), Some(names)) = (&self.variable, s.and_then(|s| s.names.as_ref())) {
            resolve_variable(v, &names.variables)?;
        }
        let n = s.and_then(|s| s.nodes).unwrap_or(0) as f64;
        Ok(Footprint {
            memory_bytes: n * (n + 3.0) / 2.0 * 8.0,
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
            self.labels = s.meta.nodes.clone();
            self.fc = Some(StreamingFc::new(s.meta.nodes.len()));
        }
        let (Some((v, _)), Some(fc)) = (&self.var, &mut self.fc) else {
            return Ok(());
        };
        let nn = s.data.shape()[2];
        if nn != self.labels.len() {
            return Err(ActorError::new(format!(
                "`{}`: the series changed from {} to {nn} nodes",
                self.name,
                self.labels.len()
            )));
        }
        let mut row = vec![0.0; nn];
        for k in 0..s.len() {
            let t = s.times_ms[k];
            if t < self.transient_ms {
                continue;
            }
            for (i, x) in row.iter_mut().enumerate() {
                *x = s.data[[k, *v, i]];
            }
            fc.push(&row);
            self.span = Some((self.span.map_or(t, |a| a.0), t));
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

    fn plot() -> FcPlot {
        FcPlot {
            name: "fc".into(),
            title: None,
            variable: Some("x".into()),
            transient_ms: 10.0,
            size: (500, 450),
            format: Format::Png,
            path: None,
            var: None,
            labels: vec![],
            fc: None,
            span: None,
        }
    }

    /// Three regions: b follows a, c opposes it, d is constant; samples
    /// before the transient (wild values) are left out.
    #[test]
    fn fc_is_the_correlation_of_the_chosen_variable_after_the_transient() {
        let mut p = plot();
        let meta = Arc::new(SeriesMeta::new(
            vec!["y".into(), "x".into()],
            ["a", "b", "c", "d"].map(String::from).to_vec(),
            "1",
        ));
        let k = 100;
        let data = Array3::from_shape_fn((k, 2, 4), |(t, v, n)| {
            let a = (t as f64 * 0.3).sin();
            if t < 9 {
                // before the transient (times 1 to 9 ms)
                return 1e3 * (n as f64 + 1.0) * (t as f64).cos();
            }
            match (v, n) {
                (0, _) => 5.0,
                (_, 0) => a,
                (_, 1) => 2.0 * a + 1.0,
                (_, 2) => -a,
                _ => 7.0,
            }
        });
        let s = Series {
            stamps: (1..=k as u64).collect(),
            times_ms: (1..=k).map(|t| t as f64).collect(),
            data,
            meta,
        };
        let inputs = Inputs::from_pairs([("series", Payload::Series(Arc::new(s)))]);
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: k as u64,
            dt_ms: 1.0,
        };
        p.step(&w, &inputs, &mut Outputs::default()).unwrap();
        let m = p.matrix();
        let at = |i: usize, j: usize| m[i * 4 + j];
        assert!((at(0, 1) - 1.0).abs() < 1e-12 && (at(1, 0) - 1.0).abs() < 1e-12);
        assert!((at(0, 2) + 1.0).abs() < 1e-12);
        assert!(at(0, 3).is_nan() && at(3, 3).is_nan());
        assert_eq!(at(0, 0), 1.0);
        assert_eq!(p.span, Some((10.0, 100.0)));
        // drawn, as SVG too
        let dir = tempfile::tempdir().unwrap();
        p.format = Format::Svg;
        let path = dir.path().join("fc.svg");
        plot_style::write(&p, &path, p.size, p.format).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("Pearson r") && text.contains("region"));
        assert!(text.contains("functional connectivity of x"));
    }

    #[test]
    fn a_transient_as_long_as_the_run_is_refused_there() {
        let table: toml::Table = toml::from_str("transient_ms = 500.0").unwrap();
        let ctx = BuildCtx {
            name: "fc",
            params: brainstream_runtime::Params::new(&table, PARAMS, std::path::Path::new(".")),
            dt_ms: 0.1,
            duration_ms: 500.0,
        };
        let e = build(&ctx).err().unwrap();
        assert_eq!(e.key, "transient_ms");
        let table: toml::Table = toml::from_str("format = \"jpeg\"").unwrap();
        let ctx = BuildCtx {
            params: brainstream_runtime::Params::new(&table, PARAMS, std::path::Path::new(".")),
            ..ctx
        };
        let e = build(&ctx).err().unwrap();
        assert_eq!(e.key, "format");
        assert!(e.message.contains("png or svg"), "{}", e.message);
    }
}
