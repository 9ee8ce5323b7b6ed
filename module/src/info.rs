//! The module's `INFO MODULES` sections (RedisAI `RAI_moduleInfoFunc`), fields prefixed `ai_` by Redis.

use std::os::raw::c_int;

use redis_module::raw;

use smartredis_protocol::Backend;

use crate::backends::{self, InfoValue};
use crate::{config, queue};

/// RedisAI version this module answers as.
pub const REDISAI_VERSION: &str = "1.2.7";
/// This module's own version: the workspace's one version number (Cargo.toml), shown as `ai_smartredis_version`.
pub const SMARTREDIS_VERSION: &str = env!("CARGO_PKG_VERSION");
/// RedisAI low-level C API version.
pub const LLAPI_VERSION: i64 = 1;

/// Git revision baked in at build time (`SMARTREDIS_GIT_SHA`), else `unknown`.
pub const GIT_SHA: &str = match option_env!("SMARTREDIS_GIT_SHA") {
    Some(s) => s,
    None => "unknown",
};

/// The info callback registered with `RedisModule_RegisterInfoFunc`.
pub extern "C" fn info_func(ctx: *mut raw::RedisModuleInfoCtx, _for_crash_report: c_int) {
    let _ = std::panic::catch_unwind(|| write_info(ctx));
}

fn write_info(ctx: *mut raw::RedisModuleInfoCtx) {
    raw::add_info_section(ctx, Some("versions"));
    raw::add_info_field_str(ctx, "RedisAI_version", REDISAI_VERSION);
    raw::add_info_field_str(ctx, "smartredis_version", SMARTREDIS_VERSION);
    raw::add_info_field_long_long(ctx, "low_level_API_version", LLAPI_VERSION);
    raw::add_info_field_long_long(ctx, "rdb_version", crate::tensor::rdb::ENCVER.into());

    raw::add_info_section(ctx, Some("git"));
    raw::add_info_field_str(ctx, "git_sha", GIT_SHA);

    let c = config::get().clone();
    raw::add_info_section(ctx, Some("load_time_configs"));
    raw::add_info_field_long_long(ctx, "threads_per_queue", c.threads_per_queue);
    raw::add_info_field_long_long(ctx, "inter_op_parallelism", c.inter_op_parallelism);
    raw::add_info_field_long_long(ctx, "intra_op_parallelism", c.intra_op_parallelism);
    raw::add_info_field_long_long(ctx, "model_execution_timeout", c.model_execution_timeout);
    raw::add_info_field_long_long(ctx, "backend_memory_limit", c.backend_memory_limit);

    raw::add_info_section(ctx, Some("backends_info"));
    for b in backends::all_loaded() {
        for (name, value) in b.info() {
            match value {
                InfoValue::Str(s) => raw::add_info_field_str(ctx, name, &s),
                InfoValue::Int(n) => raw::add_info_field_long_long(ctx, name, n),
            };
        }
        if b.kind() == Backend::Onnx {
            // Runs that can be in progress at once: one per worker thread.
            let n = queue::worker_count() as i64;
            raw::add_info_field_long_long(ctx, "onnxruntime_maximum_run_sessions_number", n);
        }
    }

    raw::add_info_section(ctx, Some("cpu"));
    let (s_sys, s_user) = rusage(libc::RUSAGE_SELF);
    let (c_sys, c_user) = rusage(libc::RUSAGE_CHILDREN);
    // The info callback runs on the main thread.
    let (m_sys, m_user) = rusage(libc::RUSAGE_THREAD);
    raw::add_info_field_str(ctx, "self_used_cpu_sys", &s_sys);
    raw::add_info_field_str(ctx, "self_used_cpu_user", &s_user);
    raw::add_info_field_str(ctx, "children_used_cpu_sys", &c_sys);
    raw::add_info_field_str(ctx, "children_used_cpu_user", &c_user);
    raw::add_info_field_str(ctx, "main_thread_used_cpu_sys", &m_sys);
    raw::add_info_field_str(ctx, "main_thread_used_cpu_user", &m_user);
    for (q, i, secs) in queue::cpu_times() {
        raw::add_info_field_str(
            ctx,
            &format!("queue_{q}_bthread_n{i}_used_cpu_total"),
            &secs,
        );
    }
}

/// `(sys, user)` CPU seconds as `%ld.%06ld`, like RedisAI.
fn rusage(who: c_int) -> (String, String) {
    // SAFETY: getrusage fills the zeroed struct.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut u) };
    let f = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (f(u.ru_stime), f(u.ru_utime))
}
