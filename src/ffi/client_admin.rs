//! Admin calls that upstream offers only in C++ (`Client::get_db_node_info`, `get_db_cluster_info`,
//! `get_ai_info`, `flush_db`, `config_get`, `config_set`, `save`), as `sr_` C functions. `address` names one node
//! of the client (`host:port`, as in `SSDB` or reported by `CLUSTER SLOTS`); another address is a runtime error.
//!
//! The calls that return a map return it as parallel arrays of `*count` NUL-terminated strings (`keys[i]` maps to
//! `values[i]`; `sections[i]` is the INFO section of entry `i`), sorted by (section,) key. Each array and each
//! string is allocated by the library and owned by the caller, who frees every array with
//! [`sr_string_array_free`]. An empty map is NULL arrays and a count of 0; after an error the outputs are NULL and
//! 0 as well.

use std::collections::HashMap;
use std::ffi::{c_char, c_void};

use super::client::client_arg;
use super::{guard, out_arg, str_arg};
use crate::error::{Error, Result, SRError};

/// A malloc'd array of malloc'd NUL-terminated copies of `strings` (NULL when empty). On failure nothing leaks.
fn c_string_array(strings: &[&str]) -> Result<*mut *mut c_char> {
    if strings.is_empty() {
        return Ok(std::ptr::null_mut());
    }
    let oom = || Error::BadAlloc("cannot allocate a string array".into());
    let bytes = strings
        .len()
        .checked_mul(std::mem::size_of::<*mut c_char>())
        .ok_or_else(oom)?;
    // SAFETY: a plain allocation of `bytes` > 0 bytes, checked for NULL.
    let array = unsafe { libc::malloc(bytes) }.cast::<*mut c_char>();
    if array.is_null() {
        return Err(oom());
    }
    for (i, s) in strings.iter().enumerate() {
        // SAFETY: `s.len() + 1` bytes, checked for NULL; the copy and the NUL stay inside the allocation.
        let copy = unsafe { libc::malloc(s.len() + 1) }.cast::<c_char>();
        if copy.is_null() {
            // SAFETY: entries 0..i were written above; the array came from malloc.
            unsafe { free_strings(array, i) };
            return Err(oom());
        }
        // SAFETY: `copy` has room for `s.len() + 1` bytes and does not overlap `s`.
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr().cast::<c_char>(), copy, s.len());
            copy.add(s.len()).write(0);
            array.add(i).write(copy);
        }
    }
    Ok(array)
}

/// Frees `n` malloc'd strings of a malloc'd `array`, and the array.
///
/// # Safety
/// `array` came from [`c_string_array`] (or is NULL) and its first `n` entries are malloc'd strings or NULL.
unsafe fn free_strings(array: *mut *mut c_char, n: usize) {
    if array.is_null() {
        return;
    }
    for i in 0..n {
        libc::free((*array.add(i)).cast());
    }
    libc::free(array.cast());
}

/// Writes the arrays of a map result: `columns[j][i]` is column `j` of entry `i`, into `outs[j]`; `*count` the
/// number of entries. All or nothing.
fn write_columns(
    columns: &[Vec<&str>],
    outs: &mut [&mut *mut *mut c_char],
    count: &mut usize,
) -> Result<()> {
    let n = columns.first().map_or(0, Vec::len);
    let mut made: Vec<*mut *mut c_char> = Vec::with_capacity(columns.len());
    for column in columns {
        match c_string_array(column) {
            Ok(a) => made.push(a),
            Err(e) => {
                for a in made {
                    // SAFETY: each came from `c_string_array` with `n` entries.
                    unsafe { free_strings(a, n) };
                }
                return Err(e);
            }
        }
    }
    for (out, a) in outs.iter_mut().zip(made) {
        **out = a;
    }
    *count = n;
    Ok(())
}

/// Checks and clears the outputs of a map result (so they are NULL and 0 after an error).
fn clear_outputs<'a>(
    arrays: &[*mut *mut *mut c_char],
    names: &[&str],
    count: *mut usize,
) -> Result<(Vec<&'a mut *mut *mut c_char>, &'a mut usize)> {
    let mut outs = Vec::with_capacity(arrays.len());
    for (&a, name) in arrays.iter().zip(names) {
        let out = out_arg(a, name)?;
        *out = std::ptr::null_mut();
        outs.push(out);
    }
    let count = out_arg(count, "count")?;
    *count = 0;
    Ok((outs, count))
}

/// A flat map as two sorted columns.
fn flat_columns(map: &HashMap<String, String>) -> [Vec<&str>; 2] {
    let mut entries: Vec<(&str, &str)> =
        map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    entries.sort_unstable();
    [
        entries.iter().map(|e| e.0).collect(),
        entries.iter().map(|e| e.1).collect(),
    ]
}

/// `INFO EVERYTHING` of the node at `address`: entry `i` is field `keys[i]` = `values[i]` of section
/// `sections[i]` (e.g. "Server", "redis_version", "7.2.4"), `*count` entries sorted by section and field; a
/// section without fields (e.g. "Keyspace" of an empty database) is one entry with an empty key and value. The
/// three arrays and their strings are the caller's: free each array with [`sr_string_array_free`] and `*count`.
#[no_mangle]
pub extern "C" fn sr_get_db_node_info(
    c_client: *mut c_void,
    address: *const c_char,
    address_length: usize,
    sections: *mut *mut *mut c_char,
    keys: *mut *mut *mut c_char,
    values: *mut *mut *mut c_char,
    count: *mut usize,
) -> SRError {
    guard("sr_get_db_node_info", || {
        let (mut outs, count) = clear_outputs(
            &[sections, keys, values],
            &["sections", "keys", "values"],
            count,
        )?;
        let c = client_arg(c_client)?;
        let address = str_arg(address, address_length, "address")?;
        let info = c.client.get_db_node_info(address)?;
        let mut entries: Vec<(&str, &str, &str)> = Vec::new();
        for (section, fields) in &info {
            if fields.is_empty() {
                entries.push((section, "", ""));
            }
            entries.extend(
                fields
                    .iter()
                    .map(|(k, v)| (section.as_str(), k.as_str(), v.as_str())),
            );
        }
        entries.sort_unstable();
        let columns: [Vec<&str>; 3] = [
            entries.iter().map(|e| e.0).collect(),
            entries.iter().map(|e| e.1).collect(),
            entries.iter().map(|e| e.2).collect(),
        ];
        write_columns(&columns, &mut outs, count)
    })
}

/// `CLUSTER INFO` of the node at `address` as `keys[i]` = `values[i]` (`*count` entries sorted by key; free both
/// arrays with [`sr_string_array_free`]); a runtime error when the client is not connected to a cluster, as
/// upstream.
#[no_mangle]
pub extern "C" fn sr_get_db_cluster_info(
    c_client: *mut c_void,
    address: *const c_char,
    address_length: usize,
    keys: *mut *mut *mut c_char,
    values: *mut *mut *mut c_char,
    count: *mut usize,
) -> SRError {
    guard("sr_get_db_cluster_info", || {
        let (mut outs, count) = clear_outputs(&[keys, values], &["keys", "values"], count)?;
        let c = client_arg(c_client)?;
        let address = str_arg(address, address_length, "address")?;
        let info = c.client.get_db_cluster_info(address)?;
        write_columns(&flat_columns(&info), &mut outs, count)
    })
}

/// `AI.INFO key [RESETSTAT]` on the node at `address` (no ensemble prefix; in a cluster the node's copy of the
/// model or script) as `keys[i]` = `values[i]` (`*count` entries sorted by key; free both arrays with
/// [`sr_string_array_free`]). With `reset_stat` the statistics are reset and the result is empty. A key without
/// statistics is a runtime error with the server's text.
#[no_mangle]
pub extern "C" fn sr_get_ai_info(
    c_client: *mut c_void,
    address: *const c_char,
    address_length: usize,
    key: *const c_char,
    key_length: usize,
    reset_stat: bool,
    keys: *mut *mut *mut c_char,
    values: *mut *mut *mut c_char,
    count: *mut usize,
) -> SRError {
    guard("sr_get_ai_info", || {
        let (mut outs, count) = clear_outputs(&[keys, values], &["keys", "values"], count)?;
        let c = client_arg(c_client)?;
        let address = str_arg(address, address_length, "address")?;
        let key = super::nonempty_str_arg(key, key_length, "key")?;
        let info = c.client.get_ai_info(address, key, reset_stat)?;
        write_columns(&flat_columns(&info), &mut outs, count)
    })
}

/// `CONFIG GET expression` on the node at `address` as `keys[i]` = `values[i]` (`*count` entries sorted by key;
/// free both arrays with [`sr_string_array_free`]); an unknown parameter gives an empty result (NULL and 0).
#[no_mangle]
pub extern "C" fn sr_config_get(
    c_client: *mut c_void,
    expression: *const c_char,
    expression_length: usize,
    address: *const c_char,
    address_length: usize,
    keys: *mut *mut *mut c_char,
    values: *mut *mut *mut c_char,
    count: *mut usize,
) -> SRError {
    guard("sr_config_get", || {
        let (mut outs, count) = clear_outputs(&[keys, values], &["keys", "values"], count)?;
        let c = client_arg(c_client)?;
        let expression = str_arg(expression, expression_length, "expression")?;
        let address = str_arg(address, address_length, "address")?;
        let config = c.client.config_get(expression, address)?;
        write_columns(&flat_columns(&config), &mut outs, count)
    })
}

/// Frees an array of `count` strings returned by [`sr_get_db_node_info`], [`sr_get_db_cluster_info`],
/// [`sr_get_ai_info`] or [`sr_config_get`] (each string and the array), then sets `*strings` to NULL.
/// `*strings == NULL` is a no-op; `count` must be the count the call returned.
#[no_mangle]
pub extern "C" fn sr_string_array_free(strings: *mut *mut *mut c_char, count: usize) -> SRError {
    guard("sr_string_array_free", || {
        let slot = out_arg(strings, "strings")?;
        // SAFETY: the caller passes an array from one of the functions above with its count.
        unsafe { free_strings(*slot, count) };
        *slot = std::ptr::null_mut();
        Ok(())
    })
}

/// `FLUSHDB` on the node at `address`: deletes every key it holds.
#[no_mangle]
pub extern "C" fn sr_flush_db(
    c_client: *mut c_void,
    address: *const c_char,
    address_length: usize,
) -> SRError {
    guard("sr_flush_db", || {
        let c = client_arg(c_client)?;
        let address = str_arg(address, address_length, "address")?;
        c.client.flush_db(address)
    })
}

/// `CONFIG SET parameter value` on the node at `address`; a refused setting is a runtime error with the
/// server's text.
#[no_mangle]
pub extern "C" fn sr_config_set(
    c_client: *mut c_void,
    parameter: *const c_char,
    parameter_length: usize,
    value: *const c_char,
    value_length: usize,
    address: *const c_char,
    address_length: usize,
) -> SRError {
    guard("sr_config_set", || {
        let c = client_arg(c_client)?;
        let parameter = str_arg(parameter, parameter_length, "parameter")?;
        let value = str_arg(value, value_length, "value")?;
        let address = str_arg(address, address_length, "address")?;
        c.client.config_set(parameter, value, address)
    })
}

/// `SAVE` on the node at `address` (a synchronous snapshot).
#[no_mangle]
pub extern "C" fn sr_save(
    c_client: *mut c_void,
    address: *const c_char,
    address_length: usize,
) -> SRError {
    guard("sr_save", || {
        let c = client_arg(c_client)?;
        let address = str_arg(address, address_length, "address")?;
        c.client.save(address)
    })
}
