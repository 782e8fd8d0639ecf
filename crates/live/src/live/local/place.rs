//! Starting a process inside a node: it joins the node's network namespace and a cgroup just
//! before it executes, so that it, and every process it forks (criu's restored tree, a job's
//! PID namespace), lives there from its first instruction.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// What a child joins: both open before the fork, since the child may only make system calls.
pub struct Placement {
    pub netns: File,
    /// None: stay in the adapter's cgroup.
    pub cgroup_procs: Option<File>,
}

impl Placement {
    /// Makes `cmd` join the namespace and the cgroup when it starts.
    pub fn apply(self, cmd: &mut Command) {
        let (net, procs) = (self.netns, self.cgroup_procs);
        // SAFETY: between fork and exec only setns(2) and write(2) run, both async-signal-safe;
        // the files stay open in the parent until the closure is dropped with the Command.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setns(net.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // `0` moves the writing process.
                if let Some(procs) = &procs {
                    if libc::write(procs.as_raw_fd(), b"0".as_ptr().cast(), 1) != 1 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }
}
