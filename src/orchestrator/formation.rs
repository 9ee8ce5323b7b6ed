//! Native Redis Cluster formation: slots with `CLUSTER ADDSLOTSRANGE`, the handshake with `CLUSTER MEET`, and the
//! bounded wait until every node reports `cluster_state:ok` with all slots covered.

use std::time::{Duration, Instant};

use redis::Connection;
use smartredis_protocol::cluster::SLOT_COUNT;

use super::error::{Error, Result};
use super::launcher::Launcher;
use super::state::ShardRecord;

/// The slot range `[start, end]` of shard `i` among `n`, split as evenly as `redis-cli --cluster create` does.
pub fn slot_range(i: usize, n: usize) -> (u16, u16) {
    let per = f64::from(SLOT_COUNT) / n as f64;
    let start = (i as f64 * per).round() as u16;
    let end = (((i + 1) as f64 * per).round() as u16).saturating_sub(1);
    (start, end.min(SLOT_COUNT - 1))
}

/// Slots this node already owns, read from the `myself` line of `CLUSTER NODES` (data restored from RDB/AOF makes a
/// node claim the slots of its keys before we assign any).
pub fn owned_slots(con: &mut Connection) -> redis::RedisResult<Vec<(u16, u16)>> {
    let nodes: String = redis::cmd("CLUSTER").arg("NODES").query(con)?;
    let mut out = Vec::new();
    for line in nodes.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() > 2 && fields[2].split(',').any(|f| f == "myself") {
            for f in fields.iter().skip(8) {
                if f.starts_with('[') {
                    continue;
                }
                let (a, b) = f.split_once('-').unwrap_or((f, f));
                if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                    out.push((a, b));
                }
            }
        }
    }
    Ok(out)
}

/// `range` minus the ranges in `owned`.
pub fn missing_ranges(range: (u16, u16), owned: &[(u16, u16)]) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    let mut next = range.0;
    let mut owned: Vec<(u16, u16)> = owned.to_vec();
    owned.sort_unstable();
    for (a, b) in owned {
        if b < next || a > range.1 {
            continue;
        }
        if a > next {
            out.push((next, a - 1));
        }
        if b >= range.1 {
            return out;
        }
        next = next.max(b + 1);
    }
    if next <= range.1 {
        out.push((next, range.1));
    }
    out
}

/// Assigns shard `i`'s slot range to it (the part it does not already own).
pub fn add_slots(con: &mut Connection, i: usize, n: usize) -> redis::RedisResult<()> {
    let owned = owned_slots(con)?;
    let missing = missing_ranges(slot_range(i, n), &owned);
    if missing.is_empty() {
        return Ok(());
    }
    let mut cmd = redis::cmd("CLUSTER");
    cmd.arg("ADDSLOTSRANGE");
    for (a, b) in missing {
        cmd.arg(a).arg(b);
    }
    cmd.query(con)
}

/// Introduces `host:port` to the node behind `con`.
pub fn meet(con: &mut Connection, host: &str, port: u16) -> redis::RedisResult<()> {
    redis::cmd("CLUSTER")
        .arg("MEET")
        .arg(host)
        .arg(port)
        .query(con)
}

/// What a node's `CLUSTER INFO` says about readiness.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterInfo {
    /// `cluster_state` (`ok` or `fail`).
    pub state: String,
    /// `cluster_slots_ok`.
    pub slots_ok: u32,
    /// `cluster_known_nodes`.
    pub known_nodes: usize,
}

impl ClusterInfo {
    /// Parses the text of `CLUSTER INFO`.
    pub fn parse(text: &str) -> ClusterInfo {
        let mut info = ClusterInfo::default();
        for line in text.lines() {
            let Some((k, v)) = line.trim().split_once(':') else {
                continue;
            };
            match k {
                "cluster_state" => info.state = v.to_string(),
                "cluster_slots_ok" => info.slots_ok = v.parse().unwrap_or(0),
                "cluster_known_nodes" => info.known_nodes = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        info
    }

    /// Ready: state ok, every slot served, and every one of `n` nodes known.
    pub fn is_ready(&self, n: usize) -> bool {
        self.state == "ok" && self.slots_ok == u32::from(SLOT_COUNT) && self.known_nodes == n
    }
}

/// Reads `CLUSTER INFO` from a node.
pub fn info(con: &mut Connection) -> redis::RedisResult<ClusterInfo> {
    let text: String = redis::cmd("CLUSTER").arg("INFO").query(con)?;
    Ok(ClusterInfo::parse(&text))
}

/// Polls until `check` returns true or `deadline` passes; returns whether it succeeded.
pub fn poll_until(deadline: Instant, step: Duration, mut check: impl FnMut() -> bool) -> bool {
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(step);
    }
}

/// Forms a cluster of `shards` (one open connection each in `cons`): assigns each its slot range, has every pair
/// meet, and waits until every node reports `cluster_state:ok`, all slots and all nodes, within `deadline`.
/// A shard that exits (as `launcher` tells) or does not become ready is named in the error, with its log's tail.
pub(crate) fn form(
    shards: &[ShardRecord],
    cons: &mut [Connection],
    launcher: &mut dyn Launcher,
    deadline: Instant,
    bound: Duration,
) -> Result<()> {
    let n = shards.len();
    let redis_err = |s: &ShardRecord, context: &str, e| Error::Redis {
        shard: s.index,
        port: s.port,
        context: context.into(),
        source: e,
    };
    for (i, con) in cons.iter_mut().enumerate() {
        add_slots(con, i, n).map_err(|e| redis_err(&shards[i], "CLUSTER ADDSLOTSRANGE", e))?;
    }
    // A full mesh of MEETs (each pair once): every node learns every other node's slots directly instead of
    // waiting for gossip to spread them, which with many shards takes seconds.
    for (i, con) in cons.iter_mut().enumerate() {
        for other in &shards[i + 1..] {
            meet(con, &other.host, other.port)
                .map_err(|e| redis_err(&shards[i], "CLUSTER MEET", e))?;
        }
    }
    let mut ready = vec![false; n];
    let mut last = vec![ClusterInfo::default(); n];
    let mut last_nudge = Instant::now();
    let mut dead: Option<(usize, String)> = None;
    let ok = poll_until(deadline, Duration::from_millis(10), || {
        for (i, con) in cons.iter_mut().enumerate() {
            if !ready[i] {
                if let Ok(info) = info(con) {
                    ready[i] = info.is_ready(n);
                    last[i] = info;
                }
            }
        }
        // A node learns another's slots from that node's own messages, and after the handshake Redis may
        // not ping it again for up to cluster-node-timeout/2. Once every node knows every other, a MEET
        // sent to a node still missing slots carries the sender's slots to it at once.
        let all_known = last.iter().all(|l| l.known_nodes >= n);
        if all_known && last_nudge.elapsed() >= Duration::from_millis(200) {
            last_nudge = Instant::now();
            for a in (0..n).filter(|&a| !ready[a] && last[a].slots_ok < u32::from(SLOT_COUNT)) {
                for (b, con) in cons.iter_mut().enumerate() {
                    if b != a {
                        let _ = meet(con, &shards[a].host, shards[a].port);
                    }
                }
            }
        }
        if ready.iter().all(|&r| r) {
            return true;
        }
        dead = shards
            .iter()
            .find_map(|s| launcher.exited(s).map(|how| (s.index, how)));
        dead.is_some()
    });
    if let Some((i, how)) = dead {
        return Err(shard_error(
            &shards[i],
            format!("exited while the cluster was forming ({how})"),
        ));
    }
    if !ok {
        let i = ready.iter().position(|r| !r).unwrap_or(0);
        let info = &last[i];
        return Err(shard_error(
            &shards[i],
            format!(
                "cluster not ready within {:.1}s: cluster_state:{} cluster_slots_ok:{} known nodes {}/{n}",
                bound.as_secs_f64(),
                info.state,
                info.slots_ok,
                info.known_nodes
            ),
        ));
    }
    Ok(())
}

/// An error about `shard`, quoting the tail of its log.
pub(crate) fn shard_error(shard: &ShardRecord, reason: impl Into<String>) -> Error {
    Error::Shard {
        shard: shard.index,
        port: shard.port,
        reason: reason.into(),
        log: shard.log.clone(),
        tail: super::local::log_tail(&shard.log, 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_all_slots_without_overlap() {
        for n in [2usize, 3, 7, 8, 16, 100] {
            let mut next = 0u32;
            for i in 0..n {
                let (a, b) = slot_range(i, n);
                assert_eq!(u32::from(a), next, "n={n} i={i}");
                assert!(b >= a);
                next = u32::from(b) + 1;
            }
            assert_eq!(next, u32::from(SLOT_COUNT));
        }
        assert_eq!(slot_range(0, 3), (0, 5460));
        assert_eq!(slot_range(2, 3), (10923, 16383));
    }

    #[test]
    fn missing_ranges_subtract_owned() {
        assert_eq!(missing_ranges((0, 100), &[]), vec![(0, 100)]);
        assert_eq!(
            missing_ranges((0, 100), &[(5, 5), (50, 60)]),
            vec![(0, 4), (6, 49), (61, 100)]
        );
        assert_eq!(missing_ranges((0, 100), &[(0, 100)]), vec![]);
        assert_eq!(
            missing_ranges((10, 20), &[(0, 12), (20, 30)]),
            vec![(13, 19)]
        );
    }

    #[test]
    fn parses_cluster_info() {
        let i = ClusterInfo::parse(
            "cluster_state:ok\r\ncluster_slots_ok:16384\r\ncluster_known_nodes:3\r\n",
        );
        assert!(i.is_ready(3));
        assert!(!i.is_ready(4));
    }
}
