//! The `AI_TENSOR` data type: RDB v4 encoding (RedisAI `encode_v4.c` / `decode_v4.c`), AOF rewrite, COPY,
//! MEMORY USAGE and free.
//!
//! RDB v4 tensor: `uint dtype.code, uint dtype.bits, signed ndim, signed dim × ndim, string-buffer data`, and for
//! a STRING tensor `uint offset × len` after the data (the byte offset of each element in the data, as RedisAI
//! 1.2.7 writes and reads them); v0–v3 payloads (older RedisAI dumps) are read too.
//!
//! A v4 STRING payload without offsets (RedisAI's older test vector, or this module before it wrote them) cannot be
//! told apart from a truncated one: the module API has no way to look ahead, and trying to read an offset consumes
//! the value's end marker. Such a payload is refused, as RedisAI 1.2.7 refuses it.

use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use redis_module::native_types::RedisType;
use redis_module::raw;

use super::dtype::DType;
use super::parse::validate_blob;
use super::tensor::{create_string, Tensor};
use crate::rdb_input::{ModuleIo, RdbInput};

/// The encoding version RedisAI 1.2.7 writes.
pub const ENCVER: i32 = 4;

/// Upper bound on `ndim` accepted from an RDB payload (guards against corrupt input).
const MAX_NDIM: i64 = 1024;

/// The registered type, named exactly as RedisAI's so dumps and `RESTORE` payloads are interchangeable.
pub static TENSOR_TYPE: RedisType = RedisType::new(
    "AI_TENSOR",
    ENCVER,
    raw::RedisModuleTypeMethods {
        version: raw::REDISMODULE_TYPE_METHOD_VERSION as u64,
        rdb_load: Some(rdb_load),
        rdb_save: Some(rdb_save),
        aof_rewrite: Some(aof_rewrite),
        mem_usage: Some(mem_usage),
        digest: None,
        free: Some(free),
        aux_load: None,
        aux_save: None,
        aux_save_triggers: 0,
        // No free_effort: values are always freed synchronously on the thread holding the GIL.
        free_effort: None,
        unlink: None,
        copy: Some(copy),
        defrag: None,
        mem_usage2: None,
        free_effort2: None,
        unlink2: None,
        copy2: None,
        aux_save2: None,
    },
);

unsafe extern "C" fn rdb_load(io: *mut raw::RedisModuleIO, encver: c_int) -> *mut c_void {
    let loaded = catch_unwind(AssertUnwindSafe(|| load_tensor(io, encver))).unwrap_or(Err("panic"));
    match loaded {
        Ok(t) => Box::into_raw(Box::new(t)).cast(),
        Err(why) => {
            log_io_error(io, why);
            std::ptr::null_mut()
        }
    }
}

fn log_io_error(io: *mut raw::RedisModuleIO, why: &str) {
    let msg = std::ffi::CString::new(format!("Could not load a tensor from RDB: {why}"))
        .unwrap_or_default();
    // SAFETY: LogIOError takes a printf format; we pass "%s" and one C string.
    unsafe {
        if let Some(log) = raw::RedisModule_LogIOError {
            log(io, c"warning".as_ptr(), c"%s".as_ptr(), msg.as_ptr());
        }
    }
}

/// Reads one tensor from the server's RDB stream ([`decode_tensor`]).
fn load_tensor(io: *mut raw::RedisModuleIO, encver: c_int) -> Result<Tensor, &'static str> {
    decode_tensor(&mut ModuleIo(io), encver)
}

/// Reads one tensor: its header ([`decode_header`]), then its data, checked against the header, and for a v4
/// STRING tensor the byte offset of each element, which must match the data. The one decoder of the load path
/// (Redis I/O) and of the fuzz target (a byte slice).
pub fn decode_tensor<R: RdbInput>(r: &mut R, encver: c_int) -> Result<Tensor, &'static str> {
    let (dtype, shape, len) = decode_header(r, encver)?;
    let data = r.tensor_data()?;
    validate_blob(dtype, len, data.bytes())?;
    if dtype == DType::String && encver == ENCVER {
        for (i, start) in string_offsets(data.bytes()).enumerate() {
            if i >= len || r.unsigned()? != start as u64 {
                return Err("bad string element offsets");
            }
        }
    }
    Ok(Tensor { dtype, shape, data })
}

/// Reads a tensor's header and returns its type, shape and element count; the data (a string buffer) follows.
/// v4: `code, bits, ndim, dims`. v0–v3 (older RedisAI; `decode_v0.c`, which v1–v3 reuse): `device_type, device_id,
/// bits, code, lanes, ndim, dims, strides, byte_offset`, all unsigned.
pub fn decode_header<R: RdbInput>(
    r: &mut R,
    encver: c_int,
) -> Result<(DType, Vec<i64>, usize), &'static str> {
    let (code, bits, ndim) = match encver {
        ENCVER => {
            let code = r.unsigned()?;
            let bits = r.unsigned()?;
            (code, bits, r.signed()?)
        }
        0..=3 => {
            let (device_type, _device_id) = (r.unsigned()?, r.unsigned()?);
            if device_type != 1 {
                return Err("not a CPU tensor");
            }
            let bits = r.unsigned()?;
            let code = r.unsigned()?;
            if r.unsigned()? != 1 {
                return Err("lanes other than 1");
            }
            (code, bits, r.unsigned()? as i64)
        }
        _ => return Err("unsupported encoding version"),
    };
    let dtype = DType::from_dlpack(code, bits).ok_or("unknown data type")?;
    if !(0..=MAX_NDIM).contains(&ndim) {
        return Err("bad number of dimensions");
    }
    let mut shape = Vec::with_capacity(ndim as usize);
    let mut len: Option<usize> = Some(1);
    for _ in 0..ndim {
        let d = r.signed()?;
        if d <= 0 {
            return Err("bad dimension");
        }
        len = len.and_then(|l| l.checked_mul(usize::try_from(d).ok()?));
        shape.push(d);
    }
    if encver != ENCVER {
        // Row-major strides and a zero byte offset: skipped, the data is contiguous.
        for _ in 0..=ndim {
            r.unsigned()?;
        }
    }
    Ok((dtype, shape, len.ok_or("tensor too large")?))
}

unsafe extern "C" fn rdb_save(io: *mut raw::RedisModuleIO, value: *mut c_void) {
    // SAFETY: Redis passes back a value this module created with Box<Tensor>.
    let t = unsafe { &*value.cast::<Tensor>() };
    let (code, bits) = t.dtype.dlpack();
    raw::save_unsigned(io, code.into());
    raw::save_unsigned(io, bits.into());
    raw::save_signed(io, t.shape.len() as i64);
    for &d in &t.shape {
        raw::save_signed(io, d);
    }
    raw::save_slice(io, t.bytes());
    if t.dtype == DType::String {
        for start in string_offsets(t.bytes()) {
            raw::save_unsigned(io, start as u64);
        }
    }
}

/// The byte offset of each element of STRING data (NUL-terminated elements, one after the other).
fn string_offsets(data: &[u8]) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0)
        .chain(
            data.iter()
                .enumerate()
                .filter(|&(_, &b)| b == 0)
                .map(|(i, _)| i + 1),
        )
        .take_while(move |&at| at < data.len())
}

/// Emits `AI.TENSORSET key DTYPE dims... BLOB data`.
unsafe extern "C" fn aof_rewrite(
    io: *mut raw::RedisModuleIO,
    key: *mut raw::RedisModuleString,
    value: *mut c_void,
) {
    // SAFETY: as in rdb_save.
    let t = unsafe { &*value.cast::<Tensor>() };
    let mut args: Vec<*mut raw::RedisModuleString> = t
        .shape
        .iter()
        .map(|d| create_string(d.to_string().as_bytes()))
        .collect();
    args.push(create_string(b"BLOB"));
    let dtype = std::ffi::CString::new(t.dtype.name()).unwrap_or_default();
    let data = t.bytes();
    // SAFETY: "scvb" = RedisModuleString*, C string, (RedisModuleString**, size_t), (char*, size_t).
    unsafe {
        if let Some(emit) = raw::RedisModule_EmitAOF {
            emit(
                io,
                c"AI.TENSORSET".as_ptr(),
                c"scvb".as_ptr(),
                key,
                dtype.as_ptr(),
                args.as_mut_ptr(),
                args.len(),
                data.as_ptr().cast::<c_char>(),
                data.len(),
            );
        }
        if let Some(free) = raw::RedisModule_FreeString {
            for a in args {
                free(std::ptr::null_mut(), a);
            }
        }
    }
}

unsafe extern "C" fn mem_usage(value: *const c_void) -> usize {
    // SAFETY: as in rdb_save.
    unsafe { &*value.cast::<Tensor>() }.mem_usage()
}

unsafe extern "C" fn free(value: *mut c_void) {
    if !value.is_null() {
        // SAFETY: the value was created with Box::into_raw(Box<Tensor>) and Redis frees it once.
        drop(unsafe { Box::from_raw(value.cast::<Tensor>()) });
    }
}

/// `COPY`: an independent deep copy, so the two keys share no reference-counted string.
unsafe extern "C" fn copy(
    _from: *mut raw::RedisModuleString,
    _to: *mut raw::RedisModuleString,
    value: *const c_void,
) -> *mut c_void {
    // SAFETY: as in rdb_save.
    let t = unsafe { &*value.cast::<Tensor>() };
    match catch_unwind(AssertUnwindSafe(|| t.deep_copy())) {
        Ok(c) => Box::into_raw(Box::new(c)).cast(),
        Err(_) => std::ptr::null_mut(),
    }
}

#[cfg(test)]
mod tests {
    use super::string_offsets;

    #[test]
    fn string_element_offsets() {
        let at = |d: &[u8]| string_offsets(d).collect::<Vec<_>>();
        assert_eq!(at(b"str_val1\0str_val2\0"), [0, 9]);
        assert_eq!(at(b"\0"), [0]);
        assert_eq!(at(b"a\0\0bc\0"), [0, 2, 3]);
    }
}
