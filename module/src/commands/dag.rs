//! `AI.DAGEXECUTE`, `AI.DAGEXECUTE_RO` and the deprecated `AI.DAGRUN`, `AI.DAGRUN_RO` (reference §3.11, §3.12).

use redis_module::{Context, RedisResult, RedisString};

use crate::commands::model::{blocking_allowed, report_keys};
use crate::dag::parse::{self, Kind};

fn dag(ctx: &Context, args: &[RedisString], kind: Kind) -> RedisResult {
    if ctx.is_keys_position_request() {
        return report_keys(ctx, parse::key_positions(args));
    }
    blocking_allowed(ctx)?;
    let dag = parse::parse(ctx, args, kind)?;
    crate::dag::submit(ctx, dag)
}

/// `AI.DAGEXECUTE [LOAD n k...] [PERSIST n k...] [ROUTING k] [TIMEOUT ms] |> op...` — one reply element per op.
pub fn dagexecute(ctx: &Context, args: &[RedisString]) -> RedisResult {
    dag(ctx, args, Kind::Execute)
}

/// `AI.DAGEXECUTE_RO`: no PERSIST and no script ops.
pub fn dagexecute_ro(ctx: &Context, args: &[RedisString]) -> RedisResult {
    dag(ctx, args, Kind::ExecuteRo)
}

/// The deprecated `AI.DAGRUN` (MODELRUN/SCRIPTRUN ops; LOAD/PERSIST/ROUTING optional).
pub fn dagrun(ctx: &Context, args: &[RedisString]) -> RedisResult {
    dag(ctx, args, Kind::Run)
}

/// The deprecated `AI.DAGRUN_RO`.
pub fn dagrun_ro(ctx: &Context, args: &[RedisString]) -> RedisResult {
    dag(ctx, args, Kind::RunRo)
}
