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

fn pump<R: Read + Send + 'static>(
    r: R,
    log: Arc<Mutex<std::fs::File>>,
    tail: Option<Arc<Mutex<VecDeque<String>>>>,
    tag: &'static str,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
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
        let mut child = c.spawn().map_err(|e| {
            ActorError::new(format!(
                "cannot start `{line}` in {}: {e}{}",
                cwd.display(),
                if e.kind() == std::io::ErrorKind::NotFound {
                    " (is the program on PATH? e.g. activate the virtual environment where NEST or ANNarchy is installed)"
                } else {
                    ""
                }
            ))
        })?;
        let file = Arc::new(Mutex::new(file));
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let mut readers = vec![];
        if let Some(o) = child.stdout.take() {
            readers.push(pump(o, file.clone(), None, ""));
        }
        if let Some(e) = child.stderr.take() {
            readers.push(pump(e, file, Some(tail.clone()), "[stderr] "));
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
