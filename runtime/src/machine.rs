//! What the machine has room for: memory available to a new process
//! (`MemAvailable` of `/proc/meminfo`) and the free space of a folder
//! (`statvfs`), and sizes as messages print them.

use std::path::Path;

/// Bytes of memory available to start new work without swapping (Linux's
/// own estimate), or None where `/proc/meminfo` cannot be read.
pub fn mem_available_bytes() -> Option<u64> {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| parse_mem_available(&t))
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn parse_mem_available(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut it = line.split_whitespace().skip(1);
    let n: u64 = it.next()?.parse().ok()?;
    match it.next() {
        Some("kB") | None => n.checked_mul(1024),
        _ => None,
    }
}

/// Bytes free to an unprivileged user on the file system of `dir` (or of
/// its nearest existing ancestor, for a folder still to be created), or None
/// where it cannot be measured.
pub fn free_disk_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let mut p = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    while !p.exists() {
        p = match p.parent() {
            Some(q) if !q.as_os_str().is_empty() => q,
            _ => Path::new("."),
        };
    }
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a valid out-pointer.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return None;
    }
    (st.f_bavail as u64).checked_mul(st.f_frsize as u64)
}

/// A size in bytes as people read it: `812 B`, `3.4 MB`, `72.1 GB`
/// (powers of 1000).
pub fn human(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if !bytes.is_finite() {
        return "an unbounded amount".into();
    }
    let mut v = bytes.max(0.0);
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else if v >= 1000.0 {
        format!("{} {}", crate::limits::short(v), UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_meminfo() {
        let t = "MemTotal:       24683652 kB\nMemFree: 1 kB\nMemAvailable:   23909520 kB\n";
        assert_eq!(parse_mem_available(t), Some(23909520 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 5 kB\n"), None);
        assert!(mem_available_bytes().is_some_and(|b| b > 0));
    }

    #[test]
    fn measures_free_space_of_a_folder_to_be() {
        let here = free_disk_bytes(Path::new(".")).unwrap();
        assert!(here > 0);
        let later = free_disk_bytes(Path::new("no/such/folder/yet")).unwrap();
        assert!(later > 0);
    }

    #[test]
    fn sizes_are_readable() {
        assert_eq!(human(812.0), "812 B");
        assert_eq!(human(3.4e6), "3.4 MB");
        assert_eq!(human(7.21e10), "72.1 GB");
        assert_eq!(human(1e30), "1e12 EB");
    }
}
