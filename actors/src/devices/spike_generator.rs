//! `spike_generator`: emits given spike times, NEST's device of that name.
//! A spike at `t` ms (a multiple of dt) is emitted in the step ending at
//! `t` (stamp `t/dt − 1`), so over a delay d it acts in the step ending at
//! `t + d`, as in NEST. `senders` (optional, same length) numbers the trains
//! (default 0 for all).

use std::sync::Arc;

use brainstream_runtime::{
    Actor, ActorError, BuildCtx, BuildError, DefaultValue, Inputs, KindSpec, Outputs, ParamSpec,
    ParamType, Payload, PortDecl, PortType, Spikes, WindowInfo,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "spike_times_ms",
        ty: ParamType::FloatList,
        default: DefaultValue::Required,
        range: Some((0.0, 1e12)),
        unit: "ms",
        doc: "Spike times, multiples of dt, > 0, ascending per sender",
    },
    ParamSpec {
        name: "senders",
        ty: ParamType::FloatList,
        default: DefaultValue::Optional,
        range: Some((0.0, 4294967295.0)),
        unit: "",
        doc: "Train index of each spike (default 0)",
    },
];

/// The kind.
pub const KIND: KindSpec = KindSpec {
    name: "spike_generator",
    doc: "Emits given spike times (NEST's spike_generator)",
    params: PARAMS,
    inputs: &[],
    outputs: &[PortDecl {
        name: "spikes",
        ty: PortType::Spikes,
        doc: "the spikes",
        end_stamped: false,
    }],
    build,
};

struct SpikeGenerator {
    /// (stamp, sender, time), sorted by stamp
    spikes: Vec<(u64, u32, f64)>,
    next: usize,
}

fn build(ctx: &BuildCtx) -> Result<Box<dyn Actor>, BuildError> {
    let p = &ctx.params;
    let times = p.f64_list("spike_times_ms")?.unwrap_or_default();
    let senders = p.f64_list("senders")?;
    if let Some(s) = &senders {
        if s.len() != times.len() {
            return Err(BuildError::at(
                "senders",
                format!("{} senders for {} spike times", s.len(), times.len()),
            ));
        }
    }
    let mut spikes = vec![];
    for (k, &t) in times.iter().enumerate() {
        let key = format!("spike_times_ms[{k}]");
        let r = super::on_grid(&key, t, ctx.dt_ms)
            .ok()
            .filter(|&r| r >= 1)
            .ok_or_else(|| {
                BuildError::at(
                    key,
                    format!("{t} ms is not a positive multiple of dt = {} ms", ctx.dt_ms),
                )
            })?;
        let sender = senders.as_ref().map_or(0, |s| s[k] as u32);
        spikes.push((r - 1, sender, t));
    }
    spikes.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    Ok(Box::new(SpikeGenerator { spikes, next: 0 }))
}

impl Actor for SpikeGenerator {
    fn step(
        &mut self,
        w: &WindowInfo,
        _inputs: &Inputs,
        out: &mut Outputs,
    ) -> Result<(), ActorError> {
        let mut sp = Spikes::default();
        let end = w.start_step + w.n_steps;
        while self.next < self.spikes.len() && self.spikes[self.next].0 < end {
            let (st, s, t) = self.spikes[self.next];
            if st >= w.start_step {
                sp.stamps.push(st);
                sp.senders.push(s);
                sp.times_ms.push(t);
            }
            self.next += 1;
        }
        out.set("spikes", Payload::Spikes(Arc::new(sp)));
        Ok(())
    }
}
