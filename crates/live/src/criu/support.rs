//! Which measurements this machine allows, each with the reason when it does not.

use crate::criu::Criu;

/// Remote lazy pages splice pages through pipes of up to 4 MiB.
pub const LAZY_PIPE_BYTES: u64 = 4 << 20;

#[derive(Clone, Debug)]
pub struct Support {
    /// Iterative pre-dump needs soft-dirty tracking.
    pub pre_dump: Result<(), String>,
    /// Post-copy (lazy pages over a page server) needs userfaultfd and large pipes.
    pub lazy: Result<(), String>,
}

impl Support {
    pub fn detect(criu: &Criu) -> Support {
        let pipe_max = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse().ok());
        Support {
            pre_dump: pre_dump(criu.has_feature("mem_dirty_track")),
            lazy: lazy(criu.has_feature("uffd-noncoop"), pipe_max),
        }
    }
}

/// Whether the user may run criu at all: it needs root.
pub fn require_root() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        Ok(())
    } else {
        Err("criu needs root to dump and restore processes; run the measurement as root (e.g. with sudo)".into())
    }
}

pub fn pre_dump(dirty_tracking: bool) -> Result<(), String> {
    if dirty_tracking {
        Ok(())
    } else {
        Err("no soft-dirty memory tracking on this kernel (`criu check --feature mem_dirty_track` fails), so iterative pre-dump cannot be measured; it needs a kernel built with CONFIG_MEM_SOFT_DIRTY".into())
    }
}

pub fn lazy(userfaultfd: bool, pipe_max: Option<u64>) -> Result<(), String> {
    if !userfaultfd {
        return Err("no userfaultfd for lazy restore (`criu check --feature uffd-noncoop` fails); it needs a kernel built with CONFIG_USERFAULTFD".into());
    }
    match pipe_max {
        Some(p) if p >= LAZY_PIPE_BYTES => Ok(()),
        Some(p) => Err(format!(
            "/proc/sys/fs/pipe-max-size is {p} bytes; criu's remote lazy pages need at least {LAZY_PIPE_BYTES} (as root: sysctl -w fs.pipe-max-size={LAZY_PIPE_BYTES})"
        )),
        None => Err("cannot read /proc/sys/fs/pipe-max-size, which remote lazy pages depend on".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_features_say_what_and_how() {
        assert!(pre_dump(true).is_ok());
        assert!(pre_dump(false).unwrap_err().contains("mem_dirty_track"));
        assert!(lazy(true, Some(LAZY_PIPE_BYTES)).is_ok());
        let small = lazy(true, Some(1 << 20)).unwrap_err();
        assert!(
            small.contains("pipe-max-size is 1048576")
                && small.contains("sysctl -w fs.pipe-max-size=4194304"),
            "{small}"
        );
        assert!(lazy(false, Some(LAZY_PIPE_BYTES))
            .unwrap_err()
            .contains("uffd-noncoop"));
    }
}
