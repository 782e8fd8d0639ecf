//! One migration on the local backend, run on its own thread. Each step is journaled before
//! it is taken, so a restarted adapter knows where it stopped.
//!
//! A checkpointed move (stop-and-copy, post-copy) leaves the source copy stopped, not killed,
//! until the restored job counts on in the target's namespace and cgroup; any failure before
//! then kills the target's copy and resumes the source (SIGCONT). The job runs on exactly one
//! node either way. restart: the job is killed and started from scratch on the target.

mod checkpoint;
mod post_copy;
mod stop_and_copy;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::live::backend::MoveOrder;
use crate::live::journal::Step;
use crate::live::local::job::{cgroup_name, JobFiles};
use crate::live::local::Ctx;
use crate::migration::Mechanism;

use checkpoint::Checkpoint;

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
        Mechanism::StopAndCopy => Checkpoint::run(ctx, order, stop_and_copy::transfer),
        Mechanism::PostCopy => Checkpoint::run(ctx, order, post_copy::transfer),
        // The preflight refuses it; a journal from elsewhere could still ask.
        Mechanism::PreCopy => Err("pre-copy is not supported by the local backend".into()),
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

/// A job's files, for the recovery too.
pub fn job_dir(work: &Path, job: usize) -> PathBuf {
    work.join("jobs").join(job.to_string())
}

/// Where a migration's images go; the recovery looks for criu commands naming it.
pub fn images_dir(work: &Path, id: u32) -> PathBuf {
    work.join("images").join(format!("m{id}"))
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
