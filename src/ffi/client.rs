//! `c_client.h`: the client functions for construction, tensors, keys and ensemble prefixes.
//!
//! A client handle is created by [`SimpleCreateClient`], [`CreateClient`] or [`SmartRedisCClient`] and owned by
//! the caller, who frees it with [`DeleteCClient`]. Names are `(pointer, length)` pairs, need not be
//! NUL-terminated, and must be valid UTF-8. Enum arguments are checked: an unknown value is a parameter error.
//! A handle must not be used by two threads at once (as upstream).

use std::ffi::{c_char, c_int, c_void, CString};

use super::configoptions::config_options as config_options_arg;
use super::{
    bytes_arg, free_handle_at, guard, guard_or, new_handle, out_arg, slice_arg, str_arg,
    to_cstring, CMemoryLayout, CTensorType, HandleKind,
};
use crate::client::{Client, Entity};
use crate::enums::{SRMemoryLayout, SRTensorType};
use crate::error::{Error, Result, SRError};
use crate::logging::LogSource;
use crate::tensor::layout::element_count;
use crate::tensor::{AlignedBytes, DType, Layout, Tensor, TensorMut, TensorRef};

/// Memory handed out by `get_tensor` and `get_dataset_tensor`: the elements, the dims and, for nested results,
/// the pointer tables. The handle that produced it keeps it alive (upstream's ownership rule).
pub(crate) struct TensorOutput {
    _data: AlignedBytes,
    dims: Vec<usize>,
    _tables: Vec<Vec<*mut c_void>>,
}

/// The body of the C tensor getters after the name is checked: checks the out-pointers and `mem_layout`, fetches
/// the tensor with `fetch` (a nested result is fetched row-major and given pointer tables), then writes `*data`,
/// `*dims`, `*n_dims` and `*type_` (only on success). Returns the memory the caller's handle must keep.
pub(crate) fn tensor_output(
    data: *mut *mut c_void,
    dims: *mut *mut usize,
    n_dims: *mut usize,
    type_: *mut CTensorType,
    mem_layout: CMemoryLayout,
    fetch: impl FnOnce(Layout) -> Result<Tensor>,
) -> Result<TensorOutput> {
    let data = out_arg(data, "data")?;
    let dims = out_arg(dims, "dims")?;
    let n_dims = out_arg(n_dims, "n_dims")?;
    let type_ = out_arg(type_, "type")?;
    let layout = layout_arg(mem_layout)?;
    let nested = layout == Layout::Nested;
    let mut t = fetch(if nested { Layout::Contiguous } else { layout })?;
    let mut tables = Vec::new();
    let base = t.data.as_bytes_mut().as_mut_ptr();
    let root = if nested {
        nested_tables(base, &t.dims, t.dtype.size(), &mut tables)
    } else {
        base.cast()
    };
    let mut out = TensorOutput {
        _data: t.data,
        dims: t.dims,
        _tables: tables,
    };
    *data = root;
    *dims = out.dims.as_mut_ptr();
    *n_dims = out.dims.len();
    *type_ = t.dtype.sr() as CTensorType;
    Ok(out)
}

/// What a client handle points to.
pub(crate) struct CClient {
    pub(crate) client: Client,
    /// Every `get_tensor` result, kept until the client is deleted (upstream's ownership rule).
    outputs: Vec<TensorOutput>,
    /// The last `get_model`/`get_script` result per name (NUL-terminated), kept until the next such call for
    /// that name or the client's deletion.
    pub(crate) blobs: std::collections::HashMap<(u8, String), Vec<u8>>,
    /// The text returned by `client_to_string`.
    description: CString,
}

impl HandleKind for CClient {
    const MAGIC: u64 = u64::from_be_bytes(*b"SRCLIENT");
    const KIND: &'static str = "Client";
}

impl LogSource for CClient {
    fn log_context(&self) -> &str {
        self.client.name()
    }
}

pub(crate) fn client_arg<'a>(c_client: *mut c_void) -> Result<&'a mut CClient> {
    super::handle_exclusive::<CClient>(c_client, "c_client")
}

pub(crate) fn store_client(
    new_client: *mut *mut c_void,
    make: impl FnOnce() -> Result<Client>,
) -> Result<()> {
    let out = out_arg(new_client, "new_client")?;
    let client = make()?;
    *out = new_handle(CClient {
        client,
        outputs: Vec::new(),
        blobs: std::collections::HashMap::new(),
        description: CString::default(),
    });
    Ok(())
}

/// Creates a client configured from the environment (`SSDB`, `SR_DB_TYPE`, ...), logging as `logger_name`.
/// On success `*new_client` is a new handle; free it with [`DeleteCClient`].
#[no_mangle]
pub extern "C" fn SimpleCreateClient(
    logger_name: *const c_char,
    logger_name_length: usize,
    new_client: *mut *mut c_void,
) -> SRError {
    guard("SimpleCreateClient", || {
        let name = str_arg(logger_name, logger_name_length, "logger_name")?;
        store_client(new_client, || Client::new(None, name))
    })
}

/// Creates a client configured by `config_options` (a ConfigOptions handle, which is only read: the caller
/// still owns and frees it). On success `*new_client` is a new handle; free it with [`DeleteCClient`].
#[no_mangle]
pub extern "C" fn CreateClient(
    config_options: *mut c_void,
    logger_name: *const c_char,
    logger_name_length: usize,
    new_client: *mut *mut c_void,
) -> SRError {
    guard("CreateClient", || {
        let cfg = config_options_arg(config_options, "config_options")?;
        let name = str_arg(logger_name, logger_name_length, "logger_name")?;
        store_client(new_client, || Client::new(Some(cfg), name))
    })
}

/// Deprecated: creates a client of a cluster (`cluster` true) or a standalone server, ignoring `SR_DB_TYPE`.
#[no_mangle]
pub extern "C" fn SmartRedisCClient(
    cluster: bool,
    logger_name: *const c_char,
    logger_name_length: usize,
    new_client: *mut *mut c_void,
) -> SRError {
    guard("SmartRedisCClient", || {
        let name = str_arg(logger_name, logger_name_length, "logger_name")?;
        store_client(new_client, || Client::with_cluster_flag(cluster, name))
    })
}

/// Deletes the client at `*c_client` and everything it handed out (`get_tensor` results), then sets
/// `*c_client` to NULL. `*c_client == NULL` is a no-op; `c_client == NULL` is a parameter error.
/// Setting `*c_client` to NULL makes a second `DeleteCClient(&p)` on the same variable harmless; using or
/// deleting the client through another copy of the pointer after it was deleted is undefined behaviour, as with
/// any C API (it is not reliably detected).
#[no_mangle]
pub extern "C" fn DeleteCClient(c_client: *mut *mut c_void) -> SRError {
    guard("DeleteCClient", || {
        free_handle_at::<CClient>(c_client, "c_client")
    })
}

pub(crate) fn dtype_arg(t: CTensorType) -> Result<DType> {
    DType::new(SRTensorType::try_from(t)?)
}

pub(crate) fn layout_arg(l: CMemoryLayout) -> Result<Layout> {
    Layout::new(SRMemoryLayout::try_from(l)?)
}

/// Stores a tensor under `name` (prefixed with `SSKEYOUT` when ensemble prefixing applies).
///
/// `data` holds `dims[0] * ... * dims[n_dims-1]` elements of `type`, laid out as `mem_layout` says:
/// `SRMemLayoutContiguous` (row-major, sent without a copy), `SRMemLayoutFortranContiguous` (column-major,
/// transposed on the way) or `SRMemLayoutNested` (pointer arrays `n_dims-1` levels deep). `data` is only read.
#[no_mangle]
pub extern "C" fn put_tensor(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    data: *mut c_void,
    dims: *const usize,
    n_dims: usize,
    type_: CTensorType,
    mem_layout: CMemoryLayout,
) -> SRError {
    guard("put_tensor", || {
        let c = client_arg(c_client)?;
        let name = str_arg(name, name_length, "name")?;
        let dims = slice_arg(dims, n_dims, "dims")?;
        let dtype = dtype_arg(type_)?;
        let layout = layout_arg(mem_layout)?;
        if data.is_null() {
            return Err(super::null_error("data"));
        }
        let tensor = tensor_in(data.cast_const(), dims, dtype, layout)?;
        c.client.put_tensor(name, &tensor)
    })
}

/// Borrows caller memory `data` (non-NULL; callers report NULL in their own words) as a tensor of `dtype`, `dims`
/// and `layout`, as the tensor setters receive it.
pub(crate) fn tensor_in<'a>(
    data: *const c_void,
    dims: &'a [usize],
    dtype: DType,
    layout: Layout,
) -> Result<TensorRef<'a>> {
    match layout {
        // SAFETY: the caller promises a pointer tree of this shape and type.
        Layout::Nested => unsafe { TensorRef::from_nested(dtype, dims, data) },
        _ => {
            let n = element_count(dims, dtype.size(), "dims")?;
            let bytes = bytes_arg(data.cast(), n * dtype.size(), "data")?;
            TensorRef::from_bytes(dtype, dims, layout, bytes)
        }
    }
}

/// Borrows writable caller memory `data` (non-NULL, checked by the caller) as the destination of an unpack.
pub(crate) fn tensor_dest<'a>(
    data: *mut c_void,
    dims: &'a [usize],
    dtype: DType,
    layout: Layout,
) -> Result<TensorMut<'a>> {
    match layout {
        // SAFETY: the caller promises a writable pointer tree of this shape and type.
        Layout::Nested => unsafe { TensorMut::from_nested(dtype, dims, data) },
        _ => {
            let n = element_count(dims, dtype.size(), "dims")?;
            // SAFETY: the caller promises `n` writable elements at `data`, not aliased during the call.
            let bytes =
                unsafe { std::slice::from_raw_parts_mut(data.cast::<u8>(), n * dtype.size()) };
            TensorMut::from_bytes(dtype, dims, layout, bytes)
        }
    }
}

/// Builds the pointer tables of a nested view over row-major `data`; returns the root.
pub(crate) fn nested_tables(
    data: *mut u8,
    dims: &[usize],
    es: usize,
    tables: &mut Vec<Vec<*mut c_void>>,
) -> *mut c_void {
    let n = dims.len();
    // A scalar (no dimensions) or a vector: the data itself.
    if n <= 1 {
        return data.cast();
    }
    let row_bytes = dims[n - 1] * es;
    let rows: usize = dims[..n - 1].iter().product();
    // SAFETY (all `add`s): offsets stay inside `data`, which holds `rows * row_bytes` bytes.
    let mut current: Vec<*mut c_void> = (0..rows)
        .map(|i| unsafe { data.add(i * row_bytes) }.cast())
        .collect();
    for k in (1..n - 1).rev() {
        let count: usize = dims[..k].iter().product();
        let parent: Vec<*mut c_void> = (0..count)
            .map(|i| unsafe { current.as_mut_ptr().add(i * dims[k]) }.cast())
            .collect();
        tables.push(current);
        current = parent;
    }
    let root = current.as_mut_ptr().cast();
    tables.push(current);
    root
}

/// Fetches tensor `name` (with the `SSKEYIN` data source prefix when ensemble prefixing applies) into memory
/// owned by the client, in `mem_layout` (`Contiguous`, `FortranContiguous`, or `Nested`: a pointer tree).
///
/// On success `*data`, `*dims`, `*n_dims` and `*type` describe it. As upstream, the memory behind `*data` and
/// `*dims` belongs to the client and stays valid until [`DeleteCClient`]; every call keeps its own copy. The
/// dims are the stored shape (also for `FortranContiguous`). Outputs are written only on success.
#[no_mangle]
pub extern "C" fn get_tensor(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    data: *mut *mut c_void,
    dims: *mut *mut usize,
    n_dims: *mut usize,
    type_: *mut CTensorType,
    mem_layout: CMemoryLayout,
) -> SRError {
    guard("get_tensor", || {
        let c = client_arg(c_client)?;
        let name = str_arg(name, name_length, "name")?;
        let client = &mut c.client;
        let out = tensor_output(data, dims, n_dims, type_, mem_layout, |layout| {
            client.get_tensor(name, layout)
        })?;
        c.outputs.push(out);
        Ok(())
    })
}

/// Fetches tensor `name` into caller memory `result`, which has `mem_layout` and holds a tensor of `type` and
/// `dims` (for `SRMemLayoutContiguous`, `dims` may also be the single total element count, as upstream requires).
/// The stored type and shape are checked first (runtime error on mismatch, `result` untouched); the payload is then
/// read from the socket straight into `result` (transposed for `FortranContiguous`), without an intermediate
/// copy. So when the transfer fails once it has begun (timeout, dropped connection, error code returned),
/// the contents of `result` are unspecified: some of it may have been overwritten with part of the tensor.
#[no_mangle]
pub extern "C" fn unpack_tensor(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    result: *mut c_void,
    dims: *const usize,
    n_dims: usize,
    type_: CTensorType,
    mem_layout: CMemoryLayout,
) -> SRError {
    guard("unpack_tensor", || {
        let c = client_arg(c_client)?;
        let name = str_arg(name, name_length, "name")?;
        let dims = slice_arg(dims, n_dims, "dims")?;
        let dtype = dtype_arg(type_)?;
        let layout = layout_arg(mem_layout)?;
        if result.is_null() {
            return Err(super::null_error("result"));
        }
        let dest = tensor_dest(result, dims, dtype, layout)?;
        c.client.unpack_tensor(name, dest)
    })
}

/// Renames a tensor (`RENAME`, or copy + `UNLINK` across cluster slots).
#[no_mangle]
pub extern "C" fn rename_tensor(
    c_client: *mut c_void,
    old_name: *const c_char,
    old_name_length: usize,
    new_name: *const c_char,
    new_name_length: usize,
) -> SRError {
    guard("rename_tensor", || {
        let c = client_arg(c_client)?;
        let old = str_arg(old_name, old_name_length, "old_name")?;
        let new = str_arg(new_name, new_name_length, "new_name")?;
        c.client.rename_tensor(old, new)
    })
}

/// Deletes a tensor; an absent tensor is not an error (as upstream).
#[no_mangle]
pub extern "C" fn delete_tensor(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
) -> SRError {
    guard("delete_tensor", || {
        let c = client_arg(c_client)?;
        let name = str_arg(name, name_length, "name")?;
        c.client.delete_tensor(name)
    })
}

/// Copies a tensor to a new name.
#[no_mangle]
pub extern "C" fn copy_tensor(
    c_client: *mut c_void,
    src_name: *const c_char,
    src_name_length: usize,
    dest_name: *const c_char,
    dest_name_length: usize,
) -> SRError {
    guard("copy_tensor", || {
        let c = client_arg(c_client)?;
        let src = str_arg(src_name, src_name_length, "src_name")?;
        let dst = str_arg(dest_name, dest_name_length, "dest_name")?;
        c.client.copy_tensor(src, dst)
    })
}

/// Whether `key` exists, used as given (never prefixed). `*exists` is written on success.
#[no_mangle]
pub extern "C" fn key_exists(
    c_client: *mut c_void,
    key: *const c_char,
    key_length: usize,
    exists: *mut bool,
) -> SRError {
    guard("key_exists", || {
        let c = client_arg(c_client)?;
        let key = str_arg(key, key_length, "key")?;
        let exists = out_arg(exists, "exists")?;
        *exists = c.client.key_exists(key)?;
        Ok(())
    })
}

/// Whether tensor `name` exists (with the data source prefix when ensemble prefixing applies).
#[no_mangle]
pub extern "C" fn tensor_exists(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    exists: *mut bool,
) -> SRError {
    guard("tensor_exists", || {
        let c = client_arg(c_client)?;
        let name = str_arg(name, name_length, "name")?;
        let exists = out_arg(exists, "exists")?;
        *exists = c.client.tensor_exists(name)?;
        Ok(())
    })
}

/// Checks for `key` (never prefixed) up to `num_tries` times, `poll_frequency_ms` apart; `*exists` says whether
/// it was found.
#[no_mangle]
pub extern "C" fn poll_key(
    c_client: *mut c_void,
    key: *const c_char,
    key_length: usize,
    poll_frequency_ms: c_int,
    num_tries: c_int,
    exists: *mut bool,
) -> SRError {
    guard("poll_key", || {
        let c = client_arg(c_client)?;
        let key = str_arg(key, key_length, "key")?;
        let exists = out_arg(exists, "exists")?;
        *exists = c.client.poll_key(key, poll_frequency_ms, num_tries)?;
        Ok(())
    })
}

/// Checks for tensor `name` up to `num_tries` times, `poll_frequency_ms` apart.
#[no_mangle]
pub extern "C" fn poll_tensor(
    c_client: *mut c_void,
    name: *const c_char,
    name_length: usize,
    poll_frequency_ms: c_int,
    num_tries: c_int,
    exists: *mut bool,
) -> SRError {
    guard("poll_tensor", || {
        let c = client_arg(c_client)?;
        let name = str_arg(name, name_length, "name")?;
        let exists = out_arg(exists, "exists")?;
        *exists = c.client.poll_tensor(name, poll_frequency_ms, num_tries)?;
        Ok(())
    })
}

/// Selects the `SSKEYIN` entry that prefixes reads; it must be one of the configured entries.
#[no_mangle]
pub extern "C" fn set_data_source(
    c_client: *mut c_void,
    source_id: *const c_char,
    source_id_length: usize,
) -> SRError {
    guard("set_data_source", || {
        let c = client_arg(c_client)?;
        let id = str_arg(source_id, source_id_length, "source_id")?;
        c.client.set_data_source(id)
    })
}

fn use_prefix(function: &str, c_client: *mut c_void, entity: Entity, use_prefix: bool) -> SRError {
    guard(function, || {
        client_arg(c_client)?
            .client
            .use_ensemble_prefix(entity, use_prefix);
        Ok(())
    })
}

/// Turns ensemble prefixing of tensor keys on or off (default on).
#[no_mangle]
pub extern "C" fn use_tensor_ensemble_prefix(c_client: *mut c_void, use_prefix_: bool) -> SRError {
    use_prefix(
        "use_tensor_ensemble_prefix",
        c_client,
        Entity::Tensor,
        use_prefix_,
    )
}

/// Turns ensemble prefixing of dataset keys on or off (default on).
#[no_mangle]
pub extern "C" fn use_dataset_ensemble_prefix(c_client: *mut c_void, use_prefix_: bool) -> SRError {
    use_prefix(
        "use_dataset_ensemble_prefix",
        c_client,
        Entity::Dataset,
        use_prefix_,
    )
}

/// Turns ensemble prefixing of model and script keys on or off (default off).
#[no_mangle]
pub extern "C" fn use_model_ensemble_prefix(c_client: *mut c_void, use_prefix_: bool) -> SRError {
    use_prefix(
        "use_model_ensemble_prefix",
        c_client,
        Entity::Model,
        use_prefix_,
    )
}

/// Turns ensemble prefixing of aggregation list keys on or off (default on).
#[no_mangle]
pub extern "C" fn use_list_ensemble_prefix(c_client: *mut c_void, use_prefix_: bool) -> SRError {
    use_prefix(
        "use_list_ensemble_prefix",
        c_client,
        Entity::List,
        use_prefix_,
    )
}

thread_local! {
    static TO_STRING_ERROR: std::cell::RefCell<CString> = std::cell::RefCell::new(CString::default());
}

/// A description of the client (`"Client (<name>):\n..."`). The string belongs to the client and stays valid
/// until the next call on it or its deletion. On error the error text is returned instead (valid until the next
/// failing `client_to_string` on this thread).
#[no_mangle]
pub extern "C" fn client_to_string(c_client: *mut c_void) -> *const c_char {
    guard_or(
        "client_to_string",
        |e: &Error| {
            TO_STRING_ERROR.with(|cell| {
                *cell.borrow_mut() = to_cstring(e.message());
                cell.borrow().as_ptr()
            })
        },
        || {
            let c = client_arg(c_client)?;
            c.description = to_cstring(&c.client.describe());
            Ok(c.description.as_ptr())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_tables_point_at_rows() {
        let mut data: Vec<u8> = (0..24).collect();
        let mut tables = Vec::new();
        let root = nested_tables(data.as_mut_ptr(), &[2, 3, 4], 1, &mut tables);
        // root[i][j] → row (i*3 + j).
        unsafe {
            let l0 = root.cast::<*mut *mut u8>();
            for i in 0..2 {
                let l1 = *l0.add(i);
                for j in 0..3 {
                    assert_eq!(*(*l1.add(j)), ((i * 3 + j) * 4) as u8);
                }
            }
        }
    }

    #[test]
    fn bad_arguments_are_reported() {
        let mut exists = false;
        assert_eq!(
            key_exists(std::ptr::null_mut(), c"k".as_ptr(), 1, &mut exists),
            SRError::SRParameterError
        );
        assert_eq!(
            DeleteCClient(std::ptr::null_mut()),
            SRError::SRParameterError
        );
        let mut null: *mut c_void = std::ptr::null_mut();
        assert_eq!(DeleteCClient(&mut null), SRError::SRNoError);
    }
}
