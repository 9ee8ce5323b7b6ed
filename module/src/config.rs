//! Module configuration: load-time `KEY VALUE` arguments and the `AI.CONFIG` runtime settings
//! (RedisAI `src/config/config.c`; defaults and the "> 0 only" rules of the reference §4).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use smartredis_protocol::commands::config as key;
use smartredis_protocol::Backend;

/// Current settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Where backend libraries are looked up (`<dir of the module .so>/backends` by default).
    pub backends_path: String,
    /// Worker threads per device queue.
    pub threads_per_queue: i64,
    /// Backend intra-op threads (0 = the backend's default).
    pub intra_op_parallelism: i64,
    /// Backend inter-op threads (0 = the backend's default).
    pub inter_op_parallelism: i64,
    /// MODELGET/RDB chunk size in bytes.
    pub model_chunk_size: i64,
    /// ONNX run timeout in ms.
    pub model_execution_timeout: i64,
    /// ONNX memory limit in MB (0 = unlimited).
    pub backend_memory_limit: i64,
    /// Backend library paths given with `TF|TFLITE|TORCH|ONNX <path>`, resolved against `backends_path`.
    pub backend_paths: Vec<(String, String)>,
    /// `TENSOR_ZERO_FILL_MAX`: the largest tensor (bytes) `AI.TENSORSET` without data zero-fills.
    pub tensor_zero_fill_max: i64,
    /// `VALUES_REPLY_MAX`: the most elements an `AI.TENSORGET ... VALUES` reply holds.
    pub values_reply_max: i64,
    /// `MODEL_BLOB_MAX`: the largest model blob in bytes (0 = no cap).
    pub model_blob_max: i64,
}

/// Default `TENSOR_ZERO_FILL_MAX`: 512 MiB, Redis's default `proto-max-bulk-len` (no larger than a BLOB).
pub const DEFAULT_TENSOR_ZERO_FILL_MAX: i64 = 512 << 20;
/// Default `VALUES_REPLY_MAX`: 1 Mi elements (a reply of ~10-25 MB); larger tensors are fetched as BLOB.
pub const DEFAULT_VALUES_REPLY_MAX: i64 = 1 << 20;

/// The error for an allocation that would take the server past `maxmemory` (Redis's own OOM text, which clients
/// recognise).
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Allocations smaller than this are not checked against `maxmemory` (Redis's own check before each command
/// covers them).
const HEADROOM_CHECK_FROM: usize = 1 << 20;

/// Refuses (with [`OOM`]) an allocation of `bytes` that would take the server's used memory past `maxmemory`.
/// The module allocates through Redis's allocator, so what it holds is already in `used_memory`. Without a
/// server (unit tests) or without `maxmemory` there is no limit.
pub fn check_headroom(bytes: usize) -> Result<(), &'static str> {
    use redis_module::raw;
    if bytes < HEADROOM_CHECK_FROM {
        return Ok(());
    }
    // SAFETY: module API functions, set once the module is loaded; a NULL context is allowed for server info.
    unsafe {
        let (Some(ratio), Some(get), Some(field), Some(free)) = (
            raw::RedisModule_GetUsedMemoryRatio,
            raw::RedisModule_GetServerInfo,
            raw::RedisModule_ServerInfoGetFieldUnsigned,
            raw::RedisModule_FreeServerInfo,
        ) else {
            return Ok(());
        };
        if ratio() <= 0.0 {
            return Ok(());
        }
        let info = get(std::ptr::null_mut(), c"memory".as_ptr());
        if info.is_null() {
            return Ok(());
        }
        let mut err = 0;
        let used = field(info, c"used_memory".as_ptr(), &mut err);
        let max = field(info, c"maxmemory".as_ptr(), &mut err);
        free(std::ptr::null_mut(), info);
        if err == 0 && max > 0 && used.saturating_add(bytes as u64) > max {
            return Err(OOM);
        }
    }
    Ok(())
}

impl Config {
    /// RedisAI's defaults.
    pub const fn new() -> Config {
        Config {
            backends_path: String::new(),
            threads_per_queue: 1,
            intra_op_parallelism: 0,
            inter_op_parallelism: 0,
            model_chunk_size: 511 * 1024 * 1024,
            model_execution_timeout: 5000,
            backend_memory_limit: 0,
            backend_paths: Vec::new(),
            tensor_zero_fill_max: DEFAULT_TENSOR_ZERO_FILL_MAX,
            values_reply_max: DEFAULT_VALUES_REPLY_MAX,
            model_blob_max: 0,
        }
    }

    /// Applies load-time arguments (`BACKENDSPATH` first, wherever it is). On failure returns the message to log:
    /// `ERR error processing argument: K V`.
    pub fn apply_load_args(&mut self, args: &[String]) -> Result<(), String> {
        if args.len() % 2 != 0 {
            return Err(format!(
                "ERR error processing arguments: odd number of arguments ({}), expected KEY VALUE pairs",
                args.len()
            ));
        }
        let pairs: Vec<(&String, &String)> = args.chunks_exact(2).map(|p| (&p[0], &p[1])).collect();
        let (first, rest): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .partition(|(k, _)| k.eq_ignore_ascii_case(key::BACKENDSPATH));
        for (k, v) in first.into_iter().chain(rest) {
            self.apply_one(k, v)
                .map_err(|()| format!("ERR error processing argument: {k} {v}"))?;
        }
        Ok(())
    }

    fn apply_one(&mut self, name: &str, value: &str) -> Result<(), ()> {
        let positive = |v: &str| v.parse::<i64>().ok().filter(|&n| n > 0).ok_or(());
        let is = |k: &str| name.eq_ignore_ascii_case(k);
        if is(key::BACKENDSPATH) {
            self.backends_path = value.to_string();
        } else if is(key::THREADS_PER_QUEUE) {
            self.threads_per_queue = positive(value)?;
        } else if is(key::INTRA_OP_PARALLELISM) {
            self.intra_op_parallelism = positive(value)?;
        } else if is(key::INTER_OP_PARALLELISM) {
            self.inter_op_parallelism = positive(value)?;
        } else if is(key::MODEL_CHUNK_SIZE) {
            self.model_chunk_size = positive(value)?;
        } else if is(key::MODEL_EXECUTION_TIMEOUT) {
            self.model_execution_timeout =
                value.parse::<i64>().ok().filter(|&n| n >= 1000).ok_or(())?;
        } else if is(key::BACKEND_MEMORY_LIMIT) {
            self.backend_memory_limit = positive(value)?;
        } else if let Some(r) = self.set_limit(name, value) {
            r?;
        } else if let Some(b) = Backend::parse(name) {
            let path = self.resolve_backend_path(value);
            self.backend_paths.retain(|(n, _)| n != b.name());
            self.backend_paths.push((b.name().to_string(), path));
        } else {
            return Err(());
        }
        Ok(())
    }

    /// Sets one of the resource limits (`TENSOR_ZERO_FILL_MAX`, `VALUES_REPLY_MAX` > 0, `MODEL_BLOB_MAX` >= 0).
    /// `None`: `name` is not a limit; `Some(Err)`: a bad value.
    pub fn set_limit(&mut self, name: &str, value: &str) -> Option<Result<(), ()>> {
        let is = |k: &str| name.eq_ignore_ascii_case(k);
        let (slot, min) = if is(key::TENSOR_ZERO_FILL_MAX) {
            (&mut self.tensor_zero_fill_max, 1)
        } else if is(key::VALUES_REPLY_MAX) {
            (&mut self.values_reply_max, 1)
        } else if is(key::MODEL_BLOB_MAX) {
            (&mut self.model_blob_max, 0)
        } else {
            return None;
        };
        Some(match value.parse::<i64>() {
            Ok(n) if n >= min => {
                *slot = n;
                Ok(())
            }
            _ => Err(()),
        })
    }

    /// The value of a resource limit by name, for `AI.CONFIG GET`.
    pub fn limit(&self, name: &[u8]) -> Option<i64> {
        let is = |k: &str| name.eq_ignore_ascii_case(k.as_bytes());
        if is(key::TENSOR_ZERO_FILL_MAX) {
            Some(self.tensor_zero_fill_max)
        } else if is(key::VALUES_REPLY_MAX) {
            Some(self.values_reply_max)
        } else if is(key::MODEL_BLOB_MAX) {
            Some(self.model_blob_max)
        } else {
            None
        }
    }

    /// A relative backend path is resolved as `<BACKENDSPATH>/<path>`; an absolute one is kept.
    pub fn resolve_backend_path(&self, path: &str) -> String {
        if Path::new(path).is_absolute() {
            path.to_string()
        } else {
            PathBuf::from(&self.backends_path)
                .join(path)
                .to_string_lossy()
                .into_owned()
        }
    }

    /// Sets `MODEL_CHUNK_SIZE` from `AI.CONFIG` (an integer > 0); the error is the reply text.
    pub fn set_model_chunk_size(&mut self, value: &str) -> Result<(), &'static str> {
        self.model_chunk_size = value
            .parse::<i64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or("ERR MODEL_CHUNK_SIZE: invalid chunk size")?;
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

static CONFIG: Mutex<Config> = Mutex::new(Config::new());

/// The module's configuration (a poisoned lock is recovered: the data is plain settings).
pub fn get() -> MutexGuard<'static, Config> {
    CONFIG.lock().unwrap_or_else(|e| e.into_inner())
}

/// `<directory of the loaded module file>/backends`, found with `dladdr` on one of this module's functions.
pub fn default_backends_path() -> String {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let addr = default_backends_path as *const libc::c_void;
    // SAFETY: dladdr only reads the address and fills `info`.
    if unsafe { libc::dladdr(addr, &mut info) } != 0 && !info.dli_fname.is_null() {
        // SAFETY: dli_fname is a NUL-terminated path owned by the dynamic loader.
        let file = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) }
            .to_string_lossy()
            .into_owned();
        if let Some(dir) = Path::new(&file).parent() {
            return dir.join("backends").to_string_lossy().into_owned();
        }
    }
    "backends".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(args: &[&str]) -> Result<Config, String> {
        let mut c = Config {
            backends_path: "/m/backends".into(),
            ..Config::new()
        };
        c.apply_load_args(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        Ok(c)
    }

    #[test]
    fn load_args() {
        let c = load(&[
            "threads_per_queue",
            "4",
            "ONNX",
            "x/lib.so",
            "BACKENDSPATH",
            "/b",
        ])
        .unwrap();
        assert_eq!(c.threads_per_queue, 4);
        assert_eq!(
            c.backend_paths,
            vec![("ONNX".to_string(), "/b/x/lib.so".to_string())]
        );
        assert_eq!(
            load(&["INTRA_OP_PARALLELISM", "0"]).unwrap_err(),
            "ERR error processing argument: INTRA_OP_PARALLELISM 0"
        );
        assert_eq!(
            load(&["MODEL_EXECUTION_TIMEOUT", "999"]).unwrap_err(),
            "ERR error processing argument: MODEL_EXECUTION_TIMEOUT 999"
        );
        assert!(load(&["MODEL_EXECUTION_TIMEOUT", "1000"]).is_ok());
        assert_eq!(
            load(&["NOPE", "1"]).unwrap_err(),
            "ERR error processing argument: NOPE 1"
        );
        assert!(load(&["THREADS_PER_QUEUE"]).is_err());
        let c = load(&[
            "tensor_zero_fill_max",
            "10",
            "VALUES_REPLY_MAX",
            "5",
            "MODEL_BLOB_MAX",
            "0",
        ])
        .unwrap();
        assert_eq!(
            (c.tensor_zero_fill_max, c.values_reply_max, c.model_blob_max),
            (10, 5, 0)
        );
        assert!(load(&["VALUES_REPLY_MAX", "0"]).is_err());
        assert!(load(&["MODEL_BLOB_MAX", "-1"]).is_err());
    }
}
