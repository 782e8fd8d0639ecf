//! The risk request on jobs whose growth the tests know: a job that jumps once every 16
//! monitoring steps rises within h steps with probability h/16, exactly, in its own history
//! and in its cohort's; the controller must report that risk and move the job, and never move
//! a flat one.

use crate::engine::SimTime;
use crate::migration::MigrationSpec;
use crate::model::{ClassId, JobId, NodeId};
use crate::policy::controller::{Controller, ControllerSpec, Growth, Prior};
use crate::policy::{ClusterView, JobView, NodeView};

const GIB: f64 = 1073741824.0;
const STEP: f64 = 10.0;
const PERIOD: usize = 16;
const JUMP: f64 = 0.0625 * GIB;

fn controller() -> Controller {
    let spec: ControllerSpec =
        toml::from_str("request = { policy = \"risk\", target = 0.01 }").unwrap();
    Controller::new(&spec, &MigrationSpec::default())
}

/// A job of `age` seconds, whose age stays put: its increments go to one cohort.
fn job(id: u32, memory: f64, age: f64) -> JobView {
    JobView {
        age,
        ..JobView::placement(JobId(id), memory, 0.0, 1.0)
    }
}

/// Node 0 holds the jumper (job 0, new) and a flat job (job 1, ten hours old: of another
/// cohort, so that neither is the other's prior) and has `free` bytes free; node 1 is empty.
fn view(step: usize, jumper: f64, free: f64) -> ClusterView {
    let jobs = vec![job(0, jumper, 0.0), job(1, 2.0 * GIB, 36000.0)];
    let used: f64 = jobs.iter().map(|j| j.memory).sum();
    let node = |id: u32, jobs: Vec<JobView>, used: f64, capacity: f64| NodeView {
        id: NodeId(id),
        memory_capacity: capacity,
        memory_used: used,
        cpu_capacity: 64.0,
        cpu_requested: jobs.len() as f64,
        network: 1.25e9,
        cordoned: false,
        down: false,
        jobs,
    };
    ClusterView {
        time: SimTime::from_secs(STEP * step as f64),
        nodes: vec![
            node(0, jobs, used, used + free),
            node(1, Vec::new(), 0.0, 256.0 * GIB),
        ],
        with_jobs: vec![NodeId(0), NodeId(1)],
        migrations: Vec::new(),
        lines: Vec::new(),
    }
}

/// The jumper's memory after `step` steps: one jump every PERIOD steps, or none at all.
fn jumper(step: usize, jumps: bool) -> f64 {
    GIB + if jumps {
        JUMP * (step / PERIOD) as f64
    } else {
        0.0
    }
}

/// Feeds a history of `steps` views, then decides on the last with `free` bytes free.
fn decide_after(
    c: &mut Controller,
    steps: usize,
    jumps: bool,
    free: f64,
) -> super::super::Decisions {
    for s in 0..steps {
        c.observe(&view(s, jumper(s, jumps), 100.0 * GIB));
    }
    let last = view(steps, jumper(steps, jumps), free);
    c.observe(&last);
    c.decide(&last, None, None)
}

/// The horizon, in steps, that the risk of a node holding these jobs is judged over: a
/// control interval and the move of its largest job, rounded up to a horizon it keeps.
fn horizon_steps(c: &Controller, steps: usize) -> usize {
    let last = view(steps, jumper(steps, true), 0.0);
    let n = &last.nodes[0];
    let largest = n.jobs.iter().map(|j| c.expected(n, j)).fold(0.0, f64::max);
    let k = ((c.spec.interval.value + largest) / STEP).ceil() as usize;
    [1, 2, 4, 8, 16].into_iter().find(|&h| h >= k).unwrap()
}

#[test]
fn a_job_that_jumps_is_moved_at_the_risk_its_jumps_give() {
    let mut c = controller();
    // A history whose windows of h steps, for the h used, cover whole periods.
    let h = horizon_steps(&c, 20 * PERIOD);
    assert!(h <= 8, "the test's jobs move in under 8 steps, not {h}");
    let steps = 20 * PERIOD + h - 1;
    let d = decide_after(&mut c, steps, true, 0.75 * JUMP);
    // Of the windows of h steps, h in PERIOD hold a jump, which alone overflows the node.
    let risk = h as f64 / PERIOD as f64;
    assert_eq!(d.orders.len(), 1, "{d:?}");
    let order = &d.orders[0];
    assert_eq!(
        (order.job, order.source, order.target),
        (JobId(0), NodeId(0), NodeId(1))
    );
    let said = format!("risk: {:.1}% chance of OOM", 100.0 * risk);
    assert!(
        order.cause.starts_with(&said),
        "{} against {said}",
        order.cause
    );
}

#[test]
fn a_flat_job_is_never_moved() {
    let mut c = controller();
    let d = decide_after(&mut c, 20 * PERIOD, false, 0.001 * GIB);
    assert!(d.orders.is_empty() && d.shortages.is_empty(), "{d:?}");
}

/// What the controller learns is what the views showed: the same views give the same
/// decisions, whatever the fields monitoring cannot know (the work left) say.
#[test]
fn the_risk_is_learnt_from_the_views_alone() {
    let (mut a, mut b) = (controller(), controller());
    for s in 0..200 {
        let v = view(s, jumper(s, true), 100.0 * GIB);
        let mut hidden = v.clone();
        for j in hidden.nodes.iter_mut().flat_map(|n| n.jobs.iter_mut()) {
            j.remaining = s as f64 * 7.0;
        }
        a.observe(&v);
        b.observe(&hidden);
    }
    let last = view(200, jumper(200, true), 0.75 * JUMP);
    a.observe(&last);
    b.observe(&last);
    assert_eq!(a.decide(&last, None, None), b.decide(&last, None, None));
    // A view seen again teaches nothing.
    let before = a.decide(&last, None, None);
    a.observe(&view(3, jumper(3, true), 100.0 * GIB));
    assert_eq!(a.decide(&last, None, None), before);
}

#[test]
fn a_risk_target_is_a_probability() {
    for bad in ["0.0", "1.0", "-0.1"] {
        let text = format!("request = {{ policy = \"risk\", target = {bad} }}");
        let spec: ControllerSpec = toml::from_str(&text).unwrap();
        let e = spec.check(&crate::keypath::KeyPath::root()).unwrap_err();
        assert_eq!(e.path.to_string(), "request.target");
        assert!(e.message.contains("must be in (0, 1)"), "{bad}: {e:?}");
    }
}

/// One node holding `jobs` with `free` bytes free, at step `step`.
fn one_node(step: usize, jobs: Vec<JobView>, free: f64) -> ClusterView {
    let used: f64 = jobs.iter().map(|j| j.memory).sum();
    ClusterView {
        time: SimTime::from_secs(STEP * step as f64),
        nodes: vec![NodeView {
            id: NodeId(0),
            memory_capacity: used + free,
            memory_used: used,
            cpu_capacity: 1e3,
            cpu_requested: jobs.len() as f64,
            network: 1.25e9,
            cordoned: false,
            down: false,
            jobs,
        }],
        with_jobs: vec![NodeId(0)],
        migrations: Vec::new(),
        lines: Vec::new(),
    }
}

fn of_class(id: u32, class: &str, memory: f64, age: f64) -> JobView {
    JobView {
        class: ClassId::of(class),
        ..job(id, memory, age)
    }
}

/// Eight jobs of class `a` that jump every 4 steps and eight of class `b` that stay flat, all
/// of one age: 64 increments a job, 16 of the `a` ones jumps.
fn two_classes(prior: Prior) -> Growth {
    let mut g = Growth::new(prior);
    for s in 0..=64 {
        let mut jobs = Vec::new();
        for i in 0..8 {
            jobs.push(of_class(i, "a", GIB + JUMP * (s / 4) as f64, 0.0));
            jobs.push(of_class(100 + i, "b", GIB, 0.0));
        }
        g.observe(&one_node(s, jobs, 100.0 * GIB));
    }
    g
}

/// A job new to the views takes its own class's rate of jumps as its prior (1/4 and 0 over
/// one step) with the prior by class, and the 1/8 of every class pooled by age alone.
#[test]
fn a_new_job_takes_its_classes_prior() {
    let tail = |g: &Growth, class| g.rise(&of_class(999, class, GIB, 0.0), STEP, 0.5 * JUMP).0;
    let g = two_classes(Prior::Class);
    assert_eq!((tail(&g, "a"), tail(&g, "b")), (0.25, 0.0));
    let g = two_classes(Prior::Age);
    assert_eq!((tail(&g, "a"), tail(&g, "b")), (0.125, 0.125));
}

/// A job whose age went back to zero was restarted: its rerun expects the rise its previous
/// run showed at the same age, which a job with the same history but no previous run, and
/// a prior of flat jobs, does not.
#[test]
fn a_restarted_job_expects_what_its_last_run_did() {
    let mut g = Growth::default();
    let flat = |s: usize| (1..40).map(move |i| job(i, GIB, STEP * s as f64));
    // Job 0 ramps by 1 GiB a step for 6 steps, then is restarted; job 50 arrives with it.
    for s in 0..6 {
        let ramp = job(0, GIB * (1 + s) as f64, STEP * s as f64);
        g.observe(&one_node(s, flat(s).chain([ramp]).collect(), 3.0 * GIB));
    }
    let rerun = job(0, GIB, 0.0);
    let fresh = job(50, GIB, 0.0);
    g.observe(&one_node(
        6,
        vec![rerun.clone(), fresh.clone()],
        100.0 * GIB,
    ));
    let (again, new) = (
        g.rise(&rerun, 2.0 * STEP, 1.5 * GIB).0,
        g.rise(&fresh, 2.0 * STEP, 1.5 * GIB).0,
    );
    assert!(again >= 0.8 && new < 0.1, "rerun {again}, new job {new}");
}
