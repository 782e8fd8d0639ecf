//! The report as Markdown tables, for a terminal or a paper's notes.

use std::fmt::Write;

use crate::compare::Report;
use crate::units::human_bytes;

fn num(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.3}"))
}

fn times(v: &[f64]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter()
        .map(|t| format!("{t:.1}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let l = &r.live;
    let _ = writeln!(
        s,
        "# {}: simulation against the {} backend\n\ncriu {}, kernel {}, cgroup {:?}, speed {}x, memory x{}\n",
        r.scenario, l.backend, l.criu, l.kernel, l.cgroup, l.speed, l.memory_scale
    );
    s.push_str("## Headline\n\n| metric | sim | live | live - sim |\n|---|---:|---:|---:|\n");
    for m in &r.metrics {
        let diff = m.sim.zip(m.live).map(|(a, b)| b - a);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            m.name,
            num(m.sim),
            num(m.live),
            num(diff)
        );
    }
    s.push_str(&starts(std::slice::from_ref(r)));
    s.push_str("\n## Migrations: real against the cost model and the simulator\n\n");
    if r.migrations.is_empty() {
        s.push_str("No live migrations.\n");
    } else {
        s.push_str("| job | mechanism | memory | issued (s) | outcome | live total (s) | live downtime (s) | model total (s) | model downtime (s) | live / model total | live / model downtime | sim issued (s) | sim memory | sim downtime (s) |\n|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for m in &r.migrations {
            let ratio = |r: Option<f64>| r.map_or("-".into(), |r| format!("{r:.2}"));
            let _ =
                writeln!(
                s,
                "| {} | {} | {} | {:.2} | {}{} | {} | {:.3} | {:.3} | {:.3} | {} | {} | {} | {} | {} |",
                m.job,
                m.mechanism,
                human_bytes(m.memory_bytes),
                m.issued_s,
                m.outcome,
                if m.reason.is_empty() { String::new() } else { format!(": {}", m.reason) },
                num(m.live_duration_s),
                m.live_downtime_s,
                m.model_duration_s,
                m.model_downtime_s,
                ratio(m.total_ratio()),
                ratio(m.downtime_ratio()),
                num(m.sim_issued_s),
                m.sim_memory_bytes.map_or("-".into(), human_bytes),
                num(m.sim_downtime_s),
            );
        }
    }
    s.push_str("\n## OOM kills (times, s)\n\n");
    if r.kills.is_empty() {
        s.push_str("None in either run.\n");
    } else {
        s.push_str("| job | sim | live |\n|---|---|---|\n");
        for k in &r.kills {
            let _ = writeln!(s, "| {} | {} | {} |", k.job, times(&k.sim), times(&k.live));
        }
    }
    s.push_str("\n## Memory utilisation over time\n\n| node | sim mean | live mean | mean abs diff (pp) | max abs diff (pp) | samples |\n|---|---:|---:|---:|---:|---:|\n");
    for u in &r.utilization {
        let _ = writeln!(
            s,
            "| {} | {:.1}% | {:.1}% | {:.2} | {:.2} | {} |",
            u.node,
            100.0 * u.sim_mean,
            100.0 * u.live_mean,
            100.0 * u.mean_abs_diff,
            100.0 * u.max_abs_diff,
            u.samples
        );
    }
    s
}

/// How long each backend took to start a job (the simulator starts them at once).
fn starts(reports: &[Report]) -> String {
    let mut s = String::from("\n## Job starts: the start asked for until the job runs (real s)\n\n| backend | starts | mean | p50 | max |\n|---|---:|---:|---:|---:|\n");
    for r in reports {
        let _ = match &r.live.start_latency {
            Some(l) => writeln!(
                s,
                "| {} | {} | {:.3} | {:.3} | {:.3} |",
                backend(r),
                l.starts,
                l.mean_s,
                l.p50_s,
                l.max_s
            ),
            None => writeln!(s, "| {} | - | - | - | - |", backend(r)),
        };
    }
    s
}

/// What a report's live run ran on, short: `local`, `kubernetes`.
fn backend(r: &Report) -> &str {
    r.live.backend.split(" (").next().unwrap_or_default()
}

/// Several live runs of one scenario (each backend's) against the same simulation: the
/// headline metrics in one table, a column per run, and every real migration in another.
pub fn side_by_side(reports: &[Report]) -> String {
    let mut s = String::new();
    let Some(first) = reports.first() else {
        return s;
    };
    let names: Vec<&str> = reports.iter().map(backend).collect();
    let _ = writeln!(
        s,
        "# {}: simulation against the {} backends\n",
        first.scenario,
        names.join(", ")
    );
    let _ = writeln!(
        s,
        "## Headline\n\n| metric | sim | {} |\n|---|---:|{}",
        names.join(" | "),
        "---:|".repeat(names.len())
    );
    for (k, m) in first.metrics.iter().enumerate() {
        let lives: Vec<String> = reports
            .iter()
            .map(|r| num(r.metrics.get(k).and_then(|x| x.live)))
            .collect();
        let _ = writeln!(s, "| {} | {} | {} |", m.name, num(m.sim), lives.join(" | "));
    }
    s.push_str(&starts(reports));
    s.push_str("\n## Migrations\n\n| backend | job | mechanism | memory | outcome | live total (s) | live downtime (s) | model downtime (s) | sim downtime (s) |\n|---|---|---|---:|---|---:|---:|---:|---:|\n");
    for r in reports {
        for m in &r.migrations {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {:.3} | {:.3} | {} |",
                backend(r),
                m.job,
                m.mechanism,
                human_bytes(m.memory_bytes),
                m.outcome,
                num(m.live_duration_s),
                m.live_downtime_s,
                m.model_downtime_s,
                num(m.sim_downtime_s),
            );
        }
    }
    s
}
