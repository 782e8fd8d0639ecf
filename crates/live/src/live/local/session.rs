//! A session: everything one `migsim live` run creates on this machine, written down in
//! `<state>/<id>/session.json` before any of it exists, so that whatever happens to the
//! adapter, the next start can find it and take it all away.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::criu::cleanup::{kill, processes_naming, stat_fields};
use crate::live::local::cgroup::Cgroup;
use crate::live::local::netns::Network;

/// Where sessions are kept unless `--state` says otherwise: on disk, not tmpfs, because image
/// files in tmpfs would be charged to a node as memory it cannot reclaim.
pub const DEFAULT_STATE: &str = "/var/tmp/migsim-live";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    /// The adapter that owns it, by PID and start time (PIDs are reused).
    pub owner: Owner,
    /// The results folder, which holds the journal.
    pub out: PathBuf,
    /// The session's cgroup; nodes and jobs are below it.
    pub cgroup: Cgroup,
    pub network: Network,
    /// Jobs' working folders and migration images.
    pub work: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub pid: i32,
    pub start: u64,
}

impl Owner {
    pub fn me() -> Owner {
        Owner::of(std::process::id() as i32)
    }

    pub fn of(pid: i32) -> Owner {
        Owner {
            pid,
            start: start_time(pid).unwrap_or(0),
        }
    }

    pub fn alive(&self) -> bool {
        start_time(self.pid) == Some(self.start)
    }
}

/// A process's start time in clock ticks since boot (field 22 of /proc/PID/stat).
fn start_time(pid: i32) -> Option<u64> {
    stat_fields(pid)?.split_whitespace().nth(19)?.parse().ok()
}

impl Session {
    pub fn file(state: &Path, id: &str) -> PathBuf {
        state.join(id).join("session.json")
    }

    /// Writes the record (atomically) before anything it names is created.
    pub fn save(&self, state: &Path) -> io::Result<()> {
        let path = Self::file(state, &self.id);
        std::fs::create_dir_all(path.parent().expect("a session folder"))?;
        crate::output::write_atomic(&path, &|w| {
            serde_json::to_writer_pretty(&mut *w, self).map_err(io::Error::other)
        })
    }

    pub fn load(state: &Path, id: &str) -> io::Result<Session> {
        let path = Self::file(state, id);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
        })?;
        serde_json::from_str(&text)
            .map_err(|e| io::Error::other(format!("{}: {e}", path.display())))
    }

    /// Every session under `state`, readable or not.
    pub fn all(state: &Path) -> Vec<Result<Session, (PathBuf, io::Error)>> {
        let Ok(entries) = std::fs::read_dir(state) else {
            return Vec::new();
        };
        let mut ids: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().join("session.json").exists())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        ids.into_iter()
            .map(|id| Session::load(state, &id).map_err(|e| (state.join(&id), e)))
            .collect()
    }

    /// Kills every process it started (those in its cgroups and any criu still naming its
    /// folders), deletes its cgroups and namespaces, its images and its record.
    pub fn remove(&self, state: &Path) -> io::Result<()> {
        for _ in 0..2 {
            processes_naming(std::slice::from_ref(&self.work))
                .into_iter()
                .for_each(kill);
        }
        self.cgroup.remove()?;
        self.network.remove()?;
        match std::fs::remove_dir_all(&self.work) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        match std::fs::remove_dir_all(state.join(&self.id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// A fresh session id: short, because it goes into namespace names.
pub fn new_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{:x}{:05x}", std::process::id(), nanos & 0xfffff)
}
