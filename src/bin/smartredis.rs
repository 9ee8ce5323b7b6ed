//! `smartredis`: start, inspect and stop a local feature store (a thin shell over `smartredis::orchestrator`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use smartredis::orchestrator::{db_type_name, Orchestrator, OrchestratorOptions, ShardState};

const USAGE: &str = "\
smartredis — start, inspect and stop a local Redis feature store for SmartRedis clients

Usage: smartredis <command> [options]

Commands:
  start    start a store (1 shard = standalone, N >= 2 = Redis Cluster) and return once it is ready
  status   show each shard's state (exit 0: all running, 1: some not, 2: none recorded)
  stop     stop the store recorded in the directory
  env      print `export SSDB=...` and `export SR_DB_TYPE=...` lines, for `eval \"$(smartredis env)\"`
  run      start a store, run a command with SSDB/SR_DB_TYPE set, stop the store, exit with its status

Every command acts on the store recorded in the current directory; `--dir DIR` chooses another.
Run `smartredis <command> --help` for its options.";

const START_HELP: &str = "\
Usage: smartredis start [options] [-- <extra redis-server args>...]

Starts the store, waits until it is usable (every shard answers, cluster_state:ok with all 16384 slots, module
loaded) and returns, leaving it running. The state is recorded in DIR for `status`, `env` and `stop`.

Options:
  --dir DIR                 working directory: logs, state, RDB/AOF, nodes-*.conf (default: .)
  --shards N                number of shards (default 1)
  --port P                  shard i listens on P+i (default: free ports)
  --bind ADDR               bind this address (default 127.0.0.1)
  --interface NAME          bind the IPv4 address of this network interface (lo, eth0, ib0, ...)
  --socket PATH             also listen on this Unix socket (1 shard only; relative to --dir)
  --socket-perm MODE        octal permissions of the socket (default 700)
  --redis-server PATH       the redis-server binary (default: $REDIS_PATH, then PATH)
  --no-module               do not load the RedisAI-compatible module
  --module PATH             module library (default: $SMARTREDIS_AI_MODULE, next to this program, <prefix>/lib)
  --threads-per-queue N     module THREADS_PER_QUEUE
  --inter-op N              module INTER_OP_PARALLELISM
  --intra-op N              module INTRA_OP_PARALLELISM
  --backends-path DIR       module BACKENDSPATH
  --backend NAME=PATH       load a backend at start (TORCH, ONNX, TF, TFLITE); repeatable
  --maxmemory SIZE          maxmemory of each shard (e.g. 1gb)
  --eviction POLICY         maxmemory-policy (e.g. allkeys-lru)
  --maxclients N            maxclients
  --proto-max-bulk-len SIZE largest bulk string (default 2560mb)
  --rdb SPEC                RDB snapshots with this save spec (\"\" = at stop only); restored on next start
  --aof                     append-only file; restored on next start
  --db-id ID                database identifier: env prints SSDB_ID / SR_DB_TYPE_ID
  --cpus LIST               pin shards to CPUs, e.g. 0-3,8
  --timeout SECS            bound on start (default 30)
  --foreground              stay attached; Ctrl-C (SIGINT) or SIGTERM stops the store
  --server-arg ARG          one extra redis-server argument (repeatable; same as after `--`)
  -h, --help                this help";

const STATUS_HELP: &str = "\
Usage: smartredis status [--dir DIR]

Prints one line per shard: index, address, PID, state (running, unresponsive, exited) and details.
Exit status: 0 all shards running, 1 some are not, 2 no store recorded in DIR.";

const STOP_HELP: &str = "\
Usage: smartredis stop [--dir DIR] [--timeout SECS]

Sends SHUTDOWN (SAVE when persistence is on, else NOSAVE) to every shard, then SIGTERM and SIGKILL by PID when
needed (bounded, default 10 s), and removes nodes-*.conf and the state file. Exit status 0 when nothing runs.";

const ENV_HELP: &str = "\
Usage: smartredis env [--dir DIR]

Prints the environment SmartRedis clients read, as shell `export` lines:
  export SSDB=\"host:port,...\"      (SSDB_<id> with a database identifier)
  export SR_DB_TYPE=Standalone|Clustered";

const RUN_HELP: &str = "\
Usage: smartredis run [start options] -- <command> [args...]

Starts a store (same options as `start`; without --dir in a fresh directory that is removed afterwards), runs
<command> with SSDB and SR_DB_TYPE (SSDB_<id>/SR_DB_TYPE_<id> with --db-id; SSDB=unix://PATH with --socket) in its
environment, stops the store, and exits with the command's status (127: it could not run; 128+N: killed by signal
N). Extra redis-server arguments go through --server-arg. Example, as a ctest wrapper:
  smartredis run --shards 3 -- ./my_test";

static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP_REQUESTED.store(true, Ordering::SeqCst);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "start" => start(rest),
        "status" => status(rest),
        "stop" => stop(rest),
        "env" => env(rest),
        "run" => run(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("smartredis {cmd}: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// A tiny argument cursor: `--flag`, `--opt value`, `--opt=value`.
struct Args<'a> {
    items: &'a [String],
    pos: usize,
}

impl<'a> Args<'a> {
    fn new(items: &'a [String]) -> Self {
        Args { items, pos: 0 }
    }

    /// The next option name and, when written `--opt=value`, its inline value.
    fn next_opt(&mut self) -> Option<(String, Option<String>)> {
        let a = self.items.get(self.pos)?;
        self.pos += 1;
        Some(match a.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        })
    }

    fn value(&mut self, name: &str, inline: Option<String>) -> Result<String, String> {
        if let Some(v) = inline {
            return Ok(v);
        }
        let v = self
            .items
            .get(self.pos)
            .cloned()
            .ok_or(format!("{name} needs a value"))?;
        self.pos += 1;
        Ok(v)
    }

    fn rest(&mut self) -> Vec<String> {
        let r = self.items[self.pos..].to_vec();
        self.pos = self.items.len();
        r
    }
}

fn parse<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{name}: invalid value {v:?}"))
}

fn parse_cpus(list: &str) -> Result<Vec<usize>, String> {
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (parse("--cpus", a)?, parse("--cpus", b)?);
                if a > b {
                    return Err(format!("--cpus: bad range {part:?}"));
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(parse("--cpus", part)?),
        }
    }
    Ok(cpus)
}

/// What `start` and `run` were asked for.
struct StartArgs {
    opts: OrchestratorOptions,
    dir_given: bool,
    foreground: bool,
    help: bool,
    /// After `--`: extra server arguments (`start`) or the command to run (`run`).
    rest: Vec<String>,
}

fn parse_start(args: &[String]) -> Result<StartArgs, String> {
    let mut a = Args::new(args);
    let mut o = OrchestratorOptions::new().dir(".");
    let (mut foreground, mut help, mut dir_given) = (false, false, false);
    let mut rest = Vec::new();
    while let Some((opt, inline)) = a.next_opt() {
        o = match opt.as_str() {
            "-h" | "--help" => {
                help = true;
                o
            }
            "--" => {
                rest = a.rest();
                o
            }
            "--foreground" => {
                foreground = true;
                o
            }
            "--server-arg" => o.extra_args([a.value(&opt, inline)?]),
            "--no-module" => o.module(false),
            "--aof" => o.aof(true),
            "--dir" => {
                dir_given = true;
                o.dir(a.value(&opt, inline)?)
            }
            "--shards" => o.shards(parse(&opt, &a.value(&opt, inline)?)?),
            "--port" => o.port(parse(&opt, &a.value(&opt, inline)?)?),
            "--bind" => o.bind_address(a.value(&opt, inline)?),
            "--interface" => o.interface(a.value(&opt, inline)?),
            "--socket" => o.unix_socket(a.value(&opt, inline)?),
            "--socket-perm" => {
                let v = a.value(&opt, inline)?;
                o.unix_socket_perm(
                    u32::from_str_radix(&v, 8).map_err(|_| format!("{opt}: {v:?} is not octal"))?,
                )
            }
            "--redis-server" => o.redis_server(a.value(&opt, inline)?),
            "--module" => o.module_path(a.value(&opt, inline)?),
            "--threads-per-queue" => o.threads_per_queue(parse(&opt, &a.value(&opt, inline)?)?),
            "--inter-op" => o.inter_op_threads(parse(&opt, &a.value(&opt, inline)?)?),
            "--intra-op" => o.intra_op_threads(parse(&opt, &a.value(&opt, inline)?)?),
            "--backends-path" => o.backends_path(a.value(&opt, inline)?),
            "--backend" => {
                let v = a.value(&opt, inline)?;
                let (name, path) = v
                    .split_once('=')
                    .ok_or(format!("{opt} wants NAME=PATH, got {v:?}"))?;
                o.backend(name, path)
            }
            "--maxmemory" => o.maxmemory(a.value(&opt, inline)?),
            "--eviction" => o.eviction_policy(a.value(&opt, inline)?),
            "--maxclients" => o.maxclients(parse(&opt, &a.value(&opt, inline)?)?),
            "--proto-max-bulk-len" => o.proto_max_bulk_len(a.value(&opt, inline)?),
            "--rdb" => o.rdb(a.value(&opt, inline)?),
            "--db-id" => o.db_identifier(a.value(&opt, inline)?),
            "--cpus" => o.cpus(parse_cpus(&a.value(&opt, inline)?)?),
            "--timeout" => o.start_timeout(Duration::from_secs_f64(parse(
                &opt,
                &a.value(&opt, inline)?,
            )?)),
            other => return Err(format!("unknown option {other:?} (see `--help`)")),
        };
    }
    Ok(StartArgs {
        opts: o,
        dir_given,
        foreground,
        help,
        rest,
    })
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

fn start(args: &[String]) -> Result<ExitCode, String> {
    let p = parse_start(args)?;
    if p.help {
        println!("{START_HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    let (o, foreground) = (p.opts.extra_args(p.rest), p.foreground);
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

/// Parses `--dir DIR` (and, for stop, `--timeout`), printing `help` on `-h`.
fn dir_opts(
    args: &[String],
    help: &str,
    timeout: Option<&mut Duration>,
) -> Result<Option<PathBuf>, String> {
    let mut a = Args::new(args);
    let mut dir = PathBuf::from(".");
    let mut timeout = timeout;
    while let Some((opt, inline)) = a.next_opt() {
        match opt.as_str() {
            "-h" | "--help" => {
                println!("{help}");
                return Ok(None);
            }
            "--dir" => dir = PathBuf::from(a.value(&opt, inline)?),
            "--timeout" if timeout.is_some() => {
                let secs: f64 = parse(&opt, &a.value(&opt, inline)?)?;
                if let Some(t) = timeout.as_deref_mut() {
                    *t = Duration::from_secs_f64(secs);
                }
            }
            other => return Err(format!("unknown option {other:?}\n\n{help}")),
        }
    }
    Ok(Some(dir))
}

fn status(args: &[String]) -> Result<ExitCode, String> {
    let Some(dir) = dir_opts(args, STATUS_HELP, None)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut orc = match Orchestrator::attach(&dir) {
        Ok(o) => o,
        Err(e) => {
            println!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let shards = orc.status();
    println!(
        "{} with {} shard(s) in {}",
        db_type_name(orc.db_type()),
        shards.len(),
        orc.dir().display()
    );
    for s in &shards {
        println!(
            "shard {:>3}  {:<21}  pid {:>7}  {:<12}  {}",
            s.index, s.address, s.pid, s.state, s.detail
        );
    }
    let all = shards.iter().all(|s| s.state == ShardState::Running);
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn stop(args: &[String]) -> Result<ExitCode, String> {
    let mut timeout = smartredis::orchestrator::DEFAULT_STOP_TIMEOUT;
    let Some(dir) = dir_opts(args, STOP_HELP, Some(&mut timeout))? else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut orc = match Orchestrator::attach(&dir) {
        Ok(o) => o.with_stop_timeout(timeout),
        Err(e) => {
            println!("{e}; nothing to stop");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let n = orc.pids().len();
    orc.stop().map_err(|e| e.to_string())?;
    println!("stopped {n} shard(s) in {}", orc.dir().display());
    Ok(ExitCode::SUCCESS)
}

fn env(args: &[String]) -> Result<ExitCode, String> {
    let Some(dir) = dir_opts(args, ENV_HELP, None)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let orc = Orchestrator::attach(&dir).map_err(|e| e.to_string())?;
    for (k, v) in orc.env_vars() {
        println!("export {k}=\"{v}\"");
    }
    Ok(ExitCode::SUCCESS)
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let p = parse_start(args)?;
    if p.help {
        println!("{RUN_HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    let Some((cmd, cmd_args)) = p.rest.split_first() else {
        return Err(format!("no command given after `--`\n\n{RUN_HELP}"));
    };
    let scratch = (!p.dir_given)
        .then(|| std::env::temp_dir().join(format!("smartredis-run-{}", std::process::id())));
    let opts = match &scratch {
        Some(d) => p.opts.dir(d),
        None => p.opts,
    };
    catch_signals();
    let mut orc = Orchestrator::launch(opts).map_err(|e| e.to_string())?;
    let mut env = orc.env_vars();
    if let (Some(sock), 1) = (orc.unix_socket(), orc.pids().len()) {
        env[0].1 = format!("unix://{}", sock.display());
    }
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
