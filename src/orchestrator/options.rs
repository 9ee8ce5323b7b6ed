//! [`OrchestratorOptions`]: what to start, where, and how — a builder with documented defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use smartredis_protocol::cluster::BUS_PORT_OFFSET;
use smartredis_protocol::Backend;

use super::error::{Error, Result};

/// Default `proto-max-bulk-len`: 2.5 GiB, so that a single 2 GiB tensor fits in one bulk string.
pub const DEFAULT_PROTO_MAX_BULK_LEN: &str = "2560mb";
/// Default `client-query-buffer-limit`, raised with the bulk limit so a 2 GiB tensor command is accepted.
pub const DEFAULT_CLIENT_QUERY_BUFFER_LIMIT: &str = "3gb";
/// Default bound on `start` (spawn, cluster formation, readiness).
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(30);
/// Default bound on `stop` (SHUTDOWN, then SIGTERM, then SIGKILL).
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the shards listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bind {
    /// An IPv4 address or host name, e.g. `127.0.0.1` (the default).
    Address(String),
    /// A network interface name (`lo`, `eth0`, `hsn0`, `ib0`), resolved to its first IPv4 address at start.
    Interface(String),
}

impl Default for Bind {
    fn default() -> Self {
        Bind::Address("127.0.0.1".into())
    }
}

/// Persistence of each shard's data; files are named per shard and restored on the next start from the same
/// working directory with the same number of shards.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Persistence {
    /// RDB snapshots: `None` = off; `Some(spec)` = Redis `save` spec (e.g. `"900 1 300 10"`; empty = only at stop).
    pub rdb: Option<String>,
    /// Append-only file (`appendonly yes`, `appendfsync everysec`).
    pub aof: bool,
}

impl Persistence {
    /// Whether anything is persisted (then `stop` sends `SHUTDOWN SAVE`, else `SHUTDOWN NOSAVE`).
    pub fn enabled(&self) -> bool {
        self.rdb.is_some() || self.aof
    }
}

/// The RedisAI-compatible module and its load-time arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleOptions {
    /// Load the module (default `true`).
    pub enabled: bool,
    /// Explicit path; otherwise `SMARTREDIS_AI_MODULE`, then `libsmartredis_ai.so` next to the running executable
    /// or library, then `<prefix>/lib`.
    pub path: Option<PathBuf>,
    /// `THREADS_PER_QUEUE`.
    pub threads_per_queue: Option<u32>,
    /// `INTER_OP_PARALLELISM`.
    pub inter_op_threads: Option<u32>,
    /// `INTRA_OP_PARALLELISM`.
    pub intra_op_threads: Option<u32>,
    /// `BACKENDSPATH`.
    pub backends_path: Option<PathBuf>,
    /// Backend libraries loaded at start: (`TORCH`|`ONNX`|`TF`|`TFLITE`, path).
    pub backends: Vec<(String, PathBuf)>,
}

impl Default for ModuleOptions {
    fn default() -> Self {
        ModuleOptions {
            enabled: true,
            path: None,
            threads_per_queue: None,
            inter_op_threads: None,
            intra_op_threads: None,
            backends_path: None,
            backends: Vec::new(),
        }
    }
}

impl ModuleOptions {
    /// The `KEY VALUE` arguments that follow the module path on `--loadmodule`.
    pub fn load_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(p) = &self.backends_path {
            args.extend(["BACKENDSPATH".to_string(), p.display().to_string()]);
        }
        for (name, p) in &self.backends {
            args.extend([name.to_ascii_uppercase(), p.display().to_string()]);
        }
        for (key, v) in [
            ("THREADS_PER_QUEUE", self.threads_per_queue),
            ("INTER_OP_PARALLELISM", self.inter_op_threads),
            ("INTRA_OP_PARALLELISM", self.intra_op_threads),
        ] {
            if let Some(v) = v {
                args.extend([key.to_string(), v.to_string()]);
            }
        }
        args
    }
}

/// Whether the shards require a password (`requirepass` and `masterauth`, from a 0600 file in the store directory
/// that every shard includes; the launcher authenticates its own formation, status and stop).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Auth {
    /// On (a generated secret) whenever the shards bind a non-loopback address, off on loopback (the default).
    #[default]
    Auto,
    /// On, with a secret generated for this run (32 random bytes, hex).
    Generate,
    /// On, with this secret.
    Password(crate::config::Secret),
    /// Off. On a non-loopback bind this is refused unless the extra arguments turn protected mode off.
    Off,
}

/// Whether the shards serve TLS on their client port (`tls-port`, `port 0`, `tls-cluster`, `tls-replication`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Tls {
    /// Plain TCP (the default).
    #[default]
    Off,
    /// TLS with a CA and server certificate generated for this run in the store directory (local launcher).
    Generate,
    /// TLS with these certificate files.
    Files(super::access::TlsFiles),
}

/// Options of an [`Orchestrator`](super::Orchestrator), built with chained setters.
///
/// ```
/// use smartredis::orchestrator::OrchestratorOptions;
/// let opts = OrchestratorOptions::new().shards(3).dir("/tmp/my-db").module(false).maxmemory("1gb");
/// assert_eq!(opts.get_shards(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct OrchestratorOptions {
    pub(crate) shards: usize,
    pub(crate) redis_server: Option<PathBuf>,
    pub(crate) module: ModuleOptions,
    pub(crate) bind: Bind,
    pub(crate) port: Option<u16>,
    pub(crate) unix_socket: Option<PathBuf>,
    pub(crate) unix_socket_perm: u32,
    pub(crate) maxmemory: Option<String>,
    pub(crate) eviction: Option<String>,
    pub(crate) maxclients: Option<u32>,
    pub(crate) proto_max_bulk_len: String,
    pub(crate) persistence: Persistence,
    pub(crate) dir: Option<PathBuf>,
    pub(crate) extra_args: Vec<String>,
    pub(crate) start_timeout: Duration,
    pub(crate) stop_timeout: Duration,
    pub(crate) db_identifier: Option<String>,
    pub(crate) cpus: Vec<usize>,
    pub(crate) die_with_parent: bool,
    pub(crate) launcher: super::launcher::LauncherKind,
    pub(crate) nodes: Option<usize>,
    pub(crate) batch: bool,
    pub(crate) walltime: Option<String>,
    pub(crate) account: Option<String>,
    pub(crate) queue: Option<String>,
    pub(crate) cpus_per_shard: Option<u32>,
    pub(crate) partial_coverage: bool,
    pub(crate) auth: Auth,
    pub(crate) tls: Tls,
    pub(crate) shared_socket: bool,
}

impl Default for OrchestratorOptions {
    fn default() -> Self {
        OrchestratorOptions {
            shards: 1,
            redis_server: None,
            module: ModuleOptions::default(),
            bind: Bind::default(),
            port: None,
            unix_socket: None,
            unix_socket_perm: 0o700,
            maxmemory: None,
            eviction: None,
            maxclients: None,
            proto_max_bulk_len: DEFAULT_PROTO_MAX_BULK_LEN.into(),
            persistence: Persistence::default(),
            dir: None,
            extra_args: Vec::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            db_identifier: None,
            cpus: Vec::new(),
            die_with_parent: false,
            launcher: super::launcher::LauncherKind::Local,
            nodes: None,
            batch: false,
            walltime: None,
            account: None,
            queue: None,
            cpus_per_shard: None,
            partial_coverage: false,
            auth: Auth::default(),
            tls: Tls::default(),
            shared_socket: false,
        }
    }
}

impl OrchestratorOptions {
    /// Defaults: 1 shard (standalone) on a free loopback port, module loaded, no persistence, working directory =
    /// the current directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of shards: 1 = standalone Redis, ≥ 2 = a Redis Cluster of that many primaries.
    pub fn shards(mut self, n: usize) -> Self {
        self.shards = n;
        self
    }

    /// The number of shards asked for.
    pub fn get_shards(&self) -> usize {
        self.shards
    }

    /// Path of `redis-server` (default: `REDIS_PATH`, else `redis-server` on `PATH`).
    pub fn redis_server(mut self, path: impl Into<PathBuf>) -> Self {
        self.redis_server = Some(path.into());
        self
    }

    /// Load the RedisAI-compatible module (default `true`).
    pub fn module(mut self, enabled: bool) -> Self {
        self.module.enabled = enabled;
        self
    }

    /// Path of the module library (implies `module(true)`).
    pub fn module_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.module.enabled = true;
        self.module.path = Some(path.into());
        self
    }

    /// Replaces all module settings at once.
    pub fn module_options(mut self, module: ModuleOptions) -> Self {
        self.module = module;
        self
    }

    /// Module `THREADS_PER_QUEUE`.
    pub fn threads_per_queue(mut self, n: u32) -> Self {
        self.module.threads_per_queue = Some(n);
        self
    }

    /// Module `INTER_OP_PARALLELISM`.
    pub fn inter_op_threads(mut self, n: u32) -> Self {
        self.module.inter_op_threads = Some(n);
        self
    }

    /// Module `INTRA_OP_PARALLELISM`.
    pub fn intra_op_threads(mut self, n: u32) -> Self {
        self.module.intra_op_threads = Some(n);
        self
    }

    /// Module `BACKENDSPATH`.
    pub fn backends_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.module.backends_path = Some(path.into());
        self
    }

    /// A backend library loaded at start (`name` is `TORCH`, `ONNX`, `TF` or `TFLITE`).
    pub fn backend(mut self, name: &str, path: impl Into<PathBuf>) -> Self {
        self.module.backends.push((name.to_string(), path.into()));
        self
    }

    /// Bind this IPv4 address or host name (default `127.0.0.1`).
    pub fn bind_address(mut self, addr: impl Into<String>) -> Self {
        self.bind = Bind::Address(addr.into());
        self
    }

    /// Bind the first IPv4 address of this network interface (e.g. `lo`, `eth0`, `ib0`).
    pub fn interface(mut self, name: impl Into<String>) -> Self {
        self.bind = Bind::Interface(name.into());
        self
    }

    /// Shard `i` listens on `port + i` (its cluster bus on `port + i + 10000`); default: free ports.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Also listen on this Unix socket (standalone only); a relative path is taken in the working directory.
    pub fn unix_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.unix_socket = Some(path.into());
        self
    }

    /// Permissions of the Unix socket (default `0o700`).
    pub fn unix_socket_perm(mut self, mode: u32) -> Self {
        self.unix_socket_perm = mode;
        self
    }

    /// `maxmemory` of each shard (`"1gb"`, `"512mb"`, `"0"` = unlimited).
    pub fn maxmemory(mut self, v: impl Into<String>) -> Self {
        self.maxmemory = Some(v.into());
        self
    }

    /// `maxmemory-policy` (`noeviction`, `allkeys-lru`, ...).
    pub fn eviction_policy(mut self, v: impl Into<String>) -> Self {
        self.eviction = Some(v.into());
        self
    }

    /// `maxclients`.
    pub fn maxclients(mut self, n: u32) -> Self {
        self.maxclients = Some(n);
        self
    }

    /// `proto-max-bulk-len` (default [`DEFAULT_PROTO_MAX_BULK_LEN`]).
    pub fn proto_max_bulk_len(mut self, v: impl Into<String>) -> Self {
        self.proto_max_bulk_len = v.into();
        self
    }

    /// Persistence (default: none).
    pub fn persistence(mut self, p: Persistence) -> Self {
        self.persistence = p;
        self
    }

    /// RDB snapshots with this `save` spec (`""` = only at stop).
    pub fn rdb(mut self, spec: impl Into<String>) -> Self {
        self.persistence.rdb = Some(spec.into());
        self
    }

    /// Append-only file on or off.
    pub fn aof(mut self, on: bool) -> Self {
        self.persistence.aof = on;
        self
    }

    /// Working directory: logs, state file, `nodes-*.conf`, RDB/AOF (default: the current directory).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Extra `redis-server` arguments appended to every shard's command line (e.g. `["--io-threads", "2"]`).
    pub fn extra_args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.extra_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Bound on `start` (default [`DEFAULT_START_TIMEOUT`]).
    pub fn start_timeout(mut self, t: Duration) -> Self {
        self.start_timeout = t;
        self
    }

    /// Bound on `stop` (default [`DEFAULT_STOP_TIMEOUT`]).
    pub fn stop_timeout(mut self, t: Duration) -> Self {
        self.stop_timeout = t;
        self
    }

    /// Database identifier: the environment variables become `SSDB_<id>` and `SR_DB_TYPE_<id>`
    /// (`"orchestrator"` or empty means no suffix, as in SmartSim).
    pub fn db_identifier(mut self, id: impl Into<String>) -> Self {
        self.db_identifier = Some(id.into());
        self
    }

    /// Pin every shard to these CPUs (`sched_setaffinity` in the child; no `taskset` needed).
    pub fn cpus(mut self, cpus: impl IntoIterator<Item = usize>) -> Self {
        self.cpus = cpus.into_iter().collect();
        self
    }

    /// Have the kernel kill the shards when the thread that started them exits (Linux `PR_SET_PDEATHSIG`).
    pub fn die_with_parent(mut self, on: bool) -> Self {
        self.die_with_parent = on;
        self
    }

    /// The launcher that starts the shards (default [`Local`](super::launcher::LauncherKind::Local); `Auto`
    /// picks from `SLURM_JOB_ID`, `PBS_JOBID`, `LSB_JOBID`, `COBALT_JOBID`).
    pub fn launcher(mut self, kind: super::launcher::LauncherKind) -> Self {
        self.launcher = kind;
        self
    }

    /// Scheduler launchers: how many nodes the shards spread over (default: one shard per node — inside an
    /// allocation, at most its nodes; more shards than nodes share nodes on distinct ports).
    pub fn nodes(mut self, n: usize) -> Self {
        self.nodes = Some(n);
        self
    }

    /// Scheduler launchers: run the store as a separate job even from inside an allocation (default: a separate
    /// job only outside one).
    pub fn batch(mut self, on: bool) -> Self {
        self.batch = on;
        self
    }

    /// Scheduler launchers: walltime of a separate store job (`HH:MM:SS` for Slurm/PBS, minutes or `HH:MM` for
    /// LSF/Cobalt), passed as given.
    pub fn walltime(mut self, t: impl Into<String>) -> Self {
        self.walltime = Some(t.into());
        self
    }

    /// Scheduler launchers: account (project) charged for a separate store job.
    pub fn account(mut self, a: impl Into<String>) -> Self {
        self.account = Some(a.into());
        self
    }

    /// Scheduler launchers: partition (Slurm) or queue of a separate store job.
    pub fn queue(mut self, q: impl Into<String>) -> Self {
        self.queue = Some(q.into());
        self
    }

    /// Scheduler launchers: CPUs given to each shard.
    pub fn cpus_per_shard(mut self, n: u32) -> Self {
        self.cpus_per_shard = Some(n);
        self
    }

    /// The launcher asked for.
    pub fn get_launcher(&self) -> super::launcher::LauncherKind {
        self.launcher
    }

    /// Let the live shards of a cluster keep serving their slots while a shard is down
    /// (`cluster-require-full-coverage no`). Default `false`, as Redis: the whole cluster answers `CLUSTERDOWN`
    /// once any slot has no live owner.
    pub fn partial_coverage(mut self, on: bool) -> Self {
        self.partial_coverage = on;
        self
    }

    /// Password of the store (default [`Auth::Auto`]: a generated one whenever the shards bind a non-loopback
    /// address). The secret goes to `smartredis-password` (mode 0600) in the working directory.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// TLS on the shards' client port (default [`Tls::Off`]).
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// Allow Unix socket permissions wider than `0o700` (other users of the node can then reach the store).
    pub fn shared_socket(mut self, on: bool) -> Self {
        self.shared_socket = on;
        self
    }

    /// The working directory these options resolve to.
    pub fn working_dir(&self) -> Result<PathBuf> {
        let dir = match &self.dir {
            Some(d) if d.is_absolute() => d.clone(),
            Some(d) => current_dir()?.join(d),
            None => current_dir()?,
        };
        // Drops the `.` components (`/x/.` → `/x`).
        Ok(dir.components().collect())
    }

    /// Checks the values that can be checked without starting anything.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidOption(m));
        if self.shards == 0 {
            return bad("shards must be at least 1".into());
        }
        if self.shards > 1000 {
            return bad(format!("shards = {} is more than 1000", self.shards));
        }
        if self.unix_socket.is_some() && self.shards > 1 {
            return bad("a Unix socket is only supported for a single (standalone) shard".into());
        }
        if let Some(p) = self.port {
            let last = u32::from(p) + self.shards as u32 - 1;
            let bus = if self.shards > 1 {
                last + u32::from(BUS_PORT_OFFSET)
            } else {
                last
            };
            if p == 0 || bus > 65535 {
                return bad(format!(
                    "base port {p} with {} shards needs ports up to {bus} (cluster bus = port + {BUS_PORT_OFFSET}), above 65535",
                    self.shards
                ));
            }
        }
        if self.unix_socket_perm > 0o777 {
            return bad(format!(
                "unix socket permissions {:o} are not a mode",
                self.unix_socket_perm
            ));
        }
        for (name, v) in [
            ("maxmemory", &self.maxmemory),
            ("eviction policy", &self.eviction),
        ] {
            if let Some(v) = v {
                if v.trim().is_empty() || v.contains(char::is_whitespace) {
                    return bad(format!("{name} {v:?} is empty or contains spaces"));
                }
            }
        }
        if self.start_timeout.is_zero() || self.stop_timeout.is_zero() {
            return bad("timeouts must be positive".into());
        }
        for (name, _) in &self.module.backends {
            if Backend::parse(name).is_none() {
                return bad(format!(
                    "unknown backend {name:?} ({})",
                    Backend::names_for_humans()
                ));
            }
        }
        if self.launcher.resolve() == super::launcher::LauncherKind::Local {
            check_cpus(&self.cpus, configured_cpus())?;
        } else if !self.cpus.is_empty() {
            return bad(
                "cpus (pinning) is for the local launcher; use cpus_per_shard with a scheduler"
                    .into(),
            );
        }
        if self.nodes == Some(0) || self.cpus_per_shard == Some(0) {
            return bad("nodes and cpus per shard must be at least 1".into());
        }
        for (name, v) in [
            ("walltime", &self.walltime),
            ("account", &self.account),
            ("queue", &self.queue),
        ] {
            if let Some(v) = v {
                if v.trim().is_empty() || v.contains(char::is_whitespace) {
                    return bad(format!("{name} {v:?} is empty or contains spaces"));
                }
            }
        }
        super::access::validate(self)?;
        if let Some(id) = &self.db_identifier {
            if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return bad(format!(
                    "db identifier {id:?} may only hold letters, digits and '_'"
                ));
            }
        }
        Ok(())
    }
}

/// Number of CPUs the machine has (configured, online or not).
pub(crate) fn configured_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_CONF) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// Checks CPU indices against a machine with `available` CPUs (and the kernel's `CPU_SETSIZE`), so that a bad
/// index is an option error here rather than a failure in the forked child.
pub(crate) fn check_cpus(cpus: &[usize], available: usize) -> Result<()> {
    let setsize = 8 * std::mem::size_of::<libc::cpu_set_t>();
    let limit = available.min(setsize);
    match cpus.iter().find(|&&c| c >= limit) {
        Some(c) => Err(Error::InvalidOption(format!(
            "CPU {c} does not exist: this machine has CPUs 0-{} ({available} in all)",
            limit.saturating_sub(1)
        ))),
        None => Ok(()),
    }
}

fn current_dir() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::io(Path::new("."), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_indices_are_checked_against_the_machine() {
        assert!(check_cpus(&[0, 1], 2).is_ok());
        let e = check_cpus(&[0, 2], 2).unwrap_err().to_string();
        assert!(
            e.contains("CPU 2 does not exist") && e.contains("0-1"),
            "{e}"
        );
        assert!(check_cpus(&[99_999], 200_000).is_err());
        let e = OrchestratorOptions::new().cpus([1024]).validate();
        assert!(matches!(e, Err(Error::InvalidOption(_))));
        assert!(OrchestratorOptions::new().cpus([0]).validate().is_ok());
    }
}
