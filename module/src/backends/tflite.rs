//! The TFLITE backend: LiteRT's C library (`libLiteRt.so` of `ai-edge-litert` 2.3.0) opened with `dlopen` and
//! called through [`super::litert_api`] (RedisAI `src/backends/tflite.c` + `libtflite_c/tflite_c.cpp`). A model is
//! compiled for the CPU (XNNPACK) and run with its first signature: inputs and outputs in that signature's order.
//! As in RedisAI, inputs are resized to the shapes given on every run. A compiled model is not re-entrant, so its
//! runs take turns; its input and output host buffers (64-byte aligned, as LiteRT requires) are kept between runs
//! of the same shapes. The store has no FLOAT16 tensors: FLOAT16 outputs are returned as FLOAT, and a model with a
//! FLOAT16 input is refused when stored.

use std::alloc::{self, Layout};
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::litert_api::*;
use smartredis_protocol::Backend;

use super::{BackendLibrary, InfoValue, LoadedModel, ModelOptions};
use crate::tensor::dtype::DType;
use crate::tensor::tensor::{Tensor, TensorData};

/// The library file looked for when the configured path is a directory.
pub const LIBRARY_NAME: &str = "libLiteRt.so";

/// The LiteRT version the declarations are pinned to (the library has no version query); `INFO MODULES` shows it.
pub const VERSION: &str = "2.3.0";

/// The opened library and its environment. Never unloaded.
struct Lrt {
    api: Api,
    env: *mut LiteRtEnvironmentT,
}

// SAFETY: a LiteRT environment may be shared by models created and run on any thread; it lives as long as the
// process (the library is never closed).
unsafe impl Send for Lrt {}
unsafe impl Sync for Lrt {}

impl Lrt {
    /// Turns a status into a result; the error names the call and the status.
    fn check(&self, what: &str, st: Status) -> Result<(), String> {
        if st == STATUS_OK {
            Ok(())
        } else {
            Err(format!("{what} failed: {} ({st})", status_name(st)))
        }
    }
}

/// The loaded TFLITE backend.
pub struct TfliteBackend {
    lrt: Arc<Lrt>,
}

impl TfliteBackend {
    /// Opens LiteRT from `path`: the library file, or a directory holding [`LIBRARY_NAME`].
    pub fn open(path: &str) -> Result<TfliteBackend, String> {
        let p = Path::new(path);
        // A directory (RedisAI's layout), also when it is missing, so that the error names the library file.
        let file = if p.is_dir() || (!p.exists() && p.extension().is_none()) {
            p.join(LIBRARY_NAME)
        } else {
            p.to_path_buf()
        };
        if !file.exists() {
            return Err(format!(
                "{} not found (scripts/fetch-litert.sh fetches it)",
                file.display()
            ));
        }
        let cfile = CString::new(file.to_string_lossy().into_owned())
            .map_err(|_| "bad library path".to_string())?;
        // SAFETY: dlopen with a valid C string; the handle is kept for the life of the process.
        let handle = unsafe { libc::dlopen(cfile.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            return Err(format!("cannot open {}: {}", file.display(), dl_error()));
        }
        // SAFETY: a live handle; the declarations are LiteRT 2.3.0's, the version the install step fetches.
        let api = unsafe { Api::load(handle) }
            .map_err(|e| format!("{} is not usable: {e}", file.display()))?;
        // Only the CPU accelerator, and only LiteRT's errors on stderr: the Redis log stays the module's own.
        let opts = CPU_ENV_OPTIONS;
        let mut env = std::ptr::null_mut();
        // SAFETY: the options array outlives the call; `env` is an out-pointer to a local.
        let st = unsafe { (api.CreateEnvironment)(opts.len() as c_int, opts.as_ptr(), &mut env) };
        let lrt = Lrt { api, env };
        lrt.check("LiteRtCreateEnvironment", st)?;
        Ok(TfliteBackend { lrt: Arc::new(lrt) })
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

/// Host memory aligned to [`HOST_MEMORY_ALIGNMENT`], as LiteRT requires of tensor buffers (and of model bytes).
struct Aligned {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: plain owned memory.
unsafe impl Send for Aligned {}
unsafe impl Sync for Aligned {}

impl Aligned {
    /// `len` zeroed bytes (at least one is allocated).
    fn zeroed(len: usize) -> Result<Aligned, String> {
        let layout = Layout::from_size_align(len.max(1), HOST_MEMORY_ALIGNMENT)
            .map_err(|_| "tensor too large".to_string())?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc::alloc_zeroed(layout) };
        if ptr.is_null() {
            return Err("out of memory".into());
        }
        Ok(Aligned { ptr, len })
    }

    fn copy_of(bytes: &[u8]) -> Result<Aligned, String> {
        let a = Aligned::zeroed(bytes.len())?;
        // SAFETY: `a` holds bytes.len() bytes and does not overlap `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), a.ptr, bytes.len()) };
        Ok(a)
    }

    fn as_slice(&self) -> &[u8] {
        // SAFETY: `len` initialised bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Aligned {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this layout.
        unsafe {
            alloc::dealloc(
                self.ptr,
                Layout::from_size_align_unchecked(self.len.max(1), HOST_MEMORY_ALIGNMENT),
            )
        };
    }
}

/// LiteRT element types (`LiteRtElementType`, TFLite's `TfLiteType` codes) of the tensor types the store has.
fn litert_type(d: DType) -> Option<c_int> {
    Some(match d {
        DType::Float => 1,
        DType::Int32 => 2,
        DType::Uint8 => 3,
        DType::Int64 => 4,
        DType::Bool => 6,
        DType::Int16 => 7,
        DType::Int8 => 9,
        DType::Double => 11,
        DType::Uint16 => 17,
        DType::String => return None,
    })
}

fn from_litert_type(t: c_int) -> Option<DType> {
    DType::ALL.into_iter().find(|&d| litert_type(d) == Some(t))
}

/// `kLiteRtElementTypeFloat16`: the store has no such tensors; outputs of this type are converted to FLOAT.
const FLOAT16: c_int = 10;

/// The element type of a model output: one the store has, or FLOAT16 (returned as FLOAT).
#[derive(Clone, Copy, Debug, PartialEq)]
enum OutType {
    Store(DType),
    Float16,
}

impl OutType {
    /// The LiteRT element type and its size in bytes.
    fn litert(self) -> Option<(c_int, usize)> {
        match self {
            OutType::Store(d) => litert_type(d).map(|c| (c, d.size())),
            OutType::Float16 => Some((FLOAT16, 2)),
        }
    }

    /// The type of the tensor the store gets.
    fn dtype(self) -> DType {
        match self {
            OutType::Store(d) => d,
            OutType::Float16 => DType::Float,
        }
    }
}

/// An IEEE 754 half-precision value as `f32` (exact: every half is a float).
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    match (exp, man) {
        (0, 0) => f32::from_bits(sign),
        // Subnormal: man * 2^-24.
        (0, _) => {
            let v = man as f32 / 16_777_216.0;
            if sign != 0 {
                -v
            } else {
                v
            }
        }
        (31, _) => f32::from_bits(sign | 0x7f80_0000 | (man << 13)),
        _ => f32::from_bits(sign | ((exp + 112) << 23) | (man << 13)),
    }
}

/// Little-endian halves as little-endian floats.
fn f16_bytes_to_f32(bytes: &[u8]) -> Vec<u8> {
    bytes
        .chunks_exact(2)
        .flat_map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])).to_le_bytes())
        .collect()
}

/// One host buffer bound to a LiteRT tensor buffer of a fixed type and shape; the LiteRT buffer is destroyed
/// before the memory is freed.
struct HostBuffer {
    handle: *mut LiteRtTensorBufferT,
    destroy: unsafe extern "C" fn(*mut LiteRtTensorBufferT),
    mem: Aligned,
    ty: OutType,
    shape: Vec<i64>,
}

impl HostBuffer {
    fn new(lrt: &Lrt, elem: OutType, dims: &[i32]) -> Result<HostBuffer, String> {
        let (code, size) = elem.litert().ok_or("unsupported tensor type")?;
        let mut n: usize = 1;
        for &d in dims {
            if d <= 0 {
                return Err(format!("dynamic or empty dimension {d} in tensor shape"));
            }
            n = n.checked_mul(d as usize).ok_or("tensor too large")?;
        }
        let bytes = n.checked_mul(size).ok_or("tensor too large")?;
        let mem = Aligned::zeroed(bytes)?;
        let ty = LiteRtRankedTensorType {
            element_type: code,
            layout: LiteRtLayout::new(dims),
        };
        let mut handle = std::ptr::null_mut();
        // SAFETY: `mem` is 64-byte aligned, holds `bytes` bytes and outlives the buffer (dropped after it).
        let st = unsafe {
            (lrt.api.CreateTensorBufferFromHostMemory)(
                &ty,
                mem.ptr.cast::<c_void>(),
                bytes,
                None,
                &mut handle,
            )
        };
        lrt.check("LiteRtCreateTensorBufferFromHostMemory", st)?;
        Ok(HostBuffer {
            handle,
            destroy: lrt.api.DestroyTensorBuffer,
            mem,
            ty: elem,
            shape: dims.iter().map(|&d| i64::from(d)).collect(),
        })
    }
}

impl Drop for HostBuffer {
    fn drop(&mut self) {
        // SAFETY: created by LiteRtCreateTensorBufferFromHostMemory, destroyed once; `mem` is freed after this.
        unsafe { (self.destroy)(self.handle) };
    }
}

/// One compiled LiteRT model.
struct TfliteModel {
    lrt: Arc<Lrt>,
    inputs: Vec<String>,
    outputs: Vec<String>,
    /// The model's input element types, in signature order.
    input_types: Vec<DType>,
    /// The compiled model and the buffers of the last run's shapes; runs take turns.
    state: Mutex<Compiled>,
}

struct Compiled {
    lrt: Arc<Lrt>,
    compiled: *mut LiteRtCompiledModelT,
    model: *mut LiteRtModelT,
    /// The flatbuffer, which must outlive the model.
    _blob: Aligned,
    ins: Vec<HostBuffer>,
    outs: Vec<HostBuffer>,
    /// The input shapes the compiled model was last resized to (empty: none known).
    resized: Vec<Vec<i32>>,
    /// The output element types, in signature order.
    output_types: Vec<OutType>,
}

// SAFETY: the compiled model is only used under the mutex; LiteRT objects are not tied to a thread.
unsafe impl Send for Compiled {}

impl Drop for Compiled {
    fn drop(&mut self) {
        let a = &self.lrt.api;
        // Buffers before the compiled model.
        self.ins.clear();
        self.outs.clear();
        // SAFETY: each handle was created by LiteRT and is destroyed once, the compiled model before the model,
        // and the model before its bytes (`_blob`, dropped after this).
        unsafe {
            if !self.compiled.is_null() {
                (a.DestroyCompiledModel)(self.compiled);
            }
            if !self.model.is_null() {
                (a.DestroyModel)(self.model);
            }
        }
    }
}

/// Reads a C string LiteRT owns.
fn c_name(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: a NUL-terminated string owned by the model, alive while it is.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

impl BackendLibrary for TfliteBackend {
    fn kind(&self) -> Backend {
        Backend::Tflite
    }

    fn load_model(&self, blob: &[u8], opts: &ModelOptions) -> Result<Arc<dyn LoadedModel>, String> {
        if opts.device.starts_with("GPU") {
            return Err("ERR GPU devices are not supported by this build (CPU only)".into());
        }
        let lrt = &self.lrt;
        let a = &lrt.api;
        let bytes = Aligned::copy_of(blob)?;
        let mut c = Compiled {
            lrt: lrt.clone(),
            compiled: std::ptr::null_mut(),
            model: std::ptr::null_mut(),
            _blob: bytes,
            ins: Vec::new(),
            outs: Vec::new(),
            resized: Vec::new(),
            output_types: Vec::new(),
        };
        // SAFETY: the bytes live in `c` as long as the model.
        let st = unsafe {
            (a.CreateModelFromBuffer)(lrt.env, c._blob.ptr.cast(), blob.len(), &mut c.model)
        };
        if st != STATUS_OK {
            // RedisAI's message (libtflite_c), with LiteRT's reason.
            return Err(format!(
                "Failed to load model from buffer ({})",
                status_name(st)
            ));
        }
        let mut nsig = 0usize;
        let mut sig = std::ptr::null_mut();
        // SAFETY: a live model; out-pointers to locals.
        unsafe {
            lrt.check(
                "LiteRtGetNumModelSignatures",
                (a.GetNumModelSignatures)(c.model, &mut nsig),
            )?;
            if nsig == 0 {
                return Err("Failed to load model from buffer (no signature)".into());
            }
            lrt.check(
                "LiteRtGetModelSignature",
                (a.GetModelSignature)(c.model, 0, &mut sig),
            )?;
        }
        let (inputs, input_types) = signature_tensors(lrt, sig, true)?;
        let input_types = input_types
            .into_iter()
            .zip(&inputs)
            .map(|(t, name)| match t {
                OutType::Store(d) => Ok(d),
                OutType::Float16 => Err(format!(
                    "input {name} is FLOAT16, a type the store has no tensors of (FLOAT16 outputs are returned as FLOAT)"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (outputs, output_types) = signature_tensors(lrt, sig, false)?;
        c.output_types = output_types;
        let mut o = std::ptr::null_mut();
        // SAFETY: out-pointer to a local; the options are destroyed once, after the compiled model is made (the
        // caller keeps ownership of them).
        unsafe {
            lrt.check("LiteRtCreateOptions", (a.CreateOptions)(&mut o))?;
            let made = lrt
                .check(
                    "LiteRtSetOptionsHardwareAccelerators",
                    (a.SetOptionsHardwareAccelerators)(o, HW_ACCELERATOR_CPU),
                )
                .and_then(|()| {
                    lrt.check(
                        "LiteRtCreateCompiledModel",
                        (a.CreateCompiledModel)(lrt.env, c.model, o, &mut c.compiled),
                    )
                });
            (a.DestroyOptions)(o);
            made.map_err(|e| format!("Failed to compile the model: {e}"))?;
        }
        Ok(Arc::new(TfliteModel {
            lrt: lrt.clone(),
            inputs,
            outputs,
            input_types,
            state: Mutex::new(c),
        }))
    }

    fn info(&self) -> Vec<(&'static str, InfoValue)> {
        vec![("TensorFlowLite_version", InfoValue::Str(VERSION.into()))]
    }
}

/// A signature's input (or output) names and element types, in its order.
fn signature_tensors(
    lrt: &Lrt,
    sig: *mut LiteRtSignatureT,
    inputs: bool,
) -> Result<(Vec<String>, Vec<OutType>), String> {
    let a = &lrt.api;
    let (count, name, tensor) = if inputs {
        (
            a.GetNumSignatureInputs,
            a.GetSignatureInputName,
            a.GetSignatureInputTensorByIndex,
        )
    } else {
        (
            a.GetNumSignatureOutputs,
            a.GetSignatureOutputName,
            a.GetSignatureOutputTensorByIndex,
        )
    };
    let mut n = 0usize;
    // SAFETY: a live signature; out-pointer to a local.
    lrt.check("signature count", unsafe { count(sig, &mut n) })?;
    let (mut names, mut types) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let mut p: *const c_char = std::ptr::null();
        let mut t = std::ptr::null_mut();
        let mut id: c_int = -1;
        let mut ty = LiteRtRankedTensorType {
            element_type: 0,
            layout: LiteRtLayout::new(&[]),
        };
        // SAFETY: a live signature and tensor; out-pointers to locals.
        unsafe {
            lrt.check("signature name", name(sig, i, &mut p))?;
            lrt.check("signature tensor", tensor(sig, i, &mut t))?;
            lrt.check("LiteRtGetTensorTypeId", (a.GetTensorTypeId)(t, &mut id))?;
            if id != RANKED_TENSOR_TYPE {
                return Err("tensors of unknown rank are not supported".into());
            }
            lrt.check(
                "LiteRtGetRankedTensorType",
                (a.GetRankedTensorType)(t, &mut ty),
            )?;
        }
        let dtype = match from_litert_type(ty.element_type) {
            Some(d) => OutType::Store(d),
            None if ty.element_type == FLOAT16 => OutType::Float16,
            None => {
                return Err(format!(
                    "unsupported tensor type (TFLite type {}) for {}",
                    ty.element_type,
                    c_name(p)
                ))
            }
        };
        names.push(c_name(p));
        types.push(dtype);
    }
    Ok((names, types))
}

impl TfliteModel {
    /// Makes the input buffers match the given tensors (resizing the model's inputs when a shape changed) and
    /// the output buffers match the resulting output shapes.
    fn prepare(&self, c: &mut Compiled, inputs: &[&Tensor]) -> Result<(), String> {
        let lrt = &*self.lrt;
        let a = &lrt.api;
        let same = c.ins.len() == inputs.len()
            && c.ins.iter().zip(inputs).all(|(b, t)| b.shape == t.shape);
        if same && c.outs.len() == c.output_types.len() {
            return Ok(());
        }
        c.ins.clear();
        c.outs.clear();
        let mut ins = Vec::with_capacity(inputs.len());
        for (i, t) in inputs.iter().enumerate() {
            if t.shape.len() > MAX_RANK {
                return Err(format!("input {i} has more than {MAX_RANK} dimensions"));
            }
            let dims: Vec<i32> = t
                .shape
                .iter()
                .map(|&d| i32::try_from(d).map_err(|_| format!("input {i} is too large")))
                .collect::<Result<_, _>>()?;
            if c.resized.get(i) != Some(&dims) {
                c.resized.clear();
                // SAFETY: a live compiled model; index < the signature's input count (checked by the caller).
                let st = unsafe {
                    (a.ResizeInputTensorNonStrict)(c.compiled, 0, i, dims.as_ptr(), dims.len())
                };
                lrt.check("LiteRtCompiledModelResizeInputTensor", st)
                    .map_err(|e| format!("cannot resize input {i} to {:?}: {e}", t.shape))?;
            }
            ins.push(HostBuffer::new(lrt, OutType::Store(t.dtype), &dims)?);
        }
        let mut layouts = vec![LiteRtLayout::new(&[]); c.output_types.len()];
        // SAFETY: `layouts` holds one layout per output.
        let st = unsafe {
            (a.GetOutputTensorLayouts)(c.compiled, 0, layouts.len(), layouts.as_mut_ptr(), true)
        };
        lrt.check("LiteRtGetCompiledModelOutputTensorLayouts", st)
            .map_err(|e| {
                let shapes: Vec<&[i64]> = inputs.iter().map(|t| t.shape.as_slice()).collect();
                format!("the model does not accept input shapes {shapes:?}: {e}")
            })?;
        let mut outs = Vec::with_capacity(layouts.len());
        for (l, &d) in layouts.iter().zip(&c.output_types) {
            outs.push(HostBuffer::new(lrt, d, l.dims())?);
        }
        c.resized = ins
            .iter()
            .map(|b| b.shape.iter().map(|&d| d as i32).collect())
            .collect();
        c.ins = ins;
        c.outs = outs;
        Ok(())
    }
}

impl LoadedModel for TfliteModel {
    fn inputs(&self) -> &[String] {
        &self.inputs
    }

    fn outputs(&self) -> &[String] {
        &self.outputs
    }

    fn run(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
        if inputs.len() != self.inputs.len() {
            return Err(format!(
                "the model has {} inputs, {} given",
                self.inputs.len(),
                inputs.len()
            ));
        }
        for (i, (t, &want)) in inputs.iter().zip(&self.input_types).enumerate() {
            if t.dtype != want {
                return Err(format!(
                    "input {i} ({}) is {}, the model expects {}",
                    self.inputs[i],
                    t.dtype.name(),
                    want.name()
                ));
            }
        }
        let mut c = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let c = &mut *c;
        if let Err(e) = self.prepare(c, inputs) {
            // Start from fresh buffers and shapes next time.
            c.resized.clear();
            c.ins.clear();
            c.outs.clear();
            return Err(e);
        }
        for (b, t) in c.ins.iter_mut().zip(inputs) {
            b.mem.as_mut_slice().copy_from_slice(t.bytes());
        }
        let mut ins: Vec<_> = c.ins.iter().map(|b| b.handle).collect();
        let mut outs: Vec<_> = c.outs.iter().map(|b| b.handle).collect();
        // SAFETY: live buffers of the shapes the compiled model was resized to; the arrays have these lengths.
        let st = unsafe {
            (self.lrt.api.RunCompiledModel)(
                c.compiled,
                0,
                ins.len(),
                ins.as_mut_ptr(),
                outs.len(),
                outs.as_mut_ptr(),
            )
        };
        self.lrt.check("LiteRtRunCompiledModel", st)?;
        Ok(c.outs
            .iter()
            .map(|b| Tensor {
                dtype: b.ty.dtype(),
                shape: b.shape.clone(),
                data: TensorData::owned(match b.ty {
                    OutType::Store(_) => b.mem.as_slice().to_vec(),
                    OutType::Float16 => f16_bytes_to_f32(b.mem.as_slice()),
                }),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes_round_trip() {
        for d in DType::ALL {
            if d != DType::String {
                assert_eq!(from_litert_type(litert_type(d).unwrap()), Some(d));
            }
        }
        assert_eq!(litert_type(DType::String), None);
        assert_eq!(from_litert_type(FLOAT16), None);
    }

    #[test]
    fn halves_become_floats() {
        for (h, f) in [
            (0x3c00u16, 1.0f32),
            (0xc000, -2.0),
            (0x3800, 0.5),
            (0x7bff, 65504.0),
            (0x0001, 5.960_464_5e-8),
            (0x8400, -6.103_515_6e-5),
            (0x0000, 0.0),
            (0x7c00, f32::INFINITY),
            (0xfc00, f32::NEG_INFINITY),
        ] {
            assert_eq!(f16_to_f32(h), f, "{h:#06x}");
        }
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
        assert_eq!(
            f16_bytes_to_f32(&[0x00, 0x3c, 0x00, 0xc0]),
            [1.0f32.to_le_bytes(), (-2.0f32).to_le_bytes()].concat()
        );
    }

    #[test]
    fn aligned_memory() {
        let a = Aligned::copy_of(&[1, 2, 3]).unwrap();
        assert_eq!(a.ptr as usize % HOST_MEMORY_ALIGNMENT, 0);
        assert_eq!(a.as_slice(), &[1, 2, 3]);
        assert_eq!(Aligned::zeroed(0).unwrap().as_slice(), &[] as &[u8]);
    }

    #[test]
    fn missing_library_is_an_error() {
        let e = TfliteBackend::open("/nonexistent/dir/libLiteRt.so")
            .err()
            .unwrap();
        assert!(e.contains("not found"), "{e}");
    }
}
