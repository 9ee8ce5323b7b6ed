//! TorchScript test models and scripts run directly in libtorch, through the module's TORCH shim
//! (`build/backends/redisai_torch/redisai_torch.so`, built by the module's build.rs when libtorch-dev is
//! installed): [`Shim::build_module`] makes a TorchScript archive (`torch::jit::Module` + `define` + `save`), and
//! [`Shim::run_model`] / [`Shim::run_script`] give the reference results the store's answers are checked against.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::PathBuf;

/// [`crate::backends_path`] as a string, the form a `BACKENDSPATH` argument takes; the build places the shim there
/// too.
pub fn backends_path() -> String {
    crate::backends_path().to_string_lossy().into_owned()
}

/// The shim's path; panics with the fix when it was not built.
pub fn shim_path() -> PathBuf {
    let p = crate::backends_path().join("redisai_torch/redisai_torch.so");
    assert!(
        p.exists(),
        "{} is missing: install libtorch-dev (scripts/install-deps.sh) and rebuild the module",
        p.display()
    );
    p
}

#[repr(C)]
struct RaiTensor {
    code: u8,
    bits: u8,
    ndim: i32,
    shape: *const i64,
    data: *const c_void,
    nbytes: usize,
}

type Sink = unsafe extern "C" fn(*mut c_void, *const RaiTensor);
type Append = unsafe extern "C" fn(*mut c_void, *const u8, usize);

/// A float32 tensor: dims and values.
pub type F32 = (Vec<i64>, Vec<f32>);

/// The shim, opened in the test process.
pub struct Shim {
    handle: *mut c_void,
}

unsafe extern "C" fn append(buf: *mut c_void, p: *const u8, n: usize) {
    unsafe { (*buf.cast::<Vec<u8>>()).extend_from_slice(std::slice::from_raw_parts(p, n)) };
}

unsafe extern "C" fn sink(ctx: *mut c_void, t: *const RaiTensor) {
    let (out, t) = unsafe { (&mut *ctx.cast::<Vec<F32>>(), &*t) };
    assert_eq!((t.code, t.bits), (2, 32), "float32 outputs only");
    let dims = unsafe { std::slice::from_raw_parts(t.shape, t.ndim as usize) }.to_vec();
    let data = unsafe { std::slice::from_raw_parts(t.data.cast::<f32>(), t.nbytes / 4) }.to_vec();
    out.push((dims, data));
}

fn view(t: &(&[i64], &[f32])) -> RaiTensor {
    RaiTensor {
        code: 2,
        bits: 32,
        ndim: t.0.len() as i32,
        shape: t.0.as_ptr(),
        data: t.1.as_ptr().cast(),
        nbytes: t.1.len() * 4,
    }
}

/// The TorchScript source of [`Shim::cnn`].
const CNN: &str = "def forward(self, x):
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.c1w, self.c1b)), [2, 2])
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.c2w, self.c2b)), [2, 2])
    x = torch.linear(torch.flatten(x, 1), self.fw, self.fb)
    return torch.log_softmax(x, 1)
";

impl Shim {
    /// Opens the shim (and with it libtorch).
    pub fn open() -> Shim {
        let p = CString::new(shim_path().to_string_lossy().into_owned()).unwrap();
        let handle = unsafe { libc::dlopen(p.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(!handle.is_null(), "dlopen of the TORCH shim failed");
        Shim { handle }
    }

    fn sym<T>(&self, name: &CStr) -> T {
        let p = unsafe { libc::dlsym(self.handle, name.as_ptr()) };
        assert!(!p.is_null(), "{name:?} missing");
        unsafe { std::mem::transmute_copy(&p) }
    }

    fn error(&self, e: *mut c_char) -> String {
        let s = unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned();
        let free: unsafe extern "C" fn(*mut c_char) = self.sym(c"rai_torch_free");
        unsafe { free(e) };
        s
    }

    /// A TorchScript archive of a module with float32 parameters `(name, dims, values)` and the methods in
    /// `source`.
    pub fn build_module(&self, source: &str, params: &[(&str, &[i64], &[f32])]) -> Vec<u8> {
        type F = unsafe extern "C" fn(
            *const c_char,
            usize,
            usize,
            *const *const c_char,
            *const RaiTensor,
            *mut c_void,
            Append,
            *mut *mut c_char,
        ) -> c_int;
        let f: F = self.sym(c"rai_torch_build_module");
        let names: Vec<CString> = params.iter().map(|p| CString::new(p.0).unwrap()).collect();
        let name_ptrs: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
        let views: Vec<RaiTensor> = params.iter().map(|p| view(&(p.1, p.2))).collect();
        let mut out: Vec<u8> = Vec::new();
        let mut err = std::ptr::null_mut();
        let rc = unsafe {
            f(
                source.as_ptr().cast(),
                source.len(),
                views.len(),
                name_ptrs.as_ptr(),
                views.as_ptr(),
                (&mut out as *mut Vec<u8>).cast(),
                append,
                &mut err,
            )
        };
        assert_eq!(rc, 0, "build_module: {}", self.error(err));
        out
    }

    /// [`crate::onnx::cnn`]'s network as a TorchScript archive (the same layers and weights; input `[N, 1, 28, 28]`,
    /// output `[N, 10]` log-probabilities).
    pub fn cnn(&self, w: &crate::onnx::CnnWeights<'_>) -> Vec<u8> {
        self.build_module(
            CNN,
            &[
                ("c1w", &[8, 1, 3, 3], w.c1w),
                ("c1b", &[8], w.c1b),
                ("c2w", &[16, 8, 3, 3], w.c2w),
                ("c2b", &[16], w.c2b),
                ("fw", &[10, 400], w.fw),
                ("fb", &[10], w.fb),
            ],
        )
    }

    /// Runs a TorchScript archive's forward on float32 inputs.
    pub fn run_model(&self, blob: &[u8], inputs: &[(&[i64], &[f32])]) -> Vec<F32> {
        self.load_model(blob, 0).run(inputs)
    }

    /// Loads a TorchScript archive once, to run it many times; `intra` intra-op threads (0 = libtorch's default).
    pub fn load_model(&self, blob: &[u8], intra: i64) -> TorchModel<'_> {
        type Load = unsafe extern "C" fn(
            *const c_char,
            usize,
            *const c_char,
            i64,
            i64,
            *mut c_void,
            Append,
            *mut usize,
            *mut *mut c_char,
        ) -> *mut c_void;
        let load: Load = self.sym(c"rai_torch_model_load");
        let mut names: Vec<u8> = Vec::new();
        let mut nout = 0usize;
        let mut err = std::ptr::null_mut();
        let m = unsafe {
            load(
                blob.as_ptr().cast(),
                blob.len(),
                c"CPU".as_ptr(),
                intra,
                0,
                (&mut names as *mut Vec<u8>).cast(),
                append,
                &mut nout,
                &mut err,
            )
        };
        assert!(!m.is_null(), "model_load: {}", self.error(err));
        TorchModel {
            shim: self,
            model: m,
            intra,
        }
    }

    /// Runs script function `function` with the inputs passed positionally.
    pub fn run_script(
        &self,
        source: &str,
        function: &str,
        inputs: &[(&[i64], &[f32])],
    ) -> Vec<F32> {
        type Compile = unsafe extern "C" fn(
            *const c_char,
            usize,
            *const c_char,
            *mut *mut c_char,
        ) -> *mut c_void;
        type Run = unsafe extern "C" fn(
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
        ) -> c_int;
        type Free = unsafe extern "C" fn(*mut c_void);
        let (compile, run, free): (Compile, Run, Free) = (
            self.sym(c"rai_torch_script_compile"),
            self.sym(c"rai_torch_script_run"),
            self.sym(c"rai_torch_script_free"),
        );
        let mut err = std::ptr::null_mut();
        let s = unsafe {
            compile(
                source.as_ptr().cast(),
                source.len(),
                c"CPU".as_ptr(),
                &mut err,
            )
        };
        assert!(!s.is_null(), "script_compile: {}", self.error(err));
        let views: Vec<RaiTensor> = inputs.iter().map(view).collect();
        let f = CString::new(function).unwrap();
        let mut out: Vec<F32> = Vec::new();
        let rc = unsafe {
            run(
                s,
                f.as_ptr(),
                0,
                views.len(),
                views.as_ptr(),
                0,
                std::ptr::null(),
                std::ptr::null(),
                0,
                std::ptr::null(),
                std::ptr::null(),
                (&mut out as *mut Vec<F32>).cast(),
                sink,
                &mut err,
            )
        };
        unsafe { free(s) };
        assert_eq!(rc, 0, "script_run: {}", self.error(err));
        out
    }
}

/// A TorchScript model loaded in the shim (see [`Shim::load_model`]); runs may be concurrent, as the module's.
pub struct TorchModel<'a> {
    shim: &'a Shim,
    model: *mut c_void,
    intra: i64,
}

unsafe impl Send for TorchModel<'_> {}
unsafe impl Sync for TorchModel<'_> {}

impl TorchModel<'_> {
    /// Runs forward on float32 inputs.
    pub fn run(&self, inputs: &[(&[i64], &[f32])]) -> Vec<F32> {
        type Run = unsafe extern "C" fn(
            *mut c_void,
            usize,
            *const RaiTensor,
            i64,
            *mut c_void,
            Sink,
            *mut *mut c_char,
        ) -> c_int;
        let run: Run = self.shim.sym(c"rai_torch_model_run");
        let views: Vec<RaiTensor> = inputs.iter().map(view).collect();
        let mut out: Vec<F32> = Vec::new();
        let mut err = std::ptr::null_mut();
        let rc = unsafe {
            run(
                self.model,
                views.len(),
                views.as_ptr(),
                self.intra,
                (&mut out as *mut Vec<F32>).cast(),
                sink,
                &mut err,
            )
        };
        assert_eq!(rc, 0, "model_run: {}", self.shim.error(err));
        out
    }
}

impl Drop for TorchModel<'_> {
    fn drop(&mut self) {
        type Free = unsafe extern "C" fn(*mut c_void);
        let free: Free = self.shim.sym(c"rai_torch_model_free");
        unsafe { free(self.model) };
    }
}
