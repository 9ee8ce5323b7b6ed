//! The JSON state file that lets another process (`smartredis status/stop`, a C program) attach to a running
//! orchestrator, and the process checks used to tell a live record from a stale one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::DbType;

/// Name of the state file inside the working directory.
pub const STATE_FILE: &str = "smartredis-orchestrator.json";

/// Version of the state file layout written now (version 1 files are still read).
pub(crate) const STATE_VERSION: u32 = 2;

/// One shard as recorded in the state file: where it listens and how to reach and stop it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardRecord {
    /// Index of the shard (0-based).
    pub index: usize,
    /// The address clients use to reach it (an IPv4 address).
    pub host: String,
    /// Client port.
    pub port: u16,
    /// Its log file.
    pub log: PathBuf,
    /// Process id of its `redis-server` (local launcher; 0 when unknown).
    #[serde(default)]
    pub pid: u32,
    /// Process start time (field 22 of `/proc/<pid>/stat`, clock ticks since boot; 0 when unknown).
    #[serde(default)]
    pub start_time: u64,
    /// The process's executable (`/proc/<pid>/exe`; empty when unknown).
    #[serde(default)]
    pub exe: PathBuf,
    /// The scheduler job running it (schedulers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The job step (Slurm) or task running it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// The scheduler's name of the node it runs on (schedulers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl ShardRecord {
    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The shard, its address and how it is reached: `shard 2 (10.0.0.3:6379, PID 4242)`, or with the scheduler's
    /// `job 12 step 3` (or `job 12`) in place of a PID.
    pub fn who(&self) -> String {
        let how = match (&self.job_id, &self.step_id) {
            (Some(j), Some(s)) => format!("job {j} step {s}"),
            (Some(j), None) => format!("job {j}"),
            _ => format!("PID {}", self.pid),
        };
        format!("shard {} ({}, {how})", self.index, self.address())
    }
}

/// What a running orchestrator records about itself.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// Layout version ([`STATE_VERSION`]).
    pub version: u32,
    /// The launcher that started the shards (`local`, `slurm`, `pbs`, `lsf`, `cobalt`).
    pub launcher: String,
    /// The store's run id, carried by every shard; nothing is signalled unless it matches.
    pub run_id: String,
    /// Standalone or clustered.
    #[serde(with = "db_type_serde")]
    pub db_type: DbType,
    /// The shards.
    pub shards: Vec<ShardRecord>,
    /// A batch job submitted to run the shards (released at stop), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The Unix socket of a standalone shard, if any.
    pub socket: Option<PathBuf>,
    /// Whether `stop` should save (`SHUTDOWN SAVE`) because persistence is on.
    pub save_on_stop: bool,
    /// The database identifier (suffix of `SSDB_<id>`), if any.
    pub db_identifier: Option<String>,
    /// Whether the RedisAI-compatible module is loaded.
    pub module: bool,
    /// Process id of the process that started it.
    pub started_by: u32,
    /// The file holding the store's password (mode 0600), when the shards require one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// The CA certificate that signed the shards' TLS certificates, when they serve TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca: Option<PathBuf>,
}

/// The version 1 layout: one host for all shards, PIDs recognised by process name only.
#[derive(Deserialize)]
struct StateV1 {
    #[serde(with = "db_type_serde")]
    db_type: DbType,
    host: String,
    shards: Vec<ShardV1>,
    socket: Option<PathBuf>,
    save_on_stop: bool,
    db_identifier: Option<String>,
    module: bool,
    started_by: u32,
}

#[derive(Deserialize)]
struct ShardV1 {
    index: usize,
    port: u16,
    pid: u32,
    log: PathBuf,
}

impl From<StateV1> for State {
    /// A version 1 record carries no identity (start time, executable, run id): it can be shown, never signalled.
    fn from(v1: StateV1) -> State {
        State {
            version: 1,
            launcher: "local".into(),
            run_id: String::new(),
            db_type: v1.db_type,
            shards: v1
                .shards
                .into_iter()
                .map(|s| ShardRecord {
                    index: s.index,
                    host: v1.host.clone(),
                    port: s.port,
                    log: s.log,
                    pid: s.pid,
                    ..ShardRecord::default()
                })
                .collect(),
            job_id: None,
            socket: v1.socket,
            save_on_stop: v1.save_on_stop,
            db_identifier: v1.db_identifier,
            module: v1.module,
            started_by: v1.started_by,
            password_file: None,
            tls_ca: None,
        }
    }
}

impl State {
    /// Path of the state file in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    /// Reads the state file of `dir` (version 2, or version 1 converted); `Ok(None)` when there is none. A state
    /// file that others may write (group/world-writable, or owned by another user) is refused: it decides what
    /// `stop` signals.
    pub fn load(dir: &Path) -> Result<Option<State>> {
        let path = Self::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        check_private(&path)?;
        let bad = |reason: String| Error::State {
            path: path.clone(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let state = match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(1) => serde_json::from_value::<StateV1>(value)
                .map(State::from)
                .map_err(|e| bad(e.to_string()))?,
            Some(2) => serde_json::from_value::<State>(value).map_err(|e| bad(e.to_string()))?,
            Some(v) => return Err(bad(format!("unsupported version {v}"))),
            None => return Err(bad("no version".into())),
        };
        Ok(Some(state))
    }

    /// Writes the state file atomically (temporary file + rename), readable and writable by its owner only.
    pub fn save(&self, dir: &Path) -> Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = Self::path(dir);
        let tmp = dir.join(format!(".{STATE_FILE}.{}", std::process::id()));
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::State {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let _ = std::fs::remove_file(&tmp);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| Error::io(&tmp, e))?;
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

    /// The launcher recorded.
    pub fn launcher_kind(&self) -> Result<super::launcher::LauncherKind> {
        super::launcher::LauncherKind::parse(&self.launcher)
    }
}

/// Refuses a file others may write: group/world-writable, or owned by another user than the caller.
pub fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if m.mode() & 0o022 != 0 {
        return Err(Error::State {
            path: path.to_path_buf(),
            reason: format!(
                "is writable by other users (mode {:o}); refusing to act on it (chmod go-w it if it is yours)",
                m.mode() & 0o777
            ),
        });
    }
    if m.uid() != me && me != 0 {
        return Err(Error::State {
            path: path.to_path_buf(),
            reason: format!(
                "belongs to user {}, not to you; refusing to act on it",
                m.uid()
            ),
        });
    }
    Ok(())
}

/// A warning for a store directory others may write (they could replace its state file), if it is one.
pub fn dir_warning(dir: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(dir).ok()?;
    (m.mode() & 0o022 != 0).then(|| {
        format!(
            "WARNING: store directory {} is writable by other users (mode {:o}): they can replace its state file; \
             use a private directory (chmod go-w)",
            dir.display(),
            m.mode() & 0o777
        )
    })
}

/// Who a process is: its start time and executable, read from `/proc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessIdentity {
    /// Field 22 of `/proc/<pid>/stat`.
    pub start_time: u64,
    /// `/proc/<pid>/exe`.
    pub exe: PathBuf,
}

/// The identity of a live process (not a zombie), or `None`.
pub fn process_identity(pid: u32) -> Option<ProcessIdentity> {
    if !pid_is_alive(pid) {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised name: state is field 3, so start time (22) is the 20th after ')'.
    let (_, rest) = stat.rsplit_once(')')?;
    let start_time = rest.split_whitespace().nth(19)?.parse().ok()?;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    Some(ProcessIdentity { start_time, exe })
}

/// Whether the process `pid` carries `marker` in its command line (a shard shows its run id in its title).
pub fn cmdline_has(pid: u32, marker: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            String::from_utf8_lossy(&c)
                .split(['\0', ' '])
                .any(|w| w == marker)
        })
        .unwrap_or(false)
}

/// Checks that `pid` is the process a record describes: same start time and executable, and carrying the run
/// id. An empty identity (unknown start time, executable or run id) never matches.
pub fn verify_process(
    pid: u32,
    start_time: u64,
    exe: &Path,
    run_id: &str,
) -> std::result::Result<(), String> {
    if pid == 0 || start_time == 0 || exe.as_os_str().is_empty() || run_id.is_empty() {
        return Err(format!(
            "pid {pid} has no recorded identity (start time, executable, run id); not signalling it"
        ));
    }
    let Some(id) = process_identity(pid) else {
        return Err(format!("pid {pid} is gone"));
    };
    if id.start_time != start_time {
        return Err(format!(
            "pid {pid} is another process now (started at tick {}, recorded {start_time}); not signalling it",
            id.start_time
        ));
    }
    if id.exe != exe {
        return Err(format!(
            "pid {pid} runs {} instead of {}; not signalling it",
            id.exe.display(),
            exe.display()
        ));
    }
    let marker = super::launcher::run_marker(run_id);
    if !cmdline_has(pid, &marker) {
        return Err(format!(
            "pid {pid} does not carry {marker}; not signalling it"
        ));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_is_named_by_pid_or_by_job_and_step() {
        let mut r = ShardRecord {
            index: 2,
            host: "10.0.0.3".into(),
            port: 6379,
            pid: 4242,
            ..ShardRecord::default()
        };
        assert_eq!(r.who(), "shard 2 (10.0.0.3:6379, PID 4242)");
        r.pid = 0;
        r.job_id = Some("12".into());
        assert_eq!(r.who(), "shard 2 (10.0.0.3:6379, job 12)");
        r.step_id = Some("3".into());
        assert_eq!(r.who(), "shard 2 (10.0.0.3:6379, job 12 step 3)");
    }

    fn tmp() -> PathBuf {
        tempfile::tempdir()
            .map(|d| d.keep())
            .unwrap_or_else(|_| std::env::temp_dir())
    }

    #[test]
    fn round_trips_privately() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tmp();
        let state = State {
            version: STATE_VERSION,
            launcher: "local".into(),
            run_id: "00ff".into(),
            db_type: DbType::Clustered,
            shards: vec![ShardRecord {
                index: 0,
                host: "127.0.0.1".into(),
                port: 7000,
                log: dir.join("shard-0.log"),
                pid: u32::MAX - 1,
                start_time: 12,
                exe: "/usr/bin/redis-server".into(),
                job_id: None,
                step_id: None,
                node: None,
            }],
            job_id: None,
            socket: None,
            save_on_stop: false,
            db_identifier: Some("x".into()),
            module: true,
            started_by: std::process::id(),
            password_file: None,
            tls_ca: None,
        };
        assert!(state.save(&dir).is_ok());
        let mode = std::fs::metadata(State::path(&dir)).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
        let back = State::load(&dir).ok().flatten();
        assert_eq!(back.as_ref(), Some(&state));
        // Others may not write the file that decides what `stop` signals.
        let _ = std::fs::set_permissions(State::path(&dir), std::fs::Permissions::from_mode(0o666));
        let e = State::load(&dir)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("writable by other users"), "{e}");
        assert!(State::remove(&dir).is_ok());
        assert!(matches!(State::load(&dir), Ok(None)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn version_1_is_read_without_identity() {
        let dir = tmp();
        let v1 = r#"{"version":1,"db_type":"Clustered","host":"127.0.0.1","shards":[
            {"index":0,"port":7000,"pid":4242,"log":"/x/shard-0.log"},
            {"index":1,"port":7001,"pid":4243,"log":"/x/shard-1.log"}],
            "socket":null,"save_on_stop":false,"db_identifier":null,"module":true,
            "server_comm":"redis-server","started_by":1}"#;
        assert!(std::fs::write(State::path(&dir), v1).is_ok());
        let st = State::load(&dir).ok().flatten();
        let st = st.as_ref();
        assert_eq!(st.map(|s| s.version), Some(1));
        assert_eq!(st.map(|s| s.launcher.as_str()), Some("local"));
        assert_eq!(
            st.map(|s| s.shards[1].address()),
            Some("127.0.0.1:7001".into())
        );
        assert_eq!(st.map(|s| s.shards[1].pid), Some(4243));
        // No identity: never a signal target.
        assert!(st.is_some_and(|s| s.run_id.is_empty() && s.shards[0].start_time == 0));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn own_process_identity() {
        assert!(pid_is_alive(std::process::id()));
        assert!(!pid_is_alive(0));
        let me = process_identity(std::process::id());
        assert!(me.as_ref().is_some_and(|m| m.start_time > 0));
        let me = me.unwrap_or(ProcessIdentity {
            start_time: 0,
            exe: PathBuf::new(),
        });
        // Right start time and executable, but this process carries no run id.
        let e = verify_process(std::process::id(), me.start_time, &me.exe, "abc").unwrap_err();
        assert!(e.contains("does not carry"), "{e}");
        let e = verify_process(std::process::id(), me.start_time + 1, &me.exe, "abc").unwrap_err();
        assert!(e.contains("another process"), "{e}");
        let e = verify_process(std::process::id(), 0, &me.exe, "abc").unwrap_err();
        assert!(e.contains("no recorded identity"), "{e}");
        let e = verify_process(std::process::id(), me.start_time, &me.exe, "").unwrap_err();
        assert!(e.contains("no recorded identity"), "{e}");
    }
}
