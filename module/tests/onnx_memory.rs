//! ONNX Runtime's memory through the module's allocator (RedisAI `src/backends/onnx_allocator/`): the
//! `INFO MODULES` counters `ai_onnxruntime_memory` / `ai_onnxruntime_memory_access_num` follow stores, runs and
//! deletes, and `BACKEND_MEMORY_LIMIT` refuses a store or a run that would pass it with RedisAI's error, leaving a
//! live server. RedisAI's own checks (tests_onnx.py `TestOnnxCustomAllocator`, `test_multiple_devices`) are
//! mirrored where ONNX Runtime 1.32 allows: its exact allocation counts differ from 1.11's.

mod common;

use common::{
    execute, get_f32, info_field, model_store, randf, server_with, set_f32, words, Linear, Raw, Rng,
};

/// RedisAI's error text for an allocation past `BACKEND_MEMORY_LIMIT`.
const LIMIT_EXCEEDED: &str = "Onnxruntime memory limit exceeded, memory allocation failed.";

/// `(ai_onnxruntime_memory, ai_onnxruntime_memory_access_num)`.
fn counters(c: &mut Raw) -> (u64, u64) {
    let field = |c: &mut Raw, f: &str| -> u64 {
        info_field(c, "MODULES", f)
            .unwrap_or_else(|| panic!("{f} missing from INFO MODULES"))
            .parse()
            .unwrap()
    };
    (
        field(c, "ai_onnxruntime_memory"),
        field(c, "ai_onnxruntime_memory_access_num"),
    )
}

fn store(c: &mut Raw, key: &str, model: &[u8]) -> String {
    model_store(c, key, "ONNX", "CPU", &[], model)
}

fn assert_close(got: &[f32], want: &[f32]) {
    common::assert_close_within(got, want, 1e-4);
}

#[test]
fn counters_follow_store_run_and_delete() {
    let s = server_with(&[]);
    let mut c = Raw::new(&s);
    assert_eq!(info_field(&mut c, "MODULES", "ai_onnxruntime_memory"), None);
    // 256 x 256 weights: 256 KiB that the session holds while the model is stored.
    let (k, m) = (256, 256);
    let model = Linear::new(7, k, m);
    assert_eq!(store(&mut c, "m", &model.model), "+OK\r\n");
    let (stored, n_stored) = counters(&mut c);
    assert!(stored >= (k * m * 4) as u64, "{stored}");
    assert!(n_stored > 0);
    assert!(info_field(&mut c, "MODULES", "ai_onnxruntime_version")
        .is_some_and(|v| v.starts_with("1.")));

    let x = randf(&mut Rng(3), 8 * k);
    set_f32(&mut c, "x", &[8, k], &x);
    for round in 1..=3 {
        assert_eq!(execute(&mut c, "m", &["x"], &["y"]), "+OK\r\n");
        assert_close(&get_f32(&mut c, "y"), &model.apply(&x));
        let (mem, n) = counters(&mut c);
        // The run's output (and whatever else it took) went through the allocator and was given back.
        assert_eq!(mem, stored, "round {round}");
        assert!(n >= n_stored + 2 * round, "round {round}: {n} {n_stored}");
    }

    // A second model adds its weights, in Redis's memory: `used_memory` grows by the blob the module keeps and
    // what ONNX Runtime took. Deleting both gives everything back.
    let used = |c: &mut Raw| -> u64 {
        info_field(c, "memory", "used_memory")
            .unwrap()
            .parse()
            .unwrap()
    };
    let used_before = used(&mut c);
    assert_eq!(store(&mut c, "m2", &model.model), "+OK\r\n");
    let (two, _) = counters(&mut c);
    assert!(two >= stored + (k * m * 4) as u64, "{two} {stored}");
    let grown = used(&mut c) - used_before;
    let onnx = two - stored;
    assert!(
        grown + 16384 >= model.model.len() as u64 + onnx,
        "used_memory grew by {grown}: the blob is {} bytes, ONNX Runtime took {onnx}",
        model.model.len()
    );
    assert_eq!(c.cmd(&words("AI.MODELDEL m")), "+OK\r\n");
    assert_eq!(c.cmd(&words("AI.MODELDEL m2")), "+OK\r\n");
    let (mem, n) = counters(&mut c);
    assert_eq!(mem, 0);
    assert!(n > n_stored);
}

#[test]
fn memory_limit_refuses_a_big_store_and_a_big_run() {
    // 1 MB (RedisAI counts 10^6 bytes).
    let s = server_with(&["BACKEND_MEMORY_LIMIT", "1"]);
    let mut c = Raw::new(&s);
    assert_eq!(
        info_field(&mut c, "MODULES", "ai_backend_memory_limit").as_deref(),
        Some("1")
    );
    // 512 x 512 float weights: 1 MiB, more than the limit.
    let big = Linear::new(1, 512, 512);
    // ONNX Runtime reports the allocator's refusal as RedisAI's test expects it.
    assert_eq!(
        store(&mut c, "big", &big.model),
        format!("-Exception during initialization: {LIMIT_EXCEEDED}\r\n")
    );
    assert_eq!(c.cmd(&["EXISTS", "big"]), ":0\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    let (after_refusal, _) = counters(&mut c);
    assert_eq!(after_refusal, 0, "a refused store gives back what it took");

    // A small model fits, and runs on small inputs.
    let (k, m) = (4, 4);
    let small = Linear::new(2, k, m);
    assert_eq!(store(&mut c, "small", &small.model), "+OK\r\n");
    let (stored, _) = counters(&mut c);
    let x = randf(&mut Rng(5), 2 * k);
    set_f32(&mut c, "x", &[2, k], &x);
    assert_eq!(execute(&mut c, "small", &["x"], &["y"]), "+OK\r\n");
    assert_close(&get_f32(&mut c, "y"), &small.apply(&x));

    // A run whose output (100000 x 4 floats, 1.6 MB) passes the limit fails with the same error.
    let rows = 100_000;
    set_f32(&mut c, "xbig", &[rows, k], &vec![0.5; rows * k]);
    let reply = execute(&mut c, "small", &["xbig"], &["ybig"]);
    assert!(
        reply.starts_with('-') && reply.contains(LIMIT_EXCEEDED),
        "{reply}"
    );
    assert_eq!(c.cmd(&["EXISTS", "ybig"]), ":0\r\n");
    assert_eq!(
        counters(&mut c).0,
        stored,
        "a failed run gives back what it took"
    );

    // The server and the model still work.
    assert_eq!(execute(&mut c, "small", &["x"], &["y2"]), "+OK\r\n");
    assert_close(&get_f32(&mut c, "y2"), &small.apply(&x));
    assert_eq!(c.cmd(&words("AI.MODELDEL small")), "+OK\r\n");
    assert_eq!(counters(&mut c).0, 0);
}

#[test]
fn without_a_limit_the_same_store_and_run_succeed() {
    let s = server_with(&[]);
    let mut c = Raw::new(&s);
    let big = Linear::new(1, 512, 512);
    assert_eq!(store(&mut c, "big", &big.model), "+OK\r\n");
    let rows = 2_000;
    let x = randf(&mut Rng(9), rows * 512);
    set_f32(&mut c, "x", &[rows, 512], &x);
    assert_eq!(execute(&mut c, "big", &["x"], &["y"]), "+OK\r\n");
    assert_close(&get_f32(&mut c, "y"), &big.apply(&x));
    assert!(counters(&mut c).0 >= 512 * 512 * 4);
}

#[test]
fn maximum_run_sessions_is_one_per_worker_thread() {
    let s = server_with(&["THREADS_PER_QUEUE", "3"]);
    let mut c = Raw::new(&s);
    let sessions =
        |c: &mut Raw| info_field(c, "MODULES", "ai_onnxruntime_maximum_run_sessions_number");
    assert_eq!(sessions(&mut c), None, "shown once ONNX is loaded");
    let model = Linear::new(4, 3, 2);
    assert_eq!(store(&mut c, "m", &model.model), "+OK\r\n");
    // The CPU queue exists from the start.
    assert_eq!(sessions(&mut c).as_deref(), Some("3"));
    // A model on another device adds that device's queue.
    assert_eq!(
        model_store(&mut c, "m1", "ONNX", "CPU:1", &[], &model.model),
        "+OK\r\n"
    );
    assert_eq!(sessions(&mut c).as_deref(), Some("6"));
    // The fields come in RedisAI's order, and INFO with every section still answers.
    let info = c.cmd(&["INFO", "MODULES"]);
    let keys: Vec<&str> = info
        .lines()
        .filter(|l| l.starts_with("ai_onnxruntime"))
        .map(|l| l.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        keys,
        [
            "ai_onnxruntime_version",
            "ai_onnxruntime_memory",
            "ai_onnxruntime_memory_access_num",
            "ai_onnxruntime_maximum_run_sessions_number"
        ]
    );
    assert!(c
        .cmd(&["INFO", "everything"])
        .contains("ai_onnxruntime_memory_access_num:"));
}
