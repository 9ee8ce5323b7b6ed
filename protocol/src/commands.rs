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
/// `AI.MODELSTORE key backend device [TAG t] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT t]]]
/// [INPUTS n name... OUTPUTS n name...] BLOB chunk...`.
pub const MODELSTORE: &str = "AI.MODELSTORE";
/// Deprecated `AI.MODELSET`: as MODELSTORE without the INPUTS/OUTPUTS counts.
pub const MODELSET: &str = "AI.MODELSET";
/// `AI.MODELGET key [META] [BLOB]`.
pub const MODELGET: &str = "AI.MODELGET";
/// `AI.MODELDEL key`.
pub const MODELDEL: &str = "AI.MODELDEL";
/// `AI.MODELEXECUTE key INPUTS n in... OUTPUTS m out... [TIMEOUT ms]`.
pub const MODELEXECUTE: &str = "AI.MODELEXECUTE";
/// Deprecated `AI.MODELRUN key [TIMEOUT ms] INPUTS in... OUTPUTS out...`.
pub const MODELRUN: &str = "AI.MODELRUN";
/// `AI.INFO key [RESETSTAT]`: run statistics of a model or script.
pub const INFO: &str = "AI.INFO";
/// `AI.SCRIPTSTORE key device [TAG t] ENTRY_POINTS n fn... SOURCE src`.
pub const SCRIPTSTORE: &str = "AI.SCRIPTSTORE";
/// Deprecated `AI.SCRIPTSET key device [TAG t] SOURCE src` (what SmartRedis sends).
pub const SCRIPTSET: &str = "AI.SCRIPTSET";
/// `AI.SCRIPTGET key [META] [SOURCE]`.
pub const SCRIPTGET: &str = "AI.SCRIPTGET";
/// `AI.SCRIPTDEL key`.
pub const SCRIPTDEL: &str = "AI.SCRIPTDEL";
/// `AI.SCRIPTEXECUTE key fn [KEYS n k...] [INPUTS n t...] [ARGS n a...] [OUTPUTS n o...] [TIMEOUT ms]`.
pub const SCRIPTEXECUTE: &str = "AI.SCRIPTEXECUTE";
/// Deprecated positional `AI.SCRIPTRUN key fn [TIMEOUT t] INPUTS in... [$ in...] OUTPUTS out...` (what SmartRedis
/// sends).
pub const SCRIPTRUN: &str = "AI.SCRIPTRUN";

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
    /// Largest tensor, in bytes, `AI.TENSORSET` without data zero-fills (ours; load time or `AI.CONFIG`).
    pub const TENSOR_ZERO_FILL_MAX: &str = "TENSOR_ZERO_FILL_MAX";
    /// Most elements an `AI.TENSORGET ... VALUES` reply holds (ours; load time or `AI.CONFIG`).
    pub const VALUES_REPLY_MAX: &str = "VALUES_REPLY_MAX";
    /// Largest model blob in bytes, 0 = no cap (ours; load time or `AI.CONFIG`).
    pub const MODEL_BLOB_MAX: &str = "MODEL_BLOB_MAX";
}

/// Keywords of the model commands (MODELSTORE/MODELSET/MODELGET/MODELEXECUTE/MODELRUN, AI.INFO).
pub mod model {
    /// A free-form tag stored with the model.
    pub const TAG: &str = "TAG";
    /// Auto-batching: the largest batch.
    pub const BATCHSIZE: &str = "BATCHSIZE";
    /// Auto-batching: the smallest batch worth running.
    pub const MINBATCHSIZE: &str = "MINBATCHSIZE";
    /// Auto-batching: ms to wait for MINBATCHSIZE.
    pub const MINBATCHTIMEOUT: &str = "MINBATCHTIMEOUT";
    /// Input names (store) or input keys (execute).
    pub const INPUTS: &str = "INPUTS";
    /// Output names (store) or output keys (execute).
    pub const OUTPUTS: &str = "OUTPUTS";
    /// Execution timeout in ms, measured from queueing.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// `AI.INFO key RESETSTAT`: zero the statistics.
    pub const RESETSTAT: &str = "RESETSTAT";
    /// Simple-string reply of a run dropped after its TIMEOUT.
    pub const TIMEDOUT: &str = "TIMEDOUT";
    /// Labels of the `AI.MODELGET` reply, in order (`"blob"` follows when asked for).
    pub const GET_LABELS: [&str; 8] = [
        "backend",
        "device",
        "tag",
        "batchsize",
        "minbatchsize",
        "inputs",
        "outputs",
        "minbatchtimeout",
    ];
    /// Labels of the `AI.INFO` reply, in order.
    pub const INFO_LABELS: [&str; 9] = [
        "key", "type", "backend", "device", "tag", "duration", "samples", "calls", "errors",
    ];
}

/// Keywords of the script commands (SCRIPTSTORE/SCRIPTSET/SCRIPTGET/SCRIPTEXECUTE/SCRIPTRUN); `TAG`, `INPUTS`,
/// `OUTPUTS` and `TIMEOUT` are those of [`model`].
pub mod script {
    /// The TorchScript source follows (store) or is asked for (get).
    pub const SOURCE: &str = "SOURCE";
    /// SCRIPTSTORE: the count and names of the functions that may be executed.
    pub const ENTRY_POINTS: &str = "ENTRY_POINTS";
    /// SCRIPTEXECUTE: key names passed to the function.
    pub const KEYS: &str = "KEYS";
    /// SCRIPTEXECUTE: string arguments passed to the function.
    pub const ARGS: &str = "ARGS";
    /// SCRIPTRUN: starts a variadic list of input tensors.
    pub const VARIADIC: &str = "$";
    /// Labels of the `AI.SCRIPTGET` reply, in order (`"source"` follows when asked for).
    pub const GET_LABELS: [&str; 3] = ["device", "tag", "Entry Points"];
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

/// DAG commands: `AI.DAGEXECUTE[_RO] [LOAD n key...] [PERSIST n key...] [ROUTING key] [TIMEOUT ms] |> op [|> op...]`
/// and the deprecated `AI.DAGRUN[_RO]` (reference §3.11, §3.12).
pub mod dag {
    /// `AI.DAGEXECUTE`: ops may be TENSORSET, TENSORGET, MODELEXECUTE and SCRIPTEXECUTE.
    pub const DAGEXECUTE: &str = "AI.DAGEXECUTE";
    /// `AI.DAGEXECUTE_RO`: no PERSIST, no SCRIPTEXECUTE.
    pub const DAGEXECUTE_RO: &str = "AI.DAGEXECUTE_RO";
    /// Deprecated `AI.DAGRUN`: ops may be TENSORSET, TENSORGET, MODELRUN and SCRIPTRUN.
    pub const DAGRUN: &str = "AI.DAGRUN";
    /// Deprecated `AI.DAGRUN_RO`.
    pub const DAGRUN_RO: &str = "AI.DAGRUN_RO";
    /// `LOAD n key...`: tensors read from the keyspace into the DAG.
    pub const LOAD: &str = "LOAD";
    /// `PERSIST n key...`: DAG tensors written to the keyspace after a successful run.
    pub const PERSIST: &str = "PERSIST";
    /// `ROUTING key`: a key naming the shard the DAG runs on.
    pub const ROUTING: &str = "ROUTING";
    /// Separates the ops.
    pub const CHAIN: &str = "|>";
    /// Reply element of an op that did not run, or of a TENSORGET of a tensor never computed.
    pub const NA: &str = "NA";
}

/// `AI._MODELSCAN`: `[key, tag]` of every stored model (experimental in RedisAI).
pub const MODELSCAN: &str = "AI._MODELSCAN";
/// `AI._SCRIPTSCAN`: `[key, tag]` of every stored script.
pub const SCRIPTSCAN: &str = "AI._SCRIPTSCAN";
