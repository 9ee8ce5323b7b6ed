//! [`RedisCluster`]: N `redis-server`s with `cluster-enabled yes`, formed natively (`CLUSTER ADDSLOTSRANGE` on
//! each node, `CLUSTER MEET` to the first), ready once every node reports `cluster_state:ok` and sees every slot.

use std::time::{Duration, Instant};

use crate::{RedisServer, ServerOptions};

/// How long a new cluster may take to agree on its configuration.
const FORM_BOUND: Duration = Duration::from_secs(60);

/// A running cluster of primaries; every node is killed on drop.
pub struct RedisCluster {
    /// The nodes, in slot order (node `i` owns the `i`-th equal share of the slots).
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// `n` primaries with the module loaded.
    pub fn with_module(n: usize) -> RedisCluster {
        Self::start(ServerOptions::default().with_module(), n)
    }

    /// `n` primaries started from `opts` (plus the cluster options).
    pub fn start(opts: ServerOptions, n: usize) -> RedisCluster {
        assert!(n >= 1, "a cluster needs at least one node");
        let nodes: Vec<RedisServer> = (0..n)
            .map(|_| {
                opts.clone()
                    .args([
                        "--cluster-enabled",
                        "yes",
                        "--cluster-node-timeout",
                        "5000",
                        "--cluster-require-full-coverage",
                        "yes",
                    ])
                    .start()
            })
            .collect();
        let cluster = RedisCluster { nodes };
        cluster.form();
        cluster
    }

    fn form(&self) {
        let n = self.nodes.len();
        let per = 16384 / n;
        for (i, node) in self.nodes.iter().enumerate() {
            let lo = i * per;
            let hi = if i + 1 == n { 16383 } else { (i + 1) * per - 1 };
            let mut con = node.connection();
            let _: () = redis::cmd("CLUSTER")
                .arg("ADDSLOTSRANGE")
                .arg(lo)
                .arg(hi)
                .query(&mut con)
                .expect("CLUSTER ADDSLOTSRANGE");
        }
        let mut first = self.nodes[0].connection();
        for node in &self.nodes[1..] {
            let _: () = redis::cmd("CLUSTER")
                .arg("MEET")
                .arg("127.0.0.1")
                .arg(node.port)
                .query(&mut first)
                .expect("CLUSTER MEET");
        }
        self.wait_ok();
    }

    /// Waits (bounded) until every node reports `cluster_state:ok`, knows every node and maps all slots to `n`
    /// ranges.
    pub fn wait_ok(&self) {
        let deadline = Instant::now() + FORM_BOUND;
        let n = self.nodes.len();
        loop {
            if self.nodes.iter().all(|node| node_ready(node, n)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "cluster did not reach cluster_state:ok within {FORM_BOUND:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `127.0.0.1:p1,127.0.0.1:p2,...`, as `SSDB` expects.
    pub fn ssdb(&self) -> String {
        self.nodes
            .iter()
            .map(|n| n.addr())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The node id of node `i`.
    pub fn node_id(&self, i: usize) -> String {
        redis::cmd("CLUSTER")
            .arg("MYID")
            .query(&mut self.nodes[i].connection())
            .expect("CLUSTER MYID")
    }

    /// The index of the node that owns `slot`.
    pub fn owner_of(&self, slot: u16) -> usize {
        let per = 16384 / self.nodes.len();
        (slot as usize / per).min(self.nodes.len() - 1)
    }
}

fn node_ready(node: &RedisServer, n: usize) -> bool {
    let Ok(mut con) = redis::Client::open(node.url())
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(1)))
    else {
        return false;
    };
    let info: String = match redis::cmd("CLUSTER").arg("INFO").query(&mut con) {
        Ok(s) => s,
        Err(_) => return false,
    };
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::to_string)
            .unwrap_or_default()
    };
    if field("cluster_state:") != "ok"
        || field("cluster_known_nodes:") != n.to_string()
        || field("cluster_slots_assigned:") != "16384"
    {
        return false;
    }
    let slots: redis::Value = match redis::cmd("CLUSTER").arg("SLOTS").query(&mut con) {
        Ok(v) => v,
        Err(_) => return false,
    };
    matches!(slots, redis::Value::Array(ref a) if a.len() == n)
}
