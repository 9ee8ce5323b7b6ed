//! Configuration: [`ConfigOptions`] (environment variables with SmartRedis's `_<suffix>` rule, read lazily and
//! cached) and [`ClientSettings`], the validated values a client is built from.
//!
//! Semantics follow SmartRedis 0.6.1 (`configoptions.cpp`, `utility.cpp`):
//! * option `X` of a `ConfigOptions` made with suffix `s` reads environment variable `X_s` (just `X` when `s` is
//!   empty); values are cached by unsuffixed name on first read, and overrides replace cached values;
//! * an empty environment variable counts as unset for reading, but as set for [`ConfigOptions::is_configured`];
//! * integers are optional `-` plus decimal digits; anything else is a parameter error.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::address::{parse_ssdb, Address};
use crate::error::{Error, Result};

/// Configuration read from environment variables, optionally suffixed for one of several databases.
///
/// Values are read lazily and cached; [`override_integer_option`](Self::override_integer_option) and
/// [`override_string_option`](Self::override_string_option) replace them. Methods take `&self` (the caches are
/// behind a mutex), so a `ConfigOptions` can be shared between threads. Cloning copies the caches.
#[derive(Debug)]
pub struct ConfigOptions {
    suffix: String,
    ints: Mutex<HashMap<String, i64>>,
    strings: Mutex<HashMap<String, String>>,
}

impl Clone for ConfigOptions {
    fn clone(&self) -> Self {
        ConfigOptions {
            suffix: self.suffix.clone(),
            ints: Mutex::new(lock(&self.ints).clone()),
            strings: Mutex::new(lock(&self.strings).clone()),
        }
    }
}

/// Locks a cache; a poisoned lock still holds a consistent map (every update is a single insert).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Parses an integer option value as upstream does: optional leading `-`, then decimal digits only.
/// `name` is the (suffixed) variable name used in the error.
pub(crate) fn parse_integer(name: &str, value: &str) -> Result<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Parameter(format!(
            "The value of {name} must be a valid number."
        )));
    }
    value.parse::<i64>().map_err(|_| {
        Error::Parameter(format!(
            "The value of {name} is out of range for a 64-bit integer."
        ))
    })
}

/// Reads an environment variable; unset, empty and non-UTF-8 values are all "no value" (upstream's `getenv`
/// treats an empty value as absent, and a non-UTF-8 value cannot name anything SmartRedis uses).
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl ConfigOptions {
    /// Creates options that read environment variables, suffixed with `_<db_suffix>` when `db_suffix` is not
    /// empty. Nothing is read yet.
    pub fn from_environment(db_suffix: &str) -> Result<ConfigOptions> {
        Ok(ConfigOptions {
            suffix: db_suffix.to_string(),
            ints: Mutex::new(HashMap::new()),
            strings: Mutex::new(HashMap::new()),
        })
    }

    /// The database suffix given at creation ("" for the default database).
    pub fn suffix(&self) -> &str {
        &self.suffix
    }

    /// The environment variable that option `name` reads: `name` or `name_<suffix>`.
    /// An empty name is a key error, as upstream.
    pub fn env_name(&self, name: &str) -> Result<String> {
        if name.is_empty() {
            return Err(Error::Key(
                "Invalid empty environment variable name detected".into(),
            ));
        }
        Ok(if self.suffix.is_empty() {
            name.to_string()
        } else {
            format!("{name}_{}", self.suffix)
        })
    }

    /// The integer value of option `name`: the cached or overridden value, else the environment variable
    /// (then cached). Missing or empty → key error `No value found for key <VAR>`; not a number → parameter error.
    pub fn get_integer_option(&self, name: &str) -> Result<i64> {
        let var = self.env_name(name)?;
        if let Some(v) = lock(&self.ints).get(name) {
            return Ok(*v);
        }
        let raw = env_value(&var).ok_or_else(|| no_value(&var))?;
        let value = parse_integer(&var, &raw)?;
        lock(&self.ints).insert(name.to_string(), value);
        Ok(value)
    }

    /// The string value of option `name`: the cached or overridden value, else the environment variable
    /// (then cached). Missing or empty → key error `No value found for key <VAR>`.
    pub fn get_string_option(&self, name: &str) -> Result<String> {
        let var = self.env_name(name)?;
        if let Some(v) = lock(&self.strings).get(name) {
            return Ok(v.clone());
        }
        let value = env_value(&var).ok_or_else(|| no_value(&var))?;
        lock(&self.strings).insert(name.to_string(), value.clone());
        Ok(value)
    }

    /// Whether option `name` has a value: cached or overridden (integer or string), or its environment variable
    /// exists (an empty value counts as set).
    pub fn is_configured(&self, name: &str) -> Result<bool> {
        let var = self.env_name(name)?;
        Ok(lock(&self.ints).contains_key(name)
            || lock(&self.strings).contains_key(name)
            || std::env::var_os(&var).is_some())
    }

    /// Sets integer option `name` to `value`, replacing any cached value. The environment is not changed.
    pub fn override_integer_option(&self, name: &str, value: i64) -> Result<()> {
        self.env_name(name)?;
        lock(&self.ints).insert(name.to_string(), value);
        Ok(())
    }

    /// Sets string option `name` to `value`, replacing any cached value. The environment is not changed.
    pub fn override_string_option(&self, name: &str, value: &str) -> Result<()> {
        self.env_name(name)?;
        lock(&self.strings).insert(name.to_string(), value.to_string());
        Ok(())
    }

    /// Like [`get_integer_option`](Self::get_integer_option), but a missing or empty variable gives `default`.
    /// The result (a default too) is cached, so the option counts as configured afterwards.
    pub fn resolve_integer_option(&self, name: &str, default: i64) -> Result<i64> {
        let var = self.env_name(name)?;
        if let Some(v) = lock(&self.ints).get(name) {
            return Ok(*v);
        }
        let value = match env_value(&var) {
            Some(raw) => parse_integer(&var, &raw)?,
            None => default,
        };
        lock(&self.ints).insert(name.to_string(), value);
        Ok(value)
    }

    /// Like [`get_string_option`](Self::get_string_option), but a missing or empty variable gives `default`.
    /// The result (a default too) is cached.
    pub fn resolve_string_option(&self, name: &str, default: &str) -> Result<String> {
        let var = self.env_name(name)?;
        if let Some(v) = lock(&self.strings).get(name) {
            return Ok(v.clone());
        }
        let value = env_value(&var).unwrap_or_else(|| default.to_string());
        lock(&self.strings).insert(name.to_string(), value.clone());
        Ok(value)
    }
}

fn no_value(var: &str) -> Error {
    Error::Key(format!("No value found for key {var}"))
}

/// How the client talks to the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbType {
    /// One server (TCP or Unix socket).
    Standalone,
    /// A Redis Cluster; the client routes keys by slot.
    Clustered,
}

/// A password: compared and cloned like a string, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `s`.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself (to send it to the server).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Everything a client needs from the configuration, read and validated once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSettings {
    /// `SSDB`: the database addresses (at least one).
    pub addresses: Vec<Address>,
    /// `SR_DB_TYPE`: `None` when unset (the client detects the mode from the server), else `Clustered` for
    /// "clustered" (any case) and `Standalone` for anything else, as upstream.
    pub db_type: Option<DbType>,
    /// `SR_CONN_TIMEOUT` (seconds, default 100): how long to keep trying to connect.
    pub conn_timeout: Duration,
    /// `SR_CONN_INTERVAL` (milliseconds, default 1000): pause between connection attempts.
    pub conn_interval: Duration,
    /// `SR_CMD_TIMEOUT` (seconds, default 100): how long to keep retrying a command.
    pub cmd_timeout: Duration,
    /// `SR_CMD_INTERVAL` (milliseconds, default 1000): pause between command attempts.
    pub cmd_interval: Duration,
    /// `SR_SOCKET_TIMEOUT` (milliseconds, default 250): validated, not used (a reply is waited for up to
    /// `SR_CMD_TIMEOUT`, since a slow reply must not make the command be sent again).
    pub socket_timeout: Duration,
    /// `SR_THREAD_COUNT` (default 4; 0 = number of CPUs; at least 1). Validated, not used: work on several
    /// shards at once runs one thread per shard ([`crate::transport::Connection::fan_out`]).
    pub thread_count: usize,
    /// `SSKEYOUT` (default ""): prefix for keys written.
    pub key_prefix_out: String,
    /// `SSKEYIN` (default ""): comma-separated prefixes for keys read, empty entries skipped; the first is the
    /// default data source.
    pub key_prefixes_in: Vec<String>,
    /// `SR_MODEL_TIMEOUT` (milliseconds, default 60,000,000 as upstream): `TIMEOUT` of `AI.MODELEXECUTE`.
    /// Validated, not used until the client runs models.
    pub model_timeout_ms: i64,
    /// `SR_PASSWORD`, else the contents of the file `SR_PASSWORD_FILE` names (without a trailing newline): sent
    /// with `AUTH` on every connection. `None`: no authentication.
    pub password: Option<Secret>,
}

/// Upstream defaults (`redis.cpp`, `rediscluster.cpp`, `client.cpp`).
const DEFAULT_CONN_TIMEOUT_S: i64 = 100;
const DEFAULT_CONN_INTERVAL_MS: i64 = 1000;
const DEFAULT_CMD_TIMEOUT_S: i64 = 100;
const DEFAULT_CMD_INTERVAL_MS: i64 = 1000;
const DEFAULT_SOCKET_TIMEOUT_MS: i64 = 250;
const DEFAULT_THREAD_COUNT: i64 = 4;
const DEFAULT_MODEL_TIMEOUT_MS: i64 = 60 * 1000 * 1000;
/// Upstream bound for the timeouts given in seconds (they are multiplied by 1000 into an `int`).
const MAX_TIMEOUT_S: i64 = (i32::MAX / 1000) as i64;

/// Reads a positive integer option, with an optional upper bound, naming the variable in errors.
fn positive(cfg: &ConfigOptions, name: &str, default: i64, max: Option<i64>) -> Result<u64> {
    let value = cfg.resolve_integer_option(name, default)?;
    let var = cfg.env_name(name)?;
    if value <= 0 {
        return Err(Error::Parameter(format!("{var} must be greater than 0.")));
    }
    if let Some(max) = max {
        if value > max {
            return Err(Error::Parameter(format!(
                "{var} must be less than or equal to {max}."
            )));
        }
    }
    Ok(value as u64)
}

impl ClientSettings {
    /// Reads and validates every client setting from `cfg` (suffix rules apply to all but `SR_MODEL_TIMEOUT`,
    /// which, as upstream, is read unsuffixed from the environment unless overridden in `cfg`).
    ///
    /// Errors: `SSDB` missing → runtime error; a malformed address → runtime error naming it; a timeout or
    /// interval that is not a positive number (or a timeout above `INT_MAX/1000` s) → parameter error.
    pub fn from_config(cfg: &ConfigOptions) -> Result<Self> {
        let ssdb = cfg.resolve_string_option("SSDB", "")?;
        if ssdb.is_empty() {
            return Err(Error::Runtime(format!(
                "The environment variable {} must be set to use the client.",
                cfg.env_name("SSDB")?
            )));
        }
        let addresses = parse_ssdb(&ssdb)?;

        let db_type = match cfg.resolve_string_option("SR_DB_TYPE", "")?.as_str() {
            "" => None,
            t if t.eq_ignore_ascii_case("clustered") => Some(DbType::Clustered),
            _ => Some(DbType::Standalone),
        };

        let conn_timeout = positive(
            cfg,
            "SR_CONN_TIMEOUT",
            DEFAULT_CONN_TIMEOUT_S,
            Some(MAX_TIMEOUT_S),
        )?;
        let conn_interval = positive(cfg, "SR_CONN_INTERVAL", DEFAULT_CONN_INTERVAL_MS, None)?;
        let cmd_timeout = positive(
            cfg,
            "SR_CMD_TIMEOUT",
            DEFAULT_CMD_TIMEOUT_S,
            Some(MAX_TIMEOUT_S),
        )?;
        let cmd_interval = positive(cfg, "SR_CMD_INTERVAL", DEFAULT_CMD_INTERVAL_MS, None)?;
        let socket_timeout = positive(cfg, "SR_SOCKET_TIMEOUT", DEFAULT_SOCKET_TIMEOUT_MS, None)?;

        let threads = cfg.resolve_integer_option("SR_THREAD_COUNT", DEFAULT_THREAD_COUNT)?;
        let thread_count = match usize::try_from(threads) {
            Ok(0) => std::thread::available_parallelism().map_or(1, |n| n.get()),
            Ok(n) => n,
            Err(_) => {
                return Err(Error::Parameter(format!(
                    "{} must not be negative.",
                    cfg.env_name("SR_THREAD_COUNT")?
                )))
            }
        };

        let key_prefix_out = cfg.resolve_string_option("SSKEYOUT", "")?;
        let key_prefixes_in = cfg
            .resolve_string_option("SSKEYIN", "")?
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();

        let model_timeout_ms = if cfg.is_configured("SR_MODEL_TIMEOUT")? {
            cfg.resolve_integer_option("SR_MODEL_TIMEOUT", DEFAULT_MODEL_TIMEOUT_MS)?
        } else {
            match env_value("SR_MODEL_TIMEOUT") {
                Some(raw) => parse_integer("SR_MODEL_TIMEOUT", &raw)?,
                None => DEFAULT_MODEL_TIMEOUT_MS,
            }
        };
        if model_timeout_ms <= 0 {
            return Err(Error::Parameter(
                "SR_MODEL_TIMEOUT must be greater than 0.".into(),
            ));
        }

        let password = read_password(cfg)?;

        Ok(ClientSettings {
            password,
            addresses,
            db_type,
            conn_timeout: Duration::from_secs(conn_timeout),
            conn_interval: Duration::from_millis(conn_interval),
            cmd_timeout: Duration::from_secs(cmd_timeout),
            cmd_interval: Duration::from_millis(cmd_interval),
            socket_timeout: Duration::from_millis(socket_timeout),
            thread_count,
            key_prefix_out,
            key_prefixes_in,
            model_timeout_ms,
        })
    }

    /// Connection attempts before giving up: `timeout / interval + 1` (101 by default; 5 s / 500 ms → 11).
    pub fn connection_attempts(&self) -> u64 {
        attempts(self.conn_timeout, self.conn_interval)
    }

    /// Attempts per command before giving up: `timeout / interval + 1` (101 by default).
    pub fn command_attempts(&self) -> u64 {
        attempts(self.cmd_timeout, self.cmd_interval)
    }
}

/// `SR_PASSWORD`, else the file `SR_PASSWORD_FILE` names (both suffixed like `SSDB`); an unreadable or empty
/// file is an error naming the variable.
fn read_password(cfg: &ConfigOptions) -> Result<Option<Secret>> {
    let direct = cfg.resolve_string_option("SR_PASSWORD", "")?;
    if !direct.is_empty() {
        return Ok(Some(Secret(direct)));
    }
    let path = cfg.resolve_string_option("SR_PASSWORD_FILE", "")?;
    if path.is_empty() {
        return Ok(None);
    }
    let var = cfg.env_name("SR_PASSWORD_FILE")?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::Runtime(format!("{var}: cannot read {path}: {e}")))?;
    let secret = text.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(Error::Runtime(format!("{var}: {path} is empty")));
    }
    Ok(Some(Secret(secret.to_string())))
}

fn attempts(timeout: Duration, interval: Duration) -> u64 {
    let interval = interval.as_millis().max(1);
    u64::try_from(timeout.as_millis() / interval).map_or(u64::MAX, |n| n.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets an environment variable whose name no other test uses (tests run in parallel).
    fn set_env(name: &str, value: &str) {
        std::env::set_var(name, value);
    }

    #[test]
    fn reads_env_with_suffix_and_caches() {
        set_env("CFGT_A_db1", "42");
        set_env("CFGT_S_db1", "hello");
        let cfg = ConfigOptions::from_environment("db1").unwrap();
        assert_eq!(cfg.suffix(), "db1");
        assert_eq!(cfg.get_integer_option("CFGT_A").unwrap(), 42);
        assert_eq!(cfg.get_string_option("CFGT_S").unwrap(), "hello");
        // cached: later environment changes are not seen
        set_env("CFGT_A_db1", "43");
        assert_eq!(cfg.get_integer_option("CFGT_A").unwrap(), 42);
        // the unsuffixed variable is not read
        set_env("CFGT_B", "1");
        let err = cfg.get_integer_option("CFGT_B").unwrap_err();
        assert_eq!(err, Error::Key("No value found for key CFGT_B_db1".into()));
        assert!(!cfg.is_configured("CFGT_B").unwrap());
        assert!(cfg.is_configured("CFGT_A").unwrap());
    }

    #[test]
    fn missing_empty_and_bad_values() {
        let cfg = ConfigOptions::from_environment("").unwrap();
        set_env("CFGT_EMPTY", "");
        assert!(
            matches!(cfg.get_string_option("CFGT_EMPTY"), Err(Error::Key(m)) if m == "No value found for key CFGT_EMPTY")
        );
        assert!(
            cfg.is_configured("CFGT_EMPTY").unwrap(),
            "empty counts as set"
        );
        for bad in ["12a", "1-2", "-", " 1", "+3", "1.5"] {
            set_env("CFGT_BAD", bad);
            let fresh = ConfigOptions::from_environment("").unwrap();
            assert_eq!(
                fresh.get_integer_option("CFGT_BAD").unwrap_err(),
                Error::Parameter("The value of CFGT_BAD must be a valid number.".into()),
                "{bad}"
            );
        }
        set_env("CFGT_NEG", "-17");
        assert_eq!(cfg.get_integer_option("CFGT_NEG").unwrap(), -17);
        set_env("CFGT_HUGE", "99999999999999999999");
        assert!(matches!(
            cfg.get_integer_option("CFGT_HUGE"),
            Err(Error::Parameter(_))
        ));
        for f in [
            cfg.get_integer_option("").map(|_| ()),
            cfg.get_string_option("").map(|_| ()),
            cfg.override_integer_option("", 1),
            cfg.override_string_option("", "x"),
            cfg.is_configured("").map(|_| ()),
        ] {
            assert_eq!(
                f.unwrap_err(),
                Error::Key("Invalid empty environment variable name detected".into())
            );
        }
    }

    #[test]
    fn overrides_and_resolve() {
        let cfg = ConfigOptions::from_environment("ovr").unwrap();
        assert!(!cfg.is_configured("CFGT_O").unwrap());
        cfg.override_integer_option("CFGT_O", 5).unwrap();
        assert!(cfg.is_configured("CFGT_O").unwrap());
        assert_eq!(cfg.get_integer_option("CFGT_O").unwrap(), 5);
        // integer and string caches are separate
        assert!(cfg.get_string_option("CFGT_O").is_err());
        cfg.override_string_option("CFGT_O", "five").unwrap();
        assert_eq!(cfg.get_string_option("CFGT_O").unwrap(), "five");
        assert_eq!(cfg.resolve_integer_option("CFGT_R", 9).unwrap(), 9);
        assert!(cfg.is_configured("CFGT_R").unwrap(), "defaults are cached");
        assert_eq!(cfg.resolve_string_option("CFGT_RS", "d").unwrap(), "d");
        let copy = cfg.clone();
        cfg.override_integer_option("CFGT_O", 6).unwrap();
        assert_eq!(copy.get_integer_option("CFGT_O").unwrap(), 5);
    }

    fn settings_cfg(suffix: &str) -> ConfigOptions {
        let cfg = ConfigOptions::from_environment(suffix).unwrap();
        cfg.override_string_option("SSDB", "127.0.0.1:6379,[::1]:6380")
            .unwrap();
        cfg
    }

    #[test]
    fn client_settings_defaults() {
        // A suffix no environment uses, so only defaults and overrides apply.
        let cfg = settings_cfg("cfgt_defaults_nowhere");
        let s = ClientSettings::from_config(&cfg).unwrap();
        assert_eq!(s.addresses.len(), 2);
        assert_eq!(s.db_type, None);
        assert_eq!(s.conn_timeout, Duration::from_secs(100));
        assert_eq!(s.conn_interval, Duration::from_millis(1000));
        assert_eq!(s.socket_timeout, Duration::from_millis(250));
        assert_eq!(s.thread_count, 4);
        assert_eq!(s.connection_attempts(), 101);
        assert_eq!(s.command_attempts(), 101);
        assert_eq!(s.key_prefix_out, "");
        assert!(s.key_prefixes_in.is_empty());
    }

    #[test]
    fn client_settings_values_and_validation() {
        let cfg = settings_cfg("cfgt_vals");
        cfg.override_string_option("SR_DB_TYPE", "CLUSTERED")
            .unwrap();
        cfg.override_integer_option("SR_CONN_TIMEOUT", 5).unwrap();
        cfg.override_integer_option("SR_CONN_INTERVAL", 500)
            .unwrap();
        cfg.override_integer_option("SR_CMD_TIMEOUT", 2).unwrap();
        cfg.override_integer_option("SR_CMD_INTERVAL", 250).unwrap();
        cfg.override_integer_option("SR_THREAD_COUNT", 0).unwrap();
        cfg.override_string_option("SSKEYIN", ",a,,b").unwrap();
        cfg.override_string_option("SSKEYOUT", "out").unwrap();
        cfg.override_integer_option("SR_MODEL_TIMEOUT", 1000)
            .unwrap();
        let s = ClientSettings::from_config(&cfg).unwrap();
        assert_eq!(s.db_type, Some(DbType::Clustered));
        assert_eq!(s.connection_attempts(), 11);
        assert_eq!(s.command_attempts(), 9);
        assert!(s.thread_count >= 1);
        assert_eq!(s.key_prefixes_in, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(s.key_prefix_out, "out");
        assert_eq!(s.model_timeout_ms, 1000);

        cfg.override_string_option("SR_DB_TYPE", "Colocated")
            .unwrap();
        let s = ClientSettings::from_config(&cfg).unwrap();
        assert_eq!(s.db_type, Some(DbType::Standalone));

        let bad = |name: &str, v: i64, msg: &str| {
            let cfg = settings_cfg("cfgt_bad");
            cfg.override_integer_option(name, v).unwrap();
            assert_eq!(
                ClientSettings::from_config(&cfg).unwrap_err(),
                Error::Parameter(msg.into())
            );
        };
        bad(
            "SR_CONN_TIMEOUT",
            0,
            "SR_CONN_TIMEOUT_cfgt_bad must be greater than 0.",
        );
        bad(
            "SR_CMD_TIMEOUT",
            2_147_484,
            "SR_CMD_TIMEOUT_cfgt_bad must be less than or equal to 2147483.",
        );
        bad(
            "SR_SOCKET_TIMEOUT",
            -1,
            "SR_SOCKET_TIMEOUT_cfgt_bad must be greater than 0.",
        );
        bad(
            "SR_THREAD_COUNT",
            -2,
            "SR_THREAD_COUNT_cfgt_bad must not be negative.",
        );
    }

    #[test]
    fn client_settings_need_ssdb() {
        let cfg = ConfigOptions::from_environment("cfgt_nossdb").unwrap();
        assert_eq!(
            ClientSettings::from_config(&cfg).unwrap_err(),
            Error::Runtime(
                "The environment variable SSDB_cfgt_nossdb must be set to use the client.".into()
            )
        );
        set_env("SSDB_cfgt_envssdb", "unix:///tmp/x.sock");
        let cfg = ConfigOptions::from_environment("cfgt_envssdb").unwrap();
        let s = ClientSettings::from_config(&cfg).unwrap();
        assert_eq!(s.addresses, vec![Address::Unix("/tmp/x.sock".into())]);
    }
}
