//! `AI.TENSORSET` and `AI.TENSORGET` (reference §3.1, §3.2).

use std::ptr::NonNull;

use redis_module::{Context, RedisError, RedisResult, RedisString};

use crate::guard::REPLIED;
use crate::tensor::parse::{msg, parse_tensorget_format, parse_tensorset, DataSource};
use crate::tensor::rdb::TENSOR_TYPE;
use crate::tensor::reply;
use crate::tensor::tensor::{HeldString, Tensor, TensorData};

/// `AI.TENSORSET key type [dim ...] [BLOB data | VALUES v ...]` — `+OK`, replicated verbatim.
///
/// A BLOB argument is kept as the client's own `RedisModuleString` (one more reference, no copy), so storing a
/// tensor costs what `SET` costs.
pub fn tensorset(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if args.len() < 4 {
        return Err(RedisError::WrongArity);
    }
    let key = ctx.open_key_writable(&args[1]);
    // WRONGTYPE comes before any argument parsing.
    let existing = key
        .get_value::<Tensor>(&TENSOR_TYPE)
        .map_err(|_| RedisError::WrongType)?;
    let spec = parse_tensorset(&args[2..]).map_err(RedisError::Str)?;
    let data = match spec.data {
        DataSource::Built(bytes) => TensorData::owned(bytes),
        DataSource::Blob(i) => {
            let s = NonNull::new(args[2 + i].inner)
                .ok_or(RedisError::Str("ERR could not save tensor"))?;
            // SAFETY: a live argument, on the main thread.
            TensorData::Held(unsafe { HeldString::retain(s) })
        }
    };
    let tensor = Tensor {
        dtype: spec.dtype,
        shape: spec.shape,
        data,
    };
    match existing {
        // Overwriting a tensor replaces it in place (as SET overwrites a string), instead of deleting and
        // re-adding the key; closing the write-opened key still signals the modification (WATCH, client caching).
        // Like RedisAI's delete-and-set, an overwrite drops any TTL.
        Some(old) => {
            *old = tensor;
            key.remove_expire()?;
        }
        None => key
            .set_value(&TENSOR_TYPE, tensor)
            .map_err(|_| RedisError::Str("ERR could not save tensor"))?,
    }
    ctx.replicate_verbatim();
    reply::ok(ctx);
    REPLIED
}

/// `AI.TENSORGET key [META] [BLOB | VALUES]` — BLOB is sent from the stored bytes with the one copy Redis makes
/// into the reply buffer.
pub fn tensorget(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if !(2..=4).contains(&args.len()) {
        return Err(RedisError::WrongArity);
    }
    let key = ctx.open_key(&args[1]);
    let tensor = key
        .get_value::<Tensor>(&TENSOR_TYPE)
        .map_err(|_| RedisError::WrongType)?
        .ok_or(RedisError::Str(msg::EMPTY_KEY))?;
    let format = parse_tensorget_format(&args[2..]).map_err(RedisError::Str)?;
    reply::check_values(tensor, format).map_err(RedisError::Str)?;
    reply::tensor(ctx, tensor, format);
    REPLIED
}
