//! The notebook runs, headless, on a sweep made here, so it never rots. It needs the Python
//! packages of notebooks/requirements.txt: `scripts/test.sh` installs them and sets
//! MIGSIM_PYTHON (and MIGSIM_REQUIRE_NOTEBOOK, so that a missing Python fails instead of
//! skipping).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

use common::needs::Needs;

fn python() -> Result<PathBuf, String> {
    let python = std::env::var_os("MIGSIM_PYTHON").map(PathBuf::from);
    python.filter(|p| p.exists()).ok_or_else(|| {
        "MIGSIM_PYTHON names no python; run ./scripts/install-notebook.sh and set it to the path it prints".into()
    })
}

fn the_notebook_runs_on_a_fresh_sweep() {
    let python = python().expect("the harness checked for python");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("sweep");
    let o = Command::new(env!("CARGO_BIN_EXE_migsim"))
        .current_dir(root)
        .args([
            "sweep",
            "scenarios/thesis-2022.toml",
            "--quiet",
            "--seeds",
            "3",
        ])
        .args(["--vary", r#"variant=["none", "big-enough", "optimal"]"#])
        .arg("--out")
        .arg(&sweep)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let executed = dir.path().join("executed.ipynb");
    let o = Command::new(python)
        .arg(root.join("scripts/run-notebook.py"))
        .arg(root.join("notebooks/sweep.ipynb"))
        .arg(&executed)
        .env("MIGSIM_SWEEP", &sweep)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&executed).unwrap();
    let nb: serde_json::Value = serde_json::from_str(&text).unwrap();
    let outputs: Vec<&serde_json::Value> = nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.get("outputs")?.as_array())
        .flatten()
        .collect();
    assert!(outputs.iter().all(|o| o["output_type"] != "error"));
    let figures = outputs
        .iter()
        .filter(|o| o.pointer("/data/image~1png").is_some())
        .count();
    assert_eq!(figures, 2, "the figure and the scatter plot");
    assert!(text.contains("9 runs over axes ['variant']"), "{text}");
    assert!(text.contains("pairs agree"));
}

/// Its trials, each skipped with the reason where this machine lacks what it needs.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    let python = Needs::check(python().map(drop), "MIGSIM_REQUIRE_NOTEBOOK");
    vec![python.test(
        "the_notebook_runs_on_a_fresh_sweep",
        the_notebook_runs_on_a_fresh_sweep,
    )]
}
