//! Model backends behind one interface, each loaded on first use (RedisAI `src/backends/backends.c`).
//!
//! A backend is loaded by `AI.CONFIG LOADBACKEND <name> <path>`, by a load-time `<name> <path>` argument, or on
//! the first `AI.MODELSTORE`/`AI.SCRIPTSTORE` (or RDB/AOF load) that names it, from `<BACKENDSPATH>/redisai_<x>/`.
//! ONNX (ONNX Runtime's C library), TORCH (the libtorch shim `redisai_torch.so`), TF (TensorFlow's C library) and
//! TFLITE (LiteRT's `libLiteRt.so`) are opened with `dlopen`.

pub mod litert_api;
pub mod onnx;
pub mod onnx_allocator;
pub mod ort_api;
pub mod tf;
pub mod tf_api;
pub mod tflite;
pub mod torch;

use std::path::Path;
use std::sync::{Arc, Mutex};

use smartredis_protocol::Backend;

use crate::config;
use crate::tensor::tensor::Tensor;

/// Parses a backend name given as bytes (case-insensitive).
pub fn parse_kind(name: &[u8]) -> Option<Backend> {
    std::str::from_utf8(name).ok().and_then(Backend::parse)
}

/// Settings a model is created with.
#[derive(Clone, Debug)]
pub struct ModelOptions {
    /// The device, upper-cased (`CPU`, `CPU:1`, `GPU:0`).
    pub device: String,
    /// Intra-op threads (0 = the backend's default).
    pub intra_op_threads: i64,
    /// Inter-op threads (0 = the backend's default).
    pub inter_op_threads: i64,
    /// Input names given with `INPUTS` (TF only; empty otherwise).
    pub inputs: Vec<String>,
    /// Output names given with `OUTPUTS` (TF only; empty otherwise).
    pub outputs: Vec<String>,
}

/// One `INFO MODULES` field of a backend.
pub enum InfoValue {
    /// A string field.
    Str(String),
    /// An integer field.
    Int(i64),
}

/// A loaded backend library.
pub trait BackendLibrary: Send + Sync {
    /// Which backend this is.
    fn kind(&self) -> Backend;
    /// Builds a model from its serialized bytes; the error is the reply text (without `ERR `).
    fn load_model(&self, blob: &[u8], opts: &ModelOptions) -> Result<Arc<dyn LoadedModel>, String>;
    /// Its `INFO MODULES` `backends_info` fields.
    fn info(&self) -> Vec<(&'static str, InfoValue)>;
    /// Compiles a script (TORCH only); the error is the reply text.
    fn compile_script(
        &self,
        _source: &str,
        _opts: &ModelOptions,
    ) -> Result<Arc<dyn LoadedScript>, String> {
        Err(format!(
            "ERR the {} backend does not run scripts",
            self.kind().name()
        ))
    }
}

/// One call of a script function.
pub struct ScriptCall<'a> {
    /// The function.
    pub function: &'a str,
    /// Called as an entry point, `fn(tensors: List[Tensor], keys: List[str], args: List[str])`; otherwise with
    /// the inputs positionally (RedisAI's best-effort call for scripts stored without entry points).
    pub entry_point: bool,
    /// Input tensors.
    pub inputs: &'a [&'a Tensor],
    /// `KEYS` (entry points only).
    pub keys: &'a [Vec<u8>],
    /// `ARGS` (entry points only).
    pub args: &'a [Vec<u8>],
}

/// A compiled script, shared by every job that uses it (runs may be concurrent).
pub trait LoadedScript: Send + Sync {
    /// Whether the script defines `name`.
    fn has_function(&self, name: &str) -> bool;
    /// Checks that `name` exists with the entry-point signature; the error is RedisAI's text.
    fn check_entry_point(&self, name: &str) -> Result<(), String>;
    /// Runs a function; its tensor results, flattened. The error is the backend's message, one line.
    fn run(&self, call: &ScriptCall) -> Result<Vec<Tensor>, String>;
}

/// A model ready to run, shared by every job that uses it (runs may be concurrent).
pub trait LoadedModel: Send + Sync {
    /// Input names, in the model's order.
    fn inputs(&self) -> &[String];
    /// Output names, in the model's order.
    fn outputs(&self) -> &[String];
    /// Runs the model; the error is the backend's message (newlines turned into spaces).
    fn run(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>, String>;
}

static LOADED: Mutex<Vec<Arc<dyn BackendLibrary>>> = Mutex::new(Vec::new());

fn loaded() -> std::sync::MutexGuard<'static, Vec<Arc<dyn BackendLibrary>>> {
    LOADED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The backend if it is loaded.
pub fn get(kind: Backend) -> Option<Arc<dyn BackendLibrary>> {
    loaded().iter().find(|b| b.kind() == kind).cloned()
}

/// Every loaded backend.
pub fn all_loaded() -> Vec<Arc<dyn BackendLibrary>> {
    loaded().clone()
}

/// Loads `kind` from `path` (a library file, or a directory holding RedisAI's layout). Fails if it is already
/// loaded (as `AI.CONFIG LOADBACKEND` does). The error explains why.
pub fn load(kind: Backend, path: &str) -> Result<Arc<dyn BackendLibrary>, String> {
    let mut l = loaded();
    if l.iter().any(|b| b.kind() == kind) {
        return Err(format!("{} backend already loaded", kind.name()));
    }
    let b = open(kind, path)?;
    l.push(b.clone());
    Ok(b)
}

/// The backend, loading it on first use from its configured path or `<BACKENDSPATH>/redisai_<x>/`.
pub fn get_or_load(kind: Backend) -> Result<Arc<dyn BackendLibrary>, String> {
    let mut l = loaded();
    if let Some(b) = l.iter().find(|b| b.kind() == kind) {
        return Ok(b.clone());
    }
    let path = {
        let c = config::get();
        c.backend_paths
            .iter()
            .find(|(k, _)| k == kind.name())
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| {
                Path::new(&c.backends_path)
                    .join(kind.library_dir())
                    .to_string_lossy()
                    .into_owned()
            })
    };
    let b = open(kind, &path)?;
    l.push(b.clone());
    Ok(b)
}

/// Opens the backend's library and says so in the Redis log (`notice`: `<ai> TF backend loaded from <path>
/// (version 2.21.0)`), as RedisAI does.
fn open(kind: Backend, path: &str) -> Result<Arc<dyn BackendLibrary>, String> {
    let b: Arc<dyn BackendLibrary> = match kind {
        Backend::Onnx => Arc::new(onnx::OnnxBackend::open(path)?),
        Backend::Torch => Arc::new(torch::open(path)?),
        Backend::Tf => Arc::new(tf::open(path)?),
        Backend::Tflite => Arc::new(tflite::TfliteBackend::open(path)?),
    };
    let version = b.info().into_iter().find_map(|(k, v)| match v {
        InfoValue::Str(s) if k.ends_with("_version") => Some(format!(" (version {s})")),
        _ => None,
    });
    log_notice(&format!(
        "{} backend loaded from {path}{}",
        kind.name(),
        version.unwrap_or_default()
    ));
    Ok(b)
}

/// Writes `msg` to the Redis log at `notice` level under the module's name; nothing outside a server.
fn log_notice(msg: &str) {
    // SAFETY: Redis sets its API pointers once, before the module's init, and never changes them.
    if unsafe { redis_module::raw::RedisModule_Log }.is_none() {
        return;
    }
    // The text is Redis's format string: `%` is escaped, and a NUL would end it.
    let msg = msg.replace('%', "%%").replace('\0', "");
    redis_module::MODULE_CONTEXT.log_notice(&msg);
}

/// RedisAI's `RAI_Chomp`: newlines and carriage returns become spaces.
pub fn chomp(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_chomp() {
        assert_eq!(parse_kind(b"onnx"), Some(Backend::Onnx));
        assert_eq!(parse_kind(b"PYTORCH"), None);
        assert_eq!(parse_kind(b"\xff"), None);
        assert_eq!(chomp("a\nb\r\nc"), "a b  c");
    }

    #[test]
    fn missing_libraries_say_where_they_were_looked_for() {
        for kind in [Backend::Tf, Backend::Tflite] {
            let e = load(kind, "/nowhere").err().unwrap();
            assert!(e.contains("/nowhere") && e.contains("not found"), "{e}");
        }
    }
}
