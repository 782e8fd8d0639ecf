//! `migsim bench`: every size run the rounds asked for, one median row per size and kind, the
//! time against work relative to the smallest size, and a clear refusal of bad counts.

use std::process::{Command, Output};

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migsim"))
        .arg("bench")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn each_size_is_run_every_round_and_reported_once_against_the_smallest() {
    let o = bench(&[
        "--nodes",
        "2,4",
        "--days",
        "0.5",
        "--controller",
        "--repeat",
        "3",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|l| {
            l.starts_with("| ") && !l.starts_with("| nodes") && !l.starts_with("| controller")
        })
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    let sizes: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r.len() == 13)
        .map(|r| (r[0], r[2]))
        .collect();
    assert_eq!(
        sizes,
        [("2", "no"), ("4", "no"), ("2", "yes"), ("4", "yes")],
        "{}",
        text(&o)
    );
    for r in rows.iter().filter(|r| r.len() == 13) {
        // Linux counts the pages a run touched first (none, when it reuses a round's).
        assert!(r[10].parse::<u64>().is_ok(), "page faults: {r:?}");
        // "median [min, max]", the median within its spread.
        let nums: Vec<f64> = r[4]
            .split(['[', ']', ','])
            .filter_map(|x| x.trim().parse().ok())
            .collect();
        assert_eq!(nums.len(), 3, "{r:?}");
        assert!(nums[1] <= nums[0] && nums[0] <= nums[2], "{r:?}");
    }
    let scaling: Vec<&Vec<&str>> = rows.iter().filter(|r| r.len() == 5).collect();
    assert_eq!(scaling.len(), 2, "{}", text(&o));
    assert!(
        scaling.iter().all(|r| r[1] == "2 -> 4" && r[3] == "2.0"),
        "{scaling:?}"
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(stderr.matches("round 3/3").count(), 4, "{stderr}");

    let o = bench(&["--nodes", "2", "--days", "0.5", "--repeat", "1"]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        !stdout.contains("x time"),
        "one size has nothing to scale against: {stdout}"
    );
}

#[test]
fn bad_counts_are_refused_naming_the_flag() {
    // Exit 2, with a message that names what was wrong.
    let refused = |args: &[&str], names: &str| {
        let o = bench(args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(names), "{}", text(&o));
    };
    refused(&["--nodes", "2", "--repeat", "0"], "--repeat 0");
    refused(&["--nodes", "2", "--days=-1"], "--days");
    // The bench's own way to measure a size in a process of its own takes one size.
    refused(&["--one", "--nodes", "2,4"], "give one --nodes");
}

/// `--scenarios DIR` writes each size's scenario file, which `migsim run` accepts, and runs
/// nothing.
#[test]
fn the_shapes_are_written_as_files_a_run_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let shapes = dir.path().join("shapes");
    let args = [
        "--nodes",
        "3",
        "--days",
        "0.5",
        "--controller",
        "--scenarios",
    ];
    let o = bench(&args);
    assert_eq!(o.status.code(), Some(2), "needs a folder: {}", text(&o));
    let o = bench(&[&args[..], &[shapes.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("round"),
        "{}",
        text(&o)
    );
    let mut files: Vec<String> = std::fs::read_dir(&shapes)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["scale-3n-300j-controller.toml", "scale-3n-300j-none.toml"]
    );
    for f in &files {
        let o = Command::new(env!("CARGO_BIN_EXE_migsim"))
            .args(["run", "-q", "--out"])
            .arg(dir.path().join(f).with_extension(""))
            .arg(shapes.join(f))
            .output()
            .unwrap();
        assert!(o.status.success(), "{f}: {}", text(&o));
    }
}
