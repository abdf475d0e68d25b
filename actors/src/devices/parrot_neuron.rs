//! `parrot_neuron`: NEST's spike repeater, `n` of them. Parrot `i` re-emits
//! every spike that reaches it from train `i` of its input, in the step the
//! spike arrives, with its multiplicity (repeated events stay repeated), so
//! that one train can be shared by all of a parrot's targets — in NEST the
//! way to give many neurons the same Poisson train
//! (`poisson_generator → parrot_neuron → neurons`).
//!
//! Timing as NEST: a spike stamped j (emitted at (j+1)·dt) over a
//! connection of delay d arrives in step j + d, and the parrot's spike is
//! stamped j + d, at (j + d + 1)·dt. Here the connection is the graph edge
//! into `spikes`, whose delay shifts stamps by d; like NEST's, it must be at
//! least one step (a parrot cannot answer within the step it is sent to).
//! A spike from a train ≥ `n` stops the run with an error naming it.

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, RunContext, Spikes, WindowInfo,
};

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "n",
    ty: ParamType::Int,
    default: DefaultValue::Required,
    range: Some((1.0, 4294967295.0)),
    unit: "",
    doc: "Number of parrots; parrot i repeats input train i",
}];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "parrot_neuron",
    doc: "Repeats spikes (NEST's parrot_neuron): parrot i re-emits input train i in the step it arrives, so one train can be shared by all of its targets",
    params: PARAMS,
    inputs: &[PortDecl {
        name: "spikes",
        ty: PortType::Spikes,
        doc: "spike trains, senders 0..n (over an edge of at least one step, NEST's minimal delay)",
        end_stamped: false,
    }],
    outputs: &[PortDecl {
        name: "spikes",
        ty: PortType::Spikes,
        doc: "the parrots' spikes, sender = parrot index",
        end_stamped: false,
    }],
    build,
};

struct ParrotNeuron {
    name: String,
    n: u64,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    Ok(Box::new(ParrotNeuron {
        name: ctx.name.to_string(),
        n: ctx.params.i64("n")? as u64,
    }))
}

impl Actor for ParrotNeuron {
    fn start(&mut self, ctx: &RunContext) -> Result<(), ActorError> {
        if let Some(d) = ctx.delays_into("spikes").find(|&d| d == 0) {
            return Err(ActorError::new(format!(
                "`{0}`: its input edge has a delay of {d} steps; a spike reaches a parrot_neuron one step after it is sent at the earliest (NEST's minimal delay): give the edge into `{0}.spikes` delay_ms ≥ dt",
                self.name
            )));
        }
        Ok(())
    }

    fn step(
        &mut self,
        w: &WindowInfo,
        inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let mut sp = Spikes::default();
        if let Some(input) = crate::util::spikes(inputs, "spikes")? {
            for (k, &stamp) in input.stamps.iter().enumerate() {
                if !w.contains(stamp) {
                    continue;
                }
                let s = input.senders[k];
                if u64::from(s) >= self.n {
                    return Err(ActorError::new(format!(
                        "`{}`: a spike from train {s} at {} ms, but there are {} parrots",
                        self.name,
                        (stamp + 1) as f64 * w.dt_ms,
                        self.n
                    )));
                }
                sp.stamps.push(stamp);
                sp.senders.push(s);
                sp.times_ms.push((stamp + 1) as f64 * w.dt_ms);
            }
        }
        out.set("spikes", Payload::Spikes(Arc::new(sp)));
        Ok(())
    }
}
