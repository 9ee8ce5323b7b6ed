//! TFLITE models through the Rust client against a real server with the module and LiteRT: `set_model(..,
//! "TFLITE", ..)` (from memory and from a file), `get_model`, `run_model` on the committed linear model and
//! MNIST-sized CNN (tests/data/*.tflite, written by scripts/models/make_tflite_models.py), results checked against
//! the closed form and against the outputs LiteRT computed (tests/data/*.expected); standalone and a 3-shard
//! cluster.

mod common;

use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::{Client, ModelOptions};
use testkit::{RedisCluster, RedisServer};

fn data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The values of `mnist_cnn.expected`: the image (1x28x28x1) and the probabilities LiteRT computed (1x10).
fn cnn_expected() -> (Vec<f32>, Vec<f32>) {
    let text = std::fs::read_to_string(data("mnist_cnn.expected")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let parse =
        |l: &str| -> Vec<f32> { l.split_whitespace().map(|v| v.parse().unwrap()).collect() };
    assert!(lines[0].starts_with("input image 1 28 28 1") && lines[2].starts_with("output"));
    (parse(lines[1]), parse(lines[3]))
}

/// `x @ W + b` with W[i][j] = 0.1 (i+1) - 0.05 j, b[j] = 0.5 j (tests/data/linear_6x4.tflite).
fn linear(x: &[f32]) -> Vec<f32> {
    x.chunks(6)
        .flat_map(|row| {
            (0..4).map(move |j| {
                let s: f32 = row
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v * (0.1 * (i + 1) as f32 - 0.05 * j as f32))
                    .sum();
                s + 0.5 * j as f32
            })
        })
        .collect()
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
            "element {i}: {g} vs {w}"
        );
    }
}

fn unpack(c: &mut Client, name: &str, dims: &[usize]) -> Vec<f32> {
    let mut out = vec![0f32; dims.iter().product()];
    c.unpack_tensor(name, TensorMut::from_slice(dims, &mut out).unwrap())
        .unwrap();
    out
}

fn tflite_models(c: &mut Client) {
    let lin = std::fs::read(data("linear_6x4.tflite")).unwrap();
    c.set_model("tlin", &lin, "TFLITE", "CPU", &ModelOptions::default())
        .unwrap();
    assert!(c.model_exists("tlin").unwrap());
    assert_eq!(c.get_model("tlin").unwrap(), lin);
    for rows in [1usize, 4] {
        let x: Vec<f32> = (0..rows * 6).map(|i| (i as f32 * 0.3).cos()).collect();
        let (xin, yout) = (format!("tx{rows}"), format!("ty{rows}"));
        c.put_tensor(&xin, &TensorRef::from_slice(&[rows, 6], &x).unwrap())
            .unwrap();
        c.run_model("tlin", &[xin.as_str()], &[yout.as_str()])
            .unwrap();
        assert_close(&unpack(c, &yout, &[rows, 4]), &linear(&x));
    }

    let opts = ModelOptions {
        tag: "cnn".into(),
        ..Default::default()
    };
    c.set_model_from_file("tcnn", &data("mnist_cnn.tflite"), "TFLITE", "CPU", &opts)
        .unwrap();
    let (image, want) = cnn_expected();
    c.put_tensor(
        "timg",
        &TensorRef::from_slice(&[1, 28, 28, 1], &image).unwrap(),
    )
    .unwrap();
    c.run_model("tcnn", &["timg"], &["tprob"]).unwrap();
    assert_close(&unpack(c, "tprob", &[1, 10]), &want);

    let bad = c.set_model(
        "tbad",
        b"garbage",
        "TFLITE",
        "CPU",
        &ModelOptions::default(),
    );
    assert!(
        format!("{:?}", bad.unwrap_err()).contains("Failed to load model from buffer"),
        "the server's text"
    );
    c.delete_model("tlin").unwrap();
    c.delete_model("tcnn").unwrap();
    assert!(!c.model_exists("tlin").unwrap());
}

#[test]
fn standalone() {
    let server = RedisServer::options().with_backends().start();
    let mut c = common::client(&server.addr(), "Standalone");
    tflite_models(&mut c);
}

#[test]
fn cluster_of_three() {
    let cluster = RedisCluster::with_backends(3);
    let mut c = common::client(&cluster.ssdb(), "Clustered");
    tflite_models(&mut c);
}
