//! `migsim live` on this machine with real cgroups, namespaces, processes and criu (skipped
//! with the reason where root or criu is missing, unless MIGSIM_REQUIRE_CRIU is set, as the
//! test script does), faults injected for real, and `migsim compare`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use migsim::criu::cleanup::{processes_naming, stat_fields};
use migsim::criu::support::require_root;
use migsim::criu::Support;

use common::needs::Needs;
use common::{job, num, rows, text, Rows};

const SCENARIO: &str = "scenarios/live-local.toml";

fn migsim(args: &[&str], fault: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migsim"));
    cmd.args(args).env_remove("MIGSIM_LIVE_FAULT");
    if let Some(f) = fault {
        cmd.env("MIGSIM_LIVE_FAULT", f);
    }
    cmd.output().expect("the binary runs")
}

/// Post-copy needs userfaultfd and a large enough pipe: a kernel feature, so its absence is a
/// skip with the reason, even where criu is required.
fn lazy_support() -> Result<(), String> {
    Support::detect(&common::criu()?).lazy
}

/// A live run in `dir` with its own session folder; returns (out, state).
fn live(dir: &Path, name: &str, extra: &[&str], fault: Option<&str>) -> (PathBuf, PathBuf, Output) {
    let (out, state) = (dir.join(name), dir.join(format!("{name}-state")));
    let mut args = vec![
        "live",
        SCENARIO,
        "--out",
        out.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    let o = migsim(&args, fault);
    (out, state, o)
}

/// Removes what a dead adapter left in `.0` when a test fails before its resume would: the
/// test's folder goes, but namespaces, cgroups and stopped jobs would stay.
struct SweepOnPanic(PathBuf);

impl Drop for SweepOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for note in migsim::live::local::sweep_dead(&self.0, None) {
                eprintln!("{note}");
            }
        }
    }
}

/// Nothing of any session is left: no session folder, namespace or cgroup.
fn nothing_left(state: &Path) {
    let left: Vec<_> = std::fs::read_dir(state)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "sessions left: {left:?}");
}

fn session_ids(state: &Path) -> Vec<String> {
    std::fs::read_dir(state)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn netns_exists(id: &str) -> bool {
    Path::new(&format!("/run/netns/migsim-{id}-fabric")).exists()
}

fn live_local_migrates_a_real_process_and_matches_the_simulation() {
    let journal = migrates_and_matches(&[], "stop-and-copy");
    assert!(journal.contains("\"step\":\"restored\""), "{journal}");
}

/// Post-copy: the job runs on the target before its pages are there, and the move commits
/// only once they all are. Its tables are written compressed, which compare reads as they are.
fn post_copy_moves_the_job_first_and_its_pages_after() {
    let journal = migrates_and_matches(&["--variant", "post-copy", "--compress"], "post-copy");
    let order: Vec<&str> = journal
        .lines()
        .filter(|l| l.contains("\"entry\":\"migration\""))
        .filter_map(|l| l.split("\"step\":\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        order,
        [
            "issued",
            "freezing",
            "dumped",
            "restoring",
            "pulled",
            "restored",
            "complete"
        ],
        "{journal}"
    );
}

/// The scenario (with `variant`) live and simulated: one move of `a` by `mechanism`, the job
/// counting on on the target, no kill, and a compare report that says so. Returns the
/// journal.
fn migrates_and_matches(variant: &[&str], mechanism: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let (out, state, o) = live(tmp.path(), "live", variant, None);
    assert!(o.status.success(), "{}", text(&o));
    nothing_left(&state);
    let compressed = variant.contains(&"--compress");
    assert_eq!(out.join("jobs.csv.gz").exists(), compressed);
    assert_eq!(out.join("jobs.csv").exists(), !compressed);
    common::moved_a_and_nothing_was_killed(&out, mechanism);
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).unwrap();

    let sim = tmp.path().join("sim");
    let mut run = vec!["run", SCENARIO, "--out", sim.to_str().unwrap()];
    run.extend_from_slice(variant);
    let o = migsim(&run, None);
    assert!(o.status.success(), "{}", text(&o));
    let o = migsim(
        &[
            "compare",
            sim.to_str().unwrap(),
            out.to_str().unwrap(),
            "--out",
            tmp.path().join("report.md").to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("| oom_kills | 0.000 | 0.000 | 0.000 |"),
        "{report}"
    );
    assert!(
        report.contains("| migrations.complete | 1.000 | 1.000 | 0.000 |"),
        "{report}"
    );
    assert!(report.contains(&format!("| a | {mechanism} |")), "{report}");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("report.md")).unwrap(),
        report
    );
    let o = migsim(
        &[
            "compare",
            sim.to_str().unwrap(),
            out.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    a_json_report_gives_each_moves_ratios(&o.stdout, mechanism);
    journal
}

/// `compare --json`: job a's completed move with its live/model ratios, as the figures give.
fn a_json_report_gives_each_moves_ratios(stdout: &[u8], mechanism: &str) {
    let report: serde_json::Value = serde_json::from_slice(stdout).expect("compare --json is JSON");
    let moves = report["migrations"].as_array().expect("migrations");
    let a = moves
        .iter()
        .find(|m| m["job"] == "a" && m["outcome"] == "complete")
        .unwrap_or_else(|| panic!("no complete move of a in {report:#}"));
    assert_eq!(a["mechanism"], mechanism);
    let f = |k: &str| a[k].as_f64().unwrap_or_else(|| panic!("{k} in {a:#}"));
    let downtime = f("live_downtime_s") / f("model_downtime_s");
    assert!(
        (f("downtime_ratio") - downtime).abs() < 1e-12 && downtime > 0.0,
        "{a:#}"
    );
    let total = f("live_duration_s") / f("model_duration_s");
    assert!(
        (f("total_ratio") - total).abs() < 1e-12 && total > 0.0,
        "{a:#}"
    );
    assert_eq!(
        report["metrics"].as_array().map(Vec::len),
        Some(10),
        "{report:#}"
    );
}

fn without_the_controller_the_kernel_kills_a_job() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, state, o) = live(
        tmp.path(),
        "oom",
        &["--variant", "no-controller", "--set", "simulation.end=30s"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    nothing_left(&state);
    assert_eq!(rows(&out.join("migrations.csv")).len(), 0);
    let kills = rows(&out.join("oom_kills.csv"));
    assert!(!kills.is_empty(), "no OOM kill");
    let k = &kills[0];
    assert_eq!(
        (k["node"].as_str(), k["job"].as_str()),
        ("n-0", "a"),
        "{kills:?}"
    );
    // The simulator kills it at 22.3 s; the kernel a little before or after.
    assert!((num(&k["time_s"]) - 22.3).abs() < 3.0, "{kills:?}");
    let jobs = rows(&out.join("jobs.csv"));
    let a = job(&jobs, "a");
    assert_eq!(
        (a["oom_kills"].as_str(), a["starts"].as_str()),
        ("1", "2"),
        "{a:?}"
    );
}

/// A run with a fault injected for real, cut at 20 simulated seconds at double speed (the
/// move is ordered at about 15 s); `variant` picks the mechanism.
fn faulty(fault: &str, variant: &[&str]) -> (tempfile::TempDir, PathBuf, Rows, Rows) {
    let tmp = tempfile::tempdir().unwrap();
    let mut extra = vec!["--speed", "2", "--set", "simulation.end=20s"];
    extra.extend_from_slice(variant);
    let (out, state, o) = live(tmp.path(), fault, &extra, Some(fault));
    assert!(o.status.success(), "{}", text(&o));
    nothing_left(&state);
    let compressed = variant.contains(&"--compress");
    assert_eq!(out.join("jobs.csv.gz").exists(), compressed);
    assert_eq!(out.join("jobs.csv").exists(), !compressed);
    let moves = rows(&out.join("migrations.csv"));
    let jobs = rows(&out.join("jobs.csv"));
    (tmp, out, moves, jobs)
}

fn a_dump_that_fails_leaves_the_job_running_on_its_source() {
    let (_tmp, _, moves, jobs) = faulty("dump-socket", &[]);
    common::failed_and_rolled_back(&moves, &jobs, "socket");
}

fn a_restore_that_fails_is_rolled_back() {
    let (_tmp, _, moves, jobs) = faulty("restore-images", &[]);
    common::failed_and_rolled_back(&moves, &jobs, "criu restore");
}

fn a_target_too_small_for_the_job_is_rolled_back() {
    let (_tmp, _, moves, jobs) = faulty("small-target", &[]);
    common::failed_and_rolled_back(&moves, &jobs, "restore");
}

/// By post-copy the restore needs little memory and succeeds; the pull then fills the target
/// and the kernel kills the restored copy. The stopped source still holds every page, so the
/// move is rolled back to it.
fn a_post_copy_whose_pages_do_not_fit_is_rolled_back() {
    let (_tmp, _, moves, jobs) = faulty("small-target", &["--variant", "post-copy"]);
    common::failed_and_rolled_back(&moves, &jobs, "OOM-killed the restored job on the target");
}

fn a_restarted_adapter_rolls_back_the_migration_it_was_killed_in() {
    killed_after_the_dump_then_resumed(&[]);
}

/// The same by post-copy: the dead adapter's lazy dump still waits to serve the pages.
fn a_restarted_adapter_rolls_back_the_post_copy_it_was_killed_in() {
    killed_after_the_dump_then_resumed(&["--variant", "post-copy"]);
}

/// The adapter is killed with SIGKILL right after the dump: the job is left stopped on its
/// source. A restarted adapter rolls the move back from the journal, takes over the running
/// jobs and finishes the run; then nothing is left.
fn killed_after_the_dump_then_resumed(variant: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let mut extra = vec!["--speed", "2", "--set", "simulation.end=24s"];
    extra.extend_from_slice(variant);
    let (out, state, o) = live(tmp.path(), "crash", &extra, Some("crash-after-dump"));
    let _sweep = SweepOnPanic(state.clone());
    assert!(!o.status.success(), "{}", text(&o));
    let ids = session_ids(&state);
    assert_eq!(ids.len(), 1, "the dead adapter's session is on record");
    assert!(netns_exists(&ids[0]), "its namespaces are still there");
    let session: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join(&ids[0]).join("session.json")).unwrap())
            .unwrap();
    let source = PathBuf::from(session["cgroup"]["path"].as_str().unwrap()).join("n0/job-0");
    let procs = std::fs::read_to_string(source.join("cgroup.procs")).unwrap();
    let stopped: Vec<&str> = procs
        .split_whitespace()
        // Stopped by a signal, or (a lazy dump still serving its pages) by criu as its tracer.
        .filter(|p| {
            stat_fields(p.parse().unwrap()).is_some_and(|rest| rest.starts_with(['T', 't']))
        })
        .collect();
    assert_eq!(
        stopped.len(),
        1,
        "the dumped job waits stopped on its source: {procs}"
    );

    let mut args = vec!["--resume"];
    args.extend_from_slice(&extra);
    let (_, _, o) = live(tmp.path(), "crash", &args, None);
    assert!(o.status.success(), "{}", text(&o));
    nothing_left(&state);
    assert!(!netns_exists(&ids[0]));
    assert_eq!(
        processes_naming(std::slice::from_ref(&state)),
        Vec::<i32>::new(),
        "the dead adapter's criu commands are gone"
    );
    assert!(!source.exists());
    let moves = rows(&out.join("migrations.csv"));
    let jobs = rows(&out.join("jobs.csv"));
    assert_eq!(moves[0]["outcome"], "failed", "{moves:?}");
    assert!(moves[0]["reason"].contains("rolled it back"), "{moves:?}");
    // The resumed source copy grew on past its size at the freeze. The node may fill while no
    // adapter watches, and a kill is then the kernel's; but every start is the first or
    // follows a kill: no copy was left behind or made twice.
    let a = job(&jobs, "a");
    assert!(
        num(&a["peak_bytes"]) > num(&moves[0]["memory_bytes"]) + 4e6,
        "{a:?} {moves:?}"
    );
    assert_eq!(num(&a["starts"]), 1.0 + num(&a["oom_kills"]), "{a:?}");
    assert!(
        moves
            .iter()
            .all(|m| m["job"] != "a" || m["outcome"] != "complete"),
        "{moves:?}"
    );
}

fn a_new_start_removes_what_a_dead_adapter_left() {
    let tmp = tempfile::tempdir().unwrap();
    let extra = ["--speed", "2", "--set", "simulation.end=24s"];
    let (dead, state, o) = live(tmp.path(), "dead", &extra, Some("crash-after-dump"));
    assert!(!o.status.success(), "{}", text(&o));
    let ids = session_ids(&state);
    assert_eq!(ids.len(), 1);
    let o = migsim(
        &[
            "live",
            SCENARIO,
            "--out",
            tmp.path().join("next").to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--set",
            "simulation.end=1s",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains(&format!("removed session {}", ids[0])),
        "{said}"
    );
    nothing_left(&state);
    assert!(!netns_exists(&ids[0]));
    let journal = std::fs::read_to_string(dead.join("journal.jsonl")).unwrap();
    assert!(
        journal
            .lines()
            .last()
            .unwrap()
            .contains("a later start removed its session"),
        "{journal}"
    );
    let o = migsim(
        &[
            "live",
            SCENARIO,
            "--out",
            dead.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--resume",
        ],
        None,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("cannot be resumed"), "{}", text(&o));
}

fn live_with_missing_criu(out: &Path) -> Output {
    migsim(
        &[
            "live",
            SCENARIO,
            "--out",
            out.to_str().unwrap(),
            "--criu",
            "/nonexistent/criu",
        ],
        None,
    )
}

fn live_says_what_is_missing_or_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    let o = migsim(
        &[
            "live",
            SCENARIO,
            "--out",
            out.to_str().unwrap(),
            "--speed",
            "0",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--speed 0: must be a positive number"));
    let o = live_with_missing_criu(&out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("needs root") || t.contains("cannot run `/nonexistent/criu`"),
        "{t}"
    );
    let o = migsim(
        &[
            "compare",
            tmp.path().to_str().unwrap(),
            tmp.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("live.json"), "{}", text(&o));
}

/// As root, a missing criu is named with how to install it.
fn live_as_root_says_how_to_install_criu() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    let o = live_with_missing_criu(&out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("install criu 4.x"), "{}", text(&o));
}

fn live_refuses_pre_copy_and_a_resume_of_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    let o = migsim(
        &["live", SCENARIO, "--out", out.to_str().unwrap(), "--resume"],
        None,
    );
    assert!(text(&o).contains("nothing to resume"), "{}", text(&o));
    {
        let refused = tmp.path().join("pre-copy");
        let o = migsim(
            &[
                "live",
                SCENARIO,
                "--out",
                refused.to_str().unwrap(),
                "--set",
                "migration.mechanism=pre-copy",
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let t = text(&o);
        assert!(
            t.contains("\"pre-copy\" is not supported by the local backend")
                && t.contains("soft-dirty")
                && t.contains("use stop-and-copy or post-copy"),
            "{t}"
        );
        assert!(!refused.exists(), "a refused run writes nothing");
    }
}

/// Its trials, each skipped with the reason where this machine lacks what it needs.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    let live = common::needs_criu();
    let lazy = live.clone().and_feature(lazy_support);
    let root = Needs::check(require_root(), "MIGSIM_REQUIRE_CRIU");
    let mut trials = vec![
        Needs::nothing().test(
            "live_says_what_is_missing_or_wrong",
            live_says_what_is_missing_or_wrong,
        ),
        root.test(
            "live_as_root_says_how_to_install_criu",
            live_as_root_says_how_to_install_criu,
        ),
    ];
    trials.extend(live.tests(&[
        (
            "live_local_migrates_a_real_process_and_matches_the_simulation",
            live_local_migrates_a_real_process_and_matches_the_simulation,
        ),
        (
            "without_the_controller_the_kernel_kills_a_job",
            without_the_controller_the_kernel_kills_a_job,
        ),
        (
            "a_dump_that_fails_leaves_the_job_running_on_its_source",
            a_dump_that_fails_leaves_the_job_running_on_its_source,
        ),
        (
            "a_restore_that_fails_is_rolled_back",
            a_restore_that_fails_is_rolled_back,
        ),
        (
            "a_target_too_small_for_the_job_is_rolled_back",
            a_target_too_small_for_the_job_is_rolled_back,
        ),
        (
            "a_restarted_adapter_rolls_back_the_migration_it_was_killed_in",
            a_restarted_adapter_rolls_back_the_migration_it_was_killed_in,
        ),
        (
            "a_new_start_removes_what_a_dead_adapter_left",
            a_new_start_removes_what_a_dead_adapter_left,
        ),
        (
            "live_refuses_pre_copy_and_a_resume_of_nothing",
            live_refuses_pre_copy_and_a_resume_of_nothing,
        ),
    ]));
    trials.extend(lazy.tests(&[
        (
            "post_copy_moves_the_job_first_and_its_pages_after",
            post_copy_moves_the_job_first_and_its_pages_after,
        ),
        (
            "a_post_copy_whose_pages_do_not_fit_is_rolled_back",
            a_post_copy_whose_pages_do_not_fit_is_rolled_back,
        ),
        (
            "a_restarted_adapter_rolls_back_the_post_copy_it_was_killed_in",
            a_restarted_adapter_rolls_back_the_post_copy_it_was_killed_in,
        ),
    ]));
    trials
}
