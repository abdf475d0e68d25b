//! The external simulator's process: started with its output captured into
//! `OUT/<actor>.log`, the last lines of its stderr kept for error messages,
//! watched for exit, stopped (then killed) at the end.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use brainstream_runtime::ActorError;

/// Lines of stderr kept for error messages.
const TAIL: usize = 30;

/// A line of the external process's output that starts with this is also
/// shown to the user as it comes (a `tracing` event of target
/// [`NOTICE_TARGET`], which the CLI prints as `note: ACTOR: …` at its
/// default verbosity): a slow one-time step says so instead of the run
/// sitting at 0 % (`brainstream_client` prints one before building the
/// NEST adapter's native part).
pub const NOTICE: &str = "brainstream-notice: ";

/// The `tracing` target of the external processes' notices.
pub const NOTICE_TARGET: &str = "brainstream::notice";

/// A running external process.
pub(crate) struct Proc {
    child: Child,
    /// The command line, for messages.
    pub(crate) line: String,
    tail: Arc<Mutex<VecDeque<String>>>,
    readers: Vec<JoinHandle<()>>,
    /// Where its stdout and stderr go.
    pub(crate) log: PathBuf,
    status: Option<ExitStatus>,
}

/// The child gets stdin, stdout and stderr only. Files the runtime has
/// open without close-on-exec — the HDF5 library opens its files so, with
/// their locks — would otherwise stay open in the external process (and in
/// anything it starts) after the runtime closed them.
fn close_inherited(c: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: runs in the child between fork and exec, calling only
    // async-signal-safe system calls (close_range, fcntl), no allocation.
    // Marked close-on-exec rather than closed: std's own pipe reporting a
    // failed exec to the parent must stay open until the exec.
    unsafe {
        c.pre_exec(|| {
            #[cfg(target_os = "linux")]
            {
                // CLOSE_RANGE_CLOEXEC (Linux 5.11)
                const CLOEXEC: u32 = 1 << 2;
                if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOEXEC) == 0 {
                    return Ok(());
                }
            }
            // no close_range (older kernels, other systems)
            let max = match libc::sysconf(libc::_SC_OPEN_MAX) {
                n if n > 3 => n.min(65536) as libc::c_int,
                _ => 1024,
            };
            for fd in 3..max {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
            Ok(())
        });
    }
}

fn pump<R: Read + Send + 'static>(
    r: R,
    log: Arc<Mutex<std::fs::File>>,
    tail: Option<Arc<Mutex<VecDeque<String>>>>,
    tag: &'static str,
    who: String,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if let Some(note) = line.strip_prefix(NOTICE) {
                tracing::info!(target: NOTICE_TARGET, "{who}: {note}");
            }
            if let Ok(mut f) = log.lock() {
                let _ = writeln!(f, "{tag}{line}");
            }
            if let Some(t) = &tail {
                if let Ok(mut t) = t.lock() {
                    if t.len() == TAIL {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            }
        }
    })
}

impl Proc {
    /// Starts `cmd` in `cwd` with `env` added to the environment.
    pub(crate) fn spawn(
        cmd: &[String],
        cwd: &Path,
        env: &[(&str, String)],
        log: PathBuf,
    ) -> Result<Self, ActorError> {
        let line = cmd.join(" ");
        let file = std::fs::File::create(&log)
            .map_err(|e| ActorError::new(format!("cannot create {}: {e}", log.display())))?;
        let mut c = Command::new(&cmd[0]);
        c.args(&cmd[1..])
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        close_inherited(&mut c);
        let mut child = c.spawn().map_err(|e| {
            ActorError::new(format!(
                "cannot start `{line}` in {}: {e}{}",
                cwd.display(),
                if e.kind() == std::io::ErrorKind::NotFound {
                    " (is the program on PATH? e.g. activate the virtual environment where NEST, ANNarchy or NetPyNE is installed)"
                } else {
                    ""
                }
            ))
        })?;
        let file = Arc::new(Mutex::new(file));
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let mut readers = vec![];
        // notices name the actor (its log is OUT/<actor>.log)
        let who = log
            .file_stem()
            .map_or_else(|| line.clone(), |s| s.to_string_lossy().into_owned());
        if let Some(o) = child.stdout.take() {
            readers.push(pump(o, file.clone(), None, "", who.clone()));
        }
        if let Some(e) = child.stderr.take() {
            readers.push(pump(e, file, Some(tail.clone()), "[stderr] ", who));
        }
        tracing::info!(command = %line, log = %log.display(), "started external process");
        Ok(Self {
            child,
            line,
            tail,
            readers,
            log,
            status: None,
        })
    }

    /// Its exit status, if it has exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Why it is gone, with the tail of its stderr.
    pub(crate) fn obituary(&mut self) -> String {
        let st = self.exited();
        // let the readers take what it wrote last (bounded: a grandchild
        // may hold the pipes open)
        let t0 = Instant::now();
        while self.readers.iter().any(|r| !r.is_finished()) && t0.elapsed() < Duration::from_secs(1)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let how = match st {
            Some(s) => match s.code() {
                Some(c) => format!("exited with status {c}"),
                None => format!("was killed ({s})"),
            },
            None => "is not answering".to_string(),
        };
        let tail: Vec<String> = self
            .tail
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        let mut m = format!("its process `{}` {how}", self.line);
        if tail.is_empty() {
            m.push_str(" (its stderr is empty)");
        } else {
            m.push_str("; the last lines of its stderr:");
            for l in tail {
                m.push_str("\n    | ");
                m.push_str(&l);
            }
        }
        for (module, pip) in [
            (
                "brainstream_client",
                "pip install ./python (from the brainstream repository)",
            ),
            ("nest", "pip install nest-simulator"),
            ("ANNarchy", "pip install annarchy cmake"),
            ("neuron", "pip install neuron netpyne"),
            ("netpyne", "pip install neuron netpyne"),
        ] {
            if m.contains(&format!("No module named '{module}'")) {
                m.push_str(&format!(
                    "\n  hint: the Python that `{}` runs lacks `{module}`: {pip}, or put the virtual environment that has it first on PATH",
                    self.line.split(' ').next().unwrap_or("")
                ));
            }
        }
        m.push_str(&format!("\n  (all its output: {})", self.log.display()));
        m
    }

    /// Waits up to `grace` for it to exit, then kills it.
    pub(crate) fn stop(&mut self, grace: Duration) {
        let t0 = Instant::now();
        while self.exited().is_none() && t0.elapsed() < grace {
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.exited().is_none() {
            tracing::warn!(command = %self.line, "external process still running; killing it");
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for r in self.readers.drain(..) {
            if r.is_finished() {
                let _ = r.join();
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_does_not_inherit_files_the_runtime_has_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("held.h5");
        std::fs::write(&path, b"x").unwrap();
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // opened as a C library would: without O_CLOEXEC
        // SAFETY: a valid NUL-terminated path; the descriptor is closed below
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY) };
        assert!(fd >= 3);
        let log = dir.path().join("child.log");
        let mut p = Proc::spawn(
            &["sh".into(), "-c".into(), "ls -l /proc/self/fd/ >&2".into()],
            dir.path(),
            &[],
            log.clone(),
        )
        .unwrap();
        let t0 = Instant::now();
        while p.exited().is_none() && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        p.stop(Duration::from_secs(1));
        // SAFETY: the descriptor opened above
        unsafe { libc::close(fd) };
        let listing = std::fs::read_to_string(&log).unwrap();
        assert!(listing.contains("/proc/"), "{listing}");
        assert!(!listing.contains("held.h5"), "{listing}");
    }
}
