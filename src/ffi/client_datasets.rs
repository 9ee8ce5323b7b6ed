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

/// Appends `dataset`'s key to aggregation list `list_name` (RPUSH). The dataset should have been put first.
#[no_mangle]
pub extern "C" fn append_to_list(
    c_client: *mut c_void,
    list_name: *const c_char,
    list_name_length: usize,
    dataset: *const c_void,
) -> SRError {
    guard("append_to_list", || {
        let c = client_arg(c_client)?;
        let list = name_arg(list_name, list_name_length, "list_name")?;
        let d = dataset_arg(dataset.cast_mut(), "dataset")?;
        c.client.append_to_list(list, &d.ds)
    })
}

/// Deletes aggregation list `list_name` (the datasets stay).
#[no_mangle]
pub extern "C" fn delete_list(
    c_client: *mut c_void,
    list_name: *const c_char,
    list_name_length: usize,
) -> SRError {
    guard("delete_list", || {
        let c = client_arg(c_client)?;
        let list = name_arg(list_name, list_name_length, "list_name")?;
        c.client.delete_list(list)
    })
}

/// Copies aggregation list `src_name` to `dest_name`, replacing it; an empty or missing source is a runtime
/// error.
#[no_mangle]
pub extern "C" fn copy_list(
    c_client: *mut c_void,
    src_name: *const c_char,
    src_name_length: usize,
    dest_name: *const c_char,
    dest_name_length: usize,
) -> SRError {
    guard("copy_list", || {
        let c = client_arg(c_client)?;
        let src = name_arg(src_name, src_name_length, "src_name")?;
        let dst = name_arg(dest_name, dest_name_length, "dest_name")?;
        c.client.copy_list(src, dst)
    })
}

/// Renames aggregation list `src_name` to `dest_name`.
#[no_mangle]
pub extern "C" fn rename_list(
    c_client: *mut c_void,
    src_name: *const c_char,
    src_name_length: usize,
    dest_name: *const c_char,
    dest_name_length: usize,
) -> SRError {
    guard("rename_list", || {
        let c = client_arg(c_client)?;
        let src = name_arg(src_name, src_name_length, "src_name")?;
        let dst = name_arg(dest_name, dest_name_length, "dest_name")?;
        c.client.rename_list(src, dst)
    })
}

/// Writes the number of datasets in aggregation list `list_name` to `*result_length` (0 if it does not exist).
#[no_mangle]
pub extern "C" fn get_list_length(
    c_client: *mut c_void,
    list_name: *const c_char,
    list_name_length: usize,
    result_length: *mut c_int,
) -> SRError {
    guard("get_list_length", || {
        let c = client_arg(c_client)?;
        let list = name_arg(list_name, list_name_length, "list_name")?;
        let out = out_arg(result_length, "result_length")?;
        *out = c.client.get_list_length(list)?;
        Ok(())
    })
}

type PollFn = fn(&mut crate::Client, &str, i32, i32, i32) -> Result<bool>;

#[allow(clippy::too_many_arguments)]
fn poll_list(
    function: &str,
    poll: PollFn,
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    list_length: c_int,
    poll_frequency_ms: c_int,
    num_tries: c_int,
    poll_result: *mut bool,
) -> SRError {
    guard(function, || {
        let c = client_arg(c_client)?;
        let list = name_arg(name, name_length, "name")?;
        let out = out_arg(poll_result, "poll_result")?;
        *out = poll(
            &mut c.client,
            list,
            list_length,
            poll_frequency_ms,
            num_tries,
        )?;
        Ok(())
    })
}

/// Checks up to `num_tries` times, `poll_frequency_ms` apart, whether list `name` has exactly `list_length`
/// datasets; `*poll_result` says whether it did. A negative `list_length` is a parameter error.
#[no_mangle]
pub extern "C" fn poll_list_length(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    list_length: c_int,
    poll_frequency_ms: c_int,
    num_tries: c_int,
    poll_result: *mut bool,
) -> SRError {
    poll_list(
        "poll_list_length",
        crate::Client::poll_list_length,
        c_client,
        name,
        name_length,
        list_length,
        poll_frequency_ms,
        num_tries,
        poll_result,
    )
}

/// As [`poll_list_length`], for at least `list_length` datasets.
#[no_mangle]
pub extern "C" fn poll_list_length_gte(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    list_length: c_int,
    poll_frequency_ms: c_int,
    num_tries: c_int,
    poll_result: *mut bool,
) -> SRError {
    poll_list(
        "poll_list_length_gte",
        crate::Client::poll_list_length_gte,
        c_client,
        name,
        name_length,
        list_length,
        poll_frequency_ms,
        num_tries,
        poll_result,
    )
}

/// As [`poll_list_length`], for at most `list_length` datasets.
#[no_mangle]
pub extern "C" fn poll_list_length_lte(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    list_length: c_int,
    poll_frequency_ms: c_int,
    num_tries: c_int,
    poll_result: *mut bool,
) -> SRError {
    poll_list(
        "poll_list_length_lte",
        crate::Client::poll_list_length_lte,
        c_client,
        name,
        name_length,
        list_length,
        poll_frequency_ms,
        num_tries,
        poll_result,
    )
}

/// Hands fetched datasets to C: a `malloc`ed array of new DataSet handles (NULL when there are none).
fn datasets_out(
    list: Vec<crate::DataSet>,
    datasets: *mut *mut *mut c_void,
    num_datasets: *mut usize,
) -> Result<()> {
    let datasets = out_arg(datasets, "datasets")?;
    let num_datasets = out_arg(num_datasets, "num_datasets")?;
    if list.is_empty() {
        *datasets = std::ptr::null_mut();
        *num_datasets = 0;
        return Ok(());
    }
    let bytes = list
        .len()
        .checked_mul(std::mem::size_of::<*mut c_void>())
        .ok_or_else(|| Error::BadAlloc("too many datasets".into()))?;
    // SAFETY: plain allocation of `bytes` (> 0) bytes; checked for NULL below.
    let array = unsafe { libc::malloc(bytes) }.cast::<*mut c_void>();
    if array.is_null() {
        return Err(Error::BadAlloc(format!(
            "cannot allocate an array of {} datasets",
            list.len()
        )));
    }
    let n = list.len();
    for (i, ds) in list.into_iter().enumerate() {
        // SAFETY: `i < n`, inside the allocation, suitably aligned by malloc.
        unsafe { array.add(i).write(DataSetHandle::into_handle(ds)) };
    }
    *datasets = array;
    *num_datasets = n;
    Ok(())
}

/// Fetches every dataset of aggregation list `list_name`, in list order: `*datasets` becomes an array of
/// `*num_datasets` new DataSet handles (NULL and 0 for an empty or missing list). Free the array and the datasets
/// still in it with [`sr_dataset_array_free`] (or each dataset with `DeallocateDataSet` and the array with
/// `free`).
#[no_mangle]
pub extern "C" fn get_datasets_from_list(
    c_client: *mut c_void,
    list_name: *const c_char,
    list_name_length: usize,
    datasets: *mut *mut *mut c_void,
    num_datasets: *mut usize,
) -> SRError {
    guard("get_datasets_from_list", || {
        let c = client_arg(c_client)?;
        let list = name_arg(list_name, list_name_length, "list_name")?;
        out_arg(datasets, "datasets")?;
        out_arg(num_datasets, "num_datasets")?;
        let got = c.client.get_datasets_from_list(list)?;
        datasets_out(got, datasets, num_datasets)
    })
}

/// As [`get_datasets_from_list`], for the datasets at positions `start_index ..= end_index` (negative indices
/// count from the end). The array is sized by the result (upstream sized it by the caller's `*num_datasets`).
#[no_mangle]
pub extern "C" fn get_dataset_list_range(
    c_client: *mut c_void,
    list_name: *const c_char,
    list_name_length: usize,
    start_index: c_int,
    end_index: c_int,
    datasets: *mut *mut *mut c_void,
    num_datasets: *mut usize,
) -> SRError {
    guard("get_dataset_list_range", || {
        let c = client_arg(c_client)?;
        let list = name_arg(list_name, list_name_length, "list_name")?;
        out_arg(datasets, "datasets")?;
        out_arg(num_datasets, "num_datasets")?;
        let got = c
            .client
            .get_dataset_list_range(list, start_index, end_index)?;
        datasets_out(got, datasets, num_datasets)
    })
}

/// Fetches the datasets at positions `start_index ..= end_index` of list `list_name` into the caller's array
/// `datasets`, which has room for `end_index - start_index + 1` handles (used by the Fortran API). Fewer datasets
/// than that is an internal error, as upstream (so negative indices do not work here); nothing is written then.
#[no_mangle]
pub extern "C" fn _get_dataset_list_range_allocated(
    c_client: *mut c_void,
    list_name: *const c_char,
    list_name_length: usize,
    start_index: c_int,
    end_index: c_int,
    datasets: *mut *mut c_void,
) -> SRError {
    guard("_get_dataset_list_range_allocated", || {
        let c = client_arg(c_client)?;
        let list = name_arg(list_name, list_name_length, "list_name")?;
        if datasets.is_null() {
            return Err(super::null_error("datasets"));
        }
        let got = c
            .client
            .get_dataset_list_range(list, start_index, end_index)?;
        let want = i64::from(end_index) - i64::from(start_index) + 1;
        if i64::try_from(got.len()).ok() != Some(want) {
            return Err(Error::Internal(
                "Returned dataset list is not equal to the requested range".into(),
            ));
        }
        let out = super::slice_arg(datasets.cast_const(), got.len(), "datasets")?;
        let out = out.as_ptr().cast_mut();
        for (i, ds) in got.into_iter().enumerate() {
            // SAFETY: the caller provides room for `want == got.len()` handles at `datasets`.
            unsafe { out.add(i).write(DataSetHandle::into_handle(ds)) };
        }
        Ok(())
    })
}

/// Not in upstream's C API (upstream leaks these arrays): frees an array returned by [`get_datasets_from_list`]
/// or [`get_dataset_list_range`] together with the `num_datasets` DataSet handles still in it (entries set to
/// NULL, e.g. by `DeallocateDataSet`, are skipped), then sets `*datasets` to NULL. `*datasets == NULL` is a
/// no-op.
#[no_mangle]
pub extern "C" fn sr_dataset_array_free(
    datasets: *mut *mut *mut c_void,
    num_datasets: usize,
) -> SRError {
    guard("sr_dataset_array_free", || {
        let slot = out_arg(datasets, "datasets")?;
        if slot.is_null() {
            return Ok(());
        }
        let entries = super::slice_arg(slot.cast_const(), num_datasets, "datasets")?;
        // Check every handle before freeing any, so a bad entry frees nothing; a handle listed twice would be
        // freed twice.
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        for (i, &h) in entries.iter().enumerate() {
            if !h.is_null() {
                if !seen.insert(h) {
                    return Err(Error::Parameter(format!(
                        "datasets[{i}] is the same dataset as an earlier entry"
                    )));
                }
                dataset_arg(h, &format!("datasets[{i}]"))?;
            }
        }
        for (i, &h) in entries.iter().enumerate() {
            super::free_handle::<DataSetHandle>(h, &format!("datasets[{i}]"))?;
        }
        // SAFETY: the array was allocated with malloc by `datasets_out`.
        unsafe { libc::free((*slot).cast()) };
        *slot = std::ptr::null_mut();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::dataset::tests::new_dataset;

    #[test]
    fn a_dataset_listed_twice_is_refused_and_nothing_is_freed() {
        let ds = new_dataset(c"d");
        // SAFETY: room for two handles, freed by sr_dataset_array_free as its contract says.
        let arr =
            unsafe { libc::malloc(2 * std::mem::size_of::<*mut c_void>()) }.cast::<*mut c_void>();
        assert!(!arr.is_null());
        // SAFETY: `arr` has two slots.
        unsafe { arr.write(ds) };
        unsafe { arr.add(1).write(ds) };
        let mut slot = arr;
        assert_eq!(
            sr_dataset_array_free(&mut slot, 2),
            SRError::SRParameterError
        );
        assert_eq!(slot, arr, "the array is left as it was");
        // SAFETY: the second slot of the live array.
        unsafe { arr.add(1).write(std::ptr::null_mut()) };
        assert_eq!(sr_dataset_array_free(&mut slot, 2), SRError::SRNoError);
        assert!(slot.is_null());
    }
}
