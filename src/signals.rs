//! Ctrl-C and SIGTERM for the command line.
//!
//! The first SIGINT or SIGTERM stops the work through its cancel path (a
//! run: every actor's `finish` runs, recorders keep every complete window,
//! plots are drawn, shared-memory files and sockets are removed; a sweep:
//! every finished combination is in `rows.jsonl`); the process then exits
//! with 128 + the signal's number (130, 143). A second one ends the process
//! at once, with the same status. The handlers only write to a pipe
//! (signal-hook); a thread does the rest.

use std::sync::atomic::{AtomicI32, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The first signal received (0: none).
static FIRST: AtomicI32 = AtomicI32::new(0);

/// The first SIGINT or SIGTERM this process received, if any.
pub fn received() -> Option<i32> {
    match FIRST.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The exit status of a process stopped by `sig`: 128 + its number.
pub fn exit_status(sig: i32) -> u8 {
    (128 + sig).clamp(0, 255) as u8
}

/// How a signal is named in messages.
pub fn name(sig: i32) -> &'static str {
    match sig {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// Watches SIGINT and SIGTERM from now on: the first calls `first` with
/// its number; a later one calls `again` with its number (which should be
/// quick: removing files) and exits at once with 128 + the first one's
/// number.
pub fn watch(
    first: impl Fn(i32) + Send + 'static,
    again: impl Fn(i32) + Send + 'static,
) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if FIRST
                    .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    tracing::info!(signal = name(sig), "stopping");
                    first(sig);
                } else {
                    again(sig);
                    let first = received().unwrap_or(sig);
                    eprintln!("second signal ({}): exiting at once", name(sig));
                    std::process::exit(exit_status(first).into());
                }
            }
        })?;
    Ok(())
}

/// Sends `sig` to process `pid` (a partition this launcher started).
pub fn forward(pid: u32, sig: i32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill has no memory effects; a process already gone is ESRCH.
    if unsafe { libc::kill(pid, sig) } != 0 {
        tracing::debug!(pid, error = %std::io::Error::last_os_error(), "could not forward the signal");
    }
}
