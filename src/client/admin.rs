//! Admin and info calls addressed to one node by `host:port` (reference §4.9): `INFO EVERYTHING`, `CLUSTER INFO`,
//! `AI.INFO`, `FLUSHDB`, `CONFIG GET`, `CONFIG SET`, `SAVE`. Upstream offers them in C++ only.
//!
//! The address must name a node of this client: in standalone mode the `SSDB` entry it is connected to (as
//! spelled there), in a cluster one of the primaries `CLUSTER SLOTS` reports.

use std::collections::HashMap;

use redis::Value;

use super::Client;
use crate::error::{Error, Result};
use crate::transport::{CallError, Connection, NodeConnection};

/// `INFO`'s text as `section -> key -> value` (`# Section` lines open a section; a last line without `\r\n` is
/// dropped, as upstream).
pub fn parse_info(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut section = String::new();
    let mut lines: Vec<&str> = text.split("\r\n").collect();
    lines.pop();
    for line in lines {
        if let Some(name) = line.strip_prefix("# ") {
            section = name.to_string();
            out.entry(section.clone()).or_default();
        } else if let Some((k, v)) = line.split_once(':') {
            out.entry(section.clone())
                .or_default()
                .insert(k.to_string(), v.to_string());
        }
    }
    out
}

/// `CLUSTER INFO`'s text as `key -> value`.
pub fn parse_flat_info(text: &str) -> HashMap<String, String> {
    text.split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn text_reply(v: Value, what: &str) -> Result<String> {
    match v {
        Value::BulkString(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Value::SimpleString(s) => Ok(s),
        Value::VerbatimString { text, .. } => Ok(text),
        other => Err(Error::Runtime(format!(
            "Unexpected reply to {what}: {}",
            crate::text::quote(&other)
        ))),
    }
}

fn ok_reply(v: Value, what: &str) -> Result<()> {
    match v {
        Value::Okay => Ok(()),
        Value::SimpleString(s) if s == "OK" => Ok(()),
        other => Err(Error::Runtime(format!(
            "Unexpected reply to {what}: {}",
            crate::text::quote(&other)
        ))),
    }
}

impl Client {
    /// The connection to the node at `address` (`host:port`, or `unix://path` for a standalone socket).
    fn node_at(&mut self, address: &str) -> Result<&mut NodeConnection> {
        let valid = address.starts_with("unix://")
            || address
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if !valid {
            return Err(Error::Runtime(format!(
                "{address} is not a valid database node address."
            )));
        }
        match self.connection() {
            Connection::Standalone(n) => {
                if n.addr().to_string() != address {
                    return Err(Error::Runtime(format!(
                        "The address {address} is not the database this client is connected to ({})",
                        n.addr()
                    )));
                }
                Ok(n)
            }
            Connection::Cluster(c) => {
                if !c.slot_map().primaries().iter().any(|a| a == address) {
                    return Err(Error::Runtime(format!(
                        "The address {address} is not a primary of the cluster"
                    )));
                }
                c.node(address)
            }
        }
    }

    fn query_at(&mut self, address: &str, cmd: &redis::Cmd, what: &str) -> Result<Value> {
        self.node_at(address)?.query(cmd).map_err(|e| match e {
            CallError::Server(m) => Error::Runtime(format!(
                "Redis error when executing command: {m} ({what} at {address})"
            )),
            CallError::Failed(e) => e,
        })
    }

    /// `INFO EVERYTHING` of the node at `address`, as `section -> key -> value`.
    pub fn get_db_node_info(
        &mut self,
        address: &str,
    ) -> Result<HashMap<String, HashMap<String, String>>> {
        let v = self.query_at(address, redis::cmd("INFO").arg("EVERYTHING"), "INFO")?;
        Ok(parse_info(&text_reply(v, "INFO")?))
    }

    /// `CLUSTER INFO` of the node at `address`; a runtime error in standalone mode, as upstream.
    pub fn get_db_cluster_info(&mut self, address: &str) -> Result<HashMap<String, String>> {
        if !self.is_cluster() {
            return Err(Error::Runtime(
                "Cannot run on non-cluster environment".into(),
            ));
        }
        let v = self.query_at(address, redis::cmd("CLUSTER").arg("INFO"), "CLUSTER INFO")?;
        Ok(parse_flat_info(&text_reply(v, "CLUSTER INFO")?))
    }

    /// `AI.INFO key [RESETSTAT]` on the node at `address`: the run statistics of model or script `key` (no ensemble
    /// prefix is applied), as `field -> value` (integers and doubles as decimal text). In a cluster the key is the
    /// node's copy, `{prefix}.key` with the node's slot prefix, as upstream, and that prefix is removed from the
    /// `key` field of the reply. With `reset_stat` the counters are reset (and the server's reply is only `OK`,
    /// so the map is empty).
    pub fn get_ai_info(
        &mut self,
        address: &str,
        key: &str,
        reset_stat: bool,
    ) -> Result<HashMap<String, String>> {
        let node_prefix = match self.connection() {
            Connection::Standalone(_) => None,
            Connection::Cluster(c) => {
                let lowest = c
                    .slot_map()
                    .ranges()
                    .iter()
                    .filter(|r| r.addr == address)
                    .map(|r| r.lo)
                    .min();
                // An address that is not a primary is reported by `query_at` below.
                lowest.and_then(smartredis_protocol::model::cluster_prefix)
            }
        };
        let tag = node_prefix.map(|p| smartredis_protocol::model::cluster_key(&p, b""));
        let full_key = [tag.as_deref().unwrap_or_default(), key.as_bytes()].concat();
        let mut cmd = redis::Cmd::new();
        for arg in crate::ai::info(&full_key, reset_stat) {
            cmd.arg(&*arg);
        }
        let v = self.query_at(address, &cmd, "AI.INFO")?;
        if reset_stat {
            return ok_reply(v, "AI.INFO RESETSTAT").map(|()| HashMap::new());
        }
        let bad = |v: &Value| Error::Internal(format!("Unexpected reply to AI.INFO: {v:?}"));
        let text = |v: &Value| -> Result<String> {
            match v {
                Value::BulkString(b) => {
                    let b = tag.as_deref().and_then(|t| b.strip_prefix(t)).unwrap_or(b);
                    Ok(String::from_utf8_lossy(b).into_owned())
                }
                Value::SimpleString(s) => Ok(s.clone()),
                Value::Int(i) => Ok(i.to_string()),
                Value::Double(d) => Ok(format!("{d:.6}")),
                other => Err(bad(other)),
            }
        };
        let pairs: Vec<(&Value, &Value)> = match &v {
            Value::Array(items) if items.len() % 2 == 0 => {
                items.chunks_exact(2).map(|p| (&p[0], &p[1])).collect()
            }
            Value::Map(items) => items.iter().map(|(a, b)| (a, b)).collect(),
            other => return Err(bad(other)),
        };
        pairs
            .into_iter()
            .map(|(k, v)| Ok((text(k)?, text(v)?)))
            .collect()
    }

    /// `FLUSHDB` on the node at `address`.
    pub fn flush_db(&mut self, address: &str) -> Result<()> {
        let v = self.query_at(address, &redis::cmd("FLUSHDB"), "FLUSHDB")?;
        ok_reply(v, "FLUSHDB")
    }

    /// `CONFIG GET expression` on the node at `address`, as `parameter -> value` (empty for an unknown one).
    pub fn config_get(
        &mut self,
        expression: &str,
        address: &str,
    ) -> Result<HashMap<String, String>> {
        let v = self.query_at(
            address,
            redis::cmd("CONFIG").arg("GET").arg(expression),
            "CONFIG GET",
        )?;
        let bad = |v: &Value| {
            Error::Runtime(format!(
                "Unexpected reply to CONFIG GET: {}",
                crate::text::quote(&v)
            ))
        };
        let text = |v: &Value| match v {
            Value::BulkString(b) => Ok(String::from_utf8_lossy(b).into_owned()),
            Value::SimpleString(s) => Ok(s.clone()),
            other => Err(bad(other)),
        };
        match &v {
            Value::Array(items) if items.len() % 2 == 0 => items
                .chunks_exact(2)
                .map(|p| Ok((text(&p[0])?, text(&p[1])?)))
                .collect(),
            Value::Map(items) => items
                .iter()
                .map(|(a, b)| Ok((text(a)?, text(b)?)))
                .collect(),
            other => Err(bad(other)),
        }
    }

    /// `CONFIG SET parameter value` on the node at `address`; a refused setting is a runtime error with the
    /// server's text.
    pub fn config_set(&mut self, parameter: &str, value: &str, address: &str) -> Result<()> {
        let v = self.query_at(
            address,
            redis::cmd("CONFIG").arg("SET").arg(parameter).arg(value),
            "CONFIG SET",
        )?;
        ok_reply(v, "CONFIG SET")
    }

    /// `SAVE` on the node at `address` (a synchronous snapshot).
    pub fn save(&mut self, address: &str) -> Result<()> {
        let v = self.query_at(address, &redis::cmd("SAVE"), "SAVE")?;
        ok_reply(v, "SAVE")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_parsing() {
        let m = parse_info("# Server\r\nredis_version:7.2.4\r\nos:Linux\r\n\r\n# Clients\r\nconnected_clients:1\r\ntrailing:x");
        assert_eq!(m["Server"]["redis_version"], "7.2.4");
        assert_eq!(m["Clients"]["connected_clients"], "1");
        assert!(!m["Clients"].contains_key("trailing"));
        let f = parse_flat_info("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n");
        assert_eq!(f["cluster_state"], "ok");
    }
}
