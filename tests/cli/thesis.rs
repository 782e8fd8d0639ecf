//! The thesis experiment (scenarios/thesis-2022.toml): its qualitative result holds over
//! several seeds, with the thesis's cost and with a calibrated one.

use std::path::{Path, PathBuf};
use std::process::Command;

use migsim::record::Metrics;
use migsim::scenario::{load_variant, variant_names, Override};
use migsim::RecordOptions;

const SEEDS: std::ops::RangeInclusive<u64> = 1..=5;

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/thesis-2022.toml")
}

/// Per seed, the metrics of `variant`.
fn runs(variant: &str, extra: &[&str]) -> Vec<Metrics> {
    SEEDS
        .map(|seed| {
            let mut sets = vec![Override::parse(&format!("simulation.seed={seed}")).unwrap()];
            sets.extend(extra.iter().map(|s| Override::parse(s).unwrap()));
            let s = load_variant(&scenario(), Some(variant), &sets).unwrap();
            migsim::run(&s, RecordOptions::default(), &mut |_| {}).metrics
        })
        .collect()
}

fn total(runs: &[Metrics], f: fn(&Metrics) -> f64) -> f64 {
    runs.iter().map(f).sum()
}

fn kills(m: &Metrics) -> f64 {
    m.oom_kills as f64
}

fn downtime(m: &Metrics) -> f64 {
    m.downtime_total_s
}

/// Without migration, pods are OOM-killed; moving big-enough or knapsack-chosen pods avoids
/// every kill over the seeds, paid for in downtime; moving only the largest pod does not
/// help. With the calibrated cost every move costs more downtime.
fn check(extra: &[&str]) -> [f64; 2] {
    let none = runs("none", extra);
    assert!(total(&none, kills) >= 5.0, "{}", total(&none, kills));
    assert_eq!(total(&none, downtime), 0.0);
    let mut per_move = [0.0; 2];
    for (i, v) in ["big-enough", "optimal"].into_iter().enumerate() {
        let r = runs(v, extra);
        assert!(
            total(&r, kills) <= 0.2 * total(&none, kills),
            "{v}: {} kills against {} without migration",
            total(&r, kills),
            total(&none, kills)
        );
        let moves: f64 = r.iter().map(|m| m.migrations.complete as f64).sum();
        assert!(moves >= 5.0 * SEEDS.count() as f64, "{v}: {moves} moves");
        assert!(total(&r, downtime) > 0.0);
        per_move[i] = total(&r, downtime) / moves;
    }
    let max = runs("max", extra);
    assert!(total(&max, kills) >= 0.8 * total(&none, kills));
    per_move
}

#[test]
fn migration_avoids_the_oom_kills_at_a_cost_in_downtime() {
    let thesis = check(&[]);
    let calibrated = check(&["migration.profile=ums-orchestrator-level"]);
    for (t, c) in thesis.iter().zip(&calibrated) {
        assert!(c > t, "calibrated {c} s per move, thesis {t} s");
    }
}

/// The risk request avoids as many kills as the knapsack over the seeds, for at most 60% of
/// its downtime; the peak predictors of the overcommit literature, which read levels, leave
/// most of the kills there are without a controller.
#[test]
fn the_risk_request_beats_the_knapsack_and_level_predictors_do_not_help() {
    let (risk, optimal) = (runs("risk", &[]), runs("optimal", &[]));
    assert!(total(&risk, kills) <= total(&optimal, kills));
    assert!(
        total(&risk, downtime) <= 0.6 * total(&optimal, downtime),
        "risk {} s, optimal {} s",
        total(&risk, downtime),
        total(&optimal, downtime)
    );
    let none = total(&runs("none", &[]), kills);
    for v in ["percentile", "n-sigma"] {
        let r = runs(v, &[]);
        assert!(
            total(&r, kills) >= 0.8 * none,
            "{v}: {} against {none}",
            total(&r, kills)
        );
        assert!(total(&r, downtime) > 0.0, "{v} moved nothing");
    }
}

/// The thesis's cost is a whole number of seconds per move: ceil(3.3506 s x GB).
#[test]
fn thesis_cost_rounds_each_move_up_to_whole_seconds() {
    let s = load_variant(&scenario(), Some("optimal"), &[]).unwrap();
    let out = migsim::run(&s, RecordOptions::default(), &mut |_| {});
    assert!(!out.record.migrations.is_empty());
    for m in out.record.migrations.iter().filter(|m| m.ended.is_some()) {
        let down = m.downtime.as_secs();
        let expected = (3.3506 * m.memory / 1e9).ceil();
        assert!(
            (down - expected).abs() < 1e-6,
            "{down} s for {} B",
            m.memory
        );
    }
}

#[test]
fn the_table_is_printed_by_one_command() {
    let o = Command::new(env!("CARGO_BIN_EXE_migsim"))
        .args(["variants", scenario().to_str().unwrap(), "--seeds", "2"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let names = variant_names(&scenario()).unwrap();
    assert_eq!(
        names,
        [
            "none",
            "max",
            "big-enough",
            "optimal",
            "slope",
            "predictive",
            "risk",
            "percentile",
            "n-sigma"
        ]
    );
    for n in &names {
        assert!(text.contains(&format!("| {n} |")), "{text}");
    }
    assert!(text.starts_with("| variant | OOM kills |"), "{text}");
}
