//! Observables: expressions of a model's state (and parameters) recorded
//! like state variables — tvb-library's variables of interest such as
//! Epileptor's `x2 - x1`. Declared in the model's `[observables]`;
//! evaluated from the state a monitor samples by the batch evaluator
//! (the same operations a generated model would make).

use brainstream_modeldecl::eval::Tape;
use brainstream_modeldecl::Program;

use crate::models::ModelInfo;
use crate::params::ParamSet;

/// Evaluates some of a model's observables from states.
#[derive(Debug, Clone)]
pub struct Observer {
    tape: Tape,
    nv: usize,
    n: usize,
    scratch: Vec<f64>,
    rows: Vec<f64>,
    vals: Vec<f64>,
    /// Coupling terms: zeros (observables do not read them, but the tape
    /// takes one row of `nt` per region).
    zeros: Vec<f64>,
    nt: usize,
}

impl Observer {
    /// For the observables `names` of `info` with parameters `params`,
    /// over `n` regions. `None` if a name is not an observable.
    pub fn new(
        info: &'static ModelInfo,
        params: &ParamSet,
        names: &[&str],
        n: usize,
    ) -> Option<Self> {
        let program: Program = match info.user {
            Some(p) => p.clone(),
            // a built-in's declaration is compiled once more (it checked at build time)
            None => {
                brainstream_modeldecl::compile(info.name, info.source)
                    .ok()?
                    .0
            }
        };
        let ids = names
            .iter()
            .map(|n| program.observables.iter().find(|o| o.0 == *n).map(|o| o.1))
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            tape: Tape::with_outputs(&program, params.values(), params.regional(), &ids),
            nv: info.nvar(),
            n,
            scratch: vec![],
            rows: vec![0.0; info.nvar() * n],
            vals: vec![0.0; names.len() * n],
            zeros: vec![0.0; program.cvar.len() * n],
            nt: program.cvar.len(),
        })
    }

    /// The observables of one state, `state` laid out `nv × N`
    /// (variable-major, as the engine writes samples); `out` receives
    /// `names.len() × N`, observable-major.
    pub fn observe(&mut self, state: &[f64], out: &mut [f64]) {
        let (nv, n) = (self.nv, self.n);
        for k in 0..nv {
            for i in 0..n {
                self.rows[i * nv + k] = state[k * n + i];
            }
        }
        self.tape.eval(
            &mut self.scratch,
            0,
            self.nt,
            &self.rows,
            &self.zeros,
            &mut self.vals,
        );
        let no = out.len() / n;
        for j in 0..no {
            for i in 0..n {
                out[j * n + i] = self.vals[i * no + j];
            }
        }
    }
}
