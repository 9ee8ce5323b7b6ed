//! Run queues (RedisAI `src/execution/run_queue_info.c`, `background_workers.c`): one queue per device
//! (upper-cased device string) with `THREADS_PER_QUEUE` worker threads. A command parses and resolves its inputs
//! on the main thread, blocks its client and queues a [`Job`]; a worker runs the model and unblocks the client;
//! the reply callback, on the main thread again, writes the outputs, replicates them and replies. A job runs a
//! model or a script function ([`Op`]). Runs of a model stored with `BATCHSIZE` are batched: compatible queued runs are joined along dim 0, run once and split again.

use std::collections::VecDeque;
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::thread::JoinHandleExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use redis_module::{raw, Context, RedisError, RedisString, RedisValue};
use smartredis_protocol::commands::model as kw;

use crate::config;
use crate::model::ModelEntry;
use crate::script::ScriptEntry;
use crate::tensor::dtype::DType;
use crate::tensor::rdb::TENSOR_TYPE;
use crate::tensor::reply;
use crate::tensor::tensor::{create_string, Tensor, TensorData};

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

/// A script function call: the script, the function and its KEYS and ARGS strings.
pub struct ScriptOp {
    /// The script (kept alive even if its key is deleted meanwhile).
    pub script: Arc<ScriptEntry>,
    /// The function to call.
    pub function: String,
    /// `KEYS`, passed as strings.
    pub keys: Vec<Vec<u8>>,
    /// `ARGS`, passed as strings.
    pub args: Vec<Vec<u8>>,
}

/// What a job runs.
pub enum Op {
    /// A model (kept alive even if its key is deleted meanwhile).
    Model(Arc<ModelEntry>),
    /// A script function.
    Script(ScriptOp),
}

impl Op {
    /// The model, for a model run.
    pub fn model(&self) -> Option<&Arc<ModelEntry>> {
        match self {
            Op::Model(m) => Some(m),
            Op::Script(_) => None,
        }
    }

    /// The device queue this op runs on.
    pub fn queue_name(&self) -> String {
        match self {
            Op::Model(m) => m.queue_name(),
            Op::Script(s) => s.script.queue_name(),
        }
    }
}

/// One model run or script call.
pub struct Job {
    /// What to run.
    pub op: Op,
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
    /// Where the finished job goes: the blocked client, or the main thread waiting for it in the command.
    done: Done,
    /// Counted in flight until released (on the main thread).
    _in_flight: InFlight,
}

/// Where a finished job is handed back.
enum Done {
    /// Unblock this client (its reply callback replies).
    Client(*mut raw::RedisModuleBlockedClient),
    /// The command is still waiting on the main thread (see [`submit`]).
    Waiter(Arc<Handoff>),
    /// Called with the finished job on the worker that ran it: a DAG's model op (see [`submit_then`]). `None` once
    /// called.
    Then(Option<Continuation>),
}

/// What a DAG does with its model op's finished job (on a worker thread).
pub type Continuation = Box<dyn FnOnce(Box<Job>) + Send>;

/// A job handed from the main thread, which waits for it briefly inside the command, to a worker.
struct Handoff {
    slot: Mutex<Slot>,
    /// Set (Release) once `slot` holds the finished job, so the waiter can poll without the lock.
    ready: AtomicBool,
}

enum Slot {
    /// The main thread is still waiting.
    Waiting,
    /// The worker finished first.
    Finished(Box<Job>),
    /// The main thread stopped waiting and blocked the client: the worker unblocks it.
    Blocked(*mut raw::RedisModuleBlockedClient),
}

// SAFETY: as for Job: the blocked-client handle may be used from any thread.
unsafe impl Send for Slot {}

// SAFETY: the blocked-client handle may be used from any thread (UnblockClient is thread-safe); the input
// tensors are only read off the main thread and released on it.
unsafe impl Send for Job {}

/// Other work a queue's workers run (DAGs, scripts): a closure given the queue it runs on, with the time it was
/// queued.
pub type Task = Box<dyn FnOnce(&Arc<Queue>) + Send>;

/// What waits on a queue: model runs (which may be batched together) and other tasks, each in arrival order.
#[derive(Default)]
struct Pending {
    jobs: VecDeque<Box<Job>>,
    tasks: VecDeque<(Instant, Task)>,
}

/// What a worker took from its queue.
#[allow(clippy::vec_box)]
enum Taken {
    Batch(Vec<Box<Job>>),
    Task(Task),
}

/// A device's queue and its workers.
pub struct Queue {
    /// The device (upper case).
    pub name: String,
    pending: Mutex<Pending>,
    ready: Condvar,
    /// Workers running something now.
    busy: AtomicUsize,
    /// Jobs and tasks in `pending` (written under its lock, read by a spinning worker without it).
    waiting: AtomicUsize,
    /// Workers parked on `ready` (changed under the `pending` lock): no wake-up call is made when none is.
    parked: AtomicUsize,
    /// Whether a worker is spinning for the next job (see [`Queue::spin_for_work`]).
    spinning: AtomicBool,
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
        pending: Mutex::new(Pending::default()),
        ready: Condvar::new(),
        busy: AtomicUsize::new(0),
        waiting: AtomicUsize::new(0),
        parked: AtomicUsize::new(0),
        spinning: AtomicBool::new(false),
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
    fn work(self: &Arc<Self>) {
        loop {
            let taken = {
                let mut p = lock(&self.pending);
                let taken = loop {
                    // The older of the front task and the front model run goes first.
                    let task_first = match (p.tasks.front(), p.jobs.front()) {
                        (Some((t, _)), Some(j)) => *t <= j.enqueued,
                        (Some(_), None) => true,
                        _ => false,
                    };
                    if task_first {
                        if let Some((_, t)) = p.tasks.pop_front() {
                            break Taken::Task(t);
                        }
                    }
                    if p.jobs.is_empty() {
                        if let Some((_, t)) = p.tasks.pop_front() {
                            break Taken::Task(t);
                        }
                        self.parked.fetch_add(1, Ordering::SeqCst);
                        p = self.ready.wait(p).unwrap_or_else(|e| e.into_inner());
                        self.parked.fetch_sub(1, Ordering::SeqCst);
                        continue;
                    }
                    if let Some(b) = take_batch(&mut p.jobs) {
                        break Taken::Batch(b);
                    }
                    // The front job waits for MINBATCHSIZE; other tasks need not wait for it.
                    if let Some((_, t)) = p.tasks.pop_front() {
                        break Taken::Task(t);
                    }
                    // Poll every millisecond, as RedisAI's workers do.
                    self.parked.fetch_add(1, Ordering::SeqCst);
                    p = self
                        .ready
                        .wait_timeout(p, Duration::from_millis(1))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    self.parked.fetch_sub(1, Ordering::SeqCst);
                };
                // More waiting (several requests came while one worker spun, so none was woken): wake the next.
                let more = p.jobs.len() + p.tasks.len();
                self.waiting.store(more, Ordering::SeqCst);
                if more > 0 && self.parked.load(Ordering::SeqCst) > 0 {
                    self.ready.notify_one();
                }
                taken
            };
            self.busy.fetch_add(1, Ordering::Relaxed);
            match taken {
                Taken::Batch(b) => run_batch(b),
                Taken::Task(t) => {
                    // A task handles its own errors; a panic must not take the worker down.
                    let _ = catch_unwind(AssertUnwindSafe(|| t(self)));
                }
            }
            self.busy.fetch_sub(1, Ordering::Relaxed);
            self.spin_for_work();
        }
    }

    /// After a run, one worker of the queue at a time polls for the next job for up to [`spin_max`] before it
    /// parks: a client calling in sequence sends its next request about one round trip after its reply, and a job
    /// queued while a worker polls starts at once, on a thread whose caches still hold the model, without the
    /// wake-up of a parked thread. Between polls the worker yields its core, so any other runnable thread there
    /// (the main thread, a client, the simulation) goes first: the poll only uses a core nothing else wants. A
    /// queue that stays idle costs nothing: the poll only follows a run.
    fn spin_for_work(&self) {
        let max = spin_max();
        if max.is_zero() || self.spinning.swap(true, Ordering::SeqCst) {
            return;
        }
        poll(max, || self.waiting.load(Ordering::SeqCst) > 0);
        // Cleared before the worker takes the lock again, so a job queued without a wake-up because a worker was
        // spinning is seen by this one (see `queue_and_wake`).
        self.spinning.store(false, Ordering::SeqCst);
    }

    /// Adds to the pending queue under its lock, then wakes a parked worker unless one is spinning (which will
    /// take it) or none is parked.
    fn queue_and_wake(&self, add: impl FnOnce(&mut Pending)) {
        let mut p = lock(&self.pending);
        add(&mut p);
        self.waiting
            .store(p.jobs.len() + p.tasks.len(), Ordering::SeqCst);
        let wake = !self.spinning.load(Ordering::SeqCst) && self.parked.load(Ordering::SeqCst) > 0;
        drop(p);
        if wake {
            self.ready.notify_one();
        }
    }

    fn push(&self, job: Box<Job>) {
        self.queue_and_wake(|p| p.jobs.push_back(job));
    }

    /// Queues a task (a DAG step, a script run) to run on one of this queue's workers.
    pub fn spawn(&self, task: Task) {
        self.queue_and_wake(|p| p.tasks.push_back((Instant::now(), task)));
    }
}

/// Polls `done` until it is true or `max` has passed, yielding the core every 32 polls (about a microsecond) so that
/// any other runnable thread on it goes first.
fn poll(max: Duration, done: impl Fn() -> bool) {
    let start = Instant::now();
    let mut polls = 0u32;
    while !done() {
        std::hint::spin_loop();
        polls = polls.wrapping_add(1);
        if polls % 32 == 0 {
            if start.elapsed() >= max {
                return;
            }
            std::thread::yield_now();
        }
    }
}

/// How long a worker polls for the next job after a run (see [`Queue::spin_for_work`]): 1000 µs, or the environment
/// variable `SMARTREDIS_AI_SPIN_US` of the server process (`0` turns it off: workers park as soon as the queue is
/// empty).
fn spin_max() -> Duration {
    static MAX: OnceLock<Duration> = OnceLock::new();
    *MAX.get_or_init(|| {
        let us = std::env::var("SMARTREDIS_AI_SPIN_US")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1000);
        Duration::from_micros(us)
    })
}

/// The batch size of a job: dim 0 shared by all its inputs, or 0 (do not batch) when they disagree or one is a
/// scalar.
fn job_batch_size(job: &Job) -> u64 {
    if job.op.model().is_none() {
        return 0;
    }
    let mut size = None;
    for t in &job.inputs {
        match (t.shape.first(), size) {
            (None, _) => return 0,
            (Some(&d), None) => size = Some(d),
            (Some(&d), Some(s)) if d != s => return 0,
            _ => {}
        }
    }
    size.unwrap_or(0).max(0) as u64
}

/// Whether `b` can run in one batch with `a`: the same model object, and inputs of the same types, ranks and
/// dimensions apart from dim 0.
fn batchable_with(a: &Job, b: &Job) -> bool {
    matches!((a.op.model(), b.op.model()), (Some(x), Some(y)) if Arc::ptr_eq(x, y))
        && a.inputs.len() == b.inputs.len()
        && a.inputs.iter().zip(&b.inputs).all(|(x, y)| {
            x.dtype == y.dtype && x.shape.len() == y.shape.len() && x.shape[1..] == y.shape[1..]
        })
}

/// Takes the next jobs to run from the front of the queue: the front job alone, or (for a model with BATCHSIZE)
/// the front job with compatible queued jobs up to BATCHSIZE (RedisAI §5.4). `None` when the front job must wait
/// for MINBATCHSIZE. (Jobs stay boxed: each box is handed to Redis as its client's private data.)
#[allow(clippy::vec_box)]
fn take_batch(jobs: &mut VecDeque<Box<Job>>) -> Option<Vec<Box<Job>>> {
    let first = jobs.front()?;
    let Some(model) = first.op.model() else {
        return jobs.pop_front().map(|j| vec![j]);
    };
    let meta = &model.meta;
    let first_size = job_batch_size(first);
    let expired = first.timeout.is_some_and(|t| first.enqueued.elapsed() > t);
    if meta.batch_size == 0 || first_size == 0 || first_size >= meta.batch_size || expired {
        return jobs.pop_front().map(|j| vec![j]);
    }
    let mut picked = vec![0];
    let mut total = first_size;
    for (i, j) in jobs.iter().enumerate().skip(1) {
        if total >= meta.batch_size {
            break;
        }
        let size = job_batch_size(j);
        if size > 0 && total + size <= meta.batch_size && batchable_with(first, j) {
            picked.push(i);
            total += size;
        }
    }
    if meta.min_batch_size > 0 && total < meta.min_batch_size {
        let waited = first.enqueued.elapsed();
        let timeout = meta.min_batch_timeout;
        if timeout == 0 || waited < Duration::from_millis(timeout) {
            return None;
        }
    }
    let mut batch: Vec<Box<Job>> = Vec::with_capacity(picked.len());
    for &i in picked.iter().rev() {
        if let Some(j) = jobs.remove(i) {
            batch.push(j);
        }
    }
    batch.reverse();
    Some(batch)
}

/// Runs one job, or a batch of jobs of one model as a single run on their inputs concatenated along dim 0.
#[allow(clippy::vec_box)]
fn run_batch(batch: Vec<Box<Job>>) {
    let (live, expired): (Vec<Box<Job>>, Vec<Box<Job>>) = batch
        .into_iter()
        .partition(|j| j.timeout.is_none_or(|t| j.enqueued.elapsed() <= t));
    for mut j in expired {
        j.outcome = Outcome::TimedOut;
        unblock(j);
    }
    let mut live = live;
    if live.len() <= 1 {
        if let Some(j) = live.pop() {
            run(j);
        }
        return;
    }
    let sizes: Vec<usize> = live.iter().map(|j| job_batch_size(j) as usize).collect();
    let total: usize = sizes.iter().sum();
    let ninputs = live[0].inputs.len();
    let inputs: Vec<Tensor> = (0..ninputs)
        .map(|i| concat(live.iter().map(|j| &j.inputs[i]), total))
        .collect();
    let Some(model) = live[0].op.model().cloned() else {
        for j in live {
            run(j);
        }
        return;
    };
    let start = Instant::now();
    let refs: Vec<&Tensor> = inputs.iter().collect();
    let result = catch_unwind(AssertUnwindSafe(|| model.loaded.run(&refs)))
        .unwrap_or_else(|_| Err("ERR internal error: the backend panicked".into()));
    let us = start.elapsed().as_micros() as u64;
    let split = result.and_then(|outs| {
        if outs.len() != live[0].output_keys.len() {
            return Err("ERR Model did not generate the expected number of outputs".to_string());
        }
        if outs
            .iter()
            .any(|o| o.shape.first() != Some(&(total as i64)))
        {
            return Err("ERR Model did not generate the expected batch size".to_string());
        }
        let mut per_job: Vec<Vec<Tensor>> = sizes.iter().map(|_| Vec::new()).collect();
        for o in &outs {
            let mut row = 0;
            for (k, &n) in sizes.iter().enumerate() {
                per_job[k].push(slice_rows(o, row, n));
                row += n;
            }
        }
        Ok(per_job)
    });
    match split {
        Ok(per_job) => {
            for ((mut j, outs), n) in live.into_iter().zip(per_job).zip(sizes) {
                model.stats.record(us, Some(n as i64));
                j.outcome = Outcome::Done(outs);
                unblock(j);
            }
        }
        Err(e) => {
            for mut j in live {
                model.stats.record(us, None);
                j.outcome = Outcome::Failed(e.clone());
                unblock(j);
            }
        }
    }
}

/// The tensors (same type, same dims apart from dim 0) joined along dim 0 into `rows` rows. STRING data joins as
/// bytes too, since each element carries its own NUL terminator.
fn concat<'a>(parts: impl Iterator<Item = &'a Tensor>, rows: usize) -> Tensor {
    let mut parts = parts.peekable();
    let (dtype, mut shape) = match parts.peek() {
        Some(t) => (t.dtype, t.shape.clone()),
        None => (DType::Float, vec![0]),
    };
    let mut data = Vec::new();
    for t in parts {
        data.extend_from_slice(t.bytes());
    }
    shape[0] = rows as i64;
    Tensor {
        dtype,
        shape,
        data: TensorData::owned(data),
    }
}

/// Rows `start .. start + n` of `t` along dim 0.
fn slice_rows(t: &Tensor, start: usize, n: usize) -> Tensor {
    let per_row: usize = t.shape[1..].iter().map(|&d| d as usize).product();
    let data = if t.dtype == DType::String {
        let elems: Vec<&[u8]> = t.string_elements().collect();
        let mut out = Vec::new();
        for e in elems.iter().skip(start * per_row).take(n * per_row) {
            out.extend_from_slice(e);
            out.push(0);
        }
        out
    } else {
        let row = per_row * t.dtype.size();
        t.bytes()[start * row..(start + n) * row].to_vec()
    };
    let mut shape = t.shape.clone();
    shape[0] = n as i64;
    Tensor {
        dtype: t.dtype,
        shape,
        data: TensorData::owned(data),
    }
}

/// Runs a job on the calling worker thread and unblocks its client.
fn run(mut job: Box<Job>) {
    let expired = job.timeout.is_some_and(|t| job.enqueued.elapsed() > t);
    job.outcome = if expired {
        Outcome::TimedOut
    } else {
        let inputs: Vec<&Tensor> = job.inputs.iter().collect();
        let n = job.output_keys.len();
        let result = match &job.op {
            Op::Model(model) => run_model(model, &inputs, n),
            Op::Script(s) => run_script(s, &inputs, n),
        };
        match result {
            Ok(outs) => Outcome::Done(outs),
            Err(e) => Outcome::Failed(e),
        }
    };
    unblock(job);
}

/// Runs a script call on the calling worker thread (statistics recorded by [`ScriptEntry::execute`]).
fn run_script(s: &ScriptOp, inputs: &[&Tensor], n_outputs: usize) -> Result<Vec<Tensor>, String> {
    catch_unwind(AssertUnwindSafe(|| {
        s.script
            .execute(&s.function, inputs, &s.keys, &s.args, n_outputs)
    }))
    .unwrap_or_else(|_| Err("ERR internal error: the backend panicked".into()))
}

/// Runs `model` once on the calling worker thread (never the main thread), checks that it produced `noutputs`
/// outputs and records the run in its statistics. The error is the reply text.
pub fn run_model(
    model: &ModelEntry,
    inputs: &[&Tensor],
    noutputs: usize,
) -> Result<Vec<Tensor>, String> {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| model.loaded.run(inputs)))
        .unwrap_or_else(|_| Err("ERR internal error: the backend panicked".into()));
    let us = start.elapsed().as_micros() as u64;
    let stats = &model.stats;
    match result {
        Ok(outs) if outs.len() != noutputs => {
            stats.record(us, None);
            Err("ERR Model did not generate the expected number of outputs".into())
        }
        Ok(outs) => {
            let samples = outs
                .first()
                .and_then(|t| t.shape.first().copied())
                .unwrap_or(1);
            stats.record(us, Some(samples));
            Ok(outs)
        }
        Err(e) => {
            stats.record(us, None);
            Err(e)
        }
    }
}

/// Hands a finished job back: to the main thread if it is still waiting in the command, else by unblocking its
/// client (Redis then hands the job to the reply and free callbacks on the main thread).
fn unblock(mut job: Box<Job>) {
    let bc = match &mut job.done {
        Done::Then(k) => {
            if let Some(k) = k.take() {
                k(job);
            }
            return;
        }
        Done::Client(bc) => *bc,
        Done::Waiter(h) => {
            let h = h.clone();
            let mut slot = lock(&h.slot);
            match &*slot {
                Slot::Blocked(bc) => *bc,
                _ => {
                    *slot = Slot::Finished(job);
                    h.ready.store(true, Ordering::Release);
                    return;
                }
            }
        }
    };
    // SAFETY: `bc` came from BlockClient and is unblocked exactly once (the only path that reaches here for it).
    unsafe { unblock_with(bc, job) }
}

/// Unblocks a client blocked with [`block`], handing `data` to its reply and free callbacks (main thread).
///
/// # Safety
/// `bc` must come from [`block`] and be unblocked exactly once; the callbacks must expect a `Box<T>`.
pub unsafe fn unblock_with<T>(bc: *mut raw::RedisModuleBlockedClient, data: Box<T>) {
    // SAFETY: per the contract above.
    unsafe {
        if let Some(unblock) = raw::RedisModule_UnblockClient {
            unblock(bc, Box::into_raw(data).cast());
        }
    }
}

/// The reply callback signature of a blocked client.
pub type ReplyCallback = unsafe extern "C" fn(
    *mut raw::RedisModuleCtx,
    *mut *mut raw::RedisModuleString,
    c_int,
) -> c_int;
/// The free callback signature of a blocked client.
pub type FreeCallback = unsafe extern "C" fn(*mut raw::RedisModuleCtx, *mut c_void);

/// Blocks the calling client (main thread) with the given callbacks and no Redis-side timeout.
pub fn block(
    ctx: &Context,
    reply: ReplyCallback,
    free: FreeCallback,
) -> Result<*mut raw::RedisModuleBlockedClient, RedisError> {
    // SAFETY: a command context on the main thread; the callbacks match Redis's signatures.
    let bc = unsafe {
        raw::RedisModule_BlockClient.ok_or(RedisError::Str("ERR cannot block"))?(
            ctx.ctx,
            Some(reply),
            None,
            Some(free),
            0,
        )
    };
    if bc.is_null() {
        return Err(RedisError::Str("ERR cannot block the client"));
    }
    Ok(bc)
}

/// Model runs and DAGs between their command and their reply.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts a run or DAG in flight until the returned guard is dropped (on the main thread, with its reply).
pub fn in_flight() -> InFlight {
    IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
    InFlight(())
}

/// See [`in_flight`].
pub struct InFlight(());

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The client that submitted the last model run.
static LAST_CLIENT: AtomicU64 = AtomicU64::new(0);

/// The longest the main thread waits for a model run inside the command before blocking the client instead:
/// 1000 µs, or the environment variable `SMARTREDIS_AI_WAIT_US` of the server process (`0` turns waiting off, so
/// every run blocks its client, as RedisAI does).
fn wait_max() -> Duration {
    static MAX: OnceLock<Duration> = OnceLock::new();
    *MAX.get_or_init(|| {
        let us = std::env::var("SMARTREDIS_AI_WAIT_US")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1000);
        Duration::from_micros(us)
    })
}

/// How long the main thread may wait for this run in the command, if at all: only when nothing else is in flight
/// and the previous run came from the same client (a client calling in sequence, not several clients at once, whose
/// requests would wait behind the main thread), a worker of the queue is idle and the queue is
/// empty (so the run starts at once), the model does not batch (batching waits for other requests) and its runs
/// are known to be short (or it has not run yet). Then waiting holds the main thread for about one model run
/// (polling, see [`poll`]), and saves the client the blocked-client round trip (a pipe write, an event-loop
/// wake-up and a second pass through the reply machinery), which dominates the latency of small models.
fn wait_budget(ctx: &Context, model: &ModelEntry, queue: &Queue) -> Option<Duration> {
    // SAFETY: a command context on the main thread.
    let client = unsafe { raw::RedisModule_GetClientId.map_or(0, |f| f(ctx.ctx)) };
    let same_client = LAST_CLIENT.swap(client, Ordering::Relaxed) == client;
    if !same_client || model.meta.batch_size > 0 || IN_FLIGHT.load(Ordering::Relaxed) > 0 {
        return None;
    }
    {
        let p = lock(&queue.pending);
        if !p.jobs.is_empty() || !p.tasks.is_empty() || queue.busy.load(Ordering::Relaxed) > 0 {
            return None;
        }
    }
    let stats = &model.stats;
    let calls = stats.calls.load(Ordering::Relaxed);
    let mean = stats
        .duration_us
        .load(Ordering::Relaxed)
        .checked_div(calls)
        .unwrap_or(0);
    let budget = Duration::from_micros(2 * mean + 100);
    (budget <= wait_max()).then_some(budget)
}

/// Queues the run. When [`wait_budget`] allows, the main thread waits for the worker inside the command and
/// replies at once; otherwise (or if the run takes longer) the client is blocked and replied to from the
/// blocked-client callback. Either way the model runs on a worker, never on the main thread. Fails (without
/// blocking) if the queue cannot be created.
pub fn submit(
    ctx: &Context,
    model: Arc<ModelEntry>,
    inputs: Vec<Tensor>,
    output_keys: Vec<Vec<u8>>,
    timeout: Option<Duration>,
) -> Result<(), RedisError> {
    let queue = ensure(&model.queue_name()).map_err(RedisError::String)?;
    let job = |done| {
        Box::new(Job {
            op: Op::Model(model.clone()),
            inputs,
            output_keys,
            enqueued: Instant::now(),
            timeout,
            outcome: Outcome::Pending,
            done,
            _in_flight: in_flight(),
        })
    };
    let Some(budget) = wait_budget(ctx, &model, &queue) else {
        let bc = block(ctx, reply_callback, free_job)?;
        queue.push(job(Done::Client(bc)));
        return Ok(());
    };
    let h = Arc::new(Handoff {
        slot: Mutex::new(Slot::Waiting),
        ready: AtomicBool::new(false),
    });
    queue.push(job(Done::Waiter(h.clone())));
    // Poll: the worker usually runs the job on another core and the main thread sees it finish without being woken
    // (parking would add a thread wake-up per run); if the worker is on this core, or no core is idle, the yields
    // between polls let it run.
    poll(budget, || h.ready.load(Ordering::Acquire));
    let mut slot = lock(&h.slot);
    if let Slot::Finished(_) = &*slot {
        let Slot::Finished(mut job) = std::mem::replace(&mut *slot, Slot::Waiting) else {
            return Err(RedisError::Str("ERR internal error: lost job"));
        };
        drop(slot);
        reply_job(ctx, &mut job);
        return Ok(());
    }
    // Still running: block the client; the worker unblocks it when done.
    match block(ctx, reply_callback, free_job) {
        Ok(bc) => {
            *slot = Slot::Blocked(bc);
            Ok(())
        }
        Err(e) => {
            // Cannot block: wait for the worker after all (it holds the inputs, released here on the main thread).
            drop(slot);
            while !h.ready.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
            let mut slot = lock(&h.slot);
            if let Slot::Finished(job) = std::mem::replace(&mut *slot, Slot::Waiting) {
                drop(job);
            }
            Err(e)
        }
    }
}

/// Queues a run of `model` from a worker (a DAG's model op), so that it is batched with other runs of the same
/// model as [`submit`]'s are (`BATCHSIZE`, `MINBATCHSIZE`, `MINBATCHTIMEOUT`). `then` gets the finished job back on
/// the worker that ran it, with its inputs (which it must keep off worker threads' drops: they may be held keyspace
/// strings) and its outcome.
pub fn submit_then(
    queue: &Queue,
    model: Arc<ModelEntry>,
    inputs: Vec<Tensor>,
    noutputs: usize,
    timeout: Option<Duration>,
    then: Continuation,
) {
    queue.push(Box::new(Job {
        op: Op::Model(model),
        inputs,
        // The DAG names its outputs itself: only their number counts here.
        output_keys: vec![Vec::new(); noutputs],
        enqueued: Instant::now(),
        timeout,
        outcome: Outcome::Pending,
        done: Done::Then(Some(then)),
        _in_flight: in_flight(),
    }));
}

/// Blocks the calling client and queues `op` (a script call) on its device's queue; the reply callback writes the
/// outputs. The main thread never waits for it here: a script may call back into Redis, which needs the main
/// thread's lock. Fails (without blocking) if the queue cannot be created.
pub fn submit_op(
    ctx: &Context,
    op: Op,
    inputs: Vec<Tensor>,
    output_keys: Vec<Vec<u8>>,
    timeout: Option<Duration>,
) -> Result<(), RedisError> {
    let queue = ensure(&op.queue_name()).map_err(RedisError::String)?;
    let bc = block(ctx, reply_callback, free_job)?;
    queue.push(Box::new(Job {
        op,
        inputs,
        output_keys,
        enqueued: Instant::now(),
        timeout,
        outcome: Outcome::Pending,
        done: Done::Client(bc),
        _in_flight: in_flight(),
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
    reply_job(&context, job);
    raw::REDISMODULE_OK as c_int
}

/// Main thread: writes and replicates a finished job's outputs, then replies.
fn reply_job(context: &Context, job: &mut Job) {
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
        Outcome::Done(outs) => match store_outputs(context, &job.output_keys, outs) {
            Ok(()) => reply::ok(context),
            Err(e) => {
                context.reply(Err(e));
            }
        },
    }));
    if done.is_err() {
        context.reply(Err(RedisError::Str("ERR internal error")));
    }
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

/// Replicates `t` stored under `key` as `AI.TENSORSET key DTYPE dims... BLOB data`.
pub fn replicate_tensorset(ctx: &Context, key: &RedisString, t: &Tensor) {
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
