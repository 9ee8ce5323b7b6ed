//! The client's model API with TF models: `set_model(…, "TF", …)` with input and output names, `run_model`,
//! `get_model`, through Rust and the C API, on one server and on a 3-shard cluster (a copy of the model on every
//! shard). The frozen graphs and TensorFlow's outputs for fixed inputs are committed under tests/data/tf/
//! (scripts/models/make_tf_models.py); every result is compared with them.

mod common;

use std::path::{Path, PathBuf};

use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::{Client, ModelOptions, SRError};
use testkit::{RedisCluster, RedisServer};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tf")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn read_f32(name: &str) -> Vec<f32> {
    read(name)
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
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

/// A client with a command timeout long enough for the first TF model store (it loads TensorFlow).
fn client(ssdb: &str, db_type: &str) -> Client {
    let cfg = common::config(ssdb, db_type);
    cfg.override_integer_option("SR_CMD_TIMEOUT", 60).unwrap();
    Client::new(Some(&cfg), "test").unwrap()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Stores both TF models, runs them on inputs named after `tag`, and checks every output.
fn tf_models(c: &mut Client, tag: &str) {
    let lin = read("linear.pb");
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
    put(c, &x, &[4, 3], &read_f32("linear_x.f32"));
    put(c, &b, &[4, 2], &read_f32("linear_b.f32"));
    c.run_model(
        "tf_lin",
        &[x.as_str(), b.as_str()],
        &[y.as_str(), s.as_str()],
    )
    .unwrap();
    assert_close(&unpack(c, &y, &[4, 2]), &read_f32("linear_y.f32"));
    assert_close(&unpack(c, &s, &[4, 2]), &read_f32("linear_scaled.f32"));

    // The CNN from a file, lower-case backend name, with batching options.
    let opts = ModelOptions {
        inputs: names(&["input"]),
        outputs: names(&["output"]),
        batch_size: 8,
        tag: "cnn".into(),
        ..Default::default()
    };
    c.set_model_from_file("tf_cnn", &data("cnn.pb"), "tf", "CPU", &opts)
        .unwrap();
    let (img, out) = (format!("img_{tag}"), format!("out_{tag}"));
    put(c, &img, &[4, 28, 28, 1], &read_f32("cnn_input.f32"));
    c.run_model("tf_cnn", &[img.as_str()], &[out.as_str()])
        .unwrap();
    assert_close(&unpack(c, &out, &[4, 10]), &read_f32("cnn_output.f32"));

    // An unknown input name: the server's text, and the client and server keep working.
    let bad = ModelOptions {
        inputs: names(&["nope"]),
        outputs: names(&["output"]),
        ..Default::default()
    };
    let e = c
        .set_model("tf_bad", &read("cnn.pb"), "TF", "CPU", &bad)
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

#[test]
fn tf_models_standalone() {
    let server = RedisServer::options().with_backends().start();
    let mut c = client(&server.addr(), "Standalone");
    tf_models(&mut c, "s");
}

#[test]
fn tf_models_on_a_cluster() {
    let cluster = RedisCluster::with_backends(3);
    let mut c = client(&cluster.ssdb(), "Clustered");
    // Inputs land on different shards; each run copies them next to a model copy.
    for tag in ["a", "b", "foo"] {
        tf_models(&mut c, tag);
    }
}

#[test]
fn tf_models_through_the_c_api() {
    use smartredis::ffi::client::{put_tensor, unpack_tensor, CreateClient, DeleteCClient};
    use smartredis::ffi::client_models::{run_model, set_model};
    use smartredis::ffi::configoptions::{
        create_configoptions_from_environment, override_string_option, sr_configoptions_free,
    };
    use std::ffi::{c_char, c_void};
    use std::ptr::null_mut;

    let server = RedisServer::options().with_backends().start();
    let mut cfg: *mut c_void = null_mut();
    assert_eq!(
        create_configoptions_from_environment(c"".as_ptr(), 0, &mut cfg),
        SRError::SRNoError
    );
    let addr = server.addr();
    for (k, v) in [
        ("SSDB", addr.as_str()),
        ("SR_DB_TYPE", "Standalone"),
        ("SSKEYIN", ""),
        ("SSKEYOUT", ""),
    ] {
        assert_eq!(
            override_string_option(cfg, k.as_ptr().cast(), k.len(), v.as_ptr().cast(), v.len()),
            SRError::SRNoError
        );
    }
    let mut h: *mut c_void = null_mut();
    assert_eq!(
        CreateClient(cfg, c"c".as_ptr(), 1, &mut h),
        SRError::SRNoError
    );
    let s = |t: &str| (t.as_ptr().cast::<c_char>(), t.len());
    let lin = read("linear.pb");
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
        ("cx", [4usize, 3], "linear_x.f32"),
        ("cb", [4, 2], "linear_b.f32"),
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
    for (key, file) in [("cy", "linear_y.f32"), ("cs", "linear_scaled.f32")] {
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
    assert_eq!(sr_configoptions_free(&mut cfg), SRError::SRNoError);
}
