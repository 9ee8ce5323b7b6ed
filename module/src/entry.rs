//! The module's entry points: `RedisModule_OnLoad` (via `redis_module!`), the command table and load-time setup.
//! Left out of unit-test builds, which run without a Redis server (and so without its allocator).

use redis_module::{raw, Context, RedisString, Status};

use smartredis_protocol::commands as names;

use crate::backends;
use crate::model::rdb::MODEL_TYPE;
use crate::script::rdb::SCRIPT_TYPE;
use crate::tensor::rdb::TENSOR_TYPE;
use crate::{commands, config, guarded, info, queue};

guarded! {
    cmd_tensorset => commands::tensor::tensorset,
    cmd_tensorget => commands::tensor::tensorget,
    cmd_config => commands::config::ai_config,
    cmd_modelstore => commands::model::modelstore,
    cmd_modelset => commands::model::modelset,
    cmd_modelget => commands::model::modelget,
    cmd_modeldel => commands::model::modeldel,
    cmd_modelexecute => commands::model::modelexecute,
    cmd_modelrun => commands::model::modelrun,
    cmd_info => commands::model::ai_info,
    cmd_scriptstore => commands::script::scriptstore,
    cmd_scriptset => commands::script::scriptset,
    cmd_scriptget => commands::script::scriptget,
    cmd_scriptdel => commands::script::scriptdel,
    cmd_scriptexecute => commands::script::scriptexecute,
    cmd_scriptrun => commands::script::scriptrun,
    cmd_dagexecute => commands::dag::dagexecute,
    cmd_dagexecute_ro => commands::dag::dagexecute_ro,
    cmd_dagrun => commands::dag::dagrun,
    cmd_dagrun_ro => commands::dag::dagrun_ro,
    cmd_modelscan => commands::scan::modelscan,
    cmd_scriptscan => commands::scan::scriptscan,
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
    // A path that is not valid UTF-8 would be silently altered by a lossy conversion: refuse the load instead.
    let Ok(args) = args
        .iter()
        .map(|a| String::from_utf8(a.as_slice().to_vec()))
        .collect::<Result<Vec<String>, _>>()
    else {
        ctx.log_warning("ERR error processing arguments: an argument is not valid UTF-8");
        return Status::Err;
    };
    let mut cfg = config::get();
    cfg.backends_path = config::default_backends_path();
    if let Err(e) = cfg.apply_load_args(&args) {
        ctx.log_warning(&e);
        return Status::Err;
    }
    let explicit: Vec<String> = cfg.backend_paths.iter().map(|(b, _)| b.clone()).collect();
    drop(cfg);
    // Backends named at load time are loaded now; a failure is logged and retried on first use.
    for name in explicit {
        if let Some(kind) = backends::parse_kind(name.as_bytes()) {
            if let Err(e) = backends::get_or_load(kind) {
                ctx.log_warning(&format!("could not load the {name} backend: {e}"));
            }
        }
    }
    if let Err(e) = queue::ensure("CPU") {
        ctx.log_warning(&e);
        return Status::Err;
    }
    raw::register_info_function(ctx.ctx, Some(info::info_func));
    Status::Ok
}

redis_module::redis_module! {
    name: "ai",
    version: crate::MODULE_VERSION,
    allocator: (redis_module::alloc::RedisAlloc, redis_module::alloc::RedisAlloc),
    data_types: [TENSOR_TYPE, MODEL_TYPE, SCRIPT_TYPE],
    init: init,
    // Registered in lower case, as RedisAI does (Redis matches command names case-insensitively).
    commands: [
        [names::TENSORSET.to_ascii_lowercase(), cmd_tensorset, "write deny-oom", 1, 1, 1, ""],
        [names::TENSORGET.to_ascii_lowercase(), cmd_tensorget, "readonly", 1, 1, 1, ""],
        [names::MODELSTORE.to_ascii_lowercase(), cmd_modelstore, "write deny-oom", 1, 1, 1, ""],
        [names::MODELSET.to_ascii_lowercase(), cmd_modelset, "write deny-oom", 1, 1, 1, ""],
        [names::MODELGET.to_ascii_lowercase(), cmd_modelget, "readonly", 1, 1, 1, ""],
        [names::MODELDEL.to_ascii_lowercase(), cmd_modeldel, "write", 1, 1, 1, ""],
        [names::MODELEXECUTE.to_ascii_lowercase(), cmd_modelexecute, "write deny-oom getkeys-api", 4, 4, 1, ""],
        [names::MODELRUN.to_ascii_lowercase(), cmd_modelrun, "write deny-oom getkeys-api", 3, 3, 1, ""],
        [names::SCRIPTSTORE.to_ascii_lowercase(), cmd_scriptstore, "write deny-oom", 1, 1, 1, ""],
        [names::SCRIPTSET.to_ascii_lowercase(), cmd_scriptset, "write deny-oom", 1, 1, 1, ""],
        [names::SCRIPTGET.to_ascii_lowercase(), cmd_scriptget, "readonly", 1, 1, 1, ""],
        [names::SCRIPTDEL.to_ascii_lowercase(), cmd_scriptdel, "write", 1, 1, 1, ""],
        [names::SCRIPTEXECUTE.to_ascii_lowercase(), cmd_scriptexecute, "write deny-oom getkeys-api", 5, 5, 1, ""],
        [names::SCRIPTRUN.to_ascii_lowercase(), cmd_scriptrun, "write deny-oom getkeys-api", 4, 4, 1, ""],
        [names::INFO.to_ascii_lowercase(), cmd_info, "readonly", 1, 1, 1, ""],
        [names::CONFIG.to_ascii_lowercase(), cmd_config, "write", 0, 0, 0, ""],
        [names::dag::DAGEXECUTE.to_ascii_lowercase(), cmd_dagexecute, "write deny-oom getkeys-api", 3, 3, 1, ""],
        [names::dag::DAGEXECUTE_RO.to_ascii_lowercase(), cmd_dagexecute_ro, "readonly getkeys-api", 3, 3, 1, ""],
        [names::dag::DAGRUN.to_ascii_lowercase(), cmd_dagrun, "write deny-oom getkeys-api", 3, 3, 1, ""],
        [names::dag::DAGRUN_RO.to_ascii_lowercase(), cmd_dagrun_ro, "readonly getkeys-api", 3, 3, 1, ""],
        [names::MODELSCAN.to_ascii_lowercase(), cmd_modelscan, "readonly", 0, 0, 0, ""],
        [names::SCRIPTSCAN.to_ascii_lowercase(), cmd_scriptscan, "readonly", 0, 0, 0, ""],
    ],
}
