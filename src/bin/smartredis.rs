//! `smartredis`: start, inspect and stop a local feature store (a thin shell over `smartredis::orchestrator`).
//!
//! Exit status: 0 success; 1 the command failed (the reason on stderr); 2 a usage error (bad option or value,
//! named with the expected form); `status`: 1 some shards are not running, 2 no store recorded; `run`: the
//! command's status (127: it could not run, 128+N: killed by signal N); 130: interrupted during a start.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;
use serde_json::json;

use smartredis::config::Secret;
use smartredis::orchestrator::{
    db_type_name, Auth, LauncherKind, Orchestrator, OrchestratorOptions, ShardState, Tls, TlsFiles,
};

/// Start, inspect and stop a local Redis feature store for SmartRedis clients.
///
/// Every command acts on the store recorded in the current directory; `--dir DIR` chooses another.
#[derive(Parser, Debug)]
#[command(
    name = "smartredis",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Start a store (1 shard = standalone, N >= 2 = Redis Cluster) and return once it is ready.
    ///
    /// Waits until the store is usable (every shard answers, cluster_state:ok with all 16384 slots, module
    /// loaded), prints SSDB and SR_DB_TYPE, and returns, leaving it running. The state is recorded in DIR for
    /// `status`, `env` and `stop`. Arguments after `--` go to every redis-server.
    Start {
        #[command(flatten)]
        store: StoreArgs,
        /// Stay attached; Ctrl-C (SIGINT) or SIGTERM stops the store.
        #[arg(long)]
        foreground: bool,
        /// Print what would run (command lines, job scripts) and start nothing.
        #[arg(long)]
        dry_run: bool,
        /// Extra redis-server arguments (same as --server-arg).
        #[arg(last = true, value_name = "SERVER_ARGS")]
        server_args: Vec<String>,
    },
    /// Show each shard's state (exit 0: all running, 1: some not, 2: none recorded).
    ///
    /// Prints one line per shard: index, address, PID, state (running, unresponsive, exited) and details.
    /// With --json, one JSON object instead (see README, "`smartredis status --json`").
    /// Exit status: 0 all shards running, 1 some are not, 2 no store recorded in DIR.
    Status {
        #[command(flatten)]
        dir: DirArg,
        /// Print one JSON object, for job scripts.
        #[arg(long)]
        json: bool,
    },
    /// Stop the store recorded in the directory.
    ///
    /// Sends SHUTDOWN (SAVE when persistence is on, else NOSAVE) to every shard, then SIGTERM and SIGKILL by PID
    /// when needed (bounded), and removes nodes-*.conf and the state file. Exit status 0 when nothing runs.
    Stop {
        #[command(flatten)]
        dir: DirArg,
        /// Bound on the whole stop, in seconds [default: 10]
        #[arg(long, value_name = "SECS", value_parser = parse_secs)]
        timeout: Option<Duration>,
    },
    /// Print `export SSDB=...` and `export SR_DB_TYPE=...` lines, for `eval "$(smartredis env)"`.
    ///
    /// With a database identifier the names are SSDB_<id> and SR_DB_TYPE_<id>; a store started with --socket is
    /// printed as SSDB=unix://PATH. A store that requires a password adds SR_PASSWORD_FILE (the 0600 file, never
    /// the secret), a TLS store SR_TLS_CA_FILE (suffixed like SSDB).
    Env {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Start a store, run a command with SSDB/SR_DB_TYPE set, stop the store, exit with its status.
    ///
    /// Starts a store (same options as `start`; without --dir in a fresh directory that is removed afterwards),
    /// runs COMMAND with SSDB and SR_DB_TYPE (SSDB_<id>/SR_DB_TYPE_<id> with --db-id; SSDB=unix://PATH with
    /// --socket) in its environment, stops the store, and exits with the command's status (127: it could not
    /// run; 128+N: killed by signal N). Extra redis-server arguments go through --server-arg.
    /// Example, as a ctest wrapper: smartredis run --shards 3 -- ./my_test
    Run {
        #[command(flatten)]
        store: StoreArgs,
        /// The command to run and its arguments.
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Print a shell completion script, e.g. `smartredis completions bash > /etc/bash_completion.d/smartredis`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// `--dir`, for the commands that act on a recorded store.
#[derive(clap::Args, Debug)]
struct DirArg {
    /// Working directory holding the store's state file
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
}

/// What `start` and `run` start.
#[derive(clap::Args, Debug)]
struct StoreArgs {
    /// Who starts the shards: local, slurm, pbs, lsf, cobalt, or auto (from SLURM_JOB_ID, PBS_JOBID, LSB_JOBID,
    /// COBALT_JOBID) [default: local]
    #[arg(long, value_name = "NAME", value_parser = parse_launcher)]
    launcher: Option<LauncherKind>,
    /// Scheduler launchers: nodes to spread the shards over [default: one shard per node]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    nodes: Option<u32>,
    /// Scheduler launchers: run the store as a separate job even inside an allocation
    #[arg(long)]
    batch: bool,
    /// Scheduler launchers: walltime of a separate store job, as the scheduler takes it (e.g. 01:00:00)
    #[arg(long, value_name = "TIME")]
    walltime: Option<String>,
    /// Scheduler launchers: account (project) of a separate store job
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// Scheduler launchers: partition or queue of a separate store job
    #[arg(long, visible_alias = "partition", value_name = "NAME")]
    queue: Option<String>,
    /// Scheduler launchers: CPUs per shard
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    cpus_per_shard: Option<u32>,
    /// Working directory: logs, state, RDB/AOF, nodes-*.conf [default: . for start, a scratch one for run]
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Number of shards: 1 = standalone, N >= 2 = Redis Cluster [default: 1]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    shards: Option<u32>,
    /// Shard i listens on P+i, its cluster bus on P+i+10000 [default: free ports]
    #[arg(long, value_name = "P")]
    port: Option<u16>,
    /// Address to bind [default: 127.0.0.1]
    #[arg(long, value_name = "ADDR", conflicts_with = "interface")]
    bind: Option<String>,
    /// Bind the IPv4 address of this network interface (lo, eth0, ib0, ...)
    #[arg(long, value_name = "NAME")]
    interface: Option<String>,
    /// Also listen on this Unix socket (1 shard only; relative to --dir)
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Octal permissions of the socket [default: 700]
    #[arg(long, value_name = "MODE", value_parser = parse_octal)]
    socket_perm: Option<u32>,
    /// Let other users of the node reach the socket: needed for --socket-perm wider than 700
    #[arg(long)]
    socket_shared: bool,
    /// Password required by every shard: auto = on (generated) when binding a non-loopback address, on, off;
    /// the secret is written to DIR/smartredis-password (mode 0600) for SR_PASSWORD_FILE [default: auto]
    #[arg(long, value_name = "MODE", value_parser = ["auto", "on", "off"])]
    auth: Option<String>,
    /// Take the store's password from this file (first line) instead of generating one; implies --auth on
    #[arg(long, value_name = "FILE", conflicts_with = "auth")]
    password_file: Option<PathBuf>,
    /// Serve TLS on the shards' ports with a CA and certificate generated in DIR/smartredis-tls (clients need
    /// SR_TLS_CA_FILE, printed by `env`)
    #[arg(long, conflicts_with_all = ["tls_ca", "tls_cert", "tls_key"])]
    tls: bool,
    /// Serve TLS with this CA certificate (with --tls-cert and --tls-key)
    #[arg(long, value_name = "FILE", requires_all = ["tls_cert", "tls_key"])]
    tls_ca: Option<PathBuf>,
    /// The shards' TLS certificate (with --tls-ca and --tls-key)
    #[arg(long, value_name = "FILE", requires_all = ["tls_ca", "tls_key"])]
    tls_cert: Option<PathBuf>,
    /// The TLS certificate's private key (with --tls-ca and --tls-cert)
    #[arg(long, value_name = "FILE", requires_all = ["tls_ca", "tls_cert"])]
    tls_key: Option<PathBuf>,
    /// The redis-server binary [default: $REDIS_PATH, then PATH]
    #[arg(long, value_name = "PATH")]
    redis_server: Option<PathBuf>,
    /// Do not load the RedisAI-compatible module
    #[arg(long, conflicts_with = "module")]
    no_module: bool,
    /// Module library [default: $SMARTREDIS_AI_MODULE, next to this program or ../lib, next to libsmartredis]
    #[arg(long, value_name = "PATH")]
    module: Option<PathBuf>,
    /// Module THREADS_PER_QUEUE
    #[arg(long, value_name = "N")]
    threads_per_queue: Option<u32>,
    /// Module INTER_OP_PARALLELISM
    #[arg(long, value_name = "N")]
    inter_op: Option<u32>,
    /// Module INTRA_OP_PARALLELISM
    #[arg(long, value_name = "N")]
    intra_op: Option<u32>,
    /// Module BACKENDSPATH
    #[arg(long, value_name = "DIR")]
    backends_path: Option<PathBuf>,
    /// Load a backend at start (TORCH, ONNX, TF, TFLITE); repeatable
    #[arg(long, value_name = "NAME=PATH", value_parser = parse_backend)]
    backend: Vec<(String, PathBuf)>,
    /// Maxmemory of each shard (e.g. 1gb)
    #[arg(long, value_name = "SIZE")]
    maxmemory: Option<String>,
    /// Maxmemory-policy (e.g. allkeys-lru)
    #[arg(long, value_name = "POLICY")]
    eviction: Option<String>,
    /// Maxclients
    #[arg(long, value_name = "N")]
    maxclients: Option<u32>,
    /// Largest bulk string [default: 2560mb]
    #[arg(long, value_name = "SIZE")]
    proto_max_bulk_len: Option<String>,
    /// RDB snapshots with this save spec ("" = at stop only); restored on the next start
    #[arg(long, value_name = "SPEC")]
    rdb: Option<String>,
    /// Append-only file; restored on the next start
    #[arg(long)]
    aof: bool,
    /// Live shards keep serving their slots while another is down (cluster-require-full-coverage no)
    #[arg(long)]
    partial_coverage: bool,
    /// Database identifier: env prints SSDB_ID / SR_DB_TYPE_ID
    #[arg(long, value_name = "ID")]
    db_id: Option<String>,
    /// Pin shards to these CPUs, e.g. 0-3,8
    #[arg(long, value_name = "LIST", value_parser = parse_cpus)]
    cpus: Option<CpuList>,
    /// Bound on start, in seconds [default: 30]
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    timeout: Option<Duration>,
    /// One extra redis-server argument; repeatable (same as after `--` for start)
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    server_arg: Vec<String>,
}

/// A parsed `--cpus` list.
#[derive(Clone, Debug)]
struct CpuList(Vec<usize>);

impl StoreArgs {
    /// The launcher options these arguments ask for (the directory defaults to `.`); a password file that cannot
    /// be read is an error.
    fn options(self) -> Result<OrchestratorOptions, String> {
        let a = self;
        let mut o = OrchestratorOptions::new().dir(a.dir.unwrap_or_else(|| PathBuf::from(".")));
        if let Some(l) = a.launcher {
            o = o.launcher(l);
        }
        if let Some(n) = a.nodes {
            o = o.nodes(n as usize);
        }
        if a.batch {
            o = o.batch(true);
        }
        if let Some(v) = a.walltime {
            o = o.walltime(v);
        }
        if let Some(v) = a.account {
            o = o.account(v);
        }
        if let Some(v) = a.queue {
            o = o.queue(v);
        }
        if let Some(n) = a.cpus_per_shard {
            o = o.cpus_per_shard(n);
        }
        if let Some(n) = a.shards {
            o = o.shards(n as usize);
        }
        if let Some(p) = a.port {
            o = o.port(p);
        }
        if let Some(b) = a.bind {
            o = o.bind_address(b);
        }
        if let Some(i) = a.interface {
            o = o.interface(i);
        }
        if let Some(s) = a.socket {
            o = o.unix_socket(s);
        }
        if let Some(m) = a.socket_perm {
            o = o.unix_socket_perm(m);
        }
        if a.socket_shared {
            o = o.shared_socket(true);
        }
        match a.auth.as_deref() {
            Some("on") => o = o.auth(Auth::Generate),
            Some("off") => o = o.auth(Auth::Off),
            _ => {}
        }
        if let Some(f) = a.password_file {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| format!("--password-file {}: {e}", f.display()))?;
            let secret = text.lines().next().unwrap_or_default();
            o = o.auth(Auth::Password(Secret::new(secret)));
        }
        if a.tls {
            o = o.tls(Tls::Generate);
        }
        if let (Some(ca), Some(cert), Some(key)) = (a.tls_ca, a.tls_cert, a.tls_key) {
            let abs = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
            o = o.tls(Tls::Files(TlsFiles {
                ca: abs(ca),
                cert: abs(cert),
                key: abs(key),
            }));
        }
        if let Some(p) = a.redis_server {
            o = o.redis_server(p);
        }
        if a.no_module {
            o = o.module(false);
        }
        if let Some(p) = a.module {
            o = o.module_path(p);
        }
        if let Some(n) = a.threads_per_queue {
            o = o.threads_per_queue(n);
        }
        if let Some(n) = a.inter_op {
            o = o.inter_op_threads(n);
        }
        if let Some(n) = a.intra_op {
            o = o.intra_op_threads(n);
        }
        if let Some(p) = a.backends_path {
            o = o.backends_path(p);
        }
        for (name, path) in a.backend {
            o = o.backend(&name, path);
        }
        if let Some(v) = a.maxmemory {
            o = o.maxmemory(v);
        }
        if let Some(v) = a.eviction {
            o = o.eviction_policy(v);
        }
        if let Some(n) = a.maxclients {
            o = o.maxclients(n);
        }
        if let Some(v) = a.proto_max_bulk_len {
            o = o.proto_max_bulk_len(v);
        }
        if let Some(v) = a.rdb {
            o = o.rdb(v);
        }
        if a.aof {
            o = o.aof(true);
        }
        if a.partial_coverage {
            o = o.partial_coverage(true);
        }
        if let Some(id) = a.db_id {
            o = o.db_identifier(id);
        }
        if let Some(c) = a.cpus {
            o = o.cpus(c.0);
        }
        if let Some(t) = a.timeout {
            o = o.start_timeout(t);
        }
        Ok(o.extra_args(a.server_arg))
    }
}

fn parse_launcher(v: &str) -> Result<LauncherKind, String> {
    LauncherKind::parse(v)
        .map_err(|_| "expected local, slurm, pbs, lsf, cobalt or auto".to_string())
}

fn parse_octal(v: &str) -> Result<u32, String> {
    u32::from_str_radix(v, 8)
        .map_err(|_| "expected octal permissions, e.g. 700 or 0770".to_string())
}

fn parse_secs(v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| "expected a non-negative number of seconds, e.g. 30 or 2.5".to_string())
}

fn parse_backend(v: &str) -> Result<(String, PathBuf), String> {
    match v.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_string(), PathBuf::from(path)))
        }
        _ => Err("expected NAME=PATH, e.g. TORCH=/opt/backends/redisai_torch".to_string()),
    }
}

fn parse_cpus(list: &str) -> Result<CpuList, String> {
    const FORM: &str = "expected CPU numbers and ranges, e.g. 0-3,8";
    let num = |s: &str| s.trim().parse::<usize>().map_err(|_| FORM.to_string());
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(format!("range {part:?} runs backwards; {FORM}"));
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(num(part)?),
        }
    }
    if cpus.is_empty() {
        return Err(FORM.to_string());
    }
    Ok(CpuList(cpus))
}

static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP_REQUESTED.store(true, Ordering::SeqCst);
}

/// Installs the SIGINT/SIGTERM handler that sets [`STOP_REQUESTED`].
fn catch_signals() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGTERM,
            on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (name, result) = match cli.command {
        Cmd::Start {
            store,
            foreground,
            dry_run,
            server_args,
        } => {
            let r = match store.options() {
                Err(e) => Err(e),
                Ok(o) if dry_run => dry(o.extra_args(server_args)),
                Ok(o) => start(o.extra_args(server_args), foreground),
            };
            ("start", r)
        }
        Cmd::Status { dir, json } => ("status", status(dir.dir, json)),
        Cmd::Stop { dir, timeout } => ("stop", stop(dir.dir, timeout)),
        Cmd::Env { dir } => ("env", env(dir.dir)),
        Cmd::Run { store, command } => ("run", run(store, command)),
        Cmd::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "smartredis", &mut std::io::stdout());
            ("completions", Ok(ExitCode::SUCCESS))
        }
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("smartredis {name}: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn dry(o: OrchestratorOptions) -> Result<ExitCode, String> {
    let orc = Orchestrator::new(o).map_err(|e| e.to_string())?;
    print!("{}", orc.dry_run().map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}

fn start(o: OrchestratorOptions, foreground: bool) -> Result<ExitCode, String> {
    // Catch Ctrl-C / SIGTERM from here on: one that arrives while the store starts stops it once the start
    // returns, instead of leaving the shards (which run in their own session) behind.
    catch_signals();
    let mut orc = Orchestrator::launch(o).map_err(|e| e.to_string())?;
    if STOP_REQUESTED.load(Ordering::SeqCst) {
        orc.stop().map_err(|e| e.to_string())?;
        eprintln!("smartredis start: interrupted; stopped what was started");
        return Ok(ExitCode::from(130));
    }
    println!(
        "started {} with {} shard(s) in {}",
        db_type_name(orc.db_type()),
        orc.addresses().len(),
        orc.dir().display()
    );
    for (k, v) in orc.env_vars() {
        println!("{k}={v}");
    }
    if !foreground {
        orc.detach();
        return Ok(ExitCode::SUCCESS);
    }
    println!("running in the foreground; Ctrl-C stops it");
    // The line above is what a supervising script waits for: make sure it is out.
    let _ = std::io::stdout().flush();
    let mut code = ExitCode::SUCCESS;
    while !STOP_REQUESTED.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        if orc.status().iter().all(|s| s.state == ShardState::Exited) {
            eprintln!("smartredis start: every shard has exited");
            code = ExitCode::FAILURE;
            break;
        }
    }
    orc.stop().map_err(|e| e.to_string())?;
    println!("stopped");
    Ok(code)
}

/// Version of the `status --json` object; bumped when a field changes meaning or goes away.
const STATUS_JSON_FORMAT: u32 = 1;

fn status(dir: PathBuf, as_json: bool) -> Result<ExitCode, String> {
    let mut orc = match Orchestrator::attach(&dir) {
        Ok(o) => o,
        Err(e) => {
            if as_json {
                let abs = std::path::absolute(&dir).unwrap_or(dir);
                let v = json!({
                    "format": STATUS_JSON_FORMAT,
                    "recorded": false,
                    "dir": abs,
                    "error": e.to_string(),
                });
                println!("{v}");
            } else {
                println!("{e}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let shards = orc.status();
    let all = shards.iter().all(|s| s.state == ShardState::Running);
    if as_json {
        let v = json!({
            "format": STATUS_JSON_FORMAT,
            "recorded": true,
            "dir": orc.dir(),
            "db_type": db_type_name(orc.db_type()),
            "launcher": orc.launcher_kind().name(),
            "all_running": all,
            "env": orc.env_vars().into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect::<serde_json::Map<_, _>>(),
            "shards": shards.iter().zip(orc.shards()).map(|(s, r)| json!({
                "index": s.index,
                "address": s.address,
                "pid": s.pid,
                "job_id": r.job_id,
                "step_id": r.step_id,
                "node": r.node,
                "state": s.state.to_string(),
                "detail": s.detail,
            })).collect::<Vec<_>>(),
        });
        println!("{v}");
    } else {
        println!(
            "{} with {} shard(s) in {} (launcher {})",
            db_type_name(orc.db_type()),
            shards.len(),
            orc.dir().display(),
            orc.launcher_kind()
        );
        for (s, r) in shards.iter().zip(orc.shards()) {
            let who = match (&r.job_id, &r.step_id) {
                (Some(j), Some(st)) => format!("step {:>7}", format!("{j}.{st}")),
                (Some(j), None) => format!("job  {j:>7}"),
                _ => format!("pid  {:>7}", s.pid),
            };
            println!(
                "shard {:>3}  {:<21}  {who}  {:<12}  {}",
                s.index, s.address, s.state, s.detail
            );
        }
    }
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn stop(dir: PathBuf, timeout: Option<Duration>) -> Result<ExitCode, String> {
    let timeout = timeout.unwrap_or(smartredis::orchestrator::DEFAULT_STOP_TIMEOUT);
    if let Some(w) = smartredis::orchestrator::state::dir_warning(&dir) {
        eprintln!("smartredis stop: {w}");
    }
    let mut orc = match Orchestrator::attach(&dir) {
        Ok(o) => o.with_stop_timeout(timeout),
        Err(e @ smartredis::orchestrator::Error::NotRunning(_)) => {
            println!("{e}; nothing to stop");
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e.to_string()),
    };
    let n = orc.pids().len();
    orc.stop().map_err(|e| e.to_string())?;
    println!("stopped {n} shard(s) in {}", orc.dir().display());
    Ok(ExitCode::SUCCESS)
}

fn env(dir: PathBuf) -> Result<ExitCode, String> {
    let orc = Orchestrator::attach(&dir).map_err(|e| e.to_string())?;
    for (k, v) in orc.client_env_vars() {
        println!("export {k}=\"{v}\"");
    }
    Ok(ExitCode::SUCCESS)
}

fn run(store: StoreArgs, command: Vec<String>) -> Result<ExitCode, String> {
    let Some((cmd, cmd_args)) = command.split_first() else {
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "no command given after `--` (expected: smartredis run [OPTIONS] -- <COMMAND>...)",
            )
            .exit();
    };
    let scratch = store
        .dir
        .is_none()
        .then(|| std::env::temp_dir().join(format!("smartredis-run-{}", std::process::id())));
    let mut opts = store.options()?;
    if let Some(d) = &scratch {
        opts = opts.dir(d);
    }
    catch_signals();
    let mut orc = Orchestrator::launch(opts).map_err(|e| e.to_string())?;
    let env = orc.client_env_vars();
    let status = if STOP_REQUESTED.load(Ordering::SeqCst) {
        Err("interrupted".to_string())
    } else {
        std::process::Command::new(cmd)
            .args(cmd_args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .status()
            .map_err(|e| format!("cannot run {cmd}: {e}"))
    };
    let stopped = orc.stop();
    if let Some(d) = &scratch {
        let _ = std::fs::remove_dir_all(d);
    }
    stopped.map_err(|e| e.to_string())?;
    match status {
        Ok(s) => Ok(
            match (s.code(), std::os::unix::process::ExitStatusExt::signal(&s)) {
                (Some(c), _) => ExitCode::from(c.clamp(0, 255) as u8),
                (None, Some(sig)) => ExitCode::from((128 + sig).clamp(0, 255) as u8),
                (None, None) => ExitCode::FAILURE,
            },
        ),
        Err(e) if e == "interrupted" => Ok(ExitCode::from(130)),
        Err(e) => {
            eprintln!("smartredis run: {e}");
            Ok(ExitCode::from(127))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn value_parsers() {
        assert_eq!(parse_cpus("0-2,8").unwrap().0, vec![0, 1, 2, 8]);
        assert!(parse_cpus("3-1").is_err() && parse_cpus("x").is_err() && parse_cpus("").is_err());
        assert_eq!(parse_octal("770"), Ok(0o770));
        assert!(parse_octal("9").is_err());
        assert_eq!(parse_secs("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_secs("-1").is_err() && parse_secs("NaN").is_err());
        assert!(parse_backend("TORCH").is_err() && parse_backend("=x").is_err());
        assert_eq!(parse_launcher("slurm"), Ok(LauncherKind::Slurm));
        assert!(parse_launcher("k8s").is_err());
    }
}
