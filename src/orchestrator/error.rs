//! The orchestrator's error type.
//!
//! Every variant carries what a user needs to act (the shard, its port, the tail of its log). It converts into the
//! crate's [`crate::Error`] (`Error::Orchestrator`), which keeps it as the source and derives the C code from its
//! kind (`src/error.rs`).

use std::path::PathBuf;

/// Result alias for orchestrator operations.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong while starting, watching or stopping an orchestrator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An option has a value the orchestrator cannot use.
    #[error("invalid orchestrator option: {0}")]
    InvalidOption(String),
    /// The `redis-server` binary could not be found or is not executable.
    #[error("redis-server not found: {0}")]
    RedisServerNotFound(String),
    /// The RedisAI-compatible module is enabled but its library could not be found.
    #[error("RedisAI-compatible module (libsmartredis_ai.so) not found; looked at: {0} (set SMARTREDIS_AI_MODULE or disable the module)")]
    ModuleNotFound(String),
    /// A network interface name did not resolve to an IPv4 address.
    #[error("network interface {name:?} not found or has no IPv4 address (interfaces with IPv4: {available})")]
    Interface {
        /// The interface asked for.
        name: String,
        /// Interfaces that do have an IPv4 address.
        available: String,
    },
    /// A TCP port needed by a shard (its client port or its cluster bus port) is taken.
    #[error("port {port} on {host} is already in use ({what}); choose another base port or stop what holds it")]
    PortInUse {
        /// The address the shard binds.
        host: String,
        /// The port that is taken.
        port: u16,
        /// Which port it is ("client port of shard 0", "cluster bus port of shard 2", ...).
        what: String,
    },
    /// A file or directory operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An orchestrator recorded in this directory is still running.
    #[error(
        "an orchestrator is already running in {0} (stop it first: `smartredis stop --dir {0}`)"
    )]
    AlreadyRunning(PathBuf),
    /// No running orchestrator is recorded in this directory.
    #[error("no orchestrator is running in {0}")]
    NotRunning(PathBuf),
    /// A shard failed to start, exited, or did not become ready in time.
    #[error("shard {shard} (port {port}) {reason}\n--- last lines of {} ---\n{tail}", log.display())]
    Shard {
        /// Index of the shard (0-based).
        shard: usize,
        /// Its client port.
        port: u16,
        /// What happened.
        reason: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of its log.
        tail: String,
    },
    /// A command sent to a shard failed.
    #[error("shard {shard} (port {port}): {context}: {source}")]
    Redis {
        /// Index of the shard (0-based).
        shard: usize,
        /// Its client port.
        port: u16,
        /// What was being done.
        context: String,
        /// The Redis error.
        #[source]
        source: redis::RedisError,
    },
    /// The state file is unreadable or malformed.
    #[error("state file {path}: {reason}")]
    State {
        /// The state file.
        path: PathBuf,
        /// Why it could not be used.
        reason: String,
    },
    /// A model or script could not be preloaded into a colocated store.
    #[error("preloading {key:?} from {path}: {reason}")]
    Preload {
        /// The key the object was to be stored under.
        key: String,
        /// The file it was read from.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// What a record names does not check out as this store's shard (another process now holds the PID, the
    /// record has no identity, a different server answers on the port): nothing was signalled.
    #[error("refusing to stop what this store did not start: {0}")]
    NotOurs(String),
    /// A batch system command failed or is unavailable (submit, status, cancel), in the scheduler's words.
    #[error("scheduler: {0}")]
    Scheduler(String),
    /// Some shards did not exit when asked to stop: each named with its address and how it is reached (its PID,
    /// or its scheduler job and step).
    #[error("shards still running after stop: {}", .0.join("; "))]
    StopFailed(Vec<String>),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
