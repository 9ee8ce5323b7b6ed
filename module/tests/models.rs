//! Models on the ONNX backend: AI.MODELSTORE/MODELSET/MODELGET/MODELDEL/MODELEXECUTE/MODELRUN and AI.INFO
//! against a real redis-server with the module and ONNX Runtime (fetched by `scripts/fetch-backends.sh`). Models
//! are built in the test (testkit::onnx); every result is checked against the same computation done here.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{
    affine, aof_server, assert_close_within, backends_path, blocked_clients, bulk_payload, bwords,
    cmd, err, f32_bytes, get_blob, get_f32, info_field, model_store, randf, rewrite_aof,
    server_with, set_f32, set_tensor, synced, wait_for, words, Linear, Raw, RedisServer, Rng,
};
use testkit::onnx::{self, ty};

const BOUND: Duration = Duration::from_secs(60);

fn server() -> RedisServer {
    server_with(&[])
}

fn store(c: &mut Raw, key: &str, model: &[u8]) -> String {
    model_store(c, key, "ONNX", "CPU", &[], model)
}

fn shape(c: &mut Raw, key: &str) -> String {
    c.cmd(&["AI.TENSORGET", key, "META"])
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_close_within(got, want, 1e-4);
}

const K: usize = 3;
const M: usize = 2;

fn linear(seed: u64) -> Linear {
    Linear::new(seed, K, M)
}

#[test]
fn linear_model_store_get_execute_info_delete() {
    let s = server();
    let mut c = Raw::new(&s);
    let lin = linear(1);
    assert_eq!(
        model_store(&mut c, "m", "ONNX", "CPU", &words("TAG v1"), &lin.model),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["AI.MODELGET", "m", "META"]),
        "*16\r\n$7\r\nbackend\r\n$4\r\nONNX\r\n$6\r\ndevice\r\n$3\r\nCPU\r\n$3\r\ntag\r\n$2\r\nv1\r\n\
         $9\r\nbatchsize\r\n:0\r\n$12\r\nminbatchsize\r\n:0\r\n$6\r\ninputs\r\n*1\r\n$1\r\nx\r\n\
         $7\r\noutputs\r\n*1\r\n$1\r\ny\r\n$15\r\nminbatchtimeout\r\n:0\r\n"
    );
    assert_eq!(
        bulk_payload(&c.cmd_bytes(&[b"AI.MODELGET", b"m", b"BLOB"])),
        lin.model
    );
    let full = c.cmd_bytes(&[b"AI.MODELGET", b"m"]);
    assert!(full.starts_with(b"*18\r\n"));
    assert!(full.ends_with(
        &[
            b"$4\r\nblob\r\n".as_slice(),
            &format!("${}\r\n", lin.model.len()).into_bytes(),
            &lin.model,
            b"\r\n"
        ]
        .concat()
    ));

    let mut rng = Rng(2);
    let n = 4;
    let x = randf(&mut rng, n * K);
    set_f32(&mut c, "x", &[n, K], &x);
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y")),
        "+OK\r\n"
    );
    assert_close(&get_f32(&mut c, "y"), &affine(&x, &lin.w, &lin.b, n, K, M));
    assert_eq!(
        shape(&mut c, "y"),
        "*4\r\n$5\r\ndtype\r\n$5\r\nFLOAT\r\n$5\r\nshape\r\n*2\r\n:4\r\n:2\r\n"
    );
    // The deprecated form, with a timeout; a batch of one.
    set_f32(&mut c, "x1", &[1, K], &x[..K]);
    assert_eq!(
        c.cmd(&words("AI.MODELRUN m TIMEOUT 10000 INPUTS x1 OUTPUTS y1")),
        "+OK\r\n"
    );
    assert_close(
        &get_f32(&mut c, "y1"),
        &affine(&x[..K], &lin.w, &lin.b, 1, K, M),
    );

    let info = c.cmd(&["AI.INFO", "m"]);
    assert!(
        info.starts_with(
            "*18\r\n$3\r\nkey\r\n$1\r\nm\r\n$4\r\ntype\r\n$5\r\nMODEL\r\n$7\r\nbackend\r\n$4\r\nONNX\r\n\
             $6\r\ndevice\r\n$3\r\nCPU\r\n$3\r\ntag\r\n$2\r\nv1\r\n$8\r\nduration\r\n:"
        ),
        "{info}"
    );
    assert!(
        info.ends_with("$7\r\nsamples\r\n:5\r\n$5\r\ncalls\r\n:2\r\n$6\r\nerrors\r\n:0\r\n"),
        "{info}"
    );
    assert_eq!(c.cmd(&["AI.INFO", "m", "RESETSTAT"]), "+OK\r\n");
    assert!(c
        .cmd(&["AI.INFO", "m"])
        .ends_with("$8\r\nduration\r\n:0\r\n$7\r\nsamples\r\n:0\r\n$5\r\ncalls\r\n:0\r\n$6\r\nerrors\r\n:0\r\n"));

    assert_eq!(c.cmd(&["AI.MODELDEL", "m"]), "+OK\r\n");
    assert_eq!(c.cmd(&["AI.MODELDEL", "m"]), err("ERR model key is empty"));
    assert_eq!(c.cmd(&["AI.MODELGET", "m"]), err("ERR model key is empty"));
    assert_eq!(
        c.cmd(&["AI.INFO", "m"]),
        err("ERR cannot find run info for key")
    );
    assert_eq!(c.cmd(&["EXISTS", "m"]), ":0\r\n");
}

#[test]
fn mlp_and_multi_input_output_models() {
    let s = server();
    let mut c = Raw::new(&s);
    let mut rng = Rng(3);
    let (k, h, m) = (8, 16, 4);
    let (w1, b1) = (randf(&mut rng, k * h), randf(&mut rng, h));
    let (w2, b2) = (randf(&mut rng, h * m), randf(&mut rng, m));
    let model = onnx::mlp(&w1, &b1, &w2, &b2, k as i64, h as i64, m as i64);
    // The deprecated AI.MODELSET stores it too (INPUTS/OUTPUTS ignored by ONNX).
    assert_eq!(
        cmd(
            &mut c,
            &[
                bwords("AI.MODELSET mlp ONNX CPU INPUTS a OUTPUTS b BLOB"),
                vec![&model[..]]
            ]
            .concat()
        ),
        "+OK\r\n"
    );
    let n = 5;
    let x = randf(&mut rng, n * k);
    set_f32(&mut c, "in", &[n, k], &x);
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE mlp INPUTS 1 in OUTPUTS 1 out")),
        "+OK\r\n"
    );
    let hidden: Vec<f32> = affine(&x, &w1, &b1, n, k, h)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    assert_close(&get_f32(&mut c, "out"), &affine(&hidden, &w2, &b2, n, h, m));

    // Two inputs and two outputs, INT64 and DOUBLE.
    assert_eq!(store(&mut c, "am64", &onnx::add_mul(ty::INT64)), "+OK\r\n");
    let a: Vec<i64> = vec![1, -2, 3, 40, 5, -6];
    let b: Vec<i64> = vec![7, 8, -9, 10, 11, 1 << 40];
    let le = |v: &[i64]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    set_tensor(&mut c, "a", "INT64", &[2, 3], &le(&a));
    set_tensor(&mut c, "b", "INT64", &[2, 3], &le(&b));
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE am64 INPUTS 2 a b OUTPUTS 2 s p")),
        "+OK\r\n"
    );
    let sum: Vec<i64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    let prod: Vec<i64> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
    assert_eq!(get_blob(&mut c, "s"), le(&sum));
    assert_eq!(get_blob(&mut c, "p"), le(&prod));
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "p", "META"]),
        "*4\r\n$5\r\ndtype\r\n$5\r\nINT64\r\n$5\r\nshape\r\n*2\r\n:2\r\n:3\r\n"
    );

    assert_eq!(store(&mut c, "amd", &onnx::add_mul(ty::DOUBLE)), "+OK\r\n");
    assert_eq!(
        c.cmd(&words("AI.TENSORSET da DOUBLE 1 2 VALUES 0.5 -3")),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&words("AI.TENSORSET db DOUBLE 1 2 VALUES 4 0.25")),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE amd INPUTS 2 da db OUTPUTS 2 ds dp")),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "ds", "VALUES"]),
        "*2\r\n$3\r\n4.5\r\n$5\r\n-2.75\r\n"
    );
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "dp", "VALUES"]),
        "*2\r\n$1\r\n2\r\n$5\r\n-0.75\r\n"
    );
}

#[test]
fn string_bool_and_uint8_tensors_pass_through() {
    let s = server();
    let mut c = Raw::new(&s);
    assert_eq!(store(&mut c, "sid", &onnx::identity(ty::STRING)), "+OK\r\n");
    assert_eq!(
        c.cmd(&[
            "AI.TENSORSET",
            "si",
            "STRING",
            "3",
            "VALUES",
            "alpha",
            "",
            "gamma ray"
        ]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE sid INPUTS 1 si OUTPUTS 1 so")),
        "+OK\r\n"
    );
    assert_eq!(get_blob(&mut c, "so"), b"alpha\0\0gamma ray\0");
    for (dtype, elem, blob) in [
        ("BOOL", ty::BOOL, vec![1u8, 0, 1, 1]),
        ("UINT8", ty::UINT8, vec![0u8, 7, 255, 128]),
        ("INT8", ty::INT8, vec![0x80u8, 7, 0xff, 1]),
    ] {
        let key = format!("id{dtype}");
        assert_eq!(store(&mut c, &key, &onnx::identity(elem)), "+OK\r\n");
        set_tensor(&mut c, "in", dtype, &[4], &blob);
        assert_eq!(
            c.cmd(&[
                "AI.MODELEXECUTE",
                &key,
                "INPUTS",
                "1",
                "in",
                "OUTPUTS",
                "1",
                "out"
            ]),
            "+OK\r\n"
        );
        assert_eq!(get_blob(&mut c, "out"), blob, "{dtype}");
    }
}

#[test]
fn errors_are_clear_and_the_server_stays_up() {
    let s = server();
    let mut c = Raw::new(&s);
    let lin = linear(4);
    // Bad model bytes: ONNX Runtime's message.
    let bad = store(&mut c, "bad", b"this is not an onnx model");
    assert!(bad.starts_with('-') && bad.contains("protobuf"), "{bad}");
    assert_eq!(c.cmd(&["EXISTS", "bad"]), ":0\r\n");
    assert_eq!(
        model_store(&mut c, "m", "PYTORCH", "CPU", &[], &lin.model),
        err("ERR unsupported backend")
    );
    assert_eq!(
        model_store(&mut c, "m", "ONNX", "TPU", &[], &lin.model),
        err("ERR Invalid DEVICE")
    );
    let gpu = model_store(&mut c, "m", "ONNX", "GPU:0", &[], &lin.model);
    assert!(gpu.starts_with("-ERR ") && gpu.contains("GPU"), "{gpu}");
    // TORCH and TFLITE are in this build (module/tests/torch.rs, tflite.rs); TF is not.
    for backend in ["TF", "TFLITE"] {
        let r = model_store(&mut c, "m", backend, "CPU", &[], &lin.model);
        if backend == "TF" {
            assert_eq!(r, err("ERR INPUTS not specified for TF"));
        } else {
            // An ONNX blob is no flatbuffer.
            assert!(r.starts_with("-Failed to load model from buffer"), "{r}");
        }
    }
    assert_eq!(
        c.cmd(&["AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB"]),
        err("ERR wrong number of arguments for 'ai.modelstore' command")
    );

    assert_eq!(store(&mut c, "m", &lin.model), "+OK\r\n");
    set_f32(&mut c, "x", &[2, K], &[1.0; 6]);
    // Wrong input count, missing input key, bad keywords.
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 2 x x OUTPUTS 1 y")),
        err("Number of keys given as INPUTS here does not match model definition")
    );
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 nope OUTPUTS 1 y")),
        err("ERR tensor key is empty or in a different shard")
    );
    assert_eq!(
        c.cmd(&["AI.MODELEXECUTE", "m", "INPUTS", "1", "x", "OUTPUTS", "1"]),
        err("ERR wrong number of arguments for 'AI.MODELEXECUTE' command")
    );
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y TIMEOUT 0")),
        err("ERR Invalid value for TIMEOUT")
    );
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE nomodel INPUTS 1 x OUTPUTS 1 y")),
        err("ERR model key is empty")
    );
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE x INPUTS 1 x OUTPUTS 1 y")),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 m OUTPUTS 1 y")),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    assert_eq!(
        store(&mut c, "x", &lin.model),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    // A run error from the backend (wrong inner dimension) counts as an error in AI.INFO.
    set_f32(&mut c, "wrong", &[2, 5], &[1.0; 10]);
    let r = c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 wrong OUTPUTS 1 y"));
    // ONNX Runtime's text, on one line (newlines become spaces, as RedisAI's RAI_Chomp does).
    assert!(
        r.starts_with("-Got invalid dimensions for input: x") && r.matches('\n').count() == 1,
        "{r}"
    );
    assert!(c
        .cmd(&["AI.INFO", "m"])
        .ends_with("$5\r\ncalls\r\n:1\r\n$6\r\nerrors\r\n:1\r\n"));
    // Wrong element type.
    set_tensor(&mut c, "xi", "INT32", &[1, K], &[0u8; 12]);
    let r = c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 xi OUTPUTS 1 y"));
    assert!(r.starts_with('-'), "{r}");
    // Outputs over a key of another type.
    assert_eq!(c.cmd(&["SET", "str", "v"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 str")),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    // Not inside MULTI.
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y")),
        "+QUEUED\r\n"
    );
    assert_eq!(
        c.cmd(&["EXEC"]),
        "*1\r\n-ERR Cannot run RedisAI command within a transaction or a LUA script\r\n"
    );
    // Cluster key positions.
    assert_eq!(
        c.cmd(&words(
            "COMMAND GETKEYS AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c TIMEOUT 5"
        )),
        "*4\r\n$1\r\nm\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y")),
        "+OK\r\n"
    );
}

#[test]
fn chunked_model_blobs() {
    let s = server();
    let mut c = Raw::new(&s);
    let lin = linear(5);
    let parts: Vec<&[u8]> = lin.model.chunks(7).collect();
    let mut args: Vec<&[u8]> = vec![b"AI.MODELSTORE", b"m", b"ONNX", b"CPU", b"BLOB"];
    args.extend(&parts);
    assert_eq!(cmd(&mut c, &args), "+OK\r\n");
    assert_eq!(
        bulk_payload(&c.cmd_bytes(&[b"AI.MODELGET", b"m", b"BLOB"])),
        lin.model
    );
    // With a small chunk size the blob comes back as an array of chunks.
    assert_eq!(c.cmd(&["AI.CONFIG", "MODEL_CHUNK_SIZE", "100"]), "+OK\r\n");
    let r = c.cmd_bytes(&[b"AI.MODELGET", b"m", b"BLOB"]);
    let n = lin.model.len() / 100 + 1;
    assert!(r.starts_with(format!("*{n}\r\n").as_bytes()));
    let mut rebuilt = Vec::new();
    let mut rest = &r[format!("*{n}\r\n").len()..];
    for _ in 0..n {
        let p = bulk_payload(rest);
        let hdr = format!("${}\r\n", p.len()).len();
        rest = &rest[hdr + p.len() + 2..];
        rebuilt.extend(p);
    }
    assert_eq!(rebuilt, lin.model);
    // Persisted with the small chunk size and loaded back.
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI.CONFIG", "MODEL_CHUNK_SIZE", "1000000"]),
        "+OK\r\n"
    );
    assert_eq!(
        bulk_payload(&c.cmd_bytes(&[b"AI.MODELGET", b"m", b"BLOB"])),
        lin.model
    );
}

fn check_runs(c: &mut Raw, key: &str, lin: &Linear) {
    let x = [0.5f32, -1.0, 2.0];
    set_f32(c, "px", &[1, K], &x);
    assert_eq!(
        c.cmd(&[
            "AI.MODELEXECUTE",
            key,
            "INPUTS",
            "1",
            "px",
            "OUTPUTS",
            "1",
            "py"
        ]),
        "+OK\r\n"
    );
    assert_close(&get_f32(c, "py"), &affine(&x, &lin.w, &lin.b, 1, K, M));
}

#[test]
fn models_survive_save_restart_reload_aof_and_copy() {
    let a = ["THREADS_PER_QUEUE", "2"];
    let start = |dir: Option<&Path>| aof_server(&a, dir);
    let mut s = start(None);
    let _keep = s.keep_dir();
    let dir = s.dir.clone();
    let mut c = Raw::new(&s);
    let lin = linear(6);
    assert_eq!(
        model_store(
            &mut c,
            "m",
            "ONNX",
            "CPU",
            &words("TAG t BATCHSIZE 4"),
            &lin.model
        ),
        "+OK\r\n"
    );
    let meta = c.cmd(&["AI.MODELGET", "m", "META"]);
    assert_eq!(c.cmd(&["COPY", "m", "m2"]), ":1\r\n");
    check_runs(&mut c, "m2", &lin);
    assert_eq!(c.cmd(&["AI.MODELGET", "m2", "META"]), meta);
    assert!(c.cmd(&["AI.INFO", "m2"]).contains("$5\r\ncalls\r\n:1\r\n"));
    assert!(c.cmd(&["AI.INFO", "m"]).contains("$5\r\ncalls\r\n:0\r\n"));

    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(c.cmd(&["AI.MODELGET", "m", "META"]), meta);
    check_runs(&mut c, "m", &lin);

    // AOF rewrite emits AI.MODELSTORE.
    let base = rewrite_aof(&mut c, &dir);
    s.shutdown(false);
    assert_eq!(
        String::from_utf8_lossy(&base)
            .matches("AI.MODELSTORE")
            .count(),
        2
    );
    let s = start(Some(&dir));
    let mut c = Raw::new(&s);
    assert_eq!(c.cmd(&["AI.MODELGET", "m", "META"]), meta);
    check_runs(&mut c, "m", &lin);
    check_runs(&mut c, "m2", &lin);
    assert!(c
        .cmd(&["AI.INFO", "m"])
        .contains("$3\r\ntag\r\n$1\r\nt\r\n"));

    // RDB: SAVE, restart without AOF.
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    drop(c);
    let mut s = s;
    s.shutdown(false);
    let s = RedisServer::options()
        .with_backends()
        .module_args(a)
        .dir(&dir)
        .start();
    let mut c = Raw::new(&s);
    assert_eq!(c.cmd(&["AI.MODELGET", "m", "META"]), meta);
    check_runs(&mut c, "m", &lin);
}

/// `threads` clients each run model `m` (`lin`) 20 times on inputs of 1 to 3 rows, checking every output.
fn run_concurrently(port: u16, lin: &Linear, threads: u64) {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (w, b) = (lin.w.clone(), lin.b.clone());
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                let mut rng = Rng(100 + t);
                for i in 0..20 {
                    let n = 1 + (i % 3);
                    let x = randf(&mut rng, n * K);
                    let (xk, yk) = (format!("x{t}"), format!("y{t}"));
                    set_f32(&mut c, &xk, &[n, K], &x);
                    assert_eq!(
                        c.cmd(&[
                            "AI.MODELEXECUTE",
                            "m",
                            "INPUTS",
                            "1",
                            &xk,
                            "OUTPUTS",
                            "1",
                            &yk
                        ]),
                        "+OK\r\n"
                    );
                    assert_close(&get_f32(&mut c, &yk), &affine(&x, &w, &b, n, K, M));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn concurrent_clients_and_info_modules() {
    let s = server_with(&["THREADS_PER_QUEUE", "2"]);
    let lin = linear(7);
    let mut c = Raw::new(&s);
    assert_eq!(store(&mut c, "m", &lin.model), "+OK\r\n");
    run_concurrently(s.port, &lin, 8);
    assert!(c.cmd(&["AI.INFO", "m"]).contains("$5\r\ncalls\r\n:160\r\n"));
    let info = c.cmd(&["INFO", "MODULES"]);
    assert!(info.contains("ai_onnxruntime_version:1."), "{info}");
    assert!(
        info.contains("ai_onnxruntime_maximum_run_sessions_number:2"),
        "{info}"
    );
    assert!(
        info.contains("ai_queue_CPU_bthread_n1_used_cpu_total:"),
        "{info}"
    );
    assert!(
        info.contains("ai_queue_CPU_bthread_n2_used_cpu_total:"),
        "{info}"
    );
    assert!(c
        .cmd(&["INFO", "everything"])
        .contains("ai_onnxruntime_version"));
}

/// Runs from one client in sequence (which the main thread waits for inside the command while a worker polls for
/// the next) and from several at once (which block their clients) are right by default, and with both polls off
/// (`SMARTREDIS_AI_WAIT_US=0`, `SMARTREDIS_AI_SPIN_US=0`: every run blocks its client and workers park between runs,
/// as in RedisAI).
#[test]
fn runs_with_the_hand_off_polls_on_and_off() {
    for off in [false, true] {
        let mut opts = RedisServer::options()
            .with_backends()
            .module_args(["THREADS_PER_QUEUE", "2"]);
        if off {
            opts = opts
                .env("SMARTREDIS_AI_WAIT_US", "0")
                .env("SMARTREDIS_AI_SPIN_US", "0");
        }
        let s = opts.start();
        let lin = linear(11);
        let mut c = Raw::new(&s);
        assert_eq!(store(&mut c, "m", &lin.model), "+OK\r\n");
        for _ in 0..50 {
            check_runs(&mut c, "m", &lin);
        }
        run_concurrently(s.port, &lin, 4);
        check_runs(&mut c, "m", &lin);
        assert!(
            c.cmd(&["AI.INFO", "m"]).contains("$5\r\ncalls\r\n:131\r\n"),
            "polls off: {off}"
        );
    }
}

#[test]
fn timeouts() {
    let s = server_with(&["THREADS_PER_QUEUE", "1", "MODEL_EXECUTION_TIMEOUT", "1000"]);
    let mut c = Raw::new(&s);
    // A model that only MODEL_EXECUTION_TIMEOUT ends, however fast the machine.
    assert_eq!(store(&mut c, "slow", &onnx::endless()), "+OK\r\n");
    assert_eq!(store(&mut c, "fast", &linear(8).model), "+OK\r\n");
    set_f32(&mut c, "big", &[4], &[1.0, 2.0, 3.0, 4.0]);
    set_f32(&mut c, "x", &[1, K], &[1.0, 2.0, 3.0]);
    let port = s.port;
    let slow = std::thread::spawn(move || {
        let mut c = Raw::connect(port);
        c.cmd(&words("AI.MODELEXECUTE slow INPUTS 1 big OUTPUTS 1 out"))
    });
    // Once the slow run holds the only worker, a run with a 1 ms TIMEOUT waits longer than that.
    assert!(wait_for(BOUND, || info_field(
        &mut c,
        "clients",
        "blocked_clients"
    )
    .as_deref()
        == Some("1")));
    assert_eq!(
        c.cmd(&words(
            "AI.MODELEXECUTE fast INPUTS 1 x OUTPUTS 1 y TIMEOUT 1"
        )),
        "+TIMEDOUT\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "y"]), ":0\r\n");
    // The slow run is stopped by MODEL_EXECUTION_TIMEOUT (1 s).
    let r = slow.join().unwrap();
    assert!(r.contains("terminate flag"), "{r}");
    assert_eq!(c.cmd(&["EXISTS", "out"]), ":0\r\n");
    assert_eq!(
        c.cmd(&words(
            "AI.MODELEXECUTE fast INPUTS 1 x OUTPUTS 1 y TIMEOUT 60000"
        )),
        "+OK\r\n"
    );
}

#[test]
fn backend_loading() {
    // Nothing at BACKENDSPATH: a clear error, a live server.
    let s = RedisServer::options()
        .with_module()
        .module_args(["BACKENDSPATH", "/nonexistent/backends"])
        .start();
    let mut c = Raw::new(&s);
    let lin = linear(9);
    let r = store(&mut c, "m", &lin.model);
    assert!(
        r.starts_with("-ERR Could not load backend ONNX: ") && r.contains("/nonexistent/backends"),
        "{r}"
    );
    let r = c.cmd(&words(
        "AI.CONFIG LOADBACKEND ONNX redisai_onnxruntime/libonnxruntime.so",
    ));
    assert!(r.starts_with("-ERR error loading backend"), "{r}");
    assert!(!c.cmd(&["INFO", "MODULES"]).contains("onnxruntime_version"));
    // Pointing BACKENDSPATH at the right place, then loading explicitly with a relative path.
    assert_eq!(
        c.cmd(&["AI.CONFIG", "BACKENDSPATH", &backends_path()]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&words(
            "AI.CONFIG LOADBACKEND ONNX redisai_onnxruntime/libonnxruntime.so"
        )),
        "+OK\r\n"
    );
    assert!(c
        .cmd(&["AI.CONFIG", "LOADBACKEND", "ONNX", "redisai_onnxruntime"])
        .starts_with("-ERR error loading backend"));
    assert_eq!(store(&mut c, "m", &lin.model), "+OK\r\n");
    check_runs(&mut c, "m", &lin);
    let r = c.cmd(&["AI.CONFIG", "LOADBACKEND", "TORCH", "x.so"]);
    assert!(r.contains("not available in this build"), "{r}");

    // A load-time ONNX path (absolute, a directory) loads it at start.
    let dir = format!("{}/redisai_onnxruntime", backends_path());
    let s = RedisServer::options()
        .with_module()
        .module_args(["ONNX", dir.as_str()])
        .start();
    let mut c = Raw::new(&s);
    assert!(c
        .cmd(&["INFO", "MODULES"])
        .contains("ai_onnxruntime_version:"));
    assert_eq!(store(&mut c, "m", &lin.model), "+OK\r\n");
}

/// Starts `AI.MODELEXECUTE model INPUTS 1 <in> OUTPUTS 1 <out>` on its own connection after setting `<in>`;
/// returns the reply and the output's bytes.
fn run_in_background(
    port: u16,
    model: &'static str,
    name: &'static str,
    dtype: &'static str,
    dims: Vec<usize>,
    blob: Vec<u8>,
) -> std::thread::JoinHandle<(String, Vec<u8>)> {
    let mut c = Raw::connect(port);
    let (input, output) = (format!("{name}_in"), format!("{name}_out"));
    set_tensor(&mut c, &input, dtype, &dims, &blob);
    std::thread::spawn(move || {
        let r = c.cmd(&[
            "AI.MODELEXECUTE",
            model,
            "INPUTS",
            "1",
            &input,
            "OUTPUTS",
            "1",
            &output,
        ]);
        let out = if r == "+OK\r\n" {
            get_blob(&mut c, &output)
        } else {
            Vec::new()
        };
        (r, out)
    })
}

#[test]
fn auto_batching() {
    let s = server_with(&["THREADS_PER_QUEUE", "1"]);
    let mut c = Raw::new(&s);
    let lin = linear(10);
    let store_batched = |c: &mut Raw, key: &str, model: &[u8], opts: &str| {
        assert_eq!(
            model_store(c, key, "ONNX", "CPU", &words(opts), model),
            "+OK\r\n"
        );
    };
    // MINBATCHSIZE 4: runs of 1 and 2 rows wait together until a third run brings the total to 4; one model run
    // then serves all three, each getting its own rows back.
    store_batched(&mut c, "m", &lin.model, "BATCHSIZE 4 MINBATCHSIZE 4");
    let mut rng = Rng(11);
    let xs: Vec<Vec<f32>> = [1usize, 2, 1]
        .iter()
        .map(|&n| randf(&mut rng, n * K))
        .collect();
    let a = run_in_background(s.port, "m", "a", "FLOAT", vec![1, K], f32_bytes(&xs[0]));
    assert!(wait_for(BOUND, || blocked_clients(&mut c) == 1));
    let b = run_in_background(s.port, "m", "b", "FLOAT", vec![2, K], f32_bytes(&xs[1]));
    assert!(
        wait_for(BOUND, || blocked_clients(&mut c) == 2),
        "the first run did not wait for the batch"
    );
    let d = run_in_background(s.port, "m", "d", "FLOAT", vec![1, K], f32_bytes(&xs[2]));
    for (h, (x, n)) in [a, b, d].into_iter().zip(xs.iter().zip([1, 2, 1])) {
        let (r, out) = h.join().unwrap();
        assert_eq!(r, "+OK\r\n");
        let got: Vec<f32> = out
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_close(&got, &affine(x, &lin.w, &lin.b, n, K, M));
    }
    assert!(c
        .cmd(&["AI.INFO", "m"])
        .ends_with("$7\r\nsamples\r\n:4\r\n$5\r\ncalls\r\n:3\r\n$6\r\nerrors\r\n:0\r\n"));

    // MINBATCHTIMEOUT: a lone run goes ahead once it has waited that long.
    store_batched(
        &mut c,
        "mt",
        &lin.model,
        "BATCHSIZE 4 MINBATCHSIZE 4 MINBATCHTIMEOUT 20",
    );
    set_f32(&mut c, "x", &[1, K], &xs[0]);
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE mt INPUTS 1 x OUTPUTS 1 y")),
        "+OK\r\n"
    );
    assert_close(
        &get_f32(&mut c, "y"),
        &affine(&xs[0], &lin.w, &lin.b, 1, K, M),
    );

    // STRING rows are joined and split too.
    store_batched(
        &mut c,
        "sid",
        &onnx::identity(ty::STRING),
        "BATCHSIZE 3 MINBATCHSIZE 3",
    );
    let s1 = run_in_background(s.port, "sid", "s1", "STRING", vec![2], b"one\0\0".to_vec());
    assert!(wait_for(BOUND, || blocked_clients(&mut c) == 1));
    let s2 = run_in_background(s.port, "sid", "s2", "STRING", vec![1], b"three\0".to_vec());
    assert_eq!(
        s1.join().unwrap(),
        ("+OK\r\n".to_string(), b"one\0\0".to_vec())
    );
    assert_eq!(
        s2.join().unwrap(),
        ("+OK\r\n".to_string(), b"three\0".to_vec())
    );

    // A model whose output does not keep the batch dimension fails every batched run.
    store_batched(
        &mut c,
        "mean",
        &onnx::mean_rows(K as i64),
        "BATCHSIZE 2 MINBATCHSIZE 2",
    );
    let e1 = run_in_background(
        s.port,
        "mean",
        "e1",
        "FLOAT",
        vec![1, K],
        f32_bytes(&[1.0; K]),
    );
    assert!(wait_for(BOUND, || blocked_clients(&mut c) == 1));
    let e2 = run_in_background(
        s.port,
        "mean",
        "e2",
        "FLOAT",
        vec![1, K],
        f32_bytes(&[2.0; K]),
    );
    for h in [e1, e2] {
        assert_eq!(
            h.join().unwrap().0,
            err("ERR Model did not generate the expected batch size")
        );
    }
    assert!(c
        .cmd(&["AI.INFO", "mean"])
        .ends_with("$5\r\ncalls\r\n:2\r\n$6\r\nerrors\r\n:2\r\n"));
    // Unbatched (a run as large as BATCHSIZE runs alone) it works.
    set_f32(&mut c, "x2", &[2, K], &[1.0, 2.0, 3.0, 3.0, 4.0, 5.0]);
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE mean INPUTS 1 x2 OUTPUTS 1 y2")),
        "+OK\r\n"
    );
    assert_close(&get_f32(&mut c, "y2"), &[2.0, 3.0, 4.0]);
}

#[test]
fn replicas_get_models_and_outputs_but_never_run_models() {
    let master = server();
    let mut m = Raw::new(&master);
    let lin = linear(12);
    assert_eq!(store(&mut m, "mdl", &lin.model), "+OK\r\n");
    let replica = RedisServer::options()
        .with_backends()
        .replica_of(&master)
        .start();
    let mut r = synced(&replica);
    // The full sync carried the model; later stores and deletes are replicated verbatim.
    assert!(wait_for(BOUND, || r.cmd(&["EXISTS", "mdl"]) == ":1\r\n"));
    assert_eq!(store(&mut m, "mdl2", &lin.model), "+OK\r\n");
    assert!(wait_for(BOUND, || r.cmd(&["EXISTS", "mdl2"]) == ":1\r\n"));
    assert_eq!(m.cmd(&["AI.MODELDEL", "mdl2"]), "+OK\r\n");
    assert!(wait_for(BOUND, || r.cmd(&["EXISTS", "mdl2"]) == ":0\r\n"));
    // An execution's outputs arrive as tensors; the replica's model statistics stay untouched.
    let x = [1.0f32, -2.0, 0.5];
    set_f32(&mut m, "x", &[1, K], &x);
    assert_eq!(
        m.cmd(&words("AI.MODELEXECUTE mdl INPUTS 1 x OUTPUTS 1 y")),
        "+OK\r\n"
    );
    assert!(wait_for(BOUND, || r.cmd(&["EXISTS", "y"]) == ":1\r\n"));
    assert_close(&get_f32(&mut r, "y"), &affine(&x, &lin.w, &lin.b, 1, K, M));
    assert!(r.cmd(&["AI.INFO", "mdl"]).contains("$5\r\ncalls\r\n:0\r\n"));
    assert!(m.cmd(&["AI.INFO", "mdl"]).contains("$5\r\ncalls\r\n:1\r\n"));
}

/// Threads of the server process, less jemalloc's background threads: jemalloc starts one per arena in use, on its
/// own time, once a new thread (a worker, Redis's lazy-free thread) first allocates.
fn threads(server: &RedisServer) -> usize {
    std::fs::read_dir(format!("/proc/{}/task", server.pid()))
        .unwrap()
        .filter(|t| {
            let comm = t.as_ref().map(|t| t.path().join("comm")).unwrap();
            std::fs::read_to_string(comm).map_or(true, |c| c.trim() != "jemalloc_bg_thd")
        })
        .count()
}

/// `INTRA_OP_PARALLELISM` reaches ONNX Runtime: each session gets its own intra-op pool of that size (the calling
/// worker and n - 1 pool threads), seen as new threads of the server when a model is stored.
/// `INTER_OP_PARALLELISM` is passed along too; ONNX Runtime uses it only in its parallel execution mode, which
/// RedisAI's sessions (and ours) do not enable, so it creates no threads here.
#[test]
fn intra_op_parallelism_reaches_the_backend() {
    let lin = linear(3);
    let x = [0.5f32; K];
    let mut extra = Vec::new();
    for n in ["1", "4"] {
        let server = server_with(&["INTRA_OP_PARALLELISM", n, "INTER_OP_PARALLELISM", "2"]);
        let mut c = Raw::new(&server);
        // The first model loads the backend (its own threads); the second adds only its session's pool.
        assert_eq!(store(&mut c, "first", &lin.model), "+OK\r\n");
        let before = threads(&server);
        assert_eq!(store(&mut c, "second", &lin.model), "+OK\r\n");
        extra.push(threads(&server) - before);
        set_f32(&mut c, "x", &[1, K], &x);
        assert_eq!(
            c.cmd(&words("AI.MODELEXECUTE second INPUTS 1 x OUTPUTS 1 y")),
            "+OK\r\n"
        );
        assert_close(&get_f32(&mut c, "y"), &affine(&x, &lin.w, &lin.b, 1, K, M));
        assert_eq!(
            info_field(&mut c, "MODULES", "ai_intra_op_parallelism").as_deref(),
            Some(n)
        );
    }
    assert_eq!(extra, [0, 3], "pool threads added by a session");
}
