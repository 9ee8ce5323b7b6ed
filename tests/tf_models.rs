//! The client's model API with TF and TFLITE models: `set_model(…, "TF", …)` with input and output names and
//! `set_model(…, "TFLITE", …)` without, `set_model_from_file`, `run_model`, `get_model`, through Rust (standalone
//! and a 3-shard cluster, a copy of the model on every shard) and the C API. The models and the outputs TensorFlow
//! and LiteRT computed for fixed inputs are committed under tests/data/ (scripts/models/make_tf_models.py,
//! make_tflite_models.py); every result is compared with them.

mod common;

use common::{patient_client, put, unpack};
use smartredis::{Client, ModelOptions, SRError};
use testkit::expected::{
    assert_close_within, data_path, expected, keys, linear_6x4, read, read_f32,
};
use testkit::{RedisCluster, RedisServer};

fn assert_close(got: &[f32], want: &[f32]) {
    assert_close_within(got, want, 1e-5);
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Stores both TF models, runs them on inputs named after `tag`, and checks every output.
fn tf_models(c: &mut Client, tag: &str) {
    let lin = read("tf/linear.pb");
    let opts = ModelOptions {
        inputs: names(&["x", "b"]),
        outputs: names(&["y", "scaled"]),
        ..Default::default()
    };
    c.set_model("tf_lin", &lin, "TF", "CPU", &opts).unwrap();
    assert_eq!(c.get_model("tf_lin").unwrap(), lin);
    let (x, b, y, s) = (
        format!("x_{tag}"),
        format!("b_{tag}"),
        format!("y_{tag}"),
        format!("s_{tag}"),
    );
    put(c, &x, &[4, 3], &read_f32("tf/linear_x.f32"));
    put(c, &b, &[4, 2], &read_f32("tf/linear_b.f32"));
    c.run_model(
        "tf_lin",
        &[x.as_str(), b.as_str()],
        &[y.as_str(), s.as_str()],
    )
    .unwrap();
    assert_close(&unpack(c, &y, &[4, 2]), &read_f32("tf/linear_y.f32"));
    assert_close(&unpack(c, &s, &[4, 2]), &read_f32("tf/linear_scaled.f32"));

    // The CNN from a file, lower-case backend name, with batching options.
    let opts = ModelOptions {
        inputs: names(&["input"]),
        outputs: names(&["output"]),
        batch_size: 8,
        tag: "cnn".into(),
        ..Default::default()
    };
    c.set_model_from_file("tf_cnn", &data_path("tf/cnn.pb"), "tf", "CPU", &opts)
        .unwrap();
    let (img, out) = (format!("img_{tag}"), format!("out_{tag}"));
    put(c, &img, &[4, 28, 28, 1], &read_f32("tf/cnn_input.f32"));
    c.run_model("tf_cnn", &[img.as_str()], &[out.as_str()])
        .unwrap();
    assert_close(&unpack(c, &out, &[4, 10]), &read_f32("tf/cnn_output.f32"));

    // An unknown input name: the server's text, and the client and server keep working.
    let bad = ModelOptions {
        inputs: names(&["nope"]),
        outputs: names(&["output"]),
        ..Default::default()
    };
    let e = c
        .set_model("tf_bad", &read("tf/cnn.pb"), "TF", "CPU", &bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Input node named \"nope\" not found in TF graph."),
        "{e}"
    );
    assert!(!c.model_exists("tf_bad").unwrap());
    c.delete_model("tf_lin").unwrap();
    c.delete_model("tf_cnn").unwrap();
}

/// Stores `tests/data/<model>.tflite` as `key`, runs the inputs of `<model>.expected` (in signature order) through
/// tensors named after `tag`, and compares every output with LiteRT's.
fn run_expected(c: &mut Client, key: &str, model: &str, tag: &str) {
    let e = expected(model);
    let ins = keys(&e.inputs, |n| format!("{n}_{tag}"));
    let outs = keys(&e.outputs, |n| format!("{n}_{tag}"));
    for (t, k) in e.inputs.iter().zip(&ins) {
        put(c, k, &t.dims_usize(), &t.values);
    }
    let ins: Vec<&str> = ins.iter().map(String::as_str).collect();
    let outs: Vec<&str> = outs.iter().map(String::as_str).collect();
    c.run_model(key, &ins, &outs).unwrap();
    for (t, k) in e.outputs.iter().zip(&outs) {
        assert_close(&unpack(c, k, &t.dims_usize()), &t.values);
    }
}

/// Stores the TFLITE models, runs them on inputs named after `tag`, and checks every output.
fn tflite_models(c: &mut Client, tag: &str) {
    let lin = read("linear_6x4.tflite");
    c.set_model("tl_lin", &lin, "TFLITE", "CPU", &ModelOptions::default())
        .unwrap();
    assert!(c.model_exists("tl_lin").unwrap());
    assert_eq!(c.get_model("tl_lin").unwrap(), lin);
    run_expected(c, "tl_lin", "linear_6x4", tag);
    // Other batch sizes: the model's input is resized to the shape given.
    for rows in [1usize, 5] {
        let x: Vec<f32> = (0..rows * 6).map(|i| (i as f32 * 0.3).cos()).collect();
        let (xin, yout) = (format!("tx{rows}_{tag}"), format!("ty{rows}_{tag}"));
        put(c, &xin, &[rows, 6], &x);
        c.run_model("tl_lin", &[xin.as_str()], &[yout.as_str()])
            .unwrap();
        assert_close_within(&unpack(c, &yout, &[rows, 4]), &linear_6x4(&x), 1e-4);
    }

    // The CNN from a file, with a tag; two inputs and two outputs in the signature's order.
    let opts = ModelOptions {
        tag: "cnn".into(),
        ..Default::default()
    };
    let file = data_path("mnist_cnn.tflite");
    c.set_model_from_file("tl_cnn", &file, "TFLITE", "CPU", &opts)
        .unwrap();
    run_expected(c, "tl_cnn", "mnist_cnn", tag);
    c.set_model(
        "tl_am",
        &read("add_mul.tflite"),
        "tflite",
        "CPU",
        &ModelOptions::default(),
    )
    .unwrap();
    run_expected(c, "tl_am", "add_mul", tag);

    let e = c
        .set_model(
            "tl_bad",
            b"garbage",
            "TFLITE",
            "CPU",
            &ModelOptions::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("Failed to load model from buffer"), "{e}");
    assert!(!c.model_exists("tl_bad").unwrap());
    for m in ["tl_lin", "tl_cnn", "tl_am"] {
        c.delete_model(m).unwrap();
    }
    assert!(!c.model_exists("tl_lin").unwrap());
}

#[test]
fn tf_models_standalone() {
    let server = RedisServer::options().with_backends().start();
    let mut c = patient_client(&server.addr(), "Standalone", 60);
    tf_models(&mut c, "s");
}

#[test]
fn tflite_models_standalone() {
    let server = RedisServer::options().with_backends().start();
    let mut c = patient_client(&server.addr(), "Standalone", 60);
    tflite_models(&mut c, "s");
}

#[test]
fn tf_and_tflite_models_on_a_cluster() {
    let cluster = RedisCluster::with_backends(3);
    let mut c = patient_client(&cluster.ssdb(), "Clustered", 60);
    // Inputs land on different shards; each run copies them next to a model copy.
    for tag in ["a", "b", "foo"] {
        tf_models(&mut c, tag);
        tflite_models(&mut c, tag);
    }
}

#[test]
fn tf_models_through_the_c_api() {
    use smartredis::ffi::client::{put_tensor, unpack_tensor, DeleteCClient};
    use smartredis::ffi::client_models::{run_model, set_model};
    use std::ffi::c_char;

    let server = RedisServer::options().with_backends().start();
    let mut h = common::c_client(&server.addr());
    let s = |t: &str| (t.as_ptr().cast::<c_char>(), t.len());
    let lin = read("tf/linear.pb");
    let (name, nl) = s("lin");
    let (tf, tl) = s("TF");
    let (cpu, cl) = s("CPU");
    let ins = [c"x".as_ptr(), c"b".as_ptr()];
    let in_lens = [1usize, 1];
    let outs = [c"y".as_ptr(), c"scaled".as_ptr()];
    let out_lens = [1usize, 6];
    assert_eq!(
        set_model(
            h,
            name,
            nl,
            lin.as_ptr().cast(),
            lin.len(),
            tf,
            tl,
            cpu,
            cl,
            0,
            0,
            0,
            std::ptr::null(),
            0,
            ins.as_ptr().cast_mut(),
            in_lens.as_ptr(),
            2,
            outs.as_ptr().cast_mut(),
            out_lens.as_ptr(),
            2
        ),
        SRError::SRNoError
    );
    for (key, dims, file) in [
        ("cx", [4usize, 3], "tf/linear_x.f32"),
        ("cb", [4, 2], "tf/linear_b.f32"),
    ] {
        let v = read_f32(file);
        let (k, kl) = s(key);
        // Type 2 = FLOAT, layout 2 = contiguous (sr_enums.h).
        assert_eq!(
            put_tensor(
                h,
                k,
                kl,
                v.as_ptr().cast_mut().cast(),
                dims.as_ptr(),
                2,
                2,
                2
            ),
            SRError::SRNoError
        );
    }
    let run_in = [c"cx".as_ptr(), c"cb".as_ptr()];
    let run_out = [c"cy".as_ptr(), c"cs".as_ptr()];
    let lens = [2usize, 2];
    assert_eq!(
        run_model(
            h,
            name,
            nl,
            run_in.as_ptr().cast_mut(),
            lens.as_ptr(),
            2,
            run_out.as_ptr().cast_mut(),
            lens.as_ptr(),
            2
        ),
        SRError::SRNoError
    );
    for (key, file) in [("cy", "tf/linear_y.f32"), ("cs", "tf/linear_scaled.f32")] {
        let mut y = vec![0f32; 8];
        let dims = [4usize, 2];
        let (k, kl) = s(key);
        assert_eq!(
            unpack_tensor(h, k, kl, y.as_mut_ptr().cast(), dims.as_ptr(), 2, 2, 2),
            SRError::SRNoError
        );
        assert_close(&y, &read_f32(file));
    }
    assert_eq!(DeleteCClient(&mut h), SRError::SRNoError);
}
