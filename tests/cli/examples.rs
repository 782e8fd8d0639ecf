//! Every shipped scenario validates and runs through the CLI, and runs are reproducible.

use std::path::{Path, PathBuf};
use std::process::Command;

fn migsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_migsim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 6,
        "expected the annotated examples, found {files:?}"
    );
    files
}

fn run_into(file: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--events",
    ];
    args.extend_from_slice(extra);
    let o = migsim(&args);
    assert!(
        o.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn read_dir_sorted(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_validates_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for file in examples() {
        let v = migsim(&["validate", file.to_str().unwrap()]);
        assert!(
            v.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&v.stderr)
        );
        let out = tmp.path().join(file.file_stem().unwrap());
        run_into(&file, &out, &[]);
        let names: Vec<String> = read_dir_sorted(&out).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "events.jsonl",
                "jobs.csv",
                "migrations.csv",
                "nodes.csv",
                "oom_kills.csv",
                "summary.json"
            ],
            "{}",
            file.display()
        );
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        let jobs = summary["metrics"]["jobs"].as_u64().unwrap();
        let rows = std::fs::read_to_string(out.join("jobs.csv"))
            .unwrap()
            .lines()
            .count() as u64
            - 1;
        assert_eq!(rows, jobs, "{}", file.display());
        assert!(jobs > 0);
    }
}

#[test]
fn same_seed_gives_identical_bytes_and_other_seeds_differ() {
    same_seed_same_bytes(
        "scenarios/quickstart.toml",
        &[
            "jobs.csv",
            "nodes.csv",
            "oom_kills.csv",
            "events.jsonl",
            "summary.json",
        ],
    );
}

#[test]
fn migrations_are_reproducible_too() {
    same_seed_same_bytes(
        "scenarios/migration.toml",
        &["jobs.csv", "migrations.csv", "summary.json"],
    );
}

/// Runs `scenario` twice with its seed and once with another: the first two give identical
/// files, and the third differs in each of `differ`.
fn same_seed_same_bytes(scenario: &str, differ: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario);
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    run_into(&file, &a, &["--job-samples"]);
    run_into(&file, &b, &["--job-samples"]);
    run_into(&file, &c, &["--job-samples", "--seed", "43"]);
    let (fa, fb, fc) = (
        read_dir_sorted(&a),
        read_dir_sorted(&b),
        read_dir_sorted(&c),
    );
    assert_eq!(fa.len(), 7);
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(x == y, "{name} differs between two runs of the same seed");
    }
    for name in differ {
        let x = &fa.iter().find(|(n, _)| n == name).unwrap().1;
        let z = &fc.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(x != z, "{name} is the same for two seeds");
    }
}

#[test]
fn overrides_change_the_run_and_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/conservative.toml");
    let out = tmp.path().join("o");
    run_into(
        &file,
        &out,
        &[
            "--set",
            "scheduler.kind=speculative",
            "--set",
            "scheduler.reservation=0.2",
            "--set",
            "nodes[0].count=2",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["parameters"]["scheduler"]["kind"], "speculative");
    assert_eq!(summary["parameters"]["scheduler"]["reservation"], 0.2);
    assert_eq!(summary["parameters"]["nodes"][0]["count"], 2);
    let nodes = std::fs::read_to_string(out.join("nodes.csv")).unwrap();
    assert!(nodes.lines().nth(1).unwrap().starts_with("0,node-0,"));
    assert!(!nodes.contains("node-2"));
}

#[test]
fn output_is_quiet_when_not_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/oom.toml");
    let o = migsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(o.status.success());
    // No progress bar on a pipe: stderr is empty; the summary goes to stdout.
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("OOM kills  3"), "{stdout}");
    let q = migsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        tmp.path().to_str().unwrap(),
        "--quiet",
    ]);
    assert!(q.stdout.is_empty() && q.stderr.is_empty());
}

/// The resolved parameters in summary.json are a scenario in their own right: run again, they
/// give the same jobs.
#[test]
fn resolved_parameters_reproduce_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    for file in examples() {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let first = tmp.path().join(format!("{stem}-first"));
        run_into(&file, &first, &[]);
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(first.join("summary.json")).unwrap()).unwrap();
        let resolved: toml::Value = serde_json::from_value(summary["parameters"].clone()).unwrap();
        let resolved_file = tmp.path().join(format!("{stem}-resolved.toml"));
        std::fs::write(&resolved_file, toml::to_string(&resolved).unwrap()).unwrap();
        let second = tmp.path().join(format!("{stem}-second"));
        run_into(&resolved_file, &second, &[]);
        for table in ["jobs.csv", "nodes.csv", "events.jsonl"] {
            let a = std::fs::read(first.join(table)).unwrap();
            let b = std::fs::read(second.join(table)).unwrap();
            assert!(
                a == b,
                "{stem}: {table} differs when rerun from the resolved parameters"
            );
        }
    }
}
