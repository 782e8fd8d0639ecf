//! Everything a measurement creates is removed at the end, on an error, or from a Ctrl-C
//! handler. Every process it starts (workloads, criu, criu's daemons, restored workloads)
//! names the measurement's work folder on its command line, so the cleanup finds them all in
//! /proc, including those started by criu rather than by us.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex, MutexGuard};

/// Shared by clones: the folders to remove, and whether the cleanup has run (after which
/// nothing new may start).
#[derive(Clone, Default)]
pub struct Cleanup(Arc<Mutex<Tracked>>);

#[derive(Default)]
struct Tracked {
    dirs: Vec<PathBuf>,
    closed: bool,
}

impl Cleanup {
    /// Processes whose command line names `dir` are killed, then `dir` is removed.
    pub fn track_dir(&self, dir: &Path) {
        self.lock().dirs.push(dir.to_path_buf());
    }

    /// Starts `cmd` unless the cleanup has run; holding the lock, so that a cleanup running
    /// meanwhile sees the new process.
    pub fn spawn(&self, cmd: &mut Command) -> io::Result<Child> {
        let t = self.lock();
        if t.closed {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
        }
        cmd.spawn()
    }

    /// Kills every process that names a tracked folder and removes the folders. Nothing can
    /// start afterwards. Safe to call twice.
    pub fn run(&self) {
        let mut t = self.lock();
        t.closed = true;
        // A second pass catches a child forked while the first was killing its parent.
        for _ in 0..2 {
            for pid in processes_naming(&t.dirs) {
                kill(pid);
            }
        }
        for dir in t.dirs.drain(..).rev() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tracked> {
        // A panic elsewhere must not stop the cleanup.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Other processes whose command line contains one of `dirs`.
pub fn processes_naming(dirs: &[PathBuf]) -> Vec<i32> {
    let me = std::process::id() as i32;
    let needles: Vec<Vec<u8>> = dirs
        .iter()
        .map(|d| d.as_os_str().as_encoded_bytes().to_vec())
        .collect();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
                needles
                    .iter()
                    .any(|n| cmd.windows(n.len()).any(|w| w == n.as_slice()))
            })
        })
        .collect()
}

/// SIGKILL; a process that is already gone is fine.
pub fn kill(pid: i32) {
    if pid > 0 {
        // SAFETY: kill(2) with a positive pid only sends a signal.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// Whether `pid` still exists (a zombie counts as gone).
pub fn alive(pid: i32) -> bool {
    stat_fields(pid).is_some_and(|rest| !rest.starts_with('Z'))
}

/// /proc/PID/stat after the command name (which may hold spaces and parentheses): the state
/// letter first, then the numeric fields from the ppid on.
pub fn stat_fields(pid: i32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ").map(|(_, rest)| rest.to_string())
}
