//! The TF backend: frozen GraphDefs (AI.MODELSTORE ... TF CPU INPUTS n ... OUTPUTS m ... BLOB) run through
//! TensorFlow's C library (`build/backends/redisai_tensorflow/`, fetched by scripts/fetch-tf.sh), against a real
//! redis-server with the module. The models and the outputs TensorFlow computed for fixed inputs are committed
//! under tests/data/tf/ (written by scripts/models/make_tf_models.py); every result here is compared with them.

mod common;

use std::path::Path;

use common::{
    assert_close, backends_path, bulk_payload, err, execute, get_f32, info_field, model_store,
    rewrite_aof, set_f32, words, Raw, RedisServer, AOF,
};

fn read(name: &str) -> Vec<u8> {
    testkit::expected::read(&format!("tf/{name}"))
}

fn read_f32(name: &str) -> Vec<f32> {
    testkit::expected::read_f32(&format!("tf/{name}"))
}

/// A server with the module and the further module arguments `args`; TensorFlow must have been fetched.
fn server_with(args: &[&str]) -> RedisServer {
    let lib = Path::new(&backends_path()).join("redisai_tensorflow/libtensorflow_cc.so.2");
    assert!(
        lib.exists(),
        "TensorFlow is missing: run scripts/fetch-tf.sh (part of `make deps`)"
    );
    common::server_with(args)
}

/// `AI.MODELSTORE key TF CPU <extra...> INPUTS n in... OUTPUTS m out... BLOB blob`.
fn store(
    c: &mut Raw,
    key: &str,
    extra: &[&str],
    ins: &[&str],
    outs: &[&str],
    blob: &[u8],
) -> String {
    let (ni, no) = (ins.len().to_string(), outs.len().to_string());
    let mut opts = extra.to_vec();
    opts.extend(["INPUTS", &ni]);
    opts.extend(ins);
    opts.extend(["OUTPUTS", &no]);
    opts.extend(outs);
    model_store(c, key, "TF", "CPU", &opts, blob)
}

fn store_linear(c: &mut Raw, key: &str) -> String {
    store(
        c,
        key,
        &[],
        &["x", "b"],
        &["y", "scaled"],
        &read("linear.pb"),
    )
}

/// Runs the linear model stored under `key` on the committed inputs and checks both outputs.
fn check_linear(c: &mut Raw, key: &str) {
    set_f32(c, "x", &[4, 3], &read_f32("linear_x.f32"));
    set_f32(c, "b", &[4, 2], &read_f32("linear_b.f32"));
    assert_eq!(execute(c, key, &["x", "b"], &["y", "s"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "y", "META"]),
        "*4\r\n$5\r\ndtype\r\n$5\r\nFLOAT\r\n$5\r\nshape\r\n*2\r\n:4\r\n:2\r\n"
    );
    assert_close(&get_f32(c, "y"), &read_f32("linear_y.f32"));
    assert_close(&get_f32(c, "s"), &read_f32("linear_scaled.f32"));
}

#[test]
fn tf_models_match_tensorflow() {
    let server = server_with(&["INTRA_OP_PARALLELISM", "1", "INTER_OP_PARALLELISM", "1"]);
    let mut c = Raw::new(&server);
    // Nothing is loaded before the first TF model.
    assert_eq!(info_field(&mut c, "ai", "ai_TensorFlow_version"), None);

    let lin = read("linear.pb");
    assert_eq!(
        store(
            &mut c,
            "m",
            &["TAG", "v1"],
            &["x", "b"],
            &["y", "scaled"],
            &lin
        ),
        "+OK\r\n"
    );
    assert_eq!(
        info_field(&mut c, "ai", "ai_TensorFlow_version").as_deref(),
        Some("2.21.0")
    );
    // TF stores the names given.
    assert_eq!(
        c.cmd(&["AI.MODELGET", "m", "META"]),
        "*16\r\n$7\r\nbackend\r\n$2\r\nTF\r\n$6\r\ndevice\r\n$3\r\nCPU\r\n$3\r\ntag\r\n$2\r\nv1\r\n\
         $9\r\nbatchsize\r\n:0\r\n$12\r\nminbatchsize\r\n:0\r\n$6\r\ninputs\r\n*2\r\n$1\r\nx\r\n$1\r\nb\r\n\
         $7\r\noutputs\r\n*2\r\n$1\r\ny\r\n$6\r\nscaled\r\n$15\r\nminbatchtimeout\r\n:0\r\n"
    );
    assert_eq!(
        bulk_payload(&c.cmd_bytes(&[b"AI.MODELGET", b"m", b"BLOB"])),
        lin
    );
    check_linear(&mut c, "m");
    // The deprecated AI.MODELRUN too.
    assert_eq!(
        c.cmd(&words("AI.MODELRUN m INPUTS x b OUTPUTS y2 s2")),
        "+OK\r\n"
    );
    assert_close(&get_f32(&mut c, "y2"), &read_f32("linear_y.f32"));
    let info = c.cmd(&["AI.INFO", "m"]);
    assert!(
        info.contains("$2\r\nTF\r\n")
            && info.contains("$7\r\nsamples\r\n:8\r\n$5\r\ncalls\r\n:2\r\n"),
        "{info}"
    );

    // `name:index` names an output of an operation; outputs in another order than the graph's.
    assert_eq!(
        store(&mut c, "m2", &[], &["x:0", "b"], &["scaled:0", "y"], &lin),
        "+OK\r\n"
    );
    assert_eq!(execute(&mut c, "m2", &["x", "b"], &["s3", "y3"]), "+OK\r\n");
    assert_close(&get_f32(&mut c, "s3"), &read_f32("linear_scaled.f32"));
    assert_close(&get_f32(&mut c, "y3"), &read_f32("linear_y.f32"));

    // The MNIST-sized CNN: all four images at once, then the first one alone.
    assert_eq!(
        store(&mut c, "cnn", &[], &["input"], &["output"], &read("cnn.pb")),
        "+OK\r\n"
    );
    let img = read_f32("cnn_input.f32");
    let want = read_f32("cnn_output.f32");
    set_f32(&mut c, "img", &[4, 28, 28, 1], &img);
    assert_eq!(execute(&mut c, "cnn", &["img"], &["out"]), "+OK\r\n");
    assert_close(&get_f32(&mut c, "out"), &want);
    set_f32(&mut c, "img1", &[1, 28, 28, 1], &img[..784]);
    assert_eq!(execute(&mut c, "cnn", &["img1"], &["out1"]), "+OK\r\n");
    assert_close(&get_f32(&mut c, "out1"), &want[..10]);
}

#[test]
fn tf_runs_are_batched() {
    let server = server_with(&[]);
    let mut c = Raw::new(&server);
    assert_eq!(
        store(
            &mut c,
            "cnn",
            &["BATCHSIZE", "4", "MINBATCHSIZE", "4"],
            &["input"],
            &["output"],
            &read("cnn.pb")
        ),
        "+OK\r\n"
    );
    let img = read_f32("cnn_input.f32");
    let want = read_f32("cnn_output.f32");
    for i in 0..4 {
        set_f32(
            &mut c,
            &format!("img{i}"),
            &[1, 28, 28, 1],
            &img[i * 784..(i + 1) * 784],
        );
    }
    // Four one-image runs from four clients: MINBATCHSIZE 4 holds them until all four are queued, then the model
    // runs once on the four rows and each client gets its own.
    let port = server.port;
    let clients: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                let (inp, out) = (format!("img{i}"), format!("out{i}"));
                execute(&mut c, "cnn", &[&inp], &[&out])
            })
        })
        .collect();
    for t in clients {
        assert_eq!(t.join().unwrap(), "+OK\r\n");
    }
    for i in 0..4 {
        let got = get_f32(&mut c, &format!("out{i}"));
        assert_close(&got, &want[i * 10..(i + 1) * 10]);
    }
    let info = c.cmd(&["AI.INFO", "cnn"]);
    assert!(
        info.contains("$7\r\nsamples\r\n:4\r\n$5\r\ncalls\r\n:4\r\n"),
        "{info}"
    );
}

#[test]
fn tf_errors_are_clear_and_the_server_stays_up() {
    let server = server_with(&[]);
    let mut c = Raw::new(&server);
    let lin = read("linear.pb");
    let ping = |c: &mut Raw| assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");

    // Store-time argument rules (RedisAI's): INPUTS and OUTPUTS are required for TF.
    assert_eq!(
        model_store(&mut c, "m", "TF", "CPU", &[], &lin),
        err("ERR INPUTS not specified for TF")
    );
    assert_eq!(
        model_store(&mut c, "m", "TF", "CPU", &words("INPUTS 1 x"), &lin),
        err("ERR OUTPUTS not specified for TF")
    );
    // Bad blobs: TensorFlow's own message.
    let r = store(&mut c, "m", &[], &["x"], &["y"], b"not a graph");
    assert!(r.starts_with('-') && r.contains("GraphDef"), "{r}");
    ping(&mut c);
    let mut truncated = lin.clone();
    truncated.truncate(lin.len() / 2);
    let r = store(&mut c, "m", &[], &["x"], &["y"], &truncated);
    assert!(r.starts_with('-'), "{r}");
    ping(&mut c);
    // Names that are not in the graph, not a Placeholder (inputs) or not an output of the operation.
    for (ins, outs, want) in [
        (
            &["x", "nope"][..],
            &["y"][..],
            "ERR Input node named \"nope\" not found in TF graph.",
        ),
        (
            &["x", "W"],
            &["y"],
            "ERR Input node named \"W\" not found in TF graph.",
        ),
        (
            &["x", "b:1"],
            &["y"],
            "ERR Input node named \"b:1\" not found in TF graph.",
        ),
        (
            &["x", "b"],
            &["nope"],
            "ERR Output node named \"nope\" not found in TF graph",
        ),
        (
            &["x", "b"],
            &["y:3"],
            "ERR Output node named \"y:3\" not found in TF graph",
        ),
    ] {
        assert_eq!(store(&mut c, "m", &[], ins, outs, &lin), err(want));
    }
    assert_eq!(c.cmd(&["EXISTS", "m"]), ":0\r\n");
    let r = model_store(
        &mut c,
        "g",
        "TF",
        "GPU",
        &words("INPUTS 1 x OUTPUTS 1 y"),
        &lin,
    );
    assert!(r.starts_with("-ERR GPU"), "{r}");

    // Run-time errors: wrong input count, wrong shapes, unsupported types.
    assert_eq!(store_linear(&mut c, "lin"), "+OK\r\n");
    set_f32(&mut c, "x", &[4, 3], &read_f32("linear_x.f32"));
    assert_eq!(
        execute(&mut c, "lin", &["x"], &["y", "s"]),
        err("Number of keys given as INPUTS here does not match model definition")
    );
    set_f32(&mut c, "bad", &[4, 5], &[0.0; 20]);
    let r = execute(&mut c, "lin", &["bad", "x"], &["y", "s"]);
    assert!(r.starts_with('-') && r.matches('\n').count() == 1, "{r}");
    assert!(
        r.contains("Matrix size-incompatible") || r.contains("shape"),
        "{r}"
    );
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "str", "STRING", "4", "3"]),
        "+OK\r\n"
    );
    let r = execute(&mut c, "lin", &["str", "x"], &["y", "s"]);
    assert!(r.starts_with('-') && r.contains("STRING"), "{r}");
    assert!(c
        .cmd(&["AI.INFO", "lin"])
        .contains("$6\r\nerrors\r\n:2\r\n"));
    ping(&mut c);
    check_linear(&mut c, "lin");
}

#[test]
fn tf_models_persist() {
    let mut server = RedisServer::options().with_backends().start();
    let _keep = server.keep_dir();
    let dir = server.dir.clone();
    let mut c = Raw::new(&server);
    let lin = read("linear.pb");
    assert_eq!(
        store(
            &mut c,
            "m",
            &["TAG", "t", "BATCHSIZE", "8"],
            &["x", "b"],
            &["y", "scaled"],
            &lin
        ),
        "+OK\r\n"
    );
    let meta = c.cmd(&["AI.MODELGET", "m", "META"]);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(c.cmd(&["AI.MODELGET", "m", "META"]), meta);
    assert_eq!(
        bulk_payload(&c.cmd_bytes(&[b"AI.MODELGET", b"m", b"BLOB"])),
        lin
    );
    check_linear(&mut c, "m");
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    server.shutdown(false);

    let server = RedisServer::options().with_backends().dir(&dir).start();
    let mut c = Raw::new(&server);
    assert_eq!(c.cmd(&["AI.MODELGET", "m", "META"]), meta);
    check_linear(&mut c, "m");

    // AOF rewrite: the model comes back as AI.MODELSTORE with its INPUTS and OUTPUTS.
    let mut server = RedisServer::options().with_backends().args(AOF).start();
    let _keep = server.keep_dir();
    let dir = server.dir.clone();
    let mut c = Raw::new(&server);
    assert_eq!(store_linear(&mut c, "m"), "+OK\r\n");
    rewrite_aof(&mut c, &dir);
    server.shutdown(false);
    let server = RedisServer::options()
        .with_backends()
        .args(AOF)
        .dir(&dir)
        .start();
    let mut c = Raw::new(&server);
    check_linear(&mut c, "m");
}

#[test]
fn a_missing_tf_library_is_a_clear_error_and_loadbackend_finds_it() {
    let server = RedisServer::options()
        .with_module()
        .module_args(["BACKENDSPATH", "/nonexistent"])
        .start();
    let mut c = Raw::new(&server);
    let r = store_linear(&mut c, "m");
    assert!(
        r.starts_with("-ERR Could not load backend TF: the TF backend is not available (")
            && r.contains("scripts/fetch-tf.sh"),
        "{r}"
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    // An explicit path: the library's directory.
    let dir = format!("{}/redisai_tensorflow", backends_path());
    assert_eq!(c.cmd(&["AI.CONFIG", "LOADBACKEND", "TF", &dir]), "+OK\r\n");
    assert_eq!(store_linear(&mut c, "m"), "+OK\r\n");
    check_linear(&mut c, "m");
}
