//! The client's script API against a real server with the module and the TORCH backend: set_script (from text and
//! from a file), get_script, run_script, delete_script, multi-GPU argument rules and the server's error texts, and
//! the SmartRedis flow script → model → script → unpack, standalone and on a 3-shard cluster (script copies on every
//! shard, runs through temporaries). The script is `tests/data/data_processing_script.txt` (`pre_process(x) = 2x`,
//! `post_process(y) = y + 1`); the model is testkit::onnx's linear layer; results are checked numerically.

mod common;

use std::path::Path;

use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::{Client, Error, ModelOptions};
use testkit::{onnx, RedisCluster, RedisServer};

const K: usize = 5;
const M: usize = 3;

fn script_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/data_processing_script.txt")
}

/// A client with room for the first script, which loads libtorch into the server (seconds on a busy machine).
fn client(ssdb: &str, db_type: &str) -> Client {
    let cfg = common::config(ssdb, db_type);
    cfg.override_integer_option("SR_CMD_TIMEOUT", 120).unwrap();
    Client::new(Some(&cfg), "scripts").unwrap()
}

fn put(c: &mut Client, name: &str, dims: &[usize], data: &[f32]) {
    c.put_tensor(name, &TensorRef::from_slice(dims, data).unwrap())
        .unwrap();
}

fn unpack(c: &mut Client, name: &str, dims: &[usize]) -> Vec<f32> {
    let mut out = vec![0f32; dims.iter().product()];
    c.unpack_tensor(name, TensorMut::from_slice(dims, &mut out).unwrap())
        .unwrap();
    out
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
            "{got:?} vs {want:?}"
        );
    }
}

fn runtime_text(r: smartredis::Result<()>) -> String {
    match r {
        Err(e @ Error::Runtime(_)) => e.to_string(),
        other => panic!("expected a runtime error, got {other:?}"),
    }
}

fn scripts(c: &mut Client) {
    let source = std::fs::read_to_string(script_file()).unwrap();
    assert!(!c.model_exists("proc").unwrap());
    c.set_script("proc", "CPU", &source).unwrap();
    assert!(c.model_exists("proc").unwrap());
    assert_eq!(c.get_script("proc").unwrap(), source);
    c.set_script_from_file("proc_file", "CPU", &script_file())
        .unwrap();
    assert_eq!(c.get_script("proc_file").unwrap(), source);

    // script → model → script → unpack.
    let w: Vec<f32> = (0..K * M).map(|i| 0.1 * i as f32 - 0.5).collect();
    let b: Vec<f32> = (0..M).map(|j| j as f32 * 0.25).collect();
    c.set_model(
        "lin",
        &onnx::linear(&w, &b, K as i64, M as i64),
        "ONNX",
        "CPU",
        &ModelOptions::default(),
    )
    .unwrap();
    let x: Vec<f32> = (0..2 * K).map(|i| i as f32 * 0.05).collect();
    put(c, "x", &[2, K], &x);
    c.run_script("proc", "pre_process", &["x"], &["x2"])
        .unwrap();
    let x2 = unpack(c, "x2", &[2, K]);
    assert_close(&x2, &x.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
    c.run_model("lin", &["x2"], &["y"]).unwrap();
    c.run_script("proc_file", "post_process", &["y"], &["z"])
        .unwrap();
    let want: Vec<f32> = (0..2 * M)
        .map(|n| {
            1.0 + b[n % M]
                + (0..K)
                    .map(|i| x2[(n / M) * K + i] * w[i * M + n % M])
                    .sum::<f32>()
        })
        .collect();
    assert_close(&unpack(c, "z", &[2, M]), &want);

    // The server's text for a missing function, a missing input, a script that does not compile.
    let nofn = runtime_text(c.run_script("proc", "no_such_function", &["x"], &["q"]));
    assert!(
        nofn.starts_with("Redis error when executing command: "),
        "{nofn}"
    );
    let noin = runtime_text(c.run_script("proc", "pre_process", &["missing"], &["q"]));
    assert!(
        noin.starts_with("Redis error when executing command: "),
        "{noin}"
    );
    let bad = runtime_text(c.set_script("bad", "CPU", "def f(x):\n    return x +\n"));
    assert!(
        bad.starts_with("Redis error when executing command: "),
        "{bad}"
    );
    assert!(!c.model_exists("bad").unwrap());
    assert!(matches!(
        c.set_script_multigpu("proc_gpu", &source, 0, 0),
        Err(Error::Parameter(_))
    ));
    assert!(matches!(
        c.run_script_multigpu("proc_gpu", "pre_process", &["x"], &["q"], 0, -1, 1),
        Err(Error::Parameter(_))
    ));
    let gpu =
        runtime_text(c.run_script_multigpu("proc_gpu", "pre_process", &["x"], &["q"], 3, 0, 2));
    assert!(gpu.contains("on GPU:1"), "{gpu}");

    c.delete_script("proc").unwrap();
    c.delete_script("proc_file").unwrap();
    assert!(!c.model_exists("proc").unwrap());
    assert!(c.key_exists("x").unwrap(), "the server is still up");
}

#[test]
fn standalone() {
    let server = RedisServer::options().with_backends().start();
    scripts(&mut client(&server.addr(), "Standalone"));
}

#[test]
fn cluster_of_three() {
    let cluster = RedisCluster::with_backends(3);
    let mut c = client(&cluster.ssdb(), "Clustered");
    scripts(&mut c);
    for node in &cluster.nodes {
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
            .arg("*.TMP")
            .query(&mut node.connection())
            .unwrap();
        assert!(keys.is_empty(), "temporaries left: {keys:?}");
    }
}
