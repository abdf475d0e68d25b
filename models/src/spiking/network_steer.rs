//! Changing a running network between two steps (steering): a
//! population's neuron parameters, and the rate of a population's Poisson
//! background, as NEST's `SetStatus` on the neurons or the
//! `poisson_generator` between two `Run` calls.
//!
//! New neuron parameters rebuild the population's block from a template
//! with them (its propagators and every other constant derived from the
//! parameters, as at the start) and carry every neuron's state variables
//! over unchanged (the same variables a checkpoint keeps), so the next
//! step is the one a network built with the new parameters and holding
//! this state would take. A model whose state variables are not kept
//! relative to a parameter is what makes this exact; the caller refuses
//! the parameters for which that is not so.

use super::Network;
use crate::error::ModelError;
use crate::spiking::neuron::{Neuron, StateSlice};

impl Network {
    /// Population `pop`'s neurons from the next step on: `template`'s model
    /// and parameters (one neuron, as [`Network::with_templates`] takes),
    /// with the state every neuron has now. Refused, leaving the network as
    /// it was, for another model or one whose state cannot be read
    /// (`gif_cond_exp`).
    pub fn set_population_neurons(
        &mut self,
        pop: usize,
        template: &dyn Neuron,
    ) -> Result<(), ModelError> {
        let Some(p) = self.pops.get(pop) else {
            return Err(ModelError::Config(format!(
                "population {pop} does not exist ({} populations)",
                self.pops.len()
            )));
        };
        let (first, size) = (p.first, p.size);
        let b = self
            .neurons
            .blocks
            .iter()
            .position(|(f, b)| *f == first && b.len() == size)
            .ok_or_else(|| {
                ModelError::Config(format!(
                    "population `{}` shares its block of neurons with another",
                    p.name
                ))
            })?;
        let old = &mut self.neurons.blocks[b].1;
        if old.info().name != template.info().name {
            return Err(ModelError::Config(format!(
                "population `{}` is of {}, not {}",
                p.name,
                old.info().name,
                template.info().name
            )));
        }
        let mut new = template.resized(size);
        let name = old.info().name;
        let cannot = || {
            ModelError::Config(format!(
                "neuron model `{name}` cannot hand its state to new parameters"
            ))
        };
        {
            let from = old.state().ok_or_else(cannot)?;
            let to = new.state().ok_or_else(cannot)?;
            if from.len() != to.len() {
                return Err(cannot());
            }
            for (t, f) in to.into_iter().zip(from) {
                match (t, f) {
                    (StateSlice::F64(t), StateSlice::F64(f)) if t.len() == f.len() => {
                        t.copy_from_slice(f)
                    }
                    (StateSlice::U32(t), StateSlice::U32(f)) if t.len() == f.len() => {
                        t.copy_from_slice(f)
                    }
                    _ => return Err(cannot()),
                }
            }
        }
        self.neurons.blocks[b].1 = new;
        Ok(())
    }

    /// The rate of population `pop`'s Poisson background, Hz, from the next
    /// step on (its weight and delay unchanged); returns the rate it had.
    /// The draws go on from the same generator: a count per neuron and
    /// step, Poisson(rate·h).
    pub fn set_background_rate(&mut self, pop: usize, rate_hz: f64) -> Result<f64, ModelError> {
        if !(rate_hz.is_finite() && rate_hz >= 0.0) {
            return Err(ModelError::Config(format!(
                "background rate {rate_hz} Hz must be finite and ≥ 0"
            )));
        }
        let h = self.h;
        let Some(Some((lam, _, _))) = self.background.get_mut(pop) else {
            return Err(ModelError::Config(format!(
                "population {pop} has no background drive"
            )));
        };
        let old = *lam * 1000.0 / h;
        *lam = rate_hz * h / 1000.0;
        Ok(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamSet;
    use crate::spiking::{iaf_psc_alpha, Network};

    fn template(i_e: f64) -> Box<dyn Neuron> {
        let mut p = ParamSet::defaults(iaf_psc_alpha::INFO.params);
        p.set("iaf_psc_alpha", "I_e", i_e).unwrap();
        (iaf_psc_alpha::INFO.build)(1, &p, 0.1, "rkf45").unwrap()
    }

    fn spikes(net: &mut Network, steps: usize) -> Vec<(u64, u32)> {
        let mut out = vec![];
        net.run(steps, 1, |k, fired| {
            out.extend(fired.iter().map(|&i| (k, i)))
        });
        out
    }

    /// Two populations under background drive: `I_e` of one raised at
    /// step 500 gives the spikes of a network that had it from the start
    /// only until then; the same change gives the same spikes twice; and
    /// the rate's change takes effect from its step.
    #[test]
    fn new_parameters_keep_the_state_and_change_what_follows() {
        let build = |i_e: f64| {
            let pops = vec![("E".to_string(), 40), ("I".to_string(), 10)];
            let (a, b) = (template(300.0), template(i_e));
            let mut net =
                Network::with_templates(&pops, &[a.as_ref(), b.as_ref()], 0.1, 7).unwrap();
            net.background(0, 8000.0, 20.0, 1.0).unwrap();
            net.background(1, 8000.0, 20.0, 1.0).unwrap();
            net.connect(0, 1, crate::spiking::Rule::AllToAll, 5.0, 1.0)
                .unwrap();
            net.build();
            net
        };
        let run = |steer: bool| {
            let mut net = build(0.0);
            let mut s = spikes(&mut net, 500);
            if steer {
                net.set_population_neurons(1, template(450.0).as_ref())
                    .unwrap();
            }
            s.extend(spikes(&mut net, 1000));
            s
        };
        let (a, b, plain) = (run(true), run(true), run(false));
        assert_eq!(a, b);
        let before = |s: &[(u64, u32)]| s.iter().filter(|x| x.0 < 500).count();
        assert_eq!(a[..before(&a)], plain[..before(&plain)]);
        let driven = |s: &[(u64, u32)]| s.iter().filter(|x| x.0 >= 500 && x.1 >= 40).count();
        assert!(
            driven(&a) > driven(&plain),
            "{} vs {}",
            driven(&a),
            driven(&plain)
        );

        let mut net = build(0.0);
        spikes(&mut net, 100);
        assert_eq!(net.set_background_rate(0, 0.0).unwrap(), 8000.0);
        assert!(net.set_background_rate(0, f64::NAN).is_err());
        assert!(net
            .set_population_neurons(5, template(0.0).as_ref())
            .is_err());
    }
}
