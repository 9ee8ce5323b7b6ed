//! The launcher interface: how shards are placed, started, found, watched and stopped — on this host
//! ([`local`](super::local)) or through a batch system ([`slurm`](super::slurm), [`pbs`](super::pbs),
//! [`lsf`](super::lsf), [`cobalt`](super::cobalt)). Cluster formation, readiness, status and stop
//! ([`Orchestrator`](super::Orchestrator)) work over any of them.

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use super::error::{Error, Result};
use super::options::OrchestratorOptions;
use super::state::ShardRecord;

/// Which launcher starts the shards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LauncherKind {
    /// Processes on this host.
    #[default]
    Local,
    /// Slurm: `srun` steps inside an allocation, or an `sbatch` job.
    Slurm,
    /// PBS Pro: `mpiexec`/`pbsdsh` inside an allocation, or a `qsub` job.
    Pbs,
    /// LSF: `jsrun` inside an allocation, or a `bsub` job.
    Lsf,
    /// Cobalt: `aprun`/`mpirun` inside an allocation, or a `qsub` job.
    Cobalt,
    /// Chosen from the environment: `SLURM_JOB_ID`, `PBS_JOBID`, `LSB_JOBID`, `COBALT_JOBID`, else local.
    Auto,
}

impl LauncherKind {
    /// Every concrete launcher (not `Auto`).
    pub const ALL: [LauncherKind; 5] = [
        LauncherKind::Local,
        LauncherKind::Slurm,
        LauncherKind::Pbs,
        LauncherKind::Lsf,
        LauncherKind::Cobalt,
    ];

    /// The name used in options, the CLI and the state file.
    pub fn name(self) -> &'static str {
        match self {
            LauncherKind::Local => "local",
            LauncherKind::Slurm => "slurm",
            LauncherKind::Pbs => "pbs",
            LauncherKind::Lsf => "lsf",
            LauncherKind::Cobalt => "cobalt",
            LauncherKind::Auto => "auto",
        }
    }

    /// Parses `local|slurm|pbs|lsf|cobalt|auto` (case-insensitive).
    pub fn parse(s: &str) -> Result<LauncherKind> {
        let s = s.trim().to_ascii_lowercase();
        LauncherKind::ALL
            .into_iter()
            .chain([LauncherKind::Auto])
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                Error::InvalidOption(format!(
                    "unknown launcher {s:?} (expected local, slurm, pbs, lsf, cobalt or auto)"
                ))
            })
    }

    /// The job-id variable of the scheduler, if this is one.
    pub fn job_id_var(self) -> Option<&'static str> {
        match self {
            LauncherKind::Slurm => Some("SLURM_JOB_ID"),
            LauncherKind::Pbs => Some("PBS_JOBID"),
            LauncherKind::Lsf => Some("LSB_JOBID"),
            LauncherKind::Cobalt => Some("COBALT_JOBID"),
            LauncherKind::Local | LauncherKind::Auto => None,
        }
    }

    /// `Auto` resolved through `env` (a variable lookup); any other kind as is.
    pub fn resolve_with(self, env: impl Fn(&str) -> Option<String>) -> LauncherKind {
        if self != LauncherKind::Auto {
            return self;
        }
        LauncherKind::ALL
            .into_iter()
            .find(|k| {
                k.job_id_var()
                    .and_then(&env)
                    .is_some_and(|v| !v.trim().is_empty())
            })
            .unwrap_or(LauncherKind::Local)
    }

    /// `Auto` resolved from this process's environment.
    pub fn resolve(self) -> LauncherKind {
        self.resolve_with(|k| std::env::var(k).ok())
    }
}

impl fmt::Display for LauncherKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything resolved once per start and shared by all shards.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The options asked for.
    pub opts: OrchestratorOptions,
    /// The server binary.
    pub server: PathBuf,
    /// The module library and its load arguments, when enabled.
    pub module: Option<(PathBuf, Vec<String>)>,
    /// The working directory (shared by every node for the schedulers).
    pub dir: PathBuf,
    /// Whether shards run in cluster mode.
    pub cluster: bool,
    /// The store's run id, carried by every shard (`proc-title-template`) and checked before it is signalled.
    pub run_id: String,
}

impl Plan {
    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.opts.shards
    }
}

/// Starts, watches and stops the shards of one store. One implementation per launcher; the
/// [`Orchestrator`](super::Orchestrator) drives formation, readiness, status and stop over it.
pub trait Launcher: fmt::Debug + Send {
    /// Which launcher this is.
    fn kind(&self) -> LauncherKind;

    /// Places and starts every shard of `plan`; returns one record per shard (host, port, how to reach and stop
    /// it) once each one's address is known, or an error by `deadline` (then everything started is stopped).
    fn start(&mut self, plan: &Plan, deadline: Instant) -> Result<Vec<ShardRecord>>;

    /// `None` while the shard's process (or step) runs; once it is gone, how it ended in the system's words.
    fn exited(&mut self, shard: &ShardRecord) -> Option<String>;

    /// Checks that what answers for `shard` is the shard this store started (process identity, run id); `Err`
    /// says why not. Nothing is ever signalled or shut down without this check passing.
    fn verify(&mut self, shard: &ShardRecord, run_id: &str) -> std::result::Result<(), String>;

    /// [`Launcher::verify`], given the shard's own answer to `CONFIG GET proc-title-template` when the caller has
    /// already asked for it (`Err`: why it could not be asked). The scheduler launchers check the run id in it; the
    /// local launcher checks the process.
    fn verify_with(
        &mut self,
        shard: &ShardRecord,
        run_id: &str,
        titles: std::result::Result<&[String], &str>,
    ) -> std::result::Result<(), String> {
        let _ = titles;
        self.verify(shard, run_id)
    }

    /// Forces verified shards down after `SHUTDOWN` did not end them: `hard = false` asks (SIGTERM, `scancel`),
    /// `hard = true` kills (SIGKILL, `scancel --signal=KILL`).
    fn terminate(&mut self, shards: &[ShardRecord], run_id: &str, hard: bool);

    /// Releases what the launcher holds beyond the shards (a job it submitted), once every shard is gone.
    fn release(&mut self) -> Result<()> {
        Ok(())
    }

    /// How to reach the shards (password, TLS CA), for launchers that connect to them; given before
    /// [`Launcher::start`] and after an attach.
    fn set_access(&mut self, _access: &super::access::Access) {}

    /// Job ids to record (a batch job this launcher submitted).
    fn job_id(&self) -> Option<String> {
        None
    }

    /// What [`Launcher::start`] would run, as text (scripts and command lines), without running anything.
    fn dry_run(&self, plan: &Plan) -> Result<String>;
}

/// A launcher for `kind` (resolved when `Auto`), attached to a recorded job when `job` is given.
pub fn launcher_for(kind: LauncherKind, job: Option<String>) -> Result<Box<dyn Launcher>> {
    Ok(match kind.resolve() {
        LauncherKind::Local | LauncherKind::Auto => {
            let _ = job;
            Box::new(super::local::LocalLauncher::new())
        }
        LauncherKind::Slurm => Box::new(super::slurm::launcher(job)),
        LauncherKind::Pbs => Box::new(super::pbs::launcher(job)),
        LauncherKind::Lsf => Box::new(super::lsf::launcher(job)),
        LauncherKind::Cobalt => Box::new(super::cobalt::launcher(job)),
    })
}

/// A fresh random run id (16 hex digits) from the kernel's random source, falling back to time and PID.
pub fn new_run_id() -> String {
    let mut buf = [0u8; 8];
    let got = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut buf))
        .is_ok();
    if !got {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        buf = ((t as u64) ^ (u64::from(std::process::id()) << 32)).to_le_bytes();
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `proc-title-template` that makes a shard carry the run id (visible in `/proc/<pid>/cmdline` and through
/// `CONFIG GET proc-title-template`).
pub fn title_template(run_id: &str) -> String {
    format!(
        "{{title}} {{listen-addr}} {{server-mode}} {}",
        run_marker(run_id)
    )
}

/// The marker a shard of run `run_id` carries.
pub fn run_marker(run_id: &str) -> String {
    format!("smartredis-run={run_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_auto_follows_the_environment() {
        for k in LauncherKind::ALL {
            assert_eq!(LauncherKind::parse(k.name()).ok(), Some(k));
        }
        assert_eq!(LauncherKind::parse("SLURM").ok(), Some(LauncherKind::Slurm));
        assert!(LauncherKind::parse("k8s").is_err());
        let env = |set: &'static str| move |k: &str| (k == set).then(|| "42".to_string());
        assert_eq!(
            LauncherKind::Auto.resolve_with(env("SLURM_JOB_ID")),
            LauncherKind::Slurm
        );
        assert_eq!(
            LauncherKind::Auto.resolve_with(env("PBS_JOBID")),
            LauncherKind::Pbs
        );
        assert_eq!(
            LauncherKind::Auto.resolve_with(env("LSB_JOBID")),
            LauncherKind::Lsf
        );
        assert_eq!(
            LauncherKind::Auto.resolve_with(env("COBALT_JOBID")),
            LauncherKind::Cobalt
        );
        assert_eq!(
            LauncherKind::Auto.resolve_with(env("NOTHING")),
            LauncherKind::Local
        );
        assert_eq!(
            LauncherKind::Pbs.resolve_with(env("SLURM_JOB_ID")),
            LauncherKind::Pbs
        );
    }

    #[test]
    fn run_ids_differ_and_are_carried_by_the_title() {
        let (a, b) = (new_run_id(), new_run_id());
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert!(title_template(&a).contains(&run_marker(&a)));
        assert!(title_template(&a).starts_with("{title}"));
    }
}
