//! The files `--slurm` writes into DIR/slurm: the job array's batch script, the aggregation
//! job's, and submit.sh, which submits the one and then the other once every task has ended.
//! Paths are absolute: the jobs start on other machines, wherever Slurm puts them.

use std::path::{Path, PathBuf};

/// What the scripts run, and how Slurm is to run it.
pub struct Plan {
    /// The job name: `migsim-<scenario>`.
    pub name: String,
    pub migsim: PathBuf,
    pub file: PathBuf,
    pub out: PathBuf,
    /// `--set`, `--vary`, `--seeds` and `--compress` as the user gave them.
    pub flags: Vec<String>,
    pub tasks: usize,
    pub cpus_per_task: u32,
    pub partition: Option<String>,
    pub time: Option<String>,
}

pub const TASK_SCRIPT: &str = "sweep.sbatch";
pub const AGGREGATE_SCRIPT: &str = "aggregate.sbatch";
pub const SUBMIT_SCRIPT: &str = "submit.sh";

impl Plan {
    /// `4 tasks of 8 CPUs`.
    pub fn shape(&self) -> String {
        let plural = |n: usize, what: &str| match n {
            1 => format!("1 {what}"),
            n => format!("{n} {what}s"),
        };
        format!(
            "{} of {}",
            plural(self.tasks, "task"),
            plural(self.cpus_per_task as usize, "CPU")
        )
    }

    pub fn folder(&self) -> PathBuf {
        self.out.join("slurm")
    }

    /// The comment both jobs carry, so that a submission can tell the jobs of this folder.
    pub fn tag(&self) -> String {
        format!("migsim-sweep:{}", self.out.display())
    }

    /// Array task K's log (`%a` is Slurm's for the task id).
    pub fn task_log(&self, task: &str) -> PathBuf {
        self.folder().join(format!("task-{task}.log"))
    }

    pub fn aggregate_log(&self) -> PathBuf {
        self.folder().join("aggregate.log")
    }

    /// Each file's name and text.
    pub fn files(&self) -> [(&'static str, String); 3] {
        [
            (TASK_SCRIPT, self.task_script()),
            (AGGREGATE_SCRIPT, self.aggregate_script()),
            (SUBMIT_SCRIPT, self.submit_script()),
        ]
    }

    fn task_script(&self) -> String {
        let mut text = format!(
            "#!/bin/bash\n\
             # {name}, the runs of a sweep: array task K runs shard K/{n}, the runs whose index in\n\
             # runs.csv is K mod {n}. Written by `migsim sweep --slurm`; submitted by submit.sh.\n\
             # A requeued task (its node died) starts its shard again and keeps the runs done.\n",
            name = self.name,
            n = self.tasks
        );
        self.directives(&mut text, &self.name, &self.task_log("%a"));
        text.push_str(&format!(
            "#SBATCH --array=0-{}\n#SBATCH --requeue\n#SBATCH --open-mode=append\n",
            self.tasks - 1
        ));
        text.push_str(
            "set -eu\n\
             echo \"migsim: task ${SLURM_ARRAY_TASK_ID} of job ${SLURM_ARRAY_JOB_ID}, attempt $((${SLURM_RESTART_COUNT:-0} + 1)), on $(hostname) at $(date -u +%FT%TZ)\"\n",
        );
        let shard = format!("\"${{SLURM_ARRAY_TASK_ID}}/{}\"", self.tasks);
        self.command(
            &mut text,
            &["--shard", &shard, "--jobs", "\"${SLURM_CPUS_PER_TASK}\""],
        );
        text
    }

    fn aggregate_script(&self) -> String {
        let mut text = format!(
            "#!/bin/bash\n\
             # The tables of {name}, a sweep, once every task of its array has ended; fails,\n\
             # naming them, if tasks did not finish. Written by `migsim sweep --slurm`.\n",
            name = self.name
        );
        let name = format!("{}-aggregate", self.name);
        self.directives(&mut text, &name, &self.aggregate_log());
        text.push_str("#SBATCH --open-mode=append\nset -eu\n");
        let shards = self.tasks.to_string();
        self.command(&mut text, &["--aggregate", "--shards", &shards]);
        text
    }

    fn submit_script(&self) -> String {
        let folder = self.folder();
        format!(
            "#!/bin/sh\n\
             # Submits {name}, a sweep: its job array, then the aggregation job, which starts\n\
             # once every task has ended. Prints the two job ids. Written by `migsim sweep --slurm`.\n\
             #   sh {submit}           # --wait: return when the aggregation has ended, with its exit code\n\
             set -eu\n\
             array=$(sbatch --parsable {tasks})\n\
             echo \"$array\"\n\
             exec sbatch --parsable --dependency=\"afterany:${{array%%;*}}\" \"$@\" {aggregate}\n",
            name = self.name,
            submit = quote_path(&folder.join(SUBMIT_SCRIPT)),
            tasks = quote_path(&folder.join(TASK_SCRIPT)),
            aggregate = quote_path(&folder.join(AGGREGATE_SCRIPT)),
        )
    }

    /// The `#SBATCH` lines both jobs share. sbatch reads them unquoted: the paths were checked
    /// to need no quotes.
    fn directives(&self, text: &mut String, name: &str, log: &Path) {
        text.push_str(&format!(
            "#SBATCH --job-name={name}\n#SBATCH --comment={}\n#SBATCH --output={}\n#SBATCH --cpus-per-task={}\n",
            self.tag(),
            log.display(),
            self.cpus_per_task
        ));
        if let Some(p) = &self.partition {
            text.push_str(&format!("#SBATCH --partition={p}\n"));
        }
        if let Some(t) = &self.time {
            text.push_str(&format!("#SBATCH --time={t}\n"));
        }
    }

    /// `exec migsim sweep FILE --out DIR FLAGS... EXTRA...`; `extra` is shell text as is.
    fn command(&self, text: &mut String, extra: &[&str]) {
        let mut words = vec![
            "exec".to_string(),
            quote_path(&self.migsim),
            "sweep".into(),
            quote_path(&self.file),
            "--out".into(),
            quote_path(&self.out),
        ];
        words.extend(self.flags.iter().map(|f| quote(f)));
        words.extend(extra.iter().map(|e| e.to_string()));
        text.push_str(&words.join(" "));
        text.push('\n');
    }
}

/// Single-quoted for sh.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn quote_path(path: &Path) -> String {
    quote(&path.to_string_lossy())
}

/// Why a path cannot stand unquoted in an `#SBATCH` line, if it cannot.
pub fn unfit_for_directives(path: &Path) -> Option<&'static str> {
    let text = path.to_str()?;
    if text.chars().any(char::is_whitespace) {
        Some("a space")
    } else if text.contains('%') {
        Some("a `%` (Slurm's file name patterns use it)")
    } else if text.contains(['"', '\'', '\\']) {
        Some("a quote or a backslash")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            name: "migsim-thesis".into(),
            migsim: "/opt/migsim".into(),
            file: "/home/a/it's.toml".into(),
            out: "/scratch/out".into(),
            flags: vec!["--set".into(), "scheduler.placement=best-fit".into()],
            tasks: 4,
            cpus_per_task: 8,
            partition: Some("short".into()),
            time: Some("1:00:00".into()),
        }
    }

    #[test]
    fn task_k_runs_shard_k_with_its_cpus_and_is_requeued() {
        let text = plan().task_script();
        for line in [
            "#SBATCH --array=0-3\n",
            "#SBATCH --requeue\n",
            "#SBATCH --cpus-per-task=8\n",
            "#SBATCH --partition=short\n",
            "#SBATCH --time=1:00:00\n",
            "#SBATCH --output=/scratch/out/slurm/task-%a.log\n",
            "#SBATCH --comment=migsim-sweep:/scratch/out\n",
            "exec '/opt/migsim' sweep '/home/a/it'\\''s.toml' --out '/scratch/out' '--set' 'scheduler.placement=best-fit' --shard \"${SLURM_ARRAY_TASK_ID}/4\" --jobs \"${SLURM_CPUS_PER_TASK}\"\n",
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
    }

    #[test]
    fn the_aggregation_waits_for_the_array_and_names_the_shards() {
        let p = plan();
        let aggregate = p.aggregate_script();
        assert!(
            aggregate.contains("--aggregate --shards 4\n"),
            "{aggregate}"
        );
        assert!(!aggregate.contains("--array"), "{aggregate}");
        let submit = p.submit_script();
        assert!(
            submit.contains("--dependency=\"afterany:${array%%;*}\" \"$@\" '/scratch/out/slurm/aggregate.sbatch'"),
            "{submit}"
        );
    }

    #[test]
    fn paths_sbatch_would_misread_are_named() {
        assert_eq!(unfit_for_directives(Path::new("/a/b-c_d.e")), None);
        assert_eq!(unfit_for_directives(Path::new("/a b")), Some("a space"));
        assert!(unfit_for_directives(Path::new("/a%b")).is_some());
        assert!(unfit_for_directives(Path::new("/a'b")).is_some());
    }
}
