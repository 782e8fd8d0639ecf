//! The scheduler's node index decides as a scan of every node does, and a snapshot retaken
//! from change notes shows what one read anew does. A taped run reads the cluster through the
//! tape's plant, which says nothing of which nodes changed or how their memory moves, so its
//! loop computes every node's room in every pass and reads every node at every snapshot: the
//! same runs with and without the tape must record the same.

use std::path::Path;

use crate::policy::control::tape::Tape;
use crate::scenario::load_str;
use crate::scenario::Override;
use crate::{RecordOptions, Simulator};

/// Growing, shrinking, flat and stepped jobs on nodes of two sizes, with OOM kills, a
/// controller's migrations and a node failure: every way a node's room moves.
const MIXED: &str = r#"
[simulation]
seed = 3
end = "12h"
[[nodes]]
name = "big"
count = 5
memory = "64GiB"
cpu = 16
[[nodes]]
name = "small"
count = 7
memory = "24GiB"
cpu = 8
[[workload.generate]]
name = "grow"
count = 150
arrival = { process = "poisson", mean_gap = "90s" }
work = { dist = "lognormal", mean = "2h", std = "1h" }
cpu = { dist = "uniform", min = 1, max = 4 }
request = "peak"
profile = { shape = "linear", start = "1GiB", growth = { dist = "uniform", min = "0.2MiB/s", max = "3MiB/s" }, cap = { dist = "uniform", min = "4GiB", max = "16GiB" } }
[[workload.generate]]
name = "steps"
count = 40
arrival = { process = "poisson", mean_gap = "5m" }
work = "1h"
cpu = 2
profile = { shape = "points", points = [["0s", "1GiB"], ["20m", "8GiB"], ["40m", "3GiB"], ["50m", "12GiB"]] }
[[workload.generate]]
name = "flat"
count = 40
arrival = { process = "poisson", mean_gap = "5m" }
work = "3h"
profile = { shape = "constant", size = { dist = "uniform", min = "1GiB", max = "6GiB" } }
[monitor]
interval = "15s"
delay = "15s"
[controller]
threshold = 0.15
selection = { policy = "big-enough" }
pacing = { policy = "concurrent", per_node = 1, cluster = 3 }
[migration]
mechanism = "stop-and-copy"
[failures]
nodes = [{ node = "big-2", at = "3h", repair = "1h" }]
"#;

/// The run's record, in a form two runs compare by.
fn record(toml: &str, sets: &[&str], taped: bool) -> String {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let s = load_str(toml, Path::new("scan.toml"), &overrides).expect("the scenario loads");
    let mut sim = Simulator::new(&s.spec, s.jobs.iter().cloned(), RecordOptions::default());
    if taped {
        sim.tape = Some(Tape::default());
    }
    let out = sim.run(&mut |_| {});
    let r = &out.record;
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        r.jobs, r.migrations, r.oom_kills, r.node_samples
    )
}

#[test]
fn placement_through_the_index_is_placement_by_a_scan() {
    let placements = ["first-fit", "best-fit", "worst-fit", "random"];
    let reservations = ["scheduler.reservation=0", "scheduler.reservation=0.4"];
    let mut varied = 0;
    for (i, placement) in placements.iter().enumerate() {
        for reservation in reservations {
            let seed = format!("simulation.seed={}", 11 + i);
            let set = [
                &format!("scheduler.placement=\"{placement}\"")[..],
                reservation,
                &seed,
            ];
            let indexed = record(MIXED, &set, false);
            assert_eq!(
                indexed,
                record(MIXED, &set, true),
                "{set:?}: the index placed differently from a scan"
            );
            varied += usize::from(indexed.contains("OomKill"));
        }
    }
    assert!(varied > 0, "the runs exercise OOM kills");
}

#[test]
fn conservative_placement_through_the_index_is_placement_by_a_scan() {
    let set = [
        "scheduler.kind=\"conservative\"",
        "scheduler.placement=\"worst-fit\"",
    ];
    assert_eq!(record(MIXED, &set, false), record(MIXED, &set, true));
}

#[test]
fn snapshots_retaken_from_change_notes_show_what_a_scan_shows() {
    // Snapshots visible only after two more are taken, decisions on every other one, and an
    // unscheduler cordoning from them.
    let set = [
        "monitor.interval=\"10s\"",
        "monitor.delay=\"25s\"",
        "controller.interval=\"20s\"",
        "unscheduler.threshold=0.8",
    ];
    let indexed = record(MIXED, &set, false);
    assert_eq!(indexed, record(MIXED, &set, true));
    assert!(indexed.contains("cause: \"threshold"), "the runs migrate");
}
