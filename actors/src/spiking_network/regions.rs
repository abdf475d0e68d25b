//! `region_connections`: spiking regions connected to each other through a
//! connectome, as tvb-multiscale's spiking network builder connects its
//! region nodes (`nodes_connections`).
//!
//! ```toml
//! connectivity = "builtin:tvb76"   # default; rows are the receiving regions, as TVB's
//! speed_mm_per_ms = 3.0            # default
//! region_connections = [
//!   { from = "E", to = ["E", "I"], scale = 20.0, rule = "fixed_indegree", indegree = 10 },
//!   { from = "I", to = "E", scale = -5.0, source_regions = ["rM1"] },
//! ]
//! ```
//!
//! For every entry, every source region j of `source_regions` (default: all
//! the network's regions) and every target region i ≠ j of
//! `target_regions` (default: all) with a connectome weight w_ij ≠ 0 (row
//! i, column j: from j to i), each `from` population of j is connected to
//! each `to` population of i by `rule` (NEST's, as in `connections`), with
//!
//! * weight `scale`·w_ij (pA or nS, the model's unit; the sign chooses the
//!   synapse, as in `connections`), tvb-multiscale's `scale_tvb_weight`;
//! * delay d_ij = rint(L_ij / speed / dt) steps, TVB's delay (tvb-library's
//!   `numpy.rint`, half to even) on the network's grid, where NEST would
//!   round tvb-multiscale's `tvb_delay` L_ij / speed ms to it; a delay
//!   shorter than one step is refused, as tvb-multiscale's NEST builder
//!   refuses delays below the resolution;
//! * `receptor` (default 0), checked against the model, or `"source"`:
//!   receptor j + 1 with j the source region's index in the connectome
//!   (tvb-multiscale's `nodes_connections` `receptor_type` of its Deco 2014
//!   builder, one AMPA_ext receptor per connectome region: `iaf_cond_ww_deco`
//!   with `n_receptors` ≥ the connectome's regions);
//! * `synapse` (default static): `tsodyks2_synapse` or `stdp_synapse`, as
//!   in `connections` (every synapse with its own state; an `stdp_synapse`
//!   needs `scale` of Wmax's sign).
//!
//! Loops over (entry, source region, target region, `from`, `to`) in that
//! order, tvb-multiscale's: the draws of the random rules follow it.
//! Pairs of zero weight are no tract and are left out (tvb-multiscale
//! connects them with weight 0, which acts the same).

use brainstream_models::connectivity::Connectivity;
use brainstream_models::spiking::{NeuronInfo, Rule, Synapse};
use brainstream_runtime::{BuildError, Params};

use super::connections::{check_receptor, rule, synapse};
use super::{num, only};
use brainstream_models::spiking::Dist;

/// Default conduction speed, mm/ms (TVB's).
const DEFAULT_SPEED: f64 = 3.0;

/// The longest synaptic delay the network holds, steps.
const MAX_DELAY_STEPS: usize = 65534;

/// One population-to-population projection between two regions.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Link {
    /// `region_connections[k]`, for messages.
    pub at: String,
    /// Source and target populations, region-major indices (region·np + population).
    pub from: usize,
    pub to: usize,
    pub rule: Rule,
    /// `scale`·w_ij
    pub weight: f64,
    /// d_ij, steps ≥ 1
    pub delay_steps: usize,
    /// `None`: static synapses
    pub synapse: Option<Synapse>,
    /// NEST's receptor_type of the targets
    pub receptor: usize,
}

/// A `receptor` key: NEST's receptor_type, or numbered by the source
/// region (`"source"`: the source's index in the connectome + 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ReceptorSpec {
    Fixed(usize),
    Source,
}

impl ReceptorSpec {
    /// Parses `t.receptor` (default 0) of the table at `at`.
    pub(super) fn parse(t: &toml::Table, at: &str) -> Result<Self, BuildError> {
        match t.get("receptor") {
            None => Ok(Self::Fixed(0)),
            Some(toml::Value::String(s)) if s == "source" => Ok(Self::Source),
            Some(toml::Value::String(s)) => Err(BuildError::at(
                format!("{at}.receptor"),
                format!("unknown receptor `{s}`"),
            )
            .hint("a receptor number (NEST's receptor_type) or \"source\" (the source region's index in the connectome + 1)")),
            Some(_) => Ok(Self::Fixed(super::count(t, "receptor", at)?)),
        }
    }

    /// The receptor of a synapse from connectome region `source`.
    pub(super) fn of(self, source: usize) -> usize {
        match self {
            Self::Fixed(r) => r,
            Self::Source => source + 1,
        }
    }
}

/// The receptor of `background`'s synapses in each of the network's
/// regions: `background.receptor`, a number (default 0, every region), or
/// `"region"`: receptor i + 1 with i the region's own index in the
/// connectome `connectivity` (default builtin:tvb76), as tvb-multiscale's
/// Deco 2014 builder puts each region's 2400 Hz `spike_stimulus` on that
/// region's own AMPA_ext receptor (`receptor_type` = target node + 1).
/// Each receptor is checked against the model with the background's
/// `weight`, at `background.receptor`.
pub(super) fn background_receptors(
    p: &Params,
    model: &NeuronInfo,
    regions: &[String],
) -> Result<Vec<usize>, BuildError> {
    let Some(b) = p.table("background")? else {
        return Ok(vec![0; regions.len()]);
    };
    let weight = Dist::Constant(super::num(b, "weight", "background")?);
    match b.get("receptor") {
        None => Ok(vec![0; regions.len()]),
        Some(toml::Value::String(s)) if s == "region" => {
            let spec = p
                .opt_str("connectivity")?
                .unwrap_or_else(|| "builtin:tvb76".into());
            let conn = Connectivity::load(&spec, p.base_dir())
                .map_err(|e| BuildError::at("connectivity", e.to_string()))?;
            regions
                .iter()
                .map(|r| {
                    let i = conn.labels.iter().position(|l| l == r).ok_or_else(|| {
                        BuildError::at(
                            "background.receptor",
                            format!("receptor = \"region\": region `{r}` is not in the connectome {}", conn.source),
                        )
                        .hint("the regions' labels as `connectivity` (default builtin:tvb76) names them, or a receptor number")
                    })?;
                    check_receptor(model, i + 1, &weight, "background").map_err(|e| {
                        let m = format!(
                            "{} (receptor = \"region\": {r} is region {i} of the connectome {})",
                            e.message, conn.source
                        );
                        BuildError { message: m, ..e }
                    })?;
                    Ok(i + 1)
                })
                .collect()
        }
        Some(toml::Value::String(s)) => Err(BuildError::at(
            "background.receptor",
            format!("unknown receptor `{s}`"),
        )
        .hint("a receptor number (NEST's receptor_type) or \"region\" (the region's own index in the connectome + 1)")),
        Some(_) => {
            let r = super::count(b, "receptor", "background")?;
            check_receptor(model, r, &weight, "background")?;
            Ok(vec![r; regions.len()])
        }
    }
}

/// The parsed `region_connections`, ready to connect.
#[derive(Debug, Default)]
pub(super) struct Between {
    pub links: Vec<Link>,
}

/// What `parse` needs to know of the network.
pub(super) struct Context<'a> {
    pub params: &'a Params<'a>,
    pub model: &'static NeuronInfo,
    pub dt_ms: f64,
    pub pops: &'a [(String, usize)],
    pub regions: &'a [String],
    pub pop_index: &'a dyn Fn(&str, String) -> Result<usize, BuildError>,
}

impl Between {
    /// Parses `region_connections` with `connectivity` and
    /// `speed_mm_per_ms`; `None` without entries (the two keys are then
    /// refused: they would do nothing).
    pub fn parse(c: &Context) -> Result<Option<Self>, BuildError> {
        let p = c.params;
        let entries = p.tables("region_connections")?;
        if entries.is_empty() {
            // background.receptor = "region" numbers by `connectivity` too
            let by_region = p
                .table("background")?
                .is_some_and(|b| b.get("receptor").and_then(|v| v.as_str()) == Some("region"));
            for key in ["connectivity", "speed_mm_per_ms"] {
                if p.has(key) && !(by_region && key == "connectivity") {
                    return Err(BuildError::at(
                        key,
                        "only region_connections use it, and there are none",
                    )
                    .hint("connect the regions with region_connections, or leave it out (input.coupling = \"spiking\" has its own)"));
                }
            }
            return Ok(None);
        }
        let spec = p
            .opt_str("connectivity")?
            .unwrap_or_else(|| "builtin:tvb76".into());
        let conn = Connectivity::load(&spec, p.base_dir())
            .map_err(|e| BuildError::at("connectivity", e.to_string()))?;
        let speed = p.opt_f64("speed_mm_per_ms")?.unwrap_or(DEFAULT_SPEED);
        if !(speed.is_finite() && speed > 0.0) {
            return Err(BuildError::at(
                "speed_mm_per_ms",
                format!("{speed} mm/ms: a conduction speed must be > 0"),
            ));
        }
        let nodes = c
            .regions
            .iter()
            .enumerate()
            .map(|(k, r)| {
                conn.labels.iter().position(|l| l == r).ok_or_else(|| {
                    BuildError::at(
                        format!("regions[{k}]"),
                        format!("region `{r}` is not in the connectome {}", conn.source),
                    )
                    .hint(
                        "region_connections need the regions' labels as the connectome names them",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut links = vec![];
        for (k, t) in entries.into_iter().enumerate() {
            let at = format!("region_connections[{k}]");
            links.extend(parse_one(c, t, &at, &conn, &nodes, speed)?);
        }
        Ok(Some(Self { links }))
    }

    /// The longest delay, steps (0 without links).
    pub fn longest_delay(&self) -> usize {
        self.links.iter().map(|l| l.delay_steps).max().unwrap_or(0)
    }

    /// Expected synapses, `sizes` the population sizes of one region.
    pub fn expected_synapses(&self, sizes: &[usize]) -> f64 {
        let np = sizes.len();
        self.links
            .iter()
            .map(|l| {
                l.rule
                    .expected_synapses(sizes[l.from % np], sizes[l.to % np])
            })
            .sum()
    }
}

/// A population name or a list of them.
fn populations(
    c: &Context,
    t: &toml::Table,
    key: &str,
    at: &str,
) -> Result<Vec<usize>, BuildError> {
    let here = format!("{at}.{key}");
    match t.get(key) {
        Some(toml::Value::String(s)) => Ok(vec![(c.pop_index)(s, here)?]),
        Some(toml::Value::Array(a)) if !a.is_empty() => a
            .iter()
            .enumerate()
            .map(|(i, x)| match x.as_str() {
                Some(s) => (c.pop_index)(s, format!("{here}[{i}]")),
                None => Err(BuildError::at(
                    format!("{here}[{i}]"),
                    format!("expected a population name, got {x}"),
                )),
            })
            .collect(),
        Some(v) => Err(BuildError::at(
            here,
            format!("expected a population name or a list of them, got {v}"),
        )),
        None => Err(BuildError::at(at, format!("missing `{key}`"))),
    }
}

/// A list of the network's region labels (default: all of them).
fn regions(c: &Context, t: &toml::Table, key: &str, at: &str) -> Result<Vec<usize>, BuildError> {
    let here = format!("{at}.{key}");
    match t.get(key) {
        None => Ok((0..c.regions.len()).collect()),
        Some(toml::Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let name = x.as_str().ok_or_else(|| {
                    BuildError::at(format!("{here}[{i}]"), "expected a region label")
                })?;
                c.regions.iter().position(|r| r == name).ok_or_else(|| {
                    BuildError::at(
                        format!("{here}[{i}]"),
                        format!("no region `{name}` in this network"),
                    )
                    .hint(format!("regions: {}", c.regions.join(", ")))
                })
            })
            .collect(),
        Some(v) => Err(BuildError::at(
            here,
            format!("expected a list of region labels, got {v}"),
        )),
    }
}

fn parse_one(
    c: &Context,
    t: &toml::Table,
    at: &str,
    conn: &Connectivity,
    nodes: &[usize],
    speed: f64,
) -> Result<Vec<Link>, BuildError> {
    only(
        t,
        &[
            "from",
            "to",
            "scale",
            "rule",
            "indegree",
            "outdegree",
            "p",
            "receptor",
            "source_regions",
            "target_regions",
            "synapse",
        ],
        at,
    )?;
    let from = populations(c, t, "from", at)?;
    let to = populations(c, t, "to", at)?;
    let scale = num(t, "scale", at)?;
    let rule = rule(t, at)?;
    if rule == Rule::OneToOne {
        for &f in &from {
            for &g in &to {
                if c.pops[f].1 != c.pops[g].1 {
                    return Err(BuildError::at(
                        format!("{at}.rule"),
                        format!(
                            "one_to_one needs as many sources as targets: `{}` has {}, `{}` {}",
                            c.pops[f].0, c.pops[f].1, c.pops[g].0, c.pops[g].1
                        ),
                    ));
                }
            }
        }
    }
    let spec = ReceptorSpec::parse(t, at)?;
    // the weights are scale·w_ij with w_ij ≥ 0: their sign is scale's
    if let ReceptorSpec::Fixed(r) = spec {
        check_receptor(c.model, r, &Dist::Constant(scale), at)?;
    }
    let synapse = synapse(t, at)?;
    if let Some(s) = &synapse {
        s.check_weight(scale).map_err(|e| {
            BuildError::at(
                format!("{at}.scale"),
                format!("{scale}: {e} (the weights scale·w_ij have scale's sign)"),
            )
        })?;
    }
    let sources = regions(c, t, "source_regions", at)?;
    let targets = regions(c, t, "target_regions", at)?;
    let n = conn.n;
    let np = c.pops.len();
    let mut links = vec![];
    for &j in &sources {
        for &i in &targets {
            if i == j {
                continue;
            }
            let (ni, nj) = (nodes[i], nodes[j]);
            let w = conn.weights[ni * n + nj];
            if w == 0.0 {
                continue;
            }
            let length = conn.tract_lengths[ni * n + nj];
            // TVB: numpy.rint(tract_lengths / speed / dt)
            let d = (length / speed / c.dt_ms).round_ties_even();
            if d < 1.0 {
                return Err(BuildError::at(
                    at,
                    format!(
                        "the delay from {} to {} is {length} mm / {speed} mm/ms = {} ms, {d} steps: shorter than one step ({} ms)",
                        c.regions[j],
                        c.regions[i],
                        (length / speed * 1e6).round() / 1e6,
                        c.dt_ms
                    ),
                )
                .hint("a lower speed_mm_per_ms, or leave the pair out with source_regions/target_regions"));
            }
            if d > MAX_DELAY_STEPS as f64 {
                return Err(BuildError::at(
                    at,
                    format!(
                        "the delay from {} to {} is {:.4} ms, {d} steps: longer than the {MAX_DELAY_STEPS} steps a synapse holds",
                        c.regions[j], c.regions[i], length / speed
                    ),
                )
                .hint("a higher speed_mm_per_ms or a larger dt"));
            }
            let receptor = spec.of(nj);
            if spec == ReceptorSpec::Source {
                check_receptor(c.model, receptor, &Dist::Constant(scale), at).map_err(|e| {
                    let m = format!(
                        "{} (receptor = \"source\": {} is region {nj} of the connectome {})",
                        e.message, c.regions[j], conn.source
                    );
                    BuildError { message: m, ..e }
                })?;
            }
            for &f in &from {
                for &g in &to {
                    links.push(Link {
                        at: at.to_string(),
                        from: j * np + f,
                        to: i * np + g,
                        rule,
                        weight: scale * w,
                        delay_steps: d as usize,
                        synapse,
                        receptor,
                    });
                }
            }
        }
    }
    if links.is_empty() {
        tracing::warn!(
            entry = %at,
            "connects nothing: no pair of its regions has a connectome weight"
        );
    }
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;
    use brainstream_models::spiking::neuron_info;
    use std::path::Path;

    fn parse(actor: &str) -> Result<Option<Between>, BuildError> {
        parse_with("iaf_psc_alpha", actor)
    }

    fn parse_with(model: &str, actor: &str) -> Result<Option<Between>, BuildError> {
        let table: toml::Table = toml::from_str(actor).unwrap();
        let params = Params::new(&table, super::super::PARAMS, Path::new("."));
        let regions: Vec<String> = ["rM1", "lM1", "rA1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let pops = vec![("E".to_string(), 8), ("I".to_string(), 2)];
        let pop_index = |name: &str, at: String| -> Result<usize, BuildError> {
            pops.iter()
                .position(|(n, _)| n == name)
                .ok_or_else(|| BuildError::at(at, format!("no population `{name}`")))
        };
        Between::parse(&Context {
            params: &params,
            model: neuron_info(model).unwrap(),
            dt_ms: 0.1,
            pops: &pops,
            regions: &regions,
            pop_index: &pop_index,
        })
    }

    #[test]
    fn links_carry_scaled_connectome_weights_and_tvb_delays() {
        let b = parse(
            r#"region_connections = [
                 { from = "E", to = ["E", "I"], scale = 20.0, rule = "fixed_indegree", indegree = 3 },
                 { from = "I", to = "E", scale = -5.0, source_regions = ["lM1"], target_regions = ["rM1", "rA1"] },
               ]
               speed_mm_per_ms = 4.0"#,
        )
        .unwrap()
        .unwrap();
        let conn = Connectivity::tvb76();
        let n = conn.n;
        let node = |l: &str| conn.labels.iter().position(|x| x == l).unwrap();
        let nodes = [node("rM1"), node("lM1"), node("rA1")];
        let mut want = vec![];
        for j in 0..3 {
            for i in 0..3 {
                let w = conn.weights[nodes[i] * n + nodes[j]];
                if i == j || w == 0.0 {
                    continue;
                }
                let d = (conn.tract_lengths[nodes[i] * n + nodes[j]] / 4.0 / 0.1).round_ties_even();
                for to in [0, 1] {
                    want.push((j * 2, i * 2 + to, 20.0 * w, d as usize));
                }
            }
        }
        let first = want.len();
        for i in [0, 2] {
            let w = conn.weights[nodes[i] * n + nodes[1]];
            if w != 0.0 {
                let d = (conn.tract_lengths[nodes[i] * n + nodes[1]] / 4.0 / 0.1).round_ties_even();
                want.push((2 + 1, i * 2, -5.0 * w, d as usize));
            }
        }
        let got: Vec<_> = b
            .links
            .iter()
            .map(|l| (l.from, l.to, l.weight, l.delay_steps))
            .collect();
        assert_eq!(got, want);
        // rM1 and lM1 are connected both ways; rA1 to neither in tvb76:
        // its pairs of zero weight are left out
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(b.links[..first]
            .iter()
            .all(|l| l.rule == Rule::FixedIndegree(3)));
        assert_eq!(b.links[first].rule, Rule::AllToAll);
        assert!(b.longest_delay() > 1);
        // fixed_indegree 3 into 8 + 2 targets per pair, and 2 × 8 all_to_all
        assert_eq!(b.expected_synapses(&[8, 2]), 2.0 * 30.0 + 16.0);
    }

    #[test]
    fn receptor_source_numbers_the_receptors_by_connectome_region() {
        let conn = Connectivity::tvb76();
        let node = |l: &str| conn.labels.iter().position(|x| x == l).unwrap();
        let nodes = [node("rM1"), node("lM1"), node("rA1")];
        let b = parse_with(
            "iaf_cond_ww_deco",
            r#"region_connections = [{ from = "E", to = ["E", "I"], scale = 1.0, receptor = "source" }]"#,
        )
        .unwrap()
        .unwrap();
        assert!(!b.links.is_empty());
        for l in &b.links {
            // from = region j's E: link.from = j·np
            assert_eq!(l.receptor, nodes[l.from / 2] + 1, "{l:?}");
        }
        // a number stays one receptor for every source region
        let b = parse_with(
            "iaf_cond_ww_deco",
            r#"region_connections = [{ from = "E", to = "E", scale = 1.0, receptor = 3 }]"#,
        )
        .unwrap()
        .unwrap();
        assert!(b.links.iter().all(|l| l.receptor == 3));
        // a model without receptors beyond 0 refuses it, naming the region
        let e = parse(
            r#"region_connections = [{ from = "E", to = "E", scale = 1.0, receptor = "source" }]"#,
        )
        .unwrap_err();
        assert_eq!(e.key, "region_connections[0].receptor");
        assert!(e.message.contains("receptor = \"source\""), "{}", e.message);
        assert!(e.message.contains("is region"), "{}", e.message);
        let e = parse_with(
            "iaf_cond_ww_deco",
            r#"region_connections = [{ from = "E", to = "E", scale = 1.0, receptor = "target" }]"#,
        )
        .unwrap_err();
        assert_eq!(e.key, "region_connections[0].receptor");
        assert!(
            e.message.contains("unknown receptor `target`"),
            "{}",
            e.message
        );
    }

    fn background_with(model: &str, actor: &str) -> Result<Vec<usize>, BuildError> {
        let table: toml::Table = toml::from_str(actor).unwrap();
        let params = Params::new(&table, super::super::PARAMS, Path::new("."));
        let regions: Vec<String> = ["rM1", "lM1", "rA1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        background_receptors(&params, neuron_info(model).unwrap(), &regions)
    }

    #[test]
    fn background_receptor_region_is_each_region_s_own_connectome_index_plus_one() {
        let conn = Connectivity::tvb76();
        let node = |l: &str| conn.labels.iter().position(|x| x == l).unwrap();
        let bg = r#"background = { rate_hz = 2400.0, weight = 1.0, delay_ms = 0.1, receptor = "region" }"#;
        let got = background_with("iaf_cond_ww_deco", bg).unwrap();
        assert_eq!(got, vec![node("rM1") + 1, node("lM1") + 1, node("rA1") + 1]);
        // `connectivity` is allowed (and used) without region_connections
        let with_conn = format!("{bg}\nconnectivity = \"builtin:tvb76\"");
        assert_eq!(
            background_with("iaf_cond_ww_deco", &with_conn).unwrap(),
            got
        );
        assert!(parse_with("iaf_cond_ww_deco", &with_conn)
            .unwrap()
            .is_none());
        // a number is every region's; none is 0
        let got = background_with(
            "iaf_cond_ww_deco",
            r#"background = { rate_hz = 1.0, weight = 1.0, delay_ms = 0.1, receptor = 2 }"#,
        )
        .unwrap();
        assert_eq!(got, vec![2, 2, 2]);
        assert_eq!(
            background_with("iaf_cond_ww_deco", "").unwrap(),
            vec![0, 0, 0]
        );
        // bad input: a model without receptors beyond 0, an unknown word
        let e = background_with("iaf_psc_alpha", bg).unwrap_err();
        assert_eq!(e.key, "background.receptor");
        assert!(
            e.message.contains("receptor = \"region\": rM1 is region"),
            "{}",
            e.message
        );
        let e = background_with(
            "iaf_cond_ww_deco",
            r#"background = { rate_hz = 1.0, weight = 1.0, delay_ms = 0.1, receptor = "own" }"#,
        )
        .unwrap_err();
        assert_eq!(e.key, "background.receptor");
        assert!(
            e.message.contains("unknown receptor `own`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn bad_entries_are_refused_at_their_keys() {
        let key = |actor: &str| parse(actor).unwrap_err().key;
        assert_eq!(
            key(r#"region_connections = [{ from = "X", to = "E", scale = 1.0 }]"#),
            "region_connections[0].from"
        );
        assert_eq!(
            key(r#"region_connections = [{ from = "E", to = ["E", "Y"], scale = 1.0 }]"#),
            "region_connections[0].to[1]"
        );
        assert_eq!(
            key(
                r#"region_connections = [{ from = "E", to = "E", scale = 1.0, source_regions = ["rV1"] }]"#
            ),
            "region_connections[0].source_regions[0]"
        );
        assert_eq!(
            key(
                r#"region_connections = [{ from = "E", to = "I", scale = 1.0, rule = "one_to_one" }]"#
            ),
            "region_connections[0].rule"
        );
        assert_eq!(
            key(r#"region_connections = [{ from = "E", to = "I", scale = 1.0, receptor = 3 }]"#),
            "region_connections[0].receptor"
        );
        assert_eq!(
            key(r#"region_connections = [{ from = "E", to = "I", weight = 1.0 }]"#),
            "region_connections[0].weight"
        );
        assert_eq!(
            key(
                r#"region_connections = [{ from = "E", to = "I", scale = 1.0 }]
                   speed_mm_per_ms = -3.0"#
            ),
            "speed_mm_per_ms"
        );
        let e = parse(
            r#"region_connections = [{ from = "E", to = "I", scale = 1.0 }]
               speed_mm_per_ms = 1e6"#,
        )
        .unwrap_err();
        assert_eq!(e.key, "region_connections[0]");
        assert!(e.message.contains("shorter than one step"), "{}", e.message);
        assert_eq!(key("speed_mm_per_ms = 3.0"), "speed_mm_per_ms");
        assert!(parse("").unwrap().is_none());
    }
}
