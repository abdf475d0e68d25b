//! `mpirun -n R brainstream sweep FILE --out DIR`: the ranks share the
//! combinations, rank 0 writes every row.
//!
//! 1. Every rank loads the sweep file (the same checks) and opens its
//!    backend: `--backend vulkan` takes device `local rank mod devices` of
//!    the best kind on its node (one GPU per rank); the ranks must agree on
//!    the backend (CPU and Vulkan rows differ in their last bits).
//! 2. Rank 0 opens `DIR/rows.jsonl` as one process would (resuming what is
//!    there, whoever wrote it) and broadcasts the combinations still to
//!    run; rank `r` takes those at positions `k ≡ r (mod R)` of that list
//!    (`share_of`): shares differ by at most one combination.
//! 3. Every rank runs its share (`--threads 0`: its part of its node's
//!    cores); ranks other than 0 send each outcome to rank 0 as it finishes
//!    (one message: index, row, divergence, saved signal — the f64s' bits),
//!    then an end message; rank 0 appends every row to `rows.jsonl` as it
//!    arrives (synced), its own and the others', writes the saved signals,
//!    and once every rank has ended writes `sweep.h5` and the heat maps.
//!
//! The rows are the bits one process computes (each combination runs alone
//! on one thread, whoever runs it), so `sweep.h5` is the same file as one
//! process's. Interrupted (a signal reaches every rank), each rank drops
//! what runs and sends what finished; `rows.jsonl` then holds every
//! finished row, and the same command with any number of ranks — or none —
//! runs the rest.

use std::sync::Arc;

use brainstream::gpu::GpuDevice;
use brainstream::runtime::Cancel;
use brainstream::sweep::{
    open_backend, run_share, share_of, Backend, Outcome, Peers, Plan, SweepError,
};
use mpi::point_to_point::{Destination, Source};
use mpi::topology::Communicator;
use mpi::Tag;

use super::Ranks;

/// A finished combination, to rank 0.
const ROW: Tag = 1;
/// A rank's share is done (or it stopped).
const END: Tag = 2;

/// Opens this rank's backend and checks that every rank chose the same kind.
fn backend(r: &Ranks, plan: &Plan, backend: Backend) -> Result<Option<Arc<GpuDevice>>, String> {
    let dev = open_backend(plan, backend, r.local_rank);
    let kind = match &dev {
        Ok(Some(_)) => "vulkan",
        Ok(None) => "cpu",
        Err(_) => "failed",
    };
    let kinds: Vec<String> = r
        .all_gather(kind.as_bytes())
        .into_iter()
        .map(|k| String::from_utf8_lossy(&k).into_owned())
        .collect();
    let dev = dev.map_err(|e| e.to_string())?;
    if let Some(other) = kinds.iter().position(|k| k != kind) {
        return Err(format!(
            "rank {other} runs the sweep on {} and rank {} on {kind}: their rows would differ \
             in the last bits; give --backend cpu or --backend vulkan",
            kinds[other], r.rank
        ));
    }
    if let Some(d) = &dev {
        tracing::info!(rank = r.rank, device = %d.name, "sweep device");
    }
    Ok(dev)
}

/// What rank 0 sweeps with: the others, and its device (None: the CPU).
pub type Rank0<'a> = (Box<dyn Peers + 'a>, Option<Arc<GpuDevice>>);

/// Rank 0's side: its backend and the others as [`Peers`].
pub fn rank0<'a>(r: &'a Ranks, plan: &Plan, b: Backend) -> Result<Rank0<'a>, String> {
    let dev = backend(r, plan, b)?;
    Ok((
        Box::new(Others {
            r,
            open: r.size - 1,
        }),
        dev,
    ))
}

/// A rank other than 0: runs its share and sends every outcome to rank 0.
pub fn worker(
    r: &Ranks,
    plan: &Plan,
    b: Backend,
    threads: usize,
    stop: &Cancel,
) -> Result<(), String> {
    let dev = backend(r, plan, b)?;
    let todo = decode_indices(&r.broadcast(vec![]))?;
    let mine = share_of(&todo, r.rank, r.size);
    let t0 = std::time::Instant::now();
    let threads = if threads == 0 { r.threads() } else { threads };
    let root = r.world.process_at_rank(0);
    let mut sent = 0usize;
    let res = run_share(plan, dev, &mine, threads, stop, |o| {
        root.send_with_tag(&encode(&o)[..], ROW);
        sent += 1;
        Ok(())
    });
    root.send_with_tag(&[0u8][..], END);
    res.map_err(|e| e.to_string())?;
    tracing::info!(
        rank = r.rank,
        combinations = sent,
        of = mine.len(),
        wall_s = t0.elapsed().as_secs_f64(),
        "share done"
    );
    Ok(())
}

/// The ranks other than 0, as rank 0 sees them.
struct Others<'a> {
    r: &'a Ranks,
    /// Ranks that have not yet sent their end.
    open: usize,
}

impl Others<'_> {
    /// Takes one message of rank `from` with `tag` (probed): an outcome, or an end.
    fn take(&mut self, from: i32, tag: Tag, out: &mut Vec<Outcome>) -> Result<(), SweepError> {
        let (bytes, _) = self
            .r
            .world
            .process_at_rank(from)
            .receive_vec_with_tag::<u8>(tag);
        match tag {
            ROW => out.push(decode(&bytes).map_err(|e| SweepError::Combination {
                index: 0,
                cause: format!("rank {from} sent an unreadable row ({e}; please report)"),
            })?),
            _ => self.open -= 1,
        }
        Ok(())
    }
}

impl Peers for Others<'_> {
    fn size(&self) -> usize {
        self.r.size
    }

    fn share(&mut self, todo: &[usize]) -> Result<Vec<usize>, SweepError> {
        self.r.broadcast(encode_indices(todo));
        Ok(share_of(todo, 0, self.r.size))
    }

    fn poll(&mut self) -> Result<Vec<Outcome>, SweepError> {
        let mut out = vec![];
        while self.open > 0 {
            let Some(st) = self.r.world.any_process().immediate_probe() else {
                break;
            };
            self.take(st.source_rank(), st.tag(), &mut out)?;
        }
        Ok(out)
    }

    fn finish(&mut self) -> Result<Vec<Outcome>, SweepError> {
        let mut out = vec![];
        while self.open > 0 {
            let st = self.r.world.any_process().probe();
            self.take(st.source_rank(), st.tag(), &mut out)?;
        }
        Ok(out)
    }
}

fn encode_indices(v: &[usize]) -> Vec<u8> {
    v.iter().flat_map(|&i| (i as u64).to_le_bytes()).collect()
}

fn decode_indices(b: &[u8]) -> Result<Vec<usize>, String> {
    if b.len() % 8 != 0 {
        return Err("rank 0 sent a list of combinations cut short (please report)".into());
    }
    Ok(b.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()) as usize)
        .collect())
}

/// One outcome as bytes: index, row length and row, divergence (length
/// and UTF-8; `u64::MAX`: none), saved signal (length and values; `u64::MAX`:
/// none); every number little-endian, f64s as their bits.
pub fn encode(o: &Outcome) -> Vec<u8> {
    let mut b = Vec::with_capacity(32 + 8 * o.row.len());
    let u = |b: &mut Vec<u8>, x: u64| b.extend_from_slice(&x.to_le_bytes());
    u(&mut b, o.index as u64);
    u(&mut b, o.row.len() as u64);
    for v in &o.row {
        u(&mut b, v.to_bits());
    }
    match &o.diverged {
        Some(d) => {
            u(&mut b, d.len() as u64);
            b.extend_from_slice(d.as_bytes());
        }
        None => u(&mut b, u64::MAX),
    }
    match &o.series {
        Some(s) => {
            u(&mut b, s.len() as u64);
            for v in s {
                u(&mut b, v.to_bits());
            }
        }
        None => u(&mut b, u64::MAX),
    }
    b
}

/// [`encode`]'s inverse.
pub fn decode(b: &[u8]) -> Result<Outcome, String> {
    let mut at = 0usize;
    let mut u = || -> Result<u64, String> {
        let c = b.get(at..at + 8).ok_or("cut short")?;
        at += 8;
        Ok(u64::from_le_bytes(c.try_into().map_err(|_| "cut short")?))
    };
    let index = u()? as usize;
    let n = u()?;
    let row = (0..n)
        .map(|_| u().map(f64::from_bits))
        .collect::<Result<Vec<_>, _>>()?;
    let d = u()?;
    let diverged = if d == u64::MAX {
        None
    } else {
        let s = b.get(at..at + d as usize).ok_or("cut short")?;
        at += d as usize;
        Some(String::from_utf8_lossy(s).into_owned())
    };
    let mut u = || -> Result<u64, String> {
        let c = b.get(at..at + 8).ok_or("cut short")?;
        at += 8;
        Ok(u64::from_le_bytes(c.try_into().map_err(|_| "cut short")?))
    };
    let s = u()?;
    let series = if s == u64::MAX {
        None
    } else {
        Some(
            (0..s)
                .map(|_| u().map(f64::from_bits))
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    Ok(Outcome {
        index,
        row,
        series,
        diverged,
    })
}
