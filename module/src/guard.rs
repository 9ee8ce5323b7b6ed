//! The one wrapper every command handler runs in: a panic becomes `-ERR internal error: …` instead of taking
//! `redis-server` down (redismodule-rs's generated entry points do not catch unwinds).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use redis_module::{Context, RedisError, RedisResult, RedisString, RedisValue};

/// A command handler: it either writes its reply itself and returns `Ok(RedisValue::NoReply)`, returns a value
/// for redismodule-rs to send, or returns an error to send.
pub type Handler = fn(&Context, &[RedisString]) -> RedisResult;

/// Runs `handler`, turning a panic into an error reply (and a warning in the server log).
pub fn run(ctx: &Context, args: Vec<RedisString>, handler: Handler) -> RedisResult {
    catch(|| handler(ctx, &args)).unwrap_or_else(|why| {
        ctx.log_warning(&format!("internal error in {}: {why}", command_name(&args)));
        Err(RedisError::String(format!("ERR internal error: {why}")))
    })
}

/// Runs `f`, returning the panic message if it panics.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_message(payload.as_ref()))
}

fn command_name(args: &[RedisString]) -> String {
    args.first()
        .map(|a| a.to_string_lossy())
        .unwrap_or_default()
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// Declares `extern`-facing command functions that run a [`Handler`] inside [`run`], for the
/// `redis_module!` command table.
#[macro_export]
macro_rules! guarded {
    ($($name:ident => $handler:path),* $(,)?) => {
        $(
            fn $name(ctx: &redis_module::Context, args: Vec<redis_module::RedisString>) -> redis_module::RedisResult {
                $crate::guard::run(ctx, args, $handler)
            }
        )*
    };
}

/// `Ok(RedisValue::NoReply)`: the handler already replied.
pub const REPLIED: RedisResult = Ok(RedisValue::NoReply);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_messages() {
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(
            catch(|| -> i32 { panic!("boom {}", 1) }),
            Err("boom 1".to_string())
        );
        assert_eq!(
            catch(|| -> i32 { panic!("static") }),
            Err("static".to_string())
        );
    }
}
