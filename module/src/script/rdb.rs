//! The `AI_SCRIPT` data type: RDB v4 encoding (RedisAI `encode_v4.c` / `decode_v4.c`), AOF rewrite, COPY,
//! MEMORY USAGE and free.
//!
//! RDB v4 script: `buffer device+NUL, string tag, buffer source+NUL, uint n_entry_points, buffer name+NUL × n`.
//! Loading a script loads the TORCH backend and compiles it again, as RedisAI does.

use std::os::raw::{c_int, c_void};
use std::sync::Arc;

use redis_module::native_types::RedisType;
use redis_module::raw;
use smartredis_protocol::commands::{model as mkw, script as kw, SCRIPTSET, SCRIPTSTORE};

use super::{build, Script, ScriptEntry};
use crate::model::rdb::{boxed_or_logged, emit_aof, key_name, string_bytes, with_nul};
use crate::model::stats::{self, Stats};
use crate::rdb_input::{ModuleIo, RdbInput};
use crate::tensor::rdb::ENCVER;

/// The registered type, named exactly as RedisAI's.
pub static SCRIPT_TYPE: RedisType = RedisType::new(
    "AI_SCRIPT",
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

unsafe extern "C" fn rdb_load(io: *mut raw::RedisModuleIO, encver: c_int) -> *mut c_void {
    boxed_or_logged(io, "script", || load_script(io, encver))
}

fn load_script(io: *mut raw::RedisModuleIO, encver: c_int) -> Result<Script, String> {
    let (device, tag, source, entry_points) = decode_script(&mut ModuleIo(io), encver)?;
    let key = key_name(io);
    let entry = build(device, tag, source, entry_points, &key)?;
    stats::register(&entry.stats);
    Ok(Script(Arc::new(entry)))
}

/// A script as stored: device, tag, source and entry points.
pub type ScriptParts = (String, Vec<u8>, String, Vec<String>);

/// Reads a script's device, tag, source and entry points.
pub fn decode_script<R: RdbInput>(r: &mut R, encver: c_int) -> Result<ScriptParts, String> {
    if encver != ENCVER {
        return Err(format!("unsupported script encoding version {encver}"));
    }
    let device = r.cstr()?;
    let tag = r.buffer()?;
    let source = r.cstr()?;
    let n = r.unsigned()?;
    if n > 1 << 20 {
        return Err("bad entry point count".into());
    }
    let entry_points = (0..n).map(|_| r.cstr()).collect::<Result<Vec<_>, _>>()?;
    Ok((device, tag, source, entry_points))
}

unsafe extern "C" fn rdb_save(io: *mut raw::RedisModuleIO, value: *mut c_void) {
    // SAFETY: Redis passes back a value this module created with Box<Script>.
    let s = unsafe { &*value.cast::<Script>() }.0.clone();
    raw::save_slice(io, &with_nul(&s.device));
    raw::save_slice(io, &s.tag);
    raw::save_slice(io, &with_nul(&s.source));
    raw::save_unsigned(io, s.entry_points.len() as u64);
    for e in &s.entry_points {
        raw::save_slice(io, &with_nul(e));
    }
}

/// The command and arguments after the key that recreate `s`: `AI.SCRIPTSTORE key device TAG t ENTRY_POINTS n
/// fn... SOURCE src`, or, for a script stored without entry points, `AI.SCRIPTSET key device TAG t SOURCE src`
/// (RedisAI writes SCRIPTSTORE there, which its own parser then refuses).
pub fn store_command(s: &ScriptEntry) -> (&'static str, Vec<Vec<u8>>) {
    let mut a: Vec<Vec<u8>> = vec![
        s.device.clone().into_bytes(),
        mkw::TAG.into(),
        s.tag.clone(),
    ];
    let cmd = if s.entry_points.is_empty() {
        SCRIPTSET
    } else {
        a.push(kw::ENTRY_POINTS.into());
        a.push(s.entry_points.len().to_string().into_bytes());
        a.extend(s.entry_points.iter().map(|e| e.clone().into_bytes()));
        SCRIPTSTORE
    };
    a.push(kw::SOURCE.into());
    a.push(s.source.clone().into_bytes());
    (cmd, a)
}

unsafe extern "C" fn aof_rewrite(
    io: *mut raw::RedisModuleIO,
    key: *mut raw::RedisModuleString,
    value: *mut c_void,
) {
    // SAFETY: as in rdb_save.
    let s = unsafe { &*value.cast::<Script>() }.0.clone();
    let (cmd, args) = store_command(&s);
    let cmd = std::ffi::CString::new(cmd).unwrap_or_default();
    emit_aof(io, &cmd, key, &args);
}

unsafe extern "C" fn mem_usage(value: *const c_void) -> usize {
    // SAFETY: as in rdb_save.
    let s = unsafe { &*value.cast::<Script>() };
    std::mem::size_of::<ScriptEntry>() + s.0.source.len()
}

unsafe extern "C" fn free(value: *mut c_void) {
    if !value.is_null() {
        // SAFETY: created with Box::into_raw(Box<Script>), freed once.
        drop(unsafe { Box::from_raw(value.cast::<Script>()) });
    }
}

/// `COPY`: the same compiled script under a new key, with statistics of its own.
unsafe extern "C" fn copy(
    _from: *mut raw::RedisModuleString,
    to: *mut raw::RedisModuleString,
    value: *const c_void,
) -> *mut c_void {
    // SAFETY: as in rdb_save.
    let s = unsafe { &*value.cast::<Script>() }.0.clone();
    let key = string_bytes(to);
    let entry = ScriptEntry {
        device: s.device.clone(),
        tag: s.tag.clone(),
        source: s.source.clone(),
        entry_points: s.entry_points.clone(),
        loaded: s.loaded.clone(),
        stats: Arc::new(Stats::script(&key, &s.device, &s.tag)),
    };
    stats::register(&entry.stats);
    Box::into_raw(Box::new(Script(Arc::new(entry)))).cast()
}
