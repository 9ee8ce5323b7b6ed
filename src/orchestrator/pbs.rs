//! PBS Pro: inside an allocation, one `mpiexec -n 1 --host NODE` per node (running its shards) (nodes from `$PBS_NODEFILE`); outside
//! one, a `qsub` store job (`select`, `walltime`, queue, account) running the same launches. Status from
//! `qstat -f`, stop with `SHUTDOWN` then `qdel`.

use std::path::Path;

use super::batch::{
    node_words, nodes_from_file_var, run_cmd, BatchLauncher, JobState, Placement, System,
    JOB_OUTPUT,
};
use super::error::Result;
use super::launcher::{LauncherKind, Plan};

/// PBS Pro's commands.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pbs;

/// A PBS Pro launcher, attached to store job `job` when one was recorded.
pub fn launcher(job: Option<String>) -> BatchLauncher<Pbs> {
    BatchLauncher::new(Pbs, job)
}

impl System for Pbs {
    fn kind(&self) -> LauncherKind {
        LauncherKind::Pbs
    }

    fn allocation_nodes(&self) -> Result<Vec<String>> {
        nodes_from_file_var("PBS_NODEFILE")
    }

    fn script_nodes(&self) -> String {
        "mapfile -t nodes < <(awk '!seen[$0]++' \"$PBS_NODEFILE\")".into()
    }

    fn directives(&self, plan: &Plan, nodes: usize) -> Vec<String> {
        let o = &plan.opts;
        let per_node = plan.shards().div_ceil(nodes.max(1));
        let ncpus = o.cpus_per_shard.unwrap_or(1) as usize * per_node;
        let mut d = vec![
            "#PBS -N smartredis-store".to_string(),
            format!("#PBS -l select={nodes}:ncpus={ncpus}:mpiprocs={per_node}"),
            "#PBS -l place=scatter".into(),
            format!("#PBS -o {}", plan.dir.join(JOB_OUTPUT).display()),
            "#PBS -j oe".into(),
        ];
        if let Some(t) = &o.walltime {
            d.push(format!("#PBS -l walltime={t}"));
        }
        if let Some(q) = &o.queue {
            d.push(format!("#PBS -q {q}"));
        }
        if let Some(a) = &o.account {
            d.push(format!("#PBS -A {a}"));
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
            "mpiexec".to_string(),
            "-n".into(),
            "1".into(),
            "--host".into(),
            node.to_string(),
        ];
        w.extend(node_words(plan, group));
        w
    }

    fn submit(&self, script: &Path) -> (Vec<String>, bool) {
        (vec!["qsub".into(), script.display().to_string()], false)
    }

    fn parse_job_id(&self, out: &str) -> Option<String> {
        // `qsub` prints `1234.server`.
        let id = out.lines().rev().find(|l| !l.trim().is_empty())?.trim();
        (id.split('.')
            .next()
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())))
        .then(|| id.to_string())
    }

    fn job_state(&self, job: &str) -> JobState {
        let (ok, out) = run_cmd(&["qstat".into(), "-f".into(), job.into()], None);
        let state = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("job_state = "))
            .map(str::to_string);
        match state {
            Some(s) if ok => JobState {
                gone: !matches!(s.as_str(), "Q" | "R" | "H" | "W" | "B" | "T" | "S"),
                words: format!("job_state = {s}"),
            },
            _ => JobState {
                gone: true,
                words: out.trim().to_string(),
            },
        }
    }

    fn cancel(&self, job: &str, _step: Option<&str>, hard: bool) -> Vec<String> {
        let mut w = vec!["qdel".to_string()];
        if hard {
            w.extend(["-W".into(), "force".into()]);
        }
        w.push(job.into());
        w
    }
}
