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

#[test]
fn standalone() {
    let server = RedisServer::with_module();
    let mut c = common::client(&server.addr(), "Standalone");
    exercise(&mut c, &[server.addr()]);
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
}
