//! Models shared with upstream's SmartRedis Python client (`smartredis==0.6.1`, in `build/venv` from
//! `scripts/setup-venv.sh`): a model stored by one client is found, fetched byte for byte and run by the other, on a
//! standalone server and on a 3-shard cluster, where both must agree on the CRC16-prefixed keys of the copies on
//! every shard. `SR_SKIP_INTEROP=1` skips these tests, loudly, on machines without network.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::ModelOptions;
use testkit::{onnx, RedisCluster, RedisServer};

const PY_SMARTREDIS: &str = "0.6.1";

/// The Python half: `py.py MODE MODEL_FILE` with MODE `set` (store the file as model `py_lin`) or `run` (fetch model
/// `rs_lin`, compare it with the file, run it on tensor `rs_x` into `py_y`).
const PY: &str = r#"
import sys
import numpy as np
from smartredis import Client
mode, path = sys.argv[1], sys.argv[2]
blob = open(path, "rb").read()
c = Client(logger_name="interop-models")
if mode == "set":
    c.set_model("py_lin", blob, "ONNX", "CPU")
else:
    assert c.model_exists("rs_lin"), "rs_lin not found"
    got = c.get_model("rs_lin")
    assert bytes(got) == blob, "model bytes differ"
    c.run_model("rs_lin", ["rs_x"], ["py_y"])
"#;

fn python() -> Option<PathBuf> {
    static SETUP: Mutex<()> = Mutex::new(());
    if std::env::var("SR_SKIP_INTEROP").as_deref() == Ok("1") {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SR_SKIP_INTEROP=1: model interoperability with the SmartRedis {PY_SMARTREDIS} Python client is \
             NOT TESTED ***\n"
        );
        return None;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("build/venv");
    let _guard = SETUP.lock().unwrap_or_else(|p| p.into_inner());
    if !venv.join(format!(".smartredis-{PY_SMARTREDIS}")).exists() {
        let status = Command::new(root.join("scripts/setup-venv.sh"))
            .status()
            .expect("run scripts/setup-venv.sh");
        assert!(
            status.success(),
            "could not create build/venv (SR_SKIP_INTEROP=1 skips these tests)"
        );
    }
    Some(venv.join("bin/python"))
}

fn run_python(py: &PathBuf, mode: &str, model: &std::path::Path, ssdb: &str, cluster: bool) {
    let out = Command::new(py)
        .args(["-c", PY, mode])
        .arg(model)
        .env("SSDB", ssdb)
        .env(
            "SR_DB_TYPE",
            if cluster { "Clustered" } else { "Standalone" },
        )
        .env("SR_LOG_LEVEL", "QUIET")
        .output()
        .expect("run the Python client");
    assert!(
        out.status.success(),
        "python {mode} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn exchange(ssdb: &str, cluster: bool) {
    let Some(py) = python() else { return };
    let (k, m) = (5usize, 3usize);
    let w: Vec<f32> = (0..k * m).map(|i| i as f32 * 0.25 - 1.0).collect();
    let b: Vec<f32> = (0..m).map(|j| j as f32).collect();
    let model = onnx::linear(&w, &b, k as i64, m as i64);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lin.onnx");
    std::fs::write(&file, &model).unwrap();
    let x: Vec<f32> = (0..2 * k).map(|i| i as f32 * 0.1).collect();
    let want: Vec<f32> = (0..2 * m)
        .map(|n| {
            b[n % m]
                + (0..k)
                    .map(|i| x[(n / m) * k + i] * w[i * m + n % m])
                    .sum::<f32>()
        })
        .collect();
    let mut c = common::client(ssdb, if cluster { "Clustered" } else { "Standalone" });

    // Ours stores, Python fetches and runs.
    c.set_model("rs_lin", &model, "ONNX", "CPU", &ModelOptions::default())
        .unwrap();
    c.put_tensor("rs_x", &TensorRef::from_slice(&[2, k], &x).unwrap())
        .unwrap();
    run_python(&py, "run", &file, ssdb, cluster);
    let mut y = vec![0f32; 2 * m];
    c.unpack_tensor("py_y", TensorMut::from_slice(&[2, m], &mut y).unwrap())
        .unwrap();
    for (g, e) in y.iter().zip(&want) {
        assert!((g - e).abs() < 1e-4, "{y:?} vs {want:?}");
    }

    // Python stores, ours fetches and runs.
    run_python(&py, "set", &file, ssdb, cluster);
    assert!(c.model_exists("py_lin").unwrap());
    assert_eq!(c.get_model("py_lin").unwrap(), model);
    c.run_model("py_lin", &["rs_x"], &["rs_y"]).unwrap();
    c.unpack_tensor("rs_y", TensorMut::from_slice(&[2, m], &mut y).unwrap())
        .unwrap();
    for (g, e) in y.iter().zip(&want) {
        assert!((g - e).abs() < 1e-4, "{y:?} vs {want:?}");
    }
    c.delete_model("py_lin").unwrap();
    assert!(!c.model_exists("py_lin").unwrap());
}

#[test]
fn standalone_models_both_ways() {
    let server = RedisServer::options().with_backends().start();
    exchange(&server.addr(), false);
}

#[test]
fn cluster_models_both_ways() {
    let cluster = RedisCluster::with_backends(3);
    exchange(&cluster.nodes[0].addr(), true);
}
