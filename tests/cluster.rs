//! Cluster behaviour against real servers: slots agree with `CLUSTER KEYSLOT`, a slot migrated during the test
//! keeps working through `ASK` and `MOVED`, and dead or slow servers give clean, bounded errors.

mod common;

use std::time::{Duration, Instant};

use smartredis::cluster::Slot;
use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::transport::Route;
use smartredis::SRError;
use testkit::{ClusterNode, RedisCluster, RedisServer};

/// xorshift, so the keys are random but the test is reproducible.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn slots_match_cluster_keyslot() {
    let cluster = RedisCluster::start(2, false);
    let mut con = cluster.nodes[0].connection();
    let mut seed = 0x5EED_1234_u64;
    let alphabet = b"ab{}c.{x}0123456789_-{}";
    for i in 0..2000 {
        let len = (rng(&mut seed) % 24) as usize;
        let mut key: Vec<u8> = (0..len)
            .map(|_| alphabet[(rng(&mut seed) % alphabet.len() as u64) as usize])
            .collect();
        if i % 3 == 0 {
            key.extend_from_slice(b"{tag}");
        }
        if i % 7 == 0 {
            key.push((rng(&mut seed) & 0xff) as u8);
        }
        let expected: u16 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(&key)
            .query(&mut con)
            .unwrap();
        assert_eq!(
            Slot::for_key(&key).get(),
            expected,
            "key {:?}",
            String::from_utf8_lossy(&key)
        );
    }
}

fn setslot(node: &ClusterNode, slot: u16, how: &str, id: &str) {
    let _: () = redis::cmd("CLUSTER")
        .arg("SETSLOT")
        .arg(slot)
        .arg(how)
        .arg(id)
        .query(&mut node.connection())
        .unwrap();
}

/// The `cmdstat_ai.tensorget` line of a node's `INFO commandstats` (calls, time, rejections), or "" before any.
fn tensorget_stats(node: &ClusterNode) -> String {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut node.connection())
        .unwrap();
    info.lines()
        .find(|l| l.starts_with("cmdstat_ai.tensorget:"))
        .unwrap_or("")
        .to_string()
}

#[test]
fn slot_migration_is_followed_through_ask_and_moved() {
    let cluster = RedisCluster::with_module(3);
    let mut c = common::client(&cluster.ssdb(), "Clustered");
    let slot = Slot::for_key(b"{mig}").get();
    let a = cluster.owner_of(slot);
    let b = (a + 1) % 3;
    let (a_id, b_id) = (cluster.node_id(a), cluster.node_id(b));

    let v1 = [1.0f64, 2.0, 3.0];
    c.put_tensor("{mig}one", &TensorRef::from_slice(&[3], &v1).unwrap())
        .unwrap();

    setslot(&cluster.nodes[b], slot, "IMPORTING", &a_id);
    setslot(&cluster.nodes[a], slot, "MIGRATING", &b_id);

    // A key not on A while the slot migrates: A answers ASK; the client asks B.
    let v2 = [4.0f64, 5.0, 6.0];
    c.put_tensor("{mig}two", &TensorRef::from_slice(&[3], &v2).unwrap())
        .unwrap();
    // (EXISTS on B without ASKING would be redirected; count the keys in the slot instead.)
    let in_slot_b: i64 = redis::cmd("CLUSTER")
        .arg("COUNTKEYSINSLOT")
        .arg(slot)
        .query(&mut cluster.nodes[b].connection())
        .unwrap();
    assert_eq!(in_slot_b, 1, "the ASK-redirected put must land on B");

    // Move the remaining key, then read both through A's ASK replies.
    let _: () = redis::cmd("MIGRATE")
        .arg("127.0.0.1")
        .arg(cluster.nodes[b].port)
        .arg("")
        .arg(0)
        .arg(5000)
        .arg("KEYS")
        .arg("{mig}one")
        .query(&mut cluster.nodes[a].connection())
        .unwrap();
    let mut got = [0.0f64; 3];
    c.unpack_tensor("{mig}one", TensorMut::from_slice(&[3], &mut got).unwrap())
        .unwrap();
    assert_eq!(got, v1);

    // Finish the migration everywhere; A now answers MOVED and the client updates its map.
    for node in &cluster.nodes {
        setslot(node, slot, "NODE", &b_id);
    }
    let t = c
        .get_tensor("{mig}two", smartredis::tensor::Layout::Contiguous)
        .unwrap();
    assert_eq!(t.data.as_slice::<f64>(), &v2);
    c.unpack_tensor("{mig}one", TensorMut::from_slice(&[3], &mut got).unwrap())
        .unwrap();
    assert_eq!(got, v1);
    // The client's map now names B: the next read goes straight there, A sees no AI.TENSORGET at all.
    let (a_before, b_before) = (
        tensorget_stats(&cluster.nodes[a]),
        tensorget_stats(&cluster.nodes[b]),
    );
    c.unpack_tensor("{mig}one", TensorMut::from_slice(&[3], &mut got).unwrap())
        .unwrap();
    assert_eq!(tensorget_stats(&cluster.nodes[a]), a_before);
    assert_ne!(tensorget_stats(&cluster.nodes[b]), b_before);
    assert!(c.tensor_exists("{mig}one").unwrap());
    c.delete_tensor("{mig}one").unwrap();
    assert!(!c.tensor_exists("{mig}one").unwrap());
}

#[test]
fn killed_server_gives_a_clean_error_within_the_timeout() {
    let mut server = RedisServer::with_module();
    let cfg = common::config(&server.addr(), "Standalone");
    cfg.override_integer_option("SR_CMD_TIMEOUT", 1).unwrap();
    cfg.override_integer_option("SR_CMD_INTERVAL", 100).unwrap();
    let mut c = smartredis::Client::new(Some(&cfg), "kill").unwrap();
    let v = vec![1.0f64; 100_000];
    c.put_tensor("k", &TensorRef::from_slice(&[v.len()], &v).unwrap())
        .unwrap();
    server.kill();
    let start = Instant::now();
    let e = c
        .put_tensor("k", &TensorRef::from_slice(&[v.len()], &v).unwrap())
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.code(), SRError::SRDatabaseError, "{e}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let mut out = vec![0.0; v.len()];
    let e = c
        .unpack_tensor("k", TensorMut::from_slice(&[v.len()], &mut out).unwrap())
        .unwrap_err();
    assert_eq!(e.code(), SRError::SRDatabaseError, "{e}");
}

#[test]
fn killed_cluster_node_gives_a_clean_error() {
    let mut cluster = RedisCluster::with_module(2);
    let cfg = common::config(&cluster.ssdb(), "Clustered");
    cfg.override_integer_option("SR_CMD_TIMEOUT", 1).unwrap();
    cfg.override_integer_option("SR_CONN_TIMEOUT", 1).unwrap();
    let mut c = smartredis::Client::new(Some(&cfg), "kill").unwrap();
    let key = "{on0}";
    let owner = cluster.owner_of(Slot::for_key(key.as_bytes()).get());
    c.put_tensor(key, &TensorRef::from_slice(&[1], &[1u8]).unwrap())
        .unwrap();
    cluster.nodes[owner].kill();
    let start = Instant::now();
    let e = c.tensor_exists(key).unwrap_err();
    assert!(
        matches!(e.code(), SRError::SRDatabaseError | SRError::SRTimeoutError),
        "{e}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn slow_reply_times_out_and_is_not_resent() {
    let server = RedisServer::with_module();
    let cfg = common::config(&server.addr(), "Standalone");
    cfg.override_integer_option("SR_CMD_TIMEOUT", 1).unwrap();
    let mut c = smartredis::Client::new(Some(&cfg), "slow").unwrap();
    // Counts its runs, then stays busy for 2 s: longer than the command timeout.
    let script = "redis.call('INCR', KEYS[1]) local t = redis.call('TIME') \
                  while true do local n = redis.call('TIME') \
                  if (n[1]-t[1])*1000000 + (n[2]-t[2]) > 2000000 then break end end return 1";
    let start = Instant::now();
    let e = c
        .connection()
        .query(
            Route::Key(b"runs"),
            redis::cmd("EVAL").arg(script).arg(1).arg("runs"),
        )
        .unwrap_err();
    assert_eq!(e.code(), SRError::SRTimeoutError, "{e}");
    assert!(start.elapsed() < Duration::from_millis(1900));
    // Once the server is free again the script has run exactly once, and the client works.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match c
            .connection()
            .query(Route::Key(b"runs"), &redis::cmd("GET").arg("runs").clone())
        {
            Ok(redis::Value::BulkString(b)) => {
                assert_eq!(b, b"1");
                break;
            }
            other => assert!(Instant::now() < deadline, "{other:?}"),
        }
    }
}

#[test]
fn unix_socket_in_cluster_mode_is_refused() {
    let server = RedisServer::options().with_module().unix_socket().start();
    let ssdb = format!("unix://{}", server.socket.as_ref().unwrap().display());
    let e = smartredis::Client::new(Some(&common::config(&ssdb, "Clustered")), "u").unwrap_err();
    assert_eq!(e.code(), SRError::SRRuntimeError);
    assert!(e.message().contains("Unix Domain Socket"), "{e}");
}

#[test]
fn dropped_connection_is_reopened_transparently() {
    let mut server = RedisServer::with_module();
    let port = server.port;
    let cfg = common::config(&server.addr(), "Standalone");
    cfg.override_integer_option("SR_CMD_TIMEOUT", 10).unwrap();
    let mut c = smartredis::Client::new(Some(&cfg), "reconnect").unwrap();
    let v = [1.0f32, 2.0];
    c.put_tensor("a", &TensorRef::from_slice(&[2], &v).unwrap())
        .unwrap();
    // A new server on the same port: the client's socket is dead; the next command reconnects and succeeds.
    server.kill();
    let _server2 = RedisServer::options().with_module().port(port).start();
    c.put_tensor("b", &TensorRef::from_slice(&[2], &v).unwrap())
        .unwrap();
    let mut got = [0.0f32; 2];
    c.unpack_tensor("b", TensorMut::from_slice(&[2], &mut got).unwrap())
        .unwrap();
    assert_eq!(got, v);
    assert!(!c.tensor_exists("a").unwrap());
}
