//! The production cluster traces (google-2019, google-2011, alibaba-2018) imported from the
//! sample files in traces/, written to the published schemas: values checked against the rows
//! read by hand, the filters, and errors that name the file, the line and the field.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use migsim::trace::import::cluster::{import_cluster, ClusterFormat, Options};
use migsim::trace::{Trace, TraceJob};

const GIB: f64 = (1u64 << 30) as f64;
/// The default memory of a machine of normalised capacity 1 in Google's traces.
const G: f64 = 256.0 * GIB;

fn migsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migsim"))
        .args(args)
        .output()
        .unwrap()
}

/// Imports with the command line; the trace read back and what it printed.
fn import(
    format: &str,
    input: &[&str],
    extra: &[&str],
) -> (Trace, String, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.csv");
    let mut args = vec!["trace", "import", "--format", format];
    args.extend_from_slice(input);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    let o = migsim(&args);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (Trace::read(&out).unwrap(), stdout, out, dir)
}

fn job<'a>(t: &'a Trace, name: &str) -> &'a TraceJob {
    t.jobs
        .iter()
        .find(|j| j.meta.job == name)
        .unwrap_or_else(|| panic!("no job {name}"))
}

fn names(t: &Trace) -> Vec<&str> {
    t.jobs.iter().map(|j| j.meta.job.as_str()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn samples_close(j: &TraceJob, want: &[(f64, f64)]) {
    assert_eq!(j.samples.len(), want.len(), "{:?}", j.samples);
    for (got, want) in j.samples.iter().zip(want) {
        assert!(
            got.0 == want.0 && close(got.1, want.1),
            "{got:?} != {want:?}"
        );
    }
}

#[test]
fn google_2019_tasks_read_from_the_sample_rows() {
    let (t, out, path, _dir) = import("google-2019", &["traces/google-2019"], &["--cell", "a"]);
    assert_eq!(names(&t), ["42-0", "42-1", "77-0"]);
    // 42-0: scheduled before the trace (time 0) on machine 1001, five windows of average
    // memory 0.02 .. 0.06 from 600 s (the trace's start), finished at 2,100,000,000 us.
    let a = job(&t, "42-0");
    samples_close(
        a,
        &[
            (0.0, 0.02 * G),
            (300.0, 0.03 * G),
            (600.0, 0.04 * G),
            (900.0, 0.05 * G),
            (1200.0, 0.06 * G),
        ],
    );
    assert_eq!(a.meta.start_s, 0.0);
    assert!(a.meta.started_before && !a.meta.running_at_end);
    assert_eq!(a.meta.ended.as_deref(), Some("finished"));
    assert_eq!(
        (a.meta.priority, a.meta.class.as_deref()),
        (Some(200), Some("production"))
    );
    assert!(
        close(a.meta.request_bytes.unwrap(), 0.1 * G)
            && close(a.meta.limit_bytes.unwrap(), 0.1 * G)
    );
    assert!(close(a.meta.cpu.unwrap(), 0.05 * 96.0));
    assert_eq!(a.meta.duration_s, Some(1500.0));
    // 42-1: its events give no priority (its collection's, 200, stands in); integers as JSON
    // numbers or strings alike; the window at 1,200,000,000 us is repeated in the second shard
    // with 0.99, and the first is kept; evicted at 1,800,000,000 us.
    let b = job(&t, "42-1");
    samples_close(b, &[(0.0, 0.01 * G), (300.0, 0.02 * G), (600.0, 0.04 * G)]);
    assert_eq!((b.meta.start_s, b.meta.priority), (300.0, Some(200)));
    assert_eq!(b.meta.ended.as_deref(), Some("evicted"));
    assert!(!b.meta.started_before && !b.meta.running_at_end);
    // 77-0: priority 25 (free), its FINISH is after the trace (2^63-1): still running.
    let c = job(&t, "77-0");
    assert_eq!(
        (c.meta.class.as_deref(), c.meta.ended.as_deref()),
        (Some("free"), None)
    );
    assert!(c.meta.running_at_end);
    assert!(close(c.samples[3].1, 0.2 * G));
    // 88-0 is an alloc set's instance: not a task.
    for note in [
        "note: 1 instance events of alloc sets",
        "note: 1 usage rows of alloc sets",
        "note: 1 usage windows repeated for a task",
        "note: 1 machines without a capacity",
        "note: 1 machines whose capacity changed",
    ] {
        assert!(out.contains(note), "{note} in {out}");
    }
    let nodes = std::fs::read_to_string(path.with_file_name("t.nodes.csv")).unwrap();
    assert_eq!(
        nodes,
        "machine,cpu,memory_bytes\n1001,48.0,137438953472.0\n1002,96.0,274877906944.0\n"
    );
}

#[test]
fn google_2019_filters_cells_tiers_priorities_windows_and_machines() {
    let fresh = tempfile::tempdir().unwrap();
    let never = fresh.path().join("new/t.csv");
    let o = migsim(&[
        "trace",
        "import",
        "--format",
        "google-2019",
        "traces/google-2019",
        "--out",
        never.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("the inputs hold the cells a, b, whose IDs overlap: choose one with --cell"));
    assert!(
        !fresh.path().join("new").exists(),
        "a refused import makes no folder"
    );
    let (b, _, _, _d) = import("google-2019", &["traces/google-2019"], &["--cell", "b"]);
    assert_eq!(names(&b), ["42-0"]);
    assert!(close(b.jobs[0].samples[0].1, 0.5 * G));
    let dir = "traces/google-2019/clusterdata_2019_a";
    let (free, _, _, _d) = import("google-2019", &[dir], &["--tier", "free"]);
    assert_eq!(names(&free), ["77-0"]);
    let (prio, _, _, _d) = import("google-2019", &[dir], &["--priority", "200..200"]);
    assert_eq!(names(&prio), ["42-0", "42-1"]);
    // From 10 to 25 minutes: 42-0's windows at 600, 900 and 1200 s, its finish at 1500 s is
    // past the frame; 42-1 from 300 s, evicted at 1200 s; 77-0 from 600 s.
    let (w, _, _, _d) = import("google-2019", &[dir], &["--from", "10m", "--to", "25m"]);
    let a = job(&w, "42-0");
    samples_close(a, &[(0.0, 0.04 * G), (300.0, 0.05 * G), (600.0, 0.06 * G)]);
    assert!(a.meta.started_before && a.meta.running_at_end && a.meta.ended.is_none());
    assert_eq!(job(&w, "42-1").meta.ended.as_deref(), Some("evicted"));
    assert_eq!(job(&w, "77-0").meta.start_s, 0.0);
    // The maximum, where a window lacks one, is its average.
    let (m, out, _, _d) = import("google-2019", &[dir], &["--usage", "maximum"]);
    samples_close(
        &m.jobs[0],
        &[
            (0.0, 0.025 * G),
            (300.0, 0.035 * G),
            (600.0, 0.04 * G),
            (900.0, 0.055 * G),
            (1200.0, 0.065 * G),
        ],
    );
    assert!(
        out.contains("note: 1 usage windows without a maximum, read at their average"),
        "{out}"
    );
    // One machine of three, the same for the same seed: only its tasks and its node. Machine
    // 1003 has no capacity: drawn, it leaves no task, and the import says so.
    let mut drawn = std::collections::BTreeSet::new();
    for seed in 1..=6 {
        let dir2 = tempfile::tempdir().unwrap();
        let out = dir2.path().join("t.csv");
        let args = [
            "trace",
            "import",
            "--format",
            "google-2019",
            dir,
            "--machines",
            "1",
            "--seed",
            &seed.to_string(),
            "--out",
            out.to_str().unwrap(),
        ];
        let (o, again) = (migsim(&args), migsim(&args));
        // The same notes (the last line says how long the reading took).
        let notes = |o: &Output| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.starts_with("note"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(notes(&o), notes(&again));
        if !o.status.success() {
            assert!(String::from_utf8_lossy(&o.stderr).contains("no task is left to import"));
            drawn.insert("1003".to_string());
            continue;
        }
        let t = Trace::read(&out).unwrap();
        let nodes = std::fs::read_to_string(out.with_file_name("t.nodes.csv")).unwrap();
        let machine = nodes
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_string();
        let want: &[&str] = if machine == "1001" {
            &["42-0"]
        } else {
            &["42-1", "77-0"]
        };
        assert_eq!(names(&t), want, "seed {seed}");
        drawn.insert(machine);
    }
    assert!(drawn.len() >= 2, "seeds draw different machines: {drawn:?}");
}

#[test]
fn google_2011_tasks_read_from_the_sample_rows() {
    let (t, out, path, _dir) = import("google-2011", &["traces/google-2011"], &[]);
    assert_eq!(names(&t), ["3418309-0", "3418309-1", "6251812952-0"]);
    // 3418309-0: scheduled at 0 (before the trace), canonical memory 0.0545, 0.0576, 0.0601,
    // finished at 1,500,000,000 us; request 0.07446, assigned memory 0.0714, priority 9.
    let a = job(&t, "3418309-0");
    samples_close(
        a,
        &[(0.0, 0.0545 * G), (300.0, 0.0576 * G), (600.0, 0.0601 * G)],
    );
    assert!(a.meta.started_before && !a.meta.running_at_end);
    assert_eq!(
        (
            a.meta.ended.as_deref(),
            a.meta.priority,
            a.meta.class.as_deref()
        ),
        (Some("finished"), Some(9), Some("production"))
    );
    assert!(
        close(a.meta.request_bytes.unwrap(), 0.07446 * G)
            && close(a.meta.limit_bytes.unwrap(), 0.0714 * G)
    );
    // 3418309-1: its window at 900 s has no canonical memory (left out); never ends.
    let b = job(&t, "3418309-1");
    samples_close(
        b,
        &[(0.0, 0.0301 * G), (600.0, 0.0312 * G), (900.0, 0.0333 * G)],
    );
    assert!(b.meta.running_at_end && b.meta.ended.is_none());
    // 6251812952-0: priority 0 (free), scheduled at 1,200,000,000 us (600 s into the trace),
    // evicted at 1,650,000,000 us after a shortened last window.
    let c = job(&t, "6251812952-0");
    assert_eq!((c.meta.start_s, c.meta.duration_s), (600.0, Some(450.0)));
    assert_eq!(
        (c.meta.ended.as_deref(), c.meta.class.as_deref()),
        (Some("evicted"), Some("free"))
    );
    assert!(
        out.contains("note: 1 usage rows without a memory figure left out"),
        "{out}"
    );
    let nodes = std::fs::read_to_string(path.with_file_name("t.nodes.csv")).unwrap();
    assert_eq!(nodes.lines().count(), 3, "{nodes}"); // machines 5 and 6; 7 has no capacity
    let (m, _, _, _d) = import(
        "google-2011",
        &["traces/google-2011"],
        &["--usage", "maximum", "--machine-memory", "64GiB"],
    );
    samples_close(
        job(&m, "3418309-0"),
        &[
            (0.0, 0.0552 * 64.0 * GIB),
            (300.0, 0.0601 * 64.0 * GIB),
            (600.0, 0.0633 * 64.0 * GIB),
        ],
    );
}

#[test]
fn alibaba_2018_containers_and_batch_instances_read_from_the_sample_rows() {
    let (t, out, path, _dir) = import("alibaba-2018", &["traces/alibaba-2018"], &[]);
    assert_eq!(
        names(&t),
        [
            "c_1",
            "j_3/M1/ins_1",
            "j_3/R2_1/ins_2#1",
            "j_3/R2_1/ins_2#2",
            "c_2"
        ]
    );
    // c_1: mem_size 3.13 of 100 (of 512 GiB by default); usage 50% at 0, 52% at 10 (repeated
    // at 10 with 70%: the first is kept), missing at 20, 60% at 30; 4 cores requested.
    let size = 3.13 / 100.0 * 512.0 * GIB;
    let a = job(&t, "c_1");
    samples_close(
        a,
        &[(0.0, 0.5 * size), (10.0, 0.52 * size), (30.0, 0.6 * size)],
    );
    assert_eq!(
        (a.meta.cpu, a.meta.class.as_deref()),
        (Some(4.0), Some("online"))
    );
    assert!(close(a.meta.request_bytes.unwrap(), size));
    // A batch instance holds its mean memory (0.41 of 100) from start to end.
    let b = job(&t, "j_3/M1/ins_1");
    samples_close(b, &[(0.0, 0.41 / 100.0 * 512.0 * GIB)]);
    assert_eq!((b.meta.start_s, b.meta.duration_s), (5.0, Some(60.0)));
    assert_eq!(
        (b.meta.ended.as_deref(), b.meta.class.as_deref()),
        (Some("finished"), Some("batch"))
    );
    assert_eq!(
        job(&t, "j_3/R2_1/ins_2#1").meta.ended.as_deref(),
        Some("failed")
    );
    for note in [
        "note: 1 container samples without mem_util_percent left out",
        "note: 1 usage windows repeated for a task",
        "note: 1 tasks whose usage is a percent of a size the trace does not give",
        "note: 1 batch instances without a memory figure left out",
    ] {
        assert!(out.contains(note), "{note} in {out}");
    }
    let nodes = std::fs::read_to_string(path.with_file_name("t.nodes.csv")).unwrap();
    assert_eq!(
        nodes,
        "machine,cpu,memory_bytes\nm_1,96.0,549755813888.0\nm_2,96.0,274877906944.0\n"
    );
    let (batch, _, _, _d) = import(
        "alibaba-2018",
        &["traces/alibaba-2018"],
        &["--tier", "batch", "--usage", "maximum"],
    );
    assert_eq!(batch.jobs.len(), 3);
    samples_close(
        job(&batch, "j_3/M1/ins_1"),
        &[(0.0, 0.55 / 100.0 * 512.0 * GIB)],
    );
}

/// Copies the sample folder `from` and appends `line` to its file `name`.
fn broken(from: &str, name: &str, line: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = |src: &Path, dst: &Path| {
        for e in walk(src) {
            let to = dst.join(e.strip_prefix(src).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&e, &to).unwrap();
        }
    };
    copy(Path::new(from), dir.path());
    let file = dir.path().join(name);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(line);
    text.push('\n');
    std::fs::write(&file, text).unwrap();
    let lines = std::fs::read_to_string(&file).unwrap().lines().count();
    (
        dir,
        file.with_extension(format!(
            "{}:{lines}",
            file.extension().unwrap().to_string_lossy()
        )),
    )
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn rows_the_schemas_do_not_allow_are_named_by_file_line_and_field() {
    let cases = [
        (
            "google-2019",
            "traces/google-2019/clusterdata_2019_a",
            "instance_events-000000000000.json",
            r#"{"time":"5","type":12,"collection_id":"1","instance_index":0}"#,
            "field `type`: expected an event type 0-10, got 12",
        ),
        (
            "google-2019",
            "traces/google-2019/clusterdata_2019_a",
            "instance_events-000000000000.json",
            r#"{"time":"5","type":0,"collection_id":"x1","instance_index":0}"#,
            "field `collection_id`: expected an integer, got `x1`",
        ),
        (
            "google-2019",
            "traces/google-2019/clusterdata_2019_a",
            "instance_events-000000000000.json",
            r#"{"time":"5","type":0,"instance_index":0}"#,
            "missing field `collection_id`",
        ),
        (
            "google-2019",
            "traces/google-2019/clusterdata_2019_a",
            "machine_events-000000000000.json",
            r#"{"time":"0","machine_id":"9","type":1,"capacity":{"cpus":0.5,"memory":-1}}"#,
            "field `capacity.memory`: expected a normalised amount >= 0, got -1",
        ),
        (
            "google-2019",
            "traces/google-2019/clusterdata_2019_a",
            "machine_events-000000000000.json",
            r#"{"time":"0","machine_id":"9""#,
            "not JSON",
        ),
        (
            "google-2011",
            "traces/google-2011",
            "task_events/part-00000-of-00002.csv",
            "0,,1,0,5,9,u,3,9,0.1,0.1,0.1,0",
            "field `event type`: expected 0-8, got 9",
        ),
        (
            "google-2011",
            "traces/google-2011",
            "task_events/part-00000-of-00002.csv",
            "0,,1,0,5,1,u,3,9,0.1,0.1",
            "expected 13 fields",
        ),
        (
            "google-2011",
            "traces/google-2011",
            "task_events/part-00000-of-00002.csv",
            "0,,1,0,5,1,u,3,14,0.1,0.1,0.1,0",
            "field `priority`: expected 0-11, got 14",
        ),
        (
            "alibaba-2018",
            "traces/alibaba-2018",
            "container_meta.csv",
            "c_3,m_1,0,app_1,started,400,400,130",
            "field `mem_size`: expected a value in [0, 100], got 130",
        ),
        (
            "alibaba-2018",
            "traces/alibaba-2018",
            "batch_instance.csv",
            "ins_9,M1,j_9,1,Terminated,abc,65,m_1,1,1,95.5,110,0.41,0.55",
            "field `start_time`: expected a number, got `abc`",
        ),
    ];
    for (format, from, name, line, want) in cases {
        let (dir, at) = broken(from, name, line);
        let out = dir.path().join("out/t.csv");
        let o = migsim(&[
            "trace",
            "import",
            "--format",
            format,
            dir.path().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{format} {line}: {err}");
        assert!(
            err.contains(&format!("{}: ", at.display())) && err.contains(want),
            "{format} {line}: {err}"
        );
        assert!(
            !out.exists() && !out.with_file_name("t.jobs.csv").exists(),
            "nothing written"
        );
    }
    let o = migsim(&[
        "trace",
        "import",
        "--format",
        "google-2019",
        "traces/google-2011",
        "--out",
        "/tmp/never.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("cannot tell which table this file holds; the tables are machine_events"));
    let o = migsim(&[
        "trace",
        "import",
        "--format",
        "thesis-json",
        "traces/thesis/elchead-pods.json.gz",
        "--machines",
        "3",
        "--out",
        "/tmp/never.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--machines applies to the cluster traces"));
    let o = migsim(&[
        "trace",
        "import",
        "--format",
        "google-2019",
        "traces/google-2019",
        "--cell",
        "a",
        "--tier",
        "batch",
        "--out",
        "/tmp/never.csv",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains(
        "--tier: unknown tier `batch`; this trace's are free, beb, mid, production, monitoring"
    ));
}

/// A Google 2019 usage table of many tasks, as the tests write it.
fn many_tasks(dir: &Path) {
    let mut text = String::new();
    for task in 0..400u64 {
        for w in 0..(task % 13 + 1) {
            let start = 600_000_000 + (task * 7 + w) * 300_000_000;
            text.push_str(&format!(
                "{{\"start_time\":\"{start}\",\"end_time\":\"{}\",\"collection_id\":\"{}\",\"instance_index\":{},\"machine_id\":\"{}\",\"collection_type\":0,\"average_usage\":{{\"cpus\":0.01,\"memory\":{}}}}}\n",
                start + 300_000_000, 100 + task / 5, task % 5, task % 17, (task * 31 + w) as f64 / 1e5
            ));
        }
    }
    std::fs::write(dir.join("instance_usage-000000000000.json"), text).unwrap();
}

#[test]
fn the_trace_is_the_same_for_any_number_of_partitions_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    many_tasks(dir.path());
    let run = |parts: Option<u64>, threads: usize, name: &str| {
        let out = dir.path().join(name);
        let options = Options {
            partition_input: parts,
            ..Options::default()
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let report = pool
            .install(|| {
                import_cluster(
                    ClusterFormat::Google2019,
                    &[dir.path().join("instance_usage-000000000000.json")],
                    &options,
                    &out,
                    &mut |_| {},
                )
            })
            .unwrap();
        (
            Trace::read(&out).unwrap(),
            std::fs::read(&out).unwrap(),
            std::fs::read(Trace::jobs_path(&out)).unwrap(),
            report.jobs,
        )
    };
    let one = run(None, 1, "one.csv");
    let many = run(Some(4096), 2, "many.csv");
    let many_again = run(Some(4096), 1, "again.csv");
    assert_eq!(one.3, 400);
    assert_eq!(one.0, many.0);
    assert_eq!(one.2, many.2, "the job tables are byte for byte the same");
    assert_eq!(
        (&many.1, &many.2),
        (&many_again.1, &many_again.2),
        "the same partitions on 1 or 2 threads: the same bytes"
    );
}

#[test]
fn stats_and_fit_read_the_cluster_traces_as_the_others() {
    let (_, _, path, _dir) = import("google-2011", &["traces/google-2011"], &[]);
    let o = migsim(&["trace", "stats", path.to_str().unwrap()]);
    let stats = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stats}");
    assert!(
        stats.contains("jobs       3 (free 1, production 2), 8 samples"),
        "{stats}"
    );
    assert!(
        stats.contains("censored   2 already running at the start, 1 still running at the end"),
        "{stats}"
    );
    // fit reads the published files themselves.
    let o = migsim(&[
        "trace",
        "fit",
        "traces/google-2019/clusterdata_2019_a",
        "--format",
        "google-2019",
    ]);
    let classes = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        classes.contains("name = \"production\"") && classes.contains("name = \"free\""),
        "{classes}"
    );
}
