//! Models: the stored value (`AI__MODEL`), its run statistics, argument parsing and the RDB/AOF encoding.

pub mod parse;
pub mod rdb;
pub mod stats;

use std::sync::Arc;

use smartredis_protocol::Backend;

use crate::backends::{self, LoadedModel, ModelOptions};
use crate::config;

use stats::Stats;

/// What a model was stored with (the `AI.MODELSTORE` arguments other than the blob).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelMeta {
    /// The backend.
    pub backend: Backend,
    /// The device as the client sent it.
    pub device: String,
    /// The tag (empty if none).
    pub tag: Vec<u8>,
    /// `BATCHSIZE` (0 = no batching).
    pub batch_size: u64,
    /// `MINBATCHSIZE`.
    pub min_batch_size: u64,
    /// `MINBATCHTIMEOUT` in ms.
    pub min_batch_timeout: u64,
    /// Input names given with `INPUTS` (used by backends that need them; TF).
    pub inputs: Vec<String>,
    /// Output names given with `OUTPUTS`.
    pub outputs: Vec<String>,
}

/// A model: its metadata, serialized bytes and the backend's loaded form. Shared (`Arc`) by the key and by every
/// queued run, so deleting the key while runs are queued is safe.
pub struct ModelEntry {
    /// Store-time arguments.
    pub meta: ModelMeta,
    /// The serialized model, as stored (returned by `AI.MODELGET ... BLOB`).
    pub blob: Arc<[u8]>,
    /// The backend's model.
    pub loaded: Arc<dyn LoadedModel>,
    /// Run statistics (`AI.INFO`).
    pub stats: Arc<Stats>,
}

impl ModelEntry {
    /// Input names: the backend's (for ONNX, the graph's; for TF, those given with `INPUTS`).
    pub fn inputs(&self) -> &[String] {
        self.loaded.inputs()
    }

    /// Output names.
    pub fn outputs(&self) -> &[String] {
        self.loaded.outputs()
    }

    /// The run queue this model runs on (the upper-cased device).
    pub fn queue_name(&self) -> String {
        self.meta.device.to_ascii_uppercase()
    }
}

/// The value stored under an `AI__MODEL` key.
pub struct Model(pub Arc<ModelEntry>);

impl Drop for Model {
    fn drop(&mut self) {
        // The key is gone (DEL, overwrite, flush): its statistics go with it.
        stats::unregister(&self.0.stats);
    }
}

/// Loads the backend (on first use) and builds the model. The error is the reply text.
pub fn build(meta: ModelMeta, blob: Vec<u8>, key: &[u8]) -> Result<ModelEntry, String> {
    let backend = backends::get_or_load(meta.backend)
        .map_err(|why| format!("ERR Could not load backend {}: {why}", meta.backend.name()))?;
    let opts = {
        let c = config::get();
        ModelOptions {
            device: meta.device.to_ascii_uppercase(),
            intra_op_threads: c.intra_op_parallelism,
            inter_op_threads: c.inter_op_parallelism,
            inputs: meta.inputs.clone(),
            outputs: meta.outputs.clone(),
        }
    };
    let loaded = backend.load_model(&blob, &opts)?;
    let stats = Arc::new(Stats::new(key, "MODEL", &meta));
    Ok(ModelEntry {
        meta,
        blob: blob.into(),
        loaded,
        stats,
    })
}
