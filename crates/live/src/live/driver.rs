//! The live loop: real time, scaled by the speed, says when each turn of the control loop is
//! due; the turns run on the live cluster as their plant (see [`LivePlant`]). Every change is
//! journaled, then applied to the run's state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::RngStreams;
use crate::live::backend::{Backend, Life, Observation};
use crate::live::journal::{Ending, Entry, Journal};
use crate::live::plant::{commit, Growth, LivePlant};
use crate::live::state::{LiveState, Where};
use crate::live::Clock;
use crate::model::{JobId, NodeId};
use crate::policy::control::Facts;
use crate::policy::{ControlLoop, Turn};
use crate::record::RunEvent;
use crate::scenario::ScenarioSpec;

/// How often the loop wakes, real time: fine enough to see a job end or a node fill.
const TICK: Duration = Duration::from_millis(50);

/// When each periodic task is next due, simulated seconds.
struct Due {
    monitor: f64,
    control: f64,
    sample: f64,
}

/// The live cluster as the loop's plant, borrowing the driver's fields one by one so that the
/// loop itself stays free to run.
macro_rules! plant {
    ($driver:ident, $backend:expr, $now:expr) => {
        LivePlant {
            state: &mut $driver.state,
            journal: &$driver.journal,
            observation: &$driver.observation,
            growth: &$driver.growth,
            backend: $backend,
            mechanism: $driver.spec.migration.mechanism,
            now: $now,
            stalled: &mut $driver.stalled,
        }
    };
}

pub struct Driver<'a> {
    spec: &'a ScenarioSpec,
    pub state: LiveState,
    clock: Clock,
    journal: Arc<Mutex<Journal>>,
    control: ControlLoop,
    observation: Observation,
    growth: Growth,
    due: Due,
    pub stalled: bool,
}

impl<'a> Driver<'a> {
    pub fn new(
        spec: &'a ScenarioSpec,
        state: LiveState,
        clock: Clock,
        journal: Arc<Mutex<Journal>>,
    ) -> Self {
        let now = clock.now_s();
        let jobs = state.jobs.len();
        let control = ControlLoop::new(
            spec.control(),
            RngStreams::new(spec.simulation.seed).stream("scheduler"),
        );
        let first_control = control.control_interval().map_or(0.0, |i| i.as_secs());
        Driver {
            control,
            observation: Observation::default(),
            growth: Growth::new(jobs, spec.monitor.window.value),
            due: Due {
                monitor: now,
                control: now + first_control,
                sample: now,
            },
            stalled: false,
            spec,
            state,
            clock,
            journal,
        }
    }

    /// Runs until every job has finished or failed, the scenario's end, a stall, or `stop`.
    pub fn run(
        &mut self,
        backend: &mut dyn Backend,
        stop: &AtomicBool,
        on_tick: &mut dyn FnMut(&LiveState, f64),
    ) {
        let end = self.spec.simulation.end.map(|e| e.value);
        loop {
            let now = self.clock.now_s();
            self.tick(backend, now);
            on_tick(&self.state, now);
            if self.state.is_done()
                || self.stalled
                || stop.load(Ordering::SeqCst)
                || end.is_some_and(|e| now >= e)
            {
                break;
            }
            std::thread::sleep(TICK);
        }
        // A last sample at the end, as the simulator takes one.
        let now = self.clock.now_s();
        self.take_steps(backend);
        self.sample(backend, now);
    }

    pub fn take_steps(&mut self, backend: &mut dyn Backend) {
        for s in backend.steps() {
            self.state.apply(&Entry::Migration {
                t: s.t,
                id: s.id,
                step: s.step,
            });
        }
    }

    fn tick(&mut self, backend: &mut dyn Backend, now: f64) {
        self.take_steps(backend);
        self.observe(backend, now);
        self.state.arrive(now);
        self.turn(Turn::Schedule, backend, now);
        if let Some(interval) = self.control.monitor_interval() {
            if now >= self.due.monitor {
                self.turn(Turn::Monitor, backend, now);
                self.due.monitor = next(self.due.monitor, interval.as_secs(), now);
            }
        }
        if let Some(interval) = self.control.control_interval() {
            if now >= self.due.control {
                self.turn(Turn::Control, backend, now);
                self.due.control = next(self.due.control, interval.as_secs(), now);
            }
        }
        if now >= self.due.sample {
            self.sample(backend, now);
            self.due.sample = next(
                self.due.sample,
                self.spec.simulation.sample_interval.value,
                now,
            );
        }
    }

    fn turn(&mut self, turn: Turn, backend: &mut dyn Backend, now: f64) {
        self.control.turn(turn, &mut plant!(self, backend, now));
    }

    fn observe(&mut self, backend: &mut dyn Backend, now: f64) {
        self.observation = backend.observe();
        for u in std::mem::take(&mut self.observation.jobs) {
            let j = &mut self.state.jobs[u.job.index()];
            j.memory = u.memory;
            j.work_s = u.work_s;
            self.state.record.apply(RunEvent::Held {
                job: u.job,
                memory: u.memory,
            });
            self.growth.observe(u.job, now, u.memory);
            let how = match u.life {
                Life::Running => continue,
                Life::Finished => Ending::Finished,
                Life::OomKilled => Ending::OomKilled,
                Life::Exited => Ending::Exited,
            };
            self.growth.forget(u.job);
            commit(
                &self.journal,
                &mut self.state,
                Entry::Ended {
                    t: now,
                    job: u.job.0,
                    how,
                    memory: u.memory,
                    work_s: u.work_s,
                },
            );
        }
    }

    fn sample(&mut self, backend: &mut dyn Backend, now: f64) {
        let mut jobs = Vec::new();
        let entries: Vec<Entry> = {
            let plant = plant!(self, backend, now);
            (0..plant.node_count())
                .map(|i| {
                    let node = NodeId(i as u32);
                    let n = plant.node(node);
                    plant.jobs_on(node, &mut jobs);
                    Entry::Sample {
                        t: now,
                        node: node.0,
                        used: n.memory_used,
                        migration_memory: plant.backend.migration_memory(node),
                        cpu_requested: n.cpu_requested,
                        jobs: jobs.len() as u32,
                        cordoned: n.cordoned,
                    }
                })
                .collect()
        };
        for e in entries {
            commit(&self.journal, &mut self.state, e);
        }
    }
}

pub fn running(state: &LiveState) -> Vec<(JobId, NodeId, f64)> {
    state
        .jobs
        .iter()
        .enumerate()
        .filter_map(|(i, j)| match j.at {
            Where::Running(n) => Some((JobId(i as u32), n, j.work_s)),
            _ => None,
        })
        .collect()
}

/// The next time a task of period `every` is due after `now`, on its own grid.
fn next(due: f64, every: f64, now: f64) -> f64 {
    let mut t = due + every;
    while t <= now {
        t += every;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::backend::{MoveOrder, StepTaken};
    use crate::policy::control::is_current;
    use crate::policy::controller::Order;

    /// A backend with no processes behind it: every start works, nothing is ever used.
    #[derive(Default)]
    struct Scripted {
        nodes: usize,
        started: Vec<(JobId, NodeId)>,
    }

    impl Backend for Scripted {
        fn start(&mut self, job: JobId, node: NodeId) -> Result<(), String> {
            self.started.push((job, node));
            Ok(())
        }
        fn observe(&mut self) -> Observation {
            Observation {
                nodes: vec![0.0; self.nodes],
                jobs: Vec::new(),
            }
        }
        fn migrate(&mut self, _: MoveOrder) {}
        fn cancel(&mut self, _: u32, _: &str) -> bool {
            false
        }
        fn steps(&mut self) -> Vec<StepTaken> {
            Vec::new()
        }
        fn migration_memory(&self, _: NodeId) -> f64 {
            0.0
        }
        fn start_latencies(&self) -> Vec<f64> {
            Vec::new()
        }
        fn shutdown(&mut self) -> Result<(), String> {
            Ok(())
        }
    }

    /// `large` (64 GiB, 8 CPUs) and `small` (8 GiB, 2 CPUs); one job of `size` arriving at 0.
    fn scenario(size: &str) -> crate::scenario::Scenario {
        let toml = format!(
            r#"
            [simulation]
            seed = 1
            [[nodes]]
            name = "large"
            memory = "64GiB"
            cpu = 8
            [[nodes]]
            name = "small"
            memory = "8GiB"
            cpu = 2
            [[workload.jobs]]
            name = "a"
            work = "1h"
            request = "peak"
            profile = {{ shape = "constant", size = "{size}" }}
            [[workload.jobs]]
            name = "b"
            work = "1h"
            cpu = 2
            arrival = "1h"
            profile = {{ shape = "constant", size = "1GiB" }}
            [scheduler]
            kind = "conservative"
            "#
        );
        crate::scenario::load_str(&toml, std::path::Path::new("t.toml"), &[]).unwrap()
    }

    fn driver<'a>(s: &'a crate::scenario::Scenario, dir: &std::path::Path) -> Driver<'a> {
        let journal = Arc::new(Mutex::new(Journal::create(dir).unwrap()));
        let clock = Clock::starting_now(1.0);
        Driver::new(&s.spec, LiveState::new(&s.spec, &s.jobs), clock, journal)
    }

    /// As in the simulator: once nothing runs or will arrive, a queue that fits nowhere is a
    /// stall only if it would not fit even with every node uncordoned (and repaired).
    #[test]
    fn a_live_queue_is_stalled_only_when_no_open_node_could_take_it() {
        for (size, cordon_large, stalls) in [
            ("32GiB", true, false),
            ("128GiB", false, true),
            ("32GiB", false, false),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let s = scenario(size);
            let mut d = driver(&s, dir.path());
            d.state.jobs[1].at = Where::Finished;
            d.state.cordoned[0] = cordon_large;
            let mut backend = Scripted {
                nodes: 2,
                ..Scripted::default()
            };
            d.tick(&mut backend, 1.0);
            assert_eq!(d.stalled, stalls, "{size}, large cordoned: {cordon_large}");
            let placed = !cordon_large && !stalls;
            assert_eq!(backend.started.len(), usize::from(placed));
        }
    }

    /// As in the simulator: an order into a node whose CPUs are all requested now is stale.
    #[test]
    fn a_live_order_into_a_node_without_cpu_room_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let s = scenario("1GiB");
        let mut d = driver(&s, dir.path());
        let mut backend = Scripted {
            nodes: 2,
            ..Scripted::default()
        };
        for (job, node) in [(0, 0), (1, 1)] {
            d.state.apply(&Entry::Started { t: 0.0, job, node });
        }
        let order = Order {
            job: JobId(0),
            source: NodeId(0),
            target: NodeId(1),
            cause: String::new(),
        };
        assert!(
            !is_current(&plant!(d, &mut backend, 1.0), &order),
            "b holds both CPUs"
        );
        d.state.apply(&Entry::Ended {
            t: 2.0,
            job: 1,
            how: Ending::Finished,
            memory: 0.0,
            work_s: 3600.0,
        });
        assert!(is_current(&plant!(d, &mut backend, 3.0), &order));
        let moving = Order {
            source: NodeId(1),
            ..order
        };
        assert!(
            !is_current(&plant!(d, &mut backend, 3.0), &moving),
            "not on its source"
        );
    }
}
