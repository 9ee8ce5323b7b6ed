//! All four backends in one server: an ONNX, a TORCH, a TF and a TFLITE model and a TorchScript script stored in
//! the same redis-server, run interleaved and then concurrently from several connections, each result compared
//! with what that framework itself computed (LiteRT's and TensorFlow's committed outputs, libtorch run here through
//! the TORCH shim); AI.INFO and INFO MODULES show every backend; after DEBUG RELOAD everything runs again.

mod common;

use common::{
    assert_close_within, cmd, get_f32, info_field, model_store, set_f32, Raw, RedisServer,
};
use testkit::expected::{expected, read, read_f32, Expected};
use testkit::torch::Shim;

/// Connections running every model at once.
const CLIENTS: usize = 4;
/// Rounds of all models per connection.
const ROUNDS: usize = 5;

/// A model run: the model, its inputs (key suffix, dims, values) and its outputs (key suffix, expected values).
struct Case {
    model: &'static str,
    inputs: Vec<(String, Vec<i64>, Vec<f32>)>,
    outputs: Vec<(String, Vec<f32>)>,
    /// Tolerance (relative).
    tol: f32,
}

fn from_expected(model: &'static str, e: &Expected) -> Case {
    Case {
        model,
        inputs: e
            .inputs
            .iter()
            .map(|t| (t.name.clone(), t.dims.clone(), t.values.clone()))
            .collect(),
        outputs: e
            .outputs
            .iter()
            .map(|t| (t.name.clone(), t.values.clone()))
            .collect(),
        tol: 1e-5,
    }
}

/// The script's entry point and what it computes.
const SCRIPT: &str = "def affine(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] * 2.0 + 1.0
";

fn store(c: &mut Raw, key: &str, backend: &str, names: &[&str], blob: &[u8]) {
    let opts = match names {
        [i, o] => vec!["INPUTS", "1", i, "OUTPUTS", "1", o],
        _ => Vec::new(),
    };
    assert_eq!(
        model_store(c, key, backend, "CPU", &opts, blob),
        "+OK\r\n",
        "{backend}"
    );
}

/// Runs `case` through keys suffixed `_<tag>` and compares every output.
fn run(c: &mut Raw, case: &Case, tag: &str) {
    let ins: Vec<String> = case
        .inputs
        .iter()
        .map(|i| format!("{}_{tag}", i.0))
        .collect();
    let outs: Vec<String> = case
        .outputs
        .iter()
        .map(|o| format!("{}_{tag}", o.0))
        .collect();
    for ((_, dims, values), key) in case.inputs.iter().zip(&ins) {
        set_f32(c, key, dims, values);
    }
    let (ni, no) = (ins.len().to_string(), outs.len().to_string());
    let mut args = vec!["AI.MODELEXECUTE", case.model, "INPUTS", &ni];
    args.extend(ins.iter().map(String::as_str));
    args.extend(["OUTPUTS", &no]);
    args.extend(outs.iter().map(String::as_str));
    assert_eq!(c.cmd(&args), "+OK\r\n", "{}", case.model);
    for ((_, want), key) in case.outputs.iter().zip(&outs) {
        assert_close_within(&get_f32(c, key), want, case.tol);
    }
}

/// Runs the script on `x_<tag>` and compares with `2x + 1`.
fn run_script(c: &mut Raw, tag: &str) {
    let x: Vec<f32> = (0..6).map(|i| i as f32 * 0.5 - 1.0).collect();
    let (xk, yk) = (format!("sx_{tag}"), format!("sy_{tag}"));
    set_f32(c, &xk, &[2, 3], &x);
    let r = c.cmd(&[
        "AI.SCRIPTEXECUTE",
        "script",
        "affine",
        "INPUTS",
        "1",
        &xk,
        "OUTPUTS",
        "1",
        &yk,
    ]);
    assert_eq!(r, "+OK\r\n");
    let want: Vec<f32> = x.iter().map(|v| v * 2.0 + 1.0).collect();
    assert_close_within(&get_f32(c, &yk), &want, 1e-6);
}

fn run_all(c: &mut Raw, cases: &[Case], tag: &str) {
    for case in cases {
        run(c, case, tag);
    }
    run_script(c, tag);
}

/// `calls` of `AI.INFO key`.
fn calls(c: &mut Raw, key: &str, backend: &str) -> i64 {
    let r = c.cmd(&["AI.INFO", key]);
    assert!(
        r.contains(&format!(
            "$7\r\nbackend\r\n${}\r\n{backend}\r\n",
            backend.len()
        )),
        "{r}"
    );
    let at = r.find("$5\r\ncalls\r\n:").expect("calls") + 12;
    r[at..r[at..].find('\r').unwrap() + at].parse().unwrap()
}

#[test]
fn onnx_torch_tf_and_tflite_models_and_a_script_in_one_server() {
    let shim = Shim::open();
    let backends = testkit::backends_path().display().to_string();
    let server = RedisServer::options()
        .with_module()
        .module_args([
            "BACKENDSPATH",
            &backends,
            "INTRA_OP_PARALLELISM",
            "1",
            "INTER_OP_PARALLELISM",
            "1",
        ])
        .start();
    let mut c = Raw::new(&server);

    // ONNX: the linear model, on the input LiteRT ran its twin (linear_6x4.tflite) on; the same outputs.
    store(&mut c, "onnx", "ONNX", &[], &read("linear_6x4.onnx"));
    let mut onnx = from_expected("onnx", &expected("linear_6x4"));
    onnx.tol = 1e-4;
    // TORCH: the MNIST-sized TorchScript CNN, compared with libtorch on the same images.
    let pt = read("mnist_cnn.pt");
    store(&mut c, "torch", "TORCH", &[], &pt);
    let dims = [2i64, 1, 28, 28];
    let images: Vec<f32> = (0..2 * 784)
        .map(|i| ((i * 37) % 256) as f32 / 255.0)
        .collect();
    let want = shim.run_model(&pt, &[(&dims, &images)]);
    let torch = Case {
        model: "torch",
        inputs: vec![("img".into(), dims.to_vec(), images)],
        outputs: vec![("logp".into(), want[0].1.clone())],
        tol: 1e-5,
    };
    // TF: the CNN frozen graph, compared with TensorFlow's outputs.
    store(&mut c, "tf", "TF", &["input", "output"], &read("tf/cnn.pb"));
    let tf = Case {
        model: "tf",
        inputs: vec![(
            "in".into(),
            vec![4, 28, 28, 1],
            read_f32("tf/cnn_input.f32"),
        )],
        outputs: vec![("out".into(), read_f32("tf/cnn_output.f32"))],
        tol: 1e-5,
    };
    // TFLITE: the CNN flatbuffer, compared with LiteRT's outputs.
    store(&mut c, "tflite", "TFLITE", &[], &read("mnist_cnn.tflite"));
    let tflite = from_expected("tflite", &expected("mnist_cnn"));
    let mut args: Vec<&[u8]> = vec![b"AI.SCRIPTSTORE", b"script", b"CPU", b"ENTRY_POINTS", b"1"];
    args.extend([b"affine".as_slice(), b"SOURCE", SCRIPT.as_bytes()]);
    assert_eq!(cmd(&mut c, &args), "+OK\r\n");
    let cases = [onnx, torch, tf, tflite];

    // Interleaved on one connection, then all at once from several.
    for round in 0..2 {
        run_all(&mut c, &cases, &format!("r{round}"));
    }
    std::thread::scope(|s| {
        for t in 0..CLIENTS {
            let (cases, server) = (&cases, &server);
            s.spawn(move || {
                let mut c = Raw::new(server);
                for round in 0..ROUNDS {
                    run_all(&mut c, cases, &format!("c{t}_{round}"));
                }
            });
        }
    });
    let want_calls = (2 + CLIENTS * ROUNDS) as i64;
    for (key, backend) in [
        ("onnx", "ONNX"),
        ("torch", "TORCH"),
        ("tf", "TF"),
        ("tflite", "TFLITE"),
        ("script", "TORCH"),
    ] {
        assert_eq!(calls(&mut c, key, backend), want_calls, "{key}");
    }
    for field in [
        "ai_onnxruntime_version",
        "ai_torch_version",
        "ai_TensorFlow_version",
        "ai_TensorFlowLite_version",
    ] {
        let v = info_field(&mut c, "modules", field);
        assert!(v.is_some_and(|v| !v.is_empty()), "{field}");
    }
    assert_eq!(
        info_field(&mut c, "modules", "ai_TensorFlowLite_version").as_deref(),
        Some("2.3.0")
    );

    // Everything comes back from the RDB and runs again.
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    run_all(&mut c, &cases, "reloaded");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");

    // The log names each library once, where it came from and its version.
    let log = server.log();
    for (name, dir, version) in [
        ("ONNX", "redisai_onnxruntime", "ai_onnxruntime_version"),
        ("TORCH", "redisai_torch", "ai_torch_version"),
        ("TF", "redisai_tensorflow", "ai_TensorFlow_version"),
        ("TFLITE", "redisai_tflite", "ai_TensorFlowLite_version"),
    ] {
        let version = info_field(&mut c, "modules", version).unwrap_or_default();
        let line =
            format!("<ai> {name} backend loaded from {backends}/{dir} (version {version})\n");
        assert_eq!(log.matches(&line).count(), 1, "{line}in\n{log}");
    }
}
