//! `spike_stats`: statistics of a spiking network's trains per population
//! of each region, over analysis windows after a transient — the rate, CV
//! of the ISIs, Fano factor, pairwise correlation and synchrony that
//! tvb-multiscale users get from Elephant (definitions, units and the
//! Elephant 1.2 functions they reproduce:
//! [`brainstream_models::analysis::spike_stats`]).
//!
//! Senders are numbered as `spiking_network` numbers its neurons: region
//! major, populations (ordered by name) within a region. The analysis
//! windows are `[t_start + k·period, t_start + (k+1)·period)` for every
//! `k` whose window ends by `t_stop` (one window `[t_start, t_stop)`
//! without `period`; a remainder shorter than a period is not analysed),
//! on the spikes' times. Window `k` gives one sample stamped at the first
//! step whose end reaches the window's end, `⌈end/dt⌉`: every spike before
//! the end has arrived by then. Output: variables `rate` (Hz), `cv_isi`,
//! `fano`, `corr`, `sync` (dimensionless), nodes `region.population`.

use std::sync::Arc;

use brainstream_models::analysis::spike_stats::{PopulationSummary, SpikeStats, SpikeStatsConfig};
use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Footprint, Inputs, KindSpec, Outputs,
    ParamSpec, ParamType, Payload, PlanCtx, PortDecl, PortShape, PortType, Series, SeriesMeta,
    WindowInfo,
};
use ndarray::Array3;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "regions",
        ty: ParamType::StrList,
        default: DefaultValue::Required,
        range: None,
        unit: "",
        doc: "Region labels, in the senders' order (the network's `regions`)",
    },
    ParamSpec {
        name: "populations",
        ty: ParamType::Table,
        default: DefaultValue::Required,
        range: None,
        unit: "neurons",
        doc: "Population sizes per region, e.g. { E = 800, I = 200 } (the network's `populations`)",
    },
    ParamSpec {
        name: "t_start_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(0.0),
        range: Some((0.0, 1e12)),
        unit: "ms",
        doc: "Start of the analysis (included): the transient before it is left out",
    },
    ParamSpec {
        name: "t_stop_ms",
        ty: ParamType::Float,
        default: DefaultValue::Optional,
        range: Some((0.0, 1e12)),
        unit: "ms",
        doc: "End of the analysis (excluded), at most the run's duration; default: the run's end",
    },
    ParamSpec {
        name: "period_ms",
        ty: ParamType::Float,
        default: DefaultValue::Optional,
        range: Some((1e-9, 1e12)),
        unit: "ms",
        doc: "Length of successive analysis windows, one sample each; default: one window [t_start, t_stop)",
    },
    ParamSpec {
        name: "bin_ms",
        ty: ParamType::Float,
        default: DefaultValue::Float(5.0),
        range: Some((1e-9, 1e12)),
        unit: "ms",
        doc: "Bin of the counts correlated (corr) and compared (sync), as Elephant's BinnedSpikeTrain bin_size",
    },
    ParamSpec {
        name: "corr_neurons",
        ty: ParamType::Int,
        default: DefaultValue::Int(100),
        range: Some((2.0, 2000.0)),
        unit: "neurons",
        doc: "Neurons per population whose pairs are correlated (the first ones of each population)",
    },
    ParamSpec {
        name: "binary",
        ty: ParamType::Bool,
        default: DefaultValue::Bool(false),
        range: None,
        unit: "",
        doc: "Clip binned counts to 1 before correlating (Elephant's binary)",
    },
    ParamSpec {
        name: "cv_min_spikes",
        ty: ParamType::Int,
        default: DefaultValue::Int(2),
        range: Some((2.0, 1e9)),
        unit: "spikes",
        doc: "Fewest spikes in a window for a neuron to enter the mean CV of its ISIs",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "spike_stats",
    doc: "Spike-train statistics per population of each region over analysis windows after a transient: rate (Hz), CV of ISIs, Fano factor, mean pairwise correlation of binned counts, Golomb synchrony (Elephant's definitions)",
    params: PARAMS,
    inputs: &[PortDecl { name: "spikes", ty: PortType::Spikes, doc: "a network's spikes, senders numbered region-major", end_stamped: false }],
    outputs: &[PortDecl { name: "stats", ty: PortType::Series, doc: "one sample per analysis window: variables rate, cv_isi, fano, corr, sync; nodes region.population", end_stamped: false }],
    build,
};

struct SpikeStatsActor {
    name: String,
    /// (region, population) group sizes, group = region · populations + population
    sizes: Vec<usize>,
    firsts: Vec<usize>,
    total: usize,
    t_start: f64,
    period: f64,
    windows: u64,
    /// the window being filled and its index
    current: Option<(u64, SpikeStats)>,
    /// whether the first window was opened (at the first step)
    opened: bool,
    proto: SpikeStatsConfig,
    dt: f64,
    meta: Arc<SeriesMeta>,
}

/// A located error for parameter `key`.
fn at(key: &str, msg: String) -> BuildError {
    BuildError::at(key, msg)
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let (regions, pops) = crate::util::regions_and_populations(p)?;
    let t_start = p.f64("t_start_ms")?;
    let t_stop = p.opt_f64("t_stop_ms")?.unwrap_or(ctx.duration_ms);
    // a stop within 1e-9 ms of the run's end is the run's end
    if t_stop > ctx.duration_ms + 1e-9 {
        return Err(at(
            "t_stop_ms",
            format!(
                "{t_stop} ms is after the run's end ({} ms)",
                ctx.duration_ms
            ),
        )
        .hint("leave it out to analyse up to the end of the run"));
    }
    if t_stop <= t_start {
        return Err(at(
            "t_start_ms",
            format!("the analysis starts at {t_start} ms, not before its end ({t_stop} ms)"),
        )
        .hint("t_start_ms must be below t_stop_ms (or the run's duration)"));
    }
    let span = t_stop - t_start;
    let period = p.opt_f64("period_ms")?.unwrap_or(span);
    let windows = ((span + 1e-9) / period).floor();
    if windows < 1.0 {
        return Err(at(
            "period_ms",
            format!("a period of {period} ms is longer than the analysis [{t_start}, {t_stop}) ms"),
        ));
    }
    if windows > 1e6 {
        return Err(at(
            "period_ms",
            format!("{windows} analysis windows of {period} ms: more than 10^6 samples"),
        )
        .hint("use a longer period"));
    }
    let bin = p.f64("bin_ms")?;
    let proto = SpikeStatsConfig {
        t_start_ms: t_start,
        t_stop_ms: t_start + period,
        bin_ms: bin,
        corr_neurons: p.i64("corr_neurons")? as usize,
        binary: p.bool("binary")?,
        cv_min_spikes: p.i64("cv_min_spikes")? as usize,
    };
    let n_bins = proto.n_bins();
    if n_bins < 2 {
        return Err(at(
            "bin_ms",
            format!("bins of {bin} ms give {n_bins} bin(s) in an analysis window of {period} ms; correlations need at least 2"),
        ));
    }
    if n_bins > 10_000_000 {
        return Err(at(
            "bin_ms",
            format!("bins of {bin} ms give {n_bins} bins per analysis window, more than 10^7"),
        )
        .hint("use larger bins or a shorter period"));
    }
    let (names, pop_sizes): (Vec<String>, Vec<usize>) = pops.into_iter().unzip();
    let mut sizes = vec![];
    let mut firsts = vec![];
    let mut nodes = vec![];
    let mut first = 0;
    for r in &regions {
        for (n, s) in names.iter().zip(&pop_sizes) {
            nodes.push(format!("{r}.{n}"));
            sizes.push(*s);
            firsts.push(first);
            first += s;
        }
    }
    let mut meta = SeriesMeta::new(
        PopulationSummary::NAMES.map(String::from).to_vec(),
        nodes,
        "",
    );
    meta.units = PopulationSummary::UNITS.map(String::from).to_vec();
    Ok(Box::new(SpikeStatsActor {
        name: ctx.name.to_string(),
        total: first,
        sizes,
        firsts,
        t_start,
        period,
        windows: windows as u64,
        current: None,
        opened: false,
        proto,
        dt: ctx.dt_ms,
        meta: Arc::new(meta),
    }))
}

impl SpikeStatsActor {
    /// The configuration of analysis window `k`.
    fn window(&self, k: u64) -> SpikeStatsConfig {
        SpikeStatsConfig {
            t_start_ms: self.t_start + k as f64 * self.period,
            t_stop_ms: self.t_start + (k + 1) as f64 * self.period,
            ..self.proto.clone()
        }
    }

    /// The step stamping a window ending at `end_ms`: the first step whose
    /// end reaches it.
    fn stamp_of(&self, end_ms: f64) -> u64 {
        (end_ms / self.dt - 1e-9).ceil().max(1.0) as u64
    }

    /// Appends the sample of the current window and opens the next one.
    fn close(&mut self, rows: &mut Vec<(u64, Vec<f64>)>) {
        if let Some((k, s)) = self.current.take() {
            let stamp = self.stamp_of(s.config().t_stop_ms);
            let mut vals = vec![0.0; PopulationSummary::NAMES.len() * self.sizes.len()];
            let n = self.sizes.len();
            for (g, r) in s.summary().iter().enumerate() {
                for (v, x) in r.values().iter().enumerate() {
                    vals[v * n + g] = *x;
                }
            }
            rows.push((stamp, vals));
            if k + 1 < self.windows {
                self.current = Some((k + 1, SpikeStats::new(self.window(k + 1), &self.sizes)));
            }
        }
    }
}

impl Actor for SpikeStatsActor {
    fn plan(&self, ctx: &PlanCtx) -> Result<Footprint, BuildError> {
        if let Some(n) = ctx.input("spikes").and_then(|s| s.nodes) {
            if n != self.total {
                return Err(BuildError::at(
                    "populations",
                    format!(
                        "the spikes come from {n} senders, but regions × populations hold {} neurons",
                        self.total
                    ),
                )
                .hint("give the network's own `regions` and `populations`"));
            }
        }
        let samples = self.windows as f64 / ctx.total_steps.max(1) as f64;
        Ok(Footprint {
            memory_bytes: SpikeStats::bytes(&self.proto, &self.sizes),
            outputs: vec![(
                "stats",
                PortShape::named_series(&self.meta.variables, &self.meta.nodes, samples),
            )],
            ..Default::default()
        })
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        if !self.opened {
            self.opened = true;
            self.current = Some((0, SpikeStats::new(self.window(0), &self.sizes)));
        }
        let mut rows = vec![];
        if let Some(sp) = crate::util::spikes(inputs, "spikes")? {
            for (s, &t) in sp.senders.iter().zip(&sp.times_ms) {
                let s = *s as usize;
                if s >= self.total {
                    return Err(ActorError::new(format!(
                        "`{}`: spike from sender {s}, but the populations hold {} neurons",
                        self.name, self.total
                    )));
                }
                while self
                    .current
                    .as_ref()
                    .is_some_and(|(_, st)| t >= st.config().t_stop_ms)
                {
                    self.close(&mut rows);
                }
                let Some((_, st)) = &mut self.current else {
                    continue;
                };
                let c = st.config();
                if t < c.t_start_ms && t >= self.t_start {
                    return Err(ActorError::new(format!(
                        "`{}`: a spike at {t} ms came after the analysis window [{}, {}) ms was closed: spikes must arrive in time order",
                        self.name, c.t_start_ms, c.t_stop_ms
                    )));
                }
                let g = self.firsts.partition_point(|&f| f <= s) - 1;
                st.push(g, s - self.firsts[g], t);
            }
        }
        let last = w.start_step + w.n_steps;
        while self
            .current
            .as_ref()
            .is_some_and(|(_, st)| self.stamp_of(st.config().t_stop_ms) <= last)
        {
            self.close(&mut rows);
        }
        let (nv, nn) = (PopulationSummary::NAMES.len(), self.sizes.len());
        let stamps: Vec<u64> = rows.iter().map(|r| r.0).collect();
        let vals: Vec<f64> = rows.into_iter().flat_map(|r| r.1).collect();
        let data = Array3::from_shape_vec((stamps.len(), nv, nn), vals)
            .map_err(|e| ActorError::new(format!("`{}`: {e}", self.name)))?;
        out.set(
            "stats",
            Payload::Series(Arc::new(Series {
                times_ms: stamps.iter().map(|k| *k as f64 * w.dt_ms).collect(),
                stamps,
                data,
                meta: self.meta.clone(),
            })),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream_runtime::{Params, Spikes};

    fn make(extra: &str, duration_ms: f64) -> Result<Box<dyn Actor>, BuildError> {
        let t: toml::Table = toml::from_str(&format!(
            "regions = [\"a\", \"b\"]\npopulations = {{ E = 4, I = 2 }}\n{extra}"
        ))
        .unwrap();
        let params = Params::new(&t, KIND.params, std::path::Path::new("."));
        assert!(params.check().is_empty(), "{:?}", params.check());
        build(&BuildCtx {
            name: "st",
            params,
            dt_ms: 0.1,
            duration_ms,
        })
    }

    fn window(a: &mut Box<dyn Actor>, index: u64, spikes: &[(u32, f64)]) -> Series {
        let sp = Spikes {
            senders: spikes.iter().map(|s| s.0).collect(),
            stamps: spikes
                .iter()
                .map(|s| (s.1 / 0.1).round() as u64 - 1)
                .collect(),
            times_ms: spikes.iter().map(|s| s.1).collect(),
        };
        let mut out = Outputs::default();
        let w = WindowInfo {
            index,
            start_step: index * 100,
            n_steps: 100,
            dt_ms: 0.1,
        };
        a.step(
            &w,
            &Inputs::from_pairs([("spikes", Payload::Spikes(Arc::new(sp)))]),
            &mut out,
        )
        .unwrap();
        out.take("stats").unwrap().as_series().unwrap().clone()
    }

    #[test]
    fn periodic_windows_give_one_sample_each_at_their_end() {
        // windows [5, 10) and [10, 15) ms; 20 ms run of windows of 10 ms
        let mut a = make(
            "t_start_ms = 5.0\nperiod_ms = 5.0\nt_stop_ms = 17.0\nbin_ms = 1.0",
            20.0,
        )
        .map_err(|e| e.message)
        .unwrap();
        // a.E is senders 0..4, b.I senders 10..12
        let s0 = window(
            &mut a,
            0,
            &[(0, 1.0), (0, 6.0), (0, 8.0), (11, 9.9), (0, 10.0)],
        );
        assert_eq!(s0.stamps, vec![100], "window [5, 10) closes at step 100");
        assert_eq!(s0.meta.nodes[0], "a.E");
        assert_eq!(s0.meta.nodes[3], "b.I");
        assert_eq!(s0.meta.variables[0], "rate");
        // a.E: 2 spikes (6, 8) of 4 neurons in 5 ms = 100 Hz; b.I: 1 of 2 = 100 Hz
        assert!((s0.data[[0, 0, 0]] - 100.0).abs() < 1e-9);
        assert!((s0.data[[0, 0, 3]] - 100.0).abs() < 1e-9);
        assert_eq!(s0.data[[0, 0, 1]], 0.0);
        // the spike at 10 ms went to [10, 15); its one ISI (from 8) is not counted
        let s1 = window(&mut a, 1, &[(0, 12.0), (0, 14.0), (0, 16.0)]);
        assert_eq!(s1.stamps, vec![150]);
        assert!((s1.data[[0, 0, 0]] - 3.0 / (4.0 * 5e-3)).abs() < 1e-9);
        // ISIs (2, 2) of neuron 0 in [10, 15): CV 0
        assert_eq!(s1.data[[0, 1, 0]], 0.0);
        // [15, 17) is shorter than a period: no third sample
        let s2 = window(&mut a, 1, &[]);
        assert!(s2.stamps.is_empty());
    }

    #[test]
    fn bad_parameters_are_located() {
        let key = |extra: &str| make(extra, 100.0).err().map(|e| (e.key, e.message));
        let (k, m) = key("t_stop_ms = 200.0").unwrap();
        assert_eq!(k, "t_stop_ms");
        assert!(m.contains("after the run's end"), "{m}");
        assert_eq!(key("t_start_ms = 100.0").unwrap().0, "t_start_ms");
        assert_eq!(key("period_ms = 150.0").unwrap().0, "period_ms");
        assert_eq!(key("bin_ms = 60.0").unwrap().0, "bin_ms");
        assert!(key("bin_ms = 50.0").is_none());
        let a = make("", 100.0).map_err(|e| e.message).unwrap();
        let shape = PortShape::spikes(10, 1.0);
        let inputs = [("spikes", shape)];
        let e = a
            .plan(&PlanCtx {
                dt_ms: 0.1,
                total_steps: 1000,
                window_steps: 10,
                inputs: &inputs,
            })
            .err()
            .unwrap();
        assert_eq!(e.key, "populations");
        assert!(e.message.contains("10 senders"), "{}", e.message);
    }

    #[test]
    fn unknown_senders_are_refused() {
        let mut a = make("", 100.0).map_err(|e| e.message).unwrap();
        let sp = Spikes {
            senders: vec![12],
            stamps: vec![0],
            times_ms: vec![0.1],
        };
        let w = WindowInfo {
            index: 0,
            start_step: 0,
            n_steps: 10,
            dt_ms: 0.1,
        };
        let e = a
            .step(
                &w,
                &Inputs::from_pairs([("spikes", Payload::Spikes(Arc::new(sp)))]),
                &mut Outputs::default(),
            )
            .err()
            .unwrap();
        assert!(e.0.contains("sender 12"), "{}", e.0);
    }
}
