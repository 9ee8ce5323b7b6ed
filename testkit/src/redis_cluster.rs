//! [`RedisCluster`]: a Redis Cluster of N primaries started by the launcher ([`smartredis::orchestrator`]) in a
//! temporary directory, ready once every node reports `cluster_state:ok`; stopped on drop (the shards also die
//! with the test process).

use std::time::{Duration, Instant};

use smartredis::orchestrator::{state::pid_is_alive, Orchestrator, OrchestratorOptions};

/// How long a killed node may take to disappear.
const KILL_BOUND: Duration = Duration::from_secs(10);

/// One primary of a [`RedisCluster`].
pub struct ClusterNode {
    /// Its client port on 127.0.0.1.
    pub port: u16,
    pid: u32,
}

impl ClusterNode {
    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A fresh connection (RESP2).
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("connect to cluster node")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// SIGKILLs the node and waits (bounded) until it is gone; the cluster's stop copes with it.
    pub fn kill(&mut self) {
        let pid = libc::pid_t::try_from(self.pid).expect("pid fits pid_t");
        // SAFETY: sends a signal to a process this fixture started; no memory is involved.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let deadline = Instant::now() + KILL_BOUND;
        while pid_is_alive(self.pid) {
            assert!(
                Instant::now() < deadline,
                "node {} survived SIGKILL",
                self.pid
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A running cluster of primaries, stopped on drop.
pub struct RedisCluster {
    orc: Orchestrator,
    /// The nodes, in shard order.
    pub nodes: Vec<ClusterNode>,
    // Removed after `orc` has stopped the shards (fields drop in declaration order).
    _dir: tempfile::TempDir,
}

impl RedisCluster {
    /// `n` (≥ 2) primaries with the module loaded.
    pub fn with_module(n: usize) -> RedisCluster {
        Self::start(n, true)
    }

    /// `n` (≥ 2) primaries with the module loaded and `BACKENDSPATH` set to [`crate::backends_path`], so
    /// models can run.
    pub fn with_backends(n: usize) -> RedisCluster {
        let backends = crate::backends_path();
        Self::start_with(n, |o| o.module(true).backends_path(backends))
    }

    /// `n` (≥ 2) primaries, with or without the module.
    pub fn start(n: usize, module: bool) -> RedisCluster {
        Self::start_with(n, |o| o.module(module))
    }

    /// `n` (≥ 2) primaries started with the options `f` makes of the fixture's own (shards, directory).
    pub fn start_with(
        n: usize,
        f: impl FnOnce(OrchestratorOptions) -> OrchestratorOptions,
    ) -> RedisCluster {
        assert!(n >= 2, "the launcher makes a cluster of 2 shards or more");
        let dir = tempfile::Builder::new()
            .prefix("testkit-cluster-")
            .tempdir()
            .expect("temporary directory");
        // The launcher finds redis-server and the module itself, as for any user.
        let opts = f(OrchestratorOptions::new()
            .shards(n)
            .dir(dir.path())
            .die_with_parent(true));
        let orc =
            Orchestrator::launch(opts).unwrap_or_else(|e| panic!("start a {n}-shard cluster: {e}"));
        let nodes = orc
            .ports()
            .into_iter()
            .zip(orc.pids())
            .map(|(port, pid)| ClusterNode { port, pid })
            .collect();
        RedisCluster {
            orc,
            nodes,
            _dir: dir,
        }
    }

    /// The launcher behind it.
    pub fn orchestrator(&mut self) -> &mut Orchestrator {
        &mut self.orc
    }

    /// `127.0.0.1:p1,127.0.0.1:p2,...`, as `SSDB` expects.
    pub fn ssdb(&self) -> String {
        self.orc.address()
    }

    /// The node id of node `i`.
    pub fn node_id(&self, i: usize) -> String {
        redis::cmd("CLUSTER")
            .arg("MYID")
            .query(&mut self.nodes[i].connection())
            .expect("CLUSTER MYID")
    }

    /// The index of the node that owns `slot` (from `CLUSTER SLOTS`).
    pub fn owner_of(&self, slot: u16) -> usize {
        let reply: redis::Value = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query(&mut self.nodes[0].connection())
            .expect("CLUSTER SLOTS");
        let int = |v: &redis::Value| match v {
            redis::Value::Int(i) => Some(*i),
            _ => None,
        };
        // Each entry: [start, end, [ip, port, id, ...], replicas...].
        let redis::Value::Array(ranges) = reply else {
            panic!("CLUSTER SLOTS: {reply:?}");
        };
        let port = ranges
            .iter()
            .find_map(|r| {
                let redis::Value::Array(r) = r else {
                    return None;
                };
                let (lo, hi) = (int(r.first()?)?, int(r.get(1)?)?);
                let redis::Value::Array(primary) = r.get(2)? else {
                    return None;
                };
                (lo..=hi)
                    .contains(&i64::from(slot))
                    .then(|| int(primary.get(1)?))?
            })
            .expect("every slot is assigned");
        self.nodes
            .iter()
            .position(|n| i64::from(n.port) == port)
            .expect("the owner is one of the nodes")
    }
}
