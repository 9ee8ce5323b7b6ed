//! `srexception.h`: the last error of the calling thread.
//!
//! Unlike upstream (one process-global error), the last error is per thread, so concurrent callers on different
//! threads each see their own.

use std::ffi::c_char;

use super::with_last_error;

/// The message of the last error raised on this thread (initially "no error").
///
/// The string is owned by the library and stays valid until the next failing call on this thread; copy it if
/// you need it longer. Never NULL.
#[no_mangle]
pub extern "C" fn SRGetLastError() -> *const c_char {
    with_last_error(|e| e.message.as_ptr())
}

/// Where the last error on this thread was raised: the name of the C function (initially "unavailable").
///
/// Same lifetime rules as [`SRGetLastError`]. Never NULL.
#[no_mangle]
pub extern "C" fn SRGetLastErrorLocation() -> *const c_char {
    with_last_error(|e| e.location.as_ptr())
}
