//! The recorder's checkpoint: how far its file goes (samples of `/data`,
//! spikes), so that a resumed run appends to the same file and ends with
//! the values of a run that never stopped.
//!
//! Saving flushes the file. Resuming reopens `OUT/<file>` (copied from the
//! checkpointed run's folder when `--out` is another folder that lacks it),
//! cuts its datasets back to the checkpoint's lengths (a run that went on
//! past the checkpoint wrote more), and appends from there.

use std::path::PathBuf;

use brainstream_runtime::{ActorError, RunContext, StateReader, StateWriter, Stateful};

use super::{h5err, provenance, Recorder, Series5, Spikes5, META_MARGIN, TIME_CHUNK};
use crate::disk_reserve::DiskReserve;

/// What a checkpoint holds of a recorder.
#[derive(Debug, Clone)]
pub(super) struct Position {
    /// the file of the run that saved it (absolute)
    path: PathBuf,
    /// samples of `/data` and the first two times, if a series was recorded
    series: Option<(usize, Vec<f64>)>,
    /// spikes, if spikes were recorded
    spikes: Option<usize>,
}

impl Stateful for Recorder {
    fn save_state(&mut self) -> Result<Vec<u8>, ActorError> {
        self.flush()?;
        let path = self
            .path
            .as_ref()
            .ok_or_else(|| ActorError::new("not started"))?;
        let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        let mut w = StateWriter::new();
        w.str(&path.to_string_lossy());
        w.bool(self.series.is_some());
        if let Some(d) = &self.series {
            w.usize(d.len);
            w.f64s(&d.first_times);
        }
        w.bool(self.spikes.is_some());
        if let Some(d) = &self.spikes {
            w.usize(d.len);
        }
        Ok(w.finish())
    }

    fn restore_state(&mut self, state: &[u8]) -> Result<(), ActorError> {
        let mut r = StateReader::new(state, "an hdf5_recorder");
        let path = PathBuf::from(r.str()?);
        let series = if r.bool()? {
            Some((r.usize()?, r.f64s()?))
        } else {
            None
        };
        let spikes = if r.bool()? { Some(r.usize()?) } else { None };
        r.end()?;
        self.resume = Some(Position {
            path,
            series,
            spikes,
        });
        Ok(())
    }
}

impl Recorder {
    /// `start` of a resumed run: the file as it was at the checkpoint.
    pub(super) fn reopen(&mut self, ctx: &RunContext, at: Position) -> Result<(), ActorError> {
        let name = self
            .file_name
            .clone()
            .unwrap_or_else(|| format!("{}.h5", ctx.name));
        let path = ctx.out_dir.join(&name);
        if !path.exists() {
            if !at.path.exists() {
                return Err(ActorError::new(format!(
                    "resuming: the recording {name} is neither in {} nor where the checkpointed run wrote it ({}); a checkpoint continues that run's files",
                    ctx.out_dir.display(),
                    at.path.display()
                )));
            }
            std::fs::copy(&at.path, &path).map_err(|e| {
                ActorError::new(format!(
                    "resuming: cannot copy {} to {}: {e}",
                    at.path.display(),
                    path.display()
                ))
            })?;
        }
        let f = hdf5::File::open_rw(&path).map_err(|e| {
            ActorError::new(format!("resuming: cannot open {}: {e}", path.display()))
        })?;
        let short = |what: &str, has: usize, want: usize| {
            ActorError::new(format!(
                "resuming: {} holds {has} {what}, the checkpoint {want}: it is not the file of the checkpointed run (or it was cut)",
                path.display()
            ))
        };
        if let Some((len, first_times)) = at.series {
            let data = f.dataset("data").map_err(h5err)?;
            let sh = data.shape();
            if sh.len() != 4 || sh[0] < len {
                return Err(short("samples", sh.first().copied().unwrap_or(0), len));
            }
            let (time, step) = (
                f.dataset("time").map_err(h5err)?,
                f.dataset("step").map_err(h5err)?,
            );
            // anything recorded after the checkpoint goes
            data.resize((len, sh[1], sh[2], sh[3])).map_err(h5err)?;
            time.resize(len).map_err(h5err)?;
            step.resize(len).map_err(h5err)?;
            let chunk_t = data
                .chunk()
                .and_then(|c| c.first().copied())
                .unwrap_or(TIME_CHUNK);
            let time_chunk = time
                .chunk()
                .and_then(|c| c.first().copied())
                .unwrap_or(TIME_CHUNK);
            self.series = Some(Series5 {
                data,
                time,
                step,
                len,
                flushed: len,
                shape: (sh[1] * sh[3], sh[2]),
                modes: sh[3],
                chunk_t,
                time_chunk,
                first_times,
            });
        }
        if let Some(len) = at.spikes {
            let g = f.group("spikes").map_err(h5err)?;
            let times = g.dataset("times").map_err(h5err)?;
            let has = times.shape().first().copied().unwrap_or(0);
            if has < len {
                return Err(short("spikes", has, len));
            }
            let (spike, senders) = (
                g.dataset("spike").map_err(h5err)?,
                g.dataset("senders").map_err(h5err)?,
            );
            for d in [&spike, &times, &senders] {
                d.resize(len).map_err(h5err)?;
            }
            self.spikes = Some(Spikes5 {
                spike,
                times,
                senders,
                len,
                flushed: len,
            });
        }
        let mut reserve = DiskReserve::open(&path)
            .map_err(|e| ActorError::new(format!("resuming: {}: {e}", path.display())))?;
        reserve
            .ensure(reserve.size() + META_MARGIN)
            .map_err(|e| ActorError::new(format!("resuming: {e}")))?;
        self.graph = provenance::graph(ctx);
        self.file = Some(f);
        self.reserve = Some(reserve);
        self.path = Some(path);
        self.ctx = Some(ctx.clone());
        self.set_complete(false)?;
        self.flush()
    }
}
