//! Faults injected for real while a run goes on through the API: the target's agent killed in
//! a move and restarted, kube-apiserver restarted, the backend killed and resumed. Each time
//! every migration ends in one terminal phase, no job is started twice, no job has two Running
//! pods at once (where a watch can follow: not across the API server's restart), and `cluster
//! down` leaves nothing.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::common::needs::Needs;
use crate::common::{job, num, rows, text, Rows};

use super::{migrated, migrations, nothing_left, one_running_pod_per_job, watching_pods, Cluster};

/// Waits for `done`, failing the test with `what` after `limit`.
fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < until, "{what} did not happen in {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The run's journal holds `n` lines containing `needle`.
fn journaled(out: &Path, needle: &str, n: usize) -> bool {
    std::fs::read_to_string(out.join("journal.jsonl"))
        .is_ok_and(|t| t.lines().filter(|l| l.contains(needle)).count() >= n)
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
}

fn finished(child: Child) {
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
}

/// Every Migration of the cluster in a terminal phase, one for each of the run's moves but
/// those a resumed backend called off because its predecessor died before making it.
fn every_migration_ended(c: &Cluster, moves: &Rows) {
    let (o, phases) = migrations(c, "{.status.phase}");
    let made = moves
        .iter()
        .filter(|m| !m["reason"].contains("before it created the Migration"))
        .count();
    assert_eq!(phases.lines().count(), made, "{}\n{moves:?}", text(&o));
    assert!(
        phases
            .lines()
            .all(|p| ["Complete", "Failed", "Cancelled"].contains(&p)),
        "{phases}"
    );
}

/// Every job started once (and again only after an OOM kill), each finished.
fn no_job_started_twice(jobs: &Rows) {
    for name in ["a", "b", "c"] {
        let j = job(jobs, name);
        assert_eq!(num(&j["starts"]), 1.0 + num(&j["oom_kills"]), "{j:?}");
    }
}

/// The target's agent kills itself (SIGKILL) once the dump is journaled, with the job stopped
/// on its source. Restarted, it reads its journal, rolls the move back (the source copy
/// resumed) and says so in the Migration's status; a later move then goes through.
fn an_agent_killed_in_a_move_rolls_it_back_when_restarted() {
    let c = Cluster::up(Some("crash-after-dump"));
    let agent = c.pid("node n-1");
    let (out, pods) = watching_pods(&c, || {
        let (out, live) = c.start_live("agent-killed", &[]);
        wait_for("the agent's death", Duration::from_secs(60), || {
            !alive(agent)
        });
        c.restart("n-1");
        finished(live);
        out
    });
    one_running_pod_per_job(&pods);
    let (moves, jobs) = (
        rows(&out.join("migrations.csv")),
        rows(&out.join("jobs.csv")),
    );
    let first = &moves[0];
    assert_eq!(
        (first["job"].as_str(), first["outcome"].as_str()),
        ("a", "failed"),
        "{moves:?}"
    );
    assert!(
        first["reason"].contains("(last step: dumped)")
            && first["reason"].contains("rolled it back and the job runs on its source"),
        "{moves:?}"
    );
    assert_eq!(job(&jobs, "a")["outcome"], "finished", "{jobs:?}");
    no_job_started_twice(&jobs);
    assert!(
        moves[1..].iter().any(|m| m["outcome"] == "complete"),
        "the restarted agent carries out the next move: {moves:?}"
    );
    every_migration_ended(&c, &moves);
    nothing_left(&c);
}

/// kube-apiserver stopped and started again soon after the jobs start: the backend's and the
/// agents' requests and watches carry on once it is back, and the scenario's move goes
/// through as it does without the restart.
fn the_api_server_restarted_in_a_run() {
    let c = Cluster::up(None);
    let (out, live) = c.start_live("api-restarted", &[]);
    wait_for("three starts", Duration::from_secs(30), || {
        journaled(&out, r#""entry":"started""#, 3)
    });
    let before = c.pid("kube-apiserver");
    c.restart("kube-apiserver");
    assert_ne!(c.pid("kube-apiserver"), before);
    finished(live);
    migrated(&c, &out, "stop-and-copy");
    every_migration_ended(&c, &rows(&out.join("migrations.csv")));
    nothing_left(&c);
}

/// The backend SIGKILLed as the move begins, then resumed: it takes over the run's pods and
/// the Migration from the API and its journal, and finishes the run; the move ends once.
fn the_backend_killed_in_a_move_and_resumed() {
    let c = Cluster::up(None);
    let ((out, o), pods) = watching_pods(&c, || {
        let (out, mut live) = c.start_live("backend-killed", &[]);
        wait_for("the move's freeze", Duration::from_secs(60), || {
            journaled(&out, r#""step":"freezing""#, 1)
        });
        live.kill().unwrap();
        live.wait().unwrap();
        // Its pods run on: a new run on the same cluster is refused, and told what to do.
        let (_, o) = c.live("second-run", &[]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            text(&o).contains("one run at a time per cluster") && text(&o).contains("--resume"),
            "{}",
            text(&o)
        );
        c.live("backend-killed", &["--resume"])
    });
    assert!(o.status.success(), "{}", text(&o));
    one_running_pod_per_job(&pods);
    let (moves, jobs) = (
        rows(&out.join("migrations.csv")),
        rows(&out.join("jobs.csv")),
    );
    // Killed once the freeze is journaled: the Migration is made a moment later, so the
    // resumed backend finds it and follows it on, or (rarely) finds none and calls the move
    // off, and the controller moves `a` again.
    assert!(
        moves[0]["job"] == "a" && ["complete", "cancelled"].contains(&moves[0]["outcome"].as_str()),
        "{moves:?}"
    );
    assert!(
        moves
            .iter()
            .any(|m| m["job"] == "a" && m["outcome"] == "complete"),
        "{moves:?}"
    );
    for name in ["a", "b", "c"] {
        assert_eq!(job(&jobs, name)["outcome"], "finished", "{jobs:?}");
    }
    no_job_started_twice(&jobs);
    let info = std::fs::read_to_string(out.join("live.json")).unwrap();
    assert!(
        info.contains("took over 3 running jobs; migrations in flight: 1"),
        "{info}"
    );
    every_migration_ended(&c, &moves);
    nothing_left(&c);
}

pub fn trials(cluster: &Needs) -> Vec<libtest_mimic::Trial> {
    cluster.tests(&[
        (
            "kubernetes_agent_killed_in_a_move_rolls_it_back_when_restarted",
            an_agent_killed_in_a_move_rolls_it_back_when_restarted,
        ),
        (
            "kubernetes_api_server_restarted_in_a_run",
            the_api_server_restarted_in_a_run,
        ),
        (
            "kubernetes_backend_killed_in_a_move_and_resumed",
            the_backend_killed_in_a_move_and_resumed,
        ),
    ])
}
