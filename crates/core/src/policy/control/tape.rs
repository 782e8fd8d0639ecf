//! A record of what the control loop read and ordered, turn by turn, and a plant that plays the
//! facts back: a loop driven by the playback must order exactly what it ordered the first
//! time, which holds only if its decisions depend on the facts and nothing else.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::engine::{SimDuration, SimTime};
use crate::model::{JobId, NodeId};
use crate::policy::control::{Facts, Footprint, JobFacts, NodeFacts, Plant, Turn};
use crate::policy::controller::{Order, Shortage};
use crate::policy::{MigrationView, PendingJob};

/// One answer to one of the loop's questions, with the question's arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Now(SimTime),
    NodeCount(usize),
    Node(NodeId, NodeFacts),
    JobsOn(NodeId, Vec<JobId>),
    Job(JobId, JobFacts),
    Footprint(JobId, Footprint),
    Growth(JobId, SimDuration, f64),
    Migrations(Vec<MigrationView>),
    Queue(Vec<PendingJob>),
    LastMigrationEnd(Option<SimTime>),
    Busy(bool),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Place(Vec<(JobId, NodeId)>),
    Cordon(NodeId, bool),
    CallOff(JobId, String),
    Migrate(Order),
    Stale(Order),
    Provision(Shortage),
    Stalled,
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub turn: Turn,
    pub answers: Vec<Answer>,
    pub actions: Vec<Action>,
}

#[derive(Clone, Debug, Default)]
pub struct Tape {
    pub turns: Vec<Recorded>,
}

impl Tape {
    /// A plant that records one turn on `plant` into this tape.
    pub fn recording<'a, P: Plant>(&'a mut self, turn: Turn, plant: &'a mut P) -> Recording<'a, P> {
        self.turns.push(Recorded {
            turn,
            answers: Vec::new(),
            actions: Vec::new(),
        });
        Recording {
            plant,
            turn: RefCell::new(self.turns.last_mut().expect("just pushed")),
        }
    }
}

/// Passes every question and order through to a plant, writing them down.
pub struct Recording<'a, P> {
    plant: &'a mut P,
    turn: RefCell<&'a mut Recorded>,
}

impl<P> Recording<'_, P> {
    fn answer<T>(&self, value: T, as_answer: impl FnOnce(&T) -> Answer) -> T {
        self.turn.borrow_mut().answers.push(as_answer(&value));
        value
    }

    fn act(&self, action: Action) {
        self.turn.borrow_mut().actions.push(action);
    }
}

impl<P: Plant> Facts for Recording<'_, P> {
    fn now(&self) -> SimTime {
        self.answer(self.plant.now(), |&t| Answer::Now(t))
    }
    fn node_count(&self) -> usize {
        self.answer(self.plant.node_count(), |&n| Answer::NodeCount(n))
    }
    fn node(&self, node: NodeId) -> NodeFacts {
        self.answer(self.plant.node(node), |&f| Answer::Node(node, f))
    }
    fn jobs_on(&self, node: NodeId, out: &mut Vec<JobId>) {
        self.plant.jobs_on(node, out);
        self.answer((), |_| Answer::JobsOn(node, out.clone()));
    }
    fn job(&self, job: JobId) -> JobFacts {
        self.answer(self.plant.job(job), |&f| Answer::Job(job, f))
    }
    fn footprint(&self, job: JobId) -> Footprint {
        self.answer(self.plant.footprint(job), |&f| Answer::Footprint(job, f))
    }
    fn growth(&self, job: JobId, window: SimDuration) -> f64 {
        let g = self.plant.growth(job, window);
        self.answer(g, |&g| Answer::Growth(job, window, g))
    }
    fn migrations(&self, out: &mut Vec<MigrationView>) {
        self.plant.migrations(out);
        self.answer((), |_| Answer::Migrations(out.clone()));
    }
    fn queue(&self, out: &mut Vec<PendingJob>) {
        self.plant.queue(out);
        self.answer((), |_| Answer::Queue(out.clone()));
    }
    fn last_migration_end(&self) -> Option<SimTime> {
        self.answer(self.plant.last_migration_end(), |&t| {
            Answer::LastMigrationEnd(t)
        })
    }
    fn busy(&self) -> bool {
        self.answer(self.plant.busy(), |&b| Answer::Busy(b))
    }
}

impl<P: Plant> Plant for Recording<'_, P> {
    fn place(&mut self, placements: &[(JobId, NodeId)]) {
        self.act(Action::Place(placements.to_vec()));
        self.plant.place(placements);
    }
    fn cordon(&mut self, node: NodeId, cordoned: bool) {
        self.act(Action::Cordon(node, cordoned));
        self.plant.cordon(node, cordoned);
    }
    fn call_off(&mut self, job: JobId, reason: String) {
        self.act(Action::CallOff(job, reason.clone()));
        self.plant.call_off(job, reason);
    }
    fn migrate(&mut self, order: &Order) {
        self.act(Action::Migrate(order.clone()));
        self.plant.migrate(order);
    }
    fn stale(&mut self, order: &Order) {
        self.act(Action::Stale(order.clone()));
        self.plant.stale(order);
    }
    fn provision(&mut self, shortage: &Shortage) {
        self.act(Action::Provision(shortage.clone()));
        self.plant.provision(shortage);
    }
    fn stalled(&mut self) {
        self.act(Action::Stalled);
        self.plant.stalled();
    }
}

/// A plant with no cluster behind it: it answers each question with the next recorded answer
/// (which must be to the same question) and keeps the orders it is given.
pub struct Playback {
    answers: RefCell<VecDeque<Answer>>,
    pub actions: Vec<Action>,
}

impl Playback {
    pub fn new(answers: &[Answer]) -> Self {
        Playback {
            answers: RefCell::new(answers.iter().cloned().collect()),
            actions: Vec::new(),
        }
    }

    /// Answers recorded but never asked for.
    pub fn unasked(&self) -> usize {
        self.answers.borrow().len()
    }

    fn next<T>(&self, question: &str, pick: impl FnOnce(Answer) -> Option<T>) -> T {
        let answer = self.answers.borrow_mut().pop_front();
        let recorded = format!("{answer:?}");
        answer
            .and_then(pick)
            .unwrap_or_else(|| panic!("asked {question}, but the tape holds {recorded}"))
    }

    fn fill<T>(out: &mut Vec<T>, values: Vec<T>) {
        out.clear();
        out.extend(values);
    }
}

impl Facts for Playback {
    fn now(&self) -> SimTime {
        self.next("now", |a| match a {
            Answer::Now(t) => Some(t),
            _ => None,
        })
    }
    fn node_count(&self) -> usize {
        self.next("node_count", |a| match a {
            Answer::NodeCount(n) => Some(n),
            _ => None,
        })
    }
    fn node(&self, node: NodeId) -> NodeFacts {
        self.next(&format!("node({node:?})"), |a| match a {
            Answer::Node(n, f) if n == node => Some(f),
            _ => None,
        })
    }
    fn jobs_on(&self, node: NodeId, out: &mut Vec<JobId>) {
        let jobs = self.next(&format!("jobs_on({node:?})"), |a| match a {
            Answer::JobsOn(n, jobs) if n == node => Some(jobs),
            _ => None,
        });
        Self::fill(out, jobs);
    }
    fn job(&self, job: JobId) -> JobFacts {
        self.next(&format!("job({job:?})"), |a| match a {
            Answer::Job(j, f) if j == job => Some(f),
            _ => None,
        })
    }
    fn footprint(&self, job: JobId) -> Footprint {
        self.next(&format!("footprint({job:?})"), |a| match a {
            Answer::Footprint(j, f) if j == job => Some(f),
            _ => None,
        })
    }
    fn growth(&self, job: JobId, window: SimDuration) -> f64 {
        self.next(&format!("growth({job:?}, {window:?})"), |a| match a {
            Answer::Growth(j, w, g) if j == job && w == window => Some(g),
            _ => None,
        })
    }
    fn migrations(&self, out: &mut Vec<MigrationView>) {
        let m = self.next("migrations", |a| match a {
            Answer::Migrations(m) => Some(m),
            _ => None,
        });
        Self::fill(out, m);
    }
    fn queue(&self, out: &mut Vec<PendingJob>) {
        let q = self.next("queue", |a| match a {
            Answer::Queue(q) => Some(q),
            _ => None,
        });
        Self::fill(out, q);
    }
    fn last_migration_end(&self) -> Option<SimTime> {
        self.next("last_migration_end", |a| match a {
            Answer::LastMigrationEnd(t) => Some(t),
            _ => None,
        })
    }
    fn busy(&self) -> bool {
        self.next("busy", |a| match a {
            Answer::Busy(b) => Some(b),
            _ => None,
        })
    }
}

impl Plant for Playback {
    fn place(&mut self, placements: &[(JobId, NodeId)]) {
        self.actions.push(Action::Place(placements.to_vec()));
    }
    fn cordon(&mut self, node: NodeId, cordoned: bool) {
        self.actions.push(Action::Cordon(node, cordoned));
    }
    fn call_off(&mut self, job: JobId, reason: String) {
        self.actions.push(Action::CallOff(job, reason));
    }
    fn migrate(&mut self, order: &Order) {
        self.actions.push(Action::Migrate(order.clone()));
    }
    fn stale(&mut self, order: &Order) {
        self.actions.push(Action::Stale(order.clone()));
    }
    fn provision(&mut self, shortage: &Shortage) {
        self.actions.push(Action::Provision(shortage.clone()));
    }
    fn stalled(&mut self) {
        self.actions.push(Action::Stalled);
    }
}
