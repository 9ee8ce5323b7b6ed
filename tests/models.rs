//! The client's model API against a real server with the module and ONNX Runtime: set/get/exists/poll/run/delete,
//! chunked uploads, multi-GPU argument rules, error texts from the server, concurrent runs, standalone (TCP and
//! Unix socket) and a 3-shard cluster (copies on every shard under SmartRedis's CRC16-prefixed keys, runs through
//! temporary keys that are cleaned up), the colocated store's model preloading, and a 200 MiB model in chunks. Models
//! (a linear layer, an MLP, an MNIST-sized CNN) are built in the test (testkit::onnx) and every result is checked
//! against the same computation done here.

mod common;

use common::{put, unpack};

use smartredis::orchestrator::colocated::{Colocated, ColocatedOptions, PreloadModel};
use smartredis::orchestrator::OrchestratorOptions;
use smartredis::{Client, Entity, Error, ModelOptions, SRError};
use smartredis_protocol::model::{cluster_key, cluster_prefix};
use testkit::{onnx, RedisCluster, RedisServer};

const K: usize = 6;
const M: usize = 4;

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(12345);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1103515245).wrapping_add(12345);
            ((s >> 8) % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// `x · w + b` for `x: [n, k]`, `w: [k, m]`, `b: [m]`.
fn affine(x: &[f32], w: &[f32], b: &[f32], k: usize, m: usize) -> Vec<f32> {
    let n = x.len() / k;
    let mut y = vec![0f32; n * m];
    for r in 0..n {
        for j in 0..m {
            y[r * m + j] = b[j] + (0..k).map(|i| x[r * k + i] * w[i * m + j]).sum::<f32>();
        }
    }
    y
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
            "element {i}: {g} vs {w}"
        );
    }
}

struct Linear {
    w: Vec<f32>,
    b: Vec<f32>,
    bytes: Vec<u8>,
}

fn linear() -> Linear {
    let w = values(K * M, 1);
    let b = values(M, 2);
    let bytes = onnx::linear(&w, &b, K as i64, M as i64);
    Linear { w, b, bytes }
}

/// Runs the linear model on `rows` rows through tensors `x_<tag>`/`y_<tag>` and checks the result.
fn run_linear(c: &mut Client, model: &str, lin: &Linear, rows: usize, tag: &str) {
    let x = values(rows * K, rows as u32 + 7);
    let (xin, yout) = (format!("x_{tag}"), format!("y_{tag}"));
    put(c, &xin, &[rows, K], &x);
    c.run_model(model, &[xin.as_str()], &[yout.as_str()])
        .unwrap();
    assert_close(
        &unpack(c, &yout, &[rows, M]),
        &affine(&x, &lin.w, &lin.b, K, M),
    );
}

fn runtime_text(r: smartredis::Result<()>) -> String {
    match r {
        Err(e @ Error::Runtime(_)) => e.to_string(),
        other => panic!("expected a runtime error, got {other:?}"),
    }
}

/// `[c_out, h-2, w-2]` valid 3×3 convolution of `x: [c_in, h, w]` with `w: [c_out, c_in, 3, 3]`, plus bias, relu,
/// then 2×2 max pooling (floor).
fn conv_relu_pool(x: &[f32], c_in: usize, h: usize, w: &[f32], b: &[f32]) -> Vec<f32> {
    let (c_out, o, p) = (b.len(), h - 2, (h - 2) / 2);
    let mut conv = vec![0f32; c_out * o * o];
    for co in 0..c_out {
        for r in 0..o {
            for c in 0..o {
                let mut s = b[co];
                for ci in 0..c_in {
                    for i in 0..3 {
                        for j in 0..3 {
                            s += x[(ci * h + r + i) * h + c + j]
                                * w[((co * c_in + ci) * 3 + i) * 3 + j];
                        }
                    }
                }
                conv[(co * o + r) * o + c] = s.max(0.0);
            }
        }
    }
    let mut out = vec![0f32; c_out * p * p];
    for co in 0..c_out {
        for r in 0..p {
            for c in 0..p {
                let at = |i: usize, j: usize| conv[(co * o + 2 * r + i) * o + 2 * c + j];
                out[(co * p + r) * p + c] = at(0, 0).max(at(0, 1)).max(at(1, 0)).max(at(1, 1));
            }
        }
    }
    out
}

/// The CNN of testkit::onnx::cnn computed here, one `[1, 28, 28]` image at a time: log-probabilities `[10]`.
fn cnn_reference(w: &onnx::CnnWeights<'_>, image: &[f32]) -> Vec<f32> {
    let p1 = conv_relu_pool(image, 1, 28, w.c1w, w.c1b);
    let p2 = conv_relu_pool(&p1, 8, 13, w.c2w, w.c2b);
    let logits: Vec<f32> = (0..10)
        .map(|j| w.fb[j] + (0..400).map(|i| p2[i] * w.fw[j * 400 + i]).sum::<f32>())
        .collect();
    let max = logits.iter().cloned().fold(f32::MIN, f32::max);
    let lse = max + logits.iter().map(|v| (v - max).exp()).sum::<f32>().ln();
    logits.iter().map(|v| v - lse).collect()
}

/// An MNIST-sized ONNX CNN on a batch of 3 images, checked against the same network computed here.
fn onnx_cnn(c: &mut Client) {
    let (c1w, c1b) = (values(8 * 9, 21), values(8, 22));
    let (c2w, c2b) = (values(16 * 8 * 9, 23), values(16, 24));
    let (fw, fb) = (values(10 * 400, 25), values(10, 26));
    let scale = |v: Vec<f32>, s: f32| v.into_iter().map(|x| x * s).collect::<Vec<_>>();
    let (c1w, c2w, fw) = (scale(c1w, 0.33), scale(c2w, 0.12), scale(fw, 0.05));
    let w = onnx::CnnWeights {
        c1w: &c1w,
        c1b: &c1b,
        c2w: &c2w,
        c2b: &c2b,
        fw: &fw,
        fb: &fb,
    };
    c.set_model(
        "cnn",
        &onnx::cnn(&w),
        "ONNX",
        "CPU",
        &ModelOptions::default(),
    )
    .unwrap();
    let images: Vec<f32> = values(3 * 784, 27).into_iter().map(|v| v.abs()).collect();
    put(c, "cnn_x", &[3, 1, 28, 28], &images);
    c.run_model("cnn", &["cnn_x"], &["cnn_y"]).unwrap();
    let want: Vec<f32> = images
        .chunks(784)
        .flat_map(|im| cnn_reference(&w, im))
        .collect();
    assert_close(&unpack(c, "cnn_y", &[3, 10]), &want);
    c.delete_model("cnn").unwrap();
}

/// The whole model API on one client.
fn model_api(c: &mut Client) {
    let lin = linear();
    assert!(!c.model_exists("lin").unwrap());
    c.set_model("lin", &lin.bytes, "ONNX", "CPU", &ModelOptions::default())
        .unwrap();
    assert!(c.model_exists("lin").unwrap());
    assert!(c.poll_model("lin", 1, 1).unwrap());
    assert_eq!(c.get_model("lin").unwrap(), lin.bytes);
    for rows in [1, 3, 17] {
        run_linear(c, "lin", &lin, rows, &format!("r{rows}"));
    }

    // From a file, with a tag and auto-batching.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lin.onnx");
    std::fs::write(&file, &lin.bytes).unwrap();
    let opts = ModelOptions {
        batch_size: 8,
        min_batch_size: 2,
        min_batch_timeout: 5,
        tag: "v1".into(),
        ..Default::default()
    };
    c.set_model_from_file("lin_file", &file, "ONNX", "CPU", &opts)
        .unwrap();
    run_linear(c, "lin_file", &lin, 2, "file");
    let missing = c.set_model_from_file(
        "nofile",
        &dir.path().join("missing.onnx"),
        "ONNX",
        "CPU",
        &ModelOptions::default(),
    );
    assert!(matches!(missing, Err(Error::Runtime(_))), "{missing:?}");

    // A larger model sent and fetched in many chunks.
    let (k, h, m) = (784usize, 64usize, 10usize);
    let (w1, b1, w2, b2) = (
        values(k * h, 3),
        values(h, 4),
        values(h * m, 5),
        values(m, 6),
    );
    let mlp = onnx::mlp(&w1, &b1, &w2, &b2, k as i64, h as i64, m as i64);
    c.set_model_chunk_size(10_000).unwrap();
    c.set_model("mlp", &mlp, "ONNX", "CPU", &ModelOptions::default())
        .unwrap();
    assert_eq!(
        c.get_model("mlp").unwrap(),
        mlp,
        "chunks concatenated in order"
    );
    let x = values(2 * k, 9);
    put(c, "mlp_in", &[2, k], &x);
    c.run_model("mlp", &["mlp_in"], &["mlp_out"]).unwrap();
    let hidden: Vec<f32> = affine(&x, &w1, &b1, k, h)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    assert_close(
        &unpack(c, "mlp_out", &[2, m]),
        &affine(&hidden, &w2, &b2, h, m),
    );
    assert!(matches!(
        c.set_model_chunk_size(0),
        Err(Error::Parameter(_))
    ));

    c.delete_model("lin").unwrap();
    assert!(!c.model_exists("lin").unwrap());
    assert!(!c.poll_model("lin", 1, 2).unwrap());
    c.delete_model("lin_file").unwrap();
    c.delete_model("mlp").unwrap();
    onnx_cnn(c);
}

/// Failures come back with the server's own text, and the server stays up.
fn model_errors(c: &mut Client) {
    let lin = linear();
    let none = ModelOptions::default();
    let bad = runtime_text(c.set_model("bad", b"this is not an onnx model", "ONNX", "CPU", &none));
    assert!(
        bad.starts_with("Redis error when executing command: "),
        "{bad}"
    );
    assert!(!c.model_exists("bad").unwrap());
    let backend = runtime_text(c.set_model("m", &lin.bytes, "NOSUCH", "CPU", &none));
    assert!(backend.contains("unsupported backend"), "{backend}");
    let device = runtime_text(c.set_model("m", &lin.bytes, "ONNX", "XPU", &none));
    assert!(device.contains("Invalid DEVICE"), "{device}");
    let gpu = runtime_text(c.set_model("m", &lin.bytes, "ONNX", "GPU:0", &none));
    assert!(gpu.contains("GPU"), "{gpu}");

    c.set_model("lin", &lin.bytes, "ONNX", "CPU", &none)
        .unwrap();
    put(c, "e_x", &[1, K], &values(K, 1));
    let count = runtime_text(c.run_model("lin", &["e_x", "e_x"], &["e_y"]));
    assert!(
        count.contains("Number of keys given as INPUTS here does not match model definition"),
        "{count}"
    );
    let missing = runtime_text(c.run_model("lin", &["e_missing"], &["e_y"]));
    assert!(missing.contains("tensor key is empty"), "{missing}");
    put(c, "e_wide", &[1, K + 1], &values(K + 1, 1));
    let shape = runtime_text(c.run_model("lin", &["e_wide"], &["e_y"]));
    assert!(
        shape.starts_with("Redis error when executing command: "),
        "{shape}"
    );
    let nomodel = runtime_text(c.run_model("no_model", &["e_x"], &["e_y"]));
    assert!(nomodel.contains("model key is empty"), "{nomodel}");
    assert!(!c.tensor_exists("e_y").unwrap());

    // Client-side rules: names, inputs only for TF, batching, GPU ranges.
    let with_inputs = ModelOptions {
        inputs: vec!["x".into()],
        ..Default::default()
    };
    assert!(matches!(
        c.set_model("m", &lin.bytes, "ONNX", "CPU", &with_inputs),
        Err(Error::Parameter(_))
    ));
    let timeout_only = ModelOptions {
        batch_size: 4,
        min_batch_timeout: 3,
        ..Default::default()
    };
    assert!(matches!(
        c.set_model("m", &lin.bytes, "ONNX", "CPU", &timeout_only),
        Err(Error::Runtime(_))
    ));
    assert!(matches!(
        c.set_model("", &lin.bytes, "ONNX", "CPU", &none),
        Err(Error::Parameter(_))
    ));
    assert!(matches!(
        c.set_model_multigpu("m", &lin.bytes, "ONNX", 0, 0, &none),
        Err(Error::Parameter(_))
    ));
    assert!(matches!(
        c.set_model_multigpu("m", &lin.bytes, "ONNX", -1, 2, &none),
        Err(Error::Parameter(_))
    ));
    assert!(matches!(
        c.run_model_multigpu("m", &["e_x"], &["e_y"], 0, 0, 0),
        Err(Error::Parameter(_))
    ));
    // A CPU-only server refuses GPU copies with its own text; the GPU chosen by the offset is named.
    let multi = runtime_text(c.set_model_multigpu("mg", &lin.bytes, "ONNX", 1, 2, &none));
    assert!(multi.contains("GPU"), "{multi}");
    let run = runtime_text(c.run_model_multigpu("mg", &["e_x"], &["e_y"], 5, 1, 2));
    assert!(run.contains("on GPU:2"), "{run}");
    assert!(run.contains("model key is empty"), "{run}");
    c.delete_model("lin").unwrap();
    assert!(c.key_exists("e_x").unwrap(), "the server is still up");
}

/// Eight clients run the same model at once, each on its own tensors, and get their own results.
fn concurrent_runs(ssdb: &str, db_type: &str) {
    let lin = linear();
    common::client(ssdb, db_type)
        .set_model(
            "shared",
            &lin.bytes,
            "ONNX",
            "CPU",
            &ModelOptions::default(),
        )
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..8 {
            let lin = &lin;
            s.spawn(move || {
                let mut c = common::client(ssdb, db_type);
                for i in 0..10 {
                    run_linear(&mut c, "shared", lin, 1 + (t + i) % 4, &format!("c{t}_{i}"));
                }
            });
        }
    });
}

#[test]
fn standalone_tcp() {
    let server = RedisServer::options().with_backends().start();
    let mut c = common::client(&server.addr(), "Standalone");
    model_api(&mut c);
    model_errors(&mut c);
    concurrent_runs(&server.addr(), "Standalone");
}

#[test]
fn standalone_unix_socket() {
    let server = RedisServer::options().with_backends().unix_socket().start();
    let ssdb = format!("unix://{}", server.socket.as_ref().unwrap().display());
    let mut c = common::client(&ssdb, "Standalone");
    model_api(&mut c);
}

#[test]
fn cluster_of_three() {
    let cluster = RedisCluster::with_backends(3);
    let mut c = common::client(&cluster.ssdb(), "Clustered");
    model_api(&mut c);
    model_errors(&mut c);

    // Every shard holds a copy under `{<prefix of its lowest slot>}.<name>`, byte for byte as SmartRedis stores it.
    let lin = linear();
    c.set_model("lin", &lin.bytes, "ONNX", "CPU", &ModelOptions::default())
        .unwrap();
    let mut lowest = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        let lo = lowest_slot(&cluster, node.port);
        lowest.push(lo);
        let key = cluster_key(&cluster_prefix(lo).unwrap(), b"lin");
        let mut conn = node.connection();
        let slot: u16 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(&key)
            .query(&mut conn)
            .unwrap();
        assert_eq!(slot, lo);
        let blob: Vec<u8> = redis::cmd("AI.MODELGET")
            .arg(&key)
            .arg("BLOB")
            .query(&mut conn)
            .unwrap();
        assert_eq!(blob, lin.bytes, "copy on shard {i}");
    }
    assert_eq!(lowest[0], 0);

    // Inputs on every shard: each run copies them next to the model and cleans up its temporaries.
    for (n, name) in ["a", "b", "c", "foo", "bar", "{x}y"].iter().enumerate() {
        let x = values(2 * K, n as u32);
        put(&mut c, name, &[2, K], &x);
        let out = format!("{name}_out");
        c.run_model("lin", &[*name], &[out.as_str()]).unwrap();
        assert_close(
            &unpack(&mut c, &out, &[2, M]),
            &affine(&x, &lin.w, &lin.b, K, M),
        );
    }
    for node in &cluster.nodes {
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
            .arg("*.TMP")
            .query(&mut node.connection())
            .unwrap();
        assert!(keys.is_empty(), "temporaries left: {keys:?}");
    }
    c.delete_model("lin").unwrap();
    for node in &cluster.nodes {
        let n: i64 = redis::cmd("DBSIZE").query(&mut node.connection()).unwrap();
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
            .arg("*}.lin")
            .query(&mut node.connection())
            .unwrap();
        assert!(keys.is_empty() && n >= 0, "model copies left: {keys:?}");
    }
    concurrent_runs(&cluster.ssdb(), "Clustered");
}

/// The lowest slot served by the node on `port` (from `CLUSTER SLOTS`).
fn lowest_slot(cluster: &RedisCluster, port: u16) -> u16 {
    let reply: redis::Value = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query(&mut cluster.nodes[0].connection())
        .unwrap();
    let redis::Value::Array(ranges) = reply else {
        panic!("CLUSTER SLOTS: {reply:?}");
    };
    ranges
        .iter()
        .filter_map(|r| {
            let redis::Value::Array(r) = r else {
                return None;
            };
            let (redis::Value::Int(lo), redis::Value::Array(node)) = (&r[0], &r[2]) else {
                return None;
            };
            (node[1] == redis::Value::Int(i64::from(port))).then_some(*lo as u16)
        })
        .min()
        .expect("the node serves slots")
}

#[test]
fn model_keys_take_the_model_ensemble_prefix() {
    let server = RedisServer::options().with_backends().start();
    let cfg = common::config(&server.addr(), "Standalone");
    cfg.override_string_option("SSKEYOUT", "ens").unwrap();
    cfg.override_string_option("SSKEYIN", "ens").unwrap();
    let mut c = Client::new(Some(&cfg), "prefix").unwrap();
    let lin = linear();
    c.set_model("m", &lin.bytes, "ONNX", "CPU", &ModelOptions::default())
        .unwrap();
    assert!(c.key_exists("m").unwrap(), "off by default");
    c.use_ensemble_prefix(Entity::Model, true);
    c.set_model("m", &lin.bytes, "ONNX", "CPU", &ModelOptions::default())
        .unwrap();
    assert!(c.key_exists("ens.m").unwrap());
    run_linear(&mut c, "m", &lin, 2, "p");
    assert!(c.key_exists("ens.y_p").unwrap());
}

#[test]
fn c_api_model_calls() {
    use smartredis::ffi::client::{put_tensor, unpack_tensor, DeleteCClient};
    use smartredis::ffi::client_models::*;
    use std::ffi::c_char;
    use std::ptr::null_mut;

    let server = RedisServer::options().with_backends().start();
    let mut h = common::c_client(&server.addr());
    let lin = linear();
    let s = |t: &str| (t.as_ptr().cast::<c_char>(), t.len());
    let (name, nl) = s("lin");
    let (onnx_, ol) = s("onnx");
    let (cpu, cl) = s("CPU");
    // Input names given for a non-TF backend are ignored by the C layer, as upstream.
    let ignored = [c"ignored".as_ptr()];
    let ignored_len = [7usize];
    assert_eq!(
        set_model(
            h,
            name,
            nl,
            lin.bytes.as_ptr().cast(),
            lin.bytes.len(),
            onnx_,
            ol,
            cpu,
            cl,
            0,
            0,
            0,
            std::ptr::null(),
            0,
            ignored.as_ptr().cast_mut(),
            ignored_len.as_ptr(),
            1,
            null_mut(),
            std::ptr::null(),
            0
        ),
        SRError::SRNoError
    );
    let mut exists = false;
    assert_eq!(model_exists(h, name, nl, &mut exists), SRError::SRNoError);
    assert!(exists);
    let mut len = 0usize;
    let mut bytes: *const c_char = std::ptr::null();
    assert_eq!(
        get_model(h, name, nl, &mut len, &mut bytes),
        SRError::SRNoError
    );
    assert_eq!(
        unsafe { std::slice::from_raw_parts(bytes.cast::<u8>(), len) },
        &lin.bytes[..]
    );

    let x = values(K, 3);
    let dims = [1usize, K];
    let (xin, xl) = s("cx");
    assert_eq!(
        put_tensor(
            h,
            xin,
            xl,
            x.as_ptr().cast_mut().cast(),
            dims.as_ptr(),
            2,
            2,
            2
        ),
        SRError::SRNoError
    );
    let ins = [c"cx".as_ptr()];
    let outs = [c"cy".as_ptr()];
    let lens = [2usize];
    assert_eq!(
        run_model(
            h,
            name,
            nl,
            ins.as_ptr().cast_mut(),
            lens.as_ptr(),
            1,
            outs.as_ptr().cast_mut(),
            lens.as_ptr(),
            1
        ),
        SRError::SRNoError
    );
    let mut y = vec![0f32; M];
    let ydims = [1usize, M];
    let (yout, yl) = s("cy");
    assert_eq!(
        unpack_tensor(h, yout, yl, y.as_mut_ptr().cast(), ydims.as_ptr(), 2, 2, 2),
        SRError::SRNoError
    );
    assert_close(&y, &affine(&x, &lin.w, &lin.b, K, M));
    // An empty input name is refused; a failed run reports the server's text.
    let empty = [0usize, 2];
    let two = [c"".as_ptr(), c"cx".as_ptr()];
    assert_eq!(
        run_model(
            h,
            name,
            nl,
            two.as_ptr().cast_mut(),
            empty.as_ptr(),
            2,
            outs.as_ptr().cast_mut(),
            lens.as_ptr(),
            1
        ),
        SRError::SRParameterError
    );
    let (nomodel, nml) = s("nomodel");
    assert_eq!(
        run_model(
            h,
            nomodel,
            nml,
            ins.as_ptr().cast_mut(),
            lens.as_ptr(),
            1,
            outs.as_ptr().cast_mut(),
            lens.as_ptr(),
            1
        ),
        SRError::SRRuntimeError
    );
    let err = unsafe { std::ffi::CStr::from_ptr(smartredis::ffi::error::SRGetLastError()) };
    assert!(
        err.to_string_lossy().contains("model key is empty"),
        "{err:?}"
    );
    assert_eq!(sr_set_model_chunk_size(h, 16), SRError::SRNoError);
    assert_eq!(sr_set_model_chunk_size(h, -1), SRError::SRParameterError);
    assert_eq!(delete_model(h, name, nl), SRError::SRNoError);
    assert_eq!(
        poll_model(h, name, nl, 1, 2, &mut exists),
        SRError::SRNoError
    );
    assert!(!exists);
    assert_eq!(DeleteCClient(&mut h), SRError::SRNoError);
}

#[test]
fn colocated_store_preloads_models_and_scripts() {
    let tmp = tempfile::tempdir().unwrap();
    let lin = linear();
    let path = tmp.path().join("lin.onnx");
    std::fs::write(&path, &lin.bytes).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/data_processing_script.txt");
    let preload = PreloadModel {
        key: "pre".into(),
        path,
        backend: "onnx".into(),
        device: "CPU".into(),
        batch_size: 4,
        min_batch_size: 1,
        inputs: vec![],
        outputs: vec![],
    };
    let store = Colocated::start(
        ColocatedOptions::new()
            .options(
                OrchestratorOptions::new()
                    .dir(tmp.path())
                    .backends_path(testkit::backends_path()),
            )
            .set_env(false)
            .model(preload)
            .script("proc", &script, "CPU"),
    )
    .unwrap();
    let mut c = store.client("colocated").unwrap();
    assert!(c.model_exists("pre").unwrap());
    assert_eq!(c.get_model("pre").unwrap(), lin.bytes);
    run_linear(&mut c, "pre", &lin, 3, "pre");
    assert_eq!(
        c.get_script("proc").unwrap(),
        std::fs::read_to_string(&script).unwrap()
    );
}

/// A 200 MiB model (one ONNX initializer of 5120 x 10240 floats) travels in 16 MiB pieces both ways: one
/// `AI.MODELSTORE ... BLOB` with 13 chunks, an `AI.MODELGET ... BLOB` answered with 13 chunks, the bytes back
/// exactly and one run checked; above the module's `MODEL_BLOB_MAX` the same model is refused with the server's
/// text. One round trip each, a few seconds in the release build.
#[test]
fn two_hundred_mib_model_in_chunks() {
    const CHUNK: usize = 16 << 20;
    let server = RedisServer::options().with_backends().start();
    let cfg = common::config(&server.addr(), "Standalone");
    // Storing means building an ONNX Runtime session from 200 MiB: allow for a busy machine.
    cfg.override_integer_option("SR_CMD_TIMEOUT", 120).unwrap();
    let mut c = Client::new(Some(&cfg), "big_model").unwrap();
    let (k, m) = (5120usize, 10240usize);
    let w: Vec<f32> = (0..k * m)
        .map(|n| ((n * 7919) % 1999) as f32 / 1000.0 - 1.0)
        .collect();
    let b = values(m, 11);
    let bytes = onnx::linear(&w, &b, k as i64, m as i64);
    assert!(bytes.len() > 200 << 20, "{} bytes", bytes.len());
    c.set_model_chunk_size(CHUNK as i32).unwrap();
    c.set_model("big", &bytes, "ONNX", "CPU", &ModelOptions::default())
        .unwrap();

    let chunks: Vec<Vec<u8>> = redis::cmd("AI.MODELGET")
        .arg("big")
        .arg("BLOB")
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(
        chunks.len(),
        bytes.len().div_ceil(CHUNK),
        "pieces of the reply"
    );
    assert!(chunks.iter().all(|p| p.len() <= CHUNK));
    drop(chunks);
    let back = c.get_model("big").unwrap();
    assert!(
        back == bytes,
        "the model came back different ({} bytes)",
        back.len()
    );
    drop(back);

    let x = values(k, 12);
    put(&mut c, "big_x", &[1, k], &x);
    c.run_model("big", &["big_x"], &["big_y"]).unwrap();
    assert_close(&unpack(&mut c, "big_y", &[1, m]), &affine(&x, &w, &b, k, m));
    c.delete_model("big").unwrap();

    let cap = 100 << 20;
    let _: () = redis::cmd("AI.CONFIG")
        .arg("MODEL_BLOB_MAX")
        .arg(cap)
        .query(&mut server.connection())
        .unwrap();
    let refused = runtime_text(c.set_model("big", &bytes, "ONNX", "CPU", &ModelOptions::default()));
    assert!(
        refused.contains(&format!(
            "model blob is {} bytes, more than MODEL_BLOB_MAX ({cap})",
            bytes.len()
        )),
        "{refused}"
    );
    assert!(!c.model_exists("big").unwrap());
    assert!(c.tensor_exists("big_x").unwrap(), "the server is still up");
}

/// `w[i][j] = 0.1 (i+1) - 0.05 j`, `b[j] = 0.5 j`: the weights of the committed model, easy to recompute in C,
/// C++ and Fortran.
fn formula_weights() -> (Vec<f32>, Vec<f32>) {
    let w = (0..K * M)
        .map(|n| 0.1 * ((n / M) + 1) as f32 - 0.05 * (n % M) as f32)
        .collect();
    let b = (0..M).map(|j| 0.5 * j as f32).collect();
    (w, b)
}

/// The model the C, C++ and Fortran model tests load, `tests/data/linear_6x4.onnx` (`y = x · w + b`, `x: [N, 6]`,
/// weights from `formula_weights`), is what testkit::onnx writes; `SR_WRITE_TEST_MODELS=1` rewrites it.
#[test]
fn committed_test_model_is_current() {
    let (w, b) = formula_weights();
    let bytes = onnx::linear(&w, &b, K as i64, M as i64);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linear_6x4.onnx");
    if std::env::var_os("SR_WRITE_TEST_MODELS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
    }
    let committed = std::fs::read(&path)
        .expect("tests/data/linear_6x4.onnx (SR_WRITE_TEST_MODELS=1 writes it)");
    assert_eq!(
        committed, bytes,
        "run with SR_WRITE_TEST_MODELS=1 and commit the result"
    );
}
