//! criu commands that serve others: a lazy dump serving its pages, a lazy-pages daemon waiting
//! for its restore. Each says on `--status-fd` once it listens, and ends once its peer is done.
//! `migsim calibrate measure` and the live backend's post-copy both start them through here.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::criu::binary::explain;

/// How long a daemon may take to say it listens.
const READY_LIMIT: Duration = Duration::from_secs(30);

pub struct Daemon {
    /// What the errors call it, e.g. "lazy-pages".
    name: String,
    child: Child,
    log: PathBuf,
}

impl Daemon {
    /// Starts `cmd` (a criu command logging to `log`) through `spawn`, which may register or
    /// place it, and returns once it listens; if it exits first, the error is from its log.
    pub fn start(
        name: &str,
        cmd: &mut Command,
        log: PathBuf,
        spawn: impl FnOnce(&mut Command) -> io::Result<Child>,
    ) -> Result<Daemon, String> {
        let status = StatusFd::attach(cmd).map_err(|e| format!("criu {name}: pipe: {e}"))?;
        let child = spawn(cmd).map_err(|e| format!("cannot run criu {name}: {e}"))?;
        let mut daemon = Daemon {
            name: name.to_string(),
            child,
            log,
        };
        match status.wait(READY_LIMIT) {
            Ok(()) => Ok(daemon),
            Err(e) => {
                // It exited, or hangs: either way it is reaped (killed if need be) within 5 s.
                Err(daemon
                    .finish(Duration::from_secs(5))
                    .err()
                    .unwrap_or_else(|| format!("criu {name}: {e}")))
            }
        }
    }

    /// Waits for it to end; its failure (named) explained from its log. Past `limit` it is
    /// killed.
    pub fn finish(&mut self, limit: Duration) -> Result<(), String> {
        match wait_timeout(&mut self.child, limit) {
            Some(s) if s.success() => Ok(()),
            Some(s) => Err(format!(
                "criu {}: {}",
                self.name,
                explain(&self.log, &s.to_string())
            )),
            None => Err(format!(
                "criu {} did not finish within {limit:?}; killed",
                self.name
            )),
        }
    }

    /// Kills it: its peer will never come.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd` (criu command `name`, logging to `log`) to its end: its failure (named)
/// explained from its log. Past `limit` it is killed.
pub fn run(name: &str, cmd: &mut Command, log: PathBuf, limit: Duration) -> Result<(), String> {
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run criu {name}: {e}"))?;
    Daemon {
        name: name.to_string(),
        child,
        log,
    }
    .finish(limit)
}

/// The child's status, or None after killing and reaping it once `limit` has passed.
pub fn wait_timeout(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The pipe behind `--status-fd`: criu writes one byte to it once it listens.
struct StatusFd {
    read: OwnedFd,
    write: OwnedFd,
}

impl StatusFd {
    /// Adds `--status-fd` to `cmd` and lets the child, and only it, inherit the write end.
    fn attach(cmd: &mut Command) -> io::Result<StatusFd> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 writes two descriptors into the array we own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors are new and owned by nobody else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let fd = write.as_raw_fd();
        cmd.arg("--status-fd").arg(fd.to_string());
        // SAFETY: between fork and exec only fcntl runs, which is async-signal-safe; the
        // descriptor stays open in the parent until `wait`, after the spawn.
        unsafe {
            cmd.pre_exec(move || {
                if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Ok(StatusFd { read, write })
    }

    /// Reads criu's readiness byte; end of file means it exited first.
    fn wait(self, limit: Duration) -> Result<(), String> {
        // Only the child may hold the write end now, so its exit is an end of file here.
        drop(self.write);
        let mut pfd = libc::pollfd {
            fd: self.read.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, limit.as_millis() as i32) };
        if n <= 0 {
            return Err(format!("not ready within {limit:?}"));
        }
        let mut byte = [0u8; 1];
        match File::from(self.read).read(&mut byte) {
            Ok(1) => Ok(()),
            _ => Err("exited before it was ready".into()),
        }
    }
}
