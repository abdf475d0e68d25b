//! `ipc://` socket files: which paths a run may bind, remove or connect to.
//!
//! A run's own sockets (edges without an `endpoint`) live in the run's
//! private directory `<temp>/bs-<token>/`, mode 0700 and owned by this user:
//! created by the first end that needs it, checked (a directory, ours, no
//! access for group or others) by every end before use, so no one else can
//! reach a socket there, not even between `bind` and the `chmod` after it.
//! A socket path the graph names (`endpoint = "ipc:///PATH"`) is bound only
//! where nothing is, or where a *stale* socket of this user is (one that
//! refuses connections: the process that bound it is gone), in a directory
//! that only this user or root may change; anything else (a regular file, a
//! directory, a link, a live socket, another user's socket) is refused and
//! left untouched. Every socket is made owner-only (0600) right after
//! `bind`, whatever the umask; a connecting end waits until the path is a
//! socket of this user with that mode before it connects. Sockets are
//! removed at the end of every run, normal or failed.

use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

/// This process's effective user id.
pub(crate) fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// What a file is, for messages.
pub(crate) fn kind(m: &std::fs::Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

/// Whether a file owned by `uid` with permission bits `mode` may be used
/// by this user: owned by `me`, no access for group or others. None: yes;
/// Some: why not.
pub(crate) fn private_to(uid: u32, mode: u32, me: u32) -> Option<String> {
    if uid != me {
        Some(format!("belongs to user id {uid}, not to this user ({me})"))
    } else if mode & 0o077 != 0 {
        Some(format!(
            "has mode {:04o}: group or others may use it (owner-only 0600/0700 expected)",
            mode & 0o7777
        ))
    } else {
        None
    }
}

/// Creates the run's private directory `dir` (0700), or checks that the
/// one there is a directory of this user that no one else may enter.
pub(crate) fn private_dir(dir: &Path) -> Result<(), String> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {
            // the umask may have taken bits away, never added any; make it
            // exactly 0700 so that both ends pass the check below
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("{}: {e}", dir.display()))
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            let m =
                std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            if !m.file_type().is_dir() {
                return Err(format!(
                    "the run's socket directory {} is {}, not a directory: refusing to use it",
                    dir.display(),
                    kind(&m)
                ));
            }
            match private_to(m.uid(), m.mode(), euid()) {
                None => Ok(()),
                Some(why) => Err(format!(
                    "the run's socket directory {} {why}: refusing to use it",
                    dir.display()
                )),
            }
        }
        Err(e) => Err(format!("cannot create {}: {e}", dir.display())),
    }
}

/// Whether the directory holding a socket the graph names is safe: owned
/// by this user or root, and not writable by others unless sticky (there
/// another user could replace or remove our socket).
pub(crate) fn check_parent(path: &Path) -> Result<(), String> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    let m = std::fs::metadata(dir).map_err(|e| format!("directory {}: {e}", dir.display()))?;
    let me = euid();
    if m.uid() != me && m.uid() != 0 {
        return Err(format!(
            "directory {} belongs to user id {}: another user could replace the socket there",
            dir.display(),
            m.uid()
        ));
    }
    if m.mode() & 0o022 != 0 && m.mode() & 0o1000 == 0 {
        return Err(format!(
            "directory {} is writable by others (mode {:04o}, not sticky): another user could replace the socket there",
            dir.display(),
            m.mode() & 0o7777
        ));
    }
    Ok(())
}

/// What is at `path`, statically (for `validate`): None when a bind could
/// go ahead (nothing there, or a socket of this user, stale or not yet
/// known); Some(why) when the run would refuse it.
pub(crate) fn static_problem(path: &Path) -> Option<String> {
    let m = std::fs::symlink_metadata(path).ok()?;
    if !m.file_type().is_socket() {
        return Some(format!(
            "{} is {}, not a socket: brainstream replaces only a stale socket of its own there",
            path.display(),
            kind(&m)
        ));
    }
    if m.uid() != euid() {
        return Some(format!(
            "{} is a socket of user id {}, not of this user",
            path.display(),
            m.uid()
        ));
    }
    None
}

/// Makes `path` free for `bind`: nothing there, or a stale socket of this
/// user, which is removed. Anything else is refused and left as it is.
pub(crate) fn clear_for_bind(path: &Path) -> Result<(), String> {
    let m = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    if let Some(why) = static_problem(path) {
        return Err(why);
    }
    debug_assert!(m.file_type().is_socket());
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(format!(
            "{} is in use: a live process listens on it (another run with the same endpoint?)",
            path.display()
        )),
        Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => {
            tracing::warn!(socket = %path.display(), "removing a stale socket (its process is gone)");
            std::fs::remove_file(path)
                .map_err(|e| format!("cannot remove the stale socket {}: {e}", path.display()))
        }
        Err(e) => Err(format!(
            "{}: cannot tell whether the socket there is stale ({e}): refusing to remove it",
            path.display()
        )),
    }
}

/// Binds and listens on a new socket at `path` (which must be free:
/// `bind(2)` never replaces a file), makes it owner-only, and returns the
/// non-blocking listening descriptor with the file's identity.
pub(crate) fn listen(path: &Path) -> Result<(std::os::fd::RawFd, (u64, u64)), String> {
    use std::os::fd::IntoRawFd;
    let l = std::os::unix::net::UnixListener::bind(path)
        .map_err(|e| format!("cannot bind {}: {e}", path.display()))?;
    let id = identity(path).ok_or_else(|| format!("{} vanished after bind", path.display()))?;
    let done = l
        .set_nonblocking(true)
        .map_err(|e| format!("{}: {e}", path.display()))
        .and_then(|_| restrict(path));
    if let Err(e) = done {
        drop(l);
        remove_ours(path, id);
        return Err(e);
    }
    Ok((l.into_raw_fd(), id))
}

/// After `bind`: owner-only, whatever the umask.
pub(crate) fn restrict(path: &Path) -> Result<(), String> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot make {} owner-only: {e}", path.display()))
}

/// Before `connect`: Ok(true) once `path` is a socket of this user with no
/// access for group or others; Ok(false) while it is not there yet or not
/// yet restricted by the end that binds it; an error when it is something
/// else or someone else's.
pub(crate) fn ready_to_connect(path: &Path) -> Result<bool, String> {
    let m = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    if !m.file_type().is_socket() {
        return Err(format!(
            "{} is {}, not a socket: refusing to connect",
            path.display(),
            kind(&m)
        ));
    }
    if m.uid() != euid() {
        return Err(format!(
            "the socket {} belongs to user id {}, not to this user: refusing to connect",
            path.display(),
            m.uid()
        ));
    }
    Ok(m.mode() & 0o077 == 0)
}

/// `(device, inode)` of what is at `path`, to remove only what we made.
pub(crate) fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Removes the socket at `path` if it is still the one with `id`.
pub(crate) fn remove_ours(path: &Path, id: (u64, u64)) {
    if identity(path) == Some(id) {
        let _ = std::fs::remove_file(path);
    }
}

/// Removes `path` if it is a stale socket of this user (a crashed peer's);
/// leaves anything else.
pub(crate) fn remove_if_stale(path: &Path) {
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return;
    };
    if m.file_type().is_socket() && m.uid() == euid() {
        if let Err(e) = std::os::unix::net::UnixStream::connect(path) {
            if e.raw_os_error() == Some(libc::ECONNREFUSED) {
                tracing::debug!(socket = %path.display(), "removing a stale socket of this run");
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    #[test]
    fn a_regular_file_or_a_directory_is_refused_and_kept() {
        let d = tempfile_dir();
        let f = d.join("victim.txt");
        std::fs::write(&f, "precious").unwrap();
        let e = clear_for_bind(&f).unwrap_err();
        assert!(e.contains("a regular file, not a socket"), "{e}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "precious");
        let sub = d.join("sub");
        std::fs::create_dir(&sub).unwrap();
        let e = clear_for_bind(&sub).unwrap_err();
        assert!(e.contains("a directory, not a socket"), "{e}");
        assert!(sub.is_dir());
        let link = d.join("link");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        let e = clear_for_bind(&link).unwrap_err();
        assert!(e.contains("a symbolic link"), "{e}");
        assert!(f.exists() && link.symlink_metadata().is_ok());
        assert!(static_problem(&f).is_some() && static_problem(&d.join("none")).is_none());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_stale_socket_is_replaced_and_a_live_one_refused() {
        let d = tempfile_dir();
        let p = d.join("s.sock");
        let live = UnixListener::bind(&p).unwrap();
        let e = clear_for_bind(&p).unwrap_err();
        assert!(e.contains("in use: a live process listens"), "{e}");
        assert!(p.exists());
        drop(live); // the file stays, nobody listens: stale
        assert!(p.exists());
        clear_for_bind(&p).unwrap();
        assert!(!p.exists());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn the_private_directory_and_sockets_are_owner_only() {
        let d = tempfile_dir();
        let run = d.join("bs-run");
        private_dir(&run).unwrap();
        let m = std::fs::metadata(&run).unwrap();
        assert_eq!(m.mode() & 0o777, 0o700);
        private_dir(&run).unwrap(); // the other end checks it
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = private_dir(&run).unwrap_err();
        assert!(e.contains("mode 0755"), "{e}");
        let f = d.join("bs-file");
        std::fs::write(&f, "").unwrap();
        assert!(private_dir(&f).unwrap_err().contains("not a directory"));
        // a socket: not ready until restricted
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        let p = run.join("e0.sock");
        assert!(!ready_to_connect(&p).unwrap());
        let l = UnixListener::bind(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(!ready_to_connect(&p).unwrap());
        restrict(&p).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
        assert!(ready_to_connect(&p).unwrap());
        assert!(ready_to_connect(&f).unwrap_err().contains("not a socket"));
        drop(l);
        remove_if_stale(&p);
        assert!(!p.exists());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn another_users_file_is_refused() {
        let me = euid();
        assert!(private_to(me, 0o100600, me).is_none());
        let other = private_to(me.wrapping_add(1), 0o100600, me).unwrap();
        assert!(other.contains("belongs to user id"), "{other}");
        assert!(private_to(me, 0o100640, me).unwrap().contains("mode 0640"));
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "bs-ipc-test-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir(&d).unwrap();
        d
    }
}
