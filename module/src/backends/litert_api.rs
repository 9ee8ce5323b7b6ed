//! The subset of LiteRT's C API (`litert/c/*.h`) the TFLITE backend calls, declared by hand and pinned to LiteRT
//! 2.3.0 (`ai-edge-litert==2.3.0`, whose wheel ships `libLiteRt.so` without headers). Every function is looked up
//! by name with `dlsym` (the library exports them as `LiteRt*@@VERS_1.0`); the signatures and struct layouts below
//! are those of 2.3.0 (`LiteRtCreateModelFromBuffer` takes the environment since 2.2.0).

use std::os::raw::{c_char, c_int, c_void};

/// Opaque LiteRT handles.
pub enum LiteRtEnvironmentT {}
/// A parsed `.tflite` flatbuffer.
pub enum LiteRtModelT {}
/// One signature of a model.
pub enum LiteRtSignatureT {}
/// A tensor of a model's graph.
pub enum LiteRtTensorT {}
/// Compilation options.
pub enum LiteRtOptionsT {}
/// A model ready to run.
pub enum LiteRtCompiledModelT {}
/// A tensor's memory as LiteRT sees it.
pub enum LiteRtTensorBufferT {}

/// `LiteRtStatus`: 0 is success.
pub type Status = c_int;
/// `kLiteRtStatusOk`.
pub const STATUS_OK: Status = 0;

/// `kLiteRtHwAcceleratorCpu`.
pub const HW_ACCELERATOR_CPU: c_int = 1;

/// `LiteRtTensorTypeId`: `kLiteRtRankedTensorType`.
pub const RANKED_TENSOR_TYPE: c_int = 0;

/// `LITERT_TENSOR_MAX_RANK`.
pub const MAX_RANK: usize = 8;

/// `LITERT_HOST_MEMORY_BUFFER_ALIGNMENT`: host memory handed to LiteRT must be aligned to this.
pub const HOST_MEMORY_ALIGNMENT: usize = 64;

/// `LiteRtLayout`: `unsigned rank : 7; bool has_strides : 1;` share the first 32-bit unit, then the dimensions
/// and strides (68 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiteRtLayout {
    /// The bit fields: rank in bits 0..7, `has_strides` in bit 7.
    pub bits: u32,
    /// Dimension sizes; negative means dynamic.
    pub dimensions: [i32; MAX_RANK],
    /// Strides (used only when `has_strides`).
    pub strides: [u32; MAX_RANK],
}

impl LiteRtLayout {
    /// A layout of the given dimensions (at most [`MAX_RANK`]), without strides.
    pub fn new(dims: &[i32]) -> LiteRtLayout {
        let mut l = LiteRtLayout {
            bits: dims.len().min(MAX_RANK) as u32,
            dimensions: [0; MAX_RANK],
            strides: [0; MAX_RANK],
        };
        for (d, &v) in l.dimensions.iter_mut().zip(dims) {
            *d = v;
        }
        l
    }

    /// The rank.
    pub fn rank(&self) -> usize {
        ((self.bits & 0x7f) as usize).min(MAX_RANK)
    }

    /// The dimensions, `rank` of them.
    pub fn dims(&self) -> &[i32] {
        &self.dimensions[..self.rank()]
    }
}

/// `LiteRtRankedTensorType` (72 bytes; the layout at offset 4).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LiteRtRankedTensorType {
    /// `LiteRtElementType` (TFLite's `TfLiteType` codes).
    pub element_type: c_int,
    /// The shape.
    pub layout: LiteRtLayout,
}

/// `LiteRtAny`: a type tag and an 8-byte union.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LiteRtAny {
    /// `LiteRtAnyType`.
    pub kind: c_int,
    /// The value (`int64_t int_value` for [`ANY_TYPE_INT`]).
    pub int_value: i64,
}

/// `kLiteRtAnyTypeInt`.
pub const ANY_TYPE_INT: c_int = 2;

/// `LiteRtEnvOption`: a tag and a value.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LiteRtEnvOption {
    /// `LiteRtEnvOptionTag`.
    pub tag: c_int,
    /// The value.
    pub value: LiteRtAny,
}

/// `kLiteRtEnvOptionTagAutoRegisterAccelerators`: the accelerators registered when the environment is created
/// (a `LiteRtHwAccelerators` bit set).
pub const ENV_AUTO_REGISTER_ACCELERATORS: c_int = 24;
/// `kLiteRtEnvOptionTagMinLoggerSeverity`: the least severe log line LiteRT writes.
pub const ENV_MIN_LOGGER_SEVERITY: c_int = 25;
/// `kLiteRtLogSeverityError`.
pub const LOG_SEVERITY_ERROR: i64 = 3;

/// The environment options the module uses: only the CPU accelerator is registered (no probing for GPU/NPU
/// plug-ins, whose absence LiteRT reports at INFO/WARNING), and only LiteRT's errors reach stderr.
pub const CPU_ENV_OPTIONS: [LiteRtEnvOption; 2] = [
    LiteRtEnvOption {
        tag: ENV_AUTO_REGISTER_ACCELERATORS,
        value: LiteRtAny {
            kind: ANY_TYPE_INT,
            int_value: HW_ACCELERATOR_CPU as i64,
        },
    },
    LiteRtEnvOption {
        tag: ENV_MIN_LOGGER_SEVERITY,
        value: LiteRtAny {
            kind: ANY_TYPE_INT,
            int_value: LOG_SEVERITY_ERROR,
        },
    },
];

type Env = *mut LiteRtEnvironmentT;
type Model = *mut LiteRtModelT;
type Sig = *mut LiteRtSignatureT;
type Tensor = *mut LiteRtTensorT;
type Opts = *mut LiteRtOptionsT;
type Compiled = *mut LiteRtCompiledModelT;
type Buffer = *mut LiteRtTensorBufferT;

macro_rules! api {
    ($($name:ident = $sym:literal: fn($($a:ty),*) $(-> $r:ty)?;)*) => {
        /// The functions used, looked up by name in an opened `libLiteRt.so`.
        #[allow(non_snake_case)]
        pub struct Api {
            $(
                #[doc = concat!("`", $sym, "`")]
                pub $name: unsafe extern "C" fn($($a),*) $(-> $r)?,
            )*
        }

        impl Api {
            /// Looks every function up in `handle`.
            ///
            /// # Safety
            /// `handle` must be a live `dlopen` handle of LiteRT 2.3.0's `libLiteRt.so` (the signatures are that
            /// version's).
            pub unsafe fn load(handle: *mut c_void) -> Result<Api, String> {
                Ok(Api {
                    $(
                        $name: {
                            // SAFETY: a live handle and a NUL-terminated name.
                            let p = unsafe { libc::dlsym(handle, concat!($sym, "\0").as_ptr().cast()) };
                            if p.is_null() {
                                return Err(format!("the library has no {} (not LiteRT 2.3.0?)", $sym));
                            }
                            // SAFETY: LiteRT 2.3.0 declares this function with exactly this signature.
                            unsafe {
                                std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($a),*) $(-> $r)?>(p)
                            }
                        },
                    )*
                })
            }
        }
    };
}

api! {
    CreateEnvironment = "LiteRtCreateEnvironment": fn(c_int, *const LiteRtEnvOption, *mut Env) -> Status;
    CreateModelFromBuffer = "LiteRtCreateModelFromBuffer": fn(Env, *const c_void, usize, *mut Model) -> Status;
    DestroyModel = "LiteRtDestroyModel": fn(Model);
    GetNumModelSignatures = "LiteRtGetNumModelSignatures": fn(Model, *mut usize) -> Status;
    GetModelSignature = "LiteRtGetModelSignature": fn(Model, usize, *mut Sig) -> Status;
    GetNumSignatureInputs = "LiteRtGetNumSignatureInputs": fn(Sig, *mut usize) -> Status;
    GetSignatureInputName = "LiteRtGetSignatureInputName": fn(Sig, usize, *mut *const c_char) -> Status;
    GetSignatureInputTensorByIndex = "LiteRtGetSignatureInputTensorByIndex": fn(Sig, usize, *mut Tensor) -> Status;
    GetNumSignatureOutputs = "LiteRtGetNumSignatureOutputs": fn(Sig, *mut usize) -> Status;
    GetSignatureOutputName = "LiteRtGetSignatureOutputName": fn(Sig, usize, *mut *const c_char) -> Status;
    GetSignatureOutputTensorByIndex = "LiteRtGetSignatureOutputTensorByIndex": fn(Sig, usize, *mut Tensor) -> Status;
    GetTensorTypeId = "LiteRtGetTensorTypeId": fn(Tensor, *mut c_int) -> Status;
    GetRankedTensorType = "LiteRtGetRankedTensorType": fn(Tensor, *mut LiteRtRankedTensorType) -> Status;
    CreateOptions = "LiteRtCreateOptions": fn(*mut Opts) -> Status;
    DestroyOptions = "LiteRtDestroyOptions": fn(Opts);
    SetOptionsHardwareAccelerators = "LiteRtSetOptionsHardwareAccelerators": fn(Opts, c_int) -> Status;
    CreateCompiledModel = "LiteRtCreateCompiledModel": fn(Env, Model, Opts, *mut Compiled) -> Status;
    DestroyCompiledModel = "LiteRtDestroyCompiledModel": fn(Compiled);
    ResizeInputTensorNonStrict = "LiteRtCompiledModelResizeInputTensorNonStrict": fn(Compiled, usize, usize, *const c_int, usize) -> Status;
    GetOutputTensorLayouts = "LiteRtGetCompiledModelOutputTensorLayouts": fn(Compiled, usize, usize, *mut LiteRtLayout, bool) -> Status;
    CreateTensorBufferFromHostMemory = "LiteRtCreateTensorBufferFromHostMemory": fn(*const LiteRtRankedTensorType, *mut c_void, usize, Option<unsafe extern "C" fn(*mut c_void)>, *mut Buffer) -> Status;
    DestroyTensorBuffer = "LiteRtDestroyTensorBuffer": fn(Buffer);
    RunCompiledModel = "LiteRtRunCompiledModel": fn(Compiled, usize, usize, *mut Buffer, usize, *mut Buffer) -> Status;
}

/// A status code's name (`litert_common.h`), for error messages.
pub fn status_name(s: Status) -> &'static str {
    match s {
        0 => "ok",
        1 => "invalid argument",
        2 => "memory allocation failure",
        3 => "runtime failure",
        4 => "missing input tensor",
        5 => "unsupported",
        6 => "not found",
        7 => "timeout expired",
        8 => "wrong version",
        10 => "already exists",
        100 => "cancelled",
        500 => "file I/O error",
        501 => "invalid flatbuffer",
        502 => "dynamic loading error",
        503 => "serialization error",
        504 => "compilation error",
        1000 => "index out of bounds",
        _ => "unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_litert_2_3() {
        assert_eq!(std::mem::size_of::<LiteRtLayout>(), 68);
        assert_eq!(std::mem::size_of::<LiteRtRankedTensorType>(), 72);
        assert_eq!(std::mem::size_of::<LiteRtAny>(), 16);
        assert_eq!(std::mem::size_of::<LiteRtEnvOption>(), 24);
        let l = LiteRtLayout::new(&[2, 3]);
        assert_eq!(l.rank(), 2);
        assert_eq!(l.dims(), &[2, 3]);
        assert_eq!(status_name(501), "invalid flatbuffer");
    }
}
