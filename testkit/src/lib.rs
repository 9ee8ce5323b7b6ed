//! Test fixtures shared by every test suite of the workspace.
//!
//! [`RedisServer`] starts a real `redis-server` on a free loopback port (or a Unix socket) in its own temporary
//! directory, optionally with the RedisAI-compatible module loaded, waits until the server on its port reports the
//! PID it spawned (`INFO server`; another test's server can take a port found free), and kills it by
//! PID when dropped — also when the test that owns it panics. [`RedisCluster`] is a thin wrapper over the launcher
//! (`smartredis::orchestrator`). [`onnx`] writes small ONNX models; [`torch`] builds and runs TorchScript directly in
//! libtorch for reference results; [`expected`] reads the committed TF/TFLITE models' reference results.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use smartredis::orchestrator::local::{log_tail, shard_command};
use smartredis::orchestrator::OrchestratorOptions;
use smartredis::orchestrator::Plan;

/// How long a fresh server may take to answer `PING`.
const START_BOUND: Duration = Duration::from_secs(20);

/// Returns a loopback TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// The directory holding the workspace's build outputs for the profile the tests were built with
/// (`target/release` when run as `cargo test --release`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test-binary> or target/<profile>/examples/<example>
    let mut dir = exe.parent().expect("deps dir").to_path_buf();
    if dir.ends_with("deps") || dir.ends_with("examples") {
        dir.pop();
    }
    dir
}

/// Path of the RedisAI-compatible module built by this workspace, found the way the launcher finds it
/// ([`smartredis::orchestrator::find_module`]): `SMARTREDIS_AI_MODULE`, else next to the test program (cargo's
/// `deps/`, where `cargo test` rebuilds the module, before `target/<profile>/`).
pub fn module_path() -> PathBuf {
    smartredis::orchestrator::find_module(None)
        .unwrap_or_else(|e| panic!("{e} (run `cargo build --release --workspace` first)"))
}

/// The `redis-server` binary, found the way the launcher finds it
/// ([`smartredis::orchestrator::find_redis_server`]): `REDIS_PATH`, else `PATH`.
pub fn redis_server_bin() -> PathBuf {
    smartredis::orchestrator::find_redis_server(None).unwrap_or_else(|e| panic!("{e}"))
}

/// `<workspace>/build/backends`, where the install step (`scripts/fetch-backends.sh`) unpacks the model backend
/// libraries; panics with the command to run when ONNX Runtime is not there.
pub fn backends_path() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/backends");
    assert!(
        p.join("redisai_onnxruntime/libonnxruntime.so").exists(),
        "ONNX Runtime is missing: run scripts/fetch-backends.sh (part of `make deps`)"
    );
    p.canonicalize().expect("canonical backends path")
}

/// Options for a [`RedisServer`].
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    module: Option<PathBuf>,
    module_args: Vec<String>,
    extra: Vec<String>,
    unix_socket: bool,
    dir: Option<PathBuf>,
    port: Option<u16>,
    env: Vec<(String, String)>,
}

impl ServerOptions {
    /// Loads the workspace's RedisAI-compatible module.
    pub fn with_module(mut self) -> Self {
        self.module = Some(module_path());
        self
    }

    /// Loads the module with `BACKENDSPATH` set to [`backends_path`], so models can run.
    pub fn with_backends(self) -> Self {
        let path = backends_path().display().to_string();
        self.with_module()
            .module_args(["BACKENDSPATH".to_string(), path])
    }

    /// Load-time arguments passed after the module path (after `BACKENDSPATH` with [`Self::with_backends`]).
    pub fn module_args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.module_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Extra `redis-server` arguments, e.g. `["--appendonly", "yes"]`.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.extra.extend(args.into_iter().map(Into::into));
        self
    }

    /// Starts the server as a replica of `master` (`--replicaof`).
    pub fn replica_of(self, master: &RedisServer) -> Self {
        self.args([
            "--replicaof".to_string(),
            "127.0.0.1".to_string(),
            master.port.to_string(),
        ])
    }

    /// Also listen on a Unix socket in the server's directory.
    pub fn unix_socket(mut self) -> Self {
        self.unix_socket = true;
        self
    }

    /// Use this working directory (for RDB/AOF files) instead of a fresh temporary one.
    pub fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// Sets an environment variable of the server process.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Listen on this port instead of a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Starts the server and waits until it answers as the process spawned; on failure returns why (with the log's tail), e.g.
    /// to check that a module refuses bad load-time arguments.
    pub fn try_start(self) -> Result<RedisServer, String> {
        RedisServer::spawn(&self)
    }

    /// Starts the server and waits until it answers as the process spawned.
    pub fn start(self) -> RedisServer {
        let mut last_err = String::new();
        // A port found free can be taken before redis-server binds it; try a few.
        for _ in 0..5 {
            match RedisServer::spawn(&self) {
                Ok(server) => return server,
                Err(e) => last_err = e,
            }
            if self.port.is_some() {
                break;
            }
        }
        panic!("could not start redis-server: {last_err}");
    }
}

/// A running `redis-server`, killed by PID on drop.
pub struct RedisServer {
    child: std::process::Child,
    log: PathBuf,
    /// The TCP port it listens on (127.0.0.1).
    pub port: u16,
    /// The Unix socket it listens on, when asked for.
    pub socket: Option<PathBuf>,
    /// Its working directory (RDB, AOF, log).
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl RedisServer {
    /// A builder with no module and default settings.
    pub fn options() -> ServerOptions {
        ServerOptions::default()
    }

    /// A plain server with the module loaded.
    pub fn with_module() -> RedisServer {
        Self::options().with_module().start()
    }

    fn spawn(opts: &ServerOptions) -> Result<RedisServer, String> {
        let (tmp, dir) = match &opts.dir {
            Some(d) => (None, d.clone()),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("sr-test-")
                    .tempdir()
                    .map_err(|e| e.to_string())?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let port = opts.port.unwrap_or_else(free_port);
        let socket = opts.unix_socket.then(|| dir.join("redis.sock"));
        // The launcher's own command line and spawning (one shard, no cluster), plus debug commands for tests and
        // Redis's default persistence file names (tests look for `dump.rdb` and `appendonlydir/`).
        let mut launcher = OrchestratorOptions::new()
            .dir(&dir)
            .extra_args(["--enable-debug-command", "local"])
            .extra_args([
                "--dbfilename",
                "dump.rdb",
                "--appenddirname",
                "appendonlydir",
            ])
            .extra_args(["--appendfilename", "appendonly.aof"])
            .extra_args(opts.extra.iter().cloned());
        if let Some(s) = &socket {
            launcher = launcher.unix_socket(s).unix_socket_perm(0o700);
        }
        let plan = Plan {
            opts: launcher,
            server: redis_server_bin(),
            module: opts.module.clone().map(|m| (m, opts.module_args.clone())),
            dir: dir.clone(),
            cluster: false,
            run_id: "testkit".into(),
        };
        let log = dir.join("shard-0.log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        let child = shard_command(&plan, 0, "127.0.0.1", port)
            .envs(opts.env.iter().map(|(k, v)| (k, v)))
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", plan.server.display()))?;
        let mut server = RedisServer {
            child,
            log,
            port,
            socket,
            dir,
            _tmp: tmp,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_BOUND;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "redis-server exited with {status}; log tail:\n{}",
                    log_tail(&self.log, 10)
                ));
            }
            // The server on our port must be the process we spawned: a port found free can be taken by another
            // test's server meanwhile, which would answer PING as well (our own then exits on its bind error,
            // reported above, and `start` retries on a new port).
            if let Ok(mut con) = self.try_connection() {
                if server_pid(&mut con) == Some(self.child.id()) {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!(
            "redis-server (pid {}) did not answer on port {} in time",
            self.child.id(),
            self.port
        ))
    }

    fn try_connection(&self) -> redis::RedisResult<redis::Connection> {
        let client = redis::Client::open(self.url())?;
        client.get_connection_with_timeout(Duration::from_secs(1))
    }

    /// `redis://127.0.0.1:<port>` (RESP2).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `host:port` as SmartRedis's `SSDB` expects it.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A new RESP2 connection.
    pub fn connection(&self) -> redis::Connection {
        self.try_connection().expect("connect to test server")
    }

    /// A new RESP3 connection.
    pub fn connection_resp3(&self) -> redis::Connection {
        let url = format!("{}?protocol=resp3", self.url());
        let client = redis::Client::open(url).expect("client");
        client.get_connection().expect("connect (resp3)")
    }

    /// What the server has written to its log so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the server now (SIGKILL) and waits (bounded) until it is gone and reaped.
    pub fn kill(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
        }
        let deadline = Instant::now() + START_BOUND;
        while self.is_running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Stops the server with `SHUTDOWN` (saving if asked) and waits for the process to exit.
    pub fn shutdown(&mut self, save: bool) {
        if let Ok(mut con) = self.try_connection() {
            let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN")
                .arg(if save { "SAVE" } else { "NOSAVE" })
                .query(&mut con);
        }
        let deadline = Instant::now() + START_BOUND;
        while Instant::now() < deadline {
            if !self.is_running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
    }

    /// Releases the temporary directory from automatic removal (so a restarted server can reuse it) and returns it.
    pub fn keep_dir(&mut self) -> Option<tempfile::TempDir> {
        self._tmp.take()
    }
}

/// The `process_id` a server reports in `INFO server`.
pub fn server_pid(con: &mut redis::Connection) -> Option<u32> {
    let info: String = redis::cmd("INFO").arg("server").query(con).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|v| v.trim().parse().ok())
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub mod expected;
pub mod onnx;
mod redis_cluster;
pub mod torch;
pub use redis_cluster::{ClusterNode, RedisCluster};
