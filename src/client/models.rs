//! Models and scripts: store (also from a file, also one copy per GPU), fetch, run, delete, exists, poll, and the
//! model chunk size (reference §4.7, §4.8).
//!
//! Model and script keys take the model ensemble prefix (off by default). In a cluster every model and script is
//! stored on every primary under `{<prefix>}.<key>` (the prefix hashing to that primary's lowest slot,
//! [`smartredis_protocol::model`]) and read from the primary with the lowest slot, byte for byte as the other
//! SmartRedis clients do. `run_model`/`run_script` then copy the inputs to temporary keys on the model's primary,
//! execute, copy the outputs back and delete the temporary keys (also when the run fails).
//!
//! Fixed upstream bugs: a model fetched in several chunks is concatenated correctly; multi-GPU copies go to GPUs
//! `first_gpu .. first_gpu + num_gpus`; the model chunk size is set on every primary, cached, and not printed;
//! a run that times out on the server is an error; backend and device are checked by the server, whose text is
//! returned.

use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use redis::Value;
use smartredis_protocol::model::{
    cluster_key, cluster_prefix, gpu_device, gpu_key, GPU, TMP_SUFFIX,
};

use super::{key_error, poll, Client, Entity};
use crate::ai::{self, Args, ModelSpec};
use crate::cluster::{Slot, SlotMap};
use crate::enums::SRLoggingLevel;
use crate::error::{Error, Result};
use crate::logging::LogSource;
use crate::tensor::{Layout, TensorRef};
use crate::transport::tensor::{GetTarget, TensorGet, TensorSet};
use crate::transport::{ArgsRequest, CallError, Connection, NodeConnection, Route};

/// The optional parts of a model: auto-batching, a tag, and (TensorFlow only) graph input and output names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelOptions {
    /// Largest batch the server assembles from concurrent runs (0: no batching).
    pub batch_size: i32,
    /// Smallest batch worth running (0: none; needs `batch_size`).
    pub min_batch_size: i32,
    /// Milliseconds to wait for `min_batch_size` (0: none; needs `min_batch_size`).
    pub min_batch_timeout: i32,
    /// A free-form tag stored with the model ("" for none).
    pub tag: String,
    /// Graph input names (TF models only).
    pub inputs: Vec<String>,
    /// Graph output names (TF models only).
    pub outputs: Vec<String>,
}

/// Whether `backend` is TensorFlow, the only backend that takes input and output names (compared over its whole
/// length, case-insensitively: upstream quirk 18 read past the end of the C string).
pub fn is_tensorflow(backend: &str) -> bool {
    backend.eq_ignore_ascii_case("TF")
}

fn nonempty(value: &str, what: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::Parameter(format!("{what} must not be empty")));
    }
    Ok(())
}

fn check_gpus(first_gpu: i32, num_gpus: i32) -> Result<()> {
    if first_gpu < 0 {
        return Err(Error::Parameter(
            "first_gpu must be a non-negative integer".into(),
        ));
    }
    if num_gpus < 1 {
        return Err(Error::Parameter(
            "num_gpus must be a positive integer".into(),
        ));
    }
    first_gpu
        .checked_add(num_gpus)
        .map(|_| ())
        .ok_or_else(|| Error::Parameter("first_gpu + num_gpus is too large".into()))
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    if path.as_os_str().is_empty() {
        return Err(Error::Parameter(format!("{what} must not be empty")));
    }
    std::fs::read(path)
        .map_err(|e| Error::Runtime(format!("Could not read {what} {}: {e}", path.display())))
}

fn lossy(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

fn expect_ok(v: Value, what: &str, key: &[u8]) -> Result<()> {
    match v {
        Value::Okay => Ok(()),
        Value::SimpleString(s) if s == "OK" => Ok(()),
        Value::SimpleString(s) if s == smartredis_protocol::commands::model::TIMEDOUT => {
            Err(Error::Timeout(format!(
                "{what} {} timed out on the server (SR_MODEL_TIMEOUT)",
                lossy(key)
            )))
        }
        other => Err(Error::Runtime(format!(
            "Unexpected reply to {what} {}: {other:?}",
            lossy(key)
        ))),
    }
}

/// The key prefix of every primary (in slot order): the text whose CRC16 is the primary's lowest slot.
fn shard_prefixes(map: &SlotMap) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for r in map.ranges() {
        if out.iter().any(|(a, _)| *a == r.addr) {
            continue;
        }
        let p = cluster_prefix(r.lo)
            .ok_or_else(|| Error::Internal(format!("no key prefix for slot {}", r.lo)))?;
        out.push((r.addr.clone(), p));
    }
    Ok(out)
}

/// The key prefix of the primary that serves `slot`.
fn prefix_for_slot(map: &SlotMap, slot: Slot) -> Result<Vec<u8>> {
    let addr = map
        .node_for(slot)
        .ok_or_else(|| Error::Database(format!("No cluster node serves slot {}", slot.get())))?;
    shard_prefixes(map)?
        .into_iter()
        .find(|(a, _)| a == addr)
        .map(|(_, p)| p)
        .ok_or_else(|| Error::Internal(format!("no key prefix for {addr}")))
}

/// A token that makes the temporary keys of one run unique (process, call counter and a per-process random
/// seed), so concurrent runs of the same model on the same input names never share temporaries.
fn run_token() -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u64(n);
    format!("{:016x}", h.finish())
}

impl Client {
    /// The chunk size in which model bytes are sent: the cached value, else `AI.CONFIG GET MODEL_CHUNK_SIZE`
    /// (asked once; [`set_model_chunk_size`](Self::set_model_chunk_size) also sets it).
    fn model_chunk_size(&mut self) -> Result<usize> {
        if let Some(n) = self.model_chunk_size {
            return Ok(n);
        }
        let args = ai::config_get_model_chunk_size();
        let v = self
            .conn
            .request(Route::Any, &mut ArgsRequest(&args))
            .map_err(|e| key_error(e, "AI.CONFIG GET", "MODEL_CHUNK_SIZE"))?;
        let n = match v {
            Value::Int(n) if n > 0 => n as usize,
            other => {
                return Err(Error::Runtime(format!(
                    "Unexpected reply to AI.CONFIG GET MODEL_CHUNK_SIZE: {other:?}"
                )))
            }
        };
        self.model_chunk_size = Some(n);
        Ok(n)
    }

    /// Sets the server's `MODEL_CHUNK_SIZE` (bytes per piece in which models are sent and returned) on every
    /// primary, and uses it for this client's uploads.
    pub fn set_model_chunk_size(&mut self, chunk_size: i32) -> Result<()> {
        let n = usize::try_from(chunk_size)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| Error::Parameter("chunk_size must be a positive integer".into()))?;
        let args = ai::config_model_chunk_size(n);
        self.conn.fan_out(|node| {
            let v = node
                .request(&mut ArgsRequest(&args))
                .map_err(|e| key_error(e, "AI.CONFIG", "MODEL_CHUNK_SIZE"))?;
            expect_ok(v, "AI.CONFIG", b"MODEL_CHUNK_SIZE")
        })?;
        self.model_chunk_size = Some(n);
        Ok(())
    }

    /// Runs the command `build(key)` makes on every primary, `key` rewritten to `{<prefix>}.key` in a cluster;
    /// each reply must be `+OK`.
    fn on_every_shard<'s>(
        &mut self,
        key: &str,
        what: &str,
        build: impl Fn(Vec<u8>) -> Args<'s> + Sync,
    ) -> Result<()> {
        let run = |node: &mut NodeConnection, k: Vec<u8>| -> Result<()> {
            let label = format!("{} at {}", lossy(&k), node.addr());
            let args = build(k);
            let v = node
                .request(&mut ArgsRequest(&args))
                .map_err(|e| key_error(e, what, &label))?;
            expect_ok(v, what, label.as_bytes())
        };
        match &mut self.conn {
            Connection::Standalone(node) => run(node, key.as_bytes().to_vec()),
            Connection::Cluster(c) => {
                let prefixes = shard_prefixes(c.slot_map())?;
                c.fan_out(|node| {
                    let addr = node.addr().to_string();
                    let p = prefixes
                        .iter()
                        .find(|(a, _)| *a == addr)
                        .map(|(_, p)| p)
                        .ok_or_else(|| Error::Internal(format!("no key prefix for {addr}")))?;
                    run(node, cluster_key(p, key.as_bytes()))
                })?;
                Ok(())
            }
        }
    }

    /// The key a model or script is read from: `key` itself, or in a cluster the copy on the primary with the
    /// lowest slot.
    fn read_key(&self, key: &str) -> Result<Vec<u8>> {
        match &self.conn {
            Connection::Standalone(_) => Ok(key.as_bytes().to_vec()),
            Connection::Cluster(c) => {
                let lo = c
                    .slot_map()
                    .ranges()
                    .first()
                    .map(|r| r.lo)
                    .ok_or_else(|| Error::Database("The cluster serves no slots".into()))?;
                let p = cluster_prefix(lo)
                    .ok_or_else(|| Error::Internal(format!("no key prefix for slot {lo}")))?;
                Ok(cluster_key(&p, key.as_bytes()))
            }
        }
    }

    /// Runs `args` on the node holding `key`.
    fn query_bytes(&mut self, key: &[u8], args: &Args<'_>, what: &str) -> Result<Value> {
        self.conn
            .request(Route::Key(key), &mut ArgsRequest(args))
            .map_err(|e| key_error(e, what, &lossy(key)))
    }

    fn check_model(
        &self,
        name: &str,
        backend: &str,
        device: &str,
        opts: &ModelOptions,
    ) -> Result<()> {
        nonempty(name, "name")?;
        nonempty(backend, "backend")?;
        nonempty(device, "device")?;
        if !is_tensorflow(backend) {
            if !opts.inputs.is_empty() {
                return Err(Error::Parameter(
                    "INPUTS in the model set command is only valid for TF models".into(),
                ));
            }
            if !opts.outputs.is_empty() {
                return Err(Error::Parameter(
                    "OUTPUTS in the model set command is only valid for TF models".into(),
                ));
            }
        }
        if opts.batch_size < 0 || opts.min_batch_size < 0 || opts.min_batch_timeout < 0 {
            return Err(Error::Parameter(
                "batch_size, min_batch_size and min_batch_timeout must not be negative".into(),
            ));
        }
        if opts.batch_size == 0 && (opts.min_batch_size > 0 || opts.min_batch_timeout > 0) {
            return Err(Error::Runtime(
                "batch_size must be non-zero if min_batch_size or min_batch_timeout is used; otherwise \
                 batching will not be performed."
                    .into(),
            ));
        }
        if opts.min_batch_timeout > 0 && opts.min_batch_size == 0 {
            return Err(Error::Runtime(
                "min_batch_size must be non-zero if min_batch_timeout is used; otherwise the \
                 min_batch_timeout parameter is ignored."
                    .into(),
            ));
        }
        if opts.min_batch_size > 0 && opts.min_batch_timeout == 0 {
            self.log_warning(
                SRLoggingLevel::LLInfo,
                "min_batch_size was set without min_batch_timeout: the server may wait indefinitely for the \
                 minimum batch size",
            );
        }
        Ok(())
    }

    fn store_model(
        &mut self,
        key: &str,
        model: &[u8],
        backend: &str,
        device: &str,
        opts: &ModelOptions,
    ) -> Result<()> {
        let chunk = self.model_chunk_size()?;
        let spec = ModelSpec {
            backend,
            device,
            tag: &opts.tag,
            batch_size: opts.batch_size,
            min_batch_size: opts.min_batch_size,
            min_batch_timeout: opts.min_batch_timeout,
            inputs: &opts.inputs,
            outputs: &opts.outputs,
        };
        self.on_every_shard(key, "AI.MODELSTORE", |k| {
            ai::modelstore(k, &spec, model, chunk)
        })
    }

    /// Stores `model` (the serialized bytes) under `name` with `backend` (`TF`, `TFLITE`, `TORCH`, `ONNX`) on
    /// `device` (`CPU`, `GPU`, `GPU:<n>`), split in pieces of the model chunk size. In a cluster a copy goes to
    /// every primary. Backend and device are checked by the server, whose error text is returned.
    pub fn set_model(
        &mut self,
        name: &str,
        model: &[u8],
        backend: &str,
        device: &str,
        opts: &ModelOptions,
    ) -> Result<()> {
        self.check_model(name, backend, device, opts)?;
        let key = self.put_key(Entity::Model, name);
        self.store_model(&key, model, backend, device, opts)
    }

    /// [`set_model`](Self::set_model) with the bytes of the file at `model_file` (a file that cannot be read is
    /// a runtime error).
    pub fn set_model_from_file(
        &mut self,
        name: &str,
        model_file: &Path,
        backend: &str,
        device: &str,
        opts: &ModelOptions,
    ) -> Result<()> {
        self.check_model(name, backend, device, opts)?;
        let model = read_file(model_file, "model_file")?;
        self.set_model(name, &model, backend, device, opts)
    }

    /// Stores one copy of `model` per GPU `first_gpu .. first_gpu + num_gpus` (key `<name>.GPU:<i>`, device
    /// `GPU:<i>`) plus one under `name` on device `GPU`.
    pub fn set_model_multigpu(
        &mut self,
        name: &str,
        model: &[u8],
        backend: &str,
        first_gpu: i32,
        num_gpus: i32,
        opts: &ModelOptions,
    ) -> Result<()> {
        check_gpus(first_gpu, num_gpus)?;
        self.check_model(name, backend, GPU, opts)?;
        let key = self.put_key(Entity::Model, name);
        for gpu in first_gpu..first_gpu + num_gpus {
            self.store_model(&gpu_key(&key, gpu), model, backend, &gpu_device(gpu), opts)?;
        }
        self.store_model(&key, model, backend, GPU, opts)
    }

    /// [`set_model_multigpu`](Self::set_model_multigpu) with the bytes of the file at `model_file`.
    pub fn set_model_from_file_multigpu(
        &mut self,
        name: &str,
        model_file: &Path,
        backend: &str,
        first_gpu: i32,
        num_gpus: i32,
        opts: &ModelOptions,
    ) -> Result<()> {
        check_gpus(first_gpu, num_gpus)?;
        self.check_model(name, backend, GPU, opts)?;
        let model = read_file(model_file, "model_file")?;
        self.set_model_multigpu(name, &model, backend, first_gpu, num_gpus, opts)
    }

    /// The serialized bytes of model `name` (`AI.MODELGET key BLOB`), its chunks concatenated.
    pub fn get_model(&mut self, name: &str) -> Result<Vec<u8>> {
        nonempty(name, "name")?;
        let key = self.read_key(&self.get_key(Entity::Model, name))?;
        match self.query_bytes(&key, &ai::modelget_blob(&key), "AI.MODELGET")? {
            Value::BulkString(b) => Ok(b),
            Value::Array(chunks) => {
                let mut out = Vec::new();
                for c in chunks {
                    match c {
                        Value::BulkString(b) => out.extend_from_slice(&b),
                        other => {
                            return Err(Error::Runtime(format!(
                                "Unexpected model chunk from AI.MODELGET: {other:?}"
                            )))
                        }
                    }
                }
                Ok(out)
            }
            other => Err(Error::Runtime(format!(
                "Unexpected reply to AI.MODELGET: {other:?}"
            ))),
        }
    }

    /// Deletes model `name` (from every primary in a cluster).
    pub fn delete_model(&mut self, name: &str) -> Result<()> {
        nonempty(name, "name")?;
        let key = self.get_key(Entity::Model, name);
        self.on_every_shard(&key, "AI.MODELDEL", ai::modeldel)
    }

    /// Deletes the copies [`set_model_multigpu`](Self::set_model_multigpu) stored.
    pub fn delete_model_multigpu(
        &mut self,
        name: &str,
        first_gpu: i32,
        num_gpus: i32,
    ) -> Result<()> {
        nonempty(name, "name")?;
        check_gpus(first_gpu, num_gpus)?;
        let key = self.get_key(Entity::Model, name);
        for gpu in first_gpu..first_gpu + num_gpus {
            self.on_every_shard(&gpu_key(&key, gpu), "AI.MODELDEL", ai::modeldel)?;
        }
        self.on_every_shard(&key, "AI.MODELDEL", ai::modeldel)
    }

    /// Whether model (or script) `name` exists (`EXISTS`, on the lowest-slot primary in a cluster).
    pub fn model_exists(&mut self, name: &str) -> Result<bool> {
        let key = self.read_key(&self.get_key(Entity::Model, name))?;
        match self.query_bytes(&key, &ai::exists(&key), "EXISTS")? {
            Value::Int(n) => Ok(n > 0),
            other => Err(Error::Runtime(format!(
                "Unexpected reply to EXISTS: {other:?}"
            ))),
        }
    }

    /// Polls [`model_exists`](Self::model_exists) up to `num_tries` times, `poll_frequency_ms` apart.
    pub fn poll_model(
        &mut self,
        name: &str,
        poll_frequency_ms: i32,
        num_tries: i32,
    ) -> Result<bool> {
        poll(poll_frequency_ms, num_tries, || self.model_exists(name))
    }

    /// Runs model `name` on the tensors `inputs` (get prefix) into the tensors `outputs` (put prefix):
    /// `AI.MODELEXECUTE ... TIMEOUT <SR_MODEL_TIMEOUT>`. A failed run returns the server's error text.
    pub fn run_model<S: AsRef<str>>(
        &mut self,
        name: &str,
        inputs: &[S],
        outputs: &[S],
    ) -> Result<()> {
        nonempty(name, "name")?;
        let key = self.get_key(Entity::Model, name);
        self.run_model_key(&key, inputs, outputs)
    }

    fn run_model_key<S: AsRef<str>>(
        &mut self,
        key: &str,
        inputs: &[S],
        outputs: &[S],
    ) -> Result<()> {
        let timeout = self.settings.model_timeout_ms;
        self.execute(key, inputs, outputs, "AI.MODELEXECUTE", |k, i, o| {
            ai::modelexecute(k, i, o, timeout)
        })
    }

    /// Runs the copy of model `name` on GPU `first_gpu + offset mod num_gpus` (see
    /// [`set_model_multigpu`](Self::set_model_multigpu)).
    pub fn run_model_multigpu<S: AsRef<str>>(
        &mut self,
        name: &str,
        inputs: &[S],
        outputs: &[S],
        offset: i32,
        first_gpu: i32,
        num_gpus: i32,
    ) -> Result<()> {
        nonempty(name, "name")?;
        check_gpus(first_gpu, num_gpus)?;
        let gpu = first_gpu + offset.rem_euclid(num_gpus);
        let key = gpu_key(&self.get_key(Entity::Model, name), gpu);
        self.run_model_key(&key, inputs, outputs)
            .map_err(|e| on_gpu(e, "model", gpu))
    }

    /// Stores TorchScript `script` under `name` on `device` (`AI.SCRIPTSET`; on every primary in a cluster).
    pub fn set_script(&mut self, name: &str, device: &str, script: &str) -> Result<()> {
        nonempty(name, "name")?;
        nonempty(device, "device")?;
        let key = self.put_key(Entity::Model, name);
        self.on_every_shard(&key, "AI.SCRIPTSET", |k| ai::scriptset(k, device, script))
    }

    /// [`set_script`](Self::set_script) with the text of the file at `script_file`.
    pub fn set_script_from_file(
        &mut self,
        name: &str,
        device: &str,
        script_file: &Path,
    ) -> Result<()> {
        nonempty(name, "name")?;
        nonempty(device, "device")?;
        let script = script_text(read_file(script_file, "script_file")?)?;
        self.set_script(name, device, &script)
    }

    /// Stores one copy of `script` per GPU `first_gpu .. first_gpu + num_gpus` plus one on device `GPU`.
    pub fn set_script_multigpu(
        &mut self,
        name: &str,
        script: &str,
        first_gpu: i32,
        num_gpus: i32,
    ) -> Result<()> {
        nonempty(name, "name")?;
        check_gpus(first_gpu, num_gpus)?;
        let key = self.put_key(Entity::Model, name);
        for gpu in first_gpu..first_gpu + num_gpus {
            let device = gpu_device(gpu);
            self.on_every_shard(&gpu_key(&key, gpu), "AI.SCRIPTSET", |k| {
                ai::scriptset(k, &device, script)
            })?;
        }
        self.on_every_shard(&key, "AI.SCRIPTSET", |k| ai::scriptset(k, GPU, script))
    }

    /// [`set_script_multigpu`](Self::set_script_multigpu) with the text of the file at `script_file`.
    pub fn set_script_from_file_multigpu(
        &mut self,
        name: &str,
        script_file: &Path,
        first_gpu: i32,
        num_gpus: i32,
    ) -> Result<()> {
        nonempty(name, "name")?;
        check_gpus(first_gpu, num_gpus)?;
        let script = script_text(read_file(script_file, "script_file")?)?;
        self.set_script_multigpu(name, &script, first_gpu, num_gpus)
    }

    /// The source of script `name` (`AI.SCRIPTGET key SOURCE`).
    pub fn get_script(&mut self, name: &str) -> Result<String> {
        nonempty(name, "name")?;
        let key = self.read_key(&self.get_key(Entity::Model, name))?;
        match self.query_bytes(&key, &ai::scriptget_source(&key), "AI.SCRIPTGET")? {
            Value::BulkString(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
            Value::SimpleString(s) => Ok(s),
            other => Err(Error::Runtime(format!(
                "Unexpected reply to AI.SCRIPTGET: {other:?}"
            ))),
        }
    }

    /// Runs `function` of script `name` on `inputs` (get prefix) into `outputs` (put prefix): `AI.SCRIPTRUN`.
    /// A failed run returns the server's error text.
    pub fn run_script<S: AsRef<str>>(
        &mut self,
        name: &str,
        function: &str,
        inputs: &[S],
        outputs: &[S],
    ) -> Result<()> {
        nonempty(name, "name")?;
        nonempty(function, "function")?;
        let key = self.get_key(Entity::Model, name);
        self.execute(&key, inputs, outputs, "AI.SCRIPTRUN", |k, i, o| {
            ai::scriptrun(k, function, i, o)
        })
    }

    /// Runs `function` of the copy of script `name` on GPU `first_gpu + offset mod num_gpus`.
    #[allow(clippy::too_many_arguments)]
    pub fn run_script_multigpu<S: AsRef<str>>(
        &mut self,
        name: &str,
        function: &str,
        inputs: &[S],
        outputs: &[S],
        offset: i32,
        first_gpu: i32,
        num_gpus: i32,
    ) -> Result<()> {
        nonempty(name, "name")?;
        nonempty(function, "function")?;
        check_gpus(first_gpu, num_gpus)?;
        let gpu = first_gpu + offset.rem_euclid(num_gpus);
        let key = gpu_key(&self.get_key(Entity::Model, name), gpu);
        self.execute(&key, inputs, outputs, "AI.SCRIPTRUN", |k, i, o| {
            ai::scriptrun(k, function, i, o)
        })
        .map_err(|e| on_gpu(e, "script", gpu))
    }

    /// Deletes script `name` (from every primary in a cluster).
    pub fn delete_script(&mut self, name: &str) -> Result<()> {
        nonempty(name, "name")?;
        let key = self.get_key(Entity::Model, name);
        self.on_every_shard(&key, "AI.SCRIPTDEL", ai::scriptdel)
    }

    /// Deletes the copies [`set_script_multigpu`](Self::set_script_multigpu) stored.
    pub fn delete_script_multigpu(
        &mut self,
        name: &str,
        first_gpu: i32,
        num_gpus: i32,
    ) -> Result<()> {
        nonempty(name, "name")?;
        check_gpus(first_gpu, num_gpus)?;
        let key = self.get_key(Entity::Model, name);
        for gpu in first_gpu..first_gpu + num_gpus {
            self.on_every_shard(&gpu_key(&key, gpu), "AI.SCRIPTDEL", ai::scriptdel)?;
        }
        self.on_every_shard(&key, "AI.SCRIPTDEL", ai::scriptdel)
    }

    /// Runs the command `build(model key, input keys, output keys)` makes. Standalone: on the model's key. In a
    /// cluster: on the primary serving the first input (the lowest-slot primary without inputs), with the inputs
    /// copied to, and the outputs copied back from, temporary keys on that primary, deleted afterwards.
    fn execute<'f, S: AsRef<str>>(
        &mut self,
        key: &str,
        inputs: &[S],
        outputs: &[S],
        what: &str,
        build: impl Fn(Vec<u8>, &[Vec<u8>], &[Vec<u8>]) -> Args<'f>,
    ) -> Result<()> {
        let ins: Vec<Vec<u8>> = inputs
            .iter()
            .map(|n| self.get_key(Entity::Tensor, n.as_ref()).into_bytes())
            .collect();
        let outs: Vec<Vec<u8>> = outputs
            .iter()
            .map(|n| self.put_key(Entity::Tensor, n.as_ref()).into_bytes())
            .collect();
        let prefix = match &self.conn {
            Connection::Standalone(_) => None,
            Connection::Cluster(c) => {
                let map = c.slot_map();
                let slot = match ins.first() {
                    Some(k) => Slot::for_key(k),
                    None => Slot::new(map.ranges().first().map_or(0, |r| r.lo))?,
                };
                Some(prefix_for_slot(map, slot)?)
            }
        };
        let Some(p) = prefix else {
            let args = build(key.as_bytes().to_vec(), &ins, &outs);
            let v = self.query_bytes(key.as_bytes(), &args, what)?;
            return expect_ok(v, what, key.as_bytes());
        };
        let token = run_token();
        let tmp = |k: &[u8]| {
            let mut name = k.to_vec();
            name.push(b'.');
            name.extend_from_slice(token.as_bytes());
            name.extend_from_slice(TMP_SUFFIX.as_bytes());
            cluster_key(&p, &name)
        };
        let tmp_ins: Vec<Vec<u8>> = ins.iter().map(|k| tmp(k)).collect();
        let tmp_outs: Vec<Vec<u8>> = outs.iter().map(|k| tmp(k)).collect();
        let model_key = cluster_key(&p, key.as_bytes());
        let result = (|| {
            for (src, dst) in ins.iter().zip(&tmp_ins) {
                self.copy_tensor_bytes(src, dst)?;
            }
            let args = build(model_key.clone(), &tmp_ins, &tmp_outs);
            let v = self.query_bytes(&model_key, &args, what)?;
            expect_ok(v, what, key.as_bytes())?;
            for (src, dst) in tmp_outs.iter().zip(&outs) {
                self.copy_tensor_bytes(src, dst)?;
            }
            Ok(())
        })();
        let temporaries: Vec<&Vec<u8>> = tmp_outs.iter().chain(&tmp_ins).collect();
        if let Some(first) = temporaries.first() {
            let first = first.to_vec();
            // The temporaries share one slot; a failed clean-up does not hide the run's own result.
            let _ = self.query_bytes(&first, &ai::del(&temporaries), "DEL");
        }
        result
    }

    /// Copies the tensor at key `src` to key `dst` (`AI.TENSORGET`, then `AI.TENSORSET`; keys as given).
    fn copy_tensor_bytes(&mut self, src: &[u8], dst: &[u8]) -> Result<()> {
        let label = lossy(src);
        let mut get = TensorGet::new(src, &label, GetTarget::Owned(Layout::Contiguous));
        let t = self
            .conn
            .request(Route::Key(src), &mut get)
            .map_err(|e| key_error(e, "AI.TENSORGET", &label))?
            .ok_or_else(|| Error::Internal("AI.TENSORGET returned no tensor".into()))?;
        let view = TensorRef::from_stored(&t)?;
        let mut set = TensorSet::new(dst, &view);
        self.conn
            .request(Route::Key(dst), &mut set)
            .map_err(|e: CallError| key_error(e, "AI.TENSORSET", &lossy(dst)))
    }
}

fn script_text(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes)
        .map_err(|_| Error::Parameter("script_file is not valid UTF-8 text".into()))
}

/// Upstream's message for a failed multi-GPU run, followed by the cause.
fn on_gpu(e: Error, what: &str, gpu: i32) -> Error {
    let msg = format!(
        "An error occured while executing the {what} on GPU:{gpu}: {}",
        e.message()
    );
    match e {
        Error::Timeout(_) => Error::Timeout(msg),
        Error::Parameter(_) => Error::Parameter(msg),
        Error::Database(_) => Error::Database(msg),
        _ => Error::Runtime(msg),
    }
}
