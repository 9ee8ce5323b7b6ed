//! The ONNX backend: ONNX Runtime's C library opened with `dlopen` and called through [`super::ort_api`]
//! (RedisAI `src/backends/onnxruntime.c`). Sessions use basic graph optimisation and the configured intra/inter-op
//! thread counts; a run older than `MODEL_EXECUTION_TIMEOUT` is told to terminate by a watchdog thread. CPU sessions
//! allocate through the module's allocator ([`super::onnx_allocator`]: Redis's memory, counted, `BACKEND_MEMORY_LIMIT`).

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};
use std::path::Path;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use super::ort_api::*;
use smartredis_protocol::Backend;

use super::{chomp, onnx_allocator, BackendLibrary, InfoValue, LoadedModel, ModelOptions};
use crate::config;
use crate::tensor::dtype::DType;
use crate::tensor::tensor::{Tensor, TensorData};

/// The library file looked for when the configured path is a directory.
pub const LIBRARY_NAME: &str = "libonnxruntime.so";

/// The opened library: function table, environment, CPU memory info and the module's allocator (registered on the
/// environment). Never unloaded.
struct Ort {
    api: Api,
    env: *mut OrtEnv,
    cpu: *mut OrtMemoryInfo,
    alloc: *mut OrtAllocator,
    version: String,
}

// SAFETY: ONNX Runtime's environment and memory info, and the module's allocator, are thread-safe and live as long as the
// process (the library is never closed).
unsafe impl Send for Ort {}
unsafe impl Sync for Ort {}

impl Ort {
    /// Turns a status into a result, releasing it.
    fn check(&self, st: *mut OrtStatus) -> Result<(), String> {
        if st.is_null() {
            return Ok(());
        }
        // SAFETY: a non-NULL status from this API; its message is a C string owned by it.
        let msg = unsafe { CStr::from_ptr((self.api.GetErrorMessage)(st)) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: released once.
        unsafe { (self.api.ReleaseStatus)(st) };
        Err(chomp(&msg))
    }

    /// Copies a name the module's allocator returned, and frees it.
    fn take_name(&self, p: *mut c_char) -> String {
        if p.is_null() {
            return String::new();
        }
        // SAFETY: a NUL-terminated string allocated by `alloc`.
        let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
        // SAFETY: freed once, with the allocator that made it.
        let _ = self.check(unsafe { (self.api.AllocatorFree)(self.alloc, p.cast()) });
        s
    }
}

/// The loaded ONNX backend.
pub struct OnnxBackend {
    ort: Arc<Ort>,
}

impl OnnxBackend {
    /// Opens ONNX Runtime from `path`: the library file, or a directory holding [`LIBRARY_NAME`].
    pub fn open(path: &str) -> Result<OnnxBackend, String> {
        let p = Path::new(path);
        let file = if p.is_dir() {
            p.join(LIBRARY_NAME)
        } else {
            p.to_path_buf()
        };
        if !file.exists() {
            return Err(format!("{} not found", file.display()));
        }
        let cfile = CString::new(file.to_string_lossy().into_owned())
            .map_err(|_| "bad library path".to_string())?;
        // SAFETY: dlopen with a valid C string; the handle is kept for the life of the process.
        let handle = unsafe { libc::dlopen(cfile.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            return Err(format!("cannot open {}: {}", file.display(), dl_error()));
        }
        // SAFETY: looking up a symbol in a live handle.
        let sym = unsafe { libc::dlsym(handle, c"OrtGetApiBase".as_ptr()) };
        if sym.is_null() {
            return Err(format!(
                "{} is not ONNX Runtime (no OrtGetApiBase)",
                file.display()
            ));
        }
        // SAFETY: OrtGetApiBase has this signature and returns a static table.
        let base = unsafe {
            let get_base: unsafe extern "C" fn() -> *const OrtApiBase = std::mem::transmute(sym);
            get_base()
        };
        if base.is_null() {
            return Err("OrtGetApiBase returned NULL".into());
        }
        // SAFETY: a valid static table.
        let (table, version) = unsafe {
            let b = &*base;
            let v = CStr::from_ptr((b.get_version_string)())
                .to_string_lossy()
                .into_owned();
            ((b.get_api)(API_VERSION), v)
        };
        if table.is_null() {
            return Err(format!(
                "ONNX Runtime {version} is too old (API version {API_VERSION} needed)"
            ));
        }
        // SAFETY: the table GetApi(API_VERSION) returned.
        let api = unsafe { Api::from_table(table) }?;
        let mut ort = Ort {
            api,
            env: std::ptr::null_mut(),
            cpu: std::ptr::null_mut(),
            alloc: std::ptr::null_mut(),
            version,
        };
        // SAFETY: out-pointers to locals; each call returns a status checked below.
        unsafe {
            let st = (ort.api.CreateEnv)(LOGGING_LEVEL_ERROR, c"RedisAI".as_ptr(), &mut ort.env);
            ort.check(st)?;
            let st =
                (ort.api.CreateCpuMemoryInfo)(DEVICE_ALLOCATOR, MEM_TYPE_DEFAULT, &mut ort.cpu);
            ort.check(st)?;
            // A load-time setting, read once.
            let limit = config::get().backend_memory_limit.max(0) as u64;
            ort.alloc = onnx_allocator::create(ort.cpu, limit * onnx_allocator::BYTES_PER_MB);
            // CPU sessions created with `session.use_env_allocators` take their memory from it.
            ort.check((ort.api.RegisterAllocator)(ort.env, ort.alloc))?;
        }
        start_watchdog();
        Ok(OnnxBackend { ort: Arc::new(ort) })
    }

    /// The library's version string.
    pub fn version(&self) -> &str {
        &self.ort.version
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

impl BackendLibrary for OnnxBackend {
    fn kind(&self) -> Backend {
        Backend::Onnx
    }

    fn load_model(&self, blob: &[u8], opts: &ModelOptions) -> Result<Arc<dyn LoadedModel>, String> {
        if opts.device.starts_with("GPU") {
            return Err("ERR GPU devices are not supported by this build (CPU only)".into());
        }
        let ort = &self.ort;
        let a = &ort.api;
        let mut so: *mut OrtSessionOptions = std::ptr::null_mut();
        // SAFETY: out-pointer to a local.
        ort.check(unsafe { (a.CreateSessionOptions)(&mut so) })?;
        let mut session: *mut OrtSession = std::ptr::null_mut();
        let built = (|| {
            // SAFETY: `so` is a live options object; the blob outlives the call (ORT copies what it needs).
            unsafe {
                // Every device here is a CPU: the session allocates through the module's allocator, without an
                // arena of its own (as RedisAI).
                ort.check((a.AddSessionConfigEntry)(
                    so,
                    c"session.use_env_allocators".as_ptr(),
                    c"1".as_ptr(),
                ))?;
                ort.check((a.DisableCpuMemArena)(so))?;
                ort.check((a.SetSessionGraphOptimizationLevel)(so, ENABLE_BASIC))?;
                if opts.intra_op_threads > 0 {
                    ort.check((a.SetIntraOpNumThreads)(so, opts.intra_op_threads as i32))?;
                }
                if opts.inter_op_threads > 0 {
                    ort.check((a.SetInterOpNumThreads)(so, opts.inter_op_threads as i32))?;
                }
                ort.check((a.CreateSessionFromArray)(
                    ort.env,
                    blob.as_ptr().cast(),
                    blob.len(),
                    so,
                    &mut session,
                ))
            }
        })();
        // SAFETY: created above, released once.
        unsafe { (a.ReleaseSessionOptions)(so) };
        built?;
        let mut model = OnnxModel {
            ort: ort.clone(),
            session,
            inputs: Vec::new(),
            outputs: Vec::new(),
            c_inputs: Vec::new(),
            c_outputs: Vec::new(),
            in_names: Vec::new(),
            out_names: Vec::new(),
        };
        let (mut nin, mut nout) = (0usize, 0usize);
        // SAFETY: a live session; names are copied and freed by take_name.
        unsafe {
            ort.check((a.SessionGetInputCount)(session, &mut nin))?;
            ort.check((a.SessionGetOutputCount)(session, &mut nout))?;
            for i in 0..nin {
                let mut p = std::ptr::null_mut();
                ort.check((a.SessionGetInputName)(session, i, ort.alloc, &mut p))?;
                model.inputs.push(ort.take_name(p));
            }
            for i in 0..nout {
                let mut p = std::ptr::null_mut();
                ort.check((a.SessionGetOutputName)(session, i, ort.alloc, &mut p))?;
                model.outputs.push(ort.take_name(p));
            }
        }
        let c = |v: &[String]| -> Vec<CString> {
            v.iter()
                .map(|s| CString::new(s.as_str()).unwrap_or_default())
                .collect()
        };
        model.c_inputs = c(&model.inputs);
        model.c_outputs = c(&model.outputs);
        model.in_names = model.c_inputs.iter().map(|s| s.as_ptr()).collect();
        model.out_names = model.c_outputs.iter().map(|s| s.as_ptr()).collect();
        Ok(Arc::new(model))
    }

    fn info(&self) -> Vec<(&'static str, InfoValue)> {
        let count = |n: u64| InfoValue::Int(i64::try_from(n).unwrap_or(i64::MAX));
        vec![
            (
                "onnxruntime_version",
                InfoValue::Str(self.ort.version.clone()),
            ),
            ("onnxruntime_memory", count(onnx_allocator::memory_in_use())),
            (
                "onnxruntime_memory_access_num",
                count(onnx_allocator::access_count()),
            ),
        ]
    }
}

/// One ONNX Runtime session.
struct OnnxModel {
    ort: Arc<Ort>,
    session: *mut OrtSession,
    inputs: Vec<String>,
    outputs: Vec<String>,
    c_inputs: Vec<CString>,
    c_outputs: Vec<CString>,
    /// Pointers to `c_inputs` / `c_outputs` (their heap buffers never move), as `Run` takes them.
    in_names: Vec<*const c_char>,
    out_names: Vec<*const c_char>,
}

// SAFETY: `OrtSession::Run` may be called concurrently from several threads.
unsafe impl Send for OnnxModel {}
unsafe impl Sync for OnnxModel {}

impl Drop for OnnxModel {
    fn drop(&mut self) {
        if !self.session.is_null() {
            // SAFETY: created by CreateSessionFromArray, released once.
            unsafe { (self.ort.api.ReleaseSession)(self.session) };
        }
    }
}

/// Values released when dropped.
struct Values<'a> {
    ort: &'a Ort,
    v: Vec<*mut OrtValue>,
}

impl Drop for Values<'_> {
    fn drop(&mut self) {
        for &v in &self.v {
            if !v.is_null() {
                // SAFETY: values created by this API, released once.
                unsafe { (self.ort.api.ReleaseValue)(v) };
            }
        }
    }
}

/// ONNX `TensorProto.DataType` codes.
fn onnx_type(d: DType) -> i32 {
    match d {
        DType::Float => 1,
        DType::Uint8 => 2,
        DType::Int8 => 3,
        DType::Uint16 => 4,
        DType::Int16 => 5,
        DType::Int32 => 6,
        DType::Int64 => 7,
        DType::String => 8,
        DType::Bool => 9,
        DType::Double => 11,
    }
}

fn from_onnx_type(t: i32) -> Option<DType> {
    DType::ALL.into_iter().find(|&d| onnx_type(d) == t)
}

impl OnnxModel {
    /// Wraps an input as an ORT value. Numeric data is borrowed in place when aligned for its type (copied into
    /// `keep` otherwise); strings are copied into an ORT string tensor.
    fn input_value(&self, t: &Tensor, keep: &mut Vec<Vec<u64>>) -> Result<*mut OrtValue, String> {
        let ort = &*self.ort;
        let a = &ort.api;
        let mut v: *mut OrtValue = std::ptr::null_mut();
        if t.dtype == DType::String {
            let ptrs: Vec<*const c_char> = string_starts(t.bytes())
                .into_iter()
                .map(|p| p.cast())
                .collect();
            // SAFETY: shape and pointers are live; each pointer starts a NUL-terminated element.
            unsafe {
                ort.check((a.CreateTensorAsOrtValue)(
                    ort.alloc,
                    t.shape.as_ptr(),
                    t.shape.len(),
                    8,
                    &mut v,
                ))?;
                if let Err(e) = ort.check((a.FillStringTensor)(v, ptrs.as_ptr(), ptrs.len())) {
                    (a.ReleaseValue)(v);
                    return Err(e);
                }
            }
            return Ok(v);
        }
        let bytes = t.bytes();
        let mut ptr = bytes.as_ptr();
        if (ptr as usize) % t.dtype.size() != 0 {
            let mut buf = vec![0u64; bytes.len().div_ceil(8)];
            // SAFETY: `buf` holds at least bytes.len() bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.as_mut_ptr().cast(), bytes.len())
            };
            ptr = buf.as_ptr().cast();
            keep.push(buf);
        }
        // SAFETY: the data stays alive and unmodified until the run ends; ORT does not write inputs.
        unsafe {
            ort.check((a.CreateTensorWithDataAsOrtValue)(
                ort.cpu,
                ptr as *mut c_void,
                bytes.len(),
                t.shape.as_ptr(),
                t.shape.len(),
                onnx_type(t.dtype),
                &mut v,
            ))?;
        }
        Ok(v)
    }

    /// Copies an output value into a tensor; `None` for a value that is not a tensor.
    fn output_tensor(&self, v: *mut OrtValue) -> Result<Option<Tensor>, String> {
        let ort = &*self.ort;
        let a = &ort.api;
        let mut kind = 0;
        // SAFETY: a live output value; every out-pointer is a local.
        unsafe {
            ort.check((a.GetValueType)(v, &mut kind))?;
            if kind != ONNX_TYPE_TENSOR {
                return Ok(None);
            }
            let mut info: *mut OrtTensorTypeAndShapeInfo = std::ptr::null_mut();
            ort.check((a.GetTensorTypeAndShape)(v, &mut info))?;
            let (mut elem, mut ndim) = (0i32, 0usize);
            let r = ort
                .check((a.GetTensorElementType)(info, &mut elem))
                .and_then(|()| ort.check((a.GetDimensionsCount)(info, &mut ndim)));
            let mut shape = vec![0i64; ndim];
            let r = r.and_then(|()| ort.check((a.GetDimensions)(info, shape.as_mut_ptr(), ndim)));
            (a.ReleaseTensorTypeAndShapeInfo)(info);
            r?;
            let dtype = from_onnx_type(elem)
                .ok_or_else(|| format!("unsupported output tensor type (ONNX type {elem})"))?;
            let mut n: usize = 1;
            for &d in &shape {
                if d <= 0 {
                    return Err("model output has an empty dimension".into());
                }
                n = n.checked_mul(d as usize).ok_or("model output too large")?;
            }
            let data = if dtype == DType::String {
                let mut total = 0usize;
                ort.check((a.GetStringTensorDataLength)(v, &mut total))?;
                let mut buf = vec![0u8; total];
                let mut offsets = vec![0usize; n];
                ort.check((a.GetStringTensorContent)(
                    v,
                    buf.as_mut_ptr().cast(),
                    total,
                    offsets.as_mut_ptr(),
                    n,
                ))?;
                let mut out = Vec::with_capacity(total + n);
                for i in 0..n {
                    let end = offsets.get(i + 1).copied().unwrap_or(total);
                    let s = buf
                        .get(offsets[i]..end)
                        .ok_or("bad string tensor offsets")?;
                    if s.contains(&0) {
                        return Err("string output element contains a NUL byte".into());
                    }
                    out.extend_from_slice(s);
                    out.push(0);
                }
                out
            } else {
                let mut p: *mut c_void = std::ptr::null_mut();
                ort.check((a.GetTensorMutableData)(v, &mut p))?;
                let len = n * dtype.size();
                if p.is_null() {
                    return Err("model output has no data".into());
                }
                std::slice::from_raw_parts(p.cast::<u8>(), len).to_vec()
            };
            Ok(Some(Tensor {
                dtype,
                shape,
                data: TensorData::owned(data),
            }))
        }
    }
}

/// Start addresses of the NUL-terminated elements of a STRING tensor's data.
fn string_starts(b: &[u8]) -> Vec<*const u8> {
    let mut starts = Vec::new();
    let mut at = 0;
    while at < b.len() {
        starts.push(b[at..].as_ptr());
        match b[at..].iter().position(|&c| c == 0) {
            Some(i) => at += i + 1,
            None => break,
        }
    }
    starts
}

impl LoadedModel for OnnxModel {
    fn inputs(&self) -> &[String] {
        &self.inputs
    }

    fn outputs(&self) -> &[String] {
        &self.outputs
    }

    fn run(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
        let ort = &*self.ort;
        let a = &ort.api;
        let mut keep = Vec::new();
        let mut ins = Values {
            ort,
            v: Vec::with_capacity(inputs.len()),
        };
        for t in inputs {
            ins.v.push(self.input_value(t, &mut keep)?);
        }
        let (in_names, out_names) = (&self.in_names, &self.out_names);
        let mut outs = Values {
            ort,
            v: vec![std::ptr::null_mut(); out_names.len()],
        };
        let mut ro: *mut OrtRunOptions = std::ptr::null_mut();
        // SAFETY: out-pointer to a local.
        ort.check(unsafe { (a.CreateRunOptions)(&mut ro) })?;
        let id = watch(ro, &self.ort);
        // SAFETY: every pointer array has the advertised length and outlives the call.
        let st = unsafe {
            (a.Run)(
                self.session,
                ro,
                in_names.as_ptr(),
                ins.v.as_ptr() as *const *const OrtValue,
                ins.v.len().min(in_names.len()),
                out_names.as_ptr(),
                out_names.len(),
                outs.v.as_mut_ptr(),
            )
        };
        unwatch(id);
        // SAFETY: created above; no longer reachable from the watchdog.
        unsafe { (a.ReleaseRunOptions)(ro) };
        ort.check(st)?;
        let mut result = Vec::with_capacity(outs.v.len());
        for &v in &outs.v {
            if let Some(t) = self.output_tensor(v)? {
                result.push(t);
            }
        }
        Ok(result)
    }
}

/// Runs in progress: id, start time, run options and the library to call `RunOptionsSetTerminate` through.
struct Running {
    next: u64,
    runs: Vec<(u64, Instant, usize, Arc<Ort>)>,
}

static RUNNING: Mutex<Running> = Mutex::new(Running {
    next: 0,
    runs: Vec::new(),
});

fn running() -> std::sync::MutexGuard<'static, Running> {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner())
}

fn watch(ro: *mut OrtRunOptions, ort: &Arc<Ort>) -> u64 {
    let mut r = running();
    r.next += 1;
    let id = r.next;
    r.runs.push((id, Instant::now(), ro as usize, ort.clone()));
    id
}

fn unwatch(id: u64) {
    running().runs.retain(|(i, ..)| *i != id);
}

/// Starts (once) the thread that terminates ONNX runs older than `MODEL_EXECUTION_TIMEOUT` (RedisAI does this
/// from a cron callback, `src/backends/onnx_timeout.c`).
fn start_watchdog() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // A load-time setting: read once here, so the thread never takes the configuration lock (a lock held by
        // another thread when Redis forks would stay held in the child).
        let limit = Duration::from_millis(config::get().model_execution_timeout.max(0) as u64);
        let _ = std::thread::Builder::new()
            .name("ai_onnx_timeout".into())
            .spawn(move || loop {
                std::thread::sleep(Duration::from_millis(50));
                let mut r = running();
                r.runs.retain(|(_, start, ro, ort)| {
                    if start.elapsed() < limit {
                        return true;
                    }
                    // SAFETY: the run options stay alive while listed (unwatch runs before their release).
                    let st = unsafe { (ort.api.RunOptionsSetTerminate)(*ro as *mut OrtRunOptions) };
                    let _ = ort.check(st);
                    false
                });
            });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes_round_trip() {
        for d in DType::ALL {
            assert_eq!(from_onnx_type(onnx_type(d)), Some(d));
        }
        assert_eq!(from_onnx_type(10), None); // FLOAT16
    }

    #[test]
    fn string_element_starts() {
        let b = b"ab\0\0xyz\0";
        let s = string_starts(b);
        assert_eq!(s.len(), 3);
        assert_eq!(s[1] as usize - b.as_ptr() as usize, 3);
        assert_eq!(s[2] as usize - b.as_ptr() as usize, 4);
    }

    #[test]
    fn missing_library_is_an_error() {
        let e = OnnxBackend::open("/nonexistent/dir/libonnxruntime.so")
            .err()
            .unwrap();
        assert!(e.contains("not found"), "{e}");
    }
}
