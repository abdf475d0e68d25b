//! One edge between two actors, as the scheduler and the transports see
//! it: the message carrying one window ([`Msg`]), the bounded channel's
//! receiving side, which applies the edge's delay ([`InEdge`]), its sending
//! side ([`OutEdge`], [`send`]), and the run's failure state that every wait
//! checks ([`Shared`]). The scheduler wires these; a transport
//! (`crate::transport`) replaces a channel's far end with a connector and
//! needs only this module, not the scheduler.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender, TryRecvError};

use crate::actor::WindowInfo;
use crate::graph::slack::needed_before;
use crate::payload::{Payload, PortType, Series, Spikes};

/// How often a waiting thread checks whether the run has stopped.
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// One window of one edge: what the producer sent for window `window`
/// (None: no data on that port in that window).
pub(crate) struct Msg {
    pub(crate) window: u64,
    pub(crate) payload: Option<Payload>,
}

/// Why an actor (or a connector, or the runtime) stopped the run.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) actor: String,
    pub(crate) window: u64,
    pub(crate) time_ms: f64,
    pub(crate) message: String,
    /// true when it is only a consequence of another failure
    pub(crate) secondary: bool,
}

/// What every thread of a run shares: the abort flag, checked at least
/// every [`POLL`] by whoever waits, and the failures that set it.
pub(crate) struct Shared {
    pub(crate) abort: AtomicBool,
    pub(crate) failures: Mutex<Vec<Failure>>,
}

impl Shared {
    /// Records `f` and stops the run.
    pub(crate) fn fail(&self, f: Failure) {
        if let Ok(mut v) = self.failures.lock() {
            v.push(f);
        }
        self.abort.store(true, Ordering::SeqCst);
    }
}

/// Receiving side of one edge.
pub(crate) struct InEdge {
    pub(crate) rx: Receiver<Msg>,
    /// the edge's index in the graph (checkpoints name edges by it)
    pub(crate) edge: u32,
    pub(crate) port: &'static str,
    pub(crate) from: String,
    pub(crate) delay: u64,
    pub(crate) dt: f64,
    pub(crate) window_steps: u64,
    /// next producer window expected
    pub(crate) next: u64,
    pub(crate) pending_series: Option<Series>,
    pub(crate) pending_spikes: Spikes,
    pub(crate) is_spikes: bool,
    pub(crate) finished: bool,
    pub(crate) end_stamped: bool,
    pub(crate) ty: PortType,
    /// serial scheme: producer and consumer share one thread, so an empty
    /// channel can never fill by waiting
    pub(crate) single_thread: bool,
}

/// Why a wait on an edge ended without a message.
pub(crate) enum RecvFail {
    /// The run stopped (another failure is recorded).
    Aborted,
    /// The producer is gone: the message says how.
    Lost(String),
}

impl InEdge {
    fn recv(&mut self, shared: &Shared) -> Result<Msg, RecvFail> {
        // Messages already sent are delivered even after a failure elsewhere,
        // so that recorders keep everything computed before it.
        loop {
            if self.single_thread {
                // producer and consumer share this thread: the message is
                // there, or the producer ended (handled below), or a
                // schedule bug would make waiting hang
                match self.rx.try_recv() {
                    Ok(m) => {
                        self.next += 1;
                        return Ok(m);
                    }
                    Err(TryRecvError::Empty) => {
                        return Err(RecvFail::Lost(format!(
                            "internal scheduling error: window {} of actor `{}` is not \
                             there yet in the serial scheme (please report this graph)",
                            self.next, self.from
                        )))
                    }
                    Err(TryRecvError::Disconnected) => {}
                }
            }
            match self.rx.recv_timeout(POLL) {
                Ok(m) => {
                    debug_assert_eq!(m.window, self.next);
                    self.next += 1;
                    return Ok(m);
                }
                Err(RecvTimeoutError::Timeout) => {
                    if shared.abort.load(Ordering::Relaxed) {
                        return Err(RecvFail::Aborted);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(if shared.abort.load(Ordering::SeqCst) {
                        RecvFail::Aborted
                    } else {
                        RecvFail::Lost(format!(
                            "actor `{}` stopped before sending window {}",
                            self.from, self.next
                        ))
                    })
                }
            }
        }
    }

    fn buffer(&mut self, p: Payload) {
        match p {
            Payload::Series(s) => match &mut self.pending_series {
                None => self.pending_series = Some((*s).clone()),
                Some(acc) => {
                    acc.stamps.extend_from_slice(&s.stamps);
                    acc.times_ms.extend_from_slice(&s.times_ms);
                    let mut data =
                        std::mem::replace(&mut acc.data, ndarray::Array3::zeros((0, 0, 0)));
                    // append along the sample axis
                    let _ = data.append(ndarray::Axis(0), s.data.view());
                    acc.data = data;
                }
            },
            Payload::Spikes(s) => {
                self.is_spikes = true;
                self.pending_spikes.senders.extend_from_slice(&s.senders);
                self.pending_spikes.times_ms.extend_from_slice(&s.times_ms);
                self.pending_spikes.stamps.extend_from_slice(&s.stamps);
            }
        }
    }

    /// At boundary `w` of a checkpoint (the consumer has computed windows
    /// before `w`): takes in every message the producer sent for windows
    /// before `w` (a delayed edge lags its producer, never leads it), and
    /// returns what the edge then holds for windows `≥ w`.
    pub(crate) fn save_at(
        &mut self,
        w: u64,
        shared: &Shared,
    ) -> Result<crate::checkpoint::EdgeState, RecvFail> {
        while self.next < w && !self.finished {
            let m = self.recv(shared)?;
            if let Some(p) = m.payload {
                self.buffer(p);
            }
        }
        Ok(crate::checkpoint::EdgeState {
            next: self.next,
            series: self.pending_series.clone(),
            spikes: self.pending_spikes.clone(),
            is_spikes: self.is_spikes,
        })
    }

    /// Continues from what [`save_at`](Self::save_at) returned.
    pub(crate) fn restore(&mut self, st: &crate::checkpoint::EdgeState) {
        self.next = st.next;
        self.pending_series = st.series.clone();
        self.pending_spikes = st.spikes.clone();
        self.is_spikes = st.is_spikes;
    }

    /// What the consumer sees in window `win`.
    pub(crate) fn collect(
        &mut self,
        win: &WindowInfo,
        shared: &Shared,
    ) -> Result<Option<Payload>, RecvFail> {
        if self.delay == 0 {
            let m = self.recv(shared)?;
            return Ok(m.payload);
        }
        let (s0, s1) = if self.end_stamped {
            (win.start_step + 1, win.start_step + win.n_steps + 1)
        } else {
            (win.start_step, win.start_step + win.n_steps)
        };
        let need = needed_before(self.delay, self.window_steps, self.ty, s1);
        while need.is_some_and(|need| self.next <= need) && !self.finished {
            let m = self.recv(shared)?;
            if let Some(p) = m.payload {
                self.buffer(p);
            }
        }
        let d = self.delay;
        if self.is_spikes {
            let sp = &mut self.pending_spikes;
            let mut out = Spikes::default();
            let mut keep = Spikes::default();
            for i in 0..sp.stamps.len() {
                let k = sp.stamps[i] + d;
                if k < s0 {
                    continue;
                }
                if k < s1 {
                    out.stamps.push(k);
                    out.senders.push(sp.senders[i]);
                    out.times_ms.push(sp.times_ms[i] + d as f64 * self.dt);
                } else {
                    // keep producer stamps in the buffer (shifted when
                    // delivered): a delay that is not a whole number of
                    // windows leaves some spikes for the next window
                    keep.stamps.push(sp.stamps[i]);
                    keep.senders.push(sp.senders[i]);
                    keep.times_ms.push(sp.times_ms[i]);
                }
            }
            *sp = keep;
            return Ok(Some(Payload::Spikes(Arc::new(out))));
        }
        let Some(acc) = self.pending_series.take() else {
            return Ok(None);
        };
        let sel: Vec<usize> = (0..acc.stamps.len())
            .filter(|&i| (s0..s1).contains(&(acc.stamps[i] + d)))
            .collect();
        let later: Vec<usize> = (0..acc.stamps.len())
            .filter(|&i| acc.stamps[i] + d >= s1)
            .collect();
        let pick = |idx: &[usize]| Series {
            stamps: idx.iter().map(|&i| acc.stamps[i] + d).collect(),
            times_ms: idx
                .iter()
                .map(|&i| acc.times_ms[i] + d as f64 * self.dt)
                .collect(),
            data: acc.data.select(ndarray::Axis(0), idx),
            meta: acc.meta.clone(),
        };
        let out = pick(&sel);
        if !later.is_empty() {
            let mut rest = pick(&later);
            // keep producer stamps in the buffer
            for (s, t) in rest.stamps.iter_mut().zip(rest.times_ms.iter_mut()) {
                *s -= d;
                *t -= d as f64 * self.dt;
            }
            self.pending_series = Some(rest);
        }
        Ok(Some(Payload::Series(Arc::new(out))))
    }
}

/// Sending side of one edge.
pub(crate) struct OutEdge {
    pub(crate) tx: Sender<Msg>,
    pub(crate) port: &'static str,
    pub(crate) to: String,
}

/// Sends `m` down `e`, waiting while the consumer is behind.
pub(crate) fn send(e: &OutEdge, mut m: Msg, shared: &Shared) -> Result<(), RecvFail> {
    loop {
        if shared.abort.load(Ordering::Relaxed) {
            return Err(RecvFail::Aborted);
        }
        match e.tx.send_timeout(m, POLL) {
            Ok(()) => return Ok(()),
            Err(SendTimeoutError::Timeout(back)) => m = back,
            Err(SendTimeoutError::Disconnected(_)) => {
                // A consumer drops its receivers only when its thread ends:
                // after a failure (the abort flag is set first), or after its
                // last window, when the tail of a delayed edge is not needed.
                tracing::trace!(to = %e.to, "consumer has finished; tail of a delayed edge dropped");
                return if shared.abort.load(Ordering::SeqCst) {
                    Err(RecvFail::Aborted)
                } else {
                    Ok(())
                };
            }
        }
    }
}
