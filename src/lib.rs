//! smartredis: a SmartRedis-compatible client for streaming tensors into a Redis feature store.
//!
//! The Rust API lives in this crate; the C ABI in [`ffi`] only translates it for C, C++ and Fortran callers.

pub mod address;
pub mod ai;
pub mod client;
pub mod cluster;
pub mod config;
pub mod dataset;
pub mod enums;
pub mod error;
pub mod ffi;
pub mod logging;
pub mod orchestrator;
pub mod tensor;
pub mod text;
pub mod transport;

pub use address::{parse_ssdb, Address};
pub use client::{Client, Entity, ModelOptions};
pub use config::{ClientSettings, ConfigOptions, DbType};
pub use dataset::{DataSet, MetaScalar};
pub use enums::{SRLoggingLevel, SRMemoryLayout, SRMetaDataType, SRTensorType};
pub use error::{Error, Result, SRError};
pub use logging::{LogContext, LogSource};
