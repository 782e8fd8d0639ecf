use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use migsim::Progress;

/// A progress bar on stderr when it is a terminal; nothing at all otherwise, so logs and pipes
/// stay clean.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    pub fn new(enabled: bool) -> Self {
        Bar((enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {msg}")
                    .expect("a valid template"),
            );
            bar
        }))
    }

    pub fn update(&self, p: Progress) {
        let Some(bar) = &self.0 else { return };
        match p.end {
            Some(end) => {
                bar.set_length(end.0 / 1_000_000_000);
                bar.set_position(p.now.0 / 1_000_000_000);
            }
            None => {
                bar.set_length(p.jobs_total as u64);
                bar.set_position(p.jobs_done as u64);
            }
        }
        bar.set_message(format!(
            "t={} jobs done {}/{}",
            migsim::units::human_duration(p.now.as_secs()),
            p.jobs_done,
            p.jobs_total
        ));
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// A bar over the runs of a sweep, with the time left.
pub struct RunsBar(Option<ProgressBar>);

impl RunsBar {
    pub fn new(enabled: bool, total: usize) -> Self {
        RunsBar((enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs, ETA {eta}",
                )
                .expect("a valid template"),
            );
            bar
        }))
    }

    /// `done` runs are done (counted elsewhere: by Slurm's tasks).
    pub fn at(&self, done: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(done);
        }
    }

    /// One more run done; runs read back by `--resume` take no time, so they restart the ETA.
    pub fn done(&self, resumed: bool) {
        let Some(bar) = &self.0 else { return };
        bar.inc(1);
        if resumed {
            bar.reset_eta();
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// A bar over the bytes an import reads, with its rate and the time left.
pub struct BytesBar(Option<ProgressBar>);

impl BytesBar {
    pub fn new() -> Self {
        BytesBar(std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec}, ETA {eta}",
                )
                .expect("a valid template"),
            );
            bar
        }))
    }

    pub fn at(&self, read: u64, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
            bar.set_position(read);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
