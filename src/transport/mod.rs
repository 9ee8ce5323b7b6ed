//! RESP connections to a standalone server or a cluster, behind one interface ([`Connection`]), so the client
//! above does not know which it talks to.

pub mod batch;
pub mod cluster_conn;
pub mod conn;
pub mod resp;
pub mod tensor;
pub mod tls;

use std::sync::Arc;

pub use cluster_conn::ClusterConnection;
pub use conn::{ArgsRequest, CallError, CmdRequest, NodeConnection, Request, TransportSettings};

use crate::address::Address;
use crate::cluster::Slot;
use crate::error::Result;

/// Which node a request goes to.
#[derive(Clone, Copy, Debug)]
pub enum Route<'a> {
    /// The node holding this key.
    Key(&'a [u8]),
    /// Any node (keyless commands).
    Any,
}

/// A standalone server or a cluster.
#[derive(Debug)]
pub enum Connection {
    /// One server (TCP or Unix socket).
    Standalone(NodeConnection),
    /// A Redis cluster.
    Cluster(ClusterConnection),
}

/// Whether to talk to the server as a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One server.
    Standalone,
    /// A Redis cluster.
    Cluster,
    /// Ask the server (`INFO cluster`).
    Detect,
}

impl Connection {
    /// Connects to `addr` as `mode` says.
    pub fn connect(addr: Address, mode: Mode, settings: TransportSettings) -> Result<Connection> {
        let settings = Arc::new(settings);
        if mode == Mode::Cluster {
            addr.cluster_host()?;
        }
        let mut node = NodeConnection::connect(addr, settings.clone())?;
        let cluster = match mode {
            Mode::Standalone => false,
            Mode::Cluster => true,
            Mode::Detect => cluster_conn::is_cluster_node(&mut node)?,
        };
        Ok(if cluster {
            Connection::Cluster(ClusterConnection::from_seed(node, settings)?)
        } else {
            Connection::Standalone(node)
        })
    }

    /// Whether this is a cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self, Connection::Cluster(_))
    }

    /// Runs `req` on the node that `route` selects.
    pub fn request<R: Request>(
        &mut self,
        route: Route<'_>,
        req: &mut R,
    ) -> std::result::Result<R::Output, CallError> {
        match (self, route) {
            (Connection::Standalone(n), _) => n.request(req),
            (Connection::Cluster(c), Route::Key(k)) => c.request(Slot::for_key(k), req),
            (Connection::Cluster(c), Route::Any) => c.request_any(req),
        }
    }

    /// Runs one `redis::Cmd`, routed by `route`; server errors become the crate's errors.
    pub fn query(&mut self, route: Route<'_>, cmd: &redis::Cmd) -> Result<redis::Value> {
        self.request(route, &mut CmdRequest(cmd))
            .map_err(CallError::into_error)
    }

    /// Runs `f` on every primary in parallel (the one server when standalone); results in slot order.
    pub fn fan_out<T, F>(&mut self, f: F) -> Result<Vec<T>>
    where
        T: Send,
        F: Fn(&mut NodeConnection) -> Result<T> + Sync,
    {
        match self {
            Connection::Standalone(n) => Ok(vec![f(n)?]),
            Connection::Cluster(c) => c.fan_out(f),
        }
    }

    /// Whether two keys are served by the same node (always true for a standalone server).
    pub fn same_slot(&self, a: &[u8], b: &[u8]) -> bool {
        match self {
            Connection::Standalone(_) => true,
            Connection::Cluster(_) => Slot::for_key(a) == Slot::for_key(b),
        }
    }
}
