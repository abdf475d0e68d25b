//! What a running `spiking_network` lets change between two windows
//! (steering, docs/live.md), as a NEST user would with `SetStatus` between
//! two `Run` calls:
//!
//! - `population_params.POP.NAME`: a neuron parameter of population `POP`
//!   in every region (`I_e` in pA, `V_th` in mV, `tau_m` in ms, … as
//!   `brainstream list MODEL` names them), checked as the graph's values
//!   are. The population's neurons are rebuilt with it (propagators and
//!   the other constants derived from parameters, as at the start) and keep
//!   their state, so the next step is the one a network built with the new
//!   value and holding this state takes.
//! - `background.rate_hz`: the rate of the Poisson background (Hz, every
//!   population it drives; weight and delay unchanged).
//!
//! What cannot change says why ([`Steer::unsteerable`]): the synapses
//! (drawn into the network's tables at the start, NEST's `Connect`), a
//! parameter the model's state is kept relative to (`iaf_psc_alpha`'s
//! `E_L`: NEST keeps `V_m − E_L`), a model whose state cannot be handed
//! over (`gif_cond_exp`, as for checkpoints).

use brainstream_models::params::ParamSet;
use brainstream_models::spiking::neuron::StateSlice;
use brainstream_models::spiking::{Network, Neuron, NeuronInfo};

/// The steerable keys of a network and the reasons for the others, worked
/// out when it is built.
#[derive(Debug, Clone, Default)]
pub(super) struct Steer {
    /// the model's name, solver and step (to rebuild a template)
    model: Option<&'static NeuronInfo>,
    solver: String,
    h: f64,
    /// per population: its name and parameters (as the graph set them,
    /// then as steered)
    pops: Vec<(String, ParamSet)>,
    keys: Vec<String>,
    fixed: Vec<(String, String)>,
    /// whether the network has a background drive
    background: bool,
}

/// Whether a population of `info` with `params` keeps its membrane
/// potential when `name` changes and the state is handed over: a model
/// whose state is kept relative to the parameter (NEST's `V_m − E_L`) does
/// not. `Err` says why not.
fn hands_over(
    info: &'static NeuronInfo,
    params: &ParamSet,
    name: &str,
    h: f64,
    solver: &str,
) -> Result<(), String> {
    let Ok(mut a) = (info.build)(1, params, h, solver) else {
        return Ok(());
    };
    let v = a.v_m(0) + 3.0;
    a.set_v_m(0, v);
    let old = params.get(name);
    let mut other = params.clone();
    let moved = [old * 1.1 + 1.0, old * 0.9 - 1.0]
        .into_iter()
        .any(|x| other.set(info.name, name, x).is_ok());
    let b = if moved {
        (info.build)(1, &other, h, solver)
    } else {
        (info.build)(1, params, h, solver)
    };
    let Ok(mut b) = b else {
        // a value the model refuses with the others: nothing to compare
        return Ok(());
    };
    let (Some(from), Some(to)) = (a.state(), b.state()) else {
        return Err(format!(
            "{}'s state cannot be handed over to new parameters (as it cannot be checkpointed)",
            info.name
        ));
    };
    for (t, f) in to.into_iter().zip(from) {
        match (t, f) {
            (StateSlice::F64(t), StateSlice::F64(f)) if t.len() == f.len() => t.copy_from_slice(f),
            (StateSlice::U32(t), StateSlice::U32(f)) if t.len() == f.len() => t.copy_from_slice(f),
            _ => return Err(format!("{}'s state changes shape with `{name}`", info.name)),
        }
    }
    if b.v_m(0) != a.v_m(0) {
        return Err(format!(
            "{} keeps its membrane potential relative to `{name}` (NEST's representation), so a new value would move every V_m; set it in the graph",
            info.name
        ));
    }
    Ok(())
}

impl Steer {
    /// For populations `pops` (name, parameters) of `info`, solver
    /// `solver`, step `h` ms; `background`: whether a Poisson background
    /// drives some.
    pub(super) fn new(
        info: &'static NeuronInfo,
        solver: &str,
        h: f64,
        pops: Vec<(String, ParamSet)>,
        background: bool,
    ) -> Self {
        let mut keys = vec![];
        let mut fixed = vec![];
        for (pop, params) in &pops {
            for d in info.params.iter() {
                let key = format!("population_params.{pop}.{}", d.name);
                if d.is_vector() {
                    fixed.push((
                        key,
                        "a vector parameter is set in the graph, whole".to_string(),
                    ));
                    continue;
                }
                match hands_over(info, params, d.name, h, solver) {
                    Ok(()) => keys.push(key),
                    Err(why) => fixed.push((key, why)),
                }
            }
            fixed.push((
                format!("population_params.{pop}.tau_minus"),
                "the STDP archives' τ₋ is fixed when the network is built".to_string(),
            ));
        }
        if background {
            keys.push("background.rate_hz".into());
        }
        let synapses = "the synapses are drawn into the network's tables when the run starts (NEST's Connect); a device's rate, the background's rate_hz or a population's parameters can change";
        fixed.extend(
            [
                ("connections", synapses),
                ("region_connections", synapses),
                ("input", synapses),
                ("background.weight", "the background's synapses are made when the run starts; its rate_hz can change"),
                ("background.delay_ms", "the background's synapses are made when the run starts; its rate_hz can change"),
                ("background.populations", "the background's synapses are made when the run starts; its rate_hz can change"),
                ("background", "there is no background drive in this graph to change"),
                ("neuron_params", "steer one population's parameter, population_params.POP.NAME, for each population"),
                ("region_params", "a population's parameters in one region are set in the graph; population_params.POP.NAME of a population without region_params can change"),
                ("model", "the neuron model is fixed; its parameters (population_params.POP.NAME) can change"),
                ("populations", "the populations and their sizes are fixed when the network is built"),
                ("regions", "the regions are fixed when the network is built"),
                ("dt_ms", "the network's step is fixed when it is built"),
            ]
            .map(|(k, r)| (k.to_string(), r.to_string())),
        );
        Self {
            model: Some(info),
            solver: solver.to_string(),
            h,
            pops,
            keys,
            fixed,
            background,
        }
    }

    /// Population `pop` has parameters of its own in `regions`
    /// (`region_params`): its neurons differ among the regions, and
    /// rebuilding them from one parameter set would drop those, so its
    /// parameters become fixed for the run.
    pub(super) fn fix_regional(&mut self, pop: &str, regions: &[&str]) {
        let prefix = format!("population_params.{pop}.");
        let why = format!(
            "population `{pop}` has region_params in {}: its neurons differ among the regions; set the value in the graph",
            regions.join(", ")
        );
        let (fixed, keep): (Vec<String>, Vec<String>) = std::mem::take(&mut self.keys)
            .into_iter()
            .partition(|k| k.starts_with(&prefix));
        self.keys = keep;
        self.fixed
            .extend(fixed.into_iter().map(|k| (k, why.clone())));
    }

    /// The keys that can change.
    pub(super) fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The parameters fixed for the run, with the reason.
    pub(super) fn unsteerable(&self) -> Vec<(String, String)> {
        self.fixed.clone()
    }

    /// Sets `key` (one of [`keys`](Self::keys)) to `value` in `net`, whose
    /// regions each hold the populations in order; returns the value it
    /// had. `background` is the actor's configured rate (Hz, updated) and
    /// the populations it drives.
    pub(super) fn apply(
        &mut self,
        net: &mut Network,
        regions: usize,
        background: Option<(&mut f64, &[usize])>,
        key: &str,
        value: f64,
    ) -> Result<f64, String> {
        let np = self.pops.len();
        if key == "background.rate_hz" && self.background {
            let Some((rate, targets)) = background else {
                return Err("there is no background drive".into());
            };
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("{value} Hz: a rate is finite and ≥ 0"));
            }
            for reg in 0..regions {
                for &t in targets {
                    net.set_background_rate(reg * np + t, value)
                        .map_err(|e| e.to_string())?;
                }
            }
            return Ok(std::mem::replace(rate, value));
        }
        let (Some(info), Some(rest)) = (self.model, key.strip_prefix("population_params.")) else {
            return Err("not a steerable key".into());
        };
        let Some(k) = self.pops.iter().position(|(p, _)| {
            rest.strip_prefix(p.as_str())
                .is_some_and(|r| r.starts_with('.'))
        }) else {
            return Err("no such population".into());
        };
        let name = &rest[self.pops[k].0.len() + 1..];
        let mut params = self.pops[k].1.clone();
        let old = params.value(info.name, name).map_err(|e| e.to_string())?;
        params
            .set(info.name, name, value)
            .map_err(|e| e.to_string())?;
        let template: Box<dyn Neuron> =
            (info.build)(1, &params, self.h, &self.solver).map_err(|e| e.to_string())?;
        for reg in 0..regions {
            net.set_population_neurons(reg * np + k, template.as_ref())
                .map_err(|e| e.to_string())?;
        }
        self.pops[k].1 = params;
        Ok(old)
    }
}
