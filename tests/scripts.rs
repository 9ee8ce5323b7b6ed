//! The client's script API against a real server with the module and the TORCH backend: set_script (from text and
//! from a file), get_script, run_script, delete_script, multi-GPU argument rules and the server's error texts, and
//! the SmartRedis flow script → model → script → unpack, standalone and on a 3-shard cluster (script copies on every
//! shard, runs through temporaries). The script is `tests/data/data_processing_script.txt` (`pre_process(x) = 2x`,
//! `post_process(y) = y + 1`); the model is testkit::onnx's linear layer; results are checked numerically.
//!
//! It also generates and checks the files of the MNIST flow the C, C++ and Fortran `script_flow` tests run
//! (`tests/data/mnist_*`): an MNIST-sized TorchScript CNN, SmartRedis-style processing functions, and the expected
//! results, computed by running the committed model directly in libtorch (through the module's TORCH shim).

mod common;

use std::path::Path;

use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::{Client, Error, ModelOptions};
use testkit::onnx::{cnn_weights, CnnWeights};
use testkit::torch::Shim;
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

/// The MNIST-sized CNN: conv 1→8 3×3, relu, maxpool 2, conv 8→16 3×3, relu, maxpool 2, linear 400→10,
/// log_softmax; input `[n, 1, 28, 28]`, output `[n, 10]`.
/// Images in the flow's input.
const MNIST_IMAGES: usize = 2;

/// The CNN as a TorchScript archive, its weights scaled by fan-in.
fn mnist_cnn(shim: &Shim) -> Vec<u8> {
    let scale = [0.33, 0.1, 0.12, 0.1, 0.05, 0.1];
    let w = cnn_weights(|i, n| {
        let v = common::values(n, i as u32 + 1);
        v.into_iter().map(|x| x * scale[i]).collect()
    });
    shim.cnn(&CnnWeights::of(&w))
}

/// Pixel `i` (row-major in 28 × 28) of image `n`, in 0..=255; the C, C++ and Fortran tests compute the same.
fn mnist_pixel(n: usize, i: usize) -> f32 {
    ((i * 37 + n * 101) % 256) as f32
}

fn mnist_file(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The expected results of the flow on the committed files, run directly in libtorch: `pre_process` of the
/// images, the CNN's log-probabilities (one line per image) and `post_process`'s labels (their argmax).
fn mnist_expected(shim: &Shim, model: &[u8], script: &str) -> (Vec<f32>, Vec<i64>) {
    let dims = [MNIST_IMAGES as i64, 1, 28, 28];
    let raw: Vec<f32> = (0..MNIST_IMAGES)
        .flat_map(|n| (0..784).map(move |i| mnist_pixel(n, i)))
        .collect();
    let pre = shim.run_script(script, "pre_process", &[(&dims, &raw)]);
    let out = shim.run_model(model, &[(&pre[0].0, &pre[0].1)]);
    assert_eq!(out[0].0, [MNIST_IMAGES as i64, 10]);
    let labels = out[0]
        .1
        .chunks(10)
        .map(|row| (0..10).fold(0, |best, j| if row[j] > row[best] { j } else { best }) as i64)
        .collect();
    (out[0].1.clone(), labels)
}

/// The expected-results file: a comment line, one line of 10 log-probabilities per image, a line of labels.
fn mnist_expected_text(out: &[f32], labels: &[i64]) -> String {
    let mut text = String::from(
        "# tests/scripts.rs (committed_mnist_flow_files_are_current) wrote this: log-probabilities per image, labels\n",
    );
    for row in out.chunks(10) {
        let line: Vec<String> = row.iter().map(|v| format!("{v:.8e}")).collect();
        text += &(line.join(" ") + "\n");
    }
    let line: Vec<String> = labels.iter().map(i64::to_string).collect();
    text + &line.join(" ") + "\n"
}

/// The MNIST flow files are what the generator writes, and the expected results are the committed model's, run
/// directly in libtorch; `SR_WRITE_TEST_MODELS=1` rewrites `tests/data/mnist_cnn.pt` and
/// `tests/data/mnist_expected.txt`.
#[test]
fn committed_mnist_flow_files_are_current() {
    let shim = Shim::open();
    let script = std::fs::read_to_string(mnist_file("mnist_script.txt")).unwrap();
    if std::env::var_os("SR_WRITE_TEST_MODELS").is_some() {
        let model = mnist_cnn(&shim);
        let (out, labels) = mnist_expected(&shim, &model, &script);
        std::fs::write(mnist_file("mnist_cnn.pt"), &model).unwrap();
        std::fs::write(
            mnist_file("mnist_expected.txt"),
            mnist_expected_text(&out, &labels),
        )
        .unwrap();
    }
    let model = std::fs::read(mnist_file("mnist_cnn.pt"))
        .expect("tests/data/mnist_cnn.pt (SR_WRITE_TEST_MODELS=1 writes it)");
    let (out, labels) = mnist_expected(&shim, &model, &script);
    let fresh = mnist_cnn(&shim);
    assert_eq!(
        mnist_expected(&shim, &fresh, &script),
        (out.clone(), labels.clone()),
        "the committed CNN is not the generator's: run with SR_WRITE_TEST_MODELS=1 and commit the result"
    );
    // Compared as numbers: another CPU may round the last bit of a convolution differently.
    let committed = std::fs::read_to_string(mnist_file("mnist_expected.txt")).unwrap();
    let lines: Vec<&str> = committed.lines().skip(1).collect();
    let numbers = |l: &str| -> Vec<f64> { l.split(' ').map(|v| v.parse().unwrap()).collect() };
    assert_eq!(lines.len(), MNIST_IMAGES + 1, "{committed}");
    let file_out: Vec<f64> = lines[..MNIST_IMAGES]
        .iter()
        .flat_map(|l| numbers(l))
        .collect();
    assert_eq!(file_out.len(), out.len());
    for (f, o) in file_out.iter().zip(&out) {
        assert!(
            (f - *o as f64).abs() <= 1e-5 * (1.0 + f.abs()),
            "{f} vs {o}: run with SR_WRITE_TEST_MODELS=1 and commit the result"
        );
    }
    let file_labels: Vec<i64> = numbers(lines[MNIST_IMAGES])
        .iter()
        .map(|&v| v as i64)
        .collect();
    assert_eq!(file_labels, labels, "labels");
}
