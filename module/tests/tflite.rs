//! The TFLITE backend (LiteRT 2.3.0, `build/backends/redisai_tflite/libLiteRt.so`): AI.MODELSTORE ... TFLITE,
//! MODELEXECUTE against the outputs LiteRT itself computed (tests/data/*.expected, written with the models by
//! scripts/models/make_tflite_models.py), inputs resized to the shapes given, AI.INFO, INFO MODULES, MODELGET,
//! persistence (DEBUG RELOAD, AOF rewrite, SAVE + restart), errors with a live server and a missing library. All
//! four backends in one server: tests/backends.rs.

mod common;

use std::path::Path;

use common::{
    assert_close, backends_path, bulk_payload, bwords, cmd, err, execute, get_f32, model_store,
    rewrite_aof, server_with, set_f32, words, Raw, RedisServer, AOF,
};
use testkit::expected::{expected, keys, linear_6x4, read, Named};

fn model(name: &str) -> Vec<u8> {
    read(&format!("{name}.tflite"))
}

fn store(c: &mut Raw, key: &str, blob: &[u8]) -> String {
    model_store(c, key, "TFLITE", "CPU", &[], blob)
}

fn shape(c: &mut Raw, key: &str) -> String {
    c.cmd(&["AI.TENSORGET", key, "META"])
}

fn shape_of(dims: &[i64]) -> String {
    let mut s = format!(
        "*4\r\n$5\r\ndtype\r\n$5\r\nFLOAT\r\n$5\r\nshape\r\n*{}\r\n",
        dims.len()
    );
    for d in dims {
        s.push_str(&format!(":{d}\r\n"));
    }
    s
}

/// Stores `name`, checks its signature names, runs the expected inputs and compares every output.
fn run_expected(c: &mut Raw, key: &str, name: &str) {
    let e = expected(name);
    assert_eq!(store(c, key, &model(name)), "+OK\r\n");
    let meta = c.cmd(&["AI.MODELGET", key, "META"]);
    let list = |v: &[Named]| {
        let mut s = format!("*{}\r\n", v.len());
        for t in v {
            s.push_str(&format!("${}\r\n{}\r\n", t.name.len(), t.name));
        }
        s
    };
    assert!(
        meta.contains(&format!(
            "$6\r\ninputs\r\n{}$7\r\noutputs\r\n{}",
            list(&e.inputs),
            list(&e.outputs)
        )),
        "{meta}"
    );
    let ins = keys(&e.inputs, |n| format!("{key}_{n}"));
    let outs = keys(&e.outputs, |n| format!("{key}_{n}"));
    for (k, t) in ins.iter().zip(&e.inputs) {
        set_f32(c, k, &t.dims, &t.values);
    }
    let ins: Vec<&str> = ins.iter().map(|s| s.as_str()).collect();
    let outs: Vec<&str> = outs.iter().map(|s| s.as_str()).collect();
    assert_eq!(execute(c, key, &ins, &outs), "+OK\r\n");
    for (k, t) in outs.iter().zip(&e.outputs) {
        assert_eq!(shape(c, k), shape_of(&t.dims));
        assert_close(&get_f32(c, k), &t.values);
    }
}

#[test]
fn tflite_models_match_litert() {
    let s = server_with(&[]);
    let mut c = Raw::new(&s);
    run_expected(&mut c, "lin", "linear_6x4");
    run_expected(&mut c, "cnn", "mnist_cnn");
    run_expected(&mut c, "am", "add_mul");
    // A FLOAT16 output comes back as FLOAT, with LiteRT's values.
    run_expected(&mut c, "half", "half_out");

    // Inputs are resized to the shapes given: batches of 1, 3 and 1 again.
    for n in [1usize, 3, 1] {
        let x: Vec<f32> = (0..6 * n).map(|i| (i as f32 * 0.37).sin()).collect();
        set_f32(&mut c, "x", &[n as i64, 6], &x);
        assert_eq!(execute(&mut c, "lin", &["x"], &["y"]), "+OK\r\n");
        assert_eq!(shape(&mut c, "y"), shape_of(&[n as i64, 4]));
        assert_close(&get_f32(&mut c, "y"), &linear_6x4(&x));
    }
    // The CNN on a batch of two copies of the expected image.
    let e = expected("mnist_cnn");
    let two: Vec<f32> = e.inputs[0].values.repeat(2);
    set_f32(&mut c, "img2", &[2, 28, 28, 1], &two);
    assert_eq!(execute(&mut c, "cnn", &["img2"], &["p2"]), "+OK\r\n");
    assert_eq!(shape(&mut c, "p2"), shape_of(&[2, 10]));
    assert_close(&get_f32(&mut c, "p2"), &e.outputs[0].values.repeat(2));

    // MODELGET returns the stored flatbuffer; AI.INFO counts the runs; INFO MODULES shows LiteRT's version.
    assert_eq!(
        bulk_payload(&c.cmd_bytes(&[b"AI.MODELGET", b"cnn", b"BLOB"])),
        model("mnist_cnn")
    );
    let meta = c.cmd(&["AI.MODELGET", "cnn", "META"]);
    assert!(
        meta.starts_with("*16\r\n$7\r\nbackend\r\n$6\r\nTFLITE\r\n$6\r\ndevice\r\n$3\r\nCPU\r\n"),
        "{meta}"
    );
    let info = c.cmd(&["AI.INFO", "lin"]);
    assert!(
        info.contains("$6\r\nTFLITE\r\n") && info.contains("$5\r\ncalls\r\n:4\r\n"),
        "{info}"
    );
    assert!(c
        .cmd(&["INFO", "MODULES"])
        .contains("ai_TensorFlowLite_version:2.3.0"));

    // The same model under several keys, run from several clients at once.
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let port = s.port;
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                for i in 0..20 {
                    let n = 1 + (t + i) % 3;
                    let x: Vec<f32> = (0..6 * n).map(|k| (k + t + i) as f32 * 0.1).collect();
                    let (xk, yk) = (format!("x{t}"), format!("y{t}"));
                    set_f32(&mut c, &xk, &[n as i64, 6], &x);
                    assert_eq!(execute(&mut c, "lin", &[&xk], &[&yk]), "+OK\r\n");
                    assert_close(&get_f32(&mut c, &yk), &linear_6x4(&x));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn errors_are_clear_and_the_server_stays_up() {
    let s = server_with(&[]);
    let mut c = Raw::new(&s);
    let lin = model("linear_6x4");

    // Not a flatbuffer; a truncated one.
    let r = store(&mut c, "bad", b"not a tflite model");
    assert!(r.starts_with("-Failed to load model from buffer"), "{r}");
    let r = store(&mut c, "bad", &lin[..lin.len() / 2]);
    assert!(r.starts_with('-'), "{r}");
    assert_eq!(c.cmd(&["EXISTS", "bad"]), ":0\r\n");

    // RedisAI's TFLITE argument rules.
    let r = model_store(&mut c, "m", "TFLITE", "CPU", &words("INPUTS 1 x"), &lin);
    assert_eq!(
        r,
        err("ERR INPUTS argument should not be specified for this backend")
    );
    // Batching: refused by the deprecated AI.MODELSET, accepted by AI.MODELSTORE (as RedisAI 1.2.7).
    let r = cmd(
        &mut c,
        &[
            bwords("AI.MODELSET m TFLITE CPU BATCHSIZE 2 BLOB"),
            vec![&lin[..]],
        ]
        .concat(),
    );
    assert_eq!(
        r,
        err("ERR Auto-batching not supported by the TFLITE backend")
    );
    let r = model_store(
        &mut c,
        "batched",
        "TFLITE",
        "CPU",
        &words("BATCHSIZE 4"),
        &lin,
    );
    assert_eq!(r, "+OK\r\n");
    let x = [0.25f32; 6];
    set_f32(&mut c, "bx", &[1, 6], &x);
    assert_eq!(execute(&mut c, "batched", &["bx"], &["by"]), "+OK\r\n");
    assert_close(&get_f32(&mut c, "by"), &linear_6x4(&x));
    let r = model_store(&mut c, "m", "TFLITE", "GPU", &[], &lin);
    assert!(r.starts_with("-ERR ") && r.contains("GPU"), "{r}");

    // Wrong input count, wrong type, incompatible shape: clear errors, and the model still runs afterwards.
    assert_eq!(store(&mut c, "m", &lin), "+OK\r\n");
    assert_eq!(store(&mut c, "am", &model("add_mul")), "+OK\r\n");
    set_f32(&mut c, "a", &[1, 3], &[1.0, 2.0, 3.0]);
    assert_eq!(
        execute(&mut c, "am", &["a"], &["s", "p"]),
        "-Number of keys given as INPUTS here does not match model definition\r\n"
    );
    assert_eq!(
        c.cmd(&words("AI.TENSORSET i INT32 1 6 VALUES 1 2 3 4 5 6")),
        "+OK\r\n"
    );
    // Run errors are the backend's text, as RedisAI replies them.
    let r = execute(&mut c, "m", &["i"], &["y"]);
    assert_eq!(r, "-input 0 (x) is INT32, the model expects FLOAT\r\n");
    set_f32(&mut c, "x5", &[2, 5], &[1.0; 10]);
    let r = execute(&mut c, "m", &["x5"], &["y"]);
    assert!(
        r.starts_with("-the model does not accept input shapes [[2, 5]]"),
        "{r}"
    );
    let x = [0.5f32, -1.0, 2.0, 0.0, 1.0, 3.0];
    set_f32(&mut c, "x", &[1, 6], &x);
    assert_eq!(execute(&mut c, "m", &["x"], &["y"]), "+OK\r\n");
    assert_close(&get_f32(&mut c, "y"), &linear_6x4(&x));
    let info = c.cmd(&["AI.INFO", "m"]);
    assert!(info.contains("$6\r\nerrors\r\n:2\r\n"), "{info}");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_missing_library_is_a_clear_error() {
    let s = RedisServer::options()
        .with_module()
        .module_args(["BACKENDSPATH", "/nonexistent"])
        .start();
    let mut c = Raw::new(&s);
    let r = store(&mut c, "m", &model("linear_6x4"));
    assert!(
        r.starts_with("-ERR Could not load backend TFLITE: ")
            && r.contains("/nonexistent/redisai_tflite/libLiteRt.so not found"),
        "{r}"
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert!(c
        .cmd(&words(
            "AI.CONFIG LOADBACKEND TFLITE /nonexistent/libLiteRt.so"
        ))
        .starts_with("-ERR error loading backend"));
    // An explicit path loads it; INFO MODULES shows it only once loaded.
    assert!(!c.cmd(&["INFO", "MODULES"]).contains("TensorFlowLite"));
    let lib = format!("{}/redisai_tflite/libLiteRt.so", backends_path());
    assert_eq!(
        c.cmd(&["AI.CONFIG", "LOADBACKEND", "TFLITE", &lib]),
        "+OK\r\n"
    );
    assert_eq!(store(&mut c, "m", &model("linear_6x4")), "+OK\r\n");
    assert!(c
        .cmd(&["INFO", "MODULES"])
        .contains("ai_TensorFlowLite_version:2.3.0"));
}

fn check_linear(c: &mut Raw, key: &str) {
    let x: Vec<f32> = (0..12).map(|i| i as f32 * 0.25 - 1.0).collect();
    set_f32(c, "px", &[2, 6], &x);
    assert_eq!(execute(c, key, &["px"], &["py"]), "+OK\r\n");
    assert_close(&get_f32(c, "py"), &linear_6x4(&x));
}

#[test]
fn tflite_models_persist() {
    let start = |dir: Option<&Path>| {
        let mut o = RedisServer::options().with_backends().args(AOF);
        if let Some(d) = dir {
            o = o.dir(d);
        }
        o.start()
    };
    let mut s = start(None);
    let _keep = s.keep_dir();
    let dir = s.dir.clone();
    let mut c = Raw::new(&s);
    let blob = model("linear_6x4");
    assert_eq!(
        model_store(&mut c, "m", "TFLITE", "CPU", &words("TAG v1"), &blob),
        "+OK\r\n"
    );
    let meta = c.cmd(&["AI.MODELGET", "m", "META"]);
    check_linear(&mut c, "m");

    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(c.cmd(&["AI.MODELGET", "m", "META"]), meta);
    check_linear(&mut c, "m");

    // AOF rewrite emits AI.MODELSTORE; a restart replays it.
    let base = rewrite_aof(&mut c, &dir);
    s.shutdown(false);
    assert_eq!(
        String::from_utf8_lossy(&base)
            .matches("AI.MODELSTORE")
            .count(),
        1
    );
    let mut s = start(Some(&dir));
    let mut c = Raw::new(&s);
    assert_eq!(c.cmd(&["AI.MODELGET", "m", "META"]), meta);
    check_linear(&mut c, "m");

    // RDB: SAVE, restart without AOF.
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    drop(c);
    s.shutdown(false);
    let s = RedisServer::options().with_backends().dir(&dir).start();
    let mut c = Raw::new(&s);
    assert_eq!(c.cmd(&["AI.MODELGET", "m", "META"]), meta);
    assert_eq!(
        bulk_payload(&c.cmd_bytes(&[b"AI.MODELGET", b"m", b"BLOB"])),
        blob
    );
    check_linear(&mut c, "m");
}
