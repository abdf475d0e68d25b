//! Running under an MPI launcher (`mpirun -n R brainstream …`, `srun`):
//! how a process knows it is one rank of several, and the few collective
//! operations the sweep (`sweep.rs`) and the co-simulation (`cosim.rs`)
//! need, over rsmpi (cargo feature `mpi`).
//!
//! Every MPI call is made by the main thread (`MPI_THREAD_FUNNELED`): the
//! sweep's workers and the co-simulation's actors never touch MPI — except
//! in a co-simulation with edges carried by MPI (`transport = "mpi"`,
//! `edges.rs`), whose one pump thread makes every MPI call while the run
//! goes, the main thread none (`MPI_THREAD_SERIALIZED`). A
//! failure on any rank prints its message, prefixed `rank r of R:`, and
//! calls `MPI_Abort`, which stops every rank (rows already logged stay).
//!
//! Without the feature, a process started by a launcher as one of several
//! refuses to run (each would otherwise do the whole work, into the same
//! folder).

#[cfg(feature = "mpi")]
pub mod cosim;
#[cfg(feature = "mpi")]
pub mod edges;
#[cfg(feature = "mpi")]
pub mod sweep;

/// This process's rank and the rank count, from the variables an MPI
/// launcher sets (Open MPI's `mpirun`, MPICH's Hydra, Slurm's `srun`);
/// None when not started by one, or as the only rank.
pub fn launched() -> Option<(usize, usize)> {
    let num = |k: &str| std::env::var(k).ok()?.trim().parse::<usize>().ok();
    let pairs = [
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
        ("PMI_RANK", "PMI_SIZE"),
        ("PMIX_RANK", "PMIX_SIZE"),
        ("SLURM_PROCID", "SLURM_STEP_NUM_TASKS"),
    ];
    pairs
        .iter()
        .find_map(|(r, s)| Some((num(r)?, num(s)?)))
        .filter(|(_, size)| *size > 1)
}

/// Without the feature there are never ranks: [`start`] refuses to run
/// as one of several.
#[cfg(not(feature = "mpi"))]
pub enum Ranks {}

#[cfg(not(feature = "mpi"))]
impl Ranks {
    pub fn abort(&self, _message: &str) -> ! {
        match *self {}
    }
    pub fn rank(&self) -> usize {
        match *self {}
    }
    pub fn size(&self) -> usize {
        match *self {}
    }
    pub fn threads(&self) -> usize {
        match *self {}
    }
}

/// Without the feature: the MPI paths cannot be reached (no [`Ranks`]).
#[cfg(not(feature = "mpi"))]
pub mod sweep {
    pub fn worker(
        r: &super::Ranks,
        _: &brainstream::sweep::Plan,
        _: brainstream::sweep::Backend,
        _: usize,
        _: &brainstream::runtime::Cancel,
    ) -> Result<(), String> {
        match *r {}
    }

    #[allow(clippy::type_complexity)]
    pub fn rank0<'a>(
        r: &'a super::Ranks,
        _: &brainstream::sweep::Plan,
        _: brainstream::sweep::Backend,
    ) -> Result<
        (
            Box<dyn brainstream::sweep::Peers + 'a>,
            Option<std::sync::Arc<brainstream::gpu::GpuDevice>>,
        ),
        String,
    > {
        match *r {}
    }
}

/// Refuses a graph with `transport = "mpi"` edges run outside MPI ranks
/// (one process, a launcher's partitions, a partition started by hand),
/// naming the first such edge and how to run it.
pub fn refuse_mpi_edges(g: &brainstream::ValidGraph) -> Result<(), String> {
    use brainstream::runtime::graph::descriptor::Transport;
    let Some((k, e)) = g
        .edges
        .iter()
        .enumerate()
        .find(|(_, e)| e.transport == Transport::Mpi)
    else {
        return Ok(());
    };
    let how = if cfg!(feature = "mpi") {
        format!(
            "run it with `mpirun -n {} brainstream run …` (one rank per partition)",
            g.partitions().len()
        )
    } else {
        "this brainstream was built without MPI: build it with `cargo install --path . \
         --features mpi` and run the graph under `mpirun`"
            .to_string()
    };
    Err(format!(
        "edges[{k}] ({} → {}) asks for transport = \"mpi\", which carries edges between MPI \
         ranks, and this run is not under an MPI launcher: {how}; or give the edge \
         transport = \"zmq\"",
        g.actors[e.from].name, g.actors[e.to].name
    ))
}

/// Without the feature: no ranks, no run key from MPI.
#[cfg(not(feature = "mpi"))]
pub mod cosim {
    pub struct Watch;
    pub struct Part {
        pub partition: String,
        pub token: String,
        pub watch: Watch,
    }
    pub fn prepare(r: &super::Ranks, _: &mut brainstream::ValidGraph) -> Result<Part, String> {
        match *r {}
    }
    pub fn run_key() -> Option<String> {
        None
    }
    pub fn edge_carrier() -> Option<std::sync::Arc<dyn brainstream::runtime::transport::EdgeCarrier>>
    {
        None
    }
}

/// The ranks of this run, or None when not started as one of several.
#[cfg(not(feature = "mpi"))]
pub fn start(command: &str) -> Result<Option<Ranks>, String> {
    start_with(command, false)
}

/// [`start`]; `serialized`: ignored without MPI.
#[cfg(not(feature = "mpi"))]
pub fn start_with(_command: &str, _serialized: bool) -> Result<Option<Ranks>, String> {
    match launched() {
        None => Ok(None),
        Some((rank, size)) => Err(format!(
            "started by an MPI launcher as rank {rank} of {size}, but this brainstream was built \
             without MPI (each rank would run everything, into the same folder): build it with \
             `cargo install --path . --features mpi` (needs an MPI library: Debian's \
             libopenmpi-dev, and libclang-dev), or run one process"
        )),
    }
}

#[cfg(feature = "mpi")]
pub use ranks::{start, start_with, Ranks};

#[cfg(feature = "mpi")]
mod ranks {
    use mpi::collective::{CommunicatorCollectives, Root};
    use mpi::topology::{Communicator, SimpleCommunicator};

    /// This process as one of the MPI ranks of a run.
    pub struct Ranks {
        pub world: SimpleCommunicator,
        pub rank: usize,
        pub size: usize,
        /// Its index among the ranks of its node, and their count.
        pub local_rank: usize,
        pub local_size: usize,
        /// MPI may be called from any one thread at a time, not only the
        /// main one (`MPI_THREAD_SERIALIZED` or more).
        pub serialized: bool,
        /// Finalizes MPI when dropped (last).
        _universe: mpi::environment::Universe,
    }

    /// Initializes MPI when started by a launcher as one of several ranks
    /// (None otherwise: one process, no MPI). `command`: what runs, for
    /// messages.
    pub fn start(command: &str) -> Result<Option<Ranks>, String> {
        start_with(command, false)
    }

    /// [`start`]; `serialized`: asks for `MPI_THREAD_SERIALIZED` (a thread
    /// other than the main one makes the MPI calls: `transport = "mpi"`
    /// edges) rather than `MPI_THREAD_FUNNELED`.
    pub fn start_with(command: &str, serialized: bool) -> Result<Option<Ranks>, String> {
        if super::launched().is_none() {
            return Ok(None);
        }
        let asked = if serialized {
            mpi::Threading::Serialized
        } else {
            mpi::Threading::Funneled
        };
        let (universe, level) = mpi::initialize_with_threading(asked)
            .ok_or_else(|| format!("{command}: MPI was initialized twice (please report)"))?;
        let serialized = matches!(level, mpi::Threading::Serialized | mpi::Threading::Multiple);
        let world = universe.world();
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        if size < 2 {
            // a launcher's variables, but MPI says one process: run alone
            return Ok(None);
        }
        let node = world.split_shared(world.rank());
        let (local_rank, local_size) = (node.rank() as usize, node.size() as usize);
        tracing::info!(rank, size, local_rank, local_size, "MPI");
        Ok(Some(Ranks {
            world,
            rank,
            size,
            local_rank,
            local_size,
            serialized,
            _universe: universe,
        }))
    }

    impl Ranks {
        /// This process's rank.
        pub fn rank(&self) -> usize {
            self.rank
        }

        /// How many ranks run.
        pub fn size(&self) -> usize {
            self.size
        }

        /// Prints `message` as this rank's and stops every rank (`MPI_Abort`).
        pub fn abort(&self, message: &str) -> ! {
            eprintln!("rank {} of {}: error: {message}", self.rank, self.size);
            self.world.abort(2)
        }

        /// Rank 0's `bytes`, on every rank.
        pub fn broadcast(&self, bytes: Vec<u8>) -> Vec<u8> {
            let root = self.world.process_at_rank(0);
            let mut len = [bytes.len() as u64];
            root.broadcast_into(&mut len[..]);
            let mut buf = if self.rank == 0 {
                bytes
            } else {
                vec![0u8; len[0] as usize]
            };
            root.broadcast_into(&mut buf[..]);
            buf
        }

        /// Every rank's `bytes`, in rank order, on every rank.
        pub fn all_gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
            // one byte more each: an empty slice's address (1) is Open MPI's
            // MPI_IN_PLACE, which MPI_Allgatherv refuses (MPI_ERR_ARG)
            let padded: Vec<u8> = bytes.iter().copied().chain([0]).collect();
            let bytes = &padded[..];
            let mut lens = vec![0u64; self.size];
            self.world
                .all_gather_into(&[bytes.len() as u64][..], &mut lens[..]);
            let counts: Vec<i32> = lens.iter().map(|&l| l as i32).collect();
            let displs: Vec<i32> = counts
                .iter()
                .scan(0, |acc, &c| {
                    let d = *acc;
                    *acc += c;
                    Some(d)
                })
                .collect();
            let mut all = vec![0u8; lens.iter().sum::<u64>() as usize];
            {
                let mut part =
                    mpi::datatype::PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
                self.world.all_gather_varcount_into(bytes, &mut part);
            }
            counts
                .iter()
                .zip(&displs)
                .map(|(&c, &d)| all[d as usize..(d + c - 1) as usize].to_vec())
                .collect()
        }

        /// Worker threads for `--threads 0`: the cores this rank may use,
        /// but no more than its part of the node's (the node's cores over
        /// its ranks), at least one.
        pub fn threads(&self) -> usize {
            let mine = std::thread::available_parallelism().map_or(1, |n| n.get());
            // SAFETY: sysconf reads a system constant
            let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize;
            mine.min(online / self.local_size).max(1)
        }
    }
}
