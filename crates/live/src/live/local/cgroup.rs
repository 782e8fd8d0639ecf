//! Memory cgroups, v1 or v2, as the local backend uses them: one per node with the node's
//! memory limit, and one per job below its node, so that a job's memory and OOM kills are read
//! from its own counters and its processes are listed by the kernel.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::criu::cleanup::kill;

/// Which cgroup hierarchy holds the memory controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Version {
    V1,
    V2,
}

/// One memory cgroup.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cgroup {
    pub path: PathBuf,
    pub version: Version,
}

/// Where this machine lets us create memory cgroups: the folder new ones go under.
pub fn detect() -> Result<Cgroup, String> {
    let unified = Path::new("/sys/fs/cgroup");
    let controllers =
        std::fs::read_to_string(unified.join("cgroup.controllers")).unwrap_or_default();
    if controllers.split_whitespace().any(|c| c == "memory") {
        return Ok(Cgroup {
            path: unified.to_path_buf(),
            version: Version::V2,
        });
    }
    let v1 = unified.join("memory");
    if v1.join("memory.limit_in_bytes").exists() {
        // Under our own cgroup, which a container lets us write to.
        let own = std::fs::read_to_string("/proc/self/cgroup")
            .unwrap_or_default()
            .lines()
            .find_map(|l| {
                let mut parts = l.splitn(3, ':');
                let (_, ctrl, path) = (parts.next()?, parts.next()?, parts.next()?);
                ctrl.split(',')
                    .any(|c| c == "memory")
                    .then(|| path.to_string())
            })
            .unwrap_or_default();
        return Ok(Cgroup {
            path: v1.join(own.trim_start_matches('/')),
            version: Version::V1,
        });
    }
    Err("no cgroup memory controller: neither cgroup v2 with `memory` in /sys/fs/cgroup/cgroup.controllers nor a v1 hierarchy at /sys/fs/cgroup/memory; the local backend needs one to give each node its memory limit".into())
}

impl Cgroup {
    pub fn child(&self, name: &str) -> Cgroup {
        Cgroup {
            path: self.path.join(name),
            version: self.version,
        }
    }

    /// Creates it; on v2 its own children get the memory controller too.
    pub fn create(&self) -> io::Result<()> {
        std::fs::create_dir_all(&self.path).map_err(|e| self.error("create", e))?;
        if self.version == Version::V2 {
            self.write("cgroup.subtree_control", "+memory")?;
        }
        Ok(())
    }

    pub fn set_limit(&self, bytes: u64) -> io::Result<()> {
        match self.version {
            Version::V1 => self.write("memory.limit_in_bytes", &bytes.to_string()),
            Version::V2 => self.write("memory.max", &bytes.to_string()),
        }
    }

    /// Anonymous memory in use, this cgroup and those below: what the jobs hold, not the page
    /// cache that image files leave behind.
    pub fn anon_bytes(&self) -> io::Result<u64> {
        let key = match self.version {
            Version::V1 => "total_rss",
            Version::V2 => "anon",
        };
        self.stat_value("memory.stat", key)
    }

    /// Processes the OOM killer killed in this cgroup.
    pub fn oom_kills(&self) -> io::Result<u64> {
        match self.version {
            Version::V1 => self.stat_value("memory.oom_control", "oom_kill"),
            Version::V2 => self.stat_value("memory.events.local", "oom_kill"),
        }
    }

    pub fn procs(&self) -> Vec<i32> {
        std::fs::read_to_string(self.path.join("cgroup.procs"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    /// `cgroup.procs` open for writing: a child about to exec writes `0` to it to join.
    pub fn procs_file(&self) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .open(self.path.join("cgroup.procs"))
            .map_err(|e| self.error("open cgroup.procs of", e))
    }

    pub fn exists(&self) -> bool {
        self.path.is_dir()
    }

    /// Kills every process in it and below, then removes it and the cgroups below.
    pub fn remove(&self) -> io::Result<()> {
        if !self.exists() {
            return Ok(());
        }
        for entry in std::fs::read_dir(&self.path)?.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                self.child(&entry.file_name().to_string_lossy()).remove()?;
            }
        }
        let started = Instant::now();
        loop {
            let procs = self.procs();
            procs.iter().for_each(|&p| kill(p));
            match std::fs::remove_dir(&self.path) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                // Busy until the killed processes have left.
                Err(e) if started.elapsed() > Duration::from_secs(10) => {
                    return Err(self.error("remove", e))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    fn stat_value(&self, file: &str, key: &str) -> io::Result<u64> {
        let path = self.path.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| self.error("read", e))?;
        text.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(' ')?;
                (k == key).then(|| v.trim().parse().ok()).flatten()
            })
            .ok_or_else(|| io::Error::other(format!("no `{key}` in {}", path.display())))
    }

    fn write(&self, file: &str, value: &str) -> io::Result<()> {
        std::fs::write(self.path.join(file), value)
            .map_err(|e| self.error(&format!("write {value:?} to {file} of"), e))
    }

    fn error(&self, what: &str, e: io::Error) -> io::Error {
        io::Error::new(
            e.kind(),
            format!("cannot {what} cgroup {}: {e}", self.path.display()),
        )
    }
}
