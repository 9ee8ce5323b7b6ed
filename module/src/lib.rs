//! RedisAI-compatible Redis module, loaded with `redis-server --loadmodule libsmartredis_ai.so`.

use redis_module::redis_module;

/// Module version reported to Redis: RedisAI 1.2.7 as `major*10000 + minor*100 + patch`.
pub const MODULE_VERSION: i32 = 10207;

redis_module! {
    name: "ai",
    version: MODULE_VERSION,
    allocator: (redis_module::alloc::RedisAlloc, redis_module::alloc::RedisAlloc),
    data_types: [],
    commands: [],
}
