//! What produced a recording, read from the run's graph: the actors
//! upstream of the recorder's inputs. Every partition of a run holds the
//! same graph, so a recorder finds its producers also when they run in
//! another process.
//!
//! * a series that comes (through monitors) from a `mean_field` gets the
//!   mean field's connectome and its fully resolved parameters (every
//!   value of the model, per region; the coupling's), resolved by the code
//!   the actor itself uses ([`crate::mean_field::mean_field_parts`]);
//! * the monitors on the way say how the series' times are to be read;
//! * spikes from a `spiking_network` or an `external` actor get the map of
//!   their senders: neurons are numbered region after region (in the order
//!   of `regions`), populations in the order of `populations` (by name).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use brainstream_runtime::graph::{ActorDesc, GraphDesc, GraphSource};
use brainstream_runtime::{BuildCtx, Params, RunContext};

/// The run's graph, as the recorder's partition read it.
pub struct Graph {
    desc: GraphDesc,
    base_dir: PathBuf,
}

/// The graph of a run, from its context: the text recorded as provenance
/// (the file, then one `# --set` line per override).
pub fn graph(ctx: &RunContext) -> Option<Graph> {
    let mut text: &str = &ctx.graph_text;
    let mut overrides = vec![];
    while let Some(k) = text.rfind("\n# --set ") {
        let line = &text[k + "\n# --set ".len()..];
        if line.contains('\n') {
            break;
        }
        overrides.insert(0, line.to_string());
        text = &text[..k];
    }
    let src = GraphSource {
        path: ctx.graph_path.clone(),
        text: text.to_string(),
        json: ctx
            .graph_path
            .as_deref()
            .and_then(Path::extension)
            .is_some_and(|e| e == "json"),
        overrides,
    };
    let desc = src.parse().ok()?;
    Some(Graph {
        desc,
        base_dir: src.base_dir(),
    })
}

impl Graph {
    fn actor(&self, name: &str) -> Option<&ActorDesc> {
        self.desc.actors.get(name)
    }

    /// `(actor, port)` of the one edge into `actor.port`, if exactly one.
    fn producer(&self, actor: &str, port: &str) -> Option<(String, String)> {
        let to = format!("{actor}.{port}");
        let mut from = self.desc.edges.iter().filter(|e| e.to == to);
        let e = from.next()?;
        if from.next().is_some() {
            return None;
        }
        let (a, p) = e.from.split_once('.')?;
        Some((a.to_string(), p.to_string()))
    }

    /// The actors a series into `me.input` went through, nearest first,
    /// following single `input` edges up to the first actor that is not a
    /// monitor (a `mean_field`, a network, a transformer...).
    pub fn series_chain(&self, me: &str) -> Vec<(String, &ActorDesc)> {
        let mut chain = vec![];
        let mut at = me.to_string();
        for _ in 0..32 {
            let Some((a, _)) = self.producer(&at, "input") else {
                break;
            };
            let Some(d) = self.actor(&a) else { break };
            chain.push((a.clone(), d));
            if !matches!(d.kind.as_str(), "temporal_average" | "subsample" | "bold") {
                break;
            }
            at = a;
        }
        chain
    }

    /// The resolved configuration of mean field `name`, shared by every
    /// recorder of this process that asks for the same one while another
    /// still holds it ([`shared_parts`]).
    pub fn mean_field(
        &self,
        name: &str,
        dt_ms: f64,
        duration_ms: f64,
    ) -> Option<Arc<crate::mean_field::MeanFieldParts>> {
        let d = self.actor(name)?;
        let key = PartsKey {
            name: name.to_string(),
            params: d.params.clone(),
            base_dir: self.base_dir.clone(),
            dt_bits: dt_ms.to_bits(),
            duration_bits: duration_ms.to_bits(),
        };
        shared_parts(key, || {
            let ctx = BuildCtx {
                name,
                params: Params::new(&d.params, crate::mean_field::KIND.params, &self.base_dir),
                dt_ms,
                duration_ms,
            };
            crate::mean_field::mean_field_parts(&ctx).ok()
        })
    }

    /// Who numbers the spikes into `me.spikes`: the producer, its kind,
    /// regions and populations (name, size), when it is a network.
    pub fn spike_map(&self, me: &str) -> Option<SpikeMap> {
        let (a, port) = self.producer(me, "spikes")?;
        let d = self.actor(&a)?;
        if port != "spikes" || !matches!(d.kind.as_str(), "spiking_network" | "external") {
            return None;
        }
        let spec = match d.kind.as_str() {
            "spiking_network" => crate::spiking_network::KIND.params,
            _ => crate::external::KIND.params,
        };
        let p = Params::new(&d.params, spec, &self.base_dir);
        let (regions, populations) = crate::util::regions_and_populations(&p).ok()?;
        Some(SpikeMap {
            producer: a,
            kind: d.kind.clone(),
            regions,
            populations,
        })
    }
}

/// The numbering of a network's neurons.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeMap {
    pub producer: String,
    pub kind: String,
    pub regions: Vec<String>,
    /// (name, neurons per region), in numbering order.
    pub populations: Vec<(String, usize)>,
}

impl SpikeMap {
    /// One row per (region, population), in sender order: region, population,
    /// first sender id, size.
    pub fn rows(&self) -> Vec<(String, String, u64, u64)> {
        let mut rows = vec![];
        let mut first = 0u64;
        for r in &self.regions {
            for (p, n) in &self.populations {
                rows.push((r.clone(), p.clone(), first, *n as u64));
                first += *n as u64;
            }
        }
        rows
    }
    /// Number of neurons.
    pub fn neurons(&self) -> u64 {
        self.regions.len() as u64 * self.populations.iter().map(|p| p.1 as u64).sum::<u64>()
    }
}

/// How to read the times of a series that went through `chain` (nearest
/// actor first).
pub fn time_note(chain: &[(String, &ActorDesc)], dt_ms: f64) -> String {
    let int = |d: &ActorDesc, k: &str| d.params.get(k).and_then(|v| v.as_integer()).unwrap_or(0);
    let float = |d: &ActorDesc, k: &str| {
        d.params
            .get(k)
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
    };
    let Some((name, d)) = chain.first() else {
        return "time: as the producer stamped it; step·dt_ms is the end of the step a sample belongs to (the run's own clock)".into();
    };
    let offset = int(d, "offset_steps");
    let shift = if offset > 0 {
        format!(
            " Steps are counted from {offset} (offset_steps), so times are {} ms ahead of the run's own clock: tvb-library numbers its first step after the connectome's horizon, and offset_steps = horizon − 1 reproduces its time stamps. The run's clock is step·dt_ms (the `step` coordinate), the same in every file of the run.",
            brainstream_runtime::limits::short(offset as f64 * dt_ms)
        )
    } else {
        " step·dt_ms (the `step` coordinate) is the end of each sample on the run's own clock, the same in every file of the run.".into()
    };
    match d.kind.as_str() {
        "temporal_average" => format!(
            "time: the middle of each {} ms averaging window (tvb-library's TemporalAverage), from `{name}`.{shift}",
            float(d, "period_ms").map_or("period".into(), brainstream_runtime::limits::short)
        ),
        "subsample" => format!(
            "time: the time of each sample kept every {} ms (tvb-library's SubSample), from `{name}`.{shift}",
            float(d, "period_ms").map_or("period".into(), brainstream_runtime::limits::short)
        ),
        "bold" => format!(
            "time: the time of each BOLD sample (tvb-library's Bold), from `{name}`.{shift}"
        ),
        "mean_field" => format!(
            "time: the state after `step` steps of `{name}`, step·dt_ms from the start of the run (the first sample is the state after one step, at dt_ms)"
        ),
        _ => format!(
            "time: as `{name}` ({}) stamped it; step·dt_ms (the `step` coordinate) is the run's own clock, the same in every file of the run",
            d.kind
        ),
    }
}

/// What a mean field's resolution depends on: its name and parameters as
/// the graph gives them, the folder its files are relative to, dt and the
/// duration.
#[derive(PartialEq)]
struct PartsKey {
    name: String,
    params: toml::Table,
    base_dir: PathBuf,
    dt_bits: u64,
    duration_bits: u64,
}

/// Mean fields resolved for recordings, while a recorder holds them.
static RESOLVED: Mutex<Vec<(PartsKey, Weak<crate::mean_field::MeanFieldParts>)>> =
    Mutex::new(Vec::new());

/// The mean field of `key`, resolved by `resolve` unless another recorder
/// of this process holds it already. A graph's recorders start at the same
/// time on their own threads, and each wrote the same mean field's
/// connectome and parameters after resolving it again (parsing the
/// connectome, checking the configuration); now the first resolves it and
/// the others wait for it and take it (the lock is held while resolving).
/// An entry lives only as long as a recorder holds it (until its run ends),
/// so a later run, in which the files may have changed, resolves again.
fn shared_parts(
    key: PartsKey,
    resolve: impl FnOnce() -> Option<crate::mean_field::MeanFieldParts>,
) -> Option<Arc<crate::mean_field::MeanFieldParts>> {
    let mut held = RESOLVED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    held.retain(|(_, w)| w.strong_count() > 0);
    if let Some(p) = held
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, w)| w.upgrade())
    {
        return Some(p);
    }
    let parts = Arc::new(resolve()?);
    held.push((key, Arc::downgrade(&parts)));
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorders_share_a_resolved_mean_field_while_one_holds_it() {
        let src = GraphSource {
            path: None,
            text: "[simulation]\ndt_ms = 0.1\nduration_ms = 10.0\n\n[actors.shared_parts_brain]\nkind = \"mean_field\"\nmodel = \"ReducedWongWang\"\n".into(),
            json: false,
            overrides: vec![],
        };
        let g = Graph {
            desc: src.parse().expect("the graph"),
            base_dir: src.base_dir(),
        };
        let name = "shared_parts_brain";
        let a = g.mean_field(name, 0.1, 10.0).expect("resolved");
        let b = g.mean_field(name, 0.1, 10.0).expect("resolved");
        assert!(Arc::ptr_eq(&a, &b), "the second recorder takes the first's");
        let other = g.mean_field(name, 0.1, 20.0).expect("resolved");
        assert!(
            !Arc::ptr_eq(&a, &other),
            "another duration is resolved on its own"
        );
        assert_eq!(a.cfg.connectivity.n, 76);
        let held = Arc::downgrade(&a);
        drop((a, b));
        assert!(
            held.upgrade().is_none(),
            "nothing is kept once no recorder holds it"
        );
        let again = g.mean_field(name, 0.1, 10.0).expect("resolved again");
        assert_eq!(again.cfg.connectivity.n, 76);
    }
}
