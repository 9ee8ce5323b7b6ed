//! The C ABI, and nothing else: pointers and lengths become borrowed Rust values, results become `SRError` codes
//! plus a thread-local last-error text.
//!
//! Every exported function is a plain `#[no_mangle] pub extern "C" fn` whose body is one call to [`guard`] (or
//! [`guard_or`]): it catches panics, turns [`Error`]s into codes and records the message. Arguments are checked
//! with the helpers below ([`str_arg`], [`bytes_arg`], [`slice_arg`], [`out_arg`], [`handle_mut`]), which name the
//! argument in their error. Handles handed to C are typed: every boxed object starts with a magic word, so passing
//! a live handle of one kind where another kind is expected is reported as an error instead of undefined
//! behaviour. A handle that was freed is another matter: using it (or freeing it again through a copy of the
//! pointer) is undefined behaviour, as with any C API (see `FREED_MAGIC`).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod client;
pub mod client_admin;
pub mod client_datasets;
pub mod client_models;
pub mod configoptions;
pub mod dataset;
pub mod error;
pub mod logcontext;
pub mod logger;
pub mod orchestrator;

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

pub use crate::error::SRError;
use crate::error::{Error, Result};

/// An `SRTensorType` as C passes it: a plain `int`, converted with `SRTensorType::try_from` so an unknown value
/// is a parameter error. `cbindgen.toml` renames it to `SRTensorType` in the header, as upstream declares it.
pub type CTensorType = c_int;
/// An `SRMemoryLayout` as C passes it (see [`CTensorType`]); shown as `SRMemoryLayout` in the header.
pub type CMemoryLayout = c_int;
/// An `SRMetaDataType` as C passes it (see [`CTensorType`]); shown as `SRMetaDataType` in the header.
pub type CMetaDataType = c_int;
/// An `SRLoggingLevel` as C passes it (see [`CTensorType`]); shown as `SRLoggingLevel` in the header.
pub type CLoggingLevel = c_int;

/// Borrows a string argument that must not be empty (upstream rejects empty option names and contexts).
pub(crate) fn nonempty_str_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str> {
    let s = str_arg(ptr, len, name)?;
    if s.is_empty() {
        return Err(Error::Parameter(format!("{name} must not be empty")));
    }
    Ok(s)
}

/// Borrows bytes as text for logging: invalid UTF-8 is replaced rather than rejected.
pub(crate) fn lossy_str_arg<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> Result<std::borrow::Cow<'a, str>> {
    Ok(String::from_utf8_lossy(bytes_arg(ptr.cast(), len, name)?))
}

/// Frees the handle at `*handle` (NULL is a no-op) and sets `*handle` to NULL: the body of every C destructor
/// that takes `void**`. `handle` itself must not be NULL.
pub(crate) fn free_handle_at<T: HandleKind>(handle: *mut *mut c_void, name: &str) -> Result<()> {
    let slot = out_arg(handle, name)?;
    free_handle::<T>(*slot, name)?;
    *slot = std::ptr::null_mut();
    Ok(())
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = RefCell::new(LastError::initial());
    /// The handles this thread holds exclusively ([`handle_exclusive`]) in the exported call it is running, and
    /// how deeply exported calls are nested on it; the outermost [`guard_or`] releases them.
    static HELD: RefCell<(usize, Vec<usize>)> = const { RefCell::new((0, Vec::new())) };
}

/// The last error recorded on this thread: its message and where it was raised.
pub(crate) struct LastError {
    pub(crate) message: CString,
    pub(crate) location: CString,
}

impl LastError {
    fn initial() -> Self {
        LastError {
            message: c"no error".to_owned(),
            location: c"unavailable".to_owned(),
        }
    }
}

pub(crate) use crate::text::to_cstring;

/// Records `err` as this thread's last error, raised in the C function `function`.
pub(crate) fn set_last_error(err: &Error, function: &str) {
    LAST_ERROR.with(|cell| {
        let mut last = cell.borrow_mut();
        last.message = to_cstring(err.message());
        last.location = to_cstring(function);
    });
}

/// Runs `f` with this thread's last error (for the accessors in [`error`]).
pub(crate) fn with_last_error<T>(f: impl FnOnce(&LastError) -> T) -> T {
    LAST_ERROR.with(|cell| f(&cell.borrow()))
}

/// The body of every exported function that returns `SRError`: runs `f`, catching panics.
/// `Ok` gives `SRNoError`; an error or a panic records the last error and returns its code.
pub(crate) fn guard(function: &str, f: impl FnOnce() -> Result<()>) -> SRError {
    guard_or(function, |e| e.code(), || f().map(|()| SRError::SRNoError))
}

/// Like [`guard`] for functions that return something else: on error or panic the error is recorded and
/// `on_error(&error)` is returned.
pub(crate) fn guard_or<T>(
    function: &str,
    on_error: impl FnOnce(&Error) -> T,
    f: impl FnOnce() -> Result<T>,
) -> T {
    HELD.with(|h| h.borrow_mut().0 += 1);
    let result = catch_unwind(AssertUnwindSafe(f));
    release_held();
    let err = match result {
        Ok(Ok(value)) => return value,
        Ok(Err(err)) => err,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Error::Internal(format!(
                "A non-standard exception was encountered while executing {function}: {what}"
            ))
        }
    };
    set_last_error(&err, function);
    on_error(&err)
}

/// Borrows a C string given as pointer and length (it need not be NUL-terminated). `name` is the argument's name.
pub(crate) fn str_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str> {
    let bytes = bytes_arg(ptr.cast(), len, name)?;
    std::str::from_utf8(bytes).map_err(|_| Error::Parameter(format!("{name} is not valid UTF-8")))
}

/// Borrows `len` bytes at `ptr`. NULL is an error (even with a zero length, as upstream checks every pointer).
pub(crate) fn bytes_arg<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    slice_arg(ptr, len, name)
}

/// Borrows `len` values of `T` at `ptr`, checking NULL, alignment and the byte length.
pub(crate) fn slice_arg<'a, T>(ptr: *const T, len: usize, name: &str) -> Result<&'a [T]> {
    if ptr.is_null() {
        return Err(null_error(name));
    }
    if !ptr.is_aligned() {
        return Err(Error::Parameter(format!(
            "{name} is not aligned for its element type"
        )));
    }
    if len
        .checked_mul(std::mem::size_of::<T>())
        .is_none_or(|n| n > isize::MAX as usize)
    {
        return Err(Error::Parameter(format!(
            "{name}: length {len} is too large"
        )));
    }
    // SAFETY: non-null, aligned, size in bounds; the caller promises `len` readable values that outlive this call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows an output argument (`T*` written on success).
pub(crate) fn out_arg<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T> {
    if ptr.is_null() {
        return Err(null_error(name));
    }
    if !ptr.is_aligned() {
        return Err(Error::Parameter(format!(
            "{name} is not aligned for its type"
        )));
    }
    // SAFETY: non-null and aligned; the caller promises a writable `T` that outlives this call.
    Ok(unsafe { &mut *ptr })
}

/// The error for a NULL pointer argument.
pub(crate) fn null_error(name: &str) -> Error {
    Error::Parameter(format!("Assertion failed! {name} != NULL"))
}

/// Objects handed to C as `void*` handles. Each kind has its own magic word.
pub(crate) trait HandleKind: Sized {
    /// The magic word stored in front of the value.
    const MAGIC: u64;
    /// Human-readable kind, used in errors ("client", "dataset", ...).
    const KIND: &'static str;
}

/// The boxed layout behind every handle: the magic word first, so the kind can be checked through `void*`.
#[repr(C)]
struct Handle<T> {
    magic: u64,
    /// Set while a thread uses the handle through [`handle_exclusive`].
    busy: AtomicBool,
    value: T,
}

/// Magic word written into a handle just before it is freed. It is a best-effort diagnostic only: the allocator
/// may reuse or overwrite the freed block at once (glibc writes its own bookkeeping over the first 16 bytes), so
/// a later use or a second free through a stale copy of the handle is seldom reported as "already freed" and is
/// undefined behaviour, as with any C API. The destructors taking `void**` set the caller's variable to NULL,
/// which makes a second free through that same variable a no-op.
const FREED_MAGIC: u64 = 0xDEAD_DEAD_DEAD_DEAD;

/// Ends one exported call on this thread; the outermost releases the handles it held exclusively.
fn release_held() {
    let held = HELD.with(|h| {
        let mut h = h.borrow_mut();
        h.0 = h.0.saturating_sub(1);
        if h.0 == 0 {
            std::mem::take(&mut h.1)
        } else {
            Vec::new()
        }
    });
    for addr in held {
        // SAFETY: `addr` is the `busy` flag of a live handle this thread acquired in this call (a handle is not
        // freed while a call uses it).
        unsafe { (*(addr as *const AtomicBool)).store(false, Ordering::Release) };
    }
}

/// Borrows the object behind a handle of kind `T` for the rest of the current exported call, refusing it while
/// another thread is using it (`"<kind> in use by another thread"`): one uncontended atomic per call, where
/// concurrent use of one handle would otherwise corrupt it. Reentrant on the same thread.
pub(crate) fn handle_exclusive<'a, T: HandleKind>(
    ptr: *mut c_void,
    name: &str,
) -> Result<&'a mut T> {
    check_handle::<T>(ptr, name)?;
    let handle = ptr.cast::<Handle<T>>();
    // SAFETY: a live `Handle<T>`; the flag is only ever accessed atomically, through shared references, and is
    // not part of the `value` that callers borrow mutably.
    let busy: &AtomicBool = unsafe { &*std::ptr::addr_of!((*handle).busy) };
    let addr = busy as *const AtomicBool as usize;
    let mine = HELD.with(|h| h.borrow().1.contains(&addr));
    if !mine {
        acquire::<T>(busy, name)?;
        HELD.with(|h| h.borrow_mut().1.push(addr));
    }
    // SAFETY: as in `handle_mut`; this thread now holds the handle alone until its exported call returns.
    Ok(unsafe { &mut (*handle).value })
}

/// Removes `addr` from this thread's held handles; true when it was held.
fn forget_held(addr: usize) -> bool {
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        match h.1.iter().position(|&a| a == addr) {
            Some(i) => {
                h.1.swap_remove(i);
                true
            }
            None => false,
        }
    })
}

/// Sets a handle's `busy` flag, or refuses the call while another thread holds it.
fn acquire<T: HandleKind>(busy: &AtomicBool, name: &str) -> Result<()> {
    busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .map(drop)
        .map_err(|_| {
            Error::Runtime(format!(
                "{name}: {} in use by another thread",
                T::KIND.to_ascii_lowercase()
            ))
        })
}

/// Boxes `value` and returns the handle that C owns. Free it with [`free_handle`].
pub(crate) fn new_handle<T: HandleKind>(value: T) -> *mut c_void {
    Box::into_raw(Box::new(Handle {
        magic: T::MAGIC,
        busy: AtomicBool::new(false),
        value,
    }))
    .cast()
}

/// The magic word at the start of a handle, or `None` for NULL.
pub(crate) fn handle_magic(ptr: *const c_void) -> Option<u64> {
    if ptr.is_null() || !ptr.cast::<u64>().is_aligned() {
        return None;
    }
    // SAFETY: every handle this library hands out starts with an aligned u64; other pointers are the caller's bug.
    Some(unsafe { *ptr.cast::<u64>() })
}

fn check_handle<T: HandleKind>(ptr: *const c_void, name: &str) -> Result<()> {
    match handle_magic(ptr) {
        None if ptr.is_null() => Err(null_error(name)),
        Some(m) if m == T::MAGIC => Ok(()),
        Some(FREED_MAGIC) => Err(Error::Parameter(format!(
            "{name} is a {} that was already freed",
            T::KIND
        ))),
        _ => Err(Error::Parameter(format!(
            "{name} is not a valid {} handle",
            T::KIND
        ))),
    }
}

/// Borrows the object behind a handle of kind `T`, checking NULL and the kind.
pub(crate) fn handle_mut<'a, T: HandleKind>(ptr: *mut c_void, name: &str) -> Result<&'a mut T> {
    check_handle::<T>(ptr, name)?;
    // SAFETY: the magic word says this is a live `Handle<T>` created by `new_handle`.
    Ok(unsafe { &mut (*ptr.cast::<Handle<T>>()).value })
}

/// Borrows the object behind a handle of kind `T` immutably.
pub(crate) fn handle_ref<'a, T: HandleKind>(ptr: *const c_void, name: &str) -> Result<&'a T> {
    check_handle::<T>(ptr, name)?;
    // SAFETY: as in `handle_mut`.
    Ok(unsafe { &(*ptr.cast::<Handle<T>>()).value })
}

/// Frees a handle made by [`new_handle`]. NULL is a no-op; a handle of another kind is an error, and so is one
/// that a call is using ("<kind> in use by another thread"): it is not freed under that call.
pub(crate) fn free_handle<T: HandleKind>(ptr: *mut c_void, name: &str) -> Result<()> {
    if ptr.is_null() {
        return Ok(());
    }
    check_handle::<T>(ptr, name)?;
    let handle = ptr.cast::<Handle<T>>();
    // SAFETY: a live `Handle<T>`; the flag is only accessed atomically (as in `handle_exclusive`). Once set here
    // it stays set: no other call can take the handle while it is freed.
    let busy: &AtomicBool = unsafe { &*std::ptr::addr_of!((*handle).busy) };
    // A handle this thread already holds in this call (checked by `handle_exclusive` before a batch free) is
    // freed under that hold, and leaves the held list so that the end of the call does not touch freed memory.
    if !forget_held(busy as *const AtomicBool as usize) {
        acquire::<T>(busy, name)?;
    }
    // SAFETY: a live `Handle<T>` from `Box::into_raw`; its magic is overwritten before the box is dropped.
    unsafe {
        (*handle).magic = FREED_MAGIC;
        let mut boxed = Box::from_raw(handle);
        boxed.magic = FREED_MAGIC;
        drop(boxed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Thing(u32);
    impl HandleKind for Thing {
        const MAGIC: u64 = 0x5352_5448_494E_4701;
        const KIND: &'static str = "thing";
    }
    #[derive(Debug)]
    struct Other;
    impl HandleKind for Other {
        const MAGIC: u64 = 0x5352_4F54_4845_5201;
        const KIND: &'static str = "other";
    }

    #[test]
    fn guard_maps_errors_and_panics() {
        assert_eq!(guard("f", || Ok(())), SRError::SRNoError);
        assert_eq!(
            guard("f", || Err(Error::Key("no key x".into()))),
            SRError::SRKeyError
        );
        with_last_error(|e| assert_eq!(e.message.to_str().unwrap(), "no key x"));
        assert_eq!(
            guard("boom_fn", || panic!("kaboom")),
            SRError::SRInternalError
        );
        with_last_error(|e| {
            let m = e.message.to_str().unwrap();
            assert!(m.contains("boom_fn") && m.contains("kaboom"), "{m}");
        });
    }

    #[test]
    fn arguments_are_checked() {
        assert!(
            matches!(str_arg(std::ptr::null(), 3, "name"), Err(Error::Parameter(m)) if m.contains("name"))
        );
        let bad = [0xffu8, 0xfe];
        assert!(str_arg(bad.as_ptr().cast(), 2, "key").is_err());
        assert_eq!(str_arg(c"abc".as_ptr(), 2, "key").unwrap(), "ab");
        let v = [1u64, 2];
        assert!(slice_arg(
            v.as_ptr().cast::<u8>().wrapping_add(1).cast::<u64>(),
            1,
            "dims"
        )
        .is_err());
        assert!(out_arg::<u32>(std::ptr::null_mut(), "out").is_err());
    }

    #[test]
    fn handles_are_typed() {
        let h = new_handle(Thing(7));
        assert_eq!(handle_mut::<Thing>(h, "t").unwrap().0, 7);
        assert!(handle_ref::<Other>(h, "o")
            .unwrap_err()
            .message()
            .contains("not a valid other"));
        assert!(handle_ref::<Thing>(std::ptr::null(), "t").is_err());
        assert!(free_handle::<Other>(h, "o").is_err());
        free_handle::<Thing>(h, "t").unwrap();
        free_handle::<Thing>(std::ptr::null_mut(), "t").unwrap();
    }

    /// A handle is not freed while another thread's call holds it (`DeallocateDataSet`, `DeleteCClient` racing
    /// a call on the same handle): the free is refused and the handle stays valid; once that call returns, it
    /// is freed.
    #[test]
    fn a_handle_in_use_is_not_freed() {
        let h = new_handle(Thing(7));
        let addr = h as usize;
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let user = std::thread::spawn(move || {
            guard("use", || {
                handle_exclusive::<Thing>(addr as *mut c_void, "t")?;
                held_tx.send(()).unwrap();
                go_rx.recv().unwrap();
                Ok(())
            })
        });
        held_rx.recv().unwrap();
        let mut slot = h;
        let e = free_handle_at::<Thing>(&mut slot, "t").unwrap_err();
        assert_eq!(e.message(), "t: thing in use by another thread");
        assert_eq!(slot, h, "the caller's handle is left as it was");
        assert_eq!(handle_ref::<Thing>(h, "t").unwrap().0, 7);
        go_tx.send(()).unwrap();
        assert_eq!(user.join().unwrap(), SRError::SRNoError);
        free_handle_at::<Thing>(&mut slot, "t").unwrap();
        assert!(slot.is_null());
    }

    #[test]
    fn a_handle_checked_in_the_same_call_is_freed() {
        // A batch free (sr_dataset_array_free) checks every handle exclusively before freeing any.
        let h = new_handle(Thing(3));
        let err = guard("batch", || {
            handle_exclusive::<Thing>(h, "t")?;
            free_handle::<Thing>(h, "t")?;
            assert!(HELD.with(|held| held.borrow().1.is_empty()));
            Ok(())
        });
        assert_eq!(err, SRError::SRNoError);
    }
}
