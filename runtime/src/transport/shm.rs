//! Shared-memory pipes (one host): one file per edge under `/dev/shm`,
//! `bs-<run token>-e<edge>`, created by the consuming side with owner-only
//! permissions (0600) under the run's random token, removed when the edge
//! ends; the producing side maps the same file. It holds two
//! single-producer single-consumer rings: forward (windows, 32 MiB) and
//! back (handshake, acknowledgement, errors, 1 MiB).
//!
//! Layout (little-endian, 64-byte header blocks):
//!
//! | offset | field |
//! |---|---|
//! | 0 | magic `BSSH`, u32 version (1) |
//! | 8 | u32 creator pid, u32 opener pid |
//! | 64 | forward ring: u64 write position, u64 read position, u64 capacity |
//! | 128 | back ring: the same |
//! | 192 | forward data, then back data |
//!
//! A record is `u64 length` + the message (the wire format), padded to 8
//! bytes, wrapping at the end of the ring. Positions only grow; the writer
//! publishes with a release store, the reader consumes with an acquire
//! load. Waiting spins briefly, then yields, then sleeps 20 µs (never a pure
//! busy spin on two cores), checking the run's abort flag and whether the
//! peer process is still alive (`/proc/<pid>`). A file whose creator is dead
//! is stale (a crashed run) and is replaced, if it is a file of this user.
//! The producing side uses only a regular file of this user that no one
//! else may read or write (checked on the open descriptor, links not
//! followed), and removes the file when it closes if its creator died (a
//! partition killed outright).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use memmap2::MmapMut;

use super::connector::{Pipe, HANDSHAKE};
use super::{End, Link};
use crate::edge::Shared;

const MAGIC: u32 = u32::from_le_bytes(*b"BSSH");
const FWD: u64 = 32 << 20;
const BACK: u64 = 1 << 20;
const DATA: usize = 192;

fn alive(pid: u32) -> bool {
    pid == 0 || Path::new(&format!("/proc/{pid}")).exists()
}

struct Map {
    map: MmapMut,
    path: PathBuf,
    owner: bool,
    /// `(device, inode)` of the file mapped, to remove only that one.
    id: (u64, u64),
}

impl Map {
    fn u32_at(&self, off: usize) -> &AtomicU32 {
        // SAFETY: the mapping is page-aligned and at least DATA bytes long;
        // `off` is a multiple of 4 inside the header.
        unsafe { &*(self.map.as_ptr().add(off) as *const AtomicU32) }
    }
    fn u64_at(&self, off: usize) -> &AtomicU64 {
        // SAFETY: as above, `off` is a multiple of 8 inside the header.
        unsafe { &*(self.map.as_ptr().add(off) as *const AtomicU64) }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // the creator removes its file; a producer removes it too when the
        // creator is dead (it cannot any more)
        let creator = self.u32_at(8).load(Ordering::Acquire);
        if self.owner || !alive(creator) {
            super::ipc::remove_ours(&self.path, self.id);
        }
    }
}

/// One direction: ring header at `hdr`, data at `data`.
#[derive(Clone, Copy)]
struct Ring {
    hdr: usize,
    data: usize,
    cap: u64,
}

struct ShmPipe {
    m: Map,
    out: Ring,
    inp: Ring,
    /// offset of the peer's pid
    peer_pid_at: usize,
    edge: String,
}

impl ShmPipe {
    fn peer_alive(&self) -> bool {
        alive(self.m.u32_at(self.peer_pid_at).load(Ordering::Acquire))
    }

    /// Waits with escalating back-off until `ready()`, the abort flag, the
    /// peer's death or `timeout`.
    fn wait(
        &self,
        shared: &Shared,
        timeout: Option<Duration>,
        mut ready: impl FnMut() -> bool,
    ) -> Result<bool, String> {
        let t0 = Instant::now();
        let mut k: u32 = 0;
        loop {
            if ready() {
                return Ok(true);
            }
            k += 1;
            if k < 200 {
                std::hint::spin_loop();
            } else if k < 400 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(20));
                if k.is_multiple_of(256) {
                    if shared.abort.load(Ordering::Relaxed)
                        || timeout.is_some_and(|t| t0.elapsed() > t)
                    {
                        return Ok(false);
                    }
                    if !self.peer_alive() {
                        return Err(format!(
                            "edge {}: the process at the other end is gone",
                            self.edge
                        ));
                    }
                }
            }
        }
    }

    fn copy_in(&mut self, r: Ring, pos: u64, bytes: &[u8]) {
        let start = (pos % r.cap) as usize;
        let first = bytes.len().min(r.cap as usize - start);
        let d = &mut self.m.map[r.data..r.data + r.cap as usize];
        d[start..start + first].copy_from_slice(&bytes[..first]);
        d[..bytes.len() - first].copy_from_slice(&bytes[first..]);
    }

    fn copy_out(&self, r: Ring, pos: u64, out: &mut [u8]) {
        let start = (pos % r.cap) as usize;
        let first = out.len().min(r.cap as usize - start);
        let d = &self.m.map[r.data..r.data + r.cap as usize];
        out[..first].copy_from_slice(&d[start..start + first]);
        let n = out.len();
        out[first..].copy_from_slice(&d[..n - first]);
    }

    /// Writes one record, waiting for room unless `shared` is None (then a
    /// full ring is an error).
    fn write(&mut self, bytes: &[u8], shared: Option<&Shared>) -> Result<(), String> {
        let r = self.out;
        let need = 8 + (bytes.len() as u64).div_ceil(8) * 8;
        if need > r.cap {
            return Err(format!(
                "edge {}: a message of {} bytes is larger than the ring ({} bytes)",
                self.edge,
                bytes.len(),
                r.cap
            ));
        }
        let w = self.m.u64_at(r.hdr).load(Ordering::Relaxed);
        let m = &self.m;
        let fits = || w + need - m.u64_at(r.hdr + 8).load(Ordering::Acquire) <= r.cap;
        if !fits() {
            let Some(shared) = shared else {
                return Err("full".into());
            };
            if !self.wait(shared, None, fits)? {
                return Err("aborted".into());
            }
        }
        self.copy_in(r, w, &(bytes.len() as u64).to_le_bytes());
        self.copy_in(r, w + 8, bytes);
        self.m.u64_at(r.hdr).store(w + need, Ordering::Release);
        Ok(())
    }

    /// Reads one record, waiting for one unless `shared` is None.
    fn read(
        &mut self,
        shared: Option<&Shared>,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<u8>>, String> {
        let r = self.inp;
        let rd = self.m.u64_at(r.hdr + 8).load(Ordering::Relaxed);
        let m = &self.m;
        let has = || m.u64_at(r.hdr).load(Ordering::Acquire) > rd;
        if !has() {
            let Some(shared) = shared else {
                return Ok(None);
            };
            if !self.wait(shared, timeout, has)? {
                return Ok(None);
            }
        }
        let mut len = [0u8; 8];
        self.copy_out(r, rd, &mut len);
        let len = u64::from_le_bytes(len);
        let avail = self.m.u64_at(r.hdr).load(Ordering::Acquire) - rd;
        if len + 8 > avail || len > r.cap {
            return Err(format!(
                "edge {}: corrupt ring (a record of {len} bytes with {avail} written)",
                self.edge
            ));
        }
        let mut out = vec![0u8; len as usize];
        self.copy_out(r, rd + 8, &mut out);
        self.m
            .u64_at(r.hdr + 8)
            .store(rd + 8 + len.div_ceil(8) * 8, Ordering::Release);
        Ok(Some(out))
    }
}

impl Pipe for ShmPipe {
    fn send(&mut self, bytes: &[u8], shared: &Shared) -> Result<(), String> {
        self.write(bytes, Some(shared))
    }
    fn recv(
        &mut self,
        shared: &Shared,
        timeout: Option<Duration>,
    ) -> Result<Option<Vec<u8>>, String> {
        self.read(Some(shared), timeout)
    }
    fn try_recv(&mut self) -> Option<Vec<u8>> {
        self.read(None, None).ok().flatten()
    }
    fn send_now(&mut self, bytes: &[u8]) {
        let _ = self.write(bytes, None);
    }
}

fn rings() -> (Ring, Ring) {
    (
        Ring {
            hdr: 64,
            data: DATA,
            cap: FWD,
        },
        Ring {
            hdr: 128,
            data: DATA + FWD as usize,
            cap: BACK,
        },
    )
}

/// The creator pid written in the file at `p` (0: not written yet).
fn creator(p: &Path) -> u32 {
    use std::io::Read;
    let mut b = [0u8; 12];
    let read = std::fs::File::open(p).and_then(|mut f| f.read_exact(&mut b));
    if read.is_ok() {
        u32::from_le_bytes([b[8], b[9], b[10], b[11]])
    } else {
        0
    }
}

/// Whether the shared-memory file at `p` is stale: its creator wrote its
/// pid and is gone.
pub(crate) fn stale(p: &Path) -> bool {
    let pid = creator(p);
    pid != 0 && !alive(pid)
}

fn create(p: &Path, edge: &str) -> Result<Map, String> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let size = DATA as u64 + FWD + BACK;
    let open = || {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(p)
    };
    let f = match open() {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let m = std::fs::symlink_metadata(p)
                .map_err(|e| format!("edge {edge}: {}: {e}", p.display()))?;
            if !m.file_type().is_file() {
                return Err(format!(
                    "edge {edge}: {} is {}: refusing to replace it",
                    p.display(),
                    super::ipc::kind(&m)
                ));
            }
            if m.uid() != super::ipc::euid() {
                return Err(format!(
                    "edge {edge}: {} belongs to user id {}, not to this user: refusing to use it",
                    p.display(),
                    m.uid()
                ));
            }
            // stale if its creator is dead
            let pid = creator(p);
            if pid != 0 && alive(pid) {
                return Err(format!(
                    "edge {edge}: {} is in use by process {pid}",
                    p.display()
                ));
            }
            tracing::warn!(file = %p.display(), "removing a stale shared-memory file");
            let _ = std::fs::remove_file(p);
            open().map_err(|e| format!("edge {edge}: {}: {e}", p.display()))?
        }
        Err(e) => return Err(format!("edge {edge}: cannot create {}: {e}", p.display())),
    };
    // exactly 0600, whatever the umask took away
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|_| f.set_len(size))
        .map_err(|e| format!("edge {edge}: {}: {e}", p.display()))?;
    let md = f
        .metadata()
        .map_err(|e| format!("edge {edge}: {}: {e}", p.display()))?;
    // SAFETY: a file we just created, owner-only, mapped whole.
    let map = unsafe { MmapMut::map_mut(&f) }.map_err(|e| format!("edge {edge}: mmap: {e}"))?;
    let m = Map {
        map,
        path: p.to_path_buf(),
        owner: true,
        id: (md.dev(), md.ino()),
    };
    let (fw, bk) = rings();
    for r in [fw, bk] {
        m.u64_at(r.hdr + 16).store(r.cap, Ordering::Relaxed);
    }
    m.u32_at(4).store(1, Ordering::Relaxed);
    m.u32_at(8).store(std::process::id(), Ordering::Relaxed);
    m.u32_at(0).store(MAGIC, Ordering::Release);
    Ok(m)
}

/// Whether the open file `f` at `p` may be mapped: a regular file of this
/// user that no one else may read or write. None: it is not complete yet
/// (its creator has not sized it); an error when it is not ours.
fn usable(f: &std::fs::File, p: &Path, edge: &str) -> Result<Option<(u64, u64)>, String> {
    use std::os::unix::fs::MetadataExt;
    let m = f
        .metadata()
        .map_err(|e| format!("edge {edge}: {}: {e}", p.display()))?;
    if !m.file_type().is_file() {
        return Err(format!(
            "edge {edge}: {} is {}, not a shared-memory file: refusing to use it",
            p.display(),
            super::ipc::kind(&m)
        ));
    }
    if let Some(why) = super::ipc::private_to(m.uid(), m.mode(), super::ipc::euid()) {
        return Err(format!(
            "edge {edge}: {} {why}: refusing to use it",
            p.display()
        ));
    }
    Ok((m.len() == DATA as u64 + FWD + BACK).then_some((m.dev(), m.ino())))
}

fn open(p: &Path, edge: &str, shared: &Shared) -> Result<Map, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let t0 = Instant::now();
    loop {
        // links are not followed: the file itself must be ours
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(p);
        match opened {
            Ok(f) => {
                if let Some(id) = usable(&f, p, edge)? {
                    // SAFETY: the consumer's file (ours, owner-only), of the
                    // size it set.
                    let map = unsafe { MmapMut::map_mut(&f) }
                        .map_err(|e| format!("edge {edge}: mmap: {e}"))?;
                    let m = Map {
                        map,
                        path: p.to_path_buf(),
                        owner: false,
                        id,
                    };
                    if m.u32_at(0).load(Ordering::Acquire) == MAGIC {
                        if m.u32_at(4).load(Ordering::Relaxed) != 1 {
                            return Err(format!(
                                "edge {edge}: {} has another layout version",
                                p.display()
                            ));
                        }
                        m.u32_at(12).store(std::process::id(), Ordering::Release);
                        return Ok(m);
                    }
                    // not initialised yet (creator pid 0 counts as alive:
                    // dropping `m` leaves the file)
                }
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(format!(
                    "edge {edge}: {} is a symbolic link: refusing to follow it",
                    p.display()
                ));
            }
            Err(_) => {}
        }
        if shared.abort.load(Ordering::Relaxed) {
            return Err("aborted".into());
        }
        if t0.elapsed() > HANDSHAKE {
            return Err(format!(
                "edge {edge}: {} did not appear within {} s",
                p.display(),
                HANDSHAKE.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A pipe for one end of `link`: the consuming end creates the file, the
/// producing end opens it (waiting for it to appear).
pub(crate) fn open_pipe(link: &Link, end: End, shared: &Shared) -> Result<Box<dyn Pipe>, String> {
    let p = PathBuf::from(&link.endpoint);
    let (fw, bk) = rings();
    let edge = link.name.clone();
    Ok(Box::new(match end {
        End::Producing => ShmPipe {
            m: open(&p, &link.name, shared)?,
            out: fw,
            inp: bk,
            peer_pid_at: 8,
            edge,
        },
        End::Consuming => ShmPipe {
            m: create(&p, &link.name)?,
            out: bk,
            inp: fw,
            peer_pid_at: 12,
            edge,
        },
    }))
}

/// Round trips of `msg` between two threads over a shared-memory pipe of
/// this module (the bench of `benches/transports.rs`), each end decoding
/// what it receives: seconds per one-way trip when the message fits the
/// back ring and is echoed; otherwise the peer answers with a 64-byte end
/// message and the time is per message and acknowledgement.
#[doc(hidden)]
pub fn ping_pong(msg: &[u8], meta: Option<Arc<crate::SeriesMeta>>, n: usize) -> f64 {
    use crate::wire::{decode, Limits};
    let path = std::env::temp_dir().join(format!(
        "bs-bench-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let shared = Shared {
        abort: std::sync::atomic::AtomicBool::new(false),
        failures: std::sync::Mutex::new(vec![]),
    };
    let m = create(&path, "bench").expect("shared-memory file");
    let (fw, bk) = rings();
    // `a` created the file but sends forward, as a producer does
    let mut a = ShmPipe {
        m,
        out: fw,
        inp: bk,
        peer_pid_at: 12,
        edge: "bench".into(),
    };
    let p2 = path.clone();
    let m2 = meta.clone();
    let h = std::thread::spawn(move || {
        let shared = Shared {
            abort: std::sync::atomic::AtomicBool::new(false),
            failures: std::sync::Mutex::new(vec![]),
        };
        let m = open(&p2, "bench", &shared).expect("open");
        let mut b = ShmPipe {
            m,
            out: bk,
            inp: fw,
            peer_pid_at: 8,
            edge: "bench".into(),
        };
        for _ in 0..n {
            let x = b.recv(&shared, None).expect("recv").expect("message");
            decode("bench", &x, &Limits::default(), m2.as_ref()).expect("a window");
            if x.len() as u64 * 2 < BACK {
                b.send(&x, &shared).expect("send");
            } else {
                b.send(&crate::wire::encode_end(0, 0), &shared)
                    .expect("send");
            }
        }
    });
    let t = Instant::now();
    for _ in 0..n {
        a.send(msg, &shared).expect("send");
        let x = a.recv(&shared, None).expect("recv").expect("message");
        decode("bench", &x, &Limits::default(), meta.as_ref()).expect("a message");
    }
    let dt = t.elapsed().as_secs_f64();
    h.join().expect("peer");
    if msg.len() as u64 * 2 < BACK {
        dt / (2 * n) as f64
    } else {
        dt / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn shared() -> Shared {
        Shared {
            abort: std::sync::atomic::AtomicBool::new(false),
            failures: std::sync::Mutex::new(vec![]),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "bs-shm-test-{}-{:016x}-{name}",
            std::process::id(),
            rand::random::<u64>()
        ))
    }

    #[test]
    fn the_producer_refuses_a_file_others_may_use_or_a_link() {
        let p = scratch("open");
        let m = create(&p, "t").unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // group and others may read it: refused, not mapped
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = open(&p, "t", &shared()).err().unwrap();
        assert!(e.contains("has mode 0644") && e.contains("refusing"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        open(&p, "t", &shared()).unwrap();
        // a link to it: not followed
        let l = scratch("link");
        std::os::unix::fs::symlink(&p, &l).unwrap();
        let e = open(&l, "t", &shared()).err().unwrap();
        assert!(e.contains("symbolic link"), "{e}");
        let _ = std::fs::remove_file(&l);
        drop(m);
        assert!(!p.exists(), "the creator removes its file");
    }

    #[test]
    fn the_consumer_replaces_only_a_stale_file_of_its_own() {
        let p = scratch("dir");
        std::fs::create_dir(&p).unwrap();
        let e = create(&p, "t").err().unwrap();
        assert!(e.contains("a directory: refusing"), "{e}");
        assert!(p.is_dir());
        std::fs::remove_dir(&p).unwrap();
        // a file whose creator (pid written at offset 8) is gone: replaced
        let mut b = vec![0u8; 64];
        b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&p, &b).unwrap();
        assert!(stale(&p));
        let m = create(&p, "t").unwrap();
        assert!(!stale(&p));
        drop(m);
        assert!(!p.exists());
    }

    #[test]
    fn a_producer_removes_the_file_of_a_dead_creator() {
        let p = scratch("dead");
        let c = create(&p, "t").unwrap();
        let m = open(&p, "t", &shared()).unwrap();
        // the creator is killed: its pid no longer lives
        c.u32_at(8).store(u32::MAX, Ordering::Release);
        std::mem::forget(c);
        drop(m);
        assert!(!p.exists());
    }
}
