//! What stop-and-copy and post-copy share: the frozen process and its image folders, criu
//! commands placed in a node, the restore into the target, and the commit or the rollback.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::criu::daemon::{self, Daemon};
use crate::criu::measure::copy_images;
use crate::criu::memhog::{keeps_counting, read_progress};
use crate::live::backend::MoveOrder;
use crate::live::journal::Step;
use crate::live::local::cgroup::Cgroup;
use crate::live::local::job::{self, signal};
use crate::live::local::netns::Network;
use crate::live::local::place::Placement;
use crate::live::local::{Ctx, Fault};
use crate::model::NodeId;

use super::images_dir;

/// How long a restored job gets to show that it counts on.
const RESUME_LIMIT: Duration = Duration::from_secs(5);
/// How long one criu command may take, a lazy transfer included: dumps, restores and
/// transfers here take well under a second per 100 MiB.
pub const CRIU_LIMIT: Duration = Duration::from_secs(60);

/// One checkpointed move under way.
pub struct Checkpoint<'a> {
    pub ctx: &'a Ctx,
    pub order: &'a MoveOrder,
    /// The job's process on the source, as this host sees it.
    pid: i32,
    /// The images the source writes, and the target's copy of them.
    pub local: PathBuf,
    pub remote: PathBuf,
    /// Where its pages go over the bridge.
    pub port: String,
    /// Its progress counter before the move: the restored job must count past it.
    before: u64,
}

/// What a mechanism does from the freeze until the job runs on the target: returns when it
/// ran again (simulated seconds).
pub type Transfer = fn(&Checkpoint) -> Result<f64, String>;

impl<'a> Checkpoint<'a> {
    /// Moves the job by `transfer`, then kills the source copy, or rolls back on failure.
    pub fn run(ctx: &'a Ctx, order: &'a MoveOrder, transfer: Transfer) -> Result<f64, String> {
        let j = order.job.index();
        let (source, target) = (
            ctx.job_cgroup(order.source, j),
            ctx.job_cgroup(order.target, j),
        );
        let pid = job::workload_pid(&source).ok_or("the job's process is gone from its source")?;
        let dir = images_dir(&ctx.work, order.id);
        let (local, remote) = (dir.join("source"), dir.join("target"));
        for d in [&local, &remote] {
            std::fs::create_dir_all(d)
                .map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        }
        let c = Checkpoint {
            ctx,
            order,
            pid,
            local,
            remote,
            port: (27000 + order.id % 20000).to_string(),
            before: read_progress(&ctx.files(j).progress()).unwrap_or(0),
        };
        let result = transfer(&c);
        let _ = std::fs::remove_dir_all(&dir);
        match result {
            Ok(running) => {
                // The restored copy counts on: the stopped source goes.
                ctx.step(order.id, Step::Restored);
                source.remove().map_err(|e| e.to_string())?;
                Ok(running)
            }
            Err(why) => {
                let _ = target.remove();
                signal(pid, libc::SIGCONT);
                Err(why)
            }
        }
    }

    pub fn address(&self, node: NodeId) -> String {
        Network::address(node.index())
    }

    pub fn node_cgroup(&self, node: NodeId) -> &Cgroup {
        &self.ctx.nodes[node.index()]
    }

    /// Runs criu command `args` to its end in `node`'s namespace (and `cgroup`), logging to
    /// `dir/<args[0]>.log`. A restore from damaged images can hang for ever: past
    /// [`CRIU_LIMIT`] it is killed, and the rollback kills what it forked (they are in the
    /// target's cgroup).
    pub fn criu<S: AsRef<str>>(
        &self,
        dir: &Path,
        args: &[S],
        node: NodeId,
        cgroup: Option<&Cgroup>,
    ) -> Result<(), String> {
        let (mut cmd, log) = self.command(dir, args, node, cgroup)?;
        daemon::run(args[0].as_ref(), &mut cmd, log, CRIU_LIMIT)
    }

    /// Starts criu command `args` as a daemon in `node`'s namespace (and `cgroup`); returns
    /// once it listens.
    pub fn daemon<S: AsRef<str>>(
        &self,
        dir: &Path,
        args: &[S],
        node: NodeId,
        cgroup: Option<&Cgroup>,
    ) -> Result<Daemon, String> {
        let (mut cmd, log) = self.command(dir, args, node, cgroup)?;
        Daemon::start(args[0].as_ref(), &mut cmd, log, |c| c.spawn())
    }

    /// `criu dump` of the job, left stopped, its pages sent by `pages`: `--page-server` to a
    /// page server at `address`, or `--lazy-pages` served from `address`.
    pub fn dump_args(&self, pages: &str, address: &str) -> Vec<String> {
        let pid = self.pid.to_string();
        let local = p(&self.local);
        [
            "dump",
            "-t",
            &pid,
            "-D",
            &local,
            pages,
            "--address",
            address,
            "--port",
            &self.port,
            "--leave-stopped",
            "--manage-cgroups=ignore",
        ]
        .map(String::from)
        .to_vec()
    }

    fn command<S: AsRef<str>>(
        &self,
        dir: &Path,
        args: &[S],
        node: NodeId,
        cgroup: Option<&Cgroup>,
    ) -> Result<(Command, PathBuf), String> {
        let log = dir.join(format!("{}.log", args[0].as_ref()));
        let os: Vec<&OsStr> = args.iter().map(|a| OsStr::new(a.as_ref())).collect();
        let mut cmd = self.ctx.criu.command(&log, &os);
        Placement {
            netns: self.ctx.network.nodes[node.index()]
                .open()
                .map_err(|e| e.to_string())?,
            cgroup_procs: cgroup
                .map(|c| c.procs_file())
                .transpose()
                .map_err(|e| e.to_string())?,
        }
        .apply(&mut cmd);
        Ok((cmd, log))
    }

    /// The source's images are written: journals it (`bytes_sent` in scenario bytes) and
    /// copies them to the target.
    pub fn dumped(&self, bytes_sent: f64) -> Result<(), String> {
        self.ctx.step(self.order.id, Step::Dumped { bytes_sent });
        self.ctx.fault_point(Fault::CrashAfterDump);
        copy_images(&self.local, &self.remote)
            .map_err(|e| format!("copying images to the target: {e}"))
    }

    /// Restores the job into a fresh cgroup on the target, with `extra` criu options;
    /// returns when it runs there.
    pub fn restore(&self, extra: &[&str]) -> Result<f64, String> {
        self.ctx.step(self.order.id, Step::Restoring);
        self.ctx.inject_before_restore(self.order, &self.remote);
        let target = self
            .ctx
            .job_cgroup(self.order.target, self.order.job.index());
        target
            .remove()
            .and_then(|()| target.create())
            .map_err(|e| e.to_string())?;
        let (remote, pidfile) = (p(&self.remote), p(&self.remote.join("restore.pid")));
        let mut args = vec![
            "restore",
            "-D",
            &remote,
            "-d",
            "--manage-cgroups=ignore",
            "--pidfile",
            &pidfile,
        ];
        args.extend_from_slice(extra);
        self.criu(&self.remote, &args, self.order.target, Some(&target))?;
        Ok(self.ctx.clock.now_s())
    }

    /// The restored job lives on the target and counts on, from now: a post-copy job may
    /// have counted while its pages came, and been killed since.
    pub fn counts_on(&self) -> Result<(), String> {
        let j = self.order.job.index();
        let progress = self.ctx.files(j).progress();
        let since = read_progress(&progress).map_or(self.before, |n| n.max(self.before));
        self.not_oom_killed()?;
        let counted = keeps_counting(&progress, since, RESUME_LIMIT);
        self.not_oom_killed()?;
        counted.map(|_| ()).ok_or_else(|| {
            format!("the restored job did not count past {since} within {RESUME_LIMIT:?} (killed on the target?)")
        })
    }

    /// The kernel has not OOM-killed the restored copy: the root cause, when it has, of
    /// whatever else then failed.
    pub fn not_oom_killed(&self) -> Result<(), String> {
        let target = self
            .ctx
            .job_cgroup(self.order.target, self.order.job.index());
        if target.oom_kills().unwrap_or(0) > 0 {
            Err("the kernel OOM-killed the restored job on the target: the node has too little memory for it".into())
        } else {
            Ok(())
        }
    }
}

pub fn p(path: &Path) -> String {
    path.display().to_string()
}
