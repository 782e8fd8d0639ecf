pub mod needs;

use std::path::Path;
use std::process::Output;

/// Real criu, where it can run here (found, and we are root).
pub fn criu() -> Result<migsim::criu::Criu, String> {
    migsim::criu::Criu::locate(None).and_then(|c| migsim::criu::support::require_root().map(|()| c))
}

/// Tests that run real criu: skipped where it cannot run, failed instead with
/// MIGSIM_REQUIRE_CRIU set.
pub fn needs_criu() -> needs::Needs {
    needs::Needs::check(criu().map(drop), "MIGSIM_REQUIRE_CRIU")
}

/// A command's outcome, for a failed assertion's message.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub type Rows = Vec<std::collections::HashMap<String, String>>;

/// The rows of a table, written plain or (`--compress`) as `NAME.csv.gz`.
pub fn rows(path: &Path) -> Rows {
    let gz = path.with_extension("csv.gz");
    let file = |p: &Path| std::fs::File::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let body: Box<dyn std::io::Read> = match gz.exists() {
        true => Box::new(flate2::read::GzDecoder::new(file(&gz))),
        false => Box::new(file(path)),
    };
    let mut r = csv::Reader::from_reader(body);
    r.deserialize().map(|row| row.unwrap()).collect()
}

pub fn job<'a>(rows: &'a Rows, name: &str) -> &'a std::collections::HashMap<String, String> {
    rows.iter().find(|r| r["name"] == name).unwrap()
}

pub fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// The live scenarios' one move: `a` from n-0 to n-1 by `mechanism`, complete, a real copy of
/// its memory; nothing killed, every job finished.
pub fn moved_a_and_nothing_was_killed(out: &Path, mechanism: &str) {
    let moves = rows(&out.join("migrations.csv"));
    assert_eq!(moves.len(), 1, "{moves:?}");
    let m = &moves[0];
    assert_eq!(
        (
            m["job"].as_str(),
            m["source"].as_str(),
            m["target"].as_str()
        ),
        ("a", "n-0", "n-1")
    );
    assert_eq!(
        (m["outcome"].as_str(), m["mechanism"].as_str()),
        ("complete", mechanism),
        "{m:?}"
    );
    assert!(
        num(&m["memory_bytes"]) > 60e6 && num(&m["bytes_sent"]) > 60e6,
        "{m:?}"
    );
    assert!(num(&m["downtime_s"]) > 0.0);
    assert_eq!(rows(&out.join("oom_kills.csv")).len(), 0);
    let jobs = rows(&out.join("jobs.csv"));
    for name in ["a", "b", "c"] {
        assert_eq!(job(&jobs, name)["outcome"], "finished", "{jobs:?}");
        assert_eq!(job(&jobs, name)["starts"], "1", "{jobs:?}");
    }
    // The moved job carried on where it was frozen: 40 s of work done by about 41 s, once, on
    // two nodes; a restart from scratch after the move would have ended after 55 s.
    let a = job(&jobs, "a");
    assert_eq!(
        (
            a["nodes_visited"].as_str(),
            a["node"].as_str(),
            a["lost_work_s"].as_str()
        ),
        ("2", "n-1", "0")
    );
    assert!(num(&a["end_s"]) < 45.0, "{a:?}");
}

/// `a`'s move (the first) failed with `reason`, as did any later move the 20 s left room for
/// (`b`'s, once the cool-down is over, hits the same fault), and every job that was to move
/// runs on where it was, never restarted.
pub fn failed_and_rolled_back(moves: &Rows, jobs: &Rows, reason: &str) {
    assert_eq!(
        moves.first().map(|m| m["job"].as_str()),
        Some("a"),
        "{moves:?}"
    );
    let mut moved: Vec<&str> = moves.iter().map(|m| m["job"].as_str()).collect();
    moved.dedup();
    assert_eq!(moved.len(), moves.len(), "a job was moved twice: {moves:?}");
    for m in moves {
        assert_eq!(m["outcome"], "failed", "{moves:?}");
        assert!(m["reason"].contains(reason), "{moves:?}");
        let j = job(jobs, &m["job"]);
        assert_eq!(
            (
                j["outcome"].as_str(),
                j["node"].as_str(),
                j["starts"].as_str(),
                j["nodes_visited"].as_str(),
                j["migrations"].as_str()
            ),
            ("running", "n-0", "1", "1", "0"),
            "{j:?}"
        );
    }
}
