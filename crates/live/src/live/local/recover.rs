//! Finishing or rolling back what a dead adapter had in flight, from its journal and from what
//! the kernel shows: a job restored on its target and counting on is finished there; anything
//! short of that is rolled back (the target's copy killed, the stopped source resumed).

use std::time::{Duration, Instant};

use crate::criu::cleanup::{kill, processes_naming};
pub use crate::live::journal::InFlight;
use crate::live::journal::{self, Entry, Journal, Step};
use crate::live::local::job::{self, signal};
use crate::live::local::migrate::images_dir;
use crate::live::local::session::Session;
use crate::live::local::Ctx;
use crate::migration::Mechanism;
use crate::model::NodeId;

/// criu commands of a dead adapter run to their end on their own, a lazy transfer under way
/// included; wait for them first. A daemon still waiting for a peer the adapter never
/// started (a lazy dump, a page server) would wait for ever: past this it is killed.
const CRIU_LIMIT: Duration = Duration::from_secs(20);

/// `who` carried the move out and died: "adapter" on the local backend, "target node's
/// agent" on Kubernetes; it is the one that restarted.
pub fn recover(ctx: &Ctx, m: &InFlight, who: &str) {
    let images = images_dir(&ctx.work, m.id);
    // A post-copy cut before its restore: its daemons wait for a restore that never comes.
    let stalled = m.mechanism == Mechanism::PostCopy && matches!(m.last, Step::Dumped { .. });
    let limit = if stalled { Duration::ZERO } else { CRIU_LIMIT };
    let started = Instant::now();
    loop {
        let left = processes_naming(std::slice::from_ref(&images));
        let waited = started.elapsed();
        // One that outlives SIGKILL (stuck in the kernel) is the session removal's to retry.
        if left.is_empty() || waited > limit + Duration::from_secs(5) {
            break;
        }
        if waited >= limit {
            left.into_iter().for_each(kill);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&images);
    let (job, source, target) = (m.job as usize, NodeId(m.source), NodeId(m.target));
    let downtime = |end: f64| m.frozen_at.map_or(0.0, |f| (end - f).max(0.0));
    let at = m.last.name();
    if m.frozen_at.is_none() {
        return ctx.step(
            m.id,
            Step::Cancelled {
                reason: format!("the {who} stopped before the job was frozen (last step: {at})"),
            },
        );
    }
    let target_copy = job::workload_pid(&ctx.job_cgroup(target, job)).filter(|&p| !job::stopped(p));
    if let (Some(restored), Some(_)) = (m.restored_at, target_copy) {
        let _ = ctx.job_cgroup(source, job).remove();
        return ctx.step(
            m.id,
            Step::Complete {
                downtime_s: downtime(restored),
            },
        );
    }
    let _ = ctx.job_cgroup(target, job).remove();
    let reason = match job::workload_pid(&ctx.job_cgroup(source, job)) {
        Some(pid) => {
            signal(pid, libc::SIGCONT);
            format!("the {who} stopped during the migration (last step: {at}); the restarted {who} rolled it back and the job runs on its source")
        }
        None => format!("the {who} stopped during the migration (last step: {at}) and the job's process is gone"),
    };
    ctx.step(
        m.id,
        Step::Failed {
            reason,
            downtime_s: downtime(ctx.clock.now_s()),
        },
    );
}

/// For a session about to be removed: its journal gets an end for each migration in flight.
pub fn roll_back_journal(session: &Session) {
    let Ok((mut j, entries)) = Journal::reopen(&session.out) else {
        return;
    };
    for m in journal::in_flight(&entries) {
        let _ = j.append(&Entry::Migration {
            t: m.last_t,
            id: m.id,
            step: Step::Failed {
                reason: format!("the adapter stopped during the migration (last step: {}); a later start removed its session", m.last.name()),
                downtime_s: 0.0,
            },
        });
    }
}
