//! The `criu` binary: finding it, asking what this kernel supports, and running one command
//! with its log kept aside so that a failure can be explained.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::criu::Cleanup;

/// What to tell a user who has no usable criu.
pub const INSTALL_HINT: &str = "install criu 4.x: ./scripts/install-criu.sh (Debian: add the trixie suite pinned low, then `apt-get install -t trixie criu`; bookworm's criu 3.17 does not work on recent kernels)";

#[derive(Clone, Debug)]
pub struct Criu {
    pub path: PathBuf,
    /// `4.1.1`.
    pub version: String,
}

/// A criu command that ran to its end.
#[derive(Debug)]
pub struct Ran {
    pub seconds: f64,
    /// `None` on success; else why, in words.
    pub failure: Option<String>,
}

impl Criu {
    /// `explicit`, else `criu` on the PATH; it must run and be version 4 or later.
    pub fn locate(explicit: Option<&Path>) -> Result<Criu, String> {
        let path = explicit.map_or_else(|| PathBuf::from("criu"), Path::to_path_buf);
        let out = Command::new(&path)
            .arg("--version")
            .output()
            .map_err(|e| format!("cannot run `{}` ({e}): {INSTALL_HINT}", path.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .lines()
            .find_map(|l| l.strip_prefix("Version: "))
            .map(|v| v.trim().to_string())
            .ok_or_else(|| {
                format!(
                    "`{} --version` printed no version: {INSTALL_HINT}",
                    path.display()
                )
            })?;
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if major < 4 {
            return Err(format!(
                "criu {version} at {} is too old for this kernel; {INSTALL_HINT}",
                path.display()
            ));
        }
        Ok(Criu { path, version })
    }

    /// `criu check --feature NAME` succeeds.
    pub fn has_feature(&self, name: &str) -> bool {
        Command::new(&self.path)
            .args(["check", "--feature", name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    pub fn command(&self, log: &Path, args: &[&OsStr]) -> Command {
        let mut c = Command::new(&self.path);
        c.args(args)
            .arg("--log-file")
            .arg(log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }

    /// Runs one command to its end and times it.
    pub fn run(&self, cleanup: &Cleanup, log: &Path, args: &[&OsStr]) -> std::io::Result<Ran> {
        let started = Instant::now();
        let status = cleanup.spawn(&mut self.command(log, args))?.wait()?;
        let seconds = started.elapsed().as_secs_f64();
        Ok(Ran {
            seconds,
            failure: (!status.success()).then(|| explain(log, &status.to_string())),
        })
    }
}

/// Why a criu command failed, from its log: the known kernel limits in words, else its last
/// errors.
pub fn explain(log: &Path, status: &str) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Error (") && !l.contains("RLIMIT_NOFILE"))
        .map(|l| l.split_once("): ").map_or(l, |(_, m)| m).trim())
        .collect();
    if text.contains("sockets.c") && errors.iter().any(|e| e.contains("sockets:")) {
        return format!(
            "the process holds a TCP/UDP socket, which criu cannot dump on this kernel ({})",
            errors[0]
        );
    }
    if errors.iter().any(|e| e.contains("splice")) {
        return "lazy pages could not be sent: criu needs /proc/sys/fs/pipe-max-size of at least 4 MiB (as root: sysctl -w fs.pipe-max-size=4194304)".into();
    }
    let last: Vec<&str> = errors.iter().rev().take(3).rev().copied().collect();
    if last.is_empty() {
        format!("criu {status}")
    } else {
        format!("criu {status}: {}", last.join("; "))
    }
}
