//! LSF: inside an allocation, one `jsrun` per node (running its shards) with an explicit resource file (`--erf_input`, one rank on
//! its host; hosts from `$LSB_DJOB_HOSTFILE`); outside one, a `bsub` store job (script on standard input, `-nnodes`,
//! `-W`, `-q`, `-P`). Status from `bjobs`, stop with `SHUTDOWN` then `bkill`.

use std::path::{Path, PathBuf};

use super::batch::{
    node_words, nodes_from_file_var, run_cmd, BatchLauncher, JobState, Placement, System,
    JOB_OUTPUT,
};
use super::error::Result;
use super::launcher::{LauncherKind, Plan};

/// LSF's commands.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lsf;

/// An LSF launcher, attached to store job `job` when one was recorded.
pub fn launcher(job: Option<String>) -> BatchLauncher<Lsf> {
    BatchLauncher::new(Lsf, job)
}

/// The resource file of the launch on node `node` (its index among the job's nodes).
pub fn erf_path(dir: &Path, node: usize) -> PathBuf {
    dir.join(format!("node-{node}.erf"))
}

impl System for Lsf {
    fn kind(&self) -> LauncherKind {
        LauncherKind::Lsf
    }

    fn allocation_nodes(&self) -> Result<Vec<String>> {
        nodes_from_file_var("LSB_DJOB_HOSTFILE")
    }

    fn script_nodes(&self) -> String {
        "mapfile -t nodes < <(awk '!seen[$0]++' \"$LSB_DJOB_HOSTFILE\")".into()
    }

    fn directives(&self, plan: &Plan, nodes: usize) -> Vec<String> {
        let o = &plan.opts;
        let mut d = vec![
            "#BSUB -J smartredis-store".to_string(),
            format!("#BSUB -nnodes {nodes}"),
            format!("#BSUB -o {}", plan.dir.join(JOB_OUTPUT).display()),
            format!("#BSUB -cwd {}", plan.dir.display()),
        ];
        if let Some(t) = &o.walltime {
            d.push(format!("#BSUB -W {t}"));
        }
        if let Some(q) = &o.queue {
            d.push(format!("#BSUB -q {q}"));
        }
        if let Some(a) = &o.account {
            d.push(format!("#BSUB -P {a}"));
        }
        d
    }

    fn launch(
        &self,
        plan: &Plan,
        group: &[Placement],
        node: &str,
        job: Option<&str>,
    ) -> Vec<String> {
        // The resource file (written just before the launch) names the node.
        let _ = (node, job);
        let erf = erf_path(&plan.dir, group[0].node).display().to_string();
        let mut w = vec!["jsrun".to_string(), format!("--erf_input={erf}")];
        w.extend(node_words(plan, group));
        w
    }

    fn launch_files(&self, plan: &Plan, group: &[Placement], node: &str) -> Vec<(PathBuf, String)> {
        vec![(
            erf_path(&plan.dir, group[0].node),
            erf(plan, node, group.len()),
        )]
    }

    fn submit(&self, _script: &Path) -> (Vec<String>, bool) {
        (vec!["bsub".into()], true)
    }

    fn parse_job_id(&self, out: &str) -> Option<String> {
        // `Job <1234> is submitted to queue <batch>.`
        let start = out.find("Job <")? + 5;
        let end = start + out[start..].find('>')?;
        let id = &out[start..end];
        (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then(|| id.to_string())
    }

    fn job_state(&self, job: &str) -> JobState {
        let (ok, out) = run_cmd(
            &[
                "bjobs".into(),
                "-noheader".into(),
                "-o".into(),
                "stat".into(),
                job.into(),
            ],
            None,
        );
        let stat = out.trim().to_string();
        JobState {
            gone: !ok || !matches!(stat.as_str(), "RUN" | "PEND" | "PSUSP" | "USUSP" | "SSUSP"),
            words: if stat.is_empty() {
                format!("job {job} is not in bjobs")
            } else {
                format!("STAT {stat}")
            },
        }
    }

    fn cancel(&self, job: &str, _step: Option<&str>, hard: bool) -> Vec<String> {
        let mut w = vec!["bkill".to_string()];
        if hard {
            w.extend(["-s".into(), "KILL".into()]);
        }
        w.push(job.into());
        w
    }
}

/// An explicit resource file: one rank on `node`, with the CPUs asked for per shard times its `shards`.
fn erf(plan: &Plan, node: &str, shards: usize) -> String {
    let cpus = plan.opts.cpus_per_shard.unwrap_or(1).max(1) as usize * shards.max(1);
    format!(
        "overlapping_rs: allow\ncpu_index_using: logical\nrank: 0: {{ hostname: {node}; cpu: {{0-{}}} }}\n",
        cpus - 1
    )
}
