//! post-copy: `criu dump --lazy-pages --leave-stopped` writes the job's state without its
//! memory and then serves the pages from the source's namespace; the target restores at once
//! (`criu restore --lazy-pages`) and a `criu lazy-pages` daemon in the target's namespace
//! pulls the pages, those the job touches first. The job runs on the target before its memory
//! is there, so only the pull's end commits the move: until then the stopped source holds
//! every page, and a failed pull rolls back to it.

use crate::criu::daemon::Daemon;
use crate::criu::measure::dir_bytes;
use crate::live::journal::Step;

use super::checkpoint::{p, Checkpoint, CRIU_LIMIT};

pub fn transfer(c: &Checkpoint) -> Result<f64, String> {
    let source = c.order.source;
    let address = c.address(source);
    let mut dump = c.daemon(
        &c.local,
        &c.dump_args("--lazy-pages", &address),
        source,
        None,
    )?;
    // Stopped, the source copy's memory is what the target will pull.
    let memory = c
        .ctx
        .job_cgroup(source, c.order.job.index())
        .anon_bytes()
        .unwrap_or(0) as f64;
    let result = restore_and_pull(c, &mut dump, &address, memory);
    if result.is_err() {
        dump.stop();
    }
    result
}

fn restore_and_pull(
    c: &Checkpoint,
    dump: &mut Daemon,
    address: &str,
    memory: f64,
) -> Result<f64, String> {
    let images = dir_bytes(&c.local) as f64;
    c.dumped(images / c.ctx.scale)?;
    let target = c.order.target;
    let remote = p(&c.remote);
    let mut pages = c.daemon(
        &c.remote,
        &[
            "lazy-pages",
            "--page-server",
            "--address",
            address,
            "--port",
            &c.port,
            "-D",
            &remote,
        ],
        target,
        Some(c.node_cgroup(target)),
    )?;
    let running = c.restore(&["--lazy-pages"]).inspect_err(|_| pages.stop())?;
    // The job runs on the target; both daemons end once every page is there.
    let pulled = pages.finish(CRIU_LIMIT);
    let served = dump.finish(CRIU_LIMIT);
    c.not_oom_killed()?;
    pulled.and(served)?;
    c.ctx.step(
        c.order.id,
        Step::Pulled {
            bytes_sent: (images + memory) / c.ctx.scale,
        },
    );
    c.counts_on()?;
    Ok(running)
}
