//! Runs submit.sh: the job ids it prints, and with `--wait` the aggregation job's exit status.
//! sbatch runs in a process group of its own, so that Ctrl-C stops migsim's waiting and not
//! the jobs.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::cli::CliError;

/// The two jobs of a submitted sweep.
#[derive(Clone)]
pub struct Jobs {
    pub array: String,
    pub aggregate: String,
}

/// A submission under way: its jobs, and sbatch waiting for the aggregation when asked.
pub struct Submitted {
    pub jobs: Jobs,
    sbatch: Child,
}

/// Whether `sbatch` can be started from this shell.
pub fn sbatch_on_path() -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let file = dir.join("sbatch");
            file.metadata().is_ok_and(|m| {
                m.is_file()
                    && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
            })
        })
    })
}

/// The jobs in the queue (pending or running) that carry `tag` as their comment: an earlier
/// submission of the same folder, whose tasks a new one would race on the same runs.
pub fn queued_with(tag: &str) -> Result<Vec<String>, CliError> {
    let o = Command::new("squeue")
        .args(["--noheader", "--format=%i %k"])
        .output()
        .map_err(|e| CliError::Failed(format!("cannot run squeue: {e}")))?;
    if !o.status.success() {
        return Err(CliError::Failed(format!(
            "squeue failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, comment)| comment.trim() == tag)
        .map(|(id, _)| id.to_string())
        .collect())
}

/// Submits with `script`; with `wait`, the aggregation's sbatch stays to wait for its end.
pub fn submit(script: &Path, wait: bool) -> Result<Submitted, CliError> {
    let mut command = Command::new("sh");
    command.arg(script);
    if wait {
        command.arg("--wait");
    }
    let mut sbatch = command
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| CliError::Failed(format!("cannot run {}: {e}", script.display())))?;
    let mut lines = BufReader::new(sbatch.stdout.take().expect("piped")).lines();
    // `--parsable` prints `ID` or `ID;CLUSTER`.
    let mut id = || {
        lines
            .next()
            .and_then(Result::ok)
            .map(|l| l.split(';').next().unwrap_or_default().trim().to_string())
            .filter(|l| !l.is_empty())
    };
    let (array, aggregate) = (id(), id());
    match (array, aggregate) {
        (Some(array), Some(aggregate)) => Ok(Submitted {
            jobs: Jobs { array, aggregate },
            sbatch,
        }),
        (array, _) => {
            let status = sbatch.wait().ok();
            let what = match array {
                Some(a) => {
                    format!("the aggregation job was not submitted (the array, job {a}, was)")
                }
                None => "nothing was submitted".into(),
            };
            Err(CliError::Input(format!(
                "sbatch refused the sweep ({}): {what}; see its message above",
                status.map_or("did not end".into(), |s| s.to_string())
            )))
        }
    }
}

impl Submitted {
    /// Waits for sbatch (with `--wait`: for the aggregation job's end), calling `tick` every
    /// second; `None` when `stop` was raised first (the jobs go on).
    pub fn wait(
        mut self,
        stop: &AtomicBool,
        tick: &dyn Fn(),
    ) -> Result<Option<ExitStatus>, CliError> {
        let step = Duration::from_millis(200);
        let mut ticks = 0u32;
        loop {
            match self.sbatch.try_wait() {
                Ok(Some(status)) => return Ok(Some(status)),
                Ok(None) => {}
                Err(e) => return Err(CliError::Failed(format!("cannot wait for sbatch: {e}"))),
            }
            if stop.load(Ordering::Relaxed) {
                let _ = self.sbatch.kill();
                let _ = self.sbatch.wait();
                return Ok(None);
            }
            if ticks.is_multiple_of(5) {
                tick();
            }
            ticks += 1;
            std::thread::sleep(step);
        }
    }
}
