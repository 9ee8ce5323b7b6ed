//! DAGs (`AI.DAGEXECUTE[_RO]`, `AI.DAGRUN[_RO]`; RedisAI `src/execution/DAG/`): a list of ops over DAG-local
//! tensors, parsed and resolved on the main thread ([`parse`]), run on the device queues, replied to on the main
//! thread.
//!
//! Execution: the client is blocked and the DAG is queued as a task on the queue of the device of its first model
//! (or script) op. A worker runs the ops in order; when the next op belongs to another device the DAG moves to that
//! device's queue, so every model runs on its own device's workers and never on the main thread. When the last op
//! has run (or one failed, or the DAG's `TIMEOUT` passed before an op was taken) the client is unblocked, and the
//! reply callback writes one reply element per op and then the `PERSIST` keys. (RedisAI additionally runs the ops
//! of different devices in parallel when they do not depend on each other; here they run in op order, which gives
//! the same results.) A model op of a model stored with `BATCHSIZE` is queued as a run of that model, so it is
//! batched with concurrent runs (`AI.MODELEXECUTE`s and other DAGs) as RedisAI does. A DAG without model or script
//! ops is answered at once, without blocking.

pub mod parse;

use std::os::raw::{c_int, c_long, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis_module::{raw, Context, RedisError, RedisResult, RedisString, RedisValue};
use smartredis_protocol::commands::dag::NA;
use smartredis_protocol::commands::model::TIMEDOUT;

use crate::guard::REPLIED;
use crate::model::ModelEntry;
use crate::queue::{self, Queue};
use crate::tensor::parse::GetFormat;
use crate::tensor::rdb::TENSOR_TYPE;
use crate::tensor::reply;
use crate::tensor::tensor::Tensor;

/// Something a DAG op runs on a worker: a model, or (from the script module) a script function with its keys and
/// arguments bound.
pub trait Runner: Send + Sync {
    /// The queue (upper-cased device) it runs on.
    fn queue(&self) -> String;
    /// Runs on the calling worker thread, recording its statistics; the error is the reply element's text.
    fn run(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>, String>;
    /// The model and its number of outputs, when this op's runs are batched with other runs of that model (a
    /// model stored with `BATCHSIZE`): the op then goes through the model's queue as a run of its own.
    fn batched(&self) -> Option<(&Arc<ModelEntry>, usize)> {
        None
    }
}

/// A model op's runner.
pub struct ModelRunner {
    /// The model, resolved at parse time (kept alive if its key is deleted meanwhile).
    pub model: Arc<ModelEntry>,
    /// The number of outputs the op names.
    pub noutputs: usize,
}

impl Runner for ModelRunner {
    fn queue(&self) -> String {
        self.model.queue_name()
    }

    fn run(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
        queue::run_model(&self.model, inputs, self.noutputs)
    }

    fn batched(&self) -> Option<(&Arc<ModelEntry>, usize)> {
        (self.model.meta.batch_size > 0).then_some((&self.model, self.noutputs))
    }
}

/// What became of a run op.
pub enum OpState {
    /// Not run (yet, or skipped after an earlier failure): replied as `+NA`.
    Pending,
    /// Ran: `+OK`.
    Done,
    /// Failed: an error element with this text.
    Failed(String),
}

/// One op, its tensor names resolved to slots of [`Dag::tensors`].
pub enum Op {
    /// `AI.TENSORSET`: its tensor was put in its slot at parse time; replies `+OK`.
    TensorSet,
    /// `AI.TENSORGET`: replies the tensor in `slot` (or `+NA` if it was never computed).
    TensorGet {
        /// The tensor's slot.
        slot: usize,
        /// The reply format.
        format: GetFormat,
    },
    /// `AI.MODELEXECUTE` / `AI.SCRIPTEXECUTE` (and the deprecated `*RUN`): runs on a worker.
    Run {
        /// What runs.
        runner: Box<dyn Runner>,
        /// Input slots.
        inputs: Vec<usize>,
        /// Output slots (each written once).
        outputs: Vec<usize>,
        /// Its result.
        state: OpState,
    },
}

/// A parsed DAG.
pub struct Dag {
    /// The ops in command order.
    pub ops: Vec<Op>,
    /// Every version of every DAG tensor: `LOAD`ed and `TENSORSET` ones filled at parse time, op outputs when the
    /// op has run. Held tensors are shared with the keyspace, so the DAG is dropped on the main thread.
    pub tensors: Vec<Option<Tensor>>,
    /// `PERSIST` keys and the slot of the tensor each receives (the last version of that name).
    pub persist: Vec<(Vec<u8>, usize)>,
    /// `TIMEOUT`, measured from when the DAG was queued, checked before each op is taken.
    pub timeout: Option<Duration>,
}

/// A DAG on its way through the queues.
struct DagJob {
    dag: Dag,
    /// The next op to look at.
    next: usize,
    enqueued: Instant,
    timed_out: bool,
    bc: *mut raw::RedisModuleBlockedClient,
    /// Counted in flight until released (on the main thread).
    _in_flight: queue::InFlight,
}

// SAFETY: the blocked-client handle may be used from any thread; the DAG's held tensors are only read off the main
// thread and released on it (in the free callback).
unsafe impl Send for DagJob {}

impl Dag {
    fn next_run(&self, from: usize) -> Option<usize> {
        (from..self.ops.len()).find(|&i| matches!(self.ops[i], Op::Run { .. }))
    }
}

/// Runs the DAG: answered at once when it has no model or script op, else the client is blocked and the DAG is
/// queued on its first op's device.
pub fn submit(ctx: &Context, mut dag: Dag) -> RedisResult {
    let Some(first) = dag.next_run(0) else {
        reply_dag(ctx, &mut dag, false);
        return REPLIED;
    };
    let Op::Run { runner, .. } = &dag.ops[first] else {
        return Err(RedisError::Str("ERR internal error: no op to run"));
    };
    let q = queue::ensure(&runner.queue()).map_err(RedisError::String)?;
    let bc = queue::block(ctx, reply_callback, free_callback)?;
    let job = Box::new(DagJob {
        dag,
        next: first,
        enqueued: Instant::now(),
        timed_out: false,
        bc,
        _in_flight: queue::in_flight(),
    });
    q.spawn(Box::new(move |q| step(job, q)));
    REPLIED
}

/// Worker: runs the DAG's ops in order while they belong to this queue, then moves it to the next op's queue or,
/// when done, unblocks the client. A model op of a model stored with `BATCHSIZE` is queued as a run of its own, so
/// that it is batched with other runs of that model (RedisAI does the same); the DAG goes on when it has run.
fn step(mut job: Box<DagJob>, q: &Arc<Queue>) {
    while let Some(i) = job.dag.next_run(job.next) {
        let dag = &mut job.dag;
        let Op::Run {
            runner,
            inputs,
            state,
            ..
        } = &mut dag.ops[i]
        else {
            break;
        };
        let name = runner.queue();
        if name != q.name {
            match queue::ensure(&name) {
                Ok(other) => {
                    other.spawn(Box::new(move |q| step(job, q)));
                    return;
                }
                Err(e) => {
                    *state = OpState::Failed(e);
                    break;
                }
            }
        }
        let waited = job.enqueued.elapsed();
        if dag.timeout.is_some_and(|t| waited > t) {
            job.timed_out = true;
            break;
        }
        let found = inputs
            .iter()
            .all(|&s| dag.tensors.get(s).is_some_and(Option::is_some));
        if !found {
            *state = OpState::Failed("ERR INPUT key cannot be found in DAG".to_string());
            break;
        }
        if let Some((model, noutputs)) = runner.batched() {
            if distinct(inputs) {
                let model = model.clone();
                // The inputs move into the run and come back with it (held keyspace strings are only ever
                // retained and released on the main thread, so they are not shared here).
                let taken: Vec<Tensor> = inputs
                    .iter()
                    .filter_map(|&s| dag.tensors.get_mut(s).and_then(Option::take))
                    .collect();
                let timeout = dag.timeout.map(|t| t.saturating_sub(waited));
                let q2 = q.clone();
                queue::submit_then(
                    q,
                    model,
                    taken,
                    noutputs,
                    timeout,
                    Box::new(move |run| op_done(job, i, run, &q2)),
                );
                return;
            }
        }
        let refs: Vec<&Tensor> = inputs
            .iter()
            .filter_map(|&s| dag.tensors.get(s).and_then(Option::as_ref))
            .collect();
        let result = runner.run(&refs);
        drop(refs);
        job.next = i + 1;
        if !record(dag, i, result) {
            break;
        }
    }
    finish(job);
}

/// Whether no slot appears twice.
fn distinct(slots: &[usize]) -> bool {
    slots
        .iter()
        .enumerate()
        .all(|(k, s)| !slots[..k].contains(s))
}

/// Stores op `i`'s outputs in their slots and marks it done, or marks it failed; whether the DAG goes on.
fn record(dag: &mut Dag, i: usize, result: Result<Vec<Tensor>, String>) -> bool {
    let Some(Op::Run { outputs, state, .. }) = dag.ops.get_mut(i) else {
        return false;
    };
    match result {
        Ok(outs) => {
            for (&slot, t) in outputs.iter().zip(outs) {
                if let Some(s) = dag.tensors.get_mut(slot) {
                    *s = Some(t);
                }
            }
            *state = OpState::Done;
            true
        }
        Err(e) => {
            // The first error ends the DAG: later ops reply `+NA` and nothing is persisted.
            *state = OpState::Failed(e);
            false
        }
    }
}

/// Worker: a batched model op (op `i`) has run; its inputs go back to their slots and the DAG goes on, as a task
/// of the queue.
fn op_done(mut job: Box<DagJob>, i: usize, mut run: Box<queue::Job>, q: &Arc<Queue>) {
    let taken = std::mem::take(&mut run.inputs);
    let outcome = std::mem::replace(&mut run.outcome, queue::Outcome::Pending);
    drop(run);
    if let Some(Op::Run { inputs, .. }) = job.dag.ops.get(i) {
        for (&slot, t) in inputs.iter().zip(taken) {
            if let Some(s) = job.dag.tensors.get_mut(slot) {
                *s = Some(t);
            }
        }
    }
    job.next = i + 1;
    let go_on = match outcome {
        queue::Outcome::Done(outs) => record(&mut job.dag, i, Ok(outs)),
        queue::Outcome::Failed(e) => record(&mut job.dag, i, Err(e)),
        queue::Outcome::Pending => record(
            &mut job.dag,
            i,
            Err("ERR internal error: job not run".to_string()),
        ),
        queue::Outcome::TimedOut => {
            job.timed_out = true;
            false
        }
    };
    if go_on && job.dag.next_run(job.next).is_some() {
        q.spawn(Box::new(move |q| step(job, q)));
    } else {
        finish(job);
    }
}

/// Unblocks the DAG's client: its reply callback replies on the main thread.
fn finish(job: Box<DagJob>) {
    let bc = job.bc;
    // SAFETY: `bc` came from `queue::block` in `submit` with this module's callbacks, which take a Box<DagJob>;
    // every path either re-queues the job or reaches here once.
    unsafe { queue::unblock_with(bc, job) };
}

/// Main thread: replies for the DAG the worker unblocked.
unsafe extern "C" fn reply_callback(
    ctx: *mut raw::RedisModuleCtx,
    _argv: *mut *mut raw::RedisModuleString,
    _argc: c_int,
) -> c_int {
    let context = Context::new(ctx);
    // SAFETY: the private data is the Box<DagJob> passed to UnblockClient; free_callback frees it afterwards.
    let job = unsafe {
        raw::RedisModule_GetBlockedClientPrivateData
            .map(|f| f(ctx))
            .unwrap_or(std::ptr::null_mut())
            .cast::<DagJob>()
            .as_mut()
    };
    let Some(job) = job else {
        context.reply(Err(RedisError::Str("ERR internal error: no DAG")));
        return raw::REDISMODULE_OK as c_int;
    };
    let timed_out = job.timed_out;
    if catch_unwind(AssertUnwindSafe(|| {
        reply_dag(&context, &mut job.dag, timed_out)
    }))
    .is_err()
    {
        context.reply(Err(RedisError::Str("ERR internal error")));
    }
    raw::REDISMODULE_OK as c_int
}

/// Main thread: releases the DAG (and with it the references its tensors hold).
unsafe extern "C" fn free_callback(_ctx: *mut raw::RedisModuleCtx, privdata: *mut c_void) {
    if !privdata.is_null() {
        // SAFETY: the Box<DagJob> leaked by `step`, freed once.
        drop(unsafe { Box::from_raw(privdata.cast::<DagJob>()) });
    }
}

fn simple(ctx: &Context, s: &'static str) {
    ctx.reply(Ok(RedisValue::SimpleStringStatic(s)));
}

/// The DAG's reply: `+TIMEDOUT`, or one element per op followed, after a DAG without errors, by the writes of the
/// `PERSIST` keys (an error element if one fails, which stops the rest).
fn reply_dag(ctx: &Context, dag: &mut Dag, timed_out: bool) {
    if timed_out {
        simple(ctx, TIMEDOUT);
        return;
    }
    raw::reply_with_array(ctx.ctx, raw::REDISMODULE_POSTPONED_ARRAY_LEN as c_long);
    let mut len = 0;
    let mut failed = false;
    for op in &dag.ops {
        len += 1;
        match op {
            Op::TensorSet => reply::ok(ctx),
            Op::TensorGet { slot, format } => match dag.tensors.get(*slot).and_then(Option::as_ref)
            {
                // The VALUES cap of AI.TENSORGET holds here too: an error element points to BLOB.
                Some(t) => match reply::check_values(t, *format) {
                    Ok(()) => reply::tensor(ctx, t, *format),
                    Err(e) => {
                        ctx.reply(Err(RedisError::Str(e)));
                    }
                },
                None => simple(ctx, NA),
            },
            Op::Run { state, .. } => match state {
                OpState::Done => reply::ok(ctx),
                OpState::Pending => simple(ctx, NA),
                OpState::Failed(e) => {
                    failed = true;
                    ctx.reply(Err(RedisError::String(e.clone())));
                }
            },
        }
    }
    if !failed {
        for (name, slot) in &dag.persist {
            let tensor = dag.tensors.get_mut(*slot).and_then(Option::take);
            let Some(t) = tensor else { continue };
            if let Err(e) = persist(ctx, name, t) {
                ctx.log_warning(&format!(
                    "Could not persist tensor under the key ({}) after executing DAGRUN command, persist stopped",
                    String::from_utf8_lossy(name)
                ));
                ctx.reply(Err(e));
                len += 1;
                break;
            }
        }
    }
    // SAFETY: closes the postponed array opened above, in the same reply.
    unsafe {
        if let Some(set_len) = raw::RedisModule_ReplySetArrayLength {
            set_len(ctx.ctx, len as c_long);
        }
    }
}

/// Writes `t` under `name` and replicates it as `AI.TENSORSET ... BLOB`.
fn persist(ctx: &Context, name: &[u8], t: Tensor) -> Result<(), RedisError> {
    let kname = RedisString::create_from_slice(ctx.ctx, name);
    let key = ctx.open_key_writable(&kname);
    if key.get_value::<Tensor>(&TENSOR_TYPE).is_err() {
        return Err(RedisError::WrongType);
    }
    queue::replicate_tensorset(ctx, &kname, &t);
    key.set_value(&TENSOR_TYPE, t)
        .map_err(|_| RedisError::Str("ERR could not save tensor"))
}
