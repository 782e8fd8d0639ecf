//! What the local backend needs from this machine, checked before anything is created, each
//! missing piece named with what to do about it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::criu::{support, Criu, MemhogSpec, Support};
use crate::migration::Mechanism;

pub struct Ready {
    pub criu: Criu,
    pub memhog: PathBuf,
}

pub fn check(criu: Option<&Path>, mechanism: Mechanism, migrates: bool) -> Result<Ready, String> {
    support::require_root().map_err(|_| {
        "the local backend needs root: it creates memory cgroups and network namespaces, and criu dumps and restores processes; run it as root (e.g. with sudo)".to_string()
    })?;
    super::cgroup::detect()?;
    for (tool, package) in [("ip", "iproute2"), ("unshare", "util-linux")] {
        let found = Command::new(tool)
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            return Err(format!("`{tool}` not found; install {package}"));
        }
    }
    let memhog = MemhogSpec::beside_current_exe().map_err(|e| e.to_string())?;
    let criu = Criu::locate(criu)?;
    if migrates {
        mechanism_supported(&criu, mechanism)?;
    }
    Ok(Ready { criu, memhog })
}

/// Whether this machine can move jobs by `mechanism`: post-copy needs lazy pages; pre-copy's
/// iterative pre-dumps are not built here.
fn mechanism_supported(criu: &Criu, mechanism: Mechanism) -> Result<(), String> {
    match mechanism {
        Mechanism::Restart | Mechanism::StopAndCopy => Ok(()),
        Mechanism::PostCopy => Support::detect(criu).lazy.map_err(|why| {
            format!("migration.mechanism = \"post-copy\" needs criu's lazy pages, which this machine cannot run: {why}; use stop-and-copy")
        }),
        Mechanism::PreCopy => Err(format!(
            "migration.mechanism = \"pre-copy\" is not supported by the local backend: iterative pre-dumps need soft-dirty tracking{}; use stop-and-copy or post-copy",
            if criu.has_feature("mem_dirty_track") { "" } else { ", which this kernel lacks (`criu check --feature mem_dirty_track` fails)" }
        )),
    }
}
