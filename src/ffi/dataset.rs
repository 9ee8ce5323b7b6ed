//! `c_dataset.h`: building and reading datasets from C.
//!
//! A dataset handle is created by [`CDataSet`] (or `get_dataset`) and owned by the caller, who frees it with
//! [`DeallocateDataSet`]. As upstream, memory returned by the getters (`get_dataset_tensor`, `get_meta_scalars`,
//! `get_meta_strings`, `get_tensor_names`, `get_metadata_field_names`) belongs to the dataset and stays valid
//! until the dataset is freed; every call keeps its own copy. Names are `(pointer, length)` pairs that need not be
//! NUL-terminated and must be valid UTF-8 and not empty.

use std::any::Any;
use std::ffi::{c_char, c_void, CString};

use super::client::{dtype_arg, layout_arg, tensor_dest, tensor_in, tensor_output};
use super::{
    bytes_arg, free_handle_at, guard, guard_or, handle_exclusive, new_handle, out_arg, slice_arg,
    str_arg, to_cstring, CMemoryLayout, CMetaDataType, CTensorType, HandleKind,
};
use crate::dataset::{DataSet, MetaScalar};
use crate::enums::SRMetaDataType;
use crate::error::{Error, Result, SRError};
use crate::logging::LogSource;
use crate::tensor::AlignedBytes;

/// What a dataset handle points to.
pub(crate) struct DataSetHandle {
    pub(crate) ds: DataSet,
    /// Memory handed out by the getters, kept until the dataset is freed (upstream's ownership rule).
    outputs: Vec<Box<dyn Any>>,
    /// The text returned by `dataset_to_string`.
    description: CString,
}

impl HandleKind for DataSetHandle {
    const MAGIC: u64 = u64::from_be_bytes(*b"SRDATSET");
    const KIND: &'static str = "DataSet";
}

impl LogSource for DataSetHandle {
    fn log_context(&self) -> &str {
        self.ds.name()
    }
}

impl DataSetHandle {
    /// Wraps a dataset in a new handle that C owns.
    pub(crate) fn into_handle(ds: DataSet) -> *mut c_void {
        new_handle(DataSetHandle {
            ds,
            outputs: Vec::new(),
            description: CString::default(),
        })
    }

    /// Keeps `value` alive until the dataset is freed.
    fn keep<T: 'static>(&mut self, value: T) {
        self.outputs.push(Box::new(value));
    }
}

/// Borrows the dataset behind a handle (checking NULL and the handle kind) for the rest of the call, refusing it
/// while another thread uses it ("dataset in use by another thread"), as for clients.
pub(crate) fn dataset_arg<'a>(dataset: *mut c_void, name: &str) -> Result<&'a mut DataSetHandle> {
    handle_exclusive::<DataSetHandle>(dataset, name)
}

/// Borrows a non-empty name.
fn name_arg<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str> {
    let s = str_arg(ptr, len, what)?;
    if s.is_empty() {
        return Err(Error::Parameter(format!("{what} must not be empty")));
    }
    Ok(s)
}

/// NUL-terminated copies of `items`, their pointer table and lengths, kept by the dataset.
struct StringsOut {
    _bufs: Vec<Vec<u8>>,
    ptrs: Vec<*mut c_char>,
    lens: Vec<usize>,
}

/// Hands `items` to C as `(char** data, size_t n, size_t* lengths)`; with `null_if_empty`, no items give NULL
/// arrays (upstream's `get_tensor_names`).
fn strings_out(
    h: &mut DataSetHandle,
    items: Vec<Vec<u8>>,
    data: *mut *mut *mut c_char,
    n_strings: *mut usize,
    lengths: *mut *mut usize,
    null_if_empty: bool,
) -> Result<()> {
    let data = out_arg(data, "data")?;
    let n_strings = out_arg(n_strings, "n_strings")?;
    let lengths = out_arg(lengths, "lengths")?;
    if items.is_empty() && null_if_empty {
        *data = std::ptr::null_mut();
        *lengths = std::ptr::null_mut();
        *n_strings = 0;
        return Ok(());
    }
    let lens: Vec<usize> = items.iter().map(Vec::len).collect();
    let mut bufs: Vec<Vec<u8>> = items
        .into_iter()
        .map(|mut b| {
            b.push(0);
            b
        })
        .collect();
    let ptrs: Vec<*mut c_char> = bufs.iter_mut().map(|b| b.as_mut_ptr().cast()).collect();
    let mut out = StringsOut {
        _bufs: bufs,
        ptrs,
        lens,
    };
    *data = out.ptrs.as_mut_ptr();
    *lengths = out.lens.as_mut_ptr();
    *n_strings = out.ptrs.len();
    h.keep(out);
    Ok(())
}

/// Creates an empty dataset called `name`. On success `*new_dataset` is a new handle; free it with
/// [`DeallocateDataSet`].
#[no_mangle]
pub extern "C" fn CDataSet(
    name: *const c_char,
    name_length: usize,
    new_dataset: *mut *mut c_void,
) -> SRError {
    guard("CDataSet", || {
        let name = name_arg(name, name_length, "name")?;
        let out = out_arg(new_dataset, "new_dataset")?;
        *out = DataSetHandle::into_handle(DataSet::new(name)?);
        Ok(())
    })
}

/// Frees the dataset at `*dataset` and all memory its getters handed out, then sets `*dataset` to NULL.
/// `*dataset == NULL` is a no-op; `dataset == NULL` is a parameter error.
#[no_mangle]
pub extern "C" fn DeallocateDataSet(dataset: *mut *mut c_void) -> SRError {
    guard("DeallocateDataSet", || {
        free_handle_at::<DataSetHandle>(dataset, "dataset")
    })
}

/// Adds a copy of a tensor to the dataset under `name` (which must be new). `data` holds
/// `dims[0] * ... * dims[n_dims-1]` elements of `type` in `mem_layout` (`SRMemLayoutContiguous`,
/// `SRMemLayoutFortranContiguous` or `SRMemLayoutNested`); it is only read, and may be freed after the call.
#[no_mangle]
pub extern "C" fn add_tensor(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
    data: *mut c_void,
    dims: *const usize,
    n_dims: usize,
    type_: CTensorType,
    mem_layout: CMemoryLayout,
) -> SRError {
    guard("add_tensor", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_length, "name")?;
        let dims = slice_arg(dims, n_dims, "dims")?;
        let dtype = dtype_arg(type_)?;
        let layout = layout_arg(mem_layout)?;
        if data.is_null() {
            return Err(Error::Runtime(
                "Must provide non-Null pointer to data.".into(),
            ));
        }
        let tensor = tensor_in(data.cast_const(), dims, dtype, layout)?;
        h.ds.add_tensor(name, &tensor)
    })
}

/// Appends one scalar of `type` (read from `*data`) to metadata field `name`, creating the field if needed.
/// A field of another type, or `SRMetadataTypeString`, is a runtime error.
#[no_mangle]
pub extern "C" fn add_meta_scalar(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
    data: *const c_void,
    type_: CMetaDataType,
) -> SRError {
    guard("add_meta_scalar", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_length, "name")?;
        let t = SRMetaDataType::try_from(type_)?;
        let size = MetaScalar::size_of(t);
        if size == 0 {
            return Err(Error::Runtime(
                "Invalid MetaDataType used in MetaData.add_scalar().".into(),
            ));
        }
        let bytes = bytes_arg(data.cast(), size, "data")?;
        h.ds.add_meta_scalar(name, MetaScalar::from_ne_bytes(t, bytes)?)
    })
}

/// Appends the string `data` (`data_length` bytes, any content) to string field `name`, creating it if needed.
#[no_mangle]
pub extern "C" fn add_meta_string(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
    data: *const c_char,
    data_length: usize,
) -> SRError {
    guard("add_meta_string", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_length, "name")?;
        let bytes = bytes_arg(data.cast(), data_length, "data")?;
        h.ds.add_meta_string(name, bytes)
    })
}

/// Gives tensor `name` in `mem_layout` (`Contiguous`, `FortranContiguous`, or `Nested`: a pointer tree).
/// `*data`, `*dims`, `*n_dims` and `*type` describe it; the memory belongs to the dataset and stays valid until
/// it is freed. A missing tensor is a key error.
#[no_mangle]
pub extern "C" fn get_dataset_tensor(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
    data: *mut *mut c_void,
    dims: *mut *mut usize,
    n_dims: *mut usize,
    type_: *mut CTensorType,
    mem_layout: CMemoryLayout,
) -> SRError {
    guard("get_dataset_tensor", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_length, "name")?;
        let ds = &h.ds;
        let out = tensor_output(data, dims, n_dims, type_, mem_layout, |layout| {
            ds.get_tensor(name, layout)
        })?;
        h.keep(out);
        Ok(())
    })
}

/// Copies tensor `name` into caller memory `data` of `type`, `dims` and `mem_layout` (for the contiguous layouts
/// `dims` may also be the single total element count). A type or shape mismatch is a runtime error and leaves
/// `data` untouched; a missing tensor is a key error.
#[no_mangle]
pub extern "C" fn unpack_dataset_tensor(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
    data: *mut c_void,
    dims: *const usize,
    n_dims: usize,
    type_: CTensorType,
    mem_layout: CMemoryLayout,
) -> SRError {
    guard("unpack_dataset_tensor", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_length, "name")?;
        let dims = slice_arg(dims, n_dims, "dims")?;
        let dtype = dtype_arg(type_)?;
        let layout = layout_arg(mem_layout)?;
        if data.is_null() {
            return Err(super::null_error("data"));
        }
        let dest = tensor_dest(data, dims, dtype, layout)?;
        h.ds.unpack_tensor(name, dest)
    })
}

/// Gives the values of scalar field `name`: `*length` values of `*type` at `*scalar_data` (memory owned by the
/// dataset). A missing field is a key error; a string field a runtime error.
#[no_mangle]
pub extern "C" fn get_meta_scalars(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
    length: *mut usize,
    type_: *mut CMetaDataType,
    scalar_data: *mut *mut c_void,
) -> SRError {
    guard("get_meta_scalars", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_length, "name")?;
        let length = out_arg(length, "length")?;
        let type_ = out_arg(type_, "type")?;
        let scalar_data = out_arg(scalar_data, "scalar_data")?;
        let values = h.ds.get_meta_scalars(name)?;
        let bytes = values.encode();
        let payload = bytes.get(1..).unwrap_or(&[]);
        let mut kept = AlignedBytes::zeroed(payload.len())?;
        kept.as_bytes_mut().copy_from_slice(payload);
        *length = values.len();
        *type_ = crate::dataset::meta_type(values) as CMetaDataType;
        *scalar_data = kept.as_bytes_mut().as_mut_ptr().cast();
        h.keep(kept);
        Ok(())
    })
}

/// Gives the strings of string field `name`: `*n_strings` NUL-terminated copies at `*data`, their lengths
/// (without the NUL) at `*lengths`; memory owned by the dataset. A missing field is a key error; a scalar field a
/// runtime error.
#[no_mangle]
pub extern "C" fn get_meta_strings(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
    data: *mut *mut *mut c_char,
    n_strings: *mut usize,
    lengths: *mut *mut usize,
) -> SRError {
    guard("get_meta_strings", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_length, "name")?;
        let items = h.ds.get_meta_strings(name)?.to_vec();
        strings_out(h, items, data, n_strings, lengths, false)
    })
}

/// Gives the tensor names in insertion order, as [`get_meta_strings`] gives strings; with no tensors `*data`
/// and `*lengths` are NULL and `*n_strings` is 0.
#[no_mangle]
pub extern "C" fn get_tensor_names(
    dataset: *mut c_void,
    data: *mut *mut *mut c_char,
    n_strings: *mut usize,
    lengths: *mut *mut usize,
) -> SRError {
    guard("get_tensor_names", || {
        let h = dataset_arg(dataset, "dataset")?;
        let items =
            h.ds.tensor_names()
                .iter()
                .map(|n| n.as_bytes().to_vec())
                .collect();
        strings_out(h, items, data, n_strings, lengths, true)
    })
}

/// Writes the type of tensor `name` to `*ttype`. A missing tensor is a key error.
#[no_mangle]
pub extern "C" fn get_tensor_type(
    dataset: *mut c_void,
    name: *const c_char,
    name_len: usize,
    ttype: *mut CTensorType,
) -> SRError {
    guard("get_tensor_type", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_len, "name")?;
        let ttype = out_arg(ttype, "ttype")?;
        *ttype = h.ds.tensor_type(name)? as CTensorType;
        Ok(())
    })
}

/// Writes the dimensions of tensor `name` into the caller's array `*dims`, which has room for `*ndims` values;
/// `*ndims` becomes the number of dimensions. When the array is too small, `*ndims` is set to the number needed
/// and `SRBadAllocError` is returned. A missing tensor is a key error.
#[no_mangle]
pub extern "C" fn get_tensor_dims(
    dataset: *mut c_void,
    name: *const c_char,
    name_len: usize,
    dims: *mut *mut usize,
    ndims: *mut usize,
) -> SRError {
    guard("get_tensor_dims", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_len, "name")?;
        let dims = out_arg(dims, "dims")?;
        let ndims = out_arg(ndims, "ndims")?;
        let got = h.ds.tensor_dims(name)?;
        if *ndims < got.len() {
            *ndims = got.len();
            return Err(Error::BadAlloc(
                "Insufficient space in buffer for tensor dimensions".into(),
            ));
        }
        if got.is_empty() {
            *ndims = 0;
            return Ok(());
        }
        if dims.is_null() {
            return Err(super::null_error("*dims"));
        }
        if !dims.is_aligned() {
            return Err(Error::Parameter("*dims is not aligned for size_t".into()));
        }
        // SAFETY: the caller promises `*ndims >= got.len()` writable values at `*dims`.
        let out = unsafe { std::slice::from_raw_parts_mut(*dims, got.len()) };
        out.copy_from_slice(got);
        *ndims = got.len();
        Ok(())
    })
}

/// Gives the names of the metadata fields (without the internal `.tensor_names`), as [`get_meta_strings`] gives
/// strings.
#[no_mangle]
pub extern "C" fn get_metadata_field_names(
    dataset: *mut c_void,
    data: *mut *mut *mut c_char,
    n_strings: *mut usize,
    lengths: *mut *mut usize,
) -> SRError {
    guard("get_metadata_field_names", || {
        let h = dataset_arg(dataset, "dataset")?;
        let items =
            h.ds.metadata_field_names()
                .iter()
                .map(|n| n.as_bytes().to_vec())
                .collect();
        strings_out(h, items, data, n_strings, lengths, false)
    })
}

/// Writes the type of metadata field `name` to `*mdtype`. A missing field is a key error.
#[no_mangle]
pub extern "C" fn get_metadata_field_type(
    dataset: *mut c_void,
    name: *const c_char,
    name_len: usize,
    mdtype: *mut CMetaDataType,
) -> SRError {
    guard("get_metadata_field_type", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = name_arg(name, name_len, "name")?;
        let mdtype = out_arg(mdtype, "mdtype")?;
        *mdtype = h.ds.metadata_field_type(name)? as CMetaDataType;
        Ok(())
    })
}

/// Not in upstream's C API (its C++ `DataSet` copy constructor): a deep copy of `dataset` (tensors and
/// metadata, not the memory its getters handed out) into a new handle at `*new_dataset`, freed with
/// [`DeallocateDataSet`].
#[no_mangle]
pub extern "C" fn sr_dataset_clone(dataset: *mut c_void, new_dataset: *mut *mut c_void) -> SRError {
    guard("sr_dataset_clone", || {
        let h = dataset_arg(dataset, "dataset")?;
        let out = out_arg(new_dataset, "new_dataset")?;
        *out = DataSetHandle::into_handle(h.ds.clone());
        Ok(())
    })
}

/// Not in upstream's C API (C++ `DataSet::has_field`): whether metadata field `name` exists.
#[no_mangle]
pub extern "C" fn sr_dataset_has_field(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
    has_field: *mut bool,
) -> SRError {
    guard("sr_dataset_has_field", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = str_arg(name, name_length, "name")?;
        *out_arg(has_field, "has_field")? = h.ds.has_field(name);
        Ok(())
    })
}

/// Not in upstream's C API (C++ `DataSet::clear_field`): removes metadata field `name` (no-op if absent).
#[no_mangle]
pub extern "C" fn sr_dataset_clear_field(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
) -> SRError {
    guard("sr_dataset_clear_field", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = str_arg(name, name_length, "name")?;
        h.ds.clear_field(name);
        Ok(())
    })
}

/// Not in upstream's C API (C++ `DataSet::set_name`): renames the dataset object (an empty name is a parameter
/// error); what is stored under the old name is untouched.
#[no_mangle]
pub extern "C" fn sr_dataset_set_name(
    dataset: *mut c_void,
    name: *const c_char,
    name_length: usize,
) -> SRError {
    guard("sr_dataset_set_name", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = str_arg(name, name_length, "name")?;
        h.ds.set_name(name)
    })
}

/// Not in upstream's C API (C++ `DataSet::get_name`): `*name` points to the dataset's name (not
/// NUL-terminated, `*name_length` bytes), owned by the dataset and valid until it is renamed or freed.
#[no_mangle]
pub extern "C" fn sr_dataset_get_name(
    dataset: *mut c_void,
    name: *mut *const c_char,
    name_length: *mut usize,
) -> SRError {
    guard("sr_dataset_get_name", || {
        let h = dataset_arg(dataset, "dataset")?;
        let name = out_arg(name, "name")?;
        let name_length = out_arg(name_length, "name_length")?;
        *name = h.ds.name().as_ptr().cast();
        *name_length = h.ds.name().len();
        Ok(())
    })
}

thread_local! {
    static TO_STRING_ERROR: std::cell::RefCell<CString> = std::cell::RefCell::new(CString::default());
}

/// A description of the dataset (`"DataSet (<name>):\n"`, its tensors and metadata fields). The string belongs
/// to the dataset and stays valid until the next call on it or its deallocation (upstream: one static buffer
/// shared by every dataset). On error the error text is returned instead.
#[no_mangle]
pub extern "C" fn dataset_to_string(dataset: *mut c_void) -> *const c_char {
    guard_or(
        "dataset_to_string",
        |e: &Error| {
            TO_STRING_ERROR.with(|cell| {
                *cell.borrow_mut() = to_cstring(e.message());
                cell.borrow().as_ptr()
            })
        },
        || {
            let h = dataset_arg(dataset, "dataset")?;
            h.description = to_cstring(&h.ds.describe());
            Ok(h.description.as_ptr())
        },
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::ffi::CStr;

    /// A new dataset handle named `name` (`CDataSet`), for tests.
    pub(crate) fn new_dataset(name: &CStr) -> *mut c_void {
        let mut h: *mut c_void = std::ptr::null_mut();
        let n = name.to_bytes().len();
        assert_eq!(CDataSet(name.as_ptr(), n, &mut h), SRError::SRNoError);
        h
    }

    #[test]
    fn build_and_read_back() {
        let mut h = new_dataset(c"ds");
        let v = [1.0f64, 2.0, 3.0, 4.0];
        let dims = [2usize, 2];
        assert_eq!(
            add_tensor(
                h,
                c"t".as_ptr(),
                1,
                v.as_ptr() as *mut c_void,
                dims.as_ptr(),
                2,
                1,
                2
            ),
            SRError::SRNoError
        );
        let x = 7u32;
        assert_eq!(
            add_meta_scalar(h, c"m".as_ptr(), 1, (&x as *const u32).cast(), 5),
            SRError::SRNoError
        );
        let (mut len, mut ty, mut p) = (0usize, 0 as CMetaDataType, std::ptr::null_mut());
        assert_eq!(
            get_meta_scalars(h, c"m".as_ptr(), 1, &mut len, &mut ty, &mut p),
            SRError::SRNoError
        );
        assert_eq!((len, ty), (1, 5));
        assert_eq!(unsafe { *(p as *const u32) }, 7);
        let mut small = [0usize; 1];
        let mut sp = small.as_mut_ptr();
        let mut n = 1usize;
        assert_eq!(
            get_tensor_dims(h, c"t".as_ptr(), 1, &mut sp, &mut n),
            SRError::SRBadAllocError
        );
        assert_eq!(n, 2);
        let mut t = 0 as CTensorType;
        assert_eq!(
            get_tensor_type(h, c"u".as_ptr(), 1, &mut t),
            SRError::SRKeyError
        );
        let s = unsafe { std::ffi::CStr::from_ptr(dataset_to_string(h)) };
        assert!(s.to_str().unwrap().starts_with("DataSet (ds):"));
        assert_eq!(DeallocateDataSet(&mut h), SRError::SRNoError);
        assert!(h.is_null());
    }
}
