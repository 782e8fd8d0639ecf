//! `migsim calibrate fit` on the tables users bring: a paper's totals become a cost model that
//! predicts them, and phases that price nothing are refused with what to measure.

use std::process::{Command, Output};

fn migsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migsim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_papers_totals_predict_large_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("paper.csv");
    // 2 s + 1 s per 400 MiB, at 1, 2, 4 and 8 GiB.
    let rows: String = [1u64, 2, 4, 8]
        .map(|g| format!("{},total,{}\n", g << 30, 2.0 + g as f64 * 1024.0 / 400.0))
        .concat();
    std::fs::write(&csv, format!("memory_bytes,phase,seconds\n{rows}")).unwrap();
    let out_file = dir.path().join("paper.toml");
    let (csv, toml) = (csv.to_str().unwrap(), out_file.to_str().unwrap());
    let fit = migsim(&["calibrate", "fit", csv, "--out", toml]);
    assert!(fit.status.success(), "{}", text(&fit.stderr));
    let said = text(&fit.stdout);
    assert!(
        said.contains("the total line is the frozen part of stop-and-copy"),
        "{said}"
    );
    let predict = migsim(&[
        "calibrate",
        "predict",
        toml,
        "--memory",
        "50GiB",
        "--mechanism",
        "stop-and-copy",
    ]);
    assert!(predict.status.success(), "{}", text(&predict.stderr));
    let said = text(&predict.stdout);
    let total: f64 = said
        .lines()
        .find_map(|l| l.trim().strip_prefix("total"))
        .and_then(|v| v.trim().strip_suffix(" s"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no total in {said}"));
    let want = 2.0 + 50.0 * 1024.0 / 400.0;
    assert!(
        (total - want).abs() < 1e-3 * want,
        "{total} s, want {want} s"
    );
}

#[test]
fn phases_that_price_nothing_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("lazy.csv");
    std::fs::write(
        &csv,
        "memory_bytes,phase,seconds\n100,lazy_pull,1\n200,lazy_pull,2\n",
    )
    .unwrap();
    let out = migsim(&["calibrate", "fit", csv.to_str().unwrap()]);
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(!said.contains("panicked"), "{said}");
    assert!(
        said.contains("lazy.csv: the phases measured (lazy_pull) price no migration: measure dump (or checkpoint) and restore"),
        "{said}"
    );
}
