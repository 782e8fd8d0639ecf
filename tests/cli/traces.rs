//! Trace importers on the real files shipped in traces/, checked against values read by hand.

use std::path::Path;

use migsim::trace::import::{alibaba_genai, dynatrace_csv, thesis_json};
use migsim::trace::{Stats, Trace};

#[test]
fn thesis_json_starts_pods_at_their_first_sample_and_keeps_their_class() {
    let t = thesis_json(Path::new("traces/thesis/elchead-pods.json.gz")).unwrap();
    assert!(t.notes.is_empty());
    assert_eq!(t.trace.jobs.len(), 500);
    // The file's first pod: null for its first 49 samples (60 s apart), then 38 values from
    // 35,430,400 B, peaking at 298,349,284,010 B, and null again before the window ends.
    let j = t
        .trace
        .jobs
        .iter()
        .find(|j| j.meta.job == "o10n-worker-l-2xs2w-c7hh4")
        .unwrap();
    assert_eq!(j.meta.class.as_deref(), Some("l"));
    assert_eq!(j.meta.start_s, 49.0 * 60.0);
    assert_eq!(j.samples.len(), 38);
    assert_eq!(j.samples[0], (0.0, 35430400.0));
    assert_eq!(j.samples[1], (60.0, 38672384.0));
    assert_eq!(j.samples[2], (120.0, 3998681088.0));
    assert_eq!(j.peak(), 298349284010.0);
    assert!(!j.meta.started_before && !j.meta.running_at_end);
    // The second pod runs from the first sample.
    let k = t
        .trace
        .jobs
        .iter()
        .find(|j| j.meta.job == "o10n-worker-l-c4v42-bb5pl")
        .unwrap();
    assert_eq!((k.meta.start_s, k.samples[0].1), (0.0, 110265192448.0));
    assert!(k.meta.started_before);
    let s = Stats::of(&t.trace);
    assert_eq!(
        (s.classes["s"], s.classes["m"], s.classes["l"]),
        (250, 142, 108)
    );
    assert_eq!((s.started_before, s.running_at_end), (38, 18));
    assert_eq!(s.step_s, 60.0);
    assert_eq!(s.span_s, 239.0 * 60.0);
    assert_eq!(s.peak_bytes.max, 298349284010.0);
}

#[test]
fn the_format_round_trips_through_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t.csv");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_migsim"))
        .args([
            "trace",
            "import",
            "--format",
            "thesis-json",
            "traces/thesis/elchead-pods.json.gz",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let back = Trace::read(&out).unwrap();
    let direct = thesis_json(Path::new("traces/thesis/elchead-pods.json.gz"))
        .unwrap()
        .trace;
    assert_eq!(back, direct);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_migsim"))
        .args(["trace", "stats"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("jobs       500 (l 108, m 142, s 250), 9927 samples"),
        "{text}"
    );
    assert!(text.contains("sample step 1m 00s"), "{text}");
}

#[test]
fn truncated_or_malformed_input_names_the_file_and_place() {
    let tmp = tempfile::tempdir().unwrap();
    let gz = std::fs::read("traces/thesis/elchead-pods.json.gz").unwrap();
    let cut = tmp.path().join("cut.json.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let e = thesis_json(&cut).unwrap_err().to_string();
    assert!(e.contains("cut.json.gz: truncated or corrupt gzip"), "{e}");
    let bad = tmp.path().join("bad.json");
    std::fs::write(
        &bad,
        "[{\"Name\": \"p\", \"Memory\": [1, null],\n \"Time\": [0]}]",
    )
    .unwrap();
    let e = thesis_json(&bad).unwrap_err().to_string();
    assert!(
        e.contains("bad.json: field `[0].Memory`: 2 memory values but 1 times"),
        "{e}"
    );
    std::fs::write(
        &bad,
        "[{\"Name\": \"p\",\n \"Memory\": [\"x\"], \"Time\": [0]}]",
    )
    .unwrap();
    let e = thesis_json(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.json:2: field `[0].Memory[0]`"), "{e}");
    // A pod that never ran is left out and said so, not turned into zeros.
    std::fs::write(
        &bad,
        "[{\"Name\": \"p\", \"Memory\": [null], \"Time\": [0]}]",
    )
    .unwrap();
    let t = thesis_json(&bad).unwrap();
    assert!(t.trace.jobs.is_empty());
    assert_eq!(t.notes, ["p: every sample is null"]);
}

#[test]
fn dynatrace_csv_reads_the_bom_fractions_and_empty_cells() {
    let t = dynatrace_csv(Path::new("traces/thesis/elchead-pods11-05-8to12.csv")).unwrap();
    assert_eq!(t.trace.jobs.len(), 15);
    assert!(t.notes.is_empty());
    let find = |name: &str| t.trace.jobs.iter().find(|j| j.meta.job == name).unwrap();
    // Column 1: values from the first row (08:00) for 18 rows, 2 minutes apart; the first is
    // fractional.
    let a = find("o10n-worker-l-jbmbp-qsjc6");
    assert_eq!((a.meta.start_s, a.samples.len()), (0.0, 18));
    assert_eq!(a.samples[0], (0.0, 21571718826.5));
    assert_eq!(a.samples[1], (120.0, 51528627199.5));
    assert_eq!(*a.samples.last().unwrap(), (17.0 * 120.0, 111344520533.0));
    assert!(a.meta.started_before && !a.meta.running_at_end);
    assert_eq!(a.meta.class.as_deref(), Some("l"));
    // Column 4: empty until 11:14, then 23 values to the end of the file.
    let d = find("o10n-worker-l-45pnm-ghd49");
    assert_eq!(
        (d.meta.start_s, d.samples.len()),
        (3.0 * 3600.0 + 14.0 * 60.0, 23)
    );
    assert_eq!(d.samples[0], (0.0, 39062528.0));
    assert!(!d.meta.started_before && d.meta.running_at_end);
    let s = Stats::of(&t.trace);
    assert_eq!((s.step_s, s.span_s), (120.0, 119.0 * 120.0));
}

#[test]
fn dynatrace_csv_errors_name_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("d.csv");
    let head = "\u{feff}\"Date\",\"p-1 worker (x) [B]\"\n";
    std::fs::write(
        &bad,
        format!("{head}\"2022-05-11 08:00:00\",1.5\n\"2022-05-11 08:02:00\",lots\n"),
    )
    .unwrap();
    let e = dynatrace_csv(&bad).unwrap_err().to_string();
    assert!(
        e.contains(
            "d.csv:3: field `p-1 worker (x) [B]`: expected bytes >= 0 or an empty cell, got `lots`"
        ),
        "{e}"
    );
    std::fs::write(&bad, format!("{head}\"2022-05-11 8h\",1\n")).unwrap();
    let e = dynatrace_csv(&bad).unwrap_err().to_string();
    assert!(
        e.contains("d.csv:2: field `Date`: expected YYYY-MM-DD HH:MM:SS"),
        "{e}"
    );
    std::fs::write(&bad, format!("{head}\"2022-05-11 08:00:00\",\n")).unwrap();
    let t = dynatrace_csv(&bad).unwrap();
    assert_eq!(t.notes, ["p-1: every cell is empty"]);
}

#[test]
fn alibaba_genai_scales_fractions_by_the_limit_and_says_what_it_left_out() {
    let limit = 16.0 * 1073741824.0;
    let t = alibaba_genai(
        Path::new("traces/alibaba/genai-pod_memory_util-slice.csv.gz"),
        limit,
    )
    .unwrap();
    assert_eq!(
        t.notes,
        [
            "1 values just below 0 (down to -0.001) read as 0",
            "49 rows without a container id",
            "1 repeated timestamps (the first value is kept)"
        ]
    );
    assert_eq!(t.trace.jobs.len(), 3);
    let find = |id: &str| t.trace.jobs.iter().find(|j| j.meta.job == id).unwrap();
    // The file's first row: 0.6623353560765585 at 1662858720, the trace's first timestamp;
    // its last at 1662940800, the trace's last.
    let a = find("25da09a77268ccc99a7968b3e453b8f0");
    assert_eq!(a.samples.len(), 1441);
    assert_eq!(a.samples[0], (0.0, 0.6623353560765585 * limit));
    assert_eq!(a.span(), 1662940800.0 - 1662858720.0);
    assert!(a.meta.started_before && a.meta.running_at_end);
    assert_eq!(a.meta.limit_bytes, Some(limit));
    // Ten rows, two at 1662884826 (1.2516975402832031e-06 first, then 0.0): the first stays.
    let b = find("ad921d60486366258809553a3db49a4a");
    assert_eq!(b.samples.len(), 9);
    let at = 1662884826.0 - 1662858720.0 - b.meta.start_s;
    assert!(b.samples.contains(&(at, 1.2516975402832031e-06 * limit)));
    // Fourteen rows from 1662917145; the last, -1.17e-05, reads as 0.
    let c = find("3eed80ec220956ab0e9c3a5dd7dfd041");
    assert_eq!(
        (c.meta.start_s, c.samples.len()),
        (1662917145.0 - 1662858720.0, 14)
    );
    assert_eq!(c.samples.last().unwrap().1, 0.0);
    assert!(!c.meta.started_before && !c.meta.running_at_end);
}

#[test]
fn openb_pods_arrive_at_creation_and_run_from_scheduling_to_deletion() {
    use migsim::trace::import::openb_pods;
    let t = openb_pods(Path::new(
        "traces/openb/alibaba-gpu-v2023-openb_pod_list_default.csv",
    ))
    .unwrap();
    // 8,152 pods, 897 of them Pending with no scheduled_time.
    assert_eq!(t.trace.jobs.len(), 8152 - 897);
    assert!(
        t.notes[0].starts_with("897 pods were never scheduled"),
        "{:?}",
        t.notes
    );
    // `openb-pod-0001,6000,12288,1,460,,LS,Running,427061,12902960,427061`; 12902960 is the
    // last deletion time of the list.
    let j = t
        .trace
        .jobs
        .iter()
        .find(|j| j.meta.job == "openb-pod-0001")
        .unwrap();
    assert_eq!(j.meta.class.as_deref(), Some("LS"));
    assert_eq!(j.meta.start_s, 427061.0);
    assert_eq!(j.meta.cpu, Some(6.0));
    assert_eq!(j.meta.request_bytes, Some(12288.0 * 1048576.0));
    assert_eq!(j.meta.duration_s, Some(12902960.0 - 427061.0));
    assert_eq!(j.samples, vec![(0.0, 12288.0 * 1048576.0)]);
    assert!(j.meta.running_at_end);
    assert!(t.trace.jobs.iter().all(|j| j.meta.job != "openb-pod-0061"));
}

#[test]
fn openb_nodes_group_identical_nodes() {
    use migsim::trace::import::openb_nodes;
    let g = openb_nodes(Path::new(
        "traces/openb/alibaba-gpu-v2023-openb_node_list_all_node.csv",
    ))
    .unwrap();
    assert_eq!(g.iter().map(|g| g.count).sum::<u32>(), 1523);
    // The largest kind: 549 nodes of `96000,393216,8,G2`.
    assert_eq!(g[0].name, "g2-96c-384g");
    assert_eq!(
        (g[0].count, g[0].cpu, g[0].memory_bytes),
        (549, 96.0, 393216.0 * 1048576.0)
    );
}

#[test]
fn bitbrains_reads_seconds_skips_unprovisioned_rows_and_repeated_times() {
    use migsim::trace::import::bitbrains;
    let t = bitbrains(Path::new(
        "traces/bitbrains/rnd-2013-7-vm53-54-slice.tar.gz",
    ))
    .unwrap();
    assert_eq!(t.trace.jobs.len(), 2);
    assert!(t.notes[0].contains("Unix seconds"), "{:?}", t.notes);
    assert!(t.notes[1].contains("VMs 54 (40)"), "{:?}", t.notes);
    // VM 53: rows 2-1270 provision nothing; row 1271 is
    // `1373011445; 8; ...; 2.0384768E7; 1.65675E7; ...` and row 2's time is 1372629804.
    let vm = |name: &str| t.trace.jobs.iter().find(|j| j.meta.job == name).unwrap();
    let j = vm("vm-53");
    assert_eq!(j.meta.start_s, 1373011445.0 - 1372629804.0);
    assert_eq!(j.samples[0], (0.0, 1.65675e7 * 1024.0));
    assert_eq!(j.samples[1].0, 300.0);
    assert_eq!(j.meta.cpu, Some(8.0));
    assert!(!j.meta.started_before);
    // VM 54 repeats 1373354374 at rows 2416 and 2417: the first is kept.
    let k = vm("vm-54");
    assert_eq!(k.samples[1], (300.0, 1.722660485714286e7 * 1024.0));
    assert_eq!(k.samples[2].0, 600.0);
}

/// `trace fit` writes classes a scenario accepts; drawing 10x from them gives 10x the jobs,
/// with the trace's median durations per class (within 25%).
#[test]
fn a_fitted_trace_generates_ten_times_the_jobs_with_its_durations() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fit.toml");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_migsim"))
        .args(["trace", "fit", "traces/thesis/elchead-pods.json.gz"])
        .args(["--format", "thesis-json", "--scale", "10", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8(o.stdout).unwrap();
    assert!(report.contains("| l | 108 / 1080 |"), "{report}");
    let classes = std::fs::read_to_string(&out).unwrap();
    let scenario = format!(
        "[simulation]\nseed = 3\n[[nodes]]\nname = \"n\"\nmemory = \"450GiB\"\ncpu = 120\n{classes}"
    );
    let s = migsim::scenario::load_str(&scenario, Path::new("fit.toml"), &[]).unwrap();
    assert_eq!(s.jobs.len(), 5000);
    let t = thesis_json(Path::new("traces/thesis/elchead-pods.json.gz"))
        .unwrap()
        .trace;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for class in ["s", "m", "l"] {
        let trace = median(
            t.jobs
                .iter()
                .filter(|j| j.meta.class.as_deref() == Some(class))
                .map(|j| j.span() + 60.0)
                .collect(),
        );
        let drawn = median(
            s.jobs
                .iter()
                .filter(|j| j.class == class)
                .map(|j| j.work.as_secs())
                .collect(),
        );
        assert!(
            (drawn / trace - 1.0).abs() < 0.25,
            "{class}: trace {trace} s, drawn {drawn} s"
        );
    }
}
