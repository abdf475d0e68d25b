//! Disk space held ahead of a file's writes.
//!
//! HDF5 cannot recover from a failed write: once a chunk or a metadata
//! block could not be written (a full disk, `ENOSPC`; a file size limit,
//! `EFBIG`), closing the file writes a superblock that points past what is
//! on disk, and h5py can no longer open it. So a recorder asks for the
//! blocks of its next writes *before* HDF5 makes them ([`DiskReserve::ensure`]):
//! `fallocate(FALLOC_FL_KEEP_SIZE)` backs the file's future bytes with real
//! blocks without changing its size, so HDF5's writes into them cannot fail
//! for lack of space. When the space is not there, nothing has been written
//! yet: the recorder stops and closes its file cleanly inside what it holds.
//! At the end the blocks past the file's end are given back
//! ([`DiskReserve::release`]).
//!
//! File systems without `fallocate` fall back to a check of the free space
//! (`statvfs`), which another writer can still race.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Why the space could not be held.
#[derive(Debug, thiserror::Error)]
pub enum NoRoom {
    /// The file system has not enough free blocks.
    #[error("no space left on the device: {path} needs {need} more bytes, {free} are free")]
    Full { path: PathBuf, need: u64, free: u64 },
    /// The process may not write a file this large (`ulimit -f`).
    #[error(
        "file size limit (ulimit -f) of {limit} bytes reached: {path} would need {need} bytes"
    )]
    Limit {
        path: PathBuf,
        need: u64,
        limit: u64,
    },
    /// Anything else the system said.
    #[error("cannot hold disk space for {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Blocks held for one file, from its start up to `held` bytes.
#[derive(Debug)]
pub struct DiskReserve {
    file: std::fs::File,
    path: PathBuf,
    /// Bytes from offset 0 known to be backed by blocks (or checked free).
    held: u64,
}

impl DiskReserve {
    /// Opens `path` (which must exist) to hold space for it.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().write(true).open(path)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            held: 0,
        })
    }

    /// Bytes from the file's start held (or checked free) so far.
    pub fn held(&self) -> u64 {
        self.held
    }

    /// The file's size now, in bytes.
    pub fn size(&self) -> u64 {
        self.file.metadata().map(|m| m.len()).unwrap_or(0)
    }

    /// Makes sure the file's first `upto` bytes are backed by disk blocks,
    /// so that writes below `upto` cannot fail for lack of space.
    pub fn ensure(&mut self, upto: u64) -> Result<(), NoRoom> {
        if upto <= self.held {
            return Ok(());
        }
        if let Some(limit) = fsize_limit() {
            if upto > limit {
                return Err(NoRoom::Limit {
                    path: self.path.clone(),
                    need: upto,
                    limit,
                });
            }
        }
        match self.allocate(upto) {
            Ok(()) => {
                self.held = upto;
                Ok(())
            }
            Err(e) => match e.raw_os_error() {
                Some(libc::ENOSPC) | Some(libc::EDQUOT) => Err(self.full(upto)),
                Some(libc::EFBIG) => Err(NoRoom::Limit {
                    path: self.path.clone(),
                    need: upto,
                    limit: fsize_limit().unwrap_or(upto),
                }),
                // no fallocate on this file system: check the free space
                Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) | Some(libc::EINVAL) => {
                    let allocated = self.allocated();
                    let free = free_bytes(&self.file).unwrap_or(u64::MAX);
                    if upto.saturating_sub(allocated) > free {
                        Err(self.full(upto))
                    } else {
                        self.held = upto;
                        Ok(())
                    }
                }
                _ => Err(NoRoom::Io {
                    path: self.path.clone(),
                    source: e,
                }),
            },
        }
    }

    /// Gives back the blocks held past the file's end.
    pub fn release(&mut self) {
        let size = self.size();
        if self.held > size {
            // tmpfs and xfs free them with a hole; ext4 ignores holes past
            // the end but frees them on a truncation to the same size
            punch(&self.file, size, self.held - size);
            if let Err(e) = self.file.set_len(size) {
                tracing::debug!(error = %e, "could not give back held disk space");
            }
        }
        self.held = size;
    }

    fn full(&self, upto: u64) -> NoRoom {
        NoRoom::Full {
            path: self.path.clone(),
            need: upto.saturating_sub(self.allocated()),
            free: free_bytes(&self.file).unwrap_or(0),
        }
    }

    /// Bytes of blocks the file has now (its holes and tail not counted).
    fn allocated(&self) -> u64 {
        use std::os::unix::fs::MetadataExt;
        self.file.metadata().map(|m| m.blocks() * 512).unwrap_or(0)
    }

    #[cfg(target_os = "linux")]
    fn allocate(&self, upto: u64) -> std::io::Result<()> {
        let (off, len) = (self.held, upto - self.held);
        let (Ok(off), Ok(len)) = (libc::off_t::try_from(off), libc::off_t::try_from(len)) else {
            return Err(std::io::Error::from_raw_os_error(libc::EFBIG));
        };
        loop {
            // SAFETY: a plain system call on a descriptor this struct owns.
            let r = unsafe {
                libc::fallocate(self.file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, off, len)
            };
            if r == 0 {
                return Ok(());
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn allocate(&self, _upto: u64) -> std::io::Result<()> {
        Err(std::io::Error::from_raw_os_error(libc::EOPNOTSUPP))
    }
}

impl Drop for DiskReserve {
    fn drop(&mut self) {
        self.release();
    }
}

/// This process's file size limit (`RLIMIT_FSIZE`), if any.
fn fsize_limit() -> Option<u64> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct passed.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut r) } == 0;
    (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(r.rlim_cur)
}

/// Free bytes an unprivileged writer may use on `file`'s file system.
fn free_bytes(file: &std::fs::File) -> Option<u64> {
    // SAFETY: fstatvfs fills the zeroed struct passed.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::fstatvfs(file.as_raw_fd(), &mut s) } == 0;
    ok.then(|| (s.f_bavail as u64).saturating_mul(s.f_frsize as u64))
}

#[cfg(target_os = "linux")]
fn punch(file: &std::fs::File, off: u64, len: u64) {
    let (Ok(off), Ok(len)) = (libc::off_t::try_from(off), libc::off_t::try_from(len)) else {
        return;
    };
    // SAFETY: a plain system call on a descriptor the caller owns; a file
    // system without hole punching keeps the blocks (harmless).
    let r = unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            off,
            len,
        )
    };
    if r != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "could not give back held disk space");
    }
}

#[cfg(not(target_os = "linux"))]
fn punch(_file: &std::fs::File, _off: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_blocks_past_the_end_without_growing_the_file_and_gives_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        let mut r = DiskReserve::open(&p).unwrap();
        r.ensure(1 << 20).unwrap();
        assert_eq!(r.size(), 3, "the file's size is unchanged");
        if r.allocated() >= 1 << 20 {
            // fallocate is supported here: the blocks are held, then freed
            r.release();
            assert!(r.allocated() < 1 << 20, "{}", r.allocated());
        }
        assert_eq!(std::fs::read(&p).unwrap(), b"abc");
    }

    #[test]
    fn more_than_the_file_system_has_is_refused_as_a_full_disk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"").unwrap();
        let mut r = DiskReserve::open(&p).unwrap();
        // 2^60 bytes: more than any file system here
        let e = r.ensure(1 << 60).unwrap_err();
        assert!(
            matches!(e, NoRoom::Full { .. } | NoRoom::Limit { .. }),
            "{e:?}"
        );
        assert_eq!(r.size(), 0);
    }
}
