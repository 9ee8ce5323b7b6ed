//! Admin calls addressed to one node, standalone and on a 3-shard cluster: INFO, CLUSTER INFO, CONFIG GET/SET,
//! AI.INFO, FLUSHDB, SAVE, and bad addresses.

mod common;

use smartredis::tensor::TensorRef;
use smartredis::{Client, SRError};
use testkit::{RedisCluster, RedisServer};

fn exercise(c: &mut Client, addresses: &[String]) {
    for addr in addresses {
        let info = c.get_db_node_info(addr).unwrap();
        assert!(info["Server"].contains_key("redis_version"), "{info:?}");
        assert!(info.contains_key("Keyspace"));
        c.config_set("maxmemory-policy", "allkeys-lru", addr)
            .unwrap();
        let got = c.config_get("maxmemory-policy", addr).unwrap();
        assert_eq!(got["maxmemory-policy"], "allkeys-lru");
        assert!(c.config_get("no-such-parameter", addr).unwrap().is_empty());
        let e = c.config_set("no-such-parameter", "1", addr).unwrap_err();
        assert_eq!(e.code(), SRError::SRRuntimeError);
        assert!(e.message().contains("no-such-parameter"), "{e}");
        c.save(addr).unwrap();
        // AI.INFO of a key the module has no statistics for reports the server's text.
        let e = c.get_ai_info(addr, "no_model", false).unwrap_err();
        assert_eq!(e.code(), SRError::SRRuntimeError);
        assert!(e.message().contains("cannot find run info"), "{e}");
    }
    // FLUSHDB on every node empties the store.
    for i in 0..20 {
        c.put_tensor(
            &format!("t{i}"),
            &TensorRef::from_slice(&[1], &[i as u8]).unwrap(),
        )
        .unwrap();
    }
    for addr in addresses {
        c.flush_db(addr).unwrap();
    }
    for i in 0..20 {
        assert!(!c.tensor_exists(&format!("t{i}")).unwrap());
    }
    for bad in ["", ":00", "127.0.0.1", "127.0.0.1:", "127.0.0.1:1"] {
        let e = c.flush_db(bad).unwrap_err();
        assert_eq!(e.code(), SRError::SRRuntimeError, "{bad}: {e}");
    }
}

/// The lowest slot `addr` serves, from `CLUSTER SLOTS`.
fn lowest_slot(addr: &str) -> u16 {
    let mut con = redis::Client::open(format!("redis://{addr}"))
        .unwrap()
        .get_connection()
        .unwrap();
    let reply: Vec<redis::Value> = redis::cmd("CLUSTER").arg("SLOTS").query(&mut con).unwrap();
    let int = |v: &redis::Value| match v {
        redis::Value::Int(i) => *i,
        other => panic!("{other:?}"),
    };
    let text = |v: &redis::Value| match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("{other:?}"),
    };
    reply
        .iter()
        .filter_map(|e| {
            let redis::Value::Array(e) = e else {
                panic!("{e:?}")
            };
            let redis::Value::Array(node) = &e[2] else {
                panic!("{e:?}")
            };
            let at = format!("{}:{}", text(&node[0]), int(&node[1]));
            (at == addr).then(|| int(&e[0]) as u16)
        })
        .min()
        .unwrap()
}

/// AI.INFO of a model stored (raw) under `key` on the node at `addr`, as upstream addresses it: in a cluster
/// `key` is the node's copy `{prefix}.key`, whose prefix the reply's `key` field drops.
fn ai_info_of_a_model(c: &mut Client, addr: &str, cluster: bool) {
    let tag = if cluster {
        let prefix = smartredis_protocol::model::cluster_prefix(lowest_slot(addr)).unwrap();
        smartredis_protocol::model::cluster_key(&prefix, b"")
    } else {
        Vec::new()
    };
    let mut con = redis::Client::open(format!("redis://{addr}"))
        .unwrap()
        .get_connection()
        .unwrap();
    // The ONNX Runtime `make deps` fetched (the module's default path is beside the copy cargo tests load).
    let backends = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("build/backends");
    let () = redis::cmd("AI.CONFIG")
        .arg("BACKENDSPATH")
        .arg(backends.to_str().unwrap())
        .query(&mut con)
        .unwrap();
    let model = testkit::onnx::identity(testkit::onnx::ty::FLOAT);
    let () = redis::cmd("AI.MODELSTORE")
        .arg([tag.as_slice(), b"admin_model"].concat())
        .arg("ONNX")
        .arg("CPU")
        .arg("BLOB")
        .arg(model)
        .query(&mut con)
        .unwrap();
    let info = c.get_ai_info(addr, "admin_model", false).unwrap();
    assert_eq!(info["key"], "admin_model", "{info:?}");
    assert_eq!(info["type"], "MODEL");
    assert_eq!(info["backend"], "ONNX");
    assert_eq!(info["device"], "CPU");
    assert_eq!(info["calls"], "0");
    assert_eq!(info["errors"], "0");
    assert!(c.get_ai_info(addr, "admin_model", true).unwrap().is_empty());
}

#[test]
fn standalone() {
    let server = RedisServer::with_module();
    let mut c = common::client(&server.addr(), "Standalone");
    exercise(&mut c, &[server.addr()]);
    ai_info_of_a_model(&mut c, &server.addr(), false);
    let e = c.get_db_cluster_info(&server.addr()).unwrap_err();
    assert!(e.message().contains("non-cluster"), "{e}");
}

#[test]
fn cluster_of_three() {
    let cluster = RedisCluster::with_module(3);
    let mut c = common::client(&cluster.ssdb(), "Clustered");
    let addresses: Vec<String> = cluster.ssdb().split(',').map(str::to_string).collect();
    assert_eq!(addresses.len(), 3);
    for a in &addresses {
        let info = c.get_db_cluster_info(a).unwrap();
        assert_eq!(info["cluster_state"], "ok");
    }
    exercise(&mut c, &addresses);
    for a in &addresses {
        ai_info_of_a_model(&mut c, a, true);
    }
}
