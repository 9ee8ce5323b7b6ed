//! Resource limits: tensor allocations within `maxmemory` headroom (Redis's OOM error, also inside MULTI), module
//! allocations counted in `used_memory`, the zero-fill cap, the VALUES reply cap and the model blob cap, each
//! settable at load time and with `AI.CONFIG`.

mod common;

use common::{err, Raw, RedisServer};

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

fn used_memory(c: &mut Raw) -> u64 {
    let info = c.cmd(&["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

#[test]
fn zero_fill_within_maxmemory_headroom() {
    let server = RedisServer::options()
        .with_module()
        .args(["--maxmemory", "20mb"])
        .start();
    let mut c = Raw::new(&server);
    // 512 MiB from a 44-byte command: refused before anything is allocated.
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "k", "UINT8", "536870912"]),
        err(OOM)
    );
    assert!(used_memory(&mut c) < 20 << 20);
    // Within the headroom it works.
    assert_eq!(c.cmd(&["AI.TENSORSET", "k", "UINT8", "2097152"]), "+OK\r\n");
    // Eight 4 MiB tensors in one MULTI: those that would pass maxmemory are refused, the server stays within it.
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    for i in 0..8 {
        assert_eq!(
            c.cmd(&["AI.TENSORSET", &format!("m{i}"), "FLOAT", "1048576"]),
            "+QUEUED\r\n"
        );
    }
    let reply = c.cmd(&["EXEC"]);
    assert!(reply.contains("+OK") && reply.contains(OOM), "{reply}");
    assert!(used_memory(&mut c) <= 20 << 20);
}

#[test]
fn module_allocations_count_in_used_memory() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    let before = used_memory(&mut c);
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "z", "UINT8", "33554432"]),
        "+OK\r\n"
    );
    let after = used_memory(&mut c);
    assert!(after >= before + (32 << 20), "{before} -> {after}");
}

#[test]
fn zero_fill_values_reply_and_model_blob_caps() {
    let server = RedisServer::options()
        .with_module()
        .module_args(["TENSOR_ZERO_FILL_MAX", "1000", "VALUES_REPLY_MAX", "10"])
        .start();
    let mut c = Raw::new(&server);
    for (name, v) in [
        ("TENSOR_ZERO_FILL_MAX", 1000),
        ("VALUES_REPLY_MAX", 10),
        ("MODEL_BLOB_MAX", 0),
    ] {
        assert_eq!(c.cmd(&["AI.CONFIG", "GET", name]), format!(":{v}\r\n"));
    }
    assert_eq!(c.cmd(&["AI.TENSORSET", "z", "UINT8", "1000"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "z", "UINT8", "1001"]),
        err("ERR tensor is too large")
    );
    assert_eq!(
        c.cmd(&["AI.CONFIG", "TENSOR_ZERO_FILL_MAX", "2000"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["AI.TENSORSET", "z", "UINT8", "1001"]), "+OK\r\n");
    // VALUES replies: up to the cap; beyond it an error pointing to BLOB, which still works.
    let values: Vec<String> = (0..11).map(|i| i.to_string()).collect();
    let mut set = vec!["AI.TENSORSET", "v", "INT32", "11", "VALUES"];
    set.extend(values.iter().map(String::as_str));
    assert_eq!(c.cmd(&set), "+OK\r\n");
    let too_many = err(
        "ERR tensor has more elements than VALUES_REPLY_MAX allows in a VALUES reply: get it as BLOB",
    );
    assert_eq!(c.cmd(&["AI.TENSORGET", "v", "VALUES"]), too_many);
    assert_eq!(c.cmd(&["AI.TENSORGET", "v", "META", "VALUES"]), too_many);
    assert!(c.cmd(&["AI.TENSORGET", "v", "BLOB"]).starts_with("$44\r\n"));
    // The cap holds in a DAG's TENSORGET too: an error element; a BLOB get in the same DAG still answers.
    for dag in ["AI.DAGEXECUTE", "AI.DAGRUN"] {
        let r = c.cmd(&[
            dag,
            "LOAD",
            "1",
            "v",
            "|>",
            "AI.TENSORGET",
            "v",
            "VALUES",
            "|>",
            "AI.TENSORGET",
            "v",
            "BLOB",
        ]);
        let want = format!("*2\r\n{}$44\r\n", too_many);
        assert!(r.starts_with(&want), "{dag}: {r:?}");
    }
    assert_eq!(c.cmd(&["AI.CONFIG", "VALUES_REPLY_MAX", "11"]), "+OK\r\n");
    assert!(c
        .cmd(&["AI.TENSORGET", "v", "VALUES"])
        .starts_with("*11\r\n"));
    assert_eq!(
        c.cmd(&["AI.CONFIG", "VALUES_REPLY_MAX", "0"]),
        err("ERR VALUES_REPLY_MAX: invalid value")
    );
    // Model blobs: refused above MODEL_BLOB_MAX before anything is parsed or stored.
    assert_eq!(c.cmd(&["AI.CONFIG", "MODEL_BLOB_MAX", "100"]), "+OK\r\n");
    let blob = "x".repeat(101);
    assert_eq!(
        c.cmd(&["AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", &blob]),
        err("ERR model blob is 101 bytes, more than MODEL_BLOB_MAX (100)")
    );
    assert_eq!(c.cmd(&["EXISTS", "m"]), ":0\r\n");
}
