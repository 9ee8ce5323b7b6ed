//! The local orchestrator: start, watch and stop a Redis feature store — one standalone shard or a Redis Cluster
//! of any number (≥ 2) of shards on this host — with the RedisAI-compatible module loaded.
//!
//! ```no_run
//! use smartredis::orchestrator::{db_type_name, Orchestrator, OrchestratorOptions};
//! let mut db = Orchestrator::launch(OrchestratorOptions::new().shards(3).dir("/tmp/db"))?;
//! println!("SSDB={} SR_DB_TYPE={}", db.address(), db_type_name(db.db_type()));
//! db.stop()?;
//! # Ok::<(), smartredis::orchestrator::Error>(())
//! ```
//!
//! Each shard runs `redis-server` in the working directory with its own port, log file (`shard-<i>.log`), RDB/AOF
//! files and `nodes-<port>.conf`. A JSON state file records PIDs and ports so that another process can
//! [`Orchestrator::attach`] to it (the `smartredis` CLI, a C program).

pub mod access;
pub mod batch;
mod certs;
pub mod cobalt;
pub mod colocated;
mod error;
mod formation;
pub mod launcher;
pub mod local;
pub mod lsf;
mod options;
pub mod pbs;
pub mod ports;
pub mod script;
pub mod slurm;
pub mod state;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use access::{Access, TlsFiles};
pub use colocated::{Colocated, ColocatedOptions, PreloadModel, PreloadScript};
pub use error::{Error, Result};
pub use launcher::{Launcher, LauncherKind, Plan};
pub use local::{find_module, find_redis_server, MODULE_FILE};
pub use options::{
    Auth, Bind, ModuleOptions, OrchestratorOptions, Persistence, Tls, DEFAULT_PROTO_MAX_BULK_LEN,
    DEFAULT_START_TIMEOUT, DEFAULT_STOP_TIMEOUT,
};

/// Checks CPU indices against this machine (an option error names the bad one).
pub fn check_cpus(cpus: &[usize]) -> Result<()> {
    options::check_cpus(cpus, options::configured_cpus())
}
pub use state::{ShardRecord, State, STATE_FILE};

/// Most addresses handed out in `SSDB` (as SmartSim does).
pub(crate) const MAX_SSDB_ADDRESSES: usize = 128;

/// The `SSDB` value for `addresses`: the first [`MAX_SSDB_ADDRESSES`], comma separated.
fn ssdb_value(addresses: Vec<String>) -> String {
    addresses
        .into_iter()
        .take(MAX_SSDB_ADDRESSES)
        .collect::<Vec<_>>()
        .join(",")
}

/// How long one connection attempt to a shard may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(250);
/// Interval between readiness polls.
const POLL_STEP: Duration = Duration::from_millis(5);
/// How many silent shards `wait_ping` asks each [`POLL_STEP`] (fewer, more often).
const PING_BATCH: usize = 8;

/// Standalone or clustered: the client configuration's type, shared so there is one `DbType` in the crate.
pub use crate::config::DbType;

/// `DbType` spelled as `SR_DB_TYPE` expects: `Standalone` or `Clustered`.
pub fn db_type_name(t: DbType) -> &'static str {
    match t {
        DbType::Standalone => "Standalone",
        DbType::Clustered => "Clustered",
    }
}

/// What a shard is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShardState {
    /// The process runs and answers `PING` (and, in a cluster, reports `cluster_state:ok`).
    Running,
    /// The process runs but does not answer, or its cluster is not ok.
    Unresponsive,
    /// The process is gone.
    Exited,
}

impl fmt::Display for ShardState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ShardState::Running => "running",
            ShardState::Unresponsive => "unresponsive",
            ShardState::Exited => "exited",
        })
    }
}

/// Status of one shard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardStatus {
    /// Index (0-based).
    pub index: usize,
    /// `host:port`.
    pub address: String,
    /// Process id (local launcher; 0 for a scheduler's shard).
    pub pid: u32,
    /// Running, unresponsive or exited.
    pub state: ShardState,
    /// Details: `cluster_state`, the error seen, or the exit status.
    pub detail: String,
}

/// The `SSDB`/`SR_DB_TYPE` variable names for a database identifier: `None`, `""` and `"orchestrator"` give the
/// plain names, any other id gives `SSDB_<id>` and `SR_DB_TYPE_<id>` (SmartSim's rule).
pub fn env_var_names(db_identifier: Option<&str>) -> (String, String) {
    match db_identifier {
        None | Some("") | Some("orchestrator") => ("SSDB".into(), "SR_DB_TYPE".into()),
        Some(id) => (format!("SSDB_{id}"), format!("SR_DB_TYPE_{id}")),
    }
}

/// A feature store: its shards, their addresses, and the launcher that started them and stops them.
///
/// Dropping an `Orchestrator` that this process started stops it (nothing is left running by accident); call
/// [`Orchestrator::detach`] to leave it running, e.g. for a later `smartredis stop`. One obtained with
/// [`Orchestrator::attach`] is never stopped by drop.
#[derive(Debug)]
pub struct Orchestrator {
    opts: OrchestratorOptions,
    dir: PathBuf,
    db_type: DbType,
    launcher: Box<dyn Launcher>,
    shards: Vec<ShardRecord>,
    run_id: String,
    socket: Option<PathBuf>,
    save_on_stop: bool,
    module: bool,
    db_identifier: Option<String>,
    access: Access,
    pub(crate) stop_on_drop: bool,
}

impl Orchestrator {
    /// Checks the options; nothing is started until [`Orchestrator::start`].
    pub fn new(mut opts: OrchestratorOptions) -> Result<Orchestrator> {
        opts.validate()?;
        let dir = opts.working_dir()?;
        // A relative socket path names a file in the working directory (where the shards run), for clients too.
        if let Some(s) = opts.unix_socket.take() {
            opts.unix_socket = Some(if s.is_relative() { dir.join(s) } else { s });
        }
        let launcher = launcher::launcher_for(opts.launcher, None)?;
        Ok(Orchestrator {
            db_type: if opts.shards > 1 {
                DbType::Clustered
            } else {
                DbType::Standalone
            },
            launcher,
            shards: Vec::new(),
            run_id: String::new(),
            socket: opts.unix_socket.clone(),
            save_on_stop: opts.persistence.enabled(),
            module: opts.module.enabled,
            db_identifier: opts.db_identifier.clone(),
            access: Access::default(),
            stop_on_drop: true,
            dir,
            opts,
        })
    }

    /// [`Orchestrator::new`] then [`Orchestrator::start`].
    pub fn launch(opts: OrchestratorOptions) -> Result<Orchestrator> {
        let mut o = Orchestrator::new(opts)?;
        o.start()?;
        Ok(o)
    }

    /// The launcher that starts (or started) the shards.
    pub fn launcher_kind(&self) -> LauncherKind {
        self.launcher.kind()
    }

    fn plan(&self) -> Result<Plan> {
        let local = self.launcher.kind() == LauncherKind::Local;
        // A scheduler's shards run on other nodes: an explicit path is taken as given (it need not exist here);
        // otherwise the one found here is used (the same path must hold on every node), else `redis-server`.
        let server = match (&self.opts.redis_server, local) {
            (Some(p), false) => p.clone(),
            _ if local => find_redis_server(self.opts.redis_server.as_deref())?,
            _ => find_redis_server(None).unwrap_or_else(|_| PathBuf::from("redis-server")),
        };
        let module = if !self.opts.module.enabled {
            None
        } else if let (Some(p), false) = (&self.opts.module.path, local) {
            Some((p.clone(), self.opts.module.load_args()))
        } else {
            Some((
                find_module(self.opts.module.path.as_deref())?,
                self.opts.module.load_args(),
            ))
        };
        Ok(Plan {
            opts: self.opts.clone(),
            server,
            module,
            dir: self.dir.clone(),
            cluster: self.opts.shards > 1,
            run_id: if self.run_id.is_empty() {
                launcher::new_run_id()
            } else {
                self.run_id.clone()
            },
        })
    }

    /// What [`Orchestrator::start`] would run (command lines, job scripts), without starting anything.
    pub fn dry_run(&self) -> Result<String> {
        let plan = self.plan()?;
        self.launcher.dry_run(&plan)
    }

    /// Starts every shard, forms the cluster, and returns once the store is usable: each shard answers, (cluster)
    /// every node reports `cluster_state:ok` with all 16384 slots, and the module is loaded when enabled. Bounded by
    /// the start timeout; on failure everything started is stopped and the error names the shard and quotes its log.
    pub fn start(&mut self) -> Result<()> {
        if !self.shards.is_empty() {
            return Err(Error::AlreadyRunning(self.dir.clone()));
        }
        let deadline = Instant::now() + self.opts.start_timeout;
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        if let Some(w) = state::dir_warning(&self.dir) {
            eprintln!("smartredis: {w}");
        }
        clean_stale(&self.dir)?;
        let probe = self
            .dir
            .join(format!(".smartredis-probe-{}", std::process::id()));
        std::fs::write(&probe, b"").map_err(|e| Error::io(&self.dir, e))?;
        let _ = std::fs::remove_file(&probe);

        let host = match self.launcher.kind() {
            LauncherKind::Local => Some(ports::resolve_bind(&self.opts.bind)?),
            _ => None,
        };
        self.access = match access::prepare(&self.opts, &self.dir, host.as_deref()) {
            Ok(a) => a,
            Err(e) => {
                access::remove(&self.dir);
                return Err(e);
            }
        };
        self.launcher.set_access(&self.access);
        let mut plan = self.plan()?;
        // A port found free can be taken before redis-server binds it: with automatic ports, try again.
        let mut attempt = 0;
        loop {
            attempt += 1;
            plan.run_id = launcher::new_run_id();
            self.run_id = plan.run_id.clone();
            match self.try_start(&plan, deadline) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    self.kill_all();
                    self.remove_files();
                    self.shards.clear();
                    let _ = self.launcher.release();
                    let port_race = matches!(&e, Error::Shard { tail, .. } if tail.contains("Address already in use"));
                    if !(port_race
                        && self.opts.port.is_none()
                        && attempt < 3
                        && Instant::now() < deadline)
                    {
                        access::remove(&self.dir);
                        return Err(e);
                    }
                }
            }
        }
    }

    fn try_start(&mut self, plan: &Plan, deadline: Instant) -> Result<()> {
        self.shards = self.launcher.start(plan, deadline)?;
        self.state().save(&self.dir)?;
        let (mut cons, answered) = self.wait_ping(deadline)?;
        if plan.cluster {
            formation::form(
                &self.shards,
                &mut cons,
                &answered,
                self.launcher.as_mut(),
                deadline,
                self.opts.start_timeout,
            )?;
        }
        if self.module {
            for (shard, con) in self.shards.iter().zip(cons.iter_mut()) {
                let list: redis::Value =
                    redis::cmd("MODULE")
                        .arg("LIST")
                        .query(con)
                        .map_err(|e| Error::Redis {
                            shard: shard.index,
                            port: shard.port,
                            context: "MODULE LIST".into(),
                            source: e,
                        })?;
                if !value_has_string(&list, "ai") {
                    return Err(formation::shard_error(
                        shard,
                        "does not list the module \"ai\" in MODULE LIST",
                    ));
                }
            }
        }
        Ok(())
    }

    fn state(&self) -> State {
        State {
            version: state::STATE_VERSION,
            launcher: self.launcher.kind().name().into(),
            run_id: self.run_id.clone(),
            db_type: self.db_type,
            shards: self.shards.clone(),
            job_id: self.launcher.job_id(),
            socket: self.socket.clone(),
            save_on_stop: self.save_on_stop,
            db_identifier: self.db_identifier.clone(),
            module: self.module,
            started_by: std::process::id(),
            password_file: self.access.password_file.clone(),
            tls_ca: self.access.tls_ca.clone(),
        }
    }

    /// Polls every shard until it answers `PING` (all shards at once); returns one connection per shard and when
    /// each first answered.
    fn wait_ping(&mut self, deadline: Instant) -> Result<(Vec<redis::Connection>, Vec<Instant>)> {
        let mut cons: Vec<Option<redis::Connection>> = self.shards.iter().map(|_| None).collect();
        let mut answered = vec![Instant::now(); self.shards.len()];
        let mut last_err: Vec<String> = vec!["no answer yet".into(); self.shards.len()];
        loop {
            let mut missing = Vec::new();
            for (i, shard) in self.shards.iter().enumerate() {
                if cons[i].is_some() {
                    continue;
                }
                if let Some(how) = self.launcher.exited(shard) {
                    return Err(formation::shard_error(
                        shard,
                        format!("exited during start ({how})"),
                    ));
                }
                missing.push(i);
            }
            let targets: Vec<&ShardRecord> = missing.iter().map(|&i| &self.shards[i]).collect();
            // A port found free can be taken by another server before ours binds it: only a server carrying
            // this run's marker is ours (ours then exits on its bind error, and `launch` retries).
            let run_id = &self.run_id;
            let got = connect_all(&self.access, &targets, |c| {
                redis::cmd("PING").query::<String>(c)?;
                let at = Instant::now();
                Ok(local::carries_run(c, run_id).map(|()| at))
            });
            for (i, r) in missing.into_iter().zip(got) {
                match r {
                    Ok((c, Ok(at))) => {
                        cons[i] = Some(c);
                        answered[i] = at;
                    }
                    Ok((_, Err(e))) => last_err[i] = e,
                    Err(e) => last_err[i] = e.to_string(),
                }
            }
            if cons.iter().all(Option::is_some) {
                return Ok((cons.into_iter().flatten().collect(), answered));
            }
            if Instant::now() >= deadline {
                let i = cons.iter().position(Option::is_none).unwrap_or(0);
                return Err(formation::shard_error(
                    &self.shards[i],
                    format!(
                        "did not answer PING within {:.1}s (last error: {})",
                        self.opts.start_timeout.as_secs_f64(),
                        last_err[i]
                    ),
                ));
            }
            // Each round costs a connection attempt (a thread) per silent shard: while many are still starting,
            // and need the CPU, ask less often.
            let silent = cons.iter().filter(|c| c.is_none()).count();
            std::thread::sleep(POLL_STEP * silent.div_ceil(PING_BATCH).min(8) as u32);
        }
    }

    /// Attaches to the orchestrator recorded in `dir` (started by this or another process, by any launcher). Only
    /// reads: a record whose shards have all exited is kept (status reports them as exited; `stop` or the next
    /// `start` cleans it up). No record is [`Error::NotRunning`].
    pub fn attach(dir: impl AsRef<Path>) -> Result<Orchestrator> {
        let dir = absolute(dir.as_ref())?;
        let Some(st) = State::load(&dir)? else {
            return Err(Error::NotRunning(dir));
        };
        let kind = st.launcher_kind()?;
        let access = access::load(&dir, st.password_file.as_deref(), st.tls_ca.as_deref());
        let mut launcher = launcher::launcher_for(kind, st.job_id.clone())?;
        launcher.set_access(&access);
        let opts = OrchestratorOptions::new()
            .shards(st.shards.len())
            .dir(&dir)
            .launcher(kind);
        Ok(Orchestrator {
            db_type: st.db_type,
            launcher,
            shards: st.shards,
            run_id: st.run_id,
            socket: st.socket,
            save_on_stop: st.save_on_stop,
            module: st.module,
            db_identifier: st.db_identifier,
            access,
            stop_on_drop: false,
            dir,
            opts,
        })
    }

    /// The shards as recorded: host, port, and how each is reached and stopped.
    pub fn shards(&self) -> &[ShardRecord] {
        &self.shards
    }

    /// The shards' `host:port` addresses.
    pub fn addresses(&self) -> Vec<String> {
        self.shards.iter().map(ShardRecord::address).collect()
    }

    /// The `SSDB` value: up to 128 `host:port` addresses, comma separated.
    pub fn address(&self) -> String {
        ssdb_value(self.addresses())
    }

    /// Standalone or clustered.
    pub fn db_type(&self) -> DbType {
        self.db_type
    }

    /// The Unix socket of a standalone shard, if one was asked for.
    pub fn unix_socket(&self) -> Option<&Path> {
        self.socket.as_deref()
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Process ids of the shards (0 for a scheduler's shard).
    pub fn pids(&self) -> Vec<u32> {
        self.shards.iter().map(|s| s.pid).collect()
    }

    /// Client ports of the shards.
    pub fn ports(&self) -> Vec<u16> {
        self.shards.iter().map(|s| s.port).collect()
    }

    /// Log files of the shards.
    pub fn log_files(&self) -> Vec<PathBuf> {
        self.shards.iter().map(|s| s.log.clone()).collect()
    }

    /// The store's run id (carried by every shard), empty before a start.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The database identifier, if any.
    pub fn db_identifier(&self) -> Option<&str> {
        self.db_identifier.as_deref()
    }

    /// The environment a SmartRedis client needs: `SSDB[_<id>]` and `SR_DB_TYPE[_<id>]`, then
    /// `SR_PASSWORD_FILE[_<id>]` when the store requires a password and `SR_TLS_CA_FILE[_<id>]` when it serves
    /// TLS (file names, never the secret). Nothing is set here.
    pub fn env_vars(&self) -> Vec<(String, String)> {
        let (ssdb, db_type) = env_var_names(self.db_identifier.as_deref());
        let kind = if self.shards.len() > 1 {
            DbType::Clustered
        } else {
            DbType::Standalone
        };
        let mut env = vec![
            (ssdb, self.address()),
            (db_type, db_type_name(kind).to_string()),
        ];
        env.extend(self.access_env_vars());
        env
    }

    /// `SR_PASSWORD_FILE[_<id>]` and `SR_TLS_CA_FILE[_<id>]`, for those the store needs.
    fn access_env_vars(&self) -> Vec<(String, String)> {
        let name = |var: &str| match self.db_identifier.as_deref() {
            None | Some("") | Some("orchestrator") => var.to_string(),
            Some(id) => format!("{var}_{id}"),
        };
        let mut env = Vec::new();
        if let Some(f) = &self.access.password_file {
            env.push((name("SR_PASSWORD_FILE"), f.display().to_string()));
        }
        if let Some(ca) = &self.access.tls_ca {
            env.push((name("SR_TLS_CA_FILE"), ca.display().to_string()));
        }
        env
    }

    /// How the launcher reaches the shards (password, TLS CA), for code that talks to them directly.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Like [`Orchestrator::env_vars`], but a standalone store with a Unix socket is reached through it
    /// (`SSDB=unix://PATH`): what a job script on this host needs.
    pub fn client_env_vars(&self) -> Vec<(String, String)> {
        let mut env = self.env_vars();
        if let (Some(sock), 1) = (self.unix_socket(), self.shards.len()) {
            env[0].1 = crate::Address::Unix(sock.to_path_buf()).to_string();
        }
        env
    }

    /// A SmartRedis [`Client`](crate::Client) connected to this store, named `logger_name` in logs. `SSDB` and
    /// `SR_DB_TYPE` come from the orchestrator (the environment is neither read for them nor changed); the other
    /// client settings are read from the environment, suffixed with the database identifier when there is one.
    pub fn client(&self, logger_name: &str) -> crate::Result<crate::Client> {
        connect_client(
            &self.address(),
            self.db_type,
            self.db_identifier.as_deref(),
            &self.access,
            logger_name,
        )
    }

    /// Whether every shard runs and answers (in a cluster: reports `cluster_state:ok`).
    pub fn is_active(&mut self) -> bool {
        !self.shards.is_empty() && self.status().iter().all(|s| s.state == ShardState::Running)
    }

    /// Per-shard status, checked now (process or step alive, `PING`, `cluster_state`). Changes nothing.
    pub fn status(&mut self) -> Vec<ShardStatus> {
        let clustered = self.db_type == DbType::Clustered;
        let launcher = &mut self.launcher;
        self.shards
            .iter()
            .map(|s| {
                let (state, detail) = match launcher.exited(s) {
                    Some(how) => (ShardState::Exited, how),
                    None => probe(&self.access, &s.host, s.port, clustered),
                };
                ShardStatus {
                    index: s.index,
                    address: s.address(),
                    pid: s.pid,
                    state,
                    detail,
                }
            })
            .collect()
    }

    /// `CONFIG SET name value` on every shard (runtime only; lost at restart).
    pub fn config_set(&mut self, name: &str, value: &str) -> Result<()> {
        for s in &self.shards {
            let mut con =
                access::connect(&self.access, &s.host, s.port, CONNECT_TIMEOUT).map_err(|e| {
                    Error::Redis {
                        shard: s.index,
                        port: s.port,
                        context: "connect".into(),
                        source: e,
                    }
                })?;
            redis::cmd("CONFIG")
                .arg("SET")
                .arg(name)
                .arg(value)
                .query::<()>(&mut con)
                .map_err(|e| Error::Redis {
                    shard: s.index,
                    port: s.port,
                    context: format!("CONFIG SET {name} {value}"),
                    source: e,
                })?;
        }
        Ok(())
    }

    /// Stops every shard: `SHUTDOWN SAVE` (persistence on) or `SHUTDOWN NOSAVE`, then the launcher's polite and
    /// forceful ends (SIGTERM/SIGKILL by PID, `scancel`, ...), all within the stop timeout; then, when no shard is
    /// left, releases the launcher's job and removes `nodes-*.conf` and the state file (otherwise
    /// [`Error::StopFailed`], with the files kept). Nothing is shut down or signalled unless its identity (process
    /// start time and executable, the store's run id) checks out ([`Error::NotOurs`] otherwise). Stopping a
    /// stopped one is a no-op.
    pub fn stop(&mut self) -> Result<()> {
        if self.shards.is_empty() {
            return Ok(());
        }
        let start = Instant::now();
        let bound = self.opts.stop_timeout;
        let mode = if self.save_on_stop { "SAVE" } else { "NOSAVE" };
        let packed = redis::cmd("SHUTDOWN").arg(mode).get_packed_command();
        let run_id = self.run_id.clone();
        let mut refused = Vec::new();
        let mut ours = Vec::new();
        // Keep the connections open until the processes are gone, so each SHUTDOWN is read before EOF.
        let mut cons = Vec::new();
        let live: Vec<ShardRecord> = self
            .shards
            .clone()
            .into_iter()
            .filter(|s| self.launcher.exited(s).is_none())
            .collect();
        // Every shard at once: connect and read the title that carries the run id, then verify, then SHUTDOWN.
        let targets: Vec<&ShardRecord> = live.iter().collect();
        let got = connect_all(&self.access, &targets, |c| {
            redis::cmd("CONFIG")
                .arg("GET")
                .arg("proc-title-template")
                .query::<Vec<String>>(c)
        });
        for (s, r) in live.iter().zip(got) {
            let (con, titles) = match r {
                Ok((c, t)) => (Some(c), Ok(t)),
                Err(e) => (None, Err(e.to_string())),
            };
            let titles = titles.as_deref().map_err(String::as_str);
            if let Err(why) = self.launcher.verify_with(s, &run_id, titles) {
                refused.push(format!("shard {} ({}): {why}", s.index, s.address()));
                continue;
            }
            ours.push(s.clone());
            if let Some(mut c) = con {
                if c.send_packed_command(&packed).is_ok() {
                    cons.push(c);
                }
            }
        }
        let mut alive = self.wait_gone(&ours, start + bound.mul_f32(0.6));
        if !alive.is_empty() {
            self.launcher.terminate(&alive, &run_id, false);
            alive = self.wait_gone(&alive, start + bound.mul_f32(0.9));
        }
        if !alive.is_empty() {
            self.launcher.terminate(&alive, &run_id, true);
            alive = self.wait_gone(&alive, Instant::now() + Duration::from_secs(2));
        }
        drop(cons);
        if !refused.is_empty() {
            return Err(Error::NotOurs(refused.join("; ")));
        }
        // A surviving shard keeps its state file and nodes.conf, so it can still be found and stopped.
        if !alive.is_empty() {
            return Err(Error::StopFailed(
                alive.iter().map(ShardRecord::who).collect(),
            ));
        }
        self.launcher.release()?;
        self.remove_files();
        access::remove(&self.dir);
        self.shards.clear();
        Ok(())
    }

    /// Waits until every shard of `shards` has exited, or `deadline`; returns those still running.
    fn wait_gone(&mut self, shards: &[ShardRecord], deadline: Instant) -> Vec<ShardRecord> {
        loop {
            let alive: Vec<ShardRecord> = shards
                .iter()
                .filter(|s| self.launcher.exited(s).is_none())
                .cloned()
                .collect();
            if alive.is_empty() || Instant::now() >= deadline {
                return alive;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Replaces the bound on [`Orchestrator::stop`] (useful after [`Orchestrator::attach`]).
    pub fn with_stop_timeout(mut self, t: Duration) -> Self {
        if !t.is_zero() {
            self.opts.stop_timeout = t;
        }
        self
    }

    /// Leaves the shards running when this handle is dropped (for a later `attach` + `stop`).
    pub fn detach(mut self) {
        self.stop_on_drop = false;
    }

    /// Kills every shard now and waits for them, bounded; used when a start fails (the caller then removes
    /// the files and forgets the shards).
    fn kill_all(&mut self) {
        let shards = self.shards.clone();
        let run_id = self.run_id.clone();
        self.launcher.terminate(&shards, &run_id, true);
        self.wait_gone(&shards, Instant::now() + Duration::from_secs(5));
    }

    fn remove_files(&self) {
        for s in &self.shards {
            let _ = remove_if_exists(&self.dir.join(local::nodes_conf(s.port)));
            let _ = remove_if_exists(&self.dir.join(local::shard_nodes_conf(s.index)));
        }
        let _ = State::remove(&self.dir);
    }
}

impl Drop for Orchestrator {
    fn drop(&mut self) {
        if self.stop_on_drop && !self.shards.is_empty() {
            let _ = self.stop();
        }
    }
}

/// Connects a client to `ssdb` with the given type; other settings from the (suffixed) environment.
pub(crate) fn connect_client(
    ssdb: &str,
    db_type: DbType,
    db_identifier: Option<&str>,
    access: &Access,
    logger_name: &str,
) -> crate::Result<crate::Client> {
    if ssdb.is_empty() {
        return Err(crate::Error::Runtime(
            "the orchestrator is not running: start it before creating a client".into(),
        ));
    }
    let suffix = match db_identifier {
        None | Some("orchestrator") => "",
        Some(id) => id,
    };
    let cfg = crate::ConfigOptions::from_environment(suffix)?;
    cfg.override_string_option("SSDB", ssdb)?;
    cfg.override_string_option("SR_DB_TYPE", db_type_name(db_type))?;
    if let Some(p) = &access.password {
        cfg.override_string_option("SR_PASSWORD", p.expose())?;
    }
    if let Some(ca) = &access.tls_ca {
        cfg.override_string_option("SR_TLS_CA_FILE", &ca.display().to_string())?;
    }
    crate::Client::new(Some(&cfg), logger_name)
}

/// Connects to every shard of `shards` at once (a thread each, in batches) and runs `then` on each connection;
/// returns, in order, the connection and what `then` returned, or the error.
fn connect_all<T: Send>(
    access: &Access,
    shards: &[&ShardRecord],
    then: impl Fn(&mut redis::Connection) -> redis::RedisResult<T> + Sync,
) -> Vec<redis::RedisResult<(redis::Connection, T)>> {
    const AT_ONCE: usize = 64;
    let then = &then;
    let mut out = Vec::with_capacity(shards.len());
    for batch in shards.chunks(AT_ONCE) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|s| {
                    scope.spawn(move || {
                        let mut c = access::connect(access, &s.host, s.port, CONNECT_TIMEOUT)?;
                        let t = then(&mut c)?;
                        Ok((c, t))
                    })
                })
                .collect();
            for h in handles {
                out.push(h.join().unwrap_or_else(|_| {
                    Err(redis::RedisError::from((
                        redis::ErrorKind::Client,
                        "connection thread panicked",
                    )))
                }));
            }
        });
    }
    out
}

/// One shard's liveness through a fresh connection.
fn probe(access: &Access, host: &str, port: u16, clustered: bool) -> (ShardState, String) {
    let mut con = match access::connect(access, host, port, CONNECT_TIMEOUT) {
        Ok(c) => c,
        Err(e) => return (ShardState::Unresponsive, e.to_string()),
    };
    if let Err(e) = redis::cmd("PING").query::<String>(&mut con) {
        return (ShardState::Unresponsive, e.to_string());
    }
    if !clustered {
        return (ShardState::Running, "PONG".into());
    }
    match formation::info(&mut con) {
        Ok(i) if i.state == "ok" => (
            ShardState::Running,
            format!("cluster_state:ok known_nodes:{}", i.known_nodes),
        ),
        Ok(i) => (
            ShardState::Unresponsive,
            format!("cluster_state:{} slots_ok:{}", i.state, i.slots_ok),
        ),
        Err(e) => (ShardState::Unresponsive, e.to_string()),
    }
}

/// Removes a stale record (state file whose shards are all gone) and its cluster files; a live one is an error.
fn clean_stale(dir: &Path) -> Result<()> {
    let mut orc = match Orchestrator::attach(dir) {
        Ok(o) => o,
        Err(Error::NotRunning(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    if orc
        .shards
        .clone()
        .iter()
        .any(|s| orc.launcher.exited(s).is_none())
    {
        return Err(Error::AlreadyRunning(dir.to_path_buf()));
    }
    for s in &orc.shards {
        remove_if_exists(&dir.join(local::nodes_conf(s.port)))?;
        remove_if_exists(&dir.join(local::shard_nodes_conf(s.index)))?;
    }
    orc.shards.clear();
    State::remove(dir)
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

fn absolute(dir: &Path) -> Result<PathBuf> {
    let dir = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|c| c.join(dir))
            .map_err(|e| Error::io(dir, e))?
    };
    // Drops the `.` components (`/x/.` → `/x`).
    Ok(dir.components().collect())
}

/// Whether a reply holds the string `s` anywhere (for `MODULE LIST`, whose shape differs between RESP2 and RESP3).
fn value_has_string(v: &redis::Value, s: &str) -> bool {
    match v {
        redis::Value::BulkString(b) => b == s.as_bytes(),
        redis::Value::SimpleString(t) => t == s,
        redis::Value::Array(items) | redis::Value::Set(items) => {
            items.iter().any(|i| value_has_string(i, s))
        }
        redis::Value::Map(kv) => kv
            .iter()
            .any(|(k, v)| value_has_string(k, s) || value_has_string(v, s)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names_follow_smartsim() {
        assert_eq!(env_var_names(None), ("SSDB".into(), "SR_DB_TYPE".into()));
        assert_eq!(
            env_var_names(Some("orchestrator")),
            ("SSDB".into(), "SR_DB_TYPE".into())
        );
        assert_eq!(
            env_var_names(Some("db2")),
            ("SSDB_db2".into(), "SR_DB_TYPE_db2".into())
        );
    }

    #[test]
    fn an_unstarted_orchestrator_answers_at_once() {
        let mut o =
            match Orchestrator::new(OrchestratorOptions::new().dir("/nonexistent/never-created")) {
                Ok(o) => o,
                Err(e) => panic!("new: {e}"),
            };
        let t = Instant::now();
        assert!(!o.is_active());
        assert!(o.status().is_empty());
        assert_eq!(o.address(), "");
        assert!(o.stop().is_ok());
        assert!(t.elapsed() < Duration::from_millis(100));
    }

    #[test]
    fn ssdb_holds_at_most_128_addresses() {
        let all: Vec<String> = (0..130)
            .map(|i| format!("127.0.0.1:{}", 7000 + i))
            .collect();
        let ssdb = ssdb_value(all.clone());
        let listed: Vec<&str> = ssdb.split(',').collect();
        assert_eq!(listed.len(), MAX_SSDB_ADDRESSES);
        assert_eq!(listed, all[..MAX_SSDB_ADDRESSES]);
        assert_eq!(
            ssdb_value(all[..2].to_vec()),
            "127.0.0.1:7000,127.0.0.1:7001"
        );
    }
}
