//! The SmartRedis client: one connection (standalone or cluster) plus the key-prefix state of an ensemble member.
//! One file per capability: [`tensors`], [`keys`], [`datasets`], [`lists`], [`models`], [`admin`].

mod admin;
mod datasets;
mod keys;
mod lists;
mod models;
mod tensors;

pub use models::{is_tensorflow, ModelOptions};

use std::hash::{BuildHasher, Hasher};

use crate::address::Address;
use crate::config::{ClientSettings, ConfigOptions, DbType};
use crate::enums::SRLoggingLevel;
use crate::error::{Error, Result};
use crate::logging::LogSource;
use crate::transport::{CallError, Connection, Mode, Route, TransportSettings};

/// Which entity a key belongs to, for the ensemble prefix rules (§4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    /// Tensors (prefixed by default).
    Tensor,
    /// Datasets (prefixed by default).
    Dataset,
    /// Models and scripts (not prefixed by default).
    Model,
    /// Aggregation lists (prefixed by default).
    List,
}

/// A client of a SmartRedis feature store. Not shareable between threads while in use (`&mut self`), as upstream.
#[derive(Debug)]
pub struct Client {
    name: String,
    conn: Connection,
    settings: ClientSettings,
    /// The current data source (`SSKEYIN` entry used to prefix reads); initially the first entry, or "".
    get_source: String,
    use_prefix: [bool; 4],
    /// The server's `MODEL_CHUNK_SIZE`, once asked for or set.
    model_chunk_size: Option<usize>,
}

fn entity_index(e: Entity) -> usize {
    match e {
        Entity::Tensor => 0,
        Entity::Dataset => 1,
        Entity::Model => 2,
        Entity::List => 3,
    }
}

/// Upstream chooses one `SSDB` entry uniformly at random.
fn pick(addresses: &[Address]) -> Result<&Address> {
    if addresses.is_empty() {
        return Err(Error::Runtime(
            "The environment variable SSDB must be set to use the client.".into(),
        ));
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_usize(addresses.len());
    Ok(&addresses[(h.finish() % addresses.len() as u64) as usize])
}

impl Client {
    /// Connects using `config` (or a fresh `ConfigOptions::from_environment("")`), named `logger_name` in logs.
    ///
    /// `SR_DB_TYPE` decides the server mode; when it is unset the mode is asked from the server (`INFO cluster`).
    ///
    /// As upstream, a bad `SR_LOG_LEVEL` or an `SR_LOG_FILE` that cannot be written is a runtime error here.
    pub fn new(config: Option<&ConfigOptions>, logger_name: &str) -> Result<Client> {
        crate::logging::check_configuration()?;
        let owned;
        let cfg = match config {
            Some(c) => c,
            None => {
                owned = ConfigOptions::from_environment("")?;
                &owned
            }
        };
        let settings = ClientSettings::from_config(cfg)?;
        let mode = match settings.db_type {
            Some(DbType::Clustered) => Mode::Cluster,
            Some(DbType::Standalone) => Mode::Standalone,
            None => Mode::Detect,
        };
        Self::connect(settings, mode, logger_name)
    }

    /// The deprecated constructor (`SmartRedisCClient`): the mode comes from `cluster`, `SR_DB_TYPE` is ignored.
    /// Logging is checked as in [`new`](Self::new).
    pub fn with_cluster_flag(cluster: bool, logger_name: &str) -> Result<Client> {
        crate::logging::check_configuration()?;
        let cfg = ConfigOptions::from_environment("")?;
        let settings = ClientSettings::from_config(&cfg)?;
        let mode = if cluster {
            Mode::Cluster
        } else {
            Mode::Standalone
        };
        Self::connect(settings, mode, logger_name)
    }

    fn connect(settings: ClientSettings, mode: Mode, name: &str) -> Result<Client> {
        let addr = pick(&settings.addresses)?.clone();
        let transport = TransportSettings {
            conn_interval: settings.conn_interval,
            connection_attempts: usize::try_from(settings.connection_attempts())
                .unwrap_or(usize::MAX),
            cmd_timeout: settings.cmd_timeout,
            cmd_interval: settings.cmd_interval,
            command_attempts: usize::try_from(settings.command_attempts()).unwrap_or(usize::MAX),
            password: settings.password.clone(),
        };
        let conn = Connection::connect(addr, mode, transport)?;
        let get_source = settings
            .key_prefixes_in
            .first()
            .cloned()
            .unwrap_or_default();
        let client = Client {
            name: name.to_string(),
            conn,
            settings,
            get_source,
            use_prefix: [true, true, false, true],
            model_chunk_size: None,
        };
        client.log_data(SRLoggingLevel::LLDebug, "New client created");
        Ok(client)
    }

    /// The logger name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the client talks to a cluster.
    pub fn is_cluster(&self) -> bool {
        self.conn.is_cluster()
    }

    /// The settings the client was made with.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// The connection (for capabilities outside this module).
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Selects which `SSKEYIN` entry prefixes reads. It must be one of them, as upstream.
    pub fn set_data_source(&mut self, source_id: &str) -> Result<()> {
        if !self.settings.key_prefixes_in.iter().any(|p| p == source_id) {
            return Err(Error::Runtime(format!(
                "Client error: data source {source_id} could not be found during client initialization."
            )));
        }
        self.get_source = source_id.to_string();
        Ok(())
    }

    /// Turns ensemble prefixing on or off for one kind of entity.
    pub fn use_ensemble_prefix(&mut self, entity: Entity, use_prefix: bool) {
        self.use_prefix[entity_index(entity)] = use_prefix;
    }

    /// Whether ensemble prefixing is on for `entity`.
    pub fn uses_ensemble_prefix(&self, entity: Entity) -> bool {
        self.use_prefix[entity_index(entity)]
    }

    /// The key under which `name` is written: `SSKEYOUT.name` when the entity's flag is on and `SSKEYOUT` is set.
    pub fn put_key(&self, entity: Entity, name: &str) -> String {
        if self.uses_ensemble_prefix(entity) && !self.settings.key_prefix_out.is_empty() {
            format!("{}.{name}", self.settings.key_prefix_out)
        } else {
            name.to_string()
        }
    }

    /// The key from which `name` is read: `<source>.name` when the entity's flag is on and a data source is set
    /// (so with `SSKEYOUT` set but `SSKEYIN` unset, reads are not prefixed: upstream quirk 15, kept for
    /// compatibility).
    pub fn get_key(&self, entity: Entity, name: &str) -> String {
        if self.uses_ensemble_prefix(entity) && !self.get_source.is_empty() {
            format!("{}.{name}", self.get_source)
        } else {
            name.to_string()
        }
    }

    /// Runs one command on the node holding `key`; a server error reply becomes a runtime error naming the
    /// command and key.
    pub(crate) fn query_key(
        &mut self,
        key: &str,
        cmd: &redis::Cmd,
        what: &str,
    ) -> Result<redis::Value> {
        self.conn
            .request(
                Route::Key(key.as_bytes()),
                &mut crate::transport::CmdRequest(cmd),
            )
            .map_err(|e| key_error(e, what, key))
    }

    /// A one-line description, as upstream's `to_string` ("Client (<name>):" and the connection).
    pub fn describe(&self) -> String {
        let kind = if self.is_cluster() {
            "Clustered"
        } else {
            "Standalone"
        };
        format!(
            "Client ({}):\n  Connection: {kind} Redis at {}",
            self.name,
            self.settings
                .addresses
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Maps a failed request on `key` to the crate's error, naming the operation and the key.
pub(crate) fn key_error(e: CallError, what: &str, key: &str) -> Error {
    match e {
        CallError::Server(m) => Error::Runtime(format!(
            "Redis error when executing command: {m} ({what} {key})"
        )),
        CallError::Failed(e) => e,
    }
}

impl LogSource for Client {
    fn log_context(&self) -> &str {
        &self.name
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.log_data(SRLoggingLevel::LLDebug, "Client destroyed");
    }
}

/// Polls `check` up to `num_tries` times, `poll_frequency_ms` apart (also after the last failed try, as upstream).
pub(crate) fn poll(
    poll_frequency_ms: i32,
    num_tries: i32,
    mut check: impl FnMut() -> Result<bool>,
) -> Result<bool> {
    for _ in 0..num_tries.max(0) {
        if check()? {
            return Ok(true);
        }
        std::thread::sleep(std::time::Duration::from_millis(
            poll_frequency_ms.max(0) as u64
        ));
    }
    Ok(false)
}
