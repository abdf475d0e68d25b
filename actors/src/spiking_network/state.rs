//! The spiking network's checkpoint: its network's state
//! ([`NetworkState`]: step, neurons, queued input, generator, plastic
//! synapses), which ports' unconnected trains were already reported, and
//! the (u, x) of the tsodyks2_synapses on input ports (`PortSynapses`).
//! The structure (connections, input wiring) is rebuilt from the graph and
//! the seed at `start`, as in the run that saved it.

use brainstream_models::spiking::network::{NetworkState, NeuronVar};
use brainstream_runtime::{ActorError, StateReader, StateWriter, Stateful};

use super::SpikingNetwork;

impl Stateful for SpikingNetwork {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        let net = self
            .net
            .as_mut()
            .ok_or_else(|| ActorError::new("not started"))?;
        let st = net.save_state().map_err(ActorError::new)?;
        let mut w = StateWriter::new();
        w.u64(st.step);
        w.usize(st.neurons.len());
        for block in &st.neurons {
            w.usize(block.len());
            for v in block {
                match v {
                    NeuronVar::F64(x) => {
                        w.u8(0);
                        w.f64s(x);
                    }
                    NeuronVar::U32(x) => {
                        w.u8(1);
                        w.u32s(x);
                    }
                }
            }
        }
        w.f64s(&st.ring);
        w.f64s(&st.cur_ring);
        w.u32s(&st.fired);
        w.u64s(&st.rng);
        w.f64s(&st.plastic.iter().flatten().copied().collect::<Vec<_>>());
        w.usize(st.archives.len());
        for (n, d, k, l, h) in &st.archives {
            w.u32(*n);
            w.f64(*d);
            w.f64(*k);
            w.f64(*l);
            w.f64s(&h.iter().map(|e| e.0).collect::<Vec<_>>());
            w.f64s(&h.iter().map(|e| e.1).collect::<Vec<_>>());
            w.u32s(&h.iter().map(|e| e.2).collect::<Vec<_>>());
        }
        for b in self.warned_unconnected {
            w.bool(b);
        }
        w.f64s(&self.port_synapses.tsodyks2_states());
        Ok(w.finish())
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        let mut r = StateReader::new(state, &self.name);
        let step = r.u64()?;
        let mut neurons = vec![];
        for _ in 0..r.usize()? {
            let mut block = vec![];
            for _ in 0..r.usize()? {
                block.push(match r.u8()? {
                    0 => NeuronVar::F64(r.f64s()?),
                    _ => NeuronVar::U32(r.u32s()?),
                });
            }
            neurons.push(block);
        }
        let ring = r.f64s()?;
        let cur_ring = r.f64s()?;
        let fired = r.u32s()?;
        let rng_words = r.u64s()?;
        let rng: [u64; 4] = rng_words
            .try_into()
            .map_err(|_| ActorError::new("the saved generator state is damaged"))?;
        let plastic = r
            .f64s()?
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        let mut archives = vec![];
        for _ in 0..r.usize()? {
            let (n, d, k, l) = (r.u32()?, r.f64()?, r.f64()?, r.f64()?);
            let (t, km, acc) = (r.f64s()?, r.f64s()?, r.u32s()?);
            let h = t
                .into_iter()
                .zip(km)
                .zip(acc)
                .map(|((t, k), a)| (t, k, a))
                .collect();
            archives.push((n, d, k, l, h));
        }
        for b in self.warned_unconnected.iter_mut() {
            *b = r.bool()?;
        }
        // a checkpoint written before the input ports' tsodyks2 states were
        // saved ends here: none (refused at start if the network has any)
        self.restored_ports = Some(if r.end().is_ok() { vec![] } else { r.f64s()? });
        r.end()?;
        self.restored = Some(NetworkState {
            step,
            neurons,
            ring,
            cur_ring,
            fired,
            rng,
            plastic,
            archives,
        });
        Ok(())
    }
}
