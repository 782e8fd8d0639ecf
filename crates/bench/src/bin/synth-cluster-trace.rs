//! Writes a synthetic cluster trace in a published schema (google-2019, google-2011 or
//! alibaba-2018), uncompressed, of about a given size: to measure `migsim trace import` on
//! inputs of production size, and to replay a slice of it. Not data: tasks arrive uniformly
//! over the span on uniformly drawn machines, run a lognormal time (median 6 h), and their
//! memory grows linearly from a fifth to half of their request up to 1.2 times it, with a step
//! half-way (so some outgrow what they asked for); 70% finish, 15% are killed, 10% evicted,
//! 5% fail. At the default 1 day, machines are about half full.
//!
//!   cargo run --release -p migsim-bench --bin synth-cluster-trace -- \
//!       --format google-2019 --bytes 1GB --machines 2000 --seed 1 --out /tmp/g19

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};

struct Args {
    format: String,
    bytes: u64,
    machines: u64,
    seed: u64,
    out: PathBuf,
    days: f64,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        format: String::new(),
        bytes: 1 << 30,
        machines: 2000,
        seed: 1,
        out: PathBuf::new(),
        days: 1.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = format!("{flag}: cannot read `{v}`");
        match flag.as_str() {
            "--format" => a.format = v,
            "--bytes" => a.bytes = bytes(&v).ok_or(format!("--bytes: cannot read `{v}`"))?,
            "--machines" => a.machines = v.parse().map_err(|_| bad)?,
            "--seed" => a.seed = v.parse().map_err(|_| bad)?,
            "--days" => a.days = v.parse().map_err(|_| bad)?,
            "--out" => a.out = PathBuf::from(v),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.out.as_os_str().is_empty() || a.format.is_empty() {
        return Err("usage: synth-cluster-trace --format google-2019|google-2011|alibaba-2018 --out DIR [--bytes 1GB] [--machines 2000] [--days 1] [--seed 1]".into());
    }
    Ok(a)
}

fn bytes(v: &str) -> Option<u64> {
    let (n, unit) = v.trim().split_at(
        v.trim()
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(v.len()),
    );
    let scale = match unit {
        "" | "B" => 1.0,
        "MB" => 1e6,
        "GB" => 1e9,
        "MiB" => (1u64 << 20) as f64,
        "GiB" => (1u64 << 30) as f64,
        _ => return None,
    };
    Some((n.parse::<f64>().ok()? * scale) as u64)
}

/// One synthetic task: where, when, how long, and its memory curve (normalised).
struct Task {
    id: u64,
    machine: u64,
    start: f64,
    end: f64,
    ending: usize,
    base: f64,
    slope: f64,
    step: f64,
    request: f64,
    priority: i64,
}

impl Task {
    fn memory(&self, t: f64) -> f64 {
        let x = t - self.start;
        let jump = if x > (self.end - self.start) / 2.0 {
            self.step
        } else {
            0.0
        };
        (self.base + self.slope * x + jump).min(self.request * 1.5)
    }
}

struct Counted<W> {
    w: W,
    n: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = self.w.write(b)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

fn create(path: &Path) -> io::Result<Counted<BufWriter<File>>> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    Ok(Counted {
        w: BufWriter::with_capacity(1 << 20, File::create(path)?),
        n: 0,
    })
}

fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(a: &Args) -> io::Result<()> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(a.seed);
    let span = a.days * 86400.0;
    let (step, row) = match a.format.as_str() {
        "google-2019" => (300.0, 820.0),
        "google-2011" => (300.0, 150.0),
        "alibaba-2018" => (60.0, 60.0),
        f => return Err(io::Error::other(format!("unknown format {f}"))),
    };
    let life = LogNormal::new((6.0f64 * 3600.0).ln(), 1.0).expect("valid");
    let mean_life: f64 = 6.0 * 3600.0 * (0.5f64).exp();
    // Three times the tasks that would fill the size, since windows past the span are cut:
    // writing stops at the size.
    let tasks = (3.0 * a.bytes as f64 / (row * (mean_life / step).max(1.0))).ceil() as u64;
    let mut starts: Vec<f64> = (0..tasks).map(|_| rng.random_range(0.0..span)).collect();
    starts.sort_by(f64::total_cmp);
    let gen = |id: u64, start: f64, rng: &mut rand_pcg::Pcg64Mcg| {
        let request = rng.random_range(0.02..0.2);
        let life = life.sample(rng).max(step);
        Task {
            id,
            machine: rng.random_range(0..a.machines),
            start,
            end: start + life,
            ending: rng.random_range(0..20),
            base: request * rng.random_range(0.2..0.5),
            slope: request * rng.random_range(0.0..0.8) / life,
            step: request * rng.random_range(0.0..0.3),
            request,
            priority: [0, 25, 103, 117, 200, 360][rng.random_range(0..6)],
        }
    };
    match a.format.as_str() {
        "google-2019" => google_2019(a, span, step, &starts, gen, &mut rng),
        "google-2011" => google_2011(a, span, step, &starts, gen, &mut rng),
        _ => alibaba_2018(a, span, step, &starts, gen, &mut rng),
    }
}

type Gen<'a> = &'a dyn Fn(u64, f64, &mut rand_pcg::Pcg64Mcg) -> Task;

/// 0 finish, 1 kill, 2 evict, 3 fail, by the task's draw.
fn ending(t: &Task) -> usize {
    match t.ending {
        0..=13 => 0,
        14..=16 => 1,
        17..=18 => 2,
        _ => 3,
    }
}

fn windows(t: &Task, span: f64, step: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
    let first = (t.start / step).floor() * step;
    (0..)
        .map(move |k| first + k as f64 * step)
        .take_while(move |&w| w < t.end.min(span))
        .map(move |w| (w.max(t.start), (w + step).min(t.end).min(span)))
}

fn google_2019(
    a: &Args,
    span: f64,
    step: f64,
    starts: &[f64],
    gen: impl Fn(u64, f64, &mut rand_pcg::Pcg64Mcg) -> Task,
    rng: &mut rand_pcg::Pcg64Mcg,
) -> io::Result<()> {
    let us = |s: f64| (s * 1e6) as u64 + 600_000_000;
    let mut m = create(&a.out.join("machine_events-000000000000.json"))?;
    for id in 0..a.machines {
        let mem = [0.25, 0.5, 0.5, 1.0][(id % 4) as usize];
        writeln!(
            m,
            r#"{{"time":"0","machine_id":"{}","type":1,"switch_id":"Sw{}","capacity":{{"cpus":0.5,"memory":{mem}}},"platform_id":"P1"}}"#,
            id + 1,
            id % 40
        )?;
    }
    m.flush()?;
    let mut ev = create(&a.out.join("instance_events-000000000000.json"))?;
    let mut shard = 0;
    let mut us_out = create(&a.out.join(format!("instance_usage-{shard:012}.json")))?;
    let mut total = 0u64;
    let gen: Gen = &gen;
    for (i, &start) in starts.iter().enumerate() {
        let t = gen(i as u64, start, rng);
        let (cid, idx) = (1_000_000 + t.id / 10, t.id % 10);
        let req = format!(
            r#""resource_request":{{"cpus":{:.4},"memory":{:.5}}}"#,
            t.request / 2.0,
            t.request
        );
        writeln!(
            ev,
            r#"{{"time":"{}","type":0,"collection_id":"{cid}","scheduling_class":1,"collection_type":0,"priority":{},"alloc_collection_id":"0","instance_index":{idx},"machine_id":"0",{req},"constraint":[]}}"#,
            us(t.start),
            t.priority
        )?;
        writeln!(
            ev,
            r#"{{"time":"{}","type":3,"collection_id":"{cid}","scheduling_class":1,"collection_type":0,"priority":{},"alloc_collection_id":"0","instance_index":{idx},"machine_id":"{}",{req},"constraint":[]}}"#,
            us(t.start),
            t.priority,
            t.machine + 1
        )?;
        if t.end < span {
            let kind = [6, 7, 4, 5][ending(&t)];
            writeln!(
                ev,
                r#"{{"time":"{}","type":{kind},"collection_id":"{cid}","scheduling_class":1,"collection_type":0,"priority":{},"alloc_collection_id":"0","instance_index":{idx},"machine_id":"{}",{req},"constraint":[]}}"#,
                us(t.end),
                t.priority,
                t.machine + 1
            )?;
        }
        for (s, e) in windows(&t, span, step) {
            let avg = t.memory(s);
            writeln!(
                us_out,
                r#"{{"start_time":"{}","end_time":"{}","collection_id":"{cid}","instance_index":{idx},"machine_id":"{}","alloc_collection_id":"0","alloc_instance_index":"-1","collection_type":0,"average_usage":{{"cpus":0.0123,"memory":{avg:.6}}},"maximum_usage":{{"cpus":0.0311,"memory":{:.6}}},"random_sample_usage":{{"cpus":0.0101}},"assigned_memory":{:.5},"page_cache_memory":0.00071,"cycles_per_instruction":1.87,"memory_accesses_per_instruction":0.0041,"sample_rate":0.98,"cpu_usage_distribution":[0.001,0.002,0.004,0.006,0.008,0.01,0.012,0.014,0.018,0.022,0.031],"tail_cpu_usage_distribution":[0.023,0.024,0.025,0.026,0.027,0.028,0.029,0.03,0.031]}}"#,
                us(s),
                us(e),
                t.machine + 1,
                avg * 1.1,
                t.request
            )?;
        }
        if us_out.n > 256 << 20 {
            total += us_out.n;
            us_out.flush()?;
            shard += 1;
            us_out = create(&a.out.join(format!("instance_usage-{shard:012}.json")))?;
        }
        if total + us_out.n >= a.bytes {
            break;
        }
    }
    us_out.flush()?;
    ev.flush()?;
    Ok(())
}

fn google_2011(
    a: &Args,
    span: f64,
    step: f64,
    starts: &[f64],
    gen: impl Fn(u64, f64, &mut rand_pcg::Pcg64Mcg) -> Task,
    rng: &mut rand_pcg::Pcg64Mcg,
) -> io::Result<()> {
    let us = |s: f64| (s * 1e6) as u64 + 600_000_000;
    let mut m = create(&a.out.join("machine_events/part-00000-of-00001.csv"))?;
    for id in 0..a.machines {
        let mem = [0.2493, 0.4995, 0.4995, 0.9678][(id % 4) as usize];
        writeln!(
            m,
            "0,{},0,HofLGzk1Or/8Ildj2+Lqv0UGGvY82NLoni8+J/Yy0RU=,0.5,{mem}",
            id + 5
        )?;
    }
    m.flush()?;
    let mut ev = create(&a.out.join("task_events/part-00000-of-00001.csv"))?;
    let mut usage = create(&a.out.join("task_usage/part-00000-of-00001.csv"))?;
    let gen: Gen = &gen;
    for (i, &start) in starts.iter().enumerate() {
        let t = gen(i as u64, start, rng);
        let (job, idx) = (6_000_000_000 + t.id / 10, t.id % 10);
        let prio = t.priority.min(11) % 12;
        let tail = format!(
            "70s3v5qRyCO/1PCdI6fVXnrW8FU/w+5CKRSa72xgcIo=,1,{prio},{:.5},{:.5},0.0003891,0",
            t.request / 2.0,
            t.request
        );
        writeln!(ev, "{},,{job},{idx},,0,{tail}", us(t.start))?;
        writeln!(
            ev,
            "{},,{job},{idx},{},1,{tail}",
            us(t.start),
            t.machine + 5
        )?;
        if t.end < span {
            writeln!(
                ev,
                "{},,{job},{idx},{},{},{tail}",
                us(t.end),
                t.machine + 5,
                [4, 5, 2, 3][ending(&t)]
            )?;
        }
        for (s, e) in windows(&t, span, step) {
            let mem = t.memory(s);
            writeln!(usage, "{},{},{job},{idx},{},0.01868,{mem:.6},{:.5},0.0002155,0.0002499,{:.6},0.0001135,2.384e-05,0.05225,0.0008221,1.762,0.006294,1,0,0.02155", us(s), us(e), t.machine + 5, t.request, mem * 1.1)?;
        }
        if usage.n >= a.bytes {
            break;
        }
    }
    usage.flush()?;
    ev.flush()
}

fn alibaba_2018(
    a: &Args,
    span: f64,
    step: f64,
    starts: &[f64],
    gen: impl Fn(u64, f64, &mut rand_pcg::Pcg64Mcg) -> Task,
    rng: &mut rand_pcg::Pcg64Mcg,
) -> io::Result<()> {
    let mut m = create(&a.out.join("machine_meta.csv"))?;
    for id in 0..a.machines {
        writeln!(
            m,
            "m_{},0,{},{},96,100,USING",
            id + 1,
            id % 50,
            ["a", "b", "c"][(id % 3) as usize]
        )?;
    }
    m.flush()?;
    let mut meta = create(&a.out.join("container_meta.csv"))?;
    let mut usage = create(&a.out.join("container_usage.csv"))?;
    let mut batch = create(&a.out.join("batch_instance.csv"))?;
    let gen: Gen = &gen;
    for (i, &start) in starts.iter().enumerate() {
        let t = gen(i as u64, start, rng);
        let machine = t.machine + 1;
        // Every fourth task is a batch instance: start, end, mean and peak memory.
        if i % 4 == 3 {
            let status = ["Terminated", "Cancelled", "Interrupted", "Failed"][ending(&t)];
            let end = if t.end < span { t.end as u64 } else { 0 };
            let (avg, max) = (t.memory(t.start) * 100.0, t.memory(t.end) * 100.0);
            writeln!(
                batch,
                "ins_{},M{},j_{},1,{status},{},{end},m_{machine},1,1,{:.2},{:.2},{avg:.2},{max:.2}",
                t.id,
                t.id % 7,
                t.id / 40,
                t.start as u64,
                95.5,
                110.0
            )?;
            continue;
        }
        let size = t.request * 100.0;
        writeln!(
            meta,
            "c_{},m_{machine},{},app_{},started,400,400,{size:.2}",
            t.id,
            t.start as u64,
            t.id % 997
        )?;
        let mut s = t.start.floor();
        while s < t.end.min(span) {
            let pct = (t.memory(s) / t.request * 100.0).min(100.0);
            writeln!(
                usage,
                "c_{},m_{machine},{},21,{pct:.0},1.31,0.82,2,21.52,18.08,3",
                t.id, s as u64
            )?;
            s += step;
        }
        if usage.n >= a.bytes {
            break;
        }
    }
    usage.flush()?;
    batch.flush()?;
    meta.flush()
}
