//! Colocated mode: one store started next to this process (on a Unix socket, or loopback TCP) before its clients
//! are created, optionally pinned to CPUs and preloaded with models and scripts, stopped when dropped (and, through
//! `PR_SET_PDEATHSIG`, when the process dies — note that Linux sends that signal when the *thread* that started the
//! store exits, so start it from the main thread or one that lives as long as its clients). It sets `SSDB` (`unix://…` or `127.0.0.1:<port>`) and
//! `SR_DB_TYPE=Standalone` — with the `_<id>` suffix for a database identifier — in this process's environment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::address::Address;

use super::error::{Error, Result};
use super::{env_var_names, Orchestrator, OrchestratorOptions};

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

fn send(orc: &Orchestrator, key: &str, path: &Path, cmd: &redis::Cmd) -> Result<()> {
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
    cmd.query::<()>(&mut con).map_err(|e| fail(e.to_string()))
}

fn preload_model(orc: &Orchestrator, m: &PreloadModel) -> Result<()> {
    let blob = read(&m.key, &m.path)?;
    let mut cmd = redis::cmd("AI.MODELSTORE");
    cmd.arg(&m.key)
        .arg(m.backend.to_ascii_uppercase())
        .arg(&m.device);
    if m.batch_size > 0 {
        cmd.arg("BATCHSIZE").arg(m.batch_size);
        if m.min_batch_size > 0 {
            cmd.arg("MINBATCHSIZE").arg(m.min_batch_size);
        }
    }
    if !m.inputs.is_empty() || !m.outputs.is_empty() {
        cmd.arg("INPUTS").arg(m.inputs.len()).arg(&m.inputs);
        cmd.arg("OUTPUTS").arg(m.outputs.len()).arg(&m.outputs);
    }
    cmd.arg("BLOB").arg(blob);
    send(orc, &m.key, &m.path, &cmd)
}

fn preload_script(orc: &Orchestrator, s: &PreloadScript) -> Result<()> {
    let source = read(&s.key, &s.path)?;
    let mut cmd = redis::cmd("AI.SCRIPTSET");
    cmd.arg(&s.key).arg(&s.device).arg("SOURCE").arg(source);
    send(orc, &s.key, &s.path, &cmd)
}
