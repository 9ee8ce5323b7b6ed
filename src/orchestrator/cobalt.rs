//! Cobalt: inside an allocation, one `aprun -n 1 -N 1 -L NODE` per node (running its shards) (nodes from `$COBALT_NODEFILE`, or
//! `$COBALT_PARTNAME`); outside one, a `qsub --mode script` store job (`-n`, `-t`, `-q`, `-A`). Status from
//! `qstat`, stop with `SHUTDOWN` then `qdel`.

use std::path::Path;

use super::batch::{
    node_words, nodes_from_file_var, run_cmd, BatchLauncher, JobState, Placement, System,
    JOB_OUTPUT,
};
use super::error::Result;
use super::launcher::{LauncherKind, Plan};

/// Cobalt's commands.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cobalt;

/// A Cobalt launcher, attached to store job `job` when one was recorded.
pub fn launcher(job: Option<String>) -> BatchLauncher<Cobalt> {
    BatchLauncher::new(Cobalt, job)
}

impl System for Cobalt {
    fn kind(&self) -> LauncherKind {
        LauncherKind::Cobalt
    }

    fn allocation_nodes(&self) -> Result<Vec<String>> {
        nodes_from_file_var("COBALT_NODEFILE")
    }

    fn script_nodes(&self) -> String {
        "mapfile -t nodes < <(awk '!seen[$0]++' \"$COBALT_NODEFILE\")".into()
    }

    fn directives(&self, plan: &Plan, nodes: usize) -> Vec<String> {
        let o = &plan.opts;
        let mut d = vec![
            format!("#COBALT -n {nodes}"),
            format!("#COBALT -t {}", o.walltime.as_deref().unwrap_or("60")),
            format!("#COBALT -o {}", plan.dir.join(JOB_OUTPUT).display()),
            format!("#COBALT -e {}", plan.dir.join(JOB_OUTPUT).display()),
            "#COBALT --jobname smartredis-store".into(),
        ];
        if let Some(q) = &o.queue {
            d.push(format!("#COBALT -q {q}"));
        }
        if let Some(a) = &o.account {
            d.push(format!("#COBALT -A {a}"));
        }
        d
    }

    fn launch(
        &self,
        plan: &Plan,
        group: &[Placement],
        node: &str,
        _job: Option<&str>,
    ) -> Vec<String> {
        let mut w = vec![
            "aprun".to_string(),
            "-n".into(),
            "1".into(),
            "-N".into(),
            "1".into(),
            "-L".into(),
            node.to_string(),
        ];
        if let Some(c) = plan.opts.cpus_per_shard {
            w.extend(["-d".into(), (c as usize * group.len()).to_string()]);
        }
        w.extend(node_words(plan, group));
        w
    }

    fn submit(&self, script: &Path) -> (Vec<String>, bool) {
        (
            vec![
                "qsub".into(),
                "--mode".into(),
                "script".into(),
                script.display().to_string(),
            ],
            false,
        )
    }

    fn parse_job_id(&self, out: &str) -> Option<String> {
        // `qsub` prints the numeric job id (after any warnings).
        let id = out.lines().rev().find(|l| !l.trim().is_empty())?.trim();
        (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then(|| id.to_string())
    }

    fn job_state(&self, job: &str) -> JobState {
        let (ok, out) = run_cmd(&["qstat".into(), job.into()], None);
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(job))
            .map(str::to_string);
        match line {
            Some(l) if ok => JobState {
                gone: ["exiting", "done", "killing"]
                    .iter()
                    .any(|s| l.to_ascii_lowercase().contains(s)),
                words: l.split_whitespace().collect::<Vec<_>>().join(" "),
            },
            _ => JobState {
                gone: true,
                words: if out.trim().is_empty() {
                    format!("job {job} is not in qstat")
                } else {
                    out.trim().to_string()
                },
            },
        }
    }

    fn cancel(&self, job: &str, _step: Option<&str>, _hard: bool) -> Vec<String> {
        vec!["qdel".into(), job.into()]
    }
}
