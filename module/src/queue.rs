//! Run queues (RedisAI `src/execution/run_queue_info.c`, `background_workers.c`): one queue per device
//! (upper-cased device string) with `THREADS_PER_QUEUE` worker threads. A command parses and resolves its inputs
//! on the main thread, blocks its client and queues a [`Job`]; a worker runs the model and unblocks the client;
//! the reply callback, on the main thread again, writes the outputs, replicates them and replies.

use std::collections::VecDeque;
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::thread::JoinHandleExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use redis_module::{raw, Context, RedisError, RedisString, RedisValue};
use smartredis_protocol::commands::model as kw;

use crate::config;
use crate::model::ModelEntry;
use crate::tensor::rdb::TENSOR_TYPE;
use crate::tensor::reply;
use crate::tensor::tensor::{create_string, Tensor};

/// What became of a job.
pub enum Outcome {
    /// Not run yet.
    Pending,
    /// The model's outputs.
    Done(Vec<Tensor>),
    /// The error reply text.
    Failed(String),
    /// Dequeued after its `TIMEOUT`.
    TimedOut,
}

/// One model run.
pub struct Job {
    /// The model (kept alive even if its key is deleted meanwhile).
    pub model: Arc<ModelEntry>,
    /// Input tensors, shared with the keyspace (released on the main thread, in the free callback).
    pub inputs: Vec<Tensor>,
    /// Output key names.
    pub output_keys: Vec<Vec<u8>>,
    /// When it was queued.
    pub enqueued: Instant,
    /// `TIMEOUT`, measured from `enqueued`, checked when a worker takes the job.
    pub timeout: Option<Duration>,
    /// The result.
    pub outcome: Outcome,
    bc: *mut raw::RedisModuleBlockedClient,
}

// SAFETY: the blocked-client handle may be used from any thread (UnblockClient is thread-safe); the input
// tensors are only read off the main thread and released on it.
unsafe impl Send for Job {}

/// A device's queue and its workers.
pub struct Queue {
    /// The device (upper case).
    pub name: String,
    jobs: Mutex<VecDeque<Box<Job>>>,
    ready: Condvar,
    threads: Mutex<Vec<libc::pthread_t>>,
}

static QUEUES: Mutex<Vec<Arc<Queue>>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The queue of `device` (upper-cased), created with its workers if missing.
pub fn ensure(device: &str) -> Result<Arc<Queue>, String> {
    let name = device.to_ascii_uppercase();
    let mut qs = lock(&QUEUES);
    if let Some(q) = qs.iter().find(|q| q.name == name) {
        return Ok(q.clone());
    }
    let q = Arc::new(Queue {
        name: name.clone(),
        jobs: Mutex::new(VecDeque::new()),
        ready: Condvar::new(),
        threads: Mutex::new(Vec::new()),
    });
    let n = config::get().threads_per_queue.max(1);
    for i in 1..=n {
        let worker = q.clone();
        let h = std::thread::Builder::new()
            .name(format!("{name}_bthread_n{i}"))
            .spawn(move || worker.work())
            .map_err(|e| format!("ERR Could not initialize queue on requested device: {e}"))?;
        lock(&q.threads).push(h.as_pthread_t());
        // Workers run for the life of the process.
        drop(h);
    }
    qs.push(q.clone());
    Ok(q)
}

/// `(queue, worker number from 1, CPU seconds as "%ld.%06ld")` for every worker, for `INFO MODULES`.
pub fn cpu_times() -> Vec<(String, usize, String)> {
    let qs = lock(&QUEUES).clone();
    let mut out = Vec::new();
    for q in qs {
        for (i, &t) in lock(&q.threads).iter().enumerate() {
            let mut clock: libc::clockid_t = 0;
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `t` is a live worker thread (workers never exit); out-pointers are locals.
            let ok = unsafe {
                libc::pthread_getcpuclockid(t, &mut clock) == 0
                    && libc::clock_gettime(clock, &mut ts) == 0
            };
            let v = if ok {
                format!("{}.{:06}", ts.tv_sec, ts.tv_nsec / 1000)
            } else {
                "0.000000".to_string()
            };
            out.push((q.name.clone(), i + 1, v));
        }
    }
    out
}

/// Number of worker threads over all queues.
pub fn worker_count() -> usize {
    lock(&QUEUES).iter().map(|q| lock(&q.threads).len()).sum()
}

impl Queue {
    fn work(&self) {
        loop {
            let job = {
                let mut jobs = lock(&self.jobs);
                loop {
                    if let Some(j) = jobs.pop_front() {
                        break j;
                    }
                    jobs = self.ready.wait(jobs).unwrap_or_else(|e| e.into_inner());
                }
            };
            run(job);
        }
    }

    fn push(&self, job: Box<Job>) {
        lock(&self.jobs).push_back(job);
        self.ready.notify_one();
    }
}

/// Runs a job on the calling worker thread and unblocks its client.
fn run(mut job: Box<Job>) {
    let expired = job.timeout.is_some_and(|t| job.enqueued.elapsed() > t);
    job.outcome = if expired {
        Outcome::TimedOut
    } else {
        let start = Instant::now();
        let inputs: Vec<&Tensor> = job.inputs.iter().collect();
        let result = catch_unwind(AssertUnwindSafe(|| job.model.loaded.run(&inputs)))
            .unwrap_or_else(|_| Err("ERR internal error: the backend panicked".into()));
        let us = start.elapsed().as_micros() as u64;
        let stats = &job.model.stats;
        match result {
            Ok(outs) if outs.len() != job.output_keys.len() => {
                stats.record(us, None);
                Outcome::Failed("ERR Model did not generate the expected number of outputs".into())
            }
            Ok(outs) => {
                let samples = outs
                    .first()
                    .and_then(|t| t.shape.first().copied())
                    .unwrap_or(1);
                stats.record(us, Some(samples));
                Outcome::Done(outs)
            }
            Err(e) => {
                stats.record(us, None);
                Outcome::Failed(e)
            }
        }
    };
    let bc = job.bc;
    // SAFETY: `bc` came from BlockClient and is unblocked exactly once; Redis hands the job back to the reply
    // and free callbacks on the main thread.
    unsafe {
        if let Some(unblock) = raw::RedisModule_UnblockClient {
            unblock(bc, Box::into_raw(job).cast());
        }
    }
}

/// Blocks the calling client and queues the run. Fails (without blocking) if the queue cannot be created.
pub fn submit(
    ctx: &Context,
    model: Arc<ModelEntry>,
    inputs: Vec<Tensor>,
    output_keys: Vec<Vec<u8>>,
    timeout: Option<Duration>,
) -> Result<(), RedisError> {
    let queue = ensure(&model.queue_name()).map_err(RedisError::String)?;
    // SAFETY: a command context on the main thread; the callbacks match Redis's signatures.
    let bc = unsafe {
        raw::RedisModule_BlockClient.ok_or(RedisError::Str("ERR cannot block"))?(
            ctx.ctx,
            Some(reply_callback),
            None,
            Some(free_job),
            0,
        )
    };
    if bc.is_null() {
        return Err(RedisError::Str("ERR cannot block the client"));
    }
    queue.push(Box::new(Job {
        model,
        inputs,
        output_keys,
        enqueued: Instant::now(),
        timeout,
        outcome: Outcome::Pending,
        bc,
    }));
    Ok(())
}

/// Main thread, when the worker has unblocked the client: write and replicate the outputs, then reply.
unsafe extern "C" fn reply_callback(
    ctx: *mut raw::RedisModuleCtx,
    _argv: *mut *mut raw::RedisModuleString,
    _argc: c_int,
) -> c_int {
    let context = Context::new(ctx);
    // SAFETY: the private data is the Box<Job> the worker passed to UnblockClient; it is freed by free_job
    // after this callback returns.
    let job = unsafe {
        raw::RedisModule_GetBlockedClientPrivateData
            .map(|f| f(ctx))
            .unwrap_or(std::ptr::null_mut())
            .cast::<Job>()
            .as_mut()
    };
    let Some(job) = job else {
        context.reply(Err(RedisError::Str("ERR internal error: no job")));
        return raw::REDISMODULE_OK as c_int;
    };
    let outcome = std::mem::replace(&mut job.outcome, Outcome::Pending);
    let done = catch_unwind(AssertUnwindSafe(|| match outcome {
        Outcome::TimedOut => {
            context.reply(Ok(RedisValue::SimpleStringStatic(kw::TIMEDOUT)));
        }
        Outcome::Failed(e) => {
            context.reply(Err(RedisError::String(e)));
        }
        Outcome::Pending => {
            context.reply(Err(RedisError::Str("ERR internal error: job not run")));
        }
        Outcome::Done(outs) => match store_outputs(&context, &job.output_keys, outs) {
            Ok(()) => reply::ok(&context),
            Err(e) => {
                context.reply(Err(e));
            }
        },
    }));
    if done.is_err() {
        context.reply(Err(RedisError::Str("ERR internal error")));
    }
    raw::REDISMODULE_OK as c_int
}

/// Writes each output tensor to its key and replicates it as `AI.TENSORSET key DTYPE dims... BLOB data`.
fn store_outputs(ctx: &Context, keys: &[Vec<u8>], outs: Vec<Tensor>) -> Result<(), RedisError> {
    for (name, t) in keys.iter().zip(outs) {
        let kname = RedisString::create_from_slice(ctx.ctx, name);
        let key = ctx.open_key_writable(&kname);
        // RedisAI refuses to overwrite a key of another type.
        if key.get_value::<Tensor>(&TENSOR_TYPE).is_err() {
            return Err(RedisError::WrongType);
        }
        replicate_tensorset(ctx, &kname, &t);
        key.set_value(&TENSOR_TYPE, t)
            .map_err(|_| RedisError::Str("ERR could not save tensor"))?;
    }
    Ok(())
}

fn replicate_tensorset(ctx: &Context, key: &RedisString, t: &Tensor) {
    let mut args: Vec<*mut raw::RedisModuleString> = t
        .shape
        .iter()
        .map(|d| create_string(d.to_string().as_bytes()))
        .collect();
    args.push(create_string(b"BLOB"));
    let dtype = std::ffi::CString::new(t.dtype.name()).unwrap_or_default();
    let data = t.bytes();
    // SAFETY: "scvb" = RedisModuleString*, C string, (RedisModuleString**, size_t), (char*, size_t).
    unsafe {
        if let Some(rep) = raw::RedisModule_Replicate {
            rep(
                ctx.ctx,
                c"AI.TENSORSET".as_ptr(),
                c"scvb".as_ptr(),
                key.inner,
                dtype.as_ptr(),
                args.as_mut_ptr(),
                args.len(),
                data.as_ptr().cast::<c_char>(),
                data.len(),
            );
        }
        if let Some(free) = raw::RedisModule_FreeString {
            for a in args {
                free(std::ptr::null_mut(), a);
            }
        }
    }
}

/// Main thread: releases the job (and with it the input tensors' references).
unsafe extern "C" fn free_job(_ctx: *mut raw::RedisModuleCtx, privdata: *mut c_void) {
    if !privdata.is_null() {
        // SAFETY: the Box<Job> leaked by `run`, freed once.
        drop(unsafe { Box::from_raw(privdata.cast::<Job>()) });
    }
}
