//! Long work off the Python thread: the work runs on a thread of its own
//! while the calling thread, without the GIL, waits for it; every 50 ms it
//! takes the GIL to let Python handle signals (Ctrl-C raises
//! `KeyboardInterrupt` there) and to report progress. A signal's exception
//! (or one raised by the progress report) cancels the work through its
//! [`Cancel`], which stops it the way the command line's Ctrl-C does; the
//! work's result is still awaited and returned with the exception.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use brainstream::runtime::Cancel;
use pyo3::prelude::*;

/// How often the waiting thread looks for signals and reports progress.
const TICK: Duration = Duration::from_millis(50);

/// Set when the work ends, even by a panic.
struct Done(Arc<(Mutex<bool>, Condvar)>);

impl Drop for Done {
    fn drop(&mut self) {
        let (m, c) = &*self.0;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
        c.notify_all();
    }
}

/// Runs `work` on its own thread and waits for it, handling signals and
/// calling `tick` (with the GIL) every 50 ms. Returns the work's result
/// (an error if it panicked) and the exception that stopped it, if any.
pub fn run<T: Send>(
    py: Python<'_>,
    cancel: &Arc<Cancel>,
    work: impl FnOnce() -> T + Send,
    mut tick: impl FnMut(Python<'_>) -> PyResult<()>,
) -> (Result<T, String>, Option<PyErr>) {
    let done = Arc::new((Mutex::new(false), Condvar::new()));
    let mut stopped_by: Option<PyErr> = None;
    let result = std::thread::scope(|s| {
        let guard = Done(done.clone());
        let handle = std::thread::Builder::new()
            .name("brainstream-run".into())
            .spawn_scoped(s, move || {
                let _guard = guard;
                work()
            });
        let handle = match handle {
            Ok(h) => h,
            Err(e) => return Err(format!("cannot start a thread: {e}")),
        };
        loop {
            let finished = py.detach(|| {
                let (m, c) = &*done;
                let g = m.lock().unwrap_or_else(|e| e.into_inner());
                if *g {
                    return true;
                }
                let (g, _) = c.wait_timeout(g, TICK).unwrap_or_else(|e| e.into_inner());
                *g
            });
            if finished {
                break;
            }
            let r = py.check_signals().and_then(|()| tick(py));
            if let Err(e) = r {
                if stopped_by.is_none() {
                    let cause = e
                        .get_type(py)
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|_| "an exception".into());
                    cancel.cancel(cause);
                    stopped_by = Some(e);
                }
            }
        }
        handle.join().map_err(|p| {
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into())
        })
    });
    (result, stopped_by)
}
