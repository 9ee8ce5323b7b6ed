//! The cluster's slot map, read from `CLUSTER SLOTS`.
//!
//! Each reply entry is `[lo, hi, [ip, port, node_id, ...], replica...]`; replicas are ignored (as upstream).
//! Unlike upstream the map is sorted after parsing (quirk 12) and is refreshed when a `MOVED` reply shows it is
//! stale (see [`super::routing`]).

use redis::Value;

use super::slot::{Slot, SLOT_COUNT};
use crate::address::Address;
use crate::error::{Error, Result};

/// One range of slots served by one primary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotRange {
    /// First slot of the range.
    pub lo: u16,
    /// Last slot of the range (inclusive).
    pub hi: u16,
    /// The primary's address in [`Address`]'s canonical form: `host:port`, `[v6]:port`.
    pub addr: String,
    /// The primary's node id.
    pub node_id: String,
}

/// Slot ranges sorted by their first slot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlotMap {
    ranges: Vec<SlotRange>,
}

impl SlotMap {
    /// Parses a `CLUSTER SLOTS` reply. `seed_host` replaces an empty host (a node that does not know its own IP).
    pub fn from_cluster_slots(reply: &Value, seed_host: &str) -> Result<SlotMap> {
        let bad = |what: &str| Error::Database(format!("Unexpected CLUSTER SLOTS reply: {what}"));
        let Value::Array(entries) = reply else {
            return Err(bad("not an array"));
        };
        let mut ranges = Vec::with_capacity(entries.len());
        for entry in entries {
            let Value::Array(items) = entry else {
                return Err(bad("entry is not an array"));
            };
            if items.len() < 3 {
                return Err(bad("entry has fewer than 3 elements"));
            }
            let lo = as_int(&items[0]).ok_or_else(|| bad("start slot is not an integer"))?;
            let hi = as_int(&items[1]).ok_or_else(|| bad("end slot is not an integer"))?;
            if !(0..SLOT_COUNT as i64).contains(&lo) || !(lo..SLOT_COUNT as i64).contains(&hi) {
                return Err(bad("slot range out of bounds"));
            }
            let Value::Array(node) = &items[2] else {
                return Err(bad("node is not an array"));
            };
            if node.len() < 2 {
                return Err(bad("node has fewer than 2 elements"));
            }
            let mut host = as_string(&node[0]).ok_or_else(|| bad("node host is not a string"))?;
            if host.is_empty() {
                host = seed_host.to_string();
            }
            let port = as_int(&node[1]).ok_or_else(|| bad("node port is not an integer"))?;
            let node_id = node.get(2).and_then(as_string).unwrap_or_default();
            let port = u16::try_from(port).map_err(|_| bad("node port out of range"))?;
            ranges.push(SlotRange {
                lo: lo as u16,
                hi: hi as u16,
                addr: Address::Tcp { host, port }.to_string(),
                node_id,
            });
        }
        ranges.sort_by_key(|r| r.lo);
        if ranges.is_empty() {
            return Err(Error::Database(
                "The cluster serves no slots (CLUSTER SLOTS is empty)".into(),
            ));
        }
        Ok(SlotMap { ranges })
    }

    /// The address of the primary serving `slot`, if any.
    pub fn node_for(&self, slot: Slot) -> Option<&str> {
        let s = slot.get();
        let i = self.ranges.partition_point(|r| r.hi < s);
        self.ranges
            .get(i)
            .filter(|r| r.lo <= s)
            .map(|r| r.addr.as_str())
    }

    /// Points one slot at `addr` (after a `MOVED`), splitting the range that held it.
    pub fn assign(&mut self, slot: Slot, addr: &str) {
        let s = slot.get();
        let i = self.ranges.partition_point(|r| r.hi < s);
        let single = SlotRange {
            lo: s,
            hi: s,
            addr: addr.to_string(),
            node_id: String::new(),
        };
        match self.ranges.get(i).cloned() {
            Some(r) if r.lo <= s => {
                if r.addr == addr {
                    return;
                }
                let mut parts = Vec::new();
                if r.lo < s {
                    parts.push(SlotRange {
                        hi: s - 1,
                        ..r.clone()
                    });
                }
                parts.push(single);
                if s < r.hi {
                    parts.push(SlotRange { lo: s + 1, ..r });
                }
                self.ranges.splice(i..=i, parts);
            }
            _ => self.ranges.insert(i, single),
        }
    }

    /// The distinct primaries, in slot order.
    pub fn primaries(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.ranges {
            if !out.contains(&r.addr) {
                out.push(r.addr.clone());
            }
        }
        out
    }

    /// The ranges, sorted by first slot.
    pub fn ranges(&self) -> &[SlotRange] {
        &self.ranges
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(host: &str, port: i64, id: &str) -> Value {
        Value::Array(vec![
            Value::BulkString(host.into()),
            Value::Int(port),
            Value::BulkString(id.into()),
        ])
    }

    fn entry(lo: i64, hi: i64, n: Value) -> Value {
        Value::Array(vec![Value::Int(lo), Value::Int(hi), n])
    }

    #[test]
    fn parses_sorts_and_routes() {
        let reply = Value::Array(vec![
            entry(8192, 16383, node("127.0.0.1", 7001, "b")),
            entry(0, 8191, node("", 7000, "a")),
        ]);
        let map = SlotMap::from_cluster_slots(&reply, "10.0.0.1").unwrap();
        assert_eq!(map.ranges()[0].addr, "10.0.0.1:7000");
        assert_eq!(map.node_for(Slot::new(0).unwrap()), Some("10.0.0.1:7000"));
        assert_eq!(
            map.node_for(Slot::new(8191).unwrap()),
            Some("10.0.0.1:7000")
        );
        assert_eq!(
            map.node_for(Slot::new(8192).unwrap()),
            Some("127.0.0.1:7001")
        );
        assert_eq!(map.primaries().len(), 2);
        let v6 = Value::Array(vec![entry(0, 16383, node("::1", 7002, "c"))]);
        let map = SlotMap::from_cluster_slots(&v6, "h").unwrap();
        assert_eq!(map.primaries(), ["[::1]:7002"]);
    }

    #[test]
    fn assign_splits_a_range() {
        let reply = Value::Array(vec![entry(0, 16383, node("h", 1, "a"))]);
        let mut map = SlotMap::from_cluster_slots(&reply, "h").unwrap();
        map.assign(Slot::new(100).unwrap(), "h:2");
        assert_eq!(map.ranges().len(), 3);
        assert_eq!(map.node_for(Slot::new(99).unwrap()), Some("h:1"));
        assert_eq!(map.node_for(Slot::new(100).unwrap()), Some("h:2"));
        assert_eq!(map.node_for(Slot::new(101).unwrap()), Some("h:1"));
    }

    #[test]
    fn rejects_garbage() {
        assert!(SlotMap::from_cluster_slots(&Value::Int(1), "h").is_err());
        assert!(SlotMap::from_cluster_slots(&Value::Array(vec![]), "h").is_err());
        let bad = Value::Array(vec![entry(5, 2, node("h", 1, "a"))]);
        assert!(SlotMap::from_cluster_slots(&bad, "h").is_err());
    }
}
