//! Where the edges of one run meet, and what is left when it ends.
//!
//! A run is named by its *token* (`seed::run_token`: unguessable; the
//! partitions of one run share it): edge `k` over shared memory is the file
//! `/dev/shm/bs-<token>-e<k>`, edge `k` over ZeroMQ without an `endpoint`
//! is the socket `<temp>/bs-<token>/e<k>.sock`, in the run's private
//! directory (`ipc.rs`). Edges at endpoints the graph names are
//! authenticated with the run *key* (`auth.rs`).
//!
//! Cleaning up: each end removes what it made when it closes (the socket
//! it bound, the shared-memory file it created), on a normal end, a
//! failure or a cancellation alike; when the run's [`Rendezvous`] drops (at
//! the end of `scheduler::run`, whatever the outcome) it removes the
//! sockets of a partner partition that died (stale: nothing listens) and
//! the private directory once it is empty. A partition killed outright
//! cleans nothing: the launcher, which knows the token, removes every file
//! of the run after its partitions have ended ([`remove_run_files`]), and a
//! surviving producer removes a shared-memory file whose creator is dead
//! (`shm.rs`).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::PathBuf;
use std::sync::Arc;

use super::auth::{RunKey, RUN_KEY_ENV};
use super::ipc;
use super::zmq::ZmqRun;
use super::Medium;

/// Environment variable that hands the run token to a partition.
pub const RUN_TOKEN_ENV: &str = "BRAINSTREAM_RUN_TOKEN";

/// The run's private socket directory.
pub fn socket_dir(token: &str) -> PathBuf {
    std::env::temp_dir().join(format!("bs-{token}"))
}

/// The shared-memory file of edge `edge`.
pub(crate) fn shm_path(token: &str, edge: u32) -> PathBuf {
    PathBuf::from(format!("/dev/shm/bs-{token}-e{edge}"))
}

/// The meeting points of one run's edges in this process.
pub(crate) struct Rendezvous {
    token: String,
    key: Option<String>,
    partition: bool,
    zmq: Option<Arc<ZmqRun>>,
    /// The private directory, once made or checked.
    dir: Option<PathBuf>,
    /// Whether edges of this run use shared memory.
    shm: bool,
}

impl Rendezvous {
    /// `key`: the run key (None: a fresh one when this process runs every
    /// actor; none for a partition, whose authenticated edges then fail
    /// naming [`RUN_KEY_ENV`]).
    pub(crate) fn new(token: &str, key: Option<&str>, partition: bool) -> Self {
        Self {
            token: token.to_string(),
            key: key.map(str::to_string),
            partition,
            zmq: None,
            dir: None,
            shm: false,
        }
    }

    fn zmq(&mut self) -> Arc<ZmqRun> {
        let (key, partition) = (self.key.clone(), self.partition);
        self.zmq
            .get_or_insert_with(|| {
                let k = match key {
                    Some(t) => RunKey::parse(&t),
                    None if !partition => RunKey::parse(&RunKey::random_text()),
                    None => Err(format!(
                        "this partition was started without it: set {RUN_KEY_ENV} to the same \
                         secret in every partition of the run (the launcher does it for the \
                         partitions it starts)"
                    )),
                };
                Arc::new(ZmqRun::new(k))
            })
            .clone()
    }

    /// Edge `index`'s endpoint (or shared-memory file), what carries it,
    /// and whether it is authenticated. `named`: the graph's endpoint.
    pub(crate) fn edge(
        &mut self,
        index: u32,
        shm: bool,
        named: Option<&str>,
    ) -> Result<(String, Medium, bool), String> {
        if shm {
            self.shm = true;
            let p = shm_path(&self.token, index);
            return Ok((p.display().to_string(), Medium::Shm, false));
        }
        if let Some(ep) = named {
            return Ok((ep.to_string(), Medium::Zmq(self.zmq()), true));
        }
        let dir = socket_dir(&self.token);
        if self.dir.is_none() {
            ipc::private_dir(&dir)?;
            self.dir = Some(dir.clone());
        }
        let path = dir.join(format!("e{index}.sock"));
        Ok((
            format!("ipc://{}", path.display()),
            Medium::Zmq(self.zmq()),
            false,
        ))
    }
}

impl Drop for Rendezvous {
    fn drop(&mut self) {
        // every end of this process has closed (the connectors are joined
        // or gone with their sockets); the context goes first
        self.zmq.take();
        if let Some(d) = &self.dir {
            // sockets of partitions that died (nothing listens any more),
            // even of edges this process had no part in; the last
            // partition out removes the directory
            sweep(d);
        }
        if self.shm {
            // files whose creator died, even of edges this process had no
            // part in
            sweep_shm(&self.token, false);
        }
    }
}

/// Removes every file of run `token` that is left: shared-memory files and
/// stale sockets of this user, then the empty socket directory. For the
/// launcher, once its partitions have ended (a partition killed outright
/// leaves its files). Returns how many files it removed.
pub fn remove_run_files(token: &str) -> usize {
    sweep_shm(token, true) + sweep(&socket_dir(token))
}

/// Removes run `token`'s shared-memory files of this user: every one
/// (`all`: its partitions have ended), or those whose creator is dead.
/// Returns how many it removed.
fn sweep_shm(token: &str, all: bool) -> usize {
    let me = ipc::euid();
    let prefix = format!("bs-{token}-e");
    let Ok(d) = std::fs::read_dir("/dev/shm") else {
        return 0;
    };
    let mut n = 0;
    for e in d.flatten() {
        if !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let p = e.path();
        let ours =
            std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_file() && m.uid() == me);
        if ours && (all || super::shm::stale(&p)) && std::fs::remove_file(&p).is_ok() {
            tracing::debug!(file = %p.display(), "removed a shared-memory file left by a partition");
            n += 1;
        }
    }
    n
}

/// Removes the stale sockets of this user in the run's socket directory
/// `dir`, then the directory if it is empty. Returns how many it removed.
fn sweep(dir: &std::path::Path) -> usize {
    let mut n = 0;
    if !std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir() && m.uid() == ipc::euid()) {
        return 0;
    }
    if let Ok(d) = std::fs::read_dir(dir) {
        for e in d.flatten() {
            let p = e.path();
            let was = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_socket());
            ipc::remove_if_stale(&p);
            if was && std::fs::symlink_metadata(&p).is_err() {
                n += 1;
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
    n
}
