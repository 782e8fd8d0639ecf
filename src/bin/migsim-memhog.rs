//! `migsim-memhog`: the workload that real checkpoints and restores are measured on.
//!
//! It allocates `--size` bytes, writes to every page so that each is resident, then loops:
//! every tick it dirties pages at `--dirty-rate` and adds one to a progress counter, which it
//! writes to `--progress` (atomically: a temporary file renamed over it). A process restored by
//! CRIU keeps counting from where it was frozen, which is how a test tells a real restore from
//! a fresh start. It holds no open files between writes, so CRIU can dump it; `--hold-socket`
//! opens a socket on purpose, to reproduce the dump failure that sockets cause.
//!
//!
//! With `--job FILE` (a live job, written by `migsim live`) it follows the job's memory
//! profile instead: its counter is nanoseconds of simulated work, which advance at the job's
//! speed only while the process runs (a frozen or stopped process does no work), memory is
//! touched or released to match the profile at that work, and it exits once the work is done,
//! leaving `<ns> done` in the progress file.
//!
//!   migsim-memhog --size 64MiB --dirty-rate 16MiB/s --progress /tmp/p
//!   migsim-memhog --job job.json --progress /tmp/p

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use migsim::criu::memhog::Progress;
use migsim::live::LiveWorkload;
use migsim::units::{Memory, Rate, Unit};

const PAGE: usize = 4096;
const TICK: Duration = Duration::from_millis(10);
/// The counter is written every this many ticks: often enough for a test, rarely enough to
/// stay out of the measurements.
const WRITE_EVERY: u64 = 10;

#[derive(Parser)]
#[command(
    name = "migsim-memhog",
    version,
    about = "A process with a known memory footprint, for CRIU measurements"
)]
struct Args {
    /// Bytes to allocate and keep resident, e.g. 64MiB.
    #[arg(long, value_parser = Memory::parse, required_unless_present = "job")]
    size: Option<f64>,
    /// Follow a live job's memory profile (JSON written by `migsim live`) instead of --size.
    #[arg(long, conflicts_with = "size")]
    job: Option<PathBuf>,
    /// Bytes of pages to write per second after the start, e.g. 16MiB/s.
    #[arg(long, value_parser = Rate::parse, default_value = "0")]
    dirty_rate: f64,
    /// Where to write the progress counter; it appears once every page is resident.
    #[arg(long)]
    progress: PathBuf,
    /// Hold a socket open (bound on loopback), which CRIU cannot dump on some kernels.
    #[arg(long)]
    hold_socket: Option<SocketKind>,
}

#[derive(Clone, Copy, ValueEnum)]
enum SocketKind {
    Tcp,
    Udp,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("migsim-memhog: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> std::io::Result<()> {
    let _socket = match args.hold_socket {
        Some(SocketKind::Tcp) => {
            Some(Box::new(TcpListener::bind("127.0.0.1:0")?) as Box<dyn std::any::Any>)
        }
        Some(SocketKind::Udp) => {
            Some(Box::new(UdpSocket::bind("127.0.0.1:0")?) as Box<dyn std::any::Any>)
        }
        None => None,
    };
    if let Some(job) = &args.job {
        let text = std::fs::read_to_string(job)?;
        let job: LiveWorkload = serde_json::from_str(&text).map_err(std::io::Error::other)?;
        return follow(&job, args);
    }
    let size = args.size.expect("clap requires --size without --job");
    let mut memory = vec![0u8; size as usize];
    // Distinct, non-zero bytes: zero pages could be left unmapped or deduplicated.
    for (i, page) in memory.chunks_mut(PAGE).enumerate() {
        page[0] = (i % 251) as u8 + 1;
    }
    let pages = memory.len().div_ceil(PAGE);
    let mut counter: u64 = 0;
    let mut next_page = 0usize;
    let mut owed = 0.0f64;
    let mut last = Instant::now();
    write_progress(&args.progress, counter)?;
    loop {
        std::thread::sleep(TICK);
        let now = Instant::now();
        owed += args.dirty_rate * now.duration_since(last).as_secs_f64() / PAGE as f64;
        last = now;
        // Dirty whole pages; carry the fraction so that low rates still dirty something.
        while owed >= 1.0 && pages > 0 {
            memory[next_page * PAGE] = memory[next_page * PAGE].wrapping_add(1);
            next_page = (next_page + 1) % pages;
            owed -= 1.0;
        }
        counter += 1;
        if counter.is_multiple_of(WRITE_EVERY) {
            write_progress(&args.progress, counter)?;
        }
    }
}

/// A live job: memory follows the profile over work done; work advances only while it runs.
fn follow(job: &LiveWorkload, args: &Args) -> std::io::Result<()> {
    let profile = job.profile();
    let mut memory = Region::reserve((profile.peak() * job.scale) as usize)?;
    let work_ns = (job.work_s * 1e9) as u64;
    let mut progress = Progress {
        work: 0,
        done: false,
    };
    memory.resize(job.bytes_at(&profile, 0) as usize);
    write(&args.progress, &progress)?;
    let mut last = Instant::now();
    let mut ticks = 0u64;
    while !progress.done {
        std::thread::sleep(TICK);
        let now = Instant::now();
        // A tick longer than a few means the process was frozen (a migration) or stopped:
        // that time did no work.
        let ran = now.duration_since(last).min(TICK * 5);
        last = now;
        progress.work = (progress.work + (ran.as_secs_f64() * job.speed * 1e9) as u64).min(work_ns);
        progress.done = progress.work >= work_ns;
        memory.resize(job.bytes_at(&profile, progress.work) as usize);
        memory.dirty((args.dirty_rate + job.real_dirty_rate()) * ran.as_secs_f64());
        ticks += 1;
        if progress.done || ticks.is_multiple_of(WRITE_EVERY / 2) {
            write(&args.progress, &progress)?;
        }
    }
    Ok(())
}

/// Anonymous memory reserved up front (nothing resident) and made resident page by page.
struct Region {
    base: *mut u8,
    len: usize,
    resident: usize,
    next_dirty: usize,
}

impl Region {
    fn reserve(bytes: usize) -> std::io::Result<Region> {
        let len = bytes.div_ceil(PAGE).max(1) * PAGE;
        // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Region {
            base: base.cast(),
            len,
            resident: 0,
            next_dirty: 0,
        })
    }

    /// Touches pages up to `bytes`, or gives back those above it.
    fn resize(&mut self, bytes: usize) {
        let target = bytes.div_ceil(PAGE).min(self.len / PAGE) * PAGE;
        while self.resident < target {
            // SAFETY: inside the mapping. Distinct non-zero bytes, so that no page is shared.
            unsafe { *self.base.add(self.resident) = ((self.resident / PAGE) % 251) as u8 + 1 };
            self.resident += PAGE;
        }
        if target < self.resident {
            // SAFETY: the range is page-aligned and inside the mapping.
            unsafe {
                libc::madvise(
                    self.base.add(target).cast(),
                    self.resident - target,
                    libc::MADV_DONTNEED,
                );
            }
            self.resident = target;
            self.next_dirty = 0;
        }
    }

    /// Writes to `bytes` worth of resident pages, round robin.
    fn dirty(&mut self, bytes: f64) {
        let pages = self.resident / PAGE;
        for _ in 0..((bytes / PAGE as f64) as usize).min(pages) {
            // SAFETY: next_dirty < pages, so the byte is resident and inside the mapping.
            unsafe {
                let p = self.base.add(self.next_dirty * PAGE);
                *p = (*p).wrapping_add(1);
            }
            self.next_dirty = (self.next_dirty + 1) % pages;
        }
    }
}

fn write_progress(path: &Path, counter: u64) -> std::io::Result<()> {
    write(
        path,
        &Progress {
            work: counter,
            done: false,
        },
    )
}

fn write(path: &Path, progress: &Progress) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, progress.line())?;
    std::fs::rename(&tmp, path)
}
