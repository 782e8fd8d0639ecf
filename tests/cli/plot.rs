//! `migsim plot` draws what a paper needs, from the files of a run or a sweep. The SVG text
//! says what is on each figure: axis titles with units, legends, captions.

#![cfg(feature = "plot")]

use std::path::Path;
use std::process::{Command, Output};

fn migsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migsim"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = migsim(dir, args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Whether a text element of the SVG says exactly `text`.
fn has_text(svg: &str, text: &str) -> bool {
    svg.contains(&format!(">\n{text}\n</text>"))
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_run_gets_node_memory_and_slowdown_figures() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let run = run.to_str().unwrap();
    ok(
        root(),
        &[
            "run",
            "scenarios/thesis-2022.toml",
            "--variant",
            "optimal",
            "--seed",
            "2",
            "-q",
            "--out",
            run,
        ],
    );
    let written = ok(root(), &["plot", run, "--format", "svg"]);
    assert_eq!(written.lines().count(), 2, "{written}");
    let memory = std::fs::read_to_string(format!("{run}/figures/memory.svg")).unwrap();
    for text in [
        "node memory: thesis-2022, optimal, seed 2",
        "memory (GiB)",
        "time (h)",
        "memory used",
        "capacity",
        "controller limit",
        "migrating out",
        "migrating in",
    ] {
        assert!(memory.contains(text), "memory.svg lacks `{text}`");
    }
    // The thesis cluster has three nodes: three panels.
    assert_eq!(memory.matches("OOM kills,").count(), 3);
    let slowdown = std::fs::read_to_string(format!("{run}/figures/slowdown.svg")).unwrap();
    for text in [
        "slowdown: (end - arrival) / work",
        "fraction of finished jobs",
        "all jobs (500)",
    ] {
        assert!(slowdown.contains(text), "slowdown.svg lacks `{text}`");
    }

    ok(root(), &["plot", run]);
    let png = std::fs::read(format!("{run}/figures/memory.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn a_sweep_gets_one_figure_per_metric_against_its_axis() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let out = out.to_str().unwrap();
    ok(
        root(),
        &[
            "sweep",
            "scenarios/thesis-2022.toml",
            "-q",
            "--seeds",
            "2",
            "--vary",
            r#"variant=["none", "optimal"]"#,
            "--vary",
            r#"nodes[0].memory=["400GiB", "450GiB", "500GiB"]"#,
            "--out",
            out,
        ],
    );
    let written = ok(
        root(),
        &[
            "plot",
            out,
            "--format",
            "svg",
            "--metric",
            "oom_kills",
            "--metric",
            "lost_work_s",
        ],
    );
    assert_eq!(written.lines().count(), 2, "{written}");
    let kills = std::fs::read_to_string(format!("{out}/figures/oom_kills.svg")).unwrap();
    // The numeric axis is drawn to scale in GiB, one line per variant.
    for text in [
        "OOM kills: thesis-2022 (mean, 95% CI)",
        "nodes[0].memory (GiB)",
        "none",
        "optimal",
        "450",
    ] {
        assert!(has_text(&kills, text), "oom_kills.svg lacks `{text}`");
    }
    let lost = std::fs::read_to_string(format!("{out}/figures/lost_work_s.svg")).unwrap();
    assert!(lost.contains("lost work (h)"));

    // Against the variant instead: categories, one per policy.
    ok(
        root(),
        &[
            "plot",
            out,
            "--format",
            "svg",
            "--metric",
            "oom_kills",
            "--x",
            "variant",
        ],
    );
    let kills = std::fs::read_to_string(format!("{out}/figures/oom_kills.svg")).unwrap();
    assert!(
        has_text(&kills, "400GiB") && has_text(&kills, "variant"),
        "{kills}"
    );

    let bad = migsim(root(), &["plot", out, "--x", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no axis `nope`"));
}

#[test]
fn a_folder_that_is_neither_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let o = migsim(dir.path(), &["plot", "."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("neither a run"));
}

/// `--compress` writes each table gzipped, the same bytes inside as without it and the same
/// file on a second run; `plot` reads the compressed folder as it is.
#[test]
fn a_compressed_run_holds_the_same_tables_and_still_plots() {
    let dir = tempfile::tempdir().unwrap();
    let folder = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (plain, gz, again) = (folder("plain"), folder("gz"), folder("again"));
    let run = |out: &str, compress: bool| {
        let mut args = vec!["run", "scenarios/quickstart.toml", "-q", "--out", out];
        if compress {
            args.push("--compress");
        }
        ok(root(), &args);
    };
    run(&plain, false);
    run(&gz, true);
    run(&again, true);
    for table in ["jobs.csv", "nodes.csv", "migrations.csv", "oom_kills.csv"] {
        let packed = std::fs::read(format!("{gz}/{table}.gz")).unwrap();
        assert!(packed.starts_with(&[0x1f, 0x8b]), "{table} is gzip");
        assert!(!Path::new(&format!("{gz}/{table}")).exists());
        let mut inside = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(packed.as_slice()),
            &mut inside,
        )
        .unwrap();
        assert_eq!(
            inside,
            std::fs::read(format!("{plain}/{table}")).unwrap(),
            "{table}"
        );
        assert_eq!(
            packed,
            std::fs::read(format!("{again}/{table}.gz")).unwrap()
        );
    }
    let written = ok(root(), &["plot", &gz, "--format", "svg"]);
    assert_eq!(written.lines().count(), 2, "{written}");
}
