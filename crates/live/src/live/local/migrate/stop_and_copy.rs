//! stop-and-copy: the target's page server listens in the target's namespace; `criu dump
//! --leave-stopped` freezes the job and streams its pages there; `criu restore` runs in the
//! target's namespace and the job's new cgroup.

use crate::criu::measure::dir_bytes;

use super::checkpoint::{p, Checkpoint, CRIU_LIMIT};

pub fn transfer(c: &Checkpoint) -> Result<f64, String> {
    let (source, target) = (c.order.source, c.order.target);
    let remote = p(&c.remote);
    let address = c.address(target);
    let mut server = c.daemon(
        &c.remote,
        &[
            "page-server",
            "-D",
            &remote,
            "--address",
            &address,
            "--port",
            &c.port,
        ],
        target,
        Some(c.node_cgroup(target)),
    )?;
    let dumped = c.criu(
        &c.local,
        &c.dump_args("--page-server", &address),
        source,
        None,
    );
    match dumped {
        // The server ends once the dump closes the connection.
        Ok(()) => server.finish(CRIU_LIMIT)?,
        Err(e) => {
            server.stop();
            return Err(e);
        }
    }
    c.dumped(dir_bytes(&c.remote) as f64 / c.ctx.scale)?;
    let running = c.restore(&[])?;
    c.counts_on()?;
    Ok(running)
}
