//! `c_logger.h`: logging from C through SmartRedis's logger.
//!
//! These functions return nothing and never fail: a bad argument (NULL pointer, unknown level, a `context` that
//! is not a logging handle) is recorded as the thread's last error and reported on stdout as
//! `Logging failure: <function>: <message>`, as upstream. `c_logger.h` maps the short names (`log_data`, ...) to
//! these in C.
//!
//! A `context` handle may be any handle kind that implements [`LogSource`]: add an arm to [`context_name`] when a
//! new kind (client, dataset) is made loggable.

use std::ffi::{c_char, c_void};

use super::client::CClient;
use super::dataset::DataSetHandle;
use super::{
    guard_or, handle_magic, handle_ref, lossy_str_arg, null_error, CLoggingLevel, HandleKind,
};
use crate::enums::SRLoggingLevel;
use crate::error::{Error, Result};
use crate::logging::{self, LogContext, LogSource};

/// The log name of a handle of kind `T`.
fn source_name<'a, T: HandleKind + LogSource + 'a>(ptr: *const c_void) -> Result<&'a str> {
    handle_ref::<T>(ptr, "context").map(|t| t.log_context())
}

/// The log name of a Client, DataSet or LogContext handle.
pub(crate) fn context_name<'a>(ptr: *const c_void) -> Result<&'a str> {
    match handle_magic(ptr) {
        None if ptr.is_null() => Err(null_error("context")),
        Some(m) if m == LogContext::MAGIC => source_name::<LogContext>(ptr),
        Some(m) if m == CClient::MAGIC => source_name::<CClient>(ptr),
        Some(m) if m == DataSetHandle::MAGIC => source_name::<DataSetHandle>(ptr),
        // One arm per loggable handle kind.
        _ => Err(Error::Parameter(
            "context is not a valid Client, DataSet or LogContext handle".into(),
        )),
    }
}

/// Converts a C logging level; `LLInvalid` and unknown values are parameter errors.
fn level_arg(level: CLoggingLevel) -> Result<SRLoggingLevel> {
    match SRLoggingLevel::try_from(level)? {
        SRLoggingLevel::LLInvalid => Err(Error::Parameter(
            "level LLInvalid is not a level to log at".into(),
        )),
        l => Ok(l),
    }
}

type LogFn = fn(&str, SRLoggingLevel, &str);

/// The body of the six functions: run `f` in the guard, report failures on stdout.
fn log_guarded(function: &str, f: impl FnOnce() -> Result<()>) {
    guard_or(
        function,
        |e| logging::write_stdout(&format!("Logging failure: {function}: {}\n", e.message())),
        f,
    )
}

/// Checks the arguments of a handle-context function and logs with `log`.
fn log_handle(
    log: LogFn,
    context: *const c_void,
    level: CLoggingLevel,
    data: *const c_char,
    data_len: usize,
) -> Result<()> {
    let name = context_name(context)?;
    let level = level_arg(level)?;
    let data = lossy_str_arg(data, data_len, "data")?;
    log(name, level, &data);
    Ok(())
}

/// Checks the arguments of a string-context function and logs with `log`.
fn log_string(
    log: LogFn,
    context: *const c_char,
    context_len: usize,
    level: CLoggingLevel,
    data: *const c_char,
    data_len: usize,
) -> Result<()> {
    let name = lossy_str_arg(context, context_len, "context")?;
    let level = level_arg(level)?;
    let data = lossy_str_arg(data, data_len, "data")?;
    log(&name, level, &data);
    Ok(())
}

/// Logs `data` (`data_len` bytes) at `level` under the name of `context`, a Client, DataSet or LogContext
/// handle. The message is written if `level` is at most `SR_LOG_LEVEL`.
#[no_mangle]
pub extern "C" fn log_data_noexcept(
    context: *const c_void,
    level: CLoggingLevel,
    data: *const c_char,
    data_len: usize,
) {
    log_guarded("log_data_noexcept", || {
        log_handle(logging::log_data, context, level, data, data_len)
    })
}

/// As [`log_data_noexcept`], prefixing the message with `WARNING: `.
#[no_mangle]
pub extern "C" fn log_warning_noexcept(
    context: *const c_void,
    level: CLoggingLevel,
    data: *const c_char,
    data_len: usize,
) {
    log_guarded("log_warning_noexcept", || {
        log_handle(logging::log_warning, context, level, data, data_len)
    })
}

/// As [`log_data_noexcept`], prefixing the message with `ERROR: `.
#[no_mangle]
pub extern "C" fn log_error_noexcept(
    context: *const c_void,
    level: CLoggingLevel,
    data: *const c_char,
    data_len: usize,
) {
    log_guarded("log_error_noexcept", || {
        log_handle(logging::log_error, context, level, data, data_len)
    })
}

/// Logs `data` at `level` under the context name `context` (`context_len` bytes).
#[no_mangle]
pub extern "C" fn log_data_noexcept_string(
    context: *const c_char,
    context_len: usize,
    level: CLoggingLevel,
    data: *const c_char,
    data_len: usize,
) {
    log_guarded("log_data_noexcept_string", || {
        log_string(
            logging::log_data,
            context,
            context_len,
            level,
            data,
            data_len,
        )
    })
}

/// As [`log_data_noexcept_string`], prefixing the message with `WARNING: `.
#[no_mangle]
pub extern "C" fn log_warning_noexcept_string(
    context: *const c_char,
    context_len: usize,
    level: CLoggingLevel,
    data: *const c_char,
    data_len: usize,
) {
    log_guarded("log_warning_noexcept_string", || {
        log_string(
            logging::log_warning,
            context,
            context_len,
            level,
            data,
            data_len,
        )
    })
}

/// As [`log_data_noexcept_string`], prefixing the message with `ERROR: `.
#[no_mangle]
pub extern "C" fn log_error_noexcept_string(
    context: *const c_char,
    context_len: usize,
    level: CLoggingLevel,
    data: *const c_char,
    data_len: usize,
) {
    log_guarded("log_error_noexcept_string", || {
        log_string(
            logging::log_error,
            context,
            context_len,
            level,
            data,
            data_len,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{free_handle, new_handle};

    #[test]
    fn context_names_and_levels() {
        let h = new_handle(LogContext::new("ctx name"));
        assert_eq!(context_name(h).unwrap(), "ctx name");
        assert!(context_name(std::ptr::null())
            .unwrap_err()
            .message()
            .contains("context != NULL"));
        let n = 7u64;
        assert!(context_name((&n as *const u64).cast()).is_err());
        free_handle::<LogContext>(h, "ctx").unwrap();
        assert_eq!(level_arg(2).unwrap(), SRLoggingLevel::LLInfo);
        assert!(level_arg(0).is_err() && level_arg(99).is_err());
    }
}
