//! A decision reads the jobs of no node but those [`Controller::reads_jobs_of`] names, and the
//! figures of no node on a usage line but those and the nodes migrations touch: on a view that
//! holds only those, every policy decides exactly as on the whole view. Through a target index
//! it decides as without one.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use super::*;
use crate::model::{ClassId, Usage};
use crate::policy::MigrationView;

const GIB: f64 = 1073741824.0;

/// A cluster of `nodes` random nodes, some full, with migrations in flight between them.
fn random_view(rng: &mut Pcg64, nodes: u32) -> ClusterView {
    let mut next_job = 0;
    let mut view = ClusterView {
        time: SimTime::from_secs(rng.random_range(0.0..3600.0)),
        nodes: Vec::new(),
        with_jobs: (0..nodes).map(NodeId).collect(),
        migrations: Vec::new(),
        lines: Vec::new(),
    };
    for id in 0..nodes {
        let capacity = [32.0, 64.0][rng.random_range(0..2)] * GIB;
        let mut jobs = Vec::new();
        let mut used = 0.0;
        while used < capacity * rng.random_range(0.3..1.05) {
            let memory = rng.random_range(0.5..12.0) * GIB;
            used += memory;
            jobs.push(JobView {
                id: JobId(next_job),
                class: ClassId(rng.random_range(0..3)),
                memory,
                growth: rng.random_range(0.0..4e6),
                request: 0.0,
                dirty_rate: None,
                cpu: f64::from(rng.random_range(1..4)),
                age: rng.random_range(0.0..3600.0),
                migrations: rng.random_range(0..3),
                migrating: false,
                failed_moves: rng.random_range(0..2),
                last_failed_move: None,
                remaining: rng.random_range(0.0..7200.0),
            });
            next_job += 1;
        }
        view.nodes.push(NodeView {
            id: NodeId(id),
            memory_capacity: capacity,
            memory_used: used,
            cpu_capacity: 32.0,
            cpu_requested: jobs.iter().map(|j| j.cpu).sum(),
            network: 1.25e9,
            cordoned: rng.random_bool(0.1),
            down: rng.random_bool(0.05),
            jobs,
        });
    }
    for _ in 0..rng.random_range(0..4) {
        let source = rng.random_range(0..nodes) as usize;
        let target = rng.random_range(0..nodes);
        let Some(job) = view.nodes[source].jobs.first_mut() else {
            continue;
        };
        job.migrating = true;
        view.migrations.push(MigrationView {
            job: job.id,
            source: NodeId(source as u32),
            target: NodeId(target),
            issued: view.time,
            incoming: job.memory * rng.random_range(0.0..1.0),
            cpu: job.cpu,
            committed: false,
            frozen: rng.random_bool(0.3),
        });
    }
    view
}

fn controller(toml_text: &str) -> Controller {
    let spec: ControllerSpec = toml::from_str(toml_text).expect("a controller spec");
    Controller::new(&spec, &MigrationSpec::default())
}

#[test]
fn a_decision_on_only_the_jobs_it_reads_is_the_decision_on_every_job() {
    let specs = [
        "threshold = 0.2\nselection = { policy = \"big-enough\" }\npacing = { policy = \"concurrent\", per_node = 1, cluster = 8 }",
        "threshold = 0.3\nselection = { policy = \"max\" }",
        "threshold = 0.15\nselection = { policy = \"optimal\", min_job = \"1GiB\" }\npacing = { policy = \"concurrent\", per_node = 2, cluster = 4 }",
        "threshold = 0.25\nselection = { policy = \"slope\" }\noracle = true",
        "threshold = 0.2\nrequest = { policy = \"slope\" }",
        "threshold = 0.2\nrequest = { policy = \"predictive\" }",
        "threshold = 0.2\nrequest = { policy = \"percentile\", percentile = 0.9 }",
        "threshold = 0.2\nrequest = { policy = \"n-sigma\", n = 2 }",
    ];
    let mut rng = Pcg64::seed_from_u64(16);
    let mut decided = 0;
    for text in specs {
        let mut c = controller(text);
        for _ in 0..200 {
            let mut full = random_view(&mut rng, 12);
            c.observe(&full);
            let index = index_of(&mut full, &mut rng);
            let mut sparse = full.clone();
            for n in sparse.nodes.iter_mut() {
                let bare = NodeView {
                    jobs: Vec::new(),
                    ..n.clone()
                };
                if !c.reads_jobs_of(&bare) {
                    n.jobs.clear();
                }
            }
            let holds = |id: &NodeId| !sparse.nodes[id.index()].jobs.is_empty();
            sparse.with_jobs = full.with_jobs.iter().copied().filter(holds).collect();
            // The figure of a node on a line that a snapshot does not settle is unknown.
            let touched = |id: NodeId| {
                let moving = |m: &MigrationView| m.source == id || m.target == id;
                sparse.with_jobs.contains(&id) || sparse.migrations.iter().any(moving)
            };
            let unsettled: Vec<usize> = (0..sparse.nodes.len())
                .filter(|&i| !touched(NodeId(i as u32)))
                .collect();
            unsettled
                .iter()
                .for_each(|&i| sparse.nodes[i].memory_used = f64::NAN);
            let d = c.decide(&full, None, None);
            assert_eq!(c.decide(&sparse, None, None), d, "{text}");
            assert_eq!(c.decide(&sparse, Some(&index), None), d, "{text}");
            decided += usize::from(!d.orders.is_empty());
        }
    }
    assert!(decided > 100, "only {decided} views led to orders");
}

/// Each node's usage as a line through its figure at the view's time, in the view and set in
/// an index that has followed the lines since `start`: the view's figures become the lines'
/// values.
fn index_of(view: &mut ClusterView, rng: &mut Pcg64) -> TargetIndex {
    let mut index = TargetIndex::new(view.nodes.len());
    let start = SimTime::from_secs(view.time.as_secs() * rng.random_range(0.0..1.0));
    index.advance(start);
    let mut lines = Vec::new();
    for i in 0..view.nodes.len() {
        let slope = rng.random_range(-1e6..4e6) * f64::from(rng.random_bool(0.8));
        let anchor = SimTime::from_secs(start.as_secs() * rng.random_range(0.0..1.0));
        let mut usage = Usage {
            used: view.nodes[i].memory_used - slope * (view.time - anchor).as_secs(),
            slope,
            anchor,
        };
        // Ties, which the first of equals wins.
        if i > 0 && rng.random_bool(0.2) {
            usage = lines[i - 1];
            view.nodes[i].memory_capacity = view.nodes[i - 1].memory_capacity;
        }
        let n = &mut view.nodes[i];
        n.memory_used = usage.at(view.time);
        index.set(i, n.memory_capacity, usage, start);
        lines.push(usage);
    }
    index.advance(view.time);
    view.lines = lines.iter().copied().map(Some).collect();
    // Some nodes change at the view's time, as a sync sets them.
    for (i, n) in view
        .nodes
        .iter()
        .enumerate()
        .filter(|_| rng.random_bool(0.1))
    {
        index.set(i, n.memory_capacity, lines[i], view.time);
    }
    index
}

#[test]
fn a_decision_through_the_target_index_is_the_decision_by_a_scan() {
    let specs = [
        "threshold = 0.2\nselection = { policy = \"big-enough\" }\npacing = { policy = \"concurrent\", per_node = 1, cluster = 8 }",
        "threshold = 0.3\nselection = { policy = \"max\" }\ntarget = { margin = 0.0 }",
        "threshold = 0.1\nselection = { policy = \"slope\" }\npacing = { policy = \"concurrent\", per_node = 2, cluster = 64 }",
    ];
    let mut rng = Pcg64::seed_from_u64(17);
    let mut ordered = 0;
    for text in specs {
        let c = controller(text);
        for _ in 0..300 {
            let nodes = rng.random_range(1..40);
            let mut view = random_view(&mut rng, nodes);
            let index = index_of(&mut view, &mut rng);
            let d = c.decide(&view, None, None);
            assert_eq!(c.decide(&view, Some(&index), None), d, "{text}");
            ordered += d.orders.len();
        }
    }
    assert!(ordered > 200, "only {ordered} orders");
}

/// A node on a usage line is never read before the instant [`Controller::reads_jobs_from`]
/// gives, and is read soon after it once its line rises past the threshold.
#[test]
fn no_node_asks_before_the_instant_its_line_gives() {
    let mut rng = Pcg64::seed_from_u64(17);
    let mut crossed = 0;
    for _ in 0..2000 {
        let threshold = rng.random_range(0.05..0.5);
        let c = controller(&format!("threshold = {threshold}"));
        let capacity = [24.0, 256.0][rng.random_range(0..2)] * GIB;
        let line = Usage {
            used: capacity * rng.random_range(0.0..1.0),
            slope: [0.0, -1e5, 5e4, 4e6][rng.random_range(0..4)],
            anchor: SimTime::from_secs(rng.random_range(0.0..1e6)),
        };
        let from = c.reads_jobs_from(&line, capacity);
        let node = |t: SimTime| NodeView {
            id: NodeId(0),
            memory_capacity: capacity,
            memory_used: line.at(t),
            cpu_capacity: 96.0,
            cpu_requested: 0.0,
            network: 1.25e9,
            cordoned: false,
            down: false,
            jobs: Vec::new(),
        };
        for _ in 0..50 {
            let t = line.anchor + SimDuration::from_secs(rng.random_range(0.0..1e6));
            if c.reads_jobs_of(&node(t)) {
                assert!(
                    from.is_some_and(|f| f <= t),
                    "{line:?} asks at {t} before {from:?}"
                );
            }
        }
        if let Some(f) = from.filter(|&f| f > line.anchor) {
            crossed += 1;
            let just_before =
                SimTime(f.0 - SimDuration::from_secs(0.5e-9 * capacity / line.slope).0);
            assert!(
                !c.reads_jobs_of(&node(just_before)),
                "{line:?} asks at {just_before}, before {f}"
            );
            let after = f + SimDuration::from_secs(1e-3 * capacity / line.slope);
            assert!(
                c.reads_jobs_of(&node(after)),
                "{line:?} not asking after {f}"
            );
        }
    }
    assert!(
        crossed > 200,
        "only {crossed} lines crossed the threshold later"
    );
}

/// A view at `t` s of one node of 100 bytes holding jobs 1 and 2 at the figures given.
fn two_jobs(t: f64, first: f64, second: f64) -> ClusterView {
    let job = |id: u32, memory: f64| JobView::placement(JobId(id), memory, 0.0, 1.0);
    ClusterView {
        time: SimTime::from_secs(t),
        nodes: vec![NodeView {
            id: NodeId(0),
            memory_capacity: 100.0,
            memory_used: first + second,
            cpu_capacity: 8.0,
            cpu_requested: 2.0,
            network: 1.25e9,
            cordoned: false,
            down: false,
            jobs: vec![job(1, first), job(2, second)],
        }],
        with_jobs: vec![NodeId(0)],
        ..ClusterView::default()
    }
}

/// The peak predictors ask for what their peak leaves short of the threshold, from the
/// levels monitoring showed and nothing else: job 1 was at 70 and is at 30 now, job 2 stays
/// at 20. At 50 bytes in use the threshold (keep 20 free) asks nothing; the sum of the jobs'
/// peaks, 90, asks for 10; the node's mean over (90, 50, 50, 50) plus 2 standard deviations
/// (60 + 2 x 17.32) for 14.64.
#[test]
fn peak_predictors_ask_for_what_their_peak_leaves_short() {
    let views = [
        two_jobs(10.0, 70.0, 20.0),
        two_jobs(20.0, 30.0, 20.0),
        two_jobs(30.0, 30.0, 20.0),
        two_jobs(40.0, 30.0, 20.0),
    ];
    let now = views.last().unwrap();
    let asks = |text: &str, seen: &[ClusterView]| {
        let mut c = controller(text);
        seen.iter().for_each(|v| c.observe(v));
        c.request(&now.nodes[0]).map(|r| r.amount)
    };
    assert_eq!(asks("threshold = 0.2", &views), None);
    let percentile = "threshold = 0.2\nrequest = { policy = \"percentile\", percentile = 1.0 }";
    assert_eq!(asks(percentile, &views), Some(10.0));
    let median = "threshold = 0.2\nrequest = { policy = \"percentile\", percentile = 0.5 }";
    assert_eq!(asks(median, &views), None, "the median of job 1 is 30");
    let short = "threshold = 0.2\nrequest = { policy = \"percentile\", percentile = 1.0, window = \"15s\" }";
    assert_eq!(asks(short, &views), None, "70 is older than the window");
    let sigma = "threshold = 0.2\nrequest = { policy = \"n-sigma\", n = 2 }";
    let got = asks(sigma, &views).unwrap();
    let want = 60.0 + 2.0 * 300f64.sqrt() - 80.0;
    assert!((got - want).abs() < 1e-9, "{got} against {want}");
    assert_eq!(
        asks(sigma, &views[1..]),
        None,
        "without the peak, a flat node"
    );
}
