//! `transport = "mpi"`: an edge between two ranks carried by MPI
//! point-to-point messages instead of ZeroMQ tcp.
//!
//! Each message of the connector protocol (the handshake, one window frame
//! of `docs/protocol.md` per window, the end and its acknowledgement,
//! errors) is one MPI message of bytes on a communicator of the run's own
//! (a duplicate of `MPI_COMM_WORLD`), tagged with the edge's index: the
//! producing rank sends to the consuming one and back on the same tag. MPI
//! delivers the messages of one sender, tag and communicator in the order
//! they were sent, so windows arrive in order; the runtime's connectors do
//! the rest exactly as over ZeroMQ or shared memory (lockstep, the end,
//! failures named across the edge).
//!
//! One thread per rank, the *pump*, makes every MPI call of the run
//! (`MPI_THREAD_SERIALIZED`: the main thread makes none while it runs):
//! - a send is `MPI_Issend`, which completes once the consumer's pump has
//!   taken the message; at most [`IN_FLIGHT`] of an edge's messages are
//!   untaken, so a producer waits while its consumer is behind, as with
//!   ZeroMQ's 16-message queue;
//! - for each edge it receives on, while the edge's inbox has room, it
//!   takes whatever has arrived (`MPI_Improbe`, `MPI_Mrecv`);
//! - it also drives MPI's progress (Open MPI progresses large messages only
//!   inside MPI calls). MPI has nothing to block on that a socket or a
//!   condition would wake, so the pump polls: it yields for [`SPIN`] after
//!   its last work, then sleeps [`IDLE`] at a time (timer slack 1 µs);
//!   a local send wakes it at once. A window that arrives while it sleeps
//!   waits up to `IDLE` — see `docs/scaling.md` for what this costs
//!   against ZeroMQ tcp.
//!
//! A rank killed outright: MPI does not say so; the run's watch
//! connections (`cosim.rs`) do, and mark the rank dead here: a pipe waiting
//! on it fails with `rank r of P (partition NAME on HOST) died`, which the
//! connector reports as the partition lost, as for the other transports.

use std::collections::BTreeMap;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use brainstream::runtime::transport::{CarriedEdge, CarriedPipe, EdgeCarrier};
use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};
use mpi::ffi;

/// Messages of one edge sent and not yet taken by the consumer's pump.
pub const IN_FLIGHT: usize = 16;
/// Messages of one edge taken by the pump and not yet read by its connector.
const INBOX: usize = 16;
/// How long the pump keeps polling (yielding its core) after its last work.
pub const SPIN: Duration = Duration::from_micros(100);
/// How long the pump sleeps between polls once idle.
pub const IDLE: Duration = Duration::from_micros(50);
/// How long a rank's end waits, as it finishes, for messages it sent to
/// be taken (an edge's end acknowledgement).
const LINGER: Duration = Duration::from_secs(2);
/// How often a waiting connector looks at the run's abort flag.
const POLL: Duration = Duration::from_millis(50);

/// An MPI communicator handle, used by the pump thread only (and by the
/// main thread before it starts).
struct Comm(ffi::MPI_Comm);
// SAFETY: a handle (a pointer in Open MPI, an int in MPICH) that the MPI
// library lets any thread use under MPI_THREAD_SERIALIZED, one at a time:
// the main thread hands it to the pump before it starts and makes no MPI
// call until the pump has stopped.
unsafe impl Send for Comm {}

/// MPI's text for an error code.
fn error_text(code: c_int) -> String {
    let mut buf = vec![0u8; ffi::MPI_MAX_ERROR_STRING as usize + 1];
    let mut len: c_int = 0;
    // SAFETY: the buffer holds MPI_MAX_ERROR_STRING characters
    let rc = unsafe { ffi::MPI_Error_string(code, buf.as_mut_ptr().cast(), &mut len) };
    if rc != 0 {
        return format!("MPI error {code}");
    }
    buf.truncate(len.max(0) as usize);
    String::from_utf8_lossy(&buf).into_owned()
}

fn check(what: &str, rc: c_int) -> Result<(), String> {
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("{what}: {}", error_text(rc)))
    }
}

/// What one edge's two sides (its connector and the pump) share.
#[derive(Default)]
struct EdgeState {
    /// Messages sent and not yet taken by the peer.
    in_flight: AtomicUsize,
    /// An MPI error on the edge.
    error: Mutex<Option<String>>,
}

impl EdgeState {
    fn error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }
    fn set_error(&self, e: String) {
        if let Ok(mut g) = self.error.lock() {
            g.get_or_insert(e);
        }
    }
}

enum Cmd {
    /// Receive edge `tag`'s messages from `peer` into `inbox`.
    Open {
        tag: c_int,
        peer: c_int,
        inbox: Sender<Vec<u8>>,
        state: Arc<EdgeState>,
    },
    Send {
        tag: c_int,
        peer: c_int,
        bytes: Vec<u8>,
        state: Arc<EdgeState>,
    },
    /// The connector closed; `abandoned`: its peer is gone or failed, so
    /// what it sent need not be waited for.
    Close { tag: c_int, abandoned: bool },
}

/// One rank's MPI edges: the pump thread and what the connectors need to
/// reach it. Dropped (stopping the pump) before MPI is finalized.
pub struct Pump {
    carrier: Arc<MpiEdges>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Pump {
    /// Starts the pump on `world`'s duplicate (a collective: every rank
    /// calls it). `rank_of`: partition name → rank; `who[r]`: what to call
    /// rank `r` in messages; `dead[r]`: set when rank `r` dies.
    pub fn start(
        world: ffi::MPI_Comm,
        rank_of: BTreeMap<String, usize>,
        who: Vec<String>,
        dead: Arc<Vec<AtomicBool>>,
    ) -> Result<Pump, String> {
        let mut comm = MaybeUninit::<ffi::MPI_Comm>::uninit();
        // SAFETY: world is a valid communicator; every rank calls this
        check("MPI_Comm_dup", unsafe {
            ffi::MPI_Comm_dup(world, comm.as_mut_ptr())
        })?;
        // SAFETY: MPI_Comm_dup succeeded and wrote the handle
        let comm = unsafe { comm.assume_init() };
        // errors come back as codes, which the edges report, instead of
        // aborting the job from inside MPI
        // SAFETY: a valid communicator and a predefined error handler
        check("MPI_Comm_set_errhandler", unsafe {
            ffi::MPI_Comm_set_errhandler(comm, ffi::RSMPI_ERRORS_RETURN)
        })?;
        let (tx, rx) = unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let comm = Comm(comm);
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name("mpi-edges".into())
            .spawn(move || pump(comm, rx, &s))
            .map_err(|e| format!("cannot start the MPI edges' thread: {e}"))?;
        let carrier = Arc::new(MpiEdges {
            tx,
            pump: thread.thread().clone(),
            rank_of,
            who,
            dead,
        });
        Ok(Pump {
            carrier,
            stop,
            thread: Some(thread),
        })
    }

    /// What the scheduler opens the edges with.
    pub fn carrier(&self) -> Arc<MpiEdges> {
        self.carrier.clone()
    }
}

impl Drop for Pump {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// A send the pump made and MPI has not completed.
struct Outgoing {
    tag: c_int,
    req: ffi::MPI_Request,
    /// The bytes MPI reads until the request completes.
    bytes: Vec<u8>,
    state: Arc<EdgeState>,
}

struct Incoming {
    tag: c_int,
    peer: c_int,
    inbox: Sender<Vec<u8>>,
    state: Arc<EdgeState>,
}

/// Frees `o`'s request without completing it; its bytes stay allocated
/// for good (MPI may still read them).
fn forsake(mut o: Outgoing) {
    // SAFETY: an active request of ours; after MPI_Request_free MPI may
    // still read the buffer, which is therefore leaked, never freed
    unsafe { ffi::MPI_Request_free(&mut o.req) };
    std::mem::forget(o.bytes);
}

/// The pump: every MPI call of the run's edges, until `stop`.
fn pump(comm: Comm, rx: Receiver<Cmd>, stop: &AtomicBool) {
    // sleeps of IDLE, not IDLE + the default 50 µs of timer slack
    // SAFETY: prctl with an integer argument, for this thread only
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1000 as libc::c_ulong) };
    let comm = comm.0;
    // SAFETY: predefined handles, read once
    let (u8t, ignore) = unsafe { (ffi::RSMPI_UINT8_T, ffi::RSMPI_STATUS_IGNORE) };
    let mut incoming: BTreeMap<c_int, Incoming> = BTreeMap::new();
    let mut outgoing: Vec<Outgoing> = vec![];
    let mut last_work = Instant::now();
    let mut stopping: Option<Instant> = None;
    loop {
        let mut worked = false;
        while let Ok(c) = rx.try_recv() {
            worked = true;
            match c {
                Cmd::Open {
                    tag,
                    peer,
                    inbox,
                    state,
                } => {
                    incoming.insert(
                        tag,
                        Incoming {
                            tag,
                            peer,
                            inbox,
                            state,
                        },
                    );
                }
                Cmd::Send {
                    tag,
                    peer,
                    bytes,
                    state,
                } => {
                    let mut req = MaybeUninit::<ffi::MPI_Request>::uninit();
                    // SAFETY: the bytes stay alive (in `outgoing`, or leaked)
                    // until MPI completes or frees the request; the length
                    // was checked to fit a c_int
                    let rc = unsafe {
                        ffi::MPI_Issend(
                            bytes.as_ptr() as *const c_void,
                            bytes.len() as c_int,
                            u8t,
                            peer,
                            tag,
                            comm,
                            req.as_mut_ptr(),
                        )
                    };
                    match check("MPI_Issend", rc) {
                        Ok(()) => outgoing.push(Outgoing {
                            tag,
                            // SAFETY: MPI_Issend succeeded and wrote it
                            req: unsafe { req.assume_init() },
                            bytes,
                            state,
                        }),
                        Err(e) => {
                            state.in_flight.fetch_sub(1, Ordering::SeqCst);
                            state.set_error(e);
                        }
                    }
                }
                Cmd::Close { tag, abandoned } => {
                    incoming.remove(&tag);
                    if abandoned {
                        let (gone, kept): (Vec<Outgoing>, Vec<Outgoing>) =
                            outgoing.drain(..).partition(|o| o.tag == tag);
                        outgoing = kept;
                        gone.into_iter().for_each(forsake);
                    }
                }
            }
        }
        // what has arrived, while there is room for it
        for inc in incoming.values_mut() {
            while !inc.inbox.is_full() && inc.state.error().is_none() {
                let mut flag: c_int = 0;
                let mut msg = MaybeUninit::<ffi::MPI_Message>::uninit();
                let mut status = MaybeUninit::<ffi::MPI_Status>::uninit();
                // SAFETY: valid communicator; out-pointers to our locals
                let rc = unsafe {
                    ffi::MPI_Improbe(
                        inc.peer,
                        inc.tag,
                        comm,
                        &mut flag,
                        msg.as_mut_ptr(),
                        status.as_mut_ptr(),
                    )
                };
                if let Err(e) = check("MPI_Improbe", rc) {
                    inc.state.set_error(e);
                    break;
                }
                if flag == 0 {
                    break;
                }
                worked = true;
                // SAFETY: flag set: MPI wrote the message and its status
                let (mut msg, status) = unsafe { (msg.assume_init(), status.assume_init()) };
                let mut count: c_int = 0;
                // SAFETY: a status MPI wrote
                let rc = unsafe { ffi::MPI_Get_count(&status, u8t, &mut count) };
                if let Err(e) = check("MPI_Get_count", rc) {
                    inc.state.set_error(e);
                    break;
                }
                let mut buf = vec![0u8; count.max(0) as usize];
                // SAFETY: the buffer holds `count` bytes; the message was
                // matched by the probe above
                let rc = unsafe {
                    ffi::MPI_Mrecv(
                        buf.as_mut_ptr() as *mut c_void,
                        count,
                        u8t,
                        &mut msg,
                        ignore,
                    )
                };
                if let Err(e) = check("MPI_Mrecv", rc) {
                    inc.state.set_error(e);
                    break;
                }
                // room was checked, and only the pump sends to the inbox;
                // a closed connector drops what still comes
                let _ = inc.inbox.try_send(buf);
            }
        }
        // sends the peer has taken
        outgoing.retain_mut(|o| {
            let mut flag: c_int = 0;
            // SAFETY: an active request of ours
            let rc = unsafe { ffi::MPI_Test(&mut o.req, &mut flag, ignore) };
            if let Err(e) = check("MPI_Test", rc) {
                o.state.set_error(e);
                o.state.in_flight.fetch_sub(1, Ordering::SeqCst);
                return false;
            }
            if flag != 0 {
                worked = true;
                o.state.in_flight.fetch_sub(1, Ordering::SeqCst);
                return false;
            }
            true
        });
        if stop.load(Ordering::SeqCst) {
            // what this rank sent last (an end's acknowledgement) is taken
            // within moments by a peer that is still there
            let t0 = *stopping.get_or_insert_with(Instant::now);
            if outgoing.is_empty() || t0.elapsed() > LINGER {
                outgoing.into_iter().for_each(forsake);
                break;
            }
        }
        if worked {
            last_work = Instant::now();
        } else if last_work.elapsed() < SPIN {
            std::thread::yield_now();
        } else {
            std::thread::park_timeout(IDLE);
        }
    }
    let mut comm = comm;
    // SAFETY: our duplicate, no request left on it that MPI still tracks
    // for us (the forsaken ones were freed)
    unsafe { ffi::MPI_Comm_free(&mut comm) };
}

/// The carrier the scheduler opens `transport = "mpi"` edges with.
pub struct MpiEdges {
    tx: Sender<Cmd>,
    pump: Thread,
    rank_of: BTreeMap<String, usize>,
    who: Vec<String>,
    dead: Arc<Vec<AtomicBool>>,
}

impl std::fmt::Debug for MpiEdges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MpiEdges({} ranks)", self.who.len())
    }
}

/// Hands `c` to the pump and wakes it.
fn to_pump(tx: &Sender<Cmd>, pump: &Thread, c: Cmd) -> Result<(), String> {
    tx.send(c)
        .map_err(|_| "the MPI edges' thread has stopped".to_string())?;
    pump.unpark();
    Ok(())
}

impl EdgeCarrier for MpiEdges {
    fn open(&self, edge: &CarriedEdge) -> Result<Box<dyn CarriedPipe>, String> {
        let peer = *self.rank_of.get(&edge.far_partition).ok_or_else(|| {
            format!(
                "edge {}: partition `{}` is no rank of this run",
                edge.name, edge.far_partition
            )
        })?;
        let tag = c_int::try_from(edge.index)
            .ok()
            .filter(|t| *t <= 32767)
            .ok_or_else(|| {
                format!(
                    "edge {}: MPI tags go to 32767 everywhere, and this is edges[{}]",
                    edge.name, edge.index
                )
            })?;
        let state = Arc::new(EdgeState::default());
        let (inbox_tx, inbox) = bounded(INBOX);
        to_pump(
            &self.tx,
            &self.pump,
            Cmd::Open {
                tag,
                peer: peer as c_int,
                inbox: inbox_tx,
                state: state.clone(),
            },
        )?;
        Ok(Box::new(MpiPipe {
            tx: self.tx.clone(),
            pump: self.pump.clone(),
            dead: self.dead.clone(),
            who: self.who.get(peer).cloned().unwrap_or_default(),
            tag,
            peer,
            state,
            inbox,
            abandoned: false,
        }))
    }
}

/// One end of an MPI edge, in its connector's thread.
struct MpiPipe {
    tx: Sender<Cmd>,
    pump: Thread,
    dead: Arc<Vec<AtomicBool>>,
    /// The peer rank, for messages.
    who: String,
    tag: c_int,
    peer: usize,
    state: Arc<EdgeState>,
    inbox: Receiver<Vec<u8>>,
    abandoned: bool,
}

impl MpiPipe {
    /// Why the edge cannot go on: an MPI error, or the peer rank died.
    fn broken(&self) -> Option<String> {
        if let Some(e) = self.state.error() {
            return Some(format!("MPI: {e}"));
        }
        self.dead
            .get(self.peer)
            .is_some_and(|d| d.load(Ordering::SeqCst))
            .then(|| format!("{} died", self.who))
    }

    fn push(&self, bytes: &[u8]) -> Result<(), String> {
        if c_int::try_from(bytes.len()).is_err() {
            return Err(format!(
                "a message of {} bytes: one MPI message carries at most {} (use zmq)",
                bytes.len(),
                c_int::MAX
            ));
        }
        self.state.in_flight.fetch_add(1, Ordering::SeqCst);
        to_pump(
            &self.tx,
            &self.pump,
            Cmd::Send {
                tag: self.tag,
                peer: self.peer as c_int,
                bytes: bytes.to_vec(),
                state: self.state.clone(),
            },
        )
    }
}

impl CarriedPipe for MpiPipe {
    fn send(&mut self, bytes: &[u8], abort: &AtomicBool) -> Result<(), String> {
        // back-pressure: wait while IN_FLIGHT messages are untaken
        let mut waited = 0u32;
        while self.state.in_flight.load(Ordering::SeqCst) >= IN_FLIGHT {
            if abort.load(Ordering::Relaxed) {
                return Err("aborted".into());
            }
            if let Some(e) = self.broken() {
                return Err(e);
            }
            waited += 1;
            std::thread::sleep(Duration::from_micros(if waited < 100 { 20 } else { 1000 }));
        }
        if let Some(e) = self.broken() {
            return Err(e);
        }
        self.push(bytes)
    }

    fn recv(
        &mut self,
        abort: &AtomicBool,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<u8>>, String> {
        let t0 = Instant::now();
        loop {
            let wait = match timeout {
                Some(t) => POLL.min(t.saturating_sub(t0.elapsed())),
                None => POLL,
            };
            match self.inbox.recv_timeout(wait) {
                Ok(b) => return Ok(Some(b)),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err("the MPI edges' thread has stopped".into())
                }
                Err(RecvTimeoutError::Timeout) => {
                    if abort.load(Ordering::Relaxed) {
                        return Ok(None);
                    }
                    if let Some(e) = self.broken() {
                        // what it sent before it went is still readable
                        return match self.inbox.try_recv() {
                            Ok(b) => Ok(Some(b)),
                            Err(_) => Err(e),
                        };
                    }
                    if timeout.is_some_and(|t| t0.elapsed() >= t) {
                        return Ok(None);
                    }
                }
            }
        }
    }

    fn try_recv(&mut self) -> Option<Vec<u8>> {
        self.inbox.try_recv().ok()
    }

    fn send_now(&mut self, bytes: &[u8]) {
        let _ = self.push(bytes);
    }

    fn abandon(&mut self) {
        self.abandoned = true;
    }
}

impl Drop for MpiPipe {
    fn drop(&mut self) {
        let _ = to_pump(
            &self.tx,
            &self.pump,
            Cmd::Close {
                tag: self.tag,
                abandoned: self.abandoned || self.broken().is_some(),
            },
        );
    }
}
