//! The workload process (`migsim-memhog`), started as the first process of its own PID
//! namespace and session, so that CRIU can dump its whole namespace and restore it on this
//! same host while the original's PIDs are still taken.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::criu::cleanup::{alive, Cleanup};

/// How the workload behaves.
#[derive(Clone, Debug)]
pub struct MemhogSpec {
    pub exe: PathBuf,
    pub dirty_rate: f64,
    /// `tcp` or `udp`: hold a socket, which CRIU cannot dump on some kernels.
    pub hold_socket: Option<String>,
}

/// A running workload.
pub struct Memhog {
    /// `unshare`, the parent outside the namespace.
    parent: Child,
    /// The workload's PID as this host sees it.
    pub pid: i32,
    pub progress: PathBuf,
}

impl MemhogSpec {
    /// The workload next to the running executable (both are built by cargo into one folder).
    pub fn beside_current_exe() -> io::Result<PathBuf> {
        let exe = std::env::current_exe()?;
        let path = exe.with_file_name("migsim-memhog");
        if path.exists() {
            Ok(path)
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} not found; build it with `cargo build --release`",
                    path.display()
                ),
            ))
        }
    }

    /// Starts a workload of `size` bytes and waits until every page is resident (its progress
    /// file appears).
    pub fn start(&self, size: u64, progress: PathBuf, cleanup: &Cleanup) -> io::Result<Memhog> {
        // The workload runs in another folder (below), so a relative path would move.
        let progress = std::path::absolute(&progress)?;
        let mut cmd = launch(&self.exe, &progress, self.hold_socket.as_deref());
        cmd.arg("--size")
            .arg(size.to_string())
            .arg("--dirty-rate")
            .arg(self.dirty_rate.to_string());
        let mut parent = cleanup.spawn(&mut cmd).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot start `unshare` (util-linux): {e}"),
            )
        })?;
        let pid = match wait_for_child(&mut parent) {
            Ok(pid) => pid,
            Err(e) => {
                let _ = parent.kill();
                let _ = parent.wait();
                return Err(e);
            }
        };
        let hog = Memhog {
            parent,
            pid,
            progress,
        };
        // Touching pages runs at several GiB/s; allow for a slow, busy machine.
        let limit = Duration::from_secs(10) + Duration::from_secs_f64(size as f64 / 100e6);
        hog.wait_ready(limit)?;
        Ok(hog)
    }
}

/// `unshare --pid --fork setsid EXE --progress PROGRESS`: the workload as the first process of
/// its own PID namespace and session, working in the folder of its progress file, holding a
/// `hold_socket` (`tcp` or `udp`) if asked; the caller adds what it is to do.
pub fn launch(exe: &Path, progress: &Path, hold_socket: Option<&str>) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "setsid"])
        .arg(exe)
        .arg("--progress")
        .arg(progress);
    if let Some(kind) = hold_socket {
        cmd.args(["--hold-socket", kind]);
    }
    // CRIU's parasite mounts a private /proc at `proc.crtools` relative to the dumped process's
    // working folder; two workloads sharing one folder would race on it, so each works in the
    // folder of its own progress file.
    if let Some(dir) = progress.parent().filter(|d| !d.as_os_str().is_empty()) {
        cmd.current_dir(dir);
    }
    // CRIU restores open files by path: the workload keeps none but /dev/null.
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

impl Memhog {
    fn wait_ready(&self, limit: Duration) -> io::Result<()> {
        let started = Instant::now();
        while read_progress(&self.progress).is_none() {
            if !alive(self.pid) {
                return Err(io::Error::other(
                    "migsim-memhog exited before it was ready (out of memory?)",
                ));
            }
            if started.elapsed() > limit {
                return Err(io::Error::other(format!(
                    "migsim-memhog was not ready after {limit:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    /// Resident memory in bytes.
    pub fn rss(&self) -> io::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .ok_or_else(|| io::Error::other("no VmRSS in /proc/PID/status"))
    }

    /// Reaps `unshare` once the workload is gone (CRIU kills it after a dump).
    pub fn reap(mut self) {
        crate::criu::cleanup::kill(self.pid);
        let _ = self.parent.kill();
        let _ = self.parent.wait();
    }
}

/// `unshare --fork` starts the workload as its only child; wait until it exists.
fn wait_for_child(parent: &mut Child) -> io::Result<i32> {
    let id = parent.id();
    let started = Instant::now();
    loop {
        let children =
            std::fs::read_to_string(format!("/proc/{id}/task/{id}/children")).unwrap_or_default();
        if let Some(pid) = children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
        {
            return Ok(pid);
        }
        if let Some(status) = parent.try_wait()? {
            return Err(io::Error::other(format!(
                "`unshare --pid --fork` exited ({status}) before starting migsim-memhog; creating a PID namespace needs root"
            )));
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err(io::Error::other("migsim-memhog did not start within 10 s"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The workload's counter (ticks, or ns of work for a live job), if it has written one.
pub fn read_progress(path: &Path) -> Option<u64> {
    read_progress_file(path).map(|p| p.work)
}

/// The whole progress file.
pub fn read_progress_file(path: &Path) -> Option<Progress> {
    Progress::parse(&std::fs::read_to_string(path).ok()?)
}

/// Waits until the counter passes `past`: the process runs and makes progress.
pub fn keeps_counting(path: &Path, past: u64, limit: Duration) -> Option<u64> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(now) = read_progress(path).filter(|&n| n > past) {
            return Some(now);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// What the progress file says: the counter (work done), and whether the work is finished.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub work: u64,
    pub done: bool,
}

impl Progress {
    /// `"<ns>\n"` while it runs, `"<ns> done\n"` once finished.
    pub fn line(&self) -> String {
        if self.done {
            format!("{} done\n", self.work)
        } else {
            format!("{}\n", self.work)
        }
    }

    pub fn parse(text: &str) -> Option<Progress> {
        let mut words = text.split_whitespace();
        let work = words.next()?.parse().ok()?;
        Some(Progress {
            work,
            done: words.next() == Some("done"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_round_trip() {
        for p in [
            Progress {
                work: 0,
                done: false,
            },
            Progress {
                work: 12_000_000_000,
                done: true,
            },
        ] {
            assert_eq!(Progress::parse(&p.line()), Some(p));
        }
        assert_eq!(Progress::parse(""), None);
        assert_eq!(Progress::parse("x"), None);
    }
}
