//! The cluster's long-running processes (etcd, kube-apiserver, the node agents): started in a
//! session of their own so they outlive `cluster up`, logging to `DIR/logs/`, and recorded by
//! PID and start time so `cluster down` (or the next `up`) stops exactly them.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::live::local::session::Owner;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Daemon {
    /// What it is, e.g. "etcd", "kube-apiserver", "node n1"; its log is `logs/ROLE.log`.
    pub role: String,
    pub process: Owner,
}

impl Daemon {
    /// Starts `cmd` detached (setsid, no stdin), stdout and stderr appended to `logs/ROLE.log`, in
    /// the cgroup whose `cgroup.procs` is open in `cgroup`, if any.
    pub fn spawn(
        role: &str,
        cmd: &mut Command,
        logs: &Path,
        cgroup: Option<std::fs::File>,
    ) -> Result<Daemon, String> {
        std::fs::create_dir_all(logs)
            .map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
        let path = log_file(logs, role);
        // Appended to: a restarted daemon's log follows its predecessor's.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        cmd.stdin(Stdio::null()).stdout(log).stderr(err);
        // SAFETY: setsid and write are async-signal-safe. The new process leaves our
        // terminal's session so a Ctrl-C meant for `cluster up` does not reach it; writing `0`
        // to cgroup.procs moves it before it executes.
        unsafe {
            cmd.pre_exec(move || {
                libc::setsid();
                if let Some(procs) = &cgroup {
                    use std::os::fd::AsRawFd;
                    if libc::write(procs.as_raw_fd(), b"0".as_ptr().cast(), 1) != 1 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {role} ({:?}): {e}", cmd.get_program()))?;
        let pid = child.id() as i32;
        // Not waited for here: once `up` exits, init reaps it.
        drop(child);
        Ok(Daemon {
            role: role.to_string(),
            process: Owner::of(pid),
        })
    }

    pub fn alive(&self) -> bool {
        self.process.alive()
    }

    /// SIGTERM, then SIGKILL after `grace`; a process already gone (or whose PID was reused by
    /// another) is left alone.
    pub fn stop(&self, grace: Duration) {
        if !self.alive() {
            return;
        }
        signal(self.process.pid, libc::SIGTERM);
        let until = Instant::now() + grace;
        while self.alive() && Instant::now() < until {
            reap(self.process.pid);
            std::thread::sleep(Duration::from_millis(50));
        }
        if self.alive() {
            signal(self.process.pid, libc::SIGKILL);
        }
        for _ in 0..100 {
            reap(self.process.pid);
            if !self.alive() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The last lines of its log, for an error message.
    pub fn log_tail(&self, logs: &Path, lines: usize) -> String {
        let text = std::fs::read_to_string(log_file(logs, &self.role)).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

pub fn log_file(logs: &Path, role: &str) -> std::path::PathBuf {
    logs.join(format!("{}.log", role.replace(' ', "-")))
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) with a positive pid only sends a signal.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Reaps `pid` if it is our child that exited (it is, while `up` still runs).
fn reap(pid: i32) {
    // SAFETY: waitpid with WNOHANG on one pid; a pid that is not our child returns ECHILD.
    unsafe {
        libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG);
    }
}
