//! A job's process on a node: `unshare --pid --fork setsid migsim-memhog --job job.json`,
//! started inside the node's network namespace and the job's own cgroup below the node's, and
//! found again through that cgroup (after a restore, or by a restarted adapter).

use std::io;
use std::path::{Path, PathBuf};
use std::process::Child;

use crate::criu::cleanup::stat_fields;
use crate::criu::memhog::{launch, read_progress_file, Progress};
use crate::live::local::cgroup::Cgroup;
use crate::live::local::netns::Netns;
use crate::live::local::place::Placement;
use crate::live::LiveWorkload;

/// Where a job lives on this machine.
#[derive(Clone, Debug)]
pub struct JobFiles {
    /// Its working folder: `job.json` and `progress`. CRIU's parasite mounts a private /proc
    /// relative to the working folder, so each job has its own.
    pub dir: PathBuf,
}

impl JobFiles {
    pub fn progress(&self) -> PathBuf {
        self.dir.join("progress")
    }

    pub fn read(&self) -> Option<Progress> {
        read_progress_file(&self.progress())
    }
}

/// The name of a job's cgroup below its node's.
pub fn cgroup_name(job: usize) -> String {
    format!("job-{job}")
}

/// Starts the job from scratch; returns `unshare`, the parent outside its PID namespace.
pub fn start(
    memhog: &Path,
    files: &JobFiles,
    workload: &LiveWorkload,
    netns: &Netns,
    cgroup: &Cgroup,
    hold_socket: bool,
) -> io::Result<Child> {
    std::fs::create_dir_all(&files.dir)?;
    let _ = std::fs::remove_file(files.progress());
    let spec = files.dir.join("job.json");
    std::fs::write(
        &spec,
        serde_json::to_vec(workload).map_err(io::Error::other)?,
    )?;
    cgroup.remove()?;
    cgroup.create()?;
    let mut cmd = launch(memhog, &files.progress(), hold_socket.then_some("tcp"));
    cmd.arg("--job").arg(&spec);
    Placement {
        netns: netns.open()?,
        cgroup_procs: Some(cgroup.procs_file()?),
    }
    .apply(&mut cmd);
    cmd.spawn().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot start the job with `unshare`: {e}"),
        )
    })
}

/// The workload in `cgroup`: the process that is PID 1 of its own namespace.
pub fn workload_pid(cgroup: &Cgroup) -> Option<i32> {
    cgroup.procs().into_iter().find(|&pid| {
        std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("NSpid:"))
                .is_some_and(|ids| {
                    ids.split_whitespace().count() > 1 && ids.split_whitespace().last() == Some("1")
                })
        })
    })
}

/// Whether `pid` is stopped (SIGSTOP, or left stopped by `criu dump --leave-stopped`).
pub fn stopped(pid: i32) -> bool {
    stat_fields(pid).is_some_and(|rest| rest.starts_with('T'))
}

pub fn signal(pid: i32, sig: i32) {
    if pid > 0 {
        // SAFETY: kill(2) with a positive pid only sends a signal.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}
