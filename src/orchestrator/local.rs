//! Local shards: finding `redis-server` and the module, building each shard's command line, spawning it with its
//! own log file, and watching, connecting to and killing it by PID.

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use super::options::OrchestratorOptions;
use super::state::pid_is_server;

/// Name of the module library.
pub const MODULE_FILE: &str = "libsmartredis_ai.so";

/// Finds `redis-server`: the explicit option, else `REDIS_PATH`, else `redis-server` on `PATH`.
pub fn find_redis_server(explicit: Option<&Path>) -> Result<PathBuf> {
    let env = std::env::var_os("REDIS_PATH").map(PathBuf::from);
    let candidate = explicit.map(Path::to_path_buf).or(env);
    if let Some(p) = candidate {
        if p.components().count() > 1 {
            return if is_executable(&p) {
                Ok(p)
            } else {
                Err(Error::RedisServerNotFound(format!(
                    "{} is not an executable file",
                    p.display()
                )))
            };
        }
        return search_path(&p.to_string_lossy());
    }
    search_path("redis-server")
}

fn search_path(name: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
        .ok_or_else(|| {
            Error::RedisServerNotFound(format!(
                "{name} is not on PATH (set REDIS_PATH or the option)"
            ))
        })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Finds the module library: the explicit option, else `SMARTREDIS_AI_MODULE`, else [`MODULE_FILE`] in
/// [`module_search_dirs`], the first that exists.
pub fn find_module(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("SMARTREDIS_AI_MODULE").map(PathBuf::from))
    {
        return if p.is_file() {
            Ok(p)
        } else {
            Err(Error::ModuleNotFound(p.display().to_string()))
        };
    }
    let candidates: Vec<PathBuf> = module_search_dirs()
        .iter()
        .map(|d| d.join(MODULE_FILE))
        .collect();
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            Error::ModuleNotFound(
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
}

/// Where the module is looked for, in order, so that an installed prefix `P` works from `P/bin/smartredis` and from
/// any program linked against `P/lib/libsmartredis.so`, and a build tree from its programs and tests:
/// 1. the running program's directory (and its parent when it is cargo's `deps/` or `examples/`; `P/lib` when it
///    is `P/bin`);
/// 2. the directory of the loaded `libsmartredis.so` (through links too);
/// 3. beside the `smartredis` program found on `PATH`, and its `../lib` (for statically linked programs, and a
///    `cargo install`ed program with the module in `~/.cargo/lib`).
pub fn module_search_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let add = |file: &Path, dirs: &mut Vec<PathBuf>| {
        if let Some(d) = file.parent() {
            dirs.push(d.to_path_buf());
            if d.ends_with("deps") || d.ends_with("examples") {
                dirs.extend(d.parent().map(Path::to_path_buf));
            }
            if d.ends_with("bin") {
                dirs.extend(d.parent().map(|p| p.join("lib")));
            }
        }
    };
    // The library may be reached through a link (a staged `lib/libsmartredis.so.<N>`): its real directory counts too.
    let lib = this_library();
    let real_lib = lib.as_ref().and_then(|l| std::fs::canonicalize(l).ok());
    for file in [std::env::current_exe().ok(), lib, real_lib]
        .into_iter()
        .flatten()
    {
        add(&file, &mut dirs);
    }
    if let Ok(cli) = search_path("smartredis") {
        add(&cli, &mut dirs);
        if let Ok(real) = std::fs::canonicalize(&cli) {
            add(&real, &mut dirs);
        }
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// The file this code was loaded from (the `.so` when used as a shared library), via `dladdr`.
fn this_library() -> Option<PathBuf> {
    let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
    let addr = this_library as *const libc::c_void;
    // SAFETY: dladdr only reads the address and fills `info`.
    let ok = unsafe { libc::dladdr(addr, info.as_mut_ptr()) };
    if ok == 0 {
        return None;
    }
    // SAFETY: dladdr returned non-zero, so `info` is initialised.
    let info = unsafe { info.assume_init() };
    if info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated string owned by the dynamic loader.
    let name = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
    Some(PathBuf::from(name.to_string_lossy().into_owned()))
}

/// Everything resolved once per start and shared by all shards.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The server binary.
    pub server: PathBuf,
    /// The module library and its load arguments, when enabled.
    pub module: Option<(PathBuf, Vec<String>)>,
    /// The address shards bind.
    pub host: String,
    /// The working directory.
    pub dir: PathBuf,
    /// Whether shards run in cluster mode.
    pub cluster: bool,
}

/// Log file of shard `index`.
pub fn log_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(format!("shard-{index}.log"))
}

/// Cluster configuration file of the shard on `port`.
pub fn nodes_conf(port: u16) -> String {
    format!("nodes-{port}.conf")
}

/// The `redis-server` command line of one shard.
pub fn shard_command(
    opts: &OrchestratorOptions,
    launch: &Launch,
    index: usize,
    port: u16,
) -> Command {
    let mut cmd = Command::new(&launch.server);
    let mut args: Vec<String> = vec![
        "--port".into(),
        port.to_string(),
        "--bind".into(),
        launch.host.clone(),
        "--protected-mode".into(),
        "no".into(),
        "--daemonize".into(),
        "no".into(),
        "--logfile".into(),
        String::new(),
        "--dir".into(),
        launch.dir.display().to_string(),
        "--tcp-backlog".into(),
        "4096".into(),
        "--proto-max-bulk-len".into(),
        opts.proto_max_bulk_len.clone(),
        "--client-query-buffer-limit".into(),
        super::options::DEFAULT_CLIENT_QUERY_BUFFER_LIMIT.into(),
        "--client-output-buffer-limit".into(),
        "normal 0 0 0".into(),
        "--stop-writes-on-bgsave-error".into(),
        "no".into(),
    ];
    let p = &opts.persistence;
    args.extend(["--save".into(), p.rdb.clone().unwrap_or_default()]);
    args.extend(["--dbfilename".into(), format!("shard-{index}.rdb")]);
    args.extend([
        "--appendonly".into(),
        if p.aof { "yes" } else { "no" }.into(),
    ]);
    args.extend(["--appenddirname".into(), format!("appendonly-{index}")]);
    args.extend(["--appendfilename".into(), format!("shard-{index}.aof")]);
    if launch.cluster {
        args.extend(["--cluster-enabled".into(), "yes".into()]);
        args.extend(["--cluster-config-file".into(), nodes_conf(port)]);
        let full = if opts.partial_coverage { "no" } else { "yes" };
        args.extend(["--cluster-require-full-coverage".into(), full.into()]);
        args.extend([
            "--cluster-announce-ip".into(),
            super::ports::connect_host(&launch.host),
        ]);
    }
    if let Some(s) = &opts.unix_socket {
        args.extend(["--unixsocket".into(), s.display().to_string()]);
        args.extend([
            "--unixsocketperm".into(),
            format!("{:o}", opts.unix_socket_perm),
        ]);
    }
    if let Some(v) = &opts.maxmemory {
        args.extend(["--maxmemory".into(), v.clone()]);
    }
    if let Some(v) = &opts.eviction {
        args.extend(["--maxmemory-policy".into(), v.clone()]);
    }
    if let Some(v) = opts.maxclients {
        args.extend(["--maxclients".into(), v.to_string()]);
    }
    cmd.args(&args);
    if let Some((path, load_args)) = &launch.module {
        cmd.arg("--loadmodule").arg(path).args(load_args);
    }
    cmd.args(&opts.extra_args);
    cmd.current_dir(&launch.dir).stdin(Stdio::null());
    let cpus = opts.cpus.clone();
    let die_with_parent = opts.die_with_parent;
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe system calls
    // (setsid, prctl, sched_setaffinity) on stack data prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            // Own session: a Ctrl-C meant for the launching terminal does not reach the shards; stop does.
            libc::setsid();
            if die_with_parent {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            }
            if !cpus.is_empty() {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                for &c in &cpus {
                    libc::CPU_SET(c, &mut set);
                }
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    cmd
}

/// A shard's process: spawned by this process (a `Child`, reaped here) or attached by PID.
#[derive(Debug)]
pub struct ShardProc {
    /// Index of the shard.
    pub index: usize,
    /// Client port.
    pub port: u16,
    /// Process id.
    pub pid: u32,
    /// Log file.
    pub log: PathBuf,
    child: Option<Child>,
    comm: String,
}

impl ShardProc {
    /// Spawns shard `index` on `port`, its stdout and stderr appended to its log file.
    pub fn spawn(
        opts: &OrchestratorOptions,
        launch: &Launch,
        index: usize,
        port: u16,
    ) -> Result<ShardProc> {
        let log = log_path(&launch.dir, index);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| Error::io(&log, e))?;
        let err = file.try_clone().map_err(|e| Error::io(&log, e))?;
        let mut cmd = shard_command(opts, launch, index, port);
        cmd.stdout(file).stderr(err);
        let child = cmd.spawn().map_err(|e| Error::Shard {
            shard: index,
            port,
            reason: format!("could not be spawned ({}): {e}", launch.server.display()),
            log: log.clone(),
            tail: String::new(),
        })?;
        let comm = launch
            .server
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(ShardProc {
            index,
            port,
            pid: child.id(),
            log,
            child: Some(child),
            comm,
        })
    }

    /// A shard started by another process, known by its PID.
    pub fn attached(index: usize, port: u16, pid: u32, log: PathBuf, comm: String) -> ShardProc {
        ShardProc {
            index,
            port,
            pid,
            log,
            child: None,
            comm,
        }
    }

    /// Whether the process is still running (reaping it if it is our child and has exited).
    pub fn is_alive(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => pid_is_server(self.pid, &self.comm),
        }
    }

    /// Sends a signal to the process, if it is still running.
    pub fn signal(&mut self, sig: libc::c_int) {
        if self.is_alive() {
            if let Ok(pid) = libc::pid_t::try_from(self.pid) {
                // SAFETY: plain kill(2) on a PID we started or recorded and just checked.
                unsafe { libc::kill(pid, sig) };
            }
        }
    }

    /// The last `n` lines of its log.
    pub fn log_tail(&self, n: usize) -> String {
        log_tail(&self.log, n)
    }

    /// An error about this shard, quoting the tail of its log.
    pub fn error(&self, reason: impl Into<String>) -> Error {
        Error::Shard {
            shard: self.index,
            port: self.port,
            reason: reason.into(),
            log: self.log.clone(),
            tail: self.log_tail(15),
        }
    }

    /// How the process ended, when it has (our children only).
    pub fn exit_status(&mut self) -> Option<String> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
            .map(|s| s.to_string())
    }
}

/// The last `n` lines of a file (empty when unreadable).
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A connection to `host:port` with short connect and I/O timeouts.
pub fn connect(host: &str, port: u16, timeout: Duration) -> redis::RedisResult<redis::Connection> {
    let client = redis::Client::open(format!("redis://{host}:{port}/"))?;
    let con = client.get_connection_with_timeout(timeout)?;
    con.set_read_timeout(Some(timeout.max(Duration::from_secs(2))))?;
    con.set_write_timeout(Some(timeout.max(Duration::from_secs(2))))?;
    Ok(con)
}

/// Waits until every PID is gone, or `deadline`; returns those still alive.
pub fn wait_gone(shards: &mut [ShardProc], deadline: Instant) -> Vec<u32> {
    loop {
        let alive: Vec<u32> = shards
            .iter_mut()
            .filter_map(|s| s.is_alive().then_some(s.pid))
            .collect();
        if alive.is_empty() || Instant::now() >= deadline {
            return alive;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &Command) -> Vec<String> {
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn value_of(args: &[String], flag: &str) -> Option<String> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    }

    #[test]
    fn shard_command_line() {
        let opts = OrchestratorOptions::new()
            .threads_per_queue(2)
            .intra_op_threads(3)
            .rdb("900 1")
            .aof(true)
            .maxmemory("1gb")
            .extra_args(["--io-threads", "2"]);
        let launch = Launch {
            server: PathBuf::from("/usr/bin/redis-server"),
            module: Some((
                PathBuf::from("/lib/libsmartredis_ai.so"),
                opts.module.load_args(),
            )),
            host: "10.0.0.1".into(),
            dir: PathBuf::from("/tmp/db"),
            cluster: true,
        };
        let a = args(&shard_command(&opts, &launch, 2, 7002));
        assert_eq!(value_of(&a, "--port").as_deref(), Some("7002"));
        assert_eq!(value_of(&a, "--bind").as_deref(), Some("10.0.0.1"));
        assert_eq!(value_of(&a, "--cluster-enabled").as_deref(), Some("yes"));
        assert_eq!(
            value_of(&a, "--cluster-config-file").as_deref(),
            Some("nodes-7002.conf")
        );
        let full = |o: &OrchestratorOptions| {
            value_of(
                &args(&shard_command(o, &launch, 2, 7002)),
                "--cluster-require-full-coverage",
            )
        };
        assert_eq!(full(&opts).as_deref(), Some("yes"));
        assert_eq!(
            full(&opts.clone().partial_coverage(true)).as_deref(),
            Some("no")
        );
        assert_eq!(value_of(&a, "--dbfilename").as_deref(), Some("shard-2.rdb"));
        assert_eq!(
            value_of(&a, "--appenddirname").as_deref(),
            Some("appendonly-2")
        );
        assert_eq!(value_of(&a, "--save").as_deref(), Some("900 1"));
        assert_eq!(value_of(&a, "--appendonly").as_deref(), Some("yes"));
        assert_eq!(value_of(&a, "--maxmemory").as_deref(), Some("1gb"));
        assert_eq!(
            value_of(&a, "--proto-max-bulk-len").as_deref(),
            Some("2560mb")
        );
        let m = a.iter().position(|x| x == "--loadmodule").unwrap_or(0);
        assert_eq!(
            &a[m + 1..m + 6],
            [
                "/lib/libsmartredis_ai.so",
                "THREADS_PER_QUEUE",
                "2",
                "INTRA_OP_PARALLELISM",
                "3"
            ]
        );
        assert_eq!(&a[a.len() - 2..], ["--io-threads", "2"]);
    }

    #[test]
    fn standalone_has_no_cluster_flags() {
        let opts = OrchestratorOptions::new().module(false);
        let launch = Launch {
            server: PathBuf::from("redis-server"),
            module: None,
            host: "127.0.0.1".into(),
            dir: PathBuf::from("/tmp/db"),
            cluster: false,
        };
        let a = args(&shard_command(&opts, &launch, 0, 6379));
        assert!(!a.iter().any(|x| x.starts_with("--cluster")));
        assert!(!a.iter().any(|x| x == "--loadmodule"));
        assert_eq!(value_of(&a, "--save").as_deref(), Some(""));
        assert_eq!(value_of(&a, "--appendonly").as_deref(), Some("no"));
    }

    #[test]
    fn missing_binaries_are_named() {
        let e = find_redis_server(Some(Path::new("/nope/redis-server"))).unwrap_err();
        assert!(e.to_string().contains("/nope/redis-server"));
        let e = find_module(Some(Path::new("/nope/libsmartredis_ai.so"))).unwrap_err();
        assert!(matches!(e, Error::ModuleNotFound(_)));
    }
}
