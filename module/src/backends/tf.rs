//! The TF backend: TensorFlow's C library (`libtensorflow_cc.so.2`, unpacked from the `tensorflow-cpu` wheel by
//! `scripts/fetch-tf.sh`) opened with `dlopen` on first use and called through [`super::tf_api`] (RedisAI
//! `src/backends/tensorflow.c`). A model is a frozen `GraphDef`; its `INPUTS` must name `Placeholder` operations and
//! its `OUTPUTS` operations of the graph (`name` is output 0, `name:i` output i). Each model gets one session,
//! configured with no GPU and the configured intra/inter-op thread counts; runs may be concurrent.

use std::ffi::{CStr, CString};
use std::os::raw::{c_int, c_void};
use std::path::Path;
use std::sync::Arc;

use smartredis_protocol::Backend;

use super::tf_api::*;
use super::{chomp, BackendLibrary, InfoValue, LoadedModel, ModelOptions};
use crate::tensor::dtype::DType;
use crate::tensor::tensor::{Tensor, TensorData};

/// The library file looked for when the configured path is a directory.
pub const LIBRARY_NAME: &str = "libtensorflow_cc.so.2";

/// TensorFlow's log threshold (0 INFO, 1 WARNING, 2 ERROR), read from the environment.
const LOG_LEVEL_VAR: &str = "TF_CPP_MIN_LOG_LEVEL";

/// The opened library. Never unloaded.
struct Tf {
    api: Api,
    version: String,
}

/// A `TF_Status`, deleted when dropped.
struct Status<'a> {
    api: &'a Api,
    st: *mut TF_Status,
}

impl<'a> Status<'a> {
    fn new(api: &'a Api) -> Result<Status<'a>, String> {
        // SAFETY: no arguments; NULL is checked.
        let st = unsafe { (api.TF_NewStatus)() };
        if st.is_null() {
            return Err("TF_NewStatus failed".into());
        }
        Ok(Status { api, st })
    }

    /// The status as a result: its message (one line) when it is not `TF_OK`.
    fn check(&self) -> Result<(), String> {
        // SAFETY: a live status; its message is a C string owned by it.
        unsafe {
            if (self.api.TF_GetCode)(self.st) == TF_OK {
                return Ok(());
            }
            let msg = CStr::from_ptr((self.api.TF_Message)(self.st));
            Err(chomp(&msg.to_string_lossy()))
        }
    }
}

impl Drop for Status<'_> {
    fn drop(&mut self) {
        // SAFETY: created by TF_NewStatus, deleted once.
        unsafe { (self.api.TF_DeleteStatus)(self.st) };
    }
}

/// The loaded TF backend.
pub struct TfBackend {
    tf: Arc<Tf>,
}

/// Opens TensorFlow from `path`: the library file, or a directory holding [`LIBRARY_NAME`].
pub fn open(path: &str) -> Result<TfBackend, String> {
    let p = Path::new(path);
    let file = if p.is_dir() {
        p.join(LIBRARY_NAME)
    } else {
        p.to_path_buf()
    };
    if !file.exists() {
        return Err(format!(
            "the TF backend is not available ({} not found; scripts/fetch-tf.sh fetches it)",
            file.display()
        ));
    }
    let cfile =
        CString::new(file.to_string_lossy().into_owned()).map_err(|_| "bad library path")?;
    // TensorFlow logs INFO and WARNING lines to stderr (the Redis log): CPU features at load, and every run error
    // again, which the client already gets. Errors only, unless the user chose a level. Backends are loaded on the
    // main thread, before TensorFlow's own threads exist.
    if std::env::var_os(LOG_LEVEL_VAR).is_none() {
        std::env::set_var(LOG_LEVEL_VAR, "2");
    }
    // SAFETY: dlopen with a valid C string; the handle is kept for the life of the process.
    let handle = unsafe { libc::dlopen(cfile.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(format!("cannot open {}: {}", file.display(), dl_error()));
    }
    // SAFETY: a live handle, never closed.
    let api = unsafe { Api::resolve(handle) }?;
    // SAFETY: TF_Version returns a static string.
    let version = unsafe { CStr::from_ptr((api.TF_Version)()) }
        .to_string_lossy()
        .into_owned();
    Ok(TfBackend {
        tf: Arc::new(Tf { api, version }),
    })
}

impl TfBackend {
    /// TensorFlow's version.
    pub fn version(&self) -> &str {
        &self.tf.version
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

/// A serialized `ConfigProto`: `device_count {"GPU": 0}` (RedisAI's CPU setting), then
/// `intra_op_parallelism_threads` (field 2) and `inter_op_parallelism_threads` (field 5) when set. One inter-op
/// thread is written as -1, which makes TensorFlow run the graph's ops in the calling thread: the same one-at-a-time
/// execution, without handing each run to a pool thread and waiting for it (two thread wake-ups per run).
pub fn session_config(intra_op_threads: i64, inter_op_threads: i64) -> Vec<u8> {
    let mut c = vec![0x0a, 0x07, 0x0a, 0x03, b'G', b'P', b'U', 0x10, 0x00];
    let inter_op = if inter_op_threads == 1 {
        -1
    } else {
        inter_op_threads.max(0)
    };
    for (tag, n) in [(0x10u8, intra_op_threads.max(0)), (0x28, inter_op)] {
        // A negative int32 is a 10-byte varint of its 64-bit two's complement.
        if n != 0 {
            c.push(tag);
            let mut v = n as u64;
            while v >= 0x80 {
                c.push((v as u8) | 0x80);
                v >>= 7;
            }
            c.push(v as u8);
        }
    }
    c
}

/// Splits `name:index` (an operation's output `index`); a name without a numeric suffix is output 0.
pub fn split_port(name: &str) -> (&str, c_int) {
    if let Some((op, idx)) = name.rsplit_once(':') {
        if !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(i) = idx.parse::<c_int>() {
                return (op, i);
            }
        }
    }
    (name, 0)
}

/// A graph and the session that runs it, deleted when dropped.
struct Graph {
    tf: Arc<Tf>,
    graph: *mut TF_Graph,
    session: *mut TF_Session,
}

impl Graph {
    /// Resolves `name` (or `name:index`) to an output of the graph; `placeholder` requires a `Placeholder`
    /// operation (model inputs). `None` when there is no such output.
    fn port(&self, name: &str, placeholder: bool) -> Option<TF_Output> {
        let api = &self.tf.api;
        let lookup = |n: &str| -> *mut TF_Operation {
            match CString::new(n) {
                // SAFETY: a live graph and a valid C string.
                Ok(c) => unsafe { (api.TF_GraphOperationByName)(self.graph, c.as_ptr()) },
                Err(_) => std::ptr::null_mut(),
            }
        };
        let (mut oper, mut index) = (lookup(name), 0);
        if oper.is_null() {
            let (op, i) = split_port(name);
            if op.len() == name.len() {
                return None;
            }
            (oper, index) = (lookup(op), i);
        }
        if oper.is_null() {
            return None;
        }
        // SAFETY: a live operation of the graph; the type is a C string it owns.
        unsafe {
            if index >= (api.TF_OperationNumOutputs)(oper) {
                return None;
            }
            if placeholder
                && CStr::from_ptr((api.TF_OperationOpType)(oper)).to_bytes() != b"Placeholder"
            {
                return None;
            }
        }
        Some(TF_Output { oper, index })
    }
}

impl Drop for Graph {
    fn drop(&mut self) {
        let api = &self.tf.api;
        if let Ok(st) = Status::new(api) {
            if !self.session.is_null() {
                // SAFETY: created by TF_NewSession, closed and deleted once.
                unsafe {
                    (api.TF_CloseSession)(self.session, st.st);
                    (api.TF_DeleteSession)(self.session, st.st);
                }
            }
        }
        // SAFETY: created by TF_NewGraph, deleted once (after its session).
        unsafe { (api.TF_DeleteGraph)(self.graph) };
    }
}

impl BackendLibrary for TfBackend {
    fn kind(&self) -> Backend {
        Backend::Tf
    }

    fn load_model(&self, blob: &[u8], opts: &ModelOptions) -> Result<Arc<dyn LoadedModel>, String> {
        if opts.device.starts_with("GPU") {
            return Err("ERR GPU devices are not supported by this build (CPU only)".into());
        }
        let tf = &self.tf;
        let api = &tf.api;
        // SAFETY: no arguments; NULL is checked.
        let graph = unsafe { (api.TF_NewGraph)() };
        if graph.is_null() {
            return Err("TF_NewGraph failed".into());
        }
        let mut g = Graph {
            tf: tf.clone(),
            graph,
            session: std::ptr::null_mut(),
        };
        let st = Status::new(api)?;
        let def = TF_Buffer {
            data: blob.as_ptr().cast(),
            length: blob.len(),
            data_deallocator: None,
        };
        // SAFETY: a live graph and status; the buffer borrows the blob for the duration of the call.
        unsafe {
            let io = (api.TF_NewImportGraphDefOptions)();
            (api.TF_GraphImportGraphDef)(graph, &def, io, st.st);
            (api.TF_DeleteImportGraphDefOptions)(io);
        }
        st.check()?;
        let mut in_ports = Vec::with_capacity(opts.inputs.len());
        for name in &opts.inputs {
            in_ports.push(g.port(name, true).ok_or_else(|| {
                format!("ERR Input node named \"{name}\" not found in TF graph.")
            })?);
        }
        let mut out_ports = Vec::with_capacity(opts.outputs.len());
        for name in &opts.outputs {
            out_ports.push(g.port(name, false).ok_or_else(|| {
                format!("ERR Output node named \"{name}\" not found in TF graph")
            })?);
        }
        let config = session_config(opts.intra_op_threads, opts.inter_op_threads);
        // SAFETY: live graph, options and status; the config bytes outlive the call (TF parses them).
        unsafe {
            let so = (api.TF_NewSessionOptions)();
            (api.TF_SetConfig)(so, config.as_ptr().cast(), config.len(), st.st);
            if st.check().is_ok() {
                g.session = (api.TF_NewSession)(graph, so, st.st);
            }
            (api.TF_DeleteSessionOptions)(so);
        }
        st.check()?;
        if g.session.is_null() {
            return Err("TF_NewSession failed".into());
        }
        Ok(Arc::new(TfModel {
            g,
            inputs: opts.inputs.clone(),
            outputs: opts.outputs.clone(),
            in_ports,
            out_ports,
        }))
    }

    fn info(&self) -> Vec<(&'static str, InfoValue)> {
        vec![(
            "TensorFlow_version",
            InfoValue::Str(self.tf.version.clone()),
        )]
    }
}

/// One TF model: its graph and session, and the ports its inputs and outputs resolve to.
struct TfModel {
    g: Graph,
    inputs: Vec<String>,
    outputs: Vec<String>,
    in_ports: Vec<TF_Output>,
    out_ports: Vec<TF_Output>,
}

// SAFETY: `TF_SessionRun` may be called concurrently from several threads on one session; the graph is only read
// after loading.
unsafe impl Send for TfModel {}
unsafe impl Sync for TfModel {}

/// `TF_DataType` of a tensor type; `None` for STRING (not supported by this backend).
fn tf_type(d: DType) -> Option<c_int> {
    Some(match d {
        DType::Float => dtype::FLOAT,
        DType::Double => dtype::DOUBLE,
        DType::Int8 => dtype::INT8,
        DType::Int16 => dtype::INT16,
        DType::Int32 => dtype::INT32,
        DType::Int64 => dtype::INT64,
        DType::Uint8 => dtype::UINT8,
        DType::Uint16 => dtype::UINT16,
        DType::Bool => dtype::BOOL,
        DType::String => return None,
    })
}

fn from_tf_type(t: c_int) -> Option<DType> {
    DType::ALL.into_iter().find(|&d| tf_type(d) == Some(t))
}

/// Tensors deleted when dropped.
struct Tensors<'a> {
    api: &'a Api,
    v: Vec<*mut TF_Tensor>,
}

impl Drop for Tensors<'_> {
    fn drop(&mut self) {
        for &t in &self.v {
            if !t.is_null() {
                // SAFETY: tensors created by this API (or returned by a run), deleted once.
                unsafe { (self.api.TF_DeleteTensor)(t) };
            }
        }
    }
}

/// The deallocator of input tensors that borrow the store's bytes: they are not TensorFlow's to free.
unsafe extern "C" fn borrowed(_data: *mut c_void, _len: usize, _arg: *mut c_void) {}

impl TfModel {
    /// A TF tensor over an input's bytes. `TF_NewTensor` borrows them when they are aligned as TensorFlow needs
    /// (no copy: the tensor is marked as not owning its memory, so TensorFlow never reuses it for an output) and
    /// otherwise copies them itself. The caller deletes the tensor, and copies out every output, before the
    /// borrow of `t` ends.
    fn input_tensor(&self, t: &Tensor) -> Result<*mut TF_Tensor, String> {
        let api = &self.g.tf.api;
        let ty = tf_type(t.dtype)
            .ok_or_else(|| format!("the TF backend does not support {} tensors", t.dtype.name()))?;
        let bytes = t.bytes();
        let (shape, ndim) = (t.shape.as_ptr(), t.shape.len() as c_int);
        // SAFETY: the shape has `ndim` dims. A non-empty buffer is lent to TensorFlow, which never writes into
        // it and releases it through `borrowed` (a no-op); TF checks `bytes.len()` against the shape.
        let out = unsafe {
            if bytes.is_empty() {
                (api.TF_AllocateTensor)(ty, shape, ndim, 0)
            } else {
                (api.TF_NewTensor)(
                    ty,
                    shape,
                    ndim,
                    bytes.as_ptr().cast_mut().cast(),
                    bytes.len(),
                    borrowed,
                    std::ptr::null_mut(),
                )
            }
        };
        if out.is_null() {
            return Err(
                "cannot make a TF tensor of the input (its size does not match its shape)".into(),
            );
        }
        Ok(out)
    }

    /// Copies a run's output into a tensor.
    fn output_tensor(&self, t: *mut TF_Tensor) -> Result<Tensor, String> {
        let api = &self.g.tf.api;
        if t.is_null() {
            return Err("the model produced no output tensor".into());
        }
        // SAFETY: a live output tensor; its data holds TF_TensorByteSize bytes.
        unsafe {
            let ty = (api.TF_TensorType)(t);
            let dtype = from_tf_type(ty)
                .ok_or_else(|| format!("unsupported output tensor type (TF type {ty})"))?;
            let ndim = (api.TF_NumDims)(t).max(0);
            let shape: Vec<i64> = (0..ndim).map(|i| (api.TF_Dim)(t, i)).collect();
            if shape.iter().any(|&d| d <= 0) {
                return Err("model output has an empty dimension".into());
            }
            let n = shape
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(d as usize))
                .and_then(|n| n.checked_mul(dtype.size()))
                .ok_or("model output too large")?;
            let len = (api.TF_TensorByteSize)(t);
            let p = (api.TF_TensorData)(t);
            if len != n || p.is_null() {
                return Err("model output has an unexpected size".into());
            }
            Ok(Tensor {
                dtype,
                shape,
                data: TensorData::owned(std::slice::from_raw_parts(p.cast::<u8>(), len).to_vec()),
            })
        }
    }
}

impl LoadedModel for TfModel {
    fn inputs(&self) -> &[String] {
        &self.inputs
    }

    fn outputs(&self) -> &[String] {
        &self.outputs
    }

    fn run(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
        let api = &self.g.tf.api;
        if inputs.len() != self.in_ports.len() {
            return Err(format!(
                "the model takes {} inputs, {} given",
                self.in_ports.len(),
                inputs.len()
            ));
        }
        let mut ins = Tensors {
            api,
            v: Vec::with_capacity(inputs.len()),
        };
        for t in inputs {
            ins.v.push(self.input_tensor(t)?);
        }
        let mut outs = Tensors {
            api,
            v: vec![std::ptr::null_mut(); self.out_ports.len()],
        };
        let st = Status::new(api)?;
        // SAFETY: every array has the advertised length and outlives the call; outputs are written into `outs`.
        unsafe {
            (api.TF_SessionRun)(
                self.g.session,
                std::ptr::null(),
                self.in_ports.as_ptr(),
                ins.v.as_ptr(),
                ins.v.len() as c_int,
                self.out_ports.as_ptr(),
                outs.v.as_mut_ptr(),
                outs.v.len() as c_int,
                std::ptr::null(),
                0,
                std::ptr::null_mut(),
                st.st,
            )
        };
        st.check()?;
        outs.v.iter().map(|&t| self.output_tensor(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_proto_bytes() {
        assert_eq!(session_config(0, 0), b"\x0a\x07\x0a\x03GPU\x10\x00");
        assert_eq!(
            session_config(2, 300),
            b"\x0a\x07\x0a\x03GPU\x10\x00\x10\x02\x28\xac\x02"
        );
        // One inter-op thread: -1 (the calling thread), a 10-byte varint.
        assert_eq!(
            session_config(1, 1),
            b"\x0a\x07\x0a\x03GPU\x10\x00\x10\x01\x28\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
        );
    }

    #[test]
    fn ports() {
        assert_eq!(split_port("x"), ("x", 0));
        assert_eq!(split_port("x:1"), ("x", 1));
        assert_eq!(split_port("a:b"), ("a:b", 0));
        assert_eq!(split_port("a:"), ("a:", 0));
        assert_eq!(split_port("scope/y:12"), ("scope/y", 12));
    }

    #[test]
    fn type_codes_round_trip() {
        for d in DType::ALL {
            if d != DType::String {
                assert_eq!(from_tf_type(tf_type(d).unwrap()), Some(d));
            }
        }
        assert_eq!(from_tf_type(dtype::STRING), None);
    }

    #[test]
    fn missing_library_is_an_error() {
        let e = open("/nonexistent/dir/libtensorflow_cc.so.2")
            .err()
            .unwrap();
        assert!(e.contains("not found"), "{e}");
    }
}
