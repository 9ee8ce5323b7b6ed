//! `c_client.h`, dataset part: storing, fetching, copying, renaming, deleting and polling datasets.
//!
//! Keys get the dataset ensemble prefix (`SSKEYOUT` for writes, the `SSKEYIN` data source for reads). A missing
//! dataset is `SRKeyError` for every function (upstream: `SRRuntimeError` for `delete_dataset`).

use std::ffi::{c_char, c_int, c_void};

use super::client::client_arg;
use super::dataset::{dataset_arg, DataSetHandle};
use super::{guard, out_arg, str_arg};
use crate::error::{Error, Result, SRError};

fn name_arg<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str> {
    let s = str_arg(ptr, len, what)?;
    if s.is_empty() {
        return Err(Error::Parameter(format!("{what} must not be empty")));
    }
    Ok(s)
}

/// Stores `dataset` (a DataSet handle, only read) under its name: metadata, tensors, then the acknowledgement
/// that marks it complete, in one pipeline on its shard. An existing dataset of that name is replaced.
#[no_mangle]
pub extern "C" fn put_dataset(c_client: *mut c_void, dataset: *mut c_void) -> SRError {
    guard("put_dataset", || {
        let c = client_arg(c_client)?;
        let d = dataset_arg(dataset, "dataset")?;
        c.client.put_dataset(&d.ds)
    })
}

/// Fetches dataset `name` into a new DataSet handle at `*dataset`; the caller frees it with
/// `DeallocateDataSet`. A missing dataset is a key error (`*dataset` is then left unchanged).
#[no_mangle]
pub extern "C" fn get_dataset(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    dataset: *mut *mut c_void,
) -> SRError {
    guard("get_dataset", || {
        let c = client_arg(c_client)?;
        let name = name_arg(name, name_length, "name")?;
        let out = out_arg(dataset, "dataset")?;
        let ds = c.client.get_dataset(name)?;
        *out = DataSetHandle::into_handle(ds);
        Ok(())
    })
}

/// Renames dataset `old_name` to `new_name` (copy, then delete the source).
#[no_mangle]
pub extern "C" fn rename_dataset(
    c_client: *mut c_void,
    old_name: *const c_char,
    old_name_length: usize,
    new_name: *const c_char,
    new_name_length: usize,
) -> SRError {
    guard("rename_dataset", || {
        let c = client_arg(c_client)?;
        let old = name_arg(old_name, old_name_length, "old_name")?;
        let new = name_arg(new_name, new_name_length, "new_name")?;
        c.client.rename_dataset(old, new)
    })
}

/// Copies dataset `src_name` to `dest_name`.
#[no_mangle]
pub extern "C" fn copy_dataset(
    c_client: *mut c_void,
    src_name: *const c_char,
    src_name_length: usize,
    dest_name: *const c_char,
    dest_name_length: usize,
) -> SRError {
    guard("copy_dataset", || {
        let c = client_arg(c_client)?;
        let src = name_arg(src_name, src_name_length, "src_name")?;
        let dst = name_arg(dest_name, dest_name_length, "dest_name")?;
        c.client.copy_dataset(src, dst)
    })
}

/// Deletes dataset `name`: its metadata and its tensors.
#[no_mangle]
pub extern "C" fn delete_dataset(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
) -> SRError {
    guard("delete_dataset", || {
        let c = client_arg(c_client)?;
        let name = name_arg(name, name_length, "name")?;
        c.client.delete_dataset(name)
    })
}

/// Whether dataset `name` is completely stored (its acknowledgement field exists). `*exists` is written on
/// success.
#[no_mangle]
pub extern "C" fn dataset_exists(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    exists: *mut bool,
) -> SRError {
    guard("dataset_exists", || {
        let c = client_arg(c_client)?;
        let name = name_arg(name, name_length, "name")?;
        let exists = out_arg(exists, "exists")?;
        *exists = c.client.dataset_exists(name)?;
        Ok(())
    })
}

/// Checks for dataset `name` up to `num_tries` times, `poll_frequency_ms` apart; `*exists` says whether it was
/// found.
#[no_mangle]
pub extern "C" fn poll_dataset(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    poll_frequency_ms: c_int,
    num_tries: c_int,
    exists: *mut bool,
) -> SRError {
    guard("poll_dataset", || {
        let c = client_arg(c_client)?;
        let name = name_arg(name, name_length, "name")?;
        let exists = out_arg(exists, "exists")?;
        *exists = c.client.poll_dataset(name, poll_frequency_ms, num_tries)?;
        Ok(())
    })
}
