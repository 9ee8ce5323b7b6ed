//! A connection to a Redis cluster: one [`NodeConnection`] per primary (opened on first use), routing by key
//! slot, `MOVED`/`ASK` handling with a bounded number of redirections, and topology refresh.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use redis::Value;

use super::conn::{
    remaining, Asking, CallError, CmdRequest, NodeConnection, Request, TransportSettings,
};
use crate::address::Address;
use crate::cluster::routing::{Redirect, MAX_REDIRECTS};
use crate::cluster::{Slot, SlotMap};
use crate::error::{Error, Result};

/// A connection to every primary of a cluster.
#[derive(Debug)]
pub struct ClusterConnection {
    settings: Arc<TransportSettings>,
    map: SlotMap,
    /// Open connections, by address.
    nodes: HashMap<Address, NodeConnection>,
    /// Host of the seed node, used when a node reports an empty host.
    seed_host: String,
}

impl ClusterConnection {
    /// Bootstraps from an open connection to one cluster node: reads `CLUSTER SLOTS`.
    pub fn from_seed(
        mut seed: NodeConnection,
        settings: Arc<TransportSettings>,
    ) -> Result<ClusterConnection> {
        let seed_host = seed.addr().cluster_host()?.to_string();
        let reply = seed
            .query(redis::cmd("CLUSTER").arg("SLOTS"))
            .map_err(CallError::into_error)?;
        let map = SlotMap::from_cluster_slots(&reply, &seed_host)?;
        let mut nodes = HashMap::new();
        nodes.insert(seed.addr().clone(), seed);
        Ok(ClusterConnection {
            settings,
            map,
            nodes,
            seed_host,
        })
    }

    /// Re-reads `CLUSTER SLOTS` from any reachable node. Each node is probed once (one connection attempt, one
    /// try of the command, each bounded by the socket timeouts), not with the full retry budgets: a dead node
    /// must not hold up the refresh while live ones could answer.
    pub fn refresh(&mut self) -> Result<()> {
        let deadline = self.settings.deadline();
        self.refresh_until(deadline)
    }

    /// As [`refresh`](Self::refresh), over by `deadline`.
    fn refresh_until(&mut self, deadline: Instant) -> Result<()> {
        let mut last = Error::Database("no cluster node to ask for CLUSTER SLOTS".into());
        let mut addrs = Vec::new();
        for a in self.map.primaries() {
            addrs.push(Address::from_host_port(&a)?);
        }
        for a in self.nodes.keys() {
            if !addrs.contains(a) {
                addrs.push(a.clone());
            }
        }
        let cmd = redis::cmd("CLUSTER").arg("SLOTS").clone();
        for addr in addrs {
            if remaining(deadline).is_zero() {
                break;
            }
            let reply = match self.probe_node(&addr, deadline) {
                Ok(n) => n.request_until(&mut CmdRequest(&cmd), 1, deadline),
                Err(e) => {
                    last = e;
                    continue;
                }
            };
            match reply {
                Ok(v) => match SlotMap::from_cluster_slots(&v, &self.seed_host) {
                    Ok(map) => {
                        self.map = map;
                        return Ok(());
                    }
                    Err(e) => last = e,
                },
                Err(e) => last = e.into_error(),
            }
        }
        Err(last)
    }

    /// The connection to `addr`, opened with a single attempt if needed (for refresh probes).
    fn probe_node(&mut self, addr: &Address, deadline: Instant) -> Result<&mut NodeConnection> {
        match self.nodes.entry(addr.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(v) => {
                let conn = NodeConnection::connect_until(
                    addr.clone(),
                    self.settings.clone(),
                    1,
                    Some(deadline),
                )?;
                Ok(v.insert(conn))
            }
        }
    }

    /// The current slot map.
    pub fn slot_map(&self) -> &SlotMap {
        &self.map
    }

    /// Runs `f` on every primary at once, one thread per primary; results are in slot order.
    pub fn fan_out<T, F>(&mut self, f: F) -> Result<Vec<T>>
    where
        T: Send,
        F: Fn(&mut NodeConnection) -> Result<T> + Sync,
    {
        let primaries = self
            .map
            .primaries()
            .iter()
            .map(|a| Address::from_host_port(a))
            .collect::<Result<Vec<_>>>()?;
        let deadline = self.settings.deadline();
        for a in &primaries {
            self.node_until(&a.to_string(), deadline)?;
        }
        let mut by_addr: HashMap<&Address, &mut NodeConnection> = self.nodes.iter_mut().collect();
        let mut conns: Vec<&mut NodeConnection> = Vec::with_capacity(primaries.len());
        for a in &primaries {
            conns.push(
                by_addr
                    .remove(a)
                    .ok_or_else(|| Error::Internal(format!("no connection to shard {a}")))?,
            );
        }
        let f = &f;
        std::thread::scope(|s| {
            let handles: Vec<_> = conns.into_iter().map(|c| s.spawn(move || f(c))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::Internal("a shard worker panicked".into())))
                })
                .collect()
        })
    }

    /// The connection to `addr` (`host:port`), opened if needed (within one call's time, `SR_CMD_TIMEOUT` plus
    /// one interval).
    pub fn node(&mut self, addr: &str) -> Result<&mut NodeConnection> {
        let deadline = self.settings.deadline();
        self.node_until(addr, deadline)
    }

    /// As [`node`](Self::node), opening the connection by `deadline`.
    fn node_until(&mut self, addr: &str, deadline: Instant) -> Result<&mut NodeConnection> {
        match self.nodes.entry(Address::from_host_port(addr)?) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(v) => {
                let conn = NodeConnection::connect_until(
                    v.key().clone(),
                    self.settings.clone(),
                    self.settings.connection_attempts,
                    Some(deadline),
                )?;
                Ok(v.insert(conn))
            }
        }
    }

    fn owner(&mut self, slot: Slot, deadline: Instant) -> Result<String> {
        if let Some(a) = self.map.node_for(slot) {
            return Ok(a.to_string());
        }
        self.refresh_until(deadline)?;
        self.map
            .node_for(slot)
            .map(str::to_string)
            .ok_or_else(|| Error::Database(format!("No cluster node serves slot {}", slot.get())))
    }

    /// Runs `req` on the primary of `slot`, following `MOVED` (the map is updated and refreshed) and `ASK`
    /// (`ASKING` + the command, once) redirections, at most `MAX_REDIRECTS` times, and retrying `TRYAGAIN` and
    /// `CLUSTERDOWN` every `cmd_interval`. The whole call is over within `cmd_timeout` plus one interval; when
    /// time runs out on a cluster condition, the error is the server's reply (e.g. `CLUSTERDOWN The cluster is
    /// down`).
    pub fn request<R: Request>(
        &mut self,
        slot: Slot,
        req: &mut R,
    ) -> std::result::Result<R::Output, CallError> {
        let deadline = self.settings.deadline();
        let attempts = self.settings.command_attempts;
        let mut target = self.owner(slot, deadline)?;
        let mut asking = false;
        let mut redirects = 0;
        loop {
            let node = self.node_until(&target, deadline)?;
            let result = if asking {
                node.request_until(&mut Asking(req), attempts, deadline)
            } else {
                node.request_until(req, attempts, deadline)
            };
            let message = match result {
                Err(CallError::Server(m)) => m,
                other => return other,
            };
            let redirect = Redirect::parse(&message);
            if matches!(
                redirect,
                Some(Redirect::Moved { .. } | Redirect::Ask { .. })
            ) {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(CallError::Failed(Error::Database(format!(
                        "Too many cluster redirections for slot {} (last reply: {})",
                        slot.get(),
                        crate::text::capped(&message)
                    ))));
                }
            }
            match redirect {
                Some(Redirect::Moved { slot: moved, addr }) => {
                    let addr = self.absolute(addr)?;
                    self.map.assign(moved, &addr);
                    // The whole map is probably stale (a resharding); a failed refresh keeps the patched map.
                    let _ = self.refresh_until(deadline);
                    self.map.assign(moved, &addr);
                    target = addr;
                    asking = false;
                }
                Some(Redirect::Ask { addr, .. }) => {
                    target = self.absolute(addr)?;
                    asking = true;
                }
                Some(Redirect::TryAgain) => {
                    // Transient while a failover or resharding completes; the server's words once out of time.
                    if remaining(deadline) <= self.settings.cmd_interval {
                        return Err(CallError::Server(message));
                    }
                    std::thread::sleep(self.settings.cmd_interval);
                    let _ = self.refresh_until(deadline);
                    target = self.owner(slot, deadline)?;
                    asking = false;
                }
                None => return Err(CallError::Server(message)),
            }
        }
    }

    /// Runs `cmd` on any primary (the first in slot order).
    pub fn request_any<R: Request>(
        &mut self,
        req: &mut R,
    ) -> std::result::Result<R::Output, CallError> {
        let addr = self.map.primaries().into_iter().next().ok_or_else(|| {
            CallError::Failed(Error::Database("The cluster has no primaries".into()))
        })?;
        self.node(&addr)?.request(req)
    }

    /// A redirection's `host:port` in the canonical form of the slot map ([`Address`]'s); Redis 7 may report
    /// `:port` for "the host you asked", which is completed with the seed host.
    fn absolute(&self, addr: String) -> Result<String> {
        let full = if addr.starts_with(':') {
            format!("{}{addr}", self.seed_host)
        } else {
            addr
        };
        Ok(Address::from_host_port(&full)?.to_string())
    }
}

/// `INFO cluster` says whether the node runs in cluster mode.
pub fn is_cluster_node(conn: &mut NodeConnection) -> Result<bool> {
    let info = conn
        .query(redis::cmd("INFO").arg("cluster"))
        .map_err(CallError::into_error)?;
    let text = match info {
        Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::SimpleString(s) => s,
        other => {
            return Err(Error::Database(format!(
                "Unexpected reply to INFO cluster: {}",
                crate::text::quote(&other)
            )))
        }
    };
    Ok(text.lines().any(|l| l.trim() == "cluster_enabled:1"))
}
