//! The allocator ONNX Runtime's CPU sessions use, as RedisAI's (`src/backends/onnx_allocator/`): every CPU
//! allocation of ONNX Runtime (a model's weights when its session is created, the tensors of a run, the names and
//! string inputs the backend asks for) comes from Redis's allocator, so it shows in `used_memory`; it is counted for
//! `INFO MODULES` (`onnxruntime_memory`, `onnxruntime_memory_access_num`); and once `BACKEND_MEMORY_LIMIT` would be
//! passed it is refused with RedisAI's error, which ONNX Runtime returns from the store or run that allocated.
//!
//! Blocks are 64-byte aligned, as ONNX Runtime's own CPU allocator gives them: each is taken 63 bytes and a pointer
//! larger, and the address Redis returned is kept just before the aligned one. The bytes counted are the usable size
//! of what Redis allocated, as RedisAI counts them.
//!
//! ONNX Runtime's allocator interface has no error return: a refusal must be a C++ exception, which ONNX Runtime
//! turns into the error status of the API call that allocated. Rust cannot throw one, so the `Alloc` entry is a
//! small C++ function (`onnx_allocator.cpp`) that takes the block from [`smartredis_ai_onnx_alloc`] and throws its
//! refusal.

use std::ffi::CStr;
use std::os::raw::{c_char, c_void};
use std::sync::atomic::{AtomicU64, Ordering};

use redis_module::raw;

use super::ort_api::{OrtAllocator, OrtAllocatorFns, OrtMemoryInfo, API_VERSION};

/// RedisAI's error for an allocation past `BACKEND_MEMORY_LIMIT`.
pub const LIMIT_EXCEEDED: &CStr = c"Onnxruntime memory limit exceeded, memory allocation failed.";
/// The error when the system has no memory left for an allocation (Redis's allocator would abort the server).
pub const OUT_OF_MEMORY: &CStr = c"Onnxruntime memory allocation failed: out of memory.";

/// Bytes `BACKEND_MEMORY_LIMIT` megabytes stand for: RedisAI counts a megabyte as 10^6 bytes.
pub const BYTES_PER_MB: u64 = 1_000_000;

const ALIGN: usize = 64;
/// What a block is taken larger by: room to align it, and the pointer to free kept before the aligned address.
const EXTRA: usize = ALIGN - 1 + std::mem::size_of::<*mut c_void>();

/// Bytes currently held by ONNX Runtime through the allocator.
static IN_USE: AtomicU64 = AtomicU64::new(0);
/// Calls of `Alloc` and `Free` that allocated or freed a block.
static ACCESSES: AtomicU64 = AtomicU64::new(0);
/// The limit in bytes; 0 = none.
static LIMIT: AtomicU64 = AtomicU64::new(0);

extern "C" {
    /// `onnx_allocator.cpp`: `Alloc` for ONNX Runtime, throwing [`smartredis_ai_onnx_alloc`]'s refusal.
    fn smartredis_ai_onnx_alloc_or_throw(this: *mut OrtAllocator, size: usize) -> *mut c_void;
}

/// The allocator handed to ONNX Runtime: its function table, then the memory info `Info` returns.
#[repr(C)]
struct Allocator {
    fns: OrtAllocatorFns,
    info: *const OrtMemoryInfo,
}

/// Makes the process's allocator (never freed: ONNX Runtime keeps it for the life of its environment), with
/// `limit_bytes` as the limit (0 = none). `info` is a CPU memory info of type `OrtDeviceAllocator`.
pub fn create(info: *const OrtMemoryInfo, limit_bytes: u64) -> *mut OrtAllocator {
    LIMIT.store(limit_bytes, Ordering::Relaxed);
    let a = Box::new(Allocator {
        fns: OrtAllocatorFns {
            version: API_VERSION,
            alloc: smartredis_ai_onnx_alloc_or_throw,
            free,
            info: info_of,
        },
        info,
    });
    Box::into_raw(a).cast()
}

/// Bytes ONNX Runtime currently holds through the allocator (`onnxruntime_memory`).
pub fn memory_in_use() -> u64 {
    IN_USE.load(Ordering::Relaxed)
}

/// Allocations and frees so far (`onnxruntime_memory_access_num`).
pub fn access_count() -> u64 {
    ACCESSES.load(Ordering::Relaxed)
}

/// Takes a 64-byte aligned block of `size` bytes into `*out`. Returns NULL, or the error to throw (nothing is
/// allocated then): [`LIMIT_EXCEEDED`] or [`OUT_OF_MEMORY`].
///
/// # Safety
/// `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn smartredis_ai_onnx_alloc(
    size: usize,
    out: *mut *mut c_void,
) -> *const c_char {
    let Some(total) = size.checked_add(EXTRA) else {
        return OUT_OF_MEMORY.as_ptr();
    };
    let base = sys_alloc(total);
    if base.is_null() {
        return OUT_OF_MEMORY.as_ptr();
    }
    let held = sys_size(base) as u64;
    let limit = LIMIT.load(Ordering::Relaxed);
    let before = IN_USE.fetch_add(held, Ordering::Relaxed);
    if limit > 0 && before.saturating_add(held) > limit {
        IN_USE.fetch_sub(held, Ordering::Relaxed);
        sys_free(base);
        return LIMIT_EXCEEDED.as_ptr();
    }
    ACCESSES.fetch_add(1, Ordering::Relaxed);
    let aligned = (base as usize + EXTRA) & !(ALIGN - 1);
    let aligned = aligned as *mut *mut c_void;
    // SAFETY: `aligned` lies at least a pointer past `base` and `size` bytes before its end; the slot before it is
    // inside the block and pointer-aligned (64-byte aligned address minus a pointer).
    unsafe {
        *aligned.sub(1) = base;
        *out = aligned.cast();
    }
    std::ptr::null()
}

/// `Free`: releases a block `Alloc` returned.
unsafe extern "C" fn free(_this: *mut OrtAllocator, p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: `p` came from smartredis_ai_onnx_alloc, which stored the block's start just before it.
    let base = unsafe { *p.cast::<*mut c_void>().sub(1) };
    IN_USE.fetch_sub(sys_size(base) as u64, Ordering::Relaxed);
    ACCESSES.fetch_add(1, Ordering::Relaxed);
    sys_free(base);
}

/// `Info`: the memory info given to [`create`].
unsafe extern "C" fn info_of(this: *const OrtAllocator) -> *const OrtMemoryInfo {
    // SAFETY: `this` is the Allocator made by `create`.
    unsafe { (*this.cast::<Allocator>()).info }
}

type AllocFn = unsafe extern "C" fn(usize) -> *mut c_void;
type SizeFn = unsafe extern "C" fn(*mut c_void) -> usize;
type FreeFn = unsafe extern "C" fn(*mut c_void);

/// Redis's allocator inside the server (`TryAlloc` where the server has it, so that running out of memory is an
/// error rather than an abort); `None` in unit tests, where there is no server and the C library's is used.
fn redis_allocator() -> Option<(AllocFn, SizeFn, FreeFn)> {
    // SAFETY: module API entries are set once when the module loads and never change.
    unsafe {
        let alloc = raw::RedisModule_TryAlloc.or(raw::RedisModule_Alloc)?;
        Some((alloc, raw::RedisModule_MallocSize?, raw::RedisModule_Free?))
    }
}

fn sys_alloc(n: usize) -> *mut c_void {
    match redis_allocator() {
        // SAFETY: an allocation of `n` bytes.
        Some((alloc, _, _)) => unsafe { alloc(n) },
        // SAFETY: as above.
        None => unsafe { libc::malloc(n) },
    }
}

fn sys_size(p: *mut c_void) -> usize {
    match redis_allocator() {
        // SAFETY: `p` was returned by sys_alloc, through the same allocator.
        Some((_, size, _)) => unsafe { size(p) },
        // SAFETY: as above.
        None => unsafe { libc::malloc_usable_size(p) },
    }
}

fn sys_free(p: *mut c_void) {
    match redis_allocator() {
        // SAFETY: `p` was returned by sys_alloc, through the same allocator, and is freed once.
        Some((_, _, free)) => unsafe { free(p) },
        // SAFETY: as above.
        None => unsafe { libc::free(p) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(size: usize) -> Result<*mut c_void, &'static CStr> {
        let mut p = std::ptr::null_mut();
        // SAFETY: `p` is a local.
        let e = unsafe { smartredis_ai_onnx_alloc(size, &mut p) };
        if e.is_null() {
            Ok(p)
        } else {
            // SAFETY: the errors are static C strings.
            Err(unsafe { CStr::from_ptr(e) })
        }
    }

    // One test: the counters and the limit are process-wide.
    #[test]
    fn aligned_counted_and_limited() {
        let a = create(std::ptr::null(), 0);
        let (m0, n0) = (memory_in_use(), access_count());
        let blocks: Vec<*mut c_void> = [1usize, 7, 64, 1000, 4096]
            .iter()
            .map(|&s| alloc(s).unwrap())
            .collect();
        for (&p, &s) in blocks.iter().zip(&[1usize, 7, 64, 1000, 4096]) {
            assert_eq!(p as usize % ALIGN, 0);
            // SAFETY: a fresh block of at least `s` bytes.
            unsafe { std::ptr::write_bytes(p.cast::<u8>(), 0xab, s) };
        }
        assert!(memory_in_use() >= m0 + (1 + 7 + 64 + 1000 + 4096) as u64);
        assert_eq!(access_count(), n0 + 5);
        for p in blocks {
            // SAFETY: each block freed once, through the allocator.
            unsafe { free(a, p) };
        }
        assert_eq!(memory_in_use(), m0);
        assert_eq!(access_count(), n0 + 10);

        LIMIT.store(m0 + 10_000, Ordering::Relaxed);
        let p = alloc(5_000).unwrap();
        assert_eq!(alloc(6_000), Err(LIMIT_EXCEEDED));
        assert_eq!(
            access_count(),
            n0 + 11,
            "a refused allocation is not counted"
        );
        // SAFETY: freed once.
        unsafe { free(a, p) };
        assert_eq!(memory_in_use(), m0);
        assert_eq!(alloc(usize::MAX - 8), Err(OUT_OF_MEMORY));
        LIMIT.store(0, Ordering::Relaxed);
    }
}
