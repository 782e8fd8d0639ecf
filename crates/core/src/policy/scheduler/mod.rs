//! Placement of queued jobs. The speculative scheduler places a job by what nodes use now plus
//! a reservation of a fraction of its declared request, not by its unknown peak; the
//! conservative baseline reserves the whole declared request.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::engine::StreamRng;
use crate::keypath::{FieldIssue, KeyPath};
use crate::model::JobId;

mod room;
mod rooms;
mod unplaceable;

pub use room::Room;
pub use rooms::{Drift, Rooms, Source};
use unplaceable::Unplaceable;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSpec {
    #[serde(default)]
    pub kind: Reservation,
    /// Speculative only: the fraction of a job's declared request held for it at placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation: Option<f64>,
    #[serde(default)]
    pub placement: Placement,
}

impl Default for SchedulerSpec {
    fn default() -> Self {
        SchedulerSpec {
            kind: Reservation::Speculative,
            reservation: None,
            placement: Placement::FirstFit,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reservation {
    #[default]
    Speculative,
    Conservative,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// The first node, in scenario order, where the job fits.
    #[default]
    FirstFit,
    /// The fitting node with the least memory left after placing.
    BestFit,
    /// The fitting node with the most memory left (the least used).
    WorstFit,
    /// A fitting node drawn uniformly from the `scheduler` random stream.
    Random,
}

impl SchedulerSpec {
    pub fn check(&self, at: &KeyPath) -> Result<(), FieldIssue> {
        match (self.kind, self.reservation) {
            (Reservation::Conservative, Some(_)) => Err(FieldIssue::new(
                at.key("reservation"),
                "`reservation` applies to the speculative scheduler; the conservative one always reserves the whole request",
            )),
            (_, Some(r)) if !(r >= 0.0 && r.is_finite()) => {
                Err(FieldIssue::new(at.key("reservation"), format!("must be a fraction >= 0, got {r}")))
            }
            _ => Ok(()),
        }
    }
}

/// A job waiting to be placed, as the scheduler sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PendingJob {
    pub id: JobId,
    pub request: f64,
    pub cpu: f64,
}

/// A ready-to-use scheduler built from its spec.
#[derive(Clone, Debug)]
pub struct Scheduler {
    reserve_fraction: f64,
    placement: Placement,
}

impl Scheduler {
    pub fn new(spec: &SchedulerSpec) -> Self {
        let reserve_fraction = match spec.kind {
            Reservation::Conservative => 1.0,
            Reservation::Speculative => spec.reservation.unwrap_or(0.0),
        };
        Scheduler {
            reserve_fraction,
            placement: spec.placement,
        }
    }

    /// It holds memory for jobs beyond what they use.
    pub fn reserves(&self) -> bool {
        self.reserve_fraction != 0.0
    }

    /// Memory held for a job with this request.
    pub fn reservation(&self, request: f64) -> f64 {
        self.reserve_fraction * request
    }

    /// What a node has committed, from its usage and its jobs' (usage, request): a running job
    /// holds the larger of its usage and its reservation, so a reservation is never counted
    /// twice once the job has grown past it; memory no job accounts for (a migration's pages)
    /// is committed as it is.
    pub fn committed(&self, used: f64, jobs: impl IntoIterator<Item = (f64, f64)>) -> f64 {
        let (jobs, held) = jobs
            .into_iter()
            .fold((0.0, 0.0), |(sum, held), (memory, request)| {
                (
                    sum + memory,
                    held + f64::max(memory, self.reservation(request)),
                )
            });
        held + (used - jobs).max(0.0)
    }

    /// How fast a node's commitments grow at least while its usage grows at `growth` and
    /// nothing on it shrinks: as fast, when nothing is reserved; otherwise a job still below its
    /// reservation commits no more as it grows, and no more can be said.
    pub fn commitment_floor(&self, growth: f64) -> f64 {
        match self.reserve_fraction == 0.0 {
            true => growth,
            false => 0.0,
        }
    }

    /// Places queued jobs in queue order; a job that fits nowhere stays queued and later jobs
    /// may still be placed. Returns (job, node index) pairs in the order they were decided.
    /// `rooms` has begun this pass; `source` states any node's room now.
    pub fn plan(
        &self,
        rooms: &mut Rooms,
        source: &mut Source,
        queue: &[PendingJob],
        rng: &mut StreamRng,
    ) -> Vec<(JobId, usize)> {
        let mut decisions = Vec::new();
        let mut fitting = Vec::new();
        let mut misfits = Unplaceable::default();
        for job in queue {
            let need = self.reservation(job.request);
            if misfits.covers(need, job.cpu) {
                continue;
            }
            let chosen = match self.placement {
                Placement::FirstFit => rooms.first(need, job.cpu, source),
                Placement::WorstFit => rooms.widest(need, job.cpu, source),
                Placement::BestFit => {
                    rooms.fitting(need, job.cpu, source, &mut fitting);
                    let free_after = |i: &usize| rooms.room(*i).free_after(need);
                    // `min_by` keeps the first of equals.
                    fitting
                        .iter()
                        .copied()
                        .min_by(|a, b| free_after(a).total_cmp(&free_after(b)))
                }
                Placement::Random => {
                    rooms.fitting(need, job.cpu, source, &mut fitting);
                    (!fitting.is_empty()).then(|| fitting[rng.random_range(0..fitting.len())])
                }
            };
            match chosen {
                Some(i) => {
                    rooms.take(i, need, job.cpu);
                    decisions.push((job.id, i));
                }
                None => misfits.add(need, job.cpu),
            }
        }
        decisions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;
    use rand::SeedableRng;

    /// A node of 8 CPUs whose jobs use `used`, all of it committed.
    fn node(capacity: f64, used: f64) -> Room {
        Room {
            memory_capacity: capacity,
            committed: used,
            cpu_capacity: 8.0,
            cpu_requested: 0.0,
            open: true,
        }
    }

    fn plan(
        placement: Placement,
        kind: Reservation,
        reservation: Option<f64>,
        nodes: Vec<Room>,
        jobs: &[(f64, f64)],
    ) -> Vec<usize> {
        let s = Scheduler::new(&SchedulerSpec {
            kind,
            reservation,
            placement,
        });
        let mut source = |i: usize| (nodes[i], Drift::Unknown);
        let mut rooms = Rooms::default();
        rooms.begin(0.0, nodes.len(), [], &mut source);
        let queue: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(i, &(request, cpu))| PendingJob {
                id: JobId(i as u32),
                request,
                cpu,
            })
            .collect();
        let mut rng = RngStreams::new(1).stream("scheduler");
        s.plan(&mut rooms, &mut source, &queue, &mut rng)
            .into_iter()
            .map(|(_, n)| n)
            .collect()
    }

    #[test]
    fn placements_pick_the_documented_node() {
        let nodes = || vec![node(100.0, 50.0), node(100.0, 80.0), node(100.0, 10.0)];
        let spec = Reservation::Speculative;
        assert_eq!(
            plan(
                Placement::FirstFit,
                spec,
                Some(1.0),
                nodes(),
                &[(15.0, 1.0)]
            ),
            vec![0]
        );
        assert_eq!(
            plan(Placement::BestFit, spec, Some(1.0), nodes(), &[(15.0, 1.0)]),
            vec![1]
        );
        assert_eq!(
            plan(
                Placement::WorstFit,
                spec,
                Some(1.0),
                nodes(),
                &[(15.0, 1.0)]
            ),
            vec![2]
        );
        assert_eq!(
            plan(Placement::BestFit, spec, Some(1.0), nodes(), &[(25.0, 1.0)]),
            vec![0]
        );
    }

    #[test]
    fn equal_nodes_go_to_the_first_of_them() {
        let nodes = || {
            vec![
                node(100.0, 50.0),
                node(100.0, 10.0),
                node(100.0, 10.0),
                node(100.0, 0.0),
                node(100.0, 0.0),
            ]
        };
        let spec = Reservation::Speculative;
        let two = [(5.0, 1.0), (5.0, 1.0)];
        assert_eq!(
            plan(Placement::WorstFit, spec, Some(1.0), nodes(), &two),
            vec![3, 4]
        );
        assert_eq!(
            plan(Placement::BestFit, spec, Some(1.0), nodes(), &two),
            vec![0, 0]
        );
        let one = [(95.0, 1.0)];
        assert_eq!(
            plan(Placement::FirstFit, spec, Some(1.0), nodes(), &one),
            vec![3]
        );
    }

    #[test]
    fn conservative_reserves_requests_and_speculative_a_fraction() {
        // Two jobs of request 60 on one node of 100: only one fits conservatively.
        let one = || vec![node(100.0, 0.0)];
        assert_eq!(
            plan(
                Placement::FirstFit,
                Reservation::Conservative,
                None,
                one(),
                &[(60.0, 1.0), (60.0, 1.0)]
            ),
            vec![0]
        );
        assert_eq!(
            plan(
                Placement::FirstFit,
                Reservation::Speculative,
                Some(0.5),
                one(),
                &[(60.0, 1.0), (60.0, 1.0)]
            ),
            vec![0, 0]
        );
        assert_eq!(
            plan(
                Placement::FirstFit,
                Reservation::Speculative,
                None,
                one(),
                &[(600.0, 1.0)]
            ),
            vec![0]
        );
    }

    #[test]
    fn cpu_and_cordons_are_hard_limits() {
        let mut nodes = vec![node(100.0, 0.0), node(100.0, 0.0)];
        nodes[0].open = false;
        assert_eq!(
            plan(
                Placement::FirstFit,
                Reservation::Speculative,
                None,
                nodes,
                &[(0.0, 5.0), (0.0, 5.0)]
            ),
            vec![1]
        );
    }

    #[test]
    fn random_placement_is_seeded() {
        let nodes = || (0..8).map(|_| node(100.0, 0.0)).collect::<Vec<_>>();
        let jobs = [(0.0, 0.1); 20];
        let a = plan(
            Placement::Random,
            Reservation::Speculative,
            None,
            nodes(),
            &jobs,
        );
        assert_eq!(
            a,
            plan(
                Placement::Random,
                Reservation::Speculative,
                None,
                nodes(),
                &jobs
            )
        );
        assert!(
            a.iter().any(|&n| n != a[0]),
            "random placement used one node only: {a:?}"
        );
    }

    /// Job by job, every room scanned: what a pass must decide.
    fn scan(
        placement: Placement,
        reservation: f64,
        mut nodes: Vec<Room>,
        jobs: &[(f64, f64)],
    ) -> Vec<usize> {
        let mut rng = RngStreams::new(1).stream("scheduler");
        let mut placed = Vec::new();
        for &(request, cpu) in jobs {
            let need = reservation * request;
            let fits: Vec<usize> = (0..nodes.len())
                .filter(|&i| nodes[i].fits(need, cpu))
                .collect();
            let after = |i: &usize| nodes[*i].free_after(need);
            let chosen = match placement {
                Placement::FirstFit => fits.first().copied(),
                Placement::BestFit => fits
                    .iter()
                    .copied()
                    .min_by(|a, b| after(a).total_cmp(&after(b))),
                Placement::WorstFit => fits
                    .iter()
                    .copied()
                    .rev()
                    .max_by(|a, b| after(a).total_cmp(&after(b))),
                Placement::Random => {
                    (!fits.is_empty()).then(|| fits[rng.random_range(0..fits.len())])
                }
            };
            if let Some(i) = chosen {
                nodes[i].take(need, cpu);
                placed.push(i);
            }
        }
        placed
    }

    /// A queue far deeper than the cluster can take, of jobs that differ in memory and CPUs:
    /// the pass skips the jobs that ask no less than one that fit nowhere, and places exactly
    /// the jobs, on exactly the nodes, that a scan of every room for every job does.
    #[test]
    fn a_deep_queue_is_placed_as_a_scan_places_it() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for round in 0..40 {
            let nodes: Vec<Room> = (0..rng.random_range(1..12))
                .map(|_| Room {
                    cpu_requested: f64::from(rng.random_range(0..8u32)),
                    ..node(100.0, f64::from(rng.random_range(0..100u32)))
                })
                .collect();
            let jobs: Vec<(f64, f64)> = (0..300)
                .map(|_| {
                    let request = f64::from(rng.random_range(0..60u32));
                    (request, f64::from(rng.random_range(1..5u32)) / 2.0)
                })
                .collect();
            for placement in [
                Placement::FirstFit,
                Placement::BestFit,
                Placement::WorstFit,
                Placement::Random,
            ] {
                let got = plan(
                    placement,
                    Reservation::Speculative,
                    Some(1.0),
                    nodes.clone(),
                    &jobs,
                );
                let want = scan(placement, 1.0, nodes.clone(), &jobs);
                assert_eq!(got, want, "round {round}, {placement:?}");
                assert!(
                    got.len() < jobs.len(),
                    "round {round}: the queue is deeper than the cluster"
                );
            }
        }
    }
}
