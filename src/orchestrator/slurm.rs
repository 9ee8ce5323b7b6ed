//! Slurm: inside an allocation, one `srun` step per node running that node's shards (`--nodes=1 --ntasks=1
//! --overlap`, its node, CPUs per shard times its shards, the environment exported); outside one, a store job
//! (`sbatch --parsable`) running the same steps. Status from `squeue`/`scontrol` and each shard's recorded end, stop
//! with `SHUTDOWN` then `scancel` of the step or job.

use std::collections::HashSet;
use std::path::Path;

use super::batch::{run_cmd, BatchLauncher, JobState, Placement, System, JOB_OUTPUT};
use super::error::{Error, Result};
use super::launcher::{LauncherKind, Plan};

/// Slurm's commands.
#[derive(Clone, Copy, Debug, Default)]
pub struct Slurm;

/// A Slurm launcher, attached to store job `job` when one was recorded.
pub fn launcher(job: Option<String>) -> BatchLauncher<Slurm> {
    BatchLauncher::new(Slurm, job)
}

impl System for Slurm {
    fn kind(&self) -> LauncherKind {
        LauncherKind::Slurm
    }

    fn allocation_nodes(&self) -> Result<Vec<String>> {
        let list = std::env::var("SLURM_JOB_NODELIST")
            .or_else(|_| std::env::var("SLURM_NODELIST"))
            .map_err(|_| Error::Scheduler("SLURM_JOB_NODELIST is not set".into()))?;
        let words = vec![
            "scontrol".to_string(),
            "show".into(),
            "hostnames".into(),
            list.clone(),
        ];
        let (ok, out) = run_cmd(&words, None);
        if !ok {
            return Err(Error::Scheduler(format!(
                "scontrol show hostnames {list}: {out}"
            )));
        }
        Ok(super::batch::unique_lines(&out))
    }

    fn script_nodes(&self) -> String {
        "mapfile -t nodes < <(scontrol show hostnames \"$SLURM_JOB_NODELIST\")".into()
    }

    fn directives(&self, plan: &Plan, nodes: usize) -> Vec<String> {
        let o = &plan.opts;
        let mut d = vec![
            "#SBATCH --job-name=smartredis-store".to_string(),
            format!("#SBATCH --nodes={nodes}"),
            "#SBATCH --ntasks-per-node=1".to_string(),
            format!("#SBATCH --output={}", plan.dir.join(JOB_OUTPUT).display()),
            format!("#SBATCH --chdir={}", plan.dir.display()),
        ];
        if let Some(c) = o.cpus_per_shard {
            let per_node = plan.shards().div_ceil(nodes.max(1));
            d.push(format!("#SBATCH --cpus-per-task={}", c as usize * per_node));
        }
        if let Some(t) = &o.walltime {
            d.push(format!("#SBATCH --time={t}"));
        }
        if let Some(a) = &o.account {
            d.push(format!("#SBATCH --account={a}"));
        }
        if let Some(q) = &o.queue {
            d.push(format!("#SBATCH --partition={q}"));
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
        let mut w = vec!["srun".to_string()];
        if let Some(j) = job {
            w.push(format!("--jobid={j}"));
        }
        w.extend([
            "--nodes=1".to_string(),
            "--ntasks=1".into(),
            "--overlap".into(),
            format!("--nodelist={node}"),
            format!("--job-name=smartredis-node-{}", group[0].node),
            "--export=ALL".into(),
            "--kill-on-bad-exit=1".into(),
        ]);
        if let Some(c) = plan.opts.cpus_per_shard {
            w.push(format!("--cpus-per-task={}", c as usize * group.len()));
        }
        w.extend(super::batch::node_words(plan, group));
        w
    }

    fn submit(&self, script: &Path) -> (Vec<String>, bool) {
        (
            vec![
                "sbatch".into(),
                "--parsable".into(),
                script.display().to_string(),
            ],
            false,
        )
    }

    fn parse_job_id(&self, out: &str) -> Option<String> {
        // `sbatch --parsable` prints `JOBID` or `JOBID;CLUSTER`.
        let line = out.lines().rev().find(|l| !l.trim().is_empty())?;
        let id = line.split(';').next()?.trim();
        (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then(|| id.to_string())
    }

    fn job_state(&self, job: &str) -> JobState {
        let (ok, out) = run_cmd(
            &[
                "squeue".into(),
                "-h".into(),
                "-j".into(),
                job.into(),
                "-o".into(),
                "%T %r".into(),
            ],
            None,
        );
        let running = ok && !out.trim().is_empty();
        if running {
            let words = out.trim().to_string();
            let gone = !(words.starts_with("RUNNING")
                || words.starts_with("PENDING")
                || words.starts_with("CONFIGURING")
                || words.starts_with("COMPLETING"));
            return JobState { gone, words };
        }
        // Gone from the queue: ask for its final state.
        let (_, detail) = run_cmd(
            &["scontrol".into(), "show".into(), "job".into(), job.into()],
            None,
        );
        let words: Vec<&str> = detail
            .split_whitespace()
            .filter(|w| {
                w.starts_with("JobState=") || w.starts_with("Reason=") || w.starts_with("ExitCode=")
            })
            .collect();
        JobState {
            gone: true,
            words: if words.is_empty() {
                format!("not in squeue ({})", out.trim())
            } else {
                words.join(" ")
            },
        }
    }

    fn node_state(&self, node: &str) -> Option<String> {
        if node.is_empty() {
            return None;
        }
        let (ok, out) = run_cmd(
            &[
                "sinfo".into(),
                "-h".into(),
                "-N".into(),
                "-n".into(),
                node.into(),
                "-o".into(),
                "%T|%E".into(),
            ],
            None,
        );
        let line = out.lines().next().filter(|_| ok)?.trim().to_string();
        let (state, reason) = line.split_once('|').unwrap_or((line.as_str(), "none"));
        Some(if reason.trim().is_empty() || reason.trim() == "none" {
            format!("state {state}")
        } else {
            format!("state {state}, reason {}", reason.trim())
        })
    }

    fn live_steps(&self, job: &str) -> Option<HashSet<String>> {
        let (ok, out) = run_cmd(
            &[
                "squeue".into(),
                "-h".into(),
                "-s".into(),
                "-j".into(),
                job.into(),
                "-o".into(),
                "%i".into(),
            ],
            None,
        );
        if !ok {
            return Some(HashSet::new());
        }
        Some(out.split_whitespace().map(str::to_string).collect())
    }

    fn cancel(&self, job: &str, step: Option<&str>, hard: bool) -> Vec<String> {
        let mut w = vec!["scancel".to_string()];
        if hard {
            w.push("--signal=KILL".into());
            if step.is_none() {
                w.push("--full".into());
            }
        }
        w.push(match step {
            Some(s) => format!("{job}.{s}"),
            None => job.to_string(),
        });
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sbatch_parsable() {
        assert_eq!(Slurm.parse_job_id("42\n").as_deref(), Some("42"));
        assert_eq!(Slurm.parse_job_id("42;cluster").as_deref(), Some("42"));
        assert_eq!(Slurm.parse_job_id("sbatch: error: x"), None);
    }

    #[test]
    fn cancels_steps_and_jobs() {
        assert_eq!(Slurm.cancel("7", Some("2"), false), vec!["scancel", "7.2"]);
        assert_eq!(
            Slurm.cancel("7", None, true),
            vec!["scancel", "--signal=KILL", "--full", "7"]
        );
    }
}
