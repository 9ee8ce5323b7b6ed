//! `AI.CONFIG` (reference §3.15).

use redis_module::{Context, RedisError, RedisResult, RedisString, RedisValue};

use smartredis_protocol::commands::config as key;
use smartredis_protocol::Backend;

use crate::{backends, config};

/// `AI.CONFIG LOADBACKEND|BACKENDSPATH|MODEL_CHUNK_SIZE|GET ...`.
pub fn ai_config(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if args.len() < 2 {
        return Err(RedisError::WrongArity);
    }
    let sub = args[1].as_slice();
    // Paths and sizes must be valid UTF-8: a lossy conversion would silently change a path.
    let utf8 = |a: &RedisString| {
        std::str::from_utf8(a.as_slice())
            .map(str::to_string)
            .map_err(|_| RedisError::Str("ERR AI.CONFIG: argument is not valid UTF-8"))
    };
    let value = args.get(2).map(utf8).transpose()?;
    if sub.eq_ignore_ascii_case(key::LOADBACKEND.as_bytes()) {
        if args.len() < 4 {
            return Err(RedisError::WrongArity);
        }
        let Some(kind) = Backend::parse(&args[2].to_string_lossy()) else {
            return Err(RedisError::Str("ERR unsupported backend"));
        };
        let backend = kind.name();
        let path = config::get().resolve_backend_path(&utf8(&args[3])?);
        return match backends::load(kind, &path) {
            Ok(_) => Ok(RedisValue::SimpleStringStatic("OK")),
            Err(why) => {
                ctx.log_warning(&format!(
                    "could not load the {backend} backend from {path}: {why}"
                ));
                Err(RedisError::String(format!(
                    "ERR error loading backend: {why}"
                )))
            }
        };
    }
    if sub.eq_ignore_ascii_case(key::BACKENDSPATH.as_bytes()) {
        let path = value.ok_or(RedisError::Str("ERR BACKENDSPATH: missing path argument"))?;
        config::get().backends_path = path;
        return Ok(RedisValue::SimpleStringStatic("OK"));
    }
    if sub.eq_ignore_ascii_case(key::MODEL_CHUNK_SIZE.as_bytes()) {
        let size = value.ok_or(RedisError::Str("ERR MODEL_CHUNK_SIZE: missing chunk size"))?;
        config::get()
            .set_model_chunk_size(&size)
            .map_err(RedisError::Str)?;
        return Ok(RedisValue::SimpleStringStatic("OK"));
    }
    if let Some(r) = config::get().set_limit(
        &String::from_utf8_lossy(sub),
        value.as_deref().unwrap_or(""),
    ) {
        return match r {
            Ok(()) => Ok(RedisValue::SimpleStringStatic("OK")),
            Err(()) => Err(RedisError::String(format!(
                "ERR {}: invalid value",
                String::from_utf8_lossy(sub).to_ascii_uppercase()
            ))),
        };
    }
    if sub.eq_ignore_ascii_case(key::GET.as_bytes()) {
        let name = args.get(2).ok_or(RedisError::WrongArity)?.as_slice();
        let c = config::get();
        return Ok(if name.eq_ignore_ascii_case(key::BACKENDSPATH.as_bytes()) {
            RedisValue::BulkString(c.backends_path.clone())
        } else if name.eq_ignore_ascii_case(key::MODEL_CHUNK_SIZE.as_bytes()) {
            RedisValue::Integer(c.model_chunk_size)
        } else if let Some(v) = c.limit(name) {
            RedisValue::Integer(v)
        } else {
            RedisValue::Null
        });
    }
    Err(RedisError::Str("ERR unsupported subcommand"))
}
