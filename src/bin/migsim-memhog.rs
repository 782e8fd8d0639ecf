//! `migsim-memhog`: the workload that real checkpoints and restores are measured on.
//!
//! It allocates `--size` bytes, writes to every page so that each is resident, then loops:
//! every tick it dirties pages at `--dirty-rate` and adds one to a progress counter, which it
//! writes to `--progress` (atomically: a temporary file renamed over it). A process restored by
//! CRIU keeps counting from where it was frozen, which is how a test tells a real restore from
//! a fresh start. It holds no open files between writes, so CRIU can dump it; `--hold-socket`
//! opens a socket on purpose, to reproduce the dump failure that sockets cause.
//!
//!   migsim-memhog --size 64MiB --dirty-rate 16MiB/s --progress /tmp/p

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
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
    #[arg(long, value_parser = Memory::parse)]
    size: f64,
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
    let mut memory = vec![0u8; args.size as usize];
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

fn write_progress(path: &Path, counter: u64) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{counter}\n"))?;
    std::fs::rename(&tmp, path)
}
