//! Command names, keywords and reply labels the client sends and the module parses (RedisAI 1.2.7, reference §3).
//!
//! Redis matches command names and the module matches keywords case-insensitively; these are the spellings the
//! client sends and the module's replies use.

/// `AI.TENSORSET key TYPE d0 .. dn [BLOB data | VALUES v ...]`.
pub const TENSORSET: &str = "AI.TENSORSET";
/// `AI.TENSORGET key [META] [BLOB | VALUES]`.
pub const TENSORGET: &str = "AI.TENSORGET";
/// `AI.CONFIG LOADBACKEND|BACKENDSPATH|MODEL_CHUNK_SIZE|GET ...`.
pub const CONFIG: &str = "AI.CONFIG";

/// Keywords inside the tensor commands.
pub mod keyword {
    /// The tensor's raw bytes follow (TENSORSET) or are asked for (TENSORGET).
    pub const BLOB: &str = "BLOB";
    /// The tensor's elements one by one follow (TENSORSET) or are asked for (TENSORGET).
    pub const VALUES: &str = "VALUES";
    /// TENSORGET: include the type and shape.
    pub const META: &str = "META";
}

/// `AI.CONFIG` subcommands and the settings `AI.CONFIG GET` and the load-time arguments name.
pub mod config {
    /// `AI.CONFIG LOADBACKEND <backend> <path>`.
    pub const LOADBACKEND: &str = "LOADBACKEND";
    /// `AI.CONFIG GET <setting>`.
    pub const GET: &str = "GET";
    /// Directory backend libraries are looked up in.
    pub const BACKENDSPATH: &str = "BACKENDSPATH";
    /// MODELGET/RDB chunk size in bytes.
    pub const MODEL_CHUNK_SIZE: &str = "MODEL_CHUNK_SIZE";
    /// Worker threads per device queue (load time).
    pub const THREADS_PER_QUEUE: &str = "THREADS_PER_QUEUE";
    /// Backend intra-op threads (load time).
    pub const INTRA_OP_PARALLELISM: &str = "INTRA_OP_PARALLELISM";
    /// Backend inter-op threads (load time).
    pub const INTER_OP_PARALLELISM: &str = "INTER_OP_PARALLELISM";
    /// ONNX run timeout in ms (load time).
    pub const MODEL_EXECUTION_TIMEOUT: &str = "MODEL_EXECUTION_TIMEOUT";
    /// ONNX memory limit in MB (load time).
    pub const BACKEND_MEMORY_LIMIT: &str = "BACKEND_MEMORY_LIMIT";
}

/// Labels of the `AI.TENSORGET ... META` reply: `["dtype", TYPE, "shape", [d...], "blob"|"values", data]`.
pub mod reply {
    /// Precedes the type name.
    pub const DTYPE: &str = "dtype";
    /// Precedes the dimensions.
    pub const SHAPE: &str = "shape";
    /// Precedes the raw bytes.
    pub const BLOB: &str = "blob";
    /// Precedes the elements.
    pub const VALUES: &str = "values";
}
