//! Aggregation lists: Redis lists of dataset base keys (reference §4.10).
//!
//! List keys get the list ensemble prefix (put prefix for writes, get prefix for reads); an element is the
//! dataset's base key as computed when it was appended (`P{name}`) and is used verbatim when read back.
//! Retrieving datasets groups them by shard; each shard gets two pipelines (metadata, then tensors), shards in
//! parallel.
//!
//! Fixed upstream defect: `copy_list` deletes and writes the destination under the same (put-prefixed) key.

use std::collections::HashMap;

use redis::Value;

use super::datasets::{dataset_from_hgetall, push_tensor_gets, take_tensors};
use super::{poll, Client, Entity};
use crate::cluster::{Redirect, Slot};
use crate::dataset::wire;
use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::transport::batch::{Batch, Outcome, Part};
use crate::transport::{CallError, Connection, NodeConnection};

fn check_list_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::Parameter("The list name must not be empty".into()));
    }
    Ok(())
}

fn check_length(list_length: i32) -> Result<()> {
    if list_length < 0 {
        return Err(Error::Parameter(
            "A positive value for list_length must be provided.".into(),
        ));
    }
    Ok(())
}

fn int_reply(v: Value, what: &str) -> Result<i64> {
    match v {
        Value::Int(n) => Ok(n),
        other => Err(Error::Runtime(format!(
            "Unexpected reply to {what}: {}",
            crate::text::quote(&other)
        ))),
    }
}

/// The elements of an `LRANGE` reply; each must be a non-empty string.
fn elements(v: Value, list: &str) -> Result<Vec<String>> {
    let items = match v {
        Value::Array(items) => items,
        Value::Nil => Vec::new(),
        other => {
            return Err(Error::Runtime(format!(
                "Unexpected reply to LRANGE {list}: {}",
                crate::text::quote(&other)
            )))
        }
    };
    items
        .into_iter()
        .map(|i| match i {
            Value::BulkString(b) if !b.is_empty() => String::from_utf8(b).map_err(|_| {
                Error::Runtime(format!("An element of list {list} is not valid UTF-8"))
            }),
            other => Err(Error::Runtime(format!(
                "An element of list {list} is not a dataset key: {}",
                crate::text::quote(&other)
            ))),
        })
        .collect()
}

/// What one shard's worker returns: the datasets it fetched (by list position), or `None` when a redirection
/// showed the shard map was stale (those elements are then fetched one by one through the routed path).
type ShardResult = Option<Vec<(usize, DataSet)>>;

/// Fetches the datasets `group` (list position, element) from one node: metadata in one pipeline, then every
/// tensor in a second.
fn fetch_group(node: &mut NodeConnection, group: &[(usize, String)]) -> Result<ShardResult> {
    let mut batch = Batch::new();
    for (_, elem) in group {
        let meta = wire::meta_key(elem);
        batch.push(
            Part::Cmd(redis::cmd("HGETALL").arg(&meta).clone()),
            format!("HGETALL {meta}"),
        );
    }
    let outcomes = match node.request(&mut batch) {
        Ok(o) => batch.check(o)?,
        Err(CallError::Server(m)) if Redirect::parse(&m).is_some() => return Ok(None),
        Err(e) => return Err(e.into_error()),
    };
    let mut datasets = Vec::with_capacity(group.len());
    let mut tensors = Batch::new();
    let mut names = Vec::with_capacity(group.len());
    for ((_, elem), o) in group.iter().zip(outcomes) {
        let name = wire::name_from_base_key(elem).unwrap_or(elem);
        let Outcome::Value(v) = o else {
            return Err(Error::Internal(format!("HGETALL of {elem} gave {o:?}")));
        };
        let ds = dataset_from_hgetall(name, &v)?;
        names.push(push_tensor_gets(&mut tensors, elem, &ds)?);
        datasets.push(ds);
    }
    if !tensors.is_empty() {
        let outcomes = match node.request(&mut tensors) {
            Ok(o) => tensors.check(o)?,
            Err(CallError::Server(m)) if Redirect::parse(&m).is_some() => return Ok(None),
            Err(e) => return Err(e.into_error()),
        };
        let mut outcomes = outcomes.into_iter();
        for (ds, n) in datasets.iter_mut().zip(names) {
            let count = n.len();
            take_tensors(ds, n, outcomes.by_ref().take(count))?;
        }
    }
    Ok(Some(group.iter().map(|(i, _)| *i).zip(datasets).collect()))
}

impl Client {
    fn list_put_key(&self, name: &str) -> String {
        self.put_key(Entity::List, name)
    }

    fn list_get_key(&self, name: &str) -> String {
        self.get_key(Entity::List, name)
    }

    /// Appends `dataset`'s base key (with the dataset put prefix) to list `list_name` (put prefix):
    /// `RPUSH`. The dataset is expected to have been put; this is not checked (as upstream).
    pub fn append_to_list(&mut self, list_name: &str, dataset: &DataSet) -> Result<()> {
        check_list_name(list_name)?;
        let key = self.list_put_key(list_name);
        let elem = self.dataset_put_key(dataset.name());
        self.query_key(&key, redis::cmd("RPUSH").arg(&key).arg(&elem), "RPUSH")?;
        Ok(())
    }

    /// Deletes list `list_name` (get prefix); the datasets stay.
    pub fn delete_list(&mut self, list_name: &str) -> Result<()> {
        check_list_name(list_name)?;
        let key = self.list_get_key(list_name);
        self.query_key(&key, redis::cmd("DEL").arg(&key), "DEL")?;
        Ok(())
    }

    /// Copies list `src_name` (get prefix) to `dest_name` (put prefix), replacing it. Copying a list to its own
    /// name does nothing; an empty or missing source is a runtime error, as upstream.
    pub fn copy_list(&mut self, src_name: &str, dest_name: &str) -> Result<()> {
        check_list_name(src_name)?;
        check_list_name(dest_name)?;
        if src_name == dest_name {
            return Ok(());
        }
        let src = self.list_get_key(src_name);
        let dst = self.list_put_key(dest_name);
        let v = self.query_key(
            &src,
            redis::cmd("LRANGE").arg(&src).arg(0).arg(-1),
            "LRANGE",
        )?;
        let items = elements(v, &src)?;
        if items.is_empty() {
            return Err(Error::Runtime(
                "The source aggregation list does not exist.".into(),
            ));
        }
        let mut batch = Batch::new();
        batch.push(
            Part::Cmd(redis::cmd("DEL").arg(&dst).clone()),
            format!("DEL {dst}"),
        );
        batch.push(
            Part::Cmd(redis::cmd("RPUSH").arg(&dst).arg(&items).clone()),
            format!("RPUSH {dst}"),
        );
        self.run_batch(&dst, &mut batch)?;
        Ok(())
    }

    /// Renames a list: [`copy_list`](Self::copy_list), then deletes the source.
    pub fn rename_list(&mut self, src_name: &str, dest_name: &str) -> Result<()> {
        check_list_name(src_name)?;
        check_list_name(dest_name)?;
        if src_name == dest_name {
            return Ok(());
        }
        self.copy_list(src_name, dest_name)?;
        self.delete_list(src_name)
    }

    /// The number of datasets in list `list_name` (get prefix; 0 when it does not exist): `LLEN`.
    pub fn get_list_length(&mut self, list_name: &str) -> Result<i32> {
        check_list_name(list_name)?;
        let key = self.list_get_key(list_name);
        let n = int_reply(
            self.query_key(&key, redis::cmd("LLEN").arg(&key), "LLEN")?,
            "LLEN",
        )?;
        i32::try_from(n).map_err(|_| Error::Runtime(format!("List {key} is too long: {n}")))
    }

    fn poll_list(
        &mut self,
        list_name: &str,
        list_length: i32,
        poll_frequency_ms: i32,
        num_tries: i32,
        ok: fn(i32, i32) -> bool,
    ) -> Result<bool> {
        check_list_name(list_name)?;
        check_length(list_length)?;
        poll(poll_frequency_ms, num_tries, || {
            Ok(ok(self.get_list_length(list_name)?, list_length))
        })
    }

    /// Polls until list `list_name` has exactly `list_length` elements (at most `num_tries` checks).
    pub fn poll_list_length(
        &mut self,
        list_name: &str,
        list_length: i32,
        poll_frequency_ms: i32,
        num_tries: i32,
    ) -> Result<bool> {
        self.poll_list(
            list_name,
            list_length,
            poll_frequency_ms,
            num_tries,
            |a, b| a == b,
        )
    }

    /// Polls until list `list_name` has at least `list_length` elements.
    pub fn poll_list_length_gte(
        &mut self,
        list_name: &str,
        list_length: i32,
        poll_frequency_ms: i32,
        num_tries: i32,
    ) -> Result<bool> {
        self.poll_list(
            list_name,
            list_length,
            poll_frequency_ms,
            num_tries,
            |a, b| a >= b,
        )
    }

    /// Polls until list `list_name` has at most `list_length` elements.
    pub fn poll_list_length_lte(
        &mut self,
        list_name: &str,
        list_length: i32,
        poll_frequency_ms: i32,
        num_tries: i32,
    ) -> Result<bool> {
        self.poll_list(
            list_name,
            list_length,
            poll_frequency_ms,
            num_tries,
            |a, b| a <= b,
        )
    }

    /// Every dataset of list `list_name`, in list order.
    pub fn get_datasets_from_list(&mut self, list_name: &str) -> Result<Vec<DataSet>> {
        self.get_dataset_list_range(list_name, 0, -1)
    }

    /// The datasets at positions `start_index ..= end_index` of list `list_name` (Redis `LRANGE` indexing:
    /// negative indices count from the end), in list order. A dataset listed but missing is a key error.
    pub fn get_dataset_list_range(
        &mut self,
        list_name: &str,
        start_index: i32,
        end_index: i32,
    ) -> Result<Vec<DataSet>> {
        check_list_name(list_name)?;
        let key = self.list_get_key(list_name);
        let v = self.query_key(
            &key,
            redis::cmd("LRANGE")
                .arg(&key)
                .arg(start_index)
                .arg(end_index),
            "LRANGE",
        )?;
        let items = elements(v, &key)?;

        // Group the elements by the node that serves them ("" = unknown: fetched one by one).
        let mut groups: HashMap<String, Vec<(usize, String)>> = HashMap::new();
        for (i, elem) in items.iter().enumerate() {
            let meta = wire::meta_key(elem);
            let owner = match self.connection() {
                Connection::Standalone(n) => n.addr().to_string(),
                Connection::Cluster(c) => c
                    .slot_map()
                    .node_for(Slot::for_key(meta.as_bytes()))
                    .unwrap_or("")
                    .to_string(),
            };
            groups.entry(owner).or_default().push((i, elem.clone()));
        }
        let mut slow: Vec<(usize, String)> = groups.remove("").unwrap_or_default();
        let mut found: Vec<Option<DataSet>> = (0..items.len()).map(|_| None).collect();
        if !groups.is_empty() {
            let groups = &groups;
            let per_node = self.connection().fan_out(|node| {
                let addr = node.addr().to_string();
                match groups.get(&addr) {
                    Some(group) => Ok((addr, fetch_group(node, group)?)),
                    None => Ok((addr, Some(Vec::new()))),
                }
            })?;
            for (addr, result) in per_node {
                match result {
                    Some(list) => {
                        for (i, ds) in list {
                            found[i] = Some(ds);
                        }
                    }
                    None => slow.extend(groups.get(&addr).cloned().unwrap_or_default()),
                }
            }
        }
        for (i, elem) in slow {
            let name = wire::name_from_base_key(&elem).unwrap_or(&elem).to_string();
            found[i] = Some(self.get_dataset_at(&elem, &name)?);
        }
        found
            .into_iter()
            .zip(&items)
            .map(|(d, elem)| {
                d.ok_or_else(|| Error::Internal(format!("dataset {elem} was not fetched")))
            })
            .collect()
    }
}
