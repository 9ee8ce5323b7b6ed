//! Colocated mode: one store started next to this process (on a Unix socket, or loopback TCP) before its clients
//! are created, optionally pinned to CPUs and preloaded with models and scripts, stopped when dropped (and, through
//! `PR_SET_PDEATHSIG`, when the process dies — note that Linux sends that signal when the *thread* that started the
//! store exits, so start it from the main thread or one that lives as long as its clients). It sets `SSDB` (`unix://…` or `127.0.0.1:<port>`) and
//! `SR_DB_TYPE=Standalone` — with the `_<id>` suffix for a database identifier — in this process's environment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::address::Address;
use crate::ai;

use super::error::{Error, Result};
use super::{env_var_names, Orchestrator, OrchestratorOptions};

/// Pieces in which a preloaded model travels in `AI.MODELSTORE ... BLOB chunk...` (under Redis's 512 MiB
/// `proto-max-bulk-len`, so a model of any size can be preloaded).
const PRELOAD_CHUNK_SIZE: usize = 64 * 1024 * 1024;

/// How long a preload may take once sent: the store loads a backend library on its first model or script
/// (libtorch takes seconds on a busy machine) and builds the model's session before it answers.
const PRELOAD_REPLY_TIMEOUT: Duration = Duration::from_secs(120);

/// Longest Unix socket path the kernel accepts (`sun_path` is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;

/// A model file stored with `AI.MODELSTORE` once the store is up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreloadModel {
    /// Key to store it under.
    pub key: String,
    /// The serialized model.
    pub path: PathBuf,
    /// `TORCH`, `ONNX`, `TF` or `TFLITE`.
    pub backend: String,
    /// `CPU`, `GPU`, `GPU:1`, ...
    pub device: String,
    /// `BATCHSIZE` (0 = none).
    pub batch_size: u32,
    /// `MINBATCHSIZE` (0 = none).
    pub min_batch_size: u32,
    /// Input names (TF only).
    pub inputs: Vec<String>,
    /// Output names (TF only).
    pub outputs: Vec<String>,
}

/// A TorchScript source file stored with `AI.SCRIPTSET` once the store is up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreloadScript {
    /// Key to store it under.
    pub key: String,
    /// The script source.
    pub path: PathBuf,
    /// `CPU`, `GPU`, ...
    pub device: String,
}

/// Options of a [`Colocated`] store: the orchestrator options (one shard) plus socket, TCP and preloads.
#[derive(Clone, Debug)]
pub struct ColocatedOptions {
    base: OrchestratorOptions,
    tcp: bool,
    models: Vec<PreloadModel>,
    scripts: Vec<PreloadScript>,
    set_env: bool,
}

impl Default for ColocatedOptions {
    fn default() -> Self {
        ColocatedOptions {
            base: OrchestratorOptions::new(),
            tcp: false,
            models: Vec::new(),
            scripts: Vec::new(),
            set_env: true,
        }
    }
}

impl ColocatedOptions {
    /// Defaults: Unix socket `<dir>/redis.sock` in a per-process directory under the temporary directory, module
    /// loaded, no pinning, `SSDB` set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The underlying orchestrator options (module, memory, persistence, dir, ...); the shard count is forced to 1.
    pub fn options(mut self, base: OrchestratorOptions) -> Self {
        self.base = base;
        self
    }

    /// Serve clients over loopback TCP (`SSDB=127.0.0.1:<port>`) instead of the Unix socket.
    pub fn tcp(mut self, on: bool) -> Self {
        self.tcp = on;
        self
    }

    /// Socket path (default `<dir>/redis.sock`).
    pub fn socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.base = self.base.unix_socket(path);
        self
    }

    /// Pin the store to these CPUs.
    pub fn cpus(mut self, cpus: impl IntoIterator<Item = usize>) -> Self {
        self.base = self.base.cpus(cpus);
        self
    }

    /// Database identifier: sets `SSDB_<id>` / `SR_DB_TYPE_<id>`.
    pub fn db_identifier(mut self, id: impl Into<String>) -> Self {
        self.base = self.base.db_identifier(id);
        self
    }

    /// Whether to set `SSDB`/`SR_DB_TYPE` in this process's environment (default `true`).
    pub fn set_env(mut self, on: bool) -> Self {
        self.set_env = on;
        self
    }

    /// Store this model once the store is up.
    pub fn model(mut self, model: PreloadModel) -> Self {
        self.models.push(model);
        self
    }

    /// Store this script once the store is up.
    pub fn script(
        mut self,
        key: impl Into<String>,
        path: impl Into<PathBuf>,
        device: impl Into<String>,
    ) -> Self {
        self.scripts.push(PreloadScript {
            key: key.into(),
            path: path.into(),
            device: device.into(),
        });
        self
    }
}

/// A store running next to this process; stopped on drop.
#[derive(Debug)]
pub struct Colocated {
    orc: Orchestrator,
    ssdb: String,
    env: Vec<(String, String)>,
}

impl Colocated {
    /// Starts the store, preloads models and scripts, and (by default) sets `SSDB` and `SR_DB_TYPE`.
    /// On any failure the store is stopped before the error is returned.
    pub fn start(opts: ColocatedOptions) -> Result<Colocated> {
        let mut base = opts.base.clone().shards(1).die_with_parent(true);
        if base.dir.is_none() {
            let dir =
                std::env::temp_dir().join(format!("smartredis-colocated-{}", std::process::id()));
            base = base.dir(dir);
        }
        let dir = base.working_dir()?;
        if !opts.tcp && base.unix_socket.is_none() {
            base = base.unix_socket(dir.join("redis.sock"));
        }
        if let Some(s) = &base.unix_socket {
            if s.as_os_str().len() > MAX_SOCKET_PATH {
                return Err(Error::InvalidOption(format!(
                    "unix socket path {} is longer than {MAX_SOCKET_PATH} bytes",
                    s.display()
                )));
            }
        }
        let mut orc = Orchestrator::launch(base)?;
        let ssdb = match (opts.tcp, orc.unix_socket()) {
            (false, Some(s)) => Address::Unix(s.to_path_buf()).to_string(),
            _ => orc.address(),
        };
        for m in &opts.models {
            preload_model(&orc, m)?;
        }
        for s in &opts.scripts {
            preload_script(&orc, s)?;
        }
        let (ssdb_var, type_var) = env_var_names(orc.db_identifier());
        let env = vec![
            (ssdb_var, ssdb.clone()),
            (type_var, "Standalone".to_string()),
        ];
        if opts.set_env {
            for (k, v) in &env {
                std::env::set_var(k, v);
            }
        }
        // The orchestrator is stopped by drop if anything above returned early.
        orc.stop_on_drop = true;
        Ok(Colocated { orc, ssdb, env })
    }

    /// The `SSDB` value clients should use (`unix://<path>` or `127.0.0.1:<port>`).
    pub fn ssdb(&self) -> &str {
        &self.ssdb
    }

    /// The environment variables this store stands for (set in the process unless `set_env(false)`).
    pub fn env_vars(&self) -> &[(String, String)] {
        &self.env
    }

    /// A SmartRedis [`Client`](crate::Client) connected to this store through [`Colocated::ssdb`] (the Unix socket
    /// unless TCP was asked for).
    pub fn client(&self, logger_name: &str) -> crate::Result<crate::Client> {
        super::connect_client(
            &self.ssdb,
            super::DbType::Standalone,
            self.orc.db_identifier(),
            self.orc.access(),
            logger_name,
        )
    }

    /// The underlying orchestrator (status, config_set, PIDs, ...).
    pub fn orchestrator(&mut self) -> &mut Orchestrator {
        &mut self.orc
    }

    /// Stops the store now (also done on drop).
    pub fn stop(&mut self) -> Result<()> {
        self.orc.stop()
    }
}

fn read(key: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Preload {
        key: key.into(),
        path: path.into(),
        reason: e.to_string(),
    })
}

/// Sends one command built by [`crate::ai`] to the store's only shard.
fn send(orc: &Orchestrator, key: &str, path: &Path, args: &ai::Args<'_>) -> Result<()> {
    let fail = |reason: String| Error::Preload {
        key: key.into(),
        path: path.into(),
        reason,
    };
    let shard = orc
        .shards()
        .first()
        .ok_or_else(|| fail("the store is not running".into()))?;
    let mut con = super::access::connect(
        orc.access(),
        &shard.host,
        shard.port,
        Duration::from_secs(5),
    )
    .map_err(|e| fail(e.to_string()))?;
    for set in [
        redis::Connection::set_read_timeout,
        redis::Connection::set_write_timeout,
    ] {
        set(&con, Some(PRELOAD_REPLY_TIMEOUT)).map_err(|e| fail(e.to_string()))?;
    }
    let mut cmd = redis::Cmd::new();
    for a in args {
        cmd.arg(&a[..]);
    }
    cmd.query::<()>(&mut con).map_err(|e| fail(e.to_string()))
}

fn preload_model(orc: &Orchestrator, m: &PreloadModel) -> Result<()> {
    let blob = read(&m.key, &m.path)?;
    let backend = m.backend.to_ascii_uppercase();
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let spec = ai::ModelSpec {
        backend: &backend,
        device: &m.device,
        tag: "",
        batch_size: count(m.batch_size),
        min_batch_size: if m.batch_size > 0 {
            count(m.min_batch_size)
        } else {
            0
        },
        min_batch_timeout: 0,
        inputs: &m.inputs,
        outputs: &m.outputs,
    };
    let args = ai::modelstore(m.key.as_bytes(), &spec, &blob, PRELOAD_CHUNK_SIZE);
    send(orc, &m.key, &m.path, &args)
}

fn preload_script(orc: &Orchestrator, s: &PreloadScript) -> Result<()> {
    let source = String::from_utf8(read(&s.key, &s.path)?).map_err(|_| Error::Preload {
        key: s.key.clone(),
        path: s.path.clone(),
        reason: "the script source is not UTF-8 text".into(),
    })?;
    let args = ai::scriptset(s.key.as_bytes(), &s.device, &source);
    send(orc, &s.key, &s.path, &args)
}
