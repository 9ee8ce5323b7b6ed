//! Datasets on the server: put, get, copy, rename, delete, exists, poll (reference §4.6).
//!
//! Keys follow [`crate::dataset::wire`]: base key `P{name}` with the dataset put prefix (writes) or get prefix
//! (reads), so every key of a dataset is on one shard. A dataset's commands go to that shard as one pipeline.
//!
//! Fixed upstream defects: a missing dataset is a key error for every operation (upstream: a runtime error for
//! delete); `put_dataset` over an existing dataset deletes the old tensors the new one does not have (upstream
//! left them behind); a failing command of a pipeline is reported with the server's text and the command.

use redis::Value;

use super::{key_error, poll, Client, Entity};
use crate::dataset::wire::{self, MetaValues, ACK_FIELD, ACK_VALUE, TENSOR_NAMES_FIELD};
use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::tensor::{Layout, TensorRef};
use crate::transport::batch::{Batch, Outcome, Part};
use crate::transport::tensor::{GetTarget, TensorGet, TensorSet};
use crate::transport::Route;

fn missing(name: &str) -> Error {
    Error::Key(format!(
        "The requested DataSet, \"{name}\", does not exist."
    ))
}

/// The names in a `.tensor_names` field value (`HGET` reply); nil or an undecodable value gives none.
fn names_in(v: &Value) -> Vec<String> {
    let Value::BulkString(b) = v else {
        return Vec::new();
    };
    match MetaValues::decode(b) {
        Ok(MetaValues::Str(names)) => names
            .into_iter()
            .filter_map(|n| String::from_utf8(n).ok())
            .collect(),
        _ => Vec::new(),
    }
}

/// The (field, value) pairs of an `HGETALL` reply (a flat array in RESP2, a map in RESP3).
fn hash_pairs(v: &Value) -> Result<Vec<(&[u8], &[u8])>> {
    fn bytes(v: &Value) -> Option<&[u8]> {
        match v {
            Value::BulkString(b) => Some(b),
            Value::SimpleString(s) => Some(s.as_bytes()),
            _ => None,
        }
    }
    let bad = || {
        Error::Runtime(format!(
            "Unexpected reply to HGETALL: {}",
            crate::text::quote(&v)
        ))
    };
    match v {
        Value::Array(items) if items.len() % 2 == 0 => items
            .chunks_exact(2)
            .map(|p| bytes(&p[0]).zip(bytes(&p[1])).ok_or_else(bad))
            .collect(),
        Value::Map(items) => items
            .iter()
            .map(|(a, b)| bytes(a).zip(bytes(b)).ok_or_else(bad))
            .collect(),
        Value::Nil => Ok(Vec::new()),
        _ => Err(bad()),
    }
}

/// A dataset (without its tensors) from the `HGETALL` reply of its metadata hash; an empty reply means the
/// dataset does not exist (key error).
pub(super) fn dataset_from_hgetall(name: &str, reply: &Value) -> Result<DataSet> {
    let pairs = hash_pairs(reply)?;
    if pairs.is_empty() {
        return Err(missing(name));
    }
    DataSet::from_serialized_fields(name, pairs)
}

/// Appends an `AI.TENSORGET` for every tensor `ds` lists (under base key `base`); returns their names in order.
pub(super) fn push_tensor_gets(
    batch: &mut Batch<'_>,
    base: &str,
    ds: &DataSet,
) -> Result<Vec<String>> {
    let names = ds.tensor_names_field()?;
    for n in &names {
        let key = wire::tensor_key(base, n);
        batch.push(
            Part::Get(TensorGet::new(
                key.as_bytes(),
                &key,
                GetTarget::Owned(Layout::Contiguous),
            )),
            format!("AI.TENSORGET {key}"),
        );
    }
    Ok(names)
}

/// Puts the fetched tensors (the outcomes of [`push_tensor_gets`]'s commands, in order) into `ds`.
pub(super) fn take_tensors(
    ds: &mut DataSet,
    names: Vec<String>,
    outcomes: impl IntoIterator<Item = Outcome>,
) -> Result<()> {
    let mut outcomes = outcomes.into_iter();
    for n in names {
        match outcomes.next() {
            Some(Outcome::Fetched(Some(t))) => ds.insert_fetched(&n, t),
            other => {
                return Err(Error::Internal(format!(
                    "AI.TENSORGET of {n} gave {}",
                    crate::text::quote(&other)
                )))
            }
        }
    }
    Ok(())
}

impl Client {
    /// The base key of dataset `name` for writes (`SSKEYOUT.{name}` or `{name}`).
    pub fn dataset_put_key(&self, name: &str) -> String {
        self.put_key(Entity::Dataset, &wire::base_key("", name))
    }

    /// The base key of dataset `name` for reads (`<source>.{name}` or `{name}`).
    pub fn dataset_get_key(&self, name: &str) -> String {
        self.get_key(Entity::Dataset, &wire::base_key("", name))
    }

    pub(super) fn run_batch(
        &mut self,
        route_key: &str,
        batch: &mut Batch<'_>,
    ) -> Result<Vec<Outcome>> {
        let outcomes = self
            .connection()
            .request(Route::Key(route_key.as_bytes()), batch)
            .map_err(|e| key_error(e, "pipeline on", route_key))?;
        batch.check(outcomes)
    }

    /// Stores `dataset` (with the dataset put prefix) in one pipeline on its shard: the old metadata hash is
    /// deleted, the metadata fields are written (`HMSET`), then every tensor (`AI.TENSORSET`), and last the
    /// acknowledgement `.COMPLETE = 1`. When a command of the pipeline fails, the acknowledgement is removed
    /// again (`HDEL`) and the error names the command. Tensors of an earlier dataset of that name that this one
    /// lacks are then deleted (one more `DEL`, only when there are such tensors). An empty dataset is a runtime
    /// error, as upstream.
    pub fn put_dataset(&mut self, dataset: &DataSet) -> Result<()> {
        let base = self.dataset_put_key(dataset.name());
        self.put_dataset_at(&base, dataset)
    }

    fn put_dataset_at(&mut self, base: &str, dataset: &DataSet) -> Result<()> {
        if dataset.is_empty() {
            return Err(Error::Runtime(
                "An attempt was made to put a DataSet into the database that does not contain any fields or tensors."
                    .into(),
            ));
        }
        let meta = wire::meta_key(base);
        let names = dataset.tensor_names();
        let views = names
            .iter()
            .map(|n| TensorRef::from_stored(dataset.tensor(n)?))
            .collect::<Result<Vec<_>>>()?;
        let keys: Vec<String> = names.iter().map(|n| wire::tensor_key(base, n)).collect();

        let mut batch = Batch::new();
        batch.push(
            Part::Cmd(
                redis::cmd("HGET")
                    .arg(&meta)
                    .arg(TENSOR_NAMES_FIELD)
                    .clone(),
            ),
            format!("HGET {meta}"),
        );
        batch.push(
            Part::Cmd(redis::cmd("DEL").arg(&meta).clone()),
            format!("DEL {meta}"),
        );
        let mut hmset = redis::cmd("HMSET");
        hmset.arg(&meta);
        for (field, value) in dataset.serialized_fields() {
            hmset.arg(field).arg(value);
        }
        batch.push(Part::Cmd(hmset), format!("HMSET {meta}"));
        for (key, view) in keys.iter().zip(&views) {
            batch.push(
                Part::Set(TensorSet::new(key.as_bytes(), view)),
                format!("AI.TENSORSET {key}"),
            );
        }
        batch.push(
            Part::Cmd(
                redis::cmd("HSET")
                    .arg(&meta)
                    .arg(ACK_FIELD)
                    .arg(ACK_VALUE)
                    .clone(),
            ),
            format!("HSET {meta} {ACK_FIELD}"),
        );
        let outcomes = match self.run_batch(&meta, &mut batch) {
            Ok(o) => o,
            Err(e) => {
                // A pipeline is not a transaction: the acknowledgement was written even though a command
                // before it failed. Take it back, so the partial dataset does not look complete.
                let _ = self.query_key(&meta, redis::cmd("HDEL").arg(&meta).arg(ACK_FIELD), "HDEL");
                return Err(e);
            }
        };

        // Tensors of the dataset this one replaced that it does not have.
        let old = match outcomes.first() {
            Some(Outcome::Value(v)) => names_in(v),
            _ => Vec::new(),
        };
        let stale: Vec<String> = old
            .iter()
            .filter(|n| !names.contains(&n.as_str()))
            .map(|n| wire::tensor_key(base, n))
            .collect();
        if !stale.is_empty() {
            self.query_key(&meta, redis::cmd("DEL").arg(&stale), "DEL")?;
        }
        Ok(())
    }

    /// Fetches dataset `name` (with the dataset get prefix): `HGETALL` of its metadata hash, then one pipeline of
    /// `AI.TENSORGET` for its tensors. A missing dataset is a key error.
    pub fn get_dataset(&mut self, name: &str) -> Result<DataSet> {
        let base = self.dataset_get_key(name);
        self.get_dataset_at(&base, name)
    }

    pub(super) fn get_dataset_at(&mut self, base: &str, name: &str) -> Result<DataSet> {
        let meta = wire::meta_key(base);
        let reply = self.query_key(&meta, redis::cmd("HGETALL").arg(&meta), "HGETALL")?;
        let mut ds = dataset_from_hgetall(name, &reply)?;
        let mut batch = Batch::new();
        let names = push_tensor_gets(&mut batch, base, &ds)?;
        if names.is_empty() {
            return Ok(ds);
        }
        let outcomes = self.run_batch(&meta, &mut batch)?;
        take_tensors(&mut ds, names, outcomes)?;
        Ok(ds)
    }

    /// Copies dataset `src_name` (get prefix) to `dest_name` (put prefix): fetched, then stored as
    /// [`put_dataset`](Self::put_dataset) does. A missing source is a key error.
    pub fn copy_dataset(&mut self, src_name: &str, dest_name: &str) -> Result<()> {
        let src = self.dataset_get_key(src_name);
        let dst = self.dataset_put_key(dest_name);
        let ds = self.get_dataset_at(&src, src_name)?;
        if src == dst {
            return Ok(());
        }
        self.put_dataset_at(&dst, &ds)
    }

    /// Renames a dataset: copy, then delete the source. A missing source is a key error; renaming a dataset to
    /// its own key does nothing.
    pub fn rename_dataset(&mut self, old_name: &str, new_name: &str) -> Result<()> {
        let src = self.dataset_get_key(old_name);
        let dst = self.dataset_put_key(new_name);
        let ds = self.get_dataset_at(&src, old_name)?;
        if src == dst {
            return Ok(());
        }
        self.put_dataset_at(&dst, &ds)?;
        self.delete_dataset_at(&src, old_name)
    }

    /// Deletes dataset `name` (get prefix): its metadata hash and tensors, in one `DEL`. A missing dataset is a
    /// key error (upstream: a runtime error).
    pub fn delete_dataset(&mut self, name: &str) -> Result<()> {
        let base = self.dataset_get_key(name);
        self.delete_dataset_at(&base, name)
    }

    fn delete_dataset_at(&mut self, base: &str, name: &str) -> Result<()> {
        let meta = wire::meta_key(base);
        let mut batch = Batch::new();
        batch.push(
            Part::Cmd(redis::cmd("EXISTS").arg(&meta).clone()),
            format!("EXISTS {meta}"),
        );
        batch.push(
            Part::Cmd(
                redis::cmd("HGET")
                    .arg(&meta)
                    .arg(TENSOR_NAMES_FIELD)
                    .clone(),
            ),
            format!("HGET {meta}"),
        );
        let outcomes = self.run_batch(&meta, &mut batch)?;
        if !matches!(outcomes.first(), Some(Outcome::Value(Value::Int(n))) if *n > 0) {
            return Err(missing(name));
        }
        let names = match outcomes.get(1) {
            Some(Outcome::Value(v)) => names_in(v),
            _ => Vec::new(),
        };
        let mut del = redis::cmd("DEL");
        del.arg(&meta);
        for n in &names {
            del.arg(wire::tensor_key(base, n));
        }
        self.query_key(&meta, &del, "DEL")?;
        Ok(())
    }

    /// Whether dataset `name` (get prefix) is completely stored: `HEXISTS P{name}.meta .COMPLETE`.
    pub fn dataset_exists(&mut self, name: &str) -> Result<bool> {
        let meta = wire::meta_key(&self.dataset_get_key(name));
        let v = self.query_key(
            &meta,
            redis::cmd("HEXISTS").arg(&meta).arg(ACK_FIELD),
            "HEXISTS",
        )?;
        let n: i64 = redis::from_redis_value(v).map_err(redis::RedisError::from)?;
        Ok(n > 0)
    }

    /// Polls [`dataset_exists`](Self::dataset_exists) up to `num_tries` times, `poll_frequency_ms` apart.
    pub fn poll_dataset(
        &mut self,
        name: &str,
        poll_frequency_ms: i32,
        num_tries: i32,
    ) -> Result<bool> {
        poll(poll_frequency_ms, num_tries, || self.dataset_exists(name))
    }
}
