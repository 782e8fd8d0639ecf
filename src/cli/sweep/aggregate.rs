//! `migsim sweep --aggregate`: the tables of a folder that shards filled, running nothing. It
//! is the Slurm aggregation job's step: where a task did not finish, it fails and names it.

use std::path::Path;
use std::time::Instant;

use migsim::sweep::{collect, Access, RunKey, Shard, Store, Sweep};

use crate::cli::sweep::report::{report, store_error, write_tables};
use crate::cli::CliError;

/// Runs' ids named in a message, at most.
const NAMED: usize = 5;

pub fn aggregate(
    sweep: &Sweep,
    out: &Path,
    shards: Option<u32>,
    quiet: bool,
) -> Result<(), CliError> {
    if !out.join("sweep.json").is_file() {
        return Err(CliError::Input(format!(
            "{}: no sweep to aggregate here (no sweep.json); give the --out of the shards",
            out.display()
        )));
    }
    let started = Instant::now();
    let store = Store::open(out, sweep, Access::Join).map_err(store_error)?;
    let collected = collect(sweep, &store).map_err(store_error)?;
    if !collected.missing.is_empty() {
        let by_shard = |s: Shard| format!("shard {s}");
        let shards = shards.map(|n| n as usize);
        let what = missing(sweep, out, &collected.missing, shards, &by_shard);
        return Err(CliError::Failed(format!(
            "{what}\nrun what did not finish again (finished runs are kept), or run them here with --resume instead of --aggregate"
        )));
    }
    write_tables(&store, sweep, &collected.results)?;
    let timing = format!("aggregated in {:.2}s", started.elapsed().as_secs_f64());
    report(sweep, &collected.results, out, &timing, quiet)
}

/// Says which runs are missing from `out`: by shard, named by `name`, when the folder was
/// filled by `shards` of them.
pub fn missing(
    sweep: &Sweep,
    out: &Path,
    missing: &[(usize, RunKey)],
    shards: Option<usize>,
    name: &dyn Fn(Shard) -> String,
) -> String {
    let total = sweep.runs().len();
    let ids = |keys: &mut dyn Iterator<Item = RunKey>, count: usize| {
        let named: Vec<String> = keys.take(NAMED).map(|k| sweep.run_id(k)).collect();
        let more = if count > NAMED { ", ..." } else { "" };
        format!("{}{more}", named.join(", "))
    };
    let mut text = format!(
        "{} of {total} runs are missing from {}",
        missing.len(),
        out.display()
    );
    match shards {
        None => {
            let all = ids(&mut missing.iter().map(|&(_, k)| k), missing.len());
            text.push_str(&format!(" ({all})"));
        }
        Some(count) => {
            for index in 0..count {
                let shard = Shard { index, count };
                let own = missing
                    .iter()
                    .filter(|&&(i, _)| Shard::holding(i, count) == shard);
                let lost = own.clone().count();
                if lost == 0 {
                    continue;
                }
                let runs = shard.runs(sweep).len();
                let listed = ids(&mut own.map(|&(_, k)| k), lost);
                text.push_str(&format!(
                    "\n  {} did not finish: {lost} of its {runs} runs ({listed})",
                    name(shard)
                ));
            }
        }
    }
    text
}
