//! The mean field's checkpoint: its engine's state ([`EngineState`]: step,
//! state, history rings, coupling batch, noise generator) and whether proxy
//! states have begun to arrive.

use brainstream_models::EngineState;
use brainstream_runtime::{ActorError, StateReader, StateWriter, Stateful};

use super::MeanField;

/// Writes an engine state.
pub fn write_engine(w: &mut StateWriter, st: &EngineState) {
    w.u64(st.step);
    w.usize(st.batch_k);
    w.f64s(&st.x);
    w.f32s(&st.hist);
    w.f64s(&st.c);
    w.f64s(&st.eta);
    w.f32s(&st.batch_sums);
    w.f32s(&st.batch_steps);
    w.bool(st.numpy.is_some());
    if let Some((mt, idx, gauss)) = &st.numpy {
        w.u32s(mt);
        w.usize(*idx);
        w.opt_f64(*gauss);
    }
    w.bool(st.coloured.is_some());
    if let Some(eta) = &st.coloured {
        w.f64s(eta);
    }
}

/// Reads what [`write_engine`] wrote.
pub fn read_engine(r: &mut StateReader) -> Result<EngineState, ActorError> {
    Ok(EngineState {
        step: r.u64()?,
        batch_k: r.usize()?,
        x: r.f64s()?,
        hist: r.f32s()?,
        c: r.f64s()?,
        eta: r.f64s()?,
        batch_sums: r.f32s()?,
        batch_steps: r.f32s()?,
        numpy: if r.bool()? {
            Some((r.u32s()?, r.usize()?, r.opt_f64()?))
        } else {
            None
        },
        coloured: if r.bool()? { Some(r.f64s()?) } else { None },
    })
}

impl Stateful for MeanField {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        if let Some(e) = &self.deferred {
            return Err(ActorError::new(format!(
                "it diverged in the last window ({e})"
            )));
        }
        if self.gpu.is_some() {
            return Err(ActorError::new(
                "a mean field on Vulkan has no checkpoint (its state is on the device): set backend = \"cpu\" to checkpoint it",
            ));
        }
        let sim = self
            .sim
            .as_ref()
            .ok_or_else(|| ActorError::new("not started"))?;
        let mut w = StateWriter::new();
        write_engine(&mut w, &sim.save_state());
        w.bool(self.proxy_started);
        Ok(w.finish())
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        let mut r = StateReader::new(state, &self.name);
        let st = read_engine(&mut r)?;
        self.proxy_started = r.bool()?;
        r.end()?;
        self.restored = Some(st);
        Ok(())
    }
}
