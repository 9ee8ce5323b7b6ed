//! `AI._MODELSCAN` and `AI._SCRIPTSCAN` (reference §3.13): the `[key, tag]` pairs of the run-statistics registry,
//! i.e. every model (script) stored or loaded and not deleted since. Experimental in RedisAI, as here.

use redis_module::{Context, RedisError, RedisResult, RedisString};

use crate::guard::REPLIED;
use crate::model::stats;
use crate::tensor::reply;

fn scan(ctx: &Context, args: &[RedisString], kind: &str) -> RedisResult {
    if args.len() != 1 {
        return Err(RedisError::WrongArity);
    }
    ctx.log_warning(&format!(
        "{} is EXPERIMENTAL and might be modified or removed in future versions",
        args[0].to_string_lossy().to_ascii_uppercase()
    ));
    let entries = stats::list(kind);
    reply::array(ctx, entries.len());
    for (key, tag) in entries {
        reply::array(ctx, 2);
        reply::bulk(ctx, &key);
        reply::bulk(ctx, &tag);
    }
    REPLIED
}

/// `AI._MODELSCAN`.
pub fn modelscan(ctx: &Context, args: &[RedisString]) -> RedisResult {
    scan(ctx, args, "MODEL")
}

/// `AI._SCRIPTSCAN`.
pub fn scriptscan(ctx: &Context, args: &[RedisString]) -> RedisResult {
    scan(ctx, args, "SCRIPT")
}
