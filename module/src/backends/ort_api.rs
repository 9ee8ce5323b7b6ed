//! The subset of ONNX Runtime's C API (`onnxruntime_c_api.h`) this module calls, declared by hand.
//!
//! `OrtGetApiBase()->GetApi(version)` returns a table of function pointers that only ever grows at its end, so a
//! function's index is fixed for every ONNX Runtime release that has it. Only the entries below are read.

use std::os::raw::{c_char, c_int, c_void};

/// Opaque ONNX Runtime handles.
pub enum OrtEnv {}
/// An error status; NULL means success.
pub enum OrtStatus {}
/// Session options.
pub enum OrtSessionOptions {}
/// A loaded model.
pub enum OrtSession {}
/// Per-run options (the terminate flag).
pub enum OrtRunOptions {}
/// A tensor or other value.
pub enum OrtValue {}
/// Where tensor data lives.
pub enum OrtMemoryInfo {}
/// An allocator.
pub enum OrtAllocator {}
/// A tensor's element type and shape.
pub enum OrtTensorTypeAndShapeInfo {}

/// `OrtApiBase`: the table `OrtGetApiBase` returns.
#[repr(C)]
pub struct OrtApiBase {
    /// Returns the function table for an API version, or NULL when the library is older than that.
    pub get_api: unsafe extern "C" fn(version: u32) -> *const *const c_void,
    /// The library's version, e.g. `1.32.0`.
    pub get_version_string: unsafe extern "C" fn() -> *const c_char,
}

/// The API version requested: ONNX Runtime 1.17 (every entry used here is far older).
pub const API_VERSION: u32 = 17;

/// `ORT_LOGGING_LEVEL_ERROR`.
pub const LOGGING_LEVEL_ERROR: c_int = 3;
/// `ORT_ENABLE_BASIC` graph optimisation, as RedisAI uses.
pub const ENABLE_BASIC: c_int = 1;
/// `OrtDeviceAllocator`: the type of an allocator given to `RegisterAllocator` (arena types are refused there).
pub const DEVICE_ALLOCATOR: c_int = 0;
/// `OrtArenaAllocator`.
pub const ARENA_ALLOCATOR: c_int = 1;
/// `OrtMemTypeDefault`.
pub const MEM_TYPE_DEFAULT: c_int = 0;
/// `ONNX_TYPE_TENSOR`.
pub const ONNX_TYPE_TENSOR: c_int = 1;

type Status = *mut OrtStatus;

/// The head of `struct OrtAllocator` up to `Info`: what an allocator implemented outside ONNX Runtime fills in.
/// ONNX Runtime reads the later members (`Reserve`, …) only when `version` is new enough to have them, so an
/// allocator that sets `version` to [`API_VERSION`] (17) provides these three functions only.
#[repr(C)]
pub struct OrtAllocatorFns {
    /// The API version the allocator was written against.
    pub version: u32,
    /// Returns a block of at least `size` bytes. It may throw a C++ exception, which ONNX Runtime turns into the
    /// error status of the call that allocated.
    pub alloc: unsafe extern "C" fn(this: *mut OrtAllocator, size: usize) -> *mut c_void,
    /// Frees a block `alloc` returned (NULL is allowed).
    pub free: unsafe extern "C" fn(this: *mut OrtAllocator, p: *mut c_void),
    /// The memory the allocator hands out.
    pub info: unsafe extern "C" fn(this: *const OrtAllocator) -> *const OrtMemoryInfo,
}

macro_rules! api {
    ($($idx:literal => $name:ident: fn($($a:ty),*) $(-> $r:ty)?;)*) => {
        /// The function pointers used, read from the table at their fixed indices.
        #[allow(non_snake_case)]
        pub struct Api {
            $(
                #[doc = concat!("`OrtApi::", stringify!($name), "`")]
                pub $name: unsafe extern "C" fn($($a),*) $(-> $r)?,
            )*
        }

        impl Api {
            /// Reads the entries from `table`.
            ///
            /// # Safety
            /// `table` must be the table `GetApi(API_VERSION)` returned.
            pub unsafe fn from_table(table: *const *const c_void) -> Result<Api, String> {
                Ok(Api {
                    $(
                        $name: {
                            // SAFETY: the table has at least this many entries for API_VERSION.
                            let p = unsafe { *table.add($idx) };
                            if p.is_null() {
                                return Err(format!("ONNX Runtime lacks {}", stringify!($name)));
                            }
                            // SAFETY: the entry at this index has exactly this signature (onnxruntime_c_api.h).
                            unsafe {
                                std::mem::transmute::<*const c_void, unsafe extern "C" fn($($a),*) $(-> $r)?>(p)
                            }
                        },
                    )*
                })
            }
        }
    };
}

api! {
    2 => GetErrorMessage: fn(*const OrtStatus) -> *const c_char;
    3 => CreateEnv: fn(c_int, *const c_char, *mut *mut OrtEnv) -> Status;
    8 => CreateSessionFromArray: fn(*const OrtEnv, *const c_void, usize, *const OrtSessionOptions, *mut *mut OrtSession) -> Status;
    9 => Run: fn(*mut OrtSession, *const OrtRunOptions, *const *const c_char, *const *const OrtValue, usize, *const *const c_char, usize, *mut *mut OrtValue) -> Status;
    10 => CreateSessionOptions: fn(*mut *mut OrtSessionOptions) -> Status;
    19 => DisableCpuMemArena: fn(*mut OrtSessionOptions) -> Status;
    23 => SetSessionGraphOptimizationLevel: fn(*mut OrtSessionOptions, c_int) -> Status;
    24 => SetIntraOpNumThreads: fn(*mut OrtSessionOptions, c_int) -> Status;
    25 => SetInterOpNumThreads: fn(*mut OrtSessionOptions, c_int) -> Status;
    30 => SessionGetInputCount: fn(*const OrtSession, *mut usize) -> Status;
    31 => SessionGetOutputCount: fn(*const OrtSession, *mut usize) -> Status;
    36 => SessionGetInputName: fn(*const OrtSession, usize, *mut OrtAllocator, *mut *mut c_char) -> Status;
    37 => SessionGetOutputName: fn(*const OrtSession, usize, *mut OrtAllocator, *mut *mut c_char) -> Status;
    39 => CreateRunOptions: fn(*mut *mut OrtRunOptions) -> Status;
    46 => RunOptionsSetTerminate: fn(*mut OrtRunOptions) -> Status;
    48 => CreateTensorAsOrtValue: fn(*mut OrtAllocator, *const i64, usize, c_int, *mut *mut OrtValue) -> Status;
    49 => CreateTensorWithDataAsOrtValue: fn(*const OrtMemoryInfo, *mut c_void, usize, *const i64, usize, c_int, *mut *mut OrtValue) -> Status;
    51 => GetTensorMutableData: fn(*mut OrtValue, *mut *mut c_void) -> Status;
    52 => FillStringTensor: fn(*mut OrtValue, *const *const c_char, usize) -> Status;
    53 => GetStringTensorDataLength: fn(*const OrtValue, *mut usize) -> Status;
    54 => GetStringTensorContent: fn(*const OrtValue, *mut c_void, usize, *mut usize, usize) -> Status;
    60 => GetTensorElementType: fn(*const OrtTensorTypeAndShapeInfo, *mut c_int) -> Status;
    61 => GetDimensionsCount: fn(*const OrtTensorTypeAndShapeInfo, *mut usize) -> Status;
    62 => GetDimensions: fn(*const OrtTensorTypeAndShapeInfo, *mut i64, usize) -> Status;
    65 => GetTensorTypeAndShape: fn(*const OrtValue, *mut *mut OrtTensorTypeAndShapeInfo) -> Status;
    67 => GetValueType: fn(*const OrtValue, *mut c_int) -> Status;
    69 => CreateCpuMemoryInfo: fn(c_int, c_int, *mut *mut OrtMemoryInfo) -> Status;
    76 => AllocatorFree: fn(*mut OrtAllocator, *mut c_void) -> Status;
    93 => ReleaseStatus: fn(*mut OrtStatus);
    95 => ReleaseSession: fn(*mut OrtSession);
    96 => ReleaseValue: fn(*mut OrtValue);
    97 => ReleaseRunOptions: fn(*mut OrtRunOptions);
    99 => ReleaseTensorTypeAndShapeInfo: fn(*mut OrtTensorTypeAndShapeInfo);
    100 => ReleaseSessionOptions: fn(*mut OrtSessionOptions);
    130 => AddSessionConfigEntry: fn(*mut OrtSessionOptions, *const c_char, *const c_char) -> Status;
    176 => RegisterAllocator: fn(*mut OrtEnv, *mut OrtAllocator) -> Status;
}
