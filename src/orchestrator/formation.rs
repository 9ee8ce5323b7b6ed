//! Native Redis Cluster formation: a fresh cluster's shards start from pre-written `nodes.conf` files (every node,
//! its address, slots and epoch known from the start); otherwise slots with `CLUSTER ADDSLOTSRANGE` and the
//! handshake with `CLUSTER MEET`; then the bounded wait until every node reports `cluster_state:ok` with all slots
//! covered.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::{Connection, Value};
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

/// The `nodes.conf` each shard of a fresh cluster starts from, one per shard at `addrs` (IPv4 address, client
/// port; bus port = client port + 10000): every node already knows every other as a master with its slot range
/// ([`slot_range`]) and its own config epoch, so the cluster needs no gossip to agree; it is ok as soon as Redis's
/// writable delay has passed. The others are known without an address (`noaddr`): a node that knew where they run
/// would try to reach each one not yet started ten times a second, and with many shards on few cores those failed
/// connections slow the start of the last ones. Formation gives the addresses (one `CLUSTER MEET` per pair, once
/// every shard answers) and waits until every node has them all.
pub fn prewritten_confs(addrs: &[(String, u16)]) -> Vec<String> {
    let n = addrs.len();
    let ids: Vec<String> = (0..n).map(|_| node_id()).collect();
    (0..n)
        .map(|me| {
            let mut text = String::new();
            for (j, (host, port)) in addrs.iter().enumerate() {
                let (a, b) = slot_range(j, n);
                let (addr, flags) = if j == me {
                    (
                        format!("{host}:{port}@{}", u32::from(*port) + 10000),
                        "myself,master",
                    )
                } else {
                    (":0@0".to_string(), "master,noaddr")
                };
                text.push_str(&format!(
                    "{} {addr} {flags} - 0 0 {} connected {a}-{b}\n",
                    ids[j],
                    j + 1
                ));
            }
            text.push_str(&format!("vars currentEpoch {n} lastVoteEpoch 0\n"));
            text
        })
        .collect()
}

/// A fresh cluster node id: 40 hex digits.
fn node_id() -> String {
    let mut id = String::new();
    while id.len() < 40 {
        id.push_str(&super::launcher::new_run_id());
    }
    id.truncate(40);
    id
}

/// Writes [`prewritten_confs`] for the shards at `addrs` to `path_of(i)` (a fresh cluster only: with persistence
/// on, a shard may restore keys of its own slots, and formation assigns the slots as it finds them).
pub(crate) fn write_prewritten_confs(
    addrs: &[(String, u16)],
    path_of: impl Fn(usize) -> std::path::PathBuf,
) -> Result<()> {
    for (i, text) in prewritten_confs(addrs).into_iter().enumerate() {
        let path = path_of(i);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
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

/// Slots this node already owns, read from the `myself` line of its `CLUSTER NODES` (data restored from RDB/AOF
/// makes a node claim the slots of its keys before we assign any).
fn owned_in(nodes: &str) -> Vec<(u16, u16)> {
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
    out
}

/// The `host:port` addresses a node's `CLUSTER NODES` lists as other nodes it knows (not in handshake, not without
/// an address).
fn known_addresses(nodes: &str) -> Vec<String> {
    nodes
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 8
                || f[2]
                    .split(',')
                    .any(|x| x == "myself" || x == "handshake" || x == "noaddr")
            {
                return None;
            }
            Some(f[1].split('@').next()?.to_string())
        })
        .collect()
}

/// `CLUSTER ADDSLOTSRANGE` of `ranges`, or `None` when there is nothing to add.
fn add_slots_cmd(ranges: &[(u16, u16)]) -> Option<redis::Cmd> {
    if ranges.is_empty() {
        return None;
    }
    let mut cmd = redis::cmd("CLUSTER");
    cmd.arg("ADDSLOTSRANGE");
    for (a, b) in ranges {
        cmd.arg(a).arg(b);
    }
    Some(cmd)
}

/// Sends every connection its commands at once (all of them, to all shards), then reads every reply: one round
/// trip for the whole cluster instead of one per shard and command. Returns, per connection, its replies or the
/// first error (a connection without commands gets an empty list).
pub fn broadcast(
    cons: &mut [Connection],
    cmds: &[Vec<redis::Cmd>],
) -> Vec<redis::RedisResult<Vec<Value>>> {
    let mut sent: Vec<redis::RedisResult<usize>> = Vec::with_capacity(cons.len());
    for (con, list) in cons.iter_mut().zip(cmds) {
        let mut packed = Vec::new();
        for c in list {
            packed.extend(c.get_packed_command());
        }
        sent.push(if packed.is_empty() {
            Ok(0)
        } else {
            con.send_packed_command(&packed).map(|()| list.len())
        });
    }
    cons.iter_mut()
        .zip(sent)
        .map(|(con, sent)| {
            let count = sent?;
            let mut replies = Vec::with_capacity(count);
            let mut first_err = None;
            // Every reply is read (the connection stays in step) even after an error reply.
            for _ in 0..count {
                match con.recv_response().and_then(Value::extract_error) {
                    Ok(v) => replies.push(v),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(replies),
            }
        })
        .collect()
}

/// `CLUSTER MEET host port`.
fn meet_cmd(host: &str, port: u16) -> redis::Cmd {
    redis::cmd("CLUSTER")
        .arg("MEET")
        .arg(host)
        .arg(port)
        .clone()
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

/// Forms a cluster of `shards` (one open connection each in `cons`, which first answered at `answered`): assigns
/// each its slot range, has every pair meet, and waits until every node reports `cluster_state:ok`, all slots and
/// all nodes, within `deadline`. A shard that exits (as `launcher` tells) or does not become ready is named in the
/// error, with its log's tail.
pub(crate) fn form(
    shards: &[ShardRecord],
    cons: &mut [Connection],
    answered: &[Instant],
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
    // Every phase goes to all shards at once ([`broadcast`]): with many shards, one command at a time to one shard
    // at a time costs seconds.
    let nodes_cmd = vec![vec![redis::cmd("CLUSTER").arg("NODES").clone()]; n];
    let mut owned = Vec::with_capacity(n);
    let mut known = Vec::with_capacity(n);
    for (i, r) in broadcast(cons, &nodes_cmd).into_iter().enumerate() {
        let text = r
            .and_then(|v| {
                redis::from_redis_value::<String>(v.into_iter().next().unwrap_or(Value::Nil))
                    .map_err(Into::into)
            })
            .map_err(|e| redis_err(&shards[i], "CLUSTER NODES", e))?;
        owned.push(owned_in(&text));
        known.push(known_addresses(&text));
    }
    // Distinct config epochs before any node meets another (as `redis-cli --cluster create` does): equal epochs
    // make the masters resolve collisions one bump at a time. Refused by a node that already knows others (a
    // restart): then the epochs stay as they are.
    let epochs: Vec<Vec<redis::Cmd>> = (0..n)
        .map(|i| {
            vec![redis::cmd("CLUSTER")
                .arg("SET-CONFIG-EPOCH")
                .arg(i + 1)
                .clone()]
        })
        .collect();
    let _ = broadcast(cons, &epochs);
    // Slots first, then a full mesh of MEETs (each pair once): every node learns every other node's slots directly
    // instead of waiting for gossip to spread them, which with many shards takes seconds.
    let setup: Vec<Vec<redis::Cmd>> = (0..n)
        .map(|i| {
            let slots = add_slots_cmd(&missing_ranges(slot_range(i, n), &owned[i]));
            // A node that already knows another at its address (a restarted shard) is not met with it again.
            slots
                .into_iter()
                .chain(
                    shards[i + 1..]
                        .iter()
                        .filter(|o| !known[i].contains(&o.address()))
                        .map(|o| meet_cmd(&o.host, o.port)),
                )
                .collect()
        })
        .collect();
    for (i, r) in broadcast(cons, &setup).into_iter().enumerate() {
        r.map_err(|e| redis_err(&shards[i], "CLUSTER ADDSLOTSRANGE/MEET", e))?;
    }
    let mut ready = vec![false; n];
    let mut last = vec![ClusterInfo::default(); n];
    let mut last_nudge: Option<Instant> = None;
    let mut nudged = HashMap::new();
    let mut dead: Option<(usize, String)> = None;
    let pokes: Vec<redis::Cmd> = (0..n).map(|i| poke_cmd(slot_range(i, n).0)).collect();
    let mut poked: Vec<Option<Instant>> = vec![None; n];
    let ok = poll_until(deadline, || {
        // A node near the end of its writable delay is poked, so that it turns ok at once (see [`POKE_FROM`]).
        let due: Vec<Vec<redis::Cmd>> = (0..n)
            .map(|i| {
                let due = !ready[i]
                    && last[i].state != "ok"
                    && answered[i].elapsed() >= POKE_FROM
                    && poked[i].is_none_or(|t| t.elapsed() >= POKE_EVERY);
                if !due {
                    return Vec::new();
                }
                poked[i] = Some(Instant::now());
                vec![pokes[i].clone()]
            })
            .collect();
        let poking = due.iter().any(|d| !d.is_empty());
        if poking {
            // Refused (a node that is not a master) or not: the next ticks of the node decide as before.
            let _ = broadcast(cons, &due);
        }
        // A node that says it is ready is asked for its nodes too: ready once it has every other one's address.
        let ask: Vec<Vec<redis::Cmd>> = ready
            .iter()
            .zip(&last)
            .map(|(&r, l)| match (r, l.is_ready(n)) {
                (true, _) => Vec::new(),
                (false, false) => vec![redis::cmd("CLUSTER").arg("INFO").clone()],
                (false, true) => vec![
                    redis::cmd("CLUSTER").arg("INFO").clone(),
                    redis::cmd("CLUSTER").arg("NODES").clone(),
                ],
            })
            .collect();
        for (i, r) in broadcast(cons, &ask).into_iter().enumerate() {
            let texts: Vec<String> = r
                .ok()
                .into_iter()
                .flatten()
                .filter_map(|v| redis::from_redis_value::<String>(v).ok())
                .collect();
            if let Some(text) = texts.first() {
                let info = ClusterInfo::parse(text);
                ready[i] = info.is_ready(n)
                    && texts
                        .get(1)
                        .is_some_and(|nodes| known_addresses(nodes).len() + 1 == n);
                last[i] = info;
            }
        }
        // A node learns another's slots only from that node's own messages (not from the handshake), and after
        // the handshake Redis may not ping it again for up to cluster-node-timeout/2. Once every node knows every
        // other, each owner whose slots a node still misses is made to MEET it: a MEET from a known node carries
        // the sender's slots at once.
        let all_known = last.iter().all(|l| l.known_nodes >= n);
        if all_known && last_nudge.is_none_or(|t| t.elapsed() >= NUDGE_EVERY) {
            last_nudge = Some(Instant::now());
            nudge(shards, cons, &ready, &mut nudged);
        }
        if ready.iter().all(|&r| r) {
            return Poll::Done;
        }
        dead = shards
            .iter()
            .find_map(|s| launcher.exited(s).map(|how| (s.index, how)));
        if dead.is_some() {
            Poll::Done
        } else if (0..n).any(|i| !ready[i] && answered[i].elapsed() + POLL_STEP >= POKE_FROM) {
            // Near the end of the delay the state is read often: each poll closer is time saved for the caller.
            Poll::Again(POKE_STEP)
        } else {
            Poll::Again(POLL_STEP)
        }
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

/// How often `CLUSTER INFO` is read while the cluster forms.
const POLL_STEP: Duration = Duration::from_millis(10);
/// How often it is read once a node nears the end of Redis's writable delay.
const POKE_STEP: Duration = Duration::from_millis(4);
/// How often a node not yet ok is poked then: each poke makes it rewrite its `nodes.conf`.
const POKE_EVERY: Duration = Duration::from_millis(10);
/// When, after a node first answered, it is poked. Redis keeps a new master's `cluster_state` at `fail` for 2 s
/// (`CLUSTER_WRITABLE_DELAY`, counted from its first cluster tick, about when it starts answering), then turns it ok
/// only when it next updates its state: at its next tick, up to 100 ms later, or at once after any `CLUSTER SETSLOT`.
/// The poke, `CLUSTER SETSLOT <own first slot> STABLE`, is one that changes nothing on a forming cluster (no slot is
/// being migrated; it never changes who owns a slot); it cannot make a node ok before the delay has passed. Poking
/// from 150 ms early covers an answer seen late.
const POKE_FROM: Duration = Duration::from_millis(1850);

/// `CLUSTER SETSLOT slot STABLE`: makes a node update its cluster state at once (see [`POKE_FROM`]).
fn poke_cmd(slot: u16) -> redis::Cmd {
    redis::cmd("CLUSTER")
        .arg("SETSLOT")
        .arg(slot)
        .arg("STABLE")
        .clone()
}

/// What a poll round says: stop, or poll again after a pause.
enum Poll {
    Done,
    Again(Duration),
}

/// Polls until `round` says [`Poll::Done`] (true) or `deadline` passes (false), pausing as each round asks.
fn poll_until(deadline: Instant, mut round: impl FnMut() -> Poll) -> bool {
    loop {
        let pause = match round() {
            Poll::Done => return true,
            Poll::Again(p) => p,
        };
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(pause);
    }
}

/// How often owners are made to MEET the nodes that still miss their slots.
const NUDGE_EVERY: Duration = Duration::from_millis(100);
/// How long before the same owner is made to MEET the same node again.
const NUDGE_AGAIN: Duration = Duration::from_millis(1500);

/// Has each owner whose slots a node (not yet ready) does not list MEET that node; a pair is not nudged again
/// within [`NUDGE_AGAIN`] (each MEET costs the owner a new connection and a handshake).
fn nudge(
    shards: &[ShardRecord],
    cons: &mut [Connection],
    ready: &[bool],
    nudged: &mut HashMap<(usize, usize), Instant>,
) {
    let ask: Vec<Vec<redis::Cmd>> = ready
        .iter()
        .map(|&r| {
            if r {
                Vec::new()
            } else {
                vec![redis::cmd("CLUSTER").arg("NODES").clone()]
            }
        })
        .collect();
    let mut meets: Vec<Vec<redis::Cmd>> = vec![Vec::new(); shards.len()];
    for (x, r) in broadcast(cons, &ask).into_iter().enumerate() {
        let Some(text) = r
            .ok()
            .and_then(|v| v.into_iter().next())
            .and_then(|v| redis::from_redis_value::<String>(v).ok())
        else {
            continue;
        };
        for y in owners_missing(&text, shards) {
            if nudged
                .get(&(y, x))
                .is_none_or(|t| t.elapsed() >= NUDGE_AGAIN)
            {
                nudged.insert((y, x), Instant::now());
                meets[y].push(meet_cmd(&shards[x].host, shards[x].port));
            }
        }
    }
    let _ = broadcast(cons, &meets);
}

/// The shards that a node's `CLUSTER NODES` lists as known masters serving no slot (their slots have not reached
/// it yet); nodes still in handshake are left for a later round.
fn owners_missing(nodes: &str, shards: &[ShardRecord]) -> Vec<usize> {
    let mut out = Vec::new();
    for line in nodes.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 8 || f[2].split(',').any(|x| x == "myself" || x == "handshake") {
            continue;
        }
        let addr = f[1].split('@').next().unwrap_or("");
        let port = addr
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok());
        let found = shards.iter().position(|s| s.address() == addr).or_else(|| {
            let same: Vec<usize> = (0..shards.len())
                .filter(|&i| Some(shards[i].port) == port)
                .collect();
            (same.len() == 1).then(|| same[0])
        });
        out.extend(found);
    }
    out
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
    fn owners_missing_are_known_masters_without_slots() {
        let shards: Vec<ShardRecord> = (0..3)
            .map(|i| ShardRecord {
                index: i,
                host: format!("127.0.0.{}", i + 2),
                port: 7000,
                ..ShardRecord::default()
            })
            .collect();
        let nodes = "a 127.0.0.2:7000@17000 myself,master - 0 0 0 connected 0-5460\n\
                     b 127.0.0.3:7000@17000 master - 0 0 0 connected\n\
                     c 127.0.0.4:7000@17000 master - 0 0 0 connected 10923-16383\n\
                     d 127.0.0.9:7000@17000 handshake - 0 0 0 connected\n";
        assert_eq!(owners_missing(nodes, &shards), vec![1]);
    }

    #[test]
    fn prewritten_confs_know_every_node_with_its_slots() {
        let addrs: Vec<(String, u16)> = (0..3).map(|i| (format!("10.0.0.{i}"), 7000)).collect();
        let confs = prewritten_confs(&addrs);
        assert_eq!(confs.len(), 3);
        for (me, text) in confs.iter().enumerate() {
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 4, "{text}");
            assert_eq!(lines[3], "vars currentEpoch 3 lastVoteEpoch 0");
            let mine = lines[me].split_whitespace().collect::<Vec<_>>();
            assert_eq!(mine[2], "myself,master");
            assert_eq!(owned_in(text), vec![slot_range(me, 3)]);
            // The others are known without an address (formation meets them).
            assert!(known_addresses(text).is_empty());
            assert_eq!(text.matches("master,noaddr").count(), 2);
            assert!(lines[me].contains(&format!(" 10.0.0.{me}:7000@17000 ")));
        }
        // Every shard's file names each node by the same id, at its bus port.
        let ids = |t: &str| {
            t.lines()
                .take(3)
                .map(|l| l[..40].to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&confs[0]), ids(&confs[2]));
        assert!(confs[0].contains(" :0@0 master,noaddr - 0 0 2 connected 5461-10922"));
    }

    #[test]
    fn poke_is_setslot_stable() {
        let cmd = poke_cmd(5461).get_packed_command();
        assert_eq!(
            String::from_utf8_lossy(&cmd),
            "*4\r\n$7\r\nCLUSTER\r\n$7\r\nSETSLOT\r\n$4\r\n5461\r\n$6\r\nSTABLE\r\n"
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
