//! `AI.MODELSTORE`, `AI.MODELGET`, `AI.MODELDEL`, `AI.MODELEXECUTE`, the deprecated `AI.MODELSET` and
//! `AI.MODELRUN`, and `AI.INFO` (reference §3.3–3.6, §3.12, §3.14).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use redis_module::{Context, ContextFlags, RedisError, RedisResult, RedisString, RedisValue};
use smartredis_protocol::commands::keyword::{BLOB, META};
use smartredis_protocol::commands::model::RESETSTAT;

use crate::config;
use crate::guard::REPLIED;
use crate::model::parse::{self, ParseError, RunArgs, StoreArgs};
use crate::model::rdb::{chunks, MODEL_TYPE};
use crate::model::{self as models, stats, Model};
use crate::queue;
use crate::tensor::parse::msg::EMPTY_KEY;
use crate::tensor::rdb::TENSOR_TYPE;
use crate::tensor::reply;
use crate::tensor::tensor::Tensor;

/// `ERR model key is empty`.
pub const MODEL_EMPTY: &str = "ERR model key is empty";
/// Blocking commands refused inside MULTI/EXEC and Lua.
pub const NO_BLOCKING: &str = "ERR Cannot run RedisAI command within a transaction or a LUA script";

/// A model-command parse failure as the error reply.
pub(crate) fn parse_error(e: ParseError) -> RedisError {
    match e {
        ParseError::Arity => RedisError::WrongArity,
        ParseError::Msg(m) => RedisError::String(m),
    }
}

/// `AI.MODELSTORE key backend device [TAG t] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT t]]]
/// [INPUTS n ... OUTPUTS n ...] BLOB chunk...` — `+OK`, replicated verbatim.
pub fn modelstore(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let parsed = parse::parse_modelstore(args).map_err(parse_error)?;
    store(ctx, args, parsed)
}

/// The deprecated `AI.MODELSET` (no counts before INPUTS/OUTPUTS).
pub fn modelset(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let parsed = parse::parse_modelset(args).map_err(parse_error)?;
    store(ctx, args, parsed)
}

fn store(ctx: &Context, args: &[RedisString], parsed: StoreArgs) -> RedisResult {
    let parts = &args[parsed.blob_start..];
    let size: usize = parts.iter().map(|a| a.as_slice().len()).sum();
    let max = config::get().model_blob_max;
    if max > 0 && size as u64 > max as u64 {
        return Err(RedisError::String(format!(
            "ERR model blob is {size} bytes, more than MODEL_BLOB_MAX ({max})"
        )));
    }
    config::check_headroom(size).map_err(RedisError::Str)?;
    let mut blob = Vec::with_capacity(size);
    for p in parts {
        blob.extend_from_slice(p.as_slice());
    }
    let keyname = args[1].as_slice();
    let entry = models::build(parsed.meta, blob, keyname).map_err(|e| {
        ctx.log_warning(&e);
        RedisError::String(e)
    })?;
    queue::ensure(&entry.queue_name()).map_err(RedisError::String)?;
    let key = ctx.open_key_writable(&args[1]);
    if !key.is_empty() && key.get_value::<Model>(&MODEL_TYPE).is_err() {
        return Err(RedisError::WrongType);
    }
    let stats = entry.stats.clone();
    key.set_value(&MODEL_TYPE, Model(Arc::new(entry)))
        .map_err(|_| RedisError::Str("ERR could not store the model"))?;
    stats::register(&stats);
    ctx.replicate_verbatim();
    reply::ok(ctx);
    REPLIED
}

/// The model stored at `key`: `ERR model key is empty` / WRONGTYPE.
pub(crate) fn lookup_model(
    ctx: &Context,
    key: &RedisString,
) -> Result<Arc<models::ModelEntry>, RedisError> {
    let k = ctx.open_key(key);
    let m = k
        .get_value::<Model>(&MODEL_TYPE)
        .map_err(|_| RedisError::WrongType)?
        .ok_or(RedisError::Str(MODEL_EMPTY))?;
    Ok(m.0.clone())
}

/// Sends the blob as one bulk string, or as an array of `MODEL_CHUNK_SIZE` chunks when it needs more than one.
fn reply_blob(ctx: &Context, blob: &[u8]) {
    let parts = chunks(blob, config::get().model_chunk_size.max(1) as usize);
    if parts.len() > 1 {
        reply::array(ctx, parts.len());
        for p in parts {
            reply::bulk(ctx, p);
        }
    } else {
        reply::bulk(ctx, blob);
    }
}

/// `AI.MODELGET key [META] [BLOB]` (unknown tokens ignored).
pub fn modelget(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if !(2..=4).contains(&args.len()) {
        return Err(RedisError::WrongArity);
    }
    let m = lookup_model(ctx, &args[1])?;
    let (meta, blob) = (has_token(args, META), has_token(args, BLOB));
    if blob && !meta {
        reply_blob(ctx, &m.blob);
        return REPLIED;
    }
    let with_blob = !meta || blob;
    reply::array(ctx, if with_blob { 18 } else { 16 });
    reply::bulk(ctx, b"backend");
    reply::bulk(ctx, m.meta.backend.name().as_bytes());
    reply::bulk(ctx, b"device");
    reply::bulk(ctx, m.meta.device.as_bytes());
    reply::bulk(ctx, b"tag");
    reply::bulk(ctx, &m.meta.tag);
    reply::bulk(ctx, b"batchsize");
    reply::integer(ctx, m.meta.batch_size as i64);
    reply::bulk(ctx, b"minbatchsize");
    reply::integer(ctx, m.meta.min_batch_size as i64);
    for (label, names) in [("inputs", m.inputs()), ("outputs", m.outputs())] {
        reply::bulk(ctx, label.as_bytes());
        reply::array(ctx, names.len());
        for n in names {
            reply::bulk(ctx, n.as_bytes());
        }
    }
    reply::bulk(ctx, b"minbatchtimeout");
    reply::integer(ctx, m.meta.min_batch_timeout as i64);
    if with_blob {
        reply::bulk(ctx, b"blob");
        reply_blob(ctx, &m.blob);
    }
    REPLIED
}

/// `AI.MODELDEL key` — `+OK`, replicated verbatim.
pub fn modeldel(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if args.len() != 2 {
        return Err(RedisError::WrongArity);
    }
    lookup_model(ctx, &args[1])?;
    ctx.open_key_writable(&args[1]).delete()?;
    ctx.replicate_verbatim();
    Ok(RedisValue::SimpleStringStatic("OK"))
}

/// Reports key positions for a getkeys-api request.
pub(crate) fn report_keys(ctx: &Context, positions: Vec<usize>) -> RedisResult {
    for p in positions {
        ctx.key_at_pos(p as i32);
    }
    Ok(RedisValue::NoReply)
}

/// Refuses blocking commands inside MULTI/EXEC and Lua.
pub(crate) fn blocking_allowed(ctx: &Context) -> Result<(), RedisError> {
    if ctx
        .get_flags()
        .intersects(ContextFlags::MULTI | ContextFlags::LUA)
    {
        return Err(RedisError::Str(NO_BLOCKING));
    }
    Ok(())
}

/// `AI.MODELEXECUTE key INPUTS n in... OUTPUTS m out... [TIMEOUT ms]` — blocks until a worker has run the model;
/// `+OK`, `+TIMEDOUT` or the backend's error.
pub fn modelexecute(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if ctx.is_keys_position_request() {
        return report_keys(ctx, parse::modelexecute_keys(args));
    }
    blocking_allowed(ctx)?;
    if args.len() < 8 {
        return Err(RedisError::Str(parse::EXECUTE_ARITY));
    }
    let m = lookup_model(ctx, &args[1])?;
    let run = parse::parse_modelexecute(args, m.inputs().len(), m.outputs().len())
        .map_err(parse_error)?;
    execute(ctx, args, m, run)
}

/// The deprecated `AI.MODELRUN key [TIMEOUT t] INPUTS in... OUTPUTS out...`.
pub fn modelrun(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if ctx.is_keys_position_request() {
        return report_keys(ctx, parse::modelrun_keys(args));
    }
    blocking_allowed(ctx)?;
    if args.len() < 6 {
        return Err(RedisError::Str(parse::RUN_ARITY));
    }
    let m = lookup_model(ctx, &args[1])?;
    let run =
        parse::parse_modelrun(args, m.inputs().len(), m.outputs().len()).map_err(parse_error)?;
    execute(ctx, args, m, run)
}

/// Resolves the inputs on the main thread (sharing their bytes, no copy for BLOB-set tensors), then queues.
fn execute(
    ctx: &Context,
    args: &[RedisString],
    m: Arc<models::ModelEntry>,
    run: RunArgs,
) -> RedisResult {
    let inputs = shared_inputs(ctx, args, &run.inputs)?;
    let outputs = arg_bytes(args, &run.outputs);
    queue::submit(ctx, m, inputs, outputs, timeout(run.timeout_ms))?;
    REPLIED
}

/// The tensors under the keys at positions `idx` of `args`, shared (their bytes not copied) for a run: `ERR tensor
/// key is empty` / WRONGTYPE. Shared by model and script runs.
pub(crate) fn shared_inputs(
    ctx: &Context,
    args: &[RedisString],
    idx: &[usize],
) -> Result<Vec<Tensor>, RedisError> {
    idx.iter()
        .map(|&i| {
            let k = ctx.open_key(&args[i]);
            let t = k
                .get_value::<Tensor>(&TENSOR_TYPE)
                .map_err(|_| RedisError::WrongType)?
                .ok_or(RedisError::Str(EMPTY_KEY))?;
            Ok(t.share())
        })
        .collect()
}

/// Copies of the arguments at positions `idx`.
pub(crate) fn arg_bytes(args: &[RedisString], idx: &[usize]) -> Vec<Vec<u8>> {
    idx.iter().map(|&i| args[i].as_slice().to_vec()).collect()
}

/// A run's `TIMEOUT` in milliseconds as a duration.
pub(crate) fn timeout(ms: Option<i64>) -> Option<Duration> {
    ms.map(|t| Duration::from_millis(t.max(0) as u64))
}

/// Whether a token after the key of a `*GET` command is `kw` (any case).
pub(crate) fn has_token(args: &[RedisString], kw: &str) -> bool {
    args[2..]
        .iter()
        .any(|a| a.as_slice().eq_ignore_ascii_case(kw.as_bytes()))
}

/// `AI.INFO key [RESETSTAT]` — the run statistics of a model.
pub fn ai_info(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if !(2..=3).contains(&args.len()) {
        return Err(RedisError::WrongArity);
    }
    let s = stats::lookup(args[1].as_slice())
        .ok_or(RedisError::Str("ERR cannot find run info for key"))?;
    if args
        .get(2)
        .is_some_and(|a| a.as_slice().eq_ignore_ascii_case(RESETSTAT.as_bytes()))
    {
        s.reset();
        reply::ok(ctx);
        return REPLIED;
    }
    reply::array(ctx, 18);
    reply::bulk(ctx, b"key");
    reply::bulk(ctx, &s.key);
    reply::bulk(ctx, b"type");
    reply::bulk(ctx, s.kind.as_bytes());
    reply::bulk(ctx, b"backend");
    reply::bulk(ctx, s.backend.as_bytes());
    reply::bulk(ctx, b"device");
    reply::bulk(ctx, s.device.as_bytes());
    reply::bulk(ctx, b"tag");
    reply::bulk(ctx, &s.tag);
    reply::bulk(ctx, b"duration");
    reply::integer(ctx, s.duration_us.load(Ordering::Relaxed) as i64);
    reply::bulk(ctx, b"samples");
    reply::integer(ctx, s.samples.load(Ordering::Relaxed));
    reply::bulk(ctx, b"calls");
    reply::integer(ctx, s.calls.load(Ordering::Relaxed) as i64);
    reply::bulk(ctx, b"errors");
    reply::integer(ctx, s.errors.load(Ordering::Relaxed) as i64);
    REPLIED
}
