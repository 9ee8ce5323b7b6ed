//! `AI.SCRIPTSTORE`, `AI.SCRIPTGET`, `AI.SCRIPTDEL`, `AI.SCRIPTEXECUTE` and the deprecated `AI.SCRIPTSET` and
//! `AI.SCRIPTRUN` (reference §3.7–3.10, §3.12).

use std::sync::Arc;

use redis_module::{Context, RedisError, RedisResult, RedisString, RedisValue};
use smartredis_protocol::commands::keyword::META;
use smartredis_protocol::commands::script::{GET_LABELS, SOURCE};

use super::model::{
    arg_bytes, blocking_allowed, has_token, parse_error, report_keys, shared_inputs, timeout,
};
use crate::guard::REPLIED;
use crate::model::stats;
use crate::queue::{self, Op, ScriptOp};
use crate::script::parse::{self, RunArgs, StoreArgs};
use crate::script::rdb::SCRIPT_TYPE;
use crate::script::{self as scripts, Script, ScriptEntry};
use crate::tensor::reply;

/// `ERR script key is empty`.
pub const SCRIPT_EMPTY: &str = "ERR script key is empty";

/// `AI.SCRIPTSTORE key device [TAG tag] ENTRY_POINTS n fn... SOURCE src` — `+OK`, replicated verbatim.
pub fn scriptstore(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let parsed = parse::parse_scriptstore(args).map_err(parse_error)?;
    store(ctx, args, parsed)
}

/// The deprecated `AI.SCRIPTSET key device [TAG tag] SOURCE src` (no entry points).
pub fn scriptset(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let parsed = parse::parse_scriptset(args).map_err(parse_error)?;
    store(ctx, args, parsed)
}

fn store(ctx: &Context, args: &[RedisString], p: StoreArgs) -> RedisResult {
    let source = String::from_utf8_lossy(args[p.source].as_slice()).into_owned();
    let entry = scripts::build(p.device, p.tag, source, p.entry_points, args[1].as_slice())
        .map_err(|e| {
            ctx.log_warning(&e);
            RedisError::String(e)
        })?;
    queue::ensure(&entry.queue_name()).map_err(RedisError::String)?;
    let key = ctx.open_key_writable(&args[1]);
    if !key.is_empty() && key.get_value::<Script>(&SCRIPT_TYPE).is_err() {
        return Err(RedisError::WrongType);
    }
    let stats = entry.stats.clone();
    key.set_value(&SCRIPT_TYPE, Script(Arc::new(entry)))
        .map_err(|_| RedisError::Str("ERR could not store the script"))?;
    stats::register(&stats);
    ctx.replicate_verbatim();
    reply::ok(ctx);
    REPLIED
}

/// The script stored at `key`: `ERR script key is empty` / WRONGTYPE.
pub fn lookup(ctx: &Context, key: &RedisString) -> Result<Arc<ScriptEntry>, RedisError> {
    let k = ctx.open_key(key);
    let s = k
        .get_value::<Script>(&SCRIPT_TYPE)
        .map_err(|_| RedisError::WrongType)?
        .ok_or(RedisError::Str(SCRIPT_EMPTY))?;
    Ok(s.0.clone())
}

/// `AI.SCRIPTGET key [META] [SOURCE]` (unknown tokens ignored).
pub fn scriptget(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if !(2..=4).contains(&args.len()) {
        return Err(RedisError::WrongArity);
    }
    let s = lookup(ctx, &args[1])?;
    let (meta, source) = (has_token(args, META), has_token(args, SOURCE));
    if source && !meta {
        reply::bulk(ctx, s.source.as_bytes());
        return REPLIED;
    }
    let with_source = !meta || source;
    reply::array(ctx, if with_source { 8 } else { 6 });
    reply::bulk(ctx, GET_LABELS[0].as_bytes());
    reply::bulk(ctx, s.device.as_bytes());
    reply::bulk(ctx, GET_LABELS[1].as_bytes());
    reply::bulk(ctx, &s.tag);
    reply::bulk(ctx, GET_LABELS[2].as_bytes());
    reply::array(ctx, s.entry_points.len());
    for e in &s.entry_points {
        reply::bulk(ctx, e.as_bytes());
    }
    if with_source {
        reply::bulk(ctx, b"source");
        reply::bulk(ctx, s.source.as_bytes());
    }
    REPLIED
}

/// `AI.SCRIPTDEL key` — `+OK`, replicated verbatim.
pub fn scriptdel(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if args.len() != 2 {
        return Err(RedisError::WrongArity);
    }
    lookup(ctx, &args[1])?;
    ctx.open_key_writable(&args[1]).delete()?;
    ctx.replicate_verbatim();
    Ok(RedisValue::SimpleStringStatic("OK"))
}

/// `AI.SCRIPTEXECUTE key fn [KEYS n k...] [INPUTS n t...] [ARGS n a...] [OUTPUTS n o...] [TIMEOUT ms]` — blocks
/// until a worker has run the function; `+OK`, `+TIMEDOUT` or the error.
pub fn scriptexecute(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if ctx.is_keys_position_request() {
        return report_keys(ctx, parse::scriptexecute_keys(args));
    }
    blocking_allowed(ctx)?;
    if args.len() < 3 {
        return Err(RedisError::Str(parse::EXECUTE_ARITY));
    }
    let s = lookup(ctx, &args[1])?;
    let run = parse::parse_scriptexecute(args, false).map_err(parse_error)?;
    execute(ctx, args, s, run)
}

/// The deprecated `AI.SCRIPTRUN key fn [TIMEOUT t] INPUTS in... [$ in...] OUTPUTS out...`.
pub fn scriptrun(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if ctx.is_keys_position_request() {
        return report_keys(ctx, parse::scriptrun_keys(args));
    }
    blocking_allowed(ctx)?;
    if args.len() < 4 {
        return Err(RedisError::WrongArity);
    }
    let s = lookup(ctx, &args[1])?;
    let run = parse::parse_scriptrun(args).map_err(parse_error)?;
    execute(ctx, args, s, run)
}

/// Resolves the input tensors on the main thread (sharing their bytes), then queues the call.
fn execute(
    ctx: &Context,
    args: &[RedisString],
    script: Arc<ScriptEntry>,
    run: RunArgs,
) -> RedisResult {
    let inputs = shared_inputs(ctx, args, &run.inputs)?;
    let op = Op::Script(ScriptOp {
        script,
        function: String::from_utf8_lossy(args[2].as_slice()).into_owned(),
        keys: arg_bytes(args, &run.keys),
        args: arg_bytes(args, &run.args),
    });
    let outputs = arg_bytes(args, &run.outputs);
    queue::submit_op(ctx, op, inputs, outputs, timeout(run.timeout_ms))?;
    REPLIED
}
