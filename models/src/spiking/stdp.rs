//! NEST 3.10's `stdp_synapse`: pair-based spike-timing dependent
//! plasticity with multiplicative/additive weight dependence (Guetig et al.
//! 2003, Rubin et al. 2001), and the post-synaptic spike archive
//! (NEST's `ArchivingNode`) it reads.
//!
//! Each synapse keeps its weight w, the presynaptic trace K⁺ and the time
//! of its previous spike t_last (0 before the first, as NEST). The
//! postsynaptic neuron keeps the trace K⁻ (+1 at each of its spikes,
//! decaying with τ₋ = `tau_minus`, a *neuron* parameter in NEST) and the
//! history of its spikes with K⁻ just after each.
//!
//! At a presynaptic spike of time t (the spike's stamp, tics × 0.001 ms)
//! over a synapse of delay d (NEST: all of it dendritic, steps × ms/step),
//! in NEST's order:
//!
//! ```text
//!   for each post spike t_j in (t_last − d, t − d]:      (facilitation)
//!       w ← Wmax · min(1, w/Wmax + λ·(1 − w/Wmax)^μ₊ · K⁺·exp((t_last − (t_j + d))/τ₊))
//!   w ← Wmax · max(0, w/Wmax − α·λ·(w/Wmax)^μ₋ · K⁻(t − d))  (depression)
//!   send w (it acts after the delay as a static synapse's weight)
//!   K⁺ ← K⁺·exp((t_last − t)/τ₊) + 1,  t_last ← t
//! ```
//!
//! with K⁻(s) = K⁻_j·exp((t_j − s)/τ₋) of the latest post spike t_j < s
//! (strictly, by NEST's `stdp_eps` = 10⁻⁶ ms; 0 if none). The bounds
//! are tested as NEST's (`norm_w < 1`, `norm_w > 0`), so a facilitation
//! with K⁺ = 0 still rounds w through w/Wmax·Wmax. Spikes at the same time
//! (a parrot's multiplicity) go through one after the other, as NEST 3
//! unrolls them. Wmax and the weight must have the same sign (an
//! inhibitory STDP synapse has Wmax < 0).

use std::collections::VecDeque;

use crate::error::ModelError;
use crate::params::{p, ParamDef};

/// NEST's name.
pub const NAME: &str = "stdp_synapse";

/// NEST's `stdp_eps`: a post spike counts as "before" a time t when it is
/// more than this before it (ms).
pub const STDP_EPS: f64 = 1.0e-6;

/// The parameters and initial state a graph may set, NEST's names and
/// defaults.
pub const PARAMS: &[ParamDef] = &[
    p(
        "tau_plus",
        20.0,
        0.0,
        f64::INFINITY,
        "ms",
        "Time constant of the presynaptic trace K+ (> 0)",
    ),
    p(
        "lambda",
        0.01,
        f64::NEG_INFINITY,
        f64::INFINITY,
        "1",
        "Step size (learning rate) of facilitation",
    ),
    p(
        "alpha",
        1.0,
        f64::NEG_INFINITY,
        f64::INFINITY,
        "1",
        "Asymmetry: depression's step is alpha·lambda",
    ),
    p(
        "mu_plus",
        1.0,
        f64::NEG_INFINITY,
        f64::INFINITY,
        "1",
        "Weight dependence exponent of facilitation (0: additive, 1: multiplicative)",
    ),
    p(
        "mu_minus",
        1.0,
        f64::NEG_INFINITY,
        f64::INFINITY,
        "1",
        "Weight dependence exponent of depression (0: additive, 1: multiplicative)",
    ),
    p(
        "Wmax",
        100.0,
        f64::NEG_INFINITY,
        f64::INFINITY,
        "pA|nS",
        "Largest |weight|, the weight's unit and sign (≠ 0; < 0 for inhibitory synapses)",
    ),
    p(
        "Kplus",
        0.0,
        0.0,
        f64::INFINITY,
        "1",
        "Initial presynaptic trace (≥ 0)",
    ),
];

/// The postsynaptic neuron's parameter (every NEST model has it; here set
/// in `neuron_params` or `population_params`).
pub const TAU_MINUS: ParamDef = p(
    "tau_minus",
    20.0,
    0.0,
    f64::INFINITY,
    "ms",
    "Time constant of the postsynaptic trace K- read by stdp_synapse (> 0; every model)",
);

/// A connection's parameters (its weight is the connection's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stdp {
    /// τ₊, ms.
    pub tau_plus: f64,
    /// λ.
    pub lambda: f64,
    /// α.
    pub alpha: f64,
    /// μ₊.
    pub mu_plus: f64,
    /// μ₋.
    pub mu_minus: f64,
    /// Wmax, the weight's unit.
    pub w_max: f64,
    /// Initial K⁺.
    pub k_plus: f64,
}

impl Default for Stdp {
    /// NEST's defaults.
    fn default() -> Self {
        Self {
            tau_plus: 20.0,
            lambda: 0.01,
            alpha: 1.0,
            mu_plus: 1.0,
            mu_minus: 1.0,
            w_max: 100.0,
            k_plus: 0.0,
        }
    }
}

impl Stdp {
    /// NEST's defaults overridden by `(name, value)` pairs; unknown names,
    /// values that are not finite or outside the ranges of [`PARAMS`]
    /// (τ₊ > 0, K⁺ ≥ 0, Wmax ≠ 0) are refused, naming the parameter.
    pub fn from_overrides<'a>(
        values: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, ModelError> {
        let mut s = Self::default();
        for (name, v) in values {
            let def = PARAMS.iter().find(|d| d.name == name).ok_or_else(|| {
                ModelError::UnknownParameter {
                    owner: NAME.into(),
                    name: name.into(),
                    known: PARAMS.iter().map(|d| d.name).collect::<Vec<_>>().join(", "),
                }
            })?;
            let bad = |why: &str| Err(ModelError::Config(format!("{NAME}.{name} = {v} {why}")));
            if name == "tau_plus" && !(v.is_finite() && v > 0.0) {
                return bad("must be > 0 ms");
            }
            if name == "Wmax" && v == 0.0 {
                return bad("must not be 0 (it divides the weight)");
            }
            if !(v.is_finite() && v >= def.lo && v <= def.hi) {
                return Err(ModelError::ParameterOutsideLimits {
                    owner: NAME.into(),
                    name: name.into(),
                    value: v,
                    lo: def.lo,
                    hi: def.hi,
                    unit: def.unit,
                });
            }
            match name {
                "tau_plus" => s.tau_plus = v,
                "lambda" => s.lambda = v,
                "alpha" => s.alpha = v,
                "mu_plus" => s.mu_plus = v,
                "mu_minus" => s.mu_minus = v,
                "Wmax" => s.w_max = v,
                _ => s.k_plus = v,
            }
        }
        Ok(s)
    }

    /// NEST's check: the weight and Wmax have the same sign (0 counts as
    /// positive).
    pub fn check_weight(&self, weight: f64) -> Result<(), ModelError> {
        if (weight >= 0.0) == (self.w_max >= 0.0) {
            Ok(())
        } else {
            Err(ModelError::Config(format!(
                "{NAME}: weight {weight} and Wmax {} must have the same sign (NEST)",
                self.w_max
            )))
        }
    }

    /// The state of a new connection of weight `weight`: no spike yet.
    pub fn state(&self, weight: f64) -> StdpState {
        StdpState {
            weight,
            k_plus: self.k_plus,
            t_last: 0.0,
        }
    }

    /// NEST's `facilitate_`.
    fn facilitate(&self, w: f64, kplus: f64) -> f64 {
        let norm_w =
            (w / self.w_max) + (self.lambda * (1.0 - (w / self.w_max)).powf(self.mu_plus) * kplus);
        if norm_w < 1.0 {
            norm_w * self.w_max
        } else {
            self.w_max
        }
    }

    /// NEST's `depress_`.
    fn depress(&self, w: f64, kminus: f64) -> f64 {
        let norm_w = (w / self.w_max)
            - (self.alpha * self.lambda * (w / self.w_max).powf(self.mu_minus) * kminus);
        if norm_w > 0.0 {
            norm_w * self.w_max
        } else {
            0.0
        }
    }
}

/// A connection's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StdpState {
    /// The weight, the unit of the target's synapses.
    pub weight: f64,
    /// The presynaptic trace K⁺.
    pub k_plus: f64,
    /// Time of the previous spike, ms (0 before the first, as NEST).
    pub t_last: f64,
}

impl StdpState {
    /// NEST's `send`: a spike of time `t_spike` ms over the connection
    /// `p` of delay `delay_ms` onto the neuron whose archive is `post`;
    /// returns the weight it carries (the updated weight).
    pub fn send(&mut self, p: &Stdp, t_spike: f64, delay_ms: f64, post: &mut Archive) -> f64 {
        let d = delay_ms;
        let range = post.history_range(self.t_last - d, t_spike - d);
        for j in range {
            let minus_dt = self.t_last - (post.history[j].t + d);
            self.weight = p.facilitate(self.weight, self.k_plus * (minus_dt / p.tau_plus).exp());
        }
        self.weight = p.depress(self.weight, post.k_value(t_spike - d));
        self.k_plus = self.k_plus * ((self.t_last - t_spike) / p.tau_plus).exp() + 1.0;
        self.t_last = t_spike;
        self.weight
    }
}

/// One spike of the history: its time, K⁻ just after it, and how many
/// synapses have read it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    t: f64,
    k_minus: f64,
    access: u32,
}

/// A postsynaptic neuron's spike archive (NEST's `ArchivingNode`): its
/// trace K⁻ and the spikes the STDP synapses onto it have not all read.
/// Spikes are archived only once a synapse is registered, as NEST.
#[derive(Debug, Clone, PartialEq)]
pub struct Archive {
    tau_minus_inv: f64,
    n_incoming: u32,
    max_delay: f64,
    k_minus: f64,
    last_spike: f64,
    history: VecDeque<Entry>,
}

impl Archive {
    /// A neuron that has not fired, trace time constant `tau_minus` ms.
    pub fn new(tau_minus: f64) -> Self {
        Self {
            tau_minus_inv: 1.0 / tau_minus,
            n_incoming: 0,
            max_delay: 0.0,
            k_minus: 0.0,
            last_spike: -1.0,
            history: VecDeque::new(),
        }
    }

    /// What changes as the run goes (checkpoints): the count of incoming
    /// synapses, their longest delay (ms), K⁻, the last spike (ms) and
    /// the archived spikes (time ms, K⁻, reads).
    #[allow(clippy::type_complexity)]
    pub fn saved(&self) -> (u32, f64, f64, f64, Vec<(f64, f64, u32)>) {
        (
            self.n_incoming,
            self.max_delay,
            self.k_minus,
            self.last_spike,
            self.history
                .iter()
                .map(|e| (e.t, e.k_minus, e.access))
                .collect(),
        )
    }

    /// Continues from what [`saved`](Self::saved) returned.
    pub fn restore(
        &mut self,
        n_incoming: u32,
        max_delay: f64,
        k_minus: f64,
        last_spike: f64,
        history: &[(f64, f64, u32)],
    ) {
        self.n_incoming = n_incoming;
        self.max_delay = max_delay;
        self.k_minus = k_minus;
        self.last_spike = last_spike;
        self.history = history
            .iter()
            .map(|&(t, k_minus, access)| Entry { t, k_minus, access })
            .collect();
    }

    /// A synapse of delay `delay_ms` that will first read from
    /// `t_first_read` ms on (NEST's `register_stdp_connection`).
    pub fn register(&mut self, t_first_read: f64, delay_ms: f64) {
        for e in self.history.iter_mut() {
            if t_first_read - e.t > -STDP_EPS {
                e.access += 1;
            } else {
                break;
            }
        }
        self.n_incoming += 1;
        self.max_delay = self.max_delay.max(delay_ms);
    }

    /// The neuron fired at `t_ms` (NEST's `set_spiketime`): prunes spikes
    /// every synapse has read and no trace query can reach (`min_delay_ms`
    /// the network's shortest delay), updates K⁻ and archives the spike.
    pub fn spike(&mut self, t_ms: f64, min_delay_ms: f64) {
        if self.n_incoming == 0 {
            self.last_spike = t_ms;
            return;
        }
        while self.history.len() > 1 {
            let next_t = self.history[1].t;
            if self.history[0].access >= self.n_incoming
                && t_ms - next_t > self.max_delay + min_delay_ms + STDP_EPS
            {
                self.history.pop_front();
            } else {
                break;
            }
        }
        self.k_minus = self.k_minus * ((self.last_spike - t_ms) * self.tau_minus_inv).exp() + 1.0;
        self.last_spike = t_ms;
        self.history.push_back(Entry {
            t: t_ms,
            k_minus: self.k_minus,
            access: 0,
        });
    }

    /// The spikes in (t1, t2] (by `STDP_EPS`), each counted as read once
    /// more (NEST's `get_history`).
    fn history_range(&mut self, t1: f64, t2: f64) -> std::ops::Range<usize> {
        let (t1_lim, t2_lim) = (t1 + STDP_EPS, t2 + STDP_EPS);
        let mut end = self.history.len();
        while end > 0 && self.history[end - 1].t >= t2_lim {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && self.history[start - 1].t >= t1_lim {
            start -= 1;
            self.history[start].access += 1;
        }
        start..end
    }

    /// K⁻ at `t` ms from the latest spike strictly before it (NEST's
    /// `get_K_value`); 0 when there is none.
    pub fn k_value(&self, t: f64) -> f64 {
        for e in self.history.iter().rev() {
            if t - e.t > STDP_EPS {
                return e.k_minus * ((e.t - t) * self.tau_minus_inv).exp();
            }
        }
        0.0
    }

    /// Spikes archived.
    pub fn archived(&self) -> usize {
        self.history.len()
    }
}

/// NEST's delay in ms of `steps` steps of `tics_per_step` tics
/// (`Time::delay_steps_to_ms`: steps × ms per step, ms per step = tics
/// per step / 1000).
pub fn nest_delay_ms(steps: u64, tics_per_step: u64) -> f64 {
    steps as f64 * (tics_per_step as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pre_post_pair_facilitates_and_a_post_pre_pair_depresses() {
        // additive rule (μ = 0): the changes are λ·K⁺·e^(−Δ/τ₊) (·Wmax)
        let p = Stdp::from_overrides([
            ("lambda", 0.1),
            ("mu_plus", 0.0),
            ("mu_minus", 0.0),
            ("Wmax", 10.0),
        ])
        .unwrap();
        let mut post = Archive::new(20.0);
        let d = 1.0;
        let mut s = p.state(5.0);
        post.register(s.t_last - d, d);
        // pre at 10 ms: no post spike yet, K⁻ = 0; the facilitation of an
        // empty range leaves w, the depression with K⁻ = 0 rounds it
        assert_eq!(s.send(&p, 10.0, d, &mut post), 5.0 / 10.0 * 10.0);
        assert_eq!(s.k_plus, 1.0);
        // post at 15 ms (its spike reaches the synapse at 15 + d)
        post.spike(15.0, d);
        // pre at 30: post spike 15 ∈ (10 − d, 30 − d]: facilitation by
        // K⁺·e^((10 − 16)/20); then depression by K⁻(29) = e^(−14/20)
        let w0 = s.weight;
        let w1 = (w0 / 10.0 + 0.1 * 1.0 * (-6.0f64 / 20.0).exp()) * 10.0;
        let w2 = (w1 / 10.0 - 0.1 * (-14.0f64 / 20.0).exp()) * 10.0;
        assert_eq!(s.send(&p, 30.0, d, &mut post), w2);
        assert!(w1 > w0 && w2 < w1);
        // the spike was read once: the range of the next spike is empty
        assert_eq!(post.history[0].access, 1);
    }

    #[test]
    fn weights_stay_within_zero_and_wmax_of_either_sign() {
        // an inhibitory synapse (Wmax < 0) with a huge λ: facilitation
        // saturates at Wmax (no depression: α = 0), depression at 0
        for (alpha, want) in [(0.0, -50.0), (1.0, 0.0)] {
            let p =
                Stdp::from_overrides([("lambda", 5.0), ("Wmax", -50.0), ("alpha", alpha)]).unwrap();
            p.check_weight(-20.0).unwrap();
            assert!(p.check_weight(20.0).is_err());
            let mut post = Archive::new(10.0);
            let mut s = p.state(-20.0);
            post.register(-1.0, 1.0);
            s.send(&p, 5.0, 1.0, &mut post);
            post.spike(5.5, 1.0);
            // post spike 5.5 ∈ (5 − 1, 7 − 1]
            s.send(&p, 7.0, 1.0, &mut post);
            assert_eq!(s.weight, want, "alpha {alpha}");
        }
    }

    #[test]
    fn the_trace_reads_only_spikes_strictly_before() {
        let mut a = Archive::new(20.0);
        a.register(-1.0, 1.0);
        a.spike(5.0, 1.0);
        a.spike(7.0, 1.0);
        assert_eq!(a.k_value(5.0), 0.0);
        assert_eq!(a.k_value(6.0), (-1.0f64 / 20.0).exp());
        let k7 = (-2.0f64 * (1.0 / 20.0)).exp() + 1.0;
        assert_eq!(a.k_value(7.0), (-2.0f64 * (1.0 / 20.0)).exp());
        assert_eq!(a.k_value(8.0), k7 * (-(1.0f64 / 20.0)).exp());
        // unread spikes are kept; once read and far enough, pruned
        for t in 10..40 {
            a.spike(t as f64, 1.0);
        }
        assert_eq!(a.archived(), 32);
        let r = a.history_range(-1.0, 100.0);
        assert_eq!(r, 0..32);
        a.spike(50.0, 1.0);
        assert_eq!(a.archived(), 2, "all read: pruned but the latest");
    }

    #[test]
    fn parameters_are_checked_at_their_names() {
        for (name, v) in [
            ("tau_plus", 0.0),
            ("Wmax", 0.0),
            ("Kplus", -1.0),
            ("lambda", f64::NAN),
        ] {
            let e = Stdp::from_overrides([(name, v)]).unwrap_err().to_string();
            assert!(e.starts_with(&format!("stdp_synapse.{name} = ")), "{e}");
        }
        let e = Stdp::from_overrides([("tau_minus", 1.0)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("has no parameter `tau_minus`"), "{e}");
    }

    #[test]
    fn delays_are_nest_s_steps_times_ms_per_step() {
        assert_eq!(nest_delay_ms(23, 100), 23.0 * 0.1);
        assert_eq!(nest_delay_ms(10, 100), 1.0);
    }
}
