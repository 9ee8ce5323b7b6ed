//! `c_configoptions.h`: configuration objects for `CreateClient`.
//!
//! A ConfigOptions handle is created by [`create_configoptions_from_environment`] and owned by the caller, who
//! frees it with [`sr_configoptions_free`] (upstream has no destructor). `CreateClient` copies it, so it may be
//! freed right after the client is made.

use std::ffi::{c_char, c_void};
use std::sync::Mutex;

use super::{
    free_handle_at, guard, handle_ref, new_handle, nonempty_str_arg, out_arg, str_arg, HandleKind,
};
use crate::config::ConfigOptions;
use crate::error::{Result, SRError};

/// What a ConfigOptions handle points to: the options, plus the strings handed out by [`get_string_option`].
pub(crate) struct CConfigOptions {
    pub(crate) options: ConfigOptions,
    /// Every distinct string returned so far (its bytes and a NUL); kept until the handle is freed, as upstream.
    buffers: Mutex<Vec<Box<[u8]>>>,
}

impl HandleKind for CConfigOptions {
    const MAGIC: u64 = u64::from_be_bytes(*b"SRCFGOPT");
    const KIND: &'static str = "ConfigOptions";
}

/// Borrows the options behind a ConfigOptions handle (for `CreateClient`).
pub(crate) fn config_options<'a>(ptr: *const c_void, name: &str) -> Result<&'a ConfigOptions> {
    handle_ref::<CConfigOptions>(ptr, name).map(|c| &c.options)
}

/// Creates a ConfigOptions that reads environment variables, suffixed with `_<db_suffix>` when `db_suffix` is
/// not empty (`""` with length 0 selects the default database). Nothing is read until an option is asked for.
///
/// On success `*new_configoptions` is a new handle owned by the caller: free it with [`sr_configoptions_free`].
/// `db_suffix` need not be NUL-terminated but must not be NULL.
#[no_mangle]
pub extern "C" fn create_configoptions_from_environment(
    db_suffix: *const c_char,
    db_suffix_length: usize,
    new_configoptions: *mut *mut c_void,
) -> SRError {
    guard("create_configoptions_from_environment", || {
        let suffix = str_arg(db_suffix, db_suffix_length, "db_suffix")?;
        let out = out_arg(new_configoptions, "new_configoptions")?;
        *out = new_handle(CConfigOptions {
            options: ConfigOptions::from_environment(suffix)?,
            buffers: Mutex::new(Vec::new()),
        });
        Ok(())
    })
}

/// Frees a ConfigOptions handle and sets `*configoptions` to NULL (a NULL `*configoptions` is a no-op, so
/// freeing twice through the same variable is safe). Not in upstream SmartRedis, which leaks these objects.
/// Strings returned by [`get_string_option`] become invalid.
#[no_mangle]
pub extern "C" fn sr_configoptions_free(configoptions: *mut *mut c_void) -> SRError {
    guard("sr_configoptions_free", || {
        free_handle_at::<CConfigOptions>(configoptions, "configoptions")
    })
}

/// Stores in `*result` the integer value of option `option_name` (cached or overridden value, else environment
/// variable `option_name[_suffix]`). Errors: unset or empty → `SRKeyError`; not a number → `SRParameterError`;
/// empty name → `SRParameterError`. `*result` is written only on success.
#[no_mangle]
pub extern "C" fn get_integer_option(
    c_cfgopts: *mut c_void,
    option_name: *const c_char,
    option_name_len: usize,
    result: *mut i64,
) -> SRError {
    guard("get_integer_option", || {
        let cfg = config_options(c_cfgopts, "c_cfgopts")?;
        let name = nonempty_str_arg(option_name, option_name_len, "option_name")?;
        let out = out_arg(result, "result")?;
        *out = cfg.get_integer_option(name)?;
        Ok(())
    })
}

/// Stores in `*result` and `*result_len` the string value of option `option_name` (as [`get_integer_option`]).
///
/// The buffer is owned by the ConfigOptions: do not modify or free it. It holds the value's exact bytes (a NUL
/// byte inside the value included, `*result_len` of them) followed by a NUL, and stays valid until the
/// ConfigOptions is freed.
#[no_mangle]
pub extern "C" fn get_string_option(
    c_cfgopts: *mut c_void,
    option_name: *const c_char,
    option_name_len: usize,
    result: *mut *mut c_char,
    result_len: *mut usize,
) -> SRError {
    guard("get_string_option", || {
        let handle = handle_ref::<CConfigOptions>(c_cfgopts, "c_cfgopts")?;
        let name = nonempty_str_arg(option_name, option_name_len, "option_name")?;
        let out = out_arg(result, "result")?;
        let out_len = out_arg(result_len, "result_len")?;
        let value = handle.options.get_string_option(name)?;
        let len = value.len();
        let mut text = Vec::with_capacity(len + 1);
        text.extend_from_slice(value.as_bytes());
        text.push(0);
        let text = text.into_boxed_slice();
        let mut buffers = handle
            .buffers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let ptr = match buffers.iter().find(|b| **b == text) {
            Some(existing) => existing.as_ptr(),
            None => {
                buffers.push(text);
                buffers.last().map_or(std::ptr::null(), |b| b.as_ptr())
            }
        };
        *out = ptr.cast_mut().cast();
        *out_len = len;
        Ok(())
    })
}

/// Stores in `*cfg_result` whether option `option_name` has a value (cached, overridden, or its environment
/// variable exists, even if empty).
#[no_mangle]
pub extern "C" fn is_configured(
    c_cfgopts: *mut c_void,
    option_name: *const c_char,
    option_name_len: usize,
    cfg_result: *mut bool,
) -> SRError {
    guard("is_configured", || {
        let cfg = config_options(c_cfgopts, "c_cfgopts")?;
        let name = nonempty_str_arg(option_name, option_name_len, "option_name")?;
        let out = out_arg(cfg_result, "cfg_result")?;
        *out = cfg.is_configured(name)?;
        Ok(())
    })
}

/// Sets integer option `option_name` to `value` in this ConfigOptions (the environment is not changed).
#[no_mangle]
pub extern "C" fn override_integer_option(
    c_cfgopts: *mut c_void,
    option_name: *const c_char,
    option_name_len: usize,
    value: i64,
) -> SRError {
    guard("override_integer_option", || {
        let cfg = config_options(c_cfgopts, "c_cfgopts")?;
        let name = nonempty_str_arg(option_name, option_name_len, "option_name")?;
        cfg.override_integer_option(name, value)
    })
}

/// Sets string option `option_name` to `value` (`value_len` bytes, may be 0) in this ConfigOptions.
#[no_mangle]
pub extern "C" fn override_string_option(
    c_cfgopts: *mut c_void,
    option_name: *const c_char,
    option_name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> SRError {
    guard("override_string_option", || {
        let cfg = config_options(c_cfgopts, "c_cfgopts")?;
        let name = nonempty_str_arg(option_name, option_name_len, "option_name")?;
        let value = str_arg(value, value_len, "value")?;
        cfg.override_string_option(name, value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::with_last_error;

    #[test]
    fn round_trip_through_the_c_functions() {
        let mut h: *mut c_void = std::ptr::null_mut();
        let suffix = "ffit";
        assert_eq!(
            create_configoptions_from_environment(suffix.as_ptr().cast(), suffix.len(), &mut h),
            SRError::SRNoError
        );
        let name = "FFIT_OPT";
        let value = "v1";
        assert_eq!(
            override_string_option(
                h,
                name.as_ptr().cast(),
                name.len(),
                value.as_ptr().cast(),
                value.len()
            ),
            SRError::SRNoError
        );
        let (mut out, mut len): (*mut c_char, usize) = (std::ptr::null_mut(), 0);
        assert_eq!(
            get_string_option(h, name.as_ptr().cast(), name.len(), &mut out, &mut len),
            SRError::SRNoError
        );
        // SAFETY: the buffer is NUL-terminated and owned by `h`, which is still alive.
        let got = unsafe { std::ffi::CStr::from_ptr(out) };
        assert_eq!((got.to_str().unwrap(), len), ("v1", 2));
        // A value with a NUL byte comes back as its exact bytes.
        let value = b"a\0b";
        assert_eq!(
            override_string_option(
                h,
                name.as_ptr().cast(),
                name.len(),
                value.as_ptr().cast(),
                value.len()
            ),
            SRError::SRNoError
        );
        assert_eq!(
            get_string_option(h, name.as_ptr().cast(), name.len(), &mut out, &mut len),
            SRError::SRNoError
        );
        // SAFETY: `len` bytes and a NUL, owned by `h`, which is still alive.
        let got = unsafe { std::slice::from_raw_parts(out.cast::<u8>(), len + 1) };
        assert_eq!(got, b"a\0b\0");
        let mut v = 0i64;
        assert_eq!(
            get_integer_option(h, name.as_ptr().cast(), 0, &mut v),
            SRError::SRParameterError
        );
        with_last_error(|e| {
            assert_eq!(e.message.to_str().unwrap(), "option_name must not be empty")
        });
        assert_eq!(sr_configoptions_free(&mut h), SRError::SRNoError);
        assert!(h.is_null());
    }
}
