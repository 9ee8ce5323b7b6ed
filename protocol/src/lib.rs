//! The facts the smartredis client and the smartredis-ai module must agree on, written once.
//!
//! Both sides depend on this crate (std only) instead of repeating a name, a size or a number:
//!
//! - [`tensor`]: tensor element types: RedisAI names, element sizes, DLPack codes and bits, and which of them
//!   SmartRedis's C enum `SRTensorType` covers (with its values, as `enum_fortran.inc` also lists them).
//! - [`commands`]: command names, keywords and reply labels the client sends and the module parses.
//! - [`backend`]: the model backends a module path can be given for.
//! - [`cluster`]: Redis Cluster constants (slot count, bus-port offset).
//! - [`dataset`]: dataset key layout (`{name}` hash tag, `.meta` hash, `.tensor_names`, `.COMPLETE`) and the
//!   binary encoding of metadata fields.
//! - [`model`]: model and script key naming (cluster copies under CRC16 prefixes, multi-GPU suffixes).
//!
//! Where new facts go: a fact belongs here when both the client (or the launcher) and the module depend on it.
//! Model/script key naming and the DAG grammar go in a `model` module next to these, re-exported from this file. Behaviour (parsing user input,
//! validation messages, I/O) stays in the crate that owns it; only the shared vocabulary lives here.

pub mod backend;
pub mod cluster;
pub mod commands;
pub mod dataset;
pub mod model;
pub mod tensor;

pub use backend::Backend;
pub use tensor::TensorType;
