//! The stored tensor value: element type, shape and row-major bytes.

use std::os::raw::c_char;
use std::ptr::NonNull;
use std::sync::Arc;

use redis_module::raw;

use super::dtype::DType;

/// A `RedisModuleString` this module holds one reference to (taken with `RedisModule_RetainString` or returned by
/// `RedisModule_LoadString`). The bytes are borrowed from it on each access and never cached, because Redis may
/// trim (reallocate) a retained argument after the command returns.
pub struct HeldString(NonNull<raw::RedisModuleString>);

impl HeldString {
    /// Takes one more reference to `s` (no copy).
    ///
    /// # Safety
    /// `s` must be a valid string and the caller must hold the Redis GIL (main thread).
    pub unsafe fn retain(s: NonNull<raw::RedisModuleString>) -> HeldString {
        raw::string_retain_string(std::ptr::null_mut(), s.as_ptr());
        HeldString(s)
    }

    /// Adopts a string whose single reference the caller owns (e.g. from `RedisModule_LoadString`).
    ///
    /// # Safety
    /// The caller must own that reference; it is released when the `HeldString` is dropped.
    pub unsafe fn adopt(s: NonNull<raw::RedisModuleString>) -> HeldString {
        HeldString(s)
    }

    /// The raw pointer, still owned by `self`.
    pub fn as_ptr(&self) -> *mut raw::RedisModuleString {
        self.0.as_ptr()
    }

    /// The string's bytes.
    pub fn bytes(&self) -> &[u8] {
        let mut len = 0usize;
        let p = raw::string_ptr_len(self.0.as_ptr(), &mut len);
        if p.is_null() || len == 0 {
            return &[];
        }
        // SAFETY: Redis guarantees `len` readable bytes at `p` while the reference is held and nothing mutates it.
        unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }
    }
}

impl Drop for HeldString {
    fn drop(&mut self) {
        // SAFETY: we own exactly one reference; a NULL context frees it outside any auto-memory pool.
        unsafe {
            if let Some(free) = raw::RedisModule_FreeString {
                free(std::ptr::null_mut(), self.0.as_ptr());
            }
        }
    }
}

// SAFETY: the string is never mutated while held, and once the storing command has returned the reference held
// here is the only one (Redis duplicates arguments it keeps, e.g. in the slowlog, for exactly this reason). So
// dropping it is safe on the main thread (DEL, overwrite: the type has no free_effort, so frees are synchronous)
// and in Redis's lazy-free thread (FLUSHALL ASYNC), which frees its own objects the same way.
unsafe impl Send for HeldString {}
unsafe impl Sync for HeldString {}

/// Where a tensor's bytes live.
pub enum TensorData {
    /// Bytes the module allocated (VALUES, zero-fill, COPY, model outputs), shared by reference count with queued
    /// runs (never written after creation).
    Owned(Arc<Vec<u8>>),
    /// A client's BLOB argument or an RDB string, held without copying.
    Held(HeldString),
}

impl TensorData {
    /// Bytes the module allocated.
    pub fn owned(bytes: Vec<u8>) -> TensorData {
        TensorData::Owned(Arc::new(bytes))
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            TensorData::Owned(v) => v,
            TensorData::Held(s) => s.bytes(),
        }
    }
}

/// A tensor as stored under an `AI_TENSOR` key.
///
/// Numeric and BOOL data is C-contiguous, row-major, host (little-endian) order. STRING data is the concatenation
/// of the elements, each terminated by one NUL and holding no other NUL, so element boundaries are the NULs.
pub struct Tensor {
    /// Element type.
    pub dtype: DType,
    /// Dimensions, each > 0; empty for a scalar.
    pub shape: Vec<i64>,
    /// The payload.
    pub data: TensorData,
}

impl Tensor {
    /// Number of elements (1 for a scalar).
    pub fn len(&self) -> usize {
        self.shape.iter().map(|&d| d as usize).product()
    }

    /// Whether the tensor has no elements (never true for a valid tensor; dimensions are > 0).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload bytes.
    pub fn bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    /// The STRING elements, without their NUL terminators.
    pub fn string_elements(&self) -> impl Iterator<Item = &[u8]> {
        let b = self.bytes();
        let body = b.strip_suffix(&[0]).unwrap_or(b);
        body.split(|&c| c == 0)
    }

    /// An owned deep copy (used by `COPY`).
    pub fn deep_copy(&self) -> Tensor {
        Tensor {
            dtype: self.dtype,
            shape: self.shape.clone(),
            data: TensorData::owned(self.bytes().to_vec()),
        }
    }

    /// Another handle on the same data for a queued model run, without copying: one more reference to the held
    /// string or the owned bytes. Main thread only, and the result must be dropped on the main thread.
    pub fn share(&self) -> Tensor {
        let data = match &self.data {
            TensorData::Owned(v) => TensorData::Owned(v.clone()),
            // SAFETY: a live string we hold; the caller is on the main thread.
            TensorData::Held(s) => TensorData::Held(unsafe { HeldString::retain(s.0) }),
        };
        Tensor {
            dtype: self.dtype,
            shape: self.shape.clone(),
            data,
        }
    }

    /// Approximate memory held by this value, for `MEMORY USAGE`.
    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Tensor>() + self.shape.len() * 8 + self.bytes().len()
    }
}

/// Copies `s` into a new `RedisModuleString` owned by the caller (NULL context).
pub fn create_string(s: &[u8]) -> *mut raw::RedisModuleString {
    // SAFETY: CreateString copies `len` bytes from the pointer.
    unsafe {
        match raw::RedisModule_CreateString {
            Some(create) => create(std::ptr::null_mut(), s.as_ptr().cast::<c_char>(), s.len()),
            None => std::ptr::null_mut(),
        }
    }
}
