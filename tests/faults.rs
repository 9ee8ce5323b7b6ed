//! Fault tests against real servers: every call is over within `SR_CMD_TIMEOUT` plus one interval whatever the
//! store does (a shard killed mid-put, a stopped shard, a cluster with a shard down under both coverage settings),
//! the server's own `CLUSTERDOWN` text reaches the caller, and an AOF store loses nothing acknowledged when killed.

mod common;

use std::time::{Duration, Instant};

use smartredis::cluster::Slot;
use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::{Client, SRError};
use testkit::{RedisCluster, RedisServer};

/// `SR_CMD_TIMEOUT` (s) and `SR_CMD_INTERVAL` (ms) of these tests: a call must be over within their sum.
const CMD_TIMEOUT_S: i64 = 1;
const CMD_INTERVAL_MS: i64 = 500;
/// What a loaded test machine may add to that bound (scheduling, process start, reconnect attempts).
const SLACK: Duration = Duration::from_millis(1200);
/// Bound on waiting for the cluster to notice a dead shard.
const NOTICE_BOUND: Duration = Duration::from_secs(60);

fn call_bound() -> Duration {
    Duration::from_secs(CMD_TIMEOUT_S as u64)
        + Duration::from_millis(CMD_INTERVAL_MS as u64)
        + SLACK
}

fn client(ssdb: &str, db_type: &str) -> Client {
    let cfg = common::config(ssdb, db_type);
    cfg.override_integer_option("SR_CMD_TIMEOUT", CMD_TIMEOUT_S)
        .unwrap();
    cfg.override_integer_option("SR_CMD_INTERVAL", CMD_INTERVAL_MS)
        .unwrap();
    Client::new(Some(&cfg), "faults").unwrap()
}

fn put(c: &mut Client, key: &str, v: &[f32]) -> smartredis::Result<()> {
    c.put_tensor(key, &TensorRef::from_slice(&[v.len()], v).unwrap())
}

fn get(c: &mut Client, key: &str, n: usize) -> smartredis::Result<Vec<f32>> {
    let mut out = vec![0.0f32; n];
    c.unpack_tensor(key, TensorMut::from_slice(&[n], &mut out).unwrap())?;
    Ok(out)
}

fn signal(pid: u32, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(pid).unwrap();
    // SAFETY: signals a server this test started; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

/// Times `f`, asserting it took no longer than one call may.
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    eprintln!("{what}: {took:?}");
    assert!(took <= call_bound(), "{what} took {took:?}");
    out
}

/// A key whose slot node `owner` of `cluster` serves.
fn key_on(cluster: &RedisCluster, owner: usize, stem: &str) -> String {
    (0..)
        .map(|i| format!("{{{stem}{i}}}"))
        .find(|k| cluster.owner_of(Slot::for_key(k.as_bytes()).get()) == owner)
        .unwrap()
}

/// A 3-shard cluster that notices a dead shard quickly (`cluster-node-timeout 500`).
fn cluster(partial_coverage: bool) -> RedisCluster {
    RedisCluster::start_with(3, |o| {
        o.partial_coverage(partial_coverage)
            .extra_args(["--cluster-node-timeout", "500"])
    })
}

/// Polls `done` (bounded by [`NOTICE_BOUND`]).
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + NOTICE_BOUND;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn cluster_with_a_shard_down_answers_clusterdown_in_time() {
    let mut cluster = cluster(false);
    let live = key_on(&cluster, 0, "live");
    let dead = key_on(&cluster, 2, "dead");
    let mut c = client(&cluster.ssdb(), "Clustered");
    put(&mut c, &live, &[1.0]).unwrap();
    put(&mut c, &dead, &[2.0]).unwrap();
    cluster.nodes[2].kill();
    // Once the live shards mark the dead one as failed, they refuse every key: the reply is the server's.
    let mut seen = None;
    wait_for("CLUSTERDOWN", || match put(&mut c, &live, &[3.0]) {
        Ok(()) => false,
        Err(e) => {
            seen = Some(e);
            true
        }
    });
    let e = seen.unwrap();
    assert!(e.message().contains("CLUSTERDOWN"), "{e}");
    let e = bounded("a put on a live shard", || {
        put(&mut c, &live, &[3.0]).unwrap_err()
    });
    assert!(e.message().contains("CLUSTERDOWN"), "{e}");
    assert!(!e.message().contains("redirections"), "{e}");
    let e = bounded("a get on a live shard", || {
        get(&mut c, &live, 1).unwrap_err()
    });
    assert!(e.message().contains("CLUSTERDOWN"), "{e}");
    let e = bounded("a put on the dead shard", || {
        put(&mut c, &dead, &[4.0]).unwrap_err()
    });
    assert!(
        matches!(e.code(), SRError::SRDatabaseError | SRError::SRRuntimeError),
        "{e}"
    );
}

#[test]
fn partial_coverage_keeps_live_shards_serving() {
    let mut cluster = cluster(true);
    let live = key_on(&cluster, 0, "live");
    let dead = key_on(&cluster, 2, "dead");
    let dead_id = cluster.node_id(2);
    let mut c = client(&cluster.ssdb(), "Clustered");
    put(&mut c, &dead, &[2.0]).unwrap();
    cluster.nodes[2].kill();
    let mut con = cluster.nodes[0].connection();
    wait_for("the dead shard to be marked failed", || {
        let nodes: String = redis::cmd("CLUSTER").arg("NODES").query(&mut con).unwrap();
        nodes.lines().any(|l| {
            l.starts_with(&dead_id)
                && l.split(' ').nth(2).unwrap_or("").contains("fail")
                && !l.contains("fail?")
        })
    });
    for i in 0..20 {
        bounded("a put on a live shard", || {
            put(&mut c, &live, &[i as f32]).unwrap()
        });
        assert_eq!(get(&mut c, &live, 1).unwrap(), [i as f32]);
    }
    let e = bounded("a put on the dead shard", || {
        put(&mut c, &dead, &[4.0]).unwrap_err()
    });
    assert_eq!(e.code(), SRError::SRDatabaseError, "{e}");
}

#[test]
fn stopped_shard_times_out_and_recovers() {
    let server = RedisServer::with_module();
    let mut c = client(&server.addr(), "Standalone");
    put(&mut c, "k", &[1.0, 2.0]).unwrap();
    signal(server.pid(), libc::SIGSTOP);
    let e = bounded("a put to a stopped server", || {
        put(&mut c, "k", &[3.0, 4.0]).unwrap_err()
    });
    assert_eq!(e.code(), SRError::SRTimeoutError, "{e}");
    let e = bounded("a get from a stopped server", || {
        get(&mut c, "k", 2).unwrap_err()
    });
    assert_eq!(e.code(), SRError::SRTimeoutError, "{e}");
    signal(server.pid(), libc::SIGCONT);
    // The put that timed out was not re-sent by the client; whether the server ran it once resumed is its own
    // business, so the value is either tensor, whole.
    let v = get(&mut c, "k", 2).unwrap();
    assert!(v == [1.0, 2.0] || v == [3.0, 4.0], "{v:?}");
    put(&mut c, "k", &[5.0, 6.0]).unwrap();
    assert_eq!(get(&mut c, "k", 2).unwrap(), [5.0, 6.0]);
}

#[test]
fn stopped_cluster_shard_times_out_in_time() {
    let cluster = RedisCluster::with_module(2);
    let key = key_on(&cluster, 1, "stopped");
    let mut c = client(&cluster.ssdb(), "Clustered");
    put(&mut c, &key, &[1.0]).unwrap();
    signal(cluster.nodes[1].pid(), libc::SIGSTOP);
    let e = bounded("a get from a stopped shard", || {
        get(&mut c, &key, 1).unwrap_err()
    });
    signal(cluster.nodes[1].pid(), libc::SIGCONT);
    assert_eq!(e.code(), SRError::SRTimeoutError, "{e}");
    assert_eq!(get(&mut c, &key, 1).unwrap(), [1.0]);
}

/// The bytes waiting in the receive queue of the server side of established TCP connections to `port`
/// (`/proc/net/tcp`).
fn server_rx_queue(port: u16) -> u64 {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let local_port = u16::from_str_radix(f.get(1)?.rsplit(':').next()?, 16).ok()?;
            let established = *f.get(3)? == "01";
            let rx = u64::from_str_radix(f.get(4)?.split(':').nth(1)?, 16).ok()?;
            (local_port == port && established).then_some(rx)
        })
        .sum()
}

fn aof_server(dir: &std::path::Path, port: Option<u16>) -> RedisServer {
    let mut o = RedisServer::options()
        .with_module()
        .dir(dir)
        // `always`: the AOF write happens before the reply goes out. With `everysec`, Redis may postpone the
        // write while an fsync is slow and still reply, so a crash could lose an acknowledged write.
        .args(["--appendonly", "yes", "--appendfsync", "always"]);
    if let Some(p) = port {
        o = o.port(p);
    }
    o.start()
}

#[test]
fn shard_killed_mid_put_leaves_no_partial_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = aof_server(dir.path(), None);
    let port = server.port;
    let mut c = client(&server.addr(), "Standalone");
    let old = vec![1.5f32; 1 << 22];
    put(&mut c, "t", &old).unwrap();
    // The server stops reading; the client's 64 MiB put is under way when the server dies.
    signal(server.pid(), libc::SIGSTOP);
    let new = vec![2.5f32; 1 << 24];
    let e = std::thread::scope(|s| {
        let putter = s.spawn(|| {
            let start = Instant::now();
            let r = put(&mut c, "t", &new);
            (r, start.elapsed())
        });
        wait_for("the put to reach the server", || server_rx_queue(port) > 0);
        server.kill();
        let (r, took) = putter.join().unwrap();
        assert!(took <= call_bound(), "the put took {took:?}");
        r.unwrap_err()
    });
    assert!(
        matches!(e.code(), SRError::SRDatabaseError | SRError::SRTimeoutError),
        "{e}"
    );
    drop(server);
    // Restarted from its AOF: the acknowledged tensor, whole; nothing of the interrupted one.
    let server = aof_server(dir.path(), Some(port));
    let mut c = client(&server.addr(), "Standalone");
    assert_eq!(get(&mut c, "t", old.len()).unwrap(), old);
}

#[test]
fn aof_crash_restart_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = aof_server(dir.path(), None);
    let port = server.port;
    let mut c = client(&server.addr(), "Standalone");
    let big: Vec<f32> = (0..1 << 20).map(|i| i as f32).collect();
    for i in 0..200 {
        put(&mut c, &format!("k{i}"), &[i as f32, -(i as f32)]).unwrap();
    }
    put(&mut c, "big", &big).unwrap();
    c.delete_tensor("k7").unwrap();
    // Killed right after the last acknowledgement, with no time for an fsync.
    server.kill();
    drop(server);
    let server = aof_server(dir.path(), Some(port));
    let mut c = client(&server.addr(), "Standalone");
    for i in 0..200 {
        let key = format!("k{i}");
        if i == 7 {
            assert!(!c.tensor_exists(&key).unwrap());
        } else {
            assert_eq!(get(&mut c, &key, 2).unwrap(), [i as f32, -(i as f32)]);
        }
    }
    assert_eq!(get(&mut c, "big", big.len()).unwrap(), big);
}
