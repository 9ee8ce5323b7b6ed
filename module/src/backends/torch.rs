//! The TORCH backend: the shim `redisai_torch.so` (built from `module/torch/redisai_torch.cpp` by the module's
//! build.rs against Debian's libtorch) opened with `dlopen` on first use and called through its C ABI (RedisAI
//! `src/backends/torch.c`). Models are TorchScript archives run through `forward`; scripts are TorchScript
//! functions, with RedisAI's `redis.execute`, `redis.asList` and `redisAI.model_execute` extensions, which call
//! back into this module from the worker thread under the Redis GIL (a thread-safe context).

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use redis_module::{CallOptionsBuilder, CallReply, CallResult, RedisString, ThreadSafeContext};
use smartredis_protocol::Backend;

use super::{BackendLibrary, InfoValue, LoadedModel, LoadedScript, ModelOptions, ScriptCall};
use crate::model::rdb::MODEL_TYPE;
use crate::model::Model;
use crate::tensor::dtype::DType;
use crate::tensor::tensor::{Tensor, TensorData};

/// The library file looked for when the configured path is a directory.
pub const LIBRARY_NAME: &str = "redisai_torch.so";

/// A tensor view across the shim's ABI (`RaiTensor`).
#[repr(C)]
pub struct RaiTensor {
    code: u8,
    bits: u8,
    ndim: i32,
    shape: *const i64,
    data: *const c_void,
    nbytes: usize,
}

type Sink = unsafe extern "C" fn(*mut c_void, *const RaiTensor);
type Append = unsafe extern "C" fn(*mut c_void, *const u8, usize);
type RedisCall =
    unsafe extern "C" fn(usize, *const *const c_char, *const usize, *mut c_void, Append);
type ModelCall = unsafe extern "C" fn(
    *const c_char,
    usize,
    usize,
    *const RaiTensor,
    *mut c_void,
    Sink,
    *mut c_void,
    Append,
) -> c_int;

/// The shim's functions.
struct Api {
    version: unsafe extern "C" fn() -> *const c_char,
    free: unsafe extern "C" fn(*mut c_char),
    set_callbacks: unsafe extern "C" fn(RedisCall, ModelCall),
    model_load: unsafe extern "C" fn(
        *const c_char,
        usize,
        *const c_char,
        i64,
        i64,
        *mut c_void,
        Append,
        *mut usize,
        *mut *mut c_char,
    ) -> *mut c_void,
    model_run: unsafe extern "C" fn(
        *mut c_void,
        usize,
        *const RaiTensor,
        i64,
        *mut c_void,
        Sink,
        *mut *mut c_char,
    ) -> c_int,
    model_free: unsafe extern "C" fn(*mut c_void),
    script_compile:
        unsafe extern "C" fn(*const c_char, usize, *const c_char, *mut *mut c_char) -> *mut c_void,
    script_has_function: unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int,
    script_check_entry: unsafe extern "C" fn(*mut c_void, *const c_char, *mut *mut c_char) -> c_int,
    #[allow(clippy::type_complexity)]
    script_run: unsafe extern "C" fn(
        *mut c_void,
        *const c_char,
        c_int,
        usize,
        *const RaiTensor,
        usize,
        *const *const c_char,
        *const usize,
        usize,
        *const *const c_char,
        *const usize,
        *mut c_void,
        Sink,
        *mut *mut c_char,
    ) -> c_int,
    script_free: unsafe extern "C" fn(*mut c_void),
    build_module: unsafe extern "C" fn(
        *const c_char,
        usize,
        usize,
        *const *const c_char,
        *const RaiTensor,
        *mut c_void,
        Append,
        *mut *mut c_char,
    ) -> c_int,
}

/// A function pointer from a `dlsym` address.
///
/// # Safety
/// `p` must be the address of a function of type `F` (a function pointer type).
unsafe fn fn_from_ptr<F: Copy>(p: *mut c_void) -> F {
    assert_eq!(std::mem::size_of::<F>(), std::mem::size_of::<*mut c_void>());
    // SAFETY: the caller guarantees `F` is the function's pointer type, the same size as `p`.
    unsafe { std::mem::transmute_copy::<*mut c_void, F>(&p) }
}

impl Api {
    /// Resolves every function from a live handle.
    ///
    /// # Safety
    /// `handle` must be a `dlopen` handle of the shim, never closed.
    unsafe fn resolve(handle: *mut c_void) -> Result<Api, String> {
        macro_rules! sym {
            ($name:literal) => {{
                // SAFETY: looking up a symbol in a live handle; the shim defines it with this signature.
                let p = unsafe { libc::dlsym(handle, concat!($name, "\0").as_ptr().cast()) };
                if p.is_null() {
                    return Err(format!("the TORCH shim lacks {}", $name));
                }
                // SAFETY: see above.
                unsafe { fn_from_ptr(p) }
            }};
        }
        Ok(Api {
            version: sym!("rai_torch_version"),
            free: sym!("rai_torch_free"),
            set_callbacks: sym!("rai_torch_set_callbacks"),
            model_load: sym!("rai_torch_model_load"),
            model_run: sym!("rai_torch_model_run"),
            model_free: sym!("rai_torch_model_free"),
            script_compile: sym!("rai_torch_script_compile"),
            script_has_function: sym!("rai_torch_script_has_function"),
            script_check_entry: sym!("rai_torch_script_check_entry"),
            script_run: sym!("rai_torch_script_run"),
            script_free: sym!("rai_torch_script_free"),
            build_module: sym!("rai_torch_build_module"),
        })
    }

    /// Takes an error string the shim returned (or a default), freeing it.
    fn take_err(&self, e: *mut c_char) -> String {
        if e.is_null() {
            return "unknown TORCH backend error".into();
        }
        // SAFETY: a NUL-terminated string malloc'd by the shim, freed once.
        let s = unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned();
        // SAFETY: as above.
        unsafe { (self.free)(e) };
        super::chomp(&s)
    }
}

/// The loaded TORCH backend.
pub struct TorchBackend {
    api: Arc<Api>,
    version: String,
}

/// Opens the shim: the library file, or a directory holding [`LIBRARY_NAME`].
pub fn open(path: &str) -> Result<TorchBackend, String> {
    let p = Path::new(path);
    let file = if p.is_dir() || !path.ends_with(".so") {
        p.join(LIBRARY_NAME)
    } else {
        p.to_path_buf()
    };
    if !file.exists() {
        return Err(format!(
            "the TORCH backend is not available in this build ({} not found; it is built when libtorch-dev is \
             installed)",
            file.display()
        ));
    }
    let cfile =
        CString::new(file.to_string_lossy().into_owned()).map_err(|_| "bad library path")?;
    // SAFETY: dlopen with a valid C string; the handle is kept for the life of the process.
    let handle = unsafe { libc::dlopen(cfile.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(format!("cannot open {}: {}", file.display(), dl_error()));
    }
    // SAFETY: a live shim handle, never closed.
    let api = unsafe { Api::resolve(handle) }?;
    // SAFETY: a static string.
    let version = unsafe { CStr::from_ptr((api.version)()) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: both callbacks have the shim's signatures and live as long as the process.
    unsafe { (api.set_callbacks)(redis_call, model_call) };
    Ok(TorchBackend {
        api: Arc::new(api),
        version,
    })
}

impl TorchBackend {
    /// libtorch's version.
    pub fn version(&self) -> &str {
        &self.version
    }
}

fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a C string valid until the next dl* call on this thread.
    let e = unsafe { libc::dlerror() };
    if e.is_null() {
        "unknown error".into()
    } else {
        // SAFETY: as above.
        unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
    }
}

/// Views of `inputs` for the shim (they borrow the tensors' shapes and bytes).
fn views(inputs: &[&Tensor]) -> Result<Vec<RaiTensor>, String> {
    inputs
        .iter()
        .map(|t| {
            if t.dtype == DType::String {
                return Err("the TORCH backend does not support STRING tensors".to_string());
            }
            let (code, bits) = t.dtype.dlpack();
            let data = t.bytes();
            Ok(RaiTensor {
                code,
                bits,
                ndim: t.shape.len() as i32,
                shape: t.shape.as_ptr(),
                data: data.as_ptr().cast(),
                nbytes: data.len(),
            })
        })
        .collect()
}

/// What a sink collects: the outputs, or the first conversion error.
#[derive(Default)]
struct Collected {
    tensors: Vec<Tensor>,
    error: Option<String>,
}

unsafe extern "C" fn collect(ctx: *mut c_void, t: *const RaiTensor) {
    // SAFETY: `ctx` is the `Collected` the caller passed; `t` is a live view for the duration of the call.
    let (out, t) = unsafe { (&mut *ctx.cast::<Collected>(), &*t) };
    let Some(dtype) = DType::from_dlpack(u64::from(t.code), u64::from(t.bits)) else {
        out.error
            .get_or_insert_with(|| "unsupported output tensor type".into());
        return;
    };
    // SAFETY: the shim guarantees `ndim` dims at `shape` and `nbytes` bytes at `data`.
    let (shape, data) = unsafe {
        (
            std::slice::from_raw_parts(t.shape, t.ndim.max(0) as usize).to_vec(),
            if t.nbytes == 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(t.data.cast::<u8>(), t.nbytes).to_vec()
            },
        )
    };
    if shape.iter().any(|&d| d <= 0) {
        out.error
            .get_or_insert_with(|| "model output has an empty dimension".into());
        return;
    }
    out.tensors.push(Tensor {
        dtype,
        shape,
        data: TensorData::owned(data),
    });
}

unsafe extern "C" fn append_vec(buf: *mut c_void, p: *const u8, n: usize) {
    if n > 0 {
        // SAFETY: `buf` is the caller's Vec<u8>; `p` holds `n` bytes.
        unsafe { (*buf.cast::<Vec<u8>>()).extend_from_slice(std::slice::from_raw_parts(p, n)) };
    }
}

fn cstring(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("a name contains a NUL byte: {s:?}"))
}

/// A loaded TorchScript model.
struct TorchModel {
    api: Arc<Api>,
    handle: *mut c_void,
    inputs: Vec<String>,
    outputs: Vec<String>,
    intra_op_threads: i64,
}

// SAFETY: a TorchScript module's forward may run from several threads at once (libtorch's Module is shared
// read-only); the handle is freed once, in Drop.
unsafe impl Send for TorchModel {}
unsafe impl Sync for TorchModel {}

impl Drop for TorchModel {
    fn drop(&mut self) {
        // SAFETY: a handle from model_load, freed once.
        unsafe { (self.api.model_free)(self.handle) };
    }
}

impl LoadedModel for TorchModel {
    fn inputs(&self) -> &[String] {
        &self.inputs
    }

    fn outputs(&self) -> &[String] {
        &self.outputs
    }

    fn run(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
        let v = views(inputs)?;
        let mut out = Collected::default();
        let mut err = std::ptr::null_mut();
        // SAFETY: the views borrow `inputs`, alive for the call; `out` outlives it.
        let rc = unsafe {
            (self.api.model_run)(
                self.handle,
                v.len(),
                v.as_ptr(),
                self.intra_op_threads,
                (&mut out as *mut Collected).cast(),
                collect,
                &mut err,
            )
        };
        if rc != 0 {
            return Err(self.api.take_err(err));
        }
        match out.error {
            Some(e) => Err(e),
            None => Ok(out.tensors),
        }
    }
}

/// A compiled TorchScript script.
struct TorchScript {
    api: Arc<Api>,
    handle: *mut c_void,
}

// SAFETY: a compilation unit's functions may run from several threads at once; freed once, in Drop.
unsafe impl Send for TorchScript {}
unsafe impl Sync for TorchScript {}

impl Drop for TorchScript {
    fn drop(&mut self) {
        // SAFETY: a handle from script_compile, freed once.
        unsafe { (self.api.script_free)(self.handle) };
    }
}

impl LoadedScript for TorchScript {
    fn has_function(&self, name: &str) -> bool {
        let Ok(n) = CString::new(name) else {
            return false;
        };
        // SAFETY: a live handle and a C string.
        unsafe { (self.api.script_has_function)(self.handle, n.as_ptr()) != 0 }
    }

    fn check_entry_point(&self, name: &str) -> Result<(), String> {
        let n = cstring(name)?;
        let mut err = std::ptr::null_mut();
        // SAFETY: a live handle and a C string; `err` is an out-pointer.
        if unsafe { (self.api.script_check_entry)(self.handle, n.as_ptr(), &mut err) } != 0 {
            return Err(self.api.take_err(err));
        }
        Ok(())
    }

    fn run(&self, call: &ScriptCall) -> Result<Vec<Tensor>, String> {
        let f = CString::new(call.function)
            .map_err(|_| format!("Function does not exist: {}", call.function))?;
        let v = views(call.inputs)?;
        let ptrs = |items: &[Vec<u8>]| -> (Vec<*const c_char>, Vec<usize>) {
            (
                items.iter().map(|k| k.as_ptr().cast()).collect(),
                items.iter().map(Vec::len).collect(),
            )
        };
        let (kp, kl) = ptrs(call.keys);
        let (ap, al) = ptrs(call.args);
        let mut out = Collected::default();
        let mut err = std::ptr::null_mut();
        // SAFETY: every pointer borrows data alive for the call; `out` outlives it.
        let rc = unsafe {
            (self.api.script_run)(
                self.handle,
                f.as_ptr(),
                c_int::from(call.entry_point),
                v.len(),
                v.as_ptr(),
                kp.len(),
                kp.as_ptr(),
                kl.as_ptr(),
                ap.len(),
                ap.as_ptr(),
                al.as_ptr(),
                (&mut out as *mut Collected).cast(),
                collect,
                &mut err,
            )
        };
        if rc != 0 {
            return Err(self.api.take_err(err));
        }
        match out.error {
            Some(e) => Err(e),
            None => Ok(out.tensors),
        }
    }
}

fn check_device(device: &str) -> Result<(), String> {
    if device.starts_with("CPU") {
        Ok(())
    } else {
        Err("ERR GPU devices are not supported by this build (CPU only)".into())
    }
}

impl BackendLibrary for TorchBackend {
    fn kind(&self) -> Backend {
        Backend::Torch
    }

    fn load_model(&self, blob: &[u8], opts: &ModelOptions) -> Result<Arc<dyn LoadedModel>, String> {
        check_device(&opts.device)?;
        let device = cstring(&opts.device)?;
        let mut names: Vec<u8> = Vec::new();
        let mut noutputs = 0usize;
        let mut err = std::ptr::null_mut();
        // SAFETY: the blob and C strings are alive for the call; out-pointers are locals.
        let handle = unsafe {
            (self.api.model_load)(
                blob.as_ptr().cast(),
                blob.len(),
                device.as_ptr(),
                opts.intra_op_threads,
                opts.inter_op_threads,
                (&mut names as *mut Vec<u8>).cast(),
                append_vec,
                &mut noutputs,
                &mut err,
            )
        };
        if handle.is_null() {
            return Err(self.api.take_err(err));
        }
        let inputs = names
            .split(|&b| b == 0)
            .filter(|_| !names.is_empty())
            .take(names.iter().filter(|&&b| b == 0).count())
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        Ok(Arc::new(TorchModel {
            api: self.api.clone(),
            handle,
            inputs,
            outputs: vec![String::new(); noutputs],
            intra_op_threads: opts.intra_op_threads,
        }))
    }

    fn compile_script(
        &self,
        source: &str,
        opts: &ModelOptions,
    ) -> Result<Arc<dyn LoadedScript>, String> {
        check_device(&opts.device)?;
        let device = cstring(&opts.device)?;
        let mut err = std::ptr::null_mut();
        // SAFETY: the source and device are alive for the call; `err` is an out-pointer.
        let handle = unsafe {
            (self.api.script_compile)(
                source.as_ptr().cast(),
                source.len(),
                device.as_ptr(),
                &mut err,
            )
        };
        if handle.is_null() {
            return Err(self.api.take_err(err));
        }
        Ok(Arc::new(TorchScript {
            api: self.api.clone(),
            handle,
        }))
    }

    fn info(&self) -> Vec<(&'static str, InfoValue)> {
        vec![("torch_version", InfoValue::Str(self.version.clone()))]
    }
}

/// For tests and tools: a TorchScript archive of a module (`__torch__.Net`) with the given named parameters and
/// methods (TorchScript source using `self.<name>`), built by libtorch through the shim at `library`.
pub fn build_module(
    library: &str,
    source: &str,
    params: &[(&str, &Tensor)],
) -> Result<Vec<u8>, String> {
    let b = open(library)?;
    let names: Vec<CString> = params
        .iter()
        .map(|(n, _)| cstring(n))
        .collect::<Result<_, _>>()?;
    let name_ptrs: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
    let tensors: Vec<&Tensor> = params.iter().map(|(_, t)| *t).collect();
    let v = views(&tensors)?;
    let mut out: Vec<u8> = Vec::new();
    let mut err = std::ptr::null_mut();
    // SAFETY: every pointer borrows data alive for the call.
    let rc = unsafe {
        (b.api.build_module)(
            source.as_ptr().cast(),
            source.len(),
            v.len(),
            name_ptrs.as_ptr(),
            v.as_ptr(),
            (&mut out as *mut Vec<u8>).cast(),
            append_vec,
            &mut err,
        )
    };
    if rc != 0 {
        return Err(b.api.take_err(err));
    }
    Ok(out)
}

// --- callbacks from TorchScript (worker threads) -----------------------------------------------------------------

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, tag: u8, b: &[u8]) {
    out.push(tag);
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Serializes a reply for the shim: 'n' | 'i' i64 | 's' len bytes | 'a' count items | 'e' len text.
fn encode(r: &CallResult, out: &mut Vec<u8>) {
    match r {
        Err(e) => put_bytes(out, b'e', e.to_utf8_string().unwrap_or_default().as_bytes()),
        Ok(reply) => match reply {
            CallReply::I64(i) => {
                out.push(b'i');
                put_u64(out, i.to_i64() as u64);
            }
            CallReply::String(s) => put_bytes(out, b's', s.as_bytes()),
            CallReply::Array(a) => {
                out.push(b'a');
                put_u64(out, a.len() as u64);
                for item in a.iter() {
                    encode(&item, out);
                }
            }
            CallReply::Set(a) => {
                out.push(b'a');
                put_u64(out, a.len() as u64);
                for item in a.iter() {
                    encode(&item, out);
                }
            }
            CallReply::Map(m) => {
                out.push(b'a');
                put_u64(out, 2 * m.len() as u64);
                for (k, v) in m.iter() {
                    encode(&k, out);
                    encode(&v, out);
                }
            }
            CallReply::Bool(b) => {
                out.push(b'i');
                put_u64(out, u64::from(b.to_bool()));
            }
            CallReply::Double(d) => put_bytes(out, b's', d.to_double().to_string().as_bytes()),
            CallReply::BigNumber(n) => {
                put_bytes(out, b's', n.to_string().unwrap_or_default().as_bytes())
            }
            CallReply::VerbatimString(v) => {
                put_bytes(out, b's', v.as_parts().map(|(_, b)| b).unwrap_or_default())
            }
            CallReply::Null(_) | CallReply::Unknown => out.push(b'n'),
        },
    }
}

/// `redis.execute(cmd, args...)`: runs the command under the Redis GIL, replicated (RedisAI's `"!v"`).
unsafe extern "C" fn redis_call(
    argc: usize,
    argv: *const *const c_char,
    lens: *const usize,
    buf: *mut c_void,
    append: Append,
) {
    let mut out = Vec::new();
    let done = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the shim passes `argc` pointers and lengths, alive for the call.
        let args: Vec<&[u8]> = (0..argc)
            .map(|i| unsafe {
                std::slice::from_raw_parts((*argv.add(i)).cast::<u8>(), *lens.add(i))
            })
            .collect();
        let Some((cmd, rest)) = args.split_first() else {
            put_bytes(&mut out, b'e', b"ERR no command");
            return;
        };
        let cmd = String::from_utf8_lossy(cmd).into_owned();
        let opts = CallOptionsBuilder::new()
            .replicate()
            .errors_as_replies()
            .build();
        let tsc = ThreadSafeContext::new();
        let ctx = tsc.lock();
        let r: CallResult = ctx.call_ext(&cmd, &opts, rest);
        encode(&r, &mut out);
        drop(r);
        drop(ctx);
    }));
    if done.is_err() {
        out.clear();
        put_bytes(&mut out, b'e', b"ERR internal error in redis.execute");
    }
    // SAFETY: the shim's append with its buffer.
    unsafe { append(buf, out.as_ptr(), out.len()) };
}

/// `redisAI.model_execute(key, inputs, n)`: looks the model up under the GIL, then runs it on this thread.
unsafe extern "C" fn model_call(
    key: *const c_char,
    keylen: usize,
    nin: usize,
    inputs: *const RaiTensor,
    sink_ctx: *mut c_void,
    sink: Sink,
    err_buf: *mut c_void,
    append: Append,
) -> c_int {
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
        // SAFETY: the shim passes a key of `keylen` bytes and `nin` views, alive for the call.
        let (key, in_views) = unsafe {
            (
                std::slice::from_raw_parts(key.cast::<u8>(), keylen),
                std::slice::from_raw_parts(inputs, nin),
            )
        };
        let model = {
            let tsc = ThreadSafeContext::new();
            let ctx = tsc.lock();
            let name = RedisString::create_from_slice(ctx.ctx, key);
            let k = ctx.open_key(&name);
            let m = match k.get_value::<Model>(&MODEL_TYPE) {
                Ok(Some(m)) => Ok(m.0.clone()),
                Ok(None) => Err("ERR model key is empty".to_string()),
                Err(_) => Err(
                    "WRONGTYPE Operation against a key holding the wrong kind of value".to_string(),
                ),
            };
            drop(k);
            drop(name);
            drop(ctx);
            m?
        };
        let tensors: Vec<Tensor> = in_views
            .iter()
            .map(|v| {
                let dtype = DType::from_dlpack(u64::from(v.code), u64::from(v.bits))
                    .ok_or("unsupported input tensor type")?;
                // SAFETY: the view's dims and bytes are alive for the call.
                let (shape, data) = unsafe {
                    (
                        std::slice::from_raw_parts(v.shape, v.ndim.max(0) as usize).to_vec(),
                        if v.nbytes == 0 {
                            Vec::new()
                        } else {
                            std::slice::from_raw_parts(v.data.cast::<u8>(), v.nbytes).to_vec()
                        },
                    )
                };
                Ok(Tensor {
                    dtype,
                    shape,
                    data: TensorData::owned(data),
                })
            })
            .collect::<Result<_, String>>()?;
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let outs = model.loaded.run(&refs)?;
        let out_views = views(&outs.iter().collect::<Vec<_>>())?;
        for v in &out_views {
            // SAFETY: the shim's sink copies the view, alive for the call.
            unsafe { sink(sink_ctx, v) };
        }
        Ok(())
    }));
    let err = match result {
        Ok(Ok(())) => return 0,
        Ok(Err(e)) => e,
        Err(_) => "ERR internal error in redisAI.model_execute".into(),
    };
    // SAFETY: the shim's append with its buffer.
    unsafe { append(err_buf, err.as_ptr(), err.len()) };
    1
}
