//! `migsim sweep`: results independent of the thread count, resumable after a crash, failed
//! grid points recorded, and a summary that agrees with the runs it summarises.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 2 variants x 2 node sizes x 4 seeds = 16 small runs.
const SCENARIO: &str = r#"
[simulation]
name = "tiny"
seed = 1
sample_interval = "5m"

[[nodes]]
name = "n"
count = 3
memory = "64GiB"
cpu = 32

[[workload.generate]]
name = "w"
count = 40
arrival = { process = "poisson", mean_gap = "2m" }
work = { dist = "lognormal", mean = "1h", std = "20m" }
cpu = 2
request = { dist = "uniform", min = "2GiB", max = "8GiB" }
profile = { shape = "linear", start = "1GiB", growth = { dist = "uniform", min = "1MiB/s", max = "6MiB/s" }, cap = { dist = "uniform", min = "4GiB", max = "24GiB" } }

[scheduler]
kind = "speculative"
reservation = 0.0
placement = "worst-fit"

[migration]
mechanism = "stop-and-copy"

[variants]
none = {}
controlled = { controller = { selection = { policy = "big-enough" } } }

[sweep]
variant = "all"
"nodes[0].memory" = ["48GiB", "64GiB"]
seeds = 4
"#;

const RUNS: usize = 16;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tiny.toml"), SCENARIO).unwrap();
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sweep(&self, out: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_migsim"));
        cmd.current_dir(self.dir.path())
            .args(["sweep", "tiny.toml", "--out", out])
            .args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("the binary runs")
    }

    fn ok(&self, out: &str, extra: &[&str]) -> String {
        let o = self.sweep(out, extra, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path(file)).unwrap()
    }
}

fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            head.iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let f = Fixture::new();
    f.ok("one", &["--jobs", "1", "--quiet"]);
    f.ok("two", &["--jobs", "2", "--quiet"]);
    let (one, two) = (tree(&f.path("one")), tree(&f.path("two")));
    assert_eq!(one.len(), 4 + RUNS * 5, "{:?}", one.keys());
    for (file, bytes) in &one {
        assert!(two.get(file) == Some(bytes), "{} differs", file.display());
    }
    let runs = csv_rows(&f.read("one/runs.csv"));
    assert_eq!(runs.len(), RUNS);
    assert_eq!(runs[0]["run"], "p0-s1");
    assert_eq!(runs[0]["variant"], "none");
    assert_eq!(runs[0]["nodes[0].memory"], "48GiB");
    assert_eq!(runs[15]["run"], "p3-s4");
    assert_eq!(runs[15]["variant"], "controlled");
    assert_eq!(runs[15]["nodes[0].memory"], "64GiB");
    assert!(runs.iter().all(|r| r["status"] == "ok"));
    // Seeds differ, so the kills of one grid point vary.
    let kills: Vec<&str> = runs[..4].iter().map(|r| r["oom_kills"].as_str()).collect();
    assert!(kills.windows(2).any(|w| w[0] != w[1]), "{kills:?}");
}

#[test]
fn a_compressed_sweep_has_the_same_tables_and_gzipped_runs() {
    let f = Fixture::new();
    f.ok("plain", &["--jobs", "2", "--quiet"]);
    f.ok("gz", &["--jobs", "2", "--quiet", "--compress"]);
    for table in ["runs.csv", "summary.csv"] {
        assert_eq!(
            f.read(&format!("plain/{table}")),
            f.read(&format!("gz/{table}")),
            "{table}"
        );
    }
    let (plain, gz) = (tree(&f.path("plain")), tree(&f.path("gz")));
    assert_eq!(plain.len(), gz.len());
    for (file, bytes) in &plain {
        let name = file.to_string_lossy();
        if !name.starts_with("runs/") || !name.ends_with(".csv") {
            assert!(gz.get(file) == Some(bytes), "{name} differs");
            continue;
        }
        let packed = &gz[&PathBuf::from(format!("{name}.gz"))];
        let mut inside = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(packed.as_slice()),
            &mut inside,
        )
        .unwrap();
        assert!(&inside == bytes, "{name}.gz holds another table");
    }
}

/// The summary, recomputed here from runs.csv by hand.
#[test]
fn summary_agrees_with_the_runs() {
    let f = Fixture::new();
    f.ok("s", &["--quiet"]);
    let runs = csv_rows(&f.read("s/runs.csv"));
    let summary = csv_rows(&f.read("s/summary.csv"));
    assert!(runs[0].len() > 25, "{:?}", runs[0].keys());
    // Booleans count as 0 or 1; empty cells (a mean of nothing) are left out.
    let number = |cell: &str| match cell {
        "true" => Some(1.0),
        "false" => Some(0.0),
        c => c.parse::<f64>().ok(),
    };
    for row in &summary {
        let values: Vec<f64> = runs
            .iter()
            .filter(|r| r["point"] == row["point"])
            .filter_map(|r| number(&r[&row["metric"]]))
            .collect();
        let n = values.len() as f64;
        assert_eq!(row["count"].parse::<f64>().unwrap(), n, "{row:?}");
        if n == 0.0 {
            continue;
        }
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let close = |col: &str, want: f64| {
            let got: f64 = row[col].parse().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{col} of {row:?}: {got} against {want}"
            );
        };
        close("mean", mean);
        close("std", std);
        // 4 seeds: Student's t with 3 degrees of freedom, 3.182.
        close("ci95_high", mean + 3.182446305284263 * std / n.sqrt());
        close("ci95_low", mean - 3.182446305284263 * std / n.sqrt());
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        // Linear interpolation between order statistics: rank 0.95 * 3 = 2.85.
        close("p95", sorted[2] + 0.85 * (sorted[3] - sorted[2]));
        close("p50", (sorted[1] + sorted[2]) / 2.0);
    }
    let points: Vec<&str> = summary.iter().map(|r| r["point"].as_str()).collect();
    assert_eq!(points.first(), Some(&"0"));
    assert_eq!(points.last(), Some(&"3"));
    assert!(summary
        .iter()
        .any(|r| r["metric"] == "oom_kills" && r["variant"] == "controlled"));
}

#[test]
fn a_crashed_sweep_resumes_to_the_same_files() {
    let f = Fixture::new();
    f.ok("whole", &["--jobs", "2", "--quiet"]);
    // Dies like a killed process while writing the 6th run.
    let crashed = f.sweep(
        "cut",
        &["--jobs", "1", "--quiet"],
        &[("MIGSIM_SWEEP_CRASH_AFTER", "5")],
    );
    assert!(!crashed.status.success());
    let runs = f.path("cut/runs");
    let mut names: Vec<String> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".tmp-p1-s2", "p0-s1", "p0-s2", "p0-s3", "p0-s4", "p1-s1"]
    );
    assert!(!f.path("cut/runs.csv").exists());
    let before = std::fs::metadata(runs.join("p0-s3")).unwrap().ino();

    let out = f.ok("cut", &["--jobs", "2", "--quiet", "--resume"]);
    assert!(out.contains("16 runs (5 resumed, 0 failed)"), "{out}");
    assert_eq!(
        std::fs::metadata(runs.join("p0-s3")).unwrap().ino(),
        before,
        "a finished run was recomputed"
    );
    let (whole, cut) = (tree(&f.path("whole")), tree(&f.path("cut")));
    assert_eq!(
        whole.keys().collect::<Vec<_>>(),
        cut.keys().collect::<Vec<_>>()
    );
    for (file, bytes) in &whole {
        assert!(
            cut[file] == *bytes,
            "{} differs after the resume",
            file.display()
        );
    }
}

/// Three shards at once into one folder, then the tables: the same files, byte for byte, as
/// one unsharded sweep.
#[test]
fn shards_run_at_once_give_the_files_of_one_sweep() {
    let f = Fixture::new();
    f.ok("whole", &["--jobs", "2", "--quiet"]);
    let shards: Vec<_> = (0..3)
        .map(|k| {
            Command::new(env!("CARGO_BIN_EXE_migsim"))
                .current_dir(f.dir.path())
                .args(["sweep", "tiny.toml", "--out", "sharded", "--jobs", "1"])
                .args(["--shard", &format!("{k}/3")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (k, shard) in shards.into_iter().enumerate() {
        let o = shard.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "{k}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // 16 runs: shard 0 takes 6, shards 1 and 2 take 5 each.
        let runs = if k == 0 { 6 } else { 5 };
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(
            said.contains(&format!("shard {k}/3: {runs} runs")),
            "{said}"
        );
    }
    assert!(!f.path("sharded/runs.csv").exists());
    let out = f.ok("sharded", &["--quiet", "--resume"]);
    assert!(out.contains("16 runs (16 resumed, 0 failed)"), "{out}");
    let (whole, sharded) = (tree(&f.path("whole")), tree(&f.path("sharded")));
    assert_eq!(
        whole.keys().collect::<Vec<_>>(),
        sharded.keys().collect::<Vec<_>>()
    );
    for (file, bytes) in &whole {
        assert!(sharded[file] == *bytes, "{} differs", file.display());
    }
    // No shard 3 of 3; no shard of another sweep into this folder.
    let bad = f.sweep("sharded", &["--shard", "3/3"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(e.contains("shards of 3 are numbered 0 to 2"), "{e}");
    let other = f.sweep("sharded", &["--shard", "0/3", "--seeds", "9"], &[]);
    assert_eq!(other.status.code(), Some(2));
    let e = String::from_utf8_lossy(&other.stderr);
    assert!(e.contains("`seeds` in sweep.json changed"), "{e}");
}

#[test]
fn a_sweep_folder_is_resumed_only_with_the_same_inputs() {
    let f = Fixture::new();
    f.ok("s", &["--quiet"]);
    let again = f.sweep("s", &["--quiet"], &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("add --resume"));

    let more_seeds = f.sweep("s", &["--quiet", "--resume", "--seeds", "5"], &[]);
    assert_eq!(more_seeds.status.code(), Some(2));
    let e = String::from_utf8_lossy(&more_seeds.stderr);
    assert!(e.contains("`seeds` in sweep.json changed"), "{e}");

    std::fs::write(
        f.path("tiny.toml"),
        SCENARIO.replace("count = 40", "count = 41"),
    )
    .unwrap();
    let edited = f.sweep("s", &["--quiet", "--resume"], &[]);
    assert_eq!(edited.status.code(), Some(2));
    let e = String::from_utf8_lossy(&edited.stderr);
    assert!(e.contains("the scenario") && e.contains("changed"), "{e}");
    // Nothing of the first sweep was touched.
    assert_eq!(csv_rows(&f.read("s/runs.csv")).len(), RUNS);
}

#[test]
fn a_failing_grid_point_is_recorded_and_the_sweep_goes_on() {
    let f = Fixture::new();
    let o = f.sweep(
        "s",
        &[
            "--quiet",
            "--vary",
            r#"scheduler.placement=["best-fit", "bogus-fit"]"#,
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("warning: a run failed"), "{stderr}");
    let runs = csv_rows(&f.read("s/runs.csv"));
    assert_eq!(runs.len(), 2 * RUNS);
    for r in &runs {
        match r["scheduler.placement"].as_str() {
            "best-fit" => assert_eq!(r["status"], "ok"),
            _ => {
                assert_eq!(r["status"], "failed");
                assert!(r["error"].contains("(from sweep.scheduler.placement=\"bogus-fit\")"));
                assert!(r["error"].contains("bogus-fit"), "{}", r["error"]);
                assert_eq!(r["oom_kills"], "");
            }
        }
    }
    let summary = csv_rows(&f.read("s/summary.csv"));
    assert!(summary
        .iter()
        .all(|r| r["scheduler.placement"] == "best-fit"));

    let all_bad = f.sweep(
        "t",
        &["--quiet", "--vary", "scheduler.placement=bogus-fit"],
        &[],
    );
    assert_eq!(all_bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&all_bad.stderr).contains("every run failed"));
}

#[test]
fn a_bad_sweep_table_names_its_line() {
    let f = Fixture::new();
    std::fs::write(
        f.path("tiny.toml"),
        SCENARIO.replace("seeds = 4", "seeds = [1, 1]"),
    )
    .unwrap();
    let o = f.sweep("s", &[], &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("tiny.toml:37:1: sweep.seeds: seed 1 appears twice"),
        "{e}"
    );
    assert!(!f.path("s").exists());
}

#[test]
fn flags_make_a_grid_without_a_sweep_table() {
    let f = Fixture::new();
    let bare = &SCENARIO[..SCENARIO.find("[sweep]").unwrap()];
    std::fs::write(f.path("tiny.toml"), bare).unwrap();
    let none = f.sweep("s", &[], &[]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no [sweep] table"));

    f.ok(
        "s",
        &[
            "-q",
            "--vary",
            "variant=all",
            "--vary",
            "nodes[0].count=[2, 3]",
            "--seeds",
            "2",
        ],
    );
    let runs = csv_rows(&f.read("s/runs.csv"));
    let grid: Vec<(&str, &str, &str)> = runs
        .iter()
        .map(|r| {
            (
                r["variant"].as_str(),
                r["nodes[0].count"].as_str(),
                r["seed"].as_str(),
            )
        })
        .collect();
    assert_eq!(grid.len(), 8);
    assert_eq!(grid[0], ("none", "2", "1"));
    assert_eq!(grid[7], ("controlled", "3", "2"));
    assert!(runs.iter().all(|r| r["status"] == "ok"));

    let bad = f.sweep("t", &["--vary", "variant=[none, nope]"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(e.contains("--vary variant: no variant \"nope\""), "{e}");
}

/// A held-out seed range, or any list, from the command line.
#[test]
fn seeds_are_a_range_or_a_list_on_the_command_line() {
    let f = Fixture::new();
    for (out, seeds, want) in [
        ("r", "101..103", vec!["101", "102", "103"]),
        ("l", "9,4", vec!["9", "4"]),
    ] {
        f.ok(out, &["-q", "--seeds", seeds]);
        let runs = csv_rows(&f.read(&format!("{out}/runs.csv")));
        let mut got: Vec<&str> = runs.iter().map(|r| r["seed"].as_str()).collect();
        got.sort_unstable();
        got.dedup();
        let mut want = want;
        want.sort_unstable();
        assert_eq!(got, want, "{seeds}");
        assert!(runs.iter().all(|r| r["status"] == "ok"));
    }
    let bad = f.sweep("b", &["--seeds", "5..2"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(e.contains("5..2: the range ends before it starts"), "{e}");
    // The sweep's own keys are not a run's: --set names its flags instead.
    let set = f.sweep("c", &["--set", "sweep.seeds=3"], &[]);
    assert_eq!(set.status.code(), Some(2));
    let e = String::from_utf8_lossy(&set.stderr);
    assert!(
        e.contains("tiny.toml (from --set sweep.seeds=3): sweep.seeds: --set changes every run, not the sweep")
            && e.contains("--seeds (N, A..B or a,b,c)"),
        "{e}"
    );
}

/// `--aggregate` writes the tables of what the shards left, and names a shard that did not run.
#[test]
fn aggregate_writes_the_tables_of_the_shards_or_names_the_missing_one() {
    let f = Fixture::new();
    f.ok("whole", &["--jobs", "2", "--quiet"]);
    let empty = f.sweep("nothing", &["--aggregate"], &[]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("no sweep to aggregate here"));
    for k in [0, 2] {
        f.ok("sharded", &["--quiet", "--shard", &format!("{k}/3")]);
    }
    let short = f.sweep("sharded", &["--aggregate", "--shards", "3"], &[]);
    assert_eq!(short.status.code(), Some(1));
    let e = String::from_utf8_lossy(&short.stderr);
    assert!(
        e.contains("5 of 16 runs are missing")
            && e.contains("shard 1/3 did not finish: 5 of its 5 runs"),
        "{e}"
    );
    assert!(!e.contains("shard 0/3") && !e.contains("shard 2/3"), "{e}");
    assert!(!f.path("sharded/runs.csv").exists());
    f.ok("sharded", &["--quiet", "--shard", "1/3"]);
    let out = f.ok("sharded", &["--quiet", "--aggregate"]);
    assert!(
        out.contains("16 runs (0 resumed, 0 failed) aggregated in"),
        "{out}"
    );
    for table in ["runs.csv", "summary.csv"] {
        assert_eq!(
            f.read(&format!("whole/{table}")),
            f.read(&format!("sharded/{table}"))
        );
    }
}

/// The scripts of `--slurm --dry-run`, run by hand as Slurm would run them (task K with its
/// SLURM_ variables, then the aggregation), give the files of a sweep run here; and what
/// cannot work is refused before anything is written.
#[test]
fn slurm_scripts_run_as_slurm_would_give_the_files_of_one_sweep() {
    let f = Fixture::new();
    let defining = ["--seeds", "1..3", "--set", "scheduler.placement=best-fit"];
    f.ok("whole", &[&defining[..], &["--quiet"]].concat());
    let slurm = [
        "--slurm",
        "--array-size",
        "5",
        "--cpus-per-task",
        "2",
        "--time",
        "30",
    ];
    let said = f.ok("s", &[&defining[..], &slurm, &["--dry-run"]].concat());
    assert!(said.contains("12 runs in 5 tasks of 2 CPUs"), "{said}");
    let scripts = f.path("s/slurm");
    let task = std::fs::read_to_string(scripts.join("sweep.sbatch")).unwrap();
    for line in [
        "#SBATCH --array=0-4",
        "#SBATCH --time=30",
        "'--seeds' '1..3'",
    ] {
        assert!(task.contains(line), "{line} not in\n{task}");
    }
    for k in 0..5 {
        let o = Command::new("bash")
            .arg(scripts.join("sweep.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", k.to_string())
            .env("SLURM_ARRAY_JOB_ID", "7")
            .env("SLURM_CPUS_PER_TASK", "2")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(
            said.contains(&format!("task {k} of job 7, attempt 1")),
            "{said}"
        );
    }
    let o = Command::new("bash")
        .arg(scripts.join("aggregate.sbatch"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for table in ["runs.csv", "summary.csv"] {
        assert_eq!(
            f.read(&format!("whole/{table}")),
            f.read(&format!("s/{table}"))
        );
    }

    // No sbatch here: nothing is written.
    let o = Command::new(env!("CARGO_BIN_EXE_migsim"))
        .current_dir(f.dir.path())
        .args(["sweep", "tiny.toml", "--out", "none", "--slurm"])
        .env("PATH", f.path("no-such-dir"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("sbatch is not on PATH") && e.contains("--dry-run"),
        "{e}"
    );
    assert!(!f.path("none").exists());
    for (extra, says) in [
        (&["--time", "2h"][..], "not a Slurm time limit"),
        (&["--partition", "a b"][..], "not a partition name"),
        (&["--jobs", "2"][..], "cannot be used with"),
        (&["--shard", "0/2"][..], "cannot be used with"),
    ] {
        let o = f.sweep("bad", &[&["--slurm", "--dry-run"][..], extra].concat(), &[]);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(says), "{extra:?}: {e}");
    }
    let spaced = f.sweep("with space", &["--slurm", "--dry-run"], &[]);
    assert_eq!(spaced.status.code(), Some(2));
    let e = String::from_utf8_lossy(&spaced.stderr);
    assert!(
        e.contains("holds a space, which #SBATCH lines cannot"),
        "{e}"
    );
    assert!(!f.path("bad").exists() && !f.path("with space").exists());
}
