//! Scripts: the stored value (`AI_SCRIPT`), building one (compiling its TorchScript source) and running one of
//! its functions, [`ScriptEntry::execute`] — the single entry point used by `AI.SCRIPTEXECUTE`/`AI.SCRIPTRUN`
//! jobs on the device queues and by DAG ops ([`ScriptRunner`]).

pub mod parse;
pub mod rdb;

use std::sync::Arc;
use std::time::Instant;

use smartredis_protocol::Backend;

use crate::backends::{self, LoadedScript, ModelOptions, ScriptCall};
use crate::config;
use crate::dag::Runner;
use crate::model::stats::{self, Stats};
use crate::tensor::tensor::Tensor;

/// A script: what it was stored with and its compiled form. Shared (`Arc`) by the key and by queued runs.
pub struct ScriptEntry {
    /// The device as the client sent it.
    pub device: String,
    /// The tag (empty if none).
    pub tag: Vec<u8>,
    /// The TorchScript source, as stored (returned by `AI.SCRIPTGET ... SOURCE`).
    pub source: String,
    /// `ENTRY_POINTS` given to `AI.SCRIPTSTORE` (empty for `AI.SCRIPTSET`).
    pub entry_points: Vec<String>,
    /// The compiled script.
    pub loaded: Arc<dyn LoadedScript>,
    /// Run statistics (`AI.INFO`).
    pub stats: Arc<Stats>,
}

/// The value stored under an `AI_SCRIPT` key.
pub struct Script(pub Arc<ScriptEntry>);

impl Drop for Script {
    fn drop(&mut self) {
        stats::unregister(&self.0.stats);
    }
}

/// Loads the TORCH backend (on first use), compiles `source` and checks every entry point. The error is the reply
/// text (libtorch's compile error, one line; RedisAI's entry-point messages, which have no `ERR` prefix).
pub fn build(
    device: String,
    tag: Vec<u8>,
    source: String,
    entry_points: Vec<String>,
    key: &[u8],
) -> Result<ScriptEntry, String> {
    let backend = backends::get_or_load(Backend::Torch)
        .map_err(|why| format!("ERR Could not load backend TORCH: {why}"))?;
    let opts = {
        let c = config::get();
        ModelOptions {
            device: device.to_ascii_uppercase(),
            intra_op_threads: c.intra_op_parallelism,
            inter_op_threads: c.inter_op_parallelism,
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    };
    let loaded = backend.compile_script(&source, &opts)?;
    for e in &entry_points {
        loaded.check_entry_point(e)?;
    }
    let stats = Arc::new(Stats::script(key, &device, &tag));
    Ok(ScriptEntry {
        device,
        tag,
        source,
        entry_points,
        loaded,
        stats,
    })
}

impl ScriptEntry {
    /// The run queue this script runs on (the upper-cased device).
    pub fn queue_name(&self) -> String {
        self.device.to_ascii_uppercase()
    }

    /// Runs `function` on the calling thread (a queue worker; never the main thread, since the script may call
    /// back into Redis) and records the run in the statistics. A stored entry point is called as
    /// `fn(tensors, keys, args)`; any other function gets the inputs positionally (RedisAI's best-effort call, for
    /// scripts stored with `AI.SCRIPTSET`). `n_outputs` is the number of OUTPUTS: the function must return exactly
    /// that many tensors. The error is the reply text.
    pub fn execute(
        &self,
        function: &str,
        inputs: &[&Tensor],
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        n_outputs: usize,
    ) -> Result<Vec<Tensor>, String> {
        let call = ScriptCall {
            function,
            entry_point: self.entry_points.iter().any(|e| e == function),
            inputs,
            keys,
            args,
        };
        let start = Instant::now();
        let result = self.loaded.run(&call).and_then(|outs| {
            if outs.len() == n_outputs {
                Ok(outs)
            } else {
                Err(format!(
                    "Function returned unexpected number of outputs - {function}"
                ))
            }
        });
        let us = start.elapsed().as_micros() as u64;
        self.stats.record_script(us, result.is_ok());
        result
    }
}

/// A DAG's script op: a function of a script with its KEYS and ARGS bound.
pub struct ScriptRunner {
    /// The script, resolved at parse time (kept alive if its key is deleted meanwhile).
    pub script: Arc<ScriptEntry>,
    /// The function to call.
    pub function: String,
    /// `KEYS`, passed as strings.
    pub keys: Vec<Vec<u8>>,
    /// `ARGS`, passed as strings.
    pub args: Vec<Vec<u8>>,
    /// The number of outputs the op names.
    pub noutputs: usize,
}

impl Runner for ScriptRunner {
    fn queue(&self) -> String {
        self.script.queue_name()
    }

    fn run(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
        self.script.execute(
            &self.function,
            inputs,
            &self.keys,
            &self.args,
            self.noutputs,
        )
    }
}
