//! One measured run: a fresh workload per step, timed with the real `criu`.
//!
//! A run at one size times, in order: `pre_dump` (when the kernel tracks dirty pages), `dump`
//! to disk and `restore` from those images (the restored process must keep counting), `stream`
//! (a dump sent to a page server over loopback), and `lazy_restore` / `lazy_pull` (post-copy:
//! the source serves pages, the target restores at once and pulls them; the pull is timed from
//! the restore's return). Each gets one row, also when it is skipped or fails, with the reason.
//! Where the kernel tracks dirty pages, the `pre_dump` row also says how fast the workload
//! dirtied its pages: what a job's `dirty_rate` is set from.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::criu::cleanup::{alive, kill, Cleanup};
use crate::criu::daemon::Daemon;
use crate::criu::memhog::{keeps_counting, read_progress, Memhog, MemhogSpec};
use crate::criu::{Criu, Support};
use crate::migration::calibration::Phase;

/// How long a restored process gets to show that it counts on.
const RESUME_LIMIT: Duration = Duration::from_secs(5);
/// How long the workload's dirty pages are counted for.
const DIRTY_WINDOW: Duration = Duration::from_secs(1);
/// How long a lazy transfer may take once the restore has started.
const DAEMON_LIMIT: Duration = Duration::from_secs(300);

/// One row of the measurement CSV.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub host: String,
    pub kernel: String,
    pub criu: String,
    pub run: usize,
    pub size_bytes: u64,
    /// The workload's resident memory before the step.
    pub memory_bytes: Option<u64>,
    pub dirty_rate: f64,
    pub phase: Phase,
    pub status: Status,
    pub seconds: Option<f64>,
    /// What CRIU wrote (images, or pages received by the page server).
    pub image_bytes: Option<u64>,
    /// Whether the restored process kept counting (restores only).
    pub resumed: Option<bool>,
    pub note: String,
    /// Bytes per second the workload was seen to dirty: the pages a second pre-dump wrote
    /// over the time since the first (`pre_dump` rows, where the kernel tracks dirty pages).
    pub dirtied_rate: Option<f64>,
}

impl Row {
    /// A row of this machine with nothing measured yet.
    pub fn blank(host: &str, kernel: &str, criu: &str) -> Row {
        Row {
            host: host.to_string(),
            kernel: kernel.to_string(),
            criu: criu.to_string(),
            run: 0,
            size_bytes: 0,
            memory_bytes: None,
            dirty_rate: 0.0,
            phase: Phase::Dump,
            status: Status::Skipped,
            seconds: None,
            image_bytes: None,
            resumed: None,
            note: String::new(),
            dirtied_rate: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Skipped,
    Failed,
}

/// Measures runs with one criu on one machine.
pub struct Measurer {
    pub criu: Criu,
    pub support: Support,
    pub workload: MemhogSpec,
    pub cleanup: Cleanup,
    /// Scratch space for images; each run's folder is removed when it ends.
    pub work: PathBuf,
    pub host: String,
    pub kernel: String,
}

/// What one run shares between its steps.
struct Run<'a> {
    m: &'a Measurer,
    dir: PathBuf,
    template: Row,
    rows: Vec<Row>,
}

impl Measurer {
    /// Measures one run at `size` bytes; `on_phase` hears of each step as it starts.
    pub fn run(&self, index: usize, size: u64, on_phase: &mut dyn FnMut(Phase)) -> Vec<Row> {
        let dir = self.work.join(format!("run-{index}"));
        let template = Row {
            run: index,
            size_bytes: size,
            dirty_rate: self.workload.dirty_rate,
            ..Row::blank(&self.host, &self.kernel, &self.criu.version)
        };
        let mut run = Run {
            m: self,
            dir: dir.clone(),
            template,
            rows: Vec::new(),
        };
        if let Err(e) = std::fs::create_dir_all(&dir) {
            for p in [
                Phase::PreDump,
                Phase::Dump,
                Phase::Restore,
                Phase::Stream,
                Phase::LazyRestore,
                Phase::LazyPull,
            ] {
                run.push(
                    p,
                    Status::Failed,
                    format!("cannot create {}: {e}", dir.display()),
                );
            }
            return run.rows;
        }
        self.cleanup.track_dir(&dir);
        run.dump_and_restore(on_phase);
        on_phase(Phase::Stream);
        run.stream();
        on_phase(Phase::LazyRestore);
        run.lazy();
        let _ = std::fs::remove_dir_all(&dir);
        run.rows
    }
}

impl Run<'_> {
    fn push(&mut self, phase: Phase, status: Status, note: String) -> &mut Row {
        self.rows.push(Row {
            phase,
            status,
            note,
            ..self.template.clone()
        });
        self.rows.last_mut().expect("just pushed")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Starts a workload, recording its memory in the rows that follow.
    fn start(&mut self, name: &str) -> io::Result<Memhog> {
        let progress = self.path(&format!("{name}.progress"));
        let hog = self
            .m
            .workload
            .start(self.template.size_bytes, progress, &self.m.cleanup)?;
        self.template.memory_bytes = hog.rss().ok();
        // Let it run a little, so that a restore has a counter to continue from.
        if keeps_counting(&hog.progress, 0, RESUME_LIMIT).is_none() {
            hog.reap();
            return Err(io::Error::other("migsim-memhog does not count"));
        }
        Ok(hog)
    }

    fn dump_and_restore(&mut self, on_phase: &mut dyn FnMut(Phase)) {
        on_phase(Phase::PreDump);
        let hog = match self.start("a") {
            Ok(h) => h,
            Err(e) => {
                for p in [Phase::PreDump, Phase::Dump, Phase::Restore] {
                    self.push(p, Status::Failed, format!("workload: {e}"));
                }
                return;
            }
        };
        self.pre_dump(&hog);
        on_phase(Phase::Dump);
        let images = self.path("dump");
        let before = read_progress(&hog.progress).unwrap_or(0);
        let dumped = self.criu_step(
            Phase::Dump,
            &images,
            &os(&[&"dump", &"-t", &hog.pid.to_string(), &"-D", &images]),
        );
        let progress = hog.progress.clone();
        hog.reap();
        on_phase(Phase::Restore);
        if !dumped {
            self.push(Phase::Restore, Status::Skipped, "the dump failed".into());
            return;
        }
        let pidfile = self.path("restore.pid");
        let ok = self.criu_step(
            Phase::Restore,
            &images,
            &os(&[&"restore", &"-d", &"-D", &images, &"--pidfile", &pidfile]),
        );
        if ok {
            self.check_resumed(&pidfile, &progress, before);
        }
    }

    fn pre_dump(&mut self, hog: &Memhog) {
        if let Err(why) = self.m.support.pre_dump.clone() {
            self.push(Phase::PreDump, Status::Skipped, why);
            return;
        }
        let images = self.path("pre");
        let started = Instant::now();
        let pid = hog.pid.to_string();
        let args = os(&[&"pre-dump", &"-t", &pid, &"-D", &images, &"--track-mem"]);
        if self.criu_step(Phase::PreDump, &images, &args) {
            self.measure_dirtied(&pid, started);
        }
    }

    /// The workload's own dirty rate: a second pre-dump, [`DIRTY_WINDOW`] after the first
    /// began, writes only the pages written since the first cleared the kernel's dirty bits.
    fn measure_dirtied(&mut self, pid: &str, since: Instant) {
        std::thread::sleep(DIRTY_WINDOW.saturating_sub(since.elapsed()));
        let (second, log) = (self.path("pre2"), self.path("pre2.log"));
        let elapsed = since.elapsed().as_secs_f64();
        let ran = std::fs::create_dir_all(&second).and_then(|()| {
            self.m.criu.run(
                &self.m.cleanup,
                &log,
                &os(&[
                    &"pre-dump",
                    &"-t",
                    &pid,
                    &"-D",
                    &second,
                    &"--prev-images-dir",
                    &"../pre",
                    &"--track-mem",
                ]),
            )
        });
        let row = self.rows.last_mut().expect("the pre-dump row");
        match ran {
            Ok(r) if r.failure.is_none() => {
                row.dirtied_rate = Some(page_bytes(&second) as f64 / elapsed);
            }
            Ok(r) => {
                row.note = format!(
                    "the second pre-dump, for the dirty rate, failed: {}",
                    r.failure.unwrap_or_default()
                );
            }
            Err(e) => row.note = format!("cannot run the second pre-dump: {e}"),
        }
    }

    /// Runs one timed criu command in `images` and records its row; true when it succeeded.
    fn criu_step(&mut self, phase: Phase, images: &Path, args: &[&OsStr]) -> bool {
        if let Err(e) = std::fs::create_dir_all(images) {
            self.push(
                phase,
                Status::Failed,
                format!("cannot create {}: {e}", images.display()),
            );
            return false;
        }
        let log = self.path(&format!("{}.log", phase.as_str()));
        match self.m.criu.run(&self.m.cleanup, &log, args) {
            Ok(ran) => {
                let ok = ran.failure.is_none();
                let status = if ok { Status::Ok } else { Status::Failed };
                let row = self.push(phase, status, ran.failure.unwrap_or_default());
                row.seconds = ok.then_some(ran.seconds);
                row.image_bytes = ok.then(|| dir_bytes(images));
                ok
            }
            Err(e) => {
                self.push(phase, Status::Failed, format!("cannot run criu: {e}"));
                false
            }
        }
    }

    /// The restored process (its PID in `pidfile`) must count past `before`; then it goes.
    fn check_resumed(&mut self, pidfile: &Path, progress: &Path, before: u64) {
        let pid = read_pid(pidfile);
        let now = keeps_counting(progress, before, RESUME_LIMIT);
        let row = self.rows.last_mut().expect("the restore row");
        row.resumed = Some(now.is_some());
        match now {
            Some(n) => row.note = format!("counter {before} at the dump, {n} after the restore"),
            None => {
                row.status = Status::Failed;
                row.note = format!(
                    "the restored process did not count past {before} within {RESUME_LIMIT:?}"
                );
            }
        }
        if let Some(pid) = pid {
            kill(pid);
        }
    }

    /// A dump sent to a page server over loopback: checkpoint and transfer overlapped.
    fn stream(&mut self) {
        let hog = match self.start("b") {
            Ok(h) => h,
            Err(e) => {
                self.push(Phase::Stream, Status::Failed, format!("workload: {e}"));
                return;
            }
        };
        let (server_dir, local) = (self.path("stream-server"), self.path("stream-local"));
        let port = free_port();
        let pidfile = self.path("page-server.pid");
        let log = self.path("page-server.log");
        let _ = std::fs::create_dir_all(&server_dir);
        let started = self.m.criu.run(
            &self.m.cleanup,
            &log,
            &os(&[
                &"page-server",
                &"-D",
                &server_dir,
                &"--address",
                &"127.0.0.1",
                &"--port",
                &port.to_string(),
                &"-d",
                &"--pidfile",
                &pidfile,
            ]),
        );
        match started {
            Ok(r) if r.failure.is_none() => {}
            Ok(r) => {
                self.push(
                    Phase::Stream,
                    Status::Failed,
                    format!("page server: {}", r.failure.unwrap_or_default()),
                );
                hog.reap();
                return;
            }
            Err(e) => {
                self.push(
                    Phase::Stream,
                    Status::Failed,
                    format!("cannot run criu: {e}"),
                );
                hog.reap();
                return;
            }
        }
        let server = read_pid(&pidfile);
        let ok = self.criu_step(
            Phase::Stream,
            &local,
            &os(&[
                &"dump",
                &"-t",
                &hog.pid.to_string(),
                &"-D",
                &local,
                &"--page-server",
                &"--address",
                &"127.0.0.1",
                &"--port",
                &port.to_string(),
            ]),
        );
        if let Some(pid) = server {
            // The server ends once the dump has closed the connection.
            wait_gone(pid, Duration::from_secs(10));
            kill(pid);
        }
        if ok {
            let row = self.rows.last_mut().expect("the stream row");
            row.image_bytes = Some(dir_bytes(&server_dir) + dir_bytes(&local));
        }
        hog.reap();
    }

    /// Post-copy over loopback: the source dumps all but memory and serves pages; the target
    /// restores at once and pulls the pages.
    fn lazy(&mut self) {
        if let Err(why) = self.m.support.lazy.clone() {
            self.push(Phase::LazyRestore, Status::Skipped, why.clone());
            self.push(Phase::LazyPull, Status::Skipped, why);
            return;
        }
        let hog = match self.start("c") {
            Ok(h) => h,
            Err(e) => {
                for p in [Phase::LazyRestore, Phase::LazyPull] {
                    self.push(p, Status::Failed, format!("workload: {e}"));
                }
                return;
            }
        };
        let outcome = self.lazy_steps(&hog);
        hog.reap();
        if let Err(why) = outcome {
            let have: Vec<Phase> = self.rows.iter().map(|r| r.phase).collect();
            for p in [Phase::LazyRestore, Phase::LazyPull] {
                if !have.contains(&p) {
                    self.push(p, Status::Failed, why.clone());
                }
            }
        }
    }

    fn lazy_steps(&mut self, hog: &Memhog) -> Result<(), String> {
        let (source, target) = (self.path("lazy-source"), self.path("lazy-target"));
        for d in [&source, &target] {
            std::fs::create_dir_all(d)
                .map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        }
        let port = free_port().to_string();
        let before = read_progress(&hog.progress).unwrap_or(0);
        let pid = hog.pid.to_string();
        let mut dump = self.spawn_ready(
            "lazy-dump",
            &os(&[
                &"dump",
                &"-t",
                &pid,
                &"-D",
                &source,
                &"--lazy-pages",
                &"--address",
                &"127.0.0.1",
                &"--port",
                &port,
            ]),
        )?;
        let copied = copy_images(&source, &target).map_err(|e| format!("copying images: {e}"));
        let daemon = copied.and_then(|_| {
            self.spawn_ready(
                "lazy-pages",
                &os(&[
                    &"lazy-pages",
                    &"--page-server",
                    &"--address",
                    &"127.0.0.1",
                    &"--port",
                    &port,
                    &"-D",
                    &target,
                ]),
            )
        });
        let mut daemon = match daemon {
            Ok(d) => d,
            Err(e) => {
                dump.stop();
                return Err(e);
            }
        };
        let pidfile = self.path("lazy-restore.pid");
        let restored = self.criu_step(
            Phase::LazyRestore,
            &target,
            &os(&[
                &"restore",
                &"--lazy-pages",
                &"-d",
                &"-D",
                &target,
                &"--pidfile",
                &pidfile,
            ]),
        );
        if !restored {
            // Nobody will pull the pages: the daemons would wait for ever.
            daemon.stop();
            dump.stop();
            self.push(
                Phase::LazyPull,
                Status::Skipped,
                "the lazy restore failed".into(),
            );
            return Ok(());
        }
        // The pull is timed from the job's running on the target, as post-copy's pull phase.
        let started = Instant::now();
        let pulled = daemon.finish(DAEMON_LIMIT);
        let seconds = started.elapsed().as_secs_f64();
        let served = dump.finish(DAEMON_LIMIT);
        self.rows
            .last_mut()
            .expect("the lazy restore row")
            .image_bytes = None;
        self.check_resumed(&pidfile, &hog.progress, before);
        let row = self.push(Phase::LazyPull, Status::Ok, String::new());
        match (pulled, served) {
            (Ok(()), Ok(())) => row.seconds = Some(seconds),
            (Err(e), _) | (_, Err(e)) => {
                row.status = Status::Failed;
                row.note = e;
            }
        }
        Ok(())
    }

    /// Starts a criu daemon and waits until it says that it listens.
    fn spawn_ready(&mut self, name: &str, args: &[&OsStr]) -> Result<Daemon, String> {
        let log = self.path(&format!("{name}.log"));
        let mut cmd = self.m.criu.command(&log, args);
        Daemon::start(name, &mut cmd, log, |c| self.m.cleanup.spawn(c))
    }
}

/// Writes the rows as CSV, atomically: a reader sees the old file or the whole new one.
pub fn write_csv(path: &Path, rows: &[Row]) -> io::Result<()> {
    crate::output::write_atomic(path, &|w| {
        let mut csv = csv::Writer::from_writer(w);
        for row in rows {
            csv.serialize(row).map_err(io::Error::other)?;
        }
        csv.flush()
    })
}

/// Command-line arguments from strings and paths alike.
fn os<'a>(parts: &[&'a (dyn AsRef<OsStr> + 'a)]) -> Vec<&'a OsStr> {
    parts.iter().map(|p| (*p).as_ref()).collect()
}

/// The PID criu wrote to `path`.
pub(crate) fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Bytes of the files CRIU wrote into `dir` (its logs aside).
pub(crate) fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".log"))
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// Bytes of the memory pages CRIU wrote into `dir` (`pages-*.img`).
fn page_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("pages-"))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

pub(crate) fn copy_images(from: &Path, to: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with(".img") {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// A port that was free a moment ago, for one page server.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(27027, |a| a.port())
}

fn wait_gone(pid: i32, limit: Duration) {
    let started = Instant::now();
    while alive(pid) && started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(1));
    }
}
