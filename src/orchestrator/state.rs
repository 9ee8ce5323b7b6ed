//! The JSON state file that lets another process (`smartredis status/stop`, a C program) attach to a running
//! orchestrator, and the process checks used to tell a live record from a stale one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::DbType;

/// Name of the state file inside the working directory.
pub const STATE_FILE: &str = "smartredis-orchestrator.json";

/// Version of the state file layout.
pub(crate) const STATE_VERSION: u32 = 1;

/// One shard as recorded in the state file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardRecord {
    /// Index of the shard (0-based).
    pub index: usize,
    /// Client port.
    pub port: u16,
    /// Process id of its `redis-server`.
    pub pid: u32,
    /// Its log file.
    pub log: PathBuf,
}

/// What a running orchestrator records about itself.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// Layout version ([`STATE_VERSION`]).
    pub version: u32,
    /// Standalone or clustered.
    #[serde(with = "db_type_serde")]
    pub db_type: DbType,
    /// The address the shards bind and advertise.
    pub host: String,
    /// The shards.
    pub shards: Vec<ShardRecord>,
    /// The Unix socket of a standalone shard, if any.
    pub socket: Option<PathBuf>,
    /// Whether `stop` should save (`SHUTDOWN SAVE`) because persistence is on.
    pub save_on_stop: bool,
    /// The database identifier (suffix of `SSDB_<id>`), if any.
    pub db_identifier: Option<String>,
    /// Whether the RedisAI-compatible module is loaded.
    pub module: bool,
    /// The process name of the server (`/proc/<pid>/comm`), used to recognise its PIDs.
    pub server_comm: String,
    /// Process id of the process that started it.
    pub started_by: u32,
}

impl State {
    /// Path of the state file in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    /// Reads the state file of `dir`; `Ok(None)` when there is none.
    pub fn load(dir: &Path) -> Result<Option<State>> {
        let path = Self::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        let state: State = serde_json::from_str(&text).map_err(|e| Error::State {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if state.version != STATE_VERSION {
            return Err(Error::State {
                path,
                reason: format!("unsupported version {}", state.version),
            });
        }
        Ok(Some(state))
    }

    /// Writes the state file atomically (temporary file + rename).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = Self::path(dir);
        let tmp = dir.join(format!(".{STATE_FILE}.{}", std::process::id()));
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::State {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
    }

    /// Removes the state file of `dir` (absent is fine).
    pub fn remove(dir: &Path) -> Result<()> {
        let path = Self::path(dir);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// PIDs of the recorded shards that are still this orchestrator's server processes.
    pub fn live_pids(&self) -> Vec<u32> {
        self.shards
            .iter()
            .map(|s| s.pid)
            .filter(|&p| pid_is_server(p, &self.server_comm))
            .collect()
    }
}

/// `DbType` in the state file as `"Standalone"` / `"Clustered"`.
mod db_type_serde {
    use super::DbType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DbType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::super::db_type_name(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DbType, D::Error> {
        match String::deserialize(d)?.as_str() {
            "Standalone" => Ok(DbType::Standalone),
            "Clustered" => Ok(DbType::Clustered),
            other => Err(serde::de::Error::custom(format!(
                "unknown db_type {other:?}"
            ))),
        }
    }
}

/// Whether `pid` is a live (not zombie) process whose name is `comm`.
pub fn pid_is_server(pid: u32, comm: &str) -> bool {
    if !pid_is_alive(pid) {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(c) => comm.is_empty() || c.trim_end() == truncate_comm(comm),
        // No /proc: trust kill(pid, 0).
        Err(_) => true,
    }
}

/// Whether `pid` exists and is not a zombie.
pub fn pid_is_alive(pid: u32) -> bool {
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if p <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let exists = unsafe { libc::kill(p, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    if !exists {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name: "pid (comm) S ...".
        Ok(stat) => {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next())
                != Some('Z')
        }
        Err(_) => exists,
    }
}

/// The kernel keeps at most 15 bytes of a process name.
pub fn truncate_comm(name: &str) -> &str {
    let mut end = name.len().min(15);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_dead_pids() {
        let dir = tempfile::tempdir()
            .map(|d| d.keep())
            .unwrap_or_else(|_| std::env::temp_dir());
        let state = State {
            version: STATE_VERSION,
            db_type: DbType::Clustered,
            host: "127.0.0.1".into(),
            shards: vec![ShardRecord {
                index: 0,
                port: 7000,
                pid: u32::MAX - 1,
                log: dir.join("shard-0.log"),
            }],
            socket: None,
            save_on_stop: false,
            db_identifier: Some("x".into()),
            module: true,
            server_comm: "redis-server".into(),
            started_by: std::process::id(),
        };
        assert!(state.save(&dir).is_ok());
        let back = State::load(&dir).ok().flatten();
        assert_eq!(back.as_ref(), Some(&state));
        assert!(state.live_pids().is_empty());
        assert!(State::remove(&dir).is_ok());
        assert!(matches!(State::load(&dir), Ok(None)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn own_process_is_alive() {
        assert!(pid_is_alive(std::process::id()));
        assert!(!pid_is_alive(0));
        assert_eq!(truncate_comm("a-very-long-server-name"), "a-very-long-ser");
    }
}
