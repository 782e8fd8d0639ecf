//! Parity: the control loop's decisions are a function of the facts it reads and nothing else.
//! The simulator runs with every fact and order of every turn taped; a fresh loop then plays
//! the facts back with no cluster behind them and must order exactly the same.

use std::collections::BTreeSet;
use std::path::Path;

use crate::engine::RngStreams;
use crate::policy::control::tape::{Action, Playback, Tape};
use crate::policy::ControlLoop;
use crate::scenario::{load_str, Scenario};
use crate::{RecordOptions, Simulator};

/// Every policy at work at once: cordons, concurrent pre-copy moves with failures and
/// cancellations, node failures, shortages, stale orders, random placement.
const BUSY: &str = r#"
[simulation]
seed = 5
[[nodes]]
name = "node"
count = 6
memory = "64GiB"
cpu = 16
network = "1Gbit/s"
[[workload.generate]]
name = "s"
count = 120
arrival = { process = "poisson", mean_gap = "40s" }
work = { dist = "lognormal", mean = "1h", std = "30m" }
cpu = { dist = "uniform", min = 1, max = 6 }
profile = { shape = "linear", start = "1GiB", growth = { dist = "uniform", min = "1MiB/s", max = "6MiB/s" }, cap = "20GiB" }
[[workload.generate]]
name = "l"
count = 20
arrival = { process = "poisson", mean_gap = "5m" }
work = { dist = "uniform", min = "1h", max = "3h" }
cpu = 4
profile = { shape = "logistic", start = "1GiB", peak = { dist = "uniform", min = "20GiB", max = "50GiB" }, midpoint = 0.4, steepness = 10 }
[scheduler]
placement = "random"
reservation = 0.1
[unscheduler]
threshold = 0.8
hysteresis = 0.1
[monitor]
interval = "15s"
delay = "20s"
window = "2m"
[controller]
threshold = 0.3
selection = { policy = "big-enough" }
pacing = { policy = "concurrent", per_node = 2, cluster = 4 }
[migration]
mechanism = "pre-copy"
profile = "ums-orchestrator-level"
pre_copy = { dirty_rate = "20MiB/s" }
[failures]
migration = { transfer = 0.1, restore = 0.05 }
nodes = [{ node = "node-1", at = "1h", repair = "20m" }, { node = "node-4", at = "2h" }]
random = { mtbf = "6h", repair = "15m" }
"#;

/// A queue that can never be placed: a job larger than every node.
const STALLS: &str = r#"
[simulation]
seed = 1
[[nodes]]
name = "n"
memory = "8GiB"
cpu = 4
[[workload.jobs]]
name = "small"
work = "10m"
profile = { shape = "constant", size = "1GiB" }
[[workload.jobs]]
name = "huge"
work = "10m"
request = "peak"
profile = { shape = "constant", size = "16GiB" }
[scheduler]
kind = "conservative"
"#;

fn taped_run(toml: &str) -> (Scenario, Tape) {
    let s = load_str(toml, Path::new("parity.toml"), &[]).expect("the scenario loads");
    let mut sim = Simulator::new(&s.spec, s.jobs.iter().cloned(), RecordOptions::default());
    sim.tape = Some(Tape::default());
    sim.run_events(&mut |_| {});
    let tape = sim.tape.take().expect("the tape stays in its slot");
    (s, tape)
}

/// Plays every turn's facts back to a fresh loop; returns the kinds of order it gave.
fn play_back(s: &Scenario, tape: &Tape) -> BTreeSet<&'static str> {
    let rng = RngStreams::new(s.spec.simulation.seed).stream("scheduler");
    let mut control = ControlLoop::new(s.spec.control(), rng);
    let mut kinds = BTreeSet::new();
    for (i, recorded) in tape.turns.iter().enumerate() {
        let mut playback = Playback::new(&recorded.answers);
        control.turn(recorded.turn, &mut playback);
        assert_eq!(
            playback.actions, recorded.actions,
            "turn {i} ({:?}) decided differently",
            recorded.turn
        );
        assert_eq!(playback.unasked(), 0, "turn {i} asked fewer questions");
        kinds.extend(playback.actions.iter().map(kind));
    }
    kinds
}

fn kind(a: &Action) -> &'static str {
    match a {
        Action::Place(_) => "place",
        Action::Cordon(..) => "cordon",
        Action::CallOff(..) => "call off",
        Action::Migrate(_) => "migrate",
        Action::Stale(_) => "stale",
        Action::Provision(_) => "provision",
        Action::Stalled => "stalled",
    }
}

#[test]
fn a_loop_playing_back_the_simulators_facts_orders_exactly_what_it_ordered() {
    let (s, tape) = taped_run(BUSY);
    assert!(tape.turns.len() > 1000, "{} turns", tape.turns.len());
    let kinds = play_back(&s, &tape);
    let every = [
        "call off",
        "cordon",
        "migrate",
        "place",
        "provision",
        "stale",
    ];
    assert_eq!(
        kinds,
        BTreeSet::from(every),
        "the run exercises every order"
    );
}

#[test]
fn a_stall_is_found_again_from_the_same_facts() {
    let (s, tape) = taped_run(STALLS);
    let last = tape.turns.last().expect("a turn was taped");
    assert_eq!(last.actions.last(), Some(&Action::Stalled));
    assert!(play_back(&s, &tape).contains("stalled"));
}
