//! Local shards: finding `redis-server` and the module, building each shard's command line, spawning it with its
//! own log file, and watching, connecting to and killing it by PID.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::error::{Error, Result};
use super::launcher::{Launcher, LauncherKind, Plan};
use super::state::{process_identity, verify_process, ShardRecord};

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

/// Log file of shard `index`.
pub fn log_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(format!("shard-{index}.log"))
}

/// Cluster configuration file of the shard on `port` (local shards: one host, distinct ports).
pub fn nodes_conf(port: u16) -> String {
    format!("nodes-{port}.conf")
}

/// Cluster configuration file of scheduler shard `index` (shards on different nodes share ports and directory).
pub fn shard_nodes_conf(index: usize) -> String {
    format!("nodes-shard-{index}.conf")
}

/// The `redis-server` arguments of shard `index` on `port`. With `host`, it binds and announces that address;
/// without (a scheduler's shard, whose address is found on its node), the wrapper script adds them.
pub fn server_args(plan: &Plan, index: usize, host: Option<&str>, port: u16) -> Vec<String> {
    let opts = &plan.opts;
    let mut args: Vec<String> = vec!["--port".into(), port.to_string()];
    if let Some(h) = host {
        args.extend(["--bind".into(), h.to_string()]);
    }
    args.extend(super::access::server_args(opts, &plan.dir, port));
    args.extend([
        "--daemonize".into(),
        "no".into(),
        "--logfile".into(),
        String::new(),
        "--dir".into(),
        plan.dir.display().to_string(),
        "--proc-title-template".into(),
        super::launcher::title_template(&plan.run_id),
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
    ]);
    let p = &opts.persistence;
    args.extend(["--save".into(), p.rdb.clone().unwrap_or_default()]);
    args.extend(["--dbfilename".into(), format!("shard-{index}.rdb")]);
    args.extend([
        "--appendonly".into(),
        if p.aof { "yes" } else { "no" }.into(),
    ]);
    args.extend(["--appenddirname".into(), format!("appendonly-{index}")]);
    args.extend(["--appendfilename".into(), format!("shard-{index}.aof")]);
    if plan.cluster {
        args.extend(["--cluster-enabled".into(), "yes".into()]);
        let conf = match host {
            Some(_) => nodes_conf(port),
            None => shard_nodes_conf(index),
        };
        args.extend(["--cluster-config-file".into(), conf]);
        let full = if opts.partial_coverage { "no" } else { "yes" };
        args.extend(["--cluster-require-full-coverage".into(), full.into()]);
        if let Some(h) = host {
            args.extend([
                "--cluster-announce-ip".into(),
                super::ports::connect_host(h),
            ]);
        }
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
    if let Some((path, load_args)) = &plan.module {
        args.extend(["--loadmodule".into(), path.display().to_string()]);
        args.extend(load_args.iter().cloned());
    }
    args.extend(opts.extra_args.iter().cloned());
    args
}

/// The CPU set of `cpus`, built before any fork; indices were checked by the options (an index past
/// `CPU_SETSIZE` is skipped rather than allowed to panic).
fn cpu_set(cpus: &[usize]) -> Option<libc::cpu_set_t> {
    if cpus.is_empty() {
        return None;
    }
    // SAFETY: cpu_set_t is a plain bit array; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
    for &c in cpus.iter().filter(|&&c| c < max) {
        // SAFETY: `c` is below the set's size in bits, checked just above.
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    Some(set)
}

/// The local command line of one shard, bound to `host`.
pub fn shard_command(plan: &Plan, index: usize, host: &str, port: u16) -> Command {
    let mut cmd = Command::new(&plan.server);
    cmd.args(server_args(plan, index, Some(host), port));
    cmd.current_dir(&plan.dir).stdin(Stdio::null());
    let set = cpu_set(&plan.opts.cpus);
    let die_with_parent = plan.opts.die_with_parent;
    // SAFETY: the closure runs between fork and exec. It allocates nothing, cannot panic, and only makes
    // async-signal-safe system calls (setsid, prctl, sched_setaffinity) on data prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            // Own session: a Ctrl-C meant for the launching terminal does not reach the shards; stop does.
            libc::setsid();
            if die_with_parent {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            }
            if let Some(set) = &set {
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    cmd
}

/// Shards as processes on this host: spawned (and reaped) here, or known by PID and identity when attached.
#[derive(Debug, Default)]
pub struct LocalLauncher {
    children: HashMap<usize, Child>,
}

impl LocalLauncher {
    /// A launcher with no shards yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn spawn(&mut self, plan: &Plan, index: usize, host: &str, port: u16) -> Result<ShardRecord> {
        let log = log_path(&plan.dir, index);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| Error::io(&log, e))?;
        let err = file.try_clone().map_err(|e| Error::io(&log, e))?;
        let mut cmd = shard_command(plan, index, host, port);
        cmd.stdout(file).stderr(err);
        let child = cmd.spawn().map_err(|e| Error::Shard {
            shard: index,
            port,
            reason: format!("could not be spawned ({}): {e}", plan.server.display()),
            log: log.clone(),
            tail: log_tail(&log, 15),
        })?;
        let pid = child.id();
        // spawn returns after exec, so /proc shows the server (unless it already died: then it is reported below).
        let id = process_identity(pid);
        self.children.insert(index, child);
        Ok(ShardRecord {
            index,
            host: super::ports::connect_host(host),
            port,
            log,
            pid,
            start_time: id.as_ref().map_or(0, |i| i.start_time),
            exe: id.map(|i| i.exe).unwrap_or_default(),
            job_id: None,
            step_id: None,
            node: None,
        })
    }

    fn kill_started(&mut self) {
        for c in self.children.values_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.children.clear();
    }
}

impl Launcher for LocalLauncher {
    fn kind(&self) -> LauncherKind {
        LauncherKind::Local
    }

    fn start(&mut self, plan: &Plan, _deadline: Instant) -> Result<Vec<ShardRecord>> {
        self.children.clear();
        let host = super::ports::resolve_bind(&plan.opts.bind)?;
        let ports = super::ports::pick_ports(&host, plan.shards(), plan.opts.port, plan.cluster)?;
        if plan.cluster {
            for &p in &ports {
                let conf = plan.dir.join(nodes_conf(p));
                match std::fs::remove_file(&conf) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(Error::io(conf, e))
                    }
                    _ => {}
                }
            }
            if !plan.opts.persistence.enabled() {
                let addrs: Vec<(String, u16)> = ports
                    .iter()
                    .map(|&p| (super::ports::connect_host(&host), p))
                    .collect();
                super::formation::write_prewritten_confs(&addrs, |i| {
                    plan.dir.join(nodes_conf(ports[i]))
                })?;
            }
        }
        let mut out = Vec::with_capacity(ports.len());
        for (i, &port) in ports.iter().enumerate() {
            match self.spawn(plan, i, &host, port) {
                Ok(r) => out.push(r),
                Err(e) => {
                    self.kill_started();
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    fn exited(&mut self, shard: &ShardRecord) -> Option<String> {
        if let Some(c) = self.children.get_mut(&shard.index) {
            return match c.try_wait() {
                Ok(None) => None,
                Ok(Some(s)) => Some(s.to_string()),
                Err(e) => Some(format!("cannot be waited for: {e}")),
            };
        }
        match process_identity(shard.pid) {
            None => Some("process gone".into()),
            // A record without identity (version 1) is judged by the PID alone.
            Some(_) if shard.start_time == 0 => None,
            Some(id) if id.start_time == shard.start_time && id.exe == shard.exe => None,
            Some(_) => Some(format!(
                "process gone (pid {} is another process now)",
                shard.pid
            )),
        }
    }

    fn verify(&mut self, shard: &ShardRecord, run_id: &str) -> std::result::Result<(), String> {
        if let Some(c) = self.children.get_mut(&shard.index) {
            // Our own child, not yet reaped: its PID cannot have been reused.
            return match c.try_wait() {
                Ok(None) => Ok(()),
                _ => Err(format!("pid {} has exited", shard.pid)),
            };
        }
        verify_process(shard.pid, shard.start_time, &shard.exe, run_id)
    }

    fn terminate(&mut self, shards: &[ShardRecord], run_id: &str, hard: bool) {
        let sig = if hard { libc::SIGKILL } else { libc::SIGTERM };
        for s in shards {
            if self.verify(s, run_id).is_err() {
                continue;
            }
            if let Ok(pid) = libc::pid_t::try_from(s.pid) {
                // SAFETY: kill(2) on a PID whose identity (our child, or start time + executable + run id) was
                // just verified.
                unsafe { libc::kill(pid, sig) };
            }
        }
    }

    fn dry_run(&self, plan: &Plan) -> Result<String> {
        let host = super::ports::resolve_bind(&plan.opts.bind)?;
        let mut out = String::new();
        for i in 0..plan.shards() {
            let port = plan
                .opts
                .port
                .map_or_else(|| "<free port>".to_string(), |p| (p + i as u16).to_string());
            let mut line = vec![plan.server.display().to_string()];
            for a in server_args(plan, i, Some(&host), 0) {
                line.push(a);
            }
            // With TLS the shard's port is its `--tls-port` (and `--port 0` follows).
            for flag in ["--port", "--tls-port"] {
                if let Some(p) = line.iter().position(|a| a == flag) {
                    line[p + 1] = port.clone();
                }
            }
            out.push_str(&super::script::shell_line(&line));
            out.push('\n');
        }
        Ok(out)
    }
}

/// The last `n` lines of a file (empty when unreadable).
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Whether the server behind `con` is a shard of run `run_id`: its `proc-title-template` carries the run marker.
pub fn carries_run(con: &mut redis::Connection, run_id: &str) -> std::result::Result<(), String> {
    let marker = super::launcher::run_marker(run_id);
    let reply: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("proc-title-template")
        .query(con)
        .map_err(|e| e.to_string())?;
    if reply.iter().any(|v| v.split(' ').any(|w| w == marker)) {
        Ok(())
    } else {
        Err(format!(
            "the server on this port is not a shard of this run ({marker})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::OrchestratorOptions;

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

    fn plan(opts: OrchestratorOptions, cluster: bool) -> Plan {
        let module = opts.module.enabled.then(|| {
            (
                PathBuf::from("/lib/libsmartredis_ai.so"),
                opts.module.load_args(),
            )
        });
        Plan {
            opts,
            server: PathBuf::from("/usr/bin/redis-server"),
            module,
            dir: PathBuf::from("/tmp/db"),
            cluster,
            run_id: "0123456789abcdef".into(),
        }
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
        let p = plan(opts.clone(), true);
        let a = args(&shard_command(&p, 2, "10.0.0.1", 7002));
        assert_eq!(value_of(&a, "--port").as_deref(), Some("7002"));
        assert_eq!(value_of(&a, "--bind").as_deref(), Some("10.0.0.1"));
        assert_eq!(
            value_of(&a, "--cluster-announce-ip").as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(value_of(&a, "--cluster-enabled").as_deref(), Some("yes"));
        assert_eq!(
            value_of(&a, "--cluster-config-file").as_deref(),
            Some("nodes-7002.conf")
        );
        let full = |o: &OrchestratorOptions| {
            value_of(
                &args(&shard_command(&plan(o.clone(), true), 2, "10.0.0.1", 7002)),
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
            value_of(&a, "--proc-title-template").as_deref(),
            Some("{title} {listen-addr} {server-mode} smartredis-run=0123456789abcdef")
        );
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
        // A scheduler's shard learns its address on its node: no bind, no announce.
        let b = server_args(&p, 0, None, 6379);
        assert!(!b
            .iter()
            .any(|x| x == "--bind" || x == "--cluster-announce-ip"));
    }

    #[test]
    fn standalone_has_no_cluster_flags() {
        let p = plan(OrchestratorOptions::new().module(false), false);
        let a = args(&shard_command(&p, 0, "127.0.0.1", 6379));
        assert!(!a.iter().any(|x| x.starts_with("--cluster")));
        assert!(!a.iter().any(|x| x == "--loadmodule"));
        assert_eq!(value_of(&a, "--save").as_deref(), Some(""));
        assert_eq!(value_of(&a, "--appendonly").as_deref(), Some("no"));
    }

    #[test]
    fn cpu_sets_are_built_before_the_fork() {
        assert!(cpu_set(&[]).is_none());
        let set = cpu_set(&[0, 3, 99_999]);
        // SAFETY: both indices are below CPU_SETSIZE.
        assert!(set.is_some_and(|s| unsafe { libc::CPU_ISSET(3, &s) && !libc::CPU_ISSET(1, &s) }));
    }

    #[test]
    fn missing_binaries_are_named() {
        let e = find_redis_server(Some(Path::new("/nope/redis-server"))).unwrap_err();
        assert!(e.to_string().contains("/nope/redis-server"));
        let e = find_module(Some(Path::new("/nope/libsmartredis_ai.so"))).unwrap_err();
        assert!(matches!(e, Error::ModuleNotFound(_)));
    }
}
