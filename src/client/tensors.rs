//! Tensors: put, get, unpack, rename, copy, delete, exists, poll.

use super::{key_error, poll, Client, Entity};
use crate::error::{Error, Result};
use crate::tensor::{Layout, Tensor, TensorMut, TensorRef};
use crate::transport::tensor::{GetTarget, TensorGet, TensorSet};
use crate::transport::Route;

impl Client {
    /// Stores `tensor` under `name` (with the put prefix): `AI.TENSORSET key TYPE dims... BLOB <bytes>`, the
    /// caller's bytes going to the socket without a copy when they are row-major.
    pub fn put_tensor(&mut self, name: &str, tensor: &TensorRef<'_>) -> Result<()> {
        let key = self.put_key(Entity::Tensor, name);
        self.put_tensor_key(&key, tensor)
    }

    fn put_tensor_key(&mut self, key: &str, tensor: &TensorRef<'_>) -> Result<()> {
        let mut req = TensorSet::new(key.as_bytes(), tensor);
        self.conn
            .request(Route::Key(key.as_bytes()), &mut req)
            .map_err(|e| key_error(e, "AI.TENSORSET", key))
    }

    /// Fetches tensor `name` (with the get prefix) into a new buffer in `layout` (`Contiguous` or
    /// `FortranContiguous`), allocated once at the blob's size.
    pub fn get_tensor(&mut self, name: &str, layout: Layout) -> Result<Tensor> {
        let key = self.get_key(Entity::Tensor, name);
        self.get_tensor_key(&key, layout)
    }

    fn get_tensor_key(&mut self, key: &str, layout: Layout) -> Result<Tensor> {
        if layout == Layout::Nested {
            return Err(Error::Parameter(
                "get_tensor returns Contiguous or FortranContiguous memory; nested pointers are built by the C API"
                    .into(),
            ));
        }
        let mut req = TensorGet::new(key.as_bytes(), key, GetTarget::Owned(layout));
        self.conn
            .request(Route::Key(key.as_bytes()), &mut req)
            .map_err(|e| key_error(e, "AI.TENSORGET", key))?
            .ok_or_else(|| Error::Internal("AI.TENSORGET returned no tensor".into()))
    }

    /// Fetches tensor `name` (with the get prefix) into caller memory, after checking its type and dimensions
    /// against `dest` (on a mismatch `dest` is untouched); the payload is read from the socket straight into
    /// `dest`, without an intermediate copy.
    ///
    /// On an error after the payload has started to arrive (timeout, dropped connection), the contents of
    /// `dest` are unspecified: part of it may already hold part of the tensor.
    pub fn unpack_tensor(&mut self, name: &str, dest: TensorMut<'_>) -> Result<()> {
        let key = self.get_key(Entity::Tensor, name);
        let mut req = TensorGet::new(key.as_bytes(), &key, GetTarget::Into(dest));
        self.conn
            .request(Route::Key(key.as_bytes()), &mut req)
            .map_err(|e| key_error(e, "AI.TENSORGET", &key))?;
        Ok(())
    }

    /// Renames a tensor: `RENAME old new` when both keys are on one shard, else copy and `UNLINK old` (as upstream
    /// in a cluster). The source uses the get prefix, the destination the put prefix.
    pub fn rename_tensor(&mut self, old_name: &str, new_name: &str) -> Result<()> {
        let src = self.get_key(Entity::Tensor, old_name);
        let dst = self.put_key(Entity::Tensor, new_name);
        if self.conn.same_slot(src.as_bytes(), dst.as_bytes()) {
            self.query_key(&src, redis::cmd("RENAME").arg(&src).arg(&dst), "RENAME")?;
            return Ok(());
        }
        self.copy_tensor_keys(&src, &dst)?;
        self.query_key(&src, redis::cmd("UNLINK").arg(&src), "UNLINK")?;
        Ok(())
    }

    /// Copies a tensor: `AI.TENSORGET src META BLOB`, then `AI.TENSORSET dst ...`.
    pub fn copy_tensor(&mut self, src_name: &str, dest_name: &str) -> Result<()> {
        let src = self.get_key(Entity::Tensor, src_name);
        let dst = self.put_key(Entity::Tensor, dest_name);
        self.copy_tensor_keys(&src, &dst)
    }

    fn copy_tensor_keys(&mut self, src: &str, dst: &str) -> Result<()> {
        let t = self.get_tensor_key(src, Layout::Contiguous)?;
        // Also for a scalar (no dimensions), which the public constructors refuse.
        let view = TensorRef::from_stored(&t)?;
        self.put_tensor_key(dst, &view)
    }

    /// Deletes a tensor (`DEL`, or `UNLINK` in a cluster, as upstream). Deleting an absent tensor is not an error.
    pub fn delete_tensor(&mut self, name: &str) -> Result<()> {
        let key = self.get_key(Entity::Tensor, name);
        let verb = if self.is_cluster() { "UNLINK" } else { "DEL" };
        self.query_key(&key, redis::cmd(verb).arg(&key), verb)?;
        Ok(())
    }

    /// Whether tensor `name` exists (with the get prefix).
    pub fn tensor_exists(&mut self, name: &str) -> Result<bool> {
        let key = self.get_key(Entity::Tensor, name);
        self.key_exists(&key)
    }

    /// Polls [`tensor_exists`](Self::tensor_exists).
    pub fn poll_tensor(
        &mut self,
        name: &str,
        poll_frequency_ms: i32,
        num_tries: i32,
    ) -> Result<bool> {
        poll(poll_frequency_ms, num_tries, || self.tensor_exists(name))
    }
}
