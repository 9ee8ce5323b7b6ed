//! `c_logcontext.h`: named logging contexts for application code.
//!
//! A LogContext handle can be passed as the `context` of the `c_logger.h` functions, like a client or a dataset.

use std::ffi::{c_char, c_void};

use super::{free_handle_at, guard, new_handle, out_arg, str_arg, HandleKind};
use crate::error::SRError;
use crate::logging::LogContext;

impl HandleKind for LogContext {
    const MAGIC: u64 = u64::from_be_bytes(*b"SRLOGCTX");
    const KIND: &'static str = "LogContext";
}

/// Creates a logging context named `context` (`context_length` bytes, need not be NUL-terminated).
///
/// On success `*new_logcontext` is a new handle owned by the caller: free it with [`DeallocateLogContext`].
#[no_mangle]
pub extern "C" fn SmartRedisCLogContext(
    context: *const c_char,
    context_length: usize,
    new_logcontext: *mut *mut c_void,
) -> SRError {
    guard("SmartRedisCLogContext", || {
        let name = str_arg(context, context_length, "context")?;
        let out = out_arg(new_logcontext, "new_logcontext")?;
        *out = new_handle(LogContext::new(name));
        Ok(())
    })
}

/// Frees a LogContext handle and sets `*logcontext` to NULL (a NULL `*logcontext` is a no-op).
/// `logcontext` itself must not be NULL; a handle of another kind is an `SRParameterError`.
#[no_mangle]
pub extern "C" fn DeallocateLogContext(logcontext: *mut *mut c_void) -> SRError {
    guard("DeallocateLogContext", || {
        free_handle_at::<LogContext>(logcontext, "logcontext")
    })
}
