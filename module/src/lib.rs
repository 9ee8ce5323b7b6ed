//! RedisAI-compatible Redis module, loaded with `redis-server --loadmodule libsmartredis_ai.so [KEY VALUE ...]`.
//!
//! Layout: `entry.rs` (load, command table), `commands/` (one handler file per object kind), `tensor/` (type,
//! parsing, replies, RDB/AOF), `config.rs` (load-time and `AI.CONFIG` settings), `info.rs` (`INFO MODULES`),
//! `guard.rs` (the panic guard every command runs in), `model/` (the model type, its parsing, statistics and
//! RDB/AOF), `backends/` (the backend interface and ONNX Runtime), `queue.rs` (per-device run queues and the
//! blocked-client plumbing), `script/` (the script type, its parsing and RDB/AOF; TorchScript through the TORCH
//! backend's shim), `dag/` (DAG parsing, execution on the queues and replies).

pub mod backends;
pub mod commands;
pub mod config;
pub mod dag;
pub mod guard;
pub mod info;
pub mod model;
pub mod queue;
pub mod rdb_input;
pub mod script;
pub mod tensor;

// The fuzz targets (`fuzz/`, built with `--cfg fuzzing`) link the parsers without the module entry point and
// its Redis allocator.
#[cfg(not(any(test, fuzzing)))]
mod entry;

/// Module version reported to Redis: RedisAI 1.2.7 as `major*10000 + minor*100 + patch` (the API it answers as;
/// its own version, Cargo.toml's, is `INFO MODULES` field `ai_smartredis_version`).
pub const MODULE_VERSION: i32 = 10207;
