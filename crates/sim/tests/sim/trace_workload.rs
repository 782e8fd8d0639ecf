//! A scenario whose workload is a trace: memory follows the samples by progress, held or
//! interpolated, and bad trace references are reported with their position.

use crate::common;

use std::path::Path;

use migsim_core::record::EventKind;
use migsim_scenario::scenario::load_str;
use migsim_sim::RecordOptions;

/// One job: 1 GiB at its start, 3 GiB one minute later, on a 2 GiB node.
fn write_trace(dir: &Path) {
    std::fs::write(
        dir.join("t.csv"),
        "job,offset_s,memory_bytes\na,0,1073741824\na,60,3221225472\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("t.jobs.csv"),
        "job,class,start_s,cpu,request_bytes,limit_bytes,started_before,running_at_end\na,x,30,2,,,false,false\n",
    )
    .unwrap();
}

fn scenario(dir: &Path, interpolation: &str) -> String {
    let text = format!(
        "[simulation]\nseed = 1\n[[nodes]]\nname = \"n\"\nmemory = \"2GiB\"\ncpu = 4\n[oom]\nmax_retries = 0\n[[workload.trace]]\nfile = \"t.csv\"\ninterpolation = \"{interpolation}\"\n"
    );
    std::fs::write(dir.join("s.toml"), &text).unwrap();
    text
}

/// When the job was OOM-killed, seconds after it arrived.
fn kill_after_start(interpolation: &str) -> f64 {
    let tmp = tempfile::tempdir().unwrap();
    write_trace(tmp.path());
    let text = scenario(tmp.path(), interpolation);
    let s = load_str(&text, &tmp.path().join("s.toml"), &[]).unwrap();
    let job = &s.jobs[0];
    assert_eq!(
        (job.name.as_str(), job.class.as_str(), job.cpu),
        ("a", "x", 2.0)
    );
    assert_eq!(job.arrival.as_secs(), 30.0);
    // Two samples a minute apart: two minutes of work.
    assert_eq!(job.work.as_secs(), 120.0);
    let out = common::run(
        &s,
        RecordOptions {
            events: true,
            job_samples: false,
            ..Default::default()
        },
    );
    let kill = out
        .record
        .events
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.kind == EventKind::OomKill)
        .expect("the job outgrows its node");
    kill.time.as_secs() - 30.0
}

#[test]
fn step_memory_jumps_at_the_next_sample_and_linear_memory_ramps() {
    // Held: 1 GiB until progress 60 s, then 3 GiB at once: killed at 60 s.
    assert_eq!(kill_after_start("step"), 60.0);
    // Linear: 1 GiB + 2 GiB/min reaches 2 GiB at 30 s.
    assert!((kill_after_start("linear") - 30.0).abs() < 1e-6);
}

#[test]
fn a_missing_or_bad_trace_names_the_scenario_key_and_the_trace_line() {
    let tmp = tempfile::tempdir().unwrap();
    let text = scenario(tmp.path(), "step");
    let err = load_str(&text, &tmp.path().join("s.toml"), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("s.toml:10:1: workload.trace[0].file"), "{err}");
    assert!(err.contains("t.jobs.csv: No such file"), "{err}");
    write_trace(tmp.path());
    std::fs::write(
        tmp.path().join("t.csv"),
        "job,offset_s,memory_bytes\na,0,1073741824\na,sixty,3221225472\n",
    )
    .unwrap();
    let err = load_str(&text, &tmp.path().join("s.toml"), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("workload.trace[0].file"), "{err}");
    assert!(err.contains("t.csv:3: field `offset_s`"), "{err}");
}
