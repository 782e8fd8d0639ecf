//! `migsim sweep --slurm` on a real one-host Slurm (scripts/slurm-local.sh, from Debian's
//! slurmctld, slurmd and munge): the same files as a sweep on this machine, a task whose node
//! dies requeued with the same result, and a task that fails named. Each test runs its own
//! Slurm, on ports of its own, so that one test's crash does not touch another's jobs.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common;

use common::needs::Needs;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn slurm_installed() -> Result<(), String> {
    migsim::criu::support::require_root()?;
    for program in ["slurmctld", "slurmd", "sbatch", "munged"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Err(format!(
                "{program} is not installed; run ./scripts/install-slurm.sh"
            ));
        }
    }
    Ok(())
}

/// A Slurm of scripts/slurm-local.sh, taken down when dropped.
struct LocalSlurm {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl LocalSlurm {
    fn up() -> LocalSlurm {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port_pair();
        let o = script(
            "up",
            dir.path(),
            &[("MIGSIM_SLURM_PORT", &port.to_string())],
        );
        assert!(o.status.success(), "{}", common::text(&o));
        let env = std::fs::read_to_string(dir.path().join("env")).unwrap();
        let env = env
            .lines()
            .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LocalSlurm { dir, env }
    }

    /// A command that talks to this Slurm.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    fn migsim_sweep(&self, out: &Path, extra: &[&str]) -> Command {
        let mut c = self.command(env!("CARGO_BIN_EXE_migsim"));
        c.current_dir(ROOT)
            .args(["sweep", "scenarios/thesis-2022.toml", "--quiet", "--out"])
            .arg(out)
            .args(extra);
        c
    }

    /// The node dies and boots again.
    fn crash(&self) {
        let o = script("crash", self.dir.path(), &[]);
        assert!(o.status.success(), "{}", common::text(&o));
    }
}

impl Drop for LocalSlurm {
    fn drop(&mut self) {
        let o = script("down", self.dir.path(), &[]);
        if !o.status.success() {
            eprintln!("slurm-local.sh down: {}", common::text(&o));
        }
    }
}

fn script(action: &str, dir: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(Path::new(ROOT).join("scripts/slurm-local.sh"))
        .args([action.as_ref(), dir.as_os_str()])
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// A port whose next one is free too: slurmctld's and slurmd's.
fn free_port_pair() -> u16 {
    loop {
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// The sweep run here, the reference the Slurm runs must match.
fn local_sweep(out: &Path, extra: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_migsim"))
        .current_dir(ROOT)
        .args(["sweep", "scenarios/thesis-2022.toml", "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::text(&o));
}

fn same_tables(a: &Path, b: &Path) {
    for table in ["runs.csv", "summary.csv"] {
        let (x, y) = (std::fs::read(a.join(table)), std::fs::read(b.join(table)));
        assert!(
            x.as_ref().unwrap() == y.as_ref().unwrap(),
            "{table} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// The runs of a finished sweep folder.
fn run_count(out: &Path) -> usize {
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    runs.lines().count() - 1
}

fn log(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join("slurm").join(name)).unwrap_or_default()
}

fn the_thesis_sweep_on_slurm_gives_the_files_of_a_local_sweep() {
    let slurm = LocalSlurm::up();
    let dir = tempfile::tempdir().unwrap();
    let (here, there) = (dir.path().join("here"), dir.path().join("slurm"));
    local_sweep(&here, &[]);
    let o = slurm
        .migsim_sweep(&there, &["--slurm", "--array-size", "4", "--wait"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::text(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    let runs = run_count(&here);
    assert_eq!(runs % 4, 0, "{runs} runs: the shards below are equal");
    assert!(
        said.contains(&format!("submitted {runs} runs as job array")),
        "{said}"
    );
    assert!(
        said.contains(&format!("{runs} runs (0 resumed, 0 failed) on Slurm")),
        "{said}"
    );
    same_tables(&here, &there);
    for task in 0..4 {
        let text = log(&there, &format!("task-{task}.log"));
        assert!(
            text.contains(&format!("shard {task}/4: {} runs", runs / 4)),
            "{text}"
        );
    }
}

fn a_task_whose_node_dies_is_requeued_and_the_results_stay_the_same() {
    let slurm = LocalSlurm::up();
    let dir = tempfile::tempdir().unwrap();
    let (here, there) = (dir.path().join("here"), dir.path().join("slurm"));
    let seeds = ["--seeds", "10"];
    local_sweep(&here, &seeds);
    // The first run to be saved stops half written, until its task is killed.
    let hold = dir.path().join("held");
    let sweep = slurm
        .migsim_sweep(
            &there,
            &[&seeds[..], &["--slurm", "--array-size", "2", "--wait"]].concat(),
        )
        .env("MIGSIM_SWEEP_HOLD", &hold)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !hold.exists() {
        assert!(Instant::now() < deadline, "no task reached its first run");
        std::thread::sleep(Duration::from_millis(100));
    }
    let partial = std::fs::read_dir(there.join("runs"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(".tmp-"));
    assert!(partial, "the held run is half written");
    slurm.crash();
    let o = sweep.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", common::text(&o));
    same_tables(&here, &there);
    let logs: String = (0..2)
        .map(|k| log(&there, &format!("task-{k}.log")))
        .collect();
    assert!(
        logs.contains(", attempt 2,"),
        "no task was requeued:\n{logs}"
    );
}

fn a_failed_task_is_named_and_the_same_command_finishes_the_sweep() {
    let slurm = LocalSlurm::up();
    let dir = tempfile::tempdir().unwrap();
    let (here, there) = (dir.path().join("here"), dir.path().join("slurm"));
    let args = ["--seeds", "10", "--slurm", "--array-size", "3", "--wait"];
    local_sweep(&here, &args[..2]);
    // Each task's migsim dies as a killed process would, after saving 4 runs: 12 in all.
    let o = slurm
        .migsim_sweep(&there, &args)
        .env("MIGSIM_SWEEP_CRASH_AFTER", "4")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", common::text(&o));
    let e = String::from_utf8_lossy(&o.stderr);
    for task in 0..3 {
        assert!(e.contains(&format!("array task {task} (job ")), "{e}");
    }
    let missing = format!(
        "{} of {} runs are missing",
        run_count(&here) - 12,
        run_count(&here)
    );
    assert!(e.contains(&missing), "{e}");
    assert!(!there.join("runs.csv").exists());
    let aggregate = log(&there, "aggregate.log");
    assert!(
        aggregate.contains("shard 2/3 did not finish"),
        "{aggregate}"
    );
    // Submitted again, the tasks keep the runs done and do the rest.
    let o = slurm.migsim_sweep(&there, &args).output().unwrap();
    assert!(o.status.success(), "{}", common::text(&o));
    same_tables(&here, &there);
}

fn a_second_submission_while_the_first_runs_is_refused() {
    let slurm = LocalSlurm::up();
    let dir = tempfile::tempdir().unwrap();
    let there = dir.path().join("slurm");
    let hold = dir.path().join("held");
    let args = ["--seeds", "4", "--slurm", "--array-size", "2"];
    let o = slurm
        .migsim_sweep(&there, &args)
        .env("MIGSIM_SWEEP_HOLD", &hold)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::text(&o));
    let deadline = Instant::now() + Duration::from_secs(120);
    while !hold.exists() {
        assert!(Instant::now() < deadline, "no task reached its first run");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A task holds half-way through a run: the array is running.
    let again = slurm.migsim_sweep(&there, &args).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", common::text(&again));
    let e = String::from_utf8_lossy(&again.stderr);
    assert!(
        e.contains("of an earlier submission into") && e.contains("scancel"),
        "{e}"
    );
    // Another folder's submission is not held up by this one's jobs.
    let other = dir.path().join("other");
    let o = slurm.migsim_sweep(&other, &args).output().unwrap();
    assert!(o.status.success(), "{}", common::text(&o));
}

fn slurm_local_down_cancels_the_jobs_and_leaves_nothing_running() {
    let slurm = LocalSlurm::up();
    let o = slurm
        .command("sbatch")
        .args(["--parsable", "--wrap", "sleep 600", "--output", "/dev/null"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::text(&o));
    let deadline = Instant::now() + Duration::from_secs(60);
    let steps = loop {
        let o = slurm.command("scontrol").arg("listpids").output().unwrap();
        let pids: Vec<u32> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        if !pids.is_empty() {
            break pids;
        }
        assert!(Instant::now() < deadline, "the job did not start");
        std::thread::sleep(Duration::from_millis(200));
    };
    let daemons: Vec<u32> = ["slurmctld", "slurmd", "munged"]
        .iter()
        .map(|d| {
            let pid = std::fs::read_to_string(slurm.dir.path().join(format!("run/{d}.pid")));
            pid.unwrap().trim().parse().unwrap()
        })
        .collect();
    let o = script("down", slurm.dir.path(), &[]);
    assert!(o.status.success(), "{}", common::text(&o));
    for pid in steps.iter().chain(&daemons) {
        let alive = PathBuf::from(format!("/proc/{pid}")).exists();
        assert!(!alive, "process {pid} still runs after down");
    }
}

/// Its trials, each skipped with the reason where this machine has no Slurm to run.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    let slurm = Needs::check(slurm_installed(), "MIGSIM_REQUIRE_SLURM");
    slurm.tests(&[
        (
            "the_thesis_sweep_on_slurm_gives_the_files_of_a_local_sweep",
            the_thesis_sweep_on_slurm_gives_the_files_of_a_local_sweep,
        ),
        (
            "a_task_whose_node_dies_is_requeued_and_the_results_stay_the_same",
            a_task_whose_node_dies_is_requeued_and_the_results_stay_the_same,
        ),
        (
            "a_failed_task_is_named_and_the_same_command_finishes_the_sweep",
            a_failed_task_is_named_and_the_same_command_finishes_the_sweep,
        ),
        (
            "a_second_submission_while_the_first_runs_is_refused",
            a_second_submission_while_the_first_runs_is_refused,
        ),
        (
            "slurm_local_down_cancels_the_jobs_and_leaves_nothing_running",
            slurm_local_down_cancels_the_jobs_and_leaves_nothing_running,
        ),
    ])
}
