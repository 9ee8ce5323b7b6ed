//! The module's entry points: `RedisModule_OnLoad` (via `redis_module!`), the command table and load-time setup.
//! Left out of unit-test builds, which run without a Redis server (and so without its allocator).

use redis_module::{raw, Context, RedisString, Status};

use smartredis_protocol::commands as names;

use crate::tensor::rdb::TENSOR_TYPE;
use crate::{commands, config, guarded, info};

guarded! {
    cmd_tensorset => commands::tensor::tensorset,
    cmd_tensorget => commands::tensor::tensorget,
    cmd_config => commands::config::ai_config,
}

/// Load-time setup: Redis version check, module options, configuration and the info callback.
fn init(ctx: &Context, args: &[RedisString]) -> Status {
    match ctx.get_redis_version() {
        Ok(v) if v.major >= 6 => {}
        Ok(v) => {
            ctx.log_warning(&format!(
                "RedisAI requires Redis version equal or greater than 6.0.0, found {}.{}.{}",
                v.major, v.minor, v.patch
            ));
            return Status::Err;
        }
        Err(e) => {
            ctx.log_warning(&format!("could not read the Redis version: {e}"));
            return Status::Err;
        }
    }
    ctx.set_module_options(raw::ModuleOptions::HANDLE_IO_ERRORS);
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy()).collect();
    let mut cfg = config::get();
    cfg.backends_path = config::default_backends_path();
    if let Err(e) = cfg.apply_load_args(&args) {
        ctx.log_warning(&e);
        return Status::Err;
    }
    drop(cfg);
    raw::register_info_function(ctx.ctx, Some(info::info_func));
    Status::Ok
}

redis_module::redis_module! {
    name: "ai",
    version: crate::MODULE_VERSION,
    allocator: (redis_module::alloc::RedisAlloc, redis_module::alloc::RedisAlloc),
    data_types: [TENSOR_TYPE],
    init: init,
    // Registered in lower case, as RedisAI does (Redis matches command names case-insensitively).
    commands: [
        [names::TENSORSET.to_ascii_lowercase(), cmd_tensorset, "write deny-oom", 1, 1, 1, ""],
        [names::TENSORGET.to_ascii_lowercase(), cmd_tensorget, "readonly", 1, 1, 1, ""],
        [names::CONFIG.to_ascii_lowercase(), cmd_config, "write", 0, 0, 0, ""],
    ],
}
