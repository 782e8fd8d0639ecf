//! Bad input: exit code 2 and one message naming the file, line, column and key path; never a
//! panic, never a silent default.

use std::path::Path;
use std::process::{Command, Output};

fn migsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migsim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

const GOOD: &str = r#"[simulation]
seed = 1

[[nodes]]
name = "n"
memory = "10GiB"
cpu = 4

[[workload.jobs]]
name = "j"
work = "1h"
profile = { shape = "linear", start = "1GiB", growth = "1MiB/s", cap = "2GiB" }
"#;

/// Validates `text` (written to a file) and returns the error message.
fn rejects(text: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, text).unwrap();
    let mut args = vec!["validate", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = migsim(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).replace(dir.path().to_str().unwrap(), "DIR");
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
    stderr.trim().to_string()
}

#[test]
fn the_good_scenario_validates() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, GOOD).unwrap();
    let out = migsim(&["validate", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unknown_key_names_place_and_closest_key() {
    let msg = rejects(&GOOD.replace("cpu = 4", "cpu = 4\nmemroy = 3"), &[]);
    assert_eq!(
        msg,
        "error: DIR/s.toml:8:1: nodes[0].memroy: unknown key `memroy` (valid: name, count, memory, cpu, network, labels)\n  help: did you mean `memory`?"
    );
}

#[test]
fn unknown_enum_value_suggests_the_closest() {
    let msg = rejects(&GOOD.replace("\"linear\"", "\"lineer\""), &[]);
    assert!(
        msg.starts_with(
            "error: DIR/s.toml:12:13: workload.jobs[0].profile.shape: unknown value `lineer`"
        ),
        "{msg}"
    );
    assert!(msg.ends_with("did you mean `linear`?"), "{msg}");
}

#[test]
fn wrong_type_is_named() {
    let msg = rejects(&GOOD.replace("seed = 1", "seed = \"one\""), &[]);
    assert_eq!(
        msg,
        "error: DIR/s.toml:2:1: simulation.seed: invalid type: string \"one\", expected u64"
    );
}

#[test]
fn zero_and_negative_capacities_are_rejected() {
    let msg = rejects(&GOOD.replace("memory = \"10GiB\"", "memory = 0"), &[]);
    assert_eq!(
        msg,
        "error: DIR/s.toml:6:1: nodes[0].memory: must be positive, got 0"
    );
    let msg = rejects(&GOOD.replace("cpu = 4", "cpu = -2"), &[]);
    assert_eq!(
        msg,
        "error: DIR/s.toml:7:1: nodes[0].cpu: must be positive, got -2"
    );
}

#[test]
fn nonsense_profiles_are_rejected() {
    let msg = rejects(&GOOD.replace("cap = \"2GiB\"", "cap = \"512MiB\""), &[]);
    assert!(msg.starts_with("error: DIR/s.toml:12:"), "{msg}");
    assert!(
        msg.contains("workload.jobs[0].profile.cap: cap 536870912 is below start 1073741824"),
        "{msg}"
    );
    let msg = rejects(
        &GOOD.replace("growth = \"1MiB/s\"", "growth = \"fast\""),
        &[],
    );
    assert!(
        msg.starts_with(
            "error: DIR/s.toml:12:47: workload.jobs[0].profile.growth: invalid rate `fast`"
        ),
        "{msg}"
    );
    let points = r#"profile = { shape = "points", points = [[0, "1GiB"], ["1m", "2GiB"], ["30s", "3GiB"]] }"#;
    let msg = rejects(
        &GOOD.replace(&GOOD[GOOD.find("profile").unwrap()..], points),
        &[],
    );
    assert!(
        msg.contains(
            "workload.jobs[0].profile.points[2][0]: progress points must be strictly increasing"
        ),
        "{msg}"
    );
}

#[test]
fn errors_inside_tagged_tables_keep_their_exact_key() {
    let growth = r#"growth = { dist = "uniform", min = "1MiB/s", max = "2XB/s" }"#;
    let msg = rejects(&GOOD.replace("growth = \"1MiB/s\"", growth), &[]);
    assert!(msg.starts_with("error: DIR/s.toml:12:"), "{msg}");
    assert!(
        msg.contains(": workload.jobs[0].profile.growth.max: invalid rate `2XB/s`"),
        "{msg}"
    );
    let msg = rejects(&GOOD.replace("growth = ", "grwoth = "), &[]);
    assert!(
        msg.contains("workload.jobs[0].profile.grwoth: unknown key `grwoth`"),
        "{msg}"
    );
    assert!(msg.ends_with("help: did you mean `growth`?"), "{msg}");
    let msg = rejects(&GOOD.replace("cap = \"2GiB\"", "size = \"2GiB\""), &[]);
    assert!(msg.ends_with("workload.jobs[0].profile: `size` does not apply to a linear profile (it takes start, growth, cap)"), "{msg}");
}

#[test]
fn a_profile_that_overflows_is_rejected_before_the_run() {
    let exploding = r#"profile = { shape = "exponential", start = "1B", doubling = "1ns" }"#;
    let msg = rejects(
        &GOOD.replace(&GOOD[GOOD.find("profile").unwrap()..], exploding),
        &[],
    );
    assert_eq!(
        msg,
        "error: DIR/s.toml:12:1: workload.jobs[0].profile: job `j` would need unbounded memory within its 1h 00m 00s of work: give the profile a `cap`"
    );
}

#[test]
fn a_request_too_large_to_represent_is_rejected() {
    let class = r#"[[workload.generate]]
name = "c"
count = 20
arrival = { process = "batch" }
work = "1h"
request = { dist = "exponential", mean = 1e308 }
profile = { shape = "constant", size = "1GiB" }
"#;
    let msg = rejects(
        &format!(
            "{}{class}",
            &GOOD[..GOOD.find("[[workload.jobs]]").unwrap()]
        ),
        &[],
    );
    assert!(
        msg.starts_with("error: DIR/s.toml:14:1: workload.generate[0].request: job `c-"),
        "{msg}"
    );
    assert!(
        msg.ends_with("drew a request too large to represent: narrow its distribution"),
        "{msg}"
    );
}

#[test]
fn missing_required_key_points_at_its_table() {
    let msg = rejects(&GOOD.replace("work = \"1h\"\n", ""), &[]);
    assert_eq!(
        msg,
        "error: DIR/s.toml:9:1: workload.jobs[0]: missing field `work`"
    );
}

#[test]
fn syntax_errors_have_a_position() {
    let msg = rejects(&GOOD.replace("[[nodes]]", "[[nodes]"), &[]);
    assert!(
        msg.starts_with("error: DIR/s.toml:4:8: invalid TOML"),
        "{msg}"
    );
}

#[test]
fn bad_overrides_blame_the_override() {
    let msg = rejects(GOOD, &["--set", "scheduler.placement=bestfit"]);
    assert!(msg.starts_with("error: DIR/s.toml (from --set scheduler.placement=bestfit): scheduler.placement: unknown value `bestfit`"), "{msg}");
    assert!(msg.ends_with("did you mean `best-fit`?"), "{msg}");
    let msg = rejects(GOOD, &["--set", "nodes[4].cpu=2"]);
    assert!(
        msg.contains("index 4 is out of range: there are 1 entries"),
        "{msg}"
    );
}

#[test]
fn missing_file_says_what_to_do() {
    let out = migsim(&["run", "no/such/scenario.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: no/such/scenario.toml: cannot read the scenario"),
        "{stderr}"
    );
    assert!(stderr.contains("help: check the path"), "{stderr}");
    assert!(!Path::new("results/scenario").exists());
}

#[test]
fn an_unwritable_output_directory_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, GOOD).unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let out = migsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        blocker.join("sub").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot write results to"),
        "{stderr}"
    );
}

#[test]
fn migration_and_controller_mistakes_are_named() {
    let with = |extra: &str| format!("{GOOD}\n{extra}\n");
    let msg = rejects(&with("[migration]\nprofile = \"ums-service\""), &[]);
    assert!(
        msg.contains(":13:") || msg.contains("migration.profile"),
        "{msg}"
    );
    assert!(
        msg.contains("migration.profile: unknown cost profile `ums-service`; the profiles are ums-service-level"),
        "{msg}"
    );
    let msg = rejects(
        &with("[controller]\nselection = { policy = \"biggest\" }"),
        &[],
    );
    assert!(msg.contains("controller.selection"), "{msg}");
    assert!(
        msg.contains("biggest") && msg.contains("big-enough"),
        "{msg}"
    );
    // A key of another policy is an error, not silently ignored.
    let msg = rejects(
        &with("[controller]\nselection = { policy = \"max\", min_job = \"5GB\" }"),
        &[],
    );
    assert!(
        msg.contains("s.toml:15:31: controller.selection.min_job: unknown key `min_job`"),
        "{msg}"
    );
    let msg = rejects(&with("[controller]\nthreshold = 45"), &[]);
    assert!(
        msg.contains(
            "DIR/s.toml:15:1: controller.threshold: a free fraction must be in [0, 1), got 45"
        ),
        "{msg}"
    );
    let msg = rejects(
        &with("[failures]\nnodes = [{ node = \"m\", at = \"1h\" }]"),
        &[],
    );
    assert!(
        msg.contains("failures.nodes[0].node: no node is named `m`; did you mean `n`?"),
        "{msg}"
    );
    let msg = rejects(&with("[failures]\nmigration = { checkpoint = 1.5 }"), &[]);
    assert!(
        msg.contains("failures.migration.checkpoint: a probability must be in [0, 1], got 1.5"),
        "{msg}"
    );
    let msg = rejects(GOOD, &["--set", "migration.mechanism=live"]);
    assert!(
        msg.contains("--set migration.mechanism=live") && msg.contains("pre-copy"),
        "{msg}"
    );
}

/// A table read by its tag (`policy = ...`) is named down to the key whose value is refused,
/// at that key's line and column, in the file and from a variant.
#[test]
fn a_bad_value_inside_a_tagged_table_names_its_key() {
    let request =
        "\n[controller]\nrequest = { policy = \"risk\", target = 0.1, prior = \"foo\" }\n";
    let msg = rejects(&format!("{GOOD}{request}"), &[]);
    assert_eq!(
        msg,
        "error: DIR/s.toml:15:44: controller.request.prior: unknown value `foo` (valid: age, class)"
    );
    let pacing = "\n[variants]\nv = { controller = { pacing = { policy = \"concurrent\", per_node = -1 } } }\n";
    let msg = rejects(&format!("{GOOD}{pacing}"), &["--variant", "v"]);
    assert!(
        msg.contains("controller.pacing.per_node: invalid value: integer `-1`, expected u32"),
        "{msg}"
    );
}
