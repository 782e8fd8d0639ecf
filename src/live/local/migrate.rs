//! One migration on the local backend, run on its own thread. Each step is journaled before
//! it is taken, so a restarted adapter knows where it stopped.
//!
//! stop-and-copy: the target's page server listens in the target's namespace; `criu dump
//! --leave-stopped` freezes the job and streams its pages there, leaving the source copy
//! stopped, not killed; `criu restore` runs in the target's namespace and the job's new cgroup.
//! Only once the restored job counts on is the stopped source killed. Any failure before then
//! resumes the source copy (SIGCONT): the job runs on exactly one node either way.
//!
//! restart: the job is killed and started from scratch on the target.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::criu::binary::explain;
use crate::criu::measure::{copy_images, dir_bytes, read_pid, wait_timeout};
use crate::criu::memhog::keeps_counting;
use crate::live::backend::MoveOrder;
use crate::live::journal::Step;
use crate::live::local::job::{self, cgroup_name, signal, JobFiles};
use crate::live::local::netns::Network;
use crate::live::local::place::Placement;
use crate::live::local::{Ctx, Fault};
use crate::migration::Mechanism;

/// How long a restored job gets to show that it counts on.
const RESUME_LIMIT: Duration = Duration::from_secs(5);
/// How long one criu command may take: dumps and restores here take well under a second per
/// 100 MiB.
const CRIU_LIMIT: Duration = Duration::from_secs(60);

pub fn run(ctx: &Ctx, order: &MoveOrder, cancel: &AtomicBool) {
    if cancel.load(Ordering::SeqCst) {
        return ctx.step(
            order.id,
            Step::Cancelled {
                reason: ctx.cancel_reason(order.id),
            },
        );
    }
    ctx.step(
        order.id,
        Step::Freezing {
            memory: order.memory,
            work_s: order.work_s,
        },
    );
    let frozen = ctx.clock.now_s();
    let result = match order.mechanism {
        Mechanism::Restart => restart(ctx, order),
        _ => stop_and_copy(ctx, order),
    };
    // Downtime ends when the job runs again: on the target once restored, else on its source
    // once resumed (now).
    let step = match result {
        Ok(running) => Step::Complete {
            downtime_s: running - frozen,
        },
        Err(reason) => Step::Failed {
            reason,
            downtime_s: ctx.clock.now_s() - frozen,
        },
    };
    ctx.step(order.id, step);
}

/// Returns when the job ran again (simulated seconds).
fn restart(ctx: &Ctx, order: &MoveOrder) -> Result<f64, String> {
    let source = ctx.job_cgroup(order.source, order.job.index());
    source.remove().map_err(|e| e.to_string())?;
    ctx.start_job(order.job.index(), order.target.index())
        .map_err(|e| format!("starting it on the target: {e}"))?;
    Ok(ctx.clock.now_s())
}

/// Returns when the restored job ran on the target (simulated seconds).
fn stop_and_copy(ctx: &Ctx, order: &MoveOrder) -> Result<f64, String> {
    let j = order.job.index();
    let source = ctx.job_cgroup(order.source, j);
    let target = ctx.job_cgroup(order.target, j);
    let pid = job::workload_pid(&source).ok_or("the job's process is gone from its source")?;
    let dir = ctx.work.join("images").join(format!("m{}", order.id));
    let (local, remote) = (dir.join("source"), dir.join("target"));
    for d in [&local, &remote] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let result = dump_and_restore(ctx, order, pid, &local, &remote);
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

fn dump_and_restore(
    ctx: &Ctx,
    order: &MoveOrder,
    pid: i32,
    local: &Path,
    remote: &Path,
) -> Result<f64, String> {
    let (s, t) = (order.source.index(), order.target.index());
    let address = Network::address(t);
    let port = (27000 + order.id % 20000).to_string();
    let target_node = &ctx.nodes[t];
    criu(
        ctx,
        &remote.join("page-server.log"),
        &[
            "page-server",
            "-D",
            &p(remote),
            "--address",
            &address,
            "--port",
            &port,
            "-d",
            "--pidfile",
            &p(&remote.join("page-server.pid")),
        ],
        t,
        Some(target_node),
    )
    .map_err(|e| format!("page server: {e}"))?;
    let progress = ctx.files(order.job.index()).progress();
    let before = crate::criu::memhog::read_progress(&progress).unwrap_or(0);
    let dumped = criu(
        ctx,
        &local.join("dump.log"),
        &[
            "dump",
            "-t",
            &pid.to_string(),
            "-D",
            &p(local),
            "--page-server",
            "--address",
            &address,
            "--port",
            &port,
            "--leave-stopped",
            "--manage-cgroups=ignore",
        ],
        s,
        None,
    );
    if let Some(server) = read_pid(&remote.join("page-server.pid")) {
        // It ends once the dump closes the connection; after a failed dump it may not.
        crate::criu::cleanup::kill(server);
    }
    dumped.map_err(|e| format!("criu dump: {e}"))?;
    let bytes_sent = dir_bytes(remote) as f64 / ctx.scale;
    ctx.step(order.id, Step::Dumped { bytes_sent });
    ctx.fault_point(Fault::CrashAfterDump);
    copy_images(local, remote).map_err(|e| format!("copying images to the target: {e}"))?;
    ctx.step(order.id, Step::Restoring);
    ctx.inject_before_restore(order, remote);
    let target = ctx.job_cgroup(order.target, order.job.index());
    target
        .remove()
        .and_then(|()| target.create())
        .map_err(|e| e.to_string())?;
    let pidfile = remote.join("restore.pid");
    criu(
        ctx,
        &remote.join("restore.log"),
        &[
            "restore",
            "-D",
            &p(remote),
            "-d",
            "--manage-cgroups=ignore",
            "--pidfile",
            &p(&pidfile),
        ],
        t,
        Some(&target),
    )
    .map_err(|e| format!("criu restore: {e}"))?;
    let running = ctx.clock.now_s();
    if keeps_counting(&progress, before, RESUME_LIMIT).is_none() {
        return Err(format!(
            "the restored job did not count past {before} within {RESUME_LIMIT:?} (killed on the target?)"
        ));
    }
    Ok(running)
}

/// Runs one criu command in node `node`'s network namespace (and `cgroup`, if given).
fn criu(
    ctx: &Ctx,
    log: &Path,
    args: &[&str],
    node: usize,
    cgroup: Option<&crate::live::local::cgroup::Cgroup>,
) -> Result<(), String> {
    let os: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    let mut cmd: Command = ctx.criu.command(log, &os);
    Placement {
        netns: ctx.network.nodes[node].open().map_err(|e| e.to_string())?,
        cgroup_procs: cgroup
            .map(|c| c.procs_file())
            .transpose()
            .map_err(|e| e.to_string())?,
    }
    .apply(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", ctx.criu.path.display()))?;
    // A restore from damaged images can hang for ever; the caller's rollback kills whatever
    // it forked (they are in the target's cgroup).
    let Some(status) = wait_timeout(&mut child, CRIU_LIMIT) else {
        return Err(format!(
            "{} did not finish within {CRIU_LIMIT:?}; killed",
            args[0]
        ));
    };
    if status.success() {
        Ok(())
    } else {
        Err(explain(log, &status.to_string()))
    }
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

/// A job's files, for the recovery too.
pub fn job_dir(work: &Path, job: usize) -> PathBuf {
    work.join("jobs").join(job.to_string())
}

impl Ctx {
    pub fn files(&self, job: usize) -> JobFiles {
        JobFiles {
            dir: job_dir(&self.work, job),
        }
    }

    pub fn job_cgroup(
        &self,
        node: crate::model::NodeId,
        job: usize,
    ) -> crate::live::local::cgroup::Cgroup {
        self.nodes[node.index()].child(&cgroup_name(job))
    }
}
