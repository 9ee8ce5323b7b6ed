//! The `AI__MODEL` data type: RDB v4 encoding (RedisAI `encode_v4.c` / `decode_v4.c`), AOF rewrite, COPY,
//! MEMORY USAGE and free.
//!
//! RDB v4 model: `uint backend, buffer device+NUL, string tag, uint batchsize, uint minbatchsize,
//! uint minbatchtimeout, uint ninputs, buffer name+NUL × n, uint noutputs, buffer name+NUL × n, uint total_len,
//! uint n_chunks, buffer chunk × n_chunks` (chunks of the current `MODEL_CHUNK_SIZE`). Loading a model loads its
//! backend and builds it again, as RedisAI does.

use std::os::raw::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use redis_module::native_types::RedisType;
use redis_module::raw;

use super::stats::{self, Stats};
use super::{build, Model, ModelEntry, ModelMeta};
use crate::config;
use crate::rdb_input::{ModuleIo, RdbInput};
use crate::tensor::rdb::ENCVER;
use crate::tensor::tensor::create_string;
use smartredis_protocol::Backend;

/// The registered type, named exactly as RedisAI's (two underscores).
pub static MODEL_TYPE: RedisType = RedisType::new(
    "AI__MODEL",
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

/// RedisAI's chunking: `len / chunk + 1` pieces, the last one `len % chunk` bytes (empty when `len` is an exact
/// multiple).
pub fn chunks(blob: &[u8], chunk: usize) -> Vec<&[u8]> {
    let chunk = chunk.max(1);
    let n = blob.len() / chunk + 1;
    (0..n)
        .map(|i| {
            let start = i * chunk;
            let end = if i < n - 1 {
                start + chunk
            } else {
                start + blob.len() % chunk
            };
            &blob[start..end]
        })
        .collect()
}

fn chunk_size() -> usize {
    config::get().model_chunk_size.max(1) as usize
}

unsafe extern "C" fn rdb_load(io: *mut raw::RedisModuleIO, encver: c_int) -> *mut c_void {
    boxed_or_logged(io, "model", || load_model(io, encver))
}

/// The value `load` reads, boxed for Redis; or, when it fails (or panics), NULL after logging why as an RDB load
/// error of a `what` (RedisAI's wording). Shared by the model and script types.
pub(crate) fn boxed_or_logged<T>(
    io: *mut raw::RedisModuleIO,
    what: &str,
    load: impl FnOnce() -> Result<T, String>,
) -> *mut c_void {
    match catch_unwind(AssertUnwindSafe(load)).unwrap_or_else(|_| Err("panic".into())) {
        Ok(v) => Box::into_raw(Box::new(v)).cast(),
        Err(why) => {
            let msg = std::ffi::CString::new(format!("Could not load a {what} from RDB: {why}"))
                .unwrap_or_default();
            // SAFETY: "%s" with one C string.
            unsafe {
                if let Some(log) = raw::RedisModule_LogIOError {
                    log(io, c"warning".as_ptr(), c"%s".as_ptr(), msg.as_ptr());
                }
            }
            std::ptr::null_mut()
        }
    }
}

fn load_model(io: *mut raw::RedisModuleIO, encver: c_int) -> Result<Model, String> {
    let (meta, blob) = decode_model(&mut ModuleIo(io), encver)?;
    let key = key_name(io);
    let entry = build(meta, blob, &key)?;
    stats::register(&entry.stats);
    Ok(Model(Arc::new(entry)))
}

/// Reads a model's settings and its blob (chunked, as [`rdb_save`] writes them).
pub fn decode_model<R: RdbInput>(r: &mut R, encver: c_int) -> Result<(ModelMeta, Vec<u8>), String> {
    if encver != ENCVER {
        return Err(format!("unsupported model encoding version {encver}"));
    }
    let backend = Backend::from_rdb_code(r.unsigned()?).ok_or("unknown backend")?;
    let device = r.cstr()?;
    let tag = r.buffer()?;
    let (batch_size, min_batch_size, min_batch_timeout) =
        (r.unsigned()?, r.unsigned()?, r.unsigned()?);
    let mut names = || -> Result<Vec<String>, String> {
        let n = r.unsigned()?;
        if n > 1 << 20 {
            return Err("bad name count".into());
        }
        (0..n).map(|_| r.cstr().map_err(String::from)).collect()
    };
    let inputs = names()?;
    let outputs = names()?;
    let total = usize::try_from(r.unsigned()?).map_err(|_| "bad model length")?;
    let n_chunks = r.unsigned()?;
    // The chunks must add up to the declared length. Only the first chunk's arrival sizes the allocation (by
    // the length and count claimed, within reason): claims alone reserve nothing.
    let mut blob = Vec::new();
    for i in 0..n_chunks {
        let chunk = r.buffer()?;
        if i == 0 {
            let claimed = chunk
                .len()
                .saturating_mul(usize::try_from(n_chunks).unwrap_or(usize::MAX));
            blob.reserve_exact(total.min(claimed).min(1 << 26));
        }
        blob.extend_from_slice(&chunk);
        if blob.len() > total {
            return Err("model length does not match its chunks".into());
        }
    }
    if blob.len() != total {
        return Err("model length does not match its chunks".into());
    }
    let tf = backend == Backend::Tf;
    let meta = ModelMeta {
        backend,
        device,
        tag,
        batch_size,
        min_batch_size,
        min_batch_timeout,
        inputs: if tf { inputs } else { Vec::new() },
        outputs: if tf { outputs } else { Vec::new() },
    };
    Ok((meta, blob))
}

/// The name of the key being loaded.
pub(crate) fn key_name(io: *mut raw::RedisModuleIO) -> Vec<u8> {
    // SAFETY: GetKeyNameFromIO returns the key being loaded (or NULL); the string is owned by Redis.
    let k = unsafe { raw::RedisModule_GetKeyNameFromIO.map(|f| f(io)) }.unwrap_or(std::ptr::null());
    string_bytes(k as *mut raw::RedisModuleString)
}

/// A copy of a Redis string's bytes (empty for NULL).
pub(crate) fn string_bytes(s: *mut raw::RedisModuleString) -> Vec<u8> {
    if s.is_null() {
        return Vec::new();
    }
    let mut len = 0usize;
    let p = raw::string_ptr_len(s, &mut len);
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: Redis guarantees `len` bytes at `p`.
    unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }.to_vec()
}

/// `s` and a trailing NUL, as RedisAI saves strings.
pub(crate) fn with_nul(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

unsafe extern "C" fn rdb_save(io: *mut raw::RedisModuleIO, value: *mut c_void) {
    // SAFETY: Redis passes back a value this module created with Box<Model>.
    let m = unsafe { &*value.cast::<Model>() }.0.clone();
    raw::save_unsigned(io, m.meta.backend.rdb_code());
    raw::save_slice(io, &with_nul(&m.meta.device));
    raw::save_slice(io, &m.meta.tag);
    raw::save_unsigned(io, m.meta.batch_size);
    raw::save_unsigned(io, m.meta.min_batch_size);
    raw::save_unsigned(io, m.meta.min_batch_timeout);
    for names in [m.inputs(), m.outputs()] {
        raw::save_unsigned(io, names.len() as u64);
        for n in names {
            raw::save_slice(io, &with_nul(n));
        }
    }
    raw::save_unsigned(io, m.blob.len() as u64);
    let parts = chunks(&m.blob, chunk_size());
    raw::save_unsigned(io, parts.len() as u64);
    for p in parts {
        raw::save_slice(io, p);
    }
}

/// The `AI.MODELSTORE` arguments after the key that recreate `m` (INPUTS/OUTPUTS only for TF, as RedisAI).
pub fn store_args(m: &ModelEntry) -> Vec<Vec<u8>> {
    let mut a: Vec<Vec<u8>> = vec![
        m.meta.backend.name().into(),
        m.meta.device.clone().into_bytes(),
        b"TAG".to_vec(),
        m.meta.tag.clone(),
        b"BATCHSIZE".to_vec(),
        m.meta.batch_size.to_string().into_bytes(),
        b"MINBATCHSIZE".to_vec(),
        m.meta.min_batch_size.to_string().into_bytes(),
        b"MINBATCHTIMEOUT".to_vec(),
        m.meta.min_batch_timeout.to_string().into_bytes(),
    ];
    if m.meta.backend == Backend::Tf {
        for (kw, names) in [("INPUTS", &m.meta.inputs), ("OUTPUTS", &m.meta.outputs)] {
            a.push(kw.into());
            a.push(names.len().to_string().into_bytes());
            a.extend(names.iter().map(|n| n.clone().into_bytes()));
        }
    }
    a.push(b"BLOB".to_vec());
    a.extend(
        chunks(&m.blob, chunk_size())
            .into_iter()
            .map(<[u8]>::to_vec),
    );
    a
}

/// Emits `AI.MODELSTORE key BACKEND device TAG t BATCHSIZE n MINBATCHSIZE m MINBATCHTIMEOUT t BLOB chunk...`.
unsafe extern "C" fn aof_rewrite(
    io: *mut raw::RedisModuleIO,
    key: *mut raw::RedisModuleString,
    value: *mut c_void,
) {
    // SAFETY: as in rdb_save.
    let m = unsafe { &*value.cast::<Model>() }.0.clone();
    emit_aof(io, c"AI.MODELSTORE", key, &store_args(&m));
}

/// Emits `cmd key args...` into the AOF being rewritten. Shared by the model and script types.
pub(crate) fn emit_aof(
    io: *mut raw::RedisModuleIO,
    cmd: &std::ffi::CStr,
    key: *mut raw::RedisModuleString,
    args: &[Vec<u8>],
) {
    let mut args: Vec<*mut raw::RedisModuleString> =
        args.iter().map(|a| create_string(a)).collect();
    // SAFETY: "sv" = RedisModuleString*, (RedisModuleString**, size_t); the strings, created above, are freed
    // once, after Redis has copied them into the AOF.
    unsafe {
        if let Some(emit) = raw::RedisModule_EmitAOF {
            emit(
                io,
                cmd.as_ptr(),
                c"sv".as_ptr(),
                key,
                args.as_mut_ptr(),
                args.len(),
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
    let m = unsafe { &*value.cast::<Model>() };
    std::mem::size_of::<ModelEntry>() + m.0.blob.len()
}

unsafe extern "C" fn free(value: *mut c_void) {
    if !value.is_null() {
        // SAFETY: created with Box::into_raw(Box<Model>), freed once.
        drop(unsafe { Box::from_raw(value.cast::<Model>()) });
    }
}

/// `COPY`: the same loaded model under a new key, with statistics of its own.
unsafe extern "C" fn copy(
    _from: *mut raw::RedisModuleString,
    to: *mut raw::RedisModuleString,
    value: *const c_void,
) -> *mut c_void {
    // SAFETY: as in rdb_save.
    let m = unsafe { &*value.cast::<Model>() }.0.clone();
    let key = string_bytes(to);
    let entry = ModelEntry {
        meta: m.meta.clone(),
        blob: m.blob.clone(),
        loaded: m.loaded.clone(),
        stats: Arc::new(Stats::new(&key, "MODEL", &m.meta)),
    };
    stats::register(&entry.stats);
    Box::into_raw(Box::new(Model(Arc::new(entry)))).cast()
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn chunking_as_redisai() {
        let b: Vec<u8> = (0..10).collect();
        assert_eq!(chunks(&b, 4), vec![&b[0..4], &b[4..8], &b[8..10]]);
        assert_eq!(chunks(&b, 5), vec![&b[0..5], &b[5..10], &b[10..10]]);
        assert_eq!(chunks(&b, 100), vec![&b[..]]);
    }
}
